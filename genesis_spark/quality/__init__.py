"""Quality layer: fidelity scores, privacy audit, utility comparison and reports.

Example::

    from genesis_spark.quality import QualityEvaluator, compare_models
    report = QualityEvaluator(real, synthetic, discrete_columns=["merchant_category"]).evaluate()
"""
from __future__ import annotations

__all__ = ["QualityEvaluator", "QualityReport", "PrivacyReport", "UtilityReport", "compare_models",
           "MixedTypeEncoder", "logistic_detection", "holdout_reference", "RunDetails", "ReportFrames"]

_WHERE = {
    "QualityEvaluator": "genesis_spark.quality.evaluator",
    "QualityReport": "genesis_spark.quality.reports",
    "PrivacyReport": "genesis_spark.quality.reports",
    "UtilityReport": "genesis_spark.quality.reports",
    "compare_models": "genesis_spark.quality.utility",
    "MixedTypeEncoder": "genesis_spark.quality.privacy",
    "logistic_detection": "genesis_spark.quality.detection",
    "holdout_reference": "genesis_spark.quality.detection",
    "RunDetails": "genesis_spark.quality.reports",
    "ReportFrames": "genesis_spark.quality.reports",
}


def __getattr__(name: str):
    # Lazy: importing the package pulls in neither scikit-learn nor pyspark.
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'genesis_spark.quality' has no attribute {name!r}")
