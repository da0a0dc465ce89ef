"""Dirty real-table shapes on both engines: constant columns (in the minority or overall), all-null columns."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from genesis_spark.augment import augment
from genesis_spark.core.blocks import ORDER_COLUMNS
from genesis_spark.datasets import DISCRETE_COLUMNS, TARGET_COLUMN
from genesis_spark.spark.augment import augment_spark

CONFIG = {"epochs": 2, "batch_size": 100, "device": "cpu", "block_size": 256}


@pytest.fixture(scope="module")
def dirty(transactions):
    df = transactions.head(3000).reset_index(drop=True)
    fraud = (df[TARGET_COLUMN] == 1).to_numpy()
    rng = np.random.default_rng(0)
    return df.assign(
        promo_level=np.where(fraud, 0, rng.integers(0, 3, len(df))),  # constant in the minority only: real signal
        channel="web",                                                 # constant overall
        referrer=np.nan,                                               # all null
        is_weekend=df["day_of_week"] >= 5,
    )


def check_synthetic(rows: pd.DataFrame, dirty: pd.DataFrame) -> None:
    assert len(rows) > 0
    assert (rows["promo_level"] == 0).all()
    assert (rows["channel"] == "web").all()
    assert rows["referrer"].isna().all()
    assert set(rows["is_weekend"].unique()) <= {True, False}


def test_constant_and_all_null_columns_do_not_stop_either_engine(spark, dirty):
    on_pandas = augment(dirty, TARGET_COLUMN, 0.1, discrete_columns=DISCRETE_COLUMNS, config=CONFIG, seed=2)
    on_spark = augment_spark(spark.createDataFrame(dirty), TARGET_COLUMN, 0.1, discrete_columns=DISCRETE_COLUMNS,
                             config=CONFIG, seed=2)
    pandas_rows = on_pandas.synthetic.sort_values(list(ORDER_COLUMNS)).reset_index(drop=True)
    spark_rows = on_spark.synthetic.toPandas().sort_values(list(ORDER_COLUMNS)).reset_index(drop=True)
    check_synthetic(pandas_rows, dirty)
    check_synthetic(spark_rows, dirty)
    assert on_pandas.augmented[TARGET_COLUMN].mean() == pytest.approx(0.1, abs=1e-3)
    pd.testing.assert_frame_equal(pandas_rows, spark_rows, check_dtype=False)
    assert on_pandas.augmented["promo_level"].dtype == dirty["promo_level"].dtype
