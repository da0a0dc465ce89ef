"""Shared fixtures: one real local SparkSession per test run, demo data, small torch threads."""
from __future__ import annotations

import os

import pytest

os.environ.setdefault("GENESIS_SPARK_MASTER", "local[2]")


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """The one real local SparkSession of this test run (start-up costs ~5 s)."""
    from genesis_spark.spark.session import get_spark

    warehouse = tmp_path_factory.mktemp("warehouse")
    session = get_spark("local[2]", warehouse=warehouse)
    yield session
    session.stop()


@pytest.fixture(scope="session")
def transactions():
    """The tutorial's demo table at 10k rows (2% fraud), deterministic."""
    from genesis_spark.datasets import make_transactions

    return make_transactions(10_000, fraud_rate=0.02, seed=42)


@pytest.fixture(scope="session")
def fraud_rows(transactions):
    """The fraud rows of the demo table, target dropped (what the tutorial fits the generator on)."""
    return transactions[transactions["is_fraud"] == 1].drop(columns="is_fraud").reset_index(drop=True)
