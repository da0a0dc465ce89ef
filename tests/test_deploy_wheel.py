"""The wheel: built from a copy of the sources, it carries the console scripts that a
shell user and a Databricks ``python_wheel_task`` run, and does not hard-require pyspark."""
from __future__ import annotations

import configparser
import importlib
import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Entry points the deployments rely on: the CLI, and the job function the Databricks
#: bundle (deploy/databricks/databricks.yml) names as its python_wheel_task entry_point.
REQUIRED_SCRIPTS = {
    "genesis": "genesis_spark.cli:main",
    "genesis-augment": "genesis_spark.job:run",
}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """Build the wheel from a staged copy (the working tree is left untouched)."""
    stage = tmp_path_factory.mktemp("wheel_src")
    shutil.copy2(ROOT / "setup.py", stage / "setup.py")
    for extra in ("README.md", "MANIFEST.in", "pyproject.toml", "setup.cfg"):
        if (ROOT / extra).exists():
            shutil.copy2(ROOT / extra, stage / extra)
    shutil.copytree(ROOT / "genesis_spark", stage / "genesis_spark",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path_factory.mktemp("wheel_out")
    proc = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out),
                           str(stage)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    wheels = list(out.glob("genesis_spark-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def _dist_info(whl: Path, name: str) -> str:
    with zipfile.ZipFile(whl) as zf:
        (member,) = [n for n in zf.namelist() if n.endswith(f".dist-info/{name}")]
        return zf.read(member).decode("utf-8")


def test_wheel_declares_cli_and_job_entry_points(wheel):
    parser = configparser.ConfigParser()
    parser.read_string(_dist_info(wheel, "entry_points.txt"))
    scripts = {k: v.strip() for k, v in parser["console_scripts"].items()}
    for name, target in REQUIRED_SCRIPTS.items():
        assert scripts.get(name) == target, (
            f"console script {name!r} should be {target!r}; setup.py entry_points has {scripts}")


def test_entry_point_targets_are_in_the_wheel_and_callable(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    for target in REQUIRED_SCRIPTS.values():
        module, func = target.split(":")
        assert module.replace(".", "/") + ".py" in names, f"{module} is not packaged in {wheel.name}"
        assert callable(getattr(importlib.import_module(module), func))


def test_pyspark_is_only_an_optional_extra(wheel):
    meta = Parser().parsestr(_dist_info(wheel, "METADATA"))
    requires = meta.get_all("Requires-Dist") or []
    hard = [r for r in requires if "extra ==" not in r]
    assert hard, "the wheel should declare its runtime dependencies"
    assert not [r for r in hard if r.lower().startswith(("pyspark", "delta-spark", "mlflow"))], hard
    spark_extra = [r for r in requires if "extra == \"spark\"" in r or "extra == 'spark'" in r]
    assert any(r.lower().startswith("pyspark") for r in spark_extra), requires
    assert "spark" in (meta.get_all("Provides-Extra") or [])


def test_wheel_is_pure_python_and_has_no_tests_or_jobs_folder(wheel):
    assert wheel.name.endswith("-py3-none-any.whl")
    with zipfile.ZipFile(wheel) as zf:
        top = {n.split("/")[0] for n in zf.namelist()}
    assert top == {"genesis_spark", "genesis_spark-0.1.0.dist-info"}, top
