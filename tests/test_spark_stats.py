"""profile() on real local Spark: class counts, column stats against pandas, ID-like columns, bad targets."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from genesis_spark.spark.stats import profile


@pytest.fixture(scope="module")
def frame(transactions):
    """The demo table with an ID column, a column with nulls, and a few null targets."""
    pdf = transactions.copy()
    pdf["txn_id"] = [f"T{i:06d}" for i in range(len(pdf))]
    pdf["note"] = np.where(np.arange(len(pdf)) % 4 == 0, None, "ok")
    return pdf


@pytest.fixture(scope="module")
def result(spark, frame):
    return profile(spark.createDataFrame(frame), "is_fraud")


def test_class_counts_and_shares_are_exact(result, frame):
    truth = frame["is_fraud"].value_counts()
    assert result.n_rows == len(frame)
    assert result.class_counts == {0: int(truth[0]), 1: int(truth[1])}
    assert list(result.class_counts) == [0, 1]  # largest first
    assert result.minority_class == 1 and result.majority_class == 0
    assert result.class_shares[1] == pytest.approx(truth[1] / len(frame))
    assert result.target_nulls == 0


def test_column_stats_match_pandas(result, frame):
    for name in ["amount", "hour", "day_of_week", "merchant_category", "transaction_count_24h"]:
        col = result.column(name)
        assert col.min == frame[name].min() and col.max == frame[name].max()
        exact = frame[name].nunique()
        assert abs(col.distinct - exact) <= max(1, 0.03 * exact), (name, col.distinct, exact)
    assert result.column("note").nulls == int(frame["note"].isna().sum())
    assert result.column("note").distinct == 1
    assert result.column("amount").dtype == "double" and result.column("hour").dtype == "bigint"


def test_id_like_columns_are_detected_reported_and_kept_out_of_training(result):
    assert result.id_like == ("txn_id",)
    assert result.column("txn_id").id_like
    assert "txn_id" not in result.training_columns and "is_fraud" not in result.training_columns
    assert "amount" in result.training_columns  # a continuous float with unique values is not an ID
    assert "ID-like columns (excluded from training): txn_id" in result.format()


def test_declared_id_columns_are_excluded_too(spark, frame):
    small = spark.createDataFrame(frame.head(300))
    declared = profile(small, "is_fraud", id_columns=["merchant_category"])
    assert set(declared.id_like) == {"merchant_category", "txn_id"}
    assert declared.declared_id_columns == ("merchant_category",)
    assert "merchant_category" not in declared.training_columns


def test_to_dict_is_json_and_format_lists_every_column(result, frame):
    as_dict = json.loads(json.dumps(result.to_dict()))
    assert as_dict["class_counts"] == {"0": 9800, "1": 200}
    assert [c["name"] for c in as_dict["columns"]] == list(frame.columns)
    text = result.format()
    for name in frame.columns:
        assert name in text
    assert "9,800" in text and "2.000%" in text


def test_null_targets_are_counted_apart(spark):
    pdf = pd.DataFrame({"x": range(30), "y": [0] * 20 + [1] * 6 + [None] * 4})
    pdf["y"] = pdf["y"].astype("Int64")
    result = profile(spark.createDataFrame(pdf), "y")
    assert result.class_counts == {0: 20, 1: 6} and result.target_nulls == 4


def test_missing_target_error_lists_the_columns(spark, frame):
    df = spark.createDataFrame(frame.head(20))
    with pytest.raises(ValueError, match=r"(?s)target_column names 'is_fraudd', which is not a column.*Did you mean 'is_fraud'.*Columns are: amount, hour"):
        profile(df, "is_fraudd")
    with pytest.raises(ValueError, match="id_columns names 'nope'"):
        profile(df, "is_fraud", id_columns=["nope"])


def test_unsupported_target_types_are_refused(spark, frame):
    df = spark.createDataFrame(frame.head(500))
    with pytest.raises(ValueError, match=r"'amount' \(double\) has about .* distinct values"):
        profile(df, "amount")
    arrays = spark.createDataFrame([(1, [1, 2]), (2, [3])], "x int, tags array<int>")
    with pytest.raises(ValueError, match=r"'tags' has type array<int>, which cannot hold class labels"):
        profile(arrays, "tags")
    constant = spark.createDataFrame([(i, 1) for i in range(25)], "x int, y int")
    with pytest.raises(ValueError, match="1 class.*at least two classes"):
        profile(constant, "y")
