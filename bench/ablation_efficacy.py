"""Efficacy ablations of issue 13: ``bench/efficacy.py`` with "ours" replaced by a variant.

Variants (every other method, split and classifier is efficacy.py's, so the baseline and oracle
columns equal its own):

- ``--config JSON``: the default path with config keys added, e.g. ``'{"min_label_prob": 0.5}'``
  (oversample-then-select: a stricter label filter) or ``'{"epochs": 900}'`` (longer training on
  few rows);
- ``--conditioned``: one generator conditioned on the class, fitted on the minority plus a seeded
  sample of the majority (``--majority-rows N``, or ``--majority-per-minority K`` times the minority
  count), sampled with the minority condition; its rows then go through the same scoring and filters
  (``augment(..., generator=...)``);
- ``--select F``: oversample-then-select: ``F`` times the rows ours would add, then the rows whose
  nearest real minority row is closest relative to their nearest real majority row (distance ratio
  on the library's mixed-type encoding, fitted on the real training rows; majority: a seeded sample of
  ``--majority-reference`` rows) are kept, as many as ours adds;
- ``--ensemble K``: K generators fitted with seeds ``seed*K .. seed*K+K-1``, each adding 1/K of the rows;
- ``--margin-k K``: the library's own selection, but ``class_margin`` from the mean distance to the
  ``K`` nearest rows of each side (real minority; other classes) instead of the nearest one;
  ``--margin-times-label`` ranks by ``class_margin * label_prob`` instead; ``--margin-dcr-power A`` ranks
  by ``d_other / (d_other + dcr^A)``: A = 1 is the library's own, A = 0 the distance to the nearest
  other-class row alone (no preference for rows near the real minority ones), A = 2 a stronger one;
- ``--model-seed-offset K``: the default path with the augment seed (the generator's, the sampling's)
  moved by K, the split unchanged: how far the generator's own seed moves the figures.

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


def _features(frame: pd.DataFrame, target: str) -> pd.DataFrame:
    return frame.drop(columns=[target, "block_index", "row_in_block", "realism", "dcr", "label_prob"], errors="ignore")


def _ratio_for(n_min: int, n_maj: int, n_add: int) -> float:
    """The augment ratio that adds ``n_add`` minority rows to ``n_min`` against ``n_maj``."""
    return (n_min + n_add) / (n_min + n_add + n_maj)


def selected_rows(train, target, discrete, seed, config, factor, majority_reference, margin_max=None):
    """Oversample ``factor`` times, keep the rows nearest the real minority relative to the majority
    (``margin_max``: instead, the first rows in drawing order whose distance ratio is at most it,
    topped up with the nearest others when too few pass)."""
    from sklearn.neighbors import NearestNeighbors

    from genesis_spark.augment import augment
    from genesis_spark.core.encoding import MixedTypeEncoder

    y = train[target].to_numpy()
    n_min, n_maj = int((y == 1).sum()), int((y != 1).sum())
    n_add = efficacy.rows_to_add(n_min, n_maj)
    result = augment(train, target, _ratio_for(n_min, n_maj, int(factor * n_add)), discrete_columns=discrete,
                     config=config, seed=seed)
    synthetic = result.synthetic
    features = _features(train, target)
    encoder = MixedTypeEncoder.fit(features, [c for c in discrete if c in features.columns])
    real_min = encoder.transform(features[y == 1])
    majority = features[y != 1]
    rng = np.random.default_rng(seed)
    if len(majority) > majority_reference:
        majority = majority.iloc[np.sort(rng.choice(len(majority), size=majority_reference, replace=False))]
    real_maj = encoder.transform(majority)
    fake = encoder.transform(_features(synthetic, target)[features.columns])
    d_min = NearestNeighbors(n_neighbors=1).fit(real_min).kneighbors(fake)[0][:, 0]
    d_maj = NearestNeighbors(n_neighbors=1).fit(real_maj).kneighbors(fake)[0][:, 0]
    margin = d_min / (d_maj + 1e-9)
    if margin_max is None:
        keep = np.sort(np.argsort(margin, kind="stable")[:n_add])
    else:
        passing = np.flatnonzero(margin <= margin_max)
        print(f"<!-- margin <= {margin_max}: {len(passing)} of {len(margin)} rows pass "
              f"({len(passing) / max(1, len(margin)):.1%}); {n_add} needed -->")
        rest = np.setdiff1d(np.argsort(margin, kind="stable"), passing, assume_unique=True)
        keep = np.sort(np.concatenate([passing[:n_add], rest[:max(0, n_add - len(passing))]]))
    rows = synthetic.iloc[keep][train.columns]
    return pd.concat([train, rows], ignore_index=True)


def ensemble_rows(train, target, discrete, seed, config, k):
    """K generators of different seeds, each adding 1/K of the rows."""
    from genesis_spark.augment import augment

    y = train[target].to_numpy()
    n_min, n_maj = int((y == 1).sum()), int((y != 1).sum())
    n_add = efficacy.rows_to_add(n_min, n_maj)
    shares = np.diff(np.linspace(0, n_add, k + 1).round().astype(int))
    parts = [train]
    for i, share in enumerate(shares):
        result = augment(train, target, _ratio_for(n_min, n_maj, int(share)), discrete_columns=discrete,
                         config=config, seed=seed * k + i)
        parts.append(result.synthetic[train.columns].iloc[:share])
    return pd.concat(parts, ignore_index=True)


def patch_dcr_power(power: float) -> None:
    """Replace ``class_margin`` by ``d_other / (d_other + dcr^power)`` (see the module docstring)."""
    from genesis_spark.core import scoring

    original = scoring.RowScorer.score

    def score(self, rows, generator=None):
        scores = original(self, rows, generator)
        if self.others is None or not len(rows):
            return scores
        margin = scores[scoring.CLASS_MARGIN].to_numpy()
        dcr = scores[scoring.DCR].to_numpy()
        # class_margin = d / (dcr + d)  =>  d = margin * dcr / (1 - margin)
        other = np.divide(margin * dcr, 1 - margin, out=np.full(len(rows), np.inf), where=margin < 1)
        return scores.assign(**{scoring.CLASS_MARGIN: other / (other + dcr ** power)})

    scoring.RowScorer.score = score


def patch_class_margin(k: int, times_label: bool) -> None:
    """Replace ``RowScorer.score``'s ``class_margin`` by its K-nearest form (see the module docstring)."""
    from sklearn.neighbors import NearestNeighbors

    from genesis_spark.core import scoring

    original = scoring.RowScorer.score
    indexes: dict[str, NearestNeighbors] = {}

    def mean_distance(key: str, reference: np.ndarray, queries: np.ndarray) -> np.ndarray:
        if key not in indexes:
            indexes[key] = NearestNeighbors(n_neighbors=min(k, len(reference))).fit(reference)
        return indexes[key].kneighbors(queries)[0].mean(axis=1)

    def score(self, rows, generator=None):
        scores = original(self, rows, generator)
        if self.others is None or not len(rows):
            return scores
        encoded = self.encoder.transform(rows[[c for c in rows.columns if c in self._encoded_columns]])
        own = mean_distance(self.reference_key, self.reference, encoded)
        other = mean_distance(self.others_key, self.others, encoded)
        margin = np.divide(other, own + other, out=np.full(len(rows), 0.5), where=own + other > 0)
        if times_label:
            margin = margin * scores[scoring.LABEL_PROB].to_numpy()
        return scores.assign(**{scoring.CLASS_MARGIN: margin})

    scoring.RowScorer.score = score


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="{}", help="JSON config keys added to ours")
    parser.add_argument("--conditioned", action="store_true")
    parser.add_argument("--majority-rows", type=int, default=2000)
    parser.add_argument("--majority-per-minority", type=int, default=None)
    parser.add_argument("--select", type=float, default=None, help="oversample-then-select factor")
    parser.add_argument("--majority-reference", type=int, default=20000)
    parser.add_argument("--margin-max", type=float, default=None, help="with --select: a threshold, not the best")
    parser.add_argument("--ensemble", type=int, default=None, help="generators per split")
    parser.add_argument("--margin-k", type=int, default=None, help="class_margin from K nearest rows a side")
    parser.add_argument("--margin-times-label", action="store_true", help="rank by class_margin * label_prob")
    parser.add_argument("--margin-dcr-power", type=float, default=None, help="rank by d_other / (d_other + dcr^A)")
    parser.add_argument("--model-seed-offset", type=int, default=0, help="added to ours' augment seed")
    parser.add_argument("rest", nargs=argparse.REMAINDER, help="-- then efficacy.py's arguments")
    args = parser.parse_args(argv)
    extra = json.loads(args.config)
    if args.margin_k or args.margin_times_label:
        patch_class_margin(args.margin_k or 1, args.margin_times_label)
    if args.margin_dcr_power is not None:
        patch_dcr_power(args.margin_dcr_power)
    original = efficacy.augmented_rows

    def variant(method, train, target, discrete, seed, config, oracle_rows=None):
        if method != "ours":
            return original(method, train, target, discrete, seed, config, oracle_rows)
        config = {**(config or {}), **extra}
        if args.conditioned:
            return conditioned_rows(train, target, discrete, seed, config, args.majority_rows,
                                    args.majority_per_minority)
        if args.select:
            return selected_rows(train, target, discrete, seed, config, args.select, args.majority_reference,
                                 args.margin_max)
        if args.ensemble:
            return ensemble_rows(train, target, discrete, seed, config, args.ensemble)
        return original(method, train, target, discrete, seed + args.model_seed_offset, config, oracle_rows)

    efficacy.augmented_rows = variant
    efficacy.TUTORIAL_METHODS = ("baseline", "ours", "oracle")
    efficacy.PUBLIC_METHODS = ("baseline", "smotenc", "ours")
    rest = [a for a in args.rest if a != "--"]
    return efficacy.main(rest)


if __name__ == "__main__":
    sys.exit(main())
