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
from genesis_spark.synth.sampler import ConditionalSampler
from genesis_spark.synth.spans import DiscreteColumn
from genesis_spark.synth.transformer import DataTransformer, _json_value
from genesis_spark.synth.validation import constant_columns, validate_training_frame

logger = logging.getLogger(__name__)

METHODS = ("ctgan",)
GENERATE_BLOCK_ROWS = 4096
CALIBRATION_ROWS = 20_000
N_QUANTILES = 101


def _same_value(category: Any, value: Any) -> bool:
    """Category equality where True/False never match 1/0."""
    if isinstance(category, bool) or isinstance(value, bool):
        return isinstance(category, bool) and isinstance(value, bool) and category == value
    return category == value


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
    def generate(self, n_samples: int, conditions: dict | None = None, seed: int | None = None) -> pd.DataFrame:
        """``n_samples`` synthetic rows with the training columns and dtypes.

        ``conditions`` maps discrete columns to a value every returned row takes. The first
        condition (in training column order) goes through CTGAN's conditional vector, so the other
        columns follow their learned distribution given it; further conditions are then set on the
        sampled rows. No rejection loop. ``seed`` makes the output reproducible; without it the rows
        come from the generator's own seeded stream. ``generate(n, seed=s)`` equals the first ``n``
        rows of ``generate_block(0, 4096, s)``, ``generate_block(1, 4096, s)``, ...
        """
        self._check_fitted()
        n = self._check_count(n_samples, "n_samples")
        if seed is None:
            seed = int(self._stream.integers(2**63 - 1))
        seed = self._check_seed(seed)
        forced = self._resolve_conditions(conditions)
        blocks = [self._block_codes(i, GENERATE_BLOCK_ROWS, seed, forced)
                  for i in range(-(-n // GENERATE_BLOCK_ROWS))]
        return self._decode(*(np.concatenate(part)[:n] for part in zip(*blocks)))

    def generate_block(self, block_index: int, block_size: int, seed: int,
                       conditions: dict | None = None) -> pd.DataFrame:
        """Rows that depend only on (``seed``, ``block_index``, ``block_size``, ``conditions``).

        The same on the driver and on an executor that got the generator via :meth:`from_bytes`;
        independent of which other blocks were drawn before.
        """
        self._check_fitted()
        size = self._check_count(block_size, "block_size")
        if isinstance(block_index, bool) or not isinstance(block_index, (int, np.integer)) or block_index < 0:
            raise ValueError(f"block_index must be a non-negative int, got {block_index!r}.")
        seed = self._check_seed(seed)
        return self._decode(*self._block_codes(int(block_index), size, seed, self._resolve_conditions(conditions)))

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

    def _resolve_conditions(self, conditions: dict | None) -> list[tuple[Any, int, int]]:
        """[(onehot span, code, global category id)] in training column order; the first one also drives the condition vector."""
        if not conditions:
            return []
        if not isinstance(conditions, dict):
            raise TypeError(f"conditions must be a dict {{column: value}}, got {type(conditions).__name__}.")
        spans = {s.column: s for s in self._transformer.discrete_spans}
        offsets = dict(zip(spans, self._sampler.column_offsets.tolist()))
        out = []
        for name in self.columns_:
            if name not in conditions:
                continue
            if name not in spans:
                raise ValueError(
                    f"Condition on {name!r}: only discrete columns can be conditioned on. "
                    f"Discrete columns: {', '.join(spans)}."
                )
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
        unknown = [c for c in conditions if c not in self.columns_]
        if unknown:
            raise ValueError(f"Conditions name unknown columns {unknown}; columns are: {', '.join(self.columns_)}.")
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
        data = torch.from_numpy(matrix)
        spans = self._transformer.discrete_spans
        if not spans:
            return self._model.critic(data).astype(np.float64)
        total = np.zeros(len(matrix), dtype=np.float64)
        offsets = self._sampler.column_offsets.tolist()
        for span, off in zip(spans, offsets):
            cond = torch.zeros(len(matrix), self._sampler.n_categories)
            cond[:, off:off + span.width] = data[:, span.start:span.end]
            total += self._model.critic(torch.cat([data, cond], dim=1))
        return total / len(spans)

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
