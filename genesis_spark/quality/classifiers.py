"""The classifiers ``compare_models`` trains, by name, and the class-weighted form of any of them.

Names (YAML ``classifiers:``): ``random_forest`` (100 trees, as in the tutorial),
``hist_gradient_boosting`` (scikit-learn's defaults, the model most teams use on tabular
fraud data) and ``logistic_regression`` (standardised features, ``max_iter=1000``). In
Python any scikit-learn classifier with ``predict_proba`` may be given instead of a name;
it is reported under its class name in snake case.

Example::

    name, model = resolve_classifier("hist_gradient_boosting", seed=0)
"""
from __future__ import annotations

import re
from typing import Any, Callable

DEFAULT_CLASSIFIERS: tuple[str, ...] = ("random_forest", "hist_gradient_boosting")


def _random_forest(seed: int) -> Any:
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(n_estimators=100, random_state=seed, n_jobs=-1)


def _hist_gradient_boosting(seed: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(random_state=seed)


def _logistic_regression(seed: int) -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, random_state=seed))


CLASSIFIERS: dict[str, Callable[[int], Any]] = {
    "random_forest": _random_forest,
    "hist_gradient_boosting": _hist_gradient_boosting,
    "logistic_regression": _logistic_regression,
}


def _snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def resolve_classifier(spec: Any, seed: int) -> tuple[str, Any]:
    """``(name, unfitted estimator)`` for a classifier name or a scikit-learn classifier."""
    if isinstance(spec, str):
        if spec not in CLASSIFIERS:
            raise ValueError(f"classifiers names {spec!r}, which is not a known classifier; "
                             f"use one of {', '.join(CLASSIFIERS)} (or pass an estimator in Python).")
        return spec, CLASSIFIERS[spec](seed)
    if not hasattr(spec, "fit") or not hasattr(spec, "predict_proba"):
        raise TypeError(f"classifiers: {spec!r} is neither a classifier name nor an estimator with "
                        "fit and predict_proba.")
    return _snake_case(type(spec).__name__), spec


def resolve_classifiers(specs: Any, seed: int) -> list[tuple[str, Any]]:
    """Every ``(name, estimator)`` of ``specs`` (a name, an estimator or a list of them), names unique."""
    if specs is None:
        specs = DEFAULT_CLASSIFIERS
    if isinstance(specs, str) or hasattr(specs, "fit"):
        specs = [specs]
    resolved = [resolve_classifier(spec, seed) for spec in specs]
    if not resolved:
        raise ValueError("classifiers is empty; name at least one, e.g. [random_forest, hist_gradient_boosting].")
    names = [name for name, _ in resolved]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"classifiers lists {', '.join(repeated)} more than once; give each classifier once.")
    return resolved


def class_weighted(estimator: Any) -> tuple[Any, bool]:
    """A clone of ``estimator`` with ``class_weight="balanced"``; ``(clone, False)`` when it has no such parameter
    (then the caller passes balanced ``sample_weight`` to ``fit`` instead)."""
    from sklearn.base import clone

    model = clone(estimator)
    keys = [k for k in model.get_params() if k == "class_weight" or k.endswith("__class_weight")]
    if not keys:
        return model, False
    model.set_params(**{keys[-1]: "balanced"})
    return model, True
