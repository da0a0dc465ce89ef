"""Delta sinks: stage table writes during a run, commit them all (one version per table) at the end.

A sink has two calls, used by ``Pipeline.run``:

* ``stage(table_path, frame, mode) -> StagedWrite`` while the steps run: nothing becomes
  visible in the table (the pandas sink just holds an Arrow table; Spark's embedded sink
  writes parquet files that no Delta version references yet).
* ``commit_all(staged, info) -> {table_path: version}`` once every step succeeded: one new
  version per table, carrying ``info``'s metadata and the app transaction
  ``(info.app_id, info.run_id)``; a table that already holds that run is left alone.
* ``abort(staged)`` after a failure: remove whatever staging left behind.
* ``check(staged, planned)`` before any commit of a run: refuse (``SchemaMismatchError``, one
  line) a write whose columns or types differ from its existing table's
  (``genesis_spark.delta.schema``); ``planned`` adds tables written later in the run with a
  known schema (the ``runs`` row).

Appends never widen a table (``commit_all`` refuses a changed schema too); an ``overwrite``
through the sink itself replaces the table's schema, which ``Pipeline`` refuses up front with
``check``.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Literal, Mapping, Protocol, Sequence, runtime_checkable

import pyarrow as pa

from genesis_spark.delta.descriptions import TableDoc, comment_arrow
from genesis_spark.delta.metadata import CommitInfo
from genesis_spark.delta.schema import Fields, check_fields, fields_from_arrow, table_fields
from genesis_spark.delta.tables import committed_runs, table_version

logger = logging.getLogger(__name__)

WriteMode = Literal["append", "overwrite"]
WRITE_MODES = ("append", "overwrite")


@dataclass(frozen=True)
class StagedWrite:
    """One table write waiting for the run's commit: where, how, and the engine's payload.

    ``payload`` is sink-specific (a pyarrow Table for the pandas sink, staged parquet
    files or a DataFrame for Spark's sinks).
    """

    table_path: str
    mode: WriteMode
    payload: Any
    name: str = ""
    #: The Delta table description a commit that creates the table writes (``TableDoc.description``).
    description: str | None = None


@runtime_checkable
class DeltaSink(Protocol):
    """What an engine's Delta sink provides (pandas: ``ArrowDeltaSink``; Spark: D1's sinks)."""

    def stage(self, table_path: str | Path, frame: Any, mode: WriteMode = "append",
              doc: TableDoc | None = None) -> StagedWrite:
        """Prepare a write of ``frame`` to the Delta table at ``table_path``; nothing is visible yet.

        ``doc`` gives the column comments and the description of a table the commit creates.
        """
        ...

    def commit_all(self, staged: Sequence[StagedWrite], info: CommitInfo) -> dict[str, int]:
        """Commit every staged write as one new version per table; return ``{table_path: version}``."""
        ...

    def abort(self, staged: Sequence[StagedWrite]) -> None:
        """Discard staged writes (after a failed run)."""
        ...

    def check(self, staged: Sequence[StagedWrite], planned: Mapping[str, Fields] | None = None) -> None:
        """Raise ``SchemaMismatchError`` when a write's (or a planned table's) columns differ from its table's."""
        ...


def check_mode(mode: str) -> WriteMode:
    """Validate a Delta write mode, with an actionable message."""
    if mode not in WRITE_MODES:
        raise ValueError(f"Delta write mode must be one of {', '.join(WRITE_MODES)}, got {mode!r}.")
    return mode  # type: ignore[return-value]


def run_version(path: str | Path, app_id: str, run_id: int) -> int | None:
    """The version of ``path`` written by run ``run_id`` of ``app_id`` (from commit metadata), or None."""
    return committed_runs(path, app_id).get(run_id)


def commit_idempotent(table_path: str | Path, info: CommitInfo, commit: Callable[[], None]) -> int:
    """Run ``commit()`` unless ``table_path`` already holds exactly run ``info.run_id`` of ``info.app_id``.

    Exactly this run, never a high-water mark: a table holding run 5 still takes run 3 here
    (``Pipeline`` refuses run ids below the latest committed one before any work). delta-rs
    records app transactions but does not skip duplicates, so the check runs before committing
    and again after a ``CommitFailedError`` (a concurrent writer may have committed the same
    run). Returns the version that holds the run. Engines' sinks share this (the embedded
    Spark sink passes its own ``commit``).
    """
    from deltalake.exceptions import CommitFailedError

    def already() -> int | None:
        version = run_version(table_path, info.app_id, info.run_id)
        if version is not None:
            logger.info("%s already holds run %d of %s (version %s): nothing written",
                        table_path, info.run_id, info.app_id, version)
        return version

    existing = already()
    if existing is not None:
        return existing
    try:
        commit()
    except CommitFailedError:
        existing = already()
        if existing is not None:
            return existing
        raise
    version = table_version(table_path)
    assert version is not None
    return version


class ArrowDeltaSink:
    """The pandas engine's sink: stages Arrow tables, commits each with ``write_deltalake``.

    Example::

        sink = ArrowDeltaSink()
        staged = [sink.stage("lake/augmented_train", df)]
        sink.commit_all(staged, CommitInfo(app_id="genesis_spark:demo", run_id=1, message="first"))
    """

    def stage(self, table_path: str | Path, frame: Any, mode: WriteMode = "append",
              doc: TableDoc | None = None) -> StagedWrite:
        """Convert ``frame`` (pandas or Arrow) to an Arrow table held in memory until commit.

        ``doc``'s column comments go into the Arrow field metadata (delta-rs stores them in the
        Delta schema) and its description is written when the commit creates the table.
        """
        mode = check_mode(mode)
        if isinstance(frame, pa.Table):
            data = frame
        else:
            data = pa.Table.from_pandas(frame, preserve_index=False)
        if doc is not None:
            data = data.cast(comment_arrow(data.schema, doc))
        return StagedWrite(table_path=str(table_path), mode=mode, payload=data, name=Path(table_path).name,
                           description=doc.description if doc is not None else None)

    def check(self, staged: Sequence[StagedWrite], planned: Mapping[str, Fields] | None = None) -> None:
        """Refuse (``SchemaMismatchError``) any write whose columns or types differ from its existing table's."""
        for write in staged:
            check_fields(write.table_path, table_fields(write.table_path), fields_from_arrow(write.payload.schema),
                         write.mode)
        for path, fields in (planned or {}).items():
            check_fields(path, table_fields(path), fields, "append")

    def commit_all(self, staged: Sequence[StagedWrite], info: CommitInfo) -> dict[str, int]:
        """One ``write_deltalake`` per staged table, each carrying ``info`` and its app transaction.

        An append must bring the table's columns and types (``SchemaMismatchError`` otherwise:
        never widened); an overwrite replaces the table's schema with the frame's.
        """
        from deltalake import CommitProperties, Transaction, write_deltalake

        versions: dict[str, int] = {}
        for write in staged:
            def commit(write: StagedWrite = write) -> None:
                Path(write.table_path).mkdir(parents=True, exist_ok=True)
                properties = CommitProperties(custom_metadata=info.metadata(),
                                              app_transactions=[Transaction(info.app_id, info.run_id)])
                data = write.payload
                current = table_fields(write.table_path)
                if current is None:
                    write_deltalake(write.table_path, data, mode="overwrite", description=write.description,
                                    commit_properties=properties)
                elif write.mode == "append":
                    check_fields(write.table_path, current, fields_from_arrow(data.schema), "append")
                    write_deltalake(write.table_path, data.select(list(current)), mode="append",
                                    commit_properties=properties)
                else:
                    write_deltalake(write.table_path, data, mode="overwrite", schema_mode="overwrite",
                                    commit_properties=properties)

            versions[write.table_path] = commit_idempotent(write.table_path, info, commit)
        return versions

    def abort(self, staged: Sequence[StagedWrite]) -> None:
        """Nothing was written outside memory: nothing to undo."""
