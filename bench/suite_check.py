"""The public table suite at DEFAULT settings on both engines: does augmentation run, and are the rows sane?

For every table of bench/tables.py, full and with the minority cut to 2% of the training split,
``augment`` (pandas) and ``augment_spark`` (Spark local[2]) at ratio 0.3 with the library's default
config (no epochs or other override), seed 0. Per cell it prints: the minority share of the output,
synthetic rows, values outside the real minority's range (numeric columns), values never seen in
the real column (discrete columns), the largest gap between a column's null share in the synthetic
and in the real minority rows (points), and the columns left all-empty in the synthetic rows where
the real minority has values. tests/test_public_suite_augment.py checks the same on few epochs.

    .venv/bin/python bench/suite_check.py [--engines pandas spark] [--tables HMDA ...]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tables import TABLES, load_table  # noqa: E402

RATIO = 0.3


def sanity(real: pd.DataFrame, augmented: pd.DataFrame, synthetic: pd.DataFrame, target: str, minority,
           discrete: list[str]) -> dict[str, object]:
    """The row checks of one cell (see the module docstring)."""
    real_min = real[real[target] == minority]
    out_of_range = unseen = emptied = 0
    worst_null_gap = 0.0
    for column in real.columns:
        if column == target:
            continue
        truth, made = real_min[column], synthetic[column]
        worst_null_gap = max(worst_null_gap, abs(made.isna().mean() - truth.isna().mean()))
        emptied += int(made.isna().all() and truth.notna().any())
        values = made.dropna()
        if column in discrete or not pd.api.types.is_numeric_dtype(truth):
            unseen += int((~values.astype(str).isin(set(real[column].dropna().astype(str)))).sum())
        elif len(values) and truth.notna().any():
            out_of_range += int((~values.between(truth.min(), truth.max())).sum())
    return {"minority share": float((augmented[target] == minority).mean()), "synthetic": len(synthetic),
            "out of range": out_of_range, "unseen": unseen, "null gap pts": 100 * worst_null_gap,
            "emptied": emptied}


def run_cell(engine: str, name: str, scarce: bool, spark=None) -> dict[str, object]:
    frame, target, minority, discrete = load_table(name, scarce=scarce, seed=0)
    started = time.perf_counter()
    if engine == "pandas":
        from genesis_spark.augment import augment

        result = augment(frame, target_column=target, ratio=RATIO, discrete_columns=discrete, seed=0)
        augmented, synthetic = result.augmented, result.synthetic[list(frame.columns)]
    else:
        from genesis_spark.spark.augment import augment_spark

        result = augment_spark(spark.createDataFrame(frame), target_column=target, ratio=RATIO,
                               discrete_columns=discrete, seed=0)
        augmented = result.augmented.toPandas()
        synthetic = result.synthetic.select(*[f"`{c}`" for c in frame.columns]).toPandas()
    row = {"engine": engine, "table": name, "cut": "2%" if scarce else "full",
           "real minority": int((frame[target] == minority).sum())}
    row.update(sanity(frame, augmented, synthetic, target, minority, discrete))
    row["s"] = round(time.perf_counter() - started, 1)
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", nargs="+", default=["pandas", "spark"], choices=["pandas", "spark"])
    parser.add_argument("--tables", nargs="+", default=list(TABLES), choices=TABLES)
    args = parser.parse_args(argv)
    spark = None
    if "spark" in args.engines:
        from genesis_spark.spark.session import get_spark

        spark = get_spark("local[2]")
    rows = []
    for name in args.tables:
        for scarce in (False, True):
            for engine in args.engines:
                try:
                    rows.append(run_cell(engine, name, scarce, spark))
                except Exception as exc:  # noqa: BLE001 - a failed cell is a result of this check
                    rows.append({"engine": engine, "table": name, "cut": "2%" if scarce else "full",
                                 "error": " ".join(str(exc).split())[:200]})
                print(pd.DataFrame([rows[-1]]).to_string(index=False, header=len(rows) == 1), flush=True)
    print("\ncommand: python " + " ".join(sys.argv))
    table = pd.DataFrame(rows)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    failed = table["error"].notna().sum() if "error" in table else 0
    print(f"\n{len(table) - failed} of {len(table)} cells ran")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
