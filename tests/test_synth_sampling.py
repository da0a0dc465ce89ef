"""Sampling internals: the Gaussian input, categorical draws per span, decoding from codes."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from genesis_spark.synth.ctgan import CTGAN
from genesis_spark.synth.inference import _relu_, gaussian_noise, gaussian_noise_tensor
from genesis_spark.synth.spans import DiscreteColumn, Span
from genesis_spark.synth.transformer import DataTransformer


def _rng(seed: int) -> np.random.Generator:
    return np.random.Generator(np.random.SFC64(np.random.SeedSequence([seed, 0])))


def test_gaussian_noise_is_standard_normal_and_reproducible():
    z = gaussian_noise(_rng(1), (4096, 128))
    assert z.shape == (4096, 128) and z.dtype == np.float32
    np.testing.assert_array_equal(z, gaussian_noise(_rng(1), (4096, 128)))
    assert not np.array_equal(z, gaussian_noise(_rng(2), (4096, 128)))
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1.0) < 0.01
    assert abs((np.abs(z) < 1.0).mean() - 0.6827) < 0.005
    assert abs((np.abs(z) < 2.0).mean() - 0.9545) < 0.003
    assert np.abs(z).max() < 4.4
    odd = gaussian_noise(_rng(1), (3, 5))  # sizes that are not a multiple of four draws per word
    assert odd.shape == (3, 5) and np.isfinite(odd).all()


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_noise_tensor_is_the_same_draws_in_the_sampling_dtype(dtype):
    z = gaussian_noise_tensor(_rng(1), (300, 17), dtype, torch.device("cpu"))
    assert z.shape == (300, 17) and z.dtype == dtype
    expected = torch.from_numpy(gaussian_noise(_rng(1), (300, 17))).to(dtype)
    assert torch.equal(z, expected)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_in_place_relu_matches_clamp_on_strided_columns(dtype):
    x = torch.cat([torch.randn(64, 9) * 1e3, torch.tensor([[-0.0, 0.0, -1e-30, 1e-30, -3e38, 3e38, 1.0, -1.0, 0.5]])])
    x = x.to(dtype)
    expected = x.clamp_min(0)
    wide = torch.zeros(65, 20, dtype=dtype)
    wide[:, 5:14] = x
    out = _relu_(wide[:, 5:14])
    assert torch.equal(out, expected)
    assert torch.equal(wide[:, :5], torch.zeros(65, 5, dtype=dtype))  # only the slice changed


@pytest.mark.parametrize("bf16", [False, True])
def test_sampled_codes_follow_the_softmax_of_each_span(bf16):
    spans = [Span("a", 0, 1, "scalar"), Span("a", 1, 3, "mode"), Span("b", 4, 5, "onehot"), Span("c", 9, 2, "state")]
    model = CTGAN(spans, 5, 8, (16,), (16,), 1, torch.device("cpu"), init_generator=torch.Generator().manual_seed(0))
    logits = torch.tensor([0.3, 1.0, -0.5, 0.2, 2.0, 0.0, -1.0, 1.5, 0.5, -3.0, 3.0])
    with torch.no_grad():
        output = model.generator.seq[-1]
        output.set_weight(torch.zeros_like(output.weight))  # raw output = the bias, whatever the noise
        model.generator.seq[-1].bias.copy_(logits)
    model.generator.eval()
    n = 40_000
    category = torch.randint(0, 5, (n,), generator=torch.Generator().manual_seed(1))
    scalars, codes = model.sample_codes(n, category, _rng(3), bf16=bf16)
    assert scalars.shape == (n, 1) and codes.shape == (n, 3)
    tol = 0.02 if bf16 else 1e-6
    np.testing.assert_allclose(scalars, np.tanh(0.3), atol=tol)
    for j, (start, width) in enumerate([(1, 3), (4, 5), (9, 2)]):
        expected = torch.softmax(logits[start:start + width], 0).numpy()
        observed = np.bincount(codes[:, j], minlength=width) / n
        assert len(observed) == width
        np.testing.assert_allclose(observed, expected, atol=0.012)
    again = model.sample_codes(n, category, _rng(3), bf16=bf16)
    np.testing.assert_array_equal(again[1], codes)
    matrix = model.sample(100, None, _rng(4), bf16=bf16)  # the one-hot matrix form
    assert matrix.shape == (100, 11)
    for start, width in [(1, 3), (4, 5), (9, 2)]:
        np.testing.assert_array_equal(matrix[:, start:start + width].sum(axis=1), 1.0)


def _mixed_frame(fraud_rows: pd.DataFrame) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = len(fraud_rows)
    amount = fraud_rows["amount"].astype(float).to_numpy().copy()
    amount[rng.random(n) < 0.1] = np.nan
    return fraud_rows.assign(
        amount=amount,
        flag=rng.random(n) < 0.3,
        tier=pd.Categorical(rng.choice(["low", "mid", "high"], n), categories=["low", "mid", "high", "unused"]),
        label=pd.Series(rng.choice(["x", "y", None], n), dtype=object),
    )


def test_decode_from_codes_equals_inverse_transform_and_keeps_dtypes(fraud_rows):
    df = _mixed_frame(fraud_rows)
    t = DataTransformer().fit(df, ["merchant_category", "tier", "label", "flag"], seed=0)
    soft = [s for s in t.spans_ if s.kind != "scalar"]
    n_scalar = len(t.spans_) - len(soft)
    rng = np.random.default_rng(5)
    scalars = rng.uniform(-1, 1, (500, n_scalar)).astype(np.float32)
    codes = np.stack([rng.integers(0, s.width, 500) for s in soft], axis=1).astype(np.int32)
    out = t.decode(scalars, codes)
    assert list(out.columns) == list(df.columns)
    assert (out.dtypes == df.dtypes).all()
    matrix = np.zeros((500, t.output_dim), dtype=np.float32)
    matrix[:, [s.start for s in t.spans_ if s.kind == "scalar"]] = scalars
    for j, s in enumerate(soft):
        matrix[np.arange(500), s.start + codes[:, j]] = 1.0
    pd.testing.assert_frame_equal(out, t.inverse_transform(matrix))
    for j, s in enumerate(soft):
        col = t.column(s.column)
        if isinstance(col, DiscreteColumn):
            expected = pd.Series(np.asarray(col.categories + (None,), dtype=object)[:-1][codes[:, j]], dtype=object)
            got = out[s.column].astype(object).where(out[s.column].notna(), None)
            assert got.tolist() == expected.tolist()
    with pytest.raises(ValueError, match="scalar and"):
        t.decode(scalars[:, :1], codes)
