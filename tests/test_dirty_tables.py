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
        transaction_id=pd.Series([f"txn-{i:06d}" for i in range(len(df))]).where(np.arange(len(df)) % 10 != 3),
    )


def check_synthetic(rows: pd.DataFrame, dirty: pd.DataFrame) -> None:
    assert len(rows) > 0
    assert (rows["promo_level"] == 0).all()
    assert (rows["channel"] == "web").all()
    assert rows["referrer"].isna().all()
    assert set(rows["is_weekend"].unique()) <= {True, False}
    ids = rows["transaction_id"].dropna()
    assert ids.str.startswith("syn-").all() and ids.is_unique  # fresh identifiers, never a real one
    real_share = dirty.loc[dirty[TARGET_COLUMN] == 1, "transaction_id"].isna().mean()
    assert abs(rows["transaction_id"].isna().mean() - real_share) < 0.05


def test_constant_null_and_identifier_columns_on_both_engines(spark, dirty):
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


def test_smote_baseline_takes_nulls_on_both_engines(spark, dirty):
    rows = dirty.assign(amount=dirty["amount"].where(dirty.index % 7 != 0),
                        merchant_category=dirty["merchant_category"].where(dirty.index % 5 != 0))
    on_pandas = augment(rows, TARGET_COLUMN, 0.1, strategy="smote", discrete_columns=["merchant_category"], seed=1)
    on_spark = augment_spark(spark.createDataFrame(rows), TARGET_COLUMN, 0.1, strategy="smote",
                             discrete_columns=["merchant_category"], seed=1)
    for new in (on_pandas.synthetic, on_spark.synthetic.toPandas()):
        assert len(new) == on_pandas.plan.n_synthetic
        assert new["referrer"].isna().all() and (new["channel"] == "web").all()
        assert new["transaction_id"].dropna().str.startswith("syn-").all()
        assert set(new["merchant_category"].dropna()) <= set(rows["merchant_category"].dropna())
        assert new["amount"].notna().all()  # SMOTE interpolates: numeric nulls are filled with the median


def test_dates_timestamps_decimals_and_dotted_names_on_spark(spark, transactions):
    from pyspark.sql import functions as F

    df = transactions.head(2000).reset_index(drop=True).rename(columns={"day_of_week": "day.of.week",
                                                                        "merchant_category": "merchant category"})
    df["seen at"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(df["hour"] * 3600 + df.index, unit="s")
    sdf = (spark.createDataFrame(df).withColumn("day", F.to_date(F.col("`seen at`")))
           .withColumn("price", F.col("amount").cast("decimal(12,2)")).withColumn("small", F.col("hour").cast("int")))
    result = augment_spark(sdf, TARGET_COLUMN, 0.1, discrete_columns=["merchant category"], config=CONFIG, seed=3)
    rows = result.synthetic.toPandas()
    assert result.augmented.schema == sdf.schema  # no type narrowed or widened
    assert len(rows) == result.plan.n_synthetic > 0
    real = sdf.toPandas()
    assert rows["seen at"].between(real["seen at"].min(), real["seen at"].max()).all()
    assert rows["day"].between(real["day"].min(), real["day"].max()).all()
    assert rows["price"].map(lambda v: v.as_tuple().exponent == -2).all()
    assert set(rows["day.of.week"]) <= set(df["day.of.week"])


def test_duplicate_column_names_are_one_clear_error_on_both_engines(spark, tmp_path):
    from genesis_spark.pipeline.engine import PandasEngine
    from genesis_spark.spark.engine import SparkEngine

    path = tmp_path / "dupes.csv"
    path.write_text("amount,hour,amount,is_fraud\n1.0,2,3.0,0\n2.0,3,4.0,1\n", encoding="utf-8")
    errors = []
    for engine in (PandasEngine(), SparkEngine(spark=spark)):
        with pytest.raises(ValueError, match=r"has the column name 'amount' 2 times \(columns 1, 3\)") as caught:
            engine.read(str(path), "csv")
        errors.append(str(caught.value))
    assert errors[0] == errors[1]
    frame = pd.DataFrame([[1.0, 2, 3.0, 0], [2.0, 3, 4.0, 1]], columns=["amount", "hour", "amount", "is_fraud"])
    with pytest.raises(ValueError, match="The input has the column name 'amount' 2 times"):
        augment(frame, TARGET_COLUMN, 0.6)


def test_a_tiny_minority_is_refused_the_same_way_on_both_engines(spark, transactions):
    from genesis_spark.core.plan import MIN_ROWS_TO_FIT

    legit = transactions[transactions[TARGET_COLUMN] == 0].head(400)
    fraud = transactions[transactions[TARGET_COLUMN] == 1]
    tiny = pd.concat([legit, fraud.head(MIN_ROWS_TO_FIT - 1)], ignore_index=True)
    message = (rf"Class {TARGET_COLUMN}=1 has {MIN_ROWS_TO_FIT - 1} real row\(s\); fitting a generator needs at "
               rf"least {MIN_ROWS_TO_FIT}\.")
    with pytest.raises(ValueError, match=message):
        augment(tiny, TARGET_COLUMN, 0.3, config=CONFIG)
    with pytest.raises(ValueError, match=message):
        augment_spark(spark.createDataFrame(tiny), TARGET_COLUMN, 0.3, config=CONFIG)
    # at the minimum the generator fits
    enough = pd.concat([legit, fraud.head(MIN_ROWS_TO_FIT)], ignore_index=True)
    result = augment(enough, TARGET_COLUMN, 0.3, config=CONFIG, seed=1)
    assert int((result.augmented[TARGET_COLUMN] == 1).sum()) == round(0.3 * len(result.augmented))
