"""Detection: can a classifier tell real rows from synthetic ones? And what does "as good as real" look like?

:func:`logistic_detection` is SDMetrics' ``LogisticDetection``: real rows labelled 0, synthetic
rows labelled 1, numeric columns standardized (nulls filled with the real median, plus a null
indicator), discrete columns one-hot encoded (values unseen in the real rows share one column),
a logistic regression cross-validated on stratified folds; ``roc_auc`` is the mean held-out
ROC-AUC and ``score = 1 - (2 * max(roc_auc, 0.5) - 1)``: 1 when the rows cannot be told apart,
0 when they always can.

:func:`holdout_reference` scores real rows the generator never saw (the test minority) against
the real training minority with the same metrics, so a report can show what real data scores.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from genesis_spark.core.kinds import as_float, infer_kinds
from genesis_spark.quality.reports import QualityReport

logger = logging.getLogger(__name__)

#: Most rows of each side used by the detector (a seeded sample above it).
DETECTION_MAX_ROWS = 5_000
#: Most one-hot columns per discrete column (the most frequent real values).
DETECTION_TOP_CATEGORIES = 50


@dataclass(frozen=True)
class DetectionReport:
    """How well a cross-validated logistic regression tells real rows from synthetic ones.

    Attributes:
        roc_auc: mean held-out ROC-AUC over the folds (0.5: indistinguishable).
        score: ``1 - (2 * max(roc_auc, 0.5) - 1)`` in [0, 1] (SDMetrics' LogisticDetection; 1 is best).
        n_real / n_synthetic: rows of each side used; folds: the number of folds.
    """

    roc_auc: float
    score: float
    n_real: int
    n_synthetic: int
    folds: int

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values."""
        return {k: (float(v) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def _sample(frame: pd.DataFrame, max_rows: int, rng: np.random.Generator) -> pd.DataFrame:
    if len(frame) <= max_rows:
        return frame.reset_index(drop=True)
    return frame.iloc[np.sort(rng.choice(len(frame), max_rows, replace=False))].reset_index(drop=True)


def _design(real: pd.DataFrame, other: pd.DataFrame, kinds: dict[str, str]) -> np.ndarray:
    """Both frames as one float matrix (real rows first), encoded with statistics of the real rows."""
    parts = []
    for column, kind in kinds.items():
        if kind == "discrete":
            r, o = real[column].astype("string").fillna("(null)"), other[column].astype("string").fillna("(null)")
            top = r.value_counts().index[:DETECTION_TOP_CATEGORIES]
            values = pd.concat([r, o], ignore_index=True)
            codes = pd.Categorical(values.where(values.isin(top), "(other)"), categories=[*top, "(other)"])
            parts.append(np.eye(len(codes.categories))[codes.codes])
            continue
        values = np.concatenate([as_float(real[column]), as_float(other[column])])
        missing = np.isnan(values)
        fill = np.nanmedian(values[: len(real)]) if (~missing[: len(real)]).any() else 0.0
        values = np.where(missing, fill, values)
        parts.append(values[:, None])
        if missing.any():
            parts.append(missing[:, None].astype(float))
    if not parts:
        return np.zeros((len(real) + len(other), 1))
    return np.hstack(parts)


def logistic_detection(real: pd.DataFrame, synthetic: pd.DataFrame, discrete_columns: list[str] | None = None,
                       *, folds: int = 3, max_rows: int = DETECTION_MAX_ROWS, seed: int = 0) -> DetectionReport:
    """Cross-validated ROC-AUC of a logistic regression telling ``real`` from ``synthetic`` rows.

    Both frames need the same columns; kinds follow :func:`genesis_spark.core.kinds.infer_kinds`
    on ``real`` with ``discrete_columns``. At most ``max_rows`` rows per side (seeded sample).

    Example::

        logistic_detection(fraud_rows, synthetic_fraud, ["merchant_category"]).score   # 1 = indistinguishable
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold
    from sklearn.preprocessing import StandardScaler

    missing = [c for c in real.columns if c not in synthetic.columns]
    if missing:
        raise ValueError(f"synthetic lacks columns {missing} of real; pass frames with the same columns.")
    if folds < 2:
        raise ValueError(f"folds must be at least 2, got {folds}.")
    rng = np.random.default_rng(seed)
    real = _sample(real, max_rows, rng)
    synthetic = _sample(synthetic[list(real.columns)], max_rows, rng)
    n_folds = min(folds, len(real), len(synthetic))
    if n_folds < 2:
        raise ValueError(f"detection needs at least 2 rows on each side, got {len(real)} real and "
                         f"{len(synthetic)} synthetic.")
    x = _design(real, synthetic, infer_kinds(real, discrete_columns))
    y = np.r_[np.zeros(len(real)), np.ones(len(synthetic))]
    aucs = []
    for train, test in StratifiedKFold(n_folds, shuffle=True, random_state=seed).split(x, y):
        scaler = StandardScaler().fit(x[train])
        model = LogisticRegression(max_iter=1000).fit(scaler.transform(x[train]), y[train])
        aucs.append(roc_auc_score(y[test], model.predict_proba(scaler.transform(x[test]))[:, 1]))
    roc_auc = float(np.mean(aucs))
    logger.info("detection: logistic ROC-AUC %.3f over %d folds (%d real, %d synthetic rows)",
                roc_auc, n_folds, len(real), len(synthetic))
    return DetectionReport(roc_auc=roc_auc, score=1.0 - (2.0 * max(roc_auc, 0.5) - 1.0), n_real=len(real),
                           n_synthetic=len(synthetic), folds=n_folds)


@dataclass(frozen=True)
class HoldoutReference:
    """Real held-out rows scored against the real training rows: what "as good as real" scores.

    ``quality`` is the fidelity report of the holdout rows in the synthetic rows' place;
    ``detection`` the detector's result on them (None when too few rows).
    """

    quality: QualityReport
    detection: DetectionReport | None
    n_holdout: int


def holdout_reference(train: pd.DataFrame, holdout: pd.DataFrame, discrete_columns: list[str] | None = None,
                      *, seed: int = 0) -> HoldoutReference:
    """Score ``holdout`` (real rows the generator never saw) against ``train`` with the synthetic rows' metrics.

    Example::

        ref = holdout_reference(train_fraud, test_fraud, ["merchant_category"])
        ref.quality.overall_score, ref.detection.roc_auc
    """
    from genesis_spark.quality.evaluator import QualityEvaluator

    holdout = holdout[list(train.columns)].reset_index(drop=True)
    quality = QualityEvaluator(train, holdout, discrete_columns, seed=seed).evaluate()
    detection = None
    if len(holdout) >= 2 and len(train) >= 2:
        detection = logistic_detection(train, holdout, discrete_columns, seed=seed)
    return HoldoutReference(quality=quality, detection=detection, n_holdout=len(holdout))
