"""MLflow tracking of pipeline runs (optional: ``pip install genesis_spark[mlflow]``).

A pipeline YAML opts in with a top-level ``mlflow`` block::

    mlflow:
      experiment: fraud_augmentation
      tracking_uri: sqlite:///mlflow.db     # optional; default: MLflow's own (MLFLOW_TRACKING_URI)
      run_name: nightly                     # optional
      tags: {team: risk}                    # optional
      log_report: true                      # the HTML quality report, as an artifact
      log_generator: true                   # the generator file, and the generator as a pyfunc model

One MLflow run per pipeline run records: the configuration as parameters (flattened,
``steps.2.augment_imbalanced.ratio``), the run's numeric metrics (its text metrics, such as
``utility_verdict``, as tags ``genesis.<metric>``), the HTML quality report
and the generator artifact, the source table (Delta path or catalog table with the version
read) as a dataset input with context ``source``, and every Delta table written, with the
version the run committed, as a dataset with context ``output`` plus a tag
``genesis.output.<name> = <location>@v<version>`` (MLflow has no dataset-output API).

With ``log_generator`` the generator is also logged as an MLflow pyfunc model
(:class:`GeneratorModel`, artifact path ``generator_model``), so it can be registered and
served: ``predict`` takes a row count (an int, or a one-cell frame ``{"n_rows": [k]}``) or a
conditions frame (one synthetic row per row, SDV-style) and returns synthetic rows, drawn with
the seed :data:`GENERATOR_MODEL_SEED` unless ``params={"seed": s}``::

    model = mlflow.pyfunc.load_model(f"runs:/{run_id}/generator_model")
    model.predict(pd.DataFrame({"n_rows": [1000]}))
    model.predict(pd.DataFrame({"merchant_category": ["online", "travel"]}), params={"seed": 7})
    mlflow.register_model(f"runs:/{run_id}/generator_model", "fraud_generator")

``Pipeline.run`` calls :func:`log_run` with its result and run context when the YAML has an
``mlflow`` block; from Python, after any run::

    from genesis_spark.tracking import MlflowOptions, log_run
    result = pipeline.run()
    log_run(result, options=MlflowOptions(experiment="fraud"), config=pipeline.to_config())
"""
from __future__ import annotations

import functools
import json
import logging
import math
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

#: Longest parameter value MLflow stores; longer values are cut (with a marker).
MAX_PARAM_CHARS = 6000
#: Seed of the pyfunc model's rows when ``predict`` gets no ``params={"seed": ...}``.
GENERATOR_MODEL_SEED = 0
#: Artifact path of the pyfunc model in a logged run.
GENERATOR_MODEL_PATH = "generator_model"
_OPTION_KEYS = ("experiment", "tracking_uri", "run_name", "tags", "log_report", "log_generator")


def mlflow_available() -> bool:
    """True when the ``mlflow`` package can be imported."""
    try:
        import mlflow  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass(frozen=True)
class MlflowOptions:
    """Where and what to log: the YAML ``mlflow`` block.

    Example::

        MlflowOptions.from_mapping({"experiment": "fraud", "tracking_uri": "sqlite:///mlflow.db"})
    """

    experiment: str | None = None
    tracking_uri: str | None = None
    run_name: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    log_report: bool = True
    log_generator: bool = True

    @classmethod
    def from_mapping(cls, value: Mapping[str, Any] | bool | None, where: str = "mlflow") -> "MlflowOptions":
        """Validate the YAML block (``true`` means all defaults); errors name the bad key."""
        if value is True or value is None:
            return cls()
        if not isinstance(value, Mapping):
            raise ValueError(f"{where}: expected a mapping with keys {', '.join(_OPTION_KEYS)} "
                             f"(or `true`), got {type(value).__name__} {value!r}.")
        unknown = sorted(set(value) - set(_OPTION_KEYS))
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {', '.join(map(repr, unknown))}. "
                             f"Accepted keys: {', '.join(_OPTION_KEYS)}.")
        for key in ("experiment", "tracking_uri", "run_name"):
            if value.get(key) is not None and not isinstance(value[key], str):
                raise ValueError(f"{where}.{key} must be a string, got {value[key]!r}.")
        for key in ("log_report", "log_generator"):
            if key in value and not isinstance(value[key], bool):
                raise ValueError(f"{where}.{key} must be true or false, got {value[key]!r}.")
        tags = value.get("tags") or {}
        if not isinstance(tags, Mapping):
            raise ValueError(f"{where}.tags must be a mapping of tag names to values, got {tags!r}.")
        return cls(experiment=value.get("experiment"), tracking_uri=value.get("tracking_uri"),
                   run_name=value.get("run_name"), tags={str(k): str(v) for k, v in tags.items()},
                   log_report=value.get("log_report", True), log_generator=value.get("log_generator", True))

    def require_mlflow(self) -> None:
        """Fail early, with the fix, when tracking is configured but mlflow is not installed."""
        if not mlflow_available():
            raise ImportError("The pipeline has an `mlflow` block but mlflow is not installed: "
                              "pip install 'genesis_spark[mlflow]', or remove the `mlflow` block.")


@dataclass(frozen=True)
class TableRef:
    """A table a run read or wrote: logical name, location (path or ``catalog.schema.table``), version."""

    name: str
    location: str
    version: int | None = None
    format: str = "delta"

    @property
    def is_catalog_table(self) -> bool:
        """True for a metastore/Unity Catalog name rather than a path or URI."""
        return self.format == "table" or (
            "/" not in self.location and "\\" not in self.location and self.location.count(".") in (1, 2)
            and not self.location.endswith((".csv", ".parquet")))

    def label(self) -> str:
        """``location@vN`` (or just the location when no version applies)."""
        return self.location if self.version is None else f"{self.location}@v{self.version}"


@dataclass
class RunRecord:
    """Everything one pipeline run hands to MLflow, independent of how the pipeline stores it."""

    run_id: int | None = None
    app_id: str = ""
    pipeline: str = ""
    success: bool = True
    error: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    artifacts: dict[str, Path] = field(default_factory=dict)
    inputs: list[TableRef] = field(default_factory=list)
    outputs: list[TableRef] = field(default_factory=list)


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Flatten nested mappings and lists to dotted keys: ``{"a": [{"b": 1}]} -> {"a.0.b": 1}``."""
    out: dict[str, Any] = {}
    if isinstance(value, Mapping):
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, (list, tuple)) and any(isinstance(v, (Mapping, list, tuple)) for v in value):
        for i, item in enumerate(value):
            out.update(flatten(item, f"{prefix}.{i}" if prefix else str(i)))
    else:
        out[prefix or "value"] = value
    return out


def numeric_metrics(metrics: Mapping[str, Any]) -> dict[str, float]:
    """The finite numbers among (nested) ``metrics``, flattened; booleans become 0/1."""
    out: dict[str, float] = {}
    for key, value in flatten(metrics).items():
        if hasattr(value, "item") and not isinstance(value, (list, tuple, dict)):
            try:
                value = value.item()
            except (TypeError, ValueError):
                pass
        if isinstance(value, bool):
            value = float(value)
        if isinstance(value, (int, float)) and math.isfinite(value):
            out[_metric_key(key)] = float(value)
    return out


def _metric_key(key: str) -> str:
    # MLflow keys allow alphanumerics, _ - . space / only.
    return "".join(c if c.isalnum() or c in "_-. /" else "_" for c in key)


def _param_value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= MAX_PARAM_CHARS else text[: MAX_PARAM_CHARS - 3] + "..."


def _dataset(ref: TableRef):
    """An MLflow dataset (metadata only: nothing is read) pointing at ``ref``."""
    from mlflow.data.meta_dataset import MetaDataset

    if ref.format in ("delta", "table"):
        from mlflow.data.delta_dataset_source import DeltaDatasetSource

        if ref.is_catalog_table:
            source = DeltaDatasetSource(delta_table_name=ref.location, delta_table_version=ref.version)
        else:
            source = DeltaDatasetSource(path=ref.location, delta_table_version=ref.version)
    else:
        from mlflow.data.dataset_source_registry import resolve_dataset_source

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            source = resolve_dataset_source(ref.location)
    return MetaDataset(source=source, name=ref.name)


def log_record(record: RunRecord, options: MlflowOptions | None = None) -> str:
    """Log ``record`` as one MLflow run; return the MLflow run id.

    Example::

        log_record(RunRecord(run_id=1, params={"ratio": 0.3}, metrics={"quality_score": 0.9}),
                   MlflowOptions(experiment="fraud", tracking_uri="sqlite:///mlflow.db"))
    """
    import mlflow
    from mlflow.tracking import MlflowClient

    options = options or MlflowOptions()
    options.require_mlflow()
    if options.tracking_uri:
        mlflow.set_tracking_uri(options.tracking_uri)
    client = MlflowClient()
    experiment_id = None
    if options.experiment:
        experiment = client.get_experiment_by_name(options.experiment)
        experiment_id = experiment.experiment_id if experiment else client.create_experiment(options.experiment)
    tags = {
        "genesis.app_id": record.app_id,
        "genesis.pipeline": record.pipeline,
        "genesis.run_id": "" if record.run_id is None else str(record.run_id),
        "genesis.success": str(record.success).lower(),
        **{f"genesis.input.{ref.name}": ref.label() for ref in record.inputs},
        **{f"genesis.output.{ref.name}": ref.label() for ref in record.outputs},
        # text metrics (the utility verdicts, the classifiers compared) are tags: MLflow metrics are numbers
        **{f"genesis.{_metric_key(k)}": v[:5000] for k, v in flatten(record.metrics).items() if isinstance(v, str)},
        **dict(options.tags),
    }
    if record.error:
        tags["genesis.error"] = record.error[:5000]
    run_name = options.run_name or (f"{record.pipeline or 'genesis'}-run-{record.run_id}"
                                    if record.run_id is not None else None)
    with mlflow.start_run(experiment_id=experiment_id, run_name=run_name, tags=tags) as run:
        params = {k: _param_value(v) for k, v in flatten(record.params).items()}
        items = sorted(params.items())
        for start in range(0, len(items), 100):  # MLflow takes at most 100 params per batch
            mlflow.log_params(dict(items[start:start + 100]))
        metrics = numeric_metrics(record.metrics)
        if metrics:
            mlflow.log_metrics(metrics)
        for ref in record.inputs:
            mlflow.log_input(_dataset(ref), context="source", tags={"genesis.role": "input",
                                                                   "genesis.version": str(ref.version)})
        for ref in record.outputs:
            mlflow.log_input(_dataset(ref), context="output", tags={"genesis.role": "output",
                                                                   "genesis.version": str(ref.version)})
        for folder, path in record.artifacts.items():
            if path.is_dir():
                mlflow.log_artifacts(str(path), artifact_path=folder)
            elif path.exists():
                mlflow.log_artifact(str(path), artifact_path=folder)
            else:
                logger.warning("MLflow: artifact %s (%s) does not exist; not logged", path, folder)
        generator = record.artifacts.get("generator")
        if options.log_generator and generator is not None and generator.is_file():
            log_generator_model(generator)
        run_id = run.info.run_id
    if not record.success:
        client.set_terminated(run_id, status="FAILED")
    logger.info("MLflow: logged run %s (experiment %s)", run_id, options.experiment or "default")
    return run_id


def _predict_rows(generator: Any, model_input: Any, seed: int):
    """Synthetic rows for a pyfunc ``predict`` input: a row count or a conditions frame."""
    if isinstance(model_input, (int, np.integer)) and not isinstance(model_input, (bool, np.bool_)):
        return generator.generate(int(model_input), seed=seed)
    if isinstance(model_input, pd.DataFrame):
        if list(model_input.columns) == ["n_rows"]:
            if len(model_input) != 1:
                raise ValueError(f"a row-count input is one cell, {{'n_rows': [k]}}; got {len(model_input)} rows.")
            return generator.generate(int(model_input["n_rows"].iat[0]), seed=seed)
        return generator.generate(conditions=model_input.reset_index(drop=True), seed=seed)
    raise TypeError(f"predict takes a row count (an int or pd.DataFrame({{'n_rows': [1000]}})) or a conditions "
                    f"frame (one row per synthetic row, e.g. pd.DataFrame({{'merchant_category': ['online']}})); "
                    f"got {type(model_input).__name__}.")


@functools.cache
def _generator_model_class() -> type:
    """Build :class:`GeneratorModel` on first use (mlflow is optional; its import costs seconds)."""
    import mlflow.pyfunc

    class GeneratorModel(mlflow.pyfunc.PythonModel):
        """An MLflow pyfunc model around a saved ``SyntheticGenerator`` (artifact ``generator``).

        ``predict(model_input, params={"seed": s})``: a row count (int, or ``{"n_rows": [k]}``)
        or a conditions frame (one row per synthetic row) in, synthetic rows (pandas) out. Rows
        are ``generator.generate(..., seed=s)``'s, ``s`` defaulting to ``GENERATOR_MODEL_SEED``.
        """

        def load_context(self, context) -> None:
            from genesis_spark.synth.generator import SyntheticGenerator

            self.generator = SyntheticGenerator.load(context.artifacts["generator"])

        # pd.DataFrame, what serving passes (an int works from Python too): MLflow infers no schema from it.
        def predict(self, context, model_input: pd.DataFrame, params: dict[str, Any] | None = None):
            seed = int((params or {}).get("seed", GENERATOR_MODEL_SEED))
            return _predict_rows(self.generator, model_input, seed)

    GeneratorModel.__module__ = __name__
    GeneratorModel.__qualname__ = GeneratorModel.__name__
    return GeneratorModel


def __getattr__(name: str) -> Any:
    # GeneratorModel is importable (and unpickled by reference) as genesis_spark.tracking.GeneratorModel.
    if name == "GeneratorModel":
        return _generator_model_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _requirements() -> list[str]:
    """What a serving environment installs: this library and the versions the generator was saved with."""
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for package in ("genesis_spark", "torch", "safetensors", "pandas", "numpy", "scikit-learn"):
        try:
            out.append(f"{package}=={version(package).split('+')[0]}")
        except PackageNotFoundError:
            logger.debug("MLflow model requirements: %s is not installed", package)
    return out


def log_generator_model(generator: Any, name: str = GENERATOR_MODEL_PATH,
                        registered_model_name: str | None = None) -> Any:
    """Log a generator (a ``SyntheticGenerator`` or its saved file) as a pyfunc model in the active MLflow run.

    Returns MLflow's ``ModelInfo`` (``model_uri`` loads it with ``mlflow.pyfunc.load_model``).
    ``registered_model_name`` also registers it in the model registry (Unity Catalog on Databricks).

    Example::

        with mlflow.start_run():
            info = log_generator_model(generator, registered_model_name="fraud_generator")
        mlflow.pyfunc.load_model(info.model_uri).predict(pd.DataFrame({"n_rows": [100]}))
    """
    import mlflow
    from mlflow.models.signature import ModelSignature
    from mlflow.types.schema import ParamSchema, ParamSpec

    with tempfile.TemporaryDirectory(prefix="genesis_model_") as folder:
        path = generator
        if not isinstance(generator, (str, Path)):
            path = Path(folder) / "generator.genesis"
            written = generator.save(path)
            path = Path(written) if isinstance(written, (str, Path)) else path
        signature = ModelSignature(params=ParamSchema([ParamSpec("seed", "long", GENERATOR_MODEL_SEED)]))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # no input example or type hints: inputs are counts or frames
            info = mlflow.pyfunc.log_model(name=name, python_model=_generator_model_class()(),
                                           artifacts={"generator": str(path)}, signature=signature,
                                           pip_requirements=_requirements(),
                                           registered_model_name=registered_model_name)
    logger.info("MLflow: logged the generator as pyfunc model %s", info.model_uri)
    return info


def record_from_run(result: Any, context: Any = None, config: Mapping[str, Any] | None = None,
                    workdir: str | Path | None = None, options: MlflowOptions | None = None) -> RunRecord:
    """Build a :class:`RunRecord` from a ``PipelineResult`` and (optionally) the run's ``RunContext``.

    Output tables and versions come from ``result.versions``; the report and generator from
    the files the run wrote (``outputs["report_path"]``, ``outputs["generator_path"]``), else
    rendered/saved from the context into ``workdir`` (a temporary folder by default); the
    source table and version from ``context.source``.
    """
    options = options or MlflowOptions()
    workdir = Path(workdir or tempfile.mkdtemp(prefix="genesis_mlflow_"))
    outputs = dict(getattr(result, "outputs", None) or {})
    record = RunRecord(
        run_id=getattr(result, "run_id", None) if getattr(result, "run_id", None) is not None
        else getattr(context, "run_id", None),
        app_id=str(getattr(context, "app_id", "") or ""),
        pipeline=str(getattr(context, "pipeline_name", "") or (config or {}).get("name", "") or ""),
        success=bool(getattr(result, "success", True)),
        error=_error_text(getattr(result, "error", None)),
        params=dict(config or {}),
        metrics={**dict(getattr(context, "metrics", None) or {}), **dict(getattr(result, "metrics", None) or {})},
    )
    timings = getattr(result, "timings", None) or {}
    record.metrics.update({f"time.{k}": v for k, v in timings.items()})
    source = getattr(context, "source", None)
    if source is not None and getattr(source, "source", None):
        record.inputs.append(TableRef("source", str(source.source), getattr(source, "version", None),
                                      str(getattr(source, "format", "delta"))))
    versions = getattr(result, "versions", None) or outputs.get("tables") or {}
    record.outputs.extend(output_tables(versions))
    if options.log_report:
        report = _existing(outputs.get("report_path")) or _write_report(context, workdir)
        if report is not None:
            record.artifacts["report"] = report
    if options.log_generator:
        generator = _existing(outputs.get("generator_path")) or _save_generator(context, workdir)
        if generator is not None:
            record.artifacts["generator"] = generator
    return record


def output_tables(versions: Mapping[str, Any]) -> list[TableRef]:
    """``TableRef`` per written table from ``{location: version}`` (``PipelineResult.versions``).

    The logical name is the table's last path or name part (``lake/augmented_train`` and
    ``main.fraud.augmented_train`` are both ``augmented_train``).
    """
    refs: dict[str, TableRef] = {}
    for location, version in versions.items():
        name = _table_name(str(location))
        if name in refs:
            name = str(location)
        refs[name] = TableRef(name, str(location), _int_or_none(version))
    return list(refs.values())


def _existing(path: Any) -> Path | None:
    return Path(path) if isinstance(path, (str, Path)) and Path(path).exists() else None


def _table_name(location: str) -> str:
    tail = location.rstrip("/").replace("\\", "/").split("/")[-1]
    return tail.split(".")[-1] if "/" not in location else tail


def _int_or_none(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def _error_text(error: Any) -> str | None:
    if error is None:
        return None
    return error if isinstance(error, str) else f"{type(error).__name__}: {error}"


def _write_report(context: Any, workdir: Path) -> Path | None:
    quality = getattr(context, "quality", None)
    if context is None or quality is None or not hasattr(quality, "to_html"):
        return None
    path = workdir / "quality_report.html"
    kwargs = {}
    for name in ("privacy", "utility"):
        if getattr(context, name, None) is not None:
            kwargs[name] = getattr(context, name)
    try:
        quality.to_html(str(path), **kwargs)
    except TypeError:
        quality.to_html(str(path))
    return path if path.exists() else None


def _save_generator(context: Any, workdir: Path) -> Path | None:
    generator = getattr(context, "generator", None)
    if generator is None or not hasattr(generator, "save"):
        return None
    target = workdir / "generator.genesis"
    written = generator.save(str(target))
    path = Path(written) if isinstance(written, (str, Path)) else target
    return path if path.exists() else None


def log_run(result: Any, context: Any = None, options: MlflowOptions | Mapping[str, Any] | None = None,
            config: Mapping[str, Any] | None = None) -> str | None:
    """Log a finished pipeline run to MLflow; return the MLflow run id, or None when logging failed.

    The Delta tables are already committed when this runs, so a tracking failure (server
    down, no permission) is logged as a warning and does not fail the pipeline.
    ``Pipeline.run`` calls it when the YAML has an ``mlflow`` block.
    """
    if not isinstance(options, MlflowOptions):
        options = MlflowOptions.from_mapping(options)
    options.require_mlflow()
    with tempfile.TemporaryDirectory(prefix="genesis_mlflow_") as workdir:
        try:
            record = record_from_run(result, context, config=config, workdir=workdir, options=options)
            return log_record(record, options)
        except Exception as exc:  # tracking must not undo or fail a committed run
            logger.warning("MLflow logging failed (%s: %s); the run's outputs are unaffected.",
                           type(exc).__name__, exc)
            return None


def logged_tables(run: Any) -> dict[str, dict[str, Any]]:
    """Read back the tables of an MLflow run: ``{name: {"context", "version", "source"}}``.

    ``version`` comes from the dataset's ``genesis.version`` tag (MLflow's Delta source
    drops version 0 from its own JSON).
    """
    found: dict[str, dict[str, Any]] = {}
    for item in run.inputs.dataset_inputs:
        tags = {t.key: t.value for t in item.tags}
        found[item.dataset.name] = {
            "context": tags.get("mlflow.data.context", ""),
            "version": _int_or_none(tags.get("genesis.version")),
            "source": json.loads(item.dataset.source),
        }
    return found
