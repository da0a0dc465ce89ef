"""Executor-side sampling: generator blocks drawn and scored in one ``mapInPandas`` pass.

``spark.range(start, stop)`` feeds ``mapInPandas``; each id is a block index, and block
``b`` is ``generator.generate_block(b, block_size, seed)``, whose rows depend only on
``(seed, b)``. Output therefore does not depend on the partition count or on task retries.
The generator travels as its artifact bytes captured in the task function's closure (no
SparkContext needed, so it works on Spark Connect too); each Python worker deserialises
it once (cache keyed by the artifact's sha256). The driver tops up with further blocks,
deterministically, until the requested number of rows passes the score filters.

Any generator works that has ``columns_``, ``sha256``, ``to_bytes()``, a class-level
``from_bytes(data)``, ``generate_block(block_index, block_size, seed)`` and (for the
realism score) ``realism_score(df)``: ``genesis_spark.synth.SyntheticGenerator`` does.
"""
from __future__ import annotations

import json
import logging
import math
import os
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from typing import Any, Iterator, Mapping

import numpy as np
import pandas as pd

from genesis_spark.spark.scoring import SCORE_COLUMNS, RowScorer

logger = logging.getLogger(__name__)

BLOCK_INDEX = "block_index"
ROW_IN_BLOCK = "row_in_block"
ORDER_COLUMNS: tuple[str, ...] = (BLOCK_INDEX, ROW_IN_BLOCK)
_ACCEPTED = "_accepted"
_ACCEPT_RANK = "_accept_rank"

# Test-only hook: when this variable names a folder in the workers' environment, the first
# attempt of every sampling task fails after yielding its first block (leaving a marker file
# in that folder), so tests can prove that Spark's retries change nothing.
FAIL_FIRST_ATTEMPT_ENV = "GENESIS_SPARK_TEST_FAIL_FIRST_ATTEMPT"


@dataclass(frozen=True)
class SamplingConfig:
    """How blocks are drawn on executors and how the driver tops up.

    ``block_size`` is part of the output's identity (rows depend on ``(seed, block_index)``
    for a given block size); ``num_partitions`` and ``torch_threads`` only change speed.
    """

    block_size: int = 2048
    num_partitions: int | None = None
    torch_threads: int = 1
    max_rounds: int = 8
    min_acceptance: float = 0.001
    headroom: float = 1.1
    persist: bool = True

    def __post_init__(self) -> None:
        if self.block_size < 1:
            raise ValueError(f"block_size must be >= 1, got {self.block_size}.")
        if self.num_partitions is not None and self.num_partitions < 1:
            raise ValueError(f"num_partitions must be >= 1 or None (Spark's default), got {self.num_partitions}.")
        if self.torch_threads < 1:
            raise ValueError(f"torch_threads must be >= 1, got {self.torch_threads}.")
        if self.max_rounds < 1:
            raise ValueError(f"max_rounds must be >= 1, got {self.max_rounds}.")
        if not 0.0 <= self.min_acceptance < 1.0:
            raise ValueError(f"min_acceptance must be in [0, 1), got {self.min_acceptance}.")
        if self.headroom < 1.0:
            raise ValueError(f"headroom must be >= 1.0, got {self.headroom}.")

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> "SamplingConfig":
        """Pick this dataclass's fields out of a larger config dict (other keys are ignored)."""
        config = config or {}
        names = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in config.items() if k in names and v is not None})


@dataclass(frozen=True)
class SamplingReport:
    """What one sampling run drew and kept."""

    requested: int
    accepted: int
    generated: int
    blocks: int
    rounds: int
    block_size: int
    acceptance_rate: float
    acceptance_by_filter: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return asdict(self)


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
        if isinstance(t, (T.ByteType, T.ShortType, T.IntegerType, T.LongType)):
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
            out[f.name] = pd.to_datetime(s, errors="coerce")
        elif isinstance(t, T.DateType):
            out[f.name] = pd.to_datetime(s, errors="coerce").dt.date
        else:
            out[f.name] = s
    return pd.DataFrame(out, index=pdf.index)


def _maybe_fail_first_attempt() -> None:
    """Test-only: fail the first attempt of this task (see ``FAIL_FIRST_ATTEMPT_ENV``)."""
    marker_dir = os.environ.get(FAIL_FIRST_ATTEMPT_ENV)
    if not marker_dir:
        return
    from pyspark import TaskContext

    context = TaskContext.get()
    if context is not None and context.attemptNumber() == 0:
        marker = f"stage{context.stageId()}-partition{context.partitionId()}"
        with open(os.path.join(marker_dir, marker), "w", encoding="utf-8") as fh:
            fh.write("failed once\n")
        raise RuntimeError(f"injected failure on the first attempt of {marker} ({FAIL_FIRST_ATTEMPT_ENV} is set)")


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
    done = 0
    for batch in batches:
        for block_index in batch["id"].to_numpy():
            block = generator.generate_block(int(block_index), task.block_size, task.seed)
            block = coerce_to_schema(block.reset_index(drop=True)[list(task.columns)], schema)
            n = len(block)
            block[BLOCK_INDEX] = np.full(n, block_index, dtype="int64")
            block[ROW_IN_BLOCK] = np.arange(n, dtype="int32")
            if task.scorer is not None:
                scores = task.scorer.score(block[list(task.columns)], generator)
                accepted = task.scorer.accept(scores)
                for name in SCORE_COLUMNS:
                    block[name] = scores[name].to_numpy()
            else:
                accepted = np.ones(n, dtype=bool)
                for name in SCORE_COLUMNS:
                    block[name] = np.nan
            block[_ACCEPTED] = accepted
            block[_ACCEPT_RANK] = np.cumsum(accepted).astype("int32")
            yield block
            if done == 0:
                _maybe_fail_first_attempt()
            done += 1


def sampled_schema(training_schema):
    """The sampling output schema: training columns, order keys, scores."""
    from pyspark.sql import types as T

    fields = list(training_schema.fields)
    fields += [T.StructField(BLOCK_INDEX, T.LongType(), False), T.StructField(ROW_IN_BLOCK, T.IntegerType(), False)]
    fields += [T.StructField(name, T.DoubleType(), True) for name in SCORE_COLUMNS]
    return T.StructType(fields)


def sample_blocks(spark, generator, training_schema, start_block: int, n_blocks: int, seed: int,
                  scorer: RowScorer | None = None, config: SamplingConfig | None = None):
    """One distributed pass: blocks ``start_block .. start_block + n_blocks - 1``, scored.

    Returns a Spark DataFrame with the training columns (``training_schema``, in the
    generator's column order), ``block_index``, ``row_in_block``, the score columns and
    two internal columns (``_accepted``, ``_accept_rank`` = accepted rows so far in the block).
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
                      scorer=scorer, torch_threads=config.torch_threads)

    def sample_partition(batches):  # closure: carries `task`, artifact bytes included
        return _run_blocks(task, batches)

    out_schema = sampled_schema(training_schema)
    out_schema = T.StructType(list(out_schema.fields) + [T.StructField(_ACCEPTED, T.BooleanType(), False),
                                                         T.StructField(_ACCEPT_RANK, T.IntegerType(), False)])
    partitions = min(n_blocks, config.num_partitions) if config.num_partitions else None
    ids = spark.range(start_block, start_block + n_blocks, 1, partitions)
    return ids.mapInPandas(sample_partition, out_schema)


def _round_stats(df, thresholds: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Per block (index, accepted count) sorted by block, and rows passing each filter."""
    from pyspark.sql import functions as F

    aggs = [F.count(F.lit(1)).alias("n"), F.sum(F.col(_ACCEPTED).cast("long")).alias("accepted")]
    aggs += [F.sum((F.col(name) >= F.lit(minimum)).cast("long")).alias(name) for name, minimum in thresholds.items()]
    rows = df.groupBy(BLOCK_INDEX).agg(*aggs).collect()  # one row per block: bounded by the blocks drawn
    rows.sort(key=lambda r: r[BLOCK_INDEX])
    blocks = np.array([r[BLOCK_INDEX] for r in rows], dtype=np.int64)
    accepted = np.array([r["accepted"] for r in rows], dtype=np.int64)
    passed = {name: int(sum(r[name] or 0 for r in rows)) for name in thresholds}
    passed["_generated"] = int(sum(r["n"] for r in rows))
    return blocks, accepted, passed


def sample_accepted(spark, generator, training_schema, n_rows: int, seed: int, scorer: RowScorer | None = None,
                    config: SamplingConfig | None = None) -> SamplingResult:
    """Draw blocks until ``n_rows`` synthetic rows pass the scorer's filters; keep the first ``n_rows``.

    "First" is by ``(block_index, row_in_block)``, so the kept rows depend only on the
    generator, ``seed``, the block size and the thresholds: never on partitions, retries or
    how many blocks each round drew. Raises ``RuntimeError`` when acceptance is too low.

    Example::

        result = sample_accepted(spark, generator, train_df.select(generator.columns_).schema, 5000, seed=7,
                                 scorer=scorer)
        result.rows.count()                 # 5000
        result.report.acceptance_by_filter  # {'realism': 0.97, 'dcr': 1.0, 'label_prob': 0.91}
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    config = config or SamplingConfig()
    if n_rows < 0:
        raise ValueError(f"n_rows must be >= 0, got {n_rows}.")
    thresholds = scorer.thresholds.by_score() if scorer is not None else {}
    rounds: list = []
    block_ids: list[np.ndarray] = []
    block_accepted: list[np.ndarray] = []
    passed_total = {name: 0 for name in thresholds} | {"_generated": 0}
    next_block = 0
    n_blocks = max(1, math.ceil(n_rows * config.headroom / config.block_size))
    accepted_total = 0
    round_number = 0
    if n_rows == 0:
        empty = spark.createDataFrame([], sampled_schema(training_schema))
        return SamplingResult(rows=empty, report=SamplingReport(0, 0, 0, 0, 0, config.block_size, 1.0, {}))
    while accepted_total < n_rows:
        if round_number >= config.max_rounds:
            raise RuntimeError(_low_acceptance_message(n_rows, accepted_total, passed_total, round_number,
                                                       "max_rounds reached"))
        round_number += 1
        df = sample_blocks(spark, generator, training_schema, next_block, n_blocks, seed, scorer, config)
        if config.persist:
            try:
                df = df.persist(StorageLevel.MEMORY_AND_DISK)
            except Exception:  # e.g. serverless compute without caching: recompute instead (same rows)
                logger.debug("persist unavailable; sampling rounds will be recomputed on use")
        blocks, accepted, passed = _round_stats(df, thresholds)
        rounds.append(df)
        block_ids.append(blocks)
        block_accepted.append(accepted)
        for name, count in passed.items():
            passed_total[name] += count
        accepted_total += int(accepted.sum())
        next_block += n_blocks
        rate = accepted_total / max(passed_total["_generated"], 1)
        logger.info("sampling round %d: blocks %d..%d, %d rows, %d accepted so far of %d requested (%.1f%%)",
                    round_number, next_block - n_blocks, next_block - 1, passed["_generated"], accepted_total,
                    n_rows, 100 * rate)
        if accepted_total >= n_rows:
            break
        if rate <= config.min_acceptance:
            raise RuntimeError(_low_acceptance_message(n_rows, accepted_total, passed_total, round_number,
                                                       f"acceptance at or below min_acceptance={config.min_acceptance}"))
        n_blocks = max(1, math.ceil((n_rows - accepted_total) * config.headroom / (rate * config.block_size)))

    blocks = np.concatenate(block_ids)
    counts = np.concatenate(block_accepted)
    cumulative = np.cumsum(counts)
    position = int(np.searchsorted(cumulative, n_rows))  # first block where the total reaches n_rows
    cut_block = int(blocks[position])
    cut_rank = n_rows - int(cumulative[position - 1] if position else 0)
    keep = F.col(_ACCEPTED) & ((F.col(BLOCK_INDEX) < cut_block)
                               | ((F.col(BLOCK_INDEX) == cut_block) & (F.col(_ACCEPT_RANK) <= cut_rank)))
    selected = [df.where(keep).drop(_ACCEPTED, _ACCEPT_RANK) for df in rounds]
    rows = selected[0]
    for more in selected[1:]:
        rows = rows.unionByName(more)
    generated = passed_total["_generated"]
    report = SamplingReport(
        requested=n_rows, accepted=n_rows, generated=generated, blocks=int(blocks.size), rounds=round_number,
        block_size=config.block_size, acceptance_rate=accepted_total / max(generated, 1),
        acceptance_by_filter={name: passed_total[name] / max(generated, 1) for name in thresholds})
    logger.info("sampling: %d rows accepted of %d generated in %d rounds (acceptance %.1f%%; by filter %s)",
                n_rows, generated, round_number, 100 * report.acceptance_rate,
                {k: round(v, 4) for k, v in report.acceptance_by_filter.items()})
    return SamplingResult(rows=rows, report=report, persisted=tuple(rounds) if config.persist else ())


def _low_acceptance_message(requested: int, accepted: int, passed: Mapping[str, int], rounds: int,
                            why: str) -> str:
    generated = max(passed.get("_generated", 0), 1)
    by_filter = ", ".join(f"{name} {100 * count / generated:.1f}%" for name, count in passed.items()
                          if name != "_generated")
    return (f"Only {accepted} of {requested} requested synthetic rows passed the score filters after {rounds} "
            f"sampling round(s) ({passed.get('_generated', 0)} rows generated; {why}). Share passing each filter: "
            f"{by_filter or 'no filters'}. Lower the thresholds (min_realism, min_dcr, min_label_prob) in the "
            "augment config, raise max_rounds, or train the generator longer (epochs).")
