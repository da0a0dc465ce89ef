"""The spark-submit job: jobs/augment.py through the real spark-submit, and its exit codes."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable

from genesis_spark.datasets import TARGET_COLUMN, write_demo_data
from genesis_spark.job import main

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "conf" / "fraud_augmentation_pipeline.yaml"
SPARK_SUBMIT = Path(sys.executable).parent.parent / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" \
    / "site-packages" / "pyspark" / "bin" / "spark-submit"


def overrides(data: dict, out: Path, epochs: int = 2) -> list[str]:
    """--set arguments pointing the shipped YAML at test folders, with tiny training."""
    items = [f"load_csv.path={data['csv']}", f"lakehouse={out / 'lake'}", f"save_csv.path={out / 'augmented.csv'}",
             f"save_versioned.repo={out / 'versions'}", f"augment_imbalanced.config.epochs={epochs}",
             "augment_imbalanced.config.batch_size=100", "augment_imbalanced.config.block_size=512",
             "evaluate.min_score=0.0"]
    return [arg for item in items for arg in ("--set", item)]


def table(path: Path):
    dt = DeltaTable(str(path))
    return dt.version(), pq.read_table(dt.file_uris())


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("job_data")
    return write_demo_data(folder, n_transactions=2000, seed=5)


@pytest.mark.skipif(not SPARK_SUBMIT.exists(), reason=f"pyspark's spark-submit not found at {SPARK_SUBMIT}")
def test_spark_submit_runs_the_shipped_pipeline_into_versioned_delta_tables(demo, tmp_path):
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable,
           "SPARK_LOCAL_IP": "127.0.0.1"}
    command = [str(SPARK_SUBMIT), "--master", "local[2]", "--conf", "spark.ui.enabled=false",
               "--conf", "spark.sql.shuffle.partitions=2", str(ROOT / "jobs" / "augment.py"),
               "--config", str(CONFIG), "--run-id", "4", *overrides(demo, tmp_path)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    assert "run 4: success" in done.stdout
    for name in ("augmented_train", "test", "synthetic", "runs"):
        assert table(tmp_path / "lake" / name)[0] == 0, name
        # the job ends by printing each Delta table with the version it wrote
        assert re.search(rf"table v0\s+{re.escape(str(tmp_path / 'lake' / name))}\n", done.stdout), done.stdout
    _, train = table(tmp_path / "lake" / "augmented_train")
    _, test = table(tmp_path / "lake" / "test")
    _, synthetic = table(tmp_path / "lake" / "synthetic")
    _, runs = table(tmp_path / "lake" / "runs")
    assert train.num_rows + test.num_rows - synthetic.num_rows == 2000
    share = sum(train.column(TARGET_COLUMN).to_pylist()) / train.num_rows
    assert abs(share - 0.3) < 0.01  # the shipped YAML's ratio
    assert runs.column("engine").to_pylist() == ["spark"] and runs.column("run_id").to_pylist() == [4]
    assert len(runs.column("generator_sha256").to_pylist()[0]) == 64
    # Re-running a run id writing nothing twice is covered in process (tests/test_spark_engine.py).


def test_job_exits_1_and_writes_nothing_when_the_quality_gate_fails(spark, demo, tmp_path, capsys):
    # In process: the job reuses the test run's SparkSession (as it reuses spark-submit's); SMOTE keeps it quick.
    code = main(["--config", str(CONFIG), "--run-id", "1", *overrides(demo, tmp_path),
                 "--set", "augment_imbalanced.strategy=smote", "--set", "evaluate.min_score=1.01"])
    assert code == 1
    assert "min_score" in capsys.readouterr().err
    assert not (tmp_path / "lake").exists() or not any((tmp_path / "lake").rglob("_delta_log"))
    assert not (tmp_path / "augmented.csv").exists()


def test_job_usage_errors_exit_2(capsys):
    assert main(["--run-id", "3"]) == 2  # --config is required
    assert "--config" in capsys.readouterr().err
