"""A trained generator through the quality layer: scores (vs SDMetrics), privacy, utility, and the HTML report."""
from __future__ import annotations

import base64
import re
import warnings

import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

from genesis_spark.datasets import DISCRETE_COLUMNS, TARGET_COLUMN
from genesis_spark.quality.evaluator import QualityEvaluator
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
    return train, test, fraud, synthetic


def test_trained_generator_column_shapes_agree_with_sdmetrics(trained):
    _, _, fraud, synthetic = trained
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
    train, test, fraud, synthetic = trained
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
