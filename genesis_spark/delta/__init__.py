"""Versioned Delta outputs: commit metadata, sinks, and reading versions, tags and history back.

Example::

    from genesis_spark.delta import history, read_version
    read_version("./data_versions", "latest").to_pandas()
    [(c.version, c.metadata.get("message")) for c in history("./data_versions")]
"""
from genesis_spark.delta.metadata import CommitInfo, config_hash, parse_commit_metadata
from genesis_spark.delta.runs import RUNS_SCHEMA
from genesis_spark.delta.schema import SchemaMismatchError
from genesis_spark.delta.sink import ArrowDeltaSink, DeltaSink, StagedWrite, commit_idempotent, run_version
from genesis_spark.delta.tables import (CommitRecord, committed_runs, history, is_delta_table, latest_txn_version, read_version,
                                        resolve_version, table_version)

__all__ = [
    "ArrowDeltaSink", "CommitInfo", "CommitRecord", "DeltaSink", "RUNS_SCHEMA", "SchemaMismatchError", "StagedWrite",
    "commit_idempotent", "committed_runs",
    "config_hash", "history", "is_delta_table", "latest_txn_version", "parse_commit_metadata",
    "read_version", "resolve_version", "run_version", "table_version",
]
