"""``augment_imbalanced`` on Spark DataFrames: train on the driver, sample and score on executors.

Same arguments, semantics and errors as the pandas version (``genesis_spark.augment``,
whose checks and ``plan_augmentation`` are reused). Data movement:

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
import time
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import pandas as pd

from genesis_spark.augment import (
    DEFAULT_SEED,
    AugmentPlan,
    AugmentResult,
    _child_seeds,
    _oversample_smote,
    check_discrete_columns,
    check_ratio,
    check_strategy,
    check_target_column,
    check_target_values,
    plan_augmentation,
)
from genesis_spark.spark.sampling import ORDER_COLUMNS, SamplingConfig, SamplingReport, sample_accepted
from genesis_spark.spark.scoring import SCORE_COLUMNS, RowScorer, ScoreThresholds

logger = logging.getLogger(__name__)

#: Config keys read by the Spark side; every other key goes to the generator.
SPARK_CONFIG_KEYS = frozenset(SamplingConfig.__dataclass_fields__) | frozenset(
    ScoreThresholds.__dataclass_fields__) | {"label_sample_rows", "score"}
DEFAULT_MAX_TRAINING_ROWS = 100_000
DEFAULT_LABEL_SAMPLE_ROWS = 20_000
SMOTE_MAJORITY_ROWS = 2_000
_HASH_RANGE = float(1 << 53)


@dataclass(frozen=True)
class SparkAugmentResult(AugmentResult):
    """``AugmentResult`` with Spark frames (``augmented`` has the input's schema; ``synthetic``
    adds ``block_index``, ``row_in_block`` and the scores) and the sampling report per class."""

    sampling: dict[Any, SamplingReport] | None = None
    timings: dict[str, float] | None = None  # seconds per phase: collect, fit, label_model, sampling


def unit_hash(columns: Sequence[str], seed: int, purpose: str):
    """A Spark column in [0, 1) from the row's values, ``seed`` and ``purpose``.

    Independent of partitioning and row order; equal rows get equal values. ``purpose``
    salts it so that different uses (the split, the training cap, ...) are uncorrelated.
    """
    from pyspark.sql import functions as F

    h = F.xxhash64(*[F.col(c) for c in columns], F.lit(int(seed)), F.lit(purpose))
    return (h.bitwiseAND(F.lit((1 << 53) - 1))).cast("double") / F.lit(_HASH_RANGE)


def _check_target_type(df, target_column: str) -> bool:
    """Raise for a target of a type that cannot be a class label; return whether it is floating point."""
    from pyspark.sql import types as T

    dtype = df.schema[target_column].dataType
    if isinstance(dtype, (T.FloatType, T.DoubleType, T.DecimalType)):
        return True
    if isinstance(dtype, (T.ByteType, T.ShortType, T.IntegerType, T.LongType, T.StringType, T.BooleanType)):
        return False
    raise ValueError(f"target_column {target_column!r} has Spark type {dtype.simpleString()}, which cannot hold "
                     "class labels. augment_imbalanced needs a binary or categorical target (integer, string or "
                     "boolean); cast or derive one first.")


def _class_counts(df, target_column: str) -> tuple[dict[Any, int], int]:
    rows = df.groupBy(target_column).count().collect()  # one row per class: bounded
    counts = {r[0]: int(r[1]) for r in rows if r[0] is not None}
    missing = sum(int(r[1]) for r in rows if r[0] is None)
    counts = dict(sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0]))))
    return counts, missing


def _id_like_columns(df, named_discrete: Sequence[str], target_column: str, n_rows: int) -> list[str]:
    """String columns not named discrete whose approximate distinct count is >= 95% of the rows."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    candidates = [f.name for f in df.schema.fields if isinstance(f.dataType, T.StringType)
                  and f.name != target_column and f.name not in named_discrete]
    if n_rows < 50 or not candidates:
        return []
    row = df.agg(*[F.approx_count_distinct(c).alias(c) for c in candidates]).collect()[0]
    return [c for c in candidates if row[c] >= 0.95 * n_rows]


def _discrete(df, named: Sequence[str], target_column: str) -> list[str]:
    """Named discrete columns plus every string/boolean column (as the pandas version infers them)."""
    from pyspark.sql import types as T

    inferred = [f.name for f in df.schema.fields if f.name != target_column
                and isinstance(f.dataType, (T.StringType, T.BooleanType))]
    return list(dict.fromkeys([*named, *inferred]))


def collect_bounded(df, columns: Sequence[str], n_available: int, cap: int, seed: int, purpose: str) -> pd.DataFrame:
    """At most ``cap`` rows of ``df`` as pandas (Arrow), in a canonical, partition-independent order.

    Below the cap every row comes; above it, a seeded hash sample: rows with a unit hash
    under ``~cap / n_available`` are collected, then exactly ``cap`` are kept by smallest hash.
    """
    key = "_genesis_key"
    columns = list(columns)
    keyed = df.select(*columns).withColumn(key, unit_hash(columns, seed, purpose))
    fraction = 1.0
    if n_available > cap:
        fraction = min(1.0, cap / n_available * 1.05 + 50.0 / n_available)
    while True:
        part = keyed.where(keyed[key] < fraction) if fraction < 1.0 else keyed
        pdf = part.toPandas()  # bounded: ~cap rows
        if len(pdf) >= min(cap, n_available) or fraction >= 1.0:
            break
        fraction = min(1.0, fraction * 1.5)
    pdf = pdf.sort_values([key, *columns], kind="stable", na_position="last").head(cap)
    if n_available > cap:
        logger.info("%s: %d rows above the cap of %d; kept a seeded hash sample of %d", purpose, n_available, cap,
                    len(pdf))
    return pdf.drop(columns=key).reset_index(drop=True)


def _split_config(config: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    if config is not None and not isinstance(config, Mapping):
        raise ValueError(f"config must be a mapping of generator settings (e.g. {{'epochs': 300}}), got {config!r}.")
    config = dict(config or {})
    spark_side = {k: v for k, v in config.items() if k in SPARK_CONFIG_KEYS}
    generator_side = {k: v for k, v in config.items() if k not in SPARK_CONFIG_KEYS}
    return generator_side, spark_side


def _validate(df, target_column, ratio, strategy, discrete_columns):
    strategy = check_strategy(strategy)
    check_ratio(ratio)
    columns = list(df.columns)
    check_target_column(columns, target_column)
    discrete = check_discrete_columns(columns, discrete_columns, target_column)
    is_float = _check_target_type(df, target_column)
    return strategy, discrete, is_float


def _undersample(df, plan: AugmentPlan, seed: int):
    from pyspark.sql import functions as F

    target = plan.target_column
    u = unit_hash(df.columns, seed, "genesis_spark.undersample")
    keep = F.lit(False)
    for label, n_keep in plan.keep.items():
        keep = keep | ((F.col(target) == F.lit(label)) & (u < F.lit(n_keep / plan.class_counts[label])))
    reduced = F.lit(True)
    for label in plan.keep:
        reduced = reduced & (F.col(target) != F.lit(label))
    return df.where(reduced | keep)


def _with_target(rows, target_column: str, label: Any, schema, excluded: Sequence[str]):
    from pyspark.sql import functions as F

    rows = rows.withColumn(target_column, F.lit(label).cast(schema[target_column].dataType))
    for name in excluded:
        rows = rows.withColumn(name, F.lit(None).cast(schema[name].dataType))
    return rows


def augment_spark(df, target_column: str, ratio: float, strategy: str = "oversample",
                  discrete_columns: Sequence[str] | None = None, config: Mapping[str, Any] | None = None,
                  seed: int | None = None) -> SparkAugmentResult:
    """``augment`` on a Spark DataFrame, keeping what it made (generators, synthetic rows + scores,
    training rows, plan, sampling reports). Arguments as ``augment_imbalanced_spark``."""
    strategy, discrete, is_float = _validate(df, target_column, ratio, strategy, discrete_columns)
    generator_config, spark_config = _split_config(config)
    seed = DEFAULT_SEED if seed is None else int(seed)
    counts, n_missing = _class_counts(df, target_column)
    check_target_values(counts, target_column, is_float=is_float, n_missing=n_missing)
    plan = plan_augmentation(counts, target_column, ratio, strategy)
    spark = df.sparkSession
    empty = df.limit(0)
    if plan.no_op:
        return SparkAugmentResult(df, empty, plan)
    if strategy == "undersample":
        logger.info("undersampling %s to about %s", plan.class_counts, plan.final_counts)
        return SparkAugmentResult(_undersample(df, plan, seed), empty, plan)

    n_rows = sum(counts.values())
    excluded = _id_like_columns(df, discrete, target_column, n_rows)
    if excluded:
        logger.warning("ID-like columns kept out of training (synthetic rows leave them empty): %s",
                       ", ".join(excluded))
    discrete = _discrete(df, discrete, target_column)
    features = [c for c in df.columns if c != target_column and c not in excluded]
    cap = int(generator_config.get("max_training_rows") or DEFAULT_MAX_TRAINING_ROWS)
    from pyspark.sql import functions as F

    if strategy == "smote":
        synthetic, fitted_on = _smote(df, plan, discrete, excluded, features, cap, seed)
        augmented = df.unionByName(synthetic)
        return SparkAugmentResult(augmented, synthetic, plan, training_rows=fitted_on,
                                  excluded_columns=tuple(excluded), discrete_columns=tuple(discrete))

    from genesis_spark.synth.generator import SyntheticGenerator

    sampling_config = SamplingConfig.from_config(spark_config)
    thresholds = ScoreThresholds.from_config(spark_config)
    label_rows = int(spark_config.get("label_sample_rows") or DEFAULT_LABEL_SAMPLE_ROWS)
    training_schema = df.select(*features).schema
    parts, generators, fitted_on, reports = [], {}, [], {}
    phases = {"collect": 0.0, "fit": 0.0, "label_model": 0.0, "sampling": 0.0}
    clock = time.perf_counter()

    def lap(phase: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        phases[phase] += now - clock
        clock = now

    for (label, n_new), child in zip(plan.add.items(), _child_seeds(seed, len(plan.add))):
        rows = df.where(F.col(target_column) == F.lit(label))
        minority = collect_bounded(rows, features, counts[label], cap, child, "genesis_spark.train_cap")
        lap("collect")
        logger.info("fitting ctgan on %d rows of class %r (%s=%r) on the driver, to generate %d rows",
                    len(minority), label, target_column, label, n_new)
        generator = SyntheticGenerator(method="ctgan", config={**generator_config, "seed": child})
        generator.fit(minority, discrete_columns=[c for c in discrete if c in features])
        lap("fit")
        scorer = None
        if spark_config.get("score", True):
            others = df.where(F.col(target_column) != F.lit(label))
            n_others = n_rows - counts[label]
            majority = collect_bounded(others, [*features, target_column], n_others, label_rows, child,
                                       "genesis_spark.label_sample")
            label_sample = pd.concat([minority.assign(**{target_column: label}), majority], ignore_index=True)
            label_sample[target_column] = label_sample[target_column] == label
            scorer = RowScorer.build(minority, label_sample, target_column, True, discrete, child, thresholds)
        lap("label_model")
        result = sample_accepted(spark, generator, training_schema, n_new, child, scorer, sampling_config)
        lap("sampling")
        reports[label] = result.report
        parts.append(_with_target(result.rows, target_column, label, df.schema, excluded)
                     .select(*df.columns, *ORDER_COLUMNS, *SCORE_COLUMNS))
        generators[label] = generator
        fitted_on.append(minority.assign(**{target_column: label}))
    synthetic = parts[0]
    for more in parts[1:]:
        synthetic = synthetic.unionByName(more)
    augmented = df.unionByName(synthetic.select(*df.columns))
    logger.info("augmented %s on Spark: %s -> %s (%d synthetic rows)", target_column, plan.class_counts,
                plan.final_counts, plan.n_synthetic)
    training_rows = pd.concat(fitted_on, ignore_index=True)
    phases = {k: round(v, 3) for k, v in phases.items()}
    logger.info("augment phases (s): %s", json.dumps(phases))
    return SparkAugmentResult(augmented, synthetic, plan, generators=generators, training_rows=training_rows,
                              excluded_columns=tuple(excluded), discrete_columns=tuple(discrete), sampling=reports,
                              timings=phases)


def _smote(df, plan: AugmentPlan, discrete, excluded, features, cap: int, seed: int):
    """SMOTE(NC) on the driver over bounded samples; returns (Spark synthetic rows, pandas fitted-on rows)."""
    from pyspark.sql import functions as F

    target = plan.target_column
    columns = [*features, target]
    parts = []
    for label in plan.add:
        rows = df.where(F.col(target) == F.lit(label))
        parts.append(collect_bounded(rows, columns, plan.class_counts[label], cap, seed, "genesis_spark.train_cap"))
    raised = list(plan.add)
    others = df.where(~F.col(target).isin(raised))
    n_others = sum(v for k, v in plan.class_counts.items() if k not in raised)
    parts.append(collect_bounded(others, columns, n_others, SMOTE_MAJORITY_ROWS, seed, "genesis_spark.smote_sample"))
    local = pd.concat(parts, ignore_index=True)
    local_counts = {k: int(v) for k, v in local[target].value_counts().items()}
    local_plan = AugmentPlan(target, plan.ratio, plan.strategy, local_counts, add=dict(plan.add))
    new_parts, fitted_on = _oversample_smote(local, local_plan, discrete, [], seed)
    new = pd.concat(new_parts, ignore_index=True)
    for name in excluded:
        new[name] = None
    new = new[list(df.columns)]
    logger.info("smote on the driver: %d minority rows, %d rows of other classes -> %d new rows",
                len(fitted_on), len(local) - len(fitted_on), len(new))
    from genesis_spark.spark.sampling import coerce_to_schema

    synthetic = df.sparkSession.createDataFrame(coerce_to_schema(new, df.schema), schema=df.schema)
    return synthetic, fitted_on


def augment_imbalanced_spark(spark_df, target_column: str, ratio: float, strategy: str = "oversample",
                             discrete_columns: Sequence[str] | None = None, config: Mapping[str, Any] | None = None,
                             seed: int | None = None):
    """Raise the minority class(es) of a Spark DataFrame to ``ratio`` of the rows; returns a Spark DataFrame.

    The result has the input's schema: the input rows plus the accepted synthetic rows.
    ``config`` holds generator settings (``epochs``, ``batch_size``, ``max_training_rows``,
    ``device``...) and Spark-side settings: sampling (``block_size``, ``num_partitions``,
    ``torch_threads``, ``max_rounds``, ``min_acceptance``), score thresholds
    (``min_realism``, ``min_dcr``, ``min_label_prob``), ``label_sample_rows`` and
    ``score`` (False: no scoring, every row kept). ``seed`` None means 0. Errors as the
    pandas ``augment_imbalanced``; also a target of a type that cannot hold labels.

    Example::

        balanced = augment_imbalanced_spark(train_sdf, "is_fraud", 0.3, discrete_columns=["merchant_category"],
                                            config={"epochs": 100}, seed=7)
        balanced.groupBy("is_fraud").count().show()
    """
    return augment_spark(spark_df, target_column, ratio, strategy=strategy, discrete_columns=discrete_columns,
                         config=config, seed=seed).augmented
