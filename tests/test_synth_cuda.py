"""CUDA: train on the GPU, save, load and generate on the CPU."""
from __future__ import annotations

import pandas as pd
import pytest
import torch

from _synth_helpers import small
from genesis_spark.synth.generator import SyntheticGenerator

pytestmark = pytest.mark.cuda


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (none on this machine)")
def test_cuda_trained_artifact_loads_and_generates_on_cpu(fraud_rows, tmp_path, monkeypatch):
    gen = SyntheticGenerator("ctgan", small(epochs=3, device="cuda")).fit(fraud_rows, ["merchant_category"])
    assert gen._model.device.type == "cuda"
    assert gen.loss_history_[["generator_loss", "discriminator_loss"]].notna().all().all()
    on_gpu = gen.generate(200, seed=3)
    path = gen.save(tmp_path / "gpu_generator.safetensors")

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # a CPU-only executor
    loaded = SyntheticGenerator.load(path)
    assert loaded._model.device.type == "cpu"
    on_cpu = loaded.generate(200, seed=3)
    assert list(on_cpu.columns) == list(fraud_rows.columns) and (on_cpu.dtypes == fraud_rows.dtypes).all()
    assert on_cpu["amount"].between(fraud_rows["amount"].min(), fraud_rows["amount"].max()).all()
    # same noise (drawn on the CPU), same weights: discrete draws agree, floats within GPU/CPU rounding
    assert (on_cpu["merchant_category"] == on_gpu["merchant_category"]).mean() > 0.98
    pd.testing.assert_series_equal(on_cpu["amount"], on_gpu["amount"], rtol=1e-2)
