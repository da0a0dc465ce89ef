"""Tail averaging of the generator's weights, and BatchNorm statistics re-estimated for them."""
from __future__ import annotations

import torch

from _synth_helpers import small
from genesis_spark.synth.ctgan import _accumulate
from genesis_spark.synth.generator import SyntheticGenerator


def test_accumulate_keeps_the_uniform_mean_of_the_samples():
    samples = [[torch.full((3,), float(v)), torch.full((2, 2), float(v * v))] for v in (1, 2, 6)]
    average: list[torch.Tensor] = []
    for count, params in enumerate(samples, start=1):
        _accumulate(average, params, count)
    torch.testing.assert_close(average[0], torch.full((3,), 3.0))
    torch.testing.assert_close(average[1], torch.full((2, 2), 41.0 / 3))
    assert average[0].data_ptr() != samples[0][0].data_ptr()  # a copy, not the first sample itself


def model_conditions(gen: SyntheticGenerator, n: int) -> torch.Tensor:
    """Condition vectors drawn as in training (log-frequency), as BatchNorm saw them."""
    return gen._sampler.sample_train(n, torch.Generator().manual_seed(0)).cond


def _first_layer_statistics(gen: SyntheticGenerator) -> tuple[torch.Tensor, torch.Tensor]:
    """(running mean, batch mean) of the generator's first BatchNorm on fresh training-mode inputs."""
    model = gen._model
    residual = model.generator.seq[0]
    torch.manual_seed(0)
    z = torch.randn(20_000, model.embedding_dim)
    cond = model_conditions(gen, 20_000)
    with torch.no_grad():
        h = residual.fc(torch.cat([z, cond], dim=1))
    return residual.bn.running_mean, h.mean(dim=0)


def test_averaged_weights_differ_from_the_last_ones_and_batchnorm_matches_them(fraud_rows):
    cfg = small(epochs=20, lr=2e-2)  # a large step, so that the iterates move far from their average
    last = SyntheticGenerator("ctgan", {**cfg, "generator_average": 0.0}).fit(fraud_rows, ["merchant_category"])
    averaged = SyntheticGenerator("ctgan", cfg).fit(fraud_rows, ["merchant_category"])
    assert averaged.config_["generator_average"] == 0.5
    w_last = last._model.generator.seq[0].fc.weight
    w_avg = averaged._model.generator.seq[0].fc.weight
    assert not torch.allclose(w_last, w_avg)
    running, batch = _first_layer_statistics(averaged)
    torch.testing.assert_close(running, batch, atol=0.01, rtol=0.0)
    # same seed, same rows: averaging is deterministic
    again = SyntheticGenerator("ctgan", cfg).fit(fraud_rows, ["merchant_category"])
    assert averaged.generate(300, seed=3).equals(again.generate(300, seed=3))
