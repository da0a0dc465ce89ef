"""Executor sampling and scoring: determinism across partitions and retries, top-up, filters."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from genesis_spark.datasets import DISCRETE_COLUMNS, TARGET_COLUMN
from genesis_spark.spark.sampling import (
    ORDER_COLUMNS,
    SamplingConfig,
    coerce_to_schema,
    sample_accepted,
)
from genesis_spark.core.scoring import DCR, LABEL_PROB, REALISM, RowScorer, ScoreThresholds

SEED = 11
BLOCK = 256
FEATURES = ["amount", "hour", "day_of_week", "merchant_category", "distance_from_home", "transaction_count_24h"]


@pytest.fixture(scope="module")
def generator(fraud_rows):
    from genesis_spark.synth.generator import SyntheticGenerator

    config = {"epochs": 2, "batch_size": 100, "seed": 5, "device": "cpu"}
    return SyntheticGenerator("ctgan", config).fit(fraud_rows, discrete_columns=DISCRETE_COLUMNS)


@pytest.fixture(scope="module")
def label_sample(transactions):
    sample = pd.concat([transactions[transactions[TARGET_COLUMN] == 1],
                        transactions[transactions[TARGET_COLUMN] == 0].head(2000)], ignore_index=True)
    return sample


def build_scorer(fraud_rows, label_sample, thresholds=None) -> RowScorer:
    return RowScorer.build(fraud_rows, label_sample, TARGET_COLUMN, 1, DISCRETE_COLUMNS, seed=3,
                           thresholds=thresholds or ScoreThresholds(0.0, 0.0, 0.0))


@pytest.fixture(scope="module")
def schema(spark, transactions):
    return spark.createDataFrame(transactions.head(5)).select(*FEATURES).schema


def run(spark, generator, schema, n, scorer, **config):
    result = sample_accepted(spark, generator, schema, n, SEED, scorer, SamplingConfig(block_size=BLOCK, **config))
    rows = result.rows.toPandas().sort_values(list(ORDER_COLUMNS)).reset_index(drop=True)
    result.unpersist()
    return rows, result.report


def driver_blocks(generator, scorer, schema, n_blocks) -> pd.DataFrame:
    """The same blocks drawn and scored on the driver, in order."""
    frames = []
    for b in range(n_blocks):
        block = coerce_to_schema(generator.generate_block(b, BLOCK, SEED)[FEATURES].reset_index(drop=True), schema)
        scores = scorer.score(block, generator)
        frames.append(pd.concat([block, scores], axis=1).assign(block_index=b, row_in_block=np.arange(len(block)),
                                                               keep=scorer.accept(scores)))
    return pd.concat(frames, ignore_index=True)


def test_same_seed_same_rows_across_partition_counts(spark, generator, schema, fraud_rows, label_sample):
    scorer = build_scorer(fraud_rows, label_sample)
    results = {p: run(spark, generator, schema, 2 * BLOCK + 17, scorer, num_partitions=p)[0] for p in (1, 2, 8)}
    assert len(results[1]) == 2 * BLOCK + 17
    pd.testing.assert_frame_equal(results[1], results[2])
    pd.testing.assert_frame_equal(results[1], results[8])
    # Executors drew exactly what the generator draws for (seed, block) on the driver.
    local = driver_blocks(generator, scorer, schema, 3)
    assert np.allclose(results[1]["amount"].to_numpy(), local["amount"].to_numpy()[: len(results[1])])
    assert (results[1]["merchant_category"].to_numpy() == local["merchant_category"].to_numpy()[: len(results[1])]).all()
    assert np.allclose(results[1][DCR].to_numpy(), local[DCR].to_numpy()[: len(results[1])], atol=1e-5)
    assert np.allclose(results[1][LABEL_PROB].to_numpy(), local[LABEL_PROB].to_numpy()[: len(results[1])])


def test_top_up_keeps_the_first_accepted_rows_in_block_order(spark, generator, schema, fraud_rows, label_sample):
    probe = build_scorer(fraud_rows, label_sample)
    median = float(np.median(probe.score(generator.generate_block(0, BLOCK, SEED)[FEATURES], generator)[LABEL_PROB]))
    scorer = build_scorer(fraud_rows, label_sample, ScoreThresholds(0.0, 0.0, median))
    n = BLOCK
    rows, report = run(spark, generator, schema, n, scorer, headroom=1.0)
    assert len(rows) == n and report.accepted == n
    assert report.rounds >= 2  # about half the rows pass, so the first round (1 block) cannot be enough
    assert (rows[LABEL_PROB] >= median).all()
    assert 0.2 < report.acceptance_by_filter[LABEL_PROB] < 0.8
    assert report.acceptance_by_filter[REALISM] == 1.0
    expected = driver_blocks(generator, scorer, schema, report.blocks)
    expected = expected[expected["keep"]].head(n).reset_index(drop=True)
    assert rows["block_index"].tolist() == expected["block_index"].tolist()
    assert rows["row_in_block"].tolist() == expected["row_in_block"].tolist()


def test_acceptance_too_low_raises_with_the_filter_named(spark, generator, schema, fraud_rows, label_sample):
    scorer = build_scorer(fraud_rows, label_sample, ScoreThresholds(0.0, 1e9, 0.0))
    with pytest.raises(RuntimeError, match=r"Only 0 of 100 requested.*dcr 0\.0%.*min_dcr"):
        sample_accepted(spark, generator, schema, 100, SEED, scorer, SamplingConfig(block_size=BLOCK))


def test_coerce_to_schema_casts_what_arrow_needs_and_passes_ready_columns_through():
    from pyspark.sql import types as T

    schema = T.StructType([T.StructField(name, kind) for name, kind in (
        ("rounded", T.LongType()), ("ints", T.LongType()), ("text", T.StringType()), ("ready", T.StringType()),
        ("small", T.IntegerType()), ("floats", T.DoubleType()))])
    frame = pd.DataFrame({"rounded": [1.4, 2.6, np.nan], "ints": np.array([1, 2, 3]), "text": ["x", np.nan, 3],
                          "ready": ["x", "y", "z"], "small": np.array([4, 5, 6]), "floats": [0.5, np.nan, 2.0]})
    out = coerce_to_schema(frame, schema)
    assert out["rounded"].tolist() == [1, 3, pd.NA] and str(out["rounded"].dtype) == "Int64"
    assert out["text"].tolist() == ["x", None, "3"]
    assert str(out["small"].dtype) == "Int32" and out["small"].tolist() == [4, 5, 6]
    for name in ("ints", "ready", "floats"):  # already what Arrow needs: kept as they are
        assert out[name].dtype == frame[name].dtype and out[name].equals(frame[name])


def test_scores_copies_of_real_rows_at_zero_distance_and_fraud_above_legit(fraud_rows, transactions, label_sample):
    scorer = build_scorer(fraud_rows, label_sample)
    copies = scorer.score(fraud_rows.head(50))
    assert np.allclose(copies[DCR], 0.0)
    assert copies[REALISM].eq(1.0).all()  # no generator given: realism is not measured
    legit = transactions[transactions[TARGET_COLUMN] == 0].tail(500)[FEATURES]
    assert scorer.score(fraud_rows)[LABEL_PROB].mean() > scorer.score(legit)[LABEL_PROB].mean() + 0.3
    strict = build_scorer(fraud_rows, label_sample, ScoreThresholds(min_dcr=1e-6))
    assert not strict.accept(copies).any()


RETRY_SCRIPT = textwrap.dedent("""
    import sys, pandas as pd
    from genesis_spark.spark.session import get_spark
    from faulty_generators import FirstAttemptFailingGenerator
    from genesis_spark.spark.sampling import SamplingConfig, sample_accepted, ORDER_COLUMNS
    artifact, schema_json, out = sys.argv[1:4]
    from pyspark.sql.types import StructType
    import json
    spark = get_spark("local[2,3]")
    generator = FirstAttemptFailingGenerator.load(artifact)
    schema = StructType.fromJson(json.loads(open(schema_json).read()))
    result = sample_accepted(spark, generator, schema, {n}, {seed}, None,
                             SamplingConfig(block_size={block}, num_partitions=2))
    result.rows.toPandas().sort_values(list(ORDER_COLUMNS)).reset_index(drop=True).to_parquet(out)
    spark.stop()
""")


def test_task_retry_after_injected_failure_gives_identical_rows(spark, generator, schema, tmp_path):
    n = 4 * BLOCK
    expected, _ = run(spark, generator, schema, n, None, num_partitions=2)
    artifact = tmp_path / "gen.artifact"
    generator.save(artifact)
    (tmp_path / "schema.json").write_text(schema.json())
    script = tmp_path / "retry.py"
    script.write_text(RETRY_SCRIPT.format(n=n, seed=SEED, block=BLOCK))
    markers = tmp_path / "failures"
    markers.mkdir()
    from faulty_generators import MARKER_DIR_ENV

    tests_dir = os.path.dirname(os.path.abspath(__file__))
    python_path = os.pathsep.join(p for p in (tests_dir, os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, MARKER_DIR_ENV: str(markers), "PYSPARK_PYTHON": sys.executable, "PYTHONPATH": python_path}
    proc = subprocess.run([sys.executable, str(script), str(artifact), str(tmp_path / "schema.json"),
                           str(tmp_path / "out.parquet")], env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    failed = sorted(p.name for p in markers.iterdir())
    assert len(failed) >= 2, failed  # both tasks of the sampling stage failed once and were retried
    got = pd.read_parquet(tmp_path / "out.parquet")
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
