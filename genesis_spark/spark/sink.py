"""Spark's Delta sinks (``auto | native | embedded``), implementing ``genesis_spark.delta.DeltaSink``.

* ``embedded`` (the local default, no Delta jars): ``stage`` has Spark write the frame's
  parquet files into a staging folder of the table (invisible to Delta readers: no
  version references them); ``commit_all`` reads their footers on the driver and
  commits each table's files as ONE Delta version with delta-rs, carrying the run's
  metadata and app transaction (``genesis_spark.delta.commit``).
* ``native`` (Databricks, clusters with the Delta jars, Spark Connect engines such as pysail):
  ``stage`` only records the frame; ``commit_all`` first checks the table's history (app
  transaction and ``userMetadata``, via delta-rs or ``DESCRIBE HISTORY``) and skips a run it
  already holds, then writes with ``format("delta")``, ``userMetadata``, ``txnAppId`` and
  ``txnVersion`` (Delta's own skip, where the engine honours it), ``saveAsTable`` for catalog names.
* ``auto``: native when the session has Spark's Delta data source, embedded otherwise
  (probed once per session).

Both sinks refuse a write whose columns or types differ from the existing table's
(``check``, which ``Pipeline`` runs over every write of a run before committing any; appends
are refused at commit too): one line naming the table and the columns, never widened.

Tables are committed one after the other (Delta has no multi-table transaction): a crash
before a table's commit leaves it at its previous version, and re-running the same run id
commits only the tables still missing it.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from genesis_spark.core.engine import SINK_MODES
from genesis_spark.delta.commit import (commit_files, describe_files, list_staged_files, new_stage_dir,
                                        remove_stage_dir)
from genesis_spark.delta.descriptions import COMMENT_KEY, TableDoc, comment_schema_json
from genesis_spark.delta.metadata import CommitInfo
from genesis_spark.delta.schema import Fields, check_fields, fields_from_json, table_fields
from genesis_spark.delta.sink import StagedWrite, WriteMode, check_mode
from genesis_spark.delta.tables import is_catalog_name, table_location

logger = logging.getLogger(__name__)


def _as_spark_frame(spark, frame):
    from genesis_spark.core.frames import is_spark_dataframe

    if is_spark_dataframe(frame):
        return frame
    if spark is None:
        raise TypeError(f"The Spark Delta sink needs a Spark DataFrame (got {type(frame).__name__}); "
                        "or create the sink with a SparkSession to convert pandas/Arrow frames.")
    return spark.createDataFrame(frame)


@dataclass(frozen=True)
class StagedFiles:
    """The embedded sink's payload: the staging folder Spark wrote, its data files, the frame's schema JSON
    (column comments in its field metadata) and the table description a new table gets."""

    stage_dir: str
    files: tuple[str, ...]
    schema_json: str
    description: str | None = None


def with_comments(frame, doc: TableDoc | None):
    """``frame`` with ``doc``'s comment in each column's metadata (``comment``, as Spark's DDL writes it).

    A column that already has a comment keeps it; without ``doc`` the frame is returned as is.
    """
    if doc is None:
        return frame
    from pyspark.sql import functions as F

    columns = []
    for f in frame.schema.fields:
        column = F.col("`" + f.name.replace("`", "``") + "`")
        text = doc.comment(f.name)
        if text and COMMENT_KEY not in f.metadata:
            column = column.alias(f.name, metadata={**f.metadata, COMMENT_KEY: text})
        columns.append(column)
    return frame.select(*columns)


class _SparkSink:
    """What both Spark sinks share: the session and the checks every staged write starts with."""

    name = ""

    def __init__(self, spark=None) -> None:
        self.spark = spark

    def _prepare(self, table_path: str | Path, frame: Any, mode: str) -> tuple[Any, str, WriteMode]:
        """``(Spark frame, absolute path or catalog name, checked mode)`` of a write."""
        target = str(table_path) if is_catalog_name(table_path) else table_location(table_path)
        return _as_spark_frame(self.spark, frame), target, check_mode(mode)

    def _staged_fields(self, write: StagedWrite) -> Fields:
        raise NotImplementedError

    def _table_fields(self, target: str) -> Fields | None:
        """``{column: type}`` of the existing table at ``target`` (path: delta-rs), or None when there is none."""
        return table_fields(table_location(target))

    def check(self, staged: Sequence[StagedWrite], planned: Mapping[str, Fields] | None = None) -> None:
        """Refuse (``SchemaMismatchError``) any write whose columns or types differ from its existing table's."""
        for write in staged:
            check_fields(write.table_path, self._table_fields(write.table_path), self._staged_fields(write),
                         write.mode)
        for target, fields in (planned or {}).items():
            target = str(target) if is_catalog_name(target) else table_location(target)
            check_fields(target, self._table_fields(target), fields, "append")


class EmbeddedDeltaSink(_SparkSink):
    """Spark writes parquet under the table folder; the driver commits them as one Delta version with delta-rs.

    Example::

        sink = EmbeddedDeltaSink(spark)
        staged = [sink.stage("lakehouse/augmented_train", train_df), sink.stage("lakehouse/test", test_df)]
        sink.commit_all(staged, CommitInfo(app_id="genesis_spark:fraud", run_id=7))
        # {'.../augmented_train': 0, '.../test': 0}
    """

    name = "embedded"

    def stage(self, table_path: str | Path, frame: Any, mode: str = "append",
              doc: TableDoc | None = None) -> StagedWrite:
        """Write ``frame``'s parquet files into a fresh staging folder of ``table_path``; no Delta version yet.

        ``doc`` (``genesis_spark.delta.descriptions``) gives the column comments of the committed
        schema and the description of a table this commit creates.
        """
        if is_catalog_name(table_path):
            raise ValueError(f"The embedded Delta sink writes table folders, not catalog tables ({table_path!r}). "
                             "Give a path, or run with the Delta jars and sink: native.")
        frame, root, mode = self._prepare(table_path, frame, mode)
        stage_dir = new_stage_dir(root)
        (frame.write.mode("errorifexists")
         .option("compression", "snappy")
         .parquet(f"{root}/{stage_dir}"))
        files = list_staged_files(root, stage_dir)
        schema_json = comment_schema_json(frame.schema.json(), doc) if doc is not None else frame.schema.json()
        payload = StagedFiles(stage_dir=stage_dir, files=tuple(files), schema_json=schema_json,
                              description=doc.description if doc is not None else None)
        logger.info("staged %d parquet files for %s in %s (not visible to Delta readers until commit)",
                    len(files), root, stage_dir)
        return StagedWrite(table_path=root, mode=mode, payload=payload, name=Path(root).name)

    def _staged_fields(self, write: StagedWrite) -> Fields:
        return fields_from_json(write.payload.schema_json)

    def commit_all(self, staged: Sequence[StagedWrite], info: CommitInfo) -> dict[str, int]:
        """Commit each staged table as one new Delta version (skipped where the run is already committed)."""
        from deltalake import Schema

        versions: dict[str, int] = {}
        for write in staged:
            payload: StagedFiles = write.payload
            files = describe_files(write.table_path, payload.files)
            schema = Schema.from_json(_nullable(payload.schema_json))
            versions[write.table_path] = commit_files(write.table_path, files, write.mode, info, schema,
                                                      description=payload.description)
        return versions

    def abort(self, staged: Sequence[StagedWrite]) -> None:
        """Remove the staging folders of writes that no Delta version references (committed ones are kept)."""
        for write in staged:
            payload = write.payload
            if isinstance(payload, StagedFiles):
                remove_stage_dir(write.table_path, payload.stage_dir)


class NativeDeltaSink(_SparkSink):
    """Spark's own Delta writer (needs the Delta jars): ``userMetadata`` + ``txnAppId``/``txnVersion``.

    Example::

        sink = NativeDeltaSink(spark)
        sink.commit_all([sink.stage("main.fraud.augmented_train", df, "overwrite")], info)
    """

    name = "native"

    def stage(self, table_path: str | Path, frame: Any, mode: str = "append",
              doc: TableDoc | None = None) -> StagedWrite:
        """Record the write; Spark's Delta writer commits as it writes, so nothing runs before ``commit_all``.

        ``doc`` puts its column comments in the frame's schema (Spark's Delta writer stores them);
        the table description is not written by this sink.
        """
        frame, target, mode = self._prepare(table_path, frame, mode)
        frame = with_comments(frame, doc)
        return StagedWrite(table_path=target, mode=mode, payload=frame, name=target.rsplit("/", 1)[-1])

    def _staged_fields(self, write: StagedWrite) -> Fields:
        return fields_from_json(write.payload.schema.json())

    def _table_fields(self, target: str) -> Fields | None:
        """The existing table's columns: delta-rs on its path or catalog location, else the catalog's schema."""
        location = _native_location(self.spark, target)
        if location is not None:
            try:
                found = table_fields(location)
                if found is not None or not is_catalog_name(target):
                    return found
            except Exception:  # noqa: BLE001 - remote storage delta-rs cannot reach: ask Spark
                pass
        if is_catalog_name(target):
            from genesis_spark.spark.io import catalog_table_exists

            if catalog_table_exists(self.spark, target) is False:
                return None
            try:
                return fields_from_json(self.spark.table(target).schema.json())
            except Exception:  # noqa: BLE001 - unknown: Delta's own schema enforcement still applies
                logger.warning("cannot read the schema of %s: not checked before the commit", target)
        return None

    def commit_all(self, staged: Sequence[StagedWrite], info: CommitInfo) -> dict[str, int]:
        """Write each staged frame as one Delta version, skipping tables that already hold the run.

        The sink checks first (``userMetadata`` history, through delta-rs or ``DESCRIBE HISTORY``)
        and writes nothing where ``(app_id, run_id)`` is already committed; Delta's own ``txnAppId``/``txnVersion`` check backs this
        up on engines that honour it (Databricks, delta-spark; pysail 0.7.2 ignores both options).
        """
        versions: dict[str, int] = {}
        for write in staged:
            frame = write.payload
            spark = frame.sparkSession
            existing = _native_existing_run(spark, write.table_path, info)
            if existing is not None:
                logger.info("%s already holds run %d of %s (version %d): nothing written",
                            write.table_path, info.run_id, info.app_id, existing)
                versions[write.table_path] = existing
                continue
            if write.mode == "append":  # never widened (Delta's own enforcement would say it in many lines)
                check_fields(write.table_path, self._table_fields(write.table_path), self._staged_fields(write))
            writer = (frame.write.format("delta").mode(write.mode)
                      .option("userMetadata", info.user_metadata())
                      .option("txnAppId", info.app_id)
                      .option("txnVersion", str(info.run_id)))
            if write.mode == "overwrite":
                writer = writer.option("overwriteSchema", "true")
            if is_catalog_name(write.table_path):
                writer.saveAsTable(write.table_path)
            else:
                writer.save(write.table_path)
            versions[write.table_path] = _native_run_version(spark, write.table_path, info)
        return versions

    def abort(self, staged: Sequence[StagedWrite]) -> None:
        """Nothing was written before ``commit_all``: nothing to undo."""


def _delta_rs_history(location: str, missing_is_empty: bool = True) -> list[tuple[int, dict]] | None:
    """Commits of the Delta table at ``location`` via delta-rs; ``[]`` when there is none; None if unreadable.

    A local folder without ``_delta_log`` is "no table yet" (``[]``) when ``missing_is_empty``,
    else unknown (None: a catalog location that is not reachable from this process).
    """
    from genesis_spark.delta.tables import history, is_delta_table

    try:
        if not is_delta_table(location):
            return [] if missing_is_empty and "://" not in location else None
        return [(r.version, r.metadata) for r in history(location)]
    except Exception:  # noqa: BLE001 - remote storage delta-rs cannot reach (no credentials)
        return None


def _spark_history(spark, ref: str) -> list[tuple[int, dict]] | None:
    """Commits from ``DESCRIBE HISTORY ref`` (genesis metadata parsed from ``userMetadata``), or None."""
    from genesis_spark.delta.metadata import parse_commit_metadata

    try:
        rows = spark.sql(f"DESCRIBE HISTORY {ref}").select("version", "userMetadata").limit(1000).collect()
    except Exception:  # noqa: BLE001 - no table yet, or an engine without DESCRIBE HISTORY (pysail 0.7.2)
        return None
    commits = [(int(r["version"]), parse_commit_metadata({"userMetadata": r["userMetadata"]})) for r in rows]
    return sorted(commits, key=lambda c: -c[0])


def _native_location(spark, target: str) -> str | None:
    """Where delta-rs can open ``target``: the path itself, or a catalog table's location."""
    if not is_catalog_name(target):
        return target
    from genesis_spark.spark.io import catalog_table_location

    return catalog_table_location(spark, target)


def _native_commits(spark, target: str) -> tuple[list[tuple[int, dict]] | None, str | None]:
    """The commits of ``target`` (newest first; ``[]`` when no table yet; None when unknown) and its location."""
    from genesis_spark.spark.io import catalog_table_exists

    location = _native_location(spark, target)
    if is_catalog_name(target):
        commits = _spark_history(spark, target)
        if commits is None and location is not None:
            commits = _delta_rs_history(location, missing_is_empty=False)
        if commits is None and catalog_table_exists(spark, target) is False:  # unknown: no shortcut
            commits = []
        return commits, location
    commits = _delta_rs_history(target)
    if commits is None:
        commits = _spark_history(spark, f"delta.`{target}`")
    return commits, location


def _native_existing_run(spark, target: str, info: CommitInfo) -> int | None:
    """The version of ``target`` that already holds exactly run ``info.run_id`` of ``info.app_id``, or None.

    Read from the run ids recorded in ``userMetadata`` (delta-rs or ``DESCRIBE HISTORY``); the
    same rule as ``commit_idempotent``: this run, never a high-water mark.
    """
    commits, _ = _native_commits(spark, target)
    if commits is None:
        logger.warning("cannot read the history of %s: idempotency of run %d relies on the engine's "
                       "txnAppId/txnVersion", target, info.run_id)
        return None
    exact = [v for v, m in commits if m.get("app_id") == info.app_id and m.get("run_id") == info.run_id]
    return exact[0] if exact else None


def _native_run_version(spark, target: str, info: CommitInfo) -> int:
    """The version of ``target`` holding this run (after the write): from delta-rs or DESCRIBE HISTORY."""
    commits, _ = _native_commits(spark, target)
    if not commits:
        raise RuntimeError(f"The Delta write to {target!r} finished but its version cannot be read back: neither "
                           "delta-rs (path or catalog location) nor DESCRIBE HISTORY can read the table's history.")
    for version, meta in commits:
        if meta.get("app_id") == info.app_id and meta.get("run_id") == info.run_id:
            return version
    return commits[0][0]


def _nullable(schema_json: str) -> str:
    schema = json.loads(schema_json)
    for fld in schema["fields"]:
        fld["nullable"] = True
    return json.dumps(schema)


def spark_delta_sink(spark, mode: str = "auto"):
    """The Delta sink for ``mode``: ``embedded``, ``native``, or ``auto`` (native when the session has the jars).

    Example::

        sink = spark_delta_sink(spark)          # EmbeddedDeltaSink on the local default
    """
    if mode not in SINK_MODES:
        raise ValueError(f"Delta sink mode must be one of {', '.join(SINK_MODES)}, got {mode!r}.")
    if mode == "auto":
        from genesis_spark.spark.io import delta_jars_available

        mode = "native" if delta_jars_available(spark) else "embedded"
        logger.info("Delta sink: %s (auto)", mode)
    return NativeDeltaSink(spark) if mode == "native" else EmbeddedDeltaSink(spark)
