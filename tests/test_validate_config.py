"""`validate` and `run` check every nested value before the engine starts: unknown config keys (with a
suggestion), types and ranges, from the YAML file and from --set overrides alike."""
from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from genesis_spark import cli, docs_gen
from genesis_spark.core.plan import AUGMENT_CONFIG_KEYS, check_augment_config
from genesis_spark.pipeline import PipelineConfigError, load_pipeline, steps
from genesis_spark.pipeline.params import ParameterError, Range
from genesis_spark.pipeline.pipeline import Pipeline

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_YAML = ROOT / "conf" / "fraud_augmentation_pipeline.yaml"
TUTORIAL_YAML = ROOT / "tests" / "data" / "tutorial_pipeline.yaml"


def _error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    lines = [line for line in err if line.startswith("genesis: error:")]
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize("override, message", [
    ("augment_imbalanced.config.epoch=5", "step 3 'augment_imbalanced': config has an unknown key 'epoch'. "
                                          "Did you mean 'epochs'? Accepted keys: batch_size, block_size,"),
    ("augment_imbalanced.ratio=1.5", "step 3 'augment_imbalanced': ratio must be strictly between 0 and 1 "
                                     "(the minority share wanted in the output), got 1.5."),
    ("augment_imbalanced.ratio=0", "step 3 'augment_imbalanced': ratio must be strictly between 0 and 1 "
                                   "(the minority share wanted in the output), got 0.0."),
    ("augment_imbalanced.ratio=1", "step 3 'augment_imbalanced': ratio must be strictly between 0 and 1 "
                                   "(the minority share wanted in the output), got 1.0."),
    ("augment_imbalanced.config.epochs=abc", "step 3 'augment_imbalanced': config['epochs'] must be a positive "
                                             "int, got 'abc'."),
    ("augment_imbalanced.config.epochs=-3", "step 3 'augment_imbalanced': config['epochs'] must be a positive "
                                            "int, got -3."),
    ("augment_imbalanced.config.colour=red", "step 3 'augment_imbalanced': config has an unknown key 'colour'."),
    ("evaluate.min_score=2.0", "step 4 'evaluate': parameter 'min_score' must be in [0, 1], got 2.0."),
    ("split.test_size=1.5", "step 2 'split': parameter 'test_size' must be in (0, 1), got 1.5."),
])
def test_validate_exits_1_with_one_line_naming_file_line_step_and_value(override, message, capsys):
    assert cli.main(["pipeline", "validate", str(SHIPPED_YAML), "--set", override]) == 1
    line = _error_line(capsys)
    assert line.startswith(f"genesis: error: {SHIPPED_YAML} line ")
    assert message in line
    assert "valid pipeline" not in capsys.readouterr().out


@pytest.mark.parametrize("params, message", [
    ("ratio: 0", "ratio must be strictly between 0 and 1 (the minority share wanted in the output), got 0.0."),
    ("ratio: 1", "ratio must be strictly between 0 and 1 (the minority share wanted in the output), got 1.0."),
    ("ratio: .nan", "ratio must be strictly between 0 and 1"),
    ("ratio: 0.3\n      config: {epochs: ten}", "config['epochs'] must be a positive int, got 'ten'."),
    ("ratio: 0.3\n      config: {epochs: -3}", "config['epochs'] must be a positive int, got -3."),
    ("ratio: 0.3\n      config: {epohcs: 3}", "unknown key 'epohcs'. Did you mean 'epochs'?"),
    ("ratio: 0.3\n      config: {min_realsm: 0.1}", "unknown key 'min_realsm'. Did you mean 'min_realism'?"),
    ("ratio: 0.3\n      config: {batch_size: 0}", "config['batch_size'] must be a positive int, got 0."),
    ("ratio: 0.3\n      config: {batch_size: 505}", "config['batch_size']=505 must be even and a multiple of pac=10"),
    ("ratio: 0.3\n      config: {lr: 0}", "config['lr'] (it sets generator_lr and discriminator_lr) must be a "
                                          "number > 0"),
    ("ratio: 0.3\n      config: {generator_lr: -0.1}", "config['generator_lr'] must be a number > 0"),
    ("ratio: 0.3\n      config: {min_realism: 1.5}", "config['min_realism'] must be a number in [0, 1]"),
    ("ratio: 0.3\n      config: {min_dcr: -1}", "config['min_dcr'] must be a number >= 0"),
    ("ratio: 0.3\n      config: {block_size: abc}", "config['block_size'] must be an integer >= 1, got 'abc'."),
    ("ratio: 0.3\n      config: {headroom: 0.5}", "config['headroom'] must be a number >= 1, got 0.5."),
    ("ratio: 0.3\n      config: {identifier_columns: keep}", "config['identifier_columns'] must be one of 'fresh', "
                                                            "'drop'"),
    ("ratio: 0.3\n      config: {score: maybe}", "config['score'] must be true"),
    ("ratio: 0.3\n      config: {label_sample_rows: 0}", "config['label_sample_rows'] must be an integer >= 1"),
    ("ratio: 0.3\n      seed: -1", "parameter 'seed' must be >= 0, got -1."),
])
def test_yaml_values_are_checked_with_the_step_line(tmp_path, params, message):
    path = tmp_path / "p.yaml"
    path.write_text(f"name: p\nsteps:\n  - load_csv: {{path: x.csv}}\n  - augment_imbalanced:\n"
                    f"      target_column: is_fraud\n      {params}\n")
    with pytest.raises(PipelineConfigError, match="p.yaml line 4, step 2 'augment_imbalanced': ") as caught:
        load_pipeline(path)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("step, message", [
    ("privacy_audit: {threshold: 1.2}", "parameter 'threshold' must be in [0, 1], got 1.2."),
    ("compare_models: {target_column: y, n_bootstrap: 5}", "parameter 'n_bootstrap' must be >= 10, got 5."),
    ("compare_models: {target_column: y, confidence: 1}", "parameter 'confidence' must be in (0, 1), got 1.0."),
    ("compare_models: {target_column: y, classifiers: [random_forest, svm]}",
     "parameter 'classifiers' must be one of 'random_forest', 'hist_gradient_boosting', 'logistic_regression' "
     "(each item), got 'svm'."),
    ("evaluate: {sample_size: 0}", "parameter 'sample_size' must be >= 1, got 0."),
    ("load_delta: {path: t, version: -1}", "parameter 'version' must be >= 0, got -1."),
])
def test_other_step_ranges_are_checked(tmp_path, step, message):
    path = tmp_path / "p.yaml"
    path.write_text(f"name: p\nsteps:\n  - load_csv: {{path: x.csv}}\n  - {step}\n")
    with pytest.raises(PipelineConfigError) as caught:
        load_pipeline(path)
    assert "p.yaml line 4, step 2 " in str(caught.value) and message in str(caught.value)


def test_values_inside_their_ranges_are_accepted(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(textwrap.dedent("""\
        name: p
        seed: 0
        steps:
          - load_delta: {path: t, version: 0}
          - split: {target_column: y, test_size: 0.5}
          - augment_imbalanced:
              target_column: y
              ratio: 0.5
              config: {epochs: 1, lr: 0.001, weight_decay: 0, min_realism: 1, min_dcr: 0, block_size: 1,
                       identifier_columns: drop, score: false, label_sample_rows: 1, max_categories: null}
          - evaluate: {min_score: 0, sample_size: 1}
          - privacy_audit: {threshold: 1}
          - compare_models: {target_column: y, n_bootstrap: 10, confidence: 0.5, classifiers: logistic_regression}
        """))
    pipeline = load_pipeline(path)
    assert pipeline.steps[2]["config"]["min_realism"] == 1  # stored as given
    assert pipeline.steps[2]["ratio"] == 0.5


@pytest.mark.parametrize("path", [SHIPPED_YAML, TUTORIAL_YAML])
def test_shipped_and_tutorial_pipelines_still_validate(path, capsys):
    assert cli.main(["pipeline", "validate", str(path)]) == 0
    assert "valid pipeline 'fraud_data_augmentation'" in capsys.readouterr().out


def test_python_steps_check_the_config_like_yaml():
    with pytest.raises(ParameterError, match=r"step 'augment_imbalanced': config has an unknown key 'epoch'\. "
                                             r"Did you mean 'epochs'\?"):
        steps.augment_imbalanced(target_column="is_fraud", ratio=0.3, config={"epoch": 5})
    with pytest.raises(ParameterError, match=r"step 'augment_imbalanced': ratio must be strictly between 0 and 1 "
                                             r"\(the minority share wanted in the output\), got 1\.5\. For a 30% "
                                             r"minority share use ratio=0\.3\."):
        steps.augment_imbalanced(target_column="is_fraud", ratio=1.5)
    step = steps.augment_imbalanced(target_column="is_fraud", ratio=0.3, config={"epochs": 5, "min_realism": 0.2})
    assert step["config"] == {"epochs": 5, "min_realism": 0.2}


def test_run_with_a_bad_override_fails_before_the_engine_starts(tmp_path, monkeypatch, capsys):
    shutil.copy(TUTORIAL_YAML, tmp_path / "pipeline.yaml")  # engine: spark (the YAML default)
    monkeypatch.chdir(tmp_path)
    started = []
    monkeypatch.setattr(Pipeline, "_engine", lambda self: started.append(self) or pytest.fail("engine started"))
    for override in ("augment_imbalanced.config.epoch=5", "augment_imbalanced.ratio=1.5",
                     "augment_imbalanced.config.epochs=abc", "evaluate.min_score=2.0"):
        code = cli.main(["pipeline", "run", "pipeline.yaml", "--set", override, "--set", "lakehouse=lake"])
        assert code == 1
        line = _error_line(capsys)
        assert "pipeline.yaml line " in line and override.split(".")[0] in line
    assert started == []
    assert not (tmp_path / "lake").exists() and not (tmp_path / "data_versions").exists()
    assert not (tmp_path / "data" / "augmented_transactions.csv").exists()


def test_every_config_key_is_accepted_and_documented():
    assert {"epochs", "batch_size", "lr", "min_realism", "block_size", "identifier_columns", "score",
            "label_sample_rows"} <= set(AUGMENT_CONFIG_KEYS)
    check_augment_config({})
    check_augment_config(None)
    text = docs_gen.generate()
    section = text.split("## `augment_imbalanced` config keys", 1)[1].split("\n## ", 1)[0]
    for key in AUGMENT_CONFIG_KEYS:
        assert f"| `{key}` |" in section, key
    assert "| `ratio` | number | yes |  | Minority share wanted in the output (0.3: 30% of the rows). " \
           "Range: `(0, 1)`. |" in text


def test_ranges_print_as_intervals_and_exclude_open_ends_and_nan():
    ratio = Range(0, 1, low_open=True, high_open=True)
    assert str(ratio) == "(0, 1)" and str(Range(0, 1)) == "[0, 1]" and str(Range(low=10)) == ">= 10"
    assert str(Range(0.5, 1, high_open=True)) == "[0.5, 1)" and str(Range(low=0, low_open=True)) == "> 0"
    assert 0.3 in ratio and 0 not in ratio and 1 not in ratio and float("nan") not in ratio
    assert 0 in Range(0, 1) and 1 in Range(0, 1) and 9 not in Range(low=10)
    ratio_spec = next(p for p in steps.augment_imbalanced.describe()["params"] if p["name"] == "ratio")
    assert ratio_spec["range"] == "(0, 1)"


@pytest.mark.parametrize("engine", ["pandas", "spark"])
def test_python_augment_checks_its_config_before_any_work(engine, request):
    from genesis_spark import augment_imbalanced
    from genesis_spark.datasets import make_transactions

    frame = make_transactions(500, fraud_rate=0.05, seed=2)
    if engine == "spark":
        frame = request.getfixturevalue("spark").createDataFrame(frame)
    with pytest.raises(ValueError, match=r"config has an unknown key 'epoch'\. Did you mean 'epochs'\?"):
        augment_imbalanced(frame, target_column="is_fraud", ratio=0.2, config={"epoch": 5})
    with pytest.raises(ValueError, match=r"config\['epochs'\] must be a positive int, got -3"):
        augment_imbalanced(frame, target_column="is_fraud", ratio=0.2, config={"epochs": -3})
