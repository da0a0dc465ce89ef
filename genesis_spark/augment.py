"""Rebalance a class-imbalanced table: the public ``augment_imbalanced`` and the pandas engine.

``augment_imbalanced`` dispatches a Spark DataFrame to ``genesis_spark.spark.augment`` and
runs a pandas DataFrame here. The checks, the plan, the canonical training rows, the row
scorer and the block sampling come from ``genesis_spark.core``, the same code the Spark
engine runs, so both engines return the same synthetic rows for the same training rows,
config and seed.
"""
from __future__ import annotations

import logging
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from genesis_spark.core.blocks import FreshIds, sample_in_process
from genesis_spark.core.columns import check_identifier_mode, check_unique_columns, is_id_like
from genesis_spark.core.frames import is_spark_dataframe
from genesis_spark.core.minority import OversampleSettings, PhaseClock, build_scorer, canonical_rows
from genesis_spark.core.plan import (
    DEFAULT_SEED,
    AugmentPlan,
    AugmentResult,
    check_augment_config,
    check_discrete_columns,
    check_ratio,
    check_rows_to_fit,
    check_strategy,
    check_target_column,
    check_target_values,
    child_seeds,
    plan_augmentation,
    split_config,
)
from genesis_spark.core.profile import is_text_dtype
from genesis_spark.core.smote import smote_rows_with_nulls

logger = logging.getLogger(__name__)


def _class_counts(df: pd.DataFrame, target_column: str) -> tuple[dict[Any, int], bool, int]:
    s = df[target_column]
    n_missing = int(s.isna().sum())
    vc = s.value_counts(dropna=True, sort=True)
    counts = {(k.item() if isinstance(k, np.generic) else k): int(v) for k, v in vc.items()}
    return counts, pd.api.types.is_float_dtype(s), n_missing


def _is_discrete_dtype(s: pd.Series) -> bool:
    """Text, category and boolean columns; columns of dates are modelled as dates (as Spark's ``DateType``)."""
    return is_text_dtype(s) or isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(s)


def infer_discrete_columns(df: pd.DataFrame, discrete_columns: Sequence[str], target_column: str) -> list[str]:
    """The named discrete columns plus every object/string/category/bool column (target excluded)."""
    inferred = [c for c in df.columns if c != target_column and _is_discrete_dtype(df[c])]
    return list(dict.fromkeys([*discrete_columns, *inferred]))


def id_like_columns(df: pd.DataFrame, keep: Sequence[str], target_column: str) -> list[str]:
    """Text columns whose values are (nearly) all distinct (``core.columns.is_id_like``): kept out of training."""
    return [c for c in df.columns if c != target_column and c not in keep
            and is_id_like(is_text_dtype(df[c]), int(df[c].nunique(dropna=True)), int(df[c].notna().sum()))]


def _nullable_int(dtype) -> Any:
    """The nullable pandas dtype of an integer dtype (``int64`` -> ``Int64``); nullable ones unchanged."""
    if isinstance(dtype, pd.api.extensions.ExtensionDtype):
        return dtype
    return pd.api.types.pandas_dtype(dtype.name.replace("uint", "UInt").replace("int", "Int"))


def _restore_dtypes(rows: pd.DataFrame, like: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with ``like``'s dtypes; an integer column stays integer (nullable where ``rows`` has nulls)."""
    out = rows.copy()
    for c in like.columns:
        dtype = like[c].dtype
        is_int = pd.api.types.is_integer_dtype(dtype)
        if c not in out.columns:
            out[c] = pd.Series([None] * len(out), index=out.index, dtype=_nullable_int(dtype) if is_int else dtype)
            continue
        if is_int and not pd.api.types.is_integer_dtype(out[c]):
            values = pd.to_numeric(out[c], errors="coerce").astype("float64").round()
            out[c] = values.astype(dtype if values.notna().all() else _nullable_int(dtype))
            continue
        try:
            out[c] = out[c].astype(dtype)
        except (TypeError, ValueError):
            pass
    return out[list(like.columns)]


def _capped(rows: pd.DataFrame, cap: int, seed: int) -> pd.DataFrame:
    """At most ``cap`` of ``rows`` (a seeded sample above it), in canonical order."""
    if len(rows) > cap:
        logger.info("%d rows above the cap of %d; keeping a seeded sample", len(rows), cap)
        rng = np.random.default_rng(seed)
        rows = rows.iloc[np.sort(rng.choice(len(rows), size=cap, replace=False))]
    return canonical_rows(rows)


def oversample_ctgan(df: pd.DataFrame, plan: AugmentPlan, discrete: Sequence[str], excluded: Sequence[str],
                      config: Mapping[str, Any] | None, seed: int, generator: Any | None = None):
    """Per raised class: fit (or take) a generator, then draw, score and filter its blocks in-process.

    ``excluded``: the identifier columns of ``df``, which get fresh values."""
    from genesis_spark.synth.generator import SyntheticGenerator

    target = plan.target_column
    if generator is not None and len(plan.add) != 1:
        raise ValueError(f"A pre-fitted generator serves one class, but {len(plan.add)} classes of {target!r} "
                         "are below the ratio; drop load_generator to fit one generator per class.")
    generator_config, sampling_config = split_config(config)
    settings = OversampleSettings.from_config(sampling_config, generator_config)
    features = [c for c in df.columns if c != target and c not in excluded]
    parts, generators, fitted_on, reports = [], {}, [], {}
    clock = PhaseClock()
    labels = df[target].to_numpy()
    for (label, n_new), child in zip(plan.add.items(), child_seeds(seed, len(plan.add))):
        is_label = labels == label
        minority = _capped(df.loc[is_label, features], settings.max_training_rows, child)
        clock.lap("collect")
        fitted = generator
        if fitted is None:
            logger.info("fitting ctgan on %d rows of class %s=%r, to generate %d rows", len(minority), target,
                        label, n_new)
            fitted = SyntheticGenerator(method="ctgan", config={**generator_config, "seed": child})
            fitted.fit(minority, discrete_columns=[c for c in discrete if c in features])
        else:
            logger.info("generating %d rows of class %s=%r with the pre-fitted generator", n_new, target, label)
        clock.lap("fit")
        scorer = None
        if settings.score:
            others = _capped(df.loc[~is_label, [*features, target]], settings.label_sample_rows, child)
            scorer = build_scorer(minority, others, target, label, discrete, child, settings.thresholds)
        clock.lap("label_model")
        ids = FreshIds.of(df.loc[is_label], excluded)
        rows, reports[label] = sample_in_process(fitted, scorer, n_new, child, features, settings.sampling, ids)
        clock.lap("sampling")
        rows[target] = label
        extra = [c for c in rows.columns if c not in df.columns]
        parts.append(pd.concat([_restore_dtypes(rows, df), rows[extra]], axis=1))
        generators[label] = fitted
        fitted_on.append(minority.assign(**{target: label}))
    phases = clock.rounded()
    return parts, generators, pd.concat(fitted_on, ignore_index=True), reports, phases


def _oversample_smote(df: pd.DataFrame, plan: AugmentPlan, discrete: Sequence[str], excluded: Sequence[str],
                      seed: int):
    target = plan.target_column
    new = smote_rows_with_nulls(df.drop(columns=list(excluded)), target, discrete, plan.add, seed)
    FreshIds.of(df[df[target].isin(list(plan.add))], excluded).assign(new, seed)
    fitted_on = df[df[target].isin(list(plan.add))]
    return [_restore_dtypes(new, df)], fitted_on.reset_index(drop=True)


def _undersample(df, plan, seed):
    rng = np.random.default_rng(seed)
    labels = df[plan.target_column].to_numpy()
    keep = np.ones(len(df), dtype=bool)
    for label, n_keep in plan.keep.items():
        rows = np.flatnonzero(labels == label)
        drop = rng.choice(rows, size=len(rows) - n_keep, replace=False)
        keep[drop] = False
    return df[keep].reset_index(drop=True)


def augment(df: pd.DataFrame, target_column: str, ratio: float, strategy: str = "oversample",
            discrete_columns: Sequence[str] | None = None, config: Mapping[str, Any] | None = None,
            seed: int | None = None, generator: Any | None = None) -> AugmentResult:
    """``augment_imbalanced`` keeping everything it made: the fitted generators, the synthetic
    rows, the real rows they were fitted on and the plan. Arguments as ``augment_imbalanced``;
    ``generator`` (a fitted ``SyntheticGenerator``, one raised class only) skips the fit.

    Example::

        result = augment(train, "is_fraud", 0.3, config={"epochs": 50}, seed=1)
        result.generator.save("fraud.gen"); len(result.synthetic)
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"augment expects a pandas DataFrame, got {type(df).__name__}.")
    strategy = check_strategy(strategy)
    check_ratio(ratio)
    check_unique_columns(list(df.columns), "The input")
    columns = [str(c) for c in df.columns]
    check_target_column(columns, target_column)
    declared = check_discrete_columns(columns, discrete_columns, target_column)
    counts, is_float, n_missing = _class_counts(df, target_column)
    if isinstance(df[target_column].dtype, pd.CategoricalDtype):
        for category in df[target_column].cat.categories:
            counts.setdefault(category, 0)
    check_target_values(counts, target_column, is_float=is_float, n_missing=n_missing)
    check_augment_config(config)  # every key and value, before any work
    identifiers = check_identifier_mode(split_config(config)[1].get("identifier_columns"))
    seed = DEFAULT_SEED if seed is None else int(seed)
    plan = plan_augmentation(counts, target_column, ratio, strategy)
    if strategy == "oversample" and generator is None:
        check_rows_to_fit(plan)
    empty = df.iloc[0:0]
    discrete = infer_discrete_columns(df, declared, target_column)
    if plan.no_op:
        return AugmentResult(df.reset_index(drop=True), empty, plan, discrete_columns=tuple(discrete))
    if strategy == "undersample":
        logger.info("undersampling %s to %s", plan.class_counts, plan.final_counts)
        return AugmentResult(_undersample(df, plan, seed), empty, plan, discrete_columns=tuple(discrete))
    excluded = id_like_columns(df, declared, target_column)
    discrete = [c for c in discrete if c not in excluded]
    if excluded:
        what = ("dropped from the output: identifier_columns='drop'" if identifiers == "drop"
                else "synthetic rows get fresh 'syn-...' values")
        logger.warning("ID-like columns kept out of training (%s): %s", what, ", ".join(excluded))
    fresh = [] if identifiers == "drop" else excluded
    out = df.drop(columns=[c for c in excluded if c not in fresh])  # the output's columns
    generators: dict[Any, Any] = {}
    reports: dict[Any, Any] = {}
    timings: dict[str, float] = {}
    if strategy == "smote":
        parts, fitted_on = _oversample_smote(out, plan, discrete, fresh, seed)
    else:
        parts, generators, fitted_on, reports, timings = oversample_ctgan(out, plan, discrete, fresh, config,
                                                                           seed, generator)
    synthetic = pd.concat(parts, ignore_index=True)
    augmented = pd.concat([out, synthetic[list(out.columns)]], ignore_index=True)
    logger.info("augmented %s: %s -> %s (%d synthetic rows)", target_column, plan.class_counts,
                plan.final_counts, len(synthetic))
    return AugmentResult(augmented, synthetic, plan, generators, fitted_on.reset_index(drop=True), tuple(excluded),
                         tuple(discrete), sampling=reports, timings=timings)


def augment_imbalanced(df, target_column: str, ratio: float, strategy: str = "oversample",
                       discrete_columns: Sequence[str] | None = None, config: Mapping[str, Any] | None = None,
                       seed: int | None = None):
    """Raise the minority class(es) of ``df`` to ``ratio`` of the rows.

    ``ratio`` is the minority share wanted in the output (0 < ratio < 1). Only minority rows
    are generated: a ``SyntheticGenerator`` (CTGAN) is fitted on each raised class's rows,
    target dropped, and the target re-added to the generated rows. The output holds the
    original rows unchanged and first (with a fresh RangeIndex), then the synthetic rows.
    With several classes, every class below ``ratio`` is raised to it.

    Strategies: ``"oversample"`` (CTGAN, ``config`` goes to the generator, e.g.
    ``{"epochs": 300}``), ``"smote"`` (SMOTENC/SMOTE from imbalanced-learn, the baseline),
    ``"undersample"`` (a seeded sample of the larger classes; output keeps input order).
    ``discrete_columns`` may leave out object/category/bool columns: they are always discrete.
    ``seed`` None means seed 0: the same call gives the same rows.

    Identifier columns (text, not named discrete, non-null values at least 95% distinct over at
    least 20 rows: ``core.columns.is_id_like``) are kept out of training. With
    ``identifier_columns: "fresh"`` (the default) synthetic rows get ``syn-<seed as 16 hex
    digits>-<block_index>-<row_in_block>`` (never a real identifier; null as often as in the real
    minority rows); with ``identifier_columns: "drop"`` the oversample and smote outputs (real rows
    included) have no identifier columns. High-cardinality text columns are modelled (the frequent
    values as categories, the rare ones drawn from values seen at least twice: ``synth.folding``).

    A ratio at or below the current minority share returns the input unchanged with a
    warning. A ratio outside (0, 1), a missing, single-valued or continuous target, an
    unknown discrete column or an empty minority class raise ValueError before training.
    A Spark DataFrame is augmented on Spark (``genesis_spark.spark.augment``) and a
    Spark DataFrame is returned. Synthetic rows are drawn in blocks, scored and filtered
    (``realism``, ``dcr``, ``label_prob``, ``class_margin``; thresholds ``min_realism``, ``min_dcr``,
    ``min_label_prob`` and ``score: false`` in ``config``) the same way on both engines.

    Example::

        balanced = augment_imbalanced(transactions, target_column="is_fraud", ratio=0.3,
                                      discrete_columns=["merchant_category"], config={"epochs": 100})
        balanced["is_fraud"].mean()   # ~0.30
    """
    if is_spark_dataframe(df):
        from genesis_spark.spark.augment import augment_imbalanced_spark

        return augment_imbalanced_spark(df, target_column, ratio, strategy=strategy,
                                        discrete_columns=discrete_columns, config=config, seed=seed)
    return augment(df, target_column, ratio, strategy=strategy, discrete_columns=discrete_columns,
                   config=config, seed=seed).augmented
