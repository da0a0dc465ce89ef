"""Report dataclasses: the numbers of a quality, privacy and utility evaluation.

Each report is a frozen dataclass with ``to_dict()`` (plain JSON-ready values) and
``to_json()``. ``QualityReport.to_html(path, privacy=..., utility=..., run=..., frames=...)`` writes one
self-contained HTML page with plots (see :mod:`genesis_spark.quality.html_report`); ``RunDetails``
(the run's metadata and loss curves) and ``ReportFrames`` (the rows behind the plots) feed it.
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
    #: Bounded samples of the rows scored, for the report's plots when ``to_html`` gets no ``frames``.
    frames: ReportFrames | None = field(default=None, repr=False, compare=False)

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
                utility: UtilityReport | None = None, title: str = "Synthetic data quality report", *,
                run: RunDetails | None = None, frames: ReportFrames | None = None, detection: Any = None,
                reference: Any = None) -> Path:
        """Write one self-contained HTML file (plots embedded as PNG) and return its path.

        Attach a privacy audit and a model comparison to include their sections, the run's
        metadata and loss curves (``run``), the rows behind the plots (``frames``: plots on a log
        scale where needed, minority vs majority overlays, per-row score distributions; by default
        the evaluator's bounded samples of the rows it scored), a
        detection score and a holdout reference (:mod:`genesis_spark.quality.detection`)::

            report.to_html("report.html", privacy=evaluator.privacy_audit(), utility=compare_models(...),
                           run=RunDetails.from_generator(generator, engine="pandas"),
                           frames=ReportFrames(fraud, synthetic, majority=legit, discrete_columns=("hour",)),
                           detection=logistic_detection(fraud, synthetic), reference=holdout_reference(fraud, test))
        """
        from genesis_spark.quality.html_report import write_html

        frames = frames if frames is not None else self.frames
        return write_html(Path(path), self, privacy=privacy, utility=utility, title=title, run=run, frames=frames,
                          detection=detection, reference=reference)


@dataclass(frozen=True)
class RunDetails:
    """What the HTML report says about the run that made the synthetic rows (every field optional).

    ``engine`` is the run's engine (``spark`` or ``pandas``), not the one the metrics were computed
    with (the pipeline scores pandas samples of a Spark run). ``loss_history`` is the generator's
    ``loss_history_`` (``epoch, generator_loss, discriminator_loss, gradient_penalty``);
    ``sampling`` maps each raised class to its sampling report (``SamplingReport`` or its
    ``to_dict()``: ``acceptance_rate``, ``acceptance_by_filter``, ...); ``thresholds`` the minimum
    per score column (``realism``, ``dcr``, ``label_prob``), drawn on the score plots.
    """

    run_id: Any = None
    pipeline: str | None = None
    engine: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    epochs: int | None = None
    generator_sha256: str | None = None
    source: str | None = None
    source_version: Any = None
    loss_history: pd.DataFrame | None = field(default=None, repr=False)
    sampling: dict[Any, Any] = field(default_factory=dict)
    thresholds: dict[str, float] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_generator(cls, generator: Any, **fields: Any) -> "RunDetails":
        """Details with the epochs, config, artifact sha256 and loss history of a fitted ``SyntheticGenerator``.

        Example::

            RunDetails.from_generator(generator, run_id=3, engine="spark", source="lake/transactions")
        """
        config = dict(getattr(generator, "config_", None) or {})
        found: dict[str, Any] = {"epochs": config.get("epochs"), "config": {"generator": config},
                                 "generator_sha256": getattr(generator, "sha256", None),
                                 "loss_history": getattr(generator, "loss_history_", None)}
        if "config" in fields:
            found["config"] = {**dict(fields.pop("config") or {}), "generator": config}
        return cls(**{**found, **fields})

    def rows(self) -> list[tuple[str, str]]:
        """``(label, value)`` lines for the report's metadata table (empty fields left out)."""
        source = self.source if self.source_version is None else f"{self.source} (version {self.source_version})"
        lines = [("run id", self.run_id), ("pipeline", self.pipeline), ("engine", self.engine),
                 ("epochs", self.epochs), ("generator sha256", self.generator_sha256),
                 ("source", source if self.source else None),
                 *((f"{phase} seconds", f"{seconds:.1f}") for phase, seconds in self.timings.items())]
        return [(label, str(value)) for label, value in lines if value not in (None, "")]


@dataclass(frozen=True)
class ReportFrames:
    """The rows behind the report's plots: pandas, bounded samples, the same columns on each side.

    ``real`` is the real minority the generator learned from, ``synthetic`` its synthetic rows
    (with the per-row score columns ``realism``, ``dcr``, ``label_prob`` when present),
    ``majority`` real rows of the other class(es), for three-way overlays.
    """

    real: pd.DataFrame
    synthetic: pd.DataFrame
    majority: pd.DataFrame | None = None
    discrete_columns: tuple[str, ...] = ()


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


#: Per-model metrics of each classifier carried into a run's metrics (``augmented_pr_auc``, ...).
UTILITY_MODEL_METRICS = ("pr_auc", "roc_auc", "recall_at_0.5", "f1_at_0.5")


@dataclass(frozen=True)
class UtilityReport:
    """Classifiers trained on real, augmented, SMOTENC and class-weighted data, scored on real test rows.

    ``table`` has one row per classifier and model (``baseline``, ``augmented``, ``smotenc``,
    ``class_weights``) with PR-AUC, ROC-AUC, best F1, metrics at threshold 0.5 (``*_at_0.5``)
    and at the threshold picked by max F1 on a validation slice of the training data
    (``threshold``, ``*_at_tuned``). ``gains`` has one row per classifier and reference model
    (``versus``): the PR-AUC gain of ``augmented``, its bootstrap interval (``low``, ``high``)
    and the ``verdict``. ``curves[classifier][model]`` holds each test PR curve.
    """

    table: pd.DataFrame
    target_column: str
    positive_label: Any
    curves: dict[str, dict[str, dict[str, np.ndarray]]] = field(default_factory=dict, repr=False)
    gains: pd.DataFrame = field(default_factory=pd.DataFrame)
    classifiers: tuple[str, ...] = ()

    def gain(self, classifier: str | None = None, versus: str = "baseline") -> dict[str, Any]:
        """The ``gains`` row of ``classifier`` (default: the first) against ``versus``."""
        classifier = classifier or self.classifiers[0]
        rows = self.gains[(self.gains["classifier"] == classifier) & (self.gains["versus"] == versus)]
        if rows.empty:
            raise KeyError(f"no gain of {classifier!r} against {versus!r}; the report has "
                           f"{sorted(set(zip(self.gains['classifier'], self.gains['versus'])))}.")
        return rows.iloc[0].to_dict()

    @property
    def verdict(self) -> str:
        """The first classifier's verdict against no augmentation: ``helped``, ``no_change`` or ``hurt``."""
        return str(self.gain()["verdict"])

    def metrics(self) -> dict[str, Any]:
        """Flat run metrics: per classifier with its name as a suffix, and the first classifier also without.

        Keys: ``<model>_<metric>`` (``augmented_pr_auc``, ...), ``pr_auc_gain`` with
        ``pr_auc_gain_low``/``pr_auc_gain_high``, the same ``_vs_smotenc`` and
        ``_vs_class_weights``, and ``utility_verdict``; e.g. ``utility_verdict_hist_gradient_boosting``.
        """
        out: dict[str, Any] = {"classifiers": ",".join(self.classifiers)}
        per_classifier: dict[str, dict[str, Any]] = {name: {} for name in self.classifiers}
        for row in self.table.to_dict("records"):
            for key in UTILITY_MODEL_METRICS:
                per_classifier[row["classifier"]][f"{row['model']}_{key}"] = row[key]
        for row in self.gains.to_dict("records"):
            versus = "" if row["versus"] == "baseline" else f"_vs_{row['versus']}"
            values = per_classifier[row["classifier"]]
            values[f"pr_auc_gain{versus}"] = row["gain"]
            values[f"pr_auc_gain{versus}_low"] = row["low"]
            values[f"pr_auc_gain{versus}_high"] = row["high"]
            if not versus:
                values["utility_verdict"] = row["verdict"]
        if self.classifiers:
            out.update(per_classifier[self.classifiers[0]])
        for name, values in per_classifier.items():
            out.update({f"{key}_{name}": value for key, value in values.items()})
        return _clean(out)

    def headline(self) -> list[str]:
        """One plain line per classifier: the verdict, PR-AUC before and after, the gain and its interval."""
        lines = []
        for name in self.classifiers:
            main = self.gain(name)
            line = (f"{name}: {main['verdict']}: PR-AUC {main['pr_auc_versus']:.3f} -> {main['pr_auc']:.3f} "
                    f"(gain {main['gain']:+.3f}, {main['confidence']:.0%} interval {main['low']:+.3f} to "
                    f"{main['high']:+.3f})")
            others = [f"{row['versus'].replace('_', ' ')} {row['gain']:+.3f}"
                      for row in self.gains[self.gains["classifier"] == name].to_dict("records")
                      if row["versus"] != "baseline"]
            lines.append(line + (f"; gain over {', over '.join(others)}" if others else ""))
        return lines

    def to_dict(self) -> dict[str, Any]:
        """The tables as records, with ``"metrics_version"``."""
        return _clean({
            "metrics_version": METRICS_VERSION,
            "target_column": self.target_column,
            "positive_label": self.positive_label,
            "classifiers": list(self.classifiers),
            "models": self.table,
            "gains": self.gains,
        })

    def to_json(self, indent: int | None = 2) -> str:
        """``to_dict()`` as a JSON string."""
        return json.dumps(self.to_dict(), indent=indent)
