"""QualityEvaluator: how close a synthetic table is to the real one, and how private.

Scores (all in [0, 1]; the per-metric definitions are in :mod:`genesis_spark.quality.fidelity`):

- ``column_shapes_score`` = mean over columns of the column-shape score (KS complement for
  numeric/datetime, TV complement for discrete), NaN columns skipped;
- ``pair_trends_score`` = mean over all column pairs of the pair-trend score (correlation
  similarity or contingency similarity), NaN pairs skipped. Unlike SDMetrics 0.2x's report,
  every pair counts (SDMetrics now averages only pairs whose real correlation/association is
  strong);
- ``fidelity_score`` = mean of ``column_shapes_score`` and ``pair_trends_score`` (the column
  shape score alone for a one-column table), as SDMetrics' single-table QualityReport;
- ``null_rate_score`` = mean over columns of ``1 - |null_rate_real - null_rate_syn|``;
- ``validity_score`` = mean over columns of ``(in_range_share + coverage) / 2``;
- ``overall_score`` = ``0.8 * fidelity_score + 0.1 * null_rate_score + 0.1 * validity_score``
  (:data:`OVERALL_WEIGHTS`), a missing part's weight shared among the others.

pandas inputs are scored on all rows. Spark inputs (detected with
:func:`genesis_spark.core.frames.is_spark_dataframe`; pyspark is only imported then):
column shapes and null rates come from Spark aggregations over all rows
(:mod:`genesis_spark.quality.spark_metrics`, KS on approximate real-quantile buckets);
pair trends, validity, plots and the privacy audit use a seeded sample of at most
``sample_size`` rows per side, whose sizes the report gives in ``sample_rows``.
A pandas frame given with a Spark one is moved into the Spark frame's session.
"""
from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from genesis_spark.core.frames import is_spark_dataframe
from genesis_spark.core.kinds import infer_kinds
from genesis_spark.quality import fidelity
from genesis_spark.quality.privacy import audit
from genesis_spark.quality.reports import PrivacyReport, QualityReport, ReportFrames

logger = logging.getLogger(__name__)

OVERALL_WEIGHTS = {"fidelity": 0.8, "null_rates": 0.1, "validity": 0.1}


def _nanmean(values) -> float:
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    return float(values.mean()) if len(values) else float("nan")


def _weighted(parts: dict[str, float]) -> float:
    usable = {k: v for k, v in parts.items() if not np.isnan(v)}
    total = sum(OVERALL_WEIGHTS[k] for k in usable)
    return float(sum(OVERALL_WEIGHTS[k] * v for k, v in usable.items()) / total) if total else float("nan")


def _check_columns(real_columns: list[str], other_columns: list[str], other: str = "synthetic") -> None:
    missing = [c for c in real_columns if c not in other_columns]
    extra = [c for c in other_columns if c not in real_columns]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing from {other}: {missing}")
        if extra:
            parts.append(f"only in {other}: {extra}")
        raise ValueError(f"real and {other} data must have the same columns; " + "; ".join(parts)
                         + ". Drop or add columns (e.g. the target) so both sides match.")


class QualityEvaluator:
    """Compare a synthetic table with the real one: fidelity scores and a privacy audit.

    Example::

        report = QualityEvaluator(fraud_cases, synthetic_fraud, discrete_columns=["merchant_category"]).evaluate()
        report.overall_score, report.fidelity_score
        QualityEvaluator(train_rows, synthetic_rows).privacy_audit(threshold=0.9, holdout=test_rows).passed
    """

    def __init__(self, real: Any, synthetic: Any, discrete_columns: list[str] | None = None, *,
                 sample_size: int = 50_000, seed: int = 0) -> None:
        for name, frame in (("real", real), ("synthetic", synthetic)):
            if not (isinstance(frame, pd.DataFrame) or is_spark_dataframe(frame)):
                raise TypeError(f"{name} must be a pandas or Spark DataFrame, got {type(frame).__name__}.")
        if sample_size < 1:
            raise ValueError(f"sample_size must be a positive number of rows, got {sample_size}.")
        _check_columns(list(real.columns), list(synthetic.columns))
        self.real = real
        self.synthetic = synthetic
        self.discrete_columns = list(discrete_columns) if discrete_columns is not None else None
        self.sample_size = int(sample_size)
        self.seed = int(seed)
        self.is_spark = is_spark_dataframe(real) or is_spark_dataframe(synthetic)
        self._samples: dict[str, tuple[pd.DataFrame, int]] = {}
        self._spark = None
        if not self.is_spark:
            for name, frame in (("real", real), ("synthetic", synthetic)):
                if len(frame) == 0:
                    raise ValueError(f"the {name} DataFrame has no rows; both sides need rows to compare.")

    # -- helpers ---------------------------------------------------------------------------------
    def _spark_frames(self):
        if self._spark is None:
            session = (self.real if is_spark_dataframe(self.real) else self.synthetic).sparkSession
            real = self.real if is_spark_dataframe(self.real) else session.createDataFrame(self.real)
            synthetic = self.synthetic if is_spark_dataframe(self.synthetic) else session.createDataFrame(self.synthetic)
            self._spark = (real, synthetic.select(*real.columns))
        return self._spark

    def _kinds(self) -> dict[str, fidelity.Kind]:
        if self.is_spark:
            from genesis_spark.quality.spark_metrics import spark_kinds

            return spark_kinds(self._spark_frames()[0], self.discrete_columns)
        return infer_kinds(self.real, self.discrete_columns)

    def _sample(self, name: str, frame, total: int | None = None) -> pd.DataFrame:
        """The pandas rows used for sampled metrics (all rows of a pandas frame)."""
        if not is_spark_dataframe(frame):
            return frame
        if name not in self._samples:
            from genesis_spark.quality.spark_metrics import spark_sample

            total = frame.count() if total is None else total
            self._samples[name] = (spark_sample(frame, self.sample_size, total, self.seed), total)
        return self._samples[name][0]

    # -- public API ------------------------------------------------------------------------------
    def evaluate(self) -> QualityReport:
        """Score the synthetic data against the real data (definitions in the module docstring)."""
        kinds = self._kinds()
        if self.is_spark:
            from genesis_spark.quality.spark_metrics import spark_column_stats

            real_sdf, syn_sdf = self._spark_frames()
            shapes, nulls, n_real, n_syn = spark_column_stats(real_sdf, syn_sdf, kinds)
            real = self._sample("real", real_sdf, n_real)
            synthetic = self._sample("synthetic", syn_sdf, n_syn)[list(real.columns)]
        else:
            real, synthetic = self.real, self.synthetic[list(self.real.columns)]
            shapes = fidelity.column_shapes(real, synthetic, kinds)
            nulls = fidelity.null_rates(real, synthetic)
            n_real, n_syn = len(real), len(synthetic)
        pairs = fidelity.pair_trends(real, synthetic, kinds)
        validity = fidelity.validity(real, synthetic, kinds)
        validity["score"] = validity[["in_range_share", "coverage"]].mean(axis=1)
        shape_score = _nanmean(shapes["score"])
        pair_score = _nanmean(pairs["score"])
        fidelity_score = _nanmean([shape_score, pair_score])
        null_score = _nanmean(nulls["score"])
        validity_score = _nanmean(validity["score"])
        overall = _weighted({"fidelity": fidelity_score, "null_rates": null_score, "validity": validity_score})
        logger.info("quality: overall %.3f, fidelity %.3f (shapes %.3f, pairs %.3f)",
                    overall, fidelity_score, shape_score, pair_score)
        return QualityReport(
            overall_score=overall, fidelity_score=fidelity_score, column_shapes_score=shape_score,
            pair_trends_score=pair_score, null_rate_score=null_score, validity_score=validity_score,
            column_shapes=shapes, pair_trends=pairs, null_rates=nulls, validity=validity,
            n_real=int(n_real), n_synthetic=int(n_syn),
            sample_rows={"real": len(real), "synthetic": len(synthetic)},
            engine="spark" if self.is_spark else "pandas",
            distributions=fidelity.distributions(real, synthetic, kinds), weights=dict(OVERALL_WEIGHTS),
            frames=ReportFrames(_bounded(real, self.seed), _bounded(synthetic, self.seed), None,
                                tuple(c for c, kind in kinds.items() if kind == "discrete")),
        )

    def privacy_audit(self, threshold: float = 0.9, holdout: Any = None) -> PrivacyReport:
        """Distance-to-closest-record audit of the synthetic rows against the real (training) rows.

        ``holdout``: real rows NOT used to train the generator (pandas or Spark), the baseline;
        without it, the baseline is leave-one-out distances among the real rows. See
        :mod:`genesis_spark.quality.privacy` for the score; ``report.too_close`` lists synthetic row
        positions to drop (positions in the sample for Spark inputs).
        """
        if not isinstance(threshold, (int, float)) or not 0.0 <= float(threshold) <= 1.0:
            raise ValueError(f"privacy threshold must be a number in [0, 1], got {threshold!r}.")
        kinds = self._kinds()
        if self.is_spark:
            real_sdf, syn_sdf = self._spark_frames()
            real, synthetic = self._sample("real", real_sdf), self._sample("synthetic", syn_sdf)
        else:
            real, synthetic = self.real, self.synthetic
        if holdout is not None:
            _check_columns(list(self.real.columns), list(holdout.columns), "holdout")
            holdout = self._sample("holdout", holdout) if is_spark_dataframe(holdout) else holdout
        return audit(real, synthetic, kinds, threshold=float(threshold), holdout=holdout)


#: Most rows per side the report's plots keep from an evaluation (``QualityReport.frames``).
REPORT_PLOT_ROWS = 20_000


def _bounded(frame: pd.DataFrame, seed: int | None) -> pd.DataFrame:
    """At most ``REPORT_PLOT_ROWS`` rows of ``frame`` (a seeded sample above it)."""
    if len(frame) <= REPORT_PLOT_ROWS:
        return frame
    return frame.sample(REPORT_PLOT_ROWS, random_state=0 if seed is None else int(seed))
