"""YAML pipelines: load with line numbers, apply ``--set`` overrides, validate, build ``Pipeline``.

Format (the tutorial's, plus optional keys)::

    name: fraud_data_augmentation          # also the Delta app id: genesis_spark:<name>
    description: Augment fraud detection training data
    engine: pandas                         # pandas | spark
    lakehouse: ../lakehouse                # optional: augmented_train/test/synthetic/runs tables
    sink: auto                             # auto | native | embedded (Spark)
    seed: 7                                # default seed of seeded steps
    tables: {runs: run_log}                # optional lakehouse table names
    spark: {master: "local[2]", conf: {spark.sql.shuffle.partitions: "4"}}
    steps:
      - load_csv: {path: data/transactions.csv}
      - augment_imbalanced: {target_column: is_fraud, ratio: 0.3, config: {epochs: 300}}

Relative paths in the file are relative to the file's folder; relative paths given with
``--set`` are relative to the current directory. Overrides: ``KEY=VALUE`` where KEY is a
top-level key (``lakehouse=/tmp/lake``, ``seed=3``) or ``STEP.PARAM[.SUBKEY...]``
(``augment_imbalanced.config.epochs=5``) or ``N.PARAM`` with N the 1-based step index;
VALUE is parsed as a YAML scalar (``5`` -> int, ``true`` -> bool, ``[a, b]`` -> list).

Every value, overrides included, is checked when the pipeline is built (types, ranges such as
``ratio`` in (0, 1), and each key and value of ``augment_imbalanced``'s ``config``), so
``genesis pipeline validate`` reports it and ``genesis pipeline run`` stops before the engine starts.
"""
from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Sequence

import yaml

from genesis_spark.core.engine import ENGINES, SINK_MODES
from genesis_spark.delta.tables import is_catalog_name
from genesis_spark.pipeline.params import ParameterError
from genesis_spark.pipeline.pipeline import DEFAULT_TABLES, Pipeline
from genesis_spark.pipeline.steps import STEPS

TOP_LEVEL_KEYS = ("name", "description", "engine", "lakehouse", "sink", "seed", "tables", "spark", "mlflow", "steps")


class PipelineConfigError(ValueError):
    """The YAML pipeline is invalid; the message names the file, line, step index and step."""


class _LineDict(dict):
    """A mapping that remembers the line of itself and of each key (1-based)."""

    line: int = 0
    key_lines: dict

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_lines = {}


class _LineLoader(yaml.SafeLoader):
    """SafeLoader whose mappings are ``_LineDict`` carrying line marks."""


def _construct_map(loader: _LineLoader, node: yaml.MappingNode):
    data = _LineDict()
    data.line = node.start_mark.line + 1
    yield data
    data.update(loader.construct_mapping(node, deep=True))
    data.key_lines = {k.value: k.start_mark.line + 1 for k, _ in node.value if isinstance(k, yaml.ScalarNode)}


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)


def read_yaml(path: str | Path) -> _LineDict:
    """Parse a pipeline file (syntax errors name the line), without validating it."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"Pipeline file {str(path)!r} does not exist (resolved to {path.resolve()}).")
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path} line {mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise PipelineConfigError(f"{where}: YAML syntax error: {problem}") from exc
    if not isinstance(doc, dict):
        raise PipelineConfigError(f"{path}: a pipeline file must be a mapping with 'name' and 'steps', "
                                  f"got {type(doc).__name__}.")
    return doc


def _parse_value(text: str) -> Any:
    try:
        return yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError:
        return text


def apply_overrides(doc: dict, overrides: Sequence[str]) -> set[tuple[int, str]]:
    """Apply ``KEY=VALUE`` overrides to ``doc`` in place.

    Returns the overridden ``(step index, param)`` pairs (index 0 = top level), whose
    relative paths are then resolved against the current directory.
    """
    touched: set[tuple[int, str]] = set()
    steps = doc.get("steps") if isinstance(doc.get("steps"), list) else []
    names = [next(iter(s)) if isinstance(s, dict) and len(s) == 1 else None for s in steps]
    for item in overrides:
        if "=" not in item:
            raise PipelineConfigError(f"--set {item!r}: expected KEY=VALUE, e.g. augment_imbalanced.config.epochs=5.")
        key, text = item.split("=", 1)
        parts = [p for p in key.strip().split(".") if p]
        if not parts:
            raise PipelineConfigError(f"--set {item!r}: empty key.")
        value = _parse_value(text)
        head = parts[0]
        if head in TOP_LEVEL_KEYS and head not in names and not head.isdigit():
            if head == "steps":
                raise PipelineConfigError("--set cannot replace 'steps'; override one parameter (STEP.PARAM=VALUE).")
            _set_path(doc, parts, value, item)
            touched.add((0, head))
            continue
        if head.isdigit():
            index = int(head)
            if not 1 <= index <= len(steps):
                raise PipelineConfigError(f"--set {item!r}: there is no step {index} (the pipeline has "
                                          f"{len(steps)} steps, numbered from 1).")
        else:
            matches = [i for i, n in enumerate(names, start=1) if n == head]
            if not matches:
                close = difflib.get_close_matches(head, [n for n in names if n] + list(TOP_LEVEL_KEYS), n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise PipelineConfigError(f"--set {item!r}: {head!r} is neither a top-level key nor a step of this "
                                          f"pipeline.{hint} Steps: {', '.join(n for n in names if n)}.")
            if len(matches) > 1:
                raise PipelineConfigError(f"--set {item!r}: the pipeline has {len(matches)} {head!r} steps "
                                          f"(steps {', '.join(map(str, matches))}); use the step number, "
                                          f"e.g. {matches[0]}.{'.'.join(parts[1:])}=...")
            index = matches[0]
        if len(parts) < 2:
            raise PipelineConfigError(f"--set {item!r}: name a parameter, e.g. {head}.PARAM=VALUE.")
        entry = steps[index - 1]
        step_name = names[index - 1]
        if step_name is None:
            raise PipelineConfigError(f"--set {item!r}: step {index} is not a single-key mapping.")
        if entry[step_name] is None:
            entry[step_name] = _LineDict()
        _set_path(entry[step_name], parts[1:], value, item)
        touched.add((index, parts[1]))
    return touched


def _set_path(target: dict, parts: list[str], value: Any, item: str) -> None:
    for part in parts[:-1]:
        nxt = target.get(part)
        if nxt is None:
            nxt = target[part] = _LineDict()
        if not isinstance(nxt, dict):
            raise PipelineConfigError(f"--set {item!r}: {part!r} is {nxt!r}, not a mapping.")
        target = nxt
    target[parts[-1]] = value


# Parameters that may name a catalog table (``catalog.schema.table``) instead of a folder.
TABLE_PARAMETERS = {("load_delta", "path"), ("save_delta", "path"), ("save_versioned", "repo")}


def _resolve(value: Any, base: Path, table_ok: bool = False) -> Any:
    """Resolve a relative path against ``base``; URIs, absolute paths and (where allowed) catalog names stay."""
    if table_ok and isinstance(value, str) and is_catalog_name(value):
        return value
    if isinstance(value, str) and value and "://" not in value and not Path(value).is_absolute():
        return str((base / value).resolve())
    return value


def build_pipeline(doc: dict, source: str | Path = "<pipeline>", base_dir: str | Path | None = None,
                   overridden: set[tuple[int, str]] = frozenset()) -> Pipeline:
    """Validate a parsed pipeline document and build the ``Pipeline`` (nothing runs)."""
    source = str(source)
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    cwd = Path.cwd()

    def at(mapping: Any, key: str | None = None) -> str:
        line = getattr(mapping, "key_lines", {}).get(key) if key else None
        line = line or getattr(mapping, "line", 0)
        return f"{source} line {line}" if line else source

    unknown = [k for k in doc if k not in TOP_LEVEL_KEYS]
    if unknown:
        close = difflib.get_close_matches(str(unknown[0]), TOP_LEVEL_KEYS, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise PipelineConfigError(f"{at(doc, unknown[0])}: unknown top-level key {unknown[0]!r}.{hint} "
                                  f"Allowed: {', '.join(TOP_LEVEL_KEYS)}.")
    name = doc.get("name", "pipeline")
    if not isinstance(name, str) or not name:
        raise PipelineConfigError(f"{at(doc, 'name')}: 'name' must be a non-empty string, got {name!r}.")
    engine = doc.get("engine", "spark")  # the CLI and the job default to Spark; Pipeline() in Python to pandas
    if engine not in ENGINES:
        raise PipelineConfigError(f"{at(doc, 'engine')}: unknown engine {engine!r}; use one of: {', '.join(ENGINES)}.")
    sink = doc.get("sink", "auto")
    if sink not in SINK_MODES:
        raise PipelineConfigError(f"{at(doc, 'sink')}: unknown sink {sink!r}; use one of: {', '.join(SINK_MODES)}.")
    seed = doc.get("seed")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool) or seed < 0):
        raise PipelineConfigError(f"{at(doc, 'seed')}: 'seed' must be an integer >= 0, got {seed!r}.")
    tables = doc.get("tables") or {}
    if not isinstance(tables, dict) or set(tables) - set(DEFAULT_TABLES):
        raise PipelineConfigError(f"{at(doc, 'tables')}: 'tables' maps {', '.join(DEFAULT_TABLES)} to table names, "
                                  f"got {tables!r}.")
    spark = doc.get("spark") or {}
    if not isinstance(spark, dict) or set(spark) - {"master", "conf"}:
        raise PipelineConfigError(f"{at(doc, 'spark')}: 'spark' takes 'master' and 'conf', got {spark!r}.")
    lakehouse = doc.get("lakehouse")
    if lakehouse is not None:
        if not isinstance(lakehouse, str):
            raise PipelineConfigError(f"{at(doc, 'lakehouse')}: 'lakehouse' must be a folder path, got {lakehouse!r}.")
        lakehouse = _resolve(lakehouse, cwd if (0, "lakehouse") in overridden else base, table_ok=True)
    mlflow = None
    if doc.get("mlflow") not in (None, False):
        from genesis_spark.tracking import MlflowOptions
        try:
            mlflow = MlflowOptions.from_mapping(doc["mlflow"], where=f"{at(doc, 'mlflow')}: mlflow")
        except ValueError as exc:
            raise PipelineConfigError(str(exc)) from None
    raw_steps = doc.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise PipelineConfigError(f"{at(doc, 'steps')}: 'steps' must be a non-empty list of steps, "
                                  "e.g.\nsteps:\n  - load_csv:\n      path: data.csv")
    built = []
    for index, entry in enumerate(raw_steps, start=1):
        if not isinstance(entry, dict) or len(entry) != 1:
            raise PipelineConfigError(f"{at(entry if isinstance(entry, dict) else doc, None)}, step {index}: each "
                                      f"step is a mapping with one key, the step name, got {entry!r}.")
        step_name, params = next(iter(entry.items()))
        where = f"{at(entry, step_name)}, step {index} {step_name!r}"
        cls = STEPS.get(step_name)
        if cls is None:
            close = difflib.get_close_matches(str(step_name), STEPS, n=2)
            hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
            raise PipelineConfigError(f"{where}: unknown step.{hint} Steps: {', '.join(STEPS)}.")
        if params is None:
            params = {}
        if not isinstance(params, dict):
            raise PipelineConfigError(f"{where}: parameters must be a mapping (name: value), got {params!r}.")
        params = dict(params)
        for spec in cls.spec:
            if spec.path and spec.name in params:
                params[spec.name] = _resolve(params[spec.name], cwd if (index, spec.name) in overridden else base,
                                             table_ok=(step_name, spec.name) in TABLE_PARAMETERS)
        try:
            built.append(cls(_where=where, **params))
        except ParameterError as exc:
            raise PipelineConfigError(str(exc)) from None
    return Pipeline(built, name=name, description=str(doc.get("description") or ""), engine=engine,
                    engine_options={k: v for k, v in spark.items() if v is not None}, lakehouse=lakehouse,
                    sink=sink, seed=seed, tables=tables, mlflow=mlflow)


def load_pipeline(path: str | Path, overrides: Sequence[str] = ()) -> Pipeline:
    """Read, override, validate and build the pipeline in ``path``.

    Example::

        pipeline = load_pipeline("conf/fraud_augmentation_pipeline.yaml", ["augment_imbalanced.config.epochs=5"])
        result = pipeline.run()
    """
    path = Path(path)
    doc = read_yaml(path)
    touched = apply_overrides(doc, overrides)
    return build_pipeline(doc, source=path, base_dir=path.resolve().parent, overridden=touched)
