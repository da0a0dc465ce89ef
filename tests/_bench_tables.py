"""bench/tables.py (the public real-table suite) imported for tests: it is a script folder, not a package."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_bench_tables():
    """The ``bench/tables.py`` module (loaded once, cached in ``sys.modules``)."""
    name = "genesis_bench_tables"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / "tables.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]
