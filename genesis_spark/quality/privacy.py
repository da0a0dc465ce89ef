"""Privacy audit: distance to closest record (DCR) of synthetic rows to the real training rows.

Mixed-type distance (:class:`MixedTypeEncoder`): each row becomes a float32 vector so that
plain Euclidean distance between two encoded rows is

    d(x, y) = sqrt( sum_numeric ((x_c - y_c) / range_c)^2 + sum_discrete [x_c != y_c] )

- numeric/datetime columns: ``(x - min) / (max - min)`` with min/max of the REAL rows
  (range 0 -> 1); a null is the column's scaled real median plus, for columns that have
  nulls in the real rows, a 0/1 null indicator (so null vs. value costs at least 1);
- discrete columns: one-hot over the real categories (null is a category) plus one
  ``other`` slot for unseen values, scaled by ``1/sqrt(2)``: two different values differ
  in two slots by ``1/sqrt(2)`` each, a squared distance of exactly 1.

Nearest neighbours (:func:`nearest_distances`, exact): scikit-learn ``NearestNeighbors``
with a KD-tree (``n_jobs=-1``) over the continuous columns plus one coordinate per discrete
combination, then brute force only for rows with no neighbour within distance 1. Measured on
100k x 100k demo rows (2 cores): a KD-tree on the full one-hot matrix (43 dims) did not finish
in 5 minutes, ball tree and brute force take ~15 s on the 12-dim numeric-only matrix, where
the KD-tree takes ~5 s (bench/RESULTS.md).

Audit (:func:`audit`):

- ``synthetic_dcr``: distance of each synthetic row to its nearest training row.
- ``baseline_dcr``: distance of each real holdout row to its nearest training row when a
  holdout is given, else leave-one-out: each training row to its nearest OTHER training row.
- ``distance_threshold`` = the 5th percentile of ``baseline_dcr``: real unseen rows are this
  close to the training data only 5% of the time.
- a row is *too close* when its DCR is below that threshold or it is an exact copy
  (DCR <= 1e-6). ``too_close_share`` / ``baseline_share``: shares of synthetic / baseline
  rows that are too close (the baseline share is about 5% by construction).
- ``score = 1 - max(0, too_close_share - baseline_share) / (1 - baseline_share)``, clipped
  to [0, 1]: a generator whose rows sit no closer to the training rows than unseen real rows
  do scores about 1; one that copies its training rows scores 0. ``passed = score >= threshold``.
- ``too_close``: positions of the too-close synthetic rows (drop them to release the rest).
- also reported: exact-match rate (synthetic rows equal to a training row on every column,
  by value hash), nearest-neighbour distance ratio (1st / 2nd nearest training row; 1 when
  both are 0) medians, and with a holdout the share of synthetic rows closer to training
  than to holdout (ties count half; ideal ``n_train / (n_train + n_holdout)``, 50% for equal sizes).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from genesis_spark.core.encoding import MixedTypeEncoder
from genesis_spark.core.kinds import Kind, as_float
from genesis_spark.quality.reports import PrivacyReport

logger = logging.getLogger(__name__)

BASELINE_QUANTILE = 0.05
EXACT_EPS = 1e-6
_GROUP_GAP = 1e4
_CLIP = 1e3


def row_hashes(df: pd.DataFrame, kinds: dict[str, Kind]) -> np.ndarray:
    """A uint64 hash per row on harmonised values (numbers as float64, categories as strings)."""
    frame = pd.DataFrame({c: (as_float(df[c]) if k != "discrete" else df[c].astype("string").fillna("\0null"))
                          for c, k in kinds.items()})
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


@dataclass(frozen=True)
class EncodedRows:
    """Rows encoded by a :class:`MixedTypeEncoder`: the full matrix plus the discrete codes behind it."""

    matrix: np.ndarray
    codes: np.ndarray
    n_continuous: int

    @classmethod
    def of(cls, encoder: MixedTypeEncoder, df: pd.DataFrame) -> "EncodedRows":
        """Encode ``df`` with ``encoder``."""
        return cls(encoder.transform(df), encoder.discrete_codes(df), encoder.n_continuous)


def _group_ids(reference: EncodedRows, queries: EncodedRows | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Dense ids of the discrete-value combinations, shared by both sides."""
    codes = reference.codes if queries is None else np.vstack([reference.codes, queries.codes])
    if codes.shape[1] == 0:
        ids = np.zeros(len(codes), dtype=np.int64)
    else:
        ids = pd.DataFrame(codes).groupby(list(range(codes.shape[1])), sort=False).ngroup().to_numpy()
    n = len(reference.codes)
    return ids[:n], (None if queries is None else ids[n:])


def _lifted(rows: EncodedRows, ids: np.ndarray) -> np.ndarray:
    """Continuous part plus the group id spread far apart: neighbours inside a group come first."""
    cont = np.clip(rows.matrix[:, : rows.n_continuous].astype(np.float64), -_CLIP, _CLIP)
    return np.column_stack([cont, ids.astype(np.float64) * _GROUP_GAP])


def _true_distances(queries: np.ndarray, reference: np.ndarray, idx: np.ndarray, chunk: int = 65_536) -> np.ndarray:
    out = np.empty(idx.shape, dtype=np.float64)
    for start in range(0, len(idx), chunk):
        q = queries[start:start + chunk, None, :]
        diff = q - reference[idx[start:start + chunk]]
        out[start:start + chunk] = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff, dtype=np.float64))
    return np.sort(out, axis=1)


def nearest_distances(reference: EncodedRows, queries: EncodedRows | None, k: int = 2,
                      n_jobs: int = -1) -> np.ndarray:
    """Mixed-type distances from each query row to its ``k`` nearest reference rows, shape ``(n, k)``, ascending.

    ``queries=None`` gives leave-one-out distances of the reference rows (a row is not its own
    neighbour). Exact, and fast on 2 cores: a KD-tree over the continuous columns plus one
    coordinate that puts each combination of discrete values far from the others finds the
    neighbours inside the row's own combination; any other row is at least 1 away (one
    mismatch), so only rows whose k-th neighbour found that way is farther than 1 are searched
    again by brute force on the full encoding.
    """
    from sklearn.neighbors import NearestNeighbors

    loo = queries is None
    n_ref = len(reference.matrix)
    k = min(k, n_ref - (1 if loo else 0))
    if k < 1:
        raise ValueError("nearest_distances needs at least 2 reference rows for a leave-one-out baseline; "
                         "pass a holdout instead.")
    ids_ref, ids_q = _group_ids(reference, queries)
    tree = NearestNeighbors(n_neighbors=k, algorithm="kd_tree", n_jobs=n_jobs).fit(_lifted(reference, ids_ref))
    query_matrix = reference.matrix if loo else queries.matrix
    idx = tree.kneighbors(None if loo else _lifted(queries, ids_q), n_neighbors=k, return_distance=False)
    distances = _true_distances(query_matrix, reference.matrix, idx)
    redo = np.flatnonzero(distances[:, -1] > 1.0)
    if len(redo):
        brute = NearestNeighbors(algorithm="brute", n_jobs=n_jobs).fit(reference.matrix)
        d, _ = brute.kneighbors(query_matrix[redo], n_neighbors=k + (1 if loo else 0))
        distances[redo] = d[:, 1:] if loo else d
        logger.debug("nearest_distances: %d of %d rows searched by brute force", len(redo), len(distances))
    return distances


def _nndr(distances: np.ndarray) -> np.ndarray:
    if distances.shape[1] < 2:
        return np.ones(len(distances))
    d1, d2 = distances[:, 0], distances[:, 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(d2 > 0, d1 / d2, 1.0)


def audit(train: pd.DataFrame, synthetic: pd.DataFrame, kinds: dict[str, Kind], threshold: float = 0.9,
          holdout: pd.DataFrame | None = None, n_jobs: int = -1) -> PrivacyReport:
    """DCR privacy audit of ``synthetic`` against ``train`` (pandas frames with the ``kinds`` columns); see module docstring."""
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"privacy threshold must be in [0, 1], got {threshold}.")
    if len(train) < 2 or len(synthetic) == 0:
        raise ValueError(f"the privacy audit needs at least 2 training rows and 1 synthetic row; "
                         f"got {len(train)} training and {len(synthetic)} synthetic rows.")
    encoder = MixedTypeEncoder.fit(train, kinds=kinds)
    x_train, x_syn = EncodedRows.of(encoder, train), EncodedRows.of(encoder, synthetic)
    syn_d = nearest_distances(x_train, x_syn, 2, n_jobs)
    closer_share = None
    if holdout is not None:
        if len(holdout) == 0:
            raise ValueError("the privacy holdout is empty; pass real rows not used for training, or None.")
        x_hold = EncodedRows.of(encoder, holdout)
        base_d = nearest_distances(x_train, x_hold, 2, n_jobs)
        to_hold = nearest_distances(x_hold, x_syn, 1, n_jobs)[:, 0]
        closer_share = float(np.mean(syn_d[:, 0] < to_hold) + 0.5 * np.mean(syn_d[:, 0] == to_hold))
    else:
        base_d = nearest_distances(x_train, None, 2, n_jobs)
    syn_dcr, base_dcr = syn_d[:, 0], base_d[:, 0]
    tau = float(np.quantile(base_dcr, BASELINE_QUANTILE))
    too_close_mask = (syn_dcr < tau) | (syn_dcr <= EXACT_EPS)
    base_share = float(np.mean((base_dcr < tau) | (base_dcr <= EXACT_EPS)))
    syn_share = float(np.mean(too_close_mask))
    score = float(np.clip(1.0 - max(0.0, syn_share - base_share) / max(1.0 - base_share, 1e-12), 0.0, 1.0))
    exact = float(np.isin(row_hashes(synthetic, kinds), row_hashes(train, kinds)).mean())
    logger.info("privacy audit: %d synthetic vs %d training rows, score %.3f, %.1f%% too close (baseline %.1f%%)",
                len(synthetic), len(train), score, 100 * syn_share, 100 * base_share)
    return PrivacyReport(
        score=score, passed=bool(score >= threshold), threshold=float(threshold),
        too_close=np.flatnonzero(too_close_mask), distance_threshold=tau,
        too_close_share=syn_share, baseline_share=base_share,
        baseline="holdout" if holdout is not None else "leave_one_out",
        exact_match_rate=exact, closer_to_training_share=closer_share,
        dcr_synthetic_median=float(np.median(syn_dcr)), dcr_baseline_median=float(np.median(base_dcr)),
        nndr_synthetic_median=float(np.median(_nndr(syn_d))), nndr_baseline_median=float(np.median(_nndr(base_d))),
        n_training=len(train), n_synthetic=len(synthetic),
        synthetic_dcr=syn_dcr.astype(np.float32), baseline_dcr=base_dcr.astype(np.float32),
    )
