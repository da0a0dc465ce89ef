"""Shared helpers for the synth tests (small, fast configs)."""
from __future__ import annotations

import pytest
import torch

SMALL = {"epochs": 3, "batch_size": 100, "embedding_dim": 16, "generator_dim": (32, 32),
         "discriminator_dim": (32, 32), "pac": 10, "seed": 7}


def small(**overrides):
    """A tiny CTGAN config for behaviour tests (seconds, not minutes)."""
    return {**SMALL, **overrides}


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One torch thread for a test module's training (imported into the modules that train)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
