"""Utility: did the synthetic rows help a classifier, against no augmentation, SMOTENC and class weights?

:func:`compare_models` trains each classifier (default: a random forest and scikit-learn's
histogram gradient boosting) four ways and scores each on the same real test rows:

- ``baseline``: the real training rows;
- ``augmented``: the augmented training rows as given (real + synthetic);
- ``smotenc``: the real training rows plus as many SMOTENC rows (imbalanced-learn; SMOTE
  when there is no discrete feature) per class as the augmented set adds over the real one;
- ``class_weights``: the real training rows with balanced class weights.

Per classifier, the PR-AUC gain of ``augmented`` over each other model gets a paired
bootstrap interval over resamples of the test rows and a verdict: ``helped``, ``no_change``
or ``hurt`` (:mod:`genesis_spark.quality.verdict`).

Features: the target is dropped; discrete columns (``discrete_columns`` plus non-numeric
dtypes) are one-hot encoded on the categories of the real training rows, so every frame
gets the same columns (unseen categories are all zeros, like the tutorial's
``get_dummies`` + ``align``); missing numbers get the real training median.

Thresholds: metrics at 0.5, and at a threshold picked on validation data: a stratified
``validation_fraction`` slice of the REAL training rows is held out, a second copy of each
model is trained on the rest (plus, for ``augmented``, the rows the augmented set adds over
the real training rows, found by row hash; for ``smotenc``, fresh SMOTENC rows from the rest)
and the threshold that maximises F1 on the slice is kept. The test split is only ever scored.
"""
from __future__ import annotations

import logging
from typing import Any, Sequence

import numpy as np
import pandas as pd

from genesis_spark.core.columns import missing_column_error
from genesis_spark.core.kinds import infer_kinds
from genesis_spark.core.smote import fill_nulls, smote_new_rows
from genesis_spark.quality.classifiers import class_weighted, resolve_classifiers
from genesis_spark.quality.reports import UtilityReport
from genesis_spark.quality.verdict import bootstrap_average_precision, gain_from_replicates

logger = logging.getLogger(__name__)


class _Features:
    """Aligned one-hot features from the real training rows' categories."""

    def __init__(self, train: pd.DataFrame, discrete: list[str]):
        self.columns = list(train.columns)
        self.discrete = discrete
        self.categories = {c: pd.Index(train[c].dropna().unique()) for c in discrete}
        numeric = [c for c in self.columns if c not in discrete]
        self.medians = {c: pd.to_numeric(train[c], errors="coerce").median() for c in numeric}

    def __call__(self, df: pd.DataFrame) -> np.ndarray:
        parts = []
        for c in self.columns:
            if c in self.discrete:
                codes = self.categories[c].get_indexer(df[c])
                onehot = np.zeros((len(df), len(self.categories[c])), dtype=np.float32)
                hit = codes >= 0
                onehot[np.flatnonzero(hit), codes[hit]] = 1.0
                parts.append(onehot)
            else:
                values = pd.to_numeric(df[c], errors="coerce").fillna(self.medians[c])
                parts.append(values.to_numpy(dtype=np.float32)[:, None])
        return np.hstack(parts) if parts else np.zeros((len(df), 0), dtype=np.float32)


def _hashes(df: pd.DataFrame) -> np.ndarray:
    frame = pd.DataFrame({c: (df[c].astype("float64") if pd.api.types.is_numeric_dtype(df[c]) and
                              not pd.api.types.is_bool_dtype(df[c]) else df[c].astype("string"))
                          for c in df.columns})
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def _added_rows(real_train: pd.DataFrame, augmented: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``augmented`` beyond those of ``real_train`` (multiset difference by row hash)."""
    real_h, aug_h = _hashes(real_train), _hashes(augmented[list(real_train.columns)])
    remaining = pd.Series(real_h).value_counts()
    occurrence = pd.Series(aug_h).groupby(aug_h).cumcount().to_numpy()
    available = pd.Series(aug_h).map(remaining).fillna(0).to_numpy()
    return augmented[occurrence >= available]


def _smotenc_rows(train: pd.DataFrame, target: str, discrete: list[str], extra: dict[Any, int],
                  seed: int) -> pd.DataFrame:
    """``train`` plus ``extra[label]`` SMOTE rows per label (``core.smote``; nulls filled first)."""
    try:
        new = smote_new_rows(fill_nulls(train, discrete, keep=[target]), target, discrete, extra, seed)
    except ValueError as exc:
        raise ValueError(f"{exc} Pass include_smote=False to skip it.") from exc
    return pd.concat([train, new], ignore_index=True)[list(train.columns)]


def _metrics(y: np.ndarray, prob: np.ndarray, threshold: float) -> dict[str, float]:
    from sklearn.metrics import confusion_matrix, f1_score, precision_score, recall_score

    pred = (prob >= threshold).astype(int)
    tn, fp, fn, tp = confusion_matrix(y, pred, labels=[0, 1]).ravel()
    return {"precision": float(precision_score(y, pred, zero_division=0)),
            "recall": float(recall_score(y, pred, zero_division=0)),
            "f1": float(f1_score(y, pred, zero_division=0)),
            "tn": int(tn), "fp": int(fp), "fn": int(fn), "tp": int(tp)}


def _f1(precision: np.ndarray, recall: np.ndarray) -> np.ndarray:
    """F1 at each point of a precision-recall curve (0 where both are 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)


def _best_threshold(y: np.ndarray, prob: np.ndarray) -> float:
    from sklearn.metrics import precision_recall_curve

    precision, recall, thresholds = precision_recall_curve(y, prob)
    return float(thresholds[int(np.argmax(_f1(precision, recall)[:-1]))]) if len(thresholds) else 0.5


def compare_models(real_train: pd.DataFrame, augmented_train: pd.DataFrame, test: pd.DataFrame,
                   target_column: str, *, discrete_columns: list[str] | None = None,
                   classifiers: Sequence[Any] | str | None = None, include_smote: bool = True,
                   include_class_weights: bool = True, n_bootstrap: int = 1000, confidence: float = 0.95,
                   seed: int = 0, validation_fraction: float = 0.2, positive_label: Any = None) -> UtilityReport:
    """Train each classifier on real, augmented, SMOTENC and class-weighted real data; score on the real test rows.

    ``classifiers``: names from :mod:`genesis_spark.quality.classifiers` (default
    ``random_forest`` and ``hist_gradient_boosting``) or scikit-learn classifiers with
    ``predict_proba`` (cloned per model). Each classifier's PR-AUC gain of ``augmented`` over
    ``baseline`` (and over ``smotenc`` and ``class_weights``) gets a paired bootstrap interval
    over ``n_bootstrap`` seeded resamples of the test rows and a verdict (``helped``,
    ``no_change``, ``hurt``; see :mod:`genesis_spark.quality.verdict`). Binary targets;
    ``positive_label`` defaults to the rarest class of ``real_train``.

    Example::

        report = compare_models(train_df, augmented_df, test_df, "is_fraud", discrete_columns=["merchant_category"])
        print(report.verdict, report.gains)
    """
    from sklearn.model_selection import train_test_split

    for name, frame in (("real_train", real_train), ("augmented_train", augmented_train), ("test", test)):
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}; "
                            "collect a bounded sample of a Spark DataFrame with .toPandas() first.")
        if len(frame) == 0:
            raise ValueError(f"{name} has no rows.")
        if target_column not in frame.columns:
            raise missing_column_error(target_column, list(frame.columns), f"target_column (in {name})")
    features = [c for c in real_train.columns if c != target_column]
    for name, frame in (("augmented_train", augmented_train), ("test", test)):
        missing = [c for c in features if c not in frame.columns]
        if missing:
            raise ValueError(f"{name} lacks the feature columns {missing} that real_train has.")
    if not 0.0 < validation_fraction < 0.5:
        raise ValueError(f"validation_fraction must be in (0, 0.5), got {validation_fraction}.")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}.")
    if isinstance(n_bootstrap, bool) or not isinstance(n_bootstrap, int) or n_bootstrap < 10:
        raise ValueError(f"n_bootstrap must be an integer of at least 10, got {n_bootstrap!r}.")
    labels = real_train[target_column].value_counts()
    if len(labels) != 2:
        raise ValueError(f"compare_models needs a binary target; {target_column!r} of real_train has classes "
                         f"{labels.index.tolist()}.")
    positive = labels.index[-1] if positive_label is None else positive_label
    models = resolve_classifiers(classifiers, seed)
    kinds = infer_kinds(real_train[features], [c for c in (discrete_columns or []) if c != target_column])
    discrete = [c for c, k in kinds.items() if k == "discrete"]
    columns = [*features, target_column]
    real_train, augmented_train, test = (real_train[columns], augmented_train[columns], test[columns])

    added = _added_rows(real_train, augmented_train)
    extra = (augmented_train[target_column].value_counts() - labels).fillna(0).astype(int).to_dict()
    fit_part, val_part = train_test_split(real_train, test_size=validation_fraction, random_state=seed,
                                          stratify=real_train[target_column])
    encode = _Features(real_train[features], discrete)
    y_test = (test[target_column] == positive).to_numpy().astype(int)
    x_test = encode(test)
    y_val = (val_part[target_column] == positive).to_numpy().astype(int)
    x_val = encode(val_part)

    plans: dict[str, tuple[pd.DataFrame, pd.DataFrame, bool]] = {
        "baseline": (real_train, fit_part, False),
        "augmented": (augmented_train, pd.concat([fit_part, added]), False)}
    if include_smote:
        plans["smotenc"] = (_smotenc_rows(real_train, target_column, discrete, extra, seed),
                            _smotenc_rows(fit_part, target_column, discrete, extra, seed), False)
    if include_class_weights:
        plans["class_weights"] = (real_train, fit_part, True)
    encoded = {name: (encode(full), _positive(full, target_column, positive),
                      encode(partial), _positive(partial, target_column, positive))
               for name, (full, partial, _) in plans.items()}

    rows, gains, curves = [], [], {}
    for classifier, estimator in models:
        probs: dict[str, np.ndarray] = {}
        curves[classifier] = {}
        for model_name, (full, _, weighted) in plans.items():
            x_full, y_full, x_part, y_part = encoded[model_name]
            tuner = _fit(estimator, x_part, y_part, weighted)
            threshold = _best_threshold(y_val, tuner.predict_proba(x_val)[:, 1])
            prob = _fit(estimator, x_full, y_full, weighted).predict_proba(x_test)[:, 1]
            probs[model_name] = prob
            curves[classifier][model_name] = curve = _curve(y_test, prob)
            rows.append(_model_row(classifier, model_name, full, target_column, positive, y_test, prob, threshold,
                                   curve))
            logger.info("compare_models: %s %s pr_auc %.3f", classifier, model_name, rows[-1]["pr_auc"])
        points = {row["model"]: row["pr_auc"] for row in rows if row["classifier"] == classifier}
        gains += _gains(classifier, y_test, probs, points, n_bootstrap, confidence, seed)
    return UtilityReport(table=pd.DataFrame(rows), target_column=target_column,
                         positive_label=positive.item() if hasattr(positive, "item") else positive, curves=curves,
                         gains=pd.DataFrame(gains), classifiers=tuple(name for name, _ in models))


def _positive(frame: pd.DataFrame, target_column: str, positive: Any) -> np.ndarray:
    return (frame[target_column] == positive).to_numpy().astype(int)


def _fit(estimator: Any, x: np.ndarray, y: np.ndarray, class_weights: bool) -> Any:
    """A fitted clone of ``estimator``; with ``class_weights`` balanced by class (parameter or sample weights)."""
    from sklearn.base import clone
    from sklearn.utils.class_weight import compute_sample_weight

    if not class_weights:
        return clone(estimator).fit(x, y)
    model, has_parameter = class_weighted(estimator)
    return model.fit(x, y) if has_parameter else model.fit(x, y, sample_weight=compute_sample_weight("balanced", y))


def _model_row(classifier: str, model_name: str, full: pd.DataFrame, target_column: str, positive: Any,
               y_test: np.ndarray, prob: np.ndarray, threshold: float,
               curve: dict[str, np.ndarray]) -> dict[str, Any]:
    from sklearn.metrics import average_precision_score, roc_auc_score

    row = {"classifier": classifier, "model": model_name, "n_train": len(full),
           "n_positive_train": int((full[target_column] == positive).sum()),
           "roc_auc": float(roc_auc_score(y_test, prob)) if len(np.unique(y_test)) == 2 else float("nan"),
           "pr_auc": float(average_precision_score(y_test, prob)), "best_f1": float(_f1(curve["precision"], curve["recall"]).max()),
           "threshold": threshold}
    row.update({f"{k}_at_0.5": v for k, v in _metrics(y_test, prob, 0.5).items()})
    row.update({f"{k}_at_tuned": v for k, v in _metrics(y_test, prob, threshold).items()})
    return row


def _curve(y: np.ndarray, prob: np.ndarray) -> dict[str, np.ndarray]:
    from sklearn.metrics import precision_recall_curve

    precision, recall, _ = precision_recall_curve(y, prob)
    return {"precision": precision, "recall": recall}


def _gains(classifier: str, y_test: np.ndarray, probs: dict[str, np.ndarray], points: dict[str, float],
           n_bootstrap: int, confidence: float, seed: int) -> list[dict[str, Any]]:
    """Augmented against each other model of one classifier (``points``: their PR-AUCs on the test rows):
    gain, paired bootstrap interval, verdict."""
    if len(np.unique(y_test)) < 2:
        raise ValueError("compare_models: the test rows hold one class only; a PR-AUC gain needs both. "
                         "Use a larger or stratified test split.")
    replicates = bootstrap_average_precision(y_test, probs, n_bootstrap, seed)
    out = []
    for versus in (name for name in probs if name != "augmented"):
        gain = gain_from_replicates(points["augmented"] - points[versus], replicates["augmented"],
                                    replicates[versus], confidence)
        out.append({"classifier": classifier, "versus": versus, "pr_auc": points["augmented"],
                    "pr_auc_versus": points[versus], "gain": gain.gain, "low": gain.low, "high": gain.high,
                    "confidence": confidence, "verdict": gain.verdict})
    return out
