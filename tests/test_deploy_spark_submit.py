"""deploy/spark-submit/submit.sh: packs the environment, assembles the cluster command, and runs the
job end to end with spark-submit against local[2] with the embedded Delta sink."""
from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SUBMIT = ROOT / "deploy" / "spark-submit" / "submit.sh"


def _run(args: list[str], tmp_path: Path, timeout: int) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHON": sys.executable}
    env.pop("SPARK_HOME", None)
    return subprocess.run(["bash", str(SUBMIT), *args], capture_output=True, text=True, timeout=timeout,
                          cwd=tmp_path, env=env)


def test_pack_only_builds_the_wheel_and_a_venv_pack_archive(tmp_path):
    proc = _run(["--pack-only", "--work-dir", str(tmp_path / "work"), "--pip-args", "--no-deps --no-index"],
                tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    paths = dict(line.split("=", 1) for line in proc.stdout.split())
    assert Path(paths["WHEEL"]).name == "genesis_spark-0.1.0-py3-none-any.whl"
    with tarfile.open(paths["ENV_ARCHIVE"]) as archive:
        names = archive.getnames()
    assert "bin/python" in names
    assert any(n.endswith("site-packages/genesis_spark/__init__.py") for n in names)
    assert any(n.endswith("site-packages/genesis_spark/spark/session.py") for n in names)


def test_cluster_command_ships_the_environment_and_the_wheel(tmp_path):
    archive = tmp_path / "env.tar.gz"
    archive.write_bytes(b"")
    proc = _run(["--dry-run", "--master", "yarn", "--deploy-mode", "cluster", "--env-archive", str(archive),
                 "--work-dir", str(tmp_path / "work"), "--delta", "--", "--config", "conf/x.yaml", "--run-id", "3"],
                tmp_path, timeout=60)
    assert proc.returncode == 0, proc.stderr[-3000:]
    cmd = proc.stdout.strip()
    assert f"--archives {archive}\\#environment" in cmd or f"--archives {archive}#environment" in cmd
    assert "spark.pyspark.python=./environment/bin/python" in cmd
    assert "spark.yarn.appMasterEnv.PYSPARK_PYTHON=./environment/bin/python" in cmd
    assert "--py-files" in cmd and "genesis_spark-0.1.0-py3-none-any.whl" in cmd
    assert "--packages io.delta:delta-spark_4.2_2.13:4.4.1" in cmd
    assert cmd.endswith("jobs/augment.py --config conf/x.yaml --run-id 3")


def test_bad_usage_fails_with_a_clear_message(tmp_path):
    proc = _run(["--local", "--deploy-mode", "cluster", "--", "--config", "x.yaml"], tmp_path, timeout=30)
    assert proc.returncode == 2
    assert "--local runs the driver here" in proc.stderr
    proc = _run(["--local"], tmp_path, timeout=30)
    assert proc.returncode == 2 and "-- --config FILE.yaml" in proc.stderr


def _read_delta(path: Path):
    import pyarrow.parquet as pq
    from deltalake import DeltaTable

    table = DeltaTable(str(path))
    return table.version(), pq.read_table(table.file_uris()).to_pandas()


def test_local_submit_runs_the_job_and_writes_delta_tables_at_version_0(tmp_path):
    from genesis_spark.datasets import write_demo_data

    write_demo_data(tmp_path / "data", n_transactions=2_000, fraud_rate=0.05, seed=3)
    config = tmp_path / "pipeline.yaml"
    config.write_text("""
name: submit_smoke
engine: spark
sink: embedded
lakehouse: lake
seed: 7
steps:
  - load_csv: {path: data/transactions.csv}
  - split: {target_column: is_fraud, test_size: 0.2}
  - augment_imbalanced:
      target_column: is_fraud
      ratio: 0.1
      discrete_columns: [merchant_category, hour, day_of_week]
      config: {epochs: 1, batch_size: 100, embedding_dim: 16, generator_dim: [32], discriminator_dim: [32]}
""", encoding="utf-8")
    proc = _run(["--local", "--master", "local[2]", "--work-dir", str(tmp_path / "work"),
                 "--", "--config", str(config), "--run-id", "1"], tmp_path, timeout=170)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]

    lake = tmp_path / "lake"
    versions = {}
    for name in ("augmented_train", "test", "synthetic", "runs"):
        versions[name], frame = _read_delta(lake / name)
        assert len(frame) > 0, name
    assert versions == {"augmented_train": 0, "test": 0, "synthetic": 0, "runs": 0}
    _, runs = _read_delta(lake / "runs")
    assert runs["run_id"].tolist() == [1]
    _, train = _read_delta(lake / "augmented_train")
    _, test = _read_delta(lake / "test")
    assert len(test) == pytest.approx(400, abs=5)
    assert train["is_fraud"].mean() == pytest.approx(0.1, abs=0.02)
    _, synthetic = _read_delta(lake / "synthetic")
    assert {"realism", "dcr", "label_prob", "run_id"} <= set(synthetic.columns)
    assert set(synthetic["run_id"]) == {1} and set(synthetic["is_fraud"]) == {1}
