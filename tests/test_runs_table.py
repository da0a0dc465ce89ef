"""The ``runs`` table: typed columns, one schema on both engines, the same facts as the commit metadata."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from deltalake import DeltaTable

from genesis_spark.datasets import make_transactions
from genesis_spark.delta import history, read_version
from genesis_spark.delta.metadata import CommitInfo, parse_commit_metadata
from genesis_spark.delta.runs import RUNS_SCHEMA, split_metrics
from genesis_spark.pipeline import Pipeline, steps
from genesis_spark.pipeline.engine import PandasEngine

#: The Delta types of the runs table, whichever engine wrote it.
RUNS_TYPES = {
    "run_id": "long", "pipeline": "string", "app_id": "string", "engine": "string", "config": "string",
    "config_hash": "string", "metrics": "map<string,double>", "text_metrics": "map<string,string>",
    "utility_verdict": "string", "generator_sha256": "string", "source_path": "string", "source_version": "long",
    "versions": "map<string,long>", "locations": "map<string,string>", "timings": "map<string,double>",
    "timestamp": "timestamp",
}


def _types(path) -> dict[str, str]:
    from genesis_spark.delta.schema import fields_from_json, type_name

    return {name: type_name(t) for name, t in fields_from_json(DeltaTable(str(path)).schema().to_json()).items()}


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("runs_csv") / "t.csv"
    make_transactions(600, fraud_rate=0.1, seed=3).to_csv(path, index=False)
    return path


def _pipeline(csv_path, lake, engine, name="runs_demo", **kw) -> Pipeline:
    return Pipeline([
        steps.load_csv(str(csv_path)),
        steps.split(target_column="is_fraud", test_size=0.2, seed=1),
        steps.augment_imbalanced(target_column="is_fraud", ratio=0.3, strategy="smote"),
        steps.save_delta(str(lake.parent / "extra" / "augmented")),
    ], name=name, engine=engine, lakehouse=str(lake), seed=3, **kw)


def _spark_engine(spark):
    from genesis_spark.spark.engine import SparkEngine

    return SparkEngine(spark=spark, sink="embedded")


def _commit_of_run(path, run_id: int) -> dict:
    return next(c.metadata for c in history(path) if c.metadata.get("run_id") == run_id)


def test_a_pandas_run_writes_typed_columns_keyed_by_table_name(csv_path, tmp_path):
    lake = tmp_path / "lake"
    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    result = _pipeline(csv_path, lake, "pandas").run()
    assert result.success, result.error
    assert _types(lake / "runs") == RUNS_TYPES
    [run] = read_version(lake / "runs").to_pylist()
    assert run["source_version"] is None  # a CSV source has no version
    assert before <= run["timestamp"] <= dt.datetime.now(dt.timezone.utc)
    assert run["timestamp"].utcoffset() == dt.timedelta(0)
    versions, locations = dict(run["versions"]), dict(run["locations"])
    assert versions == {"augmented": 0, "augmented_train": 0, "test": 0, "synthetic": 0}
    assert locations["augmented_train"] == str(lake / "augmented_train")
    assert locations["augmented"] == str(tmp_path / "extra" / "augmented")
    assert locations["runs"] == str(lake / "runs")
    metrics = dict(run["metrics"])
    assert metrics["synthetic_rows"] == float(result.metrics["synthetic_rows"]) > 0
    assert all(isinstance(v, float) for v in metrics.values())
    assert "4.save_delta" in dict(run["timings"]) and run["utility_verdict"] == ""
    assert json.loads(run["config"])["name"] == "runs_demo"


def test_runs_row_holds_the_same_facts_as_the_commit_metadata(csv_path, tmp_path):
    lake = tmp_path / "lake"
    assert _pipeline(csv_path, lake, "pandas").run().success
    [run] = read_version(lake / "runs").to_pylist()
    for table in ("runs", "augmented_train"):
        meta = _commit_of_run(lake / table, 1)
        assert meta["source_version"] is None
        assert "genesis.source_version" not in DeltaTable(str(lake / table)).history()[0]
        numeric, text = split_metrics(meta["metrics"])
        assert dict(run["metrics"]) == numeric and dict(run["text_metrics"]) == text
        for key in ("run_id", "app_id", "pipeline", "config_hash", "generator_sha256", "source_path"):
            assert run[key] == meta[key], key


def test_source_version_is_the_delta_version_read_and_null_for_csv(csv_path, tmp_path):
    source = tmp_path / "source"
    sink = PandasEngine().delta_sink()
    frame = PandasEngine().read(str(csv_path), "csv").frame
    for run_id in (1, 2):
        sink.commit_all([sink.stage(source, frame, "overwrite")], CommitInfo(app_id="seed", run_id=run_id))
    lake = tmp_path / "lake"
    result = Pipeline([steps.load_delta(str(source), version=1), steps.split(target_column="is_fraud")],
                      name="from_delta", lakehouse=str(lake)).run()
    assert result.success, result.error
    [run] = read_version(lake / "runs").to_pylist()
    assert run["source_version"] == 1 == _commit_of_run(lake / "runs", 1)["source_version"]


def test_read_run_gives_each_table_at_the_version_its_runs_row_records(csv_path, tmp_path, spark):
    import shutil

    from genesis_spark import read_run

    lake = tmp_path / "lake"
    for _ in range(2):
        assert _pipeline(csv_path, lake, "pandas").run().success
    latest = read_run(lake)
    assert latest.run_id == 2 and latest.pipeline == "runs_demo" and latest.record["engine"] == "pandas"
    assert latest.versions == {"augmented": 1, "augmented_train": 1, "test": 1, "synthetic": 1}
    first = read_run(lake, run_id=1, tables=["augmented_train", "test"])
    assert sorted(first) == ["augmented_train", "test"] and first.versions == {"augmented_train": 0, "test": 0}
    assert set(first["augmented_train"]["run_id"]) == {1} and set(latest["synthetic"]["run_id"]) == {2}
    assert len(first["test"]) == len(DeltaTable(str(lake / "test"), version=0).to_pandas())
    with pytest.raises(ValueError, match=r"^run 7 is not a committed run of this lakehouse .*committed runs: 1, 2\.$"):
        read_run(lake, run_id=7)
    with pytest.raises(ValueError, match=r"^run 2 wrote no table 'nope'; it wrote: augmented, augmented_train, "):
        read_run(lake, tables=["nope"])
    with pytest.raises(ValueError, match=r"holds no committed run of pipeline 'other'"):
        read_run(lake, pipeline="other")
    # A moved lakehouse reads its own tables (the row records absolute paths); Spark gets DataFrames.
    shutil.move(str(lake), str(tmp_path / "moved"))
    moved = read_run(tmp_path / "moved", run_id=1, tables=["augmented_train"], spark=spark)
    assert moved.locations == {"augmented_train": str(tmp_path / "moved" / "augmented_train")}
    frame = moved["augmented_train"]
    assert frame.count() == len(first["augmented_train"]) and {r["run_id"] for r in frame.collect()} == {1}


def test_old_no_version_markers_read_back_as_null():
    assert parse_commit_metadata({"genesis.run_id": "1", "genesis.source_version": ""})["source_version"] is None
    assert parse_commit_metadata({"genesis.run_id": "1", "genesis.source_version": "-1"})["source_version"] is None
    info = CommitInfo(app_id="a", run_id=1)
    assert "genesis.source_version" not in info.metadata()
    assert parse_commit_metadata({"userMetadata": info.user_metadata()})["source_version"] is None


def test_both_engines_build_the_same_runs_schema(spark):
    from genesis_spark.delta.runs import run_record
    from genesis_spark.delta.schema import fields_from_arrow, fields_from_json

    record = run_record(run_id=1, pipeline="p", app_id="genesis_spark:p", engine="x", config={"a": 1},
                        config_hash="h", metrics={"q": 0.5, "ok": True, "utility_verdict": "helped"}, generator_sha256="",
                        source_path="s.csv", source_version=None, versions={"t": 0}, locations={"t": "/t"},
                        timings={"1.load_csv": 0.1})
    local = PandasEngine().from_records([record], schema=RUNS_SCHEMA)
    distributed = _spark_engine(spark).from_records([record], schema=RUNS_SCHEMA)
    assert fields_from_arrow(local.schema) == fields_from_json(distributed.schema.json())
    [row] = distributed.collect()
    assert row["metrics"] == {"q": 0.5, "ok": 1.0} and row["text_metrics"] == {"utility_verdict": "helped"}
    assert row["source_version"] is None and row["utility_verdict"] == "helped"


@pytest.mark.parametrize("first", ["pandas", "spark"])
def test_pandas_and_spark_runs_append_to_one_runs_table(spark, csv_path, tmp_path, first):
    engines = {"pandas": "pandas", "spark": _spark_engine(spark)}
    order = [first, "spark" if first == "pandas" else "pandas"]
    lake = tmp_path / "lake"
    for run_id, name in enumerate(order, start=1):
        result = _pipeline(csv_path, lake, engines[name]).run()
        assert result.success, f"{name} run: {result.error}"
        assert result.run_id == run_id
    assert _types(lake / "runs") == RUNS_TYPES
    assert DeltaTable(str(lake / "runs")).version() == 1
    rows = sorted(read_version(lake / "runs").to_pylist(), key=lambda r: r["run_id"])
    assert [r["engine"] for r in rows] == order
    for row in rows:
        assert dict(row["versions"]) == {t: row["run_id"] - 1 for t in ("augmented", "augmented_train", "test",
                                                                           "synthetic")}
        assert row["source_version"] is None and row["timestamp"].utcoffset() == dt.timedelta(0)
        meta = _commit_of_run(lake / "runs", row["run_id"])
        assert dict(row["metrics"]) == split_metrics(meta["metrics"])[0] and row["config_hash"] == meta["config_hash"]
    # Spark reads the same table back (delta-rs file list into spark.read.parquet without the Delta jars).
    frame = _spark_engine(spark).read(str(lake / "runs"), "delta").frame
    back = {r["run_id"]: r for r in frame.collect()}
    assert sorted(back) == [1, 2] and back[2]["versions"]["augmented_train"] == 1
    assert back[1]["metrics"]["synthetic_rows"] == dict(rows[0]["metrics"])["synthetic_rows"]


_NATIVE_SCRIPT = r'''
import sys
from pathlib import Path
from pysail.spark import SparkConnectServer
from pyspark.sql import SparkSession
from genesis_spark.pipeline import Pipeline, steps
from genesis_spark.spark.engine import SparkEngine

csv, lake = sys.argv[1], sys.argv[2]
server = SparkConnectServer("127.0.0.1", 0)
server.start(background=True)
host, port = server.listening_address
spark = SparkSession.builder.remote(f"sc://{host}:{port}").getOrCreate()
result = Pipeline([steps.load_csv(csv), steps.split(target_column="is_fraud")], name="native_runs",
                  engine=SparkEngine(spark=spark, sink="native"), lakehouse=lake).run()
print("RESULT:", result.success, result.error, flush=True)
spark.stop()
server.stop()
'''


def test_a_native_sink_run_appends_to_the_same_runs_table(csv_path, tmp_path):
    """pandas run 1, Spark Connect (pysail, Spark's own Delta writer) run 2, pandas run 3: one runs table."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    pytest.importorskip("pysail.spark", reason="pysail is not installed: the native sink's runs row is untested")
    lake = tmp_path / "lake"

    def run(engine: str) -> None:
        if engine == "pandas":
            result = Pipeline([steps.load_csv(str(csv_path)), steps.split(target_column="is_fraud")],
                              name="native_runs", lakehouse=str(lake)).run()
            assert result.success, result.error
            return
        script = tmp_path / "native_runs.py"
        script.write_text(_NATIVE_SCRIPT)
        repo = Path(__file__).resolve().parents[1]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(repo), os.environ.get("PYTHONPATH")])),
               "RUST_LOG": "warn"}
        env.pop("SPARK_REMOTE", None)
        proc = subprocess.run([sys.executable, str(script), str(csv_path), str(lake)], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)
        assert "RESULT: True None" in proc.stdout, proc.stdout[-3000:] + proc.stderr[-3000:]

    for engine in ("pandas", "spark", "pandas"):
        run(engine)
    assert _types(lake / "runs") == RUNS_TYPES
    rows = sorted(read_version(lake / "runs").to_pylist(), key=lambda r: r["run_id"])
    assert [(r["run_id"], r["engine"]) for r in rows] == [(1, "pandas"), (2, "spark"), (3, "pandas")]
    assert [dict(r["versions"]) for r in rows] == [{"augmented_train": v, "test": v} for v in (0, 1, 2)]
    assert all(r["source_version"] is None for r in rows)
