"""Demo data: the tutorial's imbalanced card-transaction table."""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

MERCHANT_CATEGORIES = ["grocery", "restaurant", "gas", "online", "travel"]
DISCRETE_COLUMNS = ["merchant_category", "hour", "day_of_week"]
TARGET_COLUMN = "is_fraud"


def _normalised(weights: list[float]) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return p / p.sum()


# The tutorial's hour vectors sum to 1.08 (6*0.02 + 12*0.06 + 6*0.04 and
# 6*0.08 + 12*0.02 + 6*0.06); numpy rejects them, so they are rescaled to sum to 1.
LEGIT_HOUR_P = _normalised([0.02] * 6 + [0.06] * 12 + [0.04] * 6)
FRAUD_HOUR_P = _normalised([0.08] * 6 + [0.02] * 12 + [0.06] * 6)


_INT_COLUMNS = ["hour", "day_of_week", "transaction_count_24h", "is_fraud"]


def _draw_rows(rng: np.random.RandomState, n: int, fraud: bool) -> pd.DataFrame:
    """``n`` rows of one class of the tutorial's generator, drawn from ``rng`` column by column.

    The draw order (amount, hour, day_of_week, merchant_category, distance_from_home,
    transaction_count_24h) is the tutorial's: ``make_transactions`` calls it for the legitimate
    block then the fraud block on one ``RandomState``, so its rows are the tutorial's.
    """
    if fraud:
        frame = pd.DataFrame({
            "amount": rng.lognormal(6, 1.5, n).clip(100, 10000),
            "hour": rng.choice(range(24), n, p=FRAUD_HOUR_P),
            "day_of_week": rng.choice(range(7), n),
            "merchant_category": rng.choice(MERCHANT_CATEGORIES, n, p=[0.1, 0.1, 0.1, 0.5, 0.2]),
            "distance_from_home": rng.exponential(50, n).clip(0, 500),
            "transaction_count_24h": rng.poisson(8, n).clip(1, 50),
            "is_fraud": 1,
        })
    else:
        frame = pd.DataFrame({
            "amount": rng.lognormal(4, 1, n).clip(1, 5000),
            "hour": rng.choice(range(24), n, p=LEGIT_HOUR_P),
            "day_of_week": rng.choice(range(7), n),
            "merchant_category": rng.choice(MERCHANT_CATEGORIES, n, p=[0.3, 0.25, 0.15, 0.2, 0.1]),
            "distance_from_home": rng.exponential(10, n).clip(0, 100),
            "transaction_count_24h": rng.poisson(3, n).clip(1, 20),
            "is_fraud": 0,
        })
    return frame


def _with_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    frame[_INT_COLUMNS] = frame[_INT_COLUMNS].astype("int64")
    return frame


def make_transactions(n_transactions: int = 50_000, fraud_rate: float = 0.02, seed: int = 42) -> pd.DataFrame:
    """Generate the tutorial's transactions table (step 1), shuffled.

    Columns: ``amount``, ``hour``, ``day_of_week``, ``merchant_category``,
    ``distance_from_home``, ``transaction_count_24h``, ``is_fraud`` (0/1).

    It follows the tutorial's generator draw for draw (a ``RandomState(seed)``
    replaces the global ``np.random.seed``), with one fix: the tutorial's two
    ``hour`` probability vectors each sum to 1.08, which numpy rejects, so both
    are normalised to sum to 1 (same shape, night hours still dominate fraud).

    Example::

        df = make_transactions(50_000, fraud_rate=0.02, seed=42)
        df["is_fraud"].mean()  # 0.02
    """
    if n_transactions < 2:
        raise ValueError(f"n_transactions must be at least 2, got {n_transactions}.")
    if not 0 < fraud_rate < 1:
        raise ValueError(f"fraud_rate must be in (0, 1), got {fraud_rate}.")
    rng = np.random.RandomState(seed)
    n_fraud = max(1, int(n_transactions * fraud_rate))
    n_legit = n_transactions - n_fraud

    legit = _draw_rows(rng, n_legit, fraud=False)
    fraud = _draw_rows(rng, n_fraud, fraud=True)
    transactions = pd.concat([legit, fraud], ignore_index=True)
    transactions = transactions.sample(frac=1, random_state=seed).reset_index(drop=True)
    return _with_dtypes(transactions)


def true_fraud_rows(n: int, seed: int) -> pd.DataFrame:
    """``n`` rows drawn from the tutorial's TRUE fraud distribution (``is_fraud`` = 1).

    The same distribution and dtypes as the fraud rows of ``make_transactions``: the
    best any generator of synthetic fraud rows could do (the "oracle" of ``bench/efficacy.py``).
    Rows are drawn from ``RandomState(seed)``; they are not rows of any ``make_transactions``
    table.

    Example::

        extra = true_fraud_rows(5_000, seed=1)
        extra["is_fraud"].unique()  # [1]
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}.")
    rng = np.random.RandomState(seed)
    return _with_dtypes(_draw_rows(rng, int(n), fraud=True))


def write_demo_data(folder: str | Path, n_transactions: int = 50_000, fraud_rate: float = 0.02,
                    seed: int = 42) -> dict[str, Path]:
    """Write the demo table as ``transactions.csv`` and ``transactions.parquet`` under ``folder``.

    Returns the two paths by format name.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    df = make_transactions(n_transactions, fraud_rate, seed)
    paths = {"csv": folder / "transactions.csv", "parquet": folder / "transactions.parquet"}
    df.to_csv(paths["csv"], index=False)
    df.to_parquet(paths["parquet"], index=False)
    logger.info("wrote %d demo transactions to %s", len(df), folder)
    return paths
