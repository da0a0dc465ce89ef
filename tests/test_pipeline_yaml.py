"""YAML pipelines: same step objects, validation with step index/name/line, overrides, relative paths."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from genesis_spark.pipeline import PipelineConfigError, load_pipeline, steps

TUTORIAL_YAML = Path(__file__).parent / "data" / "tutorial_pipeline.yaml"


def _write(tmp_path, text):
    path = tmp_path / "p.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_tutorial_yaml_builds_the_same_steps_as_python_with_paths_beside_the_file():
    pipeline = load_pipeline(TUTORIAL_YAML)
    assert pipeline.name == "fraud_data_augmentation" and pipeline.engine == "spark"  # the YAML default
    assert [s.name for s in pipeline.steps] == ["load_csv", "augment_imbalanced", "evaluate", "privacy_audit",
                                               "save_csv", "save_versioned"]
    assert pipeline.steps[0]["path"] == str(TUTORIAL_YAML.parent / "data" / "transactions.csv")
    python = steps.augment_imbalanced(target_column="is_fraud", ratio=0.3, strategy="oversample",
                                      discrete_columns=["merchant_category", "hour", "day_of_week"],
                                      config={"epochs": 300})
    assert pipeline.steps[1].values == python.values
    assert pipeline.steps[2]["fail_on_low_score"] is True and pipeline.steps[3]["fail_on_low_score"] is False


def test_overrides_by_step_name_index_and_top_level_key(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    pipeline = load_pipeline(TUTORIAL_YAML, ["augment_imbalanced.config.epochs=5", "3.min_score=0.5",
                                             "lakehouse=lake", "seed=9", "save_csv.path=out.csv"])
    assert pipeline.steps[1]["config"] == {"epochs": 5}
    assert pipeline.steps[2]["min_score"] == 0.5
    assert pipeline.lakehouse == str(tmp_path / "lake") and pipeline.seed == 9
    assert pipeline.steps[4]["path"] == str(tmp_path / "out.csv")  # --set paths: relative to the cwd


@pytest.mark.parametrize("override, message", [
    ("augment_imbalanced.ratio=high", "'ratio' must be number"),
    ("evaluat.min_score=0.5", "Did you mean 'evaluate'"),
    ("9.path=x", "there is no step 9"),
    ("epochs", "expected KEY=VALUE"),
])
def test_bad_overrides_are_clear_errors(override, message):
    with pytest.raises(PipelineConfigError, match=message):
        load_pipeline(TUTORIAL_YAML, [override])


def test_unknown_step_names_line_index_and_close_name(tmp_path):
    path = _write(tmp_path, """\
        name: p
        steps:
          - load_csv:
              path: x.csv
          - evalute:
              min_score: 0.8
        """)
    with pytest.raises(PipelineConfigError, match=r"p.yaml line 5, step 2 'evalute': unknown step. Did you mean 'evaluate'"):
        load_pipeline(path)


@pytest.mark.parametrize("params, message", [
    ("target_column: is_fraud\n      ratio: 0.3\n      ration: 2", "line 4, step 2 'augment_imbalanced': unknown parameter 'ration'"),
    ("target_column: is_fraud", "line 4, step 2 'augment_imbalanced': missing required parameter 'ratio'"),
    ("target_column: is_fraud\n      ratio: [0.3]", "parameter 'ratio' must be number, got list"),
    ("target_column: is_fraud\n      ratio: 0.3\n      strategy: smot", "'strategy' must be one of 'oversample'"),
])
def test_parameter_errors_name_the_step_and_line(tmp_path, params, message):
    path = _write(tmp_path, f"""\
name: p
steps:
  - load_csv: {{path: x.csv}}
  - augment_imbalanced:
      {params}
""")
    with pytest.raises(PipelineConfigError, match=message):
        load_pipeline(path)


def test_yaml_syntax_error_gives_the_line(tmp_path):
    path = _write(tmp_path, """\
        name: p
        steps:
          - load_csv:
              path: [x.csv
          - analyze: {}
        """)
    with pytest.raises(PipelineConfigError, match=r"p.yaml line \d+: YAML syntax error"):
        load_pipeline(path)


def test_unknown_engine_and_top_level_key_are_rejected(tmp_path):
    with pytest.raises(PipelineConfigError, match=r"line 2: unknown engine 'dask'; use one of: pandas, spark"):
        load_pipeline(_write(tmp_path, "name: p\nengine: dask\nsteps:\n  - load_csv: {path: x.csv}\n"))
    with pytest.raises(PipelineConfigError, match=r"unknown top-level key 'step'. Did you mean 'steps'"):
        load_pipeline(_write(tmp_path, "name: p\nstep:\n  - load_csv: {path: x.csv}\n"))


def test_step_reference_lists_every_parameter_spec():
    reference = {s["name"]: s for s in steps.reference()}
    assert {"load_csv", "augment_imbalanced", "evaluate", "privacy_audit", "save_versioned", "split",
            "compare_models", "report_html", "load_delta", "save_delta", "load_generator"} <= set(reference)
    ratio = next(p for p in reference["augment_imbalanced"]["params"] if p["name"] == "ratio")
    assert ratio["required"] is True and ratio["type"] == "number" and ratio["doc"]
