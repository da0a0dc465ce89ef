"""The frame profile both engines return: class counts, per-column statistics, ID-like columns.

``profile_pandas`` computes it on pandas (exact distinct counts);
``genesis_spark.spark.stats.profile`` computes the same on Spark (approximate distinct counts).
"""
from __future__ import annotations

import datetime as _dt
import decimal
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from genesis_spark.core.columns import is_id_like, missing_column_error


@dataclass(frozen=True)
class ColumnProfile:
    """One column: type, null count, distinct count (approximate on Spark), range, and whether it is ID-like."""

    name: str
    dtype: str
    nulls: int
    distinct: int | None
    min: Any = None
    max: Any = None
    id_like: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (dates and decimals as strings)."""
        return {"name": self.name, "dtype": self.dtype, "nulls": self.nulls, "distinct": self.distinct,
                "min": jsonable(self.min), "max": jsonable(self.max), "id_like": self.id_like}


@dataclass(frozen=True)
class Profile:
    """Class counts and shares of the target, per-column profile, and the ID-like columns kept out of training.

    ``class_counts`` maps each target value to its row count, largest first; rows whose
    target is null are counted in ``target_nulls`` and in no class. ``id_like`` holds the
    declared ID columns and those detected (``genesis_spark.core.columns.is_id_like``);
    ``training_columns`` is every other column except the target.
    """

    n_rows: int
    target_column: str | None
    class_counts: dict[Any, int] = field(default_factory=dict)
    columns: tuple[ColumnProfile, ...] = ()
    id_like: tuple[str, ...] = ()
    target_nulls: int = 0
    declared_id_columns: tuple[str, ...] = ()

    @property
    def class_shares(self) -> dict[Any, float]:
        """Each class's share of the rows."""
        return {k: (v / self.n_rows if self.n_rows else 0.0) for k, v in self.class_counts.items()}

    @property
    def minority_share(self) -> float:
        """The smallest class share (0.0 without a target)."""
        shares = self.class_shares
        return min(shares.values()) if shares else 0.0

    @property
    def minority_class(self) -> Any:
        """The class with the fewest rows (None without a target)."""
        if not self.class_counts:
            return None
        return min(self.class_counts, key=lambda k: (self.class_counts[k], str(k)))

    @property
    def majority_class(self) -> Any:
        """The class with the most rows (None without a target)."""
        if not self.class_counts:
            return None
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
        """JSON-able form (class labels as strings)."""
        return {
            "n_rows": self.n_rows,
            "target_column": self.target_column,
            "class_counts": {str(k): int(v) for k, v in self.class_counts.items()},
            "class_shares": {str(k): round(v, 6) for k, v in self.class_shares.items()},
            "target_nulls": self.target_nulls,
            "minority_class": jsonable(self.minority_class),
            "id_like": list(self.id_like),
            "declared_id_columns": list(self.declared_id_columns),
            "training_columns": list(self.training_columns),
            "columns": [c.to_dict() for c in self.columns],
        }

    def format(self) -> str:
        """A readable report for the ``analyze`` step: classes, then one line per column."""
        lines = [f"rows: {self.n_rows:,}"]
        if self.target_column is not None:
            lines.append(f"class distribution of {self.target_column!r}:")
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


def is_text_dtype(series: pd.Series) -> bool:
    """Object or string columns (the columns the ID-like rule looks at), except columns of dates.

    ``datetime.date`` objects (Spark's ``DateType``, CSV ISO dates) are dates, not text, as on Spark.
    """
    if isinstance(series.dtype, pd.StringDtype):
        return True
    if not pd.api.types.is_object_dtype(series):
        return False
    return pd.api.types.infer_dtype(series, skipna=True) not in ("date", "datetime")


def profile_pandas(frame: pd.DataFrame, target_column: str | None = None) -> Profile:
    """The profile of a pandas frame (exact distinct counts), by the same rules as the Spark profile."""
    n = len(frame)
    counts: dict[Any, int] = {}
    target_nulls = 0
    if target_column is not None:
        if target_column not in frame.columns:
            raise missing_column_error(target_column, list(frame.columns), "target_column")
        vc = frame[target_column].value_counts(dropna=True)
        counts = dict(sorted(((plain(k), int(v)) for k, v in vc.items()), key=lambda kv: (-kv[1], str(kv[0]))))
        target_nulls = int(frame[target_column].isna().sum())
    columns = []
    for name in frame.columns:
        s = frame[name]
        distinct = int(s.nunique(dropna=True))
        numeric = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
        id_like = name != target_column and is_id_like(is_text_dtype(s), distinct, int(s.notna().sum()))
        columns.append(ColumnProfile(
            name=str(name), dtype=str(s.dtype), nulls=int(s.isna().sum()), distinct=distinct,
            min=plain(s.min()) if numeric and distinct else None,
            max=plain(s.max()) if numeric and distinct else None, id_like=id_like))
    return Profile(n_rows=n, target_column=target_column, class_counts=counts, columns=tuple(columns),
                   id_like=tuple(c.name for c in columns if c.id_like), target_nulls=target_nulls)


def plain(value: Any) -> Any:
    """numpy scalars to Python scalars (JSON-able labels and ranges)."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def jsonable(value: Any) -> Any:
    """A JSON-able form of a profile value (dates and decimals as strings, non-finite floats as text)."""
    value = plain(value)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (decimal.Decimal, _dt.date, _dt.datetime)):
        return str(value)
    return str(value)


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    text = str(value)
    return text if len(text) <= 24 else text[:21] + "..."
