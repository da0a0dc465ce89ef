"""The augmentation plan, its argument checks, its result type and its seeds: engine-neutral.

Both engines call the same checks in the same order, so a bad argument gives the same
error on pandas and on Spark, and ``plan_augmentation`` decides the row counts for both.
"""
from __future__ import annotations

import difflib
import logging
import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from genesis_spark.core.blocks import SamplingConfig
from genesis_spark.core.columns import MAX_CLASSES, check_identifier_mode, missing_column_error
from genesis_spark.core.scoring import ScoreThresholds
from genesis_spark.synth.config import CONFIG_KEYS as GENERATOR_CONFIG_KEYS
from genesis_spark.synth.config import resolve_config

logger = logging.getLogger(__name__)

STRATEGIES = ("oversample", "smote", "undersample")
#: Default seed when none is given: runs are reproducible unless a seed is chosen.
DEFAULT_SEED = 0


# --------------------------------------------------------------------------- checks

def check_ratio(ratio: Any) -> float:
    """``ratio`` (the minority share wanted in the output) must be a number strictly between 0 and 1."""
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float, np.number)):
        raise ValueError(f"ratio must be a number between 0 and 1 (the minority share wanted), got {ratio!r}.")
    ratio = float(ratio)
    if not 0.0 < ratio < 1.0:
        raise ValueError(f"ratio must be strictly between 0 and 1 (the minority share wanted in the output), "
                         f"got {ratio}. For a 30% minority share use ratio=0.3.")
    return ratio


def check_strategy(strategy: str) -> str:
    """One of ``oversample`` (CTGAN), ``smote`` (SMOTENC baseline), ``undersample``."""
    if strategy not in STRATEGIES:
        close = difflib.get_close_matches(str(strategy), STRATEGIES, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}, got {strategy!r}.{hint}")
    return strategy


def check_target_column(columns: Sequence[str], target_column: str) -> None:
    """The target must be a column of the input."""
    if target_column not in columns:
        raise missing_column_error(target_column, columns, "target_column")


def check_discrete_columns(columns: Sequence[str], discrete_columns: Sequence[str] | None,
                           target_column: str) -> list[str]:
    """Every named discrete column must exist; the target is dropped from the list (it is re-added)."""
    if discrete_columns is None:
        return []
    if isinstance(discrete_columns, str):
        raise ValueError(f"discrete_columns must be a list of column names, got the string {discrete_columns!r}; "
                         f"write [{discrete_columns!r}].")
    for name in discrete_columns:
        if name not in columns:
            raise missing_column_error(name, [c for c in columns if c != target_column], "discrete_columns")
    return [c for c in dict.fromkeys(discrete_columns) if c != target_column]


def check_target_values(class_counts: Mapping[Any, int], target_column: str, *,
                        is_float: bool = False, n_missing: int = 0) -> None:
    """The target must be binary or categorical with at least two classes and no missing labels.

    ``class_counts`` maps labels to counts (zero counts allowed: unused categories);
    ``is_float`` says the column is floating point (then every label must be integral).
    """
    if n_missing:
        raise ValueError(f"target_column {target_column!r} has {n_missing} missing value(s); "
                         "drop or fill those rows before augmenting.")
    present = {k: v for k, v in class_counts.items() if v > 0}
    if len(present) < 2:
        only = next(iter(present), None)
        raise ValueError(f"target_column {target_column!r} has a single value ({only!r}) in every row: "
                         "there is no minority class to augment. Check the target column and the input rows.")
    if is_float and any(not float(k).is_integer() for k in present):
        raise ValueError(f"target_column {target_column!r} holds non-integral floats ({len(present)} distinct "
                         "values): it looks continuous. augment_imbalanced needs a binary or categorical target; "
                         "bin it first (e.g. pd.cut) or choose the class label column.")
    if len(present) > MAX_CLASSES:
        raise ValueError(f"target_column {target_column!r} has {len(present)} distinct values (more than "
                         f"{MAX_CLASSES}): it is not binary or categorical. Choose the class label column.")


# --------------------------------------------------------------------------- plan

@dataclass(frozen=True)
class AugmentPlan:
    """What to do to each class: rows to ``add`` (oversample/smote) or rows to ``keep`` (undersample).

    ``final_counts`` are the class counts of the output.
    """

    target_column: str
    ratio: float
    strategy: str
    class_counts: dict[Any, int]
    add: dict[Any, int] = field(default_factory=dict)
    keep: dict[Any, int] = field(default_factory=dict)

    @property
    def no_op(self) -> bool:
        """True when no class is below the ratio: the input is returned unchanged."""
        return not self.add and not self.keep

    @property
    def n_synthetic(self) -> int:
        """Rows to generate in total."""
        return sum(self.add.values())

    @property
    def final_counts(self) -> dict[Any, int]:
        """Class counts of the output."""
        out = dict(self.class_counts)
        for label, n in self.add.items():
            out[label] += n
        out.update(self.keep)
        return out


#: Fewest real rows of a class a generator is fitted on (both engines): below it a CTGAN has nothing
#: to learn a distribution from and would only echo a handful of rows.
MIN_ROWS_TO_FIT = 10


def check_rows_to_fit(plan: "AugmentPlan") -> None:
    """Refuse, before any work, to fit a generator on a class with fewer than ``MIN_ROWS_TO_FIT`` real rows.

    Not called with a pre-fitted generator (``load_generator``): it learned elsewhere.
    """
    small = {label: plan.class_counts[label] for label in plan.add if plan.class_counts[label] < MIN_ROWS_TO_FIT}
    if small:
        label, n = min(small.items(), key=lambda item: item[1])
        raise ValueError(f"Class {plan.target_column}={label!r} has {n} real row(s); fitting a generator needs at "
                         f"least {MIN_ROWS_TO_FIT}. Collect more rows of it, pass a generator fitted elsewhere "
                         "(load_generator), or use strategy='smote'.")


def plan_augmentation(class_counts: Mapping[Any, int], target_column: str, ratio: float,
                      strategy: str = "oversample") -> AugmentPlan:
    """Work out how many rows each class gains (or keeps) so every class reaches ``ratio``.

    Oversampling: the classes below the ratio (repeatedly, since raising some lowers the
    others' shares) are raised to ``ratio`` of the output; the other classes keep their rows.
    Undersampling: the classes below the ratio keep all their rows; the others are sampled
    down in proportion so that the smallest raised class reaches ``ratio``.
    A ratio at or below every class's share is a no-op (with a warning).

    Example::

        plan_augmentation({0: 49_000, 1: 1_000}, "is_fraud", 0.3).add   # {1: 20000}
    """
    ratio = check_ratio(ratio)
    strategy = check_strategy(strategy)
    counts = {k: int(v) for k, v in class_counts.items()}
    check_target_values(counts, target_column)
    empty = [k for k, v in counts.items() if v == 0]
    if empty:
        raise ValueError(f"target_column {target_column!r}: class {empty[0]!r} has no rows (an empty minority "
                         "class cannot be augmented). Drop the unused category or supply rows of that class.")
    total = sum(counts.values())
    below = {k for k, v in counts.items() if v / total < ratio}
    if not below:
        message = (f"ratio={ratio} is at or below the current minority share "
                   f"({min(counts.values()) / total:.4f}) of {target_column!r}: nothing to do, "
                   "the input is returned unchanged.")
        logger.warning(message)
        warnings.warn(message, UserWarning, stacklevel=3)
        return AugmentPlan(target_column, ratio, strategy, counts)
    if strategy == "undersample":
        smallest = min(counts[k] for k in below)
        out_total = smallest / ratio
        others = {k: v for k, v in counts.items() if k not in below}
        room = out_total - sum(counts[k] for k in below)
        if room < len(others):
            raise ValueError(f"ratio={ratio} cannot be reached by undersampling: the classes below it "
                             f"({', '.join(map(repr, sorted(below, key=str)))}) alone exceed that share. "
                             "Lower the ratio or use strategy='oversample'.")
        scale = room / sum(others.values())
        keep = {k: max(1, int(round(v * scale))) for k, v in others.items()}
        return AugmentPlan(target_column, ratio, strategy, counts, keep=keep)
    while True:
        if len(below) * ratio >= 1:
            raise ValueError(f"ratio={ratio} is too high for {len(below)} classes below it: their shares would "
                             f"sum to {len(below) * ratio:.2f} >= 1. Lower the ratio.")
        rest = sum(v for k, v in counts.items() if k not in below)
        out_total = rest / (1 - len(below) * ratio)
        now_below = below | {k for k in counts if k not in below and counts[k] / out_total < ratio - 1e-12}
        if now_below == below:
            break
        below = now_below
    target = math.ceil(ratio * out_total - 1e-9)
    add = {k: max(0, target - counts[k]) for k in below}
    add = {k: v for k, v in add.items() if v > 0}
    for label, n in add.items():
        if counts[label] < 2:
            raise ValueError(f"class {label!r} of {target_column!r} has {counts[label]} row; at least 2 are needed "
                             f"to learn from. Supply more rows of that class or use strategy='undersample'.")
    return AugmentPlan(target_column, ratio, strategy, counts, add=add)


# --------------------------------------------------------------------------- result

@dataclass(frozen=True)
class AugmentResult:
    """Everything an augmentation produced.

    ``augmented``: the original rows (unchanged, first) then the synthetic rows;
    ``synthetic``: just the generated rows (target included; empty for undersample);
    ``generators``: the fitted ``SyntheticGenerator`` per raised class (oversample);
    ``training_rows``: the real rows the generators were fitted on (target included, pandas);
    ``sampling``: per raised class, the ``SamplingReport`` of the scored block sampling (oversample);
    ``timings``: seconds per phase (collect, fit, label_model, sampling).

    On both engines ``synthetic`` holds the input's columns, then ``block_index`` and
    ``row_in_block`` (where each row was drawn) and the scores ``realism``, ``dcr``, ``label_prob``, ``class_margin``.
    """

    augmented: Any
    synthetic: Any
    plan: AugmentPlan
    generators: dict[Any, Any] = field(default_factory=dict)
    training_rows: pd.DataFrame | None = None
    excluded_columns: tuple[str, ...] = ()
    discrete_columns: tuple[str, ...] = ()
    sampling: dict[Any, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def generator(self):
        """The fitted generator of a binary target (the first one when several), or None."""
        return next(iter(self.generators.values()), None)


def child_seeds(seed: int, n: int) -> list[int]:
    """``n`` independent seeds derived from ``seed`` (one per raised class)."""
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(n)]


#: Config keys that steer sampling, scoring and the output's identifier columns (both engines); every
#: other key goes to the generator.
SAMPLING_CONFIG_KEYS = frozenset(SamplingConfig.__dataclass_fields__) | frozenset(
    ScoreThresholds.__dataclass_fields__) | {"label_sample_rows", "score", "identifier_columns"}


def split_config(config: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(generator settings, sampling and scoring settings)`` of an augment ``config``."""
    if config is not None and not isinstance(config, Mapping):
        raise ValueError(f"config must be a mapping of generator settings (e.g. {{'epochs': 300}}), got {config!r}.")
    config = dict(config or {})
    sampling = {k: v for k, v in config.items() if k in SAMPLING_CONFIG_KEYS}
    generator = {k: v for k, v in config.items() if k not in SAMPLING_CONFIG_KEYS}
    return generator, sampling


#: Every key an augment ``config`` accepts: the generator's and the sampling and scoring ones.
AUGMENT_CONFIG_KEYS: tuple[str, ...] = tuple(sorted({*GENERATOR_CONFIG_KEYS, *SAMPLING_CONFIG_KEYS}))


def check_augment_config(config: Mapping[str, Any] | None) -> None:
    """Check every key and value of an augment ``config`` before any work; raise ValueError naming the key.

    Each key has one rule, kept where the setting is used: generator keys by the generator's
    ``synth.config.resolve_config``, block sampling keys by ``SamplingConfig``, thresholds by
    ``ScoreThresholds``, ``identifier_columns`` by ``check_identifier_mode``; ``label_sample_rows``
    (an integer >= 1) and ``score`` (true or false) here. An unknown key gets the closest accepted one.

    Example::

        check_augment_config({"epoch": 5})   # ValueError: ... unknown key 'epoch'. Did you mean 'epochs'? ...
    """
    generator, sampling = split_config(config)
    for key in generator:
        if key not in GENERATOR_CONFIG_KEYS:
            close = difflib.get_close_matches(str(key), AUGMENT_CONFIG_KEYS, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"config has an unknown key {key!r}.{hint} "
                             f"Accepted keys: {', '.join(AUGMENT_CONFIG_KEYS)}.")
    try:
        resolve_config(generator)
    except TypeError as exc:  # the generator's wrong-type errors: one error type for every config key
        raise ValueError(str(exc)) from None
    SamplingConfig.from_config(sampling)
    ScoreThresholds.from_config(sampling)
    check_identifier_mode(sampling.get("identifier_columns"))
    rows = sampling.get("label_sample_rows")
    if rows is not None and (isinstance(rows, bool) or not isinstance(rows, (int, np.integer)) or rows < 1):
        raise ValueError(f"config['label_sample_rows'] must be an integer >= 1 (rows of the other classes the "
                         f"label model is fitted on), got {rows!r}.")
    score = sampling.get("score")
    if score is not None and not isinstance(score, (bool, np.bool_)):
        raise ValueError(f"config['score'] must be true (score and filter the synthetic rows) or false, "
                         f"got {score!r}.")
