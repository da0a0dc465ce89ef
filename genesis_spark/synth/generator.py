"""SyntheticGenerator: the user-facing facade over the transformer, the sampler and CTGAN."""
from __future__ import annotations

import hashlib
import logging
import datetime as _dt
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from genesis_spark.synth import artifact
from genesis_spark.synth.config import resolve_config, to_json
from genesis_spark.synth.ctgan import CTGAN
from genesis_spark.synth.inference import critic_net
from genesis_spark.synth.sampler import ConditionalSampler
from genesis_spark.synth.spans import DiscreteColumn
from genesis_spark.synth.transformer import DataTransformer, _json_value
from genesis_spark.synth.validation import constant_columns, validate_training_frame

logger = logging.getLogger(__name__)

METHODS = ("ctgan",)
GENERATE_BLOCK_ROWS = 4096
#: Tag in the seeds of listed condition values' draws and of each condition group's rows.
CONDITION_STREAM = 0xC0D1
CALIBRATION_ROWS = 20_000
N_QUANTILES = 101


def _same_value(category: Any, value: Any) -> bool:
    """Category equality where True/False never match 1/0."""
    if isinstance(category, bool) or isinstance(value, bool):
        return isinstance(category, bool) and isinstance(value, bool) and category == value
    return category == value


def _is_list_like(value: Any) -> bool:
    """A list of condition values (strings are single values)."""
    return isinstance(value, (list, tuple, set, frozenset, np.ndarray, pd.Series, pd.Index))


class NotFittedError(ValueError, AttributeError):
    """The generator was used before ``fit`` (or ``load``)."""


def _torch_generator(seed_seq: np.random.SeedSequence, device: torch.device | str = "cpu") -> torch.Generator:
    g = torch.Generator(device=device)
    g.manual_seed(int(seed_seq.generate_state(1, np.uint64)[0]) & (2**63 - 1))
    return g


#: State calibration after training: rounds, rows sampled per round, and the share floor in the log ratio.
STATE_CALIBRATION_ROUNDS = 3
STATE_CALIBRATION_ROWS = 20_000
STATE_EPS = 1e-4

def _constant_json(value: Any) -> Any:
    """A constant column's value in JSON (numpy scalars as Python ones, timestamps and others as text)."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (pd.Timestamp, _dt.date)):
        return value.isoformat()
    return str(value)


def _date_columns(df: pd.DataFrame, discrete_columns: Any) -> list[str]:
    """Object columns of ``datetime.date`` values (Spark's DateType), not named discrete: modelled as datetimes."""
    named = set(discrete_columns or [])
    out = []
    for name in df.columns:
        if name in named or not pd.api.types.is_object_dtype(df[name]):
            continue
        if pd.api.types.infer_dtype(df[name], skipna=True) == "date":  # every non-null value a datetime.date
            out.append(name)
    return out


def _dates_as_datetimes(df: pd.DataFrame, dates: list[str]) -> pd.DataFrame:
    if not dates:
        return df
    return df.assign(**{name: pd.to_datetime(df[name]) for name in dates})


def _constant(value: Any, n: int, dtype: str) -> pd.Series:
    """``n`` copies of a constant column's value, in the training dtype where it holds it."""
    series = pd.Series([value] * n, dtype=object)
    try:
        return series.astype(dtype)
    except (TypeError, ValueError):
        return series


def _resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        logger.info("device %r requested but CUDA is not available here: using the CPU", name)
        return torch.device("cpu")
    return torch.device(name)


class SyntheticGenerator:
    """Fits a CTGAN on a pandas DataFrame and generates synthetic rows with the same columns and dtypes.

    String, object, bool and category columns are always discrete: those not listed in
    ``discrete_columns`` are inferred as discrete (logged at INFO). Nulls are modelled in every column.
    A discrete column with more than ``config['max_categories']`` (50) distinct values keeps its most
    frequent values as categories and folds the rest into one learned "other" state whose rows take
    a value seen at least ``config['min_category_count']`` (2) times (``genesis_spark.synth.folding``).
    ``method`` and ``config`` are validated here, the data in :meth:`fit`, all before any training.

    Example::

        gen = SyntheticGenerator("ctgan", {"epochs": 300}).fit(fraud, discrete_columns=["merchant_category"])
        rows = gen.generate(5000, conditions={"merchant_category": "online"}, seed=1)
        gen.save("fraud_generator.safetensors")   # any suffix: always the safe format, never pickle
        same = SyntheticGenerator.load("fraud_generator.safetensors")
    """

    def __init__(self, method: str = "ctgan", config: dict | None = None):
        if method not in METHODS:
            raise ValueError(f"Unknown method {method!r}; supported methods: {', '.join(METHODS)}.")
        self.method = method
        self.config = config
        self.config_: dict[str, Any] = resolve_config(config)
        self._reset()

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor parameters as given (scikit-learn's contract, so ``sklearn.base.clone`` works)."""
        return {"method": self.method, "config": self.config}

    def set_params(self, **params: Any) -> "SyntheticGenerator":
        """Set constructor parameters, validated as in ``__init__``; returns ``self``.

        A fitted generator becomes unfitted when a parameter changes: its weights were learned under
        the old settings. Call :meth:`fit` again.
        """
        valid = self.get_params()
        unknown = [k for k in params if k not in valid]
        if unknown:
            raise ValueError(f"Invalid parameter {unknown[0]!r} for SyntheticGenerator. "
                             f"Valid parameters are: {', '.join(valid)}.")
        method = params.get("method", self.method)
        if method not in METHODS:
            raise ValueError(f"Unknown method {method!r}; supported methods: {', '.join(METHODS)}.")
        config_ = resolve_config(params.get("config", self.config))
        changed = any(params[k] is not valid[k] for k in params)
        self.method, self.config, self.config_ = method, params.get("config", self.config), config_
        if changed and self._model is not None:
            logger.info("set_params changed %s: the generator is unfitted, call fit again", ", ".join(params))
            self._reset()
        return self

    def _reset(self) -> None:
        self.columns_: list[str] = []
        self.discrete_columns_: list[str] = []
        self.dtypes_: dict[str, str] = {}
        self.loss_history_: pd.DataFrame = pd.DataFrame()
        self.realism_quantiles_: np.ndarray | None = None
        self.training_rows_: int = 0
        self.constants_: dict[str, Any] = {}
        self.date_columns_: list[str] = []
        self._transformer: DataTransformer | None = None
        self._sampler: ConditionalSampler | None = None
        self._model: CTGAN | None = None
        self._bytes: bytes | None = None
        self._stream: np.random.Generator | None = None

    # -------------------------------------------------------------------- fit
    def fit(self, df: pd.DataFrame, discrete_columns: list[str] | None = None) -> "SyntheticGenerator":
        """Learn the joint distribution of ``df``'s columns; returns ``self``.

        Above ``config['max_training_rows']`` a seeded sample of rows is used (logged).
        """
        cfg = self.config_
        dates = _date_columns(df, discrete_columns) if isinstance(df, pd.DataFrame) else []
        df = _dates_as_datetimes(df, dates)
        discrete = validate_training_frame(df, discrete_columns)
        self._reset()
        seeds = np.random.SeedSequence(cfg["seed"]).spawn(5)
        started = time.perf_counter()
        cap = cfg["max_training_rows"]
        if cap is not None and len(df) > cap:
            idx = np.sort(np.random.default_rng(seeds[0]).choice(len(df), cap, replace=False))
            logger.info("training on a seeded sample of %d of %d rows (max_training_rows)", cap, len(df))
            df = df.iloc[idx]
        df = df.reset_index(drop=True)
        self.columns_ = [str(c) for c in df.columns]
        self.dtypes_ = {c: str(df[c].dtype) for c in df.columns}
        self.date_columns_ = dates
        self.training_rows_ = len(df)
        self.constants_ = constant_columns(df)
        if self.constants_:
            logger.info("columns constant in the training rows, reproduced as constants: %s",
                        ", ".join(f"{k}={v!r}" for k, v in self.constants_.items()))
            df = df.drop(columns=list(self.constants_))
            if df.shape[1] == 0:
                raise ValueError("Every column has a single value (or only nulls) in the training rows: there is "
                                 "nothing to learn. Repeat a training row instead of fitting a generator.")
        self.discrete_columns_ = [c for c in discrete if c not in self.constants_]
        discrete = self.discrete_columns_

        transformer = DataTransformer(clip=cfg["clip"], max_integer_categories=cfg["max_integer_categories"],
                                      log_skew=cfg["log_skew"], max_categories=cfg["max_categories"],
                                      min_count=cfg["min_category_count"])
        transformer.fit(df, discrete, seed=int(seeds[1].generate_state(1)[0]))
        matrix = transformer.transform(df, np.random.default_rng(seeds[2]))
        device = _resolve_device(cfg["device"])
        data = torch.from_numpy(matrix).to(device)
        sampler = self._make_sampler(transformer, device, data, cfg["log_frequency"])
        model = CTGAN(transformer.spans_, sampler.n_categories, cfg["embedding_dim"], cfg["generator_dim"],
                      cfg["discriminator_dim"], cfg["pac"], device, init_generator=_torch_generator(seeds[3]))
        self.loss_history_ = model.fit(
            data, sampler, epochs=cfg["epochs"], batch_size=cfg["batch_size"],
            discriminator_steps=cfg["discriminator_steps"], generator_lr=cfg["generator_lr"],
            discriminator_lr=cfg["discriminator_lr"], generator_decay=cfg["generator_decay"],
            discriminator_decay=cfg["discriminator_decay"], generator=_torch_generator(seeds[3].spawn(1)[0], device),
            generator_average=cfg["generator_average"], verbose=cfg["verbose"],
        )
        self._transformer, self._model = transformer, model
        self._sampler = self._make_sampler(transformer, device, None, cfg["log_frequency"])
        self._stream = np.random.default_rng(seeds[4])
        if cfg["calibrate_states"]:
            self._calibrate_states(matrix, int(seeds[2].generate_state(1)[0]))
        calib = df if len(df) <= CALIBRATION_ROWS else df.sample(CALIBRATION_ROWS, random_state=0)
        critic = self._critic(transformer.transform(calib, None))
        self.realism_quantiles_ = np.quantile(critic, np.linspace(0, 1, N_QUANTILES))
        logger.info("fitted CTGAN on %d rows x %d columns in %.1f s on %s", len(df), len(self.columns_),
                    time.perf_counter() - started, device)
        return self

    def _calibrate_states(self, matrix: np.ndarray, seed: int, rounds: int = STATE_CALIBRATION_ROUNDS,
                          rows: int = STATE_CALIBRATION_ROWS) -> None:
        """Match the share of every softmax state to the training rows: categories, mixture modes,
        nulls and point masses (a value on a bound, a zero-inflated count).

        A GAN trained briefly under-produces rare states (a column 20% null comes back 8% null
        after 30 epochs). Each round samples ``rows`` rows and adds ``log(real share / sampled
        share)`` to the span's output bias, the logits its softmax draws from; the adjusted bias
        is part of the saved weights, so every engine samples the same rows.
        """
        spans = soft = [s for s in self._transformer.spans_ if s.kind != "scalar"]
        if not spans:
            return
        real = {s: matrix[:, s.start:s.start + s.width].mean(axis=0) for s in spans}
        bias = self._model.generator.seq[-1].bias
        for _ in range(rounds):
            g = np.random.Generator(np.random.SFC64(np.random.SeedSequence([seed, 0x57A7E])))
            _, codes = self._model.sample_codes(rows, self._sampler.sample_categories(rows, g), g,
                                                bf16=self.config_["sample_bf16"])
            with torch.no_grad():
                for span in spans:
                    sampled = np.bincount(codes[:, soft.index(span)], minlength=span.width) / rows
                    shift = np.log((real[span] + STATE_EPS) / (sampled + STATE_EPS))
                    bias[span.start:span.start + span.width] += torch.as_tensor(shift, dtype=bias.dtype,
                                                                                device=bias.device)
            self._model.__dict__.pop("_inference_cache", None)  # the sampling net folds the bias in

    @staticmethod
    def _make_sampler(transformer: DataTransformer, device: torch.device, data: torch.Tensor | None,
                      log_frequency: bool) -> ConditionalSampler:
        return ConditionalSampler(transformer.discrete_spans,
                                  [np.asarray(c.frequencies) for c in transformer.discrete_columns],
                                  log_frequency, device, data)

    def _check_fitted(self) -> None:
        if self._model is None:
            raise NotFittedError("This SyntheticGenerator is not fitted: call fit(df) or SyntheticGenerator.load(path) first.")

    # --------------------------------------------------------------- generate
    def generate(self, n_samples: int | None = None, conditions: dict | pd.DataFrame | None = None,
                 seed: int | None = None) -> pd.DataFrame:
        """``n_samples`` synthetic rows with the training columns and dtypes.

        ``conditions`` fixes discrete columns (no rejection loop), in one of three forms:

        - ``{column: value}``: every row takes the value. The first condition (in training column
          order) goes through CTGAN's conditional vector, so the other columns follow their learned
          distribution given it; further conditions are then set on the sampled rows.
        - ``{column: [value, ...]}`` (scalars and lists may mix): each row's value is drawn from
          the listed values as often as they are in the training rows, relative to each other
          (their learned frequencies restricted to the list), seeded by ``seed``; the rows then
          follow as for a DataFrame of the drawn values.
        - a ``DataFrame`` of discrete columns (SDV's ``sample_from_conditions``): one row per
          condition row, in its order, matching its values; ``n_samples`` may be None or must equal
          its length. Identical condition rows form a group generated together by the
          ``{column: value}`` path with its own seed derived from ``seed`` and the group's number
          (in order of first appearance).

        ``seed`` makes the output reproducible; without it the rows come from the generator's own
        seeded stream. Without conditions (or with scalar ones) ``generate(n, seed=s)`` equals the
        first ``n`` rows of ``generate_block(0, 4096, s)``, ``generate_block(1, 4096, s)``, ...

        Example::

            gen.generate(conditions=pd.DataFrame({"merchant_category": ["online", "travel", "online"]}), seed=1)
            gen.generate(1000, conditions={"merchant_category": ["online", "travel"], "hour": 3}, seed=1)
        """
        self._check_fitted()
        if isinstance(conditions, pd.DataFrame):
            n = len(conditions)
            if n_samples is not None and self._check_count(n_samples, "n_samples") != n:
                raise ValueError(f"conditions is a DataFrame of {n} rows, which asks for one row per condition "
                                 f"row, but n_samples={n_samples}: pass n_samples={n} or None.")
        else:
            n = self._check_count(n_samples, "n_samples")
        if seed is None:
            seed = int(self._stream.integers(2**63 - 1))
        seed = self._check_seed(seed)
        frame = self._condition_frame(conditions, n, seed)
        if frame is None:
            return self._decode(*self._codes(n, seed, self._resolve_conditions(conditions), GENERATE_BLOCK_ROWS))
        return self._generate_per_condition_row(frame, seed)

    def generate_block(self, block_index: int, block_size: int, seed: int,
                       conditions: dict | None = None) -> pd.DataFrame:
        """Rows that depend only on (``seed``, ``block_index``, ``block_size``, ``conditions``).

        ``conditions``: ``{column: value}`` (as :meth:`generate`; lists and DataFrames are for
        :meth:`generate`). The same on the driver and on an executor that got the generator via
        :meth:`from_bytes`; independent of which other blocks were drawn before.
        """
        self._check_fitted()
        size = self._check_count(block_size, "block_size")
        if isinstance(block_index, bool) or not isinstance(block_index, (int, np.integer)) or block_index < 0:
            raise ValueError(f"block_index must be a non-negative int, got {block_index!r}.")
        seed = self._check_seed(seed)
        if isinstance(conditions, pd.DataFrame) or (isinstance(conditions, dict)
                                                    and any(map(_is_list_like, conditions.values()))):
            raise TypeError(f"generate_block takes conditions as a dict {{column: value}}, e.g. "
                            f"{self._condition_example('scalar')}; for lists of values or a DataFrame use generate().")
        return self._decode(*self._block_codes(int(block_index), size, seed, self._resolve_conditions(conditions)))

    def _codes(self, n: int, seed: int, forced: list[tuple[Any, int, int]],
               block_rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The first ``n`` rows of blocks 0, 1, ... of ``block_rows`` rows (see :meth:`_block_codes`)."""
        blocks = [self._block_codes(i, block_rows, seed, forced) for i in range(-(-n // block_rows))]
        return tuple(np.concatenate(part)[:n] for part in zip(*blocks))

    def _generate_per_condition_row(self, frame: pd.DataFrame, seed: int) -> pd.DataFrame:
        """One row per row of ``frame`` (checked discrete conditions), in its order: one draw per distinct row."""
        group = frame.groupby(list(frame.columns), sort=False, dropna=False).ngroup().to_numpy()
        order = np.argsort(group, kind="stable")  # rows grouped, groups in order of first appearance
        sizes = np.bincount(group)
        firsts = order[np.concatenate([[0], np.cumsum(sizes)[:-1]])]
        parts = []
        for number, (first, size) in enumerate(zip(firsts.tolist(), sizes.tolist())):
            forced = self._resolve_conditions({c: frame[c].iat[first] for c in frame.columns})
            group_seed = int(np.random.SeedSequence([seed, CONDITION_STREAM, number]).generate_state(1, np.uint64)[0])
            parts.append(self._codes(size, group_seed & (2**63 - 1), forced, min(size, GENERATE_BLOCK_ROWS)))
        back = np.empty_like(order)
        back[order] = np.arange(len(order))
        return self._decode(*(np.concatenate(part)[back] for part in zip(*parts)))

    def _block_codes(self, block_index: int, size: int, seed: int,
                     forced: list[tuple[Any, int, int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One block as (scalars, codes) (see :meth:`CTGAN.sample_codes`) and the uniforms that pick the
        values of rows in a folded column's "other" state (one per row and folded column, drawn last);
        all noise from one CPU generator (SFC64, seeded by (seed, block_index))."""
        g = np.random.Generator(np.random.SFC64(np.random.SeedSequence([seed, block_index])))
        if forced:
            category = torch.full((size,), forced[0][2], dtype=torch.long)
        else:
            category = self._sampler.sample_categories(size, g)
        scalars, codes = self._model.sample_codes(size, category, g, bf16=self.config_["sample_bf16"])
        if forced:
            soft = [s for s in self._transformer.spans_ if s.kind != "scalar"]
            for span, code, _ in forced:
                codes[:, soft.index(span)] = code
        n_folded = len(self._transformer.folded_columns)
        uniforms = g.random((size, n_folded)) if n_folded else np.zeros((size, 0))
        return scalars, codes, uniforms

    def _decode(self, scalars: np.ndarray, codes: np.ndarray, uniforms: np.ndarray) -> pd.DataFrame:
        df = self._transformer.decode(scalars, codes, uniforms)
        for name, value in self.constants_.items():
            df[name] = _constant(value, len(df), self.dtypes_[name])
        for name in self.date_columns_:
            df[name] = df[name].dt.date.where(df[name].notna(), None)
        return df if list(df.columns) == self.columns_ else df[self.columns_]

    def _condition_example(self, kind: str = "all") -> str:
        """The accepted forms of ``conditions``, written with this generator's first discrete column."""
        spans = self._transformer.discrete_spans
        if not spans:
            return "none: this generator has no discrete column to condition on"
        columns = [self._transformer.column(s.column) for s in spans]
        col = next((c for c in columns if any(isinstance(v, str) for v in c.values)), columns[0])  # text reads best
        values = list(col.values[:2]) or [None]
        scalar = f"conditions={{{col.name!r}: {values[0]!r}}}"
        if kind == "scalar":
            return scalar
        return (f"{scalar}, conditions={{{col.name!r}: {values!r}}} or "
                f"conditions=pd.DataFrame({{{col.name!r}: {values + values[:1]!r}}}) (one row per condition row)")

    def _check_condition_columns(self, names: list[Any]) -> None:
        unknown = [c for c in names if c not in self.columns_]
        if unknown:
            raise ValueError(f"conditions name unknown columns {unknown}; columns are: {', '.join(self.columns_)}.")
        discrete = [s.column for s in self._transformer.discrete_spans]
        continuous = [c for c in self.columns_ if c in names and c not in discrete]
        if continuous:
            raise ValueError(f"conditions on {continuous[0]!r}: only discrete columns can be conditioned on. "
                             f"Discrete columns: {', '.join(discrete)}. Accepted forms: {self._condition_example()}.")

    def _condition_frame(self, conditions: Any, n: int, seed: int) -> pd.DataFrame | None:
        """The checked conditions as one row per wanted row (listed values drawn), or None for the scalar dict path."""
        if conditions is None:
            return None
        if isinstance(conditions, pd.DataFrame):
            if conditions.shape[0] == 0 or conditions.shape[1] == 0:
                raise ValueError(f"conditions is an empty DataFrame ({conditions.shape[0]} rows x "
                                 f"{conditions.shape[1]} columns). Accepted forms: {self._condition_example()}.")
            if conditions.columns.duplicated().any():
                repeated = list(conditions.columns[conditions.columns.duplicated()])
                raise ValueError(f"conditions repeats columns {repeated}: give each column once.")
            self._check_condition_columns(list(conditions.columns))
            return conditions.reset_index(drop=True)
        if not isinstance(conditions, dict):
            raise TypeError(f"conditions must be a dict or a pandas DataFrame, got {type(conditions).__name__}. "
                            f"Accepted forms: {self._condition_example()}.")
        listed = [name for name, value in conditions.items() if _is_list_like(value)]
        if not listed:
            return None
        self._check_condition_columns(list(conditions))
        g = np.random.Generator(np.random.SFC64(np.random.SeedSequence([seed, CONDITION_STREAM])))
        columns: dict[str, Any] = {}
        for name in (c for c in self.columns_ if c in conditions):  # draws in training column order
            value = conditions[name]
            if name not in listed:
                columns[name] = [value] * n
                continue
            if isinstance(value, (set, frozenset)) or any(_is_list_like(v) or isinstance(v, dict) for v in value):
                raise TypeError(f"conditions[{name!r}] must be a value or a list of values, got {value!r}. "
                                f"Accepted forms: {self._condition_example()}.")
            values = list(dict.fromkeys(_json_value(v) for v in value))
            if not values:
                raise ValueError(f"conditions[{name!r}] is an empty list: give at least one value. "
                                 f"Accepted forms: {self._condition_example()}.")
            codes = [self._resolve_conditions({name: v})[0][1] for v in values]  # each value checked
            weights = np.asarray(self._transformer.column(name).frequencies, dtype=np.float64)[codes]
            weights = weights if weights.sum() > 0 else np.ones(len(values))
            draws = g.choice(len(values), size=n, p=weights / weights.sum())
            columns[name] = np.asarray(values, dtype=object)[draws]
        return pd.DataFrame(columns)

    def _resolve_conditions(self, conditions: dict | None) -> list[tuple[Any, int, int]]:
        """[(onehot span, code, global category id)] in training column order; the first one also drives the
        condition vector. ``conditions`` maps columns to single values."""
        if not conditions:
            return []
        if not isinstance(conditions, dict):
            raise TypeError(f"conditions must be a dict or a pandas DataFrame, got {type(conditions).__name__}. "
                            f"Accepted forms: {self._condition_example()}.")
        self._check_condition_columns(list(conditions))
        spans = {s.column: s for s in self._transformer.discrete_spans}
        offsets = dict(zip(spans, self._sampler.column_offsets.tolist()))
        out = []
        for name in self.columns_:
            if name not in conditions:
                continue
            col = self._transformer.column(name)
            assert isinstance(col, DiscreteColumn)
            value = _json_value(conditions[name])
            matches = [i for i, v in enumerate(col.categories) if i != col.other_code and _same_value(v, value)]
            if not matches and any(_same_value(v, value) for v in col.tail_values):
                raise ValueError(
                    f"Condition {name}={conditions[name]!r}: a rare value of a high-cardinality column, folded "
                    f"into its 'other' state; only its {col.other_code} most frequent values can be conditioned "
                    f"on: {', '.join(map(repr, col.values))}."
                )
            if not matches:
                raise ValueError(
                    f"Condition {name}={conditions[name]!r}: unknown value. Allowed values: "
                    f"{', '.join(repr(v) for i, v in enumerate(col.categories) if i != col.other_code)}."
                )
            out.append((spans[name], matches[0], offsets[name] + matches[0]))
        return out

    @staticmethod
    def _check_count(value: Any, name: str) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be an int, got {value!r}.")
        if value <= 0:
            raise ValueError(f"{name} must be positive, got {value}.")
        return int(value)

    @staticmethod
    def _check_seed(seed: Any) -> int:
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative int, got {seed!r}.")
        return int(seed)

    # ---------------------------------------------------------------- realism
    def realism_score(self, df: pd.DataFrame) -> np.ndarray:
        """Per-row realism in [0, 1]: the critic's score placed on the training rows' score distribution.

        0.5 means "as real-looking as the median training row". Each row is scored alone (its most
        probable modes, every discrete column's condition averaged), so scores do not depend on batching.
        """
        self._check_fitted()
        if not isinstance(df, pd.DataFrame):
            raise TypeError(f"realism_score expects a pandas DataFrame, got {type(df).__name__}.")
        if len(df) == 0:
            return np.zeros(0, dtype=np.float64)
        critic = self._critic(self._transformer.transform(_dates_as_datetimes(df, self.date_columns_), None))
        return np.interp(critic, self.realism_quantiles_, np.linspace(0.0, 1.0, N_QUANTILES))

    def _critic(self, matrix: np.ndarray) -> np.ndarray:
        return critic_net(self._model, self._transformer.discrete_spans,
                          self._sampler.column_offsets.tolist()).scores(matrix)

    # --------------------------------------------------------------- artifact
    def to_bytes(self) -> bytes:
        """The artifact as bytes (safetensors + JSON manifest); what Spark ships to executors."""
        self._check_fitted()
        if self._bytes is None:
            from genesis_spark.version import __version__

            manifest = {
                "method": self.method,
                "library": {"genesis_spark": __version__, "torch": torch.__version__},
                "config": to_json(self.config_),
                "seed": self.config_["seed"],
                "columns": [{"name": c, "dtype": self.dtypes_[c]} for c in self.columns_],
                "discrete_columns": self.discrete_columns_,
                "constants": {k: _constant_json(v) for k, v in self.constants_.items()},
                "date_columns": self.date_columns_,
                "transformer": self._transformer.to_dict(),
                "training": {
                    "rows": self.training_rows_,
                    "device": str(self._model.device),
                    "loss_columns": list(self.loss_history_.columns),
                    "loss_history": {k: self.loss_history_[k].tolist() for k in self.loss_history_.columns},
                },
                "realism_quantiles": [float(v) for v in self.realism_quantiles_],
            }
            self._bytes = artifact.dump(self._model.state_dict(), manifest)
        return self._bytes

    @classmethod
    def from_bytes(cls, data: bytes) -> "SyntheticGenerator":
        """Rebuild a fitted generator from :meth:`to_bytes` output (verified; never unpickles)."""
        return cls._from_artifact(data, "<bytes>")

    @property
    def sha256(self) -> str:
        """sha256 hex digest of the artifact bytes."""
        return hashlib.sha256(self.to_bytes()).hexdigest()

    def save(self, path: str | Path) -> Path:
        """Write the artifact to ``path`` (any suffix, ``.pkl`` included: the content is always safetensors)."""
        return artifact.write(path, self.to_bytes())

    @classmethod
    def load(cls, path: str | Path) -> "SyntheticGenerator":
        """Load an artifact written by :meth:`save`; GPU-trained artifacts load on the CPU."""
        return cls._from_artifact(artifact.read(path), str(path))

    @classmethod
    def _from_artifact(cls, data: bytes, source: str) -> "SyntheticGenerator":
        tensors, manifest = artifact.load(data, source)
        config = manifest["config"]
        gen = cls(manifest["method"], config)
        cfg = gen.config_
        transformer = DataTransformer.from_dict(manifest["transformer"])
        device = _resolve_device(cfg["device"])
        sampler = cls._make_sampler(transformer, device, None, cfg["log_frequency"])
        model = CTGAN(transformer.spans_, sampler.n_categories, cfg["embedding_dim"], cfg["generator_dim"],
                      cfg["discriminator_dim"], cfg["pac"], device)
        model.load_state_dict(tensors)
        gen._transformer, gen._sampler, gen._model = transformer, sampler, model
        gen.columns_ = [c["name"] for c in manifest["columns"]]
        gen.dtypes_ = {c["name"]: c["dtype"] for c in manifest["columns"]}
        gen.discrete_columns_ = list(manifest["discrete_columns"])
        gen.constants_ = dict(manifest.get("constants", {}))  # artifacts before constants: none
        gen.date_columns_ = list(manifest.get("date_columns", []))
        gen.training_rows_ = manifest["training"]["rows"]
        training = manifest["training"]
        gen.loss_history_ = pd.DataFrame(training["loss_history"])[training["loss_columns"]]
        gen.realism_quantiles_ = np.asarray(manifest["realism_quantiles"], dtype=np.float64)
        gen._stream = np.random.default_rng(np.random.SeedSequence(cfg["seed"]).spawn(5)[4])
        gen._bytes = bytes(data)
        return gen

    def __repr__(self) -> str:
        state = f"fitted on {self.training_rows_} rows" if self._model is not None else "not fitted"
        return f"SyntheticGenerator(method={self.method!r}, epochs={self.config_['epochs']}, {state})"
