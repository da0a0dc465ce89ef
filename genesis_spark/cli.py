"""The ``genesis`` command: run or validate YAML pipelines, and the end-to-end demo.

    genesis pipeline run FILE.yaml [--set KEY=VALUE ...] [--run-id N] [--engine pandas|spark]
                                   [--master URL] [--conf KEY=VALUE ...]
    genesis pipeline validate FILE.yaml [--set KEY=VALUE ...]
    genesis demo [--folder demo_output] [--epochs 100] [--rows 50000] [--engine pandas|spark]

Progress is logged to stderr; the summary goes to stdout. Exit status 0 on success, and for a
run id that is already committed (it prints the table versions holding it and writes nothing);
on failure 1 with one line ``genesis: error: <reason>`` on stderr (2 for usage errors).
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any, Sequence

logger = logging.getLogger("genesis_spark.cli")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="genesis", description="CTGAN augmentation pipelines on pandas and Spark.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")
    sub = parser.add_subparsers(dest="command", required=True)

    pipeline = sub.add_parser("pipeline", help="run or validate a YAML pipeline")
    psub = pipeline.add_subparsers(dest="action", required=True)
    for action in ("run", "validate"):
        p = psub.add_parser(action, help=f"{action} a pipeline file")
        p.add_argument("file", help="pipeline YAML file")
        p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                       help="override a value: top-level key (lakehouse=PATH) or STEP.PARAM[.SUBKEY] / N.PARAM")
        p.add_argument("--engine", choices=("pandas", "spark"), help="override the YAML's engine")
        if action == "run":
            p.add_argument("--run-id", type=int, help="run number (idempotency key); default: next free")
            p.add_argument("--master", help="Spark master URL (engine spark)")
            p.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE", help="Spark conf (engine spark)")

    demo = sub.add_parser("demo", help="write demo data and run the demo pipeline end to end")
    demo.add_argument("--folder", default="demo_output", help="output folder (default: demo_output)")
    demo.add_argument("--epochs", type=int, default=100, help="CTGAN epochs (default: 100)")
    demo.add_argument("--rows", type=int, default=50_000, help="demo transactions (default: 50000, 2%% fraud)")
    demo.add_argument("--engine", choices=("pandas", "spark"), default="spark", help="engine (default: spark, an embedded local session)")
    demo.add_argument("--run-id", type=int, help="run number; default: next free")
    return parser


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at emit time (it may be replaced after set-up, e.g. in tests)."""

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def _configure_logging(verbose: bool, quiet: bool) -> None:
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    root = logging.getLogger("genesis_spark")
    if not any(getattr(h, "_genesis_cli", False) for h in root.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
        handler._genesis_cli = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)


def _kv(items: Sequence[str], flag: str) -> dict[str, str]:
    out = {}
    for item in items:
        if "=" not in item:
            raise ValueError(f"{flag} {item!r}: expected KEY=VALUE.")
        key, value = item.split("=", 1)
        out[key.strip()] = value
    return out


def _format_value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def format_summary(result, title: str) -> str:
    """A readable two-section table of a ``PipelineResult``: metrics, then outputs and table versions."""
    lines = [title, ""]
    verdicts = result.outputs.get("utility_verdicts") or []
    if verdicts:
        lines += ["did the synthetic rows help? (PR-AUC on the real test rows, augmented vs real-only training)"]
        lines += [f"  {line}" for line in verdicts]
        lines.append("")
    # per-classifier copies (suffix _<classifier>) stay in the runs table and MLflow; the first one is shown
    suffixes = tuple(f"_{name}" for name in str(result.metrics.get("classifiers", "")).split(",") if name)
    scalars = {k: v for k, v in result.metrics.items()
               if isinstance(v, (int, float, str, bool)) and not k.endswith(suffixes) and k != "classifiers"}
    if scalars:
        width = max(map(len, scalars))
        lines += ["metric".ljust(width) + "  value", "-" * width + "  " + "-" * 12]
        lines += [f"{k.ljust(width)}  {_format_value(v)}" for k, v in scalars.items()]
        lines.append("")
    outputs = {k: v for k, v in result.outputs.items() if isinstance(v, str)}
    versions = result.versions or {}
    if outputs or versions:
        rows = [(k, v) for k, v in outputs.items()]
        rows += [(f"table v{version}", path) for path, version in versions.items()]
        width = max(len(k) for k, _ in rows)
        lines += ["output".ljust(width) + "  where", "-" * width + "  " + "-" * 12]
        lines += [f"{k.ljust(width)}  {v}" for k, v in rows]
        lines.append("")
    if result.timings:
        total = sum(result.timings.values())
        lines.append(f"time: {total:.1f} s (" + ", ".join(f"{k} {v:.1f}s" for k, v in result.timings.items()) + ")")
    return "\n".join(lines)


def _pipeline_command(args: argparse.Namespace) -> int:
    from genesis_spark.pipeline.yaml_config import load_pipeline

    pipeline = load_pipeline(args.file, args.overrides)
    if args.engine:
        pipeline.engine = args.engine
    if args.action == "validate":
        print(f"{args.file}: valid pipeline {pipeline.name!r} ({pipeline.engine}), {len(pipeline.steps)} steps:")
        for index, step in enumerate(pipeline.steps, start=1):
            print(f"  {index}. {step!r}")
        return 0
    if args.master:
        pipeline.engine_options["master"] = args.master
    if args.conf:
        pipeline.engine_options["conf"] = {**pipeline.engine_options.get("conf", {}), **_kv(args.conf, "--conf")}
    result = pipeline.run(run_id=args.run_id)
    if not result.success:
        raise _RunFailed(result.error or "pipeline failed")
    print(format_summary(result, _title(f"pipeline {pipeline.name!r}", result)))
    return 0


def _title(what: str, result) -> str:
    if result.already_committed:
        return f"{what} run {result.run_id}: already committed, nothing to do (nothing written)"
    return f"{what} run {result.run_id}: success"


def demo_pipeline(folder: Path, epochs: int, engine: str = "pandas"):
    """The demo: split -> augment (CTGAN) -> evaluate -> privacy audit -> compare models ->
    versioned Delta lakehouse + augmented CSV + generator -> HTML report."""
    from genesis_spark.pipeline import Pipeline, steps

    return Pipeline([
        steps.load_csv(str(folder / "transactions.csv")),
        steps.analyze(target_column="is_fraud", report=True),
        steps.split(target_column="is_fraud", test_size=0.2, seed=42),
        steps.augment_imbalanced(target_column="is_fraud", ratio=0.3, strategy="oversample",
                                 discrete_columns=["merchant_category", "hour", "day_of_week"],
                                 config={"epochs": epochs}),
        steps.evaluate(target_column="is_fraud", min_score=0.7),
        steps.privacy_audit(threshold=0.9),
        steps.compare_models(target_column="is_fraud"),
        steps.save_csv(str(folder / "augmented_transactions.csv")),
        steps.save_versioned(str(folder / "data_versions"), "demo run", tag="latest"),
        steps.save_generator(str(folder / "fraud_generator.gen")),
        steps.report_html(str(folder / "report.html")),
    ], name="genesis_demo", description="demo: augment the fraud class of the demo transactions",
        engine=engine, lakehouse=str(folder / "lakehouse"), seed=0)


def _demo_command(args: argparse.Namespace) -> int:
    from genesis_spark.datasets import write_demo_data

    folder = Path(args.folder).resolve()
    paths = write_demo_data(folder, n_transactions=args.rows)
    print(f"demo data: {paths['csv']} ({args.rows:,} rows, 2% fraud)")
    print(f"training CTGAN for {args.epochs} epochs on the fraud rows of the training split ({args.engine} engine)")
    result = demo_pipeline(folder, args.epochs, args.engine).run(run_id=args.run_id)
    if not result.success:
        raise _RunFailed(result.error or "demo failed")
    print(format_summary(result, _title("demo", result)))
    print(f"\nopen the report: {result.outputs.get('report_path')}")
    print(f"read a table back: {sys.executable} -c \"from genesis_spark.delta import read_version; "
          f"print(read_version('{folder / 'lakehouse' / 'augmented_train'}', 'latest').num_rows)\"")
    return 0


class _RunFailed(Exception):
    """A pipeline ran and failed (its error is the one-line reason)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``genesis``; returns the exit status.

    Example::

        main(["pipeline", "run", "conf/fraud_augmentation_pipeline.yaml", "--set", "augment_imbalanced.config.epochs=5"])
    """
    parser = _parser()
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:  # argparse already printed usage
        return int(exc.code or 0)
    _configure_logging(args.verbose, args.quiet)
    try:
        if args.command == "pipeline":
            return _pipeline_command(args)
        return _demo_command(args)
    except (_RunFailed, ValueError, FileNotFoundError, OSError, ImportError) as exc:
        logger.debug("genesis failed", exc_info=True)
        reason = " ".join(str(exc).split())
        print(f"genesis: error: {reason}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
