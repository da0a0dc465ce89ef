"""Pipeline steps: small objects with a name, declared parameters and ``run(context)``.

The Python form (``steps.load_csv("transactions.csv")``) and the YAML form
(``- load_csv: {path: transactions.csv}``) build the same objects. Steps touch data only
through ``context.engine``, so they run on pandas and on Spark alike. Writing steps
stage their output; ``Pipeline.run`` commits everything once every step succeeded.

Example::

    from genesis_spark.pipeline import Pipeline, steps
    Pipeline([steps.load_csv("transactions.csv"), steps.analyze("is_fraud")]).run()
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, ClassVar

from genesis_spark.core.plan import check_augment_config, check_ratio
from genesis_spark.pipeline.context import QualityGateError, RunContext
from genesis_spark.pipeline.params import NON_NEGATIVE, POSITIVE, UNIT_CLOSED, UNIT_OPEN, Param, Range, bind_params
from genesis_spark.quality.classifiers import CLASSIFIERS

logger = logging.getLogger(__name__)

#: Rows of each side sampled to the driver for evaluation, privacy audit and model comparison.
EVAL_SAMPLE_ROWS = 50_000


class Step:
    """Base class: subclasses set ``name``, ``spec`` (their ``Param``s) and implement ``run``.

    Parameters are bound and checked on construction (positional in ``spec`` order, or by
    keyword); ``values`` holds them with defaults filled in.
    """

    name: ClassVar[str] = ""
    spec: ClassVar[tuple[Param, ...]] = ()
    writes: ClassVar[bool] = False

    def __init__(self, *args: Any, _where: str | None = None, **kwargs: Any) -> None:
        self.values: dict[str, Any] = bind_params(self.name, self.spec, args, kwargs, where=_where)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.values.items() if v is not None)
        return f"{self.name}({args})"

    def run(self, ctx: RunContext) -> None:
        """Do the step's work on ``ctx``."""
        raise NotImplementedError

    def delta_tables(self) -> list[str]:
        """Paths of the Delta tables this step writes (used to find the next run id)."""
        return []

    def to_config(self) -> dict[str, Any]:
        """``{name: parameters}``, the YAML form of this step."""
        return {self.name: dict(self.values)}

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """The step's name, summary and parameter specs (for generated reference docs)."""
        doc = (cls.__doc__ or "").strip().splitlines()
        return {"name": cls.name, "summary": doc[0] if doc else "", "params": [p.to_dict() for p in cls.spec]}


def _gate(message: str, fail: bool) -> None:
    """A missed threshold: fail the run (nothing is written) when ``fail``, else warn and go on."""
    if fail:
        raise QualityGateError(message)
    logger.warning("%s (fail_on_low_score is false: continuing)", message)


def _seed(step_seed: int | None, ctx: RunContext) -> int | None:
    return step_seed if step_seed is not None else ctx.seed


# --------------------------------------------------------------------------- loading

def _read_into_frame(ctx: RunContext, path: Any, fmt: str, **options: Any) -> None:
    """Read a source with the run's engine into the current frame and record its row count."""
    ctx.source = ctx.engine.read(str(path), fmt, **options)
    ctx.frame = ctx.source.frame
    ctx.metrics["input_rows"] = ctx.engine.count(ctx.frame)


class LoadCsv(Step):
    """Read a CSV file into the current frame."""

    name = "load_csv"
    spec = (Param("path", (str,), required=True, path=True, doc="CSV file to read."),)

    def run(self, ctx: RunContext) -> None:
        _read_into_frame(ctx, self["path"], "csv")


class LoadParquet(Step):
    """Read a Parquet file (or folder) into the current frame."""

    name = "load_parquet"
    spec = (Param("path", (str,), required=True, path=True, doc="Parquet file or folder to read."),)

    def run(self, ctx: RunContext) -> None:
        _read_into_frame(ctx, self["path"], "parquet")


class LoadDelta(Step):
    """Read a version of a Delta table (number, tag, or latest) into the current frame."""

    name = "load_delta"
    spec = (Param("path", (str,), required=True, path=True, doc="Delta table folder."),
            Param("version", (int, str), bounds=NON_NEGATIVE,
                  doc="Version number, a tag name, or 'latest' (default: newest)."))

    def run(self, ctx: RunContext) -> None:
        _read_into_frame(ctx, self["path"], "delta", version=self["version"])
        ctx.metrics["source_version"] = ctx.source.version


class LoadGenerator(Step):
    """Load a saved SyntheticGenerator; a later augment_imbalanced samples from it instead of fitting."""

    name = "load_generator"
    spec = (Param("path", (str,), required=True, path=True, doc="Generator file written by save_generator."),)

    def run(self, ctx: RunContext) -> None:
        from genesis_spark.synth.generator import SyntheticGenerator

        if not Path(self["path"]).exists():
            raise FileNotFoundError(f"load_generator: {self['path']} does not exist.")
        ctx.generator = SyntheticGenerator.load(self["path"])
        ctx.outputs["loaded_generator"] = str(self["path"])


# --------------------------------------------------------------------------- analysis

class Analyze(Step):
    """Profile the current frame: class counts and shares of the target, column types, nulls, ID-like columns."""

    name = "analyze"
    spec = (Param("target_column", (str,), doc="Class label column (omit for a column profile only)."),
            Param("report", (bool,), default=True, doc="Print the class distribution."))

    def run(self, ctx: RunContext) -> None:
        profile = ctx.engine.profile(ctx.require_frame(self.name), self["target_column"])
        ctx.profile = profile
        ctx.outputs["profile"] = profile.to_dict()
        ctx.metrics["rows"] = profile.n_rows
        if self["target_column"] is not None:
            ctx.target_column = self["target_column"]
            ctx.metrics["minority_share"] = profile.minority_share
        if self["report"]:
            print(profile.format())  # the report the user asked for (report=True)
        else:
            logger.info("analyze:\n%s", profile.format())


class Split(Step):
    """Stratified, deterministic train/test split; the test part is kept aside and never augmented."""

    name = "split"
    spec = (Param("target_column", (str,), required=True, doc="Class label column to stratify on."),
            Param("test_size", (float,), default=0.2, bounds=UNIT_OPEN,
                  doc="Share of each class held out (0.2: a fifth of its rows)."),
            Param("seed", (int,), default=42, doc="Seed of the row-hash split."))

    def run(self, ctx: RunContext) -> None:
        train, test = ctx.engine.split(ctx.require_frame(self.name), self["target_column"],
                                       self["test_size"], self["seed"])
        ctx.frame, ctx.test = train, test
        ctx.target_column = self["target_column"]
        ctx.metrics["train_rows"] = ctx.engine.count(train)
        ctx.metrics["test_rows"] = ctx.engine.count(test)


class AugmentImbalanced(Step):
    """Raise the minority class(es) to ``ratio`` of the rows (CTGAN, SMOTE baseline, or undersampling)."""

    name = "augment_imbalanced"
    spec = (Param("target_column", (str,), required=True, doc="Class label column."),
            Param("ratio", (float,), required=True, bounds=UNIT_OPEN, rule=check_ratio,
                  doc="Minority share wanted in the output (0.3: 30% of the rows)."),
            Param("strategy", (str,), default="oversample", choices=("oversample", "smote", "undersample"),
                  doc="oversample (CTGAN), smote (SMOTENC baseline) or undersample."),
            Param("discrete_columns", (list,), doc="Discrete columns (object columns are always discrete)."),
            Param("config", (dict,), rule=check_augment_config,
                  doc="Generator, sampling and scoring settings, e.g. {epochs: 300, batch_size: 500, "
                      "min_realism: 0.01}; every key and value is checked when the pipeline is built."),
            Param("seed", (int,), bounds=NON_NEGATIVE, doc="Seed (default: the pipeline's seed, else 0)."))

    def run(self, ctx: RunContext) -> None:
        frame = ctx.require_frame(self.name)
        generator = ctx.generator if self["strategy"] == "oversample" else None
        result = ctx.engine.augment(frame, self["target_column"], self["ratio"], strategy=self["strategy"],
                                    discrete_columns=self["discrete_columns"], config=self["config"],
                                    seed=_seed(self["seed"], ctx), generator=generator)
        ctx.train_real = frame
        ctx.augment_result = result
        ctx.augment_config = self["config"]
        ctx.frame = result.augmented
        ctx.target_column = self["target_column"]
        if result.generator is not None:
            ctx.generator = result.generator
        ctx.metrics["synthetic_rows"] = result.plan.n_synthetic
        ctx.metrics["augmented_rows"] = sum(result.plan.final_counts.values())
        total = sum(result.plan.final_counts.values()) or 1
        ctx.metrics["output_minority_share"] = min(result.plan.final_counts.values()) / total
        # Acceptance per filter of the scored block sampling, and the augment phases' seconds.
        for label, report in result.sampling.items():
            ctx.metrics[f"acceptance_rate_{label}"] = report.acceptance_rate
            for name, rate in report.acceptance_by_filter.items():
                ctx.metrics[f"acceptance_{name}_{label}"] = rate
        for phase, seconds in result.timings.items():
            ctx.metrics[f"augment_{phase}_s"] = round(float(seconds), 3)


# --------------------------------------------------------------------------- quality

def _evaluation_frames(ctx: RunContext, step: str, target_column: str | None, sample_rows: int, seed: int):
    """Real rows the generator learned from and a bounded sample of synthetic rows, same columns (pandas)."""
    result = ctx.augment_result
    if result is None:
        raise ValueError(f"{step}: there are no synthetic rows to check; put augment_imbalanced before {step}.")
    target = result.plan.target_column
    if target_column is not None and target_column != target:
        raise ValueError(f"{step}: target_column {target_column!r} differs from augment_imbalanced's {target!r}.")
    if result.training_rows is None or ctx.engine.count(result.synthetic) == 0:
        return None
    real = result.training_rows
    columns = [c for c in real.columns if c not in result.excluded_columns]
    one_class = len(result.plan.add) == 1
    if one_class:
        columns = [c for c in columns if c != target]
    synthetic = ctx.engine.sample(result.synthetic, sample_rows, seed)[columns]
    discrete = [c for c in result.discrete_columns if c in columns] + ([] if one_class else [target])
    return real[columns].reset_index(drop=True), synthetic, discrete, columns


class Evaluate(Step):
    """Score the synthetic rows against the real rows they were generated from (QualityEvaluator)."""

    name = "evaluate"
    spec = (Param("target_column", (str,), doc="Class label column (must match augment_imbalanced's)."),
            Param("min_score", (float,), default=0.0, bounds=UNIT_CLOSED,
                  doc="Lowest acceptable overall quality score."),
            Param("fail_on_low_score", (bool,), default=False,
                  doc="Fail the run (writing nothing) when the score is below min_score."),
            Param("sample_size", (int,), default=EVAL_SAMPLE_ROWS, bounds=POSITIVE,
                  doc="Rows per side sampled for scoring."),
            Param("seed", (int,), default=0, bounds=NON_NEGATIVE, doc="Seed of the evaluation samples."))

    def run(self, ctx: RunContext) -> None:
        from genesis_spark.quality.evaluator import QualityEvaluator

        frames = _evaluation_frames(ctx, self.name, self["target_column"], self["sample_size"], self["seed"])
        if frames is None:
            logger.warning("evaluate: no synthetic rows were generated; nothing to score")
            return
        real, synthetic, discrete, _ = frames
        report = QualityEvaluator(real, synthetic, discrete_columns=discrete, sample_size=self["sample_size"],
                                  seed=self["seed"]).evaluate()
        ctx.quality = report
        score = float(report.overall_score)
        ctx.metrics["quality_score"] = score
        ctx.metrics["fidelity_score"] = float(report.fidelity_score)
        if score < self["min_score"]:
            _gate(f"evaluate: quality_score {score:.3f} < min_score {self['min_score']}", self["fail_on_low_score"])


class PrivacyAudit(Step):
    """Distance-to-closest-record audit of the synthetic rows; by default it reports and does not fail the run."""

    name = "privacy_audit"
    spec = (Param("threshold", (float,), default=0.9, bounds=UNIT_CLOSED, doc="Lowest acceptable privacy score."),
            Param("fail_on_low_score", (bool,), default=False,
                  doc="Fail the run (writing nothing) when the privacy score is below threshold."),
            Param("target_column", (str,), doc="Class label column (default: augment_imbalanced's)."),
            Param("sample_size", (int,), default=EVAL_SAMPLE_ROWS, bounds=POSITIVE,
                  doc="Synthetic rows sampled for the audit."),
            Param("seed", (int,), default=0, bounds=NON_NEGATIVE, doc="Seed of the samples."))

    def run(self, ctx: RunContext) -> None:
        from genesis_spark.quality.evaluator import QualityEvaluator

        frames = _evaluation_frames(ctx, self.name, self["target_column"], self["sample_size"], self["seed"])
        if frames is None:
            logger.warning("privacy_audit: no synthetic rows were generated; nothing to audit")
            return
        real, synthetic, discrete, columns = frames
        holdout = None
        if ctx.test is not None:
            plan = ctx.augment_result.plan
            test = ctx.engine.sample(ctx.test, self["sample_size"], self["seed"])
            holdout = test[test[plan.target_column].isin(list(plan.add))][columns].reset_index(drop=True)
            if len(holdout) < 2:
                holdout = None
        report = QualityEvaluator(real, synthetic, discrete_columns=discrete, sample_size=self["sample_size"],
                                  seed=self["seed"]).privacy_audit(threshold=self["threshold"], holdout=holdout)
        ctx.privacy = report
        ctx.metrics["privacy_score"] = float(report.score)
        ctx.metrics["privacy_passed"] = bool(report.passed)
        if not report.passed:
            _gate(f"privacy_audit: privacy_score {report.score:.3f} < threshold {self['threshold']}",
                  self["fail_on_low_score"])


class CompareModels(Step):
    """Train each classifier on real, augmented, SMOTENC and class-weighted data; score on the held-out test rows
    and give the verdict: did the synthetic rows help (helped / no_change / hurt, from a bootstrap interval)?"""

    name = "compare_models"
    spec = (Param("target_column", (str,), required=True, doc="Class label column."),
            Param("classifiers", (list, str), default=["random_forest", "hist_gradient_boosting"],
                  choices=tuple(CLASSIFIERS),
                  doc="Classifiers to compare: random_forest, hist_gradient_boosting, logistic_regression. "
                      "The first gives the unsuffixed metrics and the verdict fail_on_worse reads."),
            Param("include_smote", (bool,), default=True, doc="Also train on SMOTENC-resampled data."),
            Param("include_class_weights", (bool,), default=True,
                  doc="Also train on the real rows with balanced class weights."),
            Param("fail_on_worse", (bool,), default=False,
                  doc="Fail the run (writing nothing) when the first classifier's verdict is hurt."),
            Param("n_bootstrap", (int,), default=1000, bounds=Range(low=10),
                  doc="Resamples of the test rows for the gain's interval."),
            Param("confidence", (float,), default=0.95, bounds=UNIT_OPEN, doc="Coverage of the gain's interval."),
            Param("sample_size", (int,), default=200_000, bounds=POSITIVE, doc="Most rows of each training set used."),
            Param("seed", (int,), default=0, bounds=NON_NEGATIVE, doc="Seed of the models, samples and bootstrap."))

    def run(self, ctx: RunContext) -> None:
        from genesis_spark.quality.utility import compare_models

        if ctx.test is None:
            raise ValueError("compare_models: needs a held-out test set; add a split step before augment_imbalanced.")
        if ctx.train_real is None:
            raise ValueError("compare_models: needs augment_imbalanced before it (real vs augmented training data).")
        n, seed = self["sample_size"], self["seed"]
        result = ctx.augment_result
        report = compare_models(ctx.engine.sample(ctx.train_real, n, seed), ctx.engine.sample(ctx.frame, n, seed),
                                ctx.engine.sample(ctx.test, n, seed), self["target_column"],
                                discrete_columns=list(result.discrete_columns) if result else None,
                                classifiers=self["classifiers"], include_smote=self["include_smote"],
                                include_class_weights=self["include_class_weights"],
                                n_bootstrap=self["n_bootstrap"], confidence=self["confidence"], seed=seed)
        ctx.utility = report
        ctx.outputs["utility"] = report.to_dict()
        ctx.metrics.update(report.metrics())
        ctx.outputs["utility_verdicts"] = report.headline()
        for line in report.headline():
            logger.info("compare_models: %s", line)
        if self["fail_on_worse"] and report.verdict == "hurt":
            raise QualityGateError(f"compare_models: the synthetic rows hurt ({report.headline()[0]}); "
                                   "fail_on_worse is true: nothing written.")


# --------------------------------------------------------------------------- outputs

class SaveCsv(Step):
    """Write the current frame as CSV (at commit, after every step succeeded)."""

    name = "save_csv"
    writes = True
    spec = (Param("path", (str,), required=True, path=True, doc="CSV file to write."),)

    def run(self, ctx: RunContext) -> None:
        frame = ctx.require_frame(self.name)
        ctx.stage_file(self["path"], lambda temp: ctx.engine.write_csv(frame, temp), "csv_path")


class SaveDelta(Step):
    """Write the current frame as a new version of the Delta table at ``path``."""

    name = "save_delta"
    writes = True
    spec = (Param("path", (str,), required=True, path=True, doc="Delta table folder."),
            Param("mode", (str,), default="append", choices=("append", "overwrite"), doc="append or overwrite."),
            Param("message", (str,), doc="Commit message (default: '<pipeline> run <id>')."),
            Param("tag", (str,), doc="Tag recorded in the commit, usable as load_delta(version=tag)."))

    def run(self, ctx: RunContext) -> None:
        message = self["message"] or f"{ctx.pipeline_name} run {ctx.run_id}"
        tags = (self["tag"],) if self["tag"] else ()
        ctx.stage_table(self["path"], ctx.require_frame(self.name), self["mode"], message, tags, "delta_path")

    def delta_tables(self) -> list[str]:
        return [str(self["path"])]


class SaveVersioned(Step):
    """Write the current frame as a new, tagged version of the Delta table at ``repo``: the version holds this
    run's rows only (earlier runs stay readable by version or tag).

    Example::

        Pipeline([steps.load_csv("transactions.csv"), steps.save_versioned("./versions", "first run")]).run()
    """

    name = "save_versioned"
    writes = True
    spec = (Param("repo", (str,), required=True, path=True, doc="Delta table folder holding the versions."),
            Param("message", (str,), required=True, doc="Commit message."),
            Param("tag", (str,), doc="Tag of this version (load_delta(version=tag) finds the newest one)."))

    def run(self, ctx: RunContext) -> None:
        tags = (self["tag"],) if self["tag"] else ()
        ctx.stage_table(self["repo"], ctx.require_frame(self.name), "overwrite", self["message"], tags,
                        "versioned_path")

    def delta_tables(self) -> list[str]:
        return [str(self["repo"])]


class SaveGenerator(Step):
    """Save the fitted generator (a safe manifest + tensors file, whatever the suffix, ``.pkl`` included)."""

    name = "save_generator"
    writes = True
    spec = (Param("path", (str,), required=True, path=True, doc="File to write."),)

    def run(self, ctx: RunContext) -> None:
        generator = ctx.generator
        if generator is None:
            raise ValueError("save_generator: no fitted generator; run augment_imbalanced with "
                             "strategy: oversample (or load_generator) before it.")
        result = ctx.augment_result
        if result is not None and len(result.generators) > 1:
            raise ValueError(f"save_generator: the run fitted {len(result.generators)} generators (one per class "
                             f"{', '.join(map(repr, result.generators))}); save them from augment() in Python.")
        ctx.stage_file(self["path"], lambda temp: generator.save(temp), "generator_path")


#: Rows of each side sampled to the driver for the report's plots, detection and holdout reference.
REPORT_SAMPLE_ROWS = 20_000


def _report_inputs(ctx: RunContext, n: int, seed: int) -> dict[str, Any]:
    """The report's run metadata, plot rows (real minority, synthetic minority with scores, real majority),
    detection score and holdout reference, from the run's context; records the detection metrics."""
    from genesis_spark.core.plan import split_config
    from genesis_spark.core.scoring import ScoreThresholds
    from genesis_spark.quality.detection import holdout_reference, logistic_detection
    from genesis_spark.quality.reports import ReportFrames, RunDetails

    result, source = ctx.augment_result, ctx.source
    fields: dict[str, Any] = {
        "run_id": ctx.run_id, "pipeline": ctx.pipeline_name, "engine": ctx.engine.name,
        "source": source.source if source is not None else None,
        "source_version": source.version if source is not None else None}
    if result is not None:
        plan = result.plan
        fields["config"] = {"augment": {"target_column": plan.target_column, "ratio": plan.ratio,
                                        "strategy": plan.strategy, "discrete_columns": list(result.discrete_columns),
                                        "config": dict(ctx.augment_config or {})}}
        if plan.strategy == "oversample":
            fields["thresholds"] = ScoreThresholds.from_config(split_config(ctx.augment_config)[1]).by_score()
        fields["sampling"] = dict(result.sampling)
        fields["timings"] = {f"augment {k}": float(v) for k, v in result.timings.items()}
    run = RunDetails.from_generator(ctx.generator, **fields) if ctx.generator is not None else RunDetails(**fields)
    out: dict[str, Any] = {"run": run}
    if result is None or result.training_rows is None or ctx.engine.count(result.synthetic) == 0:
        return out
    plan = result.plan
    one_class = len(plan.add) == 1
    columns = [c for c in result.training_rows.columns if c not in result.excluded_columns
               and not (one_class and c == plan.target_column)]
    discrete = [c for c in result.discrete_columns if c in columns] + ([] if one_class else [plan.target_column])
    real = result.training_rows[columns].reset_index(drop=True)
    synthetic = ctx.engine.sample(result.synthetic, n, seed)
    majority = None
    if ctx.train_real is not None:
        train = ctx.engine.sample(ctx.train_real, n, seed)
        majority = train[~train[plan.target_column].isin(list(plan.add))][columns].reset_index(drop=True)
    out["frames"] = ReportFrames(real, synthetic, majority, tuple(discrete))
    if len(real) >= 2 and len(synthetic) >= 2:
        out["detection"] = logistic_detection(real, synthetic[columns], discrete, seed=seed)
        ctx.metrics["detection_roc_auc"] = out["detection"].roc_auc
        ctx.metrics["detection_score"] = out["detection"].score
    if ctx.test is not None:
        test = ctx.engine.sample(ctx.test, n, seed)
        holdout = test[test[plan.target_column].isin(list(plan.add))][columns].reset_index(drop=True)
        if len(holdout) >= 2:
            out["reference"] = holdout_reference(real, holdout, discrete, seed=seed)
            if out["reference"].detection is not None:
                ctx.metrics["holdout_detection_roc_auc"] = out["reference"].detection.roc_auc
    return out


class ReportHtml(Step):
    """Write the HTML quality report with whatever quality, privacy and utility results the run has."""

    name = "report_html"
    writes = True
    spec = (Param("path", (str,), required=True, path=True, doc="HTML file to write."),
            Param("title", (str,), default="Synthetic data quality report", doc="Report title."))

    def run(self, ctx: RunContext) -> None:
        quality = ctx.quality
        if quality is None:
            raise ValueError("report_html: no quality results; put an evaluate step before report_html.")
        # The verdict, run metadata and loss curves, plots, detection and holdout reference.
        extras = _report_inputs(ctx, REPORT_SAMPLE_ROWS, _seed(None, ctx) or 0)
        ctx.stage_file(self["path"], lambda temp: quality.to_html(temp, privacy=ctx.privacy, utility=ctx.utility,
                                                                  title=self["title"], **extras), "report_path")


#: Every step by its YAML name.
STEPS: dict[str, type[Step]] = {cls.name: cls for cls in (
    LoadCsv, LoadParquet, LoadDelta, LoadGenerator, Analyze, Split, AugmentImbalanced, Evaluate, PrivacyAudit,
    CompareModels, SaveCsv, SaveDelta, SaveVersioned, SaveGenerator, ReportHtml)}

# The tutorial's spelling: steps.load_csv("transactions.csv"), steps.evaluate(target_column=..., min_score=...)
load_csv = LoadCsv
load_parquet = LoadParquet
load_delta = LoadDelta
load_generator = LoadGenerator
analyze = Analyze
split = Split
augment_imbalanced = AugmentImbalanced
evaluate = Evaluate
privacy_audit = PrivacyAudit
compare_models = CompareModels
save_csv = SaveCsv
save_delta = SaveDelta
save_versioned = SaveVersioned
save_generator = SaveGenerator
report_html = ReportHtml


def reference() -> list[dict[str, Any]]:
    """Every step's name, summary and parameter specs (the source of the YAML reference docs)."""
    return [cls.describe() for cls in STEPS.values()]
