"""Ragged CSV rows (more or fewer fields than the header) are an error on both engines, before any work.

Spark would silently drop the extra fields (and pad the short rows with nulls); pandas would
shift columns into the index or pad with missing values. Both engines refuse the file in one
line naming it, the line numbers and the field counts.
"""
from __future__ import annotations

import re

import pytest

from genesis_spark.datasets import make_transactions
from genesis_spark.pipeline import Pipeline, get_engine, steps

HEADER = "amount,hour,merchant,is_fraud\n"
RAGGED = HEADER + "1.5,3,shop,0\n2.5,4,shop,0,EXTRA\n\n3.5,5,shop,1\n4.5,6\n" + "5.5,7,shop,0\n" * 3


@pytest.fixture()
def ragged_csv(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text(RAGGED)
    return path


@pytest.fixture(params=["pandas", "spark"])
def engine(request, spark):
    return get_engine("pandas") if request.param == "pandas" else get_engine("spark", spark=spark)


def test_ragged_rows_are_named_with_their_line_numbers_and_field_counts(engine, ragged_csv):
    with pytest.raises(ValueError) as caught:
        engine.read(str(ragged_csv), "csv")
    message = str(caught.value)
    assert "\n" not in message
    assert str(ragged_csv) in message
    assert "header's 4" in message
    assert "line 3 has 5" in message and "line 6 has 2" in message  # the blank line 4 is skipped, not counted
    assert "quote fields that hold the delimiter" in message


def test_quoted_delimiters_are_not_ragged_and_read_the_same_on_both_engines(tmp_path, spark):
    path = tmp_path / "quoted.csv"
    path.write_text(HEADER + '1.5,3,"shop, the big one",0\n2.5,4,"corner, small",1\n')
    pandas_frame = get_engine("pandas").read(str(path), "csv").frame
    spark_frame = get_engine("spark", spark=spark).read(str(path), "csv").frame.toPandas()
    assert list(pandas_frame["merchant"]) == ["shop, the big one", "corner, small"]
    assert list(spark_frame["merchant"]) == list(pandas_frame["merchant"])


def test_a_short_last_row_is_ragged_too(engine, tmp_path):
    path = tmp_path / "short.csv"
    path.write_text(HEADER + "1.5,3,shop,0\n2.5,4,shop\n")
    with pytest.raises(ValueError, match=r"line 3 has 3"):
        engine.read(str(path), "csv")


def test_a_folder_of_csv_parts_is_checked_by_a_spark_job(spark, tmp_path):
    folder = tmp_path / "parts"
    folder.mkdir()
    (folder / "part-00000.csv").write_text(HEADER + "1.5,3,shop,0\n")
    many = "".join(f"{i}.5,{i},shop,0,EXTRA\n" for i in range(7))
    (folder / "part-00001.csv").write_text(HEADER + "1.5,3,shop,0\n" + many)
    with pytest.raises(ValueError) as caught:
        get_engine("spark", spark=spark).read(str(folder), "csv")
    message = str(caught.value)
    assert "part-00001.csv" in message and "part-00000.csv" not in message
    assert "row '0.5,0,shop,0,EXTRA' has 5" in message
    assert "(7 such rows in all)" in message


@pytest.mark.parametrize("engine_name", ["pandas", "spark"])
def test_a_pipeline_on_a_ragged_csv_fails_at_load_and_writes_nothing(spark, tmp_path, engine_name):
    path = tmp_path / "transactions.csv"
    text = make_transactions(300, fraud_rate=0.1, seed=1).to_csv(index=False)
    lines = text.splitlines(keepends=True)
    lines[100] = lines[100].rstrip("\n") + ",oops\n"
    path.write_text("".join(lines))
    lake = tmp_path / "lake"
    engine = get_engine("pandas") if engine_name == "pandas" else get_engine("spark", spark=spark)
    result = Pipeline([steps.load_csv(str(path)), steps.split(target_column="is_fraud")],
                      name="ragged", lakehouse=str(lake), engine=engine).run()
    assert not result.success
    assert re.search(r"load_csv: CSV file '.*transactions\.csv' has rows with another number of fields than its "
                     r"header's \d+: line 101 has \d+\.", result.error), result.error
    assert not list(lake.glob("*/_delta_log")) and not list(lake.glob("*/*.parquet"))  # no table, no data file
