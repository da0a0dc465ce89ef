"""Shared helpers for the synth tests (small, fast configs)."""
from __future__ import annotations

SMALL = {"epochs": 3, "batch_size": 100, "embedding_dim": 16, "generator_dim": (32, 32),
         "discriminator_dim": (32, 32), "pac": 10, "seed": 7}


def small(**overrides):
    """A tiny CTGAN config for behaviour tests (seconds, not minutes)."""
    return {**SMALL, **overrides}
