"""Efficacy ablations of issue 13: ``bench/efficacy.py`` with "ours" replaced by a variant.

Variants (every other method, split and classifier is efficacy.py's, so the baseline and oracle
columns equal its own):

- ``--config JSON``: the default path with config keys added, e.g. ``'{"min_label_prob": 0.5}'``
  (oversample-then-select: a stricter label filter) or ``'{"epochs": 900}'`` (longer training on
  few rows);
- ``--conditioned``: one generator conditioned on the class, fitted on the minority plus a seeded
  sample of the majority (``--majority-rows N``, or ``--majority-per-minority K`` times the minority
  count), sampled with the minority condition; its rows then go through the same scoring and filters
  (``augment(..., generator=...)``).

Only baseline, ours and oracle (tutorial) or baseline, smotenc and ours (public) are run.

    PYTHONPATH=/tmp/gs_head nice -n 5 .venv/bin/python bench/ablation_efficacy.py --conditioned \
        --majority-rows 2000 -- --sections tutorial --sizes 150 40 --seeds 42 43 44
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import efficacy  # noqa: E402


class MinorityCondition:
    """A class-conditioned generator seen as a generator of one class's feature rows."""

    def __init__(self, generator, target: str, label) -> None:
        self.generator, self.target, self.label = generator, target, label

    def generate_block(self, block_index: int, block_size: int, seed: int) -> pd.DataFrame:
        rows = self.generator.generate_block(block_index, block_size, seed, conditions={self.target: self.label})
        return rows.drop(columns=[self.target])

    def realism_score(self, rows: pd.DataFrame) -> np.ndarray:
        return self.generator.realism_score(rows.assign(**{self.target: self.label}))


def conditioned_rows(train, target, discrete, seed, config, majority_rows, per_minority):
    from genesis_spark.augment import augment
    from genesis_spark.core.plan import split_config
    from genesis_spark.synth.generator import SyntheticGenerator

    y = train[target].to_numpy()
    minority, majority = train[y == 1], train[y != 1]
    cap = min(len(majority), majority_rows if per_minority is None else per_minority * len(minority))
    rng = np.random.default_rng(seed)
    majority = majority.iloc[np.sort(rng.choice(len(majority), size=cap, replace=False))]
    generator = SyntheticGenerator(method="ctgan", config={**split_config(config)[0], "seed": seed})
    generator.fit(pd.concat([minority, majority], ignore_index=True), discrete_columns=[*discrete, target])
    return augment(train, target, efficacy.RATIO, discrete_columns=discrete, config=config, seed=seed,
                   generator=MinorityCondition(generator, target, 1)).augmented


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="{}", help="JSON config keys added to ours")
    parser.add_argument("--conditioned", action="store_true")
    parser.add_argument("--majority-rows", type=int, default=2000)
    parser.add_argument("--majority-per-minority", type=int, default=None)
    parser.add_argument("rest", nargs=argparse.REMAINDER, help="-- then efficacy.py's arguments")
    args = parser.parse_args(argv)
    extra = json.loads(args.config)
    original = efficacy.augmented_rows

    def variant(method, train, target, discrete, seed, config, oracle_rows=None):
        if method != "ours":
            return original(method, train, target, discrete, seed, config, oracle_rows)
        config = {**(config or {}), **extra}
        if args.conditioned:
            return conditioned_rows(train, target, discrete, seed, config, args.majority_rows,
                                    args.majority_per_minority)
        return original(method, train, target, discrete, seed, config, oracle_rows)

    efficacy.augmented_rows = variant
    efficacy.TUTORIAL_METHODS = ("baseline", "ours", "oracle")
    efficacy.PUBLIC_METHODS = ("baseline", "smotenc", "ours")
    rest = [a for a in args.rest if a != "--"]
    return efficacy.main(rest)


if __name__ == "__main__":
    sys.exit(main())
