"""The generator as an MLflow pyfunc model: logged to a real file store, loaded back, predicting real rows."""
from __future__ import annotations

import pandas as pd
import pytest

mlflow = pytest.importorskip("mlflow")

from genesis_spark.tracking import (GENERATOR_MODEL_PATH, GENERATOR_MODEL_SEED, MlflowOptions,  # noqa: E402
                                    RunRecord, log_generator_model, log_record)


@pytest.fixture()
def tracking_uri(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    uri = (tmp_path / "mlruns").as_uri()
    mlflow.set_tracking_uri(uri)
    yield uri
    mlflow.set_tracking_uri(None)


@pytest.fixture(scope="module")
def generator(fraud_rows):
    from genesis_spark.synth.generator import SyntheticGenerator

    return SyntheticGenerator("ctgan", {"epochs": 2, "batch_size": 50, "embedding_dim": 8, "generator_dim": [16],
                                        "discriminator_dim": [16], "seed": 3}).fit(
        fraud_rows, discrete_columns=["merchant_category", "day_of_week"])


def test_pyfunc_model_round_trip_gives_the_generators_own_rows(generator, tracking_uri):
    with mlflow.start_run():
        info = log_generator_model(generator)
    model = mlflow.pyfunc.load_model(info.model_uri)

    rows = model.predict(pd.DataFrame({"n_rows": [25]}))
    pd.testing.assert_frame_equal(rows, generator.generate(25, seed=GENERATOR_MODEL_SEED))
    pd.testing.assert_frame_equal(model.predict(25), rows)
    pd.testing.assert_frame_equal(model.predict(25, params={"seed": 9}), generator.generate(25, seed=9))
    assert not rows.equals(generator.generate(25, seed=9))

    conditions = pd.DataFrame({"merchant_category": ["online", "travel", "online", "gas"],
                               "day_of_week": [0, 6, 0, 3]})
    conditioned = model.predict(conditions)
    pd.testing.assert_frame_equal(conditioned, generator.generate(conditions=conditions, seed=GENERATOR_MODEL_SEED))
    assert conditioned["merchant_category"].tolist() == ["online", "travel", "online", "gas"]
    assert conditioned["day_of_week"].tolist() == [0, 6, 0, 3]
    assert list(conditioned.columns) == list(generator.columns_)

    with pytest.raises(TypeError, match="row count"):
        model.predict("many rows")
    with pytest.raises(ValueError, match="one cell"):
        model.predict(pd.DataFrame({"n_rows": [3, 4]}))


def test_log_record_logs_the_generator_file_as_a_servable_model(generator, tmp_path, tracking_uri):
    path = generator.save(tmp_path / "fraud.genesis")
    run_id = log_record(RunRecord(run_id=1, pipeline="fraud", artifacts={"generator": path}),
                        MlflowOptions(experiment="genesis-pyfunc"))

    client = mlflow.tracking.MlflowClient()
    assert {a.path for a in client.list_artifacts(run_id, "generator")} == {"generator/fraud.genesis"}
    model = mlflow.pyfunc.load_model(f"runs:/{run_id}/{GENERATOR_MODEL_PATH}")
    pd.testing.assert_frame_equal(model.predict(pd.DataFrame({"n_rows": [10]})),
                                  generator.generate(10, seed=GENERATOR_MODEL_SEED))
    requirements = open(mlflow.pyfunc.get_model_dependencies(f"runs:/{run_id}/{GENERATOR_MODEL_PATH}")).read()
    assert {"genesis_spark", "torch", "pandas"} <= {line.split("==")[0] for line in requirements.split()}
