"""Read one consistent run of a lakehouse: every output table at the version that run's ``runs`` row records.

Delta has no multi-table transaction: a run commits ``augmented_train``, ``test`` and ``synthetic`` one
after the other, then its ``runs`` row, the run's commit record. A run without a ``runs`` row (killed
between commits) is never read here, so a consumer of ``read_run`` never sees a torn run.

Example::

    from genesis_spark import read_run
    run = read_run("lakehouse")                 # the latest fully committed run
    run.run_id, run.versions["augmented_train"]
    train = run["augmented_train"]              # pandas, exactly that run's rows
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

from genesis_spark.delta.tables import history, is_catalog_name, is_delta_table, read_version


@dataclass(frozen=True)
class RunTables(Mapping):
    """One committed run: its ``runs`` row and each of its tables at the version the row records.

    A mapping ``{table name: frame}`` (pandas, or Spark DataFrames when read with ``spark``);
    ``versions``/``locations`` are the row's maps for the tables read; ``record`` the whole row.
    """

    run_id: int
    pipeline: str
    record: dict[str, Any]
    versions: dict[str, int]
    locations: dict[str, str]
    tables: dict[str, Any] = field(repr=False)

    def __getitem__(self, name: str) -> Any:
        try:
            return self.tables[name]
        except KeyError:
            raise KeyError(f"run {self.run_id} read no table {name!r}; it has: {', '.join(self.tables)}.") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)


def read_run(lakehouse: str | Path, run_id: int | str = "latest", tables: Sequence[str] | None = None,
             spark: Any = None, *, pipeline: str | None = None, runs_table: str = "runs") -> RunTables:
    """Read run ``run_id`` (default ``"latest"``: the last fully committed run) of the lakehouse ``lakehouse``.

    ``tables`` names the tables to read (default: every table the run's row records, ``augmented_train``,
    ``test``, ``synthetic`` and any ``save_delta``/``save_versioned`` table); each is read at exactly the
    version the run's ``runs`` row records, with delta-rs into pandas, or into Spark DataFrames when
    ``spark`` (a SparkSession) is given (catalog lakehouses ``catalog.schema`` need ``spark``).
    ``pipeline`` picks one pipeline where several write the same lakehouse; ``runs_table`` is the runs
    table's name (``tables: {runs: ...}`` in the YAML). An unknown run id or table raises ValueError
    naming what there is.

    Example::

        run = read_run("lakehouse", run_id=3, tables=["augmented_train"])
        run["augmented_train"]["run_id"].unique()   # array([3])
    """
    rows = _committed_rows(str(lakehouse), runs_table, spark)
    if pipeline is not None:
        rows = [r for r in rows if r["pipeline"] == pipeline]
    if not rows:
        where = f"{lakehouse}/{runs_table}" if not is_catalog_name(str(lakehouse)) else f"{lakehouse}.{runs_table}"
        extra = f" of pipeline {pipeline!r}" if pipeline is not None else ""
        raise ValueError(f"The runs table {where} holds no committed run{extra}: no run of this lakehouse "
                         "finished its commit yet.")
    row = _pick(rows, run_id, pipeline)
    versions = dict(row["versions"])
    locations = dict(row["locations"])
    names = list(versions) if tables is None else list(tables)
    unknown = [n for n in names if n not in versions]
    if unknown:
        raise ValueError(f"run {row['run_id']} wrote no table {', '.join(map(repr, unknown))}; "
                         f"it wrote: {', '.join(versions)}.")
    if not is_catalog_name(str(lakehouse)):
        locations = _relocated(locations, str(lakehouse), runs_table)
    frames = {name: _read(locations.get(name, name), versions[name], spark) for name in names}
    return RunTables(run_id=int(row["run_id"]), pipeline=str(row["pipeline"]), record=row,
                     versions={n: versions[n] for n in names}, locations={n: locations.get(n, n) for n in names},
                     tables=frames)


def _pick(rows: list[dict[str, Any]], run_id: int | str, pipeline: str | None) -> dict[str, Any]:
    """The row of ``run_id`` (or the last committed, for ``"latest"``), with errors naming the choices."""
    if run_id == "latest":
        return rows[-1]
    if isinstance(run_id, bool) or not (isinstance(run_id, int) or (isinstance(run_id, str) and run_id.isdigit())):
        raise ValueError(f"run_id must be a run number or 'latest', got {run_id!r}.")
    matches = [r for r in rows if r["run_id"] == int(run_id)]
    if not matches:
        ids = ", ".join(str(r["run_id"]) for r in rows)
        raise ValueError(f"run {int(run_id)} is not a committed run of this lakehouse (no runs row records it); "
                         f"committed runs: {ids}.")
    pipelines = sorted({r["pipeline"] for r in matches})
    if len(pipelines) > 1:
        raise ValueError(f"run {int(run_id)} was committed by several pipelines ({', '.join(pipelines)}); "
                         "pass pipeline=NAME.")
    return matches[-1]


def _committed_rows(lakehouse: str, runs_table: str, spark: Any) -> list[dict[str, Any]]:
    """Every ``runs`` row, in commit order (the runs-table version holding each; its timestamp for catalogs)."""
    if is_catalog_name(lakehouse):
        if spark is None:
            raise ValueError(f"{lakehouse!r} is a catalog schema: read_run needs spark=SparkSession to read it.")
        rows = [r.asDict(recursive=True) for r in spark.read.table(f"{lakehouse}.{runs_table}").collect()]
        return sorted(rows, key=lambda r: (r["timestamp"] or _dt.datetime.min, r["run_id"]))
    path = str(Path(lakehouse) / runs_table)
    if not is_delta_table(path):
        raise ValueError(f"No runs table at {path}: not a genesis lakehouse, or no run committed to it yet "
                         "(pass runs_table=NAME if the YAML renames it).")
    order = {(c.metadata.get("app_id"), c.metadata.get("run_id")): c.version for c in history(path)}
    rows = read_version(path).to_pylist()
    for row in rows:
        for key in ("versions", "locations", "metrics", "text_metrics", "timings"):
            row[key] = dict(row[key] or [])
    return sorted(rows, key=lambda r: (order.get((r["app_id"], r["run_id"]), -1), r["run_id"]))


def _relocated(locations: dict[str, str], lakehouse: str, runs_table: str) -> dict[str, str]:
    """``locations`` with the tables that were in the run's lakehouse folder found under ``lakehouse``.

    The row records absolute paths; a lakehouse copied or moved since still reads its own tables.
    """
    written = locations.get(runs_table)
    if written is None or "://" in written:
        return locations
    folder = Path(written).parent
    return {name: str(Path(lakehouse) / Path(where).name) if "://" not in where and Path(where).parent == folder
            else where for name, where in locations.items()}


def _read(location: str, version: int, spark: Any) -> Any:
    """One table at ``version``: pandas through delta-rs, or a Spark DataFrame."""
    if spark is None:
        if is_catalog_name(location):
            raise ValueError(f"table {location!r} is a catalog table: pass spark=SparkSession to read it.")
        return read_version(location, version).to_pandas()
    from genesis_spark.spark.io import read_source

    frame, _ = read_source(spark, location, format="table" if is_catalog_name(location) else "delta",
                           version=version)
    return frame
