"""Reversible, vectorized encoding of a table into the matrix CTGAN trains on."""
from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any, Sequence

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from genesis_spark.synth.folding import DEFAULT_MAX_CATEGORIES, DEFAULT_MIN_COUNT, OTHER, draw_tail, fold_levels
from genesis_spark.synth.mixture import fit_mixture_1d
from genesis_spark.synth.spans import ContinuousColumn, DiscreteColumn, Span, ValueKind

logger = logging.getLogger(__name__)

STD_MULTIPLIER = 4.0
# A bound is a point mass (modelled as a state of its own) when at least this share of a column's
# non-null real rows sit exactly on it.
POINT_MASS_MIN_SHARE = 0.01
Column = ContinuousColumn | DiscreteColumn


def value_kind(series: pd.Series) -> ValueKind:
    """Classify a column's dtype into the kinds the transformer knows how to restore."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return "category"
    if ptypes.is_bool_dtype(dtype):
        return "bool"
    if ptypes.is_datetime64_any_dtype(dtype):
        return "datetime"
    if ptypes.is_integer_dtype(dtype):
        return "int"
    if ptypes.is_float_dtype(dtype):
        return "float"
    if isinstance(dtype, pd.StringDtype):
        return "string"
    if ptypes.is_object_dtype(dtype):
        return "object"
    raise TypeError(
        f"Column {series.name!r} has dtype {dtype}, which the synthesizer does not support. "
        "Supported: numeric, bool, datetime64, category, string and object columns; "
        "convert the column (e.g. timedelta to seconds) or drop it."
    )


def _json_value(value: Any) -> Any:
    """A category value as a JSON-able Python scalar (nulls become ``None``)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _skewness(x: np.ndarray) -> float:
    """Sample skewness (third standardised moment); 0 for a constant sample."""
    std = x.std()
    return float(np.mean(((x - x.mean()) / std) ** 3)) if std > 0 else 0.0


def _sorted_categories(values: Sequence[Any]) -> list[Any]:
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=lambda v: (type(v).__name__, str(v)))


class DataTransformer:
    """Mode-specific normalisation of continuous columns and one-hot encoding of discrete ones.

    Continuous column -> ``scalar`` span (value normalised by its mixture mode, in [-1, 1]),
    ``mode`` span (one-hot component), and a ``state`` span when the column has nulls or a point
    mass on a bound (at least ``POINT_MASS_MIN_SHARE`` of its rows exactly on its minimum or maximum,
    as a clipped amount has): null and on-the-bound rows are categories the GAN learns like any
    discrete value, and the mixture models the other values only. Decoded values stay in the
    observed range: a draw past a bound is reflected back inside it.
    Discrete column -> ``onehot`` span, a null being a category of its own. A discrete column with more
    than ``max_categories`` distinct values keeps its frequent ones as categories and folds the rest
    into one "other" state, decoded as a draw from the values seen at least ``min_count`` times
    (``genesis_spark.synth.folding``).
    Every step is vectorized over rows; randomness comes from an explicit ``numpy.random.Generator``.
    Each column's mixture is fitted on at most ``max_gmm_rows`` seeded rows (5,000 by default: the
    scikit-learn fit dominates the cost, and 5k rows pin down a 1-D mixture's modes).

    Example::

        t = DataTransformer().fit(df, ["merchant_category"], seed=0)
        m = t.transform(df, np.random.default_rng(0))
        back = t.inverse_transform(m)
    """

    def __init__(self, max_modes: int = 10, weight_threshold: float = 0.005,
                 max_gmm_rows: int = 20_000, clip: bool = True, max_integer_categories: int = 32,
                 log_skew: float | None = 1.0, max_categories: int | None = DEFAULT_MAX_CATEGORIES,
                 min_count: int = DEFAULT_MIN_COUNT):
        self.max_modes = max_modes
        self.weight_threshold = weight_threshold
        self.max_gmm_rows = max_gmm_rows
        self.clip = clip
        self.max_integer_categories = max_integer_categories
        self.log_skew = log_skew
        self.max_categories = max_categories
        self.min_count = min_count
        self.columns_: list[Column] = []
        self.spans_: list[Span] = []

    # ------------------------------------------------------------------ fit
    def fit(self, df: pd.DataFrame, discrete_columns: Sequence[str], seed: int = 0) -> "DataTransformer":
        """Learn column statistics; mixtures are fitted on at most ``max_gmm_rows`` seeded rows per column."""
        seeds = np.random.SeedSequence(seed).spawn(max(len(df.columns), 1))
        discrete = set(discrete_columns)
        for name in df.columns:
            if name not in discrete and value_kind(df[name]) == "int":
                n_values = int(df[name].nunique(dropna=True))
                if n_values <= self.max_integer_categories:
                    logger.info("integer column %r has %d distinct values (<= max_integer_categories=%d): "
                                "encoding it as categories over its exact support", name, n_values,
                                self.max_integer_categories)
                    discrete.add(name)
        self.columns_ = [
            self._fit_discrete(df[name]) if name in discrete
            else self._fit_continuous(df[name], np.random.default_rng(seeds[i]))
            for i, name in enumerate(df.columns)
        ]
        self._build_spans()
        return self

    def _fit_discrete(self, series: pd.Series) -> DiscreteColumn:
        kind = value_kind(series)
        if kind == "datetime":
            raise ValueError(
                f"Column {series.name!r} is a datetime column listed in discrete_columns. "
                "Datetimes are modelled as continuous values: remove it from discrete_columns."
            )
        counts = series.value_counts(dropna=True)
        values = _sorted_categories([_json_value(v) for v in counts.index])
        by_value = {_json_value(v): int(c) for v, c in counts.items()}
        freqs = [by_value[v] for v in values]
        folding = fold_levels(str(series.name), values, freqs, self.max_categories, self.min_count)
        other_code, tail_values, tail_weights = None, (), ()
        if folding is not None:
            values, freqs = [*folding.kept_values, OTHER], [*folding.kept_counts, folding.other_count]
            other_code, tail_values, tail_weights = len(values) - 1, folding.tail_values, folding.tail_weights
        n_null = int(series.isna().sum())
        if n_null:
            values.append(None)
            freqs.append(n_null)
        dtype_categories = None
        if kind == "category":
            dtype_categories = tuple(_json_value(v) for v in series.dtype.categories)
        return DiscreteColumn(str(series.name), str(series.dtype), kind, tuple(values), tuple(freqs),
                              dtype_categories, other_code, tail_values, tail_weights)

    def _fit_continuous(self, series: pd.Series, rng: np.random.Generator) -> ContinuousColumn:
        kind = value_kind(series)
        values, null = self._to_float(series, kind)
        x = values[~null]
        minimum, maximum = float(x.min()), float(x.max())
        shares = [float((x == bound).mean()) for bound in (minimum, maximum)]
        shares = [share if share >= POINT_MASS_MIN_SHARE else 0.0 for share in shares]
        interior = x[((x != minimum) | (shares[0] == 0)) & ((x != maximum) | (shares[1] == 0))]
        if len(np.unique(interior)) >= 2:  # the mixture models what the point masses leave
            x = interior
        if len(x) > self.max_gmm_rows:
            x = x[rng.choice(len(x), self.max_gmm_rows, replace=False)]
        log = False
        if self.log_skew is not None and kind == "float" and x.min() > 0:
            skew = _skewness(x)  # log only where it makes the column clearly more symmetric (lognormal-like)
            log = skew > self.log_skew and abs(_skewness(np.log(x))) < skew / 3
        if log:
            logger.info("column %r is positive and right-skewed: its mixture models log(value)", series.name)
            x = np.log(x)
        center, scale = float(x.mean()), float(x.std()) or 1.0
        mix = fit_mixture_1d((x - center) / scale, max_components=min(self.max_modes, len(x)))
        keep = mix.weights > self.weight_threshold
        if not keep.any():
            keep = mix.weights == mix.weights.max()
        means = mix.means[keep] * scale + center
        stds = mix.stds[keep] * scale
        weights = mix.weights[keep] / mix.weights[keep].sum()
        tz = str(series.dtype.tz) if kind == "datetime" and getattr(series.dtype, "tz", None) else None
        return ContinuousColumn(
            name=str(series.name), dtype=str(series.dtype), value_kind=kind,
            minimum=minimum, maximum=maximum,
            means=tuple(float(v) for v in means), stds=tuple(float(max(v, 1e-12)) for v in stds),
            weights=tuple(float(v) for v in weights), null_rate=float(null.mean()), tz=tz, log=log,
            minimum_share=shares[0], maximum_share=shares[1],
        )

    @staticmethod
    def _to_float(series: pd.Series, kind: ValueKind) -> tuple[np.ndarray, np.ndarray]:
        """Column values as float64 (datetimes as int64 ns) and the null mask."""
        null = series.isna().to_numpy()
        if kind == "datetime":
            s = series
            if getattr(s.dtype, "tz", None) is not None:
                s = s.dt.tz_convert("UTC").dt.tz_localize(None)
            ns = s.to_numpy(dtype="datetime64[ns]").view("int64")
            values = np.where(null, 0, ns).astype(np.float64)
        else:
            values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        return values, null

    def _build_spans(self) -> None:
        spans: list[Span] = []
        start = 0
        for col in self.columns_:
            if isinstance(col, DiscreteColumn):
                parts = [("onehot", col.n_categories)]
            else:
                n_states = len(col.states)
                parts = [("scalar", 1), ("mode", col.n_modes)] + ([("state", n_states)] if n_states > 1 else [])
            for kind, width in parts:
                spans.append(Span(col.name, start, width, kind))
                start += width
        self.spans_ = spans

    # ------------------------------------------------------------ properties
    @property
    def output_dim(self) -> int:
        """Width of the transformed matrix."""
        return self.spans_[-1].end if self.spans_ else 0

    @property
    def column_names(self) -> list[str]:
        """Column names in training order."""
        return [c.name for c in self.columns_]

    @property
    def discrete_spans(self) -> list[Span]:
        """The one-hot spans of discrete columns, in column order (what the condition vector covers)."""
        return [s for s in self.spans_ if s.kind == "onehot"]

    @property
    def discrete_columns(self) -> list[DiscreteColumn]:
        """The discrete columns, in column order."""
        return [c for c in self.columns_ if isinstance(c, DiscreteColumn)]

    @property
    def folded_columns(self) -> list[DiscreteColumn]:
        """The high-cardinality discrete columns (with an "other" state), in column order."""
        return [c for c in self.discrete_columns if c.is_folded]

    def column(self, name: str) -> Column:
        """The learned statistics of column ``name``."""
        for col in self.columns_:
            if col.name == name:
                return col
        raise KeyError(name)

    # -------------------------------------------------------------- transform
    def transform(self, df: pd.DataFrame, rng: np.random.Generator | None) -> np.ndarray:
        """Encode ``df`` (the training columns) as a float32 matrix.

        Each continuous value's mode is drawn from its posterior with ``rng`` (as CTGAN trains);
        with ``rng=None`` the most probable mode is taken, so a row's encoding depends on that row only.
        """
        missing = [c for c in self.column_names if c not in df.columns]
        if missing:
            raise ValueError(f"Input lacks the training columns {missing}; expected {self.column_names}.")
        n = len(df)
        out = np.zeros((n, self.output_dim), dtype=np.float32)
        rows = np.arange(n)
        by_column: dict[str, list[Span]] = {}
        for span in self.spans_:
            by_column.setdefault(span.column, []).append(span)
        for col in self.columns_:
            spans = by_column[col.name]
            if isinstance(col, DiscreteColumn):
                out[rows, spans[0].start + self._codes(col, df[col.name])] = 1.0
            else:
                self._transform_continuous(col, df[col.name], spans, out, rng)
        return out

    @staticmethod
    def _codes(col: DiscreteColumn, series: pd.Series) -> np.ndarray:
        """Each row's category index; a folded column's values outside its categories are its "other" state."""
        non_null = list(col.values)
        values = series.astype(object) if isinstance(series.dtype, pd.CategoricalDtype) else series
        codes = pd.Index(non_null, dtype=object).get_indexer(values.to_numpy(dtype=object))
        null = series.isna().to_numpy()
        if col.is_folded:
            codes[(codes < 0) & ~null] = col.other_code
        if null.any():
            if col.categories[-1] is not None:
                raise ValueError(f"Column {col.name!r} has nulls, but had none when the generator was fitted.")
            codes[null] = len(col.categories) - 1
        unknown = codes < 0
        if unknown.any():
            bad = pd.unique(series[unknown])[:5].tolist()
            raise ValueError(
                f"Column {col.name!r} holds values unseen in training: {bad}. Known values: {list(non_null)}."
            )
        return codes

    def _transform_continuous(self, col: ContinuousColumn, series: pd.Series, spans: list[Span],
                              out: np.ndarray, rng: np.random.Generator | None) -> None:
        values, null = self._to_float(series, col.value_kind)
        if null.any() and not col.has_nulls:
            raise ValueError(f"Column {col.name!r} has nulls, but had none when the generator was fitted.")
        state = self._states(col, values, null)
        if col.log:
            with np.errstate(invalid="ignore", divide="ignore"):
                values = np.log(values)
        means, stds = np.asarray(col.means), np.asarray(col.stds)
        weights = np.asarray(col.weights)
        x = np.where(state > 0, float(weights @ means), values)  # rows not in the value state: scalar 0
        z = (x[:, None] - means[None, :]) / stds[None, :]
        logp = np.log(weights)[None, :] - np.log(stds)[None, :] - 0.5 * z * z
        logp -= logp.max(axis=1, keepdims=True)
        if rng is None:
            mode = logp.argmax(axis=1)
        else:
            cum = np.cumsum(np.exp(logp), axis=1)
            u = rng.random(len(x)) * cum[:, -1]
            mode = np.minimum((cum < u[:, None]).sum(axis=1), len(means) - 1)
        rows = np.arange(len(x))
        scalar = np.clip(z[rows, mode] / STD_MULTIPLIER, -0.99, 0.99)
        out[:, spans[0].start] = np.where(state > 0, 0.0, scalar)
        out[rows, spans[1].start + mode] = 1.0
        if len(spans) > 2:
            out[rows, spans[2].start + state] = 1.0

    @staticmethod
    def _states(col: ContinuousColumn, values: np.ndarray, null: np.ndarray) -> np.ndarray:
        """Each row's index into ``col.states`` (0: a modelled value)."""
        state = np.zeros(len(values), dtype=np.int64)
        for i, name in enumerate(col.states[1:], start=1):
            hit = null if name == "null" else ~null & (values == (col.minimum if name == "minimum" else col.maximum))
            state[hit & (state == 0)] = i
        return state

    # ------------------------------------------------------ inverse_transform
    def inverse_transform(self, matrix: np.ndarray, rng: np.random.Generator | None = None) -> pd.DataFrame:
        """Decode a (generator-activated) matrix back into a DataFrame with the training dtypes.

        Each scalar span is read as is, each softmax span by its argmax; see :meth:`decode`. The
        values of rows in a folded column's "other" state are drawn with ``rng`` (None: seed 0).
        """
        if matrix.ndim != 2 or matrix.shape[1] != self.output_dim:
            raise ValueError(f"Expected a matrix of width {self.output_dim}, got shape {matrix.shape}.")
        scalars = matrix[:, [s.start for s in self.spans_ if s.kind == "scalar"]]
        soft = [s for s in self.spans_ if s.kind != "scalar"]
        codes = np.empty((len(matrix), len(soft)), dtype=np.int64)
        for j, s in enumerate(soft):
            codes[:, j] = matrix[:, s.start:s.end].argmax(axis=1)
        uniforms = None
        if self.folded_columns:
            uniforms = (rng or np.random.default_rng(0)).random((len(matrix), len(self.folded_columns)))
        return self.decode(scalars, codes, uniforms)

    def decode(self, scalars: np.ndarray, codes: np.ndarray, uniforms: np.ndarray | None = None) -> pd.DataFrame:
        """Rows from their scalar values and softmax codes, with the training columns and dtypes.

        ``scalars[:, k]`` is the k-th ``scalar`` span's value (clipped to [-1, 1]), ``codes[:, j]``
        the chosen index within the j-th other span (mode, state or one-hot), both in span order;
        ``uniforms[:, i]`` (in [0, 1)) picks the tail value of the rows in the "other" state of the
        i-th of :attr:`folded_columns` (required when there are any).
        Vectorized per column: table lookups by code, no per-span matrix slices.
        """
        n_scalar = sum(s.kind == "scalar" for s in self.spans_)
        if scalars.ndim != 2 or codes.ndim != 2 or scalars.shape[1] != n_scalar or \
                codes.shape[1] != len(self.spans_) - n_scalar or len(scalars) != len(codes):
            raise ValueError(f"Expected {n_scalar} scalar and {len(self.spans_) - n_scalar} code columns of "
                             f"equal length, got shapes {scalars.shape} and {codes.shape}.")
        n_folded = len(self.folded_columns)
        if n_folded and (uniforms is None or uniforms.shape != (len(codes), n_folded)):
            raise ValueError(f"Expected uniforms of shape {(len(codes), n_folded)} (one per row and folded column "
                             f"{[c.name for c in self.folded_columns]}), got "
                             f"{None if uniforms is None else uniforms.shape}.")
        data = {}
        k = j = i = 0
        for col in self.columns_:
            if isinstance(col, DiscreteColumn):
                data[col.name] = self._inverse_discrete(col, codes[:, j], uniforms[:, i] if col.is_folded else None)
                i += col.is_folded
                j += 1
            else:
                stateful = len(col.states) > 1
                state = codes[:, j + 1] if stateful else None
                data[col.name] = self._inverse_continuous(col, scalars[:, k], codes[:, j], state)
                k += 1
                j += 2 if stateful else 1
        return pd.DataFrame(data)

    @staticmethod
    def _inverse_discrete(col: DiscreteColumn, codes: np.ndarray, uniforms: np.ndarray | None = None) -> pd.Series:
        if col.is_folded:
            values = np.asarray(col.categories + (None,), dtype=object)[:-1][codes]
            other = codes == col.other_code
            values[other] = draw_tail(col.tail_values, col.tail_weights, uniforms[other])
            return DataTransformer._restore_discrete(col, values)
        if col.value_kind == "category":
            positions = {v: i for i, v in enumerate(col.dtype_categories or ())}
            if all(v is None or v in positions for v in col.categories):
                lookup = np.array([-1 if v is None else positions[v] for v in col.categories], dtype=np.int64)
                return pd.Series(pd.Categorical.from_codes(lookup[codes],
                                                           categories=list(col.dtype_categories or ())))
        elif None not in col.categories and col.value_kind in ("int", "float", "bool"):
            try:
                dtype = np.dtype(col.dtype)
            except TypeError:  # an extension dtype (Int64, boolean, ...): the generic path below
                dtype = None
            if dtype is not None and dtype.kind in "biuf":
                return pd.Series(np.asarray(col.categories, dtype=dtype)[codes])
        return DataTransformer._restore_discrete(col, np.asarray(col.categories + (None,), dtype=object)[:-1][codes])

    @staticmethod
    def _restore_discrete(col: DiscreteColumn, values: np.ndarray) -> pd.Series:
        """An object array of a discrete column's values as a Series of its training dtype (where it can)."""
        if col.value_kind == "category":
            return pd.Series(pd.Categorical(values, categories=list(col.dtype_categories or ())))
        series = pd.Series(values, dtype=object)
        try:
            return series.astype(col.dtype)
        except (TypeError, ValueError):
            logger.warning("column %r: could not restore dtype %s; returning object", col.name, col.dtype)
            return series

    def _inverse_continuous(self, col: ContinuousColumn, scalar: np.ndarray, mode: np.ndarray,
                            state: np.ndarray | None) -> pd.Series:
        scalar = np.clip(scalar.astype(np.float64), -1.0, 1.0)
        x = scalar * STD_MULTIPLIER * np.asarray(col.stds)[mode] + np.asarray(col.means)[mode]
        if col.log:
            x = np.exp(x)
        if self.clip:  # reflect a draw past a bound back inside (a pile-up on the bound would be a fake point mass)
            lo, hi = col.minimum, col.maximum
            x = np.clip(np.where(x < lo, 2 * lo - x, np.where(x > hi, 2 * hi - x, x)), lo, hi)
        null = None
        if state is not None:
            index = {name: i for i, name in enumerate(col.states)}
            x = np.where(state == index.get("minimum", -1), col.minimum,
                         np.where(state == index.get("maximum", -1), col.maximum, x))
            null = state == index["null"] if col.has_nulls else None
        if col.value_kind in ("int", "datetime"):
            x = np.round(x)
        if col.value_kind == "datetime":
            ns = x.astype(np.int64)
            out = pd.Series(pd.to_datetime(ns, unit="ns"))
            if null is not None:
                out[null] = pd.NaT
            if col.tz:
                out = out.dt.tz_localize("UTC").dt.tz_convert(col.tz)
            try:
                return out.astype(col.dtype)
            except (TypeError, ValueError):
                return out
        if null is not None:
            x = np.where(null, np.nan, x)
        series = pd.Series(x)
        if col.value_kind == "int" and null is not None and not str(col.dtype)[0].isupper():
            return series  # a numpy int dtype cannot hold nulls: stay float, as pandas does
        try:
            return series.astype(col.dtype)
        except (TypeError, ValueError):
            logger.warning("column %r: could not restore dtype %s; returning float", col.name, col.dtype)
            return series

    # ----------------------------------------------------------------- state
    def to_dict(self) -> dict[str, Any]:
        """JSON-able statistics (everything needed to rebuild the transformer)."""
        cols = []
        for col in self.columns_:
            d = asdict(col)
            if isinstance(col, DiscreteColumn) and not col.is_folded:  # as written before folding existed
                for key in ("other_code", "tail_values", "tail_weights"):
                    d.pop(key)
            d["type"] = "discrete" if isinstance(col, DiscreteColumn) else "continuous"
            cols.append(d)
        return {"max_modes": self.max_modes, "weight_threshold": self.weight_threshold,
                "max_gmm_rows": self.max_gmm_rows, "clip": self.clip,
                "max_integer_categories": self.max_integer_categories, "log_skew": self.log_skew,
                "max_categories": self.max_categories, "min_count": self.min_count, "columns": cols}

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> "DataTransformer":
        """Rebuild a fitted transformer from :meth:`to_dict` output."""
        t = cls(state["max_modes"], state["weight_threshold"], state["max_gmm_rows"], state["clip"],
                state.get("max_integer_categories", 0), state.get("log_skew"),
                state.get("max_categories"), state.get("min_count", DEFAULT_MIN_COUNT))
        cols: list[Column] = []
        for d in state["columns"]:
            d = dict(d)
            kind = d.pop("type")
            tupled = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}
            cols.append(DiscreteColumn(**tupled) if kind == "discrete" else ContinuousColumn(**tupled))
        t.columns_ = cols
        t._build_spans()
        return t

