"""MLflow tracking against a real local file-store tracking URI (no mocks)."""
from __future__ import annotations

import json

import pytest

mlflow = pytest.importorskip("mlflow")

from genesis_spark.tracking import (MlflowOptions, RunRecord, TableRef, flatten, logged_tables,  # noqa: E402
                                    log_record, numeric_metrics)


@pytest.fixture()
def tracking_uri(tmp_path, monkeypatch):
    # MLflow 3 keeps the file store behind an opt-in; it is the cheapest real backend for tests.
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    uri = (tmp_path / "mlruns").as_uri()
    yield uri
    mlflow.set_tracking_uri(None)


def test_options_reject_unknown_keys_with_the_accepted_list():
    with pytest.raises(ValueError, match=r"unknown key\(s\) 'experimnt'.*Accepted keys: experiment"):
        MlflowOptions.from_mapping({"experimnt": "x"})
    with pytest.raises(ValueError, match="mlflow.log_report must be true or false"):
        MlflowOptions.from_mapping({"log_report": "yes"})
    assert MlflowOptions.from_mapping(True) == MlflowOptions()


def test_flatten_and_numeric_metrics():
    assert flatten({"steps": [{"augment": {"ratio": 0.3}}], "name": "x"}) == {
        "steps.0.augment.ratio": 0.3, "name": "x"}
    assert numeric_metrics({"quality_score": 0.91, "rows": 10, "ok": True, "nan": float("nan"),
                            "label": "x", "acceptance": {"realism": 0.5}}) == {
        "quality_score": 0.91, "rows": 10.0, "ok": 1.0, "acceptance.realism": 0.5}


def test_log_record_writes_params_metrics_artifacts_and_table_lineage(tmp_path, tracking_uri):
    report = tmp_path / "quality_report.html"
    report.write_text("<html><body>overall 0.9</body></html>")
    generator = tmp_path / "fraud_generator.genesis"
    generator.write_bytes(b"artifact-bytes")
    record = RunRecord(
        run_id=7, app_id="genesis_spark:fraud", pipeline="fraud", success=True,
        params={"steps": [{"augment_imbalanced": {"ratio": 0.3, "discrete_columns": ["hour"]}}]},
        metrics={"quality_score": 0.91, "synthetic_rows": 120, "pr_auc_gain": 0.04, "utility_verdict": "helped",
                 "utility_verdict_hist_gradient_boosting": "no_change"},
        artifacts={"report": report, "generator": generator},
        inputs=[TableRef("source", str(tmp_path / "lake" / "transactions"), 4)],
        outputs=[TableRef("augmented_train", str(tmp_path / "lake" / "augmented_train"), 0),
                 TableRef("runs", "hive_metastore.fraud.runs", 2, format="table")],
    )
    run_id = log_record(record, MlflowOptions(experiment="genesis-test", tracking_uri=tracking_uri,
                                              tags={"team": "risk"}))

    run = mlflow.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert run.info.run_name == "fraud-run-7"
    assert run.data.params["steps.0.augment_imbalanced.ratio"] == "0.3"
    assert json.loads(run.data.params["steps.0.augment_imbalanced.discrete_columns"]) == ["hour"]
    assert run.data.metrics == {"quality_score": 0.91, "synthetic_rows": 120.0, "pr_auc_gain": 0.04}
    assert run.data.tags["genesis.utility_verdict"] == "helped"  # text metrics are tags
    assert run.data.tags["genesis.utility_verdict_hist_gradient_boosting"] == "no_change"
    assert run.data.tags["genesis.run_id"] == "7"
    assert run.data.tags["team"] == "risk"
    assert run.data.tags["genesis.output.augmented_train"] == f"{tmp_path / 'lake' / 'augmented_train'}@v0"
    assert run.data.tags["genesis.input.source"].endswith("transactions@v4")

    tables = logged_tables(run)
    assert tables["source"] == {"context": "source", "version": 4, "source": {
        "path": str(tmp_path / "lake" / "transactions"), "delta_table_version": 4}}
    assert tables["augmented_train"]["context"] == "output"
    assert tables["augmented_train"]["version"] == 0
    assert tables["augmented_train"]["source"]["path"] == str(tmp_path / "lake" / "augmented_train")
    assert tables["runs"]["source"] == {"delta_table_name": "hive_metastore.fraud.runs", "delta_table_version": 2}

    client = mlflow.tracking.MlflowClient()
    logged = {a.path for folder in ("report", "generator") for a in client.list_artifacts(run_id, folder)}
    assert logged == {"report/quality_report.html", "generator/fraud_generator.genesis"}
    local = client.download_artifacts(run_id, "generator/fraud_generator.genesis", str(tmp_path / "dl"))
    assert open(local, "rb").read() == b"artifact-bytes"


def test_failed_run_is_logged_as_failed_with_its_error(tracking_uri):
    record = RunRecord(run_id=3, pipeline="fraud", success=False,
                       error="QualityGateError: quality_score 0.41 < min_score 0.85")
    run_id = log_record(record, MlflowOptions(experiment="genesis-test", tracking_uri=tracking_uri))
    run = mlflow.get_run(run_id)
    assert run.info.status == "FAILED"
    assert run.data.tags["genesis.success"] == "false"
    assert "min_score 0.85" in run.data.tags["genesis.error"]


def test_real_pipeline_run_is_logged_with_its_delta_outputs_and_generator(tmp_path, tracking_uri):
    from deltalake import DeltaTable

    from genesis_spark.datasets import make_transactions
    from genesis_spark.pipeline import Pipeline, steps
    from genesis_spark.tracking import log_run

    csv = tmp_path / "transactions.csv"
    make_transactions(1_500, fraud_rate=0.05, seed=5).to_csv(csv, index=False)
    pipeline = Pipeline([
        steps.load_csv(str(csv)),
        steps.split(target_column="is_fraud", test_size=0.2),
        steps.augment_imbalanced(target_column="is_fraud", ratio=0.1, discrete_columns=["merchant_category"],
                                 config={"epochs": 1, "batch_size": 50, "embedding_dim": 8,
                                         "generator_dim": [16], "discriminator_dim": [16]}),
        steps.save_generator(str(tmp_path / "fraud.genesis")),
    ], name="tracked", lakehouse=str(tmp_path / "lake"), seed=1)
    result = pipeline.run()
    assert result.success, result.error

    run_id = log_run(result, options={"experiment": "genesis-pipeline", "tracking_uri": tracking_uri},
                     config=pipeline.to_config())
    run = mlflow.get_run(run_id)
    assert run.data.tags["genesis.run_id"] == "1"
    assert run.data.params["name"] == "tracked"
    assert run.data.params["steps.2.augment_imbalanced.ratio"] == "0.1"
    tables = logged_tables(run)
    for name in ("augmented_train", "test", "synthetic", "runs"):
        path = str(tmp_path / "lake" / name)
        assert tables[name]["context"] == "output"
        assert tables[name]["version"] == DeltaTable(path).version() == 0
        assert tables[name]["source"]["path"] == path
    artifacts = {a.path for a in mlflow.tracking.MlflowClient().list_artifacts(run_id, "generator")}
    assert artifacts == {"generator/fraud.genesis"}


def test_yaml_mlflow_block_logs_the_run_with_its_source_table_and_version(tmp_path, tracking_uri):
    """The pipeline option: a top-level ``mlflow`` block makes ``Pipeline.run`` log the run."""
    from genesis_spark.datasets import make_transactions
    from genesis_spark.pipeline import Pipeline, steps
    from genesis_spark.pipeline.yaml_config import load_pipeline

    source = tmp_path / "source_table"
    seed_run = Pipeline([steps.load_csv(str(_csv(tmp_path, make_transactions))), steps.save_delta(str(source))],
                        name="seed_source").run()
    assert seed_run.success, seed_run.error
    config = tmp_path / "tracked.yaml"
    config.write_text(f"""
name: tracked_yaml
lakehouse: lake
mlflow: {{experiment: genesis-yaml, tracking_uri: "{tracking_uri}", tags: {{team: risk}}}}
steps:
  - load_delta: {{path: source_table, version: 0}}
  - split: {{target_column: is_fraud, test_size: 0.2}}
  - augment_imbalanced:
      target_column: is_fraud
      ratio: 0.1
      config: {{epochs: 1, batch_size: 50, embedding_dim: 8, generator_dim: [16], discriminator_dim: [16]}}
""", encoding="utf-8")
    result = load_pipeline(config).run(run_id=4)
    assert result.success, result.error

    client = mlflow.tracking.MlflowClient(tracking_uri)
    experiment = client.get_experiment_by_name("genesis-yaml")
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.data.tags["genesis.run_id"] == "4" and run.data.tags["team"] == "risk"
    tables = logged_tables(run)
    assert tables["source"]["context"] == "source"
    assert tables["source"]["version"] == 0
    assert tables["source"]["source"]["path"] == str(source)
    assert tables["augmented_train"]["version"] == 0


def _csv(tmp_path, make_transactions):
    path = tmp_path / "transactions.csv"
    make_transactions(1_500, fraud_rate=0.05, seed=5).to_csv(path, index=False)
    return path
