"""``make bench-load``: N concurrent browser sessions on the township dashboard against
``shequ serve --num-procs P`` — interaction latency (p50/p95), errors and the server's memory.

The server runs on 127.0.0.1 only (no users are needed there: ``shequ serve`` asks for login
only on other addresses), on a free port, as its own process with ``--num-procs`` workers
(``browser_bench.start_server``). The database is a working copy of the demo (SQLite, built once
with ``shequ demo``), ``--db`` (a file or a URL), or with ``--pg URL`` the demo built once into
the database ``bench_load_demo`` on that PostgreSQL server.

Sessions are browser contexts of one headless Chromium (Debian's, with ``browser_bench``'s
launch arguments), driven by Playwright's asyncio API so that all of them wait at the same time
and each interaction is timed on its own. Why not Bokeh client sessions (``bokeh.client``),
which would be lighter: Panel loads a page's data when bokehjs reports the document ready,
and the KPI cards are HTML that only a browser turns into "the figures are on the screen"; a
Python client would time the server's model diff, not what a user waits for. Why not
``ui_bench``'s synchronous helpers (``_visible``): Playwright's sync API waits on one page at a
time per thread, so 30 sessions would need 30 browsers. The selectors and URLs that say "the new
figures are shown" are ``ui_bench``'s (``township_url``, ``period_kpis``, ``area_kpis``).

Each session opens ``/township?region=…&period=…``, waits for the KPI cards, then makes
``--interactions`` changes, alternating the period select (the data's years, in turn) and the
area select (its options, in turn; each session starts elsewhere in both lists), waiting after
each until the KPI cards carry the new period or area; ``--think`` seconds between changes.
Sessions start ``--ramp`` seconds apart and stay open until all are done.

Before the load, ``--baseline-interactions`` changes by a single session give the baseline: the
same interactions without contention. Measures (one JSON line each, ``county_bench.Measure``):

- ``load_interaction_p50`` / ``load_interaction_p95``: seconds, over every interaction of every
  session; baseline: the single session's. Target for p95: ≤ 2 s.
- ``load_errors``: interactions (and first views) that failed or did not finish within the
  timeout or the ``--time-limit``. Target: 0.
- ``load_server_rss``: the server's resident memory, summed over its processes (the serving
  process and its workers), at its peak during the load (sampled every second). Target: the
  600 MB per process of ``county_bench`` measure 4, times the processes.

The run stops by itself; ``--time-limit`` (seconds) bounds all of it: past it, open waits are
cancelled and counted as errors, the server is stopped, and a watchdog ends the process if even
that hangs.

    uv run --no-sync python benchmarks/load.py                                    # SQLite demo, 30 sessions
    uv run --no-sync python benchmarks/load.py --pg postgresql+psycopg://postgres@127.0.0.1:54329/postgres
    uv run --no-sync python benchmarks/load.py --sessions 3 --interactions 4 --time-limit 300   # a smoke run
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import browser_bench  # noqa: E402  (sibling modules, not a package)
import ui_bench  # noqa: E402
from county_bench import DATA_DIR, Measure, machine, print_table, schema_current  # noqa: E402

TARGET_P95_S = 2.0
RSS_PER_PROCESS_MB = 600.0  # county_bench's server_rss_mb, for one process
PG_DATABASE = "bench_load_demo"


@dataclass
class LoadOptions:
    sessions: int = 30
    interactions: int = 10  # per session
    think: float = 1.0  # seconds between a session's interactions
    ramp: float = 0.5  # seconds between session starts
    num_procs: int = 2
    time_limit: float = 900.0  # seconds for the whole run
    baseline_interactions: int = 10
    region: str = ui_bench.TOWNSHIP
    period: str = ui_bench.PERIOD
    timeout_s: float = ui_bench.TIMEOUT_MS / 1000


@dataclass
class Tally:
    """What the sessions saw: seconds per interaction, first views, errors."""

    latencies: list[float] = field(default_factory=list)
    first_views: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    repeats: int = 0  # interactions whose (area, period) the session had shown before (its page may cache)
    planned: int = 0
    failed: int = 0  # interactions that failed (their messages are in ``errors``)

    @property
    def unfinished(self) -> int:
        """Planned interactions never timed: their session's first view failed, or the time limit came."""
        return self.planned - len(self.latencies) - self.failed

    @property
    def error_count(self) -> int:
        """Failed first views and interactions, and the interactions that never happened."""
        return len(self.errors) + self.unfinished


# -- the server -----------------------------------------------------------------------------------

def children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (the workers of ``shequ serve --num-procs``)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    return out


def server_rss_mb(pid: int) -> tuple[float, int]:
    """RSS summed over the serving process and its workers, and how many processes that is."""
    total, n = 0.0, 0
    for p in [pid, *children(pid)]:
        try:
            value = browser_bench.rss_mb(p)
        except OSError:
            continue
        if not math.isnan(value):
            total, n = total + value, n + 1
    return total, n


def stop_server(proc: subprocess.Popen) -> None:
    """Stop ``shequ serve`` and make sure none of its workers is left (they follow the serving
    process within a second; any still there after that is killed by its pid)."""
    workers = children(proc.pid)
    ui_bench.stop(proc)
    deadline = time.time() + 10
    while time.time() < deadline and any(Path(f"/proc/{w}").exists() and _state(w) != "Z" for w in workers):
        time.sleep(0.2)
    for w in workers:
        try:
            os.kill(w, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def ensure_pg_demo(base_url: str, log=print) -> str:
    """The demo in the database ``bench_load_demo`` on ``base_url``'s server, built once with ``shequ demo``."""
    from sqlalchemy import create_engine, text

    url = base_url.rsplit("/", 1)[0] + "/" + PG_DATABASE
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            exists = c.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": PG_DATABASE}).first() is not None
            if exists and _has_regions(url) and schema_current(url):
                log(f"reusing PostgreSQL database {PG_DATABASE}")
                return url
            if exists:
                c.execute(text(f'DROP DATABASE "{PG_DATABASE}" WITH (FORCE)'))
            c.execute(text(f'CREATE DATABASE "{PG_DATABASE}"'))
    finally:
        admin.dispose()
    log(f"building the demo into PostgreSQL database {PG_DATABASE} (shequ demo) …")
    subprocess.run([*ui_bench._shequ(), "demo", "--db", url, "--force"], check=True, cwd=HERE.parent, stdout=subprocess.DEVNULL)
    return url


def _has_regions(url: str) -> bool:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as c:
            return c.execute(text("SELECT count(*) FROM region")).scalar_one() > 0
    except Exception:  # noqa: BLE001  (no schema yet: build it)
        return False
    finally:
        engine.dispose()


def data_periods(db: str) -> list[str]:
    """The years that hold data, newest first: the periods the sessions switch between."""
    import shequ_sdk
    from shequ_sdk.ui.store import data_years

    sdk = shequ_sdk.open(db)
    try:
        first, last, _ = data_years(sdk)
    finally:
        sdk.close()
    return [str(y) for y in range(last, first - 1, -1)]


# -- the sessions ---------------------------------------------------------------------------------------

async def session(browser, base: str, index: int, opts: LoadOptions, periods: list[str], interactions: int, tally: Tally,
                  log=print) -> None:
    """One browser session: the first view, then ``interactions`` changes of period and area."""
    timeout = opts.timeout_s * 1000
    ctx = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    try:
        page = await ctx.new_page()
        started = time.perf_counter()
        try:
            await page.goto(ui_bench.township_url(base, opts.region, opts.period), wait_until="commit", timeout=timeout)
            await page.locator(".shequ-kpi").first.wait_for(state="visible", timeout=timeout)
        except Exception as exc:  # noqa: BLE001  (counted, the other sessions go on)
            tally.errors.append(f"session {index} first view: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
            return
        tally.first_views.append(time.perf_counter() - started)
        areas = [a.strip() for a in await page.locator(".shequ-area select option").all_inner_texts() if a.strip()]
        area, period = None, opts.period
        seen = {(area, period)}
        for k in range(interactions):
            if k % 2 == 0 or len(areas) < 2:
                choices = [p for p in periods if p != period] or periods
                period = choices[(index + k // 2) % len(choices)]
                control, label, shown = ".shequ-period select", ui_bench.year_label(period), ui_bench.period_kpis(period)
            else:
                current = area
                choices = [a for a in areas if a != current and (current is not None or not a.endswith(opts.region))] or areas
                area = choices[(index + k // 2) % len(choices)]
                control, label, shown = ".shequ-area select", area, ui_bench.area_kpis(area)
            tally.repeats += (area, period) in seen
            seen.add((area, period))
            t0 = time.perf_counter()
            try:
                await page.locator(control).select_option(label=label, timeout=timeout)
                await page.locator(shown).first.wait_for(state="visible", timeout=timeout)
            except Exception as exc:  # noqa: BLE001
                tally.errors.append(f"session {index} {label}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
                tally.failed += 1
                continue
            tally.latencies.append(time.perf_counter() - t0)
            if opts.think:
                await asyncio.sleep(opts.think)
    finally:
        await ctx.close()


async def drive(base: str, opts: LoadOptions, periods: list[str], n_sessions: int, interactions: int, deadline: float,
                on_tick=None, log=print) -> tuple[Tally, bool]:
    """``n_sessions`` sessions at once (started ``ramp`` apart); ``(tally, timed_out)``."""
    from playwright.async_api import async_playwright

    tally = Tally(planned=n_sessions * interactions)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=browser_bench.CHROMIUM, args=browser_bench.LAUNCH_ARGS, headless=True)
        try:
            async def started(i):
                await asyncio.sleep(i * opts.ramp)
                await session(browser, base, i, opts, periods, interactions, tally, log)

            tasks = [asyncio.create_task(started(i)) for i in range(n_sessions)]
            ticker = asyncio.create_task(_tick(on_tick)) if on_tick else None
            remaining = max(1.0, deadline - time.monotonic())
            done, pending = await asyncio.wait(tasks, timeout=remaining)
            for t in pending:
                t.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            if ticker:
                ticker.cancel()
            for t in done:
                if t.exception() is not None:
                    tally.errors.append(f"session: {type(t.exception()).__name__}: {t.exception()}")
            timed_out = bool(pending)
        finally:
            await browser.close()
    return tally, timed_out


async def _tick(fn) -> None:
    while True:
        fn()
        await asyncio.sleep(1.0)


# -- the measures ------------------------------------------------------------------------------------------

def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0–100), linear between ranks (``statistics.quantiles``' inclusive method)."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def measures(load: Tally, base: Optional[Tally], rss_peak: float, processes: int, opts: LoadOptions, backend: str,
             detail: dict) -> list[Measure]:
    out = []
    errors = load.error_count
    common = {"sessions": opts.sessions, "interactions_per_session": opts.interactions, "num_procs": opts.num_procs,
              "think_s": opts.think, "ramp_s": opts.ramp, **detail}
    for q, name in ((50, "load_interaction_p50"), (95, "load_interaction_p95")):
        value = round(percentile(load.latencies, q), 3) if load.latencies else None
        baseline = round(percentile(base.latencies, q), 3) if base and base.latencies else None
        ratio = round(value / baseline, 3) if value is not None and baseline else None
        target, met = (f"≤ {TARGET_P95_S} s", value is not None and value <= TARGET_P95_S) if q == 95 else ("reported", value is not None)
        out.append(Measure(name, value, "s", baseline, ratio, target, met, len(load.latencies), backend,
                           {**common, "baseline": "one session alone, same interactions" if baseline is not None else None,
                            "interactions_timed": len(load.latencies), "repeated_area_period": load.repeats,
                            "max_s": round(max(load.latencies), 3) if load.latencies else None}))
    out.append(Measure("load_errors", errors, "count", None, None, "= 0", errors == 0, load.planned, backend,
                       {**common, "unfinished_interactions": load.unfinished, "first": load.errors[:10]}))
    limit = RSS_PER_PROCESS_MB * max(1, processes)
    out.append(Measure("load_server_rss", round(rss_peak, 1), "MB", None, None, f"≤ {RSS_PER_PROCESS_MB:.0f} MB × {processes} processes",
                       rss_peak <= limit, opts.sessions, backend, {**common, "processes": processes, "peak_of": "1 s samples during the load"}))
    out[0].detail["first_view_median_s"] = round(statistics.median(load.first_views), 3) if load.first_views else None
    return out


def run(db: str, opts: LoadOptions, work: Path, log=print) -> list[Measure]:
    """Serve ``db`` with ``opts.num_procs`` workers and put ``opts.sessions`` sessions on it."""
    backend = "postgresql" if db.startswith("postgresql") else "sqlite"
    if not Path(browser_bench.CHROMIUM).exists():
        raise RuntimeError(f"{browser_bench.CHROMIUM} missing (apt-get install chromium fonts-noto-cjk)")
    deadline = time.monotonic() + opts.time_limit
    periods = data_periods(db)
    port = browser_bench.free_port()
    work.mkdir(parents=True, exist_ok=True)
    server = browser_bench.start_server(db, port, num_procs=opts.num_procs, log=work / "load_server.log")
    watchdog = threading.Timer(opts.time_limit + 60, _give_up, args=(server,))
    watchdog.daemon = True
    watchdog.start()
    try:
        base_url = f"http://127.0.0.1:{port}"
        idle_rss, processes = server_rss_mb(server.pid)
        log(f"serving {db} on {base_url} with {processes} processes (idle RSS {idle_rss:.0f} MB); periods {periods}")
        base = None
        if opts.baseline_interactions:
            base, _ = asyncio.run(drive(base_url, opts, periods, 1, opts.baseline_interactions, deadline, log=log))
            log(f"baseline (one session): {len(base.latencies)} interactions, median "
                f"{statistics.median(base.latencies) if base.latencies else float('nan'):.2f} s, errors {base.error_count}")
        peak = [0.0]

        def sample():
            peak[0] = max(peak[0], server_rss_mb(server.pid)[0])

        started = time.perf_counter()
        load, timed_out = asyncio.run(drive(base_url, opts, periods, opts.sessions, opts.interactions, deadline, on_tick=sample, log=log))
        sample()
        seconds = time.perf_counter() - started
        log(f"load: {len(load.latencies)} interactions in {seconds:.0f} s, errors {load.error_count}, peak RSS {peak[0]:.0f} MB")
        detail = {"db": db if backend == "sqlite" else db.rsplit("@", 1)[-1], "periods": periods, "seconds": round(seconds, 1),
                  "timed_out": timed_out, "idle_rss_mb": round(idle_rss, 1), "url": ui_bench.township_url("", opts.region, opts.period)}
        return measures(load, base, peak[0], processes, opts, backend, detail)
    finally:
        watchdog.cancel()
        stop_server(server)


def _give_up(server: subprocess.Popen) -> None:
    """The hard stop: the run outlived its time limit by a minute."""
    print("load.py: time limit exceeded, stopping the server and exiting / 超过时间限制，停止服务并退出", file=sys.stderr, flush=True)
    try:
        stop_server(server)
    finally:
        os._exit(2)


def main(argv=None) -> int:
    defaults = LoadOptions()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=None, help="database to serve, a file or a URL (default: a working copy of the demo)")
    parser.add_argument("--pg", default=None, help="PostgreSQL server URL: serve the demo built into its database bench_load_demo")
    parser.add_argument("--sessions", type=int, default=defaults.sessions, help="concurrent browser sessions")
    parser.add_argument("--interactions", type=int, default=defaults.interactions, help="period/area changes per session")
    parser.add_argument("--think", type=float, default=defaults.think, help="seconds between a session's changes")
    parser.add_argument("--ramp", type=float, default=defaults.ramp, help="seconds between session starts")
    parser.add_argument("--num-procs", type=int, default=defaults.num_procs, help="shequ serve --num-procs")
    parser.add_argument("--time-limit", type=float, default=defaults.time_limit, help="seconds for the whole run (a hard stop)")
    parser.add_argument("--baseline-interactions", type=int, default=defaults.baseline_interactions,
                        help="changes by one session alone before the load (0: no baseline)")
    parser.add_argument("--region", default=defaults.region, help="the area the sessions open")
    parser.add_argument("--period", default=defaults.period, help="the period the sessions open")
    parser.add_argument("--work-dir", type=Path, default=DATA_DIR / "work", help="working copy of the database and the server's log")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    ns = parser.parse_args(argv)
    if ns.db and ns.pg:
        parser.error("--db and --pg exclude each other")
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731  (stdout carries the JSON lines)
    opts = LoadOptions(sessions=ns.sessions, interactions=ns.interactions, think=ns.think, ramp=ns.ramp, num_procs=ns.num_procs,
                       time_limit=ns.time_limit, baseline_interactions=ns.baseline_interactions, region=ns.region, period=ns.period)
    if ns.pg:
        db = ensure_pg_demo(ns.pg, log)
    elif ns.db and "://" in ns.db:
        db = ns.db
    else:
        source = Path(ns.db) if ns.db else ui_bench.ensure_demo(DATA_DIR / "demo.db", log)
        db = str(ui_bench.working_copy(source, ns.work_dir))
    info = machine()
    print(json.dumps({"name": "machine", **info}, ensure_ascii=False), flush=True)
    out = run(db, opts, ns.work_dir, log)
    for m in out:
        print(m.line(), flush=True)
    info["load_average"] = [round(x, 2) for x in os.getloadavg()]
    print_table(out, info)
    return 1 if ns.check and any(m.met is False for m in out) else 0


if __name__ == "__main__":
    sys.exit(main())
