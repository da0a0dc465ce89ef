"""A trained generator through the quality layer: scores (vs SDMetrics), privacy, utility, detection, and the
HTML report (its figures, run metadata, holdout reference, and what a Spark pipeline run writes)."""
from __future__ import annotations

import base64
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

from genesis_spark.datasets import DISCRETE_COLUMNS, TARGET_COLUMN, make_transactions
from genesis_spark.quality.detection import holdout_reference, logistic_detection
from genesis_spark.quality.evaluator import QualityEvaluator
from genesis_spark.quality.html_report import natural_order, report_figures, separating_columns, use_log_scale
from genesis_spark.quality.reports import ReportFrames, RunDetails
from genesis_spark.quality.utility import compare_models


@pytest.fixture(scope="module")
def trained(transactions):
    """CTGAN fitted for a few epochs on the training split's fraud rows (engineer A's SyntheticGenerator)."""
    from genesis_spark.synth.generator import SyntheticGenerator

    train, test = train_test_split(transactions, test_size=0.3, random_state=0, stratify=transactions[TARGET_COLUMN])
    fraud = train[train[TARGET_COLUMN] == 1].drop(columns=TARGET_COLUMN).reset_index(drop=True)
    generator = SyntheticGenerator("ctgan", {"epochs": 15, "batch_size": 100, "seed": 0})
    generator.fit(fraud, discrete_columns=DISCRETE_COLUMNS)
    synthetic = generator.generate(600, seed=1)
    return train, test, fraud, synthetic, generator


def test_trained_generator_column_shapes_agree_with_sdmetrics(trained):
    _, _, fraud, synthetic, _ = trained
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from sdmetrics.reports.single_table import QualityReport

        metadata = {"columns": {c: {"sdtype": "categorical" if c in DISCRETE_COLUMNS else "numerical"}
                                for c in fraud.columns}}
        sd = QualityReport()
        sd.generate(fraud, synthetic, metadata, verbose=False)
    theirs = float(sd.get_properties().set_index("Property").loc["Column Shapes", "Score"])
    ours = QualityEvaluator(fraud, synthetic, DISCRETE_COLUMNS).evaluate()
    assert abs(ours.column_shapes_score - theirs) < 0.01
    assert 0.0 < ours.fidelity_score < 1.0 and 0.0 < ours.overall_score < 1.0


def test_html_report_is_self_contained_and_has_every_section(trained, tmp_path):
    train, test, fraud, synthetic, _ = trained
    evaluator = QualityEvaluator(fraud, synthetic, DISCRETE_COLUMNS)
    report = evaluator.evaluate()
    holdout = test[test[TARGET_COLUMN] == 1].drop(columns=TARGET_COLUMN)
    privacy = evaluator.privacy_audit(threshold=0.5, holdout=holdout)
    assert 0.0 <= privacy.score <= 1.0 and privacy.n_training == len(fraud)
    augmented = pd.concat([train, synthetic.assign(**{TARGET_COLUMN: 1})], ignore_index=True)
    utility = compare_models(train, augmented, test, TARGET_COLUMN, discrete_columns=["merchant_category"],
                             classifiers=[RandomForestClassifier(n_estimators=20, random_state=0, n_jobs=2),
                                          "logistic_regression"], n_bootstrap=100)
    path = report.to_html(tmp_path / "out" / "report.html", privacy=privacy, utility=utility)
    text = path.read_text(encoding="utf-8")
    for heading in ["Did the synthetic rows help?", "Column distributions", "Pair trends",
                    "Privacy: distance to closest record", "Model comparison on real test rows"]:
        assert heading in text
    # the headline comes first: each classifier's verdict with its interval
    assert text.index("Did the synthetic rows help?") < text.index("Column distributions")
    for classifier in ("random_forest_classifier", "logistic_regression"):
        verdict = utility.gain(classifier)["verdict"].replace("_", " ")
        assert re.search(rf"<b>{classifier}</b>: <b class='\w+'>{verdict}</b>: PR-AUC [01]\.\d{{3}} -&gt; ", text)
    assert "95% interval" in text
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    assert len(images) == 4                              # distributions, heatmap, DCR histogram, PR curves
    assert all(base64.b64decode(i)[:8] == b"\x89PNG\r\n\x1a\n" for i in images)
    assert not re.search(r'(src|href)="https?:', text)    # nothing fetched from the network
    assert f"{report.overall_score:.1%}" in text
    plain = report.to_html(tmp_path / "plain.html").read_text(encoding="utf-8")
    assert "Model comparison" not in plain and "Privacy:" not in plain and "Did the synthetic" not in plain


def _frames(trained) -> ReportFrames:
    train, _, fraud, synthetic, generator = trained
    legit = train[train[TARGET_COLUMN] == 0].drop(columns=TARGET_COLUMN)
    scored = synthetic.assign(realism=generator.realism_score(synthetic))
    return ReportFrames(fraud, scored, majority=legit, discrete_columns=tuple(DISCRETE_COLUMNS))


def test_natural_order_and_log_scale_rules():
    assert natural_order(["10", "2", "1", "(other)"]) == ["1", "2", "10", "(other)"]
    assert natural_order(["Sun", "mon", "Tuesday"]) == ["mon", "Tuesday", "Sun"]
    assert natural_order(["online", "travel"]) is None
    rng = np.random.default_rng(0)
    assert use_log_scale(rng.lognormal(6, 1.5, 500))
    assert not use_log_scale(rng.normal(50, 5, 500))             # not skewed
    assert not use_log_scale(rng.lognormal(6, 1.5, 500) - 100)   # not all positive


def test_report_figures_log_scale_natural_order_and_a_legend_on_every_plot(trained):
    _, _, fraud, synthetic, generator = trained
    frames = _frames(trained)
    report = QualityEvaluator(fraud, synthetic, DISCRETE_COLUMNS).evaluate()
    figures = report_figures(report, run=RunDetails.from_generator(generator, thresholds={"realism": 0.01}),
                             frames=frames)
    assert set(figures) == {"loss", "distributions", "overlays", "scores", "pair_trends"}
    panels = {ax.get_title().split()[0]: ax for ax in figures["distributions"].axes}
    assert set(panels) == set(fraud.columns)
    assert panels["amount"].get_xscale() == "log"                # positive and skewed
    assert panels["distance_from_home"].get_xscale() == "linear"
    hours = [t.get_text() for t in panels["hour"].get_xticklabels()]
    assert hours == [str(h) for h in sorted(fraud["hour"].unique())]
    assert [t.get_text() for t in panels["day_of_week"].get_xticklabels()] == [str(d) for d in range(7)]
    for name, figure in figures.items():
        if name == "pair_trends":                                # a heatmap with its colour bar
            continue
        for ax in figure.axes:
            assert ax.get_legend() is not None, f"{name}: {ax.get_title()} has no legend"
    overlay_titles = [ax.get_title() for ax in figures["overlays"].axes]
    assert overlay_titles == separating_columns(frames) and "amount" in overlay_titles
    for ax in figures["overlays"].axes:
        assert [t.get_text() for t in ax.get_legend().get_texts()] == [
            "real minority", "synthetic minority", "real majority"]
    losses = [line.get_label() for ax in figures["loss"].axes for line in ax.get_lines()]
    assert losses == ["generator loss", "discriminator loss", "gradient penalty"]
    assert [ax.get_xlabel() for ax in figures["scores"].axes] == ["realism"]


def test_the_tutorial_report_without_frames_plots_from_the_evaluated_rows(trained):
    """``QualityEvaluator(real, synthetic).evaluate().to_html(path)``, the tutorial's call: log scale and
    natural order come from the rows the evaluator scored, with nothing else passed."""
    _, _, fraud, synthetic, _ = trained
    report = QualityEvaluator(fraud, synthetic, DISCRETE_COLUMNS).evaluate()
    panels = {ax.get_title().split()[0]: ax for ax in report_figures(report)["distributions"].axes}
    assert panels["amount"].get_xscale() == "log"
    assert panels["distance_from_home"].get_xscale() == "linear"
    assert [t.get_text() for t in panels["day_of_week"].get_xticklabels()] == [str(d) for d in range(7)]


def test_logistic_detection_tells_shifted_rows_apart_and_not_fresh_real_ones():
    legit = make_transactions(2_000, fraud_rate=0.02, seed=3).query("is_fraud == 0").drop(columns="is_fraud")
    first, second = legit.iloc[:900].reset_index(drop=True), legit.iloc[900:1800].reset_index(drop=True)
    same = logistic_detection(first, second, DISCRETE_COLUMNS, seed=0)
    assert 0.4 < same.roc_auc < 0.6 and same.score > 0.8 and same.n_real == 900 and same.folds == 3
    shifted = logistic_detection(first, second.assign(amount=second["amount"] * 20 + 500), DISCRETE_COLUMNS)
    assert shifted.roc_auc > 0.95 and shifted.score < 0.1
    assert logistic_detection(first, second, DISCRETE_COLUMNS, seed=0) == same    # seeded
    with pytest.raises(ValueError, match="synthetic lacks columns"):
        logistic_detection(first, second.drop(columns="hour"))


def test_html_report_leads_with_the_verdict_then_run_metadata_reference_and_plots(trained, tmp_path):
    train, test, fraud, synthetic, generator = trained
    report = QualityEvaluator(fraud, synthetic, DISCRETE_COLUMNS).evaluate()
    augmented = pd.concat([train, synthetic.assign(**{TARGET_COLUMN: 1})], ignore_index=True)
    utility = compare_models(train, augmented, test, TARGET_COLUMN, discrete_columns=["merchant_category"],
                             classifiers=["logistic_regression"], include_smote=False, n_bootstrap=50)
    holdout = test[test[TARGET_COLUMN] == 1].drop(columns=TARGET_COLUMN)
    reference = holdout_reference(fraud, holdout, DISCRETE_COLUMNS)
    detection = logistic_detection(fraud, synthetic, DISCRETE_COLUMNS)
    run = RunDetails.from_generator(generator, run_id=7, pipeline="fraud", engine="spark",
                                    source="lake/transactions", source_version=4,
                                    sampling={1: {"requested": 600, "generated": 650, "accepted": 600,
                                                  "acceptance_rate": 0.92,
                                                  "acceptance_by_filter": {"realism": 0.95, "dcr": 1.0}}})
    text = report.to_html(tmp_path / "report.html", utility=utility, run=run, frames=_frames(trained),
                          detection=detection, reference=reference).read_text(encoding="utf-8")
    headings = re.findall(r"<h2>([^<]+)</h2>", text)
    assert headings[:4] == ["Did the synthetic rows help?", "Run", "Training loss curves",
                            "As good as real? Synthetic rows next to a real holdout"]
    assert {"Column distributions: real vs synthetic",
            "Minority vs majority: the columns that separate the classes most",
            "Per-row scores and acceptance by filter", "Model comparison on real test rows"} <= set(headings)
    # the run's engine, not the evaluator's (the pipeline scores pandas samples of a Spark run)
    assert "engine: spark (metrics computed with pandas" in text and report.engine == "pandas"
    for label, value in [("run id", "7"), ("epochs", "15"), ("generator sha256", generator.sha256),
                         ("source", "lake/transactions (version 4)")]:
        assert f"<tr><td>{label}</td><td><code>{value}</code></td></tr>" in text
    assert "&quot;epochs&quot;: 15" in text                      # the generator config, in the details
    assert f"real test minority ({len(holdout):,} rows)" in text
    assert f"<td>{reference.quality.overall_score:.3f}</td>" in text
    assert f"<td>{detection.roc_auc:.3f}</td>" in text and f"<td>{reference.detection.roc_auc:.3f}</td>" in text
    assert "Positive, skewed columns are binned and drawn on a log scale" in text
    assert "<td>0.9500</td>" in text                             # acceptance of the realism filter
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    assert len(images) == 6     # loss, distributions, overlays, scores, pair trends, PR curves


def test_spark_pipeline_report_names_the_spark_engine_and_records_detection(spark, tmp_path):
    from genesis_spark.pipeline import Pipeline, steps
    from genesis_spark.spark.engine import SparkEngine

    csv = tmp_path / "transactions.csv"
    make_transactions(1_500, fraud_rate=0.06, seed=5).to_csv(csv, index=False)
    path = tmp_path / "report.html"
    result = Pipeline([
        steps.load_csv(str(csv)),
        steps.split(target_column="is_fraud", test_size=0.3),
        steps.augment_imbalanced(target_column="is_fraud", ratio=0.15, discrete_columns=DISCRETE_COLUMNS,
                                 config={"epochs": 2, "batch_size": 50, "embedding_dim": 8, "generator_dim": [16],
                                         "discriminator_dim": [16]}),
        steps.evaluate(target_column="is_fraud"),
        steps.report_html(str(path)),
    ], name="spark_report", engine=SparkEngine(spark=spark), seed=2).run()
    assert result.success, result.error
    text = path.read_text(encoding="utf-8")
    assert "engine: spark" in text and "<tr><td>engine</td><td><code>spark</code></td></tr>" in text
    assert "<tr><td>run id</td><td><code>1</code></td></tr>" in text
    assert f"<tr><td>source</td><td><code>{csv}</code></td></tr>" in text
    assert 0.0 <= result.metrics["detection_roc_auc"] <= 1.0 and 0.0 <= result.metrics["detection_score"] <= 1.0
    assert "holdout_detection_roc_auc" in result.metrics
    for heading in ("Training loss curves", "As good as real?", "Minority vs majority", "Per-row scores"):
        assert heading in text
