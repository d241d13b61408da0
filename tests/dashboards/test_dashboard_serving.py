"""``shequ serve``: discovery of dashboards/, the index page, offline pages, the command."""

from __future__ import annotations

import re
import socket
import time
import urllib.request
from pathlib import Path

import panel as pn
import pytest

from shequ_sdk.ui.serving import REPO_DASHBOARDS, load_dashboards, serve

ROOT = Path(__file__).resolve().parents[2]


def test_dashboards_are_discovered_with_their_titles():
    found = load_dashboards(ROOT / "dashboards")
    assert [(d.name, d.title_zh, d.title_en) for d in found] == [
        ("township", "乡镇看板", "Township dashboard"), ("entry", "村务录入", "Village data entry")]
    assert REPO_DASHBOARDS == ROOT / "dashboards"


def test_a_new_dashboard_file_is_served_without_code_changes(tmp_path):
    (tmp_path / "hello.py").write_text('TITLE_ZH = "你好"\nTITLE_EN = "Hello"\n\ndef create(sdk=None, **params):\n'
                                       '    import panel as pn\n    return pn.pane.Markdown("你好")\n', encoding="utf-8")
    (tmp_path / "_helpers.py").write_text("X = 1\n")
    found = load_dashboards(tmp_path)
    assert [(d.name, d.title_zh) for d in found] == [("hello", "你好")]


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=60) as r:
        assert r.status == 200
        return r.read().decode("utf-8")


def test_served_pages_reference_only_the_server(demo_sdk):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    lines: list[str] = []
    server = serve(demo_sdk, port=port, threaded=True, directory=ROOT / "dashboards", announce=lines.append)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                _get(f"{base}/liveness")
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        assert lines and f"{base}/" in lines[0] and "乡镇看板" in lines[0]
        index = _get(f"{base}/")
        assert "乡镇看板 · Township dashboard" in index and "村务录入 · Village data entry" in index
        township, entry = _get(f"{base}/township"), _get(f"{base}/entry")
        for page in (index, township, entry):
            remote = re.findall(r'(?:src|href)="(https?://[^"]+)"', page)
            assert not remote, remote
            assert "fonts.googleapis" not in page and "cdn." not in page
        # the entry app in the light shell (its header, for phones), the dashboard in its template
        assert '<header id="header">' in entry and 'name="viewport"' in entry and "bootstrap.bundle" not in entry
        assert "bootstrap.bundle" in township and 'name="viewport"' in township
    finally:
        server.stop()
        server.join(10)
        pn.state.reset()


def test_serve_command_is_registered(cli):
    code, out, err = cli("serve", "--help")
    assert code == 0 and "--db" in out and "--port" in out and "--address" in out
    code, out, err = cli("serve", "--db", "/nonexistent/demo.db")
    assert code == 2 and "数据库文件不存在" in err


def test_the_servers_start_up_heap_is_kept_out_of_full_collections():
    """``serve`` freezes what the server holds once it starts (``settle_heap``): a full
    collection then walks the sessions' objects only, and pauses every page for less."""
    import gc

    from shequ_sdk.ui.serving import settle_heap

    held = [object() for _ in range(1000)]
    assert gc.get_freeze_count() == 0
    try:
        frozen = settle_heap()
        assert frozen == gc.get_freeze_count() > len(held)
        # what the sessions make afterwards is collected as before
        cycle: list = []
        cycle.append(cycle)
        del cycle
        assert gc.collect() >= 1
    finally:
        gc.unfreeze()
    assert gc.get_freeze_count() == 0
