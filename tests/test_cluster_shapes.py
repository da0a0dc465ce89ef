"""Cluster shapes beyond ``local[*]``: a Spark standalone cluster and a Spark Connect server, on this machine.

Both are started from the pinned pyspark (``pyspark/bin/spark-class``, the jars pyspark ships,
the Connect server included) bound to 127.0.0.1 and stopped by the fixtures. One master and
two workers form the standalone cluster; the Connect server runs a ``local[2]`` Spark. The job
(``augment_spark`` with a seed, small data, one epoch) runs in a subprocess per shape (a JVM
holds one SparkContext, and this process already has the classic ``local[2]`` session of
``conftest.py``), which writes the synthetic rows to parquet; they must equal the rows
``local[2]`` gives in this process for the same seed.

Marked slow: four extra JVMs (master, two workers, the cluster's driver and executors, or the
Connect server) take minutes, not seconds, on a two-core machine (``make test-all`` runs them).
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

pyspark = pytest.importorskip("pyspark")
pytestmark = pytest.mark.slow

from genesis_spark.datasets import DISCRETE_COLUMNS, TARGET_COLUMN, make_transactions  # noqa: E402
from genesis_spark.spark.sampling import ORDER_COLUMNS  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SPARK_HOME = Path(pyspark.__file__).resolve().parent
CONFIG = {"epochs": 1, "batch_size": 100, "device": "cpu", "block_size": 256}
SEED = 11
START_TIMEOUT = 120

#: The job each shape runs: argv = (master or sc:// URL, output parquet path).
_SCRIPT = r'''
import json, sys
import pandas as pd
target, out = sys.argv[1], sys.argv[2]
from pyspark.sql import SparkSession
if target.startswith("sc://"):
    spark = SparkSession.builder.remote(target).getOrCreate()
else:
    from genesis_spark.spark.session import get_spark
    spark = get_spark(target, {"spark.executor.memory": "1g", "spark.executor.cores": "1", "spark.cores.max": "2"})
from genesis_spark.datasets import DISCRETE_COLUMNS, TARGET_COLUMN, make_transactions
from genesis_spark.spark.augment import augment_spark
from genesis_spark.spark.sampling import ORDER_COLUMNS
config, seed = json.loads(sys.argv[3]), int(sys.argv[4])
frame = spark.createDataFrame(make_transactions(1500, fraud_rate=0.05, seed=5))
result = augment_spark(frame, TARGET_COLUMN, 0.1, discrete_columns=list(DISCRETE_COLUMNS), config=config, seed=seed)
rows = result.synthetic.toPandas().sort_values(list(ORDER_COLUMNS)).reset_index(drop=True)
rows.attrs.clear()  # Spark Connect's toPandas leaves its plan metrics there, which parquet cannot store
rows.to_parquet(out)
spark.stop()
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYSPARK_GATEWAY", "SPARK_"))}
    path = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env.update(SPARK_HOME=str(SPARK_HOME), SPARK_LOCAL_IP="127.0.0.1", PYSPARK_PYTHON=sys.executable,
               PYSPARK_DRIVER_PYTHON=sys.executable, PYTHONPATH=path, SPARK_NO_DAEMONIZE="1")
    return env


def _start(args: list[str], log: Path) -> subprocess.Popen:
    handle = log.open("wb")
    return subprocess.Popen(args, env=_env(), stdout=handle, stderr=subprocess.STDOUT, cwd=log.parent)


def _wait_for(proc: subprocess.Popen, log: Path, text: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if text in log.read_text(errors="replace"):
            return
        if proc.poll() is not None:
            pytest.fail(f"{log.name} exited ({proc.returncode}) before {text!r}:\n{log.read_text()[-3000:]}")
        time.sleep(0.5)
    pytest.fail(f"no {text!r} in {log.name} after {START_TIMEOUT} s:\n{log.read_text()[-3000:]}")


def _stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def standalone(tmp_path_factory):
    """``spark://127.0.0.1:<port>``: a master and two one-core workers, stopped after the module."""
    folder = tmp_path_factory.mktemp("standalone")
    spark_class = str(SPARK_HOME / "bin" / "spark-class")
    port = _free_port()
    url = f"spark://127.0.0.1:{port}"
    procs = [_start([spark_class, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port",
                     str(port), "--webui-port", str(_free_port())], folder / "master.log")]
    try:
        _wait_for(procs[0], folder / "master.log", "I have been elected leader")
        for i in range(2):
            work = folder / f"work{i}"
            work.mkdir()
            procs.append(_start([spark_class, "org.apache.spark.deploy.worker.Worker", url, "--host", "127.0.0.1",
                                 "--cores", "1", "--memory", "1536m", "--webui-port", str(_free_port()),
                                 "--work-dir", str(work)], folder / f"worker{i}.log"))
        for i, proc in enumerate(procs[1:]):
            _wait_for(proc, folder / f"worker{i}.log", "Successfully registered with master")
        yield url
    finally:
        _stop(procs)


@pytest.fixture(scope="module")
def connect_server(tmp_path_factory):
    """``sc://127.0.0.1:<port>``: a Spark Connect server (``local[2]``) from the pinned pyspark's jars."""
    folder = tmp_path_factory.mktemp("connect")
    port = _free_port()
    args = [str(SPARK_HOME / "bin" / "spark-submit"), "--class", "org.apache.spark.sql.connect.service.SparkConnectServer",
            "--master", "local[2]", "--conf", "spark.connect.grpc.binding.address=127.0.0.1",
            "--conf", f"spark.connect.grpc.binding.port={port}", "--conf", "spark.ui.enabled=false",
            "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.sql.session.timeZone=UTC",
            "--conf", "spark.sql.shuffle.partitions=2", "--conf", f"spark.sql.warehouse.dir={folder / 'warehouse'}"]
    proc = _start(args, folder / "connect.log")
    try:
        _wait_for(proc, folder / "connect.log", "Spark Connect server started")
        yield f"sc://127.0.0.1:{port}"
    finally:
        _stop([proc])


@pytest.fixture(scope="module")
def local_rows(spark):
    """The synthetic rows of the job on this process's ``local[2]`` session."""
    from genesis_spark.spark.augment import augment_spark

    frame = spark.createDataFrame(make_transactions(1500, fraud_rate=0.05, seed=5))
    result = augment_spark(frame, TARGET_COLUMN, 0.1, discrete_columns=list(DISCRETE_COLUMNS), config=CONFIG,
                           seed=SEED)
    return result.synthetic.toPandas().sort_values(list(ORDER_COLUMNS)).reset_index(drop=True)


def _run_job(target: str, out: Path) -> pd.DataFrame:
    import json

    done = subprocess.run([sys.executable, "-c", _SCRIPT, target, str(out), json.dumps(CONFIG), str(SEED)],
                          env=_env(), cwd=out.parent, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    return pd.read_parquet(out)


def test_a_standalone_cluster_gives_the_same_synthetic_rows_as_local(standalone, local_rows, tmp_path):
    rows = _run_job(standalone, tmp_path / "standalone.parquet")
    assert len(rows) > 0
    pd.testing.assert_frame_equal(rows, local_rows)


def test_spark_connect_gives_the_same_synthetic_rows_as_local(connect_server, local_rows, tmp_path):
    rows = _run_job(connect_server, tmp_path / "connect.parquet")
    assert len(rows) > 0
    pd.testing.assert_frame_equal(rows, local_rows)
