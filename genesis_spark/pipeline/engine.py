"""The pandas engine of the pipeline, and ``get_engine``. ``SparkEngine`` (``genesis_spark.spark.engine``)
implements the same ``genesis_spark.core.engine.Engine`` protocol on Spark DataFrames.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from genesis_spark.core.columns import check_unique_columns, missing_column_error
from genesis_spark.core.csv_types import check_csv_file, read_csv_header, read_csv_pandas
from genesis_spark.core.engine import ENGINES, Engine, Loaded, check_format  # noqa: F401 (ENGINES re-exported)
from genesis_spark.core.plan import AugmentResult
from genesis_spark.core.profile import Profile, profile_pandas
from genesis_spark.delta.sink import ArrowDeltaSink, DeltaSink

logger = logging.getLogger(__name__)


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
        """Read CSV (types by ``genesis_spark.core.csv_types``), Parquet or a Delta table (any version or tag)."""
        fmt = check_format(format)
        options = dict(options or {})
        if fmt == "csv":
            source = _require_file(path, "CSV file")
            check_csv_file(source)
            check_unique_columns(read_csv_header(source, options), f"CSV file {str(path)!r}")
            return Loaded(read_csv_pandas(source, options), str(path), fmt)
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
        return profile_pandas(frame, target_column)

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
                seed: int | None = None, generator: Any | None = None) -> AugmentResult:
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

    def from_records(self, records: Sequence[Mapping[str, Any]], schema: Any = None) -> Any:
        """A pandas DataFrame from records; with an Arrow ``schema``, an Arrow table of exactly that schema.

        The typed form is what the ``runs`` table is written from (``genesis_spark.delta.runs``):
        map columns from dicts, a UTC timestamp, nulls kept as nulls.
        """
        if schema is not None:
            from genesis_spark.delta.runs import records_arrow

            return records_arrow(list(records), schema)
        return pd.DataFrame.from_records(list(records))

    def write_csv(self, frame: pd.DataFrame, path: str | Path) -> None:
        """Write a CSV file (no index)."""
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(path, index=False)

    def delta_sink(self) -> DeltaSink:
        """Arrow tables committed with ``write_deltalake``."""
        return ArrowDeltaSink()


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

