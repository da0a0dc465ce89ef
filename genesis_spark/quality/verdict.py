"""Did the synthetic rows help? Paired bootstrap intervals of PR-AUC gains, and the verdict they give.

The gain of model A over model B is ``AP(A) - AP(B)`` on the real test rows (average
precision = PR-AUC, scikit-learn's definition). Its interval comes from resampling the test
rows with replacement, the same resample for both models (a paired bootstrap), seeded: the
``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles of the resampled gains.

The verdict reads the interval: ``helped`` when all of it lies above 0, ``hurt`` when all of
it lies below 0, ``no_change`` when it straddles 0 (the test rows cannot tell).

Example::

    gain = paired_gain(y_test, prob_augmented, prob_baseline, n_bootstrap=1000, seed=0)
    gain.verdict  # 'helped', 'no_change' or 'hurt'
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Verdict = Literal["helped", "no_change", "hurt"]
VERDICTS: tuple[Verdict, ...] = ("helped", "no_change", "hurt")

#: Cells (replicates x test rows) held at once while resampling.
_CELLS_PER_CHUNK = 4_000_000


@dataclass(frozen=True)
class Gain:
    """A PR-AUC gain on the test rows with its paired bootstrap interval."""

    gain: float
    low: float
    high: float
    confidence: float

    @property
    def verdict(self) -> Verdict:
        """``helped`` (interval above 0), ``hurt`` (below 0) or ``no_change`` (straddles 0)."""
        return verdict_of(self.low, self.high)


def verdict_of(low: float, high: float) -> Verdict:
    """The verdict of an interval: ``helped`` above 0, ``hurt`` below 0, ``no_change`` otherwise."""
    if low > 0:
        return "helped"
    if high < 0:
        return "hurt"
    return "no_change"


def weighted_average_precision(y: np.ndarray, prob: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Average precision of ``prob`` for each row of ``weights`` (replicates x test rows), vectorised.

    Equal to ``sklearn.metrics.average_precision_score(y, prob, sample_weight=w)`` for each row
    ``w``; ties in ``prob`` form one threshold, as there. A replicate without a positive gives NaN.
    """
    order = np.argsort(-prob, kind="stable")
    y_sorted = y[order].astype(np.float64)
    w_sorted = weights[:, order].astype(np.float64)
    prob_sorted = prob[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(prob_sorted) != 0), len(prob_sorted) - 1]
    true_pos = np.cumsum(w_sorted * y_sorted, axis=1)[:, last_of_tie]
    all_pos = np.cumsum(w_sorted, axis=1)[:, last_of_tie]
    positives = true_pos[:, -1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(all_pos > 0, true_pos / all_pos, 0.0)
        recall = true_pos / positives
    steps = np.diff(recall, axis=1, prepend=0.0)
    ap = np.sum(steps * precision, axis=1)
    return np.where(positives[:, 0] > 0, ap, np.nan)


def bootstrap_average_precision(y: np.ndarray, probs: dict[str, np.ndarray], n_bootstrap: int,
                                seed: int) -> dict[str, np.ndarray]:
    """Average precision of each model on the same ``n_bootstrap`` resamples of the test rows."""
    y = np.asarray(y)
    n = len(y)
    rng = np.random.default_rng(seed)
    chunk = max(1, min(n_bootstrap, _CELLS_PER_CHUNK // max(n, 1)))
    out: dict[str, list[np.ndarray]] = {name: [] for name in probs}
    done = 0
    while done < n_bootstrap:
        size = min(chunk, n_bootstrap - done)
        picks = rng.integers(0, n, size=(size, n))
        flat = (picks + (np.arange(size) * n)[:, None]).ravel()
        weights = np.bincount(flat, minlength=size * n).reshape(size, n)
        for name, prob in probs.items():
            out[name].append(weighted_average_precision(y, np.asarray(prob), weights))
        done += size
    return {name: np.concatenate(parts) for name, parts in out.items()}


def gain_from_replicates(point: float, model: np.ndarray, reference: np.ndarray, confidence: float) -> Gain:
    """The gain ``point`` with the quantile interval of ``model - reference`` over the replicates."""
    diffs = model - reference
    diffs = diffs[np.isfinite(diffs)]
    if len(diffs) == 0:
        return Gain(point, float("-inf"), float("inf"), confidence)
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(diffs, [tail, 1.0 - tail])
    return Gain(float(point), float(low), float(high), confidence)


def paired_gain(y: np.ndarray, prob_model: np.ndarray, prob_reference: np.ndarray, *, n_bootstrap: int = 1000,
                confidence: float = 0.95, seed: int = 0) -> Gain:
    """PR-AUC of ``prob_model`` minus that of ``prob_reference`` on ``y``, with its paired bootstrap interval."""
    from sklearn.metrics import average_precision_score

    replicates = bootstrap_average_precision(y, {"model": prob_model, "reference": prob_reference},
                                             n_bootstrap, seed)
    point = average_precision_score(y, prob_model) - average_precision_score(y, prob_reference)
    return gain_from_replicates(point, replicates["model"], replicates["reference"], confidence)
