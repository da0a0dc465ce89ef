"""stratified_split on real local Spark: determinism across partitions/order, per-class shares, duplicates."""
from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from genesis_spark.spark.split import stratified_split


@pytest.fixture(scope="module")
def df(spark, transactions):
    return spark.createDataFrame(transactions).cache()


def _rows(frame) -> list[tuple]:
    return sorted(tuple(r) for r in frame.collect())


def test_same_split_across_partition_counts_and_row_order(df):
    _, reference_test, reference_info = stratified_split(df, "is_fraud", test_size=0.2, seed=11)
    expected = _rows(reference_test)
    for variant in (df.repartition(1), df.repartition(8), df.orderBy(F.rand(5)).repartition(2)):
        _, test, info = stratified_split(variant, "is_fraud", test_size=0.2, seed=11)
        assert info == reference_info
        assert _rows(test) == expected


def test_each_class_keeps_the_test_share_and_info_matches_the_rows(df, transactions):
    train, test, info = stratified_split(df, "is_fraud", test_size=0.25, seed=3)
    truth = transactions["is_fraud"].value_counts()
    by_label = {c.label: c for c in info.classes}
    assert by_label[1].rows == truth[1] and by_label[0].rows == truth[0]
    assert abs(by_label[1].test_rows - 0.25 * truth[1]) <= 1
    assert abs(by_label[0].test_share - 0.25) <= 0.002
    counted = {r["is_fraud"]: r["count"] for r in test.groupBy("is_fraud").count().collect()}
    assert counted == {label: c.test_rows for label, c in by_label.items()}
    assert train.count() == info.train_rows == len(transactions) - info.test_rows
    assert info.test_shares == {label: c.test_rows / c.rows for label, c in by_label.items()}


def test_train_and_test_partition_the_input(df):
    train, test, _ = stratified_split(df, "is_fraud", test_size=0.2, seed=1)
    assert train.unionAll(test).exceptAll(df).count() == 0
    assert df.exceptAll(train.unionAll(test)).count() == 0


def test_duplicate_rows_land_on_the_same_side(spark):
    base = spark.createDataFrame([(i, i % 7, i % 5 == 0) for i in range(400)], "x long, g long, y boolean")
    doubled = base.unionAll(base)
    train, test, info = stratified_split(doubled, "y", test_size=0.3, seed=9)
    counts = test.groupBy("x").count().select("count").distinct().collect()
    assert [r[0] for r in counts] == [2]
    assert info.test_rows % 2 == 0 and info.test_rows == test.count()
    assert train.join(test, "x").count() == 0


def test_another_seed_gives_another_split(df):
    _, a, _ = stratified_split(df, "is_fraud", test_size=0.2, seed=1)
    _, b, _ = stratified_split(df, "is_fraud", test_size=0.2, seed=2)
    assert a.exceptAll(b).count() > 0.5 * a.count()


def test_bad_parameters_are_refused(df):
    with pytest.raises(ValueError, match="test_size must be a fraction strictly between 0 and 1"):
        stratified_split(df, "is_fraud", test_size=1.0, seed=1)
    with pytest.raises(ValueError, match="target_column names 'label', which is not a column"):
        stratified_split(df, "label", test_size=0.2, seed=1)
