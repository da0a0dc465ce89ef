"""Out-of-range draws are reflected at the bounds, except a real point mass on a bound."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

from genesis_spark.synth.transformer import DataTransformer


def _table(n: int = 4000) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "expo": rng.exponential(10.0, n),                        # density max at its minimum, no point mass
        "floored": rng.lognormal(5.0, 1.0, n).clip(100, None),   # a real point mass at its minimum
        "cat": rng.choice(["a", "b", "c"], n),
    })


def _raw(t: DataTransformer, n: int = 20_000, seed: int = 1) -> np.ndarray:
    """Every mode drawn at random with scalars spread over [-1, 1] (extreme values included)."""
    rng = np.random.default_rng(seed)
    raw = np.zeros((n, t.output_dim), dtype=np.float32)
    for span in t.spans_:
        if span.kind == "scalar":
            raw[:, span.start] = rng.uniform(-1, 1, n)
        else:
            raw[np.arange(n), span.start + rng.integers(0, span.width, n)] = 1
    return raw


def test_share_at_a_bound_is_not_inflated_and_values_stay_in_range():
    df = _table()
    t = DataTransformer().fit(df, ["cat"], seed=0)
    out = t.inverse_transform(_raw(t))
    for c in ["expo", "floored"]:
        assert out[c].between(df[c].min(), df[c].max()).all()
    assert (df["expo"] == df["expo"].min()).mean() < 0.01
    assert (out["expo"] == df["expo"].min()).mean() < 0.05
    assert (out["expo"] == df["expo"].max()).mean() < 0.05
    # pure clipping (an artifact from before) piles the spill onto the bound
    state = {k: v for k, v in t.to_dict().items() if k != "bound_keep"}
    clipped = DataTransformer.from_dict(state).inverse_transform(_raw(t))
    assert (clipped["expo"] == df["expo"].min()).mean() > 3 * (out["expo"] == df["expo"].min()).mean()


def test_a_real_point_mass_on_a_bound_is_kept():
    df = _table()
    real_share = (df["floored"] == 100).mean()
    assert real_share > 0.1
    t = DataTransformer().fit(df, ["cat"], seed=0)
    share = (t.inverse_transform(_raw(t))["floored"] == 100).mean()
    assert 0.02 < share < 2 * real_share


def test_reflection_is_per_row_and_survives_the_state_dict():
    df = _table()
    t = DataTransformer().fit(df, ["cat"], seed=0)
    raw = _raw(t, 5000)
    full = t.inverse_transform(raw)
    pd.testing.assert_frame_equal(t.inverse_transform(raw[1234:3000]), full.iloc[1234:3000].reset_index(drop=True))
    t2 = DataTransformer.from_dict(json.loads(json.dumps(t.to_dict())))
    pd.testing.assert_frame_equal(t2.inverse_transform(raw), full)


def test_artifacts_without_bound_state_clip_as_before():
    df = _table()
    t = DataTransformer().fit(df, ["cat"], seed=0)
    state = {k: v for k, v in t.to_dict().items() if k != "bound_keep"}
    old = DataTransformer.from_dict(state)
    raw = _raw(t, 3000)
    unclipped = DataTransformer.from_dict({**state, "clip": False}).inverse_transform(raw)
    got = old.inverse_transform(raw)
    for c in ["expo", "floored"]:
        np.testing.assert_allclose(got[c], unclipped[c].clip(df[c].min(), df[c].max()))
