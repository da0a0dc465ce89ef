"""Which kind of frame a value is, without importing pyspark."""
from __future__ import annotations


def is_spark_dataframe(obj) -> bool:
    """True for classic and Spark Connect DataFrames, without importing pyspark when absent."""
    module = type(obj).__module__
    if not module.startswith("pyspark."):
        return False
    return type(obj).__name__ == "DataFrame"
