"""Deterministic stratified train/test split of a Spark DataFrame, from a hash of each row and the seed.

Each row gets a bucket: the top 16 bits of ``xxhash64(seed, *row values)``. One
aggregation counts rows per (class, bucket) (at most 65,536 counts per class reach the
driver, however big the table); per class, the driver picks the bucket cut whose
cumulative count is closest to ``test_size`` of the class; a row is in the test split
when its bucket is below its class's cut.

So the split depends only on the row values, the seed and the class sizes: not on the
partitioning, the row order or task retries; identical rows share a bucket and land on
the same side; and each class keeps ``test_size`` of its rows in test to within one
bucket's rows (exact for small classes, which have about one row per bucket).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from genesis_spark.core.columns import MAX_CLASSES
from genesis_spark.spark.stats import check_target

logger = logging.getLogger(__name__)

BUCKET_BITS = 16


@dataclass(frozen=True)
class ClassSplit:
    """How one class was split: its rows, the rows sent to train and to test, and the realised test share."""

    label: Any
    rows: int
    train_rows: int
    test_rows: int
    cut: int

    @property
    def test_share(self) -> float:
        """The realised share of this class's rows in the test split."""
        return self.test_rows / self.rows if self.rows else 0.0


@dataclass(frozen=True)
class SplitInfo:
    """What a stratified split did: the parameters, the totals, and the realised share per class."""

    target_column: str
    test_size: float
    seed: int
    train_rows: int
    test_rows: int
    classes: tuple[ClassSplit, ...]

    @property
    def test_shares(self) -> dict[Any, float]:
        """The realised test share of each class (the null target, if any, under the key None)."""
        return {c.label: c.test_share for c in self.classes}

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (class labels as strings)."""
        return {
            "target_column": self.target_column, "test_size": self.test_size, "seed": self.seed,
            "train_rows": self.train_rows, "test_rows": self.test_rows,
            "classes": {str(c.label): {"rows": c.rows, "train_rows": c.train_rows, "test_rows": c.test_rows,
                                       "test_share": round(c.test_share, 6)} for c in self.classes},
        }


def row_bucket(df, seed: int, bits: int = BUCKET_BITS):
    """A Column: the top ``bits`` bits of ``xxhash64(seed, *all columns)``, an integer in [0, 2**bits).

    Maps are hashed through their JSON text (Spark does not hash map columns).
    """
    from pyspark.sql import functions as F

    cols = []
    for fld in df.schema.fields:
        col = F.col(f"`{fld.name}`")
        cols.append(F.to_json(col) if type(fld.dataType).__name__ == "MapType" else col)
    return F.shiftrightunsigned(F.xxhash64(F.lit(int(seed)), *cols), 64 - bits)


def _cut(buckets: np.ndarray, counts: np.ndarray, test_size: float) -> tuple[int, int]:
    """The bucket cut whose cumulative row count is closest to ``test_size`` of the class, and that count."""
    order = np.argsort(buckets)
    buckets, counts = buckets[order], counts[order]
    cumulative = np.concatenate([[0], np.cumsum(counts)])
    wanted = round(test_size * int(cumulative[-1]))
    best = int(np.argmin(np.abs(cumulative - wanted)))
    cut = 0 if best == 0 else int(buckets[best - 1]) + 1
    return cut, int(cumulative[best])


def _label_condition(column, label):
    from pyspark.sql import functions as F

    return column.isNull() if label is None else column == F.lit(label)


def stratified_split(df, target_column: str, test_size: float = 0.2, seed: int = 42) -> tuple[Any, Any, SplitInfo]:
    """Split ``df`` into ``(train, test, info)``, stratified by ``target_column``, deterministic in ``seed``.

    Rows with a null target form their own stratum. ``info`` reports the realised test
    share of each class. Raises ValueError for a missing target or ``test_size`` outside (0, 1).

    Example::

        train, test, info = stratified_split(df, "is_fraud", test_size=0.2, seed=42)
        info.test_shares      # {0: 0.2, 1: 0.2}
    """
    from pyspark.sql import functions as F


    check_target(df.schema, target_column)
    if isinstance(test_size, bool) or not 0 < float(test_size) < 1:
        raise ValueError(f"test_size must be a fraction strictly between 0 and 1, got {test_size!r}.")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an integer, got {seed!r}.")
    test_size, seed = float(test_size), int(seed)
    target = F.col(f"`{target_column}`")
    bucket = row_bucket(df, seed)

    # One pass over the table: rows per (class, bucket), then one row per class holding its histogram.
    per_class = (df.select(target.alias("label"), bucket.alias("bucket"))
                 .groupBy("label", "bucket").count()
                 .groupBy("label").agg(F.collect_list(F.struct("bucket", "count")).alias("histogram"))
                 .limit(MAX_CLASSES + 2).collect())
    if len(per_class) > MAX_CLASSES + 1:
        raise ValueError(f"target_column {target_column!r} has more than {MAX_CLASSES} distinct values; "
                         "a stratified split needs a classification target.")
    classes = []
    for row in per_class:
        buckets = np.fromiter((h["bucket"] for h in row["histogram"]), dtype=np.int64)
        counts = np.fromiter((h["count"] for h in row["histogram"]), dtype=np.int64)
        cut, n_test = _cut(buckets, counts, test_size)
        total = int(counts.sum())
        classes.append(ClassSplit(label=row["label"], rows=total, train_rows=total - n_test, test_rows=n_test,
                                  cut=cut))
    classes.sort(key=lambda c: (-c.rows, str(c.label)))

    cut_of_row = F.lit(0)
    if classes:
        expr = None
        for c in classes:
            cond = _label_condition(target, c.label)
            expr = F.when(cond, F.lit(c.cut)) if expr is None else expr.when(cond, F.lit(c.cut))
        cut_of_row = expr.otherwise(F.lit(0))
    in_test = bucket < cut_of_row
    test = df.where(in_test)
    train = df.where(~in_test)
    info = SplitInfo(target_column=target_column, test_size=test_size, seed=seed,
                     train_rows=sum(c.train_rows for c in classes), test_rows=sum(c.test_rows for c in classes),
                     classes=tuple(classes))
    logger.info("stratified split of %r (seed %d): %s", target_column, seed,
                ", ".join(f"{c.label}: {c.test_rows}/{c.rows} in test ({c.test_share:.2%})" for c in classes))
    return train, test, info
