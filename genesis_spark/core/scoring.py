"""Per-row scores for synthetic rows: realism, distance to the closest real row, label plausibility.

Everything here is plain pandas/numpy/scikit-learn so it runs in-process (the pandas
engine) and inside a ``mapInPandas`` task on an executor (the Spark engine) alike. The
driver builds one :class:`RowScorer` from small, bounded samples (the real minority
training rows and a seeded sample of the other classes); on Spark, closure serialisation
ships it to the executors with the sampling function. That is cloudpickle of plain numpy
arrays and a fitted scikit-learn model; it is not the generator artifact, which travels
as its own bytes (see ``genesis_spark.spark.sampling``).
"""
from __future__ import annotations

import hashlib
import logging
import math
from collections import OrderedDict
from dataclasses import dataclass, field
from numbers import Real
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

# Euclidean distance on this encoding is the mixed-type distance (numeric scaled by the real
# range, a discrete mismatch counts 1), so ``dcr`` here and the privacy audit's DCR are the same.
from genesis_spark.core.encoding import MixedTypeEncoder
from genesis_spark.core.settings import fields_from_config

logger = logging.getLogger(__name__)

REALISM = "realism"
DCR = "dcr"
LABEL_PROB = "label_prob"
SCORE_COLUMNS: tuple[str, ...] = (REALISM, DCR, LABEL_PROB)


@dataclass(frozen=True)
class ScoreThresholds:
    """Minimum scores a synthetic row needs to be kept (a row passes when score >= minimum).

    The defaults keep most rows: ``min_realism=0.01`` drops only rows the discriminator
    finds plainly fake, ``min_dcr=1e-6`` drops exact copies of a real minority row, and
    ``min_label_prob=0.05`` drops rows the (class-balanced) label model is nearly sure
    belong to the majority class.
    """

    min_realism: float = 0.01
    min_dcr: float = 1e-6
    min_label_prob: float = 0.05

    def __post_init__(self) -> None:
        for name in ("min_realism", "min_label_prob", "min_dcr"):
            value = getattr(self, name)
            unit = name != "min_dcr"
            if isinstance(value, bool) or not isinstance(value, Real) or not (
                    0.0 <= value <= 1.0 if unit else 0.0 <= value < math.inf):
                accepted = ("in [0, 1] (it is a probability-like score)" if unit
                            else ">= 0 (it is a distance)")
                raise ValueError(f"config[{name!r}] must be a number {accepted}, got {value!r}.")

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> "ScoreThresholds":
        """Read ``min_realism``, ``min_dcr`` and ``min_label_prob`` from a config dict (others ignored)."""
        return cls(**{name: float(value) if isinstance(value, Real) and not isinstance(value, bool) else value
                      for name, value in fields_from_config(cls, config).items()})

    def by_score(self) -> dict[str, float]:
        """The minimum per score column."""
        return {REALISM: self.min_realism, DCR: self.min_dcr, LABEL_PROB: self.min_label_prob}


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _discrete_keys(series: pd.Series, numeric_categories: bool) -> pd.Series:
    """Comparable keys for a discrete column: floats when the real column is numeric, else strings."""
    if numeric_categories:
        return pd.to_numeric(series, errors="coerce").astype("float64")
    return series.astype("string").fillna("<null>").astype(object)


@dataclass(frozen=True)
class DiscreteColumn:
    """A discrete column: its real categories, compared as floats (numeric columns) or strings."""

    name: str
    categories: tuple
    numeric: bool

    def codes(self, series: pd.Series) -> np.ndarray:
        """Category index per value; -1 for a value the real data never had (or a null)."""
        keys = _discrete_keys(series, self.numeric)
        return pd.Categorical(keys, categories=list(self.categories)).codes.astype(np.int64)


@dataclass(frozen=True)
class LabelModel:
    """P(minority class) from a classifier fitted on a bounded sample of the real training split."""

    features: tuple[str, ...]
    discrete: tuple[DiscreteColumn, ...]
    model: Any  # a fitted sklearn HistGradientBoostingClassifier
    minority_index: int  # column of predict_proba that is the minority class

    @classmethod
    def fit(cls, sample: pd.DataFrame, target_column: str, minority_label: Any,
            discrete_columns: Sequence[str], seed: int) -> "LabelModel":
        """Fit a class-balanced gradient-boosting classifier on ``sample`` (features + target)."""
        from sklearn.ensemble import HistGradientBoostingClassifier

        # An all-null column tells the classes apart by nothing (and has no bins to fit).
        features = [c for c in sample.columns if c != target_column and sample[c].notna().any()]
        discrete_set = set(discrete_columns)
        discrete = []
        for name in features:
            if name in discrete_set or not _is_numeric(sample[name]):
                is_num = _is_numeric(sample[name])
                keys = _discrete_keys(sample[name], is_num)
                categories = pd.unique(keys.dropna()) if is_num else pd.unique(keys)
                discrete.append(DiscreteColumn(name, tuple(sorted(categories, key=str)), is_num))
        encoder = cls(tuple(features), tuple(discrete), None, 0)
        x, categorical = encoder._matrix(sample)
        y = (sample[target_column] == minority_label).to_numpy()
        if y.all() or not y.any():
            raise ValueError(f"The label model needs both classes in its sample of '{target_column}'; "
                             f"got only {'minority' if y.all() else 'majority'} rows.")
        model = HistGradientBoostingClassifier(
            max_iter=100, learning_rate=0.1, class_weight="balanced", early_stopping=False,
            categorical_features=categorical, random_state=seed)
        model.fit(x, y)
        minority_index = int(np.flatnonzero(model.classes_ == True)[0])  # noqa: E712 (numpy bools)
        return cls(tuple(features), tuple(discrete), model, minority_index)

    def _matrix(self, df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        by_name = {d.name: d for d in self.discrete}
        columns, categorical = [], []
        for name in self.features:
            if name in by_name:
                codes = by_name[name].codes(df[name]).astype("float64")
                codes[codes < 0] = np.nan  # unseen category: treated as missing
                columns.append(codes)
                categorical.append(len(by_name[name].categories) <= 250)  # HGB's categorical limit
            else:
                columns.append(pd.to_numeric(df[name], errors="coerce").to_numpy(dtype="float64"))
                categorical.append(False)
        return np.column_stack(columns), np.asarray(categorical)

    def predict(self, df: pd.DataFrame) -> np.ndarray:
        """P(minority) per row of ``df``."""
        x, _ = self._matrix(df)
        return self.model.predict_proba(x)[:, self.minority_index]


# One NearestNeighbors index per Python worker process and reference set.
_NEIGHBOURS: "OrderedDict[str, Any]" = OrderedDict()
_NEIGHBOURS_MAX = 2


def _neighbours(key: str, reference: np.ndarray):
    index = _NEIGHBOURS.get(key)
    if index is None:
        from sklearn.neighbors import NearestNeighbors

        index = NearestNeighbors(n_neighbors=1).fit(reference)
        _NEIGHBOURS[key] = index
        while len(_NEIGHBOURS) > _NEIGHBOURS_MAX:
            _NEIGHBOURS.popitem(last=False)
    return index


@dataclass(frozen=True)
class RowScorer:
    """Scores synthetic rows and decides which to keep; built on the driver, used on executors.

    Example::

        scorer = RowScorer.build(minority_rows, label_sample, "is_fraud", 1, ["merchant_category"], seed=7)
        scores = scorer.score(block, generator)          # columns realism, dcr, label_prob
        keep = scorer.accept(scores)                      # bool per row
    """

    thresholds: ScoreThresholds
    encoder: MixedTypeEncoder
    reference: np.ndarray = field(repr=False)  # encoded real minority training rows
    reference_key: str = ""
    label_model: LabelModel | None = field(default=None, repr=False)

    @classmethod
    def build(cls, minority_rows: pd.DataFrame, label_sample: pd.DataFrame | None, target_column: str,
              minority_label: Any, discrete_columns: Sequence[str], seed: int,
              thresholds: ScoreThresholds | None = None) -> "RowScorer":
        """Fit the distance encoder on ``minority_rows`` (features only) and the label model on
        ``label_sample`` (features + target; ``None`` skips it and ``label_prob`` is 1)."""
        if len(minority_rows) == 0:
            raise ValueError("RowScorer needs at least one real minority row to measure distances to.")
        encoder = MixedTypeEncoder.fit(minority_rows, [c for c in discrete_columns if c in minority_rows.columns])
        reference = np.ascontiguousarray(encoder.transform(minority_rows), dtype=np.float32)
        key = hashlib.sha256(reference.tobytes() + str(reference.shape).encode()).hexdigest()
        label_model = None
        if label_sample is not None:
            label_model = LabelModel.fit(label_sample, target_column, minority_label, discrete_columns, seed)
        return cls(thresholds or ScoreThresholds(), encoder, reference, key, label_model)

    def score(self, rows: pd.DataFrame, generator: Any | None = None) -> pd.DataFrame:
        """Scores of ``rows``: ``realism`` (the generator's discriminator; 1 without a generator),
        ``dcr`` (distance to the closest real minority row) and ``label_prob``."""
        n = len(rows)
        if generator is not None and hasattr(generator, "realism_score"):
            realism = np.asarray(generator.realism_score(rows), dtype="float64").reshape(n)
        else:
            realism = np.ones(n)
        if n:
            encoded = self.encoder.transform(rows[[c for c in rows.columns if c in self._encoded_columns]])
            distances, _ = _neighbours(self.reference_key, self.reference).kneighbors(encoded)
            dcr = distances[:, 0]
        else:
            dcr = np.zeros(0)
        label_prob = self.label_model.predict(rows) if (self.label_model is not None and n) else np.ones(n)
        return pd.DataFrame({REALISM: realism, DCR: dcr, LABEL_PROB: np.asarray(label_prob, dtype="float64")},
                            index=rows.index)

    @property
    def _encoded_columns(self) -> set[str]:
        return set(self.encoder.numeric_columns) | set(self.encoder.discrete_columns)

    def accept(self, scores: pd.DataFrame) -> np.ndarray:
        """True where every score reaches its threshold."""
        keep = np.ones(len(scores), dtype=bool)
        for column, minimum in self.thresholds.by_score().items():
            keep &= scores[column].to_numpy() >= minimum
        return keep
