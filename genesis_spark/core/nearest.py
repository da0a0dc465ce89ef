"""Exact distance from query rows to their nearest reference row: rows of the same discrete values first,
then a cache-sized matmul, pruned by clusters.

Used by the row scores (``dcr`` against the real minority rows, ``class_margin`` against the other
classes), a block of synthetic rows at a time, in-process and inside executor tasks alike.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

# A (chunk_rows, m) float32 score matrix of about this many bytes stays in a core's cache.
CHUNK_BYTES = 1 << 21
# References from this many rows on are clustered, so each query searches only the clusters that can
# hold its nearest row; a block where most clusters stay candidates falls back to the whole reference.
CLUSTER_FROM_ROWS = 4096
DENSE_CANDIDATE_SHARE = 0.25
CLUSTER_ITERATIONS = 8
# Fewer (query, reference row) pairs than this are scanned whole: cheaper than the clusters' bookkeeping.
WHOLE_SCAN_PAIRS = 1 << 20
# A query is compared with the reference rows of its own discrete values when there are at most this many,
# and at most the reference's rows times columns over ``PAIR_COST`` (a pair costs about as much as that
# many multiply-adds of the matmul); a larger group is left to the matmul search.
MAX_KEY_GROUP_ROWS = 256
PAIR_COST = 1024
# The same-key step is built when at least this share of the reference rows shares its key with another
# row in a group of that size: otherwise few queries would be settled by it.
MIN_SHARED_KEY_SHARE = 0.5
# Up to this many possible keys, each key's rows are found by a table lookup rather than a binary search.
DENSE_KEY_SPACE = 1 << 18


def _rounding_bound(d: int) -> float:
    """Per unit of squared norm: a bound on the float32 rounding of a (d + 1)-term ranking score, 4x room."""
    return 4 * (d + 2) * 2.0 ** -24


def _chunk_rows(reference_rows: int) -> int:
    return int(min(512, max(16, CHUNK_BYTES // (4 * max(reference_rows, 1)))))


@dataclass(frozen=True)
class _Scan:
    """The whole-reference search: a float32 ranking, then the exact float64 distance to its candidates."""

    reference: np.ndarray = field(repr=False)  # (m, d) float64
    ranking: np.ndarray = field(repr=False)  # (d + 1, m) float32: [r, |r|^2 / 2] per column
    max_norm: float = 0.0  # max |r|^2
    chunk_rows: int = 512
    row_bound: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)  # (m,) each row's share of it

    @classmethod
    def of(cls, reference: np.ndarray, chunk_rows: int | None = None) -> "_Scan":
        ref = np.ascontiguousarray(reference, dtype=np.float64)
        norms = np.einsum("ij,ij->i", ref, ref)
        ranking = np.ascontiguousarray(np.vstack([ref.T, norms / 2]), dtype=np.float32)
        return cls(ref, ranking, float(norms.max()), chunk_rows or _chunk_rows(len(ref)),
                   _rounding_bound(ref.shape[1]) * norms)

    def distances(self, queries: np.ndarray) -> np.ndarray:
        n, d = queries.shape
        x = np.empty((n, d + 1), dtype=np.float32)  # [x, -1]: one matmul gives x.r - |r|^2 / 2
        x[:, :d] = queries
        x[:, d] = -1.0
        x64 = x[:, :d].astype(np.float64)
        # A bound on the float32 error of ``x.r - |r|^2 / 2`` (d + 1 products), with 4x room, is
        # ``query_bound + row_bound[r]``; ``slack`` is twice it for the largest row.
        query_bound = _rounding_bound(d) * (np.einsum("ij,ij->i", x64, x64) + 1)
        slack = 2 * query_bound + _rounding_bound(d) * 2 * self.max_norm
        out = np.empty(n, dtype=np.float64)
        for first in range(0, n, self.chunk_rows):
            rows = slice(first, first + self.chunk_rows)
            score = np.matmul(x[rows], self.ranking)
            best = score.argmax(axis=1)
            at = np.arange(best.size)
            top = score[at, best].astype(np.float64)
            floor = top - slack[rows]
            score[at, best] = -np.inf
            diff = x64[rows] - self.reference[best]
            squared = np.einsum("ij,ij->i", diff, diff)
            tied = np.flatnonzero(score.max(axis=1) >= floor)
            if tied.size:  # other reference rows as near within rounding: the smallest exact distance
                score[tied, best[tied]] = np.inf
                # Each row's own bound: a row of small norm ties within less rounding than the largest.
                own_floor = top[tied] - 2 * query_bound[rows][tied] - self.row_bound[best[tied]]
                row, column = np.nonzero(score[tied] + self.row_bound >= own_floor[:, None])
                diff = x64[first + tied[row]] - self.reference[column]
                nearest = np.full(tied.size, np.inf)
                np.minimum.at(nearest, row, np.einsum("ij,ij->i", diff, diff))
                squared[tied] = nearest
            out[rows] = np.sqrt(squared)
        return out


def _cluster_labels(reference: np.ndarray, k: int) -> np.ndarray:
    """A few seeded Lloyd iterations: the cluster of each reference row (only the search's speed depends on it)."""
    points = reference.astype(np.float32)
    centres = points[np.random.default_rng(0).choice(len(points), k, replace=False)]
    for _ in range(CLUSTER_ITERATIONS + 1):
        labels = (points @ centres.T - 0.5 * np.einsum("ij,ij->i", centres, centres)).argmax(axis=1)
        counts = np.bincount(labels, minlength=k)
        sums = np.zeros((k, points.shape[1]), dtype=np.float64)
        np.add.at(sums, labels, points)
        filled = counts > 0
        centres[filled] = (sums[filled] / counts[filled, None]).astype(np.float32)
    return labels


@dataclass(frozen=True)
class _Clusters:
    """The reference split into clusters, each with its centre, radius and own :class:`_Scan`."""

    centres: np.ndarray = field(repr=False)  # (k, d) float64
    centre_norms: np.ndarray = field(repr=False)  # (k,) |c|^2
    radii: np.ndarray = field(repr=False)  # (k,) max distance of a member to its centre, rounded up
    scans: tuple[_Scan, ...] = field(repr=False)

    @classmethod
    def of(cls, reference: np.ndarray) -> "_Clusters":
        labels = _cluster_labels(reference, max(2, round(math.sqrt(len(reference)) / 2)))
        members = [np.flatnonzero(labels == j) for j in np.unique(labels)]
        centres = np.stack([reference[rows].mean(axis=0) for rows in members])
        offsets = [reference[rows] - centre for rows, centre in zip(members, centres)]
        radii = np.array([np.sqrt(np.einsum("ij,ij->i", offset, offset)).max() for offset in offsets])
        return cls(centres, np.einsum("ij,ij->i", centres, centres), radii * (1 + 1e-9) + 1e-12,
                   tuple(_Scan.of(reference[rows]) for rows in members))

    def distances(self, queries: np.ndarray, whole: _Scan) -> np.ndarray:
        """Each query's own cluster gives an upper bound; a cluster is searched for a query only when its
        lower bound ``|q - c| - radius`` does not exceed that bound, so every skipped row is farther."""
        x64 = queries.astype(np.float64)
        norms = np.einsum("ij,ij->i", x64, x64)
        squared = norms[:, None] - 2 * (x64 @ self.centres.T) + self.centre_norms[None]
        # Rounded down by more than the float64 error of that expansion: a lower bound on |q - c|.
        to_centre = np.sqrt(np.maximum(squared - 1e-9 * (norms[:, None] + self.centre_norms[None] + 1), 0))
        own = to_centre.argmin(axis=1)
        best = np.empty(len(queries))
        for j in np.unique(own):
            rows = np.flatnonzero(own == j)
            best[rows] = self.scans[j].distances(queries[rows])
        candidate = to_centre - self.radii[None] <= best[:, None] * (1 + 1e-9) + 1e-12
        candidate[np.arange(len(queries)), own] = False
        if candidate.mean() > DENSE_CANDIDATE_SHARE:  # the clusters do not separate these rows: scan it all
            return whole.distances(queries)
        for j in np.flatnonzero(candidate.any(axis=0)):
            rows = np.flatnonzero(candidate[:, j])
            best[rows] = np.minimum(best[rows], self.scans[j].distances(queries[rows]))
        return best


@dataclass(frozen=True)
class OneHotLayout:
    """Where an encoding's discrete columns sit: after ``continuous`` leading columns, one one-hot block
    per discrete column (``widths``), each with exactly one entry set to ``value``. Two rows whose
    values differ in a block are at least ``2 value^2`` apart, squared."""

    continuous: int
    widths: tuple[int, ...]
    value: float

    def codes(self, encoded: np.ndarray) -> np.ndarray:
        """``(n, len(widths))`` int64: the set entry of each block of each row."""
        starts = np.concatenate([[0], np.cumsum(self.widths[:-1])]).astype(np.int64)
        if max(self.widths) >= 1 << 16:  # positions too large for the float32 matmul below to stay exact
            return np.column_stack([encoded[:, self.continuous + s:self.continuous + s + w].argmax(axis=1)
                                    for s, w in zip(starts, self.widths)])
        # One small matmul: each block's single set entry times its position within the block.
        positions = np.zeros((sum(self.widths), len(self.widths)), dtype=np.float32)
        for j, (s, w) in enumerate(zip(starts, self.widths)):
            positions[s:s + w, j] = np.arange(w)
        scaled = np.asarray(encoded[:, self.continuous:], dtype=np.float32) @ positions
        return np.rint(scaled / np.float32(self.value)).astype(np.int64)


@dataclass(frozen=True)
class _SameKeys:
    """The search among reference rows of a query's own discrete values (its key).

    Every reference row of another key is at least ``2 value^2`` away, squared, so a query whose nearest
    same-key row is nearer than that has its exact nearest distance here, from a few rows' continuous
    columns; the others (no same-key row within it, or a key group above ``MAX_KEY_GROUP_ROWS``) are
    left to the matmul search.
    """

    layout: OneHotLayout
    multipliers: np.ndarray = field(repr=False)  # (k,) int64: the mixed-radix key of a row's codes
    sorted_keys: np.ndarray = field(repr=False)  # (m,) the reference keys, ascending
    sorted_reference: np.ndarray = field(repr=False)  # (m, d) float64, in that order
    sorted_continuous: np.ndarray = field(repr=False)  # (m, c) its continuous columns
    group_first: np.ndarray | None = field(repr=False)  # by key, where the key space is small: first row, count
    group_count: np.ndarray | None = field(repr=False)
    bound: float = 0.0  # squared distance below which no row of another key can be nearer
    max_group_rows: int = MAX_KEY_GROUP_ROWS

    @classmethod
    def of(cls, reference: np.ndarray, layout: OneHotLayout) -> "_SameKeys | None":
        """``reference`` (m, d) float64 keyed by ``layout``; None without discrete columns, when the key
        space does not fit in an int64, or when too few rows share a key (``MIN_SHARED_KEY_SHARE``)."""
        if not layout.widths or math.prod(layout.widths) >= 2 ** 62:
            return None
        radix = np.asarray(layout.widths, dtype=np.int64)
        multipliers = np.concatenate([np.cumprod(radix[::-1])[::-1][1:], [1]]).astype(np.int64)
        keys = layout.codes(reference) @ multipliers
        max_group_rows = int(min(MAX_KEY_GROUP_ROWS, reference.size // PAIR_COST))
        _, group_of, sizes = np.unique(keys, return_inverse=True, return_counts=True)
        row_group_size = sizes[group_of]
        if np.mean((row_group_size > 1) & (row_group_size <= max_group_rows)) < MIN_SHARED_KEY_SHARE:
            return None
        order = np.argsort(keys, kind="stable")
        ordered, sorted_keys = np.ascontiguousarray(reference[order]), keys[order]
        first = count = None
        if math.prod(layout.widths) <= DENSE_KEY_SPACE:
            space = np.arange(math.prod(layout.widths))
            first = np.searchsorted(sorted_keys, space, side="left")
            count = np.searchsorted(sorted_keys, space, side="right") - first
        value = float(np.float32(layout.value))
        bound = 2 * value * value * (1 - 1e-9)  # with room for the float64 rounding of the squared distances
        return cls(layout, multipliers, sorted_keys, ordered, np.ascontiguousarray(ordered[:, :layout.continuous]),
                   first, count, bound, max_group_rows)

    def search(self, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(resolved, squared)``: where the nearest row is a same-key row, and its float64 squared distance."""
        n, c = len(queries), self.layout.continuous
        keys = self.layout.codes(queries) @ self.multipliers
        if self.group_first is not None:
            first, counts = self.group_first[keys], self.group_count[keys]
        else:
            first = np.searchsorted(self.sorted_keys, keys, side="left")
            counts = np.searchsorted(self.sorted_keys, keys, side="right") - first
        counts[counts > self.max_group_rows] = 0
        squared = np.full(n, np.inf)
        has = np.flatnonzero(counts)
        if has.size == 0:
            return np.zeros(n, dtype=bool), squared
        # Every (query, same-key row) pair, a query's pairs contiguous.
        query_of = np.repeat(has, counts[has])
        segment = np.cumsum(counts[has]) - counts[has]
        row_of = np.arange(query_of.size) - np.repeat(segment - first[has], counts[has])
        x64 = queries.astype(np.float64)
        diff = np.take(np.ascontiguousarray(x64[:, :c]), query_of, axis=0)
        diff -= np.take(self.sorted_continuous, row_of, axis=0)
        continuous = np.einsum("ij,ij->i", diff, diff)
        nearest = np.minimum.reduceat(continuous, segment)
        # The distance over every column of the pairs within rounding of the best: the search's own sum.
        near = continuous <= np.repeat(nearest, counts[has]) * (1 + 1e-12)
        query_of, row_of = query_of[near], row_of[near]
        diff = np.take(x64, query_of, axis=0)
        diff -= np.take(self.sorted_reference, row_of, axis=0)
        np.minimum.at(squared, query_of, np.einsum("ij,ij->i", diff, diff))
        return squared < self.bound, squared


@dataclass(frozen=True)
class NearestReal:
    """Exact Euclidean distance from query rows to their nearest reference row.

    A float32 matmul ranks the reference rows by ``x.r - |r|^2 / 2`` (larger is nearer) a cache-sized
    chunk at a time; every reference row within that ranking's rounding error of the best one is a
    candidate, and the distance is the smallest float64 distance to a candidate (usually one). So it is
    the exact nearest distance (unlike the ``|x|^2 - 2 x.r + |r|^2`` shortcut, which leaves ~1e-8 on an
    exact copy), at matmul speed. From ``CLUSTER_FROM_ROWS`` reference rows on, the reference is also
    clustered and a query searches only the clusters whose bound says they can hold its nearest row:
    the same distances, bit for bit, for a fraction of the work where the rows form clusters. Given the
    encoding's ``layout``, a query is first compared with the reference rows of its own discrete values:
    where the nearest of them is nearer than any row of other values can be, that is its distance (the
    same float64 sum, so again the same distances), and only the other queries are searched by matmul.

    Example::

        index = NearestReal.of(real_rows_encoded, layout=encoder.one_hot_layout())
        dcr = index.distances(synthetic_rows_encoded)   # float64, one per synthetic row
    """

    whole: _Scan = field(repr=False)
    clusters: _Clusters | None = field(default=None, repr=False)
    same_keys: _SameKeys | None = field(default=None, repr=False)

    @classmethod
    def of(cls, reference: np.ndarray, chunk_rows: int | None = None,
           layout: OneHotLayout | None = None) -> "NearestReal":
        """The search structure over ``reference`` (m, d), m >= 1; ``chunk_rows`` None sizes chunks for the
        cache; ``layout`` (the encoding's one-hot blocks) adds the search among rows of the same discrete values."""
        whole = _Scan.of(reference, chunk_rows)
        clusters = _Clusters.of(whole.reference) if len(whole.reference) >= CLUSTER_FROM_ROWS else None
        return cls(whole, clusters, _SameKeys.of(whole.reference, layout) if layout is not None else None)

    def distances(self, queries: np.ndarray) -> np.ndarray:
        """float64 distance from each row of ``queries`` (n, d) to its nearest reference row."""
        if self.same_keys is None or len(queries) == 0:
            return self._matmul_distances(queries)
        resolved, squared = self.same_keys.search(queries)
        out = np.sqrt(squared)
        rest = np.flatnonzero(~resolved)
        if rest.size:
            out[rest] = self._matmul_distances(queries[rest])
        return out

    def _matmul_distances(self, queries: np.ndarray) -> np.ndarray:
        if self.clusters is None or len(queries) * len(self.whole.reference) <= WHOLE_SCAN_PAIRS:
            return self.whole.distances(queries)
        return self.clusters.distances(queries, self.whole)
