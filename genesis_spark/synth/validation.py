"""Input checks for fitting: clear errors naming the column and the fix, before any training."""
from __future__ import annotations

import logging
from typing import Any, Sequence

import numpy as np
import pandas as pd

from genesis_spark.core.columns import missing_column_error
from genesis_spark.synth.transformer import value_kind

logger = logging.getLogger(__name__)

_ALWAYS_DISCRETE = ("object", "string", "bool", "category")


def validate_training_frame(df: Any, discrete_columns: Sequence[str] | None) -> list[str]:
    """Check ``df`` and ``discrete_columns``; returns the discrete columns, inferred ones added.

    Raises TypeError/ValueError for: a non-DataFrame, an empty frame, non-string or duplicate
    column names, unknown names in ``discrete_columns``, unsupported dtypes, all-null columns,
    single-valued columns and infinite values. String, object, bool and category columns not
    listed in ``discrete_columns`` are treated as discrete (logged at INFO).
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(
            f"fit expects a pandas DataFrame, got {type(df).__name__}. "
            "For a Spark DataFrame, collect the (bounded) training rows with toPandas() first."
        )
    if df.shape[1] == 0 or len(df) == 0:
        raise ValueError(f"fit got an empty DataFrame ({len(df)} rows, {df.shape[1]} columns); pass training rows.")
    bad_names = [c for c in df.columns if not isinstance(c, str)]
    if bad_names:
        raise TypeError(f"Column names must be strings; got {bad_names}. Rename them, e.g. df.columns = df.columns.map(str).")
    dupes = sorted({c for c in df.columns if list(df.columns).count(c) > 1})
    if dupes:
        raise ValueError(f"Duplicate column names {dupes}; make the names unique.")
    if discrete_columns is None:
        discrete_columns = []
    if isinstance(discrete_columns, str) or not hasattr(discrete_columns, "__iter__"):
        raise TypeError(f"discrete_columns must be a list of column names, got {discrete_columns!r}.")
    discrete = list(dict.fromkeys(discrete_columns))
    unknown = [c for c in discrete if c not in df.columns]
    if unknown:
        raise missing_column_error(unknown[0], list(df.columns), "discrete_columns")
    for name in df.columns:
        series = df[name]
        kind = value_kind(series)  # raises TypeError for unsupported dtypes
        non_null = series.dropna()
        if non_null.empty:
            raise ValueError(f"Column {name!r} is entirely null; drop it before fitting.")
        if name not in discrete and kind in _ALWAYS_DISCRETE:
            logger.info("column %r has dtype %s: treating it as discrete", name, series.dtype)
            discrete.append(name)
        n_values = series.nunique(dropna=False)
        if n_values < 2:
            raise ValueError(
                f"Column {name!r} has a single value ({non_null.iloc[0]!r}) in every row; there is nothing to learn. "
                "Drop it before fitting and add it back as a constant after generating."
            )
        if name not in discrete:
            if non_null.nunique() < 2:
                raise ValueError(
                    f"Continuous column {name!r} has one distinct non-null value ({non_null.iloc[0]!r}) plus nulls; "
                    "list it in discrete_columns or drop it."
                )
            if kind in ("int", "float") and not np.isfinite(non_null.to_numpy(dtype=np.float64)).all():
                raise ValueError(f"Column {name!r} contains infinite values; replace them (e.g. with NaN) first.")
    return [c for c in df.columns if c in discrete]
