"""The package's shape: layers that import one way, and no import circles (read from the source with ast)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "genesis_spark"

#: Lowest first; a module may import its own layer or lower ones. Keys are module prefixes.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("genesis_spark.version", "genesis_spark.datasets", "genesis_spark.synth", "genesis_spark.core"),
    ("genesis_spark.quality",),
    ("genesis_spark.delta",),
    ("genesis_spark.spark",),
    ("genesis_spark.augment", "genesis_spark.oversampler"),
    ("genesis_spark.pipeline", "genesis_spark.tracking", "genesis_spark.lakehouse"),
    ("genesis_spark.cli", "genesis_spark.job", "genesis_spark.docs_gen", "genesis_spark"),
)
#: Modules with no torch and no pyspark import (the engine-neutral core).
NO_TORCH_NO_SPARK = "genesis_spark.core"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_block(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports_of(path: Path) -> set[str]:
    """Every module this file imports (function-level imports included; ``if TYPE_CHECKING:`` ones not)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if _type_checking_block(node):
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    edges = {}
    for name, path in modules.items():
        edges[name] = {m for m in imports_of(path) if m in modules and m != name}
    return edges


def layer_of(module: str) -> int:
    best, best_len = None, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            below = module.startswith(prefix + ".") and prefix != "genesis_spark"  # the root: itself only
            if (module == prefix or below) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    if best is None:
        raise AssertionError(f"{module} is in no layer; add it to LAYERS in {Path(__file__).name}")
    return best


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def strongconnect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            strongconnect(v)
    return found


def test_no_import_circles():
    assert circles(graph()) == []


def test_no_import_against_the_layer_order():
    against = sorted(f"{m} -> {d}" for m, deps in graph().items() for d in deps if layer_of(d) > layer_of(m))
    assert against == []


def test_core_imports_neither_torch_nor_pyspark():
    offending = sorted(f"{module_name(p)} -> {m}" for p in (PACKAGE / "core").rglob("*.py")
                       for m in imports_of(p) if m.split(".")[0] in ("torch", "pyspark"))
    assert offending == []


def test_the_checker_sees_a_circle_and_an_upward_import():
    assert circles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]
    assert layer_of("genesis_spark.core.plan") < layer_of("genesis_spark.spark.augment")
    with pytest.raises(AssertionError, match="in no layer"):
        layer_of("elsewhere.module")


def test_no_test_only_names_in_the_library():
    names = ("GENESIS_SPARK_TEST", "FAIL_FIRST_ATTEMPT", "last_split", "_maybe_fail")
    hits = sorted(f"{p.relative_to(PACKAGE.parent)}: {n}" for p in PACKAGE.rglob("*.py")
                  for n in names if n in p.read_text(encoding="utf-8"))
    assert hits == []
