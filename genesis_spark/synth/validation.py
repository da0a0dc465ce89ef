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
#: A discrete float column with more distinct values than this gets a warning that names it.
MANY_FLOAT_LEVELS = 1_000


def constant_columns(df: pd.DataFrame) -> dict[str, Any]:
    """Columns with one value (or only nulls) in every row, and that value (None: all null)."""
    out = {}
    for name in df.columns:
        series = df[name]
        if series.nunique(dropna=False) < 2:
            non_null = series.dropna()
            out[name] = non_null.iloc[0] if len(non_null) else None
    return out


def validate_training_frame(df: Any, discrete_columns: Sequence[str] | None) -> list[str]:
    """Check ``df`` and ``discrete_columns``; returns the discrete columns, inferred ones added.

    Raises TypeError/ValueError for: a non-DataFrame, an empty frame, non-string or duplicate
    column names, unknown names in ``discrete_columns``, unsupported dtypes and infinite
    values. Constant and all-null columns are not checked here: the generator reproduces
    them as constants (``constant_columns``). String, object, bool and category columns not
    listed in ``discrete_columns``, and continuous columns with one distinct value besides
    nulls, are treated as discrete (logged at INFO).
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
        if series.nunique(dropna=False) < 2:
            continue  # constant or all null: reproduced as a constant, nothing to learn
        if name not in discrete and kind in _ALWAYS_DISCRETE:
            logger.info("column %r has dtype %s: treating it as discrete", name, series.dtype)
            discrete.append(name)
        if name not in discrete:
            if non_null.nunique() < 2:
                logger.info("column %r has one distinct value besides nulls: treating it as discrete", name)
                discrete.append(name)
                continue
            if kind in ("int", "float") and not np.isfinite(non_null.to_numpy(dtype=np.float64)).all():
                raise ValueError(f"Column {name!r} contains infinite values; replace them (e.g. with NaN) first.")
    for name in discrete:
        series = df[name]
        if pd.api.types.is_float_dtype(series) and series.nunique() > MANY_FLOAT_LEVELS:
            logger.warning("discrete column %r holds %d distinct float values: modelled as categories (the "
                           "rarer ones folded into an 'other' state, see max_categories), which is rarely meant; "
                           "leave it out of discrete_columns to model it as a number", name, series.nunique())
    return [c for c in df.columns if c in discrete]
