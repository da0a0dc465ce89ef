"""read_source on real local Spark: CSV, Parquet, Delta (versions, tags, refusals) and catalog tables."""
from __future__ import annotations

import pyarrow as pa
import pytest

from genesis_spark.datasets import write_demo_data
from genesis_spark.delta import CommitInfo
from genesis_spark.spark.io import SourceInfo, UnsupportedDeltaTable, delta_jars_available, infer_format, read_source


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    return write_demo_data(tmp_path_factory.mktemp("demo"), n_transactions=500, fraud_rate=0.02, seed=3)


@pytest.fixture(scope="module")
def versioned_delta(tmp_path_factory):
    """A Delta table written by delta-rs: version 0 (100 rows, tagged 'baseline'), version 1 (+50 rows)."""
    from deltalake import CommitProperties, write_deltalake

    path = tmp_path_factory.mktemp("delta") / "table"
    first = pa.table({"x": list(range(100)), "label": [i % 2 for i in range(100)]})
    second = pa.table({"x": list(range(100, 150)), "label": [1] * 50})
    tagged = CommitInfo(app_id="tests", run_id=0, tags=("baseline",))
    write_deltalake(str(path), first, commit_properties=CommitProperties(custom_metadata=tagged.metadata()))
    write_deltalake(str(path), second, mode="append")
    return str(path)


def test_format_is_inferred_from_suffix_and_delta_log(demo_files, versioned_delta, tmp_path):
    assert infer_format(str(demo_files["csv"])) == "csv"
    assert infer_format(str(demo_files["parquet"])) == "parquet"
    assert infer_format(versioned_delta) == "delta"
    (tmp_path / "plain_folder").mkdir()
    assert infer_format(str(tmp_path / "plain_folder")) == "parquet"


def test_csv_is_read_with_header_and_inferred_types(spark, demo_files):
    df, info = read_source(spark, str(demo_files["csv"]))
    assert info == SourceInfo(str(demo_files["csv"]), "csv", None)
    types = dict(df.dtypes)  # integers as 64-bit, as the pandas engine reads them (core.csv_types)
    assert types["amount"] == "double" and types["hour"] == "bigint" and types["merchant_category"] == "string"
    assert df.count() == 500
    assert df.where("is_fraud = 1").count() == 10


def test_parquet_file_is_read_with_its_schema(spark, demo_files):
    df, info = read_source(spark, str(demo_files["parquet"]))
    assert info.format == "parquet" and info.version is None
    assert dict(df.dtypes)["hour"] == "bigint"
    assert df.count() == 500


def test_delta_reads_latest_version_number_or_tag_and_records_it(spark, versioned_delta):
    latest, info = read_source(spark, versioned_delta)
    assert info == SourceInfo(versioned_delta, "delta", 1)
    assert latest.count() == 150
    old, info0 = read_source(spark, versioned_delta, version=0)
    assert info0.version == 0 and old.count() == 100 and old.agg({"x": "max"}).first()[0] == 99
    tagged, info_tag = read_source(spark, versioned_delta, format="delta", version="baseline")
    assert info_tag.version == 0 and tagged.count() == 100
    assert latest.columns == ["x", "label"]


def test_partitioned_delta_table_keeps_its_partition_column(spark, tmp_path):
    from deltalake import write_deltalake

    path = str(tmp_path / "partitioned")
    write_deltalake(path, pa.table({"x": [1, 2, 3, 4], "part": ["a", "a", "b", "b"]}), partition_by=["part"])
    df, info = read_source(spark, path)
    assert info.version == 0
    assert sorted(tuple(r) for r in df.collect()) == [(1, "a"), (2, "a"), (3, "b"), (4, "b")]


def test_missing_path_error_names_the_path(spark, tmp_path):
    missing = str(tmp_path / "nope" / "transactions.csv")
    with pytest.raises(FileNotFoundError, match="nope/transactions.csv.*does not exist"):
        read_source(spark, missing)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_source(spark, missing, format="parquet")


def test_deletion_vector_table_is_refused_without_the_jars(spark, tmp_path):
    from deltalake import DeltaTable, write_deltalake

    assert not delta_jars_available(spark)
    path = str(tmp_path / "with_dv")
    write_deltalake(path, pa.table({"x": [1, 2, 3]}), configuration={"delta.enableDeletionVectors": "true"})
    with pytest.raises(UnsupportedDeltaTable, match=r"with_dv.*deletionVectors.*Delta jars"):
        read_source(spark, path)
    assert DeltaTable(path).version() == 0  # the refusal changed nothing


def test_catalog_table_is_read_by_name(spark, demo_files):
    source, _ = read_source(spark, str(demo_files["parquet"]))
    source.limit(40).write.mode("overwrite").saveAsTable("default.d1_io_transactions")
    df, info = read_source(spark, "default.d1_io_transactions")
    assert info == SourceInfo("default.d1_io_transactions", "table", None)
    assert df.count() == 40
    with pytest.raises(ValueError, match="not in the Spark catalog"):
        read_source(spark, "default.no_such_table", format="table")


def test_csv_quotes_are_read_and_written_as_pandas_does(spark, tmp_path):
    """RFC 4180 quoting (a doubled quote inside a quoted field is one quote; a delimiter inside quotes
    stays in the field): both engines read the same values, and Spark's written CSV reads back in pandas."""
    import pandas as pd

    from genesis_spark.pipeline.engine import PandasEngine
    from genesis_spark.spark.engine import SparkEngine

    path = tmp_path / "quoted.csv"
    path.write_text('id,note,amount\n1,"he said ""hi""",2.5\n2,"a, b",3.0\n3,plain,1.0\n')
    expected = ['he said "hi"', "a, b", "plain"]

    spark_frame = SparkEngine(spark=spark).read(str(path), "csv").frame
    assert [row["note"] for row in spark_frame.orderBy("id").collect()] == expected
    assert PandasEngine().read(str(path), "csv").frame["note"].tolist() == expected

    written = tmp_path / "written.csv"
    SparkEngine(spark=spark).write_csv(spark_frame.orderBy("id"), written)
    assert '"he said ""hi"""' in written.read_text()
    assert pd.read_csv(written)["note"].tolist() == expected


def test_an_explicit_escape_option_is_kept(spark, tmp_path):
    path = tmp_path / "backslash.csv"
    path.write_text('id,note\n1,"he said \\"hi\\""\n')
    df, _ = read_source(spark, str(path), options={"escape": "\\"})
    assert df.first()["note"] == 'he said "hi"'
