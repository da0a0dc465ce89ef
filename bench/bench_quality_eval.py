"""Time QualityEvaluator.evaluate() and privacy_audit() against SDMetrics' QualityReport.

Real: 100k demo rows (make_transactions, seed 1); synthetic: 10k / 100k / 1M rows of another
draw (seed 2). SDMetrics runs in a child process with a time limit; sizes above
``--sdmetrics-max-rows`` are skipped.

    .venv/bin/python bench/bench_quality_eval.py [--sizes 10000,100000,1000000] [--sdmetrics-timeout 150]

``--tutorial EPOCHS`` instead runs the tutorial's steps 1-7 (50k rows, CTGAN on the training
split's fraud rows, 5,000 synthetic rows) and prints our scores next to SDMetrics', the privacy
audit and the model comparison, and writes the HTML report to ``--html``.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import time
import warnings

from genesis_spark.datasets import DISCRETE_COLUMNS, make_transactions
from genesis_spark.quality.evaluator import QualityEvaluator


def _sdmetrics(real, synthetic, queue) -> None:
    warnings.filterwarnings("ignore")
    from sdmetrics.reports.single_table import QualityReport

    metadata = {"columns": {c: {"sdtype": "categorical" if c in DISCRETE_COLUMNS else "numerical"}
                            for c in real.columns}}
    start = time.perf_counter()
    report = QualityReport()
    report.generate(real, synthetic, metadata, verbose=False)
    shapes = float(report.get_properties().set_index("Property").loc["Column Shapes", "Score"])
    queue.put((time.perf_counter() - start, shapes))


def time_sdmetrics(real, synthetic, timeout: float) -> tuple[str, str]:
    queue = mp.get_context("fork").Queue()
    process = mp.get_context("fork").Process(target=_sdmetrics, args=(real, synthetic, queue))
    process.start()
    process.join(timeout)
    if process.is_alive():
        process.terminate()
        process.join()
        return f"> {timeout:.0f} (stopped)", "-"
    seconds, shapes = queue.get()
    return f"{seconds:.2f}", f"{shapes:.4f}"


def tutorial_run(epochs: int, html_path: str) -> None:
    """Tutorial steps 1-7 through genesis_spark, with SDMetrics' scores side by side."""
    import pandas as pd
    from sklearn.model_selection import train_test_split

    from genesis_spark.quality.utility import compare_models
    from genesis_spark.synth.generator import SyntheticGenerator

    warnings.filterwarnings("ignore")
    from sdmetrics.reports.single_table import QualityReport

    transactions = make_transactions(50_000, 0.02, seed=42)
    train, test = train_test_split(transactions, test_size=0.2, random_state=42, stratify=transactions["is_fraud"])
    fraud = train[train["is_fraud"] == 1].drop(columns="is_fraud").reset_index(drop=True)
    start = time.perf_counter()
    generator = SyntheticGenerator("ctgan", {"epochs": epochs, "seed": 42}).fit(fraud, discrete_columns=DISCRETE_COLUMNS)
    print(f"CTGAN fit on {len(fraud)} fraud rows, {epochs} epochs: {time.perf_counter() - start:.1f} s")
    synthetic = generator.generate(5_000, seed=1)
    evaluator = QualityEvaluator(fraud, synthetic)          # tutorial step 4: no discrete_columns given
    quality = evaluator.evaluate()
    privacy = evaluator.privacy_audit(0.9, holdout=test[test["is_fraud"] == 1].drop(columns="is_fraud"))
    metadata = {"columns": {c: {"sdtype": "numerical"} for c in fraud.columns}}
    metadata["columns"]["merchant_category"] = {"sdtype": "categorical"}
    sd = QualityReport()
    sd.real_correlation_threshold = sd.real_association_threshold = 0   # average every pair, as we do
    sd.generate(fraud, synthetic, metadata, verbose=False)
    props = sd.get_properties().set_index("Property")["Score"]
    print("| score | genesis_spark | SDMetrics QualityReport |\n|---|---:|---:|")
    print(f"| overall | {quality.overall_score:.4f} | - |")
    print(f"| fidelity (shapes + pairs) | {quality.fidelity_score:.4f} | {sd.get_score():.4f} |")
    print(f"| column shapes | {quality.column_shapes_score:.4f} | {props['Column Shapes']:.4f} |")
    print(f"| column pair trends | {quality.pair_trends_score:.4f} | {props['Column Pair Trends']:.4f} |")
    print(f"| null-rate similarity | {quality.null_rate_score:.4f} | - |")
    print(f"| validity | {quality.validity_score:.4f} | - |")
    print(f"privacy: score {privacy.score:.3f} passed={privacy.passed} too-close {privacy.too_close_share:.1%} "
          f"(baseline {privacy.baseline_share:.1%}) exact matches {privacy.exact_match_rate:.1%} "
          f"closer-to-training {privacy.closer_to_training_share:.1%} "
          f"(ideal {len(fraud) / (len(fraud) + (test['is_fraud'] == 1).sum()):.1%})")
    augmented = pd.concat([train, synthetic.assign(is_fraud=1)], ignore_index=True)
    augmented = augmented.sample(frac=1, random_state=42).reset_index(drop=True)
    utility = compare_models(train, augmented, test, "is_fraud", discrete_columns=["merchant_category"], seed=42)
    columns = ["model", "n_train", "n_positive_train", "precision_at_0.5", "recall_at_0.5", "f1_at_0.5", "roc_auc",
               "pr_auc", "threshold", "precision_at_tuned", "recall_at_tuned", "f1_at_tuned",
               "tn_at_0.5", "fp_at_0.5", "fn_at_0.5", "tp_at_0.5"]
    print(utility.table[columns].round(4).to_string(index=False))
    print("HTML report:", quality.to_html(html_path, privacy=privacy, utility=utility,
                                          title="Tutorial run: synthetic fraud quality"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real-rows", type=int, default=100_000)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--sdmetrics-timeout", type=float, default=150.0)
    parser.add_argument("--sdmetrics-max-rows", type=int, default=1_000_000)
    parser.add_argument("--tutorial", type=int, default=0, metavar="EPOCHS")
    parser.add_argument("--html", default="quality_report.html")
    args = parser.parse_args()
    if args.tutorial:
        tutorial_run(args.tutorial, args.html)
        return
    real = make_transactions(args.real_rows, 0.02, seed=1).drop(columns="is_fraud")
    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        synthetic = make_transactions(n, 0.02, seed=2).drop(columns="is_fraud")
        evaluator = QualityEvaluator(real, synthetic, DISCRETE_COLUMNS)
        start = time.perf_counter()
        report = evaluator.evaluate()
        t_eval = time.perf_counter() - start
        start = time.perf_counter()
        privacy = evaluator.privacy_audit(threshold=0.9)
        t_priv = time.perf_counter() - start
        if n <= args.sdmetrics_max_rows:
            t_sd, sd_shapes = time_sdmetrics(real, synthetic, args.sdmetrics_timeout)
        else:
            t_sd, sd_shapes = "skipped", "-"
        rows.append((n, t_eval, t_priv, t_sd, report.column_shapes_score, sd_shapes, report.overall_score,
                     privacy.score))
        print(f"done {n:,}", flush=True)
    print(f"\nreal rows: {args.real_rows:,}; columns: {', '.join(real.columns)}; discrete: {', '.join(DISCRETE_COLUMNS)}")
    print("| synthetic rows | evaluate() s | privacy_audit() s | SDMetrics QualityReport.generate s "
          "| our column shapes | SDMetrics column shapes | overall | privacy score |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, te, tp, tsd, ours, theirs, overall, priv in rows:
        print(f"| {n:,} | {te:.2f} | {tp:.2f} | {tsd} | {ours:.4f} | {theirs} | {overall:.4f} | {priv:.3f} |")


if __name__ == "__main__":
    main()
