"""The Databricks Asset Bundle parses, names files that exist, and runs a valid Unity Catalog pipeline."""
from __future__ import annotations

import ast
import fnmatch
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BUNDLE_DIR = ROOT / "deploy" / "databricks"
UC_CONFIG = BUNDLE_DIR / "conf" / "fraud_augmentation_uc.yaml"


@pytest.fixture(scope="module")
def bundle() -> dict:
    return yaml.safe_load((BUNDLE_DIR / "databricks.yml").read_text(encoding="utf-8"))


def _resolve_vars(value, variables: dict):
    """Substitute ``${var.X}`` with the variable's default (what `bundle validate` does for the default target)."""
    if isinstance(value, str):
        return re.sub(r"\$\{var\.(\w+)\}", lambda m: str(variables[m.group(1)]["default"]), value)
    return value


def _setup_entry_points() -> dict[str, str]:
    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "entry_points":
            scripts = ast.literal_eval(node.value)["console_scripts"]
            return dict(s.replace(" ", "").split("=", 1) for s in scripts)
    raise AssertionError("setup.py has no entry_points")


def _wheel_tasks(bundle: dict):
    for job_key, job in bundle["resources"]["jobs"].items():
        for task in job["tasks"]:
            if "python_wheel_task" in task:
                yield job_key, job, task


def test_bundle_has_name_artifact_jobs_and_targets(bundle):
    assert bundle["bundle"]["name"] == "genesis_spark"
    assert set(bundle["targets"]) >= {"dev", "prod"}
    assert bundle["targets"]["prod"]["mode"] == "production"
    (artifact,) = bundle["artifacts"].values()
    assert artifact["type"] == "whl"
    assert (BUNDLE_DIR / artifact["path"] / "setup.py").is_file(), "artifact path must hold setup.py"
    assert "--wheel" in artifact["build"] and "dist" in artifact["build"]
    assert {job for job, _, _ in _wheel_tasks(bundle)} == {"genesis_augment", "genesis_augment_serverless"}


def test_every_variable_reference_is_defined(bundle):
    text = (BUNDLE_DIR / "databricks.yml").read_text(encoding="utf-8")
    used = set(re.findall(r"\$\{var\.(\w+)\}", text))
    assert used <= set(bundle["variables"]), used - set(bundle["variables"])


def test_wheel_tasks_call_the_job_entry_point_with_config_and_run_id(bundle):
    scripts = _setup_entry_points()
    for job_key, job, task in _wheel_tasks(bundle):
        wheel_task = task["python_wheel_task"]
        assert wheel_task["package_name"] == "genesis_spark"
        assert scripts.get(wheel_task["entry_point"]) == "genesis_spark.job:run", (
            f"{job_key}: setup.py console_scripts needs "
            f"'{wheel_task['entry_point']}=genesis_spark.job:run' (has {scripts})")
        params = wheel_task["parameters"]
        assert params[params.index("--config") + 1] == "{{job.parameters.config}}"
        assert params[params.index("--run-id") + 1] == "{{job.parameters.run_id}}"
        job_params = {p["name"]: p["default"] for p in job["parameters"]}
        assert set(job_params) == {"config", "run_id"}
        assert job_params["run_id"] == "{{job.run_id}}"


def test_classic_job_has_gpu_driver_and_cpu_workers(bundle):
    variables = bundle["variables"]
    job = bundle["resources"]["jobs"]["genesis_augment"]
    (cluster,) = job["job_clusters"]
    spec = {k: _resolve_vars(v, variables) for k, v in cluster["new_cluster"].items()}
    assert "gpu-ml" in spec["spark_version"]
    assert spec["driver_node_type_id"].startswith(("g", "p")), spec["driver_node_type_id"]
    assert not spec["node_type_id"].startswith(("g", "p")), "workers are CPU nodes"
    assert int(spec["num_workers"]) >= 1
    (task,) = job["tasks"]
    assert task["job_cluster_key"] == cluster["job_cluster_key"]
    (library,) = task["libraries"]
    _assert_points_at_built_wheel(bundle, library["whl"])


def test_serverless_job_installs_the_wheel_in_its_environment(bundle):
    job = bundle["resources"]["jobs"]["genesis_augment_serverless"]
    assert "job_clusters" not in job
    envs = {env["environment_key"]: env["spec"] for env in job["environments"]}
    (task,) = job["tasks"]
    spec = envs[task["environment_key"]]
    assert spec.get("environment_version") or spec.get("client")
    (dependency,) = spec["dependencies"]
    _assert_points_at_built_wheel(bundle, dependency)


def _assert_points_at_built_wheel(bundle: dict, pattern: str) -> None:
    (artifact,) = bundle["artifacts"].values()
    outdir = artifact["build"].split("--outdir", 1)[1].split()[0]
    expected_dir = (BUNDLE_DIR / artifact["path"] / outdir).resolve()
    assert (BUNDLE_DIR / pattern).parent.resolve() == expected_dir, (pattern, expected_dir)
    assert fnmatch.fnmatch("genesis_spark-0.1.0-py3-none-any.whl", Path(pattern).name)


def test_config_default_is_a_synced_file_that_exists(bundle):
    default = bundle["variables"]["config_path"]["default"]
    relative = default.replace("${workspace.file_path}/", "")
    assert (BUNDLE_DIR / relative).resolve() == UC_CONFIG and UC_CONFIG.is_file()
    assert any(fnmatch.fnmatch(relative, pattern) for pattern in bundle["sync"]["include"])


def _bundle_overrides(bundle: dict) -> list[str]:
    params = bundle["resources"]["jobs"]["genesis_augment"]["tasks"][0]["python_wheel_task"]["parameters"]
    return [_resolve_vars(params[i + 1], bundle["variables"]) for i, p in enumerate(params) if p == "--set"]


def test_uc_pipeline_validates_with_spark_engine_native_sink_and_catalog_tables(bundle):
    from genesis_spark.cli import main as genesis
    from genesis_spark.pipeline.yaml_config import load_pipeline

    overrides = _bundle_overrides(bundle)
    assert genesis(["pipeline", "validate", str(UC_CONFIG)] + [a for o in overrides for a in ("--set", o)]) == 0
    pipeline = load_pipeline(UC_CONFIG, overrides)
    assert pipeline.engine == "spark" and pipeline.sink == "native"
    # Unity Catalog names stay names (not paths resolved against the YAML's folder).
    assert pipeline.steps[0].name == "load_delta"
    assert pipeline.steps[0]["path"] == "main.fraud.transactions"
    assert pipeline.table_path("augmented_train") == "main.fraud.augmented_train"
