"""``make bench-ui``: the township dashboard and the data-entry app in headless Chromium, each
interaction against a bare Panel page measured in the same run.

``shequ serve`` runs as its own process on a free port (``browser_bench.start_server``) on a
working copy of the demo database (built once with ``shequ demo`` into ``benchmarks/.data/``).
The baseline is a tiny Panel app written to a temporary directory and served by ``panel serve``
in another process on another free port — the same Bokeh/Panel stack, without shequ. It is
shaped like the page it stands for: as many HTML cards as the dashboard has KPI cards and one
Tabulator table with as many rows and columns as the village table (township), or as many text
inputs, selects and buttons as the entry app's page shows (entry: counted in the page). Both servers are warmed with one untimed page
load; then every run opens a fresh browser context on each, alternating which goes first.

Township dashboard (``/township?region=茅草街镇&period=2010``):

- ``township_first_view``: navigation → KPI cards and the heatmap shown.
  Baseline: navigation → the cards and the table shown.
- ``township_village_table``: navigation → every village's row in the table shown.
  Baseline: navigation → every row of the table shown.

  Both are the times the page itself recorded (``SEEN_JS``: on each animation frame, from the
  start of the navigation); what Playwright's waits saw, later when the page is busy, is kept in
  ``detail`` (``harness_*``).
- ``township_period_change``: a new year in ``.shequ-period`` → the KPI cards carry it.
- ``township_area_change``: another township in ``.shequ-area`` → the KPI cards carry it.
- ``township_drilldown``: a click on a village's name → its page's heading.
  Baseline of the three: a select change → every card shows the new value.

Entry app (``/entry?village=新尚村社区&quarter=2010Q4``):

- ``entry_usable``: navigation → the first board form's inputs visible and the quarter select enabled
  (2010Q4 is published in the demo: its inputs are read-only by design).
  Baseline: navigation → the first two text inputs visible and enabled.
  Both timed by the page itself, as the township's first view (Playwright's: ``harness_*``).
  The page's second and third forms, its save button and the workflow's buttons follow once the
  first form is drawn: the detail gives when the whole page was drawn (``complete_median_s``).
- ``entry_quarter_switch``: on the page drawn whole, another quarter in ``.shequ-quarter`` →
  ``.shequ-title`` shows it. Baseline: a select change → the title pane shows the new value. Its detail also gives the time
  until the new quarter's first board form is visible (the forms are built after the heading).
- ``entry_save_boards``: the three boards of an empty quarter filled in as the UI tests do, then
  保存 → the saved message (timed from the click). Baseline: the same number of fields typed,
  a button click → a message pane.

Prints one JSON line per measure in ``county_bench``'s format (its ``Measure``), then a table.

    uv run --no-sync python benchmarks/ui_bench.py                       # make bench-ui
    uv run --no-sync python benchmarks/ui_bench.py --runs 3 --only township
    uv run --no-sync python benchmarks/ui_bench.py --county    # the township dashboard on the generated county

``--county`` serves the generated county of ``county_bench`` (15 townships of 20 villages, built
once with ``shequ generate`` into ``benchmarks/.data/county.db``, its indicator cells stored as
the server's daily round does) and measures the township dashboard on its first township, the
generator's last year, with issue 14's targets for a county (``COUNTY_TARGETS``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import browser_bench  # noqa: E402  (sibling modules, not a package)
from county_bench import DATA_DIR, Measure, machine  # noqa: E402

TOWNSHIP = "茅草街镇"
OTHER_AREA = "南县 · 南洲镇"  # the area select's label of another township of the same county
PERIOD, OTHER_PERIOD = "2010", "2009"
VILLAGE = "新尚村社区"
QUARTER, OTHER_QUARTER = "2010Q4", "2010Q3"
BOARDS = ("party", "residents", "finance")  # 新尚村社区 is a community: 党务, 居务, 财务
TIMEOUT_MS = 60_000
TARGETS = {"township_first_view": 1.5, "township_period_change": 0.5, "township_area_change": 0.5,
           "township_village_table": 1.5, "township_drilldown": 0.5,
           "entry_usable": 1.5, "entry_quarter_switch": 1.5, "entry_save_boards": 1.5}
ENTRY_RATIO = 1.5  # the entry app's targets are also a ratio to the bare Panel page
# the township dashboard on the generated county (--county: 15 townships of 20 villages, 300 in all)
COUNTY_TARGETS = {"township_first_view": 2.5, "township_period_change": 1.0, "township_area_change": 1.0,
                  "township_village_table": 2.5, "township_drilldown": 1.0}

# The baseline: a bare Panel page. ?kind=township&cards=N&rows=R&cols=C or ?kind=entry&inputs=N&selects=S&buttons=B.
BASELINE_APP = '''
import pandas as pd
import panel as pn

pn.extension("tabulator")
args = pn.state.session_args


def arg(name, default):
    return int(args[name][0]) if name in args else default


kind = args.get("kind", [b"township"])[0].decode()
select = pn.widgets.Select(name="period", options=["2010", "2009", "2008"], value="2010", css_classes=["base-select"], width=160)


def card(i, value):
    return (f'<div class="base-card" data-value="{value}" style="border:1px solid #ccc;padding:6px;width:150px">'
            f'<div class="label">indicator {i}</div><div class="value">{value} · {i * 37 % 1000:,}</div></div>')


def frame(value, rows, cols):
    return pd.DataFrame({f"c{j}": [f"{value}-{i}" if j == 0 else (i * 31 + j) % 997 for i in range(rows)] for j in range(cols)})


if kind == "township":
    n, rows, cols = arg("cards", 20), arg("rows", 10), arg("cols", 10)
    cards = [pn.pane.HTML(card(i, select.value), css_classes=["base-card-pane"]) for i in range(n)]
    table = pn.widgets.Tabulator(frame(select.value, rows, cols), disabled=True, show_index=False, css_classes=["base-table"],
                                 sizing_mode="stretch_width")

    def changed(event):
        for i, c in enumerate(cards):
            c.object = card(i, event.new)

    select.param.watch(changed, "value")
    pn.Column(select, pn.FlexBox(*cards), table, sizing_mode="stretch_width").servable()
else:
    n = arg("inputs", 18)
    title = pn.pane.HTML(f'<h1 class="base-title">entry · {select.value}</h1>')
    inputs = [pn.widgets.TextInput(name=f"field {i}", css_classes=["base-input", f"base-input-{i}"]) for i in range(n)]
    selects = [pn.widgets.Select(name=f"choice {i}", options=["a", "b", "c"], width=160) for i in range(arg("selects", 1) - 1)]
    buttons = [pn.widgets.Button(name=f"button {i}") for i in range(arg("buttons", 1) - 1)]
    save = pn.widgets.Button(name="保存", css_classes=["base-save"])
    message = pn.pane.HTML("", css_classes=["base-message"])
    select.param.watch(lambda e: setattr(title, "object", f'<h1 class="base-title">entry · {e.new}</h1>'), "value")
    save.on_click(lambda e: setattr(message, "object", f'<span class="base-saved">已保存 {sum(bool(i.value) for i in inputs)} 条记录</span>'))
    pn.Column(title, pn.Row(select, *selects), pn.GridBox(*inputs, ncols=3), pn.Row(*buttons, save), message).servable()
'''


# -- the data ----------------------------------------------------------------------------------------

def ensure_demo(db: Path, log=print) -> Path:
    """The demo database at ``db``, built with ``shequ demo`` when it is absent or was built by
    a version whose schema is older than the code's."""
    from county_bench import schema_current

    if db.exists() and not schema_current(f"sqlite:///{db}"):
        log(f"{db} was built by an older version of the schema: built again")
        for old in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
            old.unlink(missing_ok=True)
    if not db.exists():
        db.parent.mkdir(parents=True, exist_ok=True)
        log(f"building the demo database into {db} (shequ demo) …")
        subprocess.run([*_shequ(), "demo", "--db", str(db)], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return db


def shequ_open(db: Path):
    import shequ_sdk

    return shequ_sdk.open(str(db))


def _shequ() -> list[str]:
    script = Path(sys.executable).with_name("shequ")
    return [str(script)] if script.exists() else [sys.executable, "-c", "import sys\nfrom shequ_sdk.cli import main\nmain(sys.argv[1:])"]


def working_copy(db: Path, work: Path) -> Path:
    """A copy of ``db`` to serve and save into (the boards saved here never reach the source)."""
    work.mkdir(parents=True, exist_ok=True)
    dst = work / "ui_demo.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{dst}{suffix}").unlink(missing_ok=True)
    src, out = sqlite3.connect(db), sqlite3.connect(dst)
    try:
        src.backup(out)
    finally:
        src.close()
        out.close()
    return dst


@dataclass
class Facts:
    villages: int  # the township's villages: rows of its village table
    reviewer: str = ""  # someone who reviewed the community's boards before (the entry app's runs)
    empty_quarters: list[str] = field(default_factory=list)  # quarters without any board of the community, oldest first
    township: str = TOWNSHIP  # the township opened; the area select's label of another; the village drilled into
    other_area: str = OTHER_AREA
    village: str = VILLAGE
    period: str = PERIOD
    other_period: str = OTHER_PERIOD
    targets: dict = field(default_factory=lambda: TARGETS)


def county_facts(db: Path, year: int) -> Facts:
    """The generated county's names: its first township and the village its table lists first,
    another township of it, the generator's last year and the one before."""
    from shequ_sdk.ui import DataStore, VillageTable

    sdk = shequ_open(db)
    try:
        regions = DataStore(sdk=sdk).regions()
        townships = regions[regions["level"] == "township"].sort_values("id")
        county = str(townships.iloc[0]["county_name"])
        first, other = str(townships.iloc[0]["name"]), str(townships.iloc[1]["name"])
        table = VillageTable(data_store=DataStore(sdk=sdk, region=first, period=str(year))).frame()
        return Facts(villages=len(table), township=first, other_area=f"{county} · {other}", village=str(table.iloc[0]["region_name"]),
                     period=str(year), other_period=str(year - 1), targets=COUNTY_TARGETS)
    finally:
        sdk.close()


def facts(db: Path, wanted: int) -> Facts:
    from shequ_sdk.regions import find_region, villages_in

    sdk = shequ_open(db)
    try:
        with sdk.transaction() as s:
            villages = len(villages_in(s, find_region(s, TOWNSHIP)))
        done = sdk.frame("finance_posting", region=VILLAGE, period=QUARTER)
        reviewer = str(done["reviewer_name"].dropna().iloc[0])
        quarters, year, q = [], 2011, 1
        while len(quarters) < wanted:
            period = f"{year}Q{q}"
            if sdk.frame("finance_posting", region=VILLAGE, period=period).empty:
                quarters.append(period)
            year, q = (year + 1, 1) if q == 4 else (year, q + 1)
        return Facts(villages, reviewer, quarters)
    finally:
        sdk.close()


# -- the servers ---------------------------------------------------------------------------------------

def start_baseline(directory: Path, port: int) -> subprocess.Popen:
    """``panel serve`` of the baseline app in its own process, answering on ``port``."""
    app = directory / "base.py"
    app.write_text(BASELINE_APP, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "panel", "serve", str(app), "--port", str(port), "--address", "127.0.0.1",
                             "--allow-websocket-origin", f"127.0.0.1:{port}", "--num-procs", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=directory, env={**os.environ, "BOKEH_LOG_LEVEL": "error"})
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"panel serve exited: {proc.stderr.read().decode(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/base", timeout=5):
                return proc
        except (OSError, urllib.error.HTTPError):
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("panel serve did not answer within 120 s")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()


# -- timing in the browser -------------------------------------------------------------------------------

def _visible(page, css: str, **kw) -> None:
    try:
        page.locator(css, **kw).first.wait_for(state="visible", timeout=TIMEOUT_MS)
    except Exception as exc:
        raise TimeoutError(f"{css} {kw or ''} not visible within {TIMEOUT_MS / 1000:.0f} s ({type(exc).__name__})") from exc


def _enabled(page, css: str) -> None:
    """Wait until ``css`` is visible and enabled (Playwright's wait_for has no "enabled" state)."""
    field = page.locator(css).first
    field.wait_for(state="visible", timeout=TIMEOUT_MS)
    deadline = time.perf_counter() + TIMEOUT_MS / 1000
    while not field.is_enabled():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{css} never enabled")
        time.sleep(0.01)


def _rows(page, css: str, n: int) -> None:
    """Wait until ``css`` has (at least) ``n`` elements attached."""
    try:
        page.locator(css).nth(n - 1).wait_for(state="attached", timeout=TIMEOUT_MS)
    except Exception as exc:
        raise TimeoutError(f"{css}: fewer than {n} within {TIMEOUT_MS / 1000:.0f} s ({type(exc).__name__})") from exc


def township_url(base: str, region: str = TOWNSHIP, period: str = PERIOD) -> str:
    return f"{base}/township?" + urllib.parse.urlencode({"region": region, "period": period})


def year_label(period: str) -> str:
    """The period select's label of a year (``2009`` → ``2009年``)."""
    return f"{period}年"


def period_kpis(period: str) -> str:
    """The KPI cards once they show ``period``'s figures."""
    return f".shequ-kpis[data-period='{period}'] .shequ-kpi"


def area_kpis(label: str) -> str:
    """The KPI cards once they show the figures of the area select's option ``label`` (``南县 · 南洲镇``)."""
    return f".shequ-kpis[data-region$='{label.split(' · ')[-1]}'] .shequ-kpi"


# When the page itself first showed what a first view waits for, in ms since navigation began:
# a script added to the page before it loads looks for each watched element on every animation
# frame (the frame it appears in is the one painted with it). Playwright's own waits notice it
# later when the page is busy: each of its checks is a round trip that waits for the page's main
# thread, so a first view whose cards were painted at 1.1 s but followed at once by the table's
# drawing was reported with the table, at 2 s. Both figures are kept (``detail``).
SEEN_JS = """
(() => {
  const watched = %s;  // name -> [host selector or null, element selector, how many, enabled too]
  const roots = [document];
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (options) { const root = attach.call(this, options); roots.push(root); return root; };
  const inHost = (el, host) => { for (let n = el; n; ) { const r = n.getRootNode(); if (!r.host) return false; if (r.host.matches(host)) return true; n = r.host; } return false; };
  window.__shequSeen = {};
  const look = () => {
    for (const [name, [host, sel, want, enabled]] of Object.entries(watched)) {
      if (name in window.__shequSeen) continue;
      let shown = 0;
      for (const root of roots) for (const el of root.querySelectorAll(sel)) {
        if ((!host || inHost(el, host)) && el.getBoundingClientRect().height > 0 && !(enabled && el.disabled)) shown++;
      }
      if (shown >= want) window.__shequSeen[name] = performance.now();
    }
    if (Object.keys(window.__shequSeen).length < Object.keys(watched).length) requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
})();
"""


def watch(ctx, watched: dict[str, tuple]) -> None:
    """Record in every page of ``ctx`` when each of ``watched`` (name → host selector or None,
    element selector, how many[, True: and enabled]) is first shown (:data:`SEEN_JS`)."""
    ctx.add_init_script(SEEN_JS % json.dumps(watched))


def seen(page, *names: str) -> float:
    """Seconds from navigation until the last of ``names`` was first shown (:func:`watch`)."""
    times = page.evaluate("window.__shequSeen || {}")
    missing = [n for n in names if n not in times]
    if missing:
        raise TimeoutError(f"the page never recorded {missing}")
    return max(times[n] for n in names) / 1000


class Clock:
    """Seconds since :meth:`start`; :meth:`lap` records one under a name."""

    def __init__(self, out: dict[str, list[float]]):
        self.out = out
        self.t0 = time.perf_counter()

    def start(self) -> None:
        self.t0 = time.perf_counter()

    def lap(self, name: str) -> float:
        seconds = time.perf_counter() - self.t0
        self.out.setdefault(name, []).append(seconds)
        return seconds


def township_pass(browser, base: str, f: Facts, out: dict) -> None:
    """One fresh session of the township dashboard: first view, table, drill-down, period, area."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    watch(ctx, {"cards": (None, ".shequ-kpi", 1), "heatmap": (None, ".shequ-heatmap", 1),
                "rows": (".shequ-village-table", ".tabulator-row", f.villages)})
    try:
        page = ctx.new_page()
        clock = Clock(out)
        page.goto(township_url(base, f.township, f.period), wait_until="commit", timeout=TIMEOUT_MS)
        _visible(page, ".shequ-kpi")
        _visible(page, ".shequ-heatmap")
        clock.lap("harness_first_view")
        _rows(page, ".shequ-village-table .tabulator-row", f.villages)
        clock.lap("harness_village_table")
        out.setdefault("township_first_view", []).append(seen(page, "cards", "heatmap"))
        out.setdefault("township_village_table", []).append(seen(page, "rows"))

        name = page.locator(".shequ-village-table .tabulator-cell[tabulator-field='region_name']", has_text=f.village).first
        name.wait_for(state="visible", timeout=TIMEOUT_MS)
        clock.start()
        name.click()
        _visible(page, ".shequ-village-name", has_text=f.village)
        clock.lap("township_drilldown")

        # back to the township by its breadcrumb (untimed), as tests/ui/test_ui_township.py does
        page.locator(".shequ-crumb button", has_text=f.township).click()
        _visible(page, ".shequ-village-table")
        _visible(page, f".shequ-kpis[data-region$='{f.township}'][data-period='{f.period}'] .shequ-kpi")

        clock.start()
        page.locator(".shequ-period select").select_option(label=year_label(f.other_period))
        _visible(page, period_kpis(f.other_period))
        clock.lap("township_period_change")

        clock.start()
        page.locator(".shequ-area select").select_option(label=f.other_area)
        _visible(page, area_kpis(f.other_area))
        clock.lap("township_area_change")
    finally:
        ctx.close()


def township_baseline_pass(browser, base: str, shape: dict, out: dict) -> None:
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    watch(ctx, {"cards": (None, ".base-card", 1), "row": (".base-table", ".tabulator-row", 1),
                "rows": (".base-table", ".tabulator-row", shape["rows"])})
    try:
        page = ctx.new_page()
        clock = Clock(out)
        page.goto(f"{base}/base?" + urllib.parse.urlencode({"kind": "township", **shape}), wait_until="commit", timeout=TIMEOUT_MS)
        _visible(page, ".base-card")
        _visible(page, ".base-table .tabulator-row")
        clock.lap("harness_first_view")
        _rows(page, ".base-table .tabulator-row", shape["rows"])
        clock.lap("harness_table")
        out.setdefault("first_view", []).append(seen(page, "cards", "row"))
        out.setdefault("table", []).append(seen(page, "rows"))
        clock.start()
        page.locator(".base-select select").select_option("2009")
        _rows(page, ".base-card[data-value='2009']", shape["cards"])
        clock.lap("select_change")
    finally:
        ctx.close()


# what "usable" waits for, timed in the page (SEEN_JS): the first board form's inputs shown, the quarter select enabled
USABLE_SEEN = {"title": (f".shequ-input-board-party-{QUARTER}-title", "input", 1),
               "review_date": (f".shequ-input-board-party-{QUARTER}-review_date", "input", 1),
               "quarter": (".shequ-quarter", "select", 1, True)}
# the whole page drawn: the boards' save button comes with the second and third forms, once the
# browser has drawn the first (BatchForm)
COMPLETE_SEEN = {"complete": (".shequ-save-finance-boards", "button", 1)}


# The controls a page shows (inside every shadow root): text inputs, selects, buttons (a file input is a button).
CONTROLS_JS = """() => {
  const out = {input: 0, select: 0, textarea: 0, button: 0};
  const walk = (root) => {
    for (const el of root.querySelectorAll('input,select,textarea,button')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      out[el.tagName === 'INPUT' && el.type === 'file' ? 'button' : el.tagName.toLowerCase()]++;
    }
    for (const el of root.querySelectorAll('*')) if (el.shadowRoot) walk(el.shadowRoot);
  };
  walk(document);
  out.input += out.textarea;
  return out;
}"""


def _usable(page, quarter: str) -> None:
    """The first board form's inputs visible and the quarter select enabled. (2010Q4's boards are
    published in the demo, so their inputs are read-only by design: "enabled" is measured on an
    empty quarter's page, ``empty_quarter_editable``.)"""
    _visible(page, f".shequ-input-board-party-{quarter}-title input")
    _visible(page, f".shequ-input-board-party-{quarter}-review_date input")
    _enabled(page, ".shequ-quarter select")


def _board_dates(quarter: str) -> tuple[str, str]:
    """Reviewed on the 8th and posted on the 10th of the month after ``quarter``."""
    year, q = int(quarter[:4]), int(quarter[-1])
    month = dt.date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
    return month.replace(day=8).isoformat(), month.replace(day=10).isoformat()


def entry_pass(browser, base: str, f: Facts, save_quarter: str, out: dict) -> None:
    """One fresh session of the entry app: usable, quarter switch; then the boards of an empty quarter saved."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    watch(ctx, {**USABLE_SEEN, **COMPLETE_SEEN})
    try:
        page = ctx.new_page()
        clock = Clock(out)
        page.goto(f"{base}/entry?" + urllib.parse.urlencode({"village": VILLAGE, "quarter": QUARTER}), wait_until="commit", timeout=TIMEOUT_MS)
        _usable(page, QUARTER)
        clock.lap("harness_usable")
        out.setdefault("entry_usable", []).append(seen(page, *USABLE_SEEN))
        # the switch is timed on a page drawn whole, as the baseline's is
        _visible(page, ".shequ-save-finance-boards button")
        out.setdefault("complete", []).append(seen(page, *COMPLETE_SEEN))

        label = _quarter_label(OTHER_QUARTER)
        clock.start()
        page.locator(".shequ-quarter select").select_option(label=label)
        _visible(page, ".shequ-title", has_text=label)
        clock.lap("entry_quarter_switch")
        _visible(page, f".shequ-input-board-party-{OTHER_QUARTER}-title input")  # the new quarter's forms follow the heading
        clock.lap("quarter_switch_forms")

        clock.start()
        page.goto(f"{base}/entry?" + urllib.parse.urlencode({"village": VILLAGE, "quarter": save_quarter}), wait_until="commit", timeout=TIMEOUT_MS)
        _enabled(page, f".shequ-input-board-party-{save_quarter}-title input")
        _enabled(page, ".shequ-save-finance-boards button")
        clock.lap("empty_quarter_editable")
        reviewed, posted = _board_dates(save_quarter)
        for board in BOARDS:  # as tests/ui/test_ui_entry.py saves a quarter's boards
            css = f".shequ-input-board-{board}-{save_quarter}"
            page.locator(f"{css}-review_date input").fill(reviewed, timeout=TIMEOUT_MS)
            page.locator(f"{css}-posted_on input").fill(posted)
            page.locator(f"{css}-reviewer_name input").fill(f.reviewer)
        page.locator(f".shequ-input-board-finance-{save_quarter}-reviewer_name input").press("Tab")  # the last value is committed
        clock.start()
        page.locator(".shequ-save-finance-boards button").click()
        _visible(page, ".shequ-save-ok", has_text=f"已保存 {len(BOARDS)} 条记录")
        clock.lap("entry_save_boards")
    finally:
        ctx.close()


def entry_baseline_pass(browser, base: str, shape: dict, out: dict) -> None:
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    watch(ctx, {"input0": (".base-input-0", "input", 1, True), "input1": (".base-input-1", "input", 1, True)})
    try:
        page = ctx.new_page()
        clock = Clock(out)
        page.goto(f"{base}/base?" + urllib.parse.urlencode({"kind": "entry", **shape}), wait_until="commit", timeout=TIMEOUT_MS)
        _enabled(page, ".base-input-0 input")
        _enabled(page, ".base-input-1 input")
        clock.lap("harness_usable")
        out.setdefault("usable", []).append(seen(page, "input0", "input1"))
        clock.start()
        page.locator(".base-select select").select_option("2009")
        _visible(page, ".base-title", has_text="2009")
        clock.lap("select_change")
        for i in range(shape["typed"]):
            page.locator(f".base-input-{i} input").fill(f"value {i}")
        page.locator(f".base-input-{shape['typed'] - 1} input").press("Tab")
        clock.start()
        page.locator(".base-save button").click()
        _visible(page, ".base-saved", has_text=f"已保存 {shape['typed']} 条记录")
        clock.lap("save")
    finally:
        ctx.close()


def _quarter_label(quarter: str) -> str:
    return f"{quarter[:4]}年第{quarter[-1]}季度"


# -- the measures ------------------------------------------------------------------------------------------

def _median(xs: list[float]) -> float:
    return statistics.median(xs)


def _median_or_none(xs: Optional[list[float]]) -> Optional[float]:
    return round(_median(xs), 3) if xs else None


def _measure(name: str, values: list[float], base: list[float], baseline_what: str, detail: dict, targets: dict = TARGETS) -> Measure:
    value, baseline = round(_median(values), 3), round(_median(base), 3)
    ratio = round(value / baseline, 3) if baseline else float("inf")
    limit = targets[name]
    if name.startswith("entry_"):
        target, met = f"≤ {limit} s, ratio ≤ {ENTRY_RATIO}", value <= limit and ratio <= ENTRY_RATIO
    else:
        target, met = f"≤ {limit} s", value <= limit
    return Measure(name, value, "s", baseline, ratio, target, met, len(values), "sqlite",
                   {"baseline": baseline_what, "values_s": [round(v, 3) for v in values], "baseline_values_s": [round(v, 3) for v in base],
                    **detail})


def _failed(names: list[str], error: str) -> list[Measure]:
    return [Measure(n, None, "s", None, None, f"≤ {TARGETS[n]} s", False, 0, "sqlite", {"error": error}) for n in names]


def bench_township(browser, app: str, base: str, f: Facts, runs: int, log=print) -> list[Measure]:
    names = [n for n in TARGETS if n.startswith("township_")]
    # the baseline's shape is read off the dashboard: its KPI cards and its village table
    probe = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    try:
        page = probe.new_page()
        started = time.perf_counter()
        page.goto(township_url(app, f.township, f.period), wait_until="commit", timeout=TIMEOUT_MS)
        _visible(page, ".shequ-kpi")
        _visible(page, ".shequ-heatmap")
        cold = time.perf_counter() - started
        _rows(page, ".shequ-village-table .tabulator-row", f.villages)
        shape = {"cards": page.locator(".shequ-kpi").count(), "rows": f.villages,
                 "cols": page.locator(".shequ-village-table .tabulator-col").count()}
    finally:
        probe.close()
    log(f"township: cold first view {cold:.2f} s; baseline shape {shape}")
    township_baseline_pass(browser, base, shape, {})  # warm the baseline server like the app's probe warmed shequ serve
    got: dict[str, list[float]] = {}
    ref: dict[str, list[float]] = {}
    for i in range(runs):
        order = [lambda: township_pass(browser, app, f, got), lambda: township_baseline_pass(browser, base, shape, ref)]
        for fn in order if i % 2 == 0 else order[::-1]:
            fn()
        log(f"township run {i + 1}/{runs}: " + ", ".join(f"{k} {v[-1]:.2f}" for k, v in got.items())
            + " | baseline " + ", ".join(f"{k} {v[-1]:.2f}" for k, v in ref.items()))
    detail = {"url": f"/township?region={f.township}&period={f.period}", "baseline_shape": shape, "cold_first_view_s": round(cold, 2),
              "db": "generated county" if f.targets is COUNTY_TARGETS else "demo"}
    what = {"township_first_view": ("first_view", "bare Panel page: navigation → cards and table visible"),
            "township_village_table": ("table", "bare Panel page: navigation → every table row"),
            "township_period_change": ("select_change", "bare Panel page: select change → every card updated"),
            "township_area_change": ("select_change", "bare Panel page: select change → every card updated"),
            "township_drilldown": ("select_change", "bare Panel page: select change → every card updated")}
    def harness(mine: str, theirs: str) -> dict:  # what Playwright's own waits saw (see SEEN_JS)
        return {"harness_values_s": [round(v, 3) for v in got[mine]], "harness_baseline_values_s": [round(v, 3) for v in ref[theirs]],
                "harness_median_s": _median_or_none(got[mine]), "harness_baseline_median_s": _median_or_none(ref[theirs])}

    extra = {"township_first_view": harness("harness_first_view", "harness_first_view"),
             "township_village_table": harness("harness_village_table", "harness_table"),
             "township_period_change": {"change": f"{f.period} → {f.other_period}"},
             "township_area_change": {"change": f"{f.township} → {f.other_area}"}, "township_drilldown": {"village": f.village}}
    return [_measure(n, got[n], ref[what[n][0]], what[n][1], {**detail, **extra.get(n, {})}, f.targets) for n in names]


def bench_entry(browser, app: str, base: str, f: Facts, runs: int, log=print) -> list[Measure]:
    names = [n for n in TARGETS if n.startswith("entry_")]
    probe = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    try:
        page = probe.new_page()
        started = time.perf_counter()
        page.goto(f"{app}/entry?" + urllib.parse.urlencode({"village": VILLAGE, "quarter": QUARTER}), wait_until="commit", timeout=TIMEOUT_MS)
        _usable(page, QUARTER)
        cold = time.perf_counter() - started
        time.sleep(1)  # the page settled: every control drawn
        controls = page.evaluate(CONTROLS_JS)
    finally:
        probe.close()
    # as many text inputs, selects and buttons as the page shows (the issue: "a bare Panel page
    # with the same number of widgets"; the language switch's two buttons count as two)
    shape = {"inputs": controls["input"], "selects": controls["select"], "buttons": controls["button"], "typed": 3 * len(BOARDS)}
    log(f"entry: cold usable {cold:.2f} s; baseline shape {shape}")
    entry_baseline_pass(browser, base, shape, {})
    got: dict[str, list[float]] = {}
    ref: dict[str, list[float]] = {}
    for i in range(runs):
        order = [lambda: entry_pass(browser, app, f, f.empty_quarters[i], got), lambda: entry_baseline_pass(browser, base, shape, ref)]
        for fn in order if i % 2 == 0 else order[::-1]:
            fn()
        log(f"entry run {i + 1}/{runs}: " + ", ".join(f"{k} {v[-1]:.2f}" for k, v in got.items())
            + " | baseline " + ", ".join(f"{k} {v[-1]:.2f}" for k, v in ref.items()))
    detail = {"url": f"/entry?village={VILLAGE}&quarter={QUARTER}", "baseline_shape": shape, "cold_usable_s": round(cold, 2)}
    what = {"entry_usable": ("usable", "bare Panel page: navigation → the first text inputs visible and enabled"),
            "entry_quarter_switch": ("select_change", "bare Panel page: select change → title pane updated"),
            "entry_save_boards": ("save", "bare Panel page: button click → message pane")}
    extra = {"entry_usable": {"usable": "first board form's inputs visible, quarter select enabled (2010Q4 is published: read-only)",
                              "empty_quarter_editable_median_s": _median_or_none(got.get("empty_quarter_editable")),
                              "complete_median_s": _median_or_none(got.get("complete")),
                              "complete": "the whole page drawn (the boards' save button, sent with the second and third forms)"},
             "entry_quarter_switch": {"change": f"{QUARTER} → {OTHER_QUARTER}", "forms_shown_median_s": _median_or_none(got.get("quarter_switch_forms")),
                                      "forms_shown": "the new quarter's first board form visible (built after the heading is sent)"},
             "entry_save_boards": {"quarters": f.empty_quarters[:runs], "fields_typed": shape["typed"]}}
    extra["entry_usable"].update({"harness_values_s": [round(v, 3) for v in got["harness_usable"]],
                                  "harness_baseline_values_s": [round(v, 3) for v in ref["harness_usable"]],
                                  "harness_median_s": _median_or_none(got["harness_usable"]),
                                  "harness_baseline_median_s": _median_or_none(ref["harness_usable"])})
    return [_measure(n, got[n], ref[what[n][0]], what[n][1], {**detail, **extra.get(n, {})}) for n in names]


def run(db: Path, runs: int, only: set[str], work: Path, log=print, county_year: Optional[int] = None) -> list[Measure]:
    """Serve a working copy of ``db`` and the baseline, and measure the apps in ``only``
    (``county_year``: ``db`` is the generated county, whose last year is that; township only)."""
    names = [n for n in TARGETS if n.split("_")[0] in only]
    if not Path(browser_bench.CHROMIUM).exists():
        return _failed(names, f"{browser_bench.CHROMIUM} missing (apt-get install chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    served = working_copy(db, work)
    f = county_facts(served, county_year) if county_year else facts(served, runs)
    app_port, base_port = browser_bench.free_port(), browser_bench.free_port()
    out: list[Measure] = []
    with tempfile.TemporaryDirectory(prefix="shequ-ui-bench-") as tmp:
        app_proc = browser_bench.start_server(served, app_port)
        try:
            base_proc = start_baseline(Path(tmp), base_port)
            try:
                with sync_playwright() as pw:
                    browser = pw.chromium.launch(executable_path=browser_bench.CHROMIUM, args=browser_bench.LAUNCH_ARGS, headless=True)
                    try:
                        app, base = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{base_port}"
                        for kind, bench in (("township", bench_township), ("entry", bench_entry)):
                            if kind not in only:
                                continue
                            try:
                                out += bench(browser, app, base, f, runs, log)
                            except Exception as exc:  # report it, keep the other app's measures
                                out += _failed([n for n in names if n.startswith(kind)], f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
                    finally:
                        browser.close()
            finally:
                stop(base_proc)
        finally:
            stop(app_proc)
    return out


def print_table(measures: list[Measure], info: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(130, Console().width))
    t = Table(title=f"shequ-sdk web apps in Chromium · {info['nproc']} cores · {info['cpu']} · load {info['load_average']}")
    for col in ("measure", "value", "baseline", "ratio", "target", "met"):
        t.add_column(col, justify="left" if col in ("measure", "target") else "right")
    for m in measures:
        t.add_row(m.name, "—" if m.value is None else f"{m.value:.2f} s", "—" if m.baseline is None else f"{m.baseline:.2f} s",
                  "—" if m.ratio is None else f"{m.ratio:.2f}", m.target or "—", {True: "[green]yes[/]", False: "[red]no[/]", None: "—"}[m.met])
    console.print(t)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=None, help="database to serve (default: the demo, built once into benchmarks/.data/demo.db)")
    parser.add_argument("--runs", type=int, default=5, help="runs per measure (medians are reported)")
    parser.add_argument("--only", default="township,entry", help="comma-separated apps to measure: township, entry")
    parser.add_argument("--work-dir", type=Path, default=DATA_DIR / "work", help="where the served working copy of the database goes")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--county", action="store_true",
                        help="the township dashboard on the generated county (300 villages, built once with shequ generate) instead of the demo")
    ns = parser.parse_args(argv)
    only = {x.strip() for x in ns.only.split(",") if x.strip()}
    if not only <= {"township", "entry"}:
        parser.error(f"--only: unknown app(s) {sorted(only - {'township', 'entry'})}")
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731  (stdout carries the JSON lines)
    county_year = None
    if ns.county:
        import county_bench as cb

        options = cb.CountyOptions()
        db, county_year, only = DATA_DIR / "county.db", options.last_year, {"township"}
        cb.ensure_county(db, options, log)
        with_cells = shequ_open(db)
        try:  # the indicator cells stored as shequ serve's daily round keeps them (county_bench does the same)
            cb.roll_cells(with_cells, options.today, log)
        finally:
            with_cells.close()
    db = db if ns.county else ns.db or ensure_demo(DATA_DIR / "demo.db", log)
    info = machine()
    print(json.dumps({"name": "machine", **info, "db": str(db)}, ensure_ascii=False), flush=True)
    measures = run(db, ns.runs, only, ns.work_dir, log, county_year)
    for m in measures:
        print(m.line(), flush=True)
    info["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps({"name": "load_average_end", "load_average": info["load_average_end"]}), flush=True)
    print_table(measures, info)
    return 1 if ns.check and any(m.met is not True for m in measures) else 0


if __name__ == "__main__":
    sys.exit(main())
