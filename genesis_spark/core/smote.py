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
            out[c] = out[c].astype("object").where(out[c].notna(), NULL_LEVEL)
        else:
            values = pd.to_numeric(out[c], errors="coerce")
            out[c] = values.fillna(values.median())
    return out


NULL_LEVEL = "(null)"


def smote_rows_with_nulls(frame: pd.DataFrame, target_column: str, discrete_columns: Sequence[str],
                          extra: Mapping[Any, int], seed: int) -> pd.DataFrame:
    """``smote_new_rows`` on a frame that may hold nulls: the SMOTE baseline on dirty tables.

    Nulls are filled first (``fill_nulls``: numeric columns take the median, discrete ones a
    level of their own, which new rows may draw and which comes back as null); numeric
    columns that are entirely null stay null. SMOTE interpolates, so it cannot reproduce a
    numeric column's null share: that is a limit of the baseline, not of the data.
    """
    all_null = [c for c in frame.columns if c != target_column and frame[c].isna().all()]
    filled = fill_nulls(frame.drop(columns=all_null), discrete_columns, keep=[target_column])
    new = smote_new_rows(filled, target_column, discrete_columns, extra, seed)
    for c in discrete_columns:
        if c in new.columns and c != target_column:
            new[c] = new[c].where(new[c] != NULL_LEVEL, None)
    for c in all_null:
        new[c] = None
    return new[list(frame.columns)]
