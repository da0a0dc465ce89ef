"""Column kinds (numeric, datetime, discrete) and their float view: the rules every metric and scorer share.

A column is ``discrete`` when it is named in ``discrete_columns`` or its dtype is not
numeric/datetime (object, string, category, bool); ``datetime`` when its dtype is
datetime64; else ``numeric``.
"""
from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from genesis_spark.core.columns import missing_column_error

Kind = Literal["numeric", "datetime", "discrete"]


def check_discrete_names(discrete_columns: list[str] | None, columns) -> set[str]:
    """The named discrete columns as a set; a clear error for a name that is not a column."""
    named = set(discrete_columns or [])
    unknown = sorted(c for c in named if c not in columns)
    if unknown:
        raise missing_column_error(unknown[0], list(columns), "discrete_columns")
    return named


def infer_kinds(df: pd.DataFrame, discrete_columns: list[str] | None = None) -> dict[str, Kind]:
    """Map each column of ``df`` to ``numeric``, ``datetime`` or ``discrete`` (rules in the module docstring)."""
    named = check_discrete_names(discrete_columns, list(df.columns))
    kinds: dict[str, Kind] = {}
    for column in df.columns:
        dtype = df[column].dtype
        if column in named or pd.api.types.is_bool_dtype(dtype):
            kinds[column] = "discrete"
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            kinds[column] = "datetime"
        elif pd.api.types.is_numeric_dtype(dtype):
            kinds[column] = "numeric"
        else:
            kinds[column] = "discrete"
    return kinds


def as_float(series: pd.Series) -> np.ndarray:
    """A numeric or datetime column as float64 (datetime: int64 nanoseconds), NaN for nulls."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        values = series.to_numpy(dtype="datetime64[ns]").astype("int64").astype("float64")
        values[series.isna().to_numpy()] = np.nan
        return values
    if pd.api.types.is_datetime64_any_dtype(pd.Series(series).infer_objects().dtype):
        return as_float(pd.to_datetime(series))
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
