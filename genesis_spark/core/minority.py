"""What both engines do with a raised class's real rows: their canonical order, the scorer, the settings.

Each engine brings the rows to the driver its own way (pandas: a filter; Spark: a bounded,
seeded collect) and hands them to these functions, so that for the same training rows,
config and seed both fit the same generator and keep the same synthetic rows.
"""
from __future__ import annotations

import time
import logging
from dataclasses import dataclass, replace
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from genesis_spark.core.blocks import SamplingConfig
from genesis_spark.core.scoring import RowScorer, ScoreThresholds

logger = logging.getLogger(__name__)

#: Most real rows of a class the generator is fitted on (``max_training_rows`` overrides it).
DEFAULT_MAX_TRAINING_ROWS = 100_000
#: Most rows of the other classes the label model of the scorer is fitted on (``label_sample_rows``).
DEFAULT_LABEL_SAMPLE_ROWS = 20_000
#: Most rows of the other classes the SMOTE baseline interpolates against.
SMOTE_MAJORITY_ROWS = 2_000
#: Below this many real rows the realism filter is off: the critic's score quantiles come from too
#: few rows (a critic trained on 20 rows can score every synthetic row below all of them).
MIN_ROWS_FOR_REALISM_FILTER = 100
#: Below this many real rows each block keeps only the ``SCARCE_SELECT_FRACTION`` of its filtered rows
#: nearest the real class relative to the other classes (``class_margin``), unless ``select_fraction``
#: is set: a generator fitted on few rows spills into the other classes' region, which costs a random
#: forest precision; from about 200 rows on the generator's rows are good and the selection removes the
#: boundary cases boosting learns from (bench/RESULTS.md, issue 13 ablations: it helped at 40-190 real
#: rows and hurt at 228 and 800).
SELECT_BELOW_ROWS = 200
SCARCE_SELECT_FRACTION = 2 / 3


@dataclass(frozen=True)
class OversampleSettings:
    """The sampling and scoring side of an augment ``config`` (``genesis_spark.core.plan.split_config``)."""

    sampling: SamplingConfig
    thresholds: ScoreThresholds
    label_sample_rows: int = DEFAULT_LABEL_SAMPLE_ROWS
    score: bool = True
    max_training_rows: int = DEFAULT_MAX_TRAINING_ROWS

    @classmethod
    def from_config(cls, sampling_side: Mapping[str, Any], generator_side: Mapping[str, Any]) -> "OversampleSettings":
        """Read the settings from the two halves of a split config."""
        return cls(sampling=SamplingConfig.from_config(sampling_side),
                   thresholds=ScoreThresholds.from_config(sampling_side),
                   label_sample_rows=int(sampling_side.get("label_sample_rows") or DEFAULT_LABEL_SAMPLE_ROWS),
                   score=bool(sampling_side.get("score", True)),
                   max_training_rows=int(generator_side.get("max_training_rows") or DEFAULT_MAX_TRAINING_ROWS))


def canonical_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame``'s rows sorted by their values (nulls last), with a fresh RangeIndex.

    The order depends only on the values, not on the engine, the partitioning or the input
    order: integers of any width sort alike, text and categories sort as strings.
    """
    if frame.shape[0] < 2 or frame.shape[1] == 0:
        return frame.reset_index(drop=True)
    keys = {}
    for i, column in enumerate(frame.columns):
        series = frame.iloc[:, i]
        if pd.api.types.is_bool_dtype(series.dtype):
            keys[i] = series.astype("Int8")
        elif pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_datetime64_any_dtype(series.dtype):
            keys[i] = series
        else:
            keys[i] = series.astype("string")
    table = pd.DataFrame(keys)
    table.index = np.arange(len(frame))
    order = table.sort_values(list(table.columns), na_position="last", kind="stable").index.to_numpy()
    return frame.iloc[order].reset_index(drop=True)


def build_scorer(minority: pd.DataFrame, others: pd.DataFrame | None, target_column: str, label: Any,
                 discrete_columns: Sequence[str], seed: int, thresholds: ScoreThresholds) -> RowScorer:
    """The row scorer of one raised class: distances to ``minority`` (features), a label model fitted on
    ``minority`` against ``others`` (features and target; None: no label model).

    With fewer than ``MIN_ROWS_FOR_REALISM_FILTER`` minority rows, ``realism`` is still scored
    but does not filter (its threshold is set to 0, logged). ``select_fraction`` left unset becomes
    ``SCARCE_SELECT_FRACTION`` below ``SELECT_BELOW_ROWS`` minority rows and 1 (no selection) above.
    """
    if len(minority) < MIN_ROWS_FOR_REALISM_FILTER and thresholds.min_realism > 0:
        logger.info("%d real rows of class %r: below %d the realism filter is off (scores are still recorded)",
                    len(minority), label, MIN_ROWS_FOR_REALISM_FILTER)
        thresholds = replace(thresholds, min_realism=0.0)
    if thresholds.select_fraction is None:
        fraction = SCARCE_SELECT_FRACTION if len(minority) < SELECT_BELOW_ROWS else 1.0
        if fraction < 1.0:
            logger.info("%d real rows of class %r: below %d each block keeps the %.0f%% of its filtered rows "
                        "nearest the real class (class_margin; set select_fraction to change it)",
                        len(minority), label, SELECT_BELOW_ROWS, 100 * fraction)
        thresholds = replace(thresholds, select_fraction=fraction)
    label_sample = None
    if others is not None and len(others):
        label_sample = pd.concat([minority.assign(**{target_column: label}), others], ignore_index=True)
        label_sample[target_column] = (label_sample[target_column] == label).to_numpy()
    return RowScorer.build(minority, label_sample, target_column, True, list(discrete_columns), seed, thresholds)


class PhaseClock:
    """Seconds spent per augment phase (``collect``, ``fit``, ``label_model``, ``sampling``)."""

    PHASES = ("collect", "fit", "label_model", "sampling")

    def __init__(self) -> None:
        self.seconds = dict.fromkeys(self.PHASES, 0.0)
        self._last = time.perf_counter()

    def lap(self, phase: str) -> None:
        """Charge the time since the previous lap to ``phase``."""
        now = time.perf_counter()
        self.seconds[phase] += now - self._last
        self._last = now

    def rounded(self) -> dict[str, float]:
        """The seconds per phase, to the millisecond."""
        return {k: round(v, 3) for k, v in self.seconds.items()}
