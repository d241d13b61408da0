"""The public portal's village page on a weak phone connection: transferred bytes and first
contentful paint (FCP) in headless Chromium throttled to a slow 3G profile, against a same-run
baseline — a static HTML page holding the same text, served from the same machine.

Throttling (Chrome DevTools Protocol ``Network.emulateNetworkConditions``): WebPageTest's
"3G Slow" profile — 400 ms round trip, 400 kbit/s down and up — and the CPU unthrottled. Each page
is loaded ``runs`` times in a fresh browser context (empty cache); the median is reported.
Target: FCP ≤ 2 s, and ≤ 200 KB transferred.

    uv run --no-sync python benchmarks/public_page.py [--db demo.db] [--village 北庄村] [--runs 5]
"""

from __future__ import annotations

import argparse
import html
import statistics
import sys
import tempfile
import threading
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from browser_bench import CHROMIUM, LAUNCH_ARGS, free_port  # noqa: E402

SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 400 * 1000 / 8, "uploadThroughput": 400 * 1000 / 8}
FCP_TARGET = 2.0
BYTES_TARGET = 200 * 1024


def measure(browser, url: str) -> tuple[float, int]:
    """(FCP in seconds, bytes transferred) of one throttled load of ``url`` with an empty cache."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    sizes: dict[str, float] = {}
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
    page.goto(url, wait_until="load")
    fcp = page.evaluate("""() => new Promise(resolve => {
        const seen = performance.getEntriesByName('first-contentful-paint');
        if (seen.length) return resolve(seen[0].startTime);
        new PerformanceObserver(list => resolve(list.getEntriesByName('first-contentful-paint')[0].startTime))
            .observe({type: 'paint', buffered: true});
    })""")
    page.wait_for_timeout(200)
    context.close()
    return fcp / 1000, int(sum(sizes.values()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="a shequ database (default: a fresh demo database)")
    parser.add_argument("--village", default="北庄村")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    import shequ_sdk
    from playwright.sync_api import sync_playwright
    from tornado.httpserver import HTTPServer
    from tornado.ioloop import IOLoop
    from tornado.web import Application, StaticFileHandler

    from shequ_sdk.ui.serving import serve

    tmp = Path(tempfile.mkdtemp(prefix="public_bench_"))
    db = args.db
    if db is None:
        db = str(tmp / "demo.db")
        sdk = shequ_sdk.open(db, create=True)
        sdk.build_demo()
    else:
        sdk = shequ_sdk.open(db)
    port = free_port()
    server = serve(sdk, port=port, threaded=True, warm=False, announce=lambda _t: None, directory=ROOT / "dashboards")
    base = f"http://127.0.0.1:{port}"
    url = f"{base}/public/{urllib.parse.quote(args.village)}"

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        # the baseline: the same text as a plain static page, served gzipped by a plain Tornado file handler
        page = browser.new_page()
        for _ in range(50):
            try:
                page.goto(url)
                break
            except Exception:
                page.wait_for_timeout(200)
        text = page.inner_text("body")
        page.close()
        (tmp / "static").mkdir()
        (tmp / "static" / "index.html").write_text(
            '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
            f"<title>baseline</title></head><body><pre>{html.escape(text)}</pre></body></html>", encoding="utf-8")
        static_port = free_port()
        loop_ready = threading.Event()

        def run_static():
            import asyncio

            asyncio.set_event_loop(asyncio.new_event_loop())
            app = Application([(r"/(.*)", StaticFileHandler, {"path": str(tmp / "static"), "default_filename": "index.html"})],
                              compress_response=True)
            HTTPServer(app).listen(static_port, "127.0.0.1")
            loop_ready.set()
            IOLoop.current().start()

        threading.Thread(target=run_static, daemon=True).start()
        loop_ready.wait()
        baseline_url = f"http://127.0.0.1:{static_port}/"

        ours, base_runs = [], []
        for _ in range(args.runs):
            ours.append(measure(browser, url))
            base_runs.append(measure(browser, baseline_url))
        browser.close()
    server.stop()

    fcp = statistics.median(f for f, _ in ours)
    size = statistics.median(b for _, b in ours)
    base_fcp = statistics.median(f for f, _ in base_runs)
    base_size = statistics.median(b for _, b in base_runs)
    print(f"village page ({args.village}), slow 3G (400 ms RTT, 400 kbit/s), median of {args.runs}:")
    print(f"  transferred: {size / 1024:.1f} KB (target ≤ {BYTES_TARGET // 1024} KB)  baseline static page: {base_size / 1024:.1f} KB  "
          f"ratio {size / base_size:.2f}")
    print(f"  first contentful paint: {fcp:.2f} s (target ≤ {FCP_TARGET:.0f} s)  baseline static page: {base_fcp:.2f} s  "
          f"ratio {fcp / base_fcp:.2f}")
    print("  " + ("PASS" if fcp <= FCP_TARGET and size <= BYTES_TARGET else "FAIL"))


if __name__ == "__main__":
    main()
