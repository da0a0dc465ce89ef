"""Exact distance from query rows to their nearest reference row: a cache-sized matmul, pruned by clusters.

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


def _chunk_rows(reference_rows: int) -> int:
    return int(min(512, max(16, CHUNK_BYTES // (4 * max(reference_rows, 1)))))


@dataclass(frozen=True)
class _Scan:
    """The whole-reference search: a float32 ranking, then the exact float64 distance to its candidates."""

    reference: np.ndarray = field(repr=False)  # (m, d) float64
    ranking: np.ndarray = field(repr=False)  # (d + 1, m) float32: [r, |r|^2 / 2] per column
    max_norm: float = 0.0  # max |r|^2
    chunk_rows: int = 512

    @classmethod
    def of(cls, reference: np.ndarray, chunk_rows: int | None = None) -> "_Scan":
        ref = np.ascontiguousarray(reference, dtype=np.float64)
        norms = np.einsum("ij,ij->i", ref, ref)
        ranking = np.ascontiguousarray(np.vstack([ref.T, norms / 2]), dtype=np.float32)
        return cls(ref, ranking, float(norms.max()), chunk_rows or _chunk_rows(len(ref)))

    def distances(self, queries: np.ndarray) -> np.ndarray:
        n, d = queries.shape
        x = np.empty((n, d + 1), dtype=np.float32)  # [x, -1]: one matmul gives x.r - |r|^2 / 2
        x[:, :d] = queries
        x[:, d] = -1.0
        x64 = x[:, :d].astype(np.float64)
        # Twice a bound on the float32 error of ``x.r - |r|^2 / 2`` (d + 1 products), with 4x room.
        slack = 8 * (d + 2) * 2.0 ** -24 * (np.einsum("ij,ij->i", x64, x64) + self.max_norm + 1)
        out = np.empty(n, dtype=np.float64)
        for first in range(0, n, self.chunk_rows):
            rows = slice(first, first + self.chunk_rows)
            score = np.matmul(x[rows], self.ranking)
            best = score.argmax(axis=1)
            at = np.arange(best.size)
            floor = score[at, best] - slack[rows]
            score[at, best] = -np.inf
            diff = x64[rows] - self.reference[best]
            squared = np.einsum("ij,ij->i", diff, diff)
            tied = np.flatnonzero(score.max(axis=1) >= floor)
            if tied.size:  # other reference rows as near within rounding: the smallest exact distance
                score[tied, best[tied]] = np.inf
                row, column = np.nonzero(score[tied] >= floor[tied, None])
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
class NearestReal:
    """Exact Euclidean distance from query rows to their nearest reference row.

    A float32 matmul ranks the reference rows by ``x.r - |r|^2 / 2`` (larger is nearer) a cache-sized
    chunk at a time; every reference row within that ranking's rounding error of the best one is a
    candidate, and the distance is the smallest float64 distance to a candidate (usually one). So it is
    the exact nearest distance (unlike the ``|x|^2 - 2 x.r + |r|^2`` shortcut, which leaves ~1e-8 on an
    exact copy), at matmul speed. From ``CLUSTER_FROM_ROWS`` reference rows on, the reference is also
    clustered and a query searches only the clusters whose bound says they can hold its nearest row:
    the same distances, bit for bit, for a fraction of the work where the rows form clusters.

    Example::

        index = NearestReal.of(real_rows_encoded)
        dcr = index.distances(synthetic_rows_encoded)   # float64, one per synthetic row
    """

    whole: _Scan = field(repr=False)
    clusters: _Clusters | None = field(default=None, repr=False)

    @classmethod
    def of(cls, reference: np.ndarray, chunk_rows: int | None = None) -> "NearestReal":
        """The search structure over ``reference`` (m, d), m >= 1; ``chunk_rows`` None sizes chunks for the cache."""
        whole = _Scan.of(reference, chunk_rows)
        clusters = _Clusters.of(whole.reference) if len(whole.reference) >= CLUSTER_FROM_ROWS else None
        return cls(whole, clusters)

    def distances(self, queries: np.ndarray) -> np.ndarray:
        """float64 distance from each row of ``queries`` (n, d) to its nearest reference row."""
        if self.clusters is None or len(queries) == 0:
            return self.whole.distances(queries)
        return self.clusters.distances(queries, self.whole)
