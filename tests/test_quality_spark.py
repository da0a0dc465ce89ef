"""QualityEvaluator on Spark DataFrames: full-data aggregations agree with pandas; sampled parts report their size."""
from __future__ import annotations

import subprocess
import sys

import pytest

from genesis_spark.datasets import DISCRETE_COLUMNS, make_transactions
from genesis_spark.quality.evaluator import QualityEvaluator


@pytest.fixture(scope="module")
def frames():
    real = make_transactions(8_000, 0.05, seed=31).drop(columns="is_fraud")
    synthetic = make_transactions(6_000, 0.05, seed=32).drop(columns="is_fraud")
    synthetic.loc[:599, "amount"] = float("nan")   # 10% missing, as NaN in pandas and Spark
    return real, synthetic


def test_spark_scores_agree_with_pandas(spark, frames):
    real, synthetic = frames
    pandas_report = QualityEvaluator(real, synthetic, DISCRETE_COLUMNS).evaluate()
    spark_report = QualityEvaluator(spark.createDataFrame(real), spark.createDataFrame(synthetic),
                                    DISCRETE_COLUMNS, sample_size=100_000).evaluate()
    assert spark_report.engine == "spark"
    shapes_p = pandas_report.column_shapes.set_index("column")["score"]
    shapes_s = spark_report.column_shapes.set_index("column")["score"]
    for column in DISCRETE_COLUMNS + ["transaction_count_24h"]:   # exact: values / every value an edge
        assert shapes_s[column] == pytest.approx(shapes_p[column], abs=1e-9), column
    for column in ["amount", "distance_from_home"]:                 # approximate quantile buckets
        assert shapes_s[column] == pytest.approx(shapes_p[column], abs=0.005), column
        assert shapes_s[column] >= shapes_p[column] - 1e-9           # never below the exact KS complement
    nulls_s = spark_report.null_rates.set_index("column")["synthetic_null_rate"]
    assert nulls_s["amount"] == pytest.approx(0.1)
    assert spark_report.null_rate_score == pytest.approx(pandas_report.null_rate_score)
    assert spark_report.overall_score == pytest.approx(pandas_report.overall_score, abs=0.005)
    assert spark_report.sample_rows == {"real": len(real), "synthetic": len(synthetic)}


def test_spark_sampled_metrics_use_a_bounded_seeded_sample(spark, frames):
    real, synthetic = frames
    real_sdf, syn_sdf = spark.createDataFrame(real), spark.createDataFrame(synthetic)
    first = QualityEvaluator(real_sdf, syn_sdf, DISCRETE_COLUMNS, sample_size=2_000, seed=7).evaluate()
    again = QualityEvaluator(real_sdf, syn_sdf, DISCRETE_COLUMNS, sample_size=2_000, seed=7).evaluate()
    assert first.n_real == len(real) and first.n_synthetic == len(synthetic)
    assert first.sample_rows["real"] == 2_000 and first.sample_rows["synthetic"] == 2_000
    assert first.pair_trends_score == pytest.approx(again.pair_trends_score)
    assert first.pair_trends_score > 0.9
    privacy = QualityEvaluator(real_sdf, syn_sdf, DISCRETE_COLUMNS, sample_size=2_000).privacy_audit(
        holdout=spark.createDataFrame(make_transactions(3_000, 0.05, seed=33).drop(columns="is_fraud")))
    assert privacy.n_training == 2_000 and privacy.n_synthetic == 2_000
    assert privacy.passed


def test_empty_spark_side_is_rejected(spark, frames):
    real, _ = frames
    sdf = spark.createDataFrame(real)
    with pytest.raises(ValueError, match="the synthetic Spark DataFrame has no rows"):
        QualityEvaluator(sdf, sdf.limit(0)).evaluate()


def test_pandas_path_never_imports_pyspark():
    code = ("import sys; from genesis_spark.datasets import make_transactions; "
            "from genesis_spark import QualityEvaluator; d = make_transactions(500, 0.1, 1); "
            "e = QualityEvaluator(d, d.copy()); e.evaluate(); e.privacy_audit(); "
            "print(any(m.split('.')[0] == 'pyspark' for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "False"
