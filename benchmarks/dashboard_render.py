"""Benchmark the township dashboard: seconds from navigation until the KPI cards and the
disclosure heatmap are visible, in headless Chromium, served by ``shequ serve``'s own code.

Each measured page view opens a fresh browser context (no cached files, like a first visit)
and navigates to ``/township`` (the first county, the latest full year) and to
``/township?region=<first township>``. The first view after the server starts is reported on
its own (``first``); ``value`` is the median of the following ``--runs``.

The baseline is measured in the same run, by the same browser, from a server in the same process: a bare
Panel page in the same BootstrapTemplate holding one KPI card and one heatmap cell and nothing
else (no database, no plugin). The ratio is what the dashboard's own work costs over Panel's
page load. The issue's target (3 s to KPIs and heatmap) is reported as ``target_s`` and checked
by ``--check``. Prints one JSON line per page::

    {"name": "dashboard_render_demo_county", "value": 1.9, "unit": "s", "baseline": 0.8, "ratio": 2.4, "target_s": 3.0, ...}

    uv run --no-sync python benchmarks/dashboard_render.py                  # the demo database (built in a temp dir)
    uv run --no-sync python benchmarks/dashboard_render.py --db county.db   # a county-scale database (shequ generate)
    uv run --no-sync python benchmarks/dashboard_render.py --check          # exit 1 when a page is slower than 3 s

Needs Debian's Chromium (``/usr/bin/chromium``, or ``--chromium``) and fonts-noto-cjk.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 3.0
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_live(base: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{base}/liveness", timeout=10):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def kpis_and_heatmap(page, url: str, timeout_ms: int) -> float:
    """Navigate; seconds until a KPI card and a heatmap cell are visible (what both pages show)."""
    started = time.perf_counter()
    page.goto(url, wait_until="commit", timeout=timeout_ms)
    page.locator(".shequ-kpi").first.wait_for(state="visible", timeout=timeout_ms)
    page.locator(".shequ-heatmap td.cell").first.wait_for(state="visible", timeout=timeout_ms)
    return time.perf_counter() - started


def page_view(browser, url: str, timeout_ms: int, views: int) -> tuple[float, float]:
    """Seconds from navigation to (KPI cards and heatmap cells visible, the whole page loaded),
    in a fresh browser context. The page is left only when everything has arrived, so the next
    view finds the server idle (one user at a time)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    try:
        started = time.perf_counter()
        seen = kpis_and_heatmap(page, url, timeout_ms)
        page.locator(".shequ-village-table .tabulator-row").first.wait_for(state="visible", timeout=timeout_ms)
        page.locator(".shequ-view-title").nth(views - 1).wait_for(state="visible", timeout=timeout_ms)
        page.locator(".shequ-view .bk-Canvas, .shequ-view canvas, .shequ-view .shequ-message").last.wait_for(state="attached", timeout=timeout_ms)
        return seen, time.perf_counter() - started
    finally:
        context.close()


def baseline_page():
    """The bare page the dashboard is compared with: Panel, the template, one card, one cell."""
    import panel as pn

    tpl = pn.template.BootstrapTemplate(title="baseline", header_background="#0d47a1")
    tpl.main.append(pn.pane.HTML('<div class="shequ-kpi">1</div><table class="shequ-heatmap"><tr><td class="cell">x</td></tr></table>'))
    return tpl


def bare_view(browser, url: str, timeout_ms: int) -> float:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    try:
        return kpis_and_heatmap(context.new_page(), url, timeout_ms)
    finally:
        context.close()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", help="database to serve (default: the demo, built in a temporary directory)")
    ap.add_argument("--runs", type=int, default=5, help="page views measured per page after the first (default 5)")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--timeout", type=float, default=120, help="seconds to wait for one page")
    ap.add_argument("--check", action="store_true", help=f"exit 1 when a median is above {TARGET_SECONDS} s")
    ns = ap.parse_args(argv)

    import shequ_sdk
    from shequ_sdk.ui import views_for
    from shequ_sdk.ui.serving import serve
    from playwright.sync_api import sync_playwright

    tmp = tempfile.TemporaryDirectory()
    if ns.db:
        db, label = ns.db, Path(ns.db).stem
        sdk = shequ_sdk.open(db)
    else:
        db, label = str(Path(tmp.name) / "demo.db"), "demo"
        sdk = shequ_sdk.open(db, create=True)
        sdk.build_demo()
    started = time.perf_counter()
    port = free_port()
    server = serve(sdk, port=port, threaded=True, directory=ROOT / "dashboards", announce=lambda _t: None)
    base = f"http://127.0.0.1:{port}"
    wait_live(base)
    startup = time.perf_counter() - started
    import panel as pn

    bare_port = free_port()
    bare = pn.serve({"baseline": baseline_page}, port=bare_port, address="127.0.0.1", threaded=True, start=True, show=False,
                    liveness=True, verbose=False, websocket_origin=[f"127.0.0.1:{bare_port}"])
    wait_live(f"http://127.0.0.1:{bare_port}")
    bare_url = f"http://127.0.0.1:{bare_port}/baseline"
    townships = [a for a in _areas(sdk) if a[1] == "township"]
    pages = [("county", f"{base}/township")]
    if townships:
        pages.append(("township", f"{base}/township?region={quote(townships[0][0])}"))
    failed = False
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=ns.chromium, args=ARGS)
            try:
                views = len(views_for("chart"))
                timeout_ms = int(ns.timeout * 1000)
                bare_view(browser, bare_url, timeout_ms)  # the first view warms Panel's own files
                for name, url in pages:
                    first = page_view(browser, url, int(ns.timeout * 1000), views)
                    runs = [page_view(browser, url, int(ns.timeout * 1000), views) for _ in range(ns.runs)]
                    value = statistics.median(r[0] for r in runs)
                    # baseline views interleaved with the measured ones, so both see the same load
                    baseline = statistics.median(bare_view(browser, bare_url, timeout_ms) for _ in range(ns.runs))
                    failed |= value > TARGET_SECONDS
                    print(json.dumps({
                        "name": f"dashboard_render_{label}_{name}", "value": round(value, 3), "unit": "s",
                        "baseline": round(baseline, 3), "ratio": round(value / baseline, 3), "target_s": TARGET_SECONDS,
                        "within_target": value <= TARGET_SECONDS, "first": round(first[0], 3),
                        "runs": [round(r[0], 3) for r in runs], "whole_page_s": round(statistics.median(r[1] for r in runs), 3),
                        "url": url.replace(base, ""), "server_start_s": round(startup, 2), "db": db,
                    }, ensure_ascii=False), flush=True)
            finally:
                browser.close()
    finally:
        for srv in (server, bare):
            srv.stop()
            srv.join(10)
        sdk.close()
        tmp.cleanup()
    return 1 if (ns.check and failed) else 0


def _areas(sdk) -> list[tuple[str, str]]:
    from shequ_sdk.ui.store import region_refs

    refs = region_refs(sdk)
    df = sdk.regions_frame()
    return [(refs[int(r.id)], str(r.level)) for r in df.itertuples() if str(r.level) in ("county", "township")]


if __name__ == "__main__":
    sys.exit(main())
