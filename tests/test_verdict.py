"""The verdict on every run: compare_models' gain metrics on both engines, a harmful setting that is
called ``hurt``, and ``fail_on_worse`` failing the run before anything is written."""
from __future__ import annotations

import pytest
from deltalake import DeltaTable

from genesis_spark import cli
from genesis_spark.datasets import make_transactions
from genesis_spark.pipeline import Pipeline, steps
from genesis_spark.quality.verdict import VERDICTS
from genesis_spark.synth.generator import SyntheticGenerator

TARGET = "is_fraud"
DISCRETE = ["merchant_category", "hour", "day_of_week"]
CLASSIFIERS = ["random_forest", "hist_gradient_boosting"]


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("verdict") / "transactions.csv"
    make_transactions(6_000, fraud_rate=0.03, seed=5).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def legit_generator(tmp_path_factory, csv_path):
    """The harmful setting: a generator fitted on LEGITIMATE rows, used to make 'fraud' rows."""
    import pandas as pd

    rows = pd.read_csv(csv_path)
    legit = rows[rows[TARGET] == 0].drop(columns=TARGET).head(3_000)
    path = tmp_path_factory.mktemp("legit") / "legit_generator.gen"
    SyntheticGenerator(config={"epochs": 5, "seed": 0}).fit(legit, discrete_columns=DISCRETE).save(path)
    return path


def _compare(**kwargs):
    return steps.compare_models(target_column=TARGET, classifiers=CLASSIFIERS, n_bootstrap=200, **kwargs)


@pytest.mark.parametrize("engine", ["pandas", "spark"])
def test_every_run_reports_gains_with_intervals_and_a_verdict_per_classifier(engine, csv_path, tmp_path, request):
    if engine == "spark":
        request.getfixturevalue("spark")
    result = Pipeline([
        steps.load_csv(str(csv_path)),
        steps.split(target_column=TARGET, seed=1),
        steps.augment_imbalanced(target_column=TARGET, ratio=0.2, discrete_columns=DISCRETE, config={"epochs": 3}),
        _compare(),
    ], name="verdict", engine=engine, lakehouse=str(tmp_path / "lakehouse")).run()
    assert result.success, result.error
    metrics = result.metrics
    for suffix in ("", "_random_forest", "_hist_gradient_boosting"):
        assert metrics[f"utility_verdict{suffix}"] in VERDICTS
        for versus in ("", "_vs_smotenc", "_vs_class_weights"):
            low, gain, high = (metrics[f"pr_auc_gain{versus}{end}{suffix}"] for end in ("_low", "", "_high"))
            assert -1 <= low <= gain <= high <= 1
    assert metrics["pr_auc_gain"] == pytest.approx(metrics["augmented_pr_auc"] - metrics["baseline_pr_auc"])
    assert metrics["utility_verdict"] == metrics["utility_verdict_random_forest"]
    headline = result.outputs["utility_verdicts"]
    assert [line.split(":")[0] for line in headline] == CLASSIFIERS
    runs = DeltaTable(str(tmp_path / "lakehouse" / "runs")).to_pandas()
    assert runs["utility_verdict"].tolist() == [metrics["utility_verdict"]]
    assert dict(runs["text_metrics"][0])["utility_verdict_hist_gradient_boosting"] == \
        metrics["utility_verdict_hist_gradient_boosting"]


def _harmful_yaml(folder, csv_path, generator_path, fail_on_worse: bool) -> str:
    path = folder / "harmful.yaml"
    path.write_text(f"""
name: harmful
lakehouse: {folder / 'lakehouse'}
steps:
  - load_csv: {{path: {csv_path}}}
  - split: {{target_column: {TARGET}, seed: 1}}
  - load_generator: {{path: {generator_path}}}
  - augment_imbalanced:
      target_column: {TARGET}
      ratio: 0.4
      discrete_columns: {DISCRETE}
      config: {{min_realism: 0, min_dcr: 0, min_label_prob: 0}}
  - compare_models:
      target_column: {TARGET}
      classifiers: [random_forest]
      include_smote: false
      n_bootstrap: 200
      fail_on_worse: {str(fail_on_worse).lower()}
  - save_csv: {{path: {folder / 'augmented.csv'}}}
  - save_generator: {{path: {folder / 'copy.gen'}}}
""")
    return str(path)


@pytest.mark.parametrize("engine", ["pandas", "spark"])
def test_rows_from_a_generator_of_the_wrong_class_are_called_hurt(engine, csv_path, legit_generator, tmp_path,
                                                                 capsys, request):
    if engine == "spark":
        request.getfixturevalue("spark")
    code = cli.main(["pipeline", "run", _harmful_yaml(tmp_path, csv_path, legit_generator, False), "--engine", engine])
    out = capsys.readouterr().out
    assert code == 0
    assert "did the synthetic rows help?" in out
    assert "random_forest: hurt: PR-AUC " in out
    assert "utility_verdict" in out and "hurt" in out
    assert (tmp_path / "augmented.csv").exists()


def test_fail_on_worse_fails_before_any_write_with_one_line(csv_path, legit_generator, tmp_path, capsys):
    code = cli.main(["pipeline", "run", _harmful_yaml(tmp_path, csv_path, legit_generator, True)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    lines = [line for line in err if line.startswith("genesis: error:")]
    assert len(lines) == 1, err
    line = lines[0]
    assert line.startswith("genesis: error: compare_models: the synthetic rows hurt (random_forest: hurt: PR-AUC ")
    assert "gain -" in line and "95% interval" in line and line.endswith("nothing written.")
    # nothing written: no CSV, no generator file, no Delta table or version
    assert not (tmp_path / "augmented.csv").exists()
    assert not (tmp_path / "copy.gen").exists()
    assert not (tmp_path / "lakehouse").exists() or not any((tmp_path / "lakehouse").rglob("*.json"))
