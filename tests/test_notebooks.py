"""Every notebook in notebooks/ runs top to bottom (nbclient, the venv's python3 kernel) with small
parameters injected after its "parameters" cell, as papermill does; any cell error fails the test."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

#: CI-sized values for the parameter names notebooks use; only names a notebook declares are injected.
SMALL = {"N_TRANSACTIONS": 3_000, "EPOCHS": 2, "N_SYNTHETIC": 300, "N_ESTIMATORS": 20, "MIN_SCORE": 0.0,
         "ENGINE": "pandas"}


def _inject_parameters(nb: nbformat.NotebookNode, workdir: Path) -> None:
    index = next((i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])), None)
    assert index is not None, "a notebook needs a cell tagged 'parameters' (its first code cell)"
    declared = nb.cells[index].source
    values = {k: v for k, v in SMALL.items() if k in declared}
    values["WORKDIR"] = str(workdir)
    lines = ["# Injected by tests/test_notebooks.py"] + [f"{k} = {v!r}" for k, v in values.items()]
    injected = nbformat.v4.new_code_cell("\n".join(lines))
    injected.metadata["tags"] = ["injected-parameters"]
    nb.cells.insert(index + 1, injected)


def test_there_is_a_notebook():
    assert NOTEBOOKS, "notebooks/ holds no .ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path, tmp_path, monkeypatch):
    nb = nbformat.read(str(path), as_version=4)
    _inject_parameters(nb, tmp_path / "out")
    # A python3 kernelspec for this interpreter, ahead of any user-installed one on JUPYTER_PATH.
    from ipykernel.kernelspec import install

    install(prefix=str(tmp_path / "kernel"), kernel_name="python3")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "kernel" / "share" / "jupyter"))
    # The kernel's inline matplotlib backend renders plots as PNG outputs (no display needed).
    monkeypatch.delenv("MPLBACKEND", raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    # per cell: a shared 2-core CI machine under load needs minutes for the training and compare cells
    client = NotebookClient(nb, kernel_name="python3", timeout=600,
                            resources={"metadata": {"path": str(tmp_path)}})
    try:
        client.execute()
    except CellExecutionError as exc:
        plain = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
        pytest.fail(f"{path.name} failed:\n{plain[-4000:]}")
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    if path.stem == "ml_training_pipeline":
        kinds = {mime for o in outputs for mime in o.get("data", {})}
        assert "image/png" in kinds, "the model comparison plot is shown"
        assert "text/html" in kinds, "the quality report is shown inline"
        assert (tmp_path / "out" / "lakehouse" / "augmented_train" / "_delta_log").is_dir()
