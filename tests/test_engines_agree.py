"""One scoring path: for the same training rows, config and seed, both engines return the same synthetic rows."""
from __future__ import annotations

import pandas as pd
import pytest

from genesis_spark.augment import augment
from genesis_spark.core.blocks import ORDER_COLUMNS
from genesis_spark.core.scoring import SCORE_COLUMNS
from genesis_spark.datasets import DISCRETE_COLUMNS, TARGET_COLUMN
from genesis_spark.spark.augment import augment_spark

CONFIG = {"epochs": 3, "batch_size": 100, "device": "cpu", "block_size": 256}


@pytest.fixture(scope="module")
def train(transactions):
    return transactions.head(3000).reset_index(drop=True)  # about 60 fraud rows


def _rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(ORDER_COLUMNS)).reset_index(drop=True)


@pytest.fixture(scope="module")
def on_pandas(train):
    return augment(train, TARGET_COLUMN, 0.1, discrete_columns=DISCRETE_COLUMNS, config=CONFIG, seed=4)


def test_pandas_and_spark_return_the_same_synthetic_rows(spark, train, on_pandas):
    shuffled = train.sample(frac=1.0, random_state=1)  # another row order and partitioning on Spark
    on_spark = augment_spark(spark.createDataFrame(shuffled).repartition(3), TARGET_COLUMN, 0.1,
                             discrete_columns=DISCRETE_COLUMNS, config=CONFIG, seed=4)
    pandas_rows = _rows(on_pandas.synthetic)
    spark_rows = _rows(on_spark.synthetic.toPandas())
    assert list(pandas_rows.columns) == list(spark_rows.columns) == [*train.columns, *ORDER_COLUMNS, *SCORE_COLUMNS]
    assert len(pandas_rows) == on_pandas.plan.n_synthetic > 0
    pd.testing.assert_frame_equal(pandas_rows, spark_rows, check_dtype=False)
    assert on_pandas.sampling[1].to_dict() == on_spark.sampling[1].to_dict()


def test_pandas_engine_scores_and_filters_like_the_executors(on_pandas):
    rows = on_pandas.synthetic
    for name in SCORE_COLUMNS:
        assert rows[name].notna().all()
    assert (rows["dcr"] >= 1e-6).all() and (rows["label_prob"] >= 0.05).all() and rows["realism"].between(0, 1).all()
    report = on_pandas.sampling[1]
    assert report.accepted == on_pandas.plan.n_synthetic and report.generated >= report.accepted
    assert set(report.acceptance_by_filter) == {"realism", "dcr", "label_prob"}  # class_margin selects, not filters
    assert rows["class_margin"].between(0, 1).all()


def test_a_loaded_generator_augments_on_both_engines(spark, train, on_pandas, tmp_path):
    path = on_pandas.generator.save(tmp_path / "fraud.gen")
    from genesis_spark.synth.generator import SyntheticGenerator

    loaded = SyntheticGenerator.load(path)
    again = augment(train, TARGET_COLUMN, 0.1, discrete_columns=DISCRETE_COLUMNS, config=CONFIG, seed=4,
                    generator=loaded)
    on_spark = augment_spark(spark.createDataFrame(train), TARGET_COLUMN, 0.1, discrete_columns=DISCRETE_COLUMNS,
                             config=CONFIG, seed=4, generator=loaded)
    assert on_spark.generator is loaded and again.generator is loaded
    expected = _rows(on_pandas.synthetic)
    pd.testing.assert_frame_equal(_rows(again.synthetic), expected)
    pd.testing.assert_frame_equal(_rows(on_spark.synthetic.toPandas()), expected, check_dtype=False)


def test_three_classes_every_class_below_the_ratio_is_raised_on_both_engines(spark, train):
    risk = pd.Series("low", index=train.index)
    risk[train[TARGET_COLUMN] == 1] = "high"
    risk[(train[TARGET_COLUMN] == 0) & (train["transaction_count_24h"] >= 8)] = "mid"
    frame = train.drop(columns=TARGET_COLUMN).assign(risk=risk)
    on_pandas = augment(frame, "risk", 0.1, discrete_columns=DISCRETE_COLUMNS, config=CONFIG, seed=5)
    on_spark = augment_spark(spark.createDataFrame(frame), "risk", 0.1, discrete_columns=DISCRETE_COLUMNS,
                             config=CONFIG, seed=5)
    assert set(on_pandas.plan.add) == {"high", "mid"}
    total = sum(on_pandas.plan.final_counts.values())
    for label in ("high", "mid"):
        assert on_pandas.plan.final_counts[label] / total == pytest.approx(0.1, abs=1e-3)
    counts = on_pandas.augmented["risk"].value_counts().to_dict()
    assert counts == on_pandas.plan.final_counts
    assert {r[0]: r[1] for r in on_spark.augmented.groupBy("risk").count().collect()} == counts
    keys = ["risk", *ORDER_COLUMNS]
    pd.testing.assert_frame_equal(on_pandas.synthetic.sort_values(keys).reset_index(drop=True),
                                  on_spark.synthetic.toPandas().sort_values(keys).reset_index(drop=True),
                                  check_dtype=False)
