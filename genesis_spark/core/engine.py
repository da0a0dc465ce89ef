"""The engine protocol the pipeline steps call, and the value types engines return.

A frame is whatever the engine works on (a pandas DataFrame on the pandas engine, a
Spark DataFrame on Spark). Steps never call pandas or Spark themselves: they read,
profile, split, augment, take bounded pandas samples for evaluation, write CSV and
stage Delta writes through the engine, so the same step objects run on both.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Protocol, Sequence, runtime_checkable

import pandas as pd

if TYPE_CHECKING:
    from genesis_spark.core.plan import AugmentResult
    from genesis_spark.core.profile import Profile
    from genesis_spark.delta.sink import DeltaSink

#: Source formats every engine reads (``table``: a catalog table, Spark only).
SOURCE_FORMATS = ("csv", "parquet", "delta", "table")
#: Delta sink modes of the Spark engine.
SINK_MODES = ("auto", "native", "embedded")
ENGINES = ("pandas", "spark")


@dataclass(frozen=True)
class Loaded:
    """A frame read by an engine, with its lineage (what was read, and which Delta version)."""

    frame: Any
    source: str
    format: str
    version: int | None = None


def check_format(fmt: str) -> str:
    """Validate a source format name."""
    if fmt not in SOURCE_FORMATS:
        raise ValueError(f"Unknown source format {fmt!r}; use one of {', '.join(SOURCE_FORMATS)}.")
    return fmt


@runtime_checkable
class Engine(Protocol):
    """What pipeline steps need from an engine. ``name`` is ``"pandas"`` or ``"spark"``."""

    name: str

    def read(self, path: str, format: str, *, version: int | str | None = None,
             options: Mapping[str, Any] | None = None) -> Loaded:
        """Read ``path`` as ``format`` (csv | parquet | delta | table); Delta ``version`` may be a tag."""
        ...

    def profile(self, frame: Any, target_column: str | None = None) -> "Profile":
        """Class counts/shares of ``target_column`` and per-column profile, in one pass."""
        ...

    def split(self, frame: Any, target_column: str, test_size: float, seed: int) -> tuple[Any, Any]:
        """Deterministic stratified ``(train, test)`` split (per class, independent of row order)."""
        ...

    def augment(self, frame: Any, target_column: str, ratio: float, strategy: str = "oversample",
                discrete_columns: Sequence[str] | None = None, config: Mapping[str, Any] | None = None,
                seed: int | None = None, generator: Any | None = None) -> "AugmentResult":
        """Augment ``frame``: frames in this engine's kind, ``training_rows`` as pandas. ``generator``: a
        fitted ``SyntheticGenerator`` to sample from instead of fitting one (from ``load_generator``)."""
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

    def delta_sink(self) -> "DeltaSink":
        """The sink that stages and commits Delta writes for this engine."""
        ...
