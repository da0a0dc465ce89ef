"""Benchmark: the real job at scale on local[2], from a large Parquet source to ~1M synthetic rows in Delta.

The source (the tutorial's columns, ``--rows`` of them, ``--fraud-rate`` fraud) is generated
IN Spark (``bench_spark_scale.transactions_in_spark``) and written to Parquet by a separate
process. Then this process runs the job exactly as a user does: a YAML pipeline through
``genesis pipeline run`` (``genesis_spark.cli.main``, in-process so that its driver memory
can be watched), on an embedded ``--master`` session:

    load_parquet -> analyze -> split -> augment_imbalanced (CTGAN on the capped minority
    sample, executors sample + score) -> commit of augmented_train, test, synthetic, runs

``ratio`` is chosen so that about ``--synthetic-rows`` synthetic rows are accepted. The wall
time of each phase comes from the pipeline itself (the ``runs`` row's timings and the
``augment_*_s`` metrics); a sampler thread records the driver Python process's RSS, the JVM
child's RSS and the executors' Python workers' RSS every 0.5 s, so each phase gets its own
peak. The Delta tables are then read back with delta-rs (not Spark): rows and version of each.

    .venv/bin/python bench/bench_scale_job.py --rows 1000000 --synthetic-rows 100000
    .venv/bin/python bench/bench_scale_job.py --rows 10000000 --synthetic-rows 1000000 --epochs 30
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

TARGET = "is_fraud"
DISCRETE = ["merchant_category", "hour", "day_of_week"]
TEST_SIZE = 0.2


# --------------------------------------------------------------------------- memory from /proc (no psutil here)

def _status_kb(pid: int | str, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _descendants(pid: int) -> list[tuple[int, str]]:
    """(pid, command name) of every descendant process of ``pid``."""
    parents: dict[int, list[tuple[int, str]]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1: stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        parents.setdefault(ppid, []).append((int(entry.name), name))
    out, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            out.append(child)
            todo.append(child[0])
    return out


@dataclass
class MemorySampler:
    """Samples (time, driver Python RSS, JVM RSS, executor Python workers' RSS, load) in a thread; MB.

    The process tree is rescanned every ``rescan`` seconds (a walk of /proc); in between only the
    known processes' status files are read, so the sampler costs the driver next to nothing.
    """

    interval: float = 0.5
    rescan: float = 10.0
    samples: list[tuple[float, float, float, float, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me, children, scanned = os.getpid(), [], 0.0
        while not self._stop.is_set():
            now = time.time()
            if now - scanned >= self.rescan:
                children, scanned = _descendants(me), now
            python = _status_kb(me, "VmRSS") / 1024
            jvm = workers = 0.0
            for pid, name in children:
                rss = _status_kb(pid, "VmRSS") / 1024
                if name == "java":
                    jvm += rss
                elif name.startswith("python"):
                    workers += rss
            self.samples.append((now, python, jvm, workers, os.getloadavg()[0]))
            self._stop.wait(self.interval)

    def start(self) -> "MemorySampler":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def peaks(self, start: float, end: float) -> tuple[float, float, float]:
        """Peak (driver Python, JVM, executor Python workers) RSS within [start, end]."""
        inside = [s for s in self.samples if start <= s[0] <= end] or \
            [min(self.samples, key=lambda s: abs(s[0] - end))]
        return tuple(max(s[i] for s in inside) for i in (1, 2, 3))  # type: ignore[return-value]

    def load(self) -> tuple[float, float, float]:
        values = [s[4] for s in self.samples]
        return min(values), sum(values) / len(values), max(values)


class LogTimes(logging.Handler):
    """Keeps (time, message) of every genesis_spark log record: the phase boundaries of the run."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[tuple[float, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.created, record.getMessage()))

    def first(self, prefix: str) -> float | None:
        return next((t for t, m in self.records if m.startswith(prefix)), None)

    def last(self, prefix: str) -> float | None:
        return next((t for t, m in reversed(self.records) if m.startswith(prefix)), None)


# --------------------------------------------------------------------------- the source (own process)

def write_source(path: Path, rows: int, fraud_rate: float, seed: int, master: str) -> None:
    """Generate the table in Spark and write it as Parquet; prints one JSON line (time, size, peaks)."""
    from bench_spark_scale import jvm_memory_mb, transactions_in_spark

    from genesis_spark.spark.session import get_spark

    started = time.perf_counter()
    spark = get_spark(master, warehouse=path.parent / "warehouse")
    spark.sparkContext.setLogLevel("ERROR")
    shutil.rmtree(path, ignore_errors=True)
    transactions_in_spark(spark, rows, fraud_rate, seed).drop("transaction_id").write.parquet(str(path))
    seconds = time.perf_counter() - started
    jvm_peak, _ = jvm_memory_mb(spark)
    size = sum(f.stat().st_size for f in path.glob("*.parquet")) / 2**20
    files = len(list(path.glob("*.parquet")))
    spark.stop()
    stats = json.dumps({"seconds": seconds, "mb": size, "files": files, "jvm_peak_mb": jvm_peak,
                        "python_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
    (path.parent / "source.json").write_text(stats)  # for --reuse-source
    print(stats)


# --------------------------------------------------------------------------- the job

def ratio_for(rows: int, fraud_rate: float, synthetic: int) -> float:
    """The ratio that asks for about ``synthetic`` new minority rows in the training split (expected counts)."""
    train = rows * (1 - TEST_SIZE)
    minority = train * fraud_rate
    return (minority + synthetic) / (train + synthetic)


def pipeline_yaml(source: Path, lakehouse: Path, ratio: float, epochs: int, max_training_rows: int) -> str:
    config = {"epochs": epochs, "max_training_rows": max_training_rows}
    return "\n".join([
        "name: scale_job",
        "description: 10M-row source to ~1M synthetic rows (bench/bench_scale_job.py)",
        "engine: spark",
        f"lakehouse: {lakehouse}",
        "sink: auto",
        "steps:",
        f"  - load_parquet: {{path: {source}}}",
        f"  - analyze: {{target_column: {TARGET}, report: false}}",
        f"  - split: {{target_column: {TARGET}, test_size: {TEST_SIZE}, seed: 42}}",
        "  - augment_imbalanced:",
        f"      target_column: {TARGET}",
        f"      ratio: {ratio:.8f}",
        "      strategy: oversample",
        f"      discrete_columns: [{', '.join(DISCRETE)}]",
        f"      config: {json.dumps(config)}",
        "",
    ])


def _delta_tables(lakehouse: Path) -> dict[str, tuple[int, int, int]]:
    """``{table: (rows, version, files)}`` read with delta-rs (no Spark)."""
    from deltalake import DeltaTable

    out = {}
    for folder in sorted(p for p in lakehouse.iterdir() if (p / "_delta_log").is_dir()):
        table = DeltaTable(str(folder))
        out[folder.name] = (table.to_pyarrow_dataset().count_rows(), table.version(), len(table.file_uris()))
    return out


def _runs_row(lakehouse: Path) -> dict:
    from deltalake import DeltaTable

    rows = DeltaTable(str(lakehouse / "runs")).to_pyarrow_table().to_pylist()
    return rows[-1]


def _as_dict(value) -> dict:
    """A ``runs`` map column as a dict (delta-rs gives a list of (key, value) pairs)."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        return json.loads(value)
    return dict(value or [])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--synthetic-rows", type=int, default=1_000_000, help="about this many accepted rows")
    parser.add_argument("--fraud-rate", type=float, default=0.02)
    parser.add_argument("--epochs", type=int, default=30, help="CTGAN epochs (library default: 300)")
    parser.add_argument("--max-training-rows", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--workdir", help="source, YAML and lakehouse go here (default: a temp folder, removed)")
    parser.add_argument("--reuse-source", action="store_true", help="keep an existing source of --workdir")
    parser.add_argument("--write-source", help=argparse.SUPPRESS)  # internal: the source-writing process
    args = parser.parse_args(argv)

    if args.write_source:
        write_source(Path(args.write_source), args.rows, args.fraud_rate, args.seed, args.master)
        return 0

    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="genesis_scale_job_")).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    source, lakehouse = workdir / "transactions.parquet", workdir / "lakehouse"
    shutil.rmtree(lakehouse, ignore_errors=True)
    load_start = os.getloadavg()[0]

    # 1. source write, in its own process (its JVM is not the job's)
    if args.reuse_source and (workdir / "source.json").is_file():
        written = {**json.loads((workdir / "source.json").read_text()), "reused": True}
    else:
        proc = subprocess.run([sys.executable, __file__, "--write-source", str(source), "--rows", str(args.rows),
                               "--fraud-rate", str(args.fraud_rate), "--seed", str(args.seed), "--master",
                               args.master], capture_output=True, text=True)
        if proc.returncode != 0:
            print(proc.stderr[-4000:], file=sys.stderr)
            return proc.returncode
        written = json.loads(proc.stdout.strip().splitlines()[-1])

    # 2. the job: `genesis pipeline run job.yaml --master local[2] --run-id 1`, in this process
    ratio = ratio_for(args.rows, args.fraud_rate, args.synthetic_rows)
    config_path = workdir / "job.yaml"
    config_path.write_text(pipeline_yaml(source, lakehouse, ratio, args.epochs, args.max_training_rows))
    from genesis_spark.cli import main as genesis

    logs = LogTimes()
    logging.getLogger("genesis_spark").addHandler(logs)
    sampler = MemorySampler().start()
    before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.time()
    status = genesis(["pipeline", "run", str(config_path), "--master", args.master, "--run-id", "1"])
    ended = time.time()
    sampler.stop()
    if status != 0:
        print(f"genesis pipeline run failed with status {status}", file=sys.stderr)
        return status
    python_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    # 3. what the pipeline recorded, and the tables through delta-rs
    record = _runs_row(lakehouse)
    timings = {k: float(v) for k, v in _as_dict(record["timings"]).items()}
    metrics = _as_dict(record["metrics"])
    tables = _delta_tables(lakehouse)

    def metric(name: str) -> float:
        return float(metrics.get(name, 0.0))

    step = {k.split(".", 1)[1]: v for k, v in timings.items() if "." in k}
    augment_phases = {p: metric(f"augment_{p}_s") for p in ("collect", "fit", "label_model", "sampling")}
    augment_setup = step["augment_imbalanced"] - sum(augment_phases.values())
    # Phase windows: steps from their "step i/n" log records, augment phases back from the augment's last log.
    step_start = {name: logs.first(f"step {i}/") for i, name in enumerate(step, start=1)}
    augment_end = logs.last("augmented ") or (step_start["augment_imbalanced"] + step["augment_imbalanced"])
    bounds = {}
    t = augment_end
    for p in ("sampling", "label_model", "fit", "collect"):
        bounds[p] = (t - augment_phases[p], t)
        t -= augment_phases[p]
    commit_end = logs.last("pipeline 'scale_job' run 1 succeeded") or ended
    # The runs row is written inside the commit, so its timings stop before it: the commit is the rest.
    commit_start = step_start["augment_imbalanced"] + step["augment_imbalanced"]
    timings.setdefault("commit", commit_end - commit_start)
    n_rows = int(metric("input_rows"))
    train_rows, test_rows = int(metric("train_rows")), int(metric("test_rows"))
    synthetic = int(metric("synthetic_rows"))
    acceptance = [f"{k[len('acceptance_rate_'):]}: {float(v):.3f}" for k, v in metrics.items()
                  if k.startswith("acceptance_rate_")]

    rows = [("source write (own process: generate in Spark + Parquet)", written["seconds"],
             (written["python_peak_mb"], written["jvm_peak_mb"], None),
             f"{args.rows:,} rows, {written['mb']:.0f} MB, {written['files']} files" +
             (" (written earlier by --write-source)" if written.get("reused") else ""))]

    def add(name: str, seconds: float, start: float, end: float, note: str = "") -> None:
        rows.append((name, seconds, sampler.peaks(start, end), note))

    read_s = step["load_parquet"] + step["analyze"]
    add("read + profile (load_parquet count, analyze)", read_s, step_start["load_parquet"],
        step_start["load_parquet"] + read_s, f"{n_rows:,} rows")
    add("split (stratified, + train/test counts)", step["split"], step_start["split"],
        step_start["split"] + step["split"], f"train {train_rows:,}, test {test_rows:,}")
    add("augment set-up (class counts, ID-like check)", augment_setup, step_start["augment_imbalanced"],
        bounds["collect"][0], f"ratio {ratio:.4f}")
    add("minority sample -> driver (Arrow)", augment_phases["collect"], *bounds["collect"],
        f"capped at {args.max_training_rows:,} rows")
    add("training (CTGAN on the driver)", augment_phases["fit"], *bounds["fit"],
        f"{args.epochs} epochs (default 300), CPU")
    add("label model (bounded sample of the other classes)", augment_phases["label_model"], *bounds["label_model"])
    add("sampling + scoring (executors, mapInPandas)", augment_phases["sampling"], *bounds["sampling"],
        f"{synthetic:,} accepted; acceptance {', '.join(acceptance)}")
    add("Delta write + commit (4 tables, embedded sink)", timings["commit"], commit_start, commit_end,
        "augmented_train, test, synthetic, runs")
    job_s = sum(timings.values())
    add("total (pipeline steps + commit)", job_s, started, ended, f"CLI wall {ended - started:.1f} s incl. session start")

    load_min, load_mean, load_max = sampler.load()
    print(f"\n## The job at scale: {args.rows:,}-row Parquet source -> {synthetic:,} synthetic rows in Delta "
          f"({args.master}, {os.cpu_count()} CPUs)\n")
    print(f"    genesis pipeline run {config_path.name} --master {args.master} --run-id 1  "
          f"(ratio {ratio:.4f}, epochs {args.epochs}, max_training_rows {args.max_training_rows:,})\n")
    print("| phase | wall s | driver Python peak RSS (MB) | JVM peak RSS (MB) | executor Python workers peak RSS (MB) | notes |")
    print("|---|---:|---:|---:|---:|---|")

    def mb(value) -> str:
        return "n/a" if value is None else f"{value:.0f}"

    for name, seconds, (py, jvm, workers), note in rows:
        print(f"| {name} | {seconds:.1f} | {mb(py)} | {mb(jvm)} | {mb(workers)} | {note} |")
    print(f"\nDriver Python process: peak RSS {python_peak:.0f} MB over the whole job (ru_maxrss; "
          f"{before_mb:.0f} MB before the job, imports only).")
    print("\n| Delta table (read with delta-rs) | rows | version | files |")
    print("|---|---:|---:|---:|")
    for name, (count, version, files) in tables.items():
        print(f"| {name} | {count:,} | {version} | {files} |")
    expected = {"augmented_train": train_rows + synthetic, "test": test_rows, "synthetic": synthetic}
    mismatched = [f"{k}: {tables.get(k, (None,))[0]} != {v}" for k, v in expected.items()
                  if tables.get(k, (None,))[0] != v]
    print("\nrow counts " + ("match the pipeline's metrics (train + synthetic, test, synthetic)" if not mismatched
                             else "DIFFER: " + "; ".join(mismatched)))
    print(f"load average (1 min) during the job: min {load_min:.2f}, mean {load_mean:.2f}, max {load_max:.2f} "
          f"(at the start: {load_start:.2f}; other processes share these {os.cpu_count()} cores)")
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if mismatched else 0


if __name__ == "__main__":
    sys.exit(main())
