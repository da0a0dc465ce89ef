"""Crash consistency across tables: a real ``kill -9`` of the job during staging and between each pair of
commits; readers (``read_run``) keep seeing the previous run, and the next run completes or replaces the torn
one, never duplicating rows, leaving no staging folder or temporary file. A failed commit says what it wrote."""
from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from deltalake import DeltaTable

from genesis_spark import cli, read_run
from genesis_spark.datasets import make_transactions
from genesis_spark.delta import committed_runs, read_version
from genesis_spark.delta.commit import orphan_stage_dirs
from genesis_spark.delta.sink import ArrowDeltaSink

APP = "genesis_spark:crash"
DATA_TABLES = ("augmented_train", "test", "synthetic")

#: Test-side launcher: the genesis CLI in this process, with one sink method wrapped so that the process
#: SIGKILLs itself right after the method's COUNT-th call returns (the library itself is unchanged).
KILLER = '''
import os, signal, sys

sink, method, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
if sink == "pandas":
    from genesis_spark.delta.sink import ArrowDeltaSink as Sink
else:
    from genesis_spark.spark.sink import EmbeddedDeltaSink as Sink
original, calls = getattr(Sink, method), []


def killing(self, *args, **kwargs):
    result = original(self, *args, **kwargs)
    calls.append(1)
    if len(calls) == count:
        os.kill(os.getpid(), signal.SIGKILL)
    return result


setattr(Sink, method, killing)
from genesis_spark.cli import main

sys.exit(main(sys.argv[4:]))
'''


def _yaml(engine: str) -> str:
    return f"""
name: crash
lakehouse: lake
engine: {engine}
sink: embedded
seed: 5
steps:
  - load_csv: {{path: transactions.csv}}
  - split: {{target_column: is_fraud, seed: 3}}
  - augment_imbalanced: {{target_column: is_fraud, ratio: 0.2, strategy: smote}}
  - save_csv: {{path: augmented.csv}}
"""


@pytest.fixture(scope="module")
def committed_once(tmp_path_factory):
    """A project whose lakehouse holds run 1 (pandas engine), and run 1's tables as read then."""
    folder = tmp_path_factory.mktemp("crash_template")
    make_transactions(800, fraud_rate=0.05, seed=9).to_csv(folder / "transactions.csv", index=False)
    (folder / "pipeline.yaml").write_text(_yaml("pandas"))
    assert cli.main(["-q", "pipeline", "run", str(folder / "pipeline.yaml")]) == 0
    return folder, {name: read_version(folder / "lake" / name).to_pandas() for name in DATA_TABLES}


@pytest.fixture()
def project(committed_once, tmp_path):
    template, _ = committed_once
    shutil.copytree(template, tmp_path / "p")
    return tmp_path / "p"


def _kill_run(project: Path, engine: str, method: str, count: int) -> subprocess.CompletedProcess:
    launcher = project.parent / "killer.py"
    launcher.write_text(KILLER)
    args = [sys.executable, str(launcher), engine, method, str(count), "-q", "pipeline", "run",
            str(project / "pipeline.yaml"), "--engine", engine]
    return subprocess.run(args, cwd=project, capture_output=True, text=True, timeout=600)


def _assert_previous_run_intact(project: Path, run_1: dict[str, pd.DataFrame]) -> None:
    run = read_run(project / "lake")
    assert run.run_id == 1 and sorted(run) == sorted(DATA_TABLES)
    for name in DATA_TABLES:
        pd.testing.assert_frame_equal(run[name], run_1[name])


def _assert_one_consistent_run(project: Path, run_id: int, run_1: dict[str, pd.DataFrame] | None) -> None:
    """Each table's latest version holds exactly run ``run_id``'s rows (as many as ``run_1``'s, when given);
    no staging folder, temporary file or lock of the killed run is left."""
    run = read_run(project / "lake")
    assert run.run_id == run_id
    runs = DeltaTable(str(project / "lake" / "runs")).to_pandas()
    assert sorted(runs["run_id"]) == [1, run_id]  # one row per run, none twice
    for name in DATA_TABLES:
        latest = DeltaTable(str(project / "lake" / name))
        assert run.versions[name] == latest.version()  # read_run's version is the table's latest
        rows = latest.to_pandas()
        assert rows["run_id"].notna().all() and set(rows["run_id"]) == {run_id}
        if run_1 is not None:  # the same input and seed: the run's rows once, never two runs' rows
            assert len(rows) == len(run_1[name])
        assert orphan_stage_dirs(project / "lake" / name) == []
    assert len(pd.read_csv(project / "augmented.csv")) == len(run["augmented_train"])
    assert orphan_stage_dirs(project / "lake" / "runs") == []
    assert list(project.rglob(".augmented.csv.*")) == []  # no temporary CSV of the killed run
    assert list((project / "lake" / ".genesis").glob("active/*")) == []  # no lock of a killed run left


@pytest.mark.parametrize("method, count, next_run_id, torn", [
    ("stage", 1, None, []),                                     # during staging: nothing committed yet
    ("commit_all", 1, None, ["augmented_train"]),               # after 1 of 4 commits
    ("commit_all", 2, 2, ["augmented_train", "test"]),          # after 2 of 4, re-run with the same id
    ("commit_all", 3, 3, ["augmented_train", "test", "synthetic"]),  # before the runs row; a later id
], ids=["staging", "after-1-commit", "after-2-commits", "before-runs-row"])
def test_a_kill_leaves_readers_on_the_previous_run_and_the_next_run_leaves_one_run(
        project, committed_once, method, count, next_run_id, torn):
    _, run_1 = committed_once
    killed = _kill_run(project, "pandas", method, count)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert sorted(t for t in DATA_TABLES if 2 in committed_runs(project / "lake" / t, APP)) == sorted(torn)
    assert 2 not in committed_runs(project / "lake" / "runs", APP)
    _assert_previous_run_intact(project, run_1)
    assert list(project.glob(".augmented.csv.*.tmp*")), "the kill leaves the staged CSV behind"

    args = ["-q", "pipeline", "run", str(project / "pipeline.yaml")]
    assert cli.main(args + (["--run-id", str(next_run_id)] if next_run_id else [])) == 0
    _assert_one_consistent_run(project, next_run_id or 2, run_1)
    if torn and next_run_id in (None, 2):  # completed: the tables that held run 2 were left alone
        assert all(DeltaTable(str(project / "lake" / t)).version() == 1 for t in DATA_TABLES)


@pytest.mark.slow  # a Spark job killed, then a Spark run: minutes on a small machine
def test_a_kill_between_spark_commits_leaves_staging_folders_the_next_spark_run_sweeps(project, committed_once,
                                                                                       spark):
    _, run_1 = committed_once
    (project / "pipeline.yaml").write_text(_yaml("spark"))
    killed = _kill_run(project, "spark", "commit_all", 1)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    orphans = {t: orphan_stage_dirs(project / "lake" / t) for t in ("test", "synthetic")}
    assert all(len(found) == 1 for found in orphans.values()), orphans  # staged, never committed
    _assert_previous_run_intact(project, run_1)
    assert cli.main(["-q", "pipeline", "run", str(project / "pipeline.yaml")]) == 0
    _assert_one_consistent_run(project, 2, None)  # the Spark engine splits and samples its own rows
    for table, [folder] in orphans.items():
        assert not (project / "lake" / table / folder).exists()


@pytest.mark.parametrize("failing_commit, written", [(1, []), (2, ["augmented_train"]),
                                                     (4, ["augmented_train", "test", "synthetic"])])
def test_a_failed_commit_says_exactly_what_was_and_was_not_written(project, committed_once, monkeypatch, capsys,
                                                                  failing_commit, written):
    _, run_1 = committed_once
    original, calls = ArrowDeltaSink.commit_all, []

    def failing(self, staged, info):
        calls.append(1)
        if len(calls) == failing_commit:
            raise OSError(28, "No space left on device")
        return original(self, staged, info)

    monkeypatch.setattr(ArrowDeltaSink, "commit_all", failing)
    args = ["-q", "pipeline", "run", str(project / "pipeline.yaml")]
    assert cli.main(args) == 1
    [line] = [x for x in capsys.readouterr().err.splitlines() if x.startswith("genesis: error:")]
    lake = project / "lake"
    order = ["augmented_train", "test", "synthetic", "runs"]
    failed = order[failing_commit - 1]
    assert line.startswith(f"genesis: error: commit: writing {lake / failed} failed: OSError: "
                           "[Errno 28] No space left on device.")
    not_written = ", ".join([str(lake / t) for t in order if t not in written] + [str(project / "augmented.csv")])
    if written:
        done = ", ".join(f"{lake / t} v1" for t in written)
        assert f" Written: {done}. Not written: {not_written}. run 2 is half committed (no runs row): " \
               "read_run still gives the previous run" in line
    else:
        assert line.endswith(f" Nothing written ({not_written} stay as they were).")
    assert all(DeltaTable(str(lake / t)).version() == (1 if t in written else 0) for t in order)
    _assert_previous_run_intact(project, run_1)
    assert not list(project.glob(".augmented.csv.*"))  # the failed run removed its own temporary file

    monkeypatch.setattr(ArrowDeltaSink, "commit_all", original)
    assert cli.main(args) == 0
    _assert_one_consistent_run(project, 2, run_1)
