"""Sessions in Chromium (issue 12, findings 5, 6 and 10): an open tab whose session ends —
signed out in another browser, password changed — lands on the login page at its next action;
Panel's ``is_guest`` cookie changes nobody's identity; bad links show a Chinese message, never a
traceback. One server for the module."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError, expect

from shequ_sdk.auth import add_user
from shequ_sdk.testing import sqlite_demo_copy

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "春耕秋收2010"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    import socket
    import time
    import urllib.request


    import shequ_sdk
    from shequ_sdk.ui.serving import serve

    path = tmp_path_factory.mktemp("sessions") / "demo.db"
    sqlite_demo_copy(tmp_path_factory, path)
    sdk = shequ_sdk.open(str(path))
    with sdk.transaction() as s:
        add_user(s, "maocao", role="township", region="茅草街镇", password=PASSWORD, display_name="茅草街镇干部")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = serve(sdk, port=port, threaded=True, directory=ROOT / "dashboards", announce=lambda _t: None)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"{base}/liveness", timeout=5)
            break
        except OSError:
            assert time.monotonic() < deadline
            time.sleep(0.2)
    yield base, sdk
    server.stop()
    server.join(10)
    # no pn.state.reset(): it would stop every server, the session-wide one too
    sdk.close()


def _sign_in(page, base: str, target: str = "township") -> None:
    page.goto(f"{base}/{target}")
    expect(page.locator("form.shequ-login")).to_be_visible()
    page.fill("#username", "maocao")
    page.fill("#password", PASSWORD)
    page.click(".shequ-login-submit")
    expect(page.locator(".shequ-user")).to_have_attribute("data-user", "maocao")


def test_an_open_tab_lands_on_login_when_its_session_ends(site, browser, cli, monkeypatch, ui):
    import io

    base, sdk = site
    tab_context, other_context = browser.new_context(locale="zh-CN"), browser.new_context(locale="zh-CN")
    try:
        tab, other = tab_context.new_page(), other_context.new_page()
        tab.set_default_timeout(45_000)
        other.set_default_timeout(45_000)
        _sign_in(tab, base)
        ui.kpis(tab)
        # the same user signs out in another browser: every session of the user ends
        _sign_in(other, base)
        other.goto(f"{base}/logout")
        expect(other.locator(".shequ-logout")).to_contain_text("已退出登录")
        # the tab's next action; the page may already have noticed on its own (it checks every few
        # seconds) and be on its way to /login, so the click neither waits for that navigation nor
        # insists on finding the button
        try:
            tab.locator(".shequ-lang button").last.click(timeout=5_000, no_wait_after=True)
        except PlaywrightTimeoutError:
            pass
        expect(tab.locator("form.shequ-login")).to_be_visible(timeout=60_000)
        assert "next=" in tab.url and "township" in tab.url

        # signed in again; an administrator changes the password
        tab.fill("#username", "maocao")
        tab.fill("#password", PASSWORD)
        tab.click(".shequ-login-submit")
        expect(tab.locator(".shequ-user")).to_have_attribute("data-user", "maocao")
        ui.kpis(tab)
        monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
        assert cli("user", "passwd", "maocao", "--password-stdin", "--db", sdk.url)[0] == 0
        # no click at all: the open page notices within a few seconds
        expect(tab.locator("form.shequ-login")).to_be_visible(timeout=60_000)
        ui.save_screenshot(tab, "session-ended-login.png")
    finally:
        tab_context.close()
        other_context.close()


def test_the_guest_cookie_changes_no_identity(site, browser):
    base, _sdk = site
    context = browser.new_context(locale="zh-CN")
    try:
        page = context.new_page()
        page.set_default_timeout(45_000)
        _sign_in(page, base)
        context.add_cookies([{"name": "is_guest", "value": "1", "url": base}])
        page.goto(f"{base}/township")
        expect(page.locator(".shequ-user")).to_have_attribute("data-user", "maocao")  # still maocao, not "guest"
        context.clear_cookies()
        context.add_cookies([{"name": "is_guest", "value": "1", "url": base}])
        page.goto(f"{base}/township")
        expect(page.locator("form.shequ-login")).to_be_visible()  # a guest is nobody
    finally:
        context.close()


def test_bad_links_show_a_chinese_message_never_a_traceback(site, browser, ui):
    base, _sdk = site
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.set_default_timeout(45_000)
        _sign_in(page, base)
        cases = {"region=nosuch": "找不到地区", "region=%E5%8D%97%00%E6%B4%B2": "地区", "village=nosuch": "找不到地区"}
        for query, words in cases.items():
            page.goto(f"{base}/township?{query}")
            card = page.locator(".shequ-error, .shequ-permission").first
            expect(card).to_be_visible()
            text = card.inner_text()
            assert words in text and "Traceback" not in text
            body = page.locator("body").inner_text()
            assert "Traceback" not in body and "site-packages" not in body and ".py" not in body
        ui.save_screenshot(page, "bad-link-message-mobile.png")
        # a year given as a number through the URL sync opens that year's page
        page.goto(f"{base}/township?period=2010")
        ui.kpis(page)
        assert ui.kpi_context(page)[1] == "2010"
        assert "Traceback" not in page.locator("body").inner_text()
    finally:
        context.close()
