"""The ``runs`` table: one typed row per pipeline run, the same schema on both engines.

``RUNS_SCHEMA`` is the Arrow schema (the pandas engine writes it with delta-rs; the Spark
engine builds its frame from ``spark_schema_json()``, the same schema in Spark's
JSON form), so runs of either engine append to one table, readable with delta-rs and Spark.

Example::

    from genesis_spark.delta import read_version
    run = read_version("lakehouse/runs").to_pylist()[-1]
    dict(run["metrics"])["quality_score"], dict(run["versions"])["augmented_train"]
"""
from __future__ import annotations

import datetime as _dt
import json
import math
from typing import Any, Mapping, Sequence

import pyarrow as pa

RUNS_SCHEMA = pa.schema([
    pa.field("run_id", pa.int64()),
    pa.field("pipeline", pa.string()),
    pa.field("app_id", pa.string()),
    pa.field("engine", pa.string()),
    pa.field("config", pa.string()),
    pa.field("config_hash", pa.string()),
    pa.field("metrics", pa.map_(pa.string(), pa.float64())),
    pa.field("text_metrics", pa.map_(pa.string(), pa.string())),
    pa.field("utility_verdict", pa.string()),
    pa.field("generator_sha256", pa.string()),
    pa.field("source_path", pa.string()),
    pa.field("source_version", pa.int64()),
    pa.field("versions", pa.map_(pa.string(), pa.int64())),
    pa.field("locations", pa.map_(pa.string(), pa.string())),
    pa.field("timings", pa.map_(pa.string(), pa.float64())),
    pa.field("timestamp", pa.timestamp("us", tz="UTC")),
])


def split_metrics(metrics: Mapping[str, Any]) -> tuple[dict[str, float], dict[str, str]]:
    """``(numeric, text)`` metrics: numbers (booleans as 1.0/0.0) as floats, strings as text; others dropped.

    Example::

        split_metrics({"quality_score": 0.9, "privacy_passed": True, "utility_verdict": "helped"})
        # ({'quality_score': 0.9, 'privacy_passed': 1.0}, {'utility_verdict': 'helped'})
    """
    numeric: dict[str, float] = {}
    text: dict[str, str] = {}
    for key, value in metrics.items():
        value = _scalar(value)
        if isinstance(value, bool):
            numeric[str(key)] = 1.0 if value else 0.0
        elif isinstance(value, (int, float)):
            numeric[str(key)] = float(value)
        elif isinstance(value, str):
            text[str(key)] = value
    return dict(sorted(numeric.items())), dict(sorted(text.items()))


def _scalar(value: Any) -> Any:
    try:  # numpy scalars
        return value.item()
    except (AttributeError, ValueError):
        return value


def run_record(*, run_id: int, pipeline: str, app_id: str, engine: str, config: Any, config_hash: str,
               metrics: Mapping[str, Any], generator_sha256: str, source_path: str, source_version: int | None,
               versions: Mapping[str, int], locations: Mapping[str, str], timings: Mapping[str, float],
               timestamp: _dt.datetime | None = None) -> dict[str, Any]:
    """One ``runs`` row as a dict of Python values matching ``RUNS_SCHEMA``.

    ``utility_verdict`` is the text metric of that name ('' when ``compare_models`` did not run);
    ``source_version`` None for CSV/Parquet sources; ``timestamp`` now (UTC) unless given.
    """
    numeric, text = split_metrics(metrics)
    when = timestamp or _dt.datetime.now(_dt.timezone.utc)
    return {
        "run_id": int(run_id), "pipeline": pipeline, "app_id": app_id, "engine": engine,
        "config": config if isinstance(config, str) else json.dumps(config, sort_keys=True, default=str),
        "config_hash": config_hash,
        "metrics": numeric, "text_metrics": text,
        "utility_verdict": text.get("utility_verdict", ""),
        "generator_sha256": generator_sha256, "source_path": source_path,
        "source_version": None if source_version is None else int(source_version),
        "versions": {str(k): int(v) for k, v in versions.items()},
        "locations": {str(k): str(v) for k, v in locations.items()},
        "timings": {str(k): float(v) for k, v in timings.items() if not (isinstance(v, float) and math.isnan(v))},
        "timestamp": when.astimezone(_dt.timezone.utc).replace(microsecond=(when.microsecond // 1000) * 1000),
    }


def records_arrow(records: Sequence[Mapping[str, Any]], schema: pa.Schema = RUNS_SCHEMA) -> pa.Table:
    """``records`` as an Arrow table with ``schema`` (dict values of map columns become key/value pairs)."""
    maps = [f.name for f in schema if pa.types.is_map(f.type)]
    rows = [{**r, **{m: list(r[m].items()) for m in maps if isinstance(r.get(m), Mapping)}} for r in records]
    return pa.Table.from_pylist(rows, schema=schema)


def spark_schema_json(schema: pa.Schema = RUNS_SCHEMA) -> str:
    """An Arrow schema in Delta's / Spark's schema JSON (``StructType.fromJson`` reads it)."""
    from deltalake import Schema

    return Schema.from_arrow(schema).to_json()
