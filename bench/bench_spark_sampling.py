"""Executor sampling + scoring throughput, local[1] vs local[2] (issue 5, benchmark c).

    .venv/bin/python bench/bench_spark_sampling.py [--blocks 48] [--block-size 4096] [--epochs 10]

The parent fits one generator on the fraud rows of the 50k demo table and saves its
artifact; then each master runs in its own subprocess (its own SparkSession): a warm-up
pass (Python workers start, import torch, load the artifact), then a timed pass that
draws and scores ``blocks x block_size`` rows in one ``mapInPandas`` stage (8 tasks
either way) and counts them. Prints rows/s per master and the local[2] / local[1] ratio.
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

CHILD = r"""
import json, sys, time
from pyspark.sql import functions as F
from genesis_spark.datasets import DISCRETE_COLUMNS, make_transactions
from genesis_spark.spark.session import get_spark
from genesis_spark.core.blocks import ACCEPTED, SamplingConfig
from genesis_spark.spark.sampling import sample_blocks
from genesis_spark.core.scoring import RowScorer
from genesis_spark.synth.generator import SyntheticGenerator

master, artifact, blocks, block_size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
spark = get_spark(master)
generator = SyntheticGenerator.load(artifact)
data = make_transactions(50_000, 0.02, 42)
fraud = data[data.is_fraud == 1].drop(columns="is_fraud").reset_index(drop=True)
label_sample = data.sample(20_000, random_state=0)
scorer = RowScorer.build(fraud, label_sample, "is_fraud", 1, DISCRETE_COLUMNS, seed=0)
schema = spark.createDataFrame(fraud.head(5)).schema
config = SamplingConfig(block_size=block_size, num_partitions=8)

def one_pass(start, n):
    df = sample_blocks(spark, generator, schema, start, n, 7, scorer, config)
    t = time.perf_counter()
    row = df.agg(F.count(F.lit(1)).alias("n"), F.sum(F.col(ACCEPTED).cast("long")).alias("kept")).first()
    return time.perf_counter() - t, row["n"], row["kept"]

one_pass(10_000, 8)  # warm-up: workers start, import torch, deserialise the artifact once
seconds, rows, kept = one_pass(0, blocks)
print(json.dumps({"master": master, "seconds": seconds, "rows": rows, "kept": kept}))
spark.stop()
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=48)
    parser.add_argument("--block-size", type=int, default=4096)
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()

    from genesis_spark.datasets import DISCRETE_COLUMNS, make_transactions
    from genesis_spark.synth.generator import SyntheticGenerator

    data = make_transactions(50_000, 0.02, 42)
    fraud = data[data.is_fraud == 1].drop(columns="is_fraud").reset_index(drop=True)
    started = time.perf_counter()
    generator = SyntheticGenerator("ctgan", {"epochs": args.epochs, "seed": 1, "device": "cpu"}).fit(
        fraud, discrete_columns=DISCRETE_COLUMNS)
    print(f"generator: {len(fraud)} fraud rows, {args.epochs} epochs, fitted in {time.perf_counter() - started:.1f} s")
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        artifact = Path(folder) / "fraud.gen"
        generator.save(artifact)
        for master in ("local[1]", "local[2]"):
            proc = subprocess.run([sys.executable, "-c", CHILD, master, str(artifact), str(args.blocks),
                                   str(args.block_size)], env=env, capture_output=True, text=True, timeout=600)
            if proc.returncode != 0:
                print(proc.stderr[-3000:], file=sys.stderr)
                return 1
            results[master] = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"\nsampling + scoring (realism, dcr, label_prob), {args.blocks} blocks x {args.block_size} rows, "
          "8 tasks, 1 torch thread per task")
    print(f"{'master':<10} {'rows':>10} {'kept':>10} {'seconds':>9} {'rows/s':>10}")
    for master, r in results.items():
        print(f"{master:<10} {r['rows']:>10,} {r['kept']:>10,} {r['seconds']:>9.2f} {r['rows'] / r['seconds']:>10,.0f}")
    one, two = (results[m]["rows"] / results[m]["seconds"] for m in ("local[1]", "local[2]"))
    print(f"speed-up local[2] / local[1]: {two / one:.2f}x (target >= 1.7x)")
    print(f"load average at the end: {os.getloadavg()[0]:.2f} (other processes share these 2 cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
