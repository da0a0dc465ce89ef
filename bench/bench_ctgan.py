"""Ours vs the reference ctgan 0.12.1, same data, same hyper-parameters, same run.

Each side runs in its own subprocess (so peak RSS is its own); the two sides alternate for
``--rounds`` rounds (ours, theirs, ours, theirs, ...) and each figure is the best a side reached,
so a load change on a shared machine does not favour the side that ran in the quiet part.
Measures: training ms/step and rows/s at batch 500 and 4000 (min time of fit(E2) - min time of
fit(E1) over the extra steps, so set-up costs cancel), generate rows/s for 100k rows, transformer
fit+transform rows/s at 50k rows, peak RSS (the largest over the rounds).

    python bench/bench_ctgan.py [--device cpu|cuda] [--threads N] [--rounds 5]
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

EPOCHS = {500: (1, 61), 4000: (1, 11)}
REPEATS = 3  # each fit timed three times, the fastest kept: set-up noise must not leak into per-step figures
GENERATE_ROWS = 100_000
TRANSFORM_ROWS = 50_000


def _ours(device: str):
    from genesis_spark.synth.generator import SyntheticGenerator
    from genesis_spark.synth.transformer import DataTransformer

    def fit(df, epochs, batch):
        cfg = {"epochs": epochs, "batch_size": batch, "device": device, "seed": 0}
        return SyntheticGenerator("ctgan", cfg).fit(df, DISCRETE_COLUMNS)

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

    def fit(df, epochs, batch):
        model = CTGAN(epochs=epochs, batch_size=batch, enable_gpu=device == "cuda")
        model.fit(df, DISCRETE_COLUMNS)
        return model

    def sample(model, n):
        return model.sample(n)

    def transform(df):
        t = DataTransformer()
        t.fit(df, DISCRETE_COLUMNS)
        return t.transform(df)

    return fit, sample, transform


def run_side(side: str, device: str) -> dict:
    """Measure one implementation; returns a dict of figures."""
    warnings.filterwarnings("ignore")
    fit, sample, transform = (_ours if side == "ours" else _theirs)(device)
    rows = fraud_training_rows()
    out: dict = {"side": side, "rows": len(rows)}
    model = None
    for batch, (e1, e2) in EPOCHS.items():
        steps_per_epoch = max(len(rows) // batch, 1)
        fit(rows, 1, batch)  # warm-up
        short, long_ = [], []
        for _ in range(REPEATS):
            with Timer() as t1:
                fit(rows, e1, batch)
            with Timer() as t2:
                model = fit(rows, e2, batch)
            short.append(t1.seconds)
            long_.append(t2.seconds)
        step_s = (min(long_) - min(short)) / ((e2 - e1) * steps_per_epoch)
        out[f"train_ms_per_step_b{batch}"] = step_s * 1e3
        out[f"train_rows_per_s_b{batch}"] = batch / step_s
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
        if key.startswith(("train_ms", "transform_seconds")):
            best[key] = min(values)
        elif key.endswith("rows_per_s") or key.startswith("train_rows"):
            best[key] = max(values)
        elif key == "peak_rss_mib":
            best[key] = max(values)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--threads", type=int, default=0, help="torch threads per side (0: torch's default)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating runs per side; the best figure is kept")
    parser.add_argument("--side", choices=["ours", "theirs"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        import torch

        if args.threads:
            torch.set_num_threads(args.threads)
        print(json.dumps(run_side(args.side, args.device)))
        return
    runs: dict[str, list[dict]] = {"ours": [], "theirs": []}
    for _ in range(args.rounds):
        for side in runs:
            cmd = [sys.executable, __file__, "--side", side, "--device", args.device, "--threads", str(args.threads)]
            proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
            if proc.returncode != 0:
                sys.exit(f"{side} failed:\n{proc.stderr[-3000:]}")
            runs[side].append(json.loads(proc.stdout.strip().splitlines()[-1]))
    results = {side: _best(side_runs) for side, side_runs in runs.items()}
    import platform

    import torch

    print(f"device={args.device} torch={torch.__version__} threads={args.threads or torch.get_num_threads()} "
          f"cpus={os.cpu_count()} machine={platform.machine()} training rows={results['ours']['rows']} "
          f"rounds={args.rounds} load={os.getloadavg()[0]:.1f}")
    metrics = [("train_ms_per_step_b500", "train ms/step, batch 500", False),
               ("train_rows_per_s_b500", "train rows/s, batch 500", True),
               ("train_ms_per_step_b4000", "train ms/step, batch 4000", False),
               ("train_rows_per_s_b4000", "train rows/s, batch 4000", True),
               ("generate_rows_per_s", f"generate rows/s ({GENERATE_ROWS:,} rows)", True),
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
