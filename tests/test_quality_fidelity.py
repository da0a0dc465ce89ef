"""Fidelity scores of QualityEvaluator on pandas frames (demo data), cross-checked with SDMetrics."""
from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from genesis_spark.datasets import DISCRETE_COLUMNS, make_transactions
from genesis_spark.quality.evaluator import OVERALL_WEIGHTS, QualityEvaluator
from genesis_spark.quality.fidelity import ks_complement


@pytest.fixture(scope="module")
def real():
    return make_transactions(6_000, 0.05, seed=1).drop(columns="is_fraud")


@pytest.fixture(scope="module")
def independent(real):
    return make_transactions(4_000, 0.05, seed=2).drop(columns="is_fraud")


def _sdmetrics_column_shapes(real: pd.DataFrame, synthetic: pd.DataFrame, discrete: list[str]) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        from sdmetrics.reports.single_table import QualityReport

    metadata = {"columns": {c: {"sdtype": "categorical" if c in discrete else "numerical"} for c in real.columns}}
    report = QualityReport()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report.generate(real, synthetic, metadata, verbose=False)
    return float(report.get_properties().set_index("Property").loc["Column Shapes", "Score"])


def _distorted(df: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    out = df.copy()
    out["amount"] = out["amount"] * rng.lognormal(0.3, 0.4, len(out))
    out["merchant_category"] = np.where(rng.random(len(out)) < 0.3, "online", out["merchant_category"])
    out["hour"] = (out["hour"] + rng.integers(0, 3, len(out))) % 24
    return out


@pytest.mark.parametrize("discrete", [DISCRETE_COLUMNS, ["merchant_category"]])
def test_column_shapes_agree_with_sdmetrics_within_0_01(real, independent, discrete):
    for synthetic in (independent, _distorted(independent, 3)):
        ours = QualityEvaluator(real, synthetic, discrete).evaluate().column_shapes_score
        theirs = _sdmetrics_column_shapes(real, synthetic, discrete)
        assert abs(ours - theirs) < 0.01, (ours, theirs)


def test_pair_trends_equal_sdmetrics_pair_metrics_with_real_bin_edges(real, independent):
    # SDMetrics' QualityReport bins each side on its own edges; its ContingencySimilarity metric,
    # given continuous_column_names, bins both on the real edges as we do: compare with the metrics.
    from sdmetrics.column_pairs import ContingencySimilarity, CorrelationSimilarity

    synthetic = _distorted(independent, 6)
    report = QualityEvaluator(real, synthetic, DISCRETE_COLUMNS).evaluate()
    for row in report.pair_trends.itertuples(index=False):
        pair = [row.column_1, row.column_2]
        if row.metric == "CorrelationSimilarity":
            theirs = CorrelationSimilarity.compute(real[pair], synthetic[pair])
        else:
            continuous = [c for c in pair if c not in DISCRETE_COLUMNS]
            theirs = ContingencySimilarity.compute(real[pair], synthetic[pair], continuous_column_names=continuous)
        assert row.score == pytest.approx(theirs, abs=1e-9), pair


def test_ks_complement_matches_scipy():
    from scipy.stats import ks_2samp

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=500), rng.normal(0.3, 1.2, size=700)
    assert ks_complement(a, b) == pytest.approx(1 - ks_2samp(a, b).statistic, abs=1e-12)


def test_identical_data_scores_one(real):
    report = QualityEvaluator(real, real.copy(), DISCRETE_COLUMNS).evaluate()
    assert report.overall_score == pytest.approx(1.0)
    assert report.fidelity_score == pytest.approx(1.0)
    assert report.column_shapes["score"].min() == pytest.approx(1.0)


def test_distorted_data_scores_lower_than_an_independent_draw(real, independent):
    good = QualityEvaluator(real, independent, DISCRETE_COLUMNS).evaluate()
    bad = QualityEvaluator(real, _distorted(independent, 4), DISCRETE_COLUMNS).evaluate()
    assert good.fidelity_score > 0.95
    assert bad.fidelity_score < good.fidelity_score - 0.05
    shapes = bad.column_shapes.set_index("column")["score"]
    assert shapes["amount"] < 0.9 and shapes["day_of_week"] > 0.95


def test_scores_are_built_as_documented(real, independent):
    r = QualityEvaluator(real, _distorted(independent, 5), DISCRETE_COLUMNS).evaluate()
    assert r.column_shapes_score == pytest.approx(r.column_shapes["score"].mean())
    assert r.pair_trends_score == pytest.approx(r.pair_trends["score"].mean())
    assert r.fidelity_score == pytest.approx((r.column_shapes_score + r.pair_trends_score) / 2)
    assert r.validity_score == pytest.approx(((r.validity["in_range_share"] + r.validity["coverage"]) / 2).mean())
    expected = (OVERALL_WEIGHTS["fidelity"] * r.fidelity_score + OVERALL_WEIGHTS["null_rates"] * r.null_rate_score
                + OVERALL_WEIGHTS["validity"] * r.validity_score) / sum(OVERALL_WEIGHTS.values())
    assert r.overall_score == pytest.approx(expected)
    assert len(r.pair_trends) == 15 and set(r.pair_trends["metric"]) == {"CorrelationSimilarity",
                                                                         "ContingencySimilarity"}


def test_breaking_a_correlation_lowers_only_that_pair():
    rng = np.random.default_rng(0)
    x = rng.normal(size=5_000)
    real = pd.DataFrame({"x": x, "y": x + 0.3 * rng.normal(size=5_000), "z": rng.normal(size=5_000)})
    synthetic = real.copy()
    synthetic["y"] = rng.permutation(synthetic["y"].to_numpy())
    report = QualityEvaluator(real, synthetic).evaluate()
    pairs = report.pair_trends.set_index(["column_1", "column_2"])["score"]
    real_r = np.corrcoef(real["x"], real["y"])[0, 1]
    syn_r = np.corrcoef(synthetic["x"], synthetic["y"])[0, 1]
    assert pairs[("x", "y")] == pytest.approx(1 - abs(real_r - syn_r) / 2)
    assert pairs[("x", "y")] < 0.6
    assert pairs[("x", "z")] > 0.98
    assert report.column_shapes_score == pytest.approx(1.0)


def test_mixed_pair_uses_real_bin_edges_for_both_sides():
    rng = np.random.default_rng(1)
    cat = rng.choice(["a", "b"], 4_000)
    real = pd.DataFrame({"cat": cat, "v": np.where(cat == "a", 0.0, 10.0) + rng.random(4_000)})
    # Same marginals, relationship reversed: a contingency score must see it.
    synthetic = pd.DataFrame({"cat": np.where(cat == "a", "b", "a"), "v": real["v"]})
    report = QualityEvaluator(real, synthetic).evaluate()
    assert report.column_shapes_score == pytest.approx(1.0, abs=0.02)
    assert report.pair_trends.iloc[0]["metric"] == "ContingencySimilarity"
    assert report.pair_trends.iloc[0]["score"] < 0.1


def test_null_rates_and_validity_count_what_they_say(real):
    synthetic = real.copy()
    synthetic.loc[: len(real) // 4 - 1, "amount"] = np.nan          # 25% nulls
    synthetic.loc[len(real) // 2:, "distance_from_home"] = 1e6       # half out of range
    synthetic["merchant_category"] = synthetic["merchant_category"].replace("travel", "crypto")
    report = QualityEvaluator(real, synthetic, DISCRETE_COLUMNS).evaluate()
    nulls = report.null_rates.set_index("column")
    assert nulls.loc["amount", "synthetic_null_rate"] == pytest.approx(0.25)
    assert nulls.loc["amount", "score"] == pytest.approx(0.75)
    validity = report.validity.set_index("column")
    assert validity.loc["distance_from_home", "in_range_share"] == pytest.approx(0.5)
    travel_share = (real["merchant_category"] == "travel").mean()
    assert validity.loc["merchant_category", "in_range_share"] == pytest.approx(1 - travel_share)
    assert validity.loc["merchant_category", "coverage"] == pytest.approx(4 / 5)


def test_to_dict_and_json_carry_metrics_version(real, independent):
    report = QualityEvaluator(real, independent, DISCRETE_COLUMNS).evaluate()
    data = json.loads(report.to_json())
    assert data["metrics_version"] == 1
    assert data["overall_score"] == pytest.approx(report.overall_score)
    assert [row["column"] for row in data["column_shapes"]] == list(real.columns)
    assert len(data["pair_trends"]) == 15


def test_different_column_sets_name_the_columns(real):
    synthetic = real.drop(columns="amount").assign(extra=1)
    with pytest.raises(ValueError, match=r"missing from synthetic: \['amount'\].*only in synthetic: \['extra'\]"):
        QualityEvaluator(real, synthetic)


@pytest.mark.parametrize("side", ["real", "synthetic"])
def test_empty_side_is_rejected(real, side):
    frames = {"real": real, "synthetic": real}
    frames[side] = real.iloc[:0]
    with pytest.raises(ValueError, match=f"the {side} DataFrame has no rows"):
        QualityEvaluator(frames["real"], frames["synthetic"])


def test_unknown_discrete_column_is_named(real):
    with pytest.raises(ValueError, match="merchant_categry"):
        QualityEvaluator(real, real, ["merchant_categry"]).evaluate()
