"""Privacy audit: mixed-type distance, exact nearest neighbours, memorisation caught, independent draws pass."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from genesis_spark.datasets import DISCRETE_COLUMNS, make_transactions
from genesis_spark.quality.evaluator import QualityEvaluator
from genesis_spark.core.kinds import infer_kinds
from genesis_spark.core.encoding import MixedTypeEncoder
from genesis_spark.quality.privacy import EncodedRows, nearest_distances


@pytest.fixture(scope="module")
def train():
    return make_transactions(4_000, 0.05, seed=11).drop(columns="is_fraud")


@pytest.fixture(scope="module")
def holdout():
    return make_transactions(4_000, 0.05, seed=12).drop(columns="is_fraud")


def test_encoded_euclidean_distance_is_the_mixed_distance():
    real = pd.DataFrame({"x": [0.0, 10.0, 5.0], "c": ["a", "b", "a"], "n": [1, 2, 3]})
    enc = MixedTypeEncoder.fit(real, discrete_columns=["c"])
    rows = pd.DataFrame({"x": [2.0, 7.0, 2.0], "c": ["a", "b", "zzz"], "n": [1, 3, 1]})
    m = enc.transform(rows).astype(float)
    assert m.dtype == np.float64 and enc.transform(rows).dtype == np.float32
    # row0 vs row1: x (2-7)/10, n (1-3)/2, c differs -> 0.25 + 1 + 1
    assert np.linalg.norm(m[0] - m[1]) == pytest.approx(np.sqrt(0.25 + 1.0 + 1.0), abs=1e-6)
    # an unseen category is one mismatch away from any real category
    assert np.linalg.norm(m[0] - m[2]) == pytest.approx(1.0, abs=1e-6)


def test_nearest_distances_are_exact_against_brute_force(train, holdout):
    from sklearn.neighbors import NearestNeighbors

    kinds = infer_kinds(train, DISCRETE_COLUMNS)
    enc = MixedTypeEncoder.fit(train, kinds=kinds)
    x_train, x_hold = EncodedRows.of(enc, train), EncodedRows.of(enc, holdout)
    brute = NearestNeighbors(algorithm="brute").fit(x_train.matrix)
    expected, _ = brute.kneighbors(x_hold.matrix, 2)
    np.testing.assert_allclose(nearest_distances(x_train, x_hold, 2), expected, atol=1e-5)
    expected_loo, _ = brute.kneighbors(None, 2)
    np.testing.assert_allclose(nearest_distances(x_train, None, 2), expected_loo, atol=1e-5)


def test_memorising_generator_fails_and_independent_draw_passes(train, holdout):
    copies = train.sample(2_000, random_state=0).reset_index(drop=True)
    memorised = QualityEvaluator(train, copies, DISCRETE_COLUMNS).privacy_audit(threshold=0.9)
    assert memorised.score == pytest.approx(0.0)
    assert not memorised.passed
    assert memorised.exact_match_rate == pytest.approx(1.0)
    assert len(memorised.too_close) == len(copies)

    fresh = make_transactions(2_000, 0.05, seed=13).drop(columns="is_fraud")
    ok = QualityEvaluator(train, fresh, DISCRETE_COLUMNS).privacy_audit(threshold=0.9)
    assert ok.passed and ok.score > 0.9
    assert ok.exact_match_rate == 0.0
    assert ok.baseline == "leave_one_out"
    assert ok.too_close_share < 0.15


def test_holdout_baseline_gives_about_half_closer_to_training(train, holdout):
    fresh = make_transactions(3_000, 0.05, seed=14).drop(columns="is_fraud")
    report = QualityEvaluator(train, fresh, DISCRETE_COLUMNS).privacy_audit(holdout=holdout)
    assert report.baseline == "holdout"
    assert 0.4 < report.closer_to_training_share < 0.6
    assert report.baseline_share == pytest.approx(0.05, abs=0.01)
    assert report.to_dict()["metrics_version"] == 1


def test_partly_copied_synthetic_flags_the_copies(train):
    fresh = make_transactions(1_500, 0.05, seed=15).drop(columns="is_fraud")
    copies = train.iloc[:500]
    mixed = pd.concat([fresh, copies], ignore_index=True)
    report = QualityEvaluator(train, mixed, DISCRETE_COLUMNS).privacy_audit(threshold=0.9)
    flagged = set(report.too_close.tolist())
    assert set(range(1_500, 2_000)) <= flagged          # every copy is flagged
    assert report.exact_match_rate == pytest.approx(0.25)
    assert not report.passed
    kept = mixed.drop(mixed.index[report.too_close])
    again = QualityEvaluator(train, kept, DISCRETE_COLUMNS).privacy_audit(threshold=0.9)
    assert again.exact_match_rate == 0.0 and again.score > report.score


@pytest.mark.parametrize("threshold", [-0.1, 1.5])
def test_threshold_outside_unit_interval_is_rejected(train, threshold):
    with pytest.raises(ValueError, match=r"threshold must be a number in \[0, 1\]"):
        QualityEvaluator(train, train).privacy_audit(threshold=threshold)


def test_holdout_with_other_columns_is_rejected(train):
    with pytest.raises(ValueError, match="missing from holdout: \\['amount'\\]"):
        QualityEvaluator(train, train).privacy_audit(holdout=train.drop(columns="amount"))
