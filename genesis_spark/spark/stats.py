"""Class statistics and column profile of a Spark DataFrame, in one aggregation pass.

Two Spark jobs in all, neither bringing anything that scales with the table to the driver:

1. one ``df.agg(...)`` over every column: row count, per column null count, an
   approximate distinct count (a DataSketches HLL sketch of the value's xxhash64,
   ``lgConfigK=14``: about 0.8% relative error; ``approx_count_distinct`` at that
   precision is ~20x slower because its registers become aggregation-buffer fields) and min/max; it also
   measures the target's distinct count, so a target with too many values is refused
   before any grouping;
2. one small ``groupBy(target).count()`` that reads only the target column, for exact
   class counts (at most ``MAX_CLASSES`` rows come back).
"""
from __future__ import annotations

import logging
from typing import Sequence

from genesis_spark.core.columns import MAX_CLASSES, is_id_like, missing_column_error
from genesis_spark.core.profile import ColumnProfile, Profile

logger = logging.getLogger(__name__)

#: log2 of the HLL sketch's buckets for distinct counts (14: ~0.8% relative standard error).
DISTINCT_LG_K = 14

_COMPLEX = ("ArrayType", "MapType", "StructType", "BinaryType", "VariantType")


def approx_distinct(col):
    """The approximate distinct count of a Spark column (HLL sketch of its xxhash64; nulls not counted)."""
    from pyspark.sql import functions as F

    hashed = F.when(col.isNotNull(), F.xxhash64(col))  # xxhash64(null) is not null: keep nulls out
    return F.hll_sketch_estimate(F.hll_sketch_agg(hashed, DISTINCT_LG_K))


def _type_name(data_type) -> str:
    return type(data_type).__name__


def check_target(schema, target_column: str) -> None:
    """Raise ValueError when ``target_column`` is missing or of a type that cannot be a class label."""
    names = [f.name for f in schema.fields]
    if target_column not in names:
        raise missing_column_error(target_column, names, "target_column")
    dtype = schema[target_column].dataType
    kind = _type_name(dtype)
    if kind in _COMPLEX or kind in ("DateType", "TimestampType", "TimestampNTZType", "NullType"):
        raise ValueError(f"target_column {target_column!r} has type {dtype.simpleString()}, which cannot hold class "
                         "labels. Use a boolean, integer or string column (or a float column with a few "
                         "values such as 0.0/1.0).")


def profile(df, target_column: str, id_columns: Sequence[str] | None = None) -> Profile:
    """Profile ``df`` for augmentation: class counts/shares of ``target_column`` and every column's stats.

    One aggregation pass computes, per column, the null count, an approximate distinct
    count (HLL sketch, ~0.8% error) and min/max (min/max and distinct are skipped for arrays, maps, structs and binary),
    plus the row count; a second job reads only the target column for exact class counts.
    Columns ID-like by ``genesis_spark.core.columns.is_id_like`` (on the approximate distinct
    count) and the columns named in ``id_columns`` are flagged and left out of ``training_columns``.

    Raises ValueError for a missing target, a target of an unsupported type, a target
    with more than ``MAX_CLASSES`` values (e.g. a continuous float), a target with a
    single class, or unknown ``id_columns``.

    Example::

        p = profile(df, "is_fraud")
        p.class_counts        # {0: 9800, 1: 200}
        print(p.format())
    """
    from pyspark.sql import functions as F

    schema = df.schema
    names = [f.name for f in schema.fields]
    check_target(schema, target_column)
    declared = tuple(id_columns or ())
    for name in declared:
        if name not in names:
            raise missing_column_error(name, names, "id_columns")
        if name == target_column:
            raise ValueError(f"id_columns names the target column {target_column!r}; remove it from id_columns.")

    exprs = [F.count(F.lit(1)).alias("__rows")]
    measured: dict[str, tuple[bool, bool]] = {}
    for i, fld in enumerate(schema.fields):
        kind = _type_name(fld.dataType)
        col = F.col(f"`{fld.name}`")
        has_distinct = kind not in _COMPLEX
        has_range = kind not in _COMPLEX and kind not in ("BooleanType", "NullType")
        measured[fld.name] = (has_distinct, has_range)
        exprs.append(F.count(col).alias(f"n{i}"))  # non-null values; nulls = rows - this
        if has_distinct:
            exprs.append(approx_distinct(col).alias(f"d{i}"))
        if has_range:
            exprs.append(F.min(col).alias(f"lo{i}"))
            exprs.append(F.max(col).alias(f"hi{i}"))
    row = df.agg(*exprs).first()
    n_rows = int(row["__rows"])

    columns: list[ColumnProfile] = []
    detected: list[str] = []
    for i, fld in enumerate(schema.fields):
        has_distinct, has_range = measured[fld.name]
        distinct = int(row[f"d{i}"]) if has_distinct else None
        kind = _type_name(fld.dataType)
        is_id = fld.name in declared
        non_null = int(row[f"n{i}"] or 0)
        if not is_id and fld.name != target_column and is_id_like(kind == "StringType", distinct, non_null):
            is_id = True
            detected.append(fld.name)
        columns.append(ColumnProfile(
            name=fld.name, dtype=fld.dataType.simpleString(), nulls=n_rows - int(row[f"n{i}"] or 0), distinct=distinct,
            min=row[f"lo{i}"] if has_range else None, max=row[f"hi{i}"] if has_range else None, id_like=is_id))

    target = next(c for c in columns if c.name == target_column)
    if target.distinct is not None and target.distinct > MAX_CLASSES:
        raise ValueError(
            f"target_column {target_column!r} ({target.dtype}) has about {target.distinct:,} distinct values; "
            f"a classification target has at most {MAX_CLASSES}. Pick the label column (e.g. 0/1), or bin "
            "a continuous target into classes first.")
    counts_rows = (df.select(F.col(f"`{target_column}`").alias("label")).groupBy("label").count()
                   .limit(MAX_CLASSES + 2).collect())
    class_counts = {r["label"]: int(r["count"]) for r in counts_rows if r["label"] is not None}
    target_nulls = sum(int(r["count"]) for r in counts_rows if r["label"] is None)
    if len(class_counts) > MAX_CLASSES:
        raise ValueError(f"target_column {target_column!r} has more than {MAX_CLASSES} distinct values; "
                         "pick the label column, or bin a continuous target into classes first.")
    if len(class_counts) < 2:
        raise ValueError(
            f"target_column {target_column!r} has {len(class_counts)} class(es) among {n_rows:,} rows "
            f"({', '.join(map(str, class_counts)) or 'all null'}); augmentation needs at least two classes. "
            "Check the target column and any filter applied to the source.")
    class_counts = dict(sorted(class_counts.items(), key=lambda kv: (-kv[1], str(kv[0]))))
    if detected:
        logger.info("ID-like columns excluded from training: %s", ", ".join(detected))
    id_like = tuple(n for n in names if n in set(declared) | set(detected))
    return Profile(n_rows=n_rows, target_column=target_column, class_counts=class_counts, target_nulls=target_nulls,
                   columns=tuple(columns), id_like=id_like, declared_id_columns=declared)


def id_like_columns(df, named_discrete: Sequence[str], target_column: str, n_rows: int) -> list[str]:
    """String columns not named discrete that are ID-like (``core.columns.is_id_like``, approximate distinct count)."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    candidates = [f.name for f in df.schema.fields if isinstance(f.dataType, T.StringType)
                  and f.name != target_column and f.name not in named_discrete]
    if not candidates or not is_id_like(True, n_rows, n_rows):
        return []
    exprs = [approx_distinct(F.col(f"`{c}`")).alias(f"d{i}") for i, c in enumerate(candidates)]
    exprs += [F.count(F.col(f"`{c}`")).alias(f"n{i}") for i, c in enumerate(candidates)]
    row = df.agg(*exprs).first()
    return [c for i, c in enumerate(candidates) if is_id_like(True, int(row[f"d{i}"]), int(row[f"n{i}"]))]
