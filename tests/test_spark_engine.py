"""SparkEngine: the Engine protocol on Spark, and pipelines run on it end to end (real Delta)."""
from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable

from genesis_spark.datasets import DISCRETE_COLUMNS, TARGET_COLUMN
from genesis_spark.pipeline import Pipeline, steps
from genesis_spark.core.engine import Engine
from genesis_spark.pipeline.engine import PandasEngine
from genesis_spark.spark.engine import SparkEngine


@pytest.fixture(scope="module")
def engine(spark):
    return SparkEngine(spark=spark)


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory, transactions):
    path = tmp_path_factory.mktemp("engine_data") / "transactions.csv"
    transactions.head(4000).to_csv(path, index=False)
    return path


def read_delta(path) -> tuple[int, pd.DataFrame]:
    table = DeltaTable(str(path))
    return table.version(), pq.read_table(table.file_uris()).to_pandas()


def test_engine_implements_the_protocol_and_profiles_like_pandas(engine, csv_path):
    assert isinstance(engine, Engine) and engine.name == "spark"
    frame = engine.read(str(csv_path), "csv").frame
    local = pd.read_csv(csv_path)
    spark_profile = engine.profile(frame, TARGET_COLUMN)
    pandas_profile = PandasEngine().profile(local, TARGET_COLUMN)
    assert spark_profile.n_rows == pandas_profile.n_rows == 4000
    assert spark_profile.class_counts == pandas_profile.class_counts
    assert {c.name: c.nulls for c in spark_profile.columns} == {c.name: c.nulls for c in pandas_profile.columns}
    assert engine.columns(frame) == list(local.columns)


def test_split_and_sample_are_deterministic_and_bounded(engine, csv_path):
    frame = engine.read(str(csv_path), "csv").frame
    train, test = engine.split(frame, TARGET_COLUMN, 0.25, seed=3)
    assert engine.count(train) + engine.count(test) == 4000
    assert train.intersect(test).count() == 0
    fraud_share = test.where(f"{TARGET_COLUMN} = 1").count() / frame.where(f"{TARGET_COLUMN} = 1").count()
    assert abs(fraud_share - 0.25) < 0.05
    first = engine.sample(train, 500, seed=1)
    again = engine.sample(train.repartition(5), 500, seed=1)
    assert len(first) == 500
    pd.testing.assert_frame_equal(first, again)
    assert len(engine.sample(test, 10_000)) == engine.count(test)


def test_write_csv_writes_one_file_with_every_row(engine, csv_path, tmp_path):
    frame = engine.read(str(csv_path), "csv").frame
    out = tmp_path / "out" / "copy.csv"
    engine.write_csv(frame.repartition(3), out)
    back = pd.read_csv(out)
    assert out.is_file() and len(back) == 4000
    assert sorted(back["amount"]) == sorted(pd.read_csv(csv_path)["amount"])
    assert [p.name for p in out.parent.iterdir()] == ["copy.csv"]


def fraud_pipeline(csv_path, lakehouse, engine, strategy: str = "oversample") -> Pipeline:
    return Pipeline([
        steps.load_csv(str(csv_path)),
        steps.split(target_column=TARGET_COLUMN, test_size=0.2, seed=42),
        steps.augment_imbalanced(target_column=TARGET_COLUMN, ratio=0.2, strategy=strategy,
                                 discrete_columns=DISCRETE_COLUMNS,
                                 config={"epochs": 2, "batch_size": 100, "block_size": 512}),
        steps.evaluate(target_column=TARGET_COLUMN, min_score=0.0, fail_on_low_score=True),
    ], name="engine_test", engine=engine, lakehouse=str(lakehouse), seed=8)


def test_pipeline_on_spark_writes_versioned_tables_and_a_rerun_writes_nothing(engine, csv_path, tmp_path):
    lake = tmp_path / "lake"
    result = fraud_pipeline(csv_path, lake, engine).run(run_id=1)
    assert result.success, result.error
    version, train = read_delta(lake / "augmented_train")
    _, test = read_delta(lake / "test")
    _, synthetic = read_delta(lake / "synthetic")
    assert version == 0 and result.versions[str(lake / "augmented_train")] == 0
    assert len(train) + len(test) - len(synthetic) == 4000
    assert abs(train[TARGET_COLUMN].mean() - 0.2) < 0.01
    assert (synthetic["run_id"] == 1).all() and {"realism", "dcr", "label_prob"} <= set(synthetic.columns)
    assert list(train.columns) == [*pd.read_csv(csv_path).columns, "run_id"] and (train["run_id"] == 1).all()
    assert result.metrics["quality_score"] > 0

    # Run 1 again (SMOTE this time, so no training): every table already holds run 1.
    again = fraud_pipeline(csv_path, lake, engine, strategy="smote").run(run_id=1)
    assert again.success and again.already_committed, again.error
    for name in ("augmented_train", "test", "synthetic", "runs"):
        version, rows = read_delta(lake / name)
        assert version == 0, name  # the same run id writes nothing twice
    assert len(read_delta(lake / "augmented_train")[1]) == len(train)


def test_yaml_load_generator_then_augment_runs_on_the_spark_engine(spark, csv_path, tmp_path):
    from genesis_spark.pipeline import load_pipeline
    from genesis_spark.synth.generator import SyntheticGenerator

    fraud = pd.read_csv(csv_path).query(f"{TARGET_COLUMN} == 1").drop(columns=TARGET_COLUMN)
    generator = SyntheticGenerator("ctgan", {"epochs": 2, "batch_size": 100, "seed": 1}).fit(
        fraud, discrete_columns=DISCRETE_COLUMNS)
    generator.save(tmp_path / "fraud_generator.pkl")
    (tmp_path / "pipeline.yaml").write_text(f"""
name: loaded_generator
engine: spark
steps:
  - load_csv: {{path: {csv_path}}}
  - load_generator: {{path: fraud_generator.pkl}}
  - augment_imbalanced: {{target_column: {TARGET_COLUMN}, ratio: 0.25, discrete_columns: {DISCRETE_COLUMNS},
                          config: {{block_size: 512}}}}
  - save_delta: {{path: out}}
""")
    pipeline = load_pipeline(tmp_path / "pipeline.yaml")
    pipeline.engine_options["spark"] = spark
    result = pipeline.run()
    assert result.success, result.error
    assert result.metrics["output_minority_share"] == pytest.approx(0.25, abs=1e-3)
    version, rows = read_delta(tmp_path / "out")
    assert version == 0 and rows[TARGET_COLUMN].mean() == pytest.approx(0.25, abs=1e-3)
    assert history_sha(tmp_path / "out") == generator.sha256


def history_sha(path) -> str:
    from genesis_spark.delta.tables import history

    return history(path)[0].metadata["generator_sha256"]
