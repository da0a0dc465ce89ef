"""Modelling choices of the transformer: exact integer support, log modelling, the numpy mixture."""
from __future__ import annotations

import numpy as np
import pandas as pd

from genesis_spark.synth.mixture import fit_mixture_1d
from genesis_spark.synth.spans import DiscreteColumn
from genesis_spark.synth.transformer import DataTransformer


def _column(t: DataTransformer, name: str):
    return next(c for c in t.columns_ if c.name == name)


def test_low_cardinality_integers_are_one_hot_over_their_exact_support(fraud_rows):
    t = DataTransformer().fit(fraud_rows, ["merchant_category"], seed=0)
    counts = _column(t, "transaction_count_24h")
    assert isinstance(counts, DiscreteColumn)
    assert sorted(counts.categories) == sorted(fraud_rows["transaction_count_24h"].unique().tolist())
    off = DataTransformer(max_integer_categories=0).fit(fraud_rows, ["merchant_category"], seed=0)
    assert not isinstance(_column(off, "transaction_count_24h"), DiscreteColumn)


def test_high_cardinality_integers_stay_continuous():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"n": rng.integers(0, 10_000, 2_000)})
    t = DataTransformer(max_integer_categories=32).fit(df, [], seed=0)
    assert not isinstance(_column(t, "n"), DiscreteColumn)
    back = t.inverse_transform(t.transform(df, np.random.default_rng(0)))
    assert back["n"].dtype == df["n"].dtype


def test_lognormal_column_is_modelled_on_log_scale_and_exponential_is_not():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"amount": rng.lognormal(6, 1.5, 3_000), "distance": rng.exponential(50, 3_000) + 1e-3})
    t = DataTransformer().fit(df, [], seed=0)
    assert _column(t, "amount").log is True
    assert _column(t, "distance").log is False
    back = t.inverse_transform(t.transform(df, np.random.default_rng(0)))
    assert np.isclose(back["amount"], df["amount"], rtol=1e-3).mean() > 0.98
    assert DataTransformer(log_skew=None).fit(df, [], seed=0).columns_[0].log is False


def test_numpy_mixture_recovers_two_separated_modes():
    rng = np.random.default_rng(2)
    raw = np.concatenate([rng.normal(-3, 0.5, 4_000), rng.normal(2, 1.0, 6_000)])
    x = (raw - raw.mean()) / raw.std()
    mix = fit_mixture_1d(x)
    assert np.isclose(mix.weights.sum(), 1.0) and len(mix.weights) <= 10
    left = mix.means < (-3 - raw.mean()) / raw.std() / 2  # components belonging to the left mode
    assert abs(mix.weights[left].sum() - 0.4) < 0.02
    left_mean = np.average(mix.means[left], weights=mix.weights[left])
    right_mean = np.average(mix.means[~left], weights=mix.weights[~left])
    assert abs(left_mean - (-3 - raw.mean()) / raw.std()) < 0.05
    assert abs(right_mean - (2 - raw.mean()) / raw.std()) < 0.05
    assert fit_mixture_1d(x).means.tolist() == mix.means.tolist()  # deterministic


def test_safetensors_whose_header_length_starts_with_0x80_is_not_mistaken_for_a_pickle():
    import pytest
    import torch
    from safetensors.torch import save

    from genesis_spark.synth import artifact

    pad = 0
    while True:  # pad the metadata until the header length's low byte is 0x80 (a pickle's first byte)
        blob = save({"w": torch.zeros(2)}, metadata={"x": "y" * pad})
        if blob[0] == 0x80:
            break
        pad += 1
    with pytest.raises(artifact.ArtifactError) as info:
        artifact.load(blob)
    assert "pickle" not in str(info.value)  # rejected for not being a genesis artifact, not as a pickle
    import pickle

    with pytest.raises(artifact.ArtifactError, match="pickle"):
        artifact.load(pickle.dumps({"w": 1}))
