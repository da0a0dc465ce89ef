"""Types round-trip through augmentation on the pandas engine: bool, naive and tz-aware datetimes, dates,
nullable Int64/boolean/string, category, and names with spaces, dots and unicode keep their dtype."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from genesis_spark.augment import augment

TARGET = "is_fraud"


@pytest.fixture(scope="module")
def typed():
    rng = np.random.default_rng(4)
    n = 1_200
    fraud = (rng.random(n) < 0.1).astype("int64")
    when = pd.Timestamp("2024-03-01") + pd.to_timedelta(rng.integers(0, 86_400 * 30, n), unit="s")
    counts = pd.array(rng.integers(0, 9, n), dtype="Int64")
    counts[rng.random(n) < 0.2] = pd.NA
    flags = pd.array(rng.random(n) < 0.4, dtype="boolean")
    flags[rng.random(n) < 0.1] = pd.NA
    return pd.DataFrame({
        "amount €": rng.gamma(2.0, 40.0, n) + 60 * fraud,
        "online": rng.random(n) < 0.3 + 0.4 * fraud,
        "seen.at": when,
        "seen at utc": when.tz_localize("UTC"),
        "day": [d.date() for d in when],
        "tries": counts,
        "verified": flags,
        "channel": pd.array(rng.choice(["web", "app", None], n, p=[0.6, 0.3, 0.1]), dtype="string"),
        "tier": pd.Categorical(rng.choice(["gold", "silver", "bronze"], n)),
        TARGET: fraud,
    })


def test_every_column_keeps_its_dtype_and_values_stay_in_range(typed):
    result = augment(typed, TARGET, 0.3, discrete_columns=["tier"], config={"epochs": 3}, seed=2)
    out, synthetic = result.augmented, result.synthetic[list(typed.columns)]
    assert len(synthetic) > 0
    assert out.dtypes.to_dict() == typed.dtypes.to_dict()
    assert synthetic.dtypes.to_dict() == typed.dtypes.to_dict()
    fraud = typed[typed[TARGET] == 1]
    assert synthetic["seen.at"].between(fraud["seen.at"].min(), fraud["seen.at"].max()).all()
    assert str(synthetic["seen at utc"].dt.tz) == "UTC"
    assert all(isinstance(d, dt.date) for d in synthetic["day"])
    assert set(synthetic["tier"].dropna()) <= set(fraud["tier"])
    assert set(synthetic["channel"].dropna()) <= {"web", "app"}
    for column in ("tries", "verified", "channel"):
        assert abs(synthetic[column].isna().mean() - fraud[column].isna().mean()) <= 0.05, column
