"""CTGANOverSampler: CTGAN augmentation as an imbalanced-learn sampler (``fit_resample``, pipelines, CV).

The rows come from the pandas engine's own per-class path (``genesis_spark.augment``): one
``SyntheticGenerator`` fitted on each raised class's rows, its blocks drawn, scored and filtered
exactly as ``augment_imbalanced`` does, so the same seed and counts give the same synthetic rows.
"""
from __future__ import annotations

import logging
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse import issparse as sparse_matrix
from imblearn.over_sampling.base import BaseOverSampler
from imblearn.utils import check_target_type
from sklearn.utils import check_array, check_random_state
from sklearn_compat.utils.validation import validate_data

from genesis_spark.augment import oversample_ctgan, id_like_columns, infer_discrete_columns
from genesis_spark.core.plan import (AugmentPlan, check_augment_config, check_discrete_columns, check_rows_to_fit,
                                     split_config)

logger = logging.getLogger(__name__)

#: Name of the target column while X and y travel together through the pandas engine.
_TARGET = "__genesis_target__"


class CTGANOverSampler(BaseOverSampler):
    """Over-sample the minority class(es) with CTGAN rows: an imbalanced-learn sampler.

    ``sampling_strategy`` has imbalanced-learn's meaning (as ``SMOTE``): a float is the wanted
    minority/majority ratio after resampling (binary targets only); ``"auto"`` (= ``"not majority"``),
    ``"minority"``, ``"not minority"``, ``"all"`` raise those classes to the majority's count; a dict
    ``{class: rows wanted after resampling}`` or a callable ``y -> dict`` sets the counts.

    One ``SyntheticGenerator`` is fitted per raised class on that class's rows, and its rows are
    scored and filtered as by ``augment_imbalanced`` (``config`` takes the same keys: generator
    settings such as ``epochs`` and the sampling/scoring ones such as ``min_realism`` or
    ``score``). Text, category and bool columns are discrete, plus those in ``discrete_columns``;
    identifier-like text columns get fresh ``syn-...`` values. ``random_state``: an int is the seed
    (``random_state=s`` gives the rows of ``augment_imbalanced(..., seed=s)`` for the same counts), a
    ``RandomState`` draws a seed, None draws one from numpy's global state (as imbalanced-learn's
    samplers): pass an int for reproducible rows.

    A DataFrame X and Series y come back as a DataFrame (X's columns and dtypes, fresh RangeIndex,
    the real rows first) and a Series; arrays and lists come back as arrays and lists.
    Learned: ``sampling_strategy_`` (rows added per class), ``generators_`` (class -> fitted
    generator), ``sampling_reports_`` (class -> acceptance report), ``n_features_in_``.

    Example::

        from imblearn.pipeline import Pipeline
        model = Pipeline([("oversample", CTGANOverSampler(0.5, config={"epochs": 100}, random_state=0)),
                          ("encode", ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"),
                                                         ["merchant_category"])], remainder="passthrough")),
                          ("classify", LogisticRegression(max_iter=1000))])
        cross_val_score(model, X, y, scoring="average_precision", cv=3)
    """

    _parameter_constraints: dict = {
        **BaseOverSampler._parameter_constraints,
        "discrete_columns": ["array-like", None],
        "config": [Mapping, None],
    }

    def __init__(self, sampling_strategy: float | str | dict | Any = "auto", *,
                 discrete_columns: Sequence[str] | None = None, config: Mapping[str, Any] | None = None,
                 random_state: int | np.random.RandomState | None = None) -> None:
        super().__init__(sampling_strategy=sampling_strategy)
        self.discrete_columns = discrete_columns
        self.config = config
        self.random_state = random_state

    def _check_X_y(self, X, y, accept_sparse=None):
        """Keep a DataFrame's columns and dtypes (text included); arrays may hold text and NaN, not be sparse."""
        y, binarize_y = check_target_type(y, indicate_one_vs_all=True)
        if isinstance(X, pd.DataFrame):
            sparse = [c for c in X.columns if isinstance(X[c].dtype, pd.SparseDtype)]
            if sparse:
                X = X.astype({c: X[c].dtype.subtype for c in sparse})
        elif sparse_matrix(X):
            raise TypeError("CTGANOverSampler models table columns and takes dense X (a DataFrame or an array), got "
                            "a sparse matrix: put it before the OneHotEncoder/ColumnTransformer in the pipeline.")
        else:
            X = check_array(X, accept_sparse=False, dtype=None, ensure_all_finite=False)
        validate_data(self, X=X, y=y, reset=True, skip_check_array=True)
        return X, np.asarray(y), binarize_y

    def _fit_resample(self, X, y):
        frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
        columns = [str(c) for c in frame.columns]
        frame = frame.set_axis(columns, axis=1).reset_index(drop=True)
        _, sampling_config = split_config(self.config)
        check_augment_config(self.config)
        if sampling_config.get("identifier_columns") == "drop":
            raise ValueError("config['identifier_columns']='drop' would change X's columns; CTGANOverSampler keeps "
                             "them: use 'fresh' (the default) or drop the columns before the sampler.")
        declared = check_discrete_columns(columns, self.discrete_columns, _TARGET)
        seed = self._seed()
        add = {_python(label): int(n) for label, n in self.sampling_strategy_.items() if n > 0}
        labels = np.unique(y)
        self.generators_, self.sampling_reports_ = {}, {}
        if not add:
            logger.info("no class to over-sample (%s): X and y returned unchanged", self.sampling_strategy)
            return (frame.set_axis(X.columns, axis=1) if isinstance(X, pd.DataFrame) else X), y
        counts = {_python(label): int(np.sum(y == label)) for label in labels}
        plan = AugmentPlan(_TARGET, float("nan"), "oversample", counts, add=add)
        check_rows_to_fit(plan)
        df = frame.assign(**{_TARGET: y})
        excluded = id_like_columns(df, declared, _TARGET)
        discrete = [c for c in infer_discrete_columns(df, declared, _TARGET) if c not in excluded]
        parts, self.generators_, _, self.sampling_reports_, _ = oversample_ctgan(
            df, plan, discrete, excluded, self.config, seed)
        synthetic = pd.concat([part[columns] for part in parts], ignore_index=True)
        X_res = pd.concat([frame, synthetic], ignore_index=True)
        y_new = np.concatenate([np.full(len(part), label, dtype=y.dtype) for part, label in zip(parts, add)])
        y_res = np.concatenate([y, y_new])
        if not isinstance(X, pd.DataFrame):
            X_res = X_res.to_numpy(dtype=X.dtype if X.dtype != object else None)
        else:
            X_res.columns = X.columns
        return X_res, y_res

    def _seed(self) -> int:
        if isinstance(self.random_state, numbers.Integral) and not isinstance(self.random_state, bool):
            return int(self.random_state)
        return int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.string = True
        tags.input_tags.allow_nan = True
        tags.input_tags.dataframe = True
        tags.input_tags.categorical = True
        return tags


def _python(value: Any) -> Any:
    """A numpy scalar label as the Python scalar (the pandas engine's class keys)."""
    return value.item() if isinstance(value, np.generic) else value
