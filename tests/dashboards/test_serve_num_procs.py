"""``shequ serve --num-procs 2``: two worker processes share the port and both serve
``/township``; stopping the serving process stops its workers too."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from shequ_sdk.testing import sqlite_demo_copy

pytestmark = pytest.mark.skipif(os.name != "posix" or not Path("/proc").is_dir(), reason="forked workers: POSIX with /proc")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return sorted(out)


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=60) as r:
        return r.status, r.read().decode("utf-8", errors="replace")


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_two_processes_serve_the_township_dashboard(tmp_path, tmp_path_factory):
    db = tmp_path / "demo.db"
    sqlite_demo_copy(tmp_path_factory, db)
    port = _free_port()
    script = Path(sys.executable).with_name("shequ")
    cmd = [str(script)] if script.exists() else [sys.executable, "-c", "import sys\nfrom shequ_sdk.cli import main\nmain(sys.argv[1:])"]
    proc = subprocess.Popen([*cmd, "serve", "--db", str(db), "--port", str(port), "--num-procs", "2"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=tmp_path, env={**os.environ, "BOKEH_LOG_LEVEL": "error"})
    workers: list[int] = []
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 90
        while True:
            assert proc.poll() is None, proc.stderr.read()[-2000:]
            try:
                _get(f"{base}/liveness")
                break
            except OSError:
                assert time.time() < deadline, "shequ serve --num-procs 2 did not answer"
                time.sleep(0.3)
        workers = _children(proc.pid)
        assert len(workers) == 2, f"expected two workers under {proc.pid}, found {workers}"
        before = {w: _cpu_seconds(w) for w in workers}
        # pairs of concurrent page loads: while one worker builds a page, the other accepts the next
        with ThreadPoolExecutor(2) as pool:
            for _ in range(6):
                for status, body in pool.map(_get, [f"{base}/township"] * 2):
                    assert status == 200 and "bokeh" in body.lower()
                grew = {w: _cpu_seconds(w) - before[w] for w in workers}
                if all(g >= 0.2 for g in grew.values()):
                    break
        assert all(g >= 0.2 for g in grew.values()), f"CPU seconds per worker while serving: {grew}"
        proc.send_signal(signal.SIGTERM)  # the serving process alone: its workers follow it
        proc.wait(15)
        deadline = time.time() + 15
        while any(_alive(w) for w in workers) and time.time() < deadline:
            time.sleep(0.2)
        assert not any(_alive(w) for w in workers), "a worker outlived the serving process"
    finally:
        for pid in [proc.pid, *workers]:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        proc.wait(5)


def test_num_procs_is_refused_with_a_thread(demo_sdk):
    from shequ_sdk.errors import InputError
    from shequ_sdk.ui.serving import serve

    with pytest.raises(InputError, match="foreground"):
        serve(demo_sdk, port=_free_port(), threaded=True, num_procs=2, announce=lambda _t: None)
    with pytest.raises(InputError, match="positive"):
        serve(demo_sdk, port=_free_port(), num_procs=0, announce=lambda _t: None)
