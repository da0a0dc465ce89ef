"""class_margin and oversample-then-select: which synthetic rows of a block are kept when real rows are few."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from genesis_spark.core.blocks import SamplingConfig, TopUp
from genesis_spark.core.minority import SCARCE_SELECT_FRACTION, SELECT_BELOW_ROWS, build_scorer
from genesis_spark.core.plan import check_augment_config
from genesis_spark.core.scoring import CLASS_MARGIN, ScoreThresholds

TARGET = "y"


def _rows(n: int, centre: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": rng.normal(centre, 1.0, n), "z": rng.normal(0.0, 1.0, n),
                         "kind": rng.choice(["a", "b"], n)})


@pytest.fixture(scope="module")
def classes():
    return _rows(60, 3.0, 0), _rows(2000, -3.0, 1).assign(**{TARGET: 0})


def _scorer(classes, thresholds=None):
    minority, others = classes
    return build_scorer(minority, others, TARGET, 1, ["kind"], seed=0, thresholds=thresholds or ScoreThresholds())


def test_margin_is_high_near_the_class_and_low_near_the_others(classes):
    scorer = _scorer(classes)
    probes = pd.DataFrame({"x": [3.0, 0.0, -3.0], "z": [0.0, 0.0, 0.0], "kind": ["a", "a", "a"]})
    margin = scorer.score(probes)[CLASS_MARGIN].to_numpy()
    assert margin[0] > 0.7 and margin[2] < 0.3 and margin[0] > margin[1] > margin[2]
    assert ((margin >= 0) & (margin <= 1)).all()


def test_below_the_row_count_a_block_keeps_its_share_of_highest_margin(classes):
    assert len(classes[0]) < SELECT_BELOW_ROWS
    scorer = _scorer(classes)
    assert scorer.thresholds.select_fraction == pytest.approx(SCARCE_SELECT_FRACTION)
    block = _rows(300, 0.0, 5)
    scores = scorer.score(block)
    keep = scorer.accept(scores)
    passing = np.ones(len(block), dtype=bool)
    for column, minimum in scorer.thresholds.by_score().items():
        passing &= scores[column].to_numpy() >= minimum
    assert keep.sum() == int(np.ceil(SCARCE_SELECT_FRACTION * passing.sum() - 1e-9))
    assert not (keep & ~passing).any()
    margin = scores[CLASS_MARGIN].to_numpy()
    assert margin[keep].min() >= margin[passing & ~keep].max()  # the kept rows are the highest-margin ones


def test_many_real_rows_or_a_set_fraction_decide_the_selection(classes):
    minority, others = classes
    many = pd.concat([minority] * (SELECT_BELOW_ROWS // len(minority) + 1), ignore_index=True)
    assert build_scorer(many, others, TARGET, 1, ["kind"], 0, ScoreThresholds()).thresholds.select_fraction == 1.0
    off = _scorer(classes, ScoreThresholds(select_fraction=1.0))
    block = _rows(300, 0.0, 5)
    scores = off.score(block)
    expected = np.ones(len(block), dtype=bool)
    for column, minimum in off.thresholds.by_score().items():
        expected &= scores[column].to_numpy() >= minimum
    np.testing.assert_array_equal(off.accept(scores), expected)
    half = _scorer(classes, ScoreThresholds(select_fraction=0.5))
    assert half.accept(half.score(block)).sum() == int(np.ceil(0.5 * expected.sum()))


def test_without_other_classes_every_passing_row_is_kept(classes):
    minority, _ = classes
    scorer = build_scorer(minority, None, TARGET, 1, ["kind"], 0, ScoreThresholds())
    scores = scorer.score(_rows(100, 0.0, 6))
    assert (scores[CLASS_MARGIN] == 1.0).all() and scorer.accept(scores).all()


@pytest.mark.parametrize("value", [0, 1.5, -0.2, True, "half"])
def test_select_fraction_outside_0_1_is_one_clear_error(value):
    with pytest.raises(ValueError, match=r"select_fraction.*\(0, 1\]"):
        check_augment_config({"select_fraction": value})


def test_the_first_round_is_sized_for_the_selection():
    config = SamplingConfig(block_size=100)
    assert TopUp(1000, config, {}).next_round() == (0, 11)
    assert TopUp(1000, config, {}, kept_share=0.5).next_round() == (0, 22)
