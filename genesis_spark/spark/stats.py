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

import datetime as _dt
import decimal
import logging
import math
from dataclasses import dataclass
from typing import Any, Sequence

from genesis_spark.pipeline.engine import ColumnProfile as EngineColumnProfile
from genesis_spark.pipeline.engine import Profile as EngineProfile

logger = logging.getLogger(__name__)

#: More target values than this: not a classification target.
MAX_CLASSES = 100
#: Distinct count at or above this share of the rows flags a string/integer column as an ID.
ID_DISTINCT_SHARE = 0.95
#: Below this many rows, only declared columns are treated as IDs.
MIN_ROWS_FOR_ID_DETECTION = 20
#: log2 of the HLL sketch's buckets for distinct counts (14: ~0.8% relative standard error).
DISTINCT_LG_K = 14

_INTEGRAL = ("ByteType", "ShortType", "IntegerType", "LongType")
_FRACTIONAL = ("FloatType", "DoubleType", "DecimalType")
_COMPLEX = ("ArrayType", "MapType", "StructType", "BinaryType", "VariantType")


@dataclass(frozen=True)
class ColumnProfile(EngineColumnProfile):
    """One column: Spark type, null count, approximate distinct count, range, and whether it is ID-like."""

    distinct: int | None
    id_like: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (dates and decimals as strings)."""
        return {"name": self.name, "dtype": self.dtype, "nulls": self.nulls, "distinct": self.distinct,
                "min": _jsonable(self.min), "max": _jsonable(self.max), "id_like": self.id_like}


@dataclass(frozen=True)
class Profile(EngineProfile):
    """Class counts and shares of the target, per-column profile, and the ID-like columns kept out of training.

    ``class_counts`` maps each target value to its row count, largest first; rows whose
    target is null are counted in ``target_nulls`` and in no class. ``id_like`` holds the
    declared ID columns and those detected (string/integer, approximate distinct count
    >= 95% of the rows); ``training_columns`` is every other column except the target.
    """

    target_nulls: int = 0
    declared_id_columns: tuple[str, ...] = ()

    @property
    def minority_class(self) -> Any:
        """The class with the fewest rows."""
        return min(self.class_counts, key=lambda k: (self.class_counts[k], str(k)))

    @property
    def majority_class(self) -> Any:
        """The class with the most rows."""
        return max(self.class_counts, key=lambda k: (self.class_counts[k], str(k)))

    @property
    def training_columns(self) -> tuple[str, ...]:
        """Columns a generator is trained on: all but the target and the ID-like columns."""
        skip = set(self.id_like) | {self.target_column}
        return tuple(c.name for c in self.columns if c.name not in skip)

    def column(self, name: str) -> ColumnProfile:
        """The profile of column ``name``."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"No column {name!r} in the profile; columns are {', '.join(c.name for c in self.columns)}.")

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (class labels as strings): the engine profile's keys plus Spark's extras."""
        return {
            **super().to_dict(),
            "target_nulls": self.target_nulls,
            "minority_class": _jsonable(self.minority_class) if self.class_counts else None,
            "declared_id_columns": list(self.declared_id_columns),
            "training_columns": list(self.training_columns),
            "columns": [c.to_dict() for c in self.columns],
        }

    def to_text(self) -> str:
        """A readable report for the ``analyze`` step: classes, then one line per column."""
        lines = [f"rows: {self.n_rows:,}", f"class distribution of {self.target_column!r}:"]
        for label, count in self.class_counts.items():
            lines.append(f"  {label!s:>12}  {count:>12,}  {count / max(self.n_rows, 1):8.3%}")
        if self.target_nulls:
            lines.append(f"  {'(null)':>12}  {self.target_nulls:>12,}  (not in any class)")
        lines.append(f"{'column':<28} {'type':<14} {'nulls':>10} {'~distinct':>11}  range")
        for col in self.columns:
            rng = "" if col.min is None and col.max is None else f"{_short(col.min)} .. {_short(col.max)}"
            flag = "  [ID-like: excluded]" if col.id_like else ("  [target]" if col.name == self.target_column else "")
            distinct = "-" if col.distinct is None else f"{col.distinct:,}"
            lines.append(f"{col.name:<28} {col.dtype:<14} {col.nulls:>10,} {distinct:>11}  {rng}{flag}")
        if self.id_like:
            lines.append(f"ID-like columns (excluded from training): {', '.join(self.id_like)}")
        return "\n".join(lines)

    format = to_text  # the engine-neutral name the ``analyze`` step prints


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    text = str(value)
    return text if len(text) <= 24 else text[:21] + "..."


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (decimal.Decimal, _dt.date, _dt.datetime)):
        return str(value)
    return str(value)


def _type_name(data_type) -> str:
    return type(data_type).__name__


def _missing_column_error(kind: str, name: str, columns: Sequence[str]) -> ValueError:
    return ValueError(f"{kind} {name!r} is not a column of the input. Columns are: {', '.join(columns)}.")


def check_target(schema, target_column: str) -> None:
    """Raise ValueError when ``target_column`` is missing or of a type that cannot be a class label."""
    names = [f.name for f in schema.fields]
    if target_column not in names:
        raise _missing_column_error("target_column", target_column, names)
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
    String and integer columns whose approximate distinct count is at least 95% of the
    rows (and tables of at least 20 rows), and the columns named in ``id_columns``, are
    flagged ID-like and left out of ``training_columns``.

    Raises ValueError for a missing target, a target of an unsupported type, a target
    with more than ``MAX_CLASSES`` values (e.g. a continuous float), a target with a
    single class, or unknown ``id_columns``.

    Example::

        p = profile(df, "is_fraud")
        p.class_counts        # {0: 9800, 1: 200}
        print(p.to_text())
    """
    from pyspark.sql import functions as F

    schema = df.schema
    names = [f.name for f in schema.fields]
    check_target(schema, target_column)
    declared = tuple(id_columns or ())
    for name in declared:
        if name not in names:
            raise _missing_column_error("id_columns names", name, names)
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
            hashed = F.when(col.isNotNull(), F.xxhash64(col))  # xxhash64(null) is not null: keep nulls out
            exprs.append(F.hll_sketch_estimate(F.hll_sketch_agg(hashed, DISTINCT_LG_K)).alias(f"d{i}"))
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
        if (not is_id and fld.name != target_column and distinct is not None and n_rows >= MIN_ROWS_FOR_ID_DETECTION
                and (kind in _INTEGRAL or kind == "StringType") and distinct >= ID_DISTINCT_SHARE * n_rows):
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
