"""The state one pipeline run carries from step to step, and the writes it stages until commit."""
from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from genesis_spark.delta.descriptions import TableDoc
from genesis_spark.delta.sink import StagedWrite
from genesis_spark.core.engine import Engine, Loaded
from genesis_spark.core.profile import Profile


class QualityGateError(RuntimeError):
    """A score missed its threshold in a step run with ``fail_on_low_score``; the run writes nothing."""


@dataclass
class StagedFile:
    """A file (or Spark CSV folder) written to a temporary name beside its target, renamed at commit."""

    temp_path: Path
    final_path: Path
    output_key: str

    def commit(self) -> None:
        """Move the temporary file into place (replacing an older one)."""
        if self.final_path.is_dir() and not self.temp_path.is_dir():
            raise IsADirectoryError(f"{self.final_path} is a folder; choose a file path.")
        if self.final_path.is_dir():
            shutil.rmtree(self.final_path)
        os.replace(self.temp_path, self.final_path)

    def abort(self) -> None:
        """Remove the temporary file."""
        if self.temp_path.is_dir():
            shutil.rmtree(self.temp_path, ignore_errors=True)
        elif self.temp_path.exists():
            self.temp_path.unlink()


@dataclass
class StagedTable:
    """A Delta write staged by the engine's sink, with the message and tags its commit carries."""

    write: StagedWrite
    message: str
    tags: tuple[str, ...]
    output_key: str


@dataclass
class RunContext:
    """Mutable state of one run: the current frame, lineage, fitted generator, reports, staged writes.

    Steps read and update it; only ``Pipeline.run`` commits ``staged_files``/``staged_tables``.
    """

    engine: Engine
    run_id: int
    app_id: str
    pipeline_name: str
    seed: int | None = None
    frame: Any = None
    source: Loaded | None = None
    profile: Profile | None = None
    train_real: Any = None
    test: Any = None
    target_column: str | None = None
    augment_result: Any = None
    augment_config: dict[str, Any] | None = None  # the augment step's config (the report's thresholds)
    generator: Any = None
    quality: Any = None
    privacy: Any = None
    utility: Any = None
    metrics: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    staged_files: list[StagedFile] = field(default_factory=list)
    staged_tables: list[StagedTable] = field(default_factory=list)
    sink: Any = None
    staged_outputs: list[tuple[str, str]] = field(default_factory=list)
    #: Tables that already held this run when it started (a half-committed run being completed).
    resumed_tables: dict[str, int] = field(default_factory=dict)

    def require_frame(self, step: str) -> Any:
        """The current frame, or a clear error when no load step ran before ``step``."""
        if self.frame is None:
            raise ValueError(f"{step}: no data loaded yet; put a load_csv, load_parquet or load_delta step first.")
        return self.frame

    def stage_file(self, final_path: str | Path, write: Callable[[Path], Any], output_key: str) -> Path:
        """Write through ``write(temp_path)`` beside ``final_path``; the rename happens at commit.

        ``write`` may return the path it actually wrote (e.g. a generator's ``save``).
        """
        final = Path(final_path)
        final.parent.mkdir(parents=True, exist_ok=True)
        temp = final.parent / f".{final.name}.{uuid.uuid4().hex[:8]}.tmp{final.suffix}"
        written = write(temp)
        staged = StagedFile(Path(written) if isinstance(written, (str, Path)) else temp, final, output_key)
        self.staged_files.append(staged)
        self.staged_outputs.append((output_key, str(final)))
        return final

    def stage_table(self, table_path: str | Path, frame: Any, mode: str, message: str,
                    tags: tuple[str, ...] = (), output_key: str = "table_path", doc: TableDoc | None = None) -> None:
        """Stage a Delta write through the engine's sink (committed by ``Pipeline.run``); ``doc``: its description."""
        if self.sink is None:
            self.sink = self.engine.delta_sink()
        write = self.sink.stage(str(table_path), frame, mode, doc=doc)
        self.staged_tables.append(StagedTable(write, message, tuple(tags), output_key))
        self.staged_outputs.append((output_key, str(table_path)))
