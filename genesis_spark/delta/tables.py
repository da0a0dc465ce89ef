"""Reading Delta tables with delta-rs: versions, tags, app transactions, history."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from genesis_spark.delta.metadata import parse_commit_metadata


@dataclass(frozen=True)
class CommitRecord:
    """One version of a Delta table as its history tells it."""

    version: int
    timestamp: int | None
    operation: str
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def tags(self) -> list[str]:
        """The tags recorded in this commit's genesis metadata."""
        return list(self.metadata.get("tags") or [])


_CATALOG_NAME = re.compile(r"^[A-Za-z_`][\w`-]*(\.[A-Za-z_`][\w`-]*){1,2}$")


def is_catalog_name(target: str | Path) -> bool:
    """True for ``schema.table`` / ``catalog.schema.table`` names (no path separator, at least one dot).

    A plain word such as ``augmented_train`` is a relative folder; write ``default.augmented_train``
    to mean the catalog table.
    """
    text = str(target)
    return "/" not in text and "\\" not in text and ":" not in text and bool(_CATALOG_NAME.match(text)) \
        and not Path(text).exists()


def table_location(path: str | Path) -> str:
    """A table path made absolute (``file:`` prefix dropped); URLs (``s3://...``) as they are."""
    text = str(path)
    return text if "://" in text else str(Path(text.removeprefix("file:")).resolve())


def is_delta_table(path: str | Path) -> bool:
    """True when ``path`` holds a Delta table (a ``_delta_log``)."""
    from deltalake import DeltaTable

    return DeltaTable.is_deltatable(str(path))


def _open(path: str | Path, version: int | None = None):
    from deltalake import DeltaTable

    if not is_delta_table(path):
        raise FileNotFoundError(
            f"No Delta table at {path!s}: the folder is missing or has no _delta_log. "
            "Check the path, or write the table first (save_delta / save_versioned).")
    return DeltaTable(str(path), version=version) if version is not None else DeltaTable(str(path))


def table_version(path: str | Path) -> int | None:
    """The newest version of the Delta table at ``path``, or None when there is no table."""
    return _open(path).version() if is_delta_table(path) else None


def latest_txn_version(path: str | Path, app_id: str) -> int | None:
    """The highest run number committed to ``path`` by ``app_id`` (Delta app transaction), or None.

    None too when the table does not exist yet.

    Example::

        if (latest_txn_version("lake/runs", "genesis_spark:fraud") or -1) >= run_id:
            ...  # this run is already committed: write nothing
    """
    if not is_delta_table(path):
        return None
    return _open(path).transaction_version(app_id)


def history(path: str | Path) -> list[CommitRecord]:
    """Every version of the table, newest first, with the genesis run facts parsed.

    Example::

        for c in history("./data_versions"):
            print(c.version, c.metadata.get("message"), c.tags)
    """
    records = []
    for commit in _open(path).history():
        records.append(CommitRecord(
            version=int(commit["version"]),
            timestamp=commit.get("timestamp"),
            operation=str(commit.get("operation", "")),
            metadata=parse_commit_metadata(commit),
        ))
    return sorted(records, key=lambda r: r.version, reverse=True)


def committed_runs(path: str | Path, app_id: str) -> dict[int, int]:
    """``{run_id: version}`` of every run of ``app_id`` committed to the table at ``path`` ({} when none).

    Read from the commit metadata of each version (``genesis.app_id`` / ``genesis.run_id``):
    a run is committed to a table exactly when one of its versions says so.

    Example::

        committed_runs("lake/runs", "genesis_spark:fraud")   # {1: 0, 2: 1}
    """
    if not is_delta_table(path):
        return {}
    runs: dict[int, int] = {}
    for record in history(path):
        meta = record.metadata
        run_id = meta.get("run_id")
        if meta.get("app_id") == app_id and isinstance(run_id, int) and not isinstance(run_id, bool):
            runs.setdefault(run_id, record.version)
    return runs


def resolve_version(path: str | Path, version_or_tag: int | str | None = None) -> int:
    """Turn a version number, a tag name or ``"latest"``/None into a version of the table.

    A tag resolves to the newest commit carrying it; ``"latest"`` with no commit tagged
    ``latest`` (and None) is the newest version. Unknown tags and versions raise ValueError.

    Example::

        resolve_version("./data_versions", "latest")   # e.g. 4
        resolve_version("./data_versions", 2)          # 2
    """
    current = _open(path).version()
    if version_or_tag is None:
        return current
    if isinstance(version_or_tag, bool):
        raise ValueError(f"version must be an integer or a tag name, got {version_or_tag!r}.")
    if isinstance(version_or_tag, int) or (isinstance(version_or_tag, str) and version_or_tag.isdigit()):
        version = int(version_or_tag)
        if not 0 <= version <= current:
            raise ValueError(f"Delta table {path!s} has versions 0..{current}; version {version} does not exist.")
        return version
    tag = str(version_or_tag)
    records = history(path)
    for record in records:
        if tag in record.tags:
            return record.version
    if tag == "latest":
        return current
    known = sorted({t for r in records for t in r.tags})
    raise ValueError(f"Delta table {path!s} has no commit tagged {tag!r}. "
                     f"Known tags: {', '.join(known) or 'none'}; or pass a version number or 'latest'.")


def read_version(path: str | Path, version: int | str | None = None) -> pa.Table:
    """Read one version (number, tag, ``"latest"`` or None) of the table as a pyarrow Table.

    Reads the version's active parquet files with pyarrow (``DeltaTable.to_pyarrow_table``
    can abort the interpreter at exit with deltalake 1.6).

    Example::

        df = read_version("./data_versions", "latest").to_pandas()
    """
    resolved = resolve_version(path, version)
    table = _open(path, resolved)
    files = table.file_uris()
    schema = pa.schema(table.schema().to_arrow())
    if table.metadata().partition_columns:
        raise ValueError(f"Delta table {path!s} is partitioned; genesis_spark reads unpartitioned tables only.")
    if not files:
        return schema.empty_table()
    data = pq.read_table(files)
    return data.select(schema.names) if set(schema.names) <= set(data.column_names) else data
