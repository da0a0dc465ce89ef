"""The YAML reference is generated from the step definitions and committed; it must not drift."""
from __future__ import annotations

from pathlib import Path

from genesis_spark import docs_gen
from genesis_spark.pipeline.steps import reference
from genesis_spark.pipeline.yaml_config import TOP_LEVEL_KEYS

ROOT = Path(__file__).resolve().parents[1]


def test_committed_yaml_reference_equals_a_fresh_generation():
    committed = (ROOT / "docs" / "yaml-reference.md").read_text(encoding="utf-8")
    assert committed == docs_gen.generate(), (
        "docs/yaml-reference.md is out of date: run `python -m genesis_spark.docs_gen` and commit it")


def test_reference_names_every_step_parameter_and_top_level_key():
    text = docs_gen.generate()
    for step in reference():
        assert f"### `{step['name']}`" in text
        section = text.split(f"### `{step['name']}`", 1)[1].split("\n### ", 1)[0]
        for param in step["params"]:
            assert f"| `{param['name']}` |" in section, (step["name"], param["name"])
    for key in TOP_LEVEL_KEYS:
        assert f"| `{key}` |" in text, key


def test_check_mode_flags_a_stale_file(tmp_path):
    stale = tmp_path / "ref.md"
    stale.write_text("# old\n", encoding="utf-8")
    assert docs_gen.main(["--check", "--output", str(stale)]) == 1
    assert docs_gen.main(["--output", str(stale)]) == 0
    assert docs_gen.main(["--check", "--output", str(stale)]) == 0


def test_docs_pages_link_to_files_that_exist():
    import re

    for page in sorted((ROOT / "docs").glob("*.md")):
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if "://" in target:
                continue
            assert (page.parent / target).resolve().exists(), f"{page.name} links to missing {target}"


def test_output_tables_doc_lists_exactly_the_runs_table_columns(tmp_path):
    """docs/output-tables.md documents the `runs` table a real run writes (and the commit keys)."""
    import re

    import pyarrow.parquet as pq
    from deltalake import DeltaTable

    from genesis_spark.datasets import make_transactions
    from genesis_spark.delta.metadata import CommitInfo
    from genesis_spark.pipeline import Pipeline, steps

    csv = tmp_path / "t.csv"
    make_transactions(400, fraud_rate=0.05, seed=1).to_csv(csv, index=False)
    result = Pipeline([steps.load_csv(str(csv)), steps.split(target_column="is_fraud")],
                      name="docs_check", lakehouse=str(tmp_path / "lake")).run()
    assert result.success, result.error
    runs = DeltaTable(str(tmp_path / "lake" / "runs"))
    columns = pq.read_table(runs.file_uris()).column_names

    text = (ROOT / "docs" / "output-tables.md").read_text(encoding="utf-8")
    section = text.split("## The `runs` table", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `(\w+)` \|", section, flags=re.MULTILINE)
    assert documented == columns

    info = CommitInfo(app_id="a", run_id=1)
    for key in info.metadata():
        assert f"`{key}`" in text, f"commit metadata key {key} is not documented"
