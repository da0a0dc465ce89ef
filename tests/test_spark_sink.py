"""Spark's Delta sinks on real local Spark and real Delta tables, read back with delta-rs."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from genesis_spark.delta import CommitInfo, history, is_delta_table, latest_txn_version, read_version, table_version
from genesis_spark.delta.commit import STAGE_PREFIX, cleanup_orphans, orphan_stage_dirs
from genesis_spark.spark.io import read_source
from genesis_spark.spark.sink import EmbeddedDeltaSink, NativeDeltaSink, is_catalog_name, spark_delta_sink

SCHEMA = "id long, name string, score double, at timestamp"


def _frame(spark, start: int, n: int):
    rows = [(i, f"n{i % 3}" if i % 5 else None, i / 10, dt.datetime(2024, 1, 1, 0, 0, i % 60, 123456))
            for i in range(start, start + n)]
    return spark.createDataFrame(rows, SCHEMA).repartition(2)


def _ids(path: str, version=None) -> list[int]:
    return sorted(read_version(path, version).column("id").to_pylist())


def _info(run_id: int, **kw) -> CommitInfo:
    return CommitInfo(app_id="tests:sink", run_id=run_id, message=f"run {run_id}", config_hash="abc",
                      generator_sha256="f00d", source_path="src", source_version=4, metrics={"score": 0.9}, **kw)


def test_auto_sink_is_embedded_without_the_delta_jars(spark):
    assert isinstance(spark_delta_sink(spark, "auto"), EmbeddedDeltaSink)
    assert isinstance(spark_delta_sink(spark, "native"), NativeDeltaSink)
    with pytest.raises(ValueError, match="auto, native, embedded"):
        spark_delta_sink(spark, "fast")


def test_embedded_commit_is_one_version_per_table_with_metadata_and_txn(spark, tmp_path):
    sink = EmbeddedDeltaSink(spark)
    train, test = str(tmp_path / "train"), str(tmp_path / "test")
    staged = [sink.stage(train, _frame(spark, 0, 40)), sink.stage(test, _frame(spark, 100, 10), "overwrite")]
    assert not is_delta_table(train) and not is_delta_table(test)  # staged files are no table yet
    assert len(staged[0].payload.files) == 2

    versions = sink.commit_all(staged, _info(1, tags=("first",)))
    assert versions == {train: 0, test: 0}
    assert _ids(train) == list(range(40)) and _ids(test) == list(range(100, 110))
    record = history(train)[0]
    assert len(history(train)) == 1
    assert record.metadata["run_id"] == 1 and record.metadata["message"] == "run 1"
    assert record.metadata["generator_sha256"] == "f00d" and record.metadata["metrics"] == {"score": 0.9}
    assert record.tags == ["first"]
    assert latest_txn_version(train, "tests:sink") == 1
    data = read_version(train)
    assert data.schema.field("at").type.tz == "UTC" and data.column("name").null_count == 8
    assert data.column("at").to_pylist()[0].microsecond == 123456


def test_add_actions_carry_footer_statistics(spark, tmp_path):
    path = str(tmp_path / "stats")
    sink = EmbeddedDeltaSink(spark)
    sink.commit_all([sink.stage(path, _frame(spark, 0, 30).coalesce(1))], _info(1))
    log = (Path(path) / "_delta_log" / "00000000000000000000.json").read_text().splitlines()
    adds = [json.loads(line)["add"] for line in log if '"add"' in line]
    assert len(adds) == 1
    stats = json.loads(adds[0]["stats"])
    assert stats["numRecords"] == 30
    assert stats["minValues"]["id"] == 0 and stats["maxValues"]["id"] == 29
    assert stats["minValues"]["name"] == "n0" and stats["maxValues"]["name"] == "n2"
    assert stats["nullCount"] == {"id": 0, "name": 6, "score": 0, "at": 0}
    assert stats["minValues"]["at"] == "2024-01-01T00:00:00.123Z"  # floored to milliseconds
    assert stats["maxValues"]["at"] == "2024-01-01T00:00:29.124Z"  # ceiled: still covers .123456
    assert "score" not in stats["minValues"]  # floats get no bounds (parquet min/max ignore NaN)
    assert adds[0]["path"].startswith(STAGE_PREFIX) and adds[0]["size"] == (Path(path) / adds[0]["path"]).stat().st_size


def test_rerunning_a_committed_run_writes_nothing(spark, tmp_path):
    path = str(tmp_path / "t")
    sink = EmbeddedDeltaSink(spark)
    assert sink.commit_all([sink.stage(path, _frame(spark, 0, 20))], _info(5)) == {path: 0}
    again = [sink.stage(path, _frame(spark, 0, 20))]
    assert sink.commit_all(again, _info(5)) == {path: 0}
    assert table_version(path) == 0 and _ids(path) == list(range(20))
    sink.abort(again)  # the uncommitted staging folder goes, the committed one stays
    assert not (Path(path) / again[0].payload.stage_dir).exists()
    assert _ids(path) == list(range(20))
    # exactly this run, not a high-water mark: run 4 is not in the table, so the sink commits it
    # (Pipeline refuses a run id below the latest committed one before any work)
    assert sink.commit_all([sink.stage(path, _frame(spark, 50, 5))], _info(4)) == {path: 1}
    assert sink.commit_all([sink.stage(path, _frame(spark, 60, 5))], _info(4)) == {path: 1}
    assert _ids(path) == [*range(20), *range(50, 55)]


def test_append_overwrite_and_time_travel(spark, tmp_path):
    path = str(tmp_path / "t")
    sink = EmbeddedDeltaSink(spark)
    sink.commit_all([sink.stage(path, _frame(spark, 0, 10))], _info(1))
    assert sink.commit_all([sink.stage(path, _frame(spark, 10, 5), "append")], _info(2)) == {path: 1}
    assert sink.commit_all([sink.stage(path, _frame(spark, 100, 3), "overwrite")], _info(3)) == {path: 2}
    assert _ids(path, 0) == list(range(10)) and _ids(path, 1) == list(range(15)) and _ids(path) == [100, 101, 102]
    old, info = read_source(spark, path, version=1)
    assert info.version == 1 and old.count() == 15
    assert old.dtypes == [("id", "bigint"), ("name", "string"), ("score", "double"), ("at", "timestamp")]
    assert [r.metadata["run_id"] for r in history(path)] == [3, 2, 1]


def test_crash_between_stage_and_commit_leaves_the_previous_version(spark, tmp_path):
    path = str(tmp_path / "t")
    sink = EmbeddedDeltaSink(spark)
    sink.commit_all([sink.stage(path, _frame(spark, 0, 10))], _info(1))
    crashed = sink.stage(path, _frame(spark, 10, 30))  # the run dies here: no commit, no abort
    assert table_version(path) == 0 and _ids(path) == list(range(10))
    latest, _ = read_source(spark, path)
    assert latest.count() == 10  # Spark through delta-rs sees only committed files
    assert orphan_stage_dirs(path) == [crashed.payload.stage_dir]
    assert cleanup_orphans(path, min_age_seconds=3600) == []  # too young: may be a write in progress
    assert cleanup_orphans(path, min_age_seconds=0) == [crashed.payload.stage_dir]
    assert orphan_stage_dirs(path) == [] and _ids(path) == list(range(10))
    files = read_version(path)  # the committed files are untouched
    assert files.num_rows == 10


def test_append_with_another_schema_is_refused_and_changes_nothing(spark, tmp_path):
    path = str(tmp_path / "t")
    sink = EmbeddedDeltaSink(spark)
    sink.commit_all([sink.stage(path, _frame(spark, 0, 5))], _info(1))
    other = spark.createDataFrame([(1, "x")], "id long, label string")
    with pytest.raises(ValueError, match=r"Delta table .*/t has another schema than this run's append brings: "
                                         r"missing columns name, score, at; extra column label\."):
        sink.commit_all([sink.stage(path, other)], _info(2))
    assert table_version(path) == 0 and latest_txn_version(path, "tests:sink") == 1


def test_an_empty_frame_commits_an_empty_version_with_its_schema(spark, tmp_path):
    path = str(tmp_path / "empty")
    sink = EmbeddedDeltaSink(spark)
    assert sink.commit_all([sink.stage(path, _frame(spark, 0, 5).limit(0))], _info(1)) == {path: 0}
    back, info = read_source(spark, path)
    assert info.version == 0 and back.count() == 0 and back.columns == ["id", "name", "score", "at"]


def test_embedded_sink_refuses_catalog_names(spark):
    assert is_catalog_name("main.fraud.augmented_train") and not is_catalog_name("lake/augmented_train")
    with pytest.raises(ValueError, match="not catalog tables.*sink: native"):
        EmbeddedDeltaSink(spark).stage("main.fraud.augmented_train", _frame(spark, 0, 1))


def test_parquet_written_by_spark_is_readable_by_plain_pyarrow(spark, tmp_path):
    path = str(tmp_path / "t")
    sink = EmbeddedDeltaSink(spark)
    sink.commit_all([sink.stage(path, _frame(spark, 0, 7))], _info(1))
    from deltalake import DeltaTable

    files = DeltaTable(path).file_uris()
    assert sum(pq.ParquetFile(f).metadata.num_rows for f in files) == 7
