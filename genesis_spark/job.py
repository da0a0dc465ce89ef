"""The spark-submit job: run a YAML pipeline on the Spark engine.

    spark-submit jobs/augment.py --config conf/fraud_augmentation_pipeline.yaml \\
        [--run-id N] [--set KEY=VALUE ...] [--master URL] [--conf KEY=VALUE ...] [--engine spark|pandas]

Pipeline loading, ``--set`` overrides, the run and the exit status are the ``genesis``
CLI's (``genesis pipeline run``): 0 on success, 1 with ``genesis: error: <reason>`` on
failure (quality gate included; nothing is written then), 2 for usage errors. The engine
defaults to spark here, whatever the YAML says; ``--engine pandas`` overrides it.
Under spark-submit the session spark-submit started (its ``--master`` and ``--conf``) is used.
"""
from __future__ import annotations

import argparse
import sys
from typing import Sequence


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jobs/augment.py",
                                     description="Run a genesis_spark YAML pipeline on Spark (spark-submit entry point).")
    parser.add_argument("--config", required=True, help="pipeline YAML file")
    parser.add_argument("--run-id", type=int, help="run number (idempotency key); default: next free")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a YAML value: top-level key (lakehouse=PATH) or STEP.PARAM[.SUBKEY]")
    parser.add_argument("--master", help="Spark master when no session exists yet (spark-submit's --master wins)")
    parser.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE", help="Spark conf")
    parser.add_argument("--engine", choices=("spark", "pandas"), default="spark", help="engine (default: spark)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")
    return parser


def cli_arguments(args: argparse.Namespace) -> list[str]:
    """The ``genesis`` CLI arguments equivalent to this job's parsed arguments."""
    argv = ["-v"] if args.verbose else ["-q"] if args.quiet else []
    argv += ["pipeline", "run", args.config, "--engine", args.engine]
    for item in args.overrides:
        argv += ["--set", item]
    for item in args.conf:
        argv += ["--conf", item]
    if args.run_id is not None:
        argv += ["--run-id", str(args.run_id)]
    if args.master:
        argv += ["--master", args.master]
    return argv


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the job's arguments and run the pipeline through the ``genesis`` CLI; returns the exit status.

    Example::

        main(["--config", "conf/fraud_augmentation_pipeline.yaml", "--set", "augment_imbalanced.config.epochs=5"])
    """
    from genesis_spark.cli import main as cli_main

    try:
        args = _parser().parse_args(list(argv) if argv is not None else None)
    except SystemExit as exc:  # argparse printed the usage
        return int(exc.code or 0)
    return cli_main(cli_arguments(args))


def run() -> None:
    """Console-script / Databricks ``python_wheel_task`` entry point: exits with ``main``'s status.

    A wheel task ignores a returned integer, so a failed run (a missed quality gate included)
    must leave through ``SystemExit`` to mark the task failed.
    """
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()
