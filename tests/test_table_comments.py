"""Self-describing output tables: a Delta table description and column comments, from both engines.

The texts come from ``genesis_spark.delta.descriptions.TABLE_DOCS``; they are read back with
delta-rs, with Spark (the schema of the frame ``read_source`` gives, ``DESCRIBE`` on a view
of it, the Delta log read as JSON) and with Polars when it is installed.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from deltalake import DeltaTable

from genesis_spark import docs_gen
from genesis_spark.datasets import DISCRETE_COLUMNS, make_transactions
from genesis_spark.delta import CommitInfo
from genesis_spark.delta.descriptions import TABLE_DOCS, TableDoc, comments_of, table_doc
from genesis_spark.pipeline import Pipeline, get_engine, steps

ROOT = Path(__file__).resolve().parents[1]
KINDS = ("augmented_train", "test", "synthetic", "runs")
CONFIG = {"epochs": 1, "batch_size": 100, "device": "cpu", "block_size": 256}
#: The engine each lakehouse fixture ran with (the second-run test reuses it).
lake_engine: dict[Path, object] = {}


@pytest.fixture(scope="module", params=["pandas", "spark"])
def lakehouse(request, tmp_path_factory):
    """One run of a small pipeline into a fresh lakehouse, on each engine (CTGAN: scored synthetic rows)."""
    folder = tmp_path_factory.mktemp(f"comments_{request.param}")
    make_transactions(400, fraud_rate=0.1, seed=2).to_csv(folder / "t.csv", index=False)
    engine = (get_engine("pandas") if request.param == "pandas"
              else get_engine("spark", spark=request.getfixturevalue("spark"), sink="embedded"))
    augment = {"config": CONFIG, "discrete_columns": list(DISCRETE_COLUMNS)}
    result = Pipeline([steps.load_csv(str(folder / "t.csv")), steps.split(target_column="is_fraud", seed=1),
                       steps.augment_imbalanced(target_column="is_fraud", ratio=0.2, **augment)],
                      name="comments", engine=engine, lakehouse=str(folder / "lake"), seed=3).run()
    assert result.success, result.error
    lake = folder / "lake"
    lake_engine[lake] = engine
    return lake


def _schema(path: Path) -> dict:
    return json.loads(DeltaTable(str(path)).schema().to_json())


def _expected(kind: str, columns: list[str]) -> dict[str, str]:
    return table_doc(kind).comments(columns)


@pytest.mark.parametrize("kind", KINDS)
def test_delta_rs_reads_the_description_and_every_column_comment(lakehouse, kind):
    table = DeltaTable(str(lakehouse / kind))
    assert table.metadata().description == TABLE_DOCS[kind].description
    schema = _schema(lakehouse / kind)
    columns = [f["name"] for f in schema["fields"]]
    assert comments_of(schema) == _expected(kind, columns)
    assert set(comments_of(schema)) == set(columns)  # every column says what it holds


def test_the_synthetic_table_explains_its_scores_and_provenance(lakehouse):
    comments = comments_of(_schema(lakehouse / "synthetic"))
    for column in ("run_id", "block_index", "row_in_block", "realism", "dcr", "label_prob"):
        assert comments[column] == TABLE_DOCS["synthetic"].columns[column]
    assert "closest real minority training row" in comments["dcr"]
    assert comments["amount"] == TABLE_DOCS["synthetic"].other


def test_spark_reads_the_comments_and_the_description(lakehouse, spark):
    from genesis_spark.spark.io import read_source

    frame, _ = read_source(spark, str(lakehouse / "synthetic"), "delta")
    assert {f.name: f.metadata.get("comment") for f in frame.schema.fields} == \
        _expected("synthetic", frame.columns)
    frame.createOrReplaceTempView("synthetic_described")
    described = {r["col_name"]: r["comment"] for r in spark.sql("DESCRIBE synthetic_described").collect()}
    assert described["run_id"] == TABLE_DOCS["synthetic"].columns["run_id"]
    assert described["amount"] == TABLE_DOCS["synthetic"].other
    log = spark.read.json(str(lakehouse / "runs" / "_delta_log" / "*.json"))
    descriptions = [r[0] for r in log.where("metaData IS NOT NULL").select("metaData.description").collect()]
    assert descriptions == [TABLE_DOCS["runs"].description]


def test_polars_reads_the_described_tables(lakehouse):
    """Polars (a dev dependency) reads every described table, all its columns and rows; it has no column
    comments of its own, so the comments it would pass on are those delta-rs reads (checked above)."""
    import polars as pl

    for kind in KINDS:
        frame = pl.read_delta(str(lakehouse / kind))
        assert frame.columns == [f["name"] for f in _schema(lakehouse / kind)["fields"]]
        assert frame.height == DeltaTable(str(lakehouse / kind)).to_pyarrow_table().num_rows


def test_a_second_run_keeps_the_description_and_the_comments(lakehouse):
    """The overwrite of the next run re-declares the comments; the description stays the table's."""
    before = {kind: DeltaTable(str(lakehouse / kind)).version() for kind in KINDS}
    again = Pipeline([steps.load_csv(str(lakehouse.parent / "t.csv")), steps.split(target_column="is_fraud", seed=1)],
                     name="comments", engine=lake_engine[lakehouse], lakehouse=str(lakehouse), seed=3).run()
    assert again.success, again.error
    for kind in ("augmented_train", "test", "runs"):
        table = DeltaTable(str(lakehouse / kind))
        assert table.version() == before[kind] + 1
        assert table.metadata().description == TABLE_DOCS[kind].description
        schema = _schema(lakehouse / kind)
        assert comments_of(schema) == _expected(kind, [f["name"] for f in schema["fields"]])


def test_the_embedded_spark_sink_keeps_a_comment_the_frame_already_has(spark, tmp_path):
    from genesis_spark.spark.sink import EmbeddedDeltaSink

    frame = spark.createDataFrame([(1, 0.5)], "run_id long, dcr double")
    frame = frame.withMetadata("dcr", {"comment": "my own words"})
    doc = TableDoc("demo", "A demo table.", {"run_id": "the run", "dcr": "distance"})
    sink = EmbeddedDeltaSink(spark)
    sink.commit_all([sink.stage(str(tmp_path / "t"), frame, "overwrite", doc=doc)], CommitInfo(app_id="a", run_id=1))
    table = DeltaTable(str(tmp_path / "t"))
    assert table.metadata().description == "A demo table."
    assert comments_of(table.schema().to_json()) == {"run_id": "the run", "dcr": "my own words"}


def test_the_docs_list_the_same_texts():
    text = (ROOT / "docs" / "output-tables.md").read_text(encoding="utf-8")
    assert text == docs_gen.refresh_tables_doc(text), (
        "docs/output-tables.md is out of date: run `python -m genesis_spark.docs_gen`")
    for kind in KINDS:
        assert f"<!-- generated: table-doc {kind} -->\n{docs_gen.table_doc_markdown(kind)}<!-- end generated -->" in text
        for column in TABLE_DOCS[kind].columns:
            assert f"| `{column}` |" in text
