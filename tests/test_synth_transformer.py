"""DataTransformer: reversible, vectorized encoding of tables."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from genesis_spark.synth.transformer import DataTransformer

DISCRETE = ["merchant_category", "hour", "day_of_week"]


def _round_trip(df, discrete, seed=0, **kw):
    t = DataTransformer(**kw).fit(df, discrete, seed=seed)
    m = t.transform(df, np.random.default_rng(seed))
    return t, m, t.inverse_transform(m)


def test_round_trip_keeps_values_dtypes_and_ranges(fraud_rows):
    t, m, back = _round_trip(fraud_rows, DISCRETE)
    assert m.dtype == np.float32 and m.shape == (len(fraud_rows), t.output_dim)
    assert list(back.columns) == list(fraud_rows.columns)
    assert (back.dtypes == fraud_rows.dtypes).all()
    for c in DISCRETE:
        assert (back[c] == fraud_rows[c]).all()
    # integers come back exactly (rounded), continuous values within 4 std of their mode
    assert (back["transaction_count_24h"] == fraud_rows["transaction_count_24h"]).mean() > 0.99
    for c in ["amount", "distance_from_home"]:
        assert back[c].between(fraud_rows[c].min(), fraud_rows[c].max()).all()
        close = np.isclose(back[c], fraud_rows[c], rtol=1e-4)
        assert close.mean() > 0.98


def test_each_row_is_one_hot_in_every_softmax_span(fraud_rows):
    t, m, _ = _round_trip(fraud_rows, DISCRETE)
    for span in t.spans_:
        block = m[:, span.start:span.end]
        if span.kind == "scalar":
            assert np.abs(block).max() <= 0.99 + 1e-6
        else:
            assert (block.sum(axis=1) == 1).all()


def test_nulls_are_modelled_and_come_back_at_the_same_rate():
    rng = np.random.default_rng(3)
    n = 2000
    df = pd.DataFrame({
        "x": np.where(rng.random(n) < 0.25, np.nan, rng.normal(10, 2, n)),
        "k": pd.array(np.where(rng.random(n) < 0.1, None, rng.integers(0, 50, n)), dtype="Int64"),
        "c": np.where(rng.random(n) < 0.2, None, rng.choice(["a", "b"], n)).astype(object),
    })
    t, m, back = _round_trip(df, ["c"])
    assert [s.kind for s in t.spans_ if s.column == "x"] == ["scalar", "mode", "state"]
    assert back["x"].isna().sum() == df["x"].isna().sum()
    assert back["k"].isna().sum() == df["k"].isna().sum()
    assert str(back["k"].dtype) == "Int64"
    assert back["c"].isna().sum() == df["c"].isna().sum()
    assert set(back["c"].dropna()) == {"a", "b"}


def test_datetimes_round_trip_as_datetimes():
    rng = np.random.default_rng(1)
    base = pd.Timestamp("2024-01-01")
    df = pd.DataFrame({"ts": base + pd.to_timedelta(rng.integers(0, 86_400 * 30, 500), unit="s"),
                       "tz": (base + pd.to_timedelta(rng.integers(0, 1000, 500), unit="h")).tz_localize("Europe/Paris"),
                       "v": rng.normal(size=500)})
    _, _, back = _round_trip(df, [])
    assert str(back["ts"].dtype) == str(df["ts"].dtype)
    assert str(back["tz"].dtype) == str(df["tz"].dtype)
    assert back["ts"].between(df["ts"].min(), df["ts"].max()).all()
    err = (back["ts"] - df["ts"]).abs()
    assert (err < pd.Timedelta(seconds=1)).mean() > 0.98


def test_outputs_are_clipped_to_the_observed_range_unless_disabled(fraud_rows):
    t = DataTransformer(clip=True).fit(fraud_rows, DISCRETE, seed=0)
    raw = np.zeros((200, t.output_dim), dtype=np.float32)
    for span in t.spans_:
        if span.kind == "scalar":
            raw[:, span.start] = np.linspace(-1, 1, 200)  # extreme values in every mode
        else:
            raw[np.arange(200), span.start + np.arange(200) % span.width] = 1
    clipped = t.inverse_transform(raw)
    unclipped = DataTransformer.from_dict({**t.to_dict(), "clip": False}).inverse_transform(raw)
    for c in ["amount", "distance_from_home", "transaction_count_24h"]:
        assert clipped[c].between(fraud_rows[c].min(), fraud_rows[c].max()).all()
    assert (unclipped["amount"] < fraud_rows["amount"].min()).any()


def test_dtypes_bool_category_string_are_preserved():
    rng = np.random.default_rng(5)
    n = 300
    df = pd.DataFrame({
        "b": rng.random(n) < 0.3,
        "cat": pd.Categorical(rng.choice(["x", "y", "z"], n), categories=["x", "y", "z", "unused"]),
        "s": pd.array(rng.choice(["p", "q"], n), dtype="string"),
        "i32": rng.integers(0, 100, n).astype("int32"),
    })
    _, _, back = _round_trip(df, ["b", "cat", "s"])
    assert (back.dtypes == df.dtypes).all()
    assert list(back["cat"].cat.categories) == ["x", "y", "z", "unused"]
    assert (back[["b", "cat", "s"]] == df[["b", "cat", "s"]]).all().all()


def test_state_dict_rebuilds_an_identical_transformer(fraud_rows):
    import json

    t = DataTransformer().fit(fraud_rows, DISCRETE, seed=0)
    t2 = DataTransformer.from_dict(json.loads(json.dumps(t.to_dict())))
    assert t2.spans_ == t.spans_
    a = t.transform(fraud_rows, np.random.default_rng(9))
    b = t2.transform(fraud_rows, np.random.default_rng(9))
    np.testing.assert_array_equal(a, b)


def test_fit_is_seeded_and_bounded(transactions):
    a = DataTransformer(max_gmm_rows=2000).fit(transactions, DISCRETE + ["is_fraud"], seed=4)
    b = DataTransformer(max_gmm_rows=2000).fit(transactions, DISCRETE + ["is_fraud"], seed=4)
    assert a.to_dict() == b.to_dict()
    assert all(1 <= c.n_modes <= 10 for c in a.columns_ if hasattr(c, "n_modes"))


def test_unseen_category_is_a_clear_error(fraud_rows):
    t = DataTransformer().fit(fraud_rows, DISCRETE, seed=0)
    bad = fraud_rows.head(5).assign(merchant_category="casino")
    with pytest.raises(ValueError, match="merchant_category.*casino"):
        t.transform(bad, None)
