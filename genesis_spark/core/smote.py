"""The SMOTE baseline both engines and the model comparison use: SMOTE, SMOTENC or SMOTEN by column kinds."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd


def smote_new_rows(frame: pd.DataFrame, target_column: str, discrete_columns: Sequence[str],
                   extra: Mapping[Any, int], seed: int) -> pd.DataFrame:
    """``extra[label]`` new rows per label, interpolated by imbalanced-learn; ``frame``'s columns, target included.

    All-numeric features use SMOTE, mixed ones SMOTENC, all-discrete ones SMOTEN;
    ``k_neighbors`` is at most 5 and below the smallest oversampled class. ``frame`` must
    hold no nulls (``fill_nulls`` makes it so).

    Example::

        new = smote_new_rows(train, "is_fraud", ["merchant_category"], {1: 500}, seed=0)
    """
    from imblearn.over_sampling import SMOTE, SMOTEN, SMOTENC

    counts = frame[target_column].value_counts()
    strategy = {label: int(counts.get(label, 0) + n) for label, n in extra.items() if n > 0}
    if not strategy:
        return frame.iloc[0:0]
    smallest = min(int(counts.get(label, 0)) for label in strategy)
    if smallest < 2:
        raise ValueError(f"SMOTE needs at least 2 real rows of each class it oversamples; class counts of "
                         f"{target_column!r} are {counts.to_dict()}.")
    x = frame.drop(columns=target_column)
    categorical = [c for c in x.columns if c in set(discrete_columns)]
    k = min(5, smallest - 1)
    if categorical and len(categorical) == x.shape[1]:
        sampler = SMOTEN(sampling_strategy=strategy, k_neighbors=k, random_state=seed)
    elif categorical:
        sampler = SMOTENC(categorical_features=[x.columns.get_loc(c) for c in categorical],
                          sampling_strategy=strategy, k_neighbors=k, random_state=seed)
    else:
        sampler = SMOTE(sampling_strategy=strategy, k_neighbors=k, random_state=seed)
    x_res, y_res = sampler.fit_resample(x, frame[target_column])
    new = pd.DataFrame(x_res, columns=x.columns).iloc[len(x):].reset_index(drop=True)
    new[target_column] = np.asarray(y_res)[len(x):]
    return new[list(frame.columns)]


def fill_nulls(frame: pd.DataFrame, discrete_columns: Sequence[str], keep: Sequence[str] = ()) -> pd.DataFrame:
    """A copy without nulls, for SMOTE: numeric columns take their median, discrete ones the level ``(null)``."""
    out = frame.copy()
    discrete = set(discrete_columns)
    for c in out.columns:
        if c in keep:
            continue
        if c in discrete:
            levels = out[c].astype("object")
            if _text_levels(out[c]):  # the encoders need one kind of value: True/False/3 as text
                levels = levels.astype(str)
            out[c] = levels.where(out[c].notna(), NULL_LEVEL)
        else:
            values = pd.to_numeric(out[c], errors="coerce").astype("float64")  # Int64 takes a fractional median
            out[c] = values.fillna(values.median())
    return out


NULL_LEVEL = "(null)"


def _text_levels(s: pd.Series) -> bool:
    """Whether a discrete column with nulls holds non-text levels (booleans, numbers) the null level would mix with."""
    return bool(s.isna().any()) and pd.api.types.infer_dtype(s, skipna=True) not in ("string", "empty")


def smote_rows_with_nulls(frame: pd.DataFrame, target_column: str, discrete_columns: Sequence[str],
                          extra: Mapping[Any, int], seed: int) -> pd.DataFrame:
    """``smote_new_rows`` on a frame that may hold nulls: the SMOTE baseline on dirty tables.

    Date and datetime columns are interpolated as days since 1970 and come back as dates
    (``datetime.date`` objects, as read from CSV or Spark's ``DateType``) or datetimes of their
    own time zone. Nulls are filled first (``fill_nulls``: numeric columns take the median,
    discrete ones a level of their own, which new rows may draw and which comes back as null); numeric
    columns that are entirely null stay null. SMOTE interpolates, so it cannot reproduce a
    numeric column's null share: that is a limit of the baseline, not of the data.
    """
    all_null = [c for c in frame.columns if c != target_column and frame[c].isna().all()]
    dates = [c for c in frame.columns if c not in (target_column, *discrete_columns, *all_null)
             and _is_dates(frame[c])]
    numbered = frame.drop(columns=all_null)
    for c in dates:
        numbered[c] = _days(frame[c])
    filled = fill_nulls(numbered, discrete_columns, keep=[target_column])
    new = smote_new_rows(filled, target_column, discrete_columns, extra, seed)
    for c in dates:
        new[c] = _from_days(new[c], frame[c])
    for c in discrete_columns:
        if c in new.columns and c != target_column:
            new[c] = new[c].where(new[c] != NULL_LEVEL, None)
            if _text_levels(frame[c]):  # back from text to the column's own values
                new[c] = new[c].map({str(v): v for v in frame[c].dropna().unique()})
    for c in all_null:
        new[c] = None
    return new[list(frame.columns)]


_EPOCH = pd.Timestamp("1970-01-01")


def _is_dates(s: pd.Series) -> bool:
    """datetime64 columns (naive or tz-aware) and object columns of ``datetime.date``/``datetime`` values."""
    if pd.api.types.is_datetime64_any_dtype(s):
        return True
    return pd.api.types.is_object_dtype(s) and pd.api.types.infer_dtype(s, skipna=True) in ("date", "datetime")


def _naive_utc(s: pd.Series) -> pd.Series:
    stamps = pd.to_datetime(s, utc=isinstance(s.dtype, pd.DatetimeTZDtype))
    return stamps.dt.tz_convert(None) if stamps.dt.tz is not None else stamps


def _days(s: pd.Series) -> pd.Series:
    """Days since 1970 as float64 (NaN where missing)."""
    return (_naive_utc(s) - _EPOCH) / pd.Timedelta(days=1)


def _from_days(days: pd.Series, like: pd.Series) -> pd.Series:
    """Days since 1970 back to ``like``'s kind: whole dates for date objects, datetimes (to the microsecond) else."""
    values = pd.to_numeric(days, errors="coerce").astype("float64")
    if pd.api.types.is_object_dtype(like) and pd.api.types.infer_dtype(like, skipna=True) == "date":
        dates = (_EPOCH + pd.to_timedelta(np.rint(values), unit="D")).dt.date
        return dates.astype(object).where(values.notna(), None)
    stamps = (_EPOCH + pd.to_timedelta(values, unit="D")).dt.round("us")
    tz = getattr(like.dtype, "tz", None)
    return stamps.dt.tz_localize("UTC").dt.tz_convert(tz) if tz is not None else stamps
