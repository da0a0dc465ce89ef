"""``augment_imbalanced`` on Spark DataFrames: train on the driver, sample and score on executors.

Same arguments, semantics and errors as the pandas engine: the checks, the plan, the
canonical training rows, the scorer and the block plan come from ``genesis_spark.core``;
this module moves the data and distributes the blocks. Data movement:

* oversample (CTGAN): only the minority rows of the input (the training split, in the
  pipeline) reach the driver, through Arrow, capped at ``max_training_rows`` by a seeded
  hash sample; plus a bounded seeded sample of the other classes for the label model.
  The generator is fitted on the driver (CUDA when present) and its artifact bytes go to
  the executors, which draw and score blocks (``sampling.py``, ``scoring.py``).
* smote: the bounded minority sample and a bounded sample of the other classes are
  collected, SMOTE(NC) runs on the driver and its new rows (``n_synthetic`` of them) are
  sent back to Spark. Use it as the baseline it is; oversample scales further.
* undersample: a seeded hash filter on the larger classes; no row reaches the driver. The
  kept count is a Bernoulli sample of the planned count (within sampling error).
"""
from __future__ import annotations

import json
import logging
from dataclasses import replace
from typing import Any, Mapping, Sequence

import pandas as pd

from genesis_spark.core.blocks import FreshIds
from genesis_spark.core.columns import check_identifier_mode, check_unique_columns
from genesis_spark.core.minority import (
    SMOTE_MAJORITY_ROWS,
    OversampleSettings,
    PhaseClock,
    build_scorer,
)
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
from genesis_spark.core.scoring import SCORE_COLUMNS
from genesis_spark.core.smote import smote_rows_with_nulls
from genesis_spark.quality.bounded import collect_bounded, unit_hash
from genesis_spark.spark.sampling import ORDER_COLUMNS, coerce_to_schema, sample_accepted
from genesis_spark.spark.stats import check_target, id_like_columns

logger = logging.getLogger(__name__)

def _is_float_target(df, target_column: str) -> bool:
    from pyspark.sql import types as T

    return isinstance(df.schema[target_column].dataType, (T.FloatType, T.DoubleType, T.DecimalType))


def _class_counts(df, target_column: str) -> tuple[dict[Any, int], int]:
    rows = df.groupBy(f"`{target_column}`").count().collect()  # one row per class: bounded
    counts = {r[0]: int(r[1]) for r in rows if r[0] is not None}
    missing = sum(int(r[1]) for r in rows if r[0] is None)
    counts = dict(sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0]))))
    return counts, missing


def _discrete(df, named: Sequence[str], target_column: str) -> list[str]:
    """Named discrete columns plus every string/boolean column (as the pandas engine infers them)."""
    from pyspark.sql import types as T

    inferred = [f.name for f in df.schema.fields if f.name != target_column
                and isinstance(f.dataType, (T.StringType, T.BooleanType))]
    return list(dict.fromkeys([*named, *inferred]))


def _validate(df, target_column, ratio, strategy, discrete_columns):
    strategy = check_strategy(strategy)
    check_ratio(ratio)
    columns = list(df.columns)
    check_unique_columns(columns, "The input")
    check_target_column(columns, target_column)
    discrete = check_discrete_columns(columns, discrete_columns, target_column)
    check_target(df.schema, target_column)
    return strategy, discrete, _is_float_target(df, target_column)


def _undersample(df, plan: AugmentPlan, seed: int):
    from pyspark.sql import functions as F

    target = F.col(f"`{plan.target_column}`")
    u = unit_hash(df.columns, seed, "genesis_spark.undersample")
    keep = F.lit(False)
    for label, n_keep in plan.keep.items():
        keep = keep | ((target == F.lit(label)) & (u < F.lit(n_keep / plan.class_counts[label])))
    reduced = F.lit(True)
    for label in plan.keep:
        reduced = reduced & (target != F.lit(label))
    return df.where(reduced | keep)


def _with_target(rows, target_column: str, label: Any, schema):
    from pyspark.sql import functions as F

    return rows.withColumn(target_column, F.lit(label).cast(schema[target_column].dataType))


def _fresh_ids(rows, excluded: Sequence[str]) -> FreshIds:
    """The identifier columns of a class's rows with their null shares (one aggregation)."""
    from pyspark.sql import functions as F

    if not excluded:
        return FreshIds()
    shares = rows.agg(*[F.avg(F.col(f"`{c}`").isNull().cast("double")).alias(f"s{i}")
                        for i, c in enumerate(excluded)]).first()
    return FreshIds(tuple((c, float(shares[f"s{i}"] or 0.0)) for i, c in enumerate(excluded)))


def augment_spark(df, target_column: str, ratio: float, strategy: str = "oversample",
                  discrete_columns: Sequence[str] | None = None, config: Mapping[str, Any] | None = None,
                  seed: int | None = None, generator: Any | None = None) -> AugmentResult:
    """``augment`` on a Spark DataFrame, keeping what it made (generators, synthetic rows + scores,
    training rows, plan, sampling reports). Arguments as ``augment_imbalanced_spark``; ``generator``
    (a fitted ``SyntheticGenerator``, one raised class only) skips the fit."""
    strategy, discrete, is_float = _validate(df, target_column, ratio, strategy, discrete_columns)
    check_augment_config(config)  # every key and value, before any work
    generator_config, sampling_config = split_config(config)
    identifiers = check_identifier_mode(sampling_config.get("identifier_columns"))
    seed = DEFAULT_SEED if seed is None else int(seed)
    counts, n_missing = _class_counts(df, target_column)
    check_target_values(counts, target_column, is_float=is_float, n_missing=n_missing)
    plan = plan_augmentation(counts, target_column, ratio, strategy)
    if strategy == "oversample" and generator is None:
        check_rows_to_fit(plan)
    empty = df.limit(0)
    if plan.no_op:
        return AugmentResult(df, empty, plan)
    if strategy == "undersample":
        logger.info("undersampling %s to about %s", plan.class_counts, plan.final_counts)
        return AugmentResult(_undersample(df, plan, seed), empty, plan)

    n_rows = sum(counts.values())
    excluded = id_like_columns(df, discrete, target_column, n_rows)
    if excluded:
        what = ("dropped from the output: identifier_columns='drop'" if identifiers == "drop"
                else "synthetic rows get fresh 'syn-...' values")
        logger.warning("ID-like columns kept out of training (%s): %s", what, ", ".join(excluded))
    discrete = [c for c in _discrete(df, discrete, target_column) if c not in excluded]
    features = [c for c in df.columns if c != target_column and c not in excluded]
    settings = OversampleSettings.from_config(sampling_config, generator_config)
    fresh = [] if identifiers == "drop" else excluded
    out = df.drop(*[c for c in excluded if c not in fresh])  # the output's columns
    if strategy == "smote":
        synthetic, fitted_on = _smote(out, plan, discrete, fresh, features, settings.max_training_rows, seed)
        return AugmentResult(out.unionByName(synthetic), synthetic, plan, training_rows=fitted_on,
                             excluded_columns=tuple(excluded), discrete_columns=tuple(discrete))
    if generator is not None and len(plan.add) != 1:
        raise ValueError(f"A pre-fitted generator serves one class, but {len(plan.add)} classes of "
                         f"{target_column!r} are below the ratio; drop load_generator to fit one generator per class.")
    result = _oversample(out, plan, discrete, fresh, features, generator_config, settings, seed, generator)
    return replace(result, excluded_columns=tuple(excluded))


def _oversample(df, plan: AugmentPlan, discrete, excluded, features, generator_config, settings: OversampleSettings,
                seed: int, generator: Any | None) -> AugmentResult:
    """CTGAN per raised class; ``excluded``: the identifier columns of ``df``, which get fresh values."""
    from pyspark.sql import functions as F

    from genesis_spark.spark.session import check_executors_import
    from genesis_spark.synth.generator import SyntheticGenerator

    check_executors_import(df.sparkSession)  # before any training: one line if the executors lack the package
    target_column = plan.target_column
    target = F.col(f"`{target_column}`")
    n_rows = sum(plan.class_counts.values())
    training_schema = df.select(*[f"`{c}`" for c in features]).schema
    parts, generators, fitted_on, reports = [], {}, [], {}
    clock = PhaseClock()
    for (label, n_new), child in zip(plan.add.items(), child_seeds(seed, len(plan.add))):
        rows = df.where(target == F.lit(label))
        minority = collect_bounded(rows, features, plan.class_counts[label], settings.max_training_rows, child,
                                   "genesis_spark.train_cap")
        clock.lap("collect")
        fitted = generator
        if fitted is None:
            logger.info("fitting ctgan on %d rows of class %s=%r on the driver, to generate %d rows",
                        len(minority), target_column, label, n_new)
            fitted = SyntheticGenerator(method="ctgan", config={**generator_config, "seed": child})
            fitted.fit(minority, discrete_columns=[c for c in discrete if c in features])
        else:
            logger.info("generating %d rows of class %s=%r with the pre-fitted generator", n_new, target_column,
                        label)
        clock.lap("fit")
        scorer = None
        if settings.score:
            others = collect_bounded(df.where(target != F.lit(label)), [*features, target_column],
                                     n_rows - plan.class_counts[label], settings.label_sample_rows, child,
                                     "genesis_spark.label_sample")
            scorer = build_scorer(minority, others, target_column, label, discrete, child, settings.thresholds)
        clock.lap("label_model")
        ids = _fresh_ids(rows, excluded)
        result = sample_accepted(df.sparkSession, fitted, training_schema, n_new, child, scorer, settings.sampling,
                                 ids)
        clock.lap("sampling")
        reports[label] = result.report
        parts.append(_with_target(result.rows, target_column, label, df.schema)
                     .select(*[f"`{c}`" for c in df.columns], *ORDER_COLUMNS, *SCORE_COLUMNS))
        generators[label] = fitted
        fitted_on.append(minority.assign(**{target_column: label}))
    synthetic = parts[0]
    for more in parts[1:]:
        synthetic = synthetic.unionByName(more)
    augmented = df.unionByName(synthetic.select(*[f"`{c}`" for c in df.columns]))
    logger.info("augmented %s on Spark: %s -> %s (%d synthetic rows)", target_column, plan.class_counts,
                plan.final_counts, plan.n_synthetic)
    phases = clock.rounded()
    logger.info("augment phases (s): %s", json.dumps(phases))
    return AugmentResult(augmented, synthetic, plan, generators=generators,
                         training_rows=pd.concat(fitted_on, ignore_index=True), excluded_columns=tuple(excluded),
                         discrete_columns=tuple(discrete), sampling=reports, timings=phases)


def _smote(df, plan: AugmentPlan, discrete, excluded, features, cap: int, seed: int):
    """SMOTE(NC) on the driver over bounded samples; returns (Spark synthetic rows, pandas fitted-on rows)."""
    from pyspark.sql import functions as F

    target_column = plan.target_column
    target = F.col(f"`{target_column}`")
    columns = [*features, target_column]
    parts = []
    for label in plan.add:
        rows = df.where(target == F.lit(label))
        parts.append(collect_bounded(rows, columns, plan.class_counts[label], cap, seed, "genesis_spark.train_cap"))
    fitted_on = pd.concat(parts, ignore_index=True)
    raised = list(plan.add)
    n_others = sum(v for k, v in plan.class_counts.items() if k not in raised)
    parts.append(collect_bounded(df.where(~target.isin(raised)), columns, n_others, SMOTE_MAJORITY_ROWS, seed,
                                 "genesis_spark.smote_sample"))
    local = pd.concat(parts, ignore_index=True)
    new = smote_rows_with_nulls(local, target_column, discrete, plan.add, seed)
    ids = _fresh_ids(df.where(target.isin(raised)), excluded)
    ids.assign(new, seed)
    new = new[list(df.columns)]
    logger.info("smote on the driver: %d minority rows, %d rows of other classes -> %d new rows",
                len(fitted_on), len(local) - len(fitted_on), len(new))
    synthetic = df.sparkSession.createDataFrame(coerce_to_schema(new, df.schema), schema=df.schema)
    return synthetic, fitted_on


def augment_imbalanced_spark(spark_df, target_column: str, ratio: float, strategy: str = "oversample",
                             discrete_columns: Sequence[str] | None = None, config: Mapping[str, Any] | None = None,
                             seed: int | None = None):
    """Raise the minority class(es) of a Spark DataFrame to ``ratio`` of the rows; returns a Spark DataFrame.

    The result has the input's schema: the input rows plus the accepted synthetic rows.
    ``config`` holds generator settings (``epochs``, ``batch_size``, ``max_training_rows``,
    ``device``...) and the sampling settings both engines share: ``block_size``,
    ``max_rounds``, ``min_acceptance``, score thresholds (``min_realism``, ``min_dcr``,
    ``min_label_prob``), ``label_sample_rows`` and ``score`` (False: no scoring, every row
    kept); ``num_partitions`` and ``torch_threads`` only change speed. ``seed`` None means 0.
    ``identifier_columns``: ``"fresh"`` (default: identifier columns get ``syn-<seed as 16 hex
    digits>-<block_index>-<row_in_block>`` values) or ``"drop"`` (no identifier columns in the
    oversample and smote outputs), as on pandas.
    Errors as the pandas ``augment_imbalanced``; also a target of a type that cannot hold labels.

    Example::

        balanced = augment_imbalanced_spark(train_sdf, "is_fraud", 0.3, discrete_columns=["merchant_category"],
                                            config={"epochs": 100}, seed=7)
        balanced.groupBy("is_fraud").count().show()
    """
    return augment_spark(spark_df, target_column, ratio, strategy=strategy, discrete_columns=discrete_columns,
                         config=config, seed=seed).augmented
