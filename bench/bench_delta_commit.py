"""Benchmark (d): the embedded Delta commit vs ``write_deltalake`` from the driver, same rows.

* embedded: Spark writes the parquet files under the table folder, the driver reads their
  footers and commits them as one Delta version with delta-rs (``EmbeddedDeltaSink``);
* driver: the rows are collected to the driver as Arrow (``DataFrame.toArrow``) and
  written with ``deltalake.write_deltalake``.

Both start from the same parquet source (a transactions table generated in Spark), and
each runs in its own process so that its peak memory is its own: wall time of the write,
the Python driver's peak RSS, and the JVM's peak RSS (VmHWM).

    .venv/bin/python bench/bench_delta_commit.py --rows 2000000
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))


def _session(workdir: Path, master: str):
    from genesis_spark.spark.session import get_spark

    spark = get_spark(master, warehouse=workdir / "warehouse")
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def run_one(approach: str, source: str, table: str, master: str, workdir: Path) -> dict:
    """Write ``source`` (parquet) to the Delta table ``table`` one way; return timings and memory."""
    from bench_spark_scale import jvm_memory_mb

    from genesis_spark.delta import CommitInfo, table_version

    spark = _session(workdir, master)
    df = spark.read.parquet(source)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    info = CommitInfo(app_id="bench:delta_commit", run_id=1, message=approach)
    t = time.perf_counter()
    if approach == "embedded":
        from genesis_spark.spark.sink import EmbeddedDeltaSink

        sink = EmbeddedDeltaSink(spark)
        staged = sink.stage(table, df, "overwrite")
        t_staged = time.perf_counter() - t
        sink.commit_all([staged], info)
        detail = f"Spark write {t_staged:.1f} s + footers/commit {time.perf_counter() - t - t_staged:.1f} s"
    else:
        from deltalake import CommitProperties, Transaction, write_deltalake

        data = df.toArrow()
        t_collect = time.perf_counter() - t
        write_deltalake(table, data, mode="overwrite", commit_properties=CommitProperties(
            custom_metadata=info.metadata(), app_transactions=[Transaction(info.app_id, info.run_id)]))
        detail = f"toArrow {t_collect:.1f} s ({data.nbytes / 2**20:.0f} MB) + write_deltalake " \
                 f"{time.perf_counter() - t - t_collect:.1f} s"
    seconds = time.perf_counter() - t
    jvm_peak, _ = jvm_memory_mb(spark)
    import pyarrow.parquet as pq
    from deltalake import DeltaTable

    files = DeltaTable(table).file_uris()
    rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    result = {"approach": approach, "seconds": seconds, "python_peak_mb": resource.getrusage(
        resource.RUSAGE_SELF).ru_maxrss / 1024, "python_before_mb": before, "jvm_peak_mb": jvm_peak,
        "rows": rows, "files": len(files), "version": table_version(table), "detail": detail}
    spark.stop()
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--approach", choices=["embedded", "driver"], help=argparse.SUPPRESS)
    parser.add_argument("--source", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="genesis_bench_delta_"))

    if args.approach:  # child process: one measurement, JSON on the last stdout line
        result = run_one(args.approach, args.source, str(workdir / f"table_{args.approach}"), args.master, workdir)
        print(json.dumps(result))
        return 0

    from bench_spark_scale import transactions_in_spark

    source = workdir / "source.parquet"
    spark = _session(workdir, args.master)
    transactions_in_spark(spark, args.rows, 0.02, args.seed, partitions=4).write.mode("overwrite").parquet(str(source))
    spark.stop()
    results = []
    for approach in ("embedded", "driver"):
        out = subprocess.run([sys.executable, __file__, "--approach", approach, "--source", str(source),
                              "--rows", str(args.rows), "--master", args.master, "--workdir", str(workdir)],
                             capture_output=True, text=True, check=True)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"\n## Delta write of {args.rows:,} rows ({args.master}): embedded commit vs write_deltalake on the driver\n")
    print("| approach | write seconds | driver Python peak RSS (MB) | JVM peak RSS (MB) | files | rows | version | breakdown |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        jvm = f"{r['jvm_peak_mb']:.0f}" if r["jvm_peak_mb"] is not None else "n/a"
        print(f"| {r['approach']} | {r['seconds']:.1f} | {r['python_peak_mb']:.0f} (before: {r['python_before_mb']:.0f}) "
              f"| {jvm} | {r['files']} | {r['rows']:,} | {r['version']} | {r['detail']} |")
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
