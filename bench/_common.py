"""Shared pieces of the synth benchmarks: the tutorial's data split and small timing helpers."""
from __future__ import annotations

import resource
import time

import pandas as pd

from genesis_spark.datasets import DISCRETE_COLUMNS, TARGET_COLUMN, make_transactions


def tutorial_split(n: int = 50_000, seed: int = 42):
    """(train, test) of the tutorial's table: ``train_test_split(test_size=0.2, random_state=42, stratify)``."""
    from sklearn.model_selection import train_test_split

    df = make_transactions(n, 0.02, seed)
    return train_test_split(df, test_size=0.2, random_state=42, stratify=df[TARGET_COLUMN])


def fraud_training_rows() -> pd.DataFrame:
    """The 800 fraud rows of the tutorial's training split, target dropped."""
    train, _ = tutorial_split()
    return train[train[TARGET_COLUMN] == 1].drop(columns=TARGET_COLUMN).reset_index(drop=True)


def peak_rss_mib() -> float:
    """Peak resident set size of this process, MiB (Linux ru_maxrss is KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Timer:
    """``with Timer() as t: ...`` then ``t.seconds``."""

    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def best_of(rounds: int, runs) -> list[float]:
    """Best wall seconds of each callable in ``runs``, alternating them ``rounds`` times."""
    best = [float("inf")] * len(runs)
    for _ in range(rounds):
        for i, run in enumerate(runs):
            start = time.perf_counter()
            run()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


__all__ = ["DISCRETE_COLUMNS", "TARGET_COLUMN", "tutorial_split", "fraud_training_rows", "peak_rss_mib", "Timer",
           "best_of"]
