"""The dashboards render inline in a Jupyter notebook: the same objects ``shequ serve`` uses."""

from __future__ import annotations

import json
import os
import sys

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

KERNEL = "shequ-dashboard-test"


@pytest.mark.slow
def test_dashboard_and_views_render_in_a_notebook(tmp_path, demo_sdk, monkeypatch):
    spec = tmp_path / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"], "display_name": "shequ (test)", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter") + os.pathsep + os.environ.get("JUPYTER_PATH", ""))
    db = demo_sdk.url.split("sqlite:///", 1)[1]
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(f"import shequ_sdk\nfrom shequ_sdk.ui import TownshipDashboard, KpiCards, DataStore\nsdk = shequ_sdk.open({db!r})"),
        nbformat.v4.new_code_cell("TownshipDashboard(sdk=sdk, region='茅草街镇', period='2010')"),
        nbformat.v4.new_code_cell("KpiCards(data_store=DataStore(sdk=sdk, region='新尚村社区', period='2010'))"),
    ])
    nbclient.NotebookClient(nb, timeout=600, kernel_name=KERNEL).execute()
    for cell in nb.cells[1:]:
        kinds = {k for o in cell.outputs for k in o.get("data", {})}
        assert any("bokeh" in k or "holoviews" in k or k == "text/html" for k in kinds), kinds
        assert not [o for o in cell.outputs if o.get("output_type") == "error"]
