"""One CSV, one schema: both engines read the same column types and append to the same Delta tables.

The rule is ``genesis_spark.core.csv_types``: integers 64-bit (nullable when missing, never
floats), other numbers double, booleans boolean, ISO dates date, timestamps and the rest text.
"""
from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from deltalake import DeltaTable

from genesis_spark.datasets import make_transactions
from genesis_spark.delta import CommitInfo, read_version
from genesis_spark.pipeline import Pipeline, steps
from genesis_spark.pipeline.engine import PandasEngine

#: The Delta type every column of the CSV below must have, whichever engine wrote it.
DELTA_TYPES = {
    "amount": "double", "hour": "long", "big id": "long", "visits.30d": "long", "rating": "double",
    "is_online": "boolean", "vip": "boolean", "merchant_category": "string", "Größe ü": "long",
    "signup": "date", "seen_at": "string", "NA": "string", "is_fraud": "long",
}


@pytest.fixture(scope="module")
def typed_csv(tmp_path_factory):
    """The demo table plus one column per type question, with names holding a space, a dot and unicode."""
    df = make_transactions(600, fraud_rate=0.1, seed=5)
    rng = np.random.default_rng(5)
    n = len(df)
    frame = pd.DataFrame({
        "amount": df["amount"],
        "hour": df["hour"],                                                     # small ints: int32 on inferSchema
        "big id": rng.integers(2**33, 2**40, n),
        "visits.30d": pd.array(np.where(rng.random(n) < 0.15, None, rng.integers(0, 9, n)), dtype="Int64"),
        "rating": np.where(rng.random(n) < 0.1, np.nan, rng.normal(3, 1, n).round(2)),
        "is_online": rng.random(n) < 0.5,
        "vip": pd.array(np.where(rng.random(n) < 0.1, None, rng.random(n) < 0.3), dtype="boolean"),
        "merchant_category": df["merchant_category"],
        "Größe ü": rng.integers(1, 5, n),
        "signup": (pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 40, n), unit="D")).strftime("%Y-%m-%d"),
        "seen_at": (pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 50, n), unit="h"))
        .strftime("%Y-%m-%dT%H:%M:%S"),
        "NA": rng.choice(["a", "b"], n),
        "is_fraud": df["is_fraud"],
    })
    path = tmp_path_factory.mktemp("typed") / "typed.csv"
    frame.to_csv(path, index=False)
    return path


def _delta_types(path) -> dict[str, str]:
    return {f["name"]: f["type"] for f in json.loads(DeltaTable(str(path)).schema().to_json())["fields"]}


def _data_types(path) -> dict[str, str]:
    """A lakehouse table's column types without its bookkeeping ``run_id`` column (a long when present)."""
    types = _delta_types(path)
    assert types.pop("run_id", "long") == "long", path
    return types


def _spark_engine(spark):
    from genesis_spark.spark.engine import SparkEngine

    return SparkEngine(spark=spark, sink="embedded")


def test_both_engines_read_the_csv_with_the_agreed_types(spark, typed_csv, tmp_path):
    pandas_engine, spark_engine = PandasEngine(), _spark_engine(spark)
    local = pandas_engine.read(str(typed_csv), "csv").frame
    assert {c: str(local[c].dtype) for c in local.columns} == {
        "amount": "float64", "hour": "int64", "big id": "int64", "visits.30d": "Int64", "rating": "float64",
        "is_online": "bool", "vip": "boolean", "merchant_category": "object", "Größe ü": "int64",
        "signup": "object", "seen_at": "object", "NA": "object", "is_fraud": "int64"}
    assert isinstance(local["signup"].iloc[0], dt.date) and isinstance(local["seen_at"].iloc[0], str)
    distributed = spark_engine.read(str(typed_csv), "csv").frame
    assert dict(distributed.dtypes) == {
        "amount": "double", "hour": "bigint", "big id": "bigint", "visits.30d": "bigint", "rating": "double",
        "is_online": "boolean", "vip": "boolean", "merchant_category": "string", "Größe ü": "bigint",
        "signup": "date", "seen_at": "string", "NA": "string", "is_fraud": "bigint"}
    info = CommitInfo(app_id="genesis_spark:types", run_id=1)
    for name, engine, frame in (("pandas", pandas_engine, local), ("spark", spark_engine, distributed)):
        sink = engine.delta_sink()
        sink.commit_all([sink.stage(tmp_path / name, frame)], info)
        assert _delta_types(tmp_path / name) == DELTA_TYPES, name
    from_pandas = read_version(tmp_path / "pandas").to_pandas().sort_values("big id", ignore_index=True)
    from_spark = read_version(tmp_path / "spark").to_pandas().sort_values("big id", ignore_index=True)
    pd.testing.assert_frame_equal(from_pandas, from_spark)
    assert from_pandas["visits.30d"].isna().sum() == local["visits.30d"].isna().sum() > 0


def test_csv_edge_fields_get_the_same_type_on_both_engines(spark, tmp_path):
    columns = {"nan": ("1.5", "NaN"), "inf": ("1", "-Inf"), "na": ("1", "NA"), "huge": ("99999999999999999999", "1"),
               "bad_date": ("2024-02-30", "2024-03-01"), "stamp": ("2024-01-05 10:00:00", ""),
               "empty": ("", ""), "bool_case": ("TRUE", "false"), "infinity": ("x", "y")}
    path = tmp_path / "edges.csv"
    path.write_text(",".join(columns) + "\n" + "\n".join(",".join(v[i] for v in columns.values()) for i in (0, 1)))
    local = PandasEngine().read(str(path), "csv").frame
    distributed = _spark_engine(spark).read(str(path), "csv").frame
    assert list(local.columns) == list(distributed.columns) == list(columns)
    expected = {"nan": "double", "inf": "double", "na": "string", "huge": "string", "bad_date": "string",
                "stamp": "string", "empty": "string", "bool_case": "boolean",
                "infinity": "string"}
    assert dict(distributed.dtypes) == expected
    import pyarrow as pa

    arrow = {f.name: str(f.type) for f in pa.Table.from_pandas(local, preserve_index=False).schema}
    assert arrow == {k: {"boolean": "bool"}.get(v, v) for k, v in expected.items()}
    assert local["inf"].tolist() == [1.0, float("-inf")] and local["na"].tolist() == ["1", "NA"]


def _lakehouse_pipeline(csv_path, lake, engine, strategy: str, config=None) -> Pipeline:
    return Pipeline([
        steps.load_csv(str(csv_path)),
        steps.analyze(target_column="is_fraud", report=False),
        steps.split(target_column="is_fraud", test_size=0.2, seed=42),
        steps.augment_imbalanced(target_column="is_fraud", ratio=0.3, strategy=strategy, config=config),
        steps.save_delta(str(lake / "augmented")),
    ], name="types", engine=engine, lakehouse=str(lake), seed=3)


@pytest.mark.parametrize("first", ["pandas", "spark"])
def test_runs_of_both_engines_append_to_the_same_lakehouse(spark, typed_csv, tmp_path, first):
    engines = {"pandas": PandasEngine(), "spark": _spark_engine(spark)}
    order = [first, "spark" if first == "pandas" else "pandas"]
    rows = []
    for run_id, name in enumerate(order, start=1):
        result = _lakehouse_pipeline(typed_csv, tmp_path, engines[name], "smote").run()
        assert result.success, f"{name} run: {result.error}"
        assert result.run_id == run_id
        rows.append(result.metrics["augmented_rows"])
    assert len(read_version(tmp_path / "augmented")) == sum(rows)  # save_delta appended both runs' rows
    for table in ("augmented", "augmented_train", "test", "synthetic"):
        assert DeltaTable(str(tmp_path / table)).version() == 1, table
        assert _data_types(tmp_path / table) == DELTA_TYPES, table
    synthetic = read_version(tmp_path / "synthetic").to_pandas()
    assert set(synthetic["run_id"]) <= {1, 2} and 2 in set(synthetic["run_id"])
    assert synthetic["signup"].map(type).eq(dt.date).all()  # SMOTE interpolates dates as dates
    runs = read_version(tmp_path / "runs").to_pandas().sort_values("run_id")
    assert runs["engine"].tolist() == order


@pytest.mark.parametrize("strategy, config", [("oversample", {"epochs": 2, "batch_size": 100}),
                                              ("undersample", None)])
def test_integer_columns_are_never_narrowed_in_the_written_tables(spark, typed_csv, tmp_path, strategy, config):
    for name, engine in (("pandas", PandasEngine()), ("spark", _spark_engine(spark))):
        lake = tmp_path / name
        loaded = engine.read(str(typed_csv), "csv").frame
        result = engine.augment(loaded, "is_fraud", 0.3, strategy=strategy, config=config, seed=1)
        if name == "pandas":
            assert result.augmented.dtypes.to_dict() == loaded.dtypes.to_dict()
        else:
            assert result.augmented.schema == loaded.schema
        outcome = _lakehouse_pipeline(typed_csv, lake, engine, strategy, config).run()
        assert outcome.success, f"{name}: {outcome.error}"
        for table in ("augmented", "augmented_train", "test"):
            types = _data_types(lake / table)
            assert types == DELTA_TYPES, f"{name} {table}"
            assert "integer" not in types.values()


def test_synthetic_nulls_in_an_integer_column_keep_it_an_integer_column():
    from genesis_spark.augment import augment

    df = make_transactions(400, fraud_rate=0.1, seed=2)
    df["visits"] = pd.array(np.where(np.arange(len(df)) % 3 == 0, None, df["hour"]), dtype="Int64")
    result = augment(df, "is_fraud", 0.3, config={"epochs": 2, "batch_size": 100}, seed=0)
    assert result.augmented.dtypes.to_dict() == df.dtypes.to_dict()
    assert str(result.synthetic["visits"].dtype) == "Int64"


def test_smote_keeps_dates_datetimes_and_nullable_columns_of_their_kind():
    from genesis_spark.augment import augment

    n = 60
    rng = np.random.default_rng(4)
    stamps = pd.Timestamp("2024-03-01") + pd.to_timedelta(rng.integers(0, 10_000, n), unit="min")
    df = pd.DataFrame({
        "amount": rng.normal(size=n),
        "day": (stamps.normalize()).date,
        "at": stamps,
        "at_tz": stamps.tz_localize("Europe/Paris"),
        "visits": pd.array(np.where(np.arange(n) % 4 == 0, None, rng.integers(0, 5, n)), dtype="Int64"),
        "vip": pd.array(np.where(np.arange(n) % 5 == 0, None, rng.random(n) < 0.5), dtype="boolean"),
        "label": np.r_[np.ones(10, dtype=int), np.zeros(n - 10, dtype=int)],
    })
    result = augment(df, "label", 0.4, strategy="smote", seed=0)
    new = result.synthetic
    assert len(new) > 0 and result.augmented.dtypes.to_dict() == df.dtypes.to_dict()
    assert new["day"].map(type).eq(dt.date).all()
    assert str(new["at_tz"].dt.tz) == "Europe/Paris"
    assert new["at"].between(stamps.min(), stamps.max()).all()
    assert set(new["vip"].dropna()) <= {True, False}
