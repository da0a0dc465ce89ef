"""The Python Pipeline API on pandas: lakehouse tables, run ids, quality gate and crash atomicity."""
from __future__ import annotations

import pytest
from deltalake import DeltaTable

from genesis_spark.datasets import make_transactions
from genesis_spark.delta import history, read_version
from genesis_spark.pipeline import Pipeline, steps
from genesis_spark.pipeline.steps import Step


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "transactions.csv"
    make_transactions(5_000, fraud_rate=0.02, seed=11).to_csv(path, index=False)
    return path


def _smote_pipeline(csv_path, folder, *extra, name="smoke", **kwargs):
    return Pipeline([
        steps.load_csv(str(csv_path)),
        steps.analyze(target_column="is_fraud", report=False),
        steps.split(target_column="is_fraud", test_size=0.2, seed=42),
        steps.augment_imbalanced(target_column="is_fraud", ratio=0.3, strategy="smote"),
        *extra,
        steps.save_csv(str(folder / "augmented.csv")),
        steps.save_versioned(str(folder / "versions"), "smoke run", tag="latest"),
    ], name=name, lakehouse=str(folder / "lake"), **kwargs)


def _version(path):
    return DeltaTable(str(path)).version()


def test_run_writes_one_version_per_table_with_lineage_and_a_runs_row(csv_path, tmp_path):
    result = _smote_pipeline(csv_path, tmp_path).run()
    assert result.success, result.error
    assert result.run_id == 1
    assert result.outputs["output_path"] == str(tmp_path / "versions")
    assert result.outputs["csv_path"] == str(tmp_path / "augmented.csv")
    assert set(result.timings) == {"1.load_csv", "2.analyze", "3.split", "4.augment_imbalanced", "5.save_csv",
                                   "6.save_versioned", "commit"}
    lake = tmp_path / "lake"
    for table in ("augmented_train", "test", "synthetic", "runs"):
        assert _version(lake / table) == 0
    train = read_version(lake / "augmented_train").to_pandas()
    test = read_version(lake / "test").to_pandas()
    assert len(test) == 1_000 and test["is_fraud"].sum() == 20  # 20% of each class held out
    assert train["is_fraud"].mean() == pytest.approx(0.3, abs=1e-3)
    real_train = train.iloc[: result.metrics["train_rows"]]
    assert real_train.merge(test, how="inner").empty  # held-out rows never reach training
    synthetic = read_version(lake / "synthetic").to_pandas()
    assert len(synthetic) == result.metrics["synthetic_rows"] and set(synthetic["run_id"]) == {1}
    [run] = read_version(lake / "runs").to_pylist()
    assert run["run_id"] == 1 and run["pipeline"] == "smoke" and run["source_path"] == str(csv_path)
    assert dict(run["versions"])["augmented_train"] == 0
    assert dict(run["locations"])["augmented_train"] == str(lake / "augmented_train")
    assert dict(run["metrics"])["synthetic_rows"] == result.metrics["synthetic_rows"]
    assert "4.augment_imbalanced" in dict(run["timings"])
    [commit] = history(tmp_path / "versions")
    assert commit.metadata["message"] == "smoke run" and commit.metadata["run_id"] == 1
    assert commit.metadata["source_path"] == str(csv_path) and commit.tags == ["latest"]


def test_next_run_appends_a_version_and_a_repeated_run_id_appends_nothing(csv_path, tmp_path):
    pipeline = _smote_pipeline(csv_path, tmp_path)
    assert pipeline.run().run_id == 1
    second = pipeline.run()
    assert second.success and second.run_id == 2
    assert second.versions[str(tmp_path / "versions")] == 1
    again = pipeline.run(run_id=2)
    assert again.success and again.versions == second.versions
    assert _version(tmp_path / "versions") == 1 and _version(tmp_path / "lake" / "runs") == 1
    assert [c.metadata["run_id"] for c in history(tmp_path / "versions")] == [2, 1]
    assert sorted(read_version(tmp_path / "lake" / "runs").column("run_id").to_pylist()) == [1, 2]


def test_load_delta_reads_a_tagged_or_numbered_version(csv_path, tmp_path):
    _smote_pipeline(csv_path, tmp_path).run()
    reader = Pipeline([steps.load_delta(str(tmp_path / "versions"), version="latest"),
                       steps.analyze(target_column="is_fraud", report=False)])
    result = reader.run()
    assert result.success, result.error
    assert result.metrics["source_version"] == 0 and result.metrics["minority_share"] == pytest.approx(0.3, abs=1e-3)
    missing = Pipeline([steps.load_delta(str(tmp_path / "versions"), version="gold")]).run()
    assert not missing.success and "no commit tagged 'gold'" in missing.error


def test_failed_quality_gate_runs_no_later_step_and_writes_nothing(csv_path, tmp_path):
    assert _smote_pipeline(csv_path, tmp_path).run().success
    (tmp_path / "augmented.csv").unlink()
    gated = _smote_pipeline(csv_path, tmp_path,
                            steps.evaluate(target_column="is_fraud", min_score=0.999, fail_on_low_score=True))
    result = gated.run()
    assert not result.success
    assert result.error.startswith("evaluate: quality_score 0.") and result.error.endswith("< min_score 0.999")
    assert "6.save_csv" not in result.timings
    assert not (tmp_path / "augmented.csv").exists()
    assert _version(tmp_path / "versions") == 0
    for table in ("augmented_train", "test", "synthetic", "runs"):
        assert _version(tmp_path / "lake" / table) == 0


class _Boom(Step):
    """Fails on purpose (crash injection)."""

    name = "boom"

    def run(self, ctx):
        raise RuntimeError("injected crash")


def test_crash_after_writing_steps_leaves_every_table_and_file_as_it_was(csv_path, tmp_path):
    assert _smote_pipeline(csv_path, tmp_path).run().success
    before = (tmp_path / "augmented.csv").read_bytes()
    pipeline = _smote_pipeline(csv_path, tmp_path)
    pipeline.steps.append(_Boom())
    result = pipeline.run()
    assert not result.success and result.error == "step 7 boom: RuntimeError: injected crash"
    assert _version(tmp_path / "versions") == 0
    for table in ("augmented_train", "test", "synthetic", "runs"):
        assert _version(tmp_path / "lake" / table) == 0
    assert (tmp_path / "augmented.csv").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp files left


def test_saved_generator_is_loaded_and_used_instead_of_fitting(csv_path, tmp_path):
    first = Pipeline([
        steps.load_csv(str(csv_path)),
        steps.augment_imbalanced(target_column="is_fraud", ratio=0.2, config={"epochs": 3}),
        steps.save_generator(str(tmp_path / "fraud_generator.pkl")),
        steps.save_delta(str(tmp_path / "out"), tag="v1"),
    ], name="gen").run()
    assert first.success, first.error
    assert first.outputs["generator_path"] == str(tmp_path / "fraud_generator.pkl")
    from genesis_spark.synth.generator import SyntheticGenerator

    saved = SyntheticGenerator.load(tmp_path / "fraud_generator.pkl")
    sha = history(tmp_path / "out")[0].metadata["generator_sha256"]
    assert saved.sha256 == sha
    second = Pipeline([
        steps.load_csv(str(csv_path)),
        steps.load_generator(str(tmp_path / "fraud_generator.pkl")),
        steps.augment_imbalanced(target_column="is_fraud", ratio=0.25),
        steps.save_delta(str(tmp_path / "out")),
    ], name="gen").run()
    assert second.success, second.error
    assert "generator_path" not in second.outputs and second.outputs["loaded_generator"].endswith("fraud_generator.pkl")
    assert history(tmp_path / "out")[0].metadata["generator_sha256"] == sha
    assert second.metrics["output_minority_share"] == pytest.approx(0.25, abs=1e-3)


def test_pipeline_and_steps_validate_their_arguments():
    with pytest.raises(ValueError, match="unknown parameter 'min_scor'. Did you mean 'min_score'"):
        steps.evaluate(target_column="is_fraud", min_scor=0.8)
    with pytest.raises(ValueError, match="missing required parameter 'ratio'"):
        steps.augment_imbalanced(target_column="is_fraud")
    with pytest.raises(ValueError, match="'ratio' must be number"):
        steps.augment_imbalanced(target_column="is_fraud", ratio="high")
    with pytest.raises(ValueError, match="Unknown engine 'dask'"):
        Pipeline([steps.load_csv("x.csv")], engine="dask")
    result = Pipeline([steps.load_csv("does/not/exist.csv")]).run()
    assert not result.success and result.error.startswith("step 1 load_csv: CSV file 'does/not/exist.csv' does not exist")
