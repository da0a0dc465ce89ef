"""bench/ scripts imported for tests (bench/ is a script folder, not a package): the public table suite
(bench/tables.py) and any other script by name."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_bench_module(stem: str):
    """The ``bench/<stem>.py`` module (loaded once, cached in ``sys.modules``)."""
    name = f"genesis_bench_{stem}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{stem}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def load_bench_tables():
    """The ``bench/tables.py`` module: the public real-table suite."""
    return load_bench_module("tables")
