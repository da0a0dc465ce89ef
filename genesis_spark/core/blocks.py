"""The block-sampling plan both engines run: which blocks, which seeds, which rows are kept, when to top up.

Block ``b`` is ``generator.generate_block(b, block_size, seed)``: its rows depend only on
``(seed, b)`` for a given block size. :func:`score_block` draws one block and scores and
filters its rows (``genesis_spark.core.scoring.RowScorer``); :class:`TopUp` decides how many
blocks each round draws and, once enough rows passed the filters, which ones are kept:
the first ``n_rows`` accepted rows by ``(block_index, row_in_block)``. So the kept rows
depend only on the generator, the seed, the block size and the thresholds: never on how
the blocks were distributed, retried or grouped into rounds. The pandas engine runs the
blocks in-process (:func:`sample_in_process`); the Spark engine runs the same
:func:`score_block` on executors (``genesis_spark.spark.sampling``).
"""
from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass, field
from numbers import Integral, Real
from typing import Any, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd

from genesis_spark.core.scoring import SCORE_COLUMNS, RowScorer
from genesis_spark.core.settings import fields_from_config

logger = logging.getLogger(__name__)

BLOCK_INDEX = "block_index"
ROW_IN_BLOCK = "row_in_block"
ORDER_COLUMNS: tuple[str, ...] = (BLOCK_INDEX, ROW_IN_BLOCK)
ACCEPTED = "_accepted"
ACCEPT_RANK = "_accept_rank"
#: Key of the generated-row total in the per-filter pass counts.
GENERATED = "_generated"


@dataclass(frozen=True)
class SamplingConfig:
    """How blocks are drawn and how the sampler tops up.

    ``block_size`` is part of the output's identity (rows depend on ``(seed, block_index)``
    for a given block size); ``num_partitions``, ``torch_threads`` and ``persist`` only
    change speed (Spark engine).
    """

    block_size: int = 2048
    num_partitions: int | None = None
    torch_threads: int = 1
    max_rounds: int = 8
    min_acceptance: float = 0.001
    headroom: float = 1.1
    persist: bool = True

    def __post_init__(self) -> None:
        for name in ("block_size", "num_partitions", "torch_threads", "max_rounds"):
            value = getattr(self, name)
            if value is None and name == "num_partitions":
                continue
            if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
                extra = " or None (Spark's default)" if name == "num_partitions" else ""
                raise ValueError(f"config[{name!r}] must be an integer >= 1{extra}, got {value!r}.")
        for name, low, high in (("min_acceptance", 0.0, 1.0), ("headroom", 1.0, math.inf)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, Real) or not low <= value < high:
                accepted = f"in [{low:g}, {high:g})" if high < math.inf else f">= {low:g}"
                raise ValueError(f"config[{name!r}] must be a number {accepted}, got {value!r}.")
        if not isinstance(self.persist, (bool, np.bool_)):
            raise ValueError(f"config['persist'] must be true or false, got {self.persist!r}.")

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> "SamplingConfig":
        """Pick this dataclass's fields out of a larger config dict (other keys are ignored)."""
        return cls(**fields_from_config(cls, config))


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
class FreshIds:
    """Identifier columns kept out of training (ID-like text): synthetic rows get fresh, clearly synthetic values.

    Row ``r`` of block ``b`` drawn with seed ``s`` gets ``syn-<s as 16 hex digits>-<b>-<r>``: never a
    real identifier, unique within a raised class's rows, the same on both engines. A column is
    null in a synthetic row as often as in the real minority rows (``null_shares``), by a seeded
    draw per block.
    """

    null_shares: tuple[tuple[str, float], ...] = ()

    @classmethod
    def of(cls, rows: pd.DataFrame, columns: Sequence[str]) -> "FreshIds":
        """The identifier ``columns`` with their null shares in the real ``rows`` (pandas)."""
        return cls(tuple((name, float(rows[name].isna().mean())) for name in columns))

    @property
    def columns(self) -> tuple[str, ...]:
        """The identifier columns, in table order."""
        return tuple(name for name, _ in self.null_shares)

    def assign(self, frame: pd.DataFrame, seed: int, block_index: int = 0) -> None:
        """Set the identifier columns of ``frame``, whose rows are rows 0.. of block ``block_index``."""
        for name, values in self.values(seed, block_index, np.arange(len(frame))).items():
            frame[name] = values.to_numpy()

    def values(self, seed: int, block_index: int, rows: np.ndarray) -> dict[str, pd.Series]:
        """The identifier columns of block ``block_index``'s ``rows`` (row numbers within the block)."""
        prefix = f"syn-{int(seed) & (2**64 - 1):016x}-{int(block_index)}-"
        text = pd.Series(rows, dtype="int64").astype(str).radd(prefix).astype(object)
        uniform = np.random.default_rng([int(seed) & (2**63 - 1), int(block_index), 0x1D5])
        out = {}
        for name, share in self.null_shares:
            draw = uniform.random(len(rows))
            out[name] = text.where(draw >= share, None)
        return out


def score_block(generator: Any, scorer: RowScorer | None, block_index: int, block_size: int, seed: int,
                columns: Sequence[str], ids: FreshIds | None = None) -> pd.DataFrame:
    """Block ``block_index``: the generator's rows (``columns``), fresh identifiers (``ids``), the order keys,
    the scores, and whether each row passed every filter (``_accepted``) with its rank among the accepted
    rows of the block (``_accept_rank``).

    Without a scorer every row is accepted and the scores are NaN.
    """
    rows = generator.generate_block(int(block_index), block_size, seed).reset_index(drop=True)[list(columns)]
    n = len(rows)
    out: dict[str, Any] = {name: rows[name] for name in columns}
    if ids is not None:
        out.update({name: values.to_numpy() for name, values in ids.values(seed, block_index, np.arange(n)).items()})
    out[BLOCK_INDEX] = np.full(n, block_index, dtype="int64")
    out[ROW_IN_BLOCK] = np.arange(n, dtype="int64")
    if scorer is not None:
        scores = scorer.score(rows, generator)
        accepted = scorer.accept(scores)
        out.update({name: scores[name].to_numpy() for name in SCORE_COLUMNS})
    else:
        accepted = np.ones(n, dtype=bool)
        out.update({name: np.full(n, np.nan) for name in SCORE_COLUMNS})
    out[ACCEPTED] = accepted
    out[ACCEPT_RANK] = np.cumsum(accepted).astype("int32")
    return pd.DataFrame(out)  # built once: no column-by-column inserts


def filter_passes(block: pd.DataFrame, thresholds: Mapping[str, float]) -> dict[str, int]:
    """Rows of a scored block passing each filter, and the rows generated (key ``_generated``)."""
    passed = {name: int((block[name].to_numpy() >= minimum).sum()) for name, minimum in thresholds.items()}
    passed[GENERATED] = len(block)
    return passed


class TopUp:
    """The top-up rule: rounds of blocks until ``n_rows`` rows passed the filters, then which rows are kept.

    Example::

        plan = TopUp(5000, SamplingConfig(), scorer.thresholds.by_score())
        while (blocks := plan.next_round()) is not None:
            ...                                    # draw and score blocks[0] .. blocks[0] + blocks[1] - 1
            plan.record(block_ids, accepted_counts, passes)
        cut_block, cut_rank = plan.cut()           # keep accepted rows before it, and up to cut_rank in it
    """

    def __init__(self, n_rows: int, config: SamplingConfig, thresholds: Mapping[str, float],
                 kept_share: float = 1.0) -> None:
        if n_rows < 0:
            raise ValueError(f"n_rows must be >= 0, got {n_rows}.")
        self.n_rows = int(n_rows)
        self.config = config
        self.thresholds = dict(thresholds)
        self.rounds = 0
        self.next_block = 0
        self.accepted_total = 0
        self.passed = {name: 0 for name in self.thresholds} | {GENERATED: 0}
        self._blocks: list[np.ndarray] = []
        self._accepted: list[np.ndarray] = []
        # the first round's size: the selection (``ScoreThresholds.select_fraction``) keeps ``kept_share``
        self._round_blocks = max(1, math.ceil(self.n_rows * config.headroom / (kept_share * config.block_size)))

    @property
    def done(self) -> bool:
        """True once enough rows were accepted."""
        return self.accepted_total >= self.n_rows

    def next_round(self) -> tuple[int, int] | None:
        """``(first block, number of blocks)`` of the next round; None when done.

        Raises ``RuntimeError`` when ``max_rounds`` are used up or acceptance is too low.
        """
        if self.done:
            return None
        if self.rounds >= self.config.max_rounds:
            raise RuntimeError(self._low_acceptance_message("max_rounds reached"))
        if self.rounds and self.acceptance_rate <= self.config.min_acceptance:
            raise RuntimeError(self._low_acceptance_message(
                f"acceptance at or below min_acceptance={self.config.min_acceptance}"))
        if self.rounds:
            missing = self.n_rows - self.accepted_total
            self._round_blocks = max(1, math.ceil(missing * self.config.headroom
                                                  / (self.acceptance_rate * self.config.block_size)))
        return self.next_block, self._round_blocks

    def record(self, blocks: np.ndarray, accepted: np.ndarray, passed: Mapping[str, int]) -> None:
        """The round's outcome: block indices, accepted rows per block, and rows passing each filter."""
        order = np.argsort(blocks, kind="stable")
        self._blocks.append(np.asarray(blocks, dtype=np.int64)[order])
        self._accepted.append(np.asarray(accepted, dtype=np.int64)[order])
        for name, count in passed.items():
            self.passed[name] = self.passed.get(name, 0) + int(count)
        self.accepted_total += int(np.sum(accepted))
        self.rounds += 1
        first = self.next_block
        self.next_block += self._round_blocks
        logger.info("sampling round %d: blocks %d..%d, %d rows, %d accepted so far of %d requested (%.1f%%)",
                    self.rounds, first, self.next_block - 1, passed.get(GENERATED, 0), self.accepted_total,
                    self.n_rows, 100 * self.acceptance_rate)

    @property
    def acceptance_rate(self) -> float:
        """Accepted rows over generated rows so far."""
        return self.accepted_total / max(self.passed[GENERATED], 1)

    def cut(self) -> tuple[int, int]:
        """``(cut_block, cut_rank)``: keep accepted rows of blocks before ``cut_block`` and the first
        ``cut_rank`` accepted rows of ``cut_block``."""
        if self.n_rows == 0:
            return 0, 0
        blocks = np.concatenate(self._blocks)
        counts = np.concatenate(self._accepted)
        cumulative = np.cumsum(counts)
        position = int(np.searchsorted(cumulative, self.n_rows))  # first block where the total reaches n_rows
        return int(blocks[position]), self.n_rows - int(cumulative[position - 1] if position else 0)

    def report(self) -> SamplingReport:
        """What was drawn and kept."""
        generated = self.passed[GENERATED]
        report = SamplingReport(
            requested=self.n_rows, accepted=min(self.n_rows, self.accepted_total), generated=generated,
            blocks=int(sum(b.size for b in self._blocks)), rounds=self.rounds, block_size=self.config.block_size,
            acceptance_rate=self.acceptance_rate if generated else 1.0,
            acceptance_by_filter={name: self.passed[name] / max(generated, 1) for name in self.thresholds})
        logger.info("sampling: %d rows accepted of %d generated in %d rounds (acceptance %.1f%%; by filter %s)",
                    report.accepted, generated, self.rounds, 100 * report.acceptance_rate,
                    {k: round(v, 4) for k, v in report.acceptance_by_filter.items()})
        return report

    def _low_acceptance_message(self, why: str) -> str:
        generated = max(self.passed[GENERATED], 1)
        by_filter = ", ".join(f"{name} {100 * self.passed[name] / generated:.1f}%" for name in self.thresholds)
        return (f"Only {self.accepted_total} of {self.n_rows} requested synthetic rows passed the score filters "
                f"after {self.rounds} sampling round(s) ({self.passed[GENERATED]} rows generated; {why}). Share "
                f"passing each filter: {by_filter or 'no filters'}. Lower the thresholds (min_realism, min_dcr, "
                "min_label_prob) in the augment config, raise max_rounds, or train the generator longer (epochs).")


def sample_in_process(generator: Any, scorer: RowScorer | None, n_rows: int, seed: int, columns: Sequence[str],
                      config: SamplingConfig | None = None,
                      ids: FreshIds | None = None) -> tuple[pd.DataFrame, SamplingReport]:
    """The pandas engine's sampling: the same blocks, scores, filters and kept rows as the Spark engine's.

    Returns the kept rows (``columns``, the identifier columns, the order keys and the scores,
    ordered by ``(block_index, row_in_block)``) and the report.
    """
    config = config or SamplingConfig()
    plan = TopUp(n_rows, config, scorer.thresholds.by_score() if scorer is not None else {},
                 scorer.thresholds.kept_share if scorer is not None else 1.0)
    kept: list[pd.DataFrame] = []
    while (round_ := plan.next_round()) is not None:
        start, n_blocks = round_
        accepted = np.zeros(n_blocks, dtype=np.int64)
        passed = {name: 0 for name in plan.thresholds} | {GENERATED: 0}
        for i, block in enumerate(_blocks(generator, scorer, range(start, start + n_blocks), config, seed, columns,
                                          ids)):
            accepted[i] = int(block[ACCEPTED].sum())
            for name, count in filter_passes(block, plan.thresholds).items():
                passed[name] += count
            kept.append(block[block[ACCEPTED].to_numpy()])
        plan.record(np.arange(start, start + n_blocks), accepted, passed)
    report = plan.report()
    out_columns = [*columns, *(ids.columns if ids else ()), *ORDER_COLUMNS, *SCORE_COLUMNS]
    if not kept:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in out_columns}), report
    cut_block, cut_rank = plan.cut()
    rows = pd.concat(kept, ignore_index=True)
    keep = (rows[BLOCK_INDEX] < cut_block) | ((rows[BLOCK_INDEX] == cut_block) & (rows[ACCEPT_RANK] <= cut_rank))
    return rows[keep.to_numpy()][out_columns].reset_index(drop=True), report


def _blocks(generator: Any, scorer: RowScorer | None, block_ids: range, config: SamplingConfig, seed: int,
            columns: Sequence[str], ids: FreshIds | None) -> Iterator[pd.DataFrame]:
    for block_index in block_ids:
        yield score_block(generator, scorer, block_index, config.block_size, seed, columns, ids)
