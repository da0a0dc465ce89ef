"""``SparkEngine``: the pipeline's ``Engine`` protocol on Spark DataFrames.

Reading, profiling, splitting and the Delta sink come from ``genesis_spark.spark``'s
``io``, ``stats``, ``split`` and ``sink``; augmentation from ``genesis_spark.spark.augment``.
Only bounded samples reach the driver (``sample``), for the evaluation steps.
"""
from __future__ import annotations

import logging
import shutil
import uuid
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd

from genesis_spark.core.engine import Loaded, check_format
from genesis_spark.core.plan import AugmentResult
from genesis_spark.core.profile import ColumnProfile, Profile

logger = logging.getLogger(__name__)


class SparkEngine:
    """Runs pipeline steps on Spark: an existing session, or an embedded local one.

    ``spark``: a SparkSession to use (else ``get_spark(master, conf, warehouse)`` on first use:
    the session spark-submit or Databricks started, or a local one). ``sink``: Delta sink
    mode ``auto | native | embedded``.

    Example::

        engine = SparkEngine(master="local[2]")
        loaded = engine.read("transactions.csv", "csv")
        train, test = engine.split(loaded.frame, "is_fraud", 0.2, seed=42)
        result = engine.augment(train, "is_fraud", 0.3, config={"epochs": 50})
    """

    name = "spark"

    def __init__(self, spark=None, master: str | None = None, conf: Mapping[str, str] | None = None,
                 sink: str = "auto", warehouse: str | Path | None = None, **options: Any) -> None:
        if options:
            logger.debug("spark engine ignores options %s", sorted(options))
        self._spark = spark
        self.master = master
        self.conf = {str(k): str(v) for k, v in (conf or {}).items()}
        self.sink_mode = sink
        self.warehouse = warehouse

    @property
    def spark(self):
        """The SparkSession (started on first use)."""
        if self._spark is None:
            from genesis_spark.spark.session import get_spark

            self._spark = get_spark(self.master, self.conf, warehouse=self.warehouse)
        return self._spark

    def read(self, path: str, format: str, *, version: int | str | None = None,
             options: Mapping[str, Any] | None = None) -> Loaded:
        """Read CSV, Parquet, a Delta table (path, any version or tag) or a catalog table."""
        from genesis_spark.spark.io import read_source

        frame, info = read_source(self.spark, path, check_format(format), version=version, options=options)
        return Loaded(frame, info.path, info.format, info.version)

    def profile(self, frame, target_column: str | None = None) -> Profile:
        """Class counts and column profile in one aggregation pass (approximate distinct counts)."""
        if target_column is None:
            return self._profile_without_target(frame)
        from genesis_spark.spark.stats import profile

        return profile(frame, target_column)

    def _profile_without_target(self, frame) -> Profile:
        from pyspark.sql import functions as F

        from genesis_spark.spark.stats import approx_distinct

        names = frame.columns
        exprs = [F.count(F.lit(1)).alias("__rows")]
        exprs += [F.count(F.col(f"`{c}`")).alias(f"n{i}") for i, c in enumerate(names)]
        exprs += [approx_distinct(F.col(f"`{c}`")).alias(f"d{i}") for i, c in enumerate(names)]
        row = frame.agg(*exprs).first()
        n = int(row["__rows"])
        types = dict((f.name, f.dataType.simpleString()) for f in frame.schema.fields)
        columns = tuple(ColumnProfile(c, types[c], n - int(row[f"n{i}"]), int(row[f"d{i}"]))
                        for i, c in enumerate(names))
        return Profile(n_rows=n, target_column=None, columns=columns)

    def split(self, frame, target_column: str, test_size: float, seed: int) -> tuple[Any, Any]:
        """Hash-based stratified split (``genesis_spark.spark.split``; it logs the realised shares per class)."""
        from genesis_spark.spark.split import stratified_split

        train, test, _ = stratified_split(frame, target_column, test_size, seed)
        return train, test

    def augment(self, frame, target_column: str, ratio: float, strategy: str = "oversample",
                discrete_columns: Sequence[str] | None = None, config: Mapping[str, Any] | None = None,
                seed: int | None = None, generator: Any | None = None) -> AugmentResult:
        """``genesis_spark.spark.augment.augment_spark``: Spark frames, ``training_rows`` as pandas."""
        from genesis_spark.spark.augment import augment_spark

        return augment_spark(frame, target_column, ratio, strategy=strategy, discrete_columns=discrete_columns,
                             config=config, seed=seed, generator=generator)

    def sample(self, frame, n: int, seed: int = 0) -> pd.DataFrame:
        """At most ``n`` rows as pandas: all rows when that few, else a seeded hash sample (partition-independent)."""
        from genesis_spark.quality.bounded import collect_bounded

        return collect_bounded(frame, frame.columns, frame.count(), int(n), seed, "genesis_spark.engine_sample")

    def count(self, frame) -> int:
        """Row count (a Spark job)."""
        return int(frame.count())

    def columns(self, frame) -> list[str]:
        """Column names."""
        return list(frame.columns)

    def with_columns(self, frame, values: Mapping[str, Any]):
        """``frame`` with constant columns added; Python ints as ``LongType`` (pandas' int64), never ``IntegerType``."""
        from pyspark.sql import functions as F

        for name, value in values.items():
            column = F.lit(value)
            if isinstance(value, int) and not isinstance(value, bool):
                column = column.cast("long")
            frame = frame.withColumn(name, column)
        return frame

    def from_records(self, records: Sequence[Mapping[str, Any]], schema: Any = None):
        """A small Spark DataFrame from Python records; with an Arrow ``schema``, exactly that schema in Spark types.

        The typed form is what the ``runs`` table is written from (``genesis_spark.delta.runs``):
        the same Delta schema the pandas engine writes (maps from dicts, a UTC timestamp).
        """
        if schema is None:
            return self.spark.createDataFrame(pd.DataFrame.from_records(list(records)))
        import json

        from pyspark.sql.types import StructType

        from genesis_spark.delta.runs import spark_schema_json

        struct = StructType.fromJson(json.loads(spark_schema_json(schema)))
        rows = [tuple(record.get(f.name) for f in struct.fields) for record in records]
        return self.spark.createDataFrame(rows, schema=struct)

    def write_csv(self, frame, path: str | Path) -> None:
        """Write ``frame`` as ONE CSV file at ``path`` (header, no index), written by one Spark task.

        Spark writes a single part file into a scratch folder beside ``path``, which is then
        moved to ``path``: no rows pass through the driver. Quotes inside a field are doubled
        (RFC 4180), as pandas writes them.
        """
        from genesis_spark.spark.io import CSV_QUOTE_ESCAPE

        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        scratch = target.parent / f".{target.name}.{uuid.uuid4().hex[:8]}.parts"
        try:
            (frame.coalesce(1).write.mode("overwrite").option("header", "true").options(**CSV_QUOTE_ESCAPE)
             .csv(str(scratch.resolve())))
            parts = sorted(scratch.glob("part-*.csv"))
            if len(parts) != 1:
                raise RuntimeError(f"expected one CSV part file in {scratch}, found {len(parts)}")
            shutil.move(str(parts[0]), str(target))
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def delta_sink(self):
        """The Spark Delta sink for ``sink`` mode (auto probes once for the Delta jars)."""
        from genesis_spark.spark.sink import spark_delta_sink

        return spark_delta_sink(self.spark, self.sink_mode)
