"""Benchmark (b): the Spark data layer at scale, on the embedded local session.

A transactions table is generated IN Spark (``spark.range`` + seeded rand expressions
mimicking the demo distributions, ``--fraud-rate`` fraud), written to parquet, then:
read -> profile -> stratified split -> the minority rows of train, capped at
``--max-training-rows`` (a deterministic hash-ordered sample above the cap), to the
driver as Arrow. Prints the time of each phase and the driver's peak memory: the Python
process's peak RSS (``resource.getrusage``) and, separately, the JVM's peak RSS and
used heap. The driver's Python memory must follow the minority sample, not the table.

The generator fit and executor sampling phases belong to the engine (engineer D2's
``bench``), not measured here.

    .venv/bin/python bench/bench_spark_scale.py --rows 1000000
    .venv/bin/python bench/bench_spark_scale.py --rows 10000000 --master 'local[2]'
"""
from __future__ import annotations

import argparse
import math
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from genesis_spark.datasets import FRAUD_HOUR_P, LEGIT_HOUR_P, MERCHANT_CATEGORIES  # noqa: E402

LEGIT_MERCHANT_P = [0.3, 0.25, 0.15, 0.2, 0.1]
FRAUD_MERCHANT_P = [0.1, 0.1, 0.1, 0.5, 0.2]
LOOKUP = 1000  # resolution of the inverse-CDF lookup arrays for categorical draws


def _lookup(values, probabilities):
    """An array column of LOOKUP entries: values repeated by probability (inverse-CDF table)."""
    from pyspark.sql import functions as F

    cumulative = [sum(probabilities[: i + 1]) / sum(probabilities) for i in range(len(probabilities))]
    table = []
    for k in range(LOOKUP):
        u = (k + 0.5) / LOOKUP
        table.append(values[next(i for i, c in enumerate(cumulative) if u <= c + 1e-12)])
    return F.array(*[F.lit(v) for v in table])


def _draw(lookup, u):
    from pyspark.sql import functions as F

    return F.element_at(lookup, (u * LOOKUP).cast("int") + 1)


def transactions_in_spark(spark, rows: int, fraud_rate: float = 0.02, seed: int = 42, partitions: int | None = None):
    """The demo table's distributions as Spark expressions over ``spark.range(rows)`` (deterministic in ``seed``)."""
    from pyspark.sql import functions as F

    partitions = partitions or max(2, math.ceil(rows / 1_000_000) * 2)
    base = spark.range(0, rows, numPartitions=partitions)
    fraud = F.rand(seed) < fraud_rate
    u = [F.rand(seed + k) for k in range(1, 8)]
    z = [F.randn(seed + 10 + k) for k in range(3)]
    poisson = lambda lam, zz: F.greatest(F.lit(1), F.round(F.lit(lam) + math.sqrt(lam) * zz))  # noqa: E731
    hours = list(range(24))
    return base.select(
        F.col("id").alias("transaction_id"),
        fraud.alias("_fraud"), *[x.alias(f"_u{i}") for i, x in enumerate(u)], *[x.alias(f"_z{i}") for i, x in enumerate(z)],
    ).select(
        "transaction_id",
        F.when(F.col("_fraud"), F.least(F.greatest(F.exp(6 + 1.5 * F.col("_z0")), F.lit(100.0)), F.lit(10000.0)))
         .otherwise(F.least(F.greatest(F.exp(4 + 1.0 * F.col("_z0")), F.lit(1.0)), F.lit(5000.0))).alias("amount"),
        F.when(F.col("_fraud"), _draw(_lookup(hours, list(FRAUD_HOUR_P)), F.col("_u0")))
         .otherwise(_draw(_lookup(hours, list(LEGIT_HOUR_P)), F.col("_u0"))).cast("long").alias("hour"),
        F.floor(F.col("_u1") * 7).cast("long").alias("day_of_week"),
        F.when(F.col("_fraud"), _draw(_lookup(MERCHANT_CATEGORIES, FRAUD_MERCHANT_P), F.col("_u2")))
         .otherwise(_draw(_lookup(MERCHANT_CATEGORIES, LEGIT_MERCHANT_P), F.col("_u2"))).alias("merchant_category"),
        F.when(F.col("_fraud"), F.least(-50 * F.log(1 - F.col("_u3")), F.lit(500.0)))
         .otherwise(F.least(-10 * F.log(1 - F.col("_u3")), F.lit(100.0))).alias("distance_from_home"),
        F.when(F.col("_fraud"), F.least(poisson(8, F.col("_z1")), F.lit(50)))
         .otherwise(F.least(poisson(3, F.col("_z1")), F.lit(20))).cast("long").alias("transaction_count_24h"),
        F.col("_fraud").cast("long").alias("is_fraud"),
    )


def minority_sample_to_arrow(train, target: str, minority, columns, cap: int, seed: int):
    """The minority rows of ``train`` (only ``columns``), at most ``cap`` of them: a hash-ordered sample above the cap."""
    from pyspark.sql import functions as F

    rows = train.where(F.col(target) == F.lit(minority)).select(*columns)
    ordered = rows.withColumn("_key", F.xxhash64(F.lit(seed), *[F.col(c) for c in columns]))
    return ordered.orderBy("_key").limit(cap).drop("_key").toArrow()


def _python_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def jvm_memory_mb(spark) -> tuple[float | None, float | None]:
    """(JVM peak RSS from /proc VmHWM, JVM used heap now), in MB; None where not measurable."""
    peak = heap = None
    try:
        pid = spark.sparkContext._gateway.proc.pid
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024
        runtime = spark.sparkContext._jvm.java.lang.Runtime.getRuntime()
        heap = (runtime.totalMemory() - runtime.freeMemory()) / 2**20
    except Exception:  # noqa: BLE001 - Spark Connect / no local JVM
        pass
    return peak, heap


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--fraud-rate", type=float, default=0.02)
    parser.add_argument("--max-training-rows", type=int, default=50_000)
    parser.add_argument("--test-size", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--workdir", default=None, help="where the parquet table goes (default: a temp folder)")
    args = parser.parse_args(argv)

    from genesis_spark.spark.io import read_source
    from genesis_spark.spark.session import get_spark
    from genesis_spark.spark.split import stratified_split
    from genesis_spark.spark.stats import profile

    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="genesis_bench_scale_"))
    source = workdir / "transactions.parquet"
    phases: list[tuple[str, float, float, str]] = []

    def phase(name: str, started: float, note: str = "") -> None:
        phases.append((name, time.perf_counter() - started, _python_peak_mb(), note))

    t = time.perf_counter()
    spark = get_spark(args.master, warehouse=workdir / "warehouse")
    spark.sparkContext.setLogLevel("ERROR")
    phase("session start", t)

    t = time.perf_counter()
    shutil.rmtree(source, ignore_errors=True)
    transactions_in_spark(spark, args.rows, args.fraud_rate, args.seed).write.parquet(str(source))
    size_mb = sum(f.stat().st_size for f in source.glob("*.parquet")) / 2**20
    phase("generate + write parquet", t, f"{size_mb:.0f} MB parquet")

    t = time.perf_counter()
    df, info = read_source(spark, str(source))
    phase("read (lazy)", t, f"{info.format}")

    t = time.perf_counter()
    prof = profile(df, "is_fraud")
    phase("profile (1 agg pass + class counts)", t,
          f"{prof.n_rows:,} rows, minority {prof.class_counts[prof.minority_class]:,}, ID-like: {', '.join(prof.id_like)}")

    t = time.perf_counter()
    train, test, split = stratified_split(df, "is_fraud", args.test_size, args.seed)
    shares = ", ".join(f"{c.label}: {c.test_share:.4f}" for c in split.classes)
    phase("stratified split (hash histogram)", t, f"test shares {shares}")

    t = time.perf_counter()
    minority = minority_sample_to_arrow(train, "is_fraud", prof.minority_class, list(prof.training_columns),
                                        args.max_training_rows, args.seed)
    phase("minority train rows -> driver (Arrow)", t,
          f"{minority.num_rows:,} rows x {minority.num_columns} cols, {minority.nbytes / 2**20:.1f} MB")

    jvm_peak, jvm_heap = jvm_memory_mb(spark)
    print(f"\n## Spark data layer at {args.rows:,} rows ({args.master}, fraud {args.fraud_rate:.0%}, "
          f"cap {args.max_training_rows:,}), {os.cpu_count()} CPUs\n")
    print("| phase | seconds | driver Python peak RSS (MB) | notes |")
    print("|---|---:|---:|---|")
    for name, seconds, peak, note in phases:
        print(f"| {name} | {seconds:.1f} | {peak:.0f} | {note} |")
    total = sum(p[1] for p in phases[2:])
    print(f"| total (read..driver) | {total:.1f} | {_python_peak_mb():.0f} | |")
    jvm = f"{jvm_peak:.0f} MB" if jvm_peak is not None else "n/a"
    heap = f"{jvm_heap:.0f} MB" if jvm_heap is not None else "n/a"
    print(f"\nJVM (driver + local executors, one process): peak RSS {jvm}, used heap at the end {heap} "
          f"(spark.driver.memory caps the heap).")
    spark.stop()
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
