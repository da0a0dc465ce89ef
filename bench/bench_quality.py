"""Synthetic fraud quality on the tutorial's data: ranges, per-column shape scores, downstream RF utility.

Fits on the 800 fraud rows of the tutorial's training split, generates 5,000 synthetic fraud rows,
then reports values outside the real ranges (must be 0), the mean per-column shape score
(1 - KS numeric, 1 - TV discrete; computed here) and RandomForest(100, random_state=42) fraud
PR-AUC / recall / precision on the real test split, baseline vs augmented (tutorial steps 6-7).

    python bench/bench_quality.py [--epochs 300] [--device cpu|cuda] [--with-ctgan]
"""
from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import DISCRETE_COLUMNS, TARGET_COLUMN, tutorial_split  # noqa: E402

N_SYNTHETIC = 5000


def shape_scores(real: pd.DataFrame, synth: pd.DataFrame) -> dict[str, float]:
    """1 - KS statistic for numeric columns, 1 - total variation distance for discrete ones."""
    from scipy.stats import ks_2samp

    out = {}
    for c in real.columns:
        if c in DISCRETE_COLUMNS:
            p, q = real[c].value_counts(normalize=True), synth[c].value_counts(normalize=True)
            out[c] = 1 - 0.5 * p.subtract(q, fill_value=0).abs().sum()
        else:
            out[c] = 1 - ks_2samp(real[c], synth[c]).statistic
    return out


def out_of_range(real: pd.DataFrame, synth: pd.DataFrame) -> int:
    """Count of synthetic values outside the real column's [min, max] (or unseen categories)."""
    bad = 0
    for c in real.columns:
        if c in DISCRETE_COLUMNS:
            bad += int((~synth[c].isin(set(real[c]))).sum())
        else:
            bad += int(((synth[c] < real[c].min()) | (synth[c] > real[c].max())).sum())
    return bad


def rf_metrics(train: pd.DataFrame, test: pd.DataFrame) -> dict[str, float]:
    """Fraud-class metrics of RandomForest(100, random_state=42) trained on ``train``, on the real ``test``."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import average_precision_score, f1_score, precision_score, recall_score, roc_auc_score

    def features(df):
        return pd.get_dummies(df.drop(columns=TARGET_COLUMN), columns=["merchant_category"])

    x_train, x_test = features(train).align(features(test), join="outer", axis=1, fill_value=0)
    model = RandomForestClassifier(n_estimators=100, random_state=42, n_jobs=-1).fit(x_train, train[TARGET_COLUMN])
    prob = model.predict_proba(x_test)[:, 1]
    pred = (prob >= 0.5).astype(int)
    y = test[TARGET_COLUMN]
    return {"PR-AUC": average_precision_score(y, prob), "recall": recall_score(y, pred),
            "precision": precision_score(y, pred, zero_division=0), "F1": f1_score(y, pred),
            "ROC-AUC": roc_auc_score(y, prob)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--with-ctgan", action="store_true", help="also fit the reference ctgan 0.12.1")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")

    train, test = tutorial_split()
    fraud = train[train[TARGET_COLUMN] == 1].drop(columns=TARGET_COLUMN).reset_index(drop=True)
    synthetic: dict[str, pd.DataFrame] = {}
    seconds: dict[str, float] = {}

    from genesis_spark.synth.generator import SyntheticGenerator

    start = time.perf_counter()
    gen = SyntheticGenerator("ctgan", {"epochs": args.epochs, "device": args.device, "seed": 0})
    synthetic["genesis_spark"] = gen.fit(fraud, DISCRETE_COLUMNS).generate(N_SYNTHETIC, seed=0)
    seconds["genesis_spark"] = time.perf_counter() - start
    if args.with_ctgan:
        from ctgan import CTGAN

        start = time.perf_counter()
        ref = CTGAN(epochs=args.epochs, enable_gpu=args.device == "cuda")
        ref.fit(fraud, DISCRETE_COLUMNS)
        synthetic["ctgan 0.12.1"] = ref.sample(N_SYNTHETIC)
        seconds["ctgan 0.12.1"] = time.perf_counter() - start

    print(f"epochs={args.epochs} device={args.device} real fraud rows={len(fraud)} synthetic={N_SYNTHETIC}")
    print("\n| generator | fit+generate s | values out of range | mean shape score | "
          + " | ".join(fraud.columns) + " |")
    print("|---|---:|---:|---:|" + "---:|" * len(fraud.columns))
    for name, synth in synthetic.items():
        s = shape_scores(fraud, synth)
        print(f"| {name} | {seconds[name]:.1f} | {out_of_range(fraud, synth)} | {np.mean(list(s.values())):.3f} | "
              + " | ".join(f"{s[c]:.3f}" for c in fraud.columns) + " |")

    rows = {"Baseline (imbalanced)": rf_metrics(train, test)}
    for name, synth in synthetic.items():
        aug = pd.concat([train, synth.assign(**{TARGET_COLUMN: 1})], ignore_index=True)
        aug = aug.sample(frac=1, random_state=42).reset_index(drop=True)
        rows[f"Augmented ({name})"] = rf_metrics(aug, test)
    print("\n| model | fraud PR-AUC | fraud recall | fraud precision | fraud F1 | ROC-AUC |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, m in rows.items():
        print(f"| {name} | {m['PR-AUC']:.4f} | {m['recall']:.2f} | {m['precision']:.2f} | {m['F1']:.2f} "
              f"| {m['ROC-AUC']:.4f} |")


if __name__ == "__main__":
    main()
