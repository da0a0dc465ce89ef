"""End-to-end spark-submit job on the 50k demo table: wall time per phase (issue 5, benchmark a).

    .venv/bin/python bench/bench_spark_job.py [--rows 50000] [--epochs 300] [--master local[2]]

Writes the demo table to a temporary folder, runs ``spark-submit jobs/augment.py --config
conf/fraud_augmentation_pipeline.yaml`` (paths pointed there with ``--set``; the shipped
YAML's steps, ratio and epochs unless ``--epochs`` is given), then reads the per-step
timings from the ``runs`` Delta table the job wrote and prints them with the total wall time.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPARK_SUBMIT = Path(sys.executable).parent.parent / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" \
    / "site-packages" / "pyspark" / "bin" / "spark-submit"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--epochs", type=int, help="override the YAML's epochs")
    parser.add_argument("--master", default="local[2]")
    args = parser.parse_args()

    import pyarrow.parquet as pq
    from deltalake import DeltaTable

    from genesis_spark.datasets import write_demo_data

    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        data = write_demo_data(out / "data", n_transactions=args.rows)
        sets = [f"load_csv.path={data['csv']}", f"lakehouse={out / 'lake'}", f"save_csv.path={out / 'augmented.csv'}",
                f"save_versioned.repo={out / 'versions'}"]
        if args.epochs:
            sets.append(f"augment_imbalanced.config.epochs={args.epochs}")
        command = [str(SPARK_SUBMIT), "--master", args.master, "--driver-memory", "4g",
                   "--conf", "spark.ui.enabled=false", "--conf", "spark.sql.shuffle.partitions=2",
                   str(ROOT / "jobs" / "augment.py"), "--config", str(ROOT / "conf" / "fraud_augmentation_pipeline.yaml"),
                   "--run-id", "1"] + [a for s in sets for a in ("--set", s)]
        env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}
        started = time.perf_counter()
        proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
        wall = time.perf_counter() - started
        if proc.returncode != 0:
            print(proc.stderr[-4000:], file=sys.stderr)
            return proc.returncode
        runs = DeltaTable(str(out / "lake" / "runs"))
        record = pq.read_table(runs.file_uris()).to_pylist()[0]
        timings = json.loads(record["timings"])
        marker = "augment phases (s): "
        # spark-submit's PythonRunner merges the driver's stderr (our log) into its stdout.
        output = proc.stdout + proc.stderr
        phase_lines = [line.split(marker, 1)[1] for line in output.splitlines() if marker in line]
        augment_phases = json.loads(phase_lines[-1]) if phase_lines else {}
        metrics = json.loads(record["metrics"])
        versions = json.loads(record["versions"])

    epochs = args.epochs or "YAML (300)"
    print(f"spark-submit jobs/augment.py on {args.rows:,} demo rows, {args.master}, epochs {epochs}")
    print(f"{'phase':<24} {'seconds':>8}")
    for phase, seconds in timings.items():
        print(f"{phase:<24} {seconds:>8.1f}")
        if phase.endswith("augment_imbalanced"):
            for sub, sub_seconds in augment_phases.items():
                print(f"{'  - ' + sub:<24} {sub_seconds:>8.1f}")
    accounted = sum(timings.values())
    print(f"{'(all steps)':<24} {accounted:>8.1f}")
    print(f"{'spark-submit wall':<24} {wall:>8.1f}   (JVM + session start-up, Delta commits: "
          f"{wall - accounted:.1f} s)")
    print("metrics: " + ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in metrics.items()))
    print("tables: " + ", ".join(f"{Path(p).name} v{v}" for p, v in versions.items()))
    print(f"load average at the end: {os.getloadavg()[0]:.2f} (other processes share these 2 cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
