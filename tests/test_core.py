"""The engine-neutral core: canonical rows, the scorer's small-class rule, fresh identifiers, the top-up rule."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from genesis_spark.core.blocks import FreshIds, SamplingConfig, TopUp
from genesis_spark.core.minority import MIN_ROWS_FOR_REALISM_FILTER, build_scorer, canonical_rows
from genesis_spark.core.scoring import ScoreThresholds
from genesis_spark.datasets import TARGET_COLUMN


def test_canonical_rows_do_not_depend_on_row_order_or_integer_width():
    frame = pd.DataFrame({"a": [3, 1, 2, 1], "b": ["x", None, "y", "w"], "c": [0.5, np.nan, 1.5, 2.0]})
    shuffled = frame.sample(frac=1.0, random_state=3).astype({"a": "int32"})
    pd.testing.assert_frame_equal(canonical_rows(frame), canonical_rows(shuffled), check_dtype=False)
    assert canonical_rows(frame)["a"].tolist() == [1, 1, 2, 3]


@pytest.mark.parametrize("n_rows, realism_filters", [(MIN_ROWS_FOR_REALISM_FILTER - 1, False),
                                                      (MIN_ROWS_FOR_REALISM_FILTER, True)])
def test_the_realism_filter_needs_enough_real_rows(transactions, n_rows, realism_filters):
    features = [c for c in transactions.columns if c != TARGET_COLUMN]
    minority = transactions[transactions[TARGET_COLUMN] == 1][features].head(n_rows)
    others = transactions[transactions[TARGET_COLUMN] == 0].head(500)
    scorer = build_scorer(minority, others, TARGET_COLUMN, 1, ["merchant_category"], 0, ScoreThresholds())
    assert (scorer.thresholds.min_realism > 0) is realism_filters
    assert scorer.thresholds.min_dcr == ScoreThresholds().min_dcr


def test_fresh_identifiers_are_synthetic_unique_and_null_as_often_as_the_real_ones():
    ids = FreshIds((("txn_id", 0.25), ("account", 0.0)))
    values = ids.values(seed=7, block_index=3, rows=np.arange(4000))
    txn = values["txn_id"]
    assert txn.dropna().str.fullmatch(r"syn-0000000000000007-3-\d+").all() and txn.dropna().is_unique
    assert abs(txn.isna().mean() - 0.25) < 0.03 and values["account"].notna().all()
    again = ids.values(seed=7, block_index=3, rows=np.arange(4000))
    pd.testing.assert_series_equal(again["txn_id"], txn)


def test_top_up_keeps_the_first_accepted_rows_by_block_and_rank():
    plan = TopUp(10, SamplingConfig(block_size=4, headroom=1.0), {"dcr": 0.0})
    assert plan.next_round() == (0, 3)
    plan.record(np.array([2, 0, 1]), np.array([4, 2, 1]), {"dcr": 12, "_generated": 12})
    assert plan.accepted_total == 7 and not plan.done
    start, n_blocks = plan.next_round()
    assert start == 3 and n_blocks >= 1
    plan.record(np.arange(start, start + n_blocks), np.full(n_blocks, 4), {"dcr": 4 * n_blocks,
                                                                         "_generated": 4 * n_blocks})
    assert plan.done and plan.next_round() is None
    assert plan.cut() == (3, 3)  # blocks 0..2 give 7 accepted rows; 3 more from block 3
    assert plan.report().accepted == 10


def test_top_up_stops_with_a_clear_error_when_nothing_passes():
    plan = TopUp(10, SamplingConfig(block_size=4, max_rounds=3), {"realism": 0.5})
    plan.record(np.arange(3), np.zeros(3), {"realism": 0, "_generated": 12})
    with pytest.raises(RuntimeError, match=r"Only 0 of 10 .*realism 0\.0%.*min_realism"):
        plan.next_round()
