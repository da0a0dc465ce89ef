"""compare_models: baseline vs augmented vs SMOTENC vs class weights on real test rows, with a verdict."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import average_precision_score
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier

from genesis_spark.datasets import make_transactions
from genesis_spark.quality.utility import compare_models
from genesis_spark.quality.verdict import paired_gain, verdict_of, weighted_average_precision

TARGET = "is_fraud"
MODELS = ["baseline", "augmented", "smotenc", "class_weights"]


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
    return compare_models(train, augmented, test, TARGET, discrete_columns=["merchant_category"],
                          classifiers=[forest, "hist_gradient_boosting"], n_bootstrap=200)


@pytest.fixture(scope="module")
def scarce():
    """40 real fraud rows in training: true-distribution rows help boosting a great deal; legit rows
    labelled fraud (a generator fitted on the wrong class) hurt."""
    data = make_transactions(12_000, 0.02, seed=31)
    train, test = train_test_split(data, test_size=0.4, random_state=0, stratify=data[TARGET])
    fraud = train[train[TARGET] == 1].head(40)
    train = pd.concat([train[train[TARGET] == 0], fraud], ignore_index=True)
    extra = make_transactions(60_000, 0.02, seed=32)
    oracle = extra[extra[TARGET] == 1].head(1_500)
    wrong = extra[extra[TARGET] == 0].head(1_500).assign(**{TARGET: 1})
    return train, oracle, wrong, test


def test_one_row_per_classifier_and_model_with_metrics_in_range(report, split):
    _, _, test = split
    table = report.table
    assert list(zip(table["classifier"], table["model"])) == [
        (c, m) for c in ("random_forest_classifier", "hist_gradient_boosting") for m in MODELS]
    for column in ["precision_at_0.5", "recall_at_0.5", "f1_at_0.5", "roc_auc", "pr_auc", "best_f1", "threshold",
                   "precision_at_tuned", "recall_at_tuned", "f1_at_tuned"]:
        assert table[column].between(0, 1).all(), column
    assert (table["best_f1"] >= table["f1_at_0.5"] - 1e-12).all()
    confusion = table[["tn_at_0.5", "fp_at_0.5", "fn_at_0.5", "tp_at_0.5"]].sum(axis=1)
    assert (confusion == len(test)).all()
    assert (table["tp_at_0.5"] + table["fn_at_0.5"] == int(test[TARGET].sum())).all()
    assert (table[table["model"] == "baseline"]["roc_auc"] > 0.8).all()
    assert set(report.curves) == {"random_forest_classifier", "hist_gradient_boosting"}
    assert all(set(curves) == set(MODELS) for curves in report.curves.values())


def test_smotenc_adds_as_many_rows_as_the_augmented_set(report, split):
    train, augmented, _ = split
    table = report.table[report.table["classifier"] == "hist_gradient_boosting"].set_index("model")
    assert table.loc["baseline", "n_train"] == table.loc["class_weights", "n_train"] == len(train)
    assert table.loc["augmented", "n_train"] == len(augmented)
    assert table.loc["smotenc", "n_train"] == len(augmented)
    assert table.loc["smotenc", "n_positive_train"] == table.loc["augmented", "n_positive_train"]
    assert table.loc["augmented", "n_positive_train"] == int(train[TARGET].sum()) + 400


def test_class_weights_change_the_model(report):
    table = report.table[report.table["classifier"] == "random_forest_classifier"].set_index("model")
    assert table.loc["class_weights", "pr_auc"] != table.loc["baseline", "pr_auc"]


def test_gains_have_intervals_around_the_point_and_a_verdict(report):
    gains = report.gains
    assert list(zip(gains["classifier"], gains["versus"])) == [
        (c, v) for c in ("random_forest_classifier", "hist_gradient_boosting")
        for v in ("baseline", "smotenc", "class_weights")]
    assert (gains["low"] <= gains["gain"]).all() and (gains["gain"] <= gains["high"]).all()
    assert (gains["low"] < gains["high"]).all()
    table = report.table.set_index(["classifier", "model"])["pr_auc"]
    for row in gains.to_dict("records"):
        expected = table[(row["classifier"], "augmented")] - table[(row["classifier"], row["versus"])]
        assert row["gain"] == pytest.approx(expected)
        assert row["verdict"] == verdict_of(row["low"], row["high"])


def test_metrics_carry_the_first_classifier_unsuffixed_and_every_classifier_suffixed(report):
    metrics = report.metrics()
    first, second = "random_forest_classifier", "hist_gradient_boosting"
    assert metrics["classifiers"] == f"{first},{second}"
    for name in ("pr_auc_gain", "pr_auc_gain_low", "pr_auc_gain_high", "utility_verdict",
                 "pr_auc_gain_vs_smotenc", "pr_auc_gain_vs_smotenc_low", "pr_auc_gain_vs_smotenc_high",
                 "pr_auc_gain_vs_class_weights", "pr_auc_gain_vs_class_weights_low",
                 "pr_auc_gain_vs_class_weights_high", "augmented_pr_auc", "baseline_pr_auc", "smotenc_roc_auc"):
        assert metrics[name] == metrics[f"{name}_{first}"], name
        assert f"{name}_{second}" in metrics, name
    assert metrics["utility_verdict"] == report.verdict == report.gain()["verdict"]
    assert metrics[f"utility_verdict_{second}"] == report.gain(second)["verdict"]
    assert metrics[f"pr_auc_gain_{second}"] == pytest.approx(
        metrics[f"augmented_pr_auc_{second}"] - metrics[f"baseline_pr_auc_{second}"])
    lines = report.headline()
    assert len(lines) == 2 and lines[1].startswith(f"{second}: {metrics[f'utility_verdict_{second}']}: PR-AUC ")
    assert report.to_dict()["gains"][0]["verdict"] in ("helped", "no_change", "hurt")


def test_true_distribution_rows_help_boosting_where_the_minority_is_scarce(scarce):
    train, oracle, _, test = scarce
    augmented = pd.concat([train, oracle], ignore_index=True)
    report = compare_models(train, augmented, test, TARGET, classifiers=["hist_gradient_boosting"],
                            include_smote=False, n_bootstrap=300)
    gain = report.gain()
    assert report.verdict == "helped", gain
    assert gain["low"] > 0 and gain["gain"] > 0.03


def test_rows_of_the_wrong_class_hurt(scarce):
    train, _, wrong, test = scarce
    augmented = pd.concat([train, wrong], ignore_index=True)
    report = compare_models(train, augmented, test, TARGET, classifiers=["random_forest"],
                            include_smote=False, include_class_weights=False, n_bootstrap=300)
    assert report.verdict == "hurt", report.gain()
    assert report.gain()["high"] < 0
    assert report.headline()[0].startswith("random_forest: hurt: PR-AUC ")


def test_tuned_threshold_never_looks_at_the_test_split(split):
    train, augmented, test = split
    flipped = test.assign(**{TARGET: 1 - test[TARGET]})
    model = DecisionTreeClassifier(max_depth=5, random_state=0)
    kwargs = dict(classifiers=[model], include_smote=False, include_class_weights=False, n_bootstrap=50)
    a = compare_models(train, augmented, test, TARGET, **kwargs)
    b = compare_models(train, augmented, flipped, TARGET, **kwargs)
    np.testing.assert_allclose(a.table["threshold"], b.table["threshold"])
    assert not np.allclose(a.table["recall_at_0.5"], b.table["recall_at_0.5"])


def test_default_classifiers_are_seeded_forest_and_boosting(split):
    train, augmented, test = split
    small = train.iloc[:1_500], augmented.iloc[:1_700], test.iloc[:800]
    a = compare_models(*small, TARGET, include_smote=False, seed=3, n_bootstrap=100)
    b = compare_models(*small, TARGET, include_smote=False, seed=3, n_bootstrap=100)
    assert a.classifiers == ("random_forest", "hist_gradient_boosting")
    pd.testing.assert_frame_equal(a.table, b.table)
    pd.testing.assert_frame_equal(a.gains, b.gains)
    assert a.to_dict()["metrics_version"] == 1 and len(a.to_dict()["models"]) == 6


def test_logistic_regression_by_name(split):
    train, augmented, test = split
    report = compare_models(train, augmented, test, TARGET, classifiers="logistic_regression",
                            include_smote=False, n_bootstrap=50)
    assert report.classifiers == ("logistic_regression",)
    assert report.table["pr_auc"].between(0, 1).all()
    balanced = report.table.set_index("model")
    assert balanced.loc["class_weights", "recall_at_0.5"] > balanced.loc["baseline", "recall_at_0.5"]


@pytest.mark.parametrize("classifiers, match", [
    (["random_forest", "gbm"], r"classifiers names 'gbm', which is not a known classifier; use one of "
                               r"random_forest, hist_gradient_boosting, logistic_regression"),
    ([], "classifiers is empty"),
    (["random_forest", "random_forest"], "lists random_forest more than once"),
])
def test_bad_classifiers_are_named(split, classifiers, match):
    train, augmented, test = split
    with pytest.raises(ValueError, match=match):
        compare_models(train, augmented, test, TARGET, classifiers=classifiers)


def test_target_missing_from_test_is_named(split):
    train, augmented, test = split
    with pytest.raises(ValueError, match=r"target_column \(in test\) names 'is_fraud', which is not a column"):
        compare_models(train, augmented, test.drop(columns=TARGET), TARGET)


def test_non_binary_target_is_rejected(split):
    train, augmented, test = split
    with pytest.raises(ValueError, match="binary target"):
        compare_models(train, augmented, test, "day_of_week")


# --------------------------------------------------------------------------- the bootstrap itself

def test_weighted_average_precision_is_scikit_learns_with_ties_and_weights():
    rng = np.random.default_rng(0)
    y = (rng.random(700) < 0.1).astype(int)
    prob = np.round(0.6 * rng.random(700) + 0.3 * y, 2)  # many ties
    weights = rng.integers(0, 4, size=(6, 700))
    expected = [average_precision_score(y, prob, sample_weight=w) for w in weights]
    np.testing.assert_allclose(weighted_average_precision(y, prob, weights), expected, rtol=1e-12)
    no_positive = np.where(y == 1, 0, 1)[None, :]
    assert np.isnan(weighted_average_precision(y, prob, no_positive))[0]


def test_paired_gain_is_seeded_and_its_verdict_follows_the_interval():
    rng = np.random.default_rng(1)
    y = (rng.random(2_000) < 0.05).astype(int)
    good = 0.5 * rng.random(2_000) + 0.5 * y
    noise = rng.random(2_000)
    better = paired_gain(y, good, noise, n_bootstrap=200, seed=5)
    assert better == paired_gain(y, good, noise, n_bootstrap=200, seed=5)
    assert better != paired_gain(y, good, noise, n_bootstrap=200, seed=6)
    assert better.verdict == "helped" and better.low > 0
    assert paired_gain(y, noise, good, n_bootstrap=200, seed=5).verdict == "hurt"
    same = paired_gain(y, good, good + 1e-9 * rng.random(2_000), n_bootstrap=200, seed=5)
    assert same.verdict == "no_change" and same.low <= 0 <= same.high
    assert [verdict_of(0.01, 0.2), verdict_of(-0.2, -0.01), verdict_of(-0.1, 0.1)] == ["helped", "hurt", "no_change"]
