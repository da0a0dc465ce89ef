"""High-cardinality discrete columns: frequent values as categories, the rest as one learned "other" state.

The rule (``DataTransformer(max_categories=50, min_count=2)``, config keys ``max_categories`` and
``min_category_count``): a discrete column with more than ``max_categories`` distinct non-null
values in the training rows is high-cardinality. Of its values seen at least ``min_count`` times,
the ``max_categories`` most frequent (ties by value) stay categories; every other value (the rest
of those, and every value seen fewer times) is folded into one "other" state that the CTGAN learns
like any category, so its share, and the null share (nulls keep their own state), are reproduced.
A synthetic row in the "other" state takes a value drawn from the tail: the folded values seen at
least ``min_count`` times, by their counts in the training rows; when there is none, from the kept
values by their counts. So no value seen fewer than ``min_count`` times (with the default, no value
seen once) is ever emitted. A column with no value seen ``min_count`` times keeps one category per
value (as a low-cardinality column does; a warning names it).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

logger = logging.getLogger(__name__)

#: A discrete column with more distinct non-null values than this in the training rows is folded.
DEFAULT_MAX_CATEGORIES = 50
#: Fewest training rows a value needs to be kept as a category or drawn from the tail.
DEFAULT_MIN_COUNT = 2
#: The placeholder at the "other" state's position in ``DiscreteColumn.categories``.
OTHER = "<other>"


@dataclass(frozen=True)
class Folding:
    """How one high-cardinality column is encoded: kept values (by value) and the tail an "other" row draws from."""

    kept_values: tuple[Any, ...]
    kept_counts: tuple[int, ...]
    other_count: int
    tail_values: tuple[Any, ...]
    tail_weights: tuple[int, ...]


def fold_levels(name: str, values: Sequence[Any], counts: Sequence[int], max_categories: int | None,
                min_count: int) -> Folding | None:
    """The folding of a column with non-null ``values`` (sorted) seen ``counts`` times; None when not folded.

    Not folded: at most ``max_categories`` values (or ``max_categories`` None), or no value seen
    ``min_count`` times (logged as a warning: every value then stays a category of its own).
    """
    if max_categories is None or len(values) <= max_categories:
        return None
    counts = np.asarray(counts, dtype=np.int64)
    frequent = np.flatnonzero(counts >= min_count)
    if frequent.size == 0:
        logger.warning("discrete column %r has %d distinct values, none seen %d times: each stays a category of "
                       "its own (and may be copied); leave it out of the training columns if it is an identifier",
                       name, len(values), min_count)
        return None
    by_count = frequent[np.argsort(-counts[frequent], kind="stable")]  # values are sorted: ties by value
    kept = np.sort(by_count[:max_categories])
    tail = np.sort(by_count[max_categories:])
    if tail.size == 0:
        tail = kept
    logger.info("discrete column %r has %d distinct values (> max_categories=%d): its %d most frequent seen at "
                "least %d times are categories, the other %d rows share an 'other' state drawn from %d values",
                name, len(values), max_categories, kept.size, min_count,
                int(counts.sum() - counts[kept].sum()), tail.size)
    return Folding(tuple(values[i] for i in kept), tuple(int(counts[i]) for i in kept),
                   int(counts.sum() - counts[kept].sum()),
                   tuple(values[i] for i in tail), tuple(int(counts[i]) for i in tail))


def draw_tail(values: Sequence[Any], weights: Sequence[int], uniforms: np.ndarray) -> np.ndarray:
    """One of ``values`` per uniform in [0, 1), by ``weights`` (inverse CDF, vectorized); an object array."""
    cumulative = np.cumsum(np.asarray(weights, dtype=np.float64))
    index = np.searchsorted(cumulative, np.asarray(uniforms, dtype=np.float64) * cumulative[-1], side="right")
    return np.asarray(list(values) + [None], dtype=object)[:-1][np.minimum(index, len(cumulative) - 1)]
