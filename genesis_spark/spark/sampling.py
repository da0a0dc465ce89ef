"""Executor-side sampling: generator blocks drawn and scored in one ``mapInPandas`` pass.

``spark.range(start, stop)`` feeds ``mapInPandas``; each id is a block index, and block
``b`` is drawn and scored by ``genesis_spark.core.blocks.score_block`` (the function the
pandas engine runs in-process), whose rows depend only on ``(seed, b)``. Output therefore
does not depend on the partition count or on task retries.
The generator travels as its artifact bytes captured in the task function's closure (no
SparkContext needed, so it works on Spark Connect too); each Python worker deserialises
it once (cache keyed by the artifact's sha256). The driver tops up with further blocks,
deterministically, until the requested number of rows passes the score filters
(``genesis_spark.core.blocks.TopUp``). This module only distributes the blocks.

Any generator works that has ``columns_``, ``sha256``, ``to_bytes()``, a class-level
``from_bytes(data)``, ``generate_block(block_index, block_size, seed)`` and (for the
realism score) ``realism_score(df)``: ``genesis_spark.synth.SyntheticGenerator`` does.
"""
from __future__ import annotations

import json
import logging
import os
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np
import pandas as pd

from genesis_spark.core.blocks import (
    ACCEPT_RANK,
    ACCEPTED,
    BLOCK_INDEX,
    GENERATED,
    FreshIds,
    ORDER_COLUMNS,
    ROW_IN_BLOCK,
    SamplingConfig,
    SamplingReport,
    TopUp,
    score_block,
)
from genesis_spark.core.scoring import SCORE_COLUMNS, RowScorer

logger = logging.getLogger(__name__)

__all__ = ["FreshIds", "ORDER_COLUMNS", "SamplingConfig", "SamplingReport", "SamplingResult", "coerce_to_schema",
           "sample_accepted", "sample_blocks", "sampled_schema"]


@dataclass(frozen=True)
class SamplingResult:
    """Accepted synthetic rows (Spark DataFrame: training columns, order keys, scores) and the report."""

    rows: Any
    report: SamplingReport
    persisted: tuple = field(default=(), repr=False)

    def unpersist(self) -> None:
        """Release the cached sampling rounds (the rows are then recomputed, identically, on use)."""
        for df in self.persisted:
            df.unpersist()


@dataclass(frozen=True)
class _BlockTask:
    """Everything one sampling task needs; captured by the task function's closure."""

    artifact: bytes = field(repr=False)
    sha256: str
    loader: str  # "module:ClassName" whose from_bytes(artifact) rebuilds the generator
    seed: int
    block_size: int
    columns: tuple[str, ...]
    schema_json: str
    scorer: RowScorer | None
    torch_threads: int
    ids: FreshIds | None = None


# One deserialised generator per Python worker process and artifact.
_GENERATORS: "OrderedDict[str, Any]" = OrderedDict()
_GENERATORS_MAX = 2


def _generator(task: _BlockTask):
    generator = _GENERATORS.get(task.sha256)
    if generator is None:
        import importlib

        module, _, name = task.loader.partition(":")
        generator = getattr(importlib.import_module(module), name).from_bytes(task.artifact)
        _GENERATORS[task.sha256] = generator
        while len(_GENERATORS) > _GENERATORS_MAX:
            _GENERATORS.popitem(last=False)
        logger.info("worker %d loaded generator %s", os.getpid(), task.sha256[:12])
    return generator


def coerce_to_schema(pdf: pd.DataFrame, schema) -> pd.DataFrame:
    """Cast generator output to the dtypes Arrow needs for ``schema`` (integers rounded, nulls kept)."""
    from pyspark.sql import types as T

    out = {}
    for f in schema.fields:
        s = pdf[f.name]
        t = f.dataType
        if _arrow_ready(s, t):
            out[f.name] = s
        elif isinstance(t, (T.ByteType, T.ShortType, T.IntegerType, T.LongType)):
            kind = {T.ByteType: "Int8", T.ShortType: "Int16", T.IntegerType: "Int32", T.LongType: "Int64"}[type(t)]
            out[f.name] = pd.to_numeric(s, errors="coerce").round().astype(kind)
        elif isinstance(t, (T.FloatType, T.DoubleType)):
            out[f.name] = pd.to_numeric(s, errors="coerce").astype("float32" if isinstance(t, T.FloatType)
                                                                   else "float64")
        elif isinstance(t, T.DecimalType):
            out[f.name] = pd.to_numeric(s, errors="coerce").astype("float64")
        elif isinstance(t, T.BooleanType):
            out[f.name] = s.astype("boolean")
        elif isinstance(t, T.StringType):
            out[f.name] = s.astype("string").astype(object).where(s.notna(), None)
        elif isinstance(t, (T.TimestampType, T.TimestampNTZType)):
            # Spark keeps microseconds; Arrow refuses a lossy nanosecond cast, so floor first.
            out[f.name] = pd.to_datetime(s, errors="coerce").dt.floor("us")
        elif isinstance(t, T.DateType):
            out[f.name] = pd.to_datetime(s, errors="coerce").dt.date
        else:
            out[f.name] = s
    return pd.DataFrame(out, index=pdf.index)


def _arrow_ready(series: pd.Series, spark_type) -> bool:
    """True when Arrow takes ``series`` as ``spark_type`` as it is, with the values the casts would give:
    int64 for a long, float64 for a double, text without nulls for a string (the generator's usual output)."""
    from pyspark.sql import types as T

    if isinstance(spark_type, T.LongType):
        return series.dtype == np.int64
    if isinstance(spark_type, T.DoubleType):
        return series.dtype == np.float64
    if isinstance(spark_type, T.StringType):
        return series.dtype == object and pd.api.types.infer_dtype(series, skipna=False) == "string"
    return False


def _run_blocks(task: _BlockTask, batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """The ``mapInPandas`` body: one output frame per block index in the input batches."""
    import torch
    from pyspark.sql.types import StructType
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(task.torch_threads)  # intra-op threads of this task (1 by default)
    # scikit-learn's OpenMP/BLAS pools too: one task per core, no oversubscription.
    limits = threadpool_limits(task.torch_threads)
    try:
        yield from _blocks(task, batches, StructType.fromJson(json.loads(task.schema_json)))
    finally:
        limits.restore_original_limits()


def _blocks(task: _BlockTask, batches: Iterator[pd.DataFrame], schema) -> Iterator[pd.DataFrame]:
    generator = _generator(task)
    training = list(task.columns)
    for batch in batches:
        for block_index in batch["id"].to_numpy():
            block = score_block(generator, task.scorer, int(block_index), task.block_size, task.seed, training,
                                task.ids)
            for name, values in coerce_to_schema(block[training], schema).items():
                block[name] = values  # the training columns in the types Arrow needs; the rest as scored
            yield block


def sampled_schema(training_schema, ids: FreshIds | None = None):
    """The sampling output schema: training columns, fresh identifier columns (strings), order keys, scores."""
    from pyspark.sql import types as T

    fields = list(training_schema.fields)
    fields += [T.StructField(name, T.StringType(), True) for name in (ids.columns if ids else ())]
    fields += [T.StructField(BLOCK_INDEX, T.LongType(), False), T.StructField(ROW_IN_BLOCK, T.LongType(), False)]
    fields += [T.StructField(name, T.DoubleType(), True) for name in SCORE_COLUMNS]
    return T.StructType(fields)


def sample_blocks(spark, generator, training_schema, start_block: int, n_blocks: int, seed: int,
                  scorer: RowScorer | None = None, config: SamplingConfig | None = None, ids: FreshIds | None = None):
    """One distributed pass: blocks ``start_block .. start_block + n_blocks - 1``, scored.

    Returns a Spark DataFrame with the training columns (``training_schema``, in the
    generator's column order), the fresh identifier columns (``ids``), ``block_index``,
    ``row_in_block``, the score columns and two internal columns (``_accepted``,
    ``_accept_rank`` = accepted rows so far in the block).
    """
    from pyspark.sql import types as T

    config = config or SamplingConfig()
    columns = tuple(f.name for f in training_schema.fields)
    missing = [c for c in columns if c not in generator.columns_]
    if missing:
        raise ValueError(f"The generator was not trained on columns {missing}; it knows {generator.columns_}. "
                         "Fit it on the same training columns.")
    loader = f"{type(generator).__module__}:{type(generator).__qualname__}"
    task = _BlockTask(artifact=generator.to_bytes(), sha256=generator.sha256, loader=loader, seed=int(seed),
                      block_size=config.block_size, columns=columns, schema_json=training_schema.json(),
                      scorer=scorer, torch_threads=config.torch_threads, ids=ids)

    def sample_partition(batches):  # closure: carries `task`, artifact bytes included
        return _run_blocks(task, batches)

    out_schema = sampled_schema(training_schema, ids)
    out_schema = T.StructType(list(out_schema.fields) + [T.StructField(ACCEPTED, T.BooleanType(), False),
                                                         T.StructField(ACCEPT_RANK, T.IntegerType(), False)])
    partitions = min(n_blocks, config.num_partitions) if config.num_partitions else None
    ids = spark.range(start_block, start_block + n_blocks, 1, partitions)
    return ids.mapInPandas(sample_partition, out_schema)


def _round_stats(df, thresholds: dict[str, float]) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Per block (index, accepted count), and rows passing each filter (``_generated``: all rows)."""
    from pyspark.sql import functions as F

    aggs = [F.count(F.lit(1)).alias("n"), F.sum(F.col(ACCEPTED).cast("long")).alias("accepted")]
    aggs += [F.sum((F.col(name) >= F.lit(minimum)).cast("long")).alias(name) for name, minimum in thresholds.items()]
    rows = df.groupBy(BLOCK_INDEX).agg(*aggs).collect()  # one row per block: bounded by the blocks drawn
    blocks = np.array([r[BLOCK_INDEX] for r in rows], dtype=np.int64)
    accepted = np.array([r["accepted"] for r in rows], dtype=np.int64)
    passed = {name: int(sum(r[name] or 0 for r in rows)) for name in thresholds}
    passed[GENERATED] = int(sum(r["n"] for r in rows))
    return blocks, accepted, passed


def sample_accepted(spark, generator, training_schema, n_rows: int, seed: int, scorer: RowScorer | None = None,
                    config: SamplingConfig | None = None, ids: FreshIds | None = None) -> SamplingResult:
    """Draw blocks on the executors until ``n_rows`` synthetic rows pass the scorer's filters; keep the first
    ``n_rows`` by ``(block_index, row_in_block)`` (the rule of ``genesis_spark.core.blocks.TopUp``).

    The kept rows depend only on the generator, ``seed``, the block size and the thresholds:
    never on partitions, retries or how many blocks each round drew; they are the rows the
    pandas engine keeps in-process. Raises ``RuntimeError`` when acceptance is too low.

    Example::

        result = sample_accepted(spark, generator, train_df.select(generator.columns_).schema, 5000, seed=7,
                                 scorer=scorer)
        result.rows.count()                 # 5000
        result.report.acceptance_by_filter  # {'realism': 0.97, 'dcr': 1.0, 'label_prob': 0.91}
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    config = config or SamplingConfig()
    plan = TopUp(n_rows, config, scorer.thresholds.by_score() if scorer is not None else {},
                 scorer.thresholds.kept_share if scorer is not None else 1.0)
    if n_rows == 0:
        empty = spark.createDataFrame([], sampled_schema(training_schema, ids))
        return SamplingResult(rows=empty, report=plan.report())
    from tqdm.auto import tqdm

    from genesis_spark.synth.config import progress_enabled

    rounds: list = []
    verbose = getattr(generator, "config_", {}).get("verbose")  # the generator's config decides, as for training
    with tqdm(total=n_rows, desc="sampling", unit="row", disable=not progress_enabled(verbose)) as bar:
        while (round_ := plan.next_round()) is not None:
            start, n_blocks = round_
            df = sample_blocks(spark, generator, training_schema, start, n_blocks, seed, scorer, config, ids)
            if config.persist:
                try:
                    df = df.persist(StorageLevel.MEMORY_AND_DISK)
                except Exception:  # e.g. serverless compute without caching: recompute instead (same rows)
                    logger.debug("persist unavailable; sampling rounds will be recomputed on use")
            plan.record(*_round_stats(df, plan.thresholds))
            rounds.append(df)
            bar.update(min(plan.accepted_total, n_rows) - bar.n)  # rows accepted so far
            bar.set_postfix(rounds=plan.rounds, acceptance=f"{plan.acceptance_rate:.1%}")
    cut_block, cut_rank = plan.cut()
    keep = F.col(ACCEPTED) & ((F.col(BLOCK_INDEX) < cut_block)
                              | ((F.col(BLOCK_INDEX) == cut_block) & (F.col(ACCEPT_RANK) <= cut_rank)))
    selected = [df.where(keep).drop(ACCEPTED, ACCEPT_RANK) for df in rounds]
    rows = selected[0]
    for more in selected[1:]:
        rows = rows.unionByName(more)
    return SamplingResult(rows=rows, report=plan.report(), persisted=tuple(rounds) if config.persist else ())
