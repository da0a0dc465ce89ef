"""Fidelity metrics on pandas: column shapes, pair trends, null rates, validity, plot histograms.

Column kinds (:func:`genesis_spark.core.kinds.infer_kinds`): a column is ``discrete`` when it is named in
``discrete_columns`` or its real dtype is not numeric/datetime (object, string,
category, bool); ``datetime`` when its dtype is datetime64; else ``numeric``.
Integer columns are numeric unless named as discrete (``hour`` in the tutorial is
numeric in step 4, discrete in the pipeline that names it).

Metrics (all in [0, 1], 1 = identical):

- column shape: ``1 - D`` with ``D`` the two-sample Kolmogorov-Smirnov statistic on the
  non-null values (numeric, datetime as int64 ns), or ``1 - TV`` with
  ``TV = 0.5 * sum_v |p_real(v) - p_syn(v)|`` over the union of non-null values (discrete).
  These are SDMetrics' KSComplement and TVComplement.
- pair trend: numeric/datetime pairs: ``1 - |r_real - r_syn| / 2`` with Pearson ``r``
  (pairwise complete rows); pairs with a discrete column: contingency similarity
  ``1 - 0.5 * sum_(a,b) |p_real(a,b) - p_syn(a,b)|``, numeric columns cut into
  ``n_bins`` equal-width bins whose edges come from the REAL values (outer edges open),
  nulls as their own cell. NaN where undefined (a constant column's correlation).
- null rate: ``1 - |null_rate_real - null_rate_syn|`` per column.
- validity: ``in_range_share``: share of non-null synthetic values inside the real
  ``[min, max]`` (numeric/datetime) or the real category set (discrete);
  ``coverage``: share of real categories present in the synthetic data (discrete) or
  share of the real range covered by the synthetic range (numeric/datetime).
"""
from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from genesis_spark.core.kinds import Kind, as_float
from genesis_spark.quality.reports import ColumnDistribution

PLOT_BINS = 30
PLOT_TOP_CATEGORIES = 20


def ks_complement(real: np.ndarray, synthetic: np.ndarray) -> float:
    """``1 - KS statistic`` of two samples (NaN ignored); NaN when a side has no values."""
    r = np.sort(real[~np.isnan(real)])
    s = np.sort(synthetic[~np.isnan(synthetic)])
    if len(r) == 0 or len(s) == 0:
        return float("nan")
    points = np.concatenate([r, s])
    cdf_r = np.searchsorted(r, points, side="right") / len(r)
    cdf_s = np.searchsorted(s, points, side="right") / len(s)
    return float(1.0 - np.max(np.abs(cdf_r - cdf_s)))


def tv_complement_from_counts(real_counts: pd.Series, synthetic_counts: pd.Series) -> float:
    """``1 - total variation distance`` of two value-count Series (index = value)."""
    if real_counts.sum() == 0 or synthetic_counts.sum() == 0:
        return float("nan")
    p_r = real_counts / real_counts.sum()
    p_s = synthetic_counts / synthetic_counts.sum()
    p_r, p_s = p_r.align(p_s, fill_value=0.0)
    return float(1.0 - 0.5 * np.abs(p_r.to_numpy() - p_s.to_numpy()).sum())


def tv_complement(real: pd.Series, synthetic: pd.Series) -> float:
    """``1 - total variation distance`` between the non-null value frequencies of two columns."""
    return tv_complement_from_counts(real.value_counts(dropna=True), synthetic.value_counts(dropna=True))


def column_shapes(real: pd.DataFrame, synthetic: pd.DataFrame, kinds: dict[str, Kind]) -> pd.DataFrame:
    """One row per column: ``column, kind, metric, score`` (KSComplement or TVComplement)."""
    rows = []
    for column, kind in kinds.items():
        if kind == "discrete":
            score, metric = tv_complement(real[column], synthetic[column]), "TVComplement"
        else:
            score, metric = ks_complement(as_float(real[column]), as_float(synthetic[column])), "KSComplement"
        rows.append({"column": column, "kind": kind, "metric": metric, "score": score})
    return pd.DataFrame(rows, columns=["column", "kind", "metric", "score"])


def _codes(real: pd.Series, synthetic: pd.Series, kind: Kind, n_bins: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Integer cell codes for both sides: categories (nulls included), or real-edged bins for numbers."""
    if kind == "discrete":
        both = pd.concat([real, synthetic], ignore_index=True)
        codes, uniques = pd.factorize(both, use_na_sentinel=False)
        return codes[: len(real)], codes[len(real):], max(len(uniques), 1)
    r, s = as_float(real), as_float(synthetic)
    finite = r[~np.isnan(r)]
    edges = np.histogram_bin_edges(finite if len(finite) else np.zeros(1), bins=n_bins)
    edges[0], edges[-1] = -np.inf, np.inf
    # np.digitize maps NaN past the last edge: its own cell.
    return np.digitize(r, edges), np.digitize(s, edges), len(edges) + 1


def pair_trends(real: pd.DataFrame, synthetic: pd.DataFrame, kinds: dict[str, Kind], n_bins: int = 10) -> pd.DataFrame:
    """One row per column pair: ``column_1, column_2, metric, real, synthetic, score`` (see module docstring)."""
    columns = list(kinds)
    numeric = [c for c in columns if kinds[c] != "discrete"]
    corr_r = pd.DataFrame({c: as_float(real[c]) for c in numeric}).corr() if numeric else None
    corr_s = pd.DataFrame({c: as_float(synthetic[c]) for c in numeric}).corr() if numeric else None
    codes = {}
    rows = []
    for a, b in combinations(columns, 2):
        if kinds[a] != "discrete" and kinds[b] != "discrete":
            r, s = float(corr_r.loc[a, b]), float(corr_s.loc[a, b])
            rows.append({"column_1": a, "column_2": b, "metric": "CorrelationSimilarity",
                         "real": r, "synthetic": s, "score": 1.0 - abs(r - s) / 2.0})
            continue
        for c in (a, b):
            if c not in codes:
                codes[c] = _codes(real[c], synthetic[c], kinds[c], n_bins)
        (ra, sa, ka), (rb, sb, kb) = codes[a], codes[b]
        p_r = np.bincount(ra * kb + rb, minlength=ka * kb) / max(len(ra), 1)
        p_s = np.bincount(sa * kb + sb, minlength=ka * kb) / max(len(sa), 1)
        rows.append({"column_1": a, "column_2": b, "metric": "ContingencySimilarity",
                     "real": np.nan, "synthetic": np.nan, "score": float(1.0 - 0.5 * np.abs(p_r - p_s).sum())})
    return pd.DataFrame(rows, columns=["column_1", "column_2", "metric", "real", "synthetic", "score"])


def null_rate_table(real_rates: dict[str, float], synthetic_rates: dict[str, float]) -> pd.DataFrame:
    """One row per column: ``column, real_null_rate, synthetic_null_rate, score`` (``1 - |difference|``)."""
    rows = [{"column": c, "real_null_rate": real_rates[c], "synthetic_null_rate": synthetic_rates[c],
             "score": 1.0 - abs(real_rates[c] - synthetic_rates[c])} for c in real_rates]
    return pd.DataFrame(rows, columns=["column", "real_null_rate", "synthetic_null_rate", "score"])


def null_rates(real: pd.DataFrame, synthetic: pd.DataFrame) -> pd.DataFrame:
    """Null-rate similarity per column of two pandas frames."""
    return null_rate_table(real.isna().mean().to_dict(), synthetic.isna().mean().to_dict())


def validity(real: pd.DataFrame, synthetic: pd.DataFrame, kinds: dict[str, Kind]) -> pd.DataFrame:
    """One row per column: ``column, kind, in_range_share, coverage`` (see module docstring)."""
    rows = []
    for column, kind in kinds.items():
        if kind == "discrete":
            real_values = pd.Index(real[column].dropna().unique())
            syn = synthetic[column].dropna()
            in_range = float(syn.isin(real_values).mean()) if len(syn) else float("nan")
            coverage = float(real_values.isin(syn.unique()).mean()) if len(real_values) else float("nan")
        else:
            r, s = as_float(real[column]), as_float(synthetic[column])
            r, s = r[~np.isnan(r)], s[~np.isnan(s)]
            if len(r) == 0 or len(s) == 0:
                in_range = coverage = float("nan")
            else:
                lo, hi = r.min(), r.max()
                in_range = float(np.mean((s >= lo) & (s <= hi)))
                if hi == lo:
                    coverage = 1.0 if (s.min() <= lo <= s.max()) else 0.0
                else:
                    missed = max(s.min() - lo, 0.0) + max(hi - s.max(), 0.0)
                    coverage = float(np.clip(1.0 - missed / (hi - lo), 0.0, 1.0))
        rows.append({"column": column, "kind": kind, "in_range_share": in_range, "coverage": coverage})
    return pd.DataFrame(rows, columns=["column", "kind", "in_range_share", "coverage"])


def distributions(real: pd.DataFrame, synthetic: pd.DataFrame, kinds: dict[str, Kind]) -> list[ColumnDistribution]:
    """Per-column frequencies for plots: numbers in ``PLOT_BINS`` bins over the real 0.5-99.5% range
    (outliers land in the end bins; one bin per value for small integer ranges), categories as the
    real top ``PLOT_TOP_CATEGORIES`` plus ``(other)``."""
    out = []
    for column, kind in kinds.items():
        if kind == "discrete":
            counts_r = real[column].value_counts(dropna=False, normalize=True)
            counts_s = synthetic[column].value_counts(dropna=False, normalize=True)
            top = counts_r.index[:PLOT_TOP_CATEGORIES]
            p_r = counts_r.reindex(top, fill_value=0.0).to_numpy()
            p_s = counts_s.reindex(top, fill_value=0.0).to_numpy()
            labels = ["(null)" if pd.isna(v) else v for v in top]
            other_r, other_s = 1.0 - p_r.sum(), 1.0 - p_s.sum()
            if max(other_r, other_s) > 1e-12:
                labels.append("(other)")
                p_r, p_s = np.append(p_r, max(other_r, 0.0)), np.append(p_s, max(other_s, 0.0))
            out.append(ColumnDistribution(column, kind, [str(v) for v in labels], p_r, p_s))
            continue
        r, s = as_float(real[column]), as_float(synthetic[column])
        r, s = r[~np.isnan(r)], s[~np.isnan(s)]
        if len(r) == 0:
            continue
        lo, hi = np.quantile(r, [0.005, 0.995])
        if np.all(r == np.round(r)) and r.max() - r.min() <= 2 * PLOT_BINS:
            lo, hi = r.min() - 0.5, r.max() + 0.5  # small integer range: one bin per value
            edges = np.arange(lo, hi + 0.5, 1.0)
        else:
            if hi <= lo:
                lo, hi = r.min() - 0.5, r.max() + 0.5
            edges = np.linspace(lo, hi, PLOT_BINS + 1)
        p_r = np.histogram(np.clip(r, lo, hi), edges)[0] / max(len(r), 1)
        p_s = np.histogram(np.clip(s, lo, hi), edges)[0] / max(len(s), 1)
        labels = [f"{edges[i]:.4g}" for i in range(len(edges) - 1)]
        out.append(ColumnDistribution(column, kind, labels, p_r, p_s, edges))
    return out
