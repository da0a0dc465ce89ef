"""Run identity and table semantics: one version per run with that run's rows, exact-run idempotency,
lower run ids refused, a run id taken meanwhile refused at commit time, a half-committed run completed."""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable

from genesis_spark import cli
from genesis_spark.datasets import make_transactions
from genesis_spark.delta import ArrowDeltaSink, CommitInfo, committed_runs, history
from genesis_spark.pipeline import Pipeline, steps
from genesis_spark.pipeline.context import RunContext

TARGET = "is_fraud"
APP = "genesis_spark:identity"


@pytest.fixture()
def project(tmp_path, monkeypatch):
    make_transactions(3_000, fraud_rate=0.03, seed=9).to_csv(tmp_path / "transactions.csv", index=False)
    (tmp_path / "pipeline.yaml").write_text(f"""
name: identity
lakehouse: lake
steps:
  - load_csv: {{path: transactions.csv}}
  - split: {{target_column: {TARGET}, seed: 3}}
  - augment_imbalanced: {{target_column: {TARGET}, ratio: 0.2, strategy: smote}}
  - save_csv: {{path: augmented.csv}}
  - save_versioned: {{repo: versions, message: run, tag: latest}}
""")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(*args: str) -> int:
    return cli.main(["pipeline", "run", "pipeline.yaml", *args])


def _error_line(capsys) -> str:
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("genesis: error:")]
    assert len(lines) == 1, lines
    return lines[0]


def _versions(project: Path) -> dict[str, int]:
    tables = {name: project / "lake" / name for name in ("augmented_train", "test", "synthetic", "runs")}
    return {name: DeltaTable(str(path)).version() for name, path in {**tables, "versions": project / "versions"}.items()}


def _run_ids(path: Path, version: int | None = None) -> list[int]:
    table = DeltaTable(str(path), version=version) if version is not None else DeltaTable(str(path))
    return sorted(set(table.to_pandas()["run_id"]))


def test_each_run_writes_one_version_holding_only_its_rows_and_a_rerun_writes_nothing(project, capsys):
    assert _run() == 0 and _run() == 0
    capsys.readouterr()
    assert _versions(project) == {"augmented_train": 1, "test": 1, "synthetic": 1, "runs": 1, "versions": 1}
    train = project / "lake" / "augmented_train"
    assert _run_ids(train, 0) == [1] and _run_ids(train) == [2]  # latest = the latest run, never a union
    assert len(DeltaTable(str(train)).to_pandas()) == len(DeltaTable(str(train), version=0).to_pandas())
    assert _run_ids(project / "lake" / "test") == [2] and _run_ids(project / "lake" / "synthetic") == [2]
    assert sorted(DeltaTable(str(project / "lake" / "runs")).to_pandas()["run_id"]) == [1, 2]
    assert DeltaTable(str(project / "versions")).to_pandas().shape == DeltaTable(str(train)).to_pandas().drop(
        columns="run_id").shape
    # a re-run of run 2: found before anything loads, nothing written at all, exit 0
    (project / "augmented.csv").unlink()
    (project / "transactions.csv").write_text("not the data any more\n")  # nothing may even read it
    assert _run("--run-id", "2") == 0
    out = capsys.readouterr().out
    assert "run 2: already committed, nothing to do (nothing written)" in out
    assert f"table v1  {project / 'lake' / 'augmented_train'}" in out
    assert not (project / "augmented.csv").exists()
    assert _versions(project) == {"augmented_train": 1, "test": 1, "synthetic": 1, "runs": 1, "versions": 1}


def test_a_run_id_below_the_latest_committed_one_is_refused_and_writes_nothing(project, capsys):
    assert _run("--run-id", "5") == 0
    capsys.readouterr()
    (project / "augmented.csv").unlink()
    assert _run("--run-id", "3") == 1
    line = _error_line(capsys)
    assert line.startswith("genesis: error: run id 3 is below run 5, already committed to ")
    assert "use --run-id 6 or omit --run-id. Nothing written." in line
    assert not (project / "augmented.csv").exists()
    assert _versions(project) == {"augmented_train": 0, "test": 0, "synthetic": 0, "runs": 0, "versions": 0}
    assert _run() == 0  # without --run-id: the next free one
    assert sorted(DeltaTable(str(project / "lake" / "runs")).to_pandas()["run_id"]) == [5, 6]


class _AnotherRunCommits(steps.Step):
    """A second run of the same pipeline that commits while the first one is still running its steps."""

    name = "another_run_commits"

    def __init__(self, other: Pipeline, run_id: int) -> None:
        super().__init__()
        self.other, self.other_run_id = other, run_id

    def run(self, ctx: RunContext) -> None:
        assert self.other.run(run_id=self.other_run_id).success


def _pipeline(project: Path, *extra: steps.Step) -> Pipeline:
    return Pipeline([
        steps.load_csv(str(project / "transactions.csv")),
        steps.split(target_column=TARGET, seed=3),
        steps.augment_imbalanced(target_column=TARGET, ratio=0.2, strategy="smote"),
        *extra,
        steps.save_csv(str(project / "augmented.csv")),
    ], name="identity", lakehouse=str(project / "lake"))


@pytest.mark.parametrize("other_run_id", [1, 2])
def test_a_run_id_taken_by_another_run_meanwhile_is_refused_at_commit_before_any_write(project, other_run_id):
    other = _pipeline(project)
    result = _pipeline(project, _AnotherRunCommits(other, other_run_id)).run(run_id=1)
    assert not result.success
    if other_run_id == 1:
        assert result.error.startswith("run id 1 was committed by another run while this one ran (")
        assert "nothing of this run was written" in result.error
    else:
        assert result.error.startswith("run id 1 is below run 2, already committed to ")
        assert "(by another run while this one ran)" in result.error
    # only the other run's rows and files: one version per table, its run id only
    runs = committed_runs(project / "lake" / "augmented_train", "genesis_spark:identity")
    assert runs == {other_run_id: 0}
    assert DeltaTable(str(project / "lake" / "runs")).to_pandas()["run_id"].tolist() == [other_run_id]


def test_a_run_without_a_run_id_whose_id_is_taken_meanwhile_lands_as_the_next_free_id(project):
    result = _pipeline(project, _AnotherRunCommits(_pipeline(project), 1)).run()  # both start as run 1
    assert result.success and result.run_id == 2, result.error
    train = project / "lake" / "augmented_train"
    assert committed_runs(train, APP) == {1: 0, 2: 1}  # consecutive versions, one run each
    assert _run_ids(train, 0) == [1] and _run_ids(train, 1) == [2]
    assert sorted(DeltaTable(str(project / "lake" / "runs")).to_pandas()["run_id"]) == [1, 2]
    assert [r.metadata["run_id"] for r in history(project / "lake" / "synthetic")] == [2, 1]


def test_a_half_committed_run_is_completed_by_the_next_run_without_a_run_id(project):
    assert _pipeline(project).run().success  # run 1, complete
    # a crash after run 2 committed augmented_train and before the other tables and its runs row
    torn = pa.table({"amount": [1.0], TARGET: [0], "run_id": [2]})
    ArrowDeltaSink().commit_all([ArrowDeltaSink().stage(project / "lake" / "augmented_train", torn, "overwrite")],
                                CommitInfo(app_id="genesis_spark:identity", run_id=2, message="torn"))
    result = _pipeline(project).run()
    assert result.success and result.run_id == 2, result.error
    train = project / "lake" / "augmented_train"
    assert DeltaTable(str(train)).version() == 1  # left alone: it already holds run 2
    assert committed_runs(project / "lake" / "test", "genesis_spark:identity") == {1: 0, 2: 1}
    assert sorted(DeltaTable(str(project / "lake" / "runs")).to_pandas()["run_id"]) == [1, 2]
    assert [r.metadata["run_id"] for r in history(project / "lake" / "runs")] == [2, 1]
