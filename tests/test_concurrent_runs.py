"""Concurrent runs against one lakehouse: two real processes that reach their commit together either both land
as consecutive, consistent versions, or the later one fails with one line and writes nothing; runs without
``--run-id`` that lose the race take the next free id and land."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from deltalake import DeltaTable

from genesis_spark import cli, read_run
from genesis_spark.datasets import make_transactions
from genesis_spark.delta import committed_runs

APP = "genesis_spark:race"
TABLES = ("augmented_train", "test", "synthetic", "runs")

#: Test-side launcher: the genesis CLI, with ``Pipeline._commit`` wrapped so that this process waits at the
#: door of its commit until the other process got there too (both ran every step; the race is then real),
#: or, with ``wait_for`` "done", until the other one finished its commit.
RACER = '''
import os, sys, time

me, other, wait_for = sys.argv[1], sys.argv[2], sys.argv[3]
from genesis_spark.pipeline.pipeline import Pipeline

original = Pipeline._commit


def at_the_door(self, *args, **kwargs):
    open(me, "w").close()
    awaited = other if wait_for == "door" else other + ".done"
    deadline = time.monotonic() + 300
    while not os.path.exists(awaited) and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        return original(self, *args, **kwargs)
    finally:
        open(me + ".done", "w").close()


Pipeline._commit = at_the_door
from genesis_spark.cli import main

sys.exit(main(sys.argv[4:]))
'''

YAML = """
name: race
lakehouse: lake
engine: pandas
seed: 5
steps:
  - load_csv: {path: transactions.csv}
  - split: {target_column: is_fraud, seed: 3}
  - augment_imbalanced: {target_column: is_fraud, ratio: 0.2, strategy: smote}
  - save_csv: {path: augmented.csv}
"""


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A project whose lakehouse holds run 1."""
    folder = tmp_path_factory.mktemp("race_template")
    make_transactions(800, fraud_rate=0.05, seed=9).to_csv(folder / "transactions.csv", index=False)
    (folder / "pipeline.yaml").write_text(YAML)
    assert cli.main(["-q", "pipeline", "run", str(folder / "pipeline.yaml")]) == 0
    return folder


@pytest.fixture()
def project(template, tmp_path):
    shutil.copytree(template, tmp_path / "p")
    return tmp_path / "p"


def _race(project: Path, *run_ids: int | None, first_waits: bool = False) -> list[subprocess.CompletedProcess]:
    """Start one process per run id at once (None: no ``--run-id``), each saving its own CSV; wait for both.

    ``first_waits``: the first process commits only after the second one committed.
    """
    launcher = project.parent / "racer.py"
    launcher.write_text(RACER)
    doors = [project.parent / f"door-{i}" for i in range(len(run_ids))]
    processes = []
    for i, run_id in enumerate(run_ids):
        wait_for = "done" if first_waits and i == 0 else "door"
        args = [sys.executable, str(launcher), str(doors[i]), str(doors[1 - i]), wait_for, "-q", "pipeline", "run",
                str(project / "pipeline.yaml"), "--set", f"save_csv.path=out-{i}.csv"]
        if run_id is not None:
            args += ["--run-id", str(run_id)]
        processes.append(subprocess.Popen(args, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                          text=True))
    results = []
    for process in processes:
        out, err = process.communicate(timeout=600)
        results.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    return results


def _versions_hold_one_run_each(project: Path) -> dict[int, int]:
    """``{run_id: augmented_train version}``, after checking each version of each data table holds one run."""
    lake = project / "lake"
    for name in ("augmented_train", "test", "synthetic"):
        for run, version in committed_runs(lake / name, APP).items():
            rows = DeltaTable(str(lake / name), version=version).to_pandas()
            assert set(rows["run_id"]) == {run}, (name, version)
    return committed_runs(lake / "augmented_train", APP)


@pytest.mark.parametrize("run_3_first", [False, True], ids=["together", "run-3-commits-first"])
def test_two_runs_with_different_ids_both_land_in_order_or_the_later_fails_writing_nothing(project, run_3_first):
    first, second = _race(project, 2, 3, first_waits=run_3_first)
    lake = project / "lake"
    runs = sorted(DeltaTable(str(lake / "runs")).to_pandas()["run_id"])
    if not run_3_first and first.returncode == 0:  # run 2 committed first, then run 3 on top: consecutive versions
        assert second.returncode == 0, second.stderr
        assert runs == [1, 2, 3]
        assert _versions_hold_one_run_each(project) == {1: 0, 2: 1, 3: 2}
        assert (project / "out-0.csv").exists() and (project / "out-1.csv").exists()
    else:  # run 3 committed first: run 2 may not go below it
        assert second.returncode == 0, second.stderr
        [line] = [x for x in first.stderr.splitlines() if x.startswith("genesis: error:")]
        assert line.startswith("genesis: error: run id 2 is below run 3, already committed to ")
        assert line.endswith("use --run-id 4 or omit --run-id. Nothing written.")
        assert first.returncode == 1 and runs == [1, 3]
        assert _versions_hold_one_run_each(project) == {1: 0, 3: 1}
        assert all(DeltaTable(str(lake / t)).version() == 1 for t in TABLES)  # one version: the winner's
        assert not (project / "out-0.csv").exists() and (project / "out-1.csv").exists()
    assert list(project.glob(".out-*")) == []  # no temporary file of either run
    assert read_run(lake).run_id == 3


def test_two_runs_without_a_run_id_both_land_the_later_one_as_the_next_free_id(project):
    results = _race(project, None, None)
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    said = sorted(line for r in results for line in r.stdout.splitlines() if line.startswith("pipeline 'race' run"))
    assert said == ["pipeline 'race' run 2: success", "pipeline 'race' run 3: success"]
    lake = project / "lake"
    assert sorted(DeltaTable(str(lake / "runs")).to_pandas()["run_id"]) == [1, 2, 3]
    assert _versions_hold_one_run_each(project) == {1: 0, 2: 1, 3: 2}  # no run lost, none merged
    assert all(DeltaTable(str(lake / t)).version() == 2 for t in TABLES)
    run = read_run(lake)
    assert run.run_id == 3 and run.versions == {"augmented_train": 2, "test": 2, "synthetic": 2}
    assert (project / "out-0.csv").exists() and (project / "out-1.csv").exists()
