"""The scorer's nearest-row searches with and without the keyed step, per table (issue 16 point 1).

    .venv/bin/python bench/bench_nearest.py [--blocks 8] [--block-size 4096] [--epochs 30] [--rounds 5]
                                            [--tables HMDA attrition ...]

``dcr`` searches the real minority training rows and ``class_margin`` the other classes' rows of the
label sample, for every synthetic row. Both searches are exact; with the keyed step
(``NearestReal.of(..., layout=encoder.one_hot_layout())``) a query is first compared with the
reference rows of its own discrete values, then with those one value apart, and only the queries it
cannot settle go to the matmul search over the whole reference (pruned by clusters from 4,096 rows). This runs both forms side by
side on the same synthetic blocks, alternating, best of ``--rounds``, one thread: the tutorial's
table (its 1,000 fraud rows and a 150-row cut of them, as bench_spark_sampling and bench/efficacy.py
use it) and the public suite's tables (their whole minority). Each row's generator is fitted for
``--epochs`` on that minority. It checks that both forms give the same distances, bit for bit, and
prints ms per block, the speed-up and the share of queries the keyed step settles (0 where the
reference's rows rarely share their discrete values and the step is not built).

``--matmul-only`` times the matmul search alone and needs nothing newer than it, so the same command
with ``PYTHONPATH`` on an older checkout prints that code's figures for the same blocks
(``git archive 5d7f16f`` is the search before the keyed step and the per-row tie bound).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import best_of  # noqa: E402
from tables import TABLES, load_table  # noqa: E402


def cases(names, tutorial_cut: int):
    """(name, minority features, label sample, target, discrete columns) per table."""
    from genesis_spark.core.minority import DEFAULT_LABEL_SAMPLE_ROWS
    from genesis_spark.datasets import DISCRETE_COLUMNS, TARGET_COLUMN, make_transactions

    data = make_transactions(50_000, 0.02, 42)
    fraud = data[data[TARGET_COLUMN] == 1]
    for label, rows in (("tutorial 1000", fraud), (f"tutorial {tutorial_cut}", fraud.iloc[:tutorial_cut])):
        others = data[data[TARGET_COLUMN] != 1].sample(DEFAULT_LABEL_SAMPLE_ROWS - len(rows), random_state=0)
        yield label, rows.drop(columns=TARGET_COLUMN), pd.concat([rows, others]), TARGET_COLUMN, DISCRETE_COLUMNS
    for name in names:
        frame, target, minority, discrete = load_table(name)
        rows = frame[frame[target] == minority]
        others = frame[frame[target] != minority]
        others = others.sample(min(len(others), DEFAULT_LABEL_SAMPLE_ROWS - len(rows)), random_state=0)
        yield name, rows.drop(columns=target), pd.concat([rows, others]), target, discrete


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=8)
    parser.add_argument("--block-size", type=int, default=4096)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tutorial-cut", type=int, default=150)
    parser.add_argument("--tables", nargs="+", default=list(TABLES), choices=TABLES)
    parser.add_argument("--matmul-only", action="store_true", help="time the matmul search alone")
    args = parser.parse_args()

    import torch
    from threadpoolctl import threadpool_limits

    from genesis_spark.core.nearest import NearestReal
    from genesis_spark.core.scoring import RowScorer
    from genesis_spark.synth.generator import SyntheticGenerator

    torch.set_num_threads(1)
    header = (f"{'table':14s} {'search':13s} {'reference':>9s} {'dims':>5s} {'matmul ms':>10s} "
              f"{'keyed ms':>12s} {'speed-up':>9s} {'settled':>8s} {'identical':>9s}")
    print(f"{args.blocks} blocks x {args.block_size} synthetic rows per table, 1 thread, best of {args.rounds}, "
          f"ms per block\n{header}")
    with threadpool_limits(1):
        for name, minority, label_sample, target, discrete in cases(args.tables, args.tutorial_cut):
            columns = [c for c in discrete if c in minority.columns]
            generator = SyntheticGenerator("ctgan", {"epochs": args.epochs, "seed": 0, "device": "cpu"})
            generator.fit(minority.reset_index(drop=True), discrete_columns=columns)
            scorer = RowScorer.build(minority, label_sample, target, 1, discrete, seed=0)
            encoded_columns = [c for c in minority.columns if c in scorer._encoded_columns]
            queries = [scorer.encoder.transform(generator.generate_block(b, args.block_size, 7)[encoded_columns])
                       for b in range(args.blocks)]
            for search, reference in (("dcr", scorer.reference), ("class_margin", scorer.others)):
                matmul = NearestReal.of(reference)
                if args.matmul_only:
                    ms = 1000 * best_of(args.rounds, [lambda: [matmul.distances(q) for q in queries]])[0] / args.blocks
                    print(f"{name:14s} {search:13s} {len(reference):9,d} {reference.shape[1]:5d} {ms:10.2f}", flush=True)
                    continue
                keyed = NearestReal.of(reference, layout=scorer.encoder.one_hot_layout())
                identical = all(np.array_equal(matmul.distances(q), keyed.distances(q)) for q in queries)
                settled = (np.mean([keyed.keyed.search(q)[0].mean() for q in queries])
                           if keyed.keyed is not None else 0.0)
                seconds = best_of(args.rounds, [lambda: [matmul.distances(q) for q in queries],
                                                lambda: [keyed.distances(q) for q in queries]])
                ms = [1000 * s / args.blocks for s in seconds]
                print(f"{name:14s} {search:13s} {len(reference):9,d} {reference.shape[1]:5d} {ms[0]:10.2f} "
                      f"{ms[1]:12.2f} {ms[0] / ms[1]:8.2f}x {settled:8.1%} {str(identical):>9s}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
