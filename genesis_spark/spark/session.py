"""Spark sessions: an embedded local default, or the cluster's own session."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Mapping

# Settings measured to make local sessions start and run fast (DESIGN.md section 7).
LOCAL_DEFAULTS: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "2",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.sql.catalogImplementation": "in-memory",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.execution.arrow.maxRecordsPerBatch": "10000",
    "spark.driver.memory": "4g",
}


def active_session():
    """The SparkSession already running in this process (cluster, Databricks, Connect), or None."""
    from pyspark.sql import SparkSession

    return SparkSession.getActiveSession()


def get_spark(master: str | None = None, conf: Mapping[str, str] | None = None,
              warehouse: str | Path | None = None, app_name: str = "genesis_spark"):
    """Return a SparkSession.

    An existing session (spark-submit, Databricks, Spark Connect) is returned as is,
    with ``conf`` applied where it is settable at run time. Otherwise an embedded
    local session is started: ``master`` (default ``local[*]``, or ``$GENESIS_SPARK_MASTER``),
    the fast local settings above, a local warehouse folder, and ``PYSPARK_PYTHON``
    set to this interpreter so UDF workers see the same packages.

    Example::

        spark = get_spark()                                   # local[*]
        spark = get_spark("local[2]", {"spark.sql.shuffle.partitions": "4"})
    """
    from pyspark.sql import SparkSession

    existing = active_session()
    if existing is not None and master is None:
        for key, value in (conf or {}).items():
            try:
                existing.conf.set(key, value)
            except Exception:  # static confs cannot change on a running session
                pass
        return existing

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    if master is None and "PYSPARK_GATEWAY_PORT" in os.environ:
        # Launched by spark-submit: its --master and --conf decide.
        builder = SparkSession.builder.appName(app_name)
    else:
        builder = SparkSession.builder.appName(app_name).master(
            master or os.environ.get("GENESIS_SPARK_MASTER", "local[*]"))
        for key, value in LOCAL_DEFAULTS.items():
            builder = builder.config(key, value)
        warehouse = Path(warehouse or os.environ.get("GENESIS_SPARK_WAREHOUSE", "spark-warehouse")).resolve()
        builder = builder.config("spark.sql.warehouse.dir", str(warehouse))
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()
