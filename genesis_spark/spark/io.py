"""Reading sources into Spark: CSV, Parquet, Delta (path or catalog table), with the Delta version read.

Delta without the Delta jars (the embedded local default): delta-rs lists the active
parquet files of the version and ``spark.read.parquet`` reads them with the table's
schema. Tables whose files cannot be read that way (deletion vectors, column mapping,
other reader features) are refused with the reason. With the jars (a delta-spark session,
Databricks) Spark's own Delta reader is used, pinned to the version resolved.
"""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from genesis_spark.core.columns import check_unique_columns
from genesis_spark.core.csv_types import (SPARK_CSV_TYPES, RaggedRows, check_csv_file, check_csv_rows, count_fields,
                                         csv_dialect, ragged_message)
from genesis_spark.core.engine import SOURCE_FORMATS

logger = logging.getLogger(__name__)

#: RFC 4180 quoting, as pandas reads and writes it: a doubled quote inside a quoted field is one quote
#: (``"he said ""hi"""``). Spark's CSV default escape is a backslash, which keeps both quotes.
CSV_QUOTE_ESCAPE = {"escape": '"'}
_SUFFIXES = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet"}
#: Delta reader features whose tables are still plain parquet files plus a log.
SAFE_READER_FEATURES = frozenset({"timestampNtz", "v2Checkpoint", "vacuumProtocolCheck", "variantType",
                                  "variantType-preview"})
_IDENTIFIER = re.compile(r"^[A-Za-z_`][\w`-]*(\.[A-Za-z_`][\w`-]*){0,2}$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:/")
_PROBE_ATTR = "_genesis_delta_native"


@dataclass(frozen=True)
class SourceInfo:
    """What was read, for lineage: the path or table name, its format, and the Delta version read."""

    path: str
    format: str
    version: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {"path": self.path, "format": self.format, "version": self.version}


class UnsupportedDeltaTable(ValueError):
    """A Delta table that cannot be read as plain parquet files without the Delta jars."""


def is_remote(path: str) -> bool:
    """True for URIs with a scheme (``s3://``, ``abfss://``, ``dbfs:/``), where local checks do not apply."""
    return bool(_SCHEME.match(str(path))) and not str(path).startswith("file:")


def _local(path: str) -> str:
    """``file:/x`` and ``file:///x`` as the plain local path ``/x``; anything else unchanged."""
    text = str(path)
    if text.startswith("file:"):
        return "/" + text[len("file:"):].lstrip("/")
    return text


def infer_format(path: str) -> str:
    """The format of a path: a ``_delta_log`` folder means delta, else the suffix (.csv, .parquet).

    A folder without ``_delta_log`` is read as parquet (Spark's output folders).
    Raises FileNotFoundError for a local path that does not exist.
    """
    text = str(path)
    if is_remote(text):
        from deltalake import DeltaTable

        if DeltaTable.is_deltatable(text):
            return "delta"
        return _SUFFIXES.get(Path(text.rstrip("/")).suffix.lower(), "parquet")
    local = Path(_local(text))
    if not local.exists():
        raise FileNotFoundError(
            f"Source {text!r} does not exist (resolved to {local.resolve()}), and it is not a table "
            "registered in the Spark catalog. Check the path, or pass format='table' for a catalog table.")
    if local.is_dir():
        return "delta" if (local / "_delta_log").is_dir() else "parquet"
    suffix = local.suffix.lower()
    if suffix not in _SUFFIXES:
        raise ValueError(f"Cannot tell the format of {text!r} from its suffix {suffix!r}; "
                         f"pass format= one of {', '.join(SOURCE_FORMATS)}.")
    return _SUFFIXES[suffix]


def delta_jars_available(spark) -> bool:
    """Whether this session has Spark's Delta data source (probed once per session, then cached).

    Without the jars ``spark.read.format("delta")`` fails with ``DATA_SOURCE_NOT_FOUND``;
    any other outcome (here: the probe path does not exist) means the source is there.
    """
    cached = getattr(spark, _PROBE_ATTR, None)
    if cached is not None:
        return cached
    try:
        spark.read.format("delta").load("/genesis_spark_probe_for_the_delta_data_source").schema
        found = True
    except Exception as exc:  # noqa: BLE001 - the error's text is the answer
        found = "DATA_SOURCE_NOT_FOUND" not in str(exc)
    try:
        setattr(spark, _PROBE_ATTR, found)
    except AttributeError:  # a session object that takes no attributes: probe again next time
        pass
    logger.info("Spark's Delta data source is %savailable", "" if found else "not ")
    return found


def check_readable_without_jars(path: str, table) -> None:
    """Refuse Delta tables whose active files are not plain parquet (deletion vectors, column mapping...).

    ``table`` is a ``deltalake.DeltaTable``. Raises ``UnsupportedDeltaTable`` naming the
    table, the feature and what to do.
    """
    protocol = table.protocol()
    config = table.metadata().configuration or {}
    problems = []
    features = set(protocol.reader_features or ())
    for feature in sorted(features - SAFE_READER_FEATURES):
        problems.append(f"reader feature {feature!r}")
    if str(config.get("delta.enableDeletionVectors", "false")).lower() == "true" and "deletionVectors" not in features:
        problems.append("delta.enableDeletionVectors=true")
    mapping = str(config.get("delta.columnMapping.mode", "none")).lower()
    if mapping != "none" and "reader feature 'columnMapping'" not in problems:
        problems.append(f"delta.columnMapping.mode={mapping}")
    if problems:
        raise UnsupportedDeltaTable(
            f"Delta table {path!r} uses {', '.join(problems)}: its rows cannot be read correctly as "
            "plain parquet files, and this Spark session has no Delta jars. Run on a session with "
            "the Delta jars (delta-spark on the classpath, Databricks) so Spark's native Delta reader "
            "is used, or rewrite the table without these features (e.g. REORG/ purge deletion vectors).")


def _spark_schema(table):
    from pyspark.sql.types import StructType

    return StructType.fromJson(json.loads(table.schema().to_json()))


def _read_delta(spark, path: str, version: int | str | None) -> tuple[Any, int]:
    from deltalake import DeltaTable

    from genesis_spark.delta.tables import resolve_version

    if delta_jars_available(spark):
        return _read_delta_native(spark, path, version)
    if not DeltaTable.is_deltatable(_local(path)):
        raise FileNotFoundError(f"No Delta table at {path!r}: the folder is missing or has no _delta_log.")
    resolved = resolve_version(_local(path), version)
    table = DeltaTable(_local(path), version=resolved)
    check_readable_without_jars(path, table)
    schema = _spark_schema(table)
    files = table.file_uris()
    partitions = list(table.metadata().partition_columns or [])
    if not files:
        return spark.createDataFrame([], schema), resolved
    reader = spark.read
    if partitions:  # partition values live in the folder names, not in the files
        from pyspark.sql import functions as F

        data_schema = type(schema)([f for f in schema.fields if f.name not in partitions])
        frame = reader.option("basePath", _local(path)).schema(data_schema).parquet(*files)
        frame = frame.select(*[F.col(f.name).cast(f.dataType).alias(f.name) for f in schema.fields])
    else:
        frame = reader.schema(schema).parquet(*files)
    logger.info("read Delta table %s version %d: %d files via delta-rs (no Delta jars)", path, resolved, len(files))
    return frame, resolved


def _read_delta_native(spark, path: str, version: int | str | None) -> tuple[Any, int | None]:
    """Spark's own Delta reader, pinned to the version resolved by delta-rs where it can open the table."""
    from genesis_spark.delta.tables import resolve_version

    try:
        resolved: int | None = resolve_version(_local(path), version)
    except ValueError:
        raise
    except Exception:  # noqa: BLE001 - remote storage delta-rs cannot reach (no credentials): let Spark resolve
        if not is_remote(path):
            raise
        if version is not None and not str(version).isdigit():
            raise ValueError(f"Cannot resolve tag {version!r} of {path!r}: delta-rs cannot open the table "
                             "here. Pass a version number.") from None
        resolved = int(version) if version is not None else None
    reader = spark.read.format("delta")
    if resolved is not None:
        reader = reader.option("versionAsOf", resolved)
    frame = reader.load(path)
    if resolved is None:
        resolved = _table_version(spark, f"delta.`{path}`")
    return frame, resolved


def catalog_table_exists(spark, name: str) -> bool | None:
    """Whether catalog table ``name`` exists: True, False, or None when the catalog cannot tell
    (unreachable or refusing the name); callers choose what an unknown answer means."""
    if not _IDENTIFIER.match(name):
        return False
    try:
        return bool(spark.catalog.tableExists(name))
    except Exception:  # noqa: BLE001 - the catalog's own error says nothing more useful here
        logger.debug("spark.catalog.tableExists(%r) failed", name, exc_info=True)
        return None


def catalog_table_location(spark, name: str) -> str | None:
    """The storage location of catalog table ``name`` from ``DESCRIBE TABLE EXTENDED``, or None.

    A relative location (pysail/Sail reports its warehouse folder relative to the server's working
    directory) is resolved against this process's working directory, which is right only when the
    Spark Connect server runs beside the client; callers check the result with delta-rs.
    """
    if not _IDENTIFIER.match(name):
        return None
    try:
        rows = spark.sql(f"DESCRIBE TABLE EXTENDED {name}").collect()
    except Exception:  # noqa: BLE001 - no such table, or an engine without DESCRIBE TABLE EXTENDED
        return None
    for row in rows:
        if str(row[0]).strip() == "Location" and row[1]:
            text = str(row[1]).strip()
            if is_remote(text):
                return text
            return str(Path(_local(text)).resolve())
    return None


def _table_version(spark, name: str) -> int | None:
    if not delta_jars_available(spark):
        return None
    try:
        rows = spark.sql(f"DESCRIBE HISTORY {name} LIMIT 1").select("version").collect()
        return int(rows[0][0]) if rows else None
    except Exception:  # noqa: BLE001 - not a Delta table, or an engine without DESCRIBE HISTORY (pysail)
        pass
    if name.startswith("delta.`") and name.endswith("`"):
        location: str | None = _local(name[len("delta.`"):-1])
    else:
        location = catalog_table_location(spark, name)
    if location is None:
        return None
    try:
        from genesis_spark.delta.tables import table_version

        return table_version(location)
    except Exception:  # noqa: BLE001 - a location delta-rs cannot open: no version to record
        return None


def csv_schema(inferred):
    """The schema a CSV file is read with: ``inferSchema``'s types mapped by the rule both engines follow.

    ``genesis_spark.core.csv_types``: integers as ``LongType`` (never ``IntegerType``),
    timestamps and integers beyond 64 bits (``DecimalType``) as ``StringType``, dates kept as
    ``DateType``; names are kept as written. Example::

        csv_schema(spark.read.option("header", "true").option("inferSchema", "true").csv(path).schema)
    """
    from pyspark.sql.types import StructType

    fields = []
    for f in inferred.fields:
        target = SPARK_CSV_TYPES.get(f.dataType.typeName())
        fields.append({**f.jsonValue(), "type": target} if target else f.jsonValue())
    return StructType.fromJson({"type": "struct", "fields": fields})


#: The column Spark puts a malformed CSV record's text into (PERMISSIVE mode) for the ragged-row job.
_CORRUPT = "_genesis_corrupt_record"
#: At most this many ragged rows are collected to count them (the message then says "or more").
_COUNT_CAP = 1000


def check_csv_rows_spark(spark, path: str, header_fields: int, options: Mapping[str, str] | None = None,
                         limit: int = 5) -> None:
    """Ragged rows of a CSV folder or remote file, found by one Spark job; ValueError (one line) if any.

    Spark's own parser (its quote and escape rules) reads every row against a schema of
    ``header_fields`` text columns; rows with another field count are the malformed records
    (PERMISSIVE mode puts their text aside), counted, and the first few named with their file
    and field count (Spark knows no line numbers). Local files are checked on the driver
    instead (``genesis_spark.core.csv_types.check_csv_rows``), with line numbers.
    """
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    dialect = csv_dialect(options, "spark")
    if dialect is None:
        return
    schema = StructType([StructField(f"_c{i}", StringType()) for i in range(header_fields)]
                        + [StructField(_CORRUPT, StringType())])
    frame = (spark.read.options(**(options or {})).option("header", "true").option("enforceSchema", "true")
             .option("mode", "PERMISSIVE").option("columnNameOfCorruptRecord", _CORRUPT)
             .schema(schema).csv(path))
    # Every column: with fewer, Spark's column pruning parses (and checks) only those fields.
    bad = frame.select(F.input_file_name().alias("file"), *frame.columns).where(F.col(_CORRUPT).isNotNull())
    # Counted on the driver from a bounded collect: a count() would read the corrupt-record column alone,
    # which Spark refuses for raw CSV.
    offenders = bad.limit(_COUNT_CAP).collect()
    if not offenders:
        return
    file = offenders[0]["file"]
    mine = [r[_CORRUPT] for r in offenders if r["file"] == file]
    first = tuple((record, count_fields(record, dialect)) for record in mine[:limit])
    raise ValueError(ragged_message(str(file), RaggedRows(header_fields, len(mine), first),
                                    at_least=len(offenders) == _COUNT_CAP))


def read_source(spark, path_or_table: str | Path, format: str | None = None,
                version: int | str | None = None,
                options: Mapping[str, Any] | None = None) -> tuple[Any, SourceInfo]:
    """Read a CSV file, Parquet file/folder, Delta table (path) or catalog table into Spark.

    ``format`` is inferred when None: an existing local path by its ``_delta_log`` folder or
    suffix, else a name registered in the session catalog (``catalog.schema.table``).
    ``version`` (Delta only) is a version number or a tag (see
    ``genesis_spark.delta.resolve_version``); the version actually read is returned in
    ``SourceInfo`` for lineage. CSV is read with ``header`` and ``inferSchema`` (override
    through ``options``), its inferred types mapped by ``csv_schema``: the pandas engine reads
    the same file with the same column types.

    Example::

        df, info = read_source(spark, "lake/transactions", version=3)
        info.version   # 3
    """
    text = str(path_or_table)
    opts = {str(k): str(v) for k, v in (options or {}).items()}
    if format is not None and format not in SOURCE_FORMATS:
        raise ValueError(f"Unknown source format {format!r}; use one of {', '.join(SOURCE_FORMATS)}.")
    if version is not None and format not in (None, "delta", "table"):
        raise ValueError(f"version={version!r} applies to Delta sources only, not format {format!r}.")
    fmt = format
    if fmt is None:
        local_missing = not is_remote(text) and not Path(_local(text)).exists()
        if local_missing and catalog_table_exists(spark, text):
            fmt = "table"
        else:
            fmt = infer_format(text)
    elif fmt != "table" and not is_remote(text) and not Path(_local(text)).exists():
        raise FileNotFoundError(f"Source {text!r} ({fmt}) does not exist (resolved to "
                                f"{Path(_local(text)).resolve()}). Check the path.")
    if fmt == "csv":
        if not any(k.lower() == "escape" for k in opts):
            opts = {**opts, **CSV_QUOTE_ESCAPE}
        if not is_remote(text):
            check_csv_file(_local(text))
        first = spark.read.option("header", "false").options(**opts).csv(text).first()
        check_unique_columns(list(first) if first is not None else [], f"CSV file {text!r}")
        if not is_remote(text) and Path(_local(text)).is_file():
            check_csv_rows(_local(text), opts, engine="spark")
        elif first is not None:
            check_csv_rows_spark(spark, text, len(first), opts)
        reader = spark.read.option("header", "true").option("inferSchema", "true").options(**opts)
        schema = csv_schema(reader.csv(text).schema)
        return reader.schema(schema).csv(text), SourceInfo(text, "csv", None)
    if fmt == "parquet":
        return spark.read.options(**opts).parquet(text), SourceInfo(text, "parquet", None)
    if fmt == "delta":
        frame, resolved = _read_delta(spark, text, version)
        return frame, SourceInfo(text, "delta", resolved)
    if not catalog_table_exists(spark, text):
        raise ValueError(f"Table {text!r} is not in the Spark catalog (spark.catalog.tableExists is False). "
                         "Check the name (catalog.schema.table), or pass a path and its format.")
    reader = spark.read.options(**opts)
    if version is not None:
        if not delta_jars_available(spark):
            raise ValueError(f"Reading version {version!r} of catalog table {text!r} needs Spark's Delta "
                             "data source (the Delta jars); read the table's path instead.")
        frame = reader.option("versionAsOf", int(version)).table(text)
        return frame, SourceInfo(text, "table", int(version))
    return reader.table(text), SourceInfo(text, "table", _table_version(spark, text))
