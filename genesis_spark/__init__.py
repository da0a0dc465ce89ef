"""genesis_spark: CTGAN augmentation of rare classes, on pandas and on Spark.

Example::

    from genesis_spark import SyntheticGenerator, QualityEvaluator, augment_imbalanced
"""
from __future__ import annotations

from genesis_spark.version import __version__

__all__ = ["SyntheticGenerator", "QualityEvaluator", "augment_imbalanced", "CTGANOverSampler", "read_run", "__version__"]


def __getattr__(name: str):
    # Lazy imports keep `import genesis_spark` light (no torch/sklearn until needed).
    if name == "SyntheticGenerator":
        from genesis_spark.synth.generator import SyntheticGenerator

        return SyntheticGenerator
    if name == "QualityEvaluator":
        from genesis_spark.quality.evaluator import QualityEvaluator

        return QualityEvaluator
    if name == "augment_imbalanced":
        from genesis_spark.augment import augment_imbalanced

        return augment_imbalanced
    if name == "CTGANOverSampler":
        from genesis_spark.oversampler import CTGANOverSampler

        return CTGANOverSampler
    if name == "read_run":
        from genesis_spark.lakehouse import read_run

        return read_run
    raise AttributeError(f"module 'genesis_spark' has no attribute {name!r}")
