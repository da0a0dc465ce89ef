"""The tutorial as written: step 8, the step-9 Python pipeline, the step-10 YAML, the complete training script.

The code and YAML under tests/data/ are verbatim copies of the tutorial; only ``genesis``
becomes ``genesis_spark`` when they run. To fit the CI budget the generator's *default*
epochs (the tutorial's 300) are lowered to 5 by patching the library default, not the
tutorial text; ``test_step9_pipeline_with_the_default_300_epochs`` (slow) runs it unpatched.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from deltalake import DeltaTable

from genesis_spark import cli
from genesis_spark.datasets import make_transactions
from genesis_spark.delta import history

DATA = Path(__file__).parent / "data"


def _tutorial_code(name: str) -> str:
    text = (DATA / name).read_text(encoding="utf-8")
    return re.sub(r"\bfrom genesis(\.| )", r"from genesis_spark\1", text)


@pytest.fixture()
def few_epochs(monkeypatch):
    from genesis_spark.synth.config import DEFAULT_CONFIG

    monkeypatch.setitem(DEFAULT_CONFIG, "epochs", 5)


@pytest.fixture()
def workdir(tmp_path, monkeypatch):
    make_transactions(10_000).to_csv(tmp_path / "transactions.csv", index=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_step8_augment_imbalanced_call(transactions, few_epochs, capsys):
    namespace = {"transactions": transactions}
    exec(compile(_tutorial_code("tutorial_step8.py"), "tutorial_step8.py", "exec"), namespace)
    balanced = namespace["balanced_data"]
    assert len(balanced) == 14_000 and balanced["is_fraud"].mean() == pytest.approx(0.3)
    assert balanced.iloc[:10_000].equals(transactions.reset_index(drop=True))
    out = capsys.readouterr().out
    assert "Balanced dataset: 14,000 samples" in out and "New fraud rate: 30.0%" in out


def test_step9_python_pipeline(workdir, few_epochs, capsys):
    namespace: dict = {}
    exec(compile(_tutorial_code("tutorial_step9.py"), "tutorial_step9.py", "exec"), namespace)
    result = namespace["result"]
    assert result.success, result.error
    out = capsys.readouterr().out
    assert "Pipeline completed successfully" in out
    assert f"Output: {Path('augmented_transactions.csv')}" in out
    assert re.search(r"Quality score: \d+\.\d%", out)
    assert 0 < result.metrics["quality_score"] <= 1
    assert (workdir / "augmented_transactions.csv").exists() and (workdir / "fraud_generator.pkl").exists()
    assert "class distribution of 'is_fraud'" in out  # analyze(report=True)


@pytest.mark.slow
def test_step9_pipeline_with_the_default_300_epochs(workdir, capsys):
    namespace: dict = {}
    exec(compile(_tutorial_code("tutorial_step9.py"), "tutorial_step9.py", "exec"), namespace)
    assert namespace["result"].success, namespace["result"].error


def test_step10_yaml_via_genesis_pipeline_run(tmp_path, monkeypatch, capsys):
    shutil.copy(DATA / "tutorial_pipeline.yaml", tmp_path / "fraud_augmentation_pipeline.yaml")
    (tmp_path / "data").mkdir()
    make_transactions(10_000).to_csv(tmp_path / "data" / "transactions.csv", index=False)
    monkeypatch.chdir(tmp_path)
    args = ["pipeline", "run", "fraud_augmentation_pipeline.yaml", "--set", "augment_imbalanced.config.epochs=5"]

    # A passing gate: one new version with the run's metadata.
    assert cli.main([*args, "--set", "evaluate.min_score=0.5"]) == 0
    assert "run 1: success" in capsys.readouterr().out
    [commit] = history(tmp_path / "data_versions")
    assert commit.metadata["message"] == "Fraud augmentation run" and commit.tags == ["latest"]
    assert commit.metadata["run_id"] == 1 and len(commit.metadata["generator_sha256"]) == 64
    assert commit.metadata["metrics"]["quality_score"] >= 0.5
    assert commit.metadata["source_path"] == str(tmp_path / "data" / "transactions.csv")

    # The YAML as written (min_score 0.85, fail_on_low_score): success adds exactly one
    # version, a missed gate exits 1 with the reason and changes nothing.
    capsys.readouterr()
    code = cli.main(args)
    captured = capsys.readouterr()
    if code == 0:
        assert DeltaTable(str(tmp_path / "data_versions")).version() == 1
        assert history(tmp_path / "data_versions")[0].metadata["metrics"]["quality_score"] >= 0.85
    else:
        assert code == 1
        assert re.search(r"genesis: error: evaluate: quality_score 0\.\d+ < min_score 0\.85", captured.err)
        assert DeltaTable(str(tmp_path / "data_versions")).version() == 0


def test_complete_training_script(workdir, few_epochs, capsys):
    exec(compile(_tutorial_code("tutorial_training_script.py"), "tutorial_training_script.py", "exec"), {})
    out = capsys.readouterr().out
    assert "Training: 11,200 samples (30.0% fraud)" in out
    assert "Test: 2,000 samples (2.0% fraud)" in out
    auc = float(re.search(r"ROC-AUC: (\d\.\d+)", out).group(1))
    assert 0.5 < auc <= 1.0
