"""Engines: the only place pipeline steps touch data. ``PandasEngine`` here; ``SparkEngine`` in
``genesis_spark.spark.engine`` implements the same ``Engine`` protocol.

A frame is whatever the engine works on (a pandas DataFrame here, a Spark DataFrame on
Spark). Steps never call pandas or Spark themselves: they read, profile, split, augment,
take bounded pandas samples for evaluation, write CSV and stage Delta writes through the
engine, so the same step objects run on both.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Protocol, Sequence, runtime_checkable

import numpy as np
import pandas as pd

from genesis_spark.delta.sink import ArrowDeltaSink, DeltaSink

logger = logging.getLogger(__name__)

SOURCE_FORMATS = ("csv", "parquet", "delta", "table")
ENGINES = ("pandas", "spark")


@dataclass(frozen=True)
class Loaded:
    """A frame read by an engine, with its lineage (what was read, and which Delta version)."""

    frame: Any
    source: str
    format: str
    version: int | None = None


@dataclass(frozen=True)
class ColumnProfile:
    """One column's profile: type, nulls, distinct count (approximate on Spark), range."""

    name: str
    dtype: str
    nulls: int
    distinct: int
    min: Any = None
    max: Any = None


@dataclass(frozen=True)
class Profile:
    """Class statistics and column profile of a frame (the ``analyze`` step's result).

    ``class_counts`` maps each target value to its row count, largest first;
    ``id_like`` names the columns whose distinct count is close to the row count
    (kept out of training).
    """

    n_rows: int
    target_column: str | None
    class_counts: dict[Any, int] = field(default_factory=dict)
    columns: tuple[ColumnProfile, ...] = ()
    id_like: tuple[str, ...] = ()

    @property
    def class_shares(self) -> dict[Any, float]:
        """Each class's share of the rows."""
        return {k: (v / self.n_rows if self.n_rows else 0.0) for k, v in self.class_counts.items()}

    @property
    def minority_share(self) -> float:
        """The smallest class share (0.0 without a target)."""
        shares = self.class_shares
        return min(shares.values()) if shares else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (class labels as strings)."""
        return {
            "n_rows": self.n_rows,
            "target_column": self.target_column,
            "class_counts": {str(k): int(v) for k, v in self.class_counts.items()},
            "class_shares": {str(k): round(v, 6) for k, v in self.class_shares.items()},
            "id_like": list(self.id_like),
            "columns": [c.__dict__ for c in self.columns],
        }

    def format(self) -> str:
        """A short human-readable report: rows, class counts and shares, ID-like columns."""
        lines = [f"rows: {self.n_rows:,}"]
        if self.target_column is not None:
            lines.append(f"class distribution of {self.target_column!r}:")
            for label, count in self.class_counts.items():
                lines.append(f"  {label!s:>12}  {count:>10,}  {count / max(self.n_rows, 1):7.2%}")
        if self.id_like:
            lines.append(f"ID-like columns (excluded from training): {', '.join(self.id_like)}")
        return "\n".join(lines)


@runtime_checkable
class Engine(Protocol):
    """What pipeline steps need from an engine. ``name`` is ``"pandas"`` or ``"spark"``."""

    name: str

    def read(self, path: str, format: str, *, version: int | str | None = None,
             options: Mapping[str, Any] | None = None) -> Loaded:
        """Read ``path`` as ``format`` (csv | parquet | delta | table); Delta ``version`` may be a tag."""
        ...

    def profile(self, frame: Any, target_column: str | None = None) -> Profile:
        """Class counts/shares of ``target_column`` and per-column profile, in one pass."""
        ...

    def split(self, frame: Any, target_column: str, test_size: float, seed: int) -> tuple[Any, Any]:
        """Deterministic stratified ``(train, test)`` split (per class, independent of row order)."""
        ...

    def augment(self, frame: Any, target_column: str, ratio: float, strategy: str = "oversample",
                discrete_columns: Sequence[str] | None = None, config: Mapping[str, Any] | None = None,
                seed: int | None = None, generator: Any | None = None):
        """Augment ``frame``; returns ``genesis_spark.augment.AugmentResult`` (frames in this engine's kind,
        ``training_rows`` as pandas). ``generator``: a fitted ``SyntheticGenerator`` to sample from
        instead of fitting one (from ``load_generator``)."""
        ...

    def sample(self, frame: Any, n: int, seed: int = 0) -> pd.DataFrame:
        """At most ``n`` rows of ``frame`` as pandas (a seeded sample when larger), for evaluation."""
        ...

    def count(self, frame: Any) -> int:
        """Row count."""
        ...

    def columns(self, frame: Any) -> list[str]:
        """Column names."""
        ...

    def with_columns(self, frame: Any, values: Mapping[str, Any]) -> Any:
        """``frame`` plus constant columns (e.g. ``{"run_id": 3}``)."""
        ...

    def from_records(self, records: Sequence[Mapping[str, Any]]) -> Any:
        """A small frame of this engine's kind from Python records (the ``runs`` row)."""
        ...

    def write_csv(self, frame: Any, path: str | Path) -> None:
        """Write ``frame`` as CSV at ``path`` (a file on pandas; may be a folder on Spark)."""
        ...

    def delta_sink(self) -> DeltaSink:
        """The sink that stages and commits Delta writes for this engine."""
        ...


def check_format(fmt: str) -> str:
    """Validate a source format name."""
    if fmt not in SOURCE_FORMATS:
        raise ValueError(f"Unknown source format {fmt!r}; use one of {', '.join(SOURCE_FORMATS)}.")
    return fmt


def _require_file(path: str | Path, what: str) -> Path:
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{what} {str(p)!r} does not exist (resolved to {p.resolve()}). "
                                "Check the path; relative paths in YAML are relative to the YAML file.")
    return p


def hash_split_keys(frame: pd.DataFrame, seed: int) -> np.ndarray:
    """A uint64 key per row from its values and ``seed``: independent of row order and index."""
    row_hash = pd.util.hash_pandas_object(frame, index=False).to_numpy(dtype=np.uint64)
    salt = np.uint64(int(seed) * 0x9E3779B97F4A7C15 % (1 << 64))
    return pd.util.hash_array(row_hash ^ salt)


class PandasEngine:
    """In-memory engine on pandas DataFrames (no JVM). Delta through delta-rs.

    Example::

        engine = PandasEngine()
        loaded = engine.read("transactions.csv", "csv")
        train, test = engine.split(loaded.frame, "is_fraud", 0.2, seed=42)
    """

    name = "pandas"

    def __init__(self, **options: Any) -> None:
        if options:
            logger.debug("pandas engine ignores options %s", sorted(options))
        self.options = dict(options)

    def read(self, path: str, format: str, *, version: int | str | None = None,
             options: Mapping[str, Any] | None = None) -> Loaded:
        """Read CSV, Parquet or a Delta table (any version or tag) into pandas."""
        fmt = check_format(format)
        options = dict(options or {})
        if fmt == "csv":
            frame = pd.read_csv(_require_file(path, "CSV file"), **options)
            return Loaded(frame, str(path), fmt)
        if fmt == "parquet":
            frame = pd.read_parquet(_require_file(path, "Parquet file"), **options)
            return Loaded(frame, str(path), fmt)
        if fmt == "delta":
            from genesis_spark.delta.tables import read_version, resolve_version

            _require_file(path, "Delta table")
            resolved = resolve_version(path, version)
            frame = read_version(path, resolved).to_pandas()
            return Loaded(frame, str(path), fmt, resolved)
        raise ValueError("The pandas engine cannot read catalog tables; use engine: spark, "
                         "or load_delta/load_parquet with a path.")

    def profile(self, frame: pd.DataFrame, target_column: str | None = None) -> Profile:
        """Class counts and a per-column profile (exact distinct counts)."""
        n = len(frame)
        counts: dict[Any, int] = {}
        if target_column is not None:
            if target_column not in frame.columns:
                from genesis_spark.augment import missing_column_error

                raise missing_column_error(target_column, list(frame.columns), "target_column")
            vc = frame[target_column].value_counts(dropna=False)
            counts = {_plain(k): int(v) for k, v in vc.items()}
        columns = []
        id_like = []
        for name in frame.columns:
            s = frame[name]
            distinct = int(s.nunique(dropna=True))
            numeric = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
            columns.append(ColumnProfile(
                name=str(name), dtype=str(s.dtype), nulls=int(s.isna().sum()), distinct=distinct,
                min=_plain(s.min()) if numeric and distinct else None,
                max=_plain(s.max()) if numeric and distinct else None))
            if (name != target_column and n >= 50 and distinct >= 0.95 * n
                    and (pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)
                         or pd.api.types.is_integer_dtype(s))):
                id_like.append(str(name))
        return Profile(n_rows=n, target_column=target_column, class_counts=counts,
                       columns=tuple(columns), id_like=tuple(id_like))

    def split(self, frame: pd.DataFrame, target_column: str, test_size: float,
              seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Per class, the rows with the smallest value-hash keys form the test part.

        Each class contributes ``round(test_size * n_class)`` test rows (at least one when
        the class has two rows or more), so class shares are kept; the result does not
        depend on row order. Both parts keep the input's row order.
        """
        if not 0 < test_size < 1:
            raise ValueError(f"test_size must be in (0, 1), got {test_size!r}.")
        if target_column not in frame.columns:
            from genesis_spark.augment import missing_column_error

            raise missing_column_error(target_column, list(frame.columns), "target_column")
        keys = hash_split_keys(frame, seed)
        labels = frame[target_column].to_numpy()
        is_test = np.zeros(len(frame), dtype=bool)
        codes, _ = pd.factorize(labels, use_na_sentinel=False)
        order = np.lexsort((np.arange(len(frame)), keys, codes))  # by class, then key
        sorted_codes = codes[order]
        starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
        sizes = np.diff(np.r_[starts, len(order)])
        n_test = np.where(sizes >= 2, np.maximum(1, np.rint(sizes * test_size)), 0).astype(int)
        n_test = np.minimum(n_test, sizes - 1 + (sizes < 2))
        rank = np.arange(len(order)) - np.repeat(starts, sizes)
        is_test[order] = rank < np.repeat(n_test, sizes)
        return frame[~is_test], frame[is_test]

    def augment(self, frame: pd.DataFrame, target_column: str, ratio: float, strategy: str = "oversample",
                discrete_columns: Sequence[str] | None = None, config: Mapping[str, Any] | None = None,
                seed: int | None = None, generator: Any | None = None):
        """``genesis_spark.augment.augment`` on pandas."""
        from genesis_spark.augment import augment

        return augment(frame, target_column, ratio, strategy=strategy, discrete_columns=discrete_columns,
                       config=config, seed=seed, generator=generator)

    def sample(self, frame: pd.DataFrame, n: int, seed: int = 0) -> pd.DataFrame:
        """The frame itself when small enough, else a seeded sample of ``n`` rows (order kept)."""
        if len(frame) <= n:
            return frame.reset_index(drop=True)
        rng = np.random.default_rng(seed)
        rows = np.sort(rng.choice(len(frame), size=n, replace=False))
        return frame.iloc[rows].reset_index(drop=True)

    def count(self, frame: pd.DataFrame) -> int:
        """Row count."""
        return len(frame)

    def columns(self, frame: pd.DataFrame) -> list[str]:
        """Column names."""
        return [str(c) for c in frame.columns]

    def with_columns(self, frame: pd.DataFrame, values: Mapping[str, Any]) -> pd.DataFrame:
        """A copy of ``frame`` with constant columns added."""
        return frame.assign(**dict(values))

    def from_records(self, records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
        """A pandas DataFrame from records."""
        return pd.DataFrame.from_records(list(records))

    def from_pandas(self, df: pd.DataFrame) -> pd.DataFrame:
        """Identity on pandas."""
        return df

    def write_csv(self, frame: pd.DataFrame, path: str | Path) -> None:
        """Write a CSV file (no index)."""
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(path, index=False)

    def delta_sink(self) -> DeltaSink:
        """Arrow tables committed with ``write_deltalake``."""
        return ArrowDeltaSink()


def _plain(value: Any) -> Any:
    """numpy scalars to Python scalars (JSON-able labels and ranges)."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def get_engine(name: str = "pandas", **options: Any) -> Engine:
    """The engine called ``name``: ``"pandas"`` or ``"spark"`` (imported lazily).

    Spark options (``master``, ``conf``, ``sink``, ...) go to ``SparkEngine``.

    Example::

        engine = get_engine("pandas")
        engine = get_engine("spark", master="local[2]", sink="auto")
    """
    if name == "pandas":
        return PandasEngine(**options)
    if name == "spark":
        try:
            from genesis_spark.spark.engine import SparkEngine
        except ImportError as exc:
            raise ValueError(f"engine 'spark' is not available: {exc}. Install pyspark "
                             "(pip install 'genesis_spark[spark]') or use engine: pandas.") from exc
        return SparkEngine(**options)
    raise ValueError(f"Unknown engine {name!r}; use one of: {', '.join(ENGINES)}.")


def env_engine_default() -> str:
    """The default engine name: ``$GENESIS_ENGINE`` or ``pandas``."""
    return os.environ.get("GENESIS_ENGINE", "pandas")
