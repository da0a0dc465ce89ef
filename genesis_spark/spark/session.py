"""Spark sessions: an embedded local default, or the cluster's own session."""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Mapping

# Settings measured to make local sessions start and run fast (DESIGN.md section 7).
LOCAL_DEFAULTS: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "2",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.sql.catalogImplementation": "in-memory",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.execution.arrow.maxRecordsPerBatch": "10000",
    "spark.driver.memory": "4g",
}


def active_session():
    """The SparkSession already running in this process (cluster, Databricks, Connect), or None."""
    from pyspark.sql import SparkSession

    return SparkSession.getActiveSession()


def get_spark(master: str | None = None, conf: Mapping[str, str] | None = None,
              warehouse: str | Path | None = None, app_name: str = "genesis_spark"):
    """Return a SparkSession.

    An existing session (spark-submit, Databricks, Spark Connect) is returned as is,
    with ``conf`` applied where it is settable at run time. Otherwise an embedded
    local session is started: ``master`` (default ``local[*]``, or ``$GENESIS_SPARK_MASTER``),
    the fast local settings above, a local warehouse folder, and ``PYSPARK_PYTHON``
    set to this interpreter so UDF workers see the same packages.

    Example::

        spark = get_spark()                                   # local[*]
        spark = get_spark("local[2]", {"spark.sql.shuffle.partitions": "4"})
    """
    from pyspark.sql import SparkSession

    existing = active_session()
    if existing is not None and master is None:
        for key, value in (conf or {}).items():
            try:
                existing.conf.set(key, value)
            except Exception:  # static confs cannot change on a running session
                pass
        return existing

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    if master is None and "PYSPARK_GATEWAY_PORT" in os.environ:
        # Launched by spark-submit: its --master and --conf decide.
        builder = SparkSession.builder.appName(app_name)
    else:
        builder = SparkSession.builder.appName(app_name).master(
            master or os.environ.get("GENESIS_SPARK_MASTER", "local[*]"))
        for key, value in LOCAL_DEFAULTS.items():
            builder = builder.config(key, value)
        warehouse = Path(warehouse or os.environ.get("GENESIS_SPARK_WAREHOUSE", "spark-warehouse")).resolve()
        builder = builder.config("spark.sql.warehouse.dir", str(warehouse))
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


#: Sessions whose executors were seen importing genesis_spark (checked once per session).
_EXECUTORS_CHECKED: set[int] = set()


def _report_version(batches):
    """Runs on an executor: unpickling this function imports genesis_spark there (the point of the probe)."""
    import pandas as pd

    from genesis_spark.version import __version__

    for _ in batches:
        yield pd.DataFrame({"version": [__version__]})


def check_executors_import(spark) -> None:
    """One tiny task before any training: can the executors import genesis_spark?

    Without ``PYSPARK_PYTHON`` (own SparkSession) or the wheel on the cluster, the executors
    fail much later, inside the sampling tasks, with a long Java trace. This fails first, in one
    line that says what to do. Checked once per session.
    """
    if id(spark) in _EXECUTORS_CHECKED:
        return
    try:
        spark.range(1, numPartitions=1).mapInPandas(_report_version, "version string").collect()
    except Exception as exc:  # noqa: BLE001 - Py4J / Connect errors carry the worker's traceback as text
        text = str(exc)
        if "ModuleNotFoundError" in text or "No module named" in text:
            names = re.findall(r"No module named '([\w.]+)'", text)
            missing = names[-1] if names else "genesis_spark"
            raise ImportError(
                f"The Spark executors cannot import {missing!r} (their Python is not this one, {sys.executable}): "
                "set PYSPARK_PYTHON to this interpreter before starting your SparkSession, or install the "
                "genesis_spark wheel on the cluster (README: 'Running on a cluster and on Databricks').") from None
        raise
    _EXECUTORS_CHECKED.add(id(spark))
