"""Write notebooks/ml_training_pipeline.ipynb (the tutorial as a notebook) from the cells below.

    .venv/bin/python notebooks/build_notebooks.py

The .ipynb is committed; edit the cells here and rebuild so the notebook stays reviewable as code.
tests/test_notebooks.py executes every notebook in this folder with small parameters.
"""
from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

CELLS: list[tuple[str, str]] = [
    ("md", """# ML training pipeline with synthetic data (genesis_spark)

The tutorial *ML Training Pipeline with Synthetic Data* as a notebook: an imbalanced fraud table,
a baseline model, a CTGAN generator for the fraud class, its quality report, the augmented
training set, a model comparison, and the same work as a reproducible pipeline whose outputs are
versioned Delta tables that we read back by version.

**Run it** in Jupyter (`pip install -e '.[dev]'`, then open this file) or import it into Databricks
(*Workspace > Import*, then `%pip install` the genesis_spark wheel built by the bundle in
`deploy/databricks/`, and set `ENGINE = "spark"` below to run the pipeline on the cluster).
CI runs it top to bottom with small values injected after the parameters cell."""),
    ("params", """# Parameters (CI injects small values after this cell).
N_TRANSACTIONS = 50_000      # demo table size (2% fraud)
EPOCHS = 300                 # CTGAN epochs
N_SYNTHETIC = 5_000          # synthetic fraud rows for steps 3-6
N_ESTIMATORS = 100           # random forest size
MIN_SCORE = 0.85             # quality gate of the pipeline
ENGINE = "pandas"            # "pandas" (no JVM) or "spark"
WORKDIR = "notebook_output"  # where the CSV, reports and Delta tables go"""),
    ("code", """import logging
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import HTML, display
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import classification_report, confusion_matrix, f1_score, precision_score, recall_score, roc_auc_score
from sklearn.model_selection import train_test_split

from genesis_spark import QualityEvaluator, SyntheticGenerator, augment_imbalanced
from genesis_spark.datasets import DISCRETE_COLUMNS, make_transactions

warnings.filterwarnings("ignore")
logging.basicConfig(level=logging.WARNING)
workdir = Path(WORKDIR).resolve()
workdir.mkdir(parents=True, exist_ok=True)
print("outputs under", workdir)"""),
    ("md", """## Step 1: an imbalanced dataset

`make_transactions` is the tutorial's generator (98% legitimate, 2% fraud), seeded."""),
    ("code", """transactions = make_transactions(N_TRANSACTIONS, fraud_rate=0.02, seed=42)

print("=== Dataset Overview ===")
print(f"Total transactions: {len(transactions):,}")
print(f"Fraud rate: {transactions['is_fraud'].mean():.2%}")
print(transactions["is_fraud"].value_counts())
transactions.head()"""),
    ("md", """## Step 2: baseline on the imbalanced data

Split **before** any augmentation: the test set stays real and untouched."""),
    ("code", """def features(df: pd.DataFrame, columns=None) -> pd.DataFrame:
    X = pd.get_dummies(df.drop(columns="is_fraud"), columns=["merchant_category"])
    return X if columns is None else X.reindex(columns=columns, fill_value=0)


train_df, test_df = train_test_split(transactions, test_size=0.2, random_state=42, stratify=transactions["is_fraud"])
X_train, y_train = features(train_df), train_df["is_fraud"]
X_test, y_test = features(test_df, X_train.columns), test_df["is_fraud"]
print(f"Training set: {len(X_train):,} samples ({y_train.mean():.2%} fraud)")
print(f"Test set: {len(X_test):,} samples ({y_test.mean():.2%} fraud)")


def fit_and_score(X, y, name):
    model = RandomForestClassifier(n_estimators=N_ESTIMATORS, random_state=42, n_jobs=-1).fit(X, y)
    pred, prob = model.predict(X_test), model.predict_proba(X_test)[:, 1]
    print(f"=== {name} ===")
    print(classification_report(y_test, pred, target_names=["Legit", "Fraud"], zero_division=0))
    print("Confusion matrix:\\n", confusion_matrix(y_test, pred))
    return {"Model": name, "Fraud Recall": recall_score(y_test, pred), "Fraud Precision": precision_score(y_test, pred, zero_division=0),
            "Fraud F1": f1_score(y_test, pred), "ROC-AUC": roc_auc_score(y_test, prob)}


baseline = fit_and_score(X_train, y_train, "Baseline (Imbalanced)")
baseline"""),
    ("md", """## Step 3: a generator for the fraud class

Fit CTGAN on the fraud rows of the **training** split only (fitting on all fraud rows, as the
original tutorial does, leaks test rows into the synthetic data)."""),
    ("code", """fraud_cases = train_df[train_df["is_fraud"] == 1].drop(columns="is_fraud").reset_index(drop=True)
print(f"Real fraud cases for training: {len(fraud_cases)}")

fraud_generator = SyntheticGenerator(method="ctgan", config={"epochs": EPOCHS, "seed": 42})
fraud_generator.fit(fraud_cases, discrete_columns=DISCRETE_COLUMNS)

synthetic_fraud = fraud_generator.generate(n_samples=N_SYNTHETIC, seed=42)
synthetic_fraud["is_fraud"] = 1
print(f"Generated {len(synthetic_fraud)} synthetic fraud cases")
synthetic_fraud.head()"""),
    ("md", """## Step 4: validate the synthetic rows

The quality report scores column shapes and pair trends; the HTML report is shown inline."""),
    ("code", """quality_report = QualityEvaluator(fraud_cases, synthetic_fraud.drop(columns="is_fraud")).evaluate()
print(f"Overall Quality: {quality_report.overall_score:.1%}")
print(f"Statistical Fidelity: {quality_report.fidelity_score:.1%}")
print(f"Amount, real fraud: ${fraud_cases['amount'].mean():.0f} ± ${fraud_cases['amount'].std():.0f}")
print(f"Amount, synthetic:  ${synthetic_fraud['amount'].mean():.0f} ± ${synthetic_fraud['amount'].std():.0f}")
pd.DataFrame({"real": fraud_cases["merchant_category"].value_counts(normalize=True),
              "synthetic": synthetic_fraud["merchant_category"].value_counts(normalize=True)}).round(2)"""),
    ("md", """The privacy audit compares each synthetic row's distance to the closest real training row with
the same distance for real fraud rows the generator never saw (the test split's fraud rows)."""),
    ("code", """evaluator = QualityEvaluator(fraud_cases, synthetic_fraud.drop(columns="is_fraud"), discrete_columns=DISCRETE_COLUMNS)
holdout = test_df[test_df["is_fraud"] == 1].drop(columns="is_fraud")
privacy = evaluator.privacy_audit(threshold=0.9, holdout=holdout)
print(f"Privacy score: {privacy.score:.2f} (passed: {privacy.passed}); exact matches: {privacy.exact_match_rate:.1%}")

report_path = workdir / "fraud_quality_report.html"
quality_report.to_html(str(report_path), privacy=privacy)
display(HTML(report_path.read_text(encoding="utf-8")))"""),
    ("md", "## Steps 5 and 6: augment the training split and retrain"),
    ("code", """augmented_train = pd.concat([train_df, synthetic_fraud], ignore_index=True).sample(frac=1, random_state=42)
print(f"Total samples: {len(augmented_train):,}; new fraud rate: {augmented_train['is_fraud'].mean():.1%}")
augmented = fit_and_score(features(augmented_train, X_train.columns), augmented_train["is_fraud"],
                          "Augmented (Synthetic)")
augmented"""),
    ("md", "## Step 7: compare"),
    ("code", """results = pd.DataFrame([baseline, augmented]).set_index("Model")
print(results.round(4).to_string())
ax = results[["Fraud Recall", "Fraud Precision", "Fraud F1", "ROC-AUC"]].T.plot.bar(figsize=(8, 4), rot=0)
ax.set_ylim(0, 1.05)
ax.set_title("Real-only vs. real + synthetic fraud, scored on the real test split")
plt.tight_layout()
plt.show()
print(f"Fraud recall: {baseline['Fraud Recall']:.2f} -> {augmented['Fraud Recall']:.2f}")"""),
    ("md", """`compare_models` does the same comparison in one call for a random forest and for
histogram gradient boosting, adds SMOTENC and class-weight baselines, reports recall, precision,
F1, ROC-AUC and PR-AUC on the real test rows, and gives a verdict per classifier: the PR-AUC gain
with a bootstrap interval over the test rows (`helped`, `no_change` or `hurt`)."""),
    ("code", """from genesis_spark.quality.utility import compare_models

utility = compare_models(train_df, augmented_train, test_df, "is_fraud", discrete_columns=["merchant_category"],
                         classifiers=[RandomForestClassifier(n_estimators=N_ESTIMATORS, random_state=42, n_jobs=-1),
                                      "hist_gradient_boosting"],
                         seed=42)
print("\\n".join(utility.headline()))
utility.table[["classifier", "model", "pr_auc", "roc_auc", "recall_at_0.5"]]"""),
    ("md", """## Step 8: the one-call API

`augment_imbalanced` fits the generator and adds synthetic minority rows until the fraud share
reaches `ratio` (here on the training split only)."""),
    ("code", """balanced = augment_imbalanced(train_df, target_column="is_fraud", ratio=0.3, strategy="oversample",
                              discrete_columns=DISCRETE_COLUMNS, config={"epochs": EPOCHS}, seed=42)
print(f"Balanced training set: {len(balanced):,} samples, fraud rate {balanced['is_fraud'].mean():.1%}")"""),
    ("md", """## Step 9: a reproducible pipeline with versioned Delta outputs

Each successful run commits one new version of the lakehouse tables `augmented_train`, `test`,
`synthetic` and `runs`, carrying the run id, config hash and scores; a failed quality gate writes
nothing."""),
    ("code", """from genesis_spark.pipeline import Pipeline, steps

csv_path = workdir / "transactions.csv"
transactions.to_csv(csv_path, index=False)
lakehouse = workdir / "lakehouse"

ml_pipeline = Pipeline([
    steps.load_csv(str(csv_path)),
    steps.analyze(target_column="is_fraud", report=True),
    steps.split(target_column="is_fraud", test_size=0.2),
    steps.augment_imbalanced(target_column="is_fraud", ratio=0.3, strategy="oversample",
                             discrete_columns=DISCRETE_COLUMNS, config={"epochs": EPOCHS}),
    steps.evaluate(target_column="is_fraud", min_score=MIN_SCORE),
    steps.save_csv(str(workdir / "augmented_transactions.csv")),
    steps.save_generator(str(workdir / "fraud_generator.genesis")),
], name="fraud_notebook", engine=ENGINE, lakehouse=str(lakehouse), seed=42)

result = ml_pipeline.run()
if result.success:
    print("Pipeline completed successfully")
    print(f"   Output: {result.outputs['output_path']}")
    print(f"   Quality score: {result.metrics['quality_score']:.1%}")
    print(f"   Delta versions: {result.versions}")
else:
    print(f"Pipeline failed: {result.error}")
assert result.success, result.error"""),
    ("md", """## Step 10: the same pipeline as YAML (for CI/CD)

`genesis pipeline run FILE.yaml` runs this file; `--set` overrides any value. We run it here
with the next run id, so the lakehouse tables gain a second version."""),
    ("code", """from genesis_spark.pipeline.yaml_config import load_pipeline

yaml_path = workdir / "fraud_augmentation_pipeline.yaml"
yaml_path.write_text(f\"\"\"
name: fraud_notebook
engine: {ENGINE}
lakehouse: lakehouse
seed: 42
steps:
  - load_csv: {{path: transactions.csv}}
  - split: {{target_column: is_fraud, test_size: 0.2}}
  - augment_imbalanced:
      target_column: is_fraud
      ratio: 0.3
      discrete_columns: [merchant_category, hour, day_of_week]
      config: {{epochs: {EPOCHS}}}
  - evaluate: {{target_column: is_fraud, min_score: {MIN_SCORE}}}
\"\"\", encoding="utf-8")
yaml_result = load_pipeline(yaml_path).run()
print(yaml_result.success, yaml_result.run_id, yaml_result.versions)
assert yaml_result.success, yaml_result.error"""),
    ("md", """## Reading the Delta tables back, by version

Any Delta reader opens the tables at any version: delta-rs here; Spark
(`spark.read.format("delta").option("versionAsOf", 0)`), DuckDB (`delta_scan`) and Polars
(`pl.read_delta(path, version=0)`) work the same way (see `docs/output-tables.md`)."""),
    ("code", """import pyarrow.parquet as pq
from deltalake import DeltaTable

from genesis_spark.delta import history

train_table = lakehouse / "augmented_train"
for commit in history(train_table):
    print(commit.version, commit.operation, {k: commit.metadata.get(k) for k in ("run_id", "config_hash", "source_path")})

def read_version(path, version):
    table = DeltaTable(str(path), version=version)
    return pq.read_table(table.file_uris()).to_pandas()

first, latest = read_version(train_table, 0), read_version(train_table, DeltaTable(str(train_table)).version())
print(f"version 0: {len(first):,} rows; latest: {len(latest):,} rows (runs append)")
runs = read_version(lakehouse / "runs", DeltaTable(str(lakehouse / "runs")).version())
runs[["run_id", "pipeline", "config_hash", "source_version", "versions"]]"""),
    ("md", """## Key takeaways

1. Augment the training split only; the test split stays real.
2. Check the synthetic rows with `QualityEvaluator` before training on them.
3. Compare against the imbalanced baseline on the same real test set.
4. `augment_imbalanced()` is the one-call form; the pipeline makes it reproducible, gated and versioned."""),
]


def build() -> nbformat.NotebookNode:
    """The tutorial notebook (no outputs)."""
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    for kind, source in CELLS:
        if kind == "md":
            nb.cells.append(new_markdown_cell(source))
        else:
            cell = new_code_cell(source)
            if kind == "params":
                cell.metadata["tags"] = ["parameters"]
            nb.cells.append(cell)
    for index, cell in enumerate(nb.cells):  # stable ids keep rebuilds diff-free
        cell["id"] = f"cell-{index:02d}"
    return nb


def main() -> None:
    path = HERE / "ml_training_pipeline.ipynb"
    nbformat.write(build(), str(path))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
