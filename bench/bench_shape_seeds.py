"""Column-shape score of the tutorial fraud rows across model seeds (seed variance of the CTGAN fit).

    .venv/bin/python bench/bench_shape_seeds.py [--epochs 300] [--seeds 0 1 2] [--generator-average 0.5] [--no-calibrate-states]

Tutorial data (make_transactions(50_000), 80/20 stratified split, the 800 fraud rows of the
training split), one fit per model seed, 5,000 rows generated with seed 1; prints per-column
shape scores, values outside the real range, and the share of rows at each column's minimum.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.model_selection import train_test_split

from genesis_spark.datasets import DISCRETE_COLUMNS, make_transactions
from genesis_spark.quality import fidelity
from genesis_spark.synth.generator import SyntheticGenerator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--generator-average", type=float, default=None,
                        help="config['generator_average'] (default: the library's); 0 samples with the last weights")
    parser.add_argument("--no-calibrate-states", action="store_true",
                        help="config['calibrate_states'] = False (sample without the post-training share calibration)")
    args = parser.parse_args()
    df = make_transactions(50_000)
    train, _ = train_test_split(df, test_size=0.2, random_state=42, stratify=df["is_fraud"])
    real = train[train.is_fraud == 1].drop(columns=["is_fraud"]).reset_index(drop=True)
    kinds = {c: ("discrete" if c in DISCRETE_COLUMNS else "continuous") for c in real.columns}
    continuous = [c for c, k in kinds.items() if k == "continuous"]
    means = []
    for seed in args.seeds:
        start = time.perf_counter()
        config = {"epochs": args.epochs, "seed": seed}
        if args.generator_average is not None:
            config["generator_average"] = args.generator_average
        if args.no_calibrate_states:
            config["calibrate_states"] = False
        generator = SyntheticGenerator("ctgan", config).fit(real, DISCRETE_COLUMNS)
        synthetic = generator.generate(5000, seed=1)
        shapes = fidelity.column_shapes(real, synthetic, kinds)
        outside = sum(int(((synthetic[c] < real[c].min()) | (synthetic[c] > real[c].max())).sum()) for c in continuous)
        at_min = {c: f"{(synthetic[c] == real[c].min()).mean():.3f}/{(real[c] == real[c].min()).mean():.3f}"
                  for c in continuous}
        print(f"seed {seed} ({time.perf_counter() - start:.1f}s): "
              + " ".join(f"{r.column}={r.score:.3f}" for r in shapes.itertuples())
              + f" mean={shapes.score.mean():.4f} out_of_range={outside} at_min(syn/real)={at_min}", flush=True)
        means.append(shapes.score.mean())
    print(f"mean over seeds {args.seeds}: {np.mean(means):.4f}")


if __name__ == "__main__":
    main()
