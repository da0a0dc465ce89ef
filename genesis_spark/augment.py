"""Rebalance a class-imbalanced table: CTGAN oversampling, the SMOTE(NC) baseline, or undersampling.

The argument checks and the arithmetic (``plan_augmentation``) are engine-neutral and
shared with the Spark implementation (``genesis_spark.spark.augment``).
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

logger = logging.getLogger(__name__)

STRATEGIES = ("oversample", "smote", "undersample")
#: A target with more distinct values than this is not treated as categorical.
MAX_CLASSES = 50
#: Default seed when none is given: runs are reproducible unless a seed is chosen.
DEFAULT_SEED = 0


# --------------------------------------------------------------------------- checks

def missing_column_error(name: str, columns: Sequence[str], parameter: str) -> ValueError:
    """A ValueError naming the missing column, the parameter, close matches and the columns there are."""
    close = difflib.get_close_matches(str(name), [str(c) for c in columns], n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return ValueError(f"{parameter} names {name!r}, which is not a column of the input.{hint}\n"
                      f"Columns are: {', '.join(map(str, columns))}.")


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
    ``training_rows``: the real rows the generators were fitted on (target included, pandas).
    """

    augmented: Any
    synthetic: Any
    plan: AugmentPlan
    generators: dict[Any, Any] = field(default_factory=dict)
    training_rows: pd.DataFrame | None = None
    excluded_columns: tuple[str, ...] = ()
    discrete_columns: tuple[str, ...] = ()

    @property
    def generator(self):
        """The fitted generator of a binary target (the first one when several), or None."""
        return next(iter(self.generators.values()), None)


# --------------------------------------------------------------------------- pandas

def _class_counts(df: pd.DataFrame, target_column: str) -> tuple[dict[Any, int], bool, int]:
    s = df[target_column]
    n_missing = int(s.isna().sum())
    vc = s.value_counts(dropna=True, sort=True)
    counts = {(k.item() if isinstance(k, np.generic) else k): int(v) for k, v in vc.items()}
    return counts, pd.api.types.is_float_dtype(s), n_missing


def _is_discrete_dtype(s: pd.Series) -> bool:
    return (pd.api.types.is_object_dtype(s) or isinstance(s.dtype, pd.CategoricalDtype)
            or pd.api.types.is_bool_dtype(s) or pd.api.types.is_string_dtype(s))


def infer_discrete_columns(df: pd.DataFrame, discrete_columns: Sequence[str], target_column: str) -> list[str]:
    """The named discrete columns plus every object/string/category/bool column (target excluded)."""
    inferred = [c for c in df.columns if c != target_column and _is_discrete_dtype(df[c])]
    return list(dict.fromkeys([*discrete_columns, *inferred]))


def id_like_columns(df: pd.DataFrame, keep: Sequence[str], target_column: str) -> list[str]:
    """String columns whose values are (nearly) all distinct: identifiers, kept out of training."""
    n = len(df)
    if n < 50:
        return []
    return [c for c in df.columns
            if c != target_column and c not in keep
            and (pd.api.types.is_object_dtype(df[c]) or pd.api.types.is_string_dtype(df[c]))
            and df[c].nunique(dropna=True) >= 0.95 * n]


def _child_seeds(seed: int, n: int) -> list[int]:
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(n)]


def _restore_dtypes(rows: pd.DataFrame, like: pd.DataFrame) -> pd.DataFrame:
    out = rows.copy()
    for c in like.columns:
        if c not in out.columns:
            out[c] = pd.Series([None] * len(out), index=out.index, dtype=like[c].dtype if
                               not pd.api.types.is_integer_dtype(like[c]) else "float64")
            continue
        dtype = like[c].dtype
        if pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_integer_dtype(out[c]):
            values = pd.to_numeric(out[c], errors="coerce")
            if values.notna().all():
                out[c] = np.rint(values).astype(dtype)
            continue
        try:
            out[c] = out[c].astype(dtype)
        except (TypeError, ValueError):
            pass
    return out[list(like.columns)]


def _generator_config(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """The generator's share of ``config``: executor sampling/scoring keys (Spark engine only) dropped."""
    from genesis_spark.spark.augment import SPARK_CONFIG_KEYS  # no pyspark import: plain dataclasses

    spark_only = sorted(k for k in (config or {}) if k in SPARK_CONFIG_KEYS)
    if spark_only:
        logger.info("config keys %s apply to Spark executor sampling only; the pandas engine ignores them",
                    ", ".join(spark_only))
    return {k: v for k, v in dict(config or {}).items() if k not in SPARK_CONFIG_KEYS}


def _oversample_ctgan(df, plan, discrete, excluded, config, seed, generator=None):
    from genesis_spark.synth.generator import SyntheticGenerator

    target = plan.target_column
    if generator is not None and len(plan.add) != 1:
        raise ValueError(f"A pre-fitted generator serves one class, but {len(plan.add)} classes of {target!r} "
                         "are below the ratio; drop load_generator to fit one generator per class.")
    parts, generators, fitted_on = [], {}, []
    for (label, n_new), child in zip(plan.add.items(), _child_seeds(seed, len(plan.add))):
        rows = df[df[target] == label]
        features = rows.drop(columns=[target, *excluded])
        if generator is None:
            gen_config = {**_generator_config(config), "seed": child}
            logger.info("fitting ctgan on %d rows of class %s=%r, to generate %d rows",
                        len(features), target, label, n_new)
            fitted = SyntheticGenerator(method="ctgan", config=gen_config)
            fitted.fit(features, discrete_columns=[c for c in discrete if c in features.columns])
        else:
            fitted = generator
            logger.info("generating %d rows of class %s=%r with the pre-fitted generator", n_new, target, label)
        generator_used = fitted
        synthetic = generator_used.generate(n_new, seed=child)
        synthetic[target] = label
        parts.append(_restore_dtypes(synthetic.reset_index(drop=True), df))
        generators[label] = generator_used
        fitted_on.append(rows)
    return parts, generators, pd.concat(fitted_on, ignore_index=True)


def _oversample_smote(df, plan, discrete, excluded, seed):
    try:
        from imblearn.over_sampling import SMOTE, SMOTEN, SMOTENC
    except ImportError as exc:  # pragma: no cover - pinned dependency
        raise ImportError("strategy='smote' needs imbalanced-learn: pip install imbalanced-learn") from exc
    target = plan.target_column
    X = df.drop(columns=[target, *excluded])
    y = df[target]
    nulls = [c for c in X.columns if X[c].isna().any()]
    if nulls:
        raise ValueError(f"strategy='smote' cannot use rows with nulls (columns {', '.join(nulls)}); "
                         "fill them first or use strategy='oversample', which models nulls.")
    categorical = [c for c in X.columns if c in discrete]
    k = max(1, min(5, min(plan.class_counts[label] for label in plan.add) - 1))
    sampling = {label: plan.class_counts[label] + n for label, n in plan.add.items()}
    if categorical and len(categorical) == X.shape[1]:
        sampler = SMOTEN(sampling_strategy=sampling, k_neighbors=k, random_state=seed)
    elif categorical:
        sampler = SMOTENC(categorical_features=[X.columns.get_loc(c) for c in categorical],
                          sampling_strategy=sampling, k_neighbors=k, random_state=seed)
    else:
        sampler = SMOTE(sampling_strategy=sampling, k_neighbors=k, random_state=seed)
    X_res, y_res = sampler.fit_resample(X, y)
    new = pd.DataFrame(X_res).iloc[len(X):].reset_index(drop=True)
    new[target] = np.asarray(y_res)[len(X):]
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
    columns = [str(c) for c in df.columns]
    check_target_column(columns, target_column)
    declared = check_discrete_columns(columns, discrete_columns, target_column)
    counts, is_float, n_missing = _class_counts(df, target_column)
    if isinstance(df[target_column].dtype, pd.CategoricalDtype):
        for category in df[target_column].cat.categories:
            counts.setdefault(category, 0)
    check_target_values(counts, target_column, is_float=is_float, n_missing=n_missing)
    if config is not None and not isinstance(config, Mapping):
        raise ValueError(f"config must be a mapping of generator settings (e.g. {{'epochs': 300}}), got {config!r}.")
    seed = DEFAULT_SEED if seed is None else int(seed)
    plan = plan_augmentation(counts, target_column, ratio, strategy)
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
        logger.warning("ID-like columns kept out of training (synthetic rows leave them empty): %s",
                       ", ".join(excluded))
    if strategy == "smote":
        parts, fitted_on = _oversample_smote(df, plan, discrete, excluded, seed)
        generators: dict[Any, Any] = {}
    else:
        parts, generators, fitted_on = _oversample_ctgan(df, plan, discrete, excluded, config, seed, generator)
    synthetic = pd.concat(parts, ignore_index=True)
    augmented = pd.concat([df, synthetic], ignore_index=True)
    logger.info("augmented %s: %s -> %s (%d synthetic rows)", target_column, plan.class_counts,
                plan.final_counts, len(synthetic))
    return AugmentResult(augmented, synthetic, plan, generators, fitted_on.reset_index(drop=True), tuple(excluded),
                         tuple(discrete))


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

    A ratio at or below the current minority share returns the input unchanged with a
    warning. A ratio outside (0, 1), a missing, single-valued or continuous target, an
    unknown discrete column or an empty minority class raise ValueError before training.
    A Spark DataFrame is augmented on Spark (``genesis_spark.spark.augment``) and a
    Spark DataFrame is returned.

    Example::

        balanced = augment_imbalanced(transactions, target_column="is_fraud", ratio=0.3,
                                      discrete_columns=["merchant_category"], config={"epochs": 100})
        balanced["is_fraud"].mean()   # ~0.30
    """
    from genesis_spark.spark.session import is_spark_dataframe

    if is_spark_dataframe(df):
        from genesis_spark.spark.augment import augment_imbalanced_spark

        return augment_imbalanced_spark(df, target_column, ratio, strategy=strategy,
                                        discrete_columns=discrete_columns, config=config, seed=seed)
    return augment(df, target_column, ratio, strategy=strategy, discrete_columns=discrete_columns,
                   config=config, seed=seed).augmented
