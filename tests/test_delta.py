"""Delta helpers on real delta-rs tables: metadata round trip, tags, time travel, idempotent commits."""
from __future__ import annotations

import pandas as pd
import pytest
from deltalake import DeltaTable

from genesis_spark.delta import (ArrowDeltaSink, CommitInfo, config_hash, history, latest_txn_version, read_version,
                                 resolve_version)


def _commit(path, frame, run_id, tags=(), message="m"):
    sink = ArrowDeltaSink()
    info = CommitInfo(app_id="genesis_spark:test", run_id=run_id, message=message, tags=tuple(tags),
                      metrics={"quality_score": 0.9}, generator_sha256="ab" * 32, source_path="in.csv",
                      config_hash=config_hash({"a": 1}))
    return sink.commit_all([sink.stage(path, frame, "append")], info)[str(path)]


def test_commit_metadata_reads_back_from_history(tmp_path):
    path = tmp_path / "t"
    assert _commit(path, pd.DataFrame({"x": [1, 2]}), 1, tags=["gold"], message="first") == 0
    [record] = history(path)
    assert record.version == 0
    assert record.metadata["message"] == "first"
    assert record.metadata["run_id"] == 1
    assert record.metadata["metrics"] == {"quality_score": 0.9}
    assert record.metadata["generator_sha256"] == "ab" * 32
    assert record.tags == ["gold"]
    assert DeltaTable(str(path)).transaction_version("genesis_spark:test") == 1


def test_same_run_id_commits_nothing_twice(tmp_path):
    path = tmp_path / "t"
    assert _commit(path, pd.DataFrame({"x": [1]}), 5) == 0
    assert _commit(path, pd.DataFrame({"x": [2]}), 5) == 0
    assert DeltaTable(str(path)).version() == 0
    assert read_version(path).column("x").to_pylist() == [1]
    assert _commit(path, pd.DataFrame({"x": [3]}), 6) == 1
    assert latest_txn_version(path, "genesis_spark:test") == 6


def test_tags_and_numbers_resolve_to_versions_and_time_travel(tmp_path):
    path = tmp_path / "t"
    _commit(path, pd.DataFrame({"x": [1]}), 1, tags=["gold"])
    _commit(path, pd.DataFrame({"x": [2]}), 2)
    assert resolve_version(path, "gold") == 0
    assert resolve_version(path, "latest") == 1  # no commit tagged latest: the newest version
    assert resolve_version(path, None) == 1
    assert read_version(path, "gold").column("x").to_pylist() == [1]
    assert sorted(read_version(path, 1).column("x").to_pylist()) == [1, 2]
    _commit(path, pd.DataFrame({"x": [3]}), 3, tags=["gold"])
    assert resolve_version(path, "gold") == 2


def test_unknown_tag_or_version_and_missing_table_are_clear_errors(tmp_path):
    path = tmp_path / "t"
    _commit(path, pd.DataFrame({"x": [1]}), 1, tags=["gold"])
    with pytest.raises(ValueError, match="no commit tagged 'silver'. Known tags: gold"):
        resolve_version(path, "silver")
    with pytest.raises(ValueError, match="versions 0..0"):
        resolve_version(path, 4)
    with pytest.raises(FileNotFoundError, match="No Delta table"):
        read_version(tmp_path / "missing")
    assert latest_txn_version(tmp_path / "missing", "genesis_spark:test") is None


def test_commit_info_rejects_a_negative_run_id():
    with pytest.raises(ValueError, match="non-negative integer"):
        CommitInfo(app_id="a", run_id=-1)
