"""Output tables keep their schema: a run that would change one is refused whole, on both engines.

Also: no staging folder of a run outlives it (success or failure), and orphans of killed runs are swept.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import pandas as pd
import pytest
from deltalake import DeltaTable

from genesis_spark.datasets import make_transactions
from genesis_spark.delta import ArrowDeltaSink, CommitInfo, read_version
from genesis_spark.delta.commit import STAGE_PREFIX, orphan_stage_dirs
from genesis_spark.delta.schema import SchemaMismatchError, schema_change
from genesis_spark.pipeline import Pipeline, steps

TABLES = ("augmented_train", "test", "runs")


@pytest.fixture(scope="module")
def csvs(tmp_path_factory):
    """The demo table, the same with an extra column, and the same with ``amount`` as text."""
    folder = tmp_path_factory.mktemp("schema_csv")
    base = make_transactions(300, fraud_rate=0.1, seed=4)
    paths = {"base": folder / "base.csv", "extra": folder / "extra.csv", "retyped": folder / "retyped.csv"}
    base.to_csv(paths["base"], index=False)
    base.assign(note="n").to_csv(paths["extra"], index=False)
    base.assign(amount="usd " + base["amount"].astype(str)).to_csv(paths["retyped"], index=False)
    return paths


def _engine(name, spark):
    if name == "pandas":
        return "pandas"
    from genesis_spark.spark.engine import SparkEngine

    return SparkEngine(spark=spark, sink="embedded")


def _pipeline(csv, folder: Path, engine, *extra_steps) -> Pipeline:
    return Pipeline([steps.load_csv(str(csv)), steps.split(target_column="is_fraud", test_size=0.2, seed=1),
                     steps.save_delta(str(folder / "saved")), *extra_steps],
                    name="schema", engine=engine, lakehouse=str(folder / "lake"))


def _tables(folder: Path) -> list[Path]:
    return [folder / "lake" / t for t in TABLES] + [folder / "saved"]


def _versions(folder: Path) -> dict[str, int]:
    return {p.name: DeltaTable(str(p)).version() for p in _tables(folder)}


def _stage_dirs(folder: Path) -> list[str]:
    return sorted(str(d) for d in folder.rglob(f"{STAGE_PREFIX}*") if d.is_dir())


def _no_orphans(folder: Path) -> None:
    for table in _tables(folder):
        if table.exists():
            assert orphan_stage_dirs(table) == [], table


@pytest.fixture(params=["pandas", "spark"])
def engine_name(request):
    return request.param


@pytest.fixture
def engine(engine_name, request):
    return _engine(engine_name, request.getfixturevalue("spark") if engine_name == "spark" else None)


@pytest.mark.parametrize("variant, words", [
    ("extra", "extra column note"),
    ("retyped", "type change amount double -> string"),
])
def test_a_run_whose_input_changed_schema_is_refused_and_changes_no_table(csvs, tmp_path, engine, variant,
                                                                           words):
    assert _pipeline(csvs["base"], tmp_path, engine).run().success
    before = _versions(tmp_path)
    rows = len(read_version(tmp_path / "lake" / "augmented_train"))
    result = _pipeline(csvs[variant], tmp_path, engine).run()
    assert not result.success
    assert "\n" not in result.error and words in result.error, result.error
    assert "Delta table" in result.error and "nothing of this run was written" in result.error
    assert _versions(tmp_path) == before  # not one table of the run committed
    assert len(read_version(tmp_path / "lake" / "augmented_train")) == rows
    assert "note" not in read_version(tmp_path / "lake" / "augmented_train").column_names
    _no_orphans(tmp_path)


def test_a_new_tables_name_takes_the_changed_schema(csvs, tmp_path):
    assert _pipeline(csvs["base"], tmp_path, "pandas").run().success
    result = Pipeline([steps.load_csv(str(csvs["extra"])), steps.split(target_column="is_fraud")], name="schema",
                      lakehouse=str(tmp_path / "lake"), tables={"augmented_train": "augmented_train_v2",
                                                                "test": "test_v2"}).run()
    assert result.success, result.error
    assert "note" in read_version(tmp_path / "lake" / "augmented_train_v2").column_names


def test_an_append_never_widens_a_table(tmp_path):
    sink, path = ArrowDeltaSink(), tmp_path / "t"
    sink.commit_all([sink.stage(path, pd.DataFrame({"a": [1], "b": ["x"]}))], CommitInfo(app_id="a", run_id=1))
    with pytest.raises(SchemaMismatchError, match="missing column b; extra column c"):
        sink.commit_all([sink.stage(path, pd.DataFrame({"a": [2], "c": [1.0]}))], CommitInfo(app_id="a", run_id=2))
    assert DeltaTable(str(path)).version() == 0 and read_version(path).column_names == ["a", "b"]
    # the same columns in another order are the same schema
    sink.commit_all([sink.stage(path, pd.DataFrame({"b": ["y"], "a": [3]}))], CommitInfo(app_id="a", run_id=3))
    assert read_version(path).sort_by("a").to_pydict() == {"a": [1, 3], "b": ["x", "y"]}


def test_an_append_never_widens_a_spark_table(spark, tmp_path):
    from genesis_spark.spark.sink import EmbeddedDeltaSink

    sink, path = EmbeddedDeltaSink(spark), str(tmp_path / "t")
    sink.commit_all([sink.stage(path, spark.createDataFrame([(1, "x")], "a long, b string"))],
                    CommitInfo(app_id="a", run_id=1))
    wider = sink.stage(path, spark.createDataFrame([(2, "y", 1.0)], "a long, b string, c double"))
    with pytest.raises(SchemaMismatchError, match="extra column c"):
        sink.commit_all([wider], CommitInfo(app_id="a", run_id=2))
    sink.abort([wider])
    assert DeltaTable(path).version() == 0 and orphan_stage_dirs(path) == []


def test_schema_change_names_every_difference():
    assert schema_change({"a": "long", "b": "string", "c": "long"}, {"a": "double", "d": "long", "e": "date"}) == \
        "missing columns b, c; extra columns d, e; type change a long -> double"
    assert schema_change({"a": "long", "b": "string"}, {"b": "string", "a": "long"}) is None


def test_a_runs_table_of_the_old_json_layout_is_refused_before_any_commit(csvs, tmp_path):
    old = pd.DataFrame({"run_id": [1], "metrics": ["{}"], "timestamp": ["2025-01-01T00:00:00+00:00"]})
    ArrowDeltaSink().commit_all([ArrowDeltaSink().stage(tmp_path / "lake" / "runs", old)],
                                CommitInfo(app_id="other", run_id=1))
    result = _pipeline(csvs["base"], tmp_path, "pandas").run()
    assert not result.success and "runs" in result.error and "\n" not in result.error
    assert "type changes metrics string -> map<string,double>, timestamp string -> timestamp" in result.error
    assert not (tmp_path / "lake" / "augmented_train").exists() and not (tmp_path / "saved").exists()


def test_no_staging_folder_outlives_a_successful_or_failed_spark_run(spark, csvs, tmp_path):
    engine = _engine("spark", spark)
    # A failing step after save_delta staged its files: its staging folder is removed, nothing is committed.
    failed = _pipeline(csvs["base"], tmp_path, engine, steps.load_csv(str(tmp_path / "missing.csv"))).run()
    assert not failed.success and "missing.csv" in failed.error
    assert _stage_dirs(tmp_path) == []
    # A success: the committed files stay in their (now referenced) folders; no orphan anywhere.
    assert _pipeline(csvs["base"], tmp_path, engine).run().success
    _no_orphans(tmp_path)
    committed = _stage_dirs(tmp_path)
    # A refused run (schema change, found after the lakehouse tables were staged): its folders are removed.
    refused = _pipeline(csvs["extra"], tmp_path, engine).run()
    assert not refused.success and "extra column note" in refused.error
    assert _stage_dirs(tmp_path) == committed
    _no_orphans(tmp_path)


def test_a_run_sweeps_old_orphan_staging_folders_of_its_tables(csvs, tmp_path):
    assert _pipeline(csvs["base"], tmp_path, "pandas").run().success
    table = tmp_path / "lake" / "augmented_train"
    old, young = table / f"{STAGE_PREFIX}old-killed", table / f"{STAGE_PREFIX}young-running"
    for folder in (old, young):
        folder.mkdir()
        (folder / "part-0.parquet").write_bytes(b"")
    stamp = time.time() - 2 * 3600
    os.utime(old, (stamp, stamp))
    assert _pipeline(csvs["base"], tmp_path, "pandas").run().success
    assert not old.exists() and young.exists()  # a young one may be a write still in progress
