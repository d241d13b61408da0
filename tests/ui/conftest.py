"""Browser tests of the dashboards: pytest-playwright driving Debian's Chromium (never
``playwright install``), against ``shequ serve``'s own server code on a free port.

- ``browser_type_launch_args`` points Playwright at ``/usr/bin/chromium`` (``$SHEQU_CHROMIUM``)
  with the flags that work headless as root on these machines.
- ``served`` builds the demo database once per session and serves every dashboard in
  ``dashboards/`` on 127.0.0.1.
- ``app_page`` is Playwright's ``page`` that records console errors and every request that
  leaves 127.0.0.1, fails the test on either, and saves a screenshot to ``test-artifacts/``.

Without Chromium or Playwright the tests skip with the reason — or fail under
``SHEQU_TEST_STRICT=1`` (CI).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import socket
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlparse

import pytest

from shequ_sdk.testing import need, printed_indicators

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("SHEQU_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOCAL_HOSTS = {"127.0.0.1"}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
LAPTOP = {"viewport": {"width": 1366, "height": 768}}
# every text a person can read on the page, shadow roots included (Panel renders into them);
# the text of <style> and <script> elements is not on the page
PAGE_TEXT = """() => { const out = []; const walk = r => { for (const n of r.querySelectorAll('*')) {
    if (n.shadowRoot) walk(n.shadowRoot);
    if (n.tagName === 'STYLE' || n.tagName === 'SCRIPT' || n.tagName === 'TEMPLATE') continue;
    for (const c of n.childNodes) if (c.nodeType === 3 && c.textContent.trim()) out.push(c.textContent.trim()); } };
  walk(document); return out.join('\\n'); }"""


def _have_playwright() -> bool:
    return importlib.util.find_spec("playwright") is not None and importlib.util.find_spec("pytest_playwright") is not None


@pytest.fixture(scope="session", autouse=True)
def _browser_available():
    need(_have_playwright(), "playwright / pytest-playwright are not installed (uv sync installs them)")
    need(Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM}: apt-get install chromium fonts-noto-cjk "
                                  "(never `playwright install`)")
    from playwright.sync_api import expect

    # a switch of language or period redraws the whole page on the server first; on a busy CI
    # machine that takes longer than Playwright's default 5 s
    expect.set_options(timeout=30_000)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    need(Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM}")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1000}, "locale": "zh-CN"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_live(base: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{base}/liveness", timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@contextmanager
def running(sdk, **serve_args):
    """``shequ serve``'s server for ``sdk`` on a free 127.0.0.1 port, live; yields its base URL.
    Stopping it leaves Panel's state alone (``pn.state.reset()`` would stop every server)."""
    from shequ_sdk.ui.serving import serve

    port = free_port()
    server = serve(sdk, port=port, address="127.0.0.1", threaded=True, announce=lambda _t: None, **serve_args)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_live(base)
        yield base
    finally:
        server.stop()
        server.join(10)


@pytest.fixture
def serving():
    """:func:`running`, for the test modules: ``with serving(sdk, dashboards=[…]) as base: …``."""
    return running


@dataclass
class Served:
    """The running server: its base URL and the database it serves."""

    base: str
    db: str
    sdk: object

    def url(self, page: str, **query) -> str:
        q = "&".join(f"{k}={quote(str(v))}" for k, v in query.items())
        return f"{self.base}/{page}" + (f"?{q}" if q else "")


@pytest.fixture(scope="session")
def served(tmp_path_factory):
    """Every dashboard of ``dashboards/`` served from a fresh demo database on a free port."""
    import panel as pn

    import shequ_sdk

    path = tmp_path_factory.mktemp("ui") / "demo.db"
    sdk = shequ_sdk.open(str(path), create=True)
    sdk.build_demo()
    with running(sdk, directory=ROOT / "dashboards") as base:
        yield Served(base=base, db=str(path), sdk=sdk)
    pn.state.reset()  # only after join: resetting a stopping server raises "Thread already stopping"
    sdk.close()


def is_local(url: str) -> bool:
    """Whether a request stays on this machine's server (blob: and data: URLs never leave)."""
    if url.startswith(("data:", "about:")):
        return True
    if url.startswith("blob:"):
        url = url[len("blob:"):]
    return urlparse(url).hostname in LOCAL_HOSTS


def _artifact_name(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.split("::", 1)[-1])[:120]


@pytest.fixture
def app_page(page, served, request):
    """Playwright's page, watched: console errors, page errors and requests leaving 127.0.0.1
    fail the test; a full-page screenshot goes to test-artifacts/."""
    problems: dict[str, list[str]] = {"console": [], "external": []}
    page.on("console", lambda m: problems["console"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems["console"].append(f"page error: {e}"))
    page.on("request", lambda r: None if is_local(r.url) else problems["external"].append(r.url))
    page.set_default_timeout(45_000)
    page.problems = problems
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        page.screenshot(path=str(ARTIFACTS / f"{_artifact_name(request.node.nodeid)}.png"), full_page=True)
    except Exception:  # a closed page has nothing to show; the test's own result stands
        pass
    assert not problems["external"], f"requests left 127.0.0.1: {problems['external']}"
    assert not problems["console"], f"console errors: {problems['console']}"


# -- reading the pages (Panel renders into shadow roots; Playwright's CSS locators pierce them) --

def kpis(page) -> dict[str, str]:
    """``{indicator key: value text}`` of the KPI cards on the page."""
    page.locator(".shequ-kpi").first.wait_for()
    return dict(page.locator(".shequ-kpi").evaluate_all(
        "els => els.map(e => [e.dataset.key, e.querySelector('.value').textContent])"))


def kpi_context(page) -> tuple[str, str]:
    box = page.locator(".shequ-kpis").first
    return box.get_attribute("data-region"), box.get_attribute("data-period")


def heatmap_cell(page, village: str, period: str, line: str):
    return page.locator(f".shequ-heatmap td[data-row='{village}'][data-period='{period}'][data-line='{line}']")


def set_date(page, css: str, day: str) -> None:
    """Enter ``day`` (YYYY-MM-DD): typed into a date field of the entry forms (a text input read
    by ``shequ_sdk.values``), or picked in a Panel DatePicker through its calendar's own API."""
    field = page.locator(f"{css} input").first
    if field.evaluate("el => !!el._flatpickr"):
        field.evaluate(f"el => el._flatpickr.setDate('{day}', true)")
    else:
        field.fill(day)


def save_screenshot(page, name: str, full_page: bool = True) -> Path:
    """The page (``full_page``) or what its screen shows now, as ``test-artifacts/<name>``."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=full_page)
    return path


def copy_to_docs(path: Path, name: str) -> None:
    """Refresh the README's screenshot when asked to (``SHEQU_UPDATE_SCREENSHOTS=1``)."""
    if os.environ.get("SHEQU_UPDATE_SCREENSHOTS") == "1":
        target = ROOT / "docs" / "img" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)


def page_text(page) -> str:
    """The page's readable text, one text node a line (shadow roots included)."""
    return page.evaluate(PAGE_TEXT)


@contextmanager
def watched_page(browser, served, **options):
    """A page of a fresh ``zh-CN`` context (``options`` as for ``browser.new_context``, e.g.
    ``**PHONE``) whose console errors, page errors and requests leaving 127.0.0.1 fail the test
    when the block ends."""
    context = browser.new_context(locale="zh-CN", **options)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("request", lambda r: None if r.url.startswith(("data:", "blob:", "about:", served.base)) else problems.append(r.url))
    page.set_default_timeout(45_000)
    try:
        yield page
    finally:
        context.close()
    assert not problems, problems


@pytest.fixture
def ui():
    """The page helpers above, for the test modules (conftest modules are not importable
    under ``--import-mode=importlib``)."""
    from types import SimpleNamespace

    return SimpleNamespace(kpis=kpis, kpi_context=kpi_context, printed=printed_indicators, heatmap_cell=heatmap_cell,
                           set_date=set_date, save_screenshot=save_screenshot, copy_to_docs=copy_to_docs, is_local=is_local,
                           page_text=page_text, watched_page=watched_page, PHONE=PHONE, LAPTOP=LAPTOP)
