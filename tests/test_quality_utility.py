"""compare_models: baseline vs augmented vs SMOTENC on real test rows, thresholds from training data only."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier
from sklearn.model_selection import train_test_split

from genesis_spark.datasets import make_transactions
from genesis_spark.quality.utility import compare_models

TARGET = "is_fraud"


@pytest.fixture(scope="module")
def split():
    data = make_transactions(5_000, 0.04, seed=21)
    train, test = train_test_split(data, test_size=0.3, random_state=0, stratify=data[TARGET])
    # "synthetic" fraud: another draw's fraud rows (a stand-in generator with the right distribution)
    extra = make_transactions(20_000, 0.04, seed=22)
    synthetic = extra[extra[TARGET] == 1].head(400)
    augmented = pd.concat([train, synthetic], ignore_index=True).sample(frac=1, random_state=0)
    return train, augmented, test


@pytest.fixture(scope="module")
def report(split):
    train, augmented, test = split
    forest = RandomForestClassifier(n_estimators=40, random_state=0, n_jobs=2)
    return compare_models(train, augmented, test, TARGET, discrete_columns=["merchant_category"], estimator=forest)


def test_one_row_per_model_with_metrics_in_range(report, split):
    _, _, test = split
    table = report.table.set_index("model")
    assert list(table.index) == ["baseline", "augmented", "smotenc"]
    for column in ["precision_at_0.5", "recall_at_0.5", "f1_at_0.5", "roc_auc", "pr_auc", "threshold",
                   "precision_at_tuned", "recall_at_tuned", "f1_at_tuned"]:
        assert table[column].between(0, 1).all(), column
    confusion = table[["tn_at_0.5", "fp_at_0.5", "fn_at_0.5", "tp_at_0.5"]].sum(axis=1)
    assert (confusion == len(test)).all()
    assert (table["tp_at_0.5"] + table["fn_at_0.5"] == int(test[TARGET].sum())).all()
    assert table.loc["baseline", "roc_auc"] > 0.8
    assert set(report.curves) == {"baseline", "augmented", "smotenc"}


def test_smotenc_adds_as_many_rows_as_the_augmented_set(report, split):
    train, augmented, _ = split
    table = report.table.set_index("model")
    assert table.loc["baseline", "n_train"] == len(train)
    assert table.loc["augmented", "n_train"] == len(augmented)
    assert table.loc["smotenc", "n_train"] == len(augmented)
    assert table.loc["smotenc", "n_positive_train"] == table.loc["augmented", "n_positive_train"]
    assert table.loc["augmented", "n_positive_train"] == int(train[TARGET].sum()) + 400


def test_tuned_threshold_never_looks_at_the_test_split(split):
    train, augmented, test = split
    flipped = test.assign(**{TARGET: 1 - test[TARGET]})
    model = DecisionTreeClassifier(max_depth=5, random_state=0)
    a = compare_models(train, augmented, test, TARGET, estimator=model, include_smote=False)
    b = compare_models(train, augmented, flipped, TARGET, estimator=model, include_smote=False)
    np.testing.assert_allclose(a.table["threshold"], b.table["threshold"])
    assert not np.allclose(a.table["recall_at_0.5"], b.table["recall_at_0.5"])


def test_default_estimator_is_a_seeded_random_forest(split):
    train, augmented, test = split
    small = train.iloc[:1_500], augmented.iloc[:1_700], test.iloc[:800]
    a = compare_models(*small, TARGET, include_smote=False, seed=3)
    b = compare_models(*small, TARGET, include_smote=False, seed=3)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.to_dict()["metrics_version"] == 1 and len(a.to_dict()["models"]) == 2


def test_target_missing_from_test_is_named(split):
    train, augmented, test = split
    with pytest.raises(ValueError, match=r"target_column \(in test\) names 'is_fraud', which is not a column"):
        compare_models(train, augmented, test.drop(columns=TARGET), TARGET)


def test_non_binary_target_is_rejected(split):
    train, augmented, test = split
    with pytest.raises(ValueError, match="binary target"):
        compare_models(train, augmented, test, "day_of_week")
