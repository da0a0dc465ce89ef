"""augment_imbalanced on pandas: shares reached, original rows kept first, strategies, and the bad-input matrix."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from genesis_spark.augment import augment, augment_imbalanced, plan_augmentation
from genesis_spark.datasets import make_transactions


@pytest.fixture(scope="module")
def small():
    return make_transactions(5_000, fraud_rate=0.02, seed=7)


@pytest.fixture(scope="module")
def ctgan_result(small):
    return augment(small, "is_fraud", 0.3, discrete_columns=["merchant_category"], config={"epochs": 3}, seed=1)


def test_oversample_reaches_ratio_with_original_rows_first_and_unchanged(small, ctgan_result):
    out = ctgan_result.augmented
    assert out["is_fraud"].mean() == pytest.approx(0.3, abs=1e-3)
    pd.testing.assert_frame_equal(out.iloc[: len(small)], small.reset_index(drop=True))
    synthetic = out.iloc[len(small):]
    assert (synthetic["is_fraud"] == 1).all()
    assert len(synthetic) == ctgan_result.plan.n_synthetic == len(ctgan_result.synthetic)
    assert list(out.dtypes) == list(small.dtypes)
    assert set(synthetic["merchant_category"]) <= set(small["merchant_category"])


def test_oversample_keeps_the_generator_and_the_rows_it_was_fitted_on(small, ctgan_result):
    generator = ctgan_result.generator
    assert generator is not None and len(generator.sha256) == 64
    assert "is_fraud" not in generator.columns_
    assert len(ctgan_result.training_rows) == int(small["is_fraud"].sum())
    assert (ctgan_result.training_rows["is_fraud"] == 1).all()
    assert set(ctgan_result.discrete_columns) == {"merchant_category"}


def test_prefitted_generator_is_sampled_without_refitting(small, ctgan_result):
    again = augment(small, "is_fraud", 0.2, generator=ctgan_result.generator, seed=1)
    assert again.generator is ctgan_result.generator
    assert again.augmented["is_fraud"].mean() == pytest.approx(0.2, abs=1e-3)


def test_smote_baseline_reaches_ratio_and_keeps_integer_and_category_values(small):
    out = augment_imbalanced(small, "is_fraud", 0.25, strategy="smote", discrete_columns=["merchant_category"])
    assert out["is_fraud"].mean() == pytest.approx(0.25, abs=1e-3)
    synthetic = out.iloc[len(small):]
    assert out["hour"].dtype == np.int64 and synthetic["hour"].between(0, 23).all()
    assert set(synthetic["merchant_category"]) <= set(small["merchant_category"])
    pd.testing.assert_frame_equal(out.iloc[: len(small)], small.reset_index(drop=True))


def test_undersample_is_seeded_and_keeps_every_minority_row(small):
    a = augment_imbalanced(small, "is_fraud", 0.3, strategy="undersample", seed=3)
    b = augment_imbalanced(small, "is_fraud", 0.3, strategy="undersample", seed=3)
    c = augment_imbalanced(small, "is_fraud", 0.3, strategy="undersample", seed=4)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    assert a["is_fraud"].sum() == small["is_fraud"].sum()
    assert a["is_fraud"].mean() == pytest.approx(0.3, abs=0.005)


def test_multiclass_raises_every_class_below_the_ratio():
    plan = plan_augmentation({"a": 500, "b": 300, "c": 200}, "y", 0.3)
    assert plan.final_counts == {"a": 500, "b": 375, "c": 375}
    df = pd.DataFrame({"x": np.arange(1000, dtype=float), "y": ["a"] * 500 + ["b"] * 300 + ["c"] * 200})
    out = augment_imbalanced(df, "y", 0.3, strategy="smote")
    assert out["y"].value_counts().to_dict() == {"a": 500, "b": 375, "c": 375}


def test_tutorial_numbers_for_the_fifty_thousand_row_table():
    plan = plan_augmentation({0: 49_000, 1: 1_000}, "is_fraud", 0.3)
    assert plan.add == {1: 20_000} and sum(plan.final_counts.values()) == 70_000


def test_ratio_at_or_below_current_share_is_a_noop_with_a_warning(small):
    with pytest.warns(UserWarning, match="nothing to do"):
        out = augment_imbalanced(small, "is_fraud", 0.01)
    pd.testing.assert_frame_equal(out, small.reset_index(drop=True))


@pytest.mark.parametrize("ratio", [0, 1, 1.5, -0.2, "0.3"])
def test_ratio_outside_zero_one_is_rejected(small, ratio):
    with pytest.raises(ValueError, match="ratio must be"):
        augment_imbalanced(small, "is_fraud", ratio)


def test_missing_target_column_names_the_close_match(small):
    with pytest.raises(ValueError, match="'is_frad'.*Did you mean 'is_fraud'"):
        augment_imbalanced(small, "is_frad", 0.3)


def test_single_valued_target_is_rejected(small):
    with pytest.raises(ValueError, match="single value"):
        augment_imbalanced(small[small["is_fraud"] == 0], "is_fraud", 0.3)


def test_continuous_target_is_rejected(small):
    with pytest.raises(ValueError, match="looks continuous"):
        augment_imbalanced(small, "amount", 0.3)


def test_unknown_discrete_column_is_rejected_before_training(small):
    with pytest.raises(ValueError, match="discrete_columns names 'merchant_categry'.*merchant_category"):
        augment_imbalanced(small, "is_fraud", 0.3, discrete_columns=["merchant_categry"])


def test_empty_minority_class_is_rejected(small):
    df = small.assign(is_fraud=pd.Categorical(np.zeros(len(small), dtype=int), categories=[0, 1]))
    df.loc[:4, "is_fraud"] = 1
    df = df.assign(is_fraud=pd.Categorical(df["is_fraud"], categories=[0, 1, 2]))
    with pytest.raises(ValueError, match="class 2 has no rows"):
        augment_imbalanced(df, "is_fraud", 0.3)


def test_one_row_minority_class_is_rejected(small):
    df = pd.concat([small[small["is_fraud"] == 0], small[small["is_fraud"] == 1].head(1)])
    with pytest.raises(ValueError, match="has 1 row"):
        augment_imbalanced(df, "is_fraud", 0.3)


def test_unknown_strategy_suggests_the_close_name(small):
    with pytest.raises(ValueError, match="Did you mean 'oversample'"):
        augment_imbalanced(small, "is_fraud", 0.3, strategy="oversampel")


def test_id_like_string_columns_are_kept_out_of_training_and_get_fresh_synthetic_values(transactions):
    from genesis_spark.augment import augment

    df = transactions.head(3_000).copy()
    df.insert(0, "transaction_id", [f"tx-{i:06d}" for i in range(len(df))])
    result = augment(df, "is_fraud", 0.1, config={"epochs": 2}, seed=1)
    assert result.excluded_columns == ("transaction_id",)
    assert "transaction_id" not in result.generator.columns_
    fresh = result.synthetic["transaction_id"]
    assert fresh.notna().all() and fresh.str.startswith("syn-").all() and fresh.is_unique
    assert not set(fresh) & set(df["transaction_id"])
    assert (result.augmented["transaction_id"].iloc[: len(df)] == df["transaction_id"]).all()


def test_sampling_keys_in_config_steer_the_pandas_engine_too(transactions):
    from genesis_spark.augment import augment

    result = augment(transactions.head(6_000), "is_fraud", 0.1,
                     config={"epochs": 2, "block_size": 1024, "min_realism": 0.2}, seed=1)
    assert len(result.synthetic) == result.plan.n_synthetic > 0
    assert (result.synthetic["realism"] >= 0.2).all() and result.sampling[1].block_size == 1024
