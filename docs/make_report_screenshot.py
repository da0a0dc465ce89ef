"""Make docs/images/report.png, the README's picture of the HTML report, from a realistic run.

The tutorial's demo data, the tutorial's pipeline steps with moderate epochs, the report opened in
Debian's headless chromium (``apt-get install -y chromium``; ``make test`` installs it as root)::

    python docs/make_report_screenshot.py                      # pandas engine, 150 epochs
    python docs/make_report_screenshot.py --engine spark --epochs 300 --html /tmp/report.html
"""
from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from genesis_spark.datasets import DISCRETE_COLUMNS, make_transactions
from genesis_spark.pipeline import Pipeline, steps

logger = logging.getLogger("make_report_screenshot")
ROOT = Path(__file__).resolve().parent.parent


def make_report(folder: Path, rows: int, epochs: int, engine: str, seed: int) -> Path:
    """Run the tutorial's pipeline on the demo data with a report_html step; the report's path."""
    os.chdir(folder)  # the report shows the source as given: the tutorial's relative path
    csv = Path("demo_output") / "transactions.csv"
    csv.parent.mkdir(exist_ok=True)
    make_transactions(rows, fraud_rate=0.02, seed=42).to_csv(csv, index=False)
    report = folder / "report.html"
    result = Pipeline([
        steps.load_csv(str(csv)),
        steps.split(target_column="is_fraud", test_size=0.2, seed=42),
        steps.augment_imbalanced(target_column="is_fraud", ratio=0.3, discrete_columns=DISCRETE_COLUMNS,
                                 config={"epochs": epochs}),
        steps.evaluate(target_column="is_fraud"),
        steps.privacy_audit(threshold=0.9),
        steps.compare_models(target_column="is_fraud", classifiers=["random_forest", "hist_gradient_boosting"]),
        steps.report_html(str(report), title="Fraud augmentation: quality report"),
    ], name="fraud_data_augmentation", engine=engine, seed=seed).run()
    if not result.success:
        raise RuntimeError(f"the pipeline failed: {result.error}")
    logger.info("report written: %s (step seconds %s)", report, result.timings)
    return report


def screenshot(report: Path, out: Path, width: int, height: int) -> Path:
    """A PNG of the top ``height`` pixels of ``report`` in headless chromium."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("chromium is not installed: apt-get install -y chromium")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chromium_") as profile:
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        "--no-first-run", f"--user-data-dir={profile}", "--virtual-time-budget=10000",
                        f"--window-size={width},{height}", f"--screenshot={out}", report.as_uri()],
                       check=True, capture_output=True, timeout=300)
    logger.info("screenshot written: %s", out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="demo rows (2%% fraud)")
    parser.add_argument("--epochs", type=int, default=150)
    parser.add_argument("--engine", choices=("pandas", "spark"), default="pandas")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=2400)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images" / "report.png")
    parser.add_argument("--html", type=Path, help="also keep the report's HTML here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    with tempfile.TemporaryDirectory(prefix="genesis_report_") as folder:
        out = args.out.resolve()
        html_copy = args.html.resolve() if args.html else None
        report = make_report(Path(folder), args.rows, args.epochs, args.engine, args.seed)
        if html_copy:
            html_copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(report, html_copy)
        screenshot(report, out, args.width, args.height)
        os.chdir(ROOT)


if __name__ == "__main__":
    main()
