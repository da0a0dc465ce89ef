"""The sweep of temporary files killed runs left beside a run's file targets (pipeline.locks.sweep_temp_files)."""
from __future__ import annotations

import os
import time

from genesis_spark.pipeline.context import StagedFile
from genesis_spark.pipeline.locks import sweep_temp_files


def _aged(path, seconds: float):
    old = time.time() - seconds
    os.utime(path, (old, old))
    return path


def test_a_killed_runs_temp_file_and_spark_csv_scratch_folder_are_swept_and_this_runs_are_kept(tmp_path):
    final = tmp_path / "augmented.csv"
    own = tmp_path / ".augmented.csv.0000aaaa.tmp.csv"
    own.write_text("mine")
    own_scratch = tmp_path / "..augmented.csv.0000aaaa.tmp.csv.1111bbbb.parts"  # this run's Spark write in progress
    own_scratch.mkdir()
    killed_file = tmp_path / ".augmented.csv.deadbeef.tmp.csv"
    killed_file.write_text("theirs")
    _aged(killed_file, 10)
    killed_scratch = tmp_path / "..augmented.csv.deadbeef.tmp.csv.c0ffee00.parts"
    killed_scratch.mkdir()
    (killed_scratch / "part-00000.csv").write_text("a,b\n")
    _aged(killed_scratch, 10)
    young = tmp_path / ".augmented.csv.feedf00d.tmp.csv"  # another live run's, younger than the age guard
    young.write_text("live")
    unrelated = tmp_path / ".other.csv.deadbeef.tmp.csv"
    unrelated.write_text("not ours")
    _aged(unrelated, 10)

    removed = sweep_temp_files([StagedFile(own, final, "csv_path")], min_age_seconds=5)

    assert sorted(removed) == sorted([str(killed_file), str(killed_scratch)])
    assert own.exists() and own_scratch.exists() and young.exists() and unrelated.exists()
    assert not killed_file.exists() and not killed_scratch.exists()
