"""bench/bench_scale_job.py's own pieces (no Spark): the YAML it runs is a valid pipeline, its ratio asks for
the requested number of synthetic rows, and its memory sampler sees the process tree."""
from __future__ import annotations

import os

from _bench_tables import load_bench_module


def _bench():
    return load_bench_module("bench_scale_job")


def test_bench_yaml_is_the_pipeline_users_run(tmp_path):
    from genesis_spark.pipeline.yaml_config import load_pipeline

    bench = _bench()
    path = tmp_path / "job.yaml"
    path.write_text(bench.pipeline_yaml(tmp_path / "t.parquet", tmp_path / "lake", 0.1289, 10, 50_000))
    pipeline = load_pipeline(path)
    assert pipeline.engine == "spark"
    assert [s.name for s in pipeline.steps] == ["load_parquet", "analyze", "split", "augment_imbalanced"]
    augment = pipeline.steps[-1]
    assert augment["ratio"] == 0.1289
    assert augment["config"] == {"epochs": 10, "max_training_rows": 50_000}
    assert pipeline.lakehouse == str(tmp_path / "lake")


def test_ratio_asks_for_the_requested_synthetic_rows():
    from genesis_spark.core.plan import plan_augmentation

    bench = _bench()
    ratio = bench.ratio_for(10_000_000, 0.02, 1_000_000)
    plan = plan_augmentation({0: 7_840_000, 1: 160_000}, "is_fraud", ratio)
    assert abs(plan.n_synthetic - 1_000_000) <= 1


def test_memory_sampler_reads_this_process():
    bench = _bench()
    sampler = bench.MemorySampler(interval=0.01).start()
    import time

    time.sleep(0.1)
    sampler.stop()
    python, jvm, workers = sampler.peaks(0.0, float("inf"))
    assert python > 10  # MB: this interpreter
    assert jvm >= 0 and workers >= 0
    assert os.getpid() not in {pid for pid, _ in bench._descendants(os.getpid())}
