"""``Pipeline``: run steps in order, then commit every staged write (files, Delta versions) at once.

Run ids: an integer per run, the idempotency key of the Delta commits (app id
``genesis_spark:<pipeline name>``). Given as ``Pipeline(..., run_id=N)``, ``Pipeline.run(run_id=N)``
or ``genesis pipeline run --run-id N``; by default the next free number: one more than the
highest run this pipeline has committed to any of its Delta tables (1 for a first run).

Run identity is "this exact run id is committed", read from each table's commit metadata:

- a run id already committed (to the ``runs`` table, or to every Delta table of a pipeline
  without a lakehouse) is found before anything loads or trains: the run reports the versions
  that hold it and writes nothing at all (``PipelineResult.already_committed``);
- a run id below the latest committed one is refused before any work;
- a run id another run commits while this one runs is refused at commit time, before this run
  writes anything; a run without a given id then takes the next free id instead and lands.

A run with a local lakehouse holds a presence lock for its duration and commits under the
lakehouse's commit lock (``LakehouseLocks``): one run at a time claims its id and commits, the
``runs`` row last (the run's commit record); what a killed run left is swept by the next commit.
"""
from __future__ import annotations

import contextlib
import dataclasses
import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from genesis_spark.core.engine import SINK_MODES
from genesis_spark.delta.commit import sweep_orphans
from genesis_spark.delta.descriptions import table_doc
from genesis_spark.delta.metadata import CommitInfo, config_hash
from genesis_spark.delta.runs import RUNS_SCHEMA, run_record
from genesis_spark.delta.schema import fields_from_arrow
from genesis_spark.delta.tables import committed_runs, is_catalog_name, table_location
from genesis_spark.pipeline.context import QualityGateError, RunContext
from genesis_spark.core.engine import ENGINES, Engine
from genesis_spark.pipeline.engine import get_engine
from genesis_spark.pipeline.locks import ORPHAN_MIN_AGE_S, LakehouseLocks, sweep_temp_files
from genesis_spark.pipeline.steps import Step

logger = logging.getLogger(__name__)

#: Lakehouse table names (override any with ``tables={"runs": "run_log"}`` / YAML ``tables:``).
DEFAULT_TABLES = {"augmented_train": "augmented_train", "test": "test", "synthetic": "synthetic", "runs": "runs"}
_DATA_OUTPUTS = ("csv_path", "delta_path", "versioned_path")


@dataclass(frozen=True)
class PipelineResult:
    """What a run did.

    ``success``; ``outputs`` (``output_path`` = the last data file or table written, plus
    ``csv_path``, ``generator_path``, ``report_path``, ``tables`` ...); ``metrics``
    (``quality_score``, ``privacy_score``, row counts ...); ``error`` (one line, None on
    success); ``run_id``; ``timings`` (seconds per step, ``"<i>.<step>"``, plus ``commit``);
    ``versions`` (Delta version written per table path).
    """

    success: bool
    outputs: dict[str, Any]
    metrics: dict[str, Any]
    error: str | None = None
    run_id: int | None = None
    timings: dict[str, float] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    already_committed: bool = False


class RunIdError(ValueError):
    """A run id that may not run: below the latest committed one, or taken by another run meanwhile."""


class PartialCommitError(RuntimeError):
    """A commit failed part way; the message says which tables and files were written and which were not."""

    def __init__(self, message: str, written: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.written = list(written)  # the StagedWrites committed before the failure


class Pipeline:
    """A reproducible sequence of steps over one engine, with versioned, all-or-nothing outputs.

    ``engine`` is ``"pandas"`` (default), ``"spark"`` or an ``Engine`` object;
    ``engine_options`` go to it (Spark: ``master``, ``conf``). ``lakehouse`` (a folder) makes
    each successful run also write the Delta tables ``augmented_train``, ``test`` (when a split
    ran), ``synthetic`` and ``runs`` under it (names from ``tables``); ``sink`` picks the Spark
    Delta sink (auto | native | embedded). ``seed`` is the default seed of seeded steps.

    Every writing step stages its output; after the last step succeeded the Delta tables are
    committed (one version each, carrying the run's metadata), then the files are renamed into
    place. A failed step or quality gate writes nothing.

    Example::

        from genesis_spark.pipeline import Pipeline, steps
        result = Pipeline([
            steps.load_csv("transactions.csv"),
            steps.augment_imbalanced(target_column="is_fraud", ratio=0.3, config={"epochs": 50}),
            steps.evaluate(target_column="is_fraud", min_score=0.7),
            steps.save_versioned("./data_versions", "nightly", tag="latest"),
        ], name="fraud").run()
        result.success, result.metrics["quality_score"], result.outputs["output_path"]
    """

    def __init__(self, steps: Sequence[Step], name: str = "pipeline", description: str = "", *,
                 engine: str | Engine = "pandas", engine_options: Mapping[str, Any] | None = None,
                 lakehouse: str | Path | None = None, sink: str = "auto", seed: int | None = None,
                 run_id: int | None = None, tables: Mapping[str, str] | None = None, mlflow: Any = None) -> None:
        bad = [s for s in steps if not isinstance(s, Step)]
        if bad:
            raise TypeError(f"Pipeline steps must be step objects from genesis_spark.pipeline.steps, got {bad[0]!r}.")
        if isinstance(engine, str) and engine not in ENGINES:
            raise ValueError(f"Unknown engine {engine!r}; use one of: {', '.join(ENGINES)}.")
        if sink not in SINK_MODES:
            raise ValueError(f"Unknown sink {sink!r}; use one of: {', '.join(SINK_MODES)}.")
        unknown = set(tables or {}) - set(DEFAULT_TABLES)
        if unknown:
            raise ValueError(f"Unknown lakehouse table key(s) {sorted(unknown)}; use {', '.join(DEFAULT_TABLES)}.")
        _check_run_id(run_id)
        self.steps = list(steps)
        self.name = name
        self.description = description
        self.engine = engine
        self.engine_options = dict(engine_options or {})
        self.lakehouse = None if lakehouse is None else str(lakehouse)
        self.sink = sink
        self.seed = seed
        self.run_id = run_id
        self.tables = {**DEFAULT_TABLES, **dict(tables or {})}
        self.mlflow = mlflow  # genesis_spark.tracking.MlflowOptions (or its mapping): log each run
        self._last_ctx: RunContext | None = None

    @property
    def app_id(self) -> str:
        """The Delta app id of this pipeline's commits: ``genesis_spark:<name>``."""
        return f"genesis_spark:{self.name}"

    def table_path(self, key: str) -> str:
        """Path of lakehouse table ``key`` (``augmented_train``, ``test``, ``synthetic``, ``runs``)."""
        if self.lakehouse is None:
            raise ValueError("This pipeline has no lakehouse folder.")
        if is_catalog_name(self.lakehouse):  # a Unity Catalog / metastore schema: catalog.schema.table
            return f"{self.lakehouse}.{self.tables[key]}"
        return str(Path(self.lakehouse) / self.tables[key])

    def delta_tables(self) -> list[str]:
        """Every Delta table a run may write."""
        paths = [p for step in self.steps for p in step.delta_tables()]
        if self.lakehouse is not None:
            paths += [self.table_path(k) for k in DEFAULT_TABLES]
        return list(dict.fromkeys(paths))

    def committed(self) -> dict[str, dict[int, int]]:
        """``{table path: {run_id: version}}``: the runs of this pipeline each of its Delta tables holds."""
        return {path: committed_runs(path, self.app_id) for path in self.delta_tables() if not is_catalog_name(path)}

    def next_run_id(self) -> int:
        """One more than the highest run id committed by this pipeline to any of its tables (1 if none)."""
        return (_latest_run(self.committed()) or 0) + 1

    def _holding(self, committed: Mapping[str, Mapping[int, int]], run_id: int) -> dict[str, int]:
        """``{table path: version}`` of the tables that hold ``run_id``."""
        return {path: runs[run_id] for path, runs in committed.items() if run_id in runs}

    def _torn_run(self, committed: Mapping[str, Mapping[int, int]]) -> int | None:
        """The latest run, when data tables hold it but its ``runs`` row is missing (a crash between commits)."""
        if self.lakehouse is None or is_catalog_name(self.lakehouse):
            return None
        latest = _latest_run(committed)
        if latest is None or latest in committed.get(self.table_path("runs"), {}):
            return None
        return latest

    def _fully_committed(self, holding: Mapping[str, int]) -> bool:
        """True when the run's record is written: its ``runs`` row (lakehouse), else every Delta table holds it."""
        if self.lakehouse is not None and not is_catalog_name(self.lakehouse):
            return self.table_path("runs") in holding
        tables = [p for p in self.delta_tables() if not is_catalog_name(p)]
        return bool(tables) and all(p in holding for p in tables)

    def _check_run_id(self, committed: Mapping[str, Mapping[int, int]], run_id: int,
                      when: str) -> None:
        """Refuse ``run_id`` when a later run is committed (``when`` says at which point of the run)."""
        later = {path: max(runs) for path, runs in committed.items() if runs and max(runs) > run_id}
        if later:
            path, latest = max(later.items(), key=lambda item: item[1])
            raise RunIdError(f"run id {run_id} is below run {latest}, already committed to {path} ({when}); "
                             f"run ids only go up: use --run-id {latest + 1} or omit --run-id. Nothing written.")

    def to_config(self) -> dict[str, Any]:
        """The pipeline as its YAML form (what the config hash is computed from)."""
        return {"name": self.name, "description": self.description,
                "engine": self.engine if isinstance(self.engine, str) else getattr(self.engine, "name", "custom"),
                "lakehouse": self.lakehouse, "sink": self.sink, "seed": self.seed, "tables": self.tables,
                "steps": [step.to_config() for step in self.steps]}

    def _engine(self) -> Engine:
        if not isinstance(self.engine, str):
            return self.engine
        options = dict(self.engine_options)
        if self.engine == "spark":
            options.setdefault("sink", self.sink)
        return get_engine(self.engine, **options)

    def run(self, run_id: int | None = None) -> PipelineResult:
        """Run every step, then commit the staged writes; never raises for a step's failure.

        With ``mlflow`` options, the run (success or failure) is then logged to MLflow.
        """
        self._last_ctx = None
        result = self._run(run_id)
        if self.mlflow is not None:
            from genesis_spark.tracking import log_run

            log_run(result, self._last_ctx, self.mlflow, config=self.to_config())
        return result

    def _run(self, run_id: int | None = None) -> PipelineResult:
        """The run itself (``run`` without the MLflow logging).

        Returns ``PipelineResult``; on failure ``error`` is one line such as
        ``"evaluate: quality_score 0.812 < min_score 0.85"`` or ``"step 1 load_csv: ..."``.
        """
        _check_run_id(run_id)
        locks = LakehouseLocks.enter(self.lakehouse) if self.lakehouse is not None else None
        try:
            return self._run_steps(run_id, locks)
        finally:
            if locks is not None:
                locks.exit()

    def _run_steps(self, run_id: int | None, locks: "LakehouseLocks | None") -> PipelineResult:
        """``_run`` with this run's presence lock held (``locks``, None without a local lakehouse)."""
        timings: dict[str, float] = {}
        ctx: RunContext | None = None
        auto_id = run_id is None and self.run_id is None
        try:
            run_id = run_id if run_id is not None else self.run_id
            committed = self.committed()
            if run_id is None:
                run_id = self._torn_run(committed) or (_latest_run(committed) or 0) + 1
            holding = self._holding(committed, run_id)
            if self._fully_committed(holding):
                where = ", ".join(f"{path} v{version}" for path, version in holding.items())
                logger.info("pipeline %r run %d is already committed (%s): nothing to do, nothing written",
                            self.name, run_id, where)
                return PipelineResult(True, {"tables": dict(holding)}, {}, None, run_id, {}, dict(holding),
                                      already_committed=True)
            if not holding:
                self._check_run_id(committed, run_id, "before the run")
            engine = self._engine()
            ctx = RunContext(engine=engine, run_id=run_id, app_id=self.app_id, pipeline_name=self.name,
                             seed=self.seed, resumed_tables=dict(holding))
            self._last_ctx = ctx
        except RunIdError as exc:
            return PipelineResult(False, {}, {}, str(exc), run_id)
        except Exception as exc:  # engine start-up, unreadable tables
            logger.debug("pipeline set-up failed", exc_info=True)
            return PipelineResult(False, {}, {}, f"setup: {_one_line(exc)}", run_id)
        if holding:
            logger.warning("pipeline %r run %d was half committed (%s hold it, its runs row is missing): "
                           "running it again to complete it", self.name, run_id, ", ".join(holding))
        logger.info("pipeline %r run %d: %d steps on %s", self.name, run_id, len(self.steps), engine.name)
        for index, step in enumerate(self.steps, start=1):
            started = time.perf_counter()
            try:
                logger.info("step %d/%d: %s", index, len(self.steps), step.name)
                step.run(ctx)
            except QualityGateError as exc:
                return self._fail(ctx, timings, str(exc))
            except Exception as exc:
                logger.debug("step %d %s failed", index, step.name, exc_info=True)
                return self._fail(ctx, timings, f"step {index} {step.name}: {_one_line(exc)}")
            finally:
                timings[f"{index}.{step.name}"] = round(time.perf_counter() - started, 4)
        started = time.perf_counter()
        try:
            versions = self._commit(ctx, timings, locks, auto_id)
        except RunIdError as exc:
            return self._fail(ctx, timings, str(exc))
        except PartialCommitError as exc:
            logger.debug("commit failed", exc_info=True)
            return self._fail(ctx, timings, f"commit: {exc}", exc.written)
        except Exception as exc:
            logger.debug("commit failed", exc_info=True)
            return self._fail(ctx, timings, f"commit: {_one_line(exc)}")
        timings["commit"] = round(time.perf_counter() - started, 4)
        outputs = {k: v for k, v in ctx.outputs.items()}
        for key, path in ctx.staged_outputs:
            outputs[key] = path
            if key in _DATA_OUTPUTS:
                outputs["output_path"] = path
        if versions:
            outputs["tables"] = dict(versions)
        logger.info("pipeline %r run %d succeeded", self.name, ctx.run_id)
        return PipelineResult(True, outputs, dict(ctx.metrics), None, ctx.run_id, timings, versions)

    # ------------------------------------------------------------------ internals

    def _fail(self, ctx: RunContext, timings: dict[str, float], error: str,
              written: Sequence[Any] = ()) -> PipelineResult:
        """Discard what the run staged (``written``: writes already committed, kept) and report ``error``."""
        if written:
            logger.info("pipeline %r run %d failed part way through its commit: %s", self.name, ctx.run_id, error)
        else:
            logger.info("pipeline %r run %d failed, nothing written: %s", self.name, ctx.run_id, error)
        for staged in ctx.staged_files:
            staged.abort()
        unwritten = [t.write for t in ctx.staged_tables if not any(t.write is w for w in written)]
        if ctx.sink is not None and unwritten:
            try:
                ctx.sink.abort(unwritten)
            except Exception:  # cleanup must not hide the failure
                logger.warning("could not clean up staged Delta writes", exc_info=True)
        return PipelineResult(False, dict(ctx.outputs), dict(ctx.metrics), error, ctx.run_id, timings)

    def _commit_info(self, ctx: RunContext) -> CommitInfo:
        generator = ctx.generator
        source = ctx.source
        return CommitInfo(
            app_id=self.app_id, run_id=ctx.run_id, message=f"{self.name} run {ctx.run_id}", pipeline=self.name,
            config_hash=config_hash(self.to_config()),
            generator_sha256=str(getattr(generator, "sha256", "") or "") if generator is not None else "",
            source_path=source.source if source else "", source_version=source.version if source else None,
            metrics={k: v for k, v in ctx.metrics.items() if isinstance(v, (int, float, bool, str))},
        )

    def _stage_lakehouse(self, ctx: RunContext) -> None:
        if self.lakehouse is None or ctx.frame is None:
            return
        message = f"{self.name} run {ctx.run_id}"
        run = {"run_id": ctx.run_id}
        # One version per run holding exactly that run's rows (overwrite); earlier runs stay readable by version.
        ctx.stage_table(self.table_path("augmented_train"), ctx.engine.with_columns(ctx.frame, run), "overwrite",
                        message, (), "augmented_train_table", doc=table_doc("augmented_train"))
        if ctx.test is not None:
            ctx.stage_table(self.table_path("test"), ctx.engine.with_columns(ctx.test, run), "overwrite", message, (),
                            "test_table", doc=table_doc("test"))
        if ctx.augment_result is not None and ctx.engine.count(ctx.augment_result.synthetic) > 0:
            synthetic = ctx.engine.with_columns(ctx.augment_result.synthetic, run)
            ctx.stage_table(self.table_path("synthetic"), synthetic, "overwrite", message, (), "synthetic_table",
                            doc=table_doc("synthetic"))

    def _claim_run_id(self, ctx: RunContext, auto_id: bool) -> None:
        """At commit time (under the commit lock): make sure no other run took this run id, or a later one, meanwhile.

        A run without a given run id (``auto_id``) then takes the next free id; one with a given id is refused.
        """
        committed = self.committed()
        taken = {path: version for path, version in self._holding(committed, ctx.run_id).items()
                 if path not in ctx.resumed_tables}
        latest = _latest_run(committed) or 0
        if auto_id and (taken or latest > ctx.run_id):
            old, ctx.run_id, ctx.resumed_tables = ctx.run_id, latest + 1, {}
            for staged in ctx.staged_tables:  # a step's default message names the run
                if staged.message == f"{self.name} run {old}":
                    staged.message = f"{self.name} run {ctx.run_id}"
            logger.warning("pipeline %r: run id %d was committed by another run while this one ran: "
                           "this run commits as run %d, the next free id", self.name, old, ctx.run_id)
            return
        if taken:
            where = ", ".join(f"{path} v{version}" for path, version in taken.items())
            raise RunIdError(f"run id {ctx.run_id} was committed by another run while this one ran ({where}); "
                             "nothing of this run was written. Run again without --run-id to take the next "
                             "free id.")
        self._check_run_id(committed, ctx.run_id, "by another run while this one ran")

    def _commit(self, ctx: RunContext, timings: dict[str, float], locks: "LakehouseLocks | None",
                auto_id: bool) -> dict[str, int]:
        """Commit the run under the lakehouse's commit lock: claim the run id, sweep orphans, check, write.

        Every staged write (and the ``runs`` row) is checked against its existing table before any
        commit: a changed schema refuses the whole run with one line and no table changes version.
        Then one version per table, the ``runs`` row last (the run's commit record), then the files.
        """
        with locks.commit() if locks is not None else contextlib.nullcontext():
            self._claim_run_id(ctx, auto_id)
            self._stage_lakehouse(ctx)
            runs_path = self.table_path("runs") if self.lakehouse is not None else None
            if runs_path is not None and ctx.sink is None:
                ctx.sink = ctx.engine.delta_sink()
            writes = [staged.write for staged in ctx.staged_tables]
            self._sweep(ctx, locks, [w.table_path for w in writes] + ([runs_path] if runs_path else []),
                        [str(getattr(w.payload, "stage_dir", "")) for w in writes])
            check = getattr(ctx.sink, "check", None)
            if check is not None:  # tables that already hold this run (a half-committed run) are left alone anyway
                resumed = {_location(path) for path in ctx.resumed_tables}
                check([w for w in writes if _location(w.table_path) not in resumed],
                      {runs_path: fields_from_arrow(RUNS_SCHEMA)} if runs_path else None)
            return self._write(ctx, self._commit_info(ctx), timings, runs_path)

    def _sweep(self, ctx: RunContext, locks: "LakehouseLocks | None", tables: Sequence[str],
               own_stages: Sequence[str]) -> None:
        """Remove orphan staging folders of ``tables`` and temporary files beside this run's file targets.

        Orphans younger than ``ORPHAN_MIN_AGE_S`` may be another run's work in progress and are kept, except
        when the lakehouse's locks show a killed run and no other live run: then they are a crash's leftovers.
        """
        min_age, dead = ORPHAN_MIN_AGE_S, []
        if locks is not None:
            alive, dead = locks.others()
            if dead and not alive:
                min_age = 0.0
                logger.info("%d run(s) of lakehouse %s were killed: sweeping what they left", len(dead),
                            self.lakehouse)
        sweep_orphans(tables, keep=own_stages, min_age_seconds=min_age)
        sweep_temp_files(ctx.staged_files, min_age)
        if min_age == 0.0:
            for entry in dead:
                with contextlib.suppress(OSError):
                    entry.unlink()

    def _write(self, ctx: RunContext, info: CommitInfo, timings: dict[str, float],
               runs_path: str | None) -> dict[str, int]:
        """One version per staged table, then the ``runs`` row, then the files; a failure says what was written."""
        versions: dict[str, int] = {}
        written: list[Any] = []
        current = ""
        resumed = {_location(path): version for path, version in ctx.resumed_tables.items()}
        try:
            held = []  # tables a half-committed run already wrote: their version stands, their staging goes
            for staged in ctx.staged_tables:
                current = staged.write.table_path
                if _location(current) in resumed:
                    versions[current] = resumed[_location(current)]
                    held.append(staged.write)
                    continue
                one = dataclasses.replace(info, message=staged.message, tags=staged.tags)
                versions.update(ctx.sink.commit_all([staged.write], one))
                written.append(staged.write)
            if held:
                try:
                    ctx.sink.abort(held)
                except Exception:  # housekeeping must not fail the commit
                    logger.warning("could not remove the staging of tables that already held run %d", ctx.run_id,
                                   exc_info=True)
            if runs_path is not None:
                current = runs_path
                record = self._run_record(ctx, info, versions, timings)
                write = ctx.sink.stage(runs_path, ctx.engine.from_records([record], schema=RUNS_SCHEMA), "append",
                                       doc=table_doc("runs"))
                try:
                    versions.update(ctx.sink.commit_all([write], info))
                except BaseException:
                    ctx.sink.abort([write])  # no staging folder of the runs row outlives a failed commit
                    raise
                ctx.staged_outputs.append(("runs_table", runs_path))
            for staged in ctx.staged_files:
                current = str(staged.final_path)
                staged.commit()
                written.append(staged)
        except Exception as exc:
            raise PartialCommitError(self._partial_message(ctx, current, exc, versions, runs_path), written) from exc
        return versions

    def _partial_message(self, ctx: RunContext, failed: str, exc: Exception, versions: Mapping[str, int],
                         runs_path: str | None) -> str:
        """What a failed commit wrote and did not write, and what readers and the next run see."""
        tables = [s.write.table_path for s in ctx.staged_tables] + ([runs_path] if runs_path else [])
        done = [f"{path} v{versions[path]}" for path in tables if path in versions]
        done += [str(s.final_path) for s in ctx.staged_files if not s.temp_path.exists() and s.final_path.exists()]
        missing = [path for path in tables if path not in versions]
        missing += [str(s.final_path) for s in ctx.staged_files if s.temp_path.exists()]
        head = f"writing {failed} failed: {_one_line(exc)}."
        if not done:
            return f"{head} Nothing written ({', '.join(missing)} stay as they were)."
        if runs_path is not None and runs_path in versions:
            state = f"run {ctx.run_id} is committed (its runs row is written)."
        elif runs_path is not None:
            state = (f"run {ctx.run_id} is half committed (no runs row): read_run still gives the previous run, "
                     "and the next run of this pipeline completes or replaces it.")
        else:
            state = f"run {ctx.run_id} is half committed: re-run it with --run-id {ctx.run_id} to complete it."
        return f"{head} Written: {', '.join(done)}. Not written: {', '.join(missing)}. {state}"

    def _table_names(self, ctx: RunContext, versions: Mapping[str, int]) -> dict[str, str]:
        """``{location: name}`` of the tables a run wrote: the lakehouse name, else the folder or catalog name.

        A name two tables would share keeps the first; the later ones are keyed by their location.
        """
        lakehouse_keys = {f"{key}_table": key for key in DEFAULT_TABLES}
        by_location = {staged.write.table_path: staged.output_key for staged in ctx.staged_tables}
        names: dict[str, str] = {}
        for location in versions:
            key = lakehouse_keys.get(by_location.get(location, ""))
            if key is not None:
                name = self.tables[key]
            elif is_catalog_name(location):
                name = location
            else:
                name = Path(location).name or location
            names[location] = location if name in names.values() else name
        return names

    def _run_record(self, ctx: RunContext, info: CommitInfo, versions: dict[str, int],
                    timings: dict[str, float]) -> dict[str, Any]:
        """The run's ``runs`` row (``genesis_spark.delta.runs.RUNS_SCHEMA``), from the same facts as its commits."""
        names = self._table_names(ctx, versions)
        locations = {names[location]: location for location in versions}
        locations.setdefault(self.tables["runs"], self.table_path("runs"))
        return run_record(
            run_id=ctx.run_id, pipeline=self.name, app_id=self.app_id, engine=ctx.engine.name,
            config=self.to_config(), config_hash=info.config_hash, metrics=info.metrics,
            generator_sha256=info.generator_sha256, source_path=info.source_path,
            source_version=info.source_version,
            versions={names[location]: version for location, version in versions.items()},
            locations=locations, timings=timings,
        )


def _latest_run(committed: Mapping[str, Mapping[int, int]]) -> int | None:
    """The highest run id any table holds, or None."""
    return max((run for runs in committed.values() for run in runs), default=None)


def _location(table: str) -> str:
    """A table path made absolute (catalog names as they are), to compare the sinks' paths with ours."""
    return table if is_catalog_name(table) else table_location(table)


def _check_run_id(run_id: Any) -> None:
    if run_id is not None and (not isinstance(run_id, int) or isinstance(run_id, bool) or run_id < 0):
        raise ValueError(f"run_id must be a non-negative integer, got {run_id!r}.")


#: Where a Spark/Py4J error's Java stack begins: frames stay in the debug log, not in the one line.
_JAVA_STACK = re.compile(r"\n\s*at [\w$.<>/-]+\(|\nJVM stacktrace:|\n\s*Caused by: |\n\s*\.\.\. \d+ more")


def _one_line(exc: BaseException) -> str:
    text = str(exc)
    stack = _JAVA_STACK.search(text)
    if stack is not None:
        logger.debug("full error text: %s", text)
        text = text[:stack.start()]
    text = " ".join(text.split()) or type(exc).__name__
    return text if isinstance(exc, (ValueError, FileNotFoundError)) else f"{type(exc).__name__}: {text}"
