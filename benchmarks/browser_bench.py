"""Measure 4 of ``county_bench.py``: the township dashboard in headless Chromium on the county.

``shequ serve`` runs as its own process on a free port (so its resident memory is its own);
Playwright drives Debian's Chromium (never a downloaded browser) with the launch arguments of
``STACK.md``. Figures:

- ``browser_first_render``: seconds from navigation to ``/township?region=…&period=…`` until
  the KPI cards and the disclosure heatmap (the first plugin chart view; the village table
  while no plugin view is registered) are visible. The first page of a fresh server, so it
  includes the server's first-session work.
- ``server_rss_after_sessions``: the server's RSS (``/proc/<pid>/status``) after ``sessions``
  browser sessions have each loaded the page fully.

    uv run --no-sync python benchmarks/browser_bench.py benchmarks/.data/work/county_run.db
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]
KPIS = ".shequ-kpi"
# the heatmap is the first plugin view above the village table; fall back to the table itself
HEATMAP = ".shequ-view:has(.bk-Canvas, canvas, table, .shequ-heatmap), .shequ-village-table .tabulator-cell"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_server(db: Path | str, port: int, num_procs: int = 1, log: Optional[Path] = None) -> subprocess.Popen:
    """``shequ serve`` of ``db`` (a file or a database URL) on ``port``, ready when it returns.
    ``log``: where its stderr goes (a long run would fill a pipe nobody reads)."""
    script = Path(sys.executable).with_name("shequ")
    cmd = [str(script)] if script.exists() else [sys.executable, "-c", "import sys\nfrom shequ_sdk.cli import main\nmain(sys.argv[1:])"]
    procs = ["--num-procs", str(num_procs)] if num_procs != 1 else []
    err = open(log, "wb") if log is not None else subprocess.PIPE
    try:
        proc = subprocess.Popen([*cmd, "serve", "--db", str(db), "--port", str(port), "--dashboards", str(ROOT / "dashboards"), *procs],
                                stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT, env={**os.environ, "BOKEH_LOG_LEVEL": "error"})
    finally:
        if log is not None:
            err.close()

    def errors() -> str:
        text = log.read_bytes() if log is not None else proc.stderr.read()
        return text.decode(errors="replace")[-2000:]

    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"shequ serve exited: {errors()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/liveness", timeout=2):
                return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("shequ serve did not answer within 120 s")


def run(db: Path, *, period: str, sessions: int = 5, targets: dict, region: str = "模拟县") -> list:
    from county_bench import Measure

    if not Path(CHROMIUM).exists():
        return [Measure("browser_first_render", None, "s", None, None, "Chromium not installed", None, 0, "sqlite",
                        {"skipped": f"{CHROMIUM} missing (apt-get install chromium fonts-noto-cjk)"})]
    from playwright.sync_api import sync_playwright

    port = free_port()
    try:
        server = start_server(db, port)
    except RuntimeError as exc:
        return [_failed("browser_first_render", "s", f"≤ {targets['browser_s']:.0f} s", str(exc))]
    url = f"http://127.0.0.1:{port}/township?" + urllib.parse.urlencode({"region": region, "period": period})
    renders = []
    try:
        idle_rss = rss_mb(server.pid)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
            try:
                pages = []
                try:
                    _sessions(browser, url, sessions, renders, pages)
                except Exception as exc:  # the page never showed the KPIs: report it, do not hide the other measures
                    error = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
                    return [_failed("browser_first_render", "s", f"≤ {targets['browser_s']:.0f} s", error, url=url),
                            _failed("server_rss_after_sessions", "MB", f"≤ {targets['server_rss_mb']:.0f} MB", error,
                                    value=round(rss_mb(server.pid), 1))]
                time.sleep(1.0)
                after_rss = rss_mb(server.pid)
                for ctx in pages:
                    ctx.close()
            finally:
                browser.close()
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
    return _measures(renders, after_rss, idle_rss, sessions, targets, url)


def _failed(name: str, unit: str, target: str, error: str, value=None, **detail):
    from county_bench import Measure

    return Measure(name, value, unit, None, None, target, False, 0, "sqlite", {"error": error, **detail})


def _sessions(browser, url: str, sessions: int, renders: list, pages: list) -> None:
    for _ in range(sessions):
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = ctx.new_page()
        pages.append(ctx)  # sessions stay open: the server holds them all
        started = time.perf_counter()
        page.goto(url, wait_until="commit", timeout=60_000)
        page.locator(KPIS).first.wait_for(state="visible", timeout=60_000)
        kpis = time.perf_counter() - started
        page.locator(HEATMAP).first.wait_for(state="visible", timeout=60_000)
        renders.append((kpis, time.perf_counter() - started))


def _measures(renders, after_rss, idle_rss, sessions, targets, url):
    from county_bench import Measure

    first_kpis, first_all = renders[0]
    later = sorted(r[1] for r in renders[1:]) or [first_all]
    return [
        Measure("browser_first_render", round(first_all, 2), "s", None, None, f"≤ {targets['browser_s']:.0f} s", first_all <= targets["browser_s"],
                1, "sqlite", {"kpis_visible_s": round(first_kpis, 2), "later_sessions_median_s": round(later[len(later) // 2], 2),
                              "url": url}),
        Measure("server_rss_after_sessions", round(after_rss, 1), "MB", None, None, f"≤ {targets['server_rss_mb']:.0f} MB",
                after_rss <= targets["server_rss_mb"], sessions, "sqlite", {"sessions": sessions, "rss_before_first_page_mb": round(idle_rss, 1)}),
    ]


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    import county_bench

    for m in run(Path(sys.argv[1]), period=sys.argv[2] if len(sys.argv) > 2 else "2020", targets=county_bench.TARGETS):
        print(m.line())
