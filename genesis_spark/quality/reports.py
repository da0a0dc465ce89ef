"""Report dataclasses: the numbers of a quality, privacy and utility evaluation.

Each report is a frozen dataclass with ``to_dict()`` (plain JSON-ready values) and
``to_json()``. ``QualityReport.to_html(path, privacy=..., utility=...)`` writes one
self-contained HTML page with plots (see :mod:`genesis_spark.quality.html_report`).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

METRICS_VERSION = 1


def _clean(value: Any) -> Any:
    """Turn numpy scalars/arrays, NaN and DataFrames into JSON-ready Python values."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, pd.DataFrame):
        return [_clean(r) for r in value.to_dict(orient="records")]
    if isinstance(value, np.ndarray):
        return [_clean(v) for v in value.tolist()]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, np.bool_):
        return bool(value)
    return value


@dataclass(frozen=True)
class ColumnDistribution:
    """Real vs synthetic frequencies of one column, on bins/categories taken from the real data (for plots)."""

    column: str
    kind: Literal["numeric", "datetime", "discrete"]
    labels: list[str]
    real: np.ndarray
    synthetic: np.ndarray
    edges: np.ndarray | None = None


@dataclass(frozen=True)
class QualityReport:
    """Fidelity of a synthetic table to a real one (see :mod:`genesis_spark.quality.evaluator` for the scores).

    Attributes:
        overall_score: weighted mean of fidelity, null-rate similarity and validity, in [0, 1].
        fidelity_score: mean of the column-shape score and the pair-trend score, in [0, 1].
        column_shapes: one row per column: ``column, kind, metric, score``.
        pair_trends: one row per column pair: ``column_1, column_2, metric, real, synthetic, score``.
        null_rates: one row per column: ``column, real_null_rate, synthetic_null_rate, score``.
        validity: one row per column: ``column, kind, in_range_share, coverage``.
    """

    overall_score: float
    fidelity_score: float
    column_shapes_score: float
    pair_trends_score: float
    null_rate_score: float
    validity_score: float
    column_shapes: pd.DataFrame
    pair_trends: pd.DataFrame
    null_rates: pd.DataFrame
    validity: pd.DataFrame
    n_real: int
    n_synthetic: int
    sample_rows: dict[str, int]
    engine: Literal["pandas", "spark"]
    distributions: list[ColumnDistribution] = field(default_factory=list, repr=False)
    weights: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Scores and tables as plain Python values, with ``"metrics_version"``."""
        return _clean({
            "metrics_version": METRICS_VERSION,
            "overall_score": self.overall_score,
            "fidelity_score": self.fidelity_score,
            "column_shapes_score": self.column_shapes_score,
            "pair_trends_score": self.pair_trends_score,
            "null_rate_score": self.null_rate_score,
            "validity_score": self.validity_score,
            "weights": self.weights,
            "n_real": self.n_real,
            "n_synthetic": self.n_synthetic,
            "sample_rows": self.sample_rows,
            "engine": self.engine,
            "column_shapes": self.column_shapes,
            "pair_trends": self.pair_trends,
            "null_rates": self.null_rates,
            "validity": self.validity,
        })

    def to_json(self, indent: int | None = 2) -> str:
        """``to_dict()`` as a JSON string."""
        return json.dumps(self.to_dict(), indent=indent)

    def to_html(self, path: str | Path, privacy: PrivacyReport | None = None,
                utility: UtilityReport | None = None, title: str = "Synthetic data quality report") -> Path:
        """Write one self-contained HTML file (plots embedded as PNG) and return its path.

        Attach a privacy audit and a model comparison to include their sections::

            report.to_html("report.html", privacy=evaluator.privacy_audit(), utility=compare_models(...))
        """
        from genesis_spark.quality.html_report import write_html

        return write_html(Path(path), self, privacy=privacy, utility=utility, title=title)


@dataclass(frozen=True)
class PrivacyReport:
    """Distance-to-closest-record audit of synthetic rows against the real training rows.

    Attributes:
        score: ``1 - max(0, too_close_share - baseline_share) / (1 - baseline_share)``, in [0, 1].
        passed: ``score >= threshold``.
        too_close: positions (0-based, in the evaluated synthetic frame) of rows to drop.
        synthetic_dcr / baseline_dcr: the distances behind the score (for histograms).
    """

    score: float
    passed: bool
    threshold: float
    too_close: np.ndarray
    distance_threshold: float
    too_close_share: float
    baseline_share: float
    baseline: Literal["holdout", "leave_one_out"]
    exact_match_rate: float
    closer_to_training_share: float | None
    dcr_synthetic_median: float
    dcr_baseline_median: float
    nndr_synthetic_median: float
    nndr_baseline_median: float
    n_training: int
    n_synthetic: int
    synthetic_dcr: np.ndarray = field(repr=False)
    baseline_dcr: np.ndarray = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Scores and summary statistics (no per-row arrays except ``too_close``), with ``"metrics_version"``."""
        return _clean({
            "metrics_version": METRICS_VERSION,
            "score": self.score,
            "passed": self.passed,
            "threshold": self.threshold,
            "distance_threshold": self.distance_threshold,
            "too_close_share": self.too_close_share,
            "baseline_share": self.baseline_share,
            "baseline": self.baseline,
            "exact_match_rate": self.exact_match_rate,
            "closer_to_training_share": self.closer_to_training_share,
            "dcr_synthetic_median": self.dcr_synthetic_median,
            "dcr_baseline_median": self.dcr_baseline_median,
            "nndr_synthetic_median": self.nndr_synthetic_median,
            "nndr_baseline_median": self.nndr_baseline_median,
            "n_training": self.n_training,
            "n_synthetic": self.n_synthetic,
            "n_too_close": int(len(self.too_close)),
            "too_close": self.too_close,
        })

    def to_json(self, indent: int | None = 2) -> str:
        """``to_dict()`` as a JSON string."""
        return json.dumps(self.to_dict(), indent=indent)


@dataclass(frozen=True)
class UtilityReport:
    """The same classifier trained on real, augmented and SMOTENC-resampled training data, scored on real test rows.

    ``table`` has one row per model (``baseline``, ``augmented``, ``smotenc``) with metrics at
    threshold 0.5 (``*_at_0.5``) and at the threshold picked by max F1 on a validation slice of
    the training data (``threshold``, ``*_at_tuned``). ``curves`` holds each model's test PR curve.
    """

    table: pd.DataFrame
    target_column: str
    positive_label: Any
    curves: dict[str, dict[str, np.ndarray]] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The table as records, with ``"metrics_version"``."""
        return _clean({
            "metrics_version": METRICS_VERSION,
            "target_column": self.target_column,
            "positive_label": self.positive_label,
            "models": self.table,
        })

    def to_json(self, indent: int | None = 2) -> str:
        """``to_dict()`` as a JSON string."""
        return json.dumps(self.to_dict(), indent=indent)
