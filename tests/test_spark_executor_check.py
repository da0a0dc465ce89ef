"""A user's own SparkSession whose executors cannot import genesis_spark: one line before any training.

The executors get a Python that cannot import genesis_spark (a sitecustomize on their PYTHONPATH hides
it), as on a session started without PYSPARK_PYTHON; a separate process, since a JVM holds one context.
"""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from genesis_spark.datasets import make_transactions

BLOCKER = '''import sys


class _HideGenesis:
    def find_spec(self, name, path=None, target=None):
        if name == "genesis_spark" or name.startswith("genesis_spark."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, _HideGenesis())
'''


def test_executors_without_the_package_fail_in_one_line_before_training(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(BLOCKER)
    worker = tmp_path / "worker-python"
    worker.write_text(f'#!/bin/sh\nexport PYTHONPATH="{blocker}:$PYTHONPATH"\nexec {sys.executable} "$@"\n')
    worker.chmod(worker.stat().st_mode | stat.S_IEXEC)
    make_transactions(1_000, fraud_rate=0.05, seed=1).to_csv(tmp_path / "t.csv", index=False)
    (tmp_path / "p.yaml").write_text(f"""
name: executors
engine: spark
steps:
  - load_csv: {{path: {tmp_path / 't.csv'}}}
  - augment_imbalanced: {{target_column: is_fraud, ratio: 0.2, config: {{epochs: 1}}}}
  - save_csv: {{path: {tmp_path / 'out.csv'}}}
""")
    env = {**os.environ, "PYSPARK_PYTHON": str(worker), "GENESIS_SPARK_MASTER": "local[1]"}
    done = subprocess.run([sys.executable, "-m", "genesis_spark.cli", "pipeline", "run", str(tmp_path / "p.yaml")],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr[-3000:]
    errors = [line for line in done.stderr.splitlines() if line.startswith("genesis: error:")]
    assert len(errors) == 1, done.stderr[-3000:]
    line = errors[0]
    assert "The Spark executors cannot import 'genesis_spark'" in line and "set PYSPARK_PYTHON" in line
    assert len(line) < 600  # no Java stack frames
    assert "fitting ctgan" not in done.stderr  # it failed before training
    assert not Path(tmp_path / "out.csv").exists()
