"""Per-row scores for synthetic rows: realism, distance to the closest real row, label plausibility.

Everything here is plain pandas/numpy/scikit-learn so it runs in-process (the pandas
engine) and inside a ``mapInPandas`` task on an executor (the Spark engine) alike, a block
at a time: the label model's trees as lookup tables (:class:`CompiledForest`), the distance
as an exact nearest-row search (:class:`genesis_spark.core.nearest.NearestReal`). The
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
from genesis_spark.core.nearest import NearestReal, OneHotLayout
from genesis_spark.core.settings import fields_from_config

logger = logging.getLogger(__name__)

REALISM = "realism"
DCR = "dcr"
LABEL_PROB = "label_prob"
CLASS_MARGIN = "class_margin"
SCORE_COLUMNS: tuple[str, ...] = (REALISM, DCR, LABEL_PROB, CLASS_MARGIN)


@dataclass(frozen=True)
class ScoreThresholds:
    """Minimum scores a synthetic row needs to be kept (a row passes when score >= minimum).

    The defaults keep most rows: ``min_realism=0.01`` drops only rows the discriminator
    finds plainly fake, ``min_dcr=1e-6`` drops exact copies of a real minority row, and
    ``min_label_prob=0.05`` drops rows the (class-balanced) label model is nearly sure
    belong to the majority class.

    ``select_fraction`` (oversample, then select): of the rows of a block that pass the thresholds,
    keep this share with the highest ``class_margin`` (nearest the real class relative to the other
    classes); 1 keeps them all, None lets the row count decide (``core.minority.build_scorer``).
    """

    min_realism: float = 0.01
    min_dcr: float = 1e-6
    min_label_prob: float = 0.05
    select_fraction: float | None = None

    def __post_init__(self) -> None:
        fraction = self.select_fraction
        if fraction is not None and (isinstance(fraction, bool) or not isinstance(fraction, Real)
                                     or not 0.0 < fraction <= 1.0):
            raise ValueError(f"config['select_fraction'] must be a number in (0, 1] (the share of each block's "
                             f"filtered rows kept, nearest the real class first) or null (by the row count), "
                             f"got {fraction!r}.")
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
        """Read ``min_realism``, ``min_dcr``, ``min_label_prob`` and ``select_fraction`` from a config dict
        (others ignored)."""
        return cls(**{name: float(value) if isinstance(value, Real) and not isinstance(value, bool) else value
                      for name, value in fields_from_config(cls, config).items()})

    @property
    def kept_share(self) -> float:
        """The share of the rows passing the minimums that the selection keeps (1 when it is off)."""
        return 1.0 if self.select_fraction is None else float(self.select_fraction)

    def by_score(self) -> dict[str, float]:
        """The minimum per score column (``select_fraction`` is not a minimum)."""
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


def _bit(bitsets: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Whether each of ``values`` (ints in [0, 256)) is set in a 256-bit ``bitsets`` row (8 x uint32)."""
    return ((bitsets[values // 32] >> (values % 32).astype(np.uint32)) & 1).astype(bool)


@dataclass(frozen=True)
class _FeatureMasks:
    """One feature's share of a :class:`CompiledForest`: ``masks[tree, class]`` are the leaves of the tree
    that every split on this feature leaves reachable for a value of that class (the last class: missing)."""

    index: int  # column of the label model's feature matrix
    values: np.ndarray  # sorted: the split thresholds (numeric) or the categories the model knows
    categorical: bool
    masks: np.ndarray  # (n_trees, classes + 1) uint32 / uint64

    def classes(self, x: np.ndarray) -> np.ndarray:
        """The row of ``masks`` for each row of ``x``: a numeric value's rank among the thresholds; a
        category's position among the known ones (unknown or missing: the missing row)."""
        values = x[:, self.index]
        missing = self.masks.shape[1] - 1
        rank = np.searchsorted(self.values, values, side="left")
        if not self.categorical:
            return np.where(np.isnan(values), missing, rank)
        known = self.values[np.minimum(rank, self.values.size - 1)] == values if self.values.size else rank < 0
        return np.where(known, rank, missing)


@dataclass(frozen=True)
class _JointMasks:
    """Features whose mask tables are AND-ed ahead of time: one lookup by their joint value class
    (row-major over the features' classes) stands for a lookup per feature."""

    features: tuple[_FeatureMasks, ...]
    masks: np.ndarray  # (n_trees, prod of the features' class counts)

    #: Largest joint table, in value classes per tree.
    MAX_CLASSES = 1024

    @classmethod
    def of(cls, features: Sequence[_FeatureMasks]) -> "_JointMasks":
        """The features' masks AND-ed over every combination of their value classes."""
        masks = features[0].masks
        for feature in features[1:]:
            masks = (masks[:, :, None] & feature.masks[:, None, :]).reshape(masks.shape[0], -1)
        return cls(tuple(features), np.ascontiguousarray(masks))

    @staticmethod
    def groups(features: Sequence[_FeatureMasks]) -> list[list[_FeatureMasks]]:
        """The features grouped so that no group has more than ``MAX_CLASSES`` joint classes (first fit,
        largest first): fewer, larger lookups."""
        groups: list[list[_FeatureMasks]] = []
        sizes: list[int] = []
        for feature in sorted(features, key=lambda f: -f.masks.shape[1]):
            width = feature.masks.shape[1]
            at = next((g for g, size in enumerate(sizes) if size * width <= _JointMasks.MAX_CLASSES), None)
            if at is None:
                groups.append([feature])
                sizes.append(width)
            else:
                groups[at].append(feature)
                sizes[at] *= width
        return groups

    def classes(self, x: np.ndarray) -> np.ndarray:
        """The column of ``masks`` for each row of ``x``."""
        joint = self.features[0].classes(x)
        for feature in self.features[1:]:
            joint = joint * feature.masks.shape[1] + feature.classes(x)
        return joint


@dataclass(frozen=True)
class CompiledForest:
    """A fitted binary ``HistGradientBoostingClassifier`` as per-feature leaf-mask tables (QuickScorer's idea).

    All splits of a tree on one feature are decided by the row's value of that feature, so each
    (feature, value class) stores a bit mask per tree of the leaves still reachable; AND-ing a row's
    masks over the features leaves one bit per tree: its leaf. Features with few value classes share
    one table (their masks AND-ed ahead for every combination), so a block costs a few table lookups
    instead of a tree walk per row and tree. Leaf values are summed in tree order from the
    baseline in float64 and mapped by the model's own loss, as scikit-learn does, so the probabilities
    are the model's bit for bit (:meth:`LabelModel.fit` checks that on its sample).
    """

    features: tuple[_FeatureMasks, ...]
    full: np.ndarray  # (n_trees,) every leaf of each tree, as bits
    leaf_values: np.ndarray  # (n_trees * width,) float64: tree t's leaf k at t * width + k
    width: int
    baseline: float
    loss: Any  # the model's loss object: raw prediction -> class probabilities
    joint: tuple[_JointMasks, ...] = field(repr=False)  # ``features`` grouped: what ``raw`` looks up

    @classmethod
    def of(cls, model: Any) -> "CompiledForest | None":
        """``model`` compiled; None when it is not binary or a tree has more than 64 leaves."""
        if any(len(iteration) != 1 for iteration in model._predictors):
            return None
        trees = [iteration[0] for iteration in model._predictors]
        width = max(int(t.nodes["is_leaf"].sum()) for t in trees)
        if width > 64:
            return None
        dtype = np.uint32 if width <= 32 else np.uint64
        leaf_values = np.zeros((len(trees), width), dtype=np.float64)
        full = np.zeros(len(trees), dtype=dtype)
        splits: list[list[tuple[int, int, int, Any]]] = [[] for _ in range(model._bin_mapper.is_categorical_.size)]
        for t, tree in enumerate(trees):
            nodes = tree.nodes
            is_leaf = nodes["is_leaf"].astype(bool)
            leaves = np.flatnonzero(is_leaf)
            leaf_values[t, :leaves.size] = nodes["value"][leaves]
            below = [0] * len(nodes)  # leaves under each node, as bits
            for k, node in enumerate(leaves):
                below[node] = 1 << k
            for node in range(len(nodes) - 1, -1, -1):  # a node's children come after it
                if not is_leaf[node]:
                    below[node] = below[int(nodes["left"][node])] | below[int(nodes["right"][node])]
            full[t] = below[0]
            for node in np.flatnonzero(~is_leaf):
                splits[int(nodes["feature_idx"][node])].append(
                    (t, below[int(nodes["left"][node])], below[int(nodes["right"][node])], nodes[node]))
        tables = [cls._feature(f, entries, trees, model, full, dtype)
                  for f, entries in enumerate(splits) if entries]
        return cls(tuple(tables), full, leaf_values.reshape(-1), width,
                   float(np.ravel(model._baseline_prediction)[0]), model._loss,
                   tuple(_JointMasks.of(group) for group in _JointMasks.groups(tables)))

    @staticmethod
    def _feature(f: int, entries: list, trees: list, model: Any, full: np.ndarray, dtype: type) -> _FeatureMasks:
        """The masks of the trees' feature ``f`` (a column after the model's own preprocessing: with
        categorical features, an ordinal encoding of them first, then the numeric ones)."""
        categorical = bool(model._bin_mapper.is_categorical_[f])
        column = f  # without categorical features there is no preprocessing
        if model._preprocessor is not None:  # its ColumnTransformer puts the categorical input columns first
            inputs = np.asarray(model.is_categorical_, dtype=bool)
            column = int(np.concatenate([np.flatnonzero(inputs), np.flatnonzero(~inputs)])[f])
        if categorical:  # ordinal-encoded: a category's code is its position among the fitted ones
            known, f_idx_map = model._bin_mapper.make_known_categories_bitsets()
            raw = np.asarray(model._preprocessor.named_transformers_["encoder"].categories_[f], dtype=np.float64)
            values = raw[~np.isnan(raw)]
            codes = np.arange(values.size)
        else:
            values = np.unique([float(e[3]["num_threshold"]) for e in entries])
            codes = np.arange(values.size + 1)
        masks = np.tile(full[:, None], (1, codes.size + 1))
        for t, left, right, node in entries:
            missing_left = bool(node["missing_go_to_left"])
            if categorical:  # scikit-learn: in the left set -> left; other known -> right; unknown: missing
                goes_left = np.where(_bit(trees[t].raw_left_cat_bitsets[int(node["bitset_idx"])], codes), True,
                                     np.where(_bit(known[f_idx_map[f]], codes), False, missing_left))
            else:  # value <= threshold: a value whose rank (thresholds below it) is at most the threshold's
                goes_left = codes <= int(np.searchsorted(values, float(node["num_threshold"])))
            keep_left, keep_right = dtype(int(full[t]) & ~right), dtype(int(full[t]) & ~left)
            masks[t] &= np.where(np.append(goes_left, missing_left), keep_left, keep_right)
        return _FeatureMasks(column, values, categorical, masks)

    def raw(self, x: np.ndarray) -> np.ndarray:
        """The model's raw prediction (log-odds) per row of the float64 feature matrix ``x``."""
        n, n_trees = x.shape[0], self.full.size
        leaves = np.broadcast_to(self.full[:, None], (n_trees, n)).copy() if not self.joint else None
        for group in self.joint:  # (trees, rows): one tree's leaves of all rows contiguous
            masks = np.take(group.masks, group.classes(x), axis=1)
            leaves = masks if leaves is None else np.bitwise_and(leaves, masks, out=leaves)
        # One bit left per tree and row: its position is the exponent of the bit as a float.
        if leaves.dtype == np.uint32:
            position = (leaves.astype(np.float32).view(np.int32) >> 23).astype(np.int64) - 127
        else:
            position = (leaves.astype(np.float64).view(np.int64) >> 52) - 1023
        position += (np.arange(n_trees) * self.width)[:, None]
        values = np.take(self.leaf_values, position)
        raw = np.full(n, self.baseline)
        for tree_values in values:  # baseline + tree 1 + tree 2 ..., in scikit-learn's order
            raw += tree_values
        return raw

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """``predict_proba`` of the model: (n, 2)."""
        return self.loss.predict_proba(self.raw(x))


@dataclass(frozen=True)
class LabelModel:
    """P(minority class) from a classifier fitted on a bounded sample of the real training split."""

    features: tuple[str, ...]
    discrete: tuple[DiscreteColumn, ...]
    model: Any  # a fitted sklearn HistGradientBoostingClassifier
    minority_index: int  # column of predict_proba that is the minority class
    forest: CompiledForest | None = field(default=None, repr=False)  # ``model`` compiled, when it matches

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
        return cls(tuple(features), tuple(discrete), model, minority_index, _compile(model, x))

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
        model = self.forest if self.forest is not None else self.model
        return model.predict_proba(x)[:, self.minority_index]


def _compile(model: Any, sample: np.ndarray) -> CompiledForest | None:
    """``model`` as a :class:`CompiledForest` if it gives the model's own probabilities on ``sample``."""
    try:
        forest = CompiledForest.of(model)
    except (AttributeError, KeyError, TypeError, ValueError) as error:  # scikit-learn internals moved
        logger.warning("label model: could not compile the trees (%s); using predict_proba", error)
        return None
    if forest is not None and not np.array_equal(forest.predict_proba(sample), model.predict_proba(sample)):
        logger.warning("label model: the compiled trees disagree with predict_proba; using predict_proba")
        return None
    return forest


# One search structure per Python worker process and reference set.
_NEAREST: "OrderedDict[str, NearestReal]" = OrderedDict()
_NEAREST_MAX = 2


def _nearest(key: str, reference: np.ndarray, layout: OneHotLayout) -> NearestReal:
    cache_key = f"{key}:{layout}"
    index = _NEAREST.get(cache_key)
    if index is None:
        index = _NEAREST[cache_key] = NearestReal.of(reference, layout=layout)
        while len(_NEAREST) > _NEAREST_MAX:
            _NEAREST.popitem(last=False)
    return index


def _array_key(array: np.ndarray) -> str:
    """A content key for an executor-side cache of the nearest-row search over ``array``."""
    return hashlib.sha256(array.tobytes() + str(array.shape).encode()).hexdigest()


@dataclass(frozen=True)
class RowScorer:
    """Scores synthetic rows and decides which to keep; built on the driver, used on executors.

    Example::

        scorer = RowScorer.build(minority_rows, label_sample, "is_fraud", 1, ["merchant_category"], seed=7)
        scores = scorer.score(block, generator)          # realism, dcr, label_prob, class_margin
        keep = scorer.accept(scores)                      # bool per row
    """

    thresholds: ScoreThresholds
    encoder: MixedTypeEncoder
    reference: np.ndarray = field(repr=False)  # encoded real minority training rows
    reference_key: str = ""
    label_model: LabelModel | None = field(default=None, repr=False)
    others: np.ndarray | None = field(default=None, repr=False)  # encoded rows of the other classes
    others_key: str = ""

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
        label_model, others, others_key = None, None, ""
        if label_sample is not None:
            label_model = LabelModel.fit(label_sample, target_column, minority_label, discrete_columns, seed)
            other_rows = label_sample.loc[(label_sample[target_column] != minority_label).to_numpy(),
                                          list(minority_rows.columns)]
            if len(other_rows):
                others = np.ascontiguousarray(encoder.transform(other_rows), dtype=np.float32)
                others_key = _array_key(others)
        return cls(thresholds or ScoreThresholds(), encoder, reference, _array_key(reference), label_model,
                   others, others_key)

    def score(self, rows: pd.DataFrame, generator: Any | None = None) -> pd.DataFrame:
        """Scores of ``rows``: ``realism`` (the generator's discriminator; 1 without a generator),
        ``dcr`` (distance to the closest real minority row), ``label_prob`` and ``class_margin``
        (``d_other / (dcr + d_other)``, ``d_other`` the distance to the closest row of the other
        classes in the label sample; 1 without one)."""
        n = len(rows)
        if generator is not None and hasattr(generator, "realism_score"):
            realism = np.asarray(generator.realism_score(rows), dtype="float64").reshape(n)
        else:
            realism = np.ones(n)
        layout = self.encoder.one_hot_layout()
        if n:
            encoded = self.encoder.transform(rows[[c for c in rows.columns if c in self._encoded_columns]])
            dcr = _nearest(self.reference_key, self.reference, layout).distances(encoded)
        else:
            encoded, dcr = None, np.zeros(0)
        margin = np.ones(n)
        if self.others is not None and n:
            other = _nearest(self.others_key, self.others, layout).distances(encoded)
            total = dcr + other
            margin = np.divide(other, total, out=np.full(n, 0.5), where=total > 0)
        label_prob = self.label_model.predict(rows) if (self.label_model is not None and n) else np.ones(n)
        return pd.DataFrame({REALISM: realism, DCR: dcr, LABEL_PROB: np.asarray(label_prob, dtype="float64"),
                             CLASS_MARGIN: margin}, index=rows.index)

    @property
    def _encoded_columns(self) -> set[str]:
        return set(self.encoder.numeric_columns) | set(self.encoder.discrete_columns)

    def accept(self, scores: pd.DataFrame) -> np.ndarray:
        """True where every score reaches its threshold and, with ``select_fraction`` below 1, the row is
        among that share of the passing rows with the highest ``class_margin`` (ties: the earlier row).

        ``scores`` is one sampling block: the selection is per block, so the kept rows never depend
        on how blocks are grouped into rounds, partitions or engines.
        """
        keep = np.ones(len(scores), dtype=bool)
        for column, minimum in self.thresholds.by_score().items():
            keep &= scores[column].to_numpy() >= minimum
        fraction = self.thresholds.select_fraction
        if fraction is not None and fraction < 1.0 and self.others is not None:
            passing = np.flatnonzero(keep)
            order = passing[np.argsort(-scores[CLASS_MARGIN].to_numpy()[passing], kind="stable")]
            keep[order[math.ceil(fraction * len(passing) - 1e-9):]] = False
        return keep
