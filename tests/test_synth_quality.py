"""Quality: a short real training run beats a trivially wrong generator and stays in range."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from genesis_spark.datasets import DISCRETE_COLUMNS, make_transactions
from genesis_spark.synth.generator import SyntheticGenerator


def shape_score(real: pd.DataFrame, synth: pd.DataFrame, discrete: list[str]) -> dict[str, float]:
    """Per-column shape score: 1 - KS statistic (numeric) or 1 - total variation distance (discrete)."""
    from scipy.stats import ks_2samp

    out = {}
    for c in real.columns:
        if c in discrete:
            p = real[c].value_counts(normalize=True)
            q = synth[c].value_counts(normalize=True)
            out[c] = 1 - 0.5 * p.subtract(q, fill_value=0).abs().sum()
        else:
            out[c] = 1 - ks_2samp(real[c], synth[c]).statistic
    return out


@pytest.fixture(scope="module")
def tutorial_fraud():
    df = make_transactions(50_000, 0.02, 42)
    return df[df["is_fraud"] == 1].drop(columns="is_fraud").reset_index(drop=True)


@pytest.fixture()
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_short_training_beats_uniform_noise_and_stays_in_range(tutorial_fraud, one_thread):
    cfg = {"epochs": 40, "batch_size": 500, "embedding_dim": 64, "generator_dim": (128, 128),
           "discriminator_dim": (128, 128), "seed": 0}
    gen = SyntheticGenerator("ctgan", cfg).fit(tutorial_fraud, DISCRETE_COLUMNS)
    synth = gen.generate(2000, seed=1)
    ours = shape_score(tutorial_fraud, synth, DISCRETE_COLUMNS)

    rng = np.random.default_rng(0)
    noise = pd.DataFrame({
        c: (rng.choice(tutorial_fraud[c].unique(), 2000) if c in DISCRETE_COLUMNS
            else rng.uniform(tutorial_fraud[c].min(), tutorial_fraud[c].max(), 2000))
        for c in tutorial_fraud.columns})
    baseline = shape_score(tutorial_fraud, noise, DISCRETE_COLUMNS)

    ours_mean, base_mean = np.mean(list(ours.values())), np.mean(list(baseline.values()))
    assert ours_mean > base_mean + 0.1, (ours, baseline)
    for c in ["amount", "distance_from_home", "transaction_count_24h"]:
        assert ours[c] > baseline[c], c
        assert synth[c].between(tutorial_fraud[c].min(), tutorial_fraud[c].max()).all(), c
    # fraud patterns learned: online is the most common category, and amounts are heavy-tailed
    assert synth["merchant_category"].value_counts().index[0] == "online"
    assert synth["amount"].median() < synth["amount"].mean()
