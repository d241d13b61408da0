"""Every notebook in notebooks/ runs top to bottom against a fresh demo database.

The notebooks assert their key figures in cells, so a regression in a plugin or in the
frames API fails here. They are stored without outputs and use only the public API.

The kernel is this interpreter (``sys.executable``), declared in a throwaway kernelspec, so
the test works wherever the venv works (CI runs only ``uv sync``; no ``jupyter kernelspec
install`` needed).
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
KERNEL = "shequ-analytics-test"


def test_there_are_notebooks():
    assert {"01", "02", "03", "04", "05"} <= {p.name[:2] for p in NOTEBOOKS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_stored_clean_and_uses_the_public_api(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code), "store notebooks without outputs"
    source = "\n".join(c.source for c in code)
    assert not re.search(r"(from|import)\s+shequ_sdk\.", source), "notebooks use only the public API (shequ_sdk.*)"
    assert not re.search(r"\bsdk\._", source), "notebooks use only public Shequ methods"
    assert any(c.cell_type == "markdown" and re.search(r"[\u4e00-\u9fff]", c.source) for c in nb.cells), "prose is in Chinese"


@pytest.fixture(scope="module")
def kernel_env(tmp_path_factory):
    """A kernelspec for this interpreter and a demo database the notebooks share."""
    import shequ_sdk

    base = tmp_path_factory.mktemp("notebooks")
    spec = base / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "shequ-sdk (test)", "language": "python",
    }))
    db = base / "demo.db"
    sdk = shequ_sdk.open(db, create=True)
    sdk.build_demo()
    sdk.close()
    saved = {k: os.environ.get(k) for k in ("JUPYTER_PATH", "SHEQU_DEMO_DB")}
    os.environ["JUPYTER_PATH"] = str(base / "jupyter") + (os.pathsep + saved["JUPYTER_PATH"] if saved["JUPYTER_PATH"] else "")
    os.environ["SHEQU_DEMO_DB"] = str(db)
    yield base
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, kernel_env):
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name=KERNEL, resources={"metadata": {"path": str(kernel_env)}})
    client.execute()  # raises CellExecutionError naming the failing cell
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.get("output_type") == "error"]
    assert not errors
