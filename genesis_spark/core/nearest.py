"""Exact distance from query rows to their nearest reference row: rows of the same discrete values (or
all but one) first, then a cache-sized matmul, pruned by clusters.

Used by the row scores (``dcr`` against the real minority rows, ``class_margin`` against the other
classes), a block of synthetic rows at a time, in-process and inside executor tasks alike.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# A (chunk_rows, m) float32 score matrix of about this many bytes stays in a core's cache.
CHUNK_BYTES = 1 << 21
# References from this many rows on are clustered, so each query searches only the clusters that can
# hold its nearest row; a block where most clusters stay candidates falls back to the whole reference.
CLUSTER_FROM_ROWS = 4096
DENSE_CANDIDATE_SHARE = 0.25
CLUSTER_ITERATIONS = 8
# Fewer (query, reference row) pairs than this are scanned whole: cheaper than the clusters' bookkeeping.
WHOLE_SCAN_PAIRS = 1 << 20
# A query is compared with the reference rows of its own discrete values (or of all but one) when there
# are at most this many, and at most the reference's rows times columns over ``PAIR_COST`` (a pair costs
# about as much as that many multiply-adds of the matmul); a larger group is left to the matmul search.
MAX_KEY_GROUP_ROWS = 256
PAIR_COST = 1024
# That search by discrete values is built when at least this share of the reference rows has another row
# of its values, or all but one, in a group of that size: otherwise few queries would be settled by it.
MIN_SHARED_KEY_SHARE = 0.5
# Up to this many entries in all (possible keys times groupings), each key's rows are found by a table
# lookup (8 bytes an entry) rather than a hash lookup.
DENSE_TABLE_ENTRIES = 1 << 21


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
        sums = np.column_stack([np.bincount(labels, weights=column, minlength=k) for column in points.T])
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


def _expand(first: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (query, position) pair of the ranges ``first[q] .. first[q] + counts[q] - 1``."""
    has = np.flatnonzero(counts)
    query_of = np.repeat(has, counts[has])
    starts = np.cumsum(counts[has]) - counts[has]
    return query_of, np.arange(query_of.size) - np.repeat(starts - first[has], counts[has])


@dataclass(frozen=True)
class _KeyGroups:
    """The reference rows sorted by one integer key per row, with the rows of each key as a range."""

    order: np.ndarray = field(repr=False)  # (m,) the reference row at each sorted position
    group_first: np.ndarray = field(repr=False)  # per group (per key where the key space is small)
    group_count: np.ndarray = field(repr=False)
    groups: pd.Index | None = field(default=None, repr=False)  # a large key space: the keys, hashed

    @classmethod
    def of(cls, keys: np.ndarray, key_space: int, dense: bool) -> "_KeyGroups":
        """``keys`` (m,) in ``[0, key_space)``; ``dense``: look them up in a table of ``key_space`` entries."""
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        if dense:  # a table indexed by the key itself
            space = np.arange(key_space)
            first = np.searchsorted(sorted_keys, space, side="left")
            counts = np.searchsorted(sorted_keys, space, side="right") - first
            return cls(order, first.astype(np.int32), counts.astype(np.int32))
        unique, first, counts = np.unique(sorted_keys, return_index=True, return_counts=True)
        return cls(order, first, counts, pd.Index(unique))

    def ranges(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The first sorted position and the count of each key's rows (0 for a key no row has)."""
        if self.groups is None:
            return self.group_first[keys], self.group_count[keys]
        group = self.groups.get_indexer(keys)
        found = group >= 0
        return np.where(found, self.group_first[group], 0), np.where(found, self.group_count[group], 0)


@dataclass(frozen=True)
class _KeyedRows:
    """The search among reference rows whose discrete values equal a query's, or all but one of them.

    A row that differs from the query in ``j`` discrete columns is at least ``j * 2 value^2`` away,
    squared. So a query whose nearest row of its own values (its key) is nearer than ``2 value^2``
    has its exact nearest distance among them; otherwise, one whose nearest row among those differing
    in at most one column is nearer than ``4 value^2`` has it there. Both compare a few rows'
    continuous columns per query; the other queries (none settled, or more candidate rows than
    ``max_group_rows``) are left to the matmul search.
    """

    layout: OneHotLayout
    multipliers: np.ndarray = field(repr=False)  # (k,) int64: the mixed-radix key of a row's codes
    same: _KeyGroups = field(repr=False)  # by the whole key
    but_one: tuple[_KeyGroups, ...] = field(repr=False)  # by the key without column j, per column j
    reference: np.ndarray = field(repr=False)  # (m, d) float64
    continuous: np.ndarray = field(repr=False)  # (m, c) its continuous columns
    codes: np.ndarray = field(repr=False)  # (m, k) its discrete codes
    mismatch: float = 1.0  # 2 value^2: a discrete column's share of the squared distance where it differs
    bound: float = 1.0  # the mismatch less room for the float64 rounding of the squared distances
    max_group_rows: int = MAX_KEY_GROUP_ROWS

    @classmethod
    def of(cls, reference: np.ndarray, layout: OneHotLayout) -> "_KeyedRows | None":
        """``reference`` (m, d) float64 keyed by ``layout``; None without discrete columns, when the key
        space does not fit in an int64, or when too few rows have a near row of such a key
        (``MIN_SHARED_KEY_SHARE``)."""
        space = math.prod(layout.widths)
        if not layout.widths or space >= 2 ** 62:
            return None
        radix = np.asarray(layout.widths, dtype=np.int64)
        multipliers = np.concatenate([np.cumprod(radix[::-1])[::-1][1:], [1]]).astype(np.int64)
        codes = layout.codes(reference)
        keys = codes @ multipliers
        max_group_rows = int(min(MAX_KEY_GROUP_ROWS, reference.size // PAIR_COST))
        dense = (len(layout.widths) + 1) * space <= DENSE_TABLE_ENTRIES
        same = _KeyGroups.of(keys, space, dense)
        but_one_keys = [keys - codes[:, j] * multipliers[j] for j in range(len(layout.widths))]
        but_one = tuple(_KeyGroups.of(keys_j, space, dense) for keys_j in but_one_keys)
        value = float(np.float32(layout.value))
        index = cls(layout, multipliers, same, but_one, reference,
                    np.ascontiguousarray(reference[:, :layout.continuous]), codes,
                    2 * value * value, 2 * value * value * (1 - 1e-9), max_group_rows)
        # Rows whose own key, or one column away, holds another row within the pair budget.
        own = same.ranges(keys)[1]
        near = np.sum([groups.ranges(keys_j)[1] for groups, keys_j in zip(but_one, but_one_keys)], axis=0)
        served = ((own > 1) & (own <= max_group_rows)) | ((near > len(but_one)) & (near <= max_group_rows))
        return index if served.mean() >= MIN_SHARED_KEY_SHARE else None

    def search(self, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(settled, squared)``: where the nearest row is among those searched, and its float64 squared distance."""
        codes = self.layout.codes(queries)
        keys = codes @ self.multipliers
        x64 = queries.astype(np.float64)
        first, counts = self.same.ranges(keys)
        counts = np.where(counts <= self.max_group_rows, counts, 0)
        query_of, position = _expand(first, counts)
        squared = self._nearest(x64, query_of, self.same.order[position])
        settled = squared < self.bound
        rest = np.flatnonzero(~settled)
        if rest.size:  # the rows at most one discrete column away (the same-key rows among them)
            ranges = [groups.ranges(keys[rest] - codes[rest, j] * self.multipliers[j])
                      for j, groups in enumerate(self.but_one)]
            total = np.sum([c for _, c in ranges], axis=0)
            within = total <= self.max_group_rows
            queries_of, rows, differs = [], [], []
            for j, (groups, (first_j, counts_j)) in enumerate(zip(self.but_one, ranges)):
                query_j, position = _expand(first_j, np.where(within, counts_j, 0))
                queries_of.append(query_j)
                rows.append(groups.order[position])
                differs.append(self.codes[rows[-1], j] != codes[rest[query_j], j])  # column j, or none
            squared[rest] = self._nearest(x64[rest], np.concatenate(queries_of), np.concatenate(rows),
                                          np.concatenate(differs) * self.mismatch)
            settled[rest] = squared[rest] < 2 * self.bound  # a row two columns away is 2 mismatches away
        return settled, squared

    def _nearest(self, x64: np.ndarray, query_of: np.ndarray, rows: np.ndarray,
                 discrete: np.ndarray | float = 0.0) -> np.ndarray:
        """The smallest float64 squared distance of each query over its (query, reference row) pairs (inf: none);
        ``discrete``: each pair's share of it from the discrete columns."""
        squared = np.full(len(x64), np.inf)
        if query_of.size == 0:
            return squared
        c = self.layout.continuous
        diff = np.take(np.ascontiguousarray(x64[:, :c]), query_of, axis=0)
        diff -= np.take(self.continuous, rows, axis=0)
        partial = np.einsum("ij,ij->i", diff, diff) + discrete
        nearest = np.full(len(x64), np.inf)
        np.minimum.at(nearest, query_of, partial)
        # Every column of the pairs within rounding of the best: the search's own sum.
        near = partial <= nearest[query_of] * (1 + 1e-12)
        query_of, rows = query_of[near], rows[near]
        diff = np.take(x64, query_of, axis=0)
        diff -= np.take(self.reference, rows, axis=0)
        np.minimum.at(squared, query_of, np.einsum("ij,ij->i", diff, diff))
        return squared


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
    encoding's ``layout``, a query is first compared with the reference rows of its own discrete values,
    then with those differing in one of them: where the nearest of them is nearer than any row of other
    values can be, that is its distance (the same float64 sum, so again the same distances), and only
    the other queries are searched by matmul.

    Example::

        index = NearestReal.of(real_rows_encoded, layout=encoder.one_hot_layout())
        dcr = index.distances(synthetic_rows_encoded)   # float64, one per synthetic row
    """

    whole: _Scan = field(repr=False)
    clusters: _Clusters | None = field(default=None, repr=False)
    keyed: _KeyedRows | None = field(default=None, repr=False)

    @classmethod
    def of(cls, reference: np.ndarray, chunk_rows: int | None = None,
           layout: OneHotLayout | None = None) -> "NearestReal":
        """The search structure over ``reference`` (m, d), m >= 1; ``chunk_rows`` None sizes chunks for the
        cache; ``layout`` (the encoding's one-hot blocks) adds the search among rows of the same discrete values
        (or all but one)."""
        whole = _Scan.of(reference, chunk_rows)
        clusters = _Clusters.of(whole.reference) if len(whole.reference) >= CLUSTER_FROM_ROWS else None
        return cls(whole, clusters, _KeyedRows.of(whole.reference, layout) if layout is not None else None)

    def distances(self, queries: np.ndarray) -> np.ndarray:
        """float64 distance from each row of ``queries`` (n, d) to its nearest reference row."""
        if self.keyed is None or len(queries) == 0:
            return self._matmul_distances(queries)
        settled, squared = self.keyed.search(queries)
        out = np.sqrt(squared)
        rest = np.flatnonzero(~settled)
        if rest.size:
            out[rest] = self._matmul_distances(queries[rest])
        return out

    def _matmul_distances(self, queries: np.ndarray) -> np.ndarray:
        if self.clusters is None or len(queries) * len(self.whole.reference) <= WHOLE_SCAN_PAIRS:
            return self.whole.distances(queries)
        return self.clusters.distances(queries, self.whole)
