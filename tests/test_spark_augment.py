"""augment_imbalanced on Spark DataFrames: same plan, schema and errors as pandas; deterministic."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from genesis_spark.augment import augment_imbalanced, plan_augmentation
from genesis_spark.datasets import DISCRETE_COLUMNS, TARGET_COLUMN
from genesis_spark.quality.bounded import collect_bounded
from genesis_spark.spark.augment import augment_spark
from genesis_spark.spark.sampling import ORDER_COLUMNS
from genesis_spark.core.scoring import SCORE_COLUMNS

CONFIG = {"epochs": 2, "batch_size": 100, "device": "cpu", "block_size": 512}
FEATURES = ["amount", "hour", "day_of_week", "merchant_category", "distance_from_home", "transaction_count_24h"]


@pytest.fixture(scope="module")
def sdf(spark, transactions):
    return spark.createDataFrame(transactions).cache()


def counts(frame) -> dict:
    return {r[0]: r[1] for r in frame.groupBy(TARGET_COLUMN).count().collect()}


def synthetic_rows(result) -> pd.DataFrame:
    return result.synthetic.toPandas().sort_values(list(ORDER_COLUMNS)).reset_index(drop=True)


@pytest.fixture(scope="module")
def oversampled(sdf):
    return augment_spark(sdf, TARGET_COLUMN, 0.1, discrete_columns=DISCRETE_COLUMNS, config=CONFIG, seed=4)


def test_oversample_reaches_the_pandas_plan_with_the_input_schema(sdf, transactions, oversampled):
    real_counts = transactions[TARGET_COLUMN].value_counts().to_dict()
    plan = plan_augmentation(real_counts, TARGET_COLUMN, 0.1)
    assert oversampled.augmented.schema == sdf.schema
    assert counts(oversampled.augmented) == plan.final_counts
    assert oversampled.augmented.exceptAll(sdf).count() == plan.n_synthetic  # the real rows are all there
    synthetic = synthetic_rows(oversampled)
    assert len(synthetic) == plan.n_synthetic and (synthetic[TARGET_COLUMN] == 1).all()
    assert set(synthetic["merchant_category"]) <= set(transactions["merchant_category"])
    report = oversampled.sampling[1]
    assert report.accepted == plan.n_synthetic and 0 < report.acceptance_rate <= 1
    for name in SCORE_COLUMNS:  # every kept row reaches the default thresholds
        assert synthetic[name].notna().all()
    assert (synthetic["dcr"] >= 1e-6).all() and (synthetic["label_prob"] >= 0.05).all()
    assert len(oversampled.training_rows) == real_counts[1]


def test_same_seed_same_synthetic_rows_whatever_the_input_partitioning(sdf, oversampled):
    expected = synthetic_rows(oversampled)
    for partitions in (7,):
        again = augment_spark(sdf.repartition(partitions), TARGET_COLUMN, 0.1, discrete_columns=DISCRETE_COLUMNS,
                              config=CONFIG, seed=4)
        pd.testing.assert_frame_equal(synthetic_rows(again), expected)


def test_augment_imbalanced_dispatches_spark_dataframes_to_spark(sdf, transactions):
    out = augment_imbalanced(sdf, TARGET_COLUMN, 0.05, strategy="undersample", seed=1)
    assert type(out).__module__.startswith("pyspark.") and out.schema == sdf.schema
    assert counts(out)[1] == (transactions[TARGET_COLUMN] == 1).sum()


def test_training_rows_above_the_cap_are_a_seeded_sample_independent_of_partitioning(sdf, transactions):
    minority = sdf.where(f"{TARGET_COLUMN} = 1")
    first = collect_bounded(minority, FEATURES, 200, 50, seed=9, purpose="test")
    second = collect_bounded(minority.repartition(5), FEATURES, 200, 50, seed=9, purpose="test")
    other_seed = collect_bounded(minority, FEATURES, 200, 50, seed=10, purpose="test")
    assert len(first) == 50
    pd.testing.assert_frame_equal(first, second)
    assert not first.equals(other_seed)
    real = transactions[transactions[TARGET_COLUMN] == 1][FEATURES]
    assert len(first.merge(real, on=FEATURES)) == 50  # real rows, not copies or blends


def test_undersample_keeps_every_minority_row_and_about_the_planned_majority(sdf, transactions):
    real_counts = transactions[TARGET_COLUMN].value_counts().to_dict()
    plan = plan_augmentation(real_counts, TARGET_COLUMN, 0.2, "undersample")
    result = augment_spark(sdf, TARGET_COLUMN, 0.2, strategy="undersample", seed=2)
    got = counts(result.augmented)
    assert got[1] == real_counts[1]
    keep = plan.keep[0]
    p = keep / real_counts[0]
    assert abs(got[0] - keep) <= 5 * math.sqrt(real_counts[0] * p * (1 - p))
    again = augment_spark(sdf.repartition(3), TARGET_COLUMN, 0.2, strategy="undersample", seed=2)
    assert again.augmented.exceptAll(result.augmented).count() == 0


def test_smote_adds_the_planned_minority_rows_on_spark(sdf, transactions):
    real_counts = transactions[TARGET_COLUMN].value_counts().to_dict()
    plan = plan_augmentation(real_counts, TARGET_COLUMN, 0.1, "smote")
    result = augment_spark(sdf, TARGET_COLUMN, 0.1, strategy="smote", discrete_columns=["merchant_category"], seed=3)
    assert result.augmented.schema == sdf.schema
    assert counts(result.augmented) == plan.final_counts
    new = result.synthetic.toPandas()
    fraud = transactions[transactions[TARGET_COLUMN] == 1]
    assert new["amount"].between(fraud["amount"].min(), fraud["amount"].max()).all()  # interpolated


@pytest.mark.parametrize("kwargs", [
    {"target_column": "is_frud", "ratio": 0.3},
    {"target_column": TARGET_COLUMN, "ratio": 1.5},
    {"target_column": TARGET_COLUMN, "ratio": 0.3, "discrete_columns": ["merchant_categry"]},
    {"target_column": TARGET_COLUMN, "ratio": 0.3, "strategy": "oversampel"},
])
def test_bad_arguments_raise_the_same_errors_as_pandas(sdf, transactions, kwargs):
    with pytest.raises(ValueError) as on_pandas:
        augment_imbalanced(transactions, **kwargs)
    with pytest.raises(ValueError) as on_spark:
        augment_spark(sdf, **kwargs)
    assert str(on_spark.value) == str(on_pandas.value)


def test_constant_or_unsupported_target_is_refused_before_training(sdf):
    from pyspark.sql import functions as F

    with pytest.raises(ValueError, match="single value"):
        augment_spark(sdf.where(f"{TARGET_COLUMN} = 0"), TARGET_COLUMN, 0.3)
    with pytest.raises(ValueError, match="cannot hold class labels"):
        augment_spark(sdf.withColumn("label", F.array(F.col(TARGET_COLUMN))), "label", 0.3)


def test_ratio_below_the_minority_share_returns_the_input_with_a_warning(sdf):
    with pytest.warns(UserWarning, match="nothing to do"):
        result = augment_spark(sdf, TARGET_COLUMN, 0.01)
    assert result.augmented is sdf and result.synthetic.count() == 0
    assert np.isclose(result.plan.class_counts[1] / sum(result.plan.class_counts.values()), 0.02)
