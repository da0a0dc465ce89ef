"""The genesis command: pipeline run/validate exit codes and messages, the bad-input matrix, the demo."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from deltalake import DeltaTable

from genesis_spark import cli
from genesis_spark.datasets import make_transactions

TUTORIAL_YAML = Path(__file__).parent / "data" / "tutorial_pipeline.yaml"
SMOTE = ["--set", "augment_imbalanced.strategy=smote"]


@pytest.fixture()
def project(tmp_path, monkeypatch):
    """The tutorial YAML beside a data/transactions.csv (5k rows), cwd = that folder."""
    shutil.copy(TUTORIAL_YAML, tmp_path / "pipeline.yaml")
    (tmp_path / "data").mkdir()
    make_transactions(5_000, fraud_rate=0.02, seed=3).to_csv(tmp_path / "data" / "transactions.csv", index=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _error_line(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    lines = [line for line in err if line.startswith("genesis: error:")]
    assert len(lines) == 1, err
    return lines[0]


def test_run_prints_a_summary_of_metrics_and_outputs_and_exits_zero(project, capsys):
    assert cli.main(["pipeline", "run", "pipeline.yaml", *SMOTE, "--set", "evaluate.min_score=0.5"]) == 0
    out = capsys.readouterr().out
    assert "pipeline 'fraud_data_augmentation' run 1: success" in out
    assert "quality_score" in out and "privacy_score" in out
    assert re.search(rf"table v0 +{re.escape(str(project / 'data_versions'))}\n", out)
    assert (project / "data" / "augmented_transactions.csv").exists()


def test_validate_lists_the_steps_without_running_them(project, capsys):
    assert cli.main(["pipeline", "validate", "pipeline.yaml"]) == 0
    out = capsys.readouterr().out
    assert "valid pipeline 'fraud_data_augmentation'" in out and "6. save_versioned(" in out
    assert not (project / "data_versions").exists()


def test_failing_quality_gate_exits_nonzero_with_one_line_and_no_table_change(project, capsys):
    assert cli.main(["pipeline", "run", "pipeline.yaml", *SMOTE, "--set", "evaluate.min_score=0.5"]) == 0
    capsys.readouterr()
    code = cli.main(["pipeline", "run", "pipeline.yaml", *SMOTE, "--set", "evaluate.min_score=0.999"])
    assert code == 1
    line = _error_line(capsys)
    assert line.startswith("genesis: error: evaluate: quality_score 0.") and line.endswith("< min_score 0.999")
    assert DeltaTable(str(project / "data_versions")).version() == 0


@pytest.mark.parametrize("override, csv_edit, message", [
    (["--set", "load_csv.path=missing.csv"], None, "does not exist"),
    ([], lambda df: df.drop(columns="is_fraud"), "target_column names 'is_fraud', which is not a column"),
    ([], lambda df: df.assign(is_fraud=df["amount"]), "looks continuous"),
    (["--set", "augment_imbalanced.ratio=1.2"], None, "ratio must be strictly between 0 and 1"),
    (["--set", "augment_imbalanced.discrete_columns=[merchant_categry]"], None, "discrete_columns names 'merchant_categry'"),
    ([], lambda df: df.assign(is_fraud=0), "single value"),
])
@pytest.mark.parametrize("engine", ["pandas", "spark"])
def test_bad_input_fails_clearly_and_changes_no_table(project, capsys, override, csv_edit, message, engine):
    run = ["pipeline", "run", "pipeline.yaml", "--engine", engine, *SMOTE]
    assert cli.main([*run, "--set", "evaluate.min_score=0.5"]) == 0
    capsys.readouterr()
    if csv_edit is not None:
        import pandas as pd

        path = project / "data" / "transactions.csv"
        csv_edit(pd.read_csv(path)).to_csv(path, index=False)
    assert cli.main([*run, *override]) == 1
    assert message in _error_line(capsys)
    assert DeltaTable(str(project / "data_versions")).version() == 0


def test_yaml_errors_and_missing_files_exit_one_with_the_reason(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: p\nsteps:\n  - load_csv:\n      path: [x\n")
    assert cli.main(["pipeline", "run", str(bad)]) == 1
    assert "YAML syntax error" in _error_line(capsys)
    (tmp_path / "typo.yaml").write_text("name: p\nsteps:\n  - lod_csv: {path: x.csv}\n")
    assert cli.main(["pipeline", "validate", str(tmp_path / "typo.yaml")]) == 1
    assert "line 3, step 1 'lod_csv': unknown step. Did you mean 'load_csv'" in _error_line(capsys)
    assert cli.main(["pipeline", "run", str(tmp_path / "nope.yaml")]) == 1
    assert "does not exist" in _error_line(capsys)


def test_demo_writes_data_lakehouse_report_and_prints_where(tmp_path, capsys):
    folder = tmp_path / "demo"
    assert cli.main(["demo", "--folder", str(folder), "--epochs", "3", "--rows", "3000", "--run-id", "7"]) == 0
    out = capsys.readouterr().out
    assert "training CTGAN for 3 epochs" in out and "demo run 7: success" in out
    for table in ("augmented_train", "test", "synthetic", "runs"):
        assert DeltaTable(str(folder / "lakehouse" / table)).version() == 0
        assert str(folder / "lakehouse" / table) in out
    assert (folder / "report.html").stat().st_size > 1000
    assert (folder / "fraud_generator.gen").exists() and (folder / "augmented_transactions.csv").exists()
    assert "baseline_" in out and "augmented_" in out  # compare_models metrics in the summary
    assert "did the synthetic rows help?" in out
    assert re.search(r"  random_forest: (helped|no_change|hurt): PR-AUC", out)
    assert re.search(r"  hist_gradient_boosting: (helped|no_change|hurt): PR-AUC", out)
    assert "utility_verdict " in out and "utility_verdict_hist_gradient_boosting" not in out


def test_a_spark_write_error_is_one_short_line_without_java_frames(project, capsys):
    blocker = project / "lake_is_a_file"
    blocker.write_text("not a folder\n")
    code = cli.main(["pipeline", "run", "pipeline.yaml", "--engine", "spark", *SMOTE, "--set", "evaluate.min_score=0.5",
                     "--set", f"lakehouse={blocker}"])
    assert code == 1
    line = _error_line(capsys)
    assert "\tat " not in line and " at org." not in line and " at java." not in line and "Caused by" not in line
    assert len(line) < 600, line
    assert not (project / "data_versions").exists() and not (project / "data" / "augmented_transactions.csv").exists()


def _write_parquet(path: Path) -> None:
    make_transactions(50, fraud_rate=0.1, seed=1).to_parquet(path)


@pytest.mark.parametrize("write, message", [
    (lambda path: path.write_bytes(b""), "is empty (0 bytes): there is no header and no row"),
    (lambda path: path.write_text("amount,hour,is_fraud\n\n"), "has a header but no rows"),
    (_write_parquet, "is not CSV text but a Parquet file: use load_parquet"),
    (lambda path: path.write_bytes(b"amount,hour\x00\x01\x02,is_fraud\n1,2,0\n"), "holds binary NUL bytes"),
])
@pytest.mark.parametrize("engine", ["pandas", "spark"])
def test_empty_header_only_and_binary_csv_files_are_named_as_such(project, capsys, write, message, engine):
    write(project / "data" / "transactions.csv")
    assert cli.main(["pipeline", "run", "pipeline.yaml", "--engine", engine, *SMOTE]) == 1
    line = _error_line(capsys)
    assert line.startswith("genesis: error: step 1 load_csv: CSV file ") and message in line, line
