"""Continuous columns stay in range: point masses on a bound are a state of their own, other
out-of-range draws are reflected back inside."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from genesis_spark.synth.generator import SyntheticGenerator
from genesis_spark.synth.transformer import DataTransformer


def _table(n: int = 4000) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    amount = rng.lognormal(5.0, 1.0, n).clip(100, 800)          # point masses on both bounds
    amount[rng.random(n) < 0.05] = np.nan                         # and nulls
    return pd.DataFrame({
        "expo": rng.exponential(10.0, n),                        # density max at its minimum, no point mass
        "floored": amount,
        "cat": rng.choice(["a", "b", "c"], n),
    })


def _raw(t: DataTransformer, n: int = 20_000, seed: int = 1) -> np.ndarray:
    """Every mode and state drawn at random with scalars spread over [-1, 1] (extreme values included)."""
    rng = np.random.default_rng(seed)
    raw = np.zeros((n, t.output_dim), dtype=np.float32)
    for span in t.spans_:
        if span.kind == "scalar":
            raw[:, span.start] = rng.uniform(-1, 1, n)
        else:
            raw[np.arange(n), span.start + rng.integers(0, span.width, n)] = 1
    return raw


def test_point_masses_on_the_bounds_and_nulls_become_states():
    df = _table()
    t = DataTransformer().fit(df, ["cat"], seed=0)
    floored, expo = t.column("floored"), t.column("expo")
    x = df["floored"].dropna()
    assert floored.states == ("value", "null", "minimum", "maximum")
    assert floored.minimum_share == pytest.approx((x == 100).mean())
    assert floored.maximum_share == pytest.approx((x == 800).mean())
    assert expo.states == ("value",)
    assert [s.kind for s in t.spans_ if s.column == "floored"] == ["scalar", "mode", "state"]
    # the mixture models the values strictly inside the bounds only
    assert min(floored.means) > np.log(100) and max(floored.means) < np.log(800)

    matrix = t.transform(df, None)
    state = [s for s in t.spans_ if s.kind == "state"][0]
    codes = matrix[:, state.start:state.end].argmax(axis=1)
    np.testing.assert_array_equal(codes == 1, df["floored"].isna())
    np.testing.assert_array_equal(codes == 2, df["floored"] == 100)
    np.testing.assert_array_equal(codes == 3, df["floored"] == 800)
    back = t.inverse_transform(matrix)
    np.testing.assert_allclose(back["floored"], df["floored"], rtol=1e-4)  # NaN == NaN here


def test_decoded_values_stay_in_range_without_a_fake_point_mass():
    df = _table()
    t = DataTransformer().fit(df, ["cat"], seed=0)
    out = t.inverse_transform(_raw(t))
    for c in ["expo", "floored"]:
        assert out[c].dropna().between(df[c].min(), df[c].max()).all()
    assert (df["expo"] == df["expo"].min()).mean() < 0.01
    assert (out["expo"] == df["expo"].min()).mean() < 0.001   # reflected, not piled on the bound
    assert (out["expo"] == df["expo"].max()).mean() < 0.001
    # the bounds of "floored" are reached through its states: a quarter of the rows each here
    assert 0.2 < (out["floored"] == 100).mean() < 0.3
    assert 0.2 < out["floored"].isna().mean() < 0.3
    unclipped = DataTransformer.from_dict({**t.to_dict(), "clip": False}).inverse_transform(_raw(t))
    assert not unclipped["expo"].between(df["expo"].min(), df["expo"].max()).all()


def test_decoding_is_per_row_and_survives_the_state_dict():
    df = _table()
    t = DataTransformer().fit(df, ["cat"], seed=0)
    raw = _raw(t, 5000)
    full = t.inverse_transform(raw)
    pd.testing.assert_frame_equal(t.inverse_transform(raw[1234:3000]), full.iloc[1234:3000].reset_index(drop=True))
    t2 = DataTransformer.from_dict(json.loads(json.dumps(t.to_dict())))
    pd.testing.assert_frame_equal(t2.inverse_transform(raw), full)


def test_a_trained_generator_reproduces_the_point_mass_share():
    df = _table(3000)
    gen = SyntheticGenerator("ctgan", {"epochs": 40, "batch_size": 200, "seed": 0}).fit(df, ["cat"])
    syn = gen.generate(4000, seed=1)
    real_share = (df["floored"] == 100).mean()
    assert abs((syn["floored"] == 100).mean() - real_share) < 0.5 * real_share
    assert syn["floored"].dropna().between(100, 800).all()


def test_format_1_artifacts_still_load(monkeypatch):
    """Artifacts written before the state span (format 1: a null span, ``bound_keep``) load and,
    without point masses, give the same rows."""
    from genesis_spark.synth import artifact

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=500),
                       "y": np.where(rng.random(500) < 0.1, np.nan, rng.exponential(size=500)),
                       "c": rng.choice(["a", "b"], 500)})
    gen = SyntheticGenerator("ctgan", {"epochs": 2, "batch_size": 100, "generator_dim": (16,),
                                       "discriminator_dim": (16,), "seed": 0}).fit(df, ["c"])
    tensors, manifest = artifact.load(gen.to_bytes())
    old = {k: v for k, v in manifest.items() if k not in ("sha256", "format", "format_version")}
    old["transformer"] = {**old["transformer"], "bound_keep": {"x": [[0.0], [0.0]], "y": [[0.0], [0.0]]},
                          "columns": [{k: v for k, v in c.items() if k not in ("minimum_share", "maximum_share")}
                                      for c in old["transformer"]["columns"]]}
    monkeypatch.setattr(artifact, "FORMAT_VERSION", 1)
    data = artifact.dump(tensors, old)
    monkeypatch.undo()
    assert artifact.load(data)[1]["format_version"] == 1
    loaded = SyntheticGenerator.from_bytes(data)
    pd.testing.assert_frame_equal(loaded.generate(300, seed=2), gen.generate(300, seed=2))
