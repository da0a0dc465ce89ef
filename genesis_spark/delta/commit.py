"""Commit parquet files that another engine (Spark) wrote under a table folder as ONE Delta version, with delta-rs.

The files are written first into a staging folder of their own (``<table>/<STAGE_PREFIX><id>/``);
nothing in the Delta log points at them, so Delta readers do not see them. The driver
then reads each file's parquet footer (size, row count, min/max, null counts), turns
them into add actions, and commits them in one transaction carrying the run's metadata
and its app transaction (``info.app_id``, ``info.run_id``), skipping the commit when the
table already holds that run. Files left by a crash before the commit are orphans: no
version references them; ``cleanup_orphans`` removes them.
"""
from __future__ import annotations

import datetime as _dt
import decimal
import json
import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from genesis_spark.delta.metadata import CommitInfo
from genesis_spark.delta.schema import check_fields, fields_from_json
from genesis_spark.delta.sink import check_mode, commit_idempotent
from genesis_spark.delta.tables import is_catalog_name, table_location

logger = logging.getLogger(__name__)

#: Staging folders are named ``<STAGE_PREFIX><hex id>``; committed files stay where they were written.
STAGE_PREFIX = "genesis-stage-"
#: Longer strings get no min/max statistics (Delta readers then never skip on them).
MAX_STRING_STAT_CHARS = 32


@dataclass(frozen=True)
class DataFile:
    """One parquet file of a staged write: its path relative to the table root, size, rows and Delta stats JSON."""

    path: str
    size: int
    num_records: int
    modification_time: int
    stats: str


def new_stage_dir(table_path: str | Path) -> str:
    """A fresh staging folder name under ``table_path`` (relative), unique to one write attempt."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    return f"{STAGE_PREFIX}{stamp}-{uuid.uuid4().hex[:12]}"


def _filesystem(table_path: str | Path) -> tuple[pafs.FileSystem, str]:
    fs, root = pafs.FileSystem.from_uri(table_location(table_path))
    return fs, root.rstrip("/")


def _stat_value(value: Any, upper: bool) -> Any:
    """A parquet min (``upper`` False) or max statistic as Delta's stats JSON writes it, or None if unusable.

    UTC timestamps are rounded outwards to Delta's millisecond precision (down for a
    min, up for a max) so the bounds still cover the data; floats, decimals, booleans,
    naive timestamps, binary and long strings get no bound (readers then never skip on them).
    """
    if value is None or isinstance(value, (bool, float, decimal.Decimal)):
        # booleans carry no range in Delta; floats may hide NaN (parquet min/max skip it) and
        # decimals would round through JSON: no bound is always safe.
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            return None
        value = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
        if upper and value.microsecond % 1000:
            value += _dt.timedelta(milliseconds=1)
        return value.isoformat(timespec="milliseconds") + "Z"
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return value if len(value) <= MAX_STRING_STAT_CHARS else None
    return None  # binary and anything else: no min/max


def footer_stats(metadata: pq.FileMetaData) -> tuple[int, str]:
    """``(numRecords, stats JSON)`` of one parquet file from its footer, for a Delta add action.

    Top-level primitive columns get ``nullCount`` and, where every row group has them and
    they are safe to use (integers, short strings, dates, UTC timestamps),
    ``minValues``/``maxValues``.
    """
    num_records = int(metadata.num_rows)
    mins: dict[str, Any] = {}
    maxs: dict[str, Any] = {}
    nulls: dict[str, int] = {}
    schema = metadata.schema
    for i in range(metadata.num_columns):
        path = schema.column(i).path
        if "." in path or schema.column(i).max_repetition_level > 0:
            continue  # nested and repeated columns: no statistics
        lo = hi = None
        null_count = 0
        usable_range = metadata.num_row_groups > 0
        usable_nulls = True
        for g in range(metadata.num_row_groups):
            stats = metadata.row_group(g).column(i).statistics
            if stats is None:
                usable_range = usable_nulls = False
                break
            if stats.has_null_count:
                null_count += int(stats.null_count)
            else:
                usable_nulls = False
            if not stats.has_min_max:
                if metadata.row_group(g).num_rows > (stats.null_count if stats.has_null_count else -1):
                    usable_range = False
                continue
            a, b = _stat_value(stats.min, False), _stat_value(stats.max, True)
            if a is None or b is None:
                usable_range = False
                continue
            lo = a if lo is None or a < lo else lo
            hi = b if hi is None or b > hi else hi
        if usable_nulls:
            nulls[path] = null_count
        if usable_range and lo is not None:
            mins[path], maxs[path] = lo, hi
    stats = {"numRecords": num_records, "minValues": mins, "maxValues": maxs, "nullCount": nulls}
    return num_records, json.dumps(stats, separators=(",", ":"))


def describe_files(table_path: str | Path, relative_paths: Sequence[str], threads: int = 8) -> list[DataFile]:
    """Read the footers of parquet files under ``table_path`` (paths relative to it) into ``DataFile``s.

    Only footers are read (a few KB per file), in ``threads`` parallel reads.
    """
    fs, root = _filesystem(table_path)

    def one(rel: str) -> DataFile:
        full = f"{root}/{rel}"
        info = fs.get_file_info(full)
        with fs.open_input_file(full) as handle:
            metadata = pq.ParquetFile(handle).metadata
        num_records, stats = footer_stats(metadata)
        mtime = int(info.mtime.timestamp() * 1000) if info.mtime is not None else int(time.time() * 1000)
        return DataFile(path=rel, size=int(info.size), num_records=num_records, modification_time=mtime, stats=stats)

    if not relative_paths:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(threads, len(relative_paths)))) as pool:
        return list(pool.map(one, relative_paths))


def list_staged_files(table_path: str | Path, stage_dir: str) -> list[str]:
    """The parquet data files Spark wrote into ``stage_dir`` (relative paths; no ``_SUCCESS``/``.crc``)."""
    fs, root = _filesystem(table_path)
    selector = pafs.FileSelector(f"{root}/{stage_dir}", recursive=True, allow_not_found=True)
    found = []
    for entry in fs.get_file_info(selector):
        name = entry.base_name
        if entry.type == pafs.FileType.File and name.endswith(".parquet") and not name.startswith((".", "_")):
            found.append(entry.path[len(root) + 1:])
    return sorted(found)


def nullable_schema(schema: pa.Schema) -> pa.Schema:
    """``schema`` with every top-level field nullable (as Delta tables written by Spark are)."""
    return pa.schema([f.with_nullable(True) for f in schema])


def commit_files(table_path: str | Path, files: Sequence[DataFile], mode: str, info: CommitInfo,
                 schema: Any, description: str | None = None) -> int:
    """Commit ``files`` (already under ``table_path``) as ONE new Delta version; return the version holding the run.

    ``mode`` is ``append`` or ``overwrite`` (overwrite removes every file of the current
    version in the same commit). ``schema`` is the files' schema: a ``deltalake.Schema`` or
    anything with the Arrow C schema interface. A new table is created with
    ``create_table_with_add_actions``; an existing one gets ``create_write_transaction``.
    The commit carries ``info.metadata()`` and the app transaction ``(info.app_id,
    info.run_id)``; when the table already holds that run (checked before committing and
    after a ``CommitFailedError``), nothing is committed and that run's version is returned.
    ``description`` becomes the Delta table description when this commit creates the table
    (an existing table keeps its own); column comments travel in ``schema``'s field metadata.

    Example::

        files = describe_files("lake/t", list_staged_files("lake/t", stage))
        commit_files("lake/t", files, "append", CommitInfo(app_id="demo", run_id=1), arrow_schema)
    """
    from deltalake import CommitProperties, DeltaTable, Schema, Transaction
    from deltalake.transaction import AddAction, create_table_with_add_actions

    mode = check_mode(mode)
    delta_schema = schema if isinstance(schema, Schema) else Schema.from_arrow(schema)
    uri = table_location(table_path)
    actions = [AddAction(path=f.path, size=f.size, partition_values={}, modification_time=f.modification_time,
                         data_change=True, stats=f.stats) for f in files if f.num_records > 0]

    def properties() -> CommitProperties:
        return CommitProperties(custom_metadata=info.metadata(),
                                app_transactions=[Transaction(info.app_id, info.run_id)])

    committed = []

    def commit() -> None:
        committed.append(True)
        if DeltaTable.is_deltatable(uri):
            table = DeltaTable(uri)
            table.create_write_transaction(actions, mode, _write_schema(uri, table, delta_schema, mode),
                                           commit_properties=properties())
            return
        try:
            create_table_with_add_actions(uri, delta_schema, actions, mode="error", description=description,
                                          commit_properties=properties())
        except Exception:
            if not DeltaTable.is_deltatable(uri):
                raise
            # Another writer created the table meanwhile: commit on top of it (idempotency re-checked first).
            if (DeltaTable(uri).transaction_version(info.app_id) or -1) >= info.run_id:
                return
            table = DeltaTable(uri)
            table.create_write_transaction(actions, mode, _write_schema(uri, table, delta_schema, mode),
                                           commit_properties=properties())

    version = commit_idempotent(uri, info, commit)
    if committed:
        logger.info("committed %d files (%d rows) to %s as version %d (%s, run %d of %s)", len(actions),
                    sum(f.num_records for f in files), uri, version, mode, info.run_id, info.app_id)
    return version


def _write_schema(uri: str, table, schema, mode: str):
    """The schema an existing table's new version declares: the table's own on append (after the check), else ``schema``."""
    if mode != "append":
        return schema
    check_fields(uri, fields_from_json(table.schema().to_json()), fields_from_json(schema.to_json()), mode)
    return table.schema()


def _referenced_paths(table_path: str | Path) -> set[str]:
    """Every data file path any retained version of the table adds (from the JSON commits and checkpoints)."""
    log = Path(table_location(table_path)) / "_delta_log"
    paths: set[str] = set()
    if not log.is_dir():
        return paths
    for entry in log.iterdir():
        if entry.suffix == ".json" and entry.stem.isdigit():
            for line in entry.read_text(encoding="utf-8").splitlines():
                action = json.loads(line) if line.strip() else {}
                if "add" in action:
                    paths.add(action["add"]["path"])
        elif ".checkpoint" in entry.name and entry.suffix == ".parquet":
            column = pq.read_table(entry, columns=["add"]).column("add").combine_chunks()
            paths.update(p for p in column.field("path").to_pylist() if p)
    return {_decode(p) for p in paths}


def _decode(path: str) -> str:
    from urllib.parse import unquote

    return unquote(path)


def orphan_stage_dirs(table_path: str | Path) -> list[str]:
    """Staging folders under a local table that no version of its Delta log references (crashed or aborted writes)."""
    root = Path(table_location(table_path))
    if not root.is_dir():
        return []
    referenced = {p.split("/", 1)[0] for p in _referenced_paths(root)}
    return sorted(d.name for d in root.iterdir()
                  if d.is_dir() and d.name.startswith(STAGE_PREFIX) and d.name not in referenced)


def remove_stage_dir(table_path: str | Path, stage_dir: str) -> bool:
    """Delete one staging folder if no version of the table references it; True when it was removed.

    A table folder left empty by it (staging was all it held: no table yet) goes too.
    """
    import shutil

    if not stage_dir.startswith(STAGE_PREFIX) or "/" in stage_dir:
        raise ValueError(f"{stage_dir!r} is not a genesis staging folder name ({STAGE_PREFIX}...).")
    root = Path(table_location(table_path))
    if any(p.split("/", 1)[0] == stage_dir for p in _referenced_paths(root)):
        logger.warning("not removing %s/%s: a Delta version references its files", root, stage_dir)
        return False
    target = root / stage_dir
    if not target.exists():
        return False
    shutil.rmtree(target)
    if root.is_dir() and not any(root.iterdir()):  # the folder only held this staging: the table never existed
        root.rmdir()
    return True


def cleanup_orphans(table_path: str | Path, min_age_seconds: float = 3600.0,
                    keep: Sequence[str] = ()) -> list[str]:
    """Remove staging folders no Delta version references and older than ``min_age_seconds``; return their names.

    The age guard keeps folders of writes still in progress; ``keep`` names folders never to remove
    (the current run's own). Local tables only.

    Example::

        cleanup_orphans("lakehouse/augmented_train", min_age_seconds=0)
    """
    root = Path(table_location(table_path))
    removed = []
    now = time.time()
    for name in orphan_stage_dirs(root):
        if name in keep:
            continue
        if now - (root / name).stat().st_mtime >= min_age_seconds and remove_stage_dir(root, name):
            removed.append(name)
    if removed:
        logger.info("removed %d orphan staging folders under %s", len(removed), root)
    return removed


def sweep_orphans(table_paths: Sequence[str], keep: Sequence[str] = (), min_age_seconds: float = 3600.0) -> list[str]:
    """``cleanup_orphans`` for each local table of ``table_paths`` (catalog names and URLs skipped); never raises.

    ``Pipeline`` calls it when a run starts its commit, for every table the run writes, so staging
    folders left by killed runs (older than ``min_age_seconds``) do not pile up; ``keep`` holds the
    run's own staging folders. Returns ``<table>/<folder>`` for each folder removed.
    """
    removed = []
    for path in dict.fromkeys(str(p) for p in table_paths):
        if "://" in path or is_catalog_name(path):
            continue
        try:
            removed += [f"{path}/{name}" for name in cleanup_orphans(path, min_age_seconds, keep)]
        except Exception:  # noqa: BLE001 - housekeeping must never fail a run
            logger.warning("could not sweep orphan staging folders under %s", path, exc_info=True)
    return removed
