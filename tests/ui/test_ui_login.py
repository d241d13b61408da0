"""Login in Chromium: a served database with users asks for a password (Chinese login page,
rate-limited), and each signed-in user sees only their scope — on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from shequ_sdk.auth import add_user

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "春耕秋收2010"


@pytest.fixture
def login_server(demo, serving):
    """The demo database with a township user and a village user, served with login required."""
    with demo.transaction() as s:
        add_user(s, "maocao", role="township", region="茅草街镇", password=PASSWORD, display_name="茅草街镇干部")
        add_user(s, "xinshang", role="village", region="新尚村社区", password=PASSWORD)
    with serving(demo, directory=ROOT / "dashboards") as base:
        yield base, demo


@pytest.fixture
def watched(page, ui):
    """The page; console errors and requests leaving 127.0.0.1 fail the test."""
    problems = {"console": [], "external": []}
    page.on("console", lambda m: problems["console"].append(m.text) if m.type == "error" else None)
    page.on("request", lambda r: None if ui.is_local(r.url) else problems["external"].append(r.url))
    page.set_default_timeout(45_000)
    yield page
    assert not problems["external"], problems["external"]
    assert not problems["console"], problems["console"]


def _login(page, base: str, target: str, username: str, password: str) -> None:
    page.goto(f"{base}/{target}")
    expect(page.locator("form.shequ-login")).to_be_visible()
    page.fill("#username", username)
    page.fill("#password", password)
    page.click(".shequ-login-submit")


def test_township_user_logs_in_and_sees_their_township_only(watched, login_server, cli, ui):
    page = watched
    base, sdk = login_server
    page.goto(f"{base}/township")
    expect(page).to_have_title("登录 · Sign in — 社区 SDK")
    expect(page.locator("h1")).to_contain_text("登录")

    _login(page, base, "township", "maocao", "wrong password")
    expect(page.locator(".shequ-login-error")).to_contain_text("用户名或密码错误")

    page.fill("#username", "maocao")
    page.fill("#password", PASSWORD)
    page.click(".shequ-login-submit")
    expect(page.locator(".shequ-user")).to_contain_text("茅草街镇干部")
    cards = ui.kpis(page)
    assert ui.kpi_context(page) == ("茅草街镇", "2010")  # opens on the user's township
    printed = ui.printed(cli, sdk.url, "茅草街镇", "2010")
    assert {key: printed[key] for key in cards} == cards
    areas = page.locator(".shequ-area select option").all_text_contents()
    assert len(areas) == 1 and "茅草街镇" in areas[0]
    expect(page.locator(".shequ-village-table .tabulator-row")).to_have_count(len(sdk.villages(within="茅草街镇")))

    # another township by link: the rule, not the data
    page.goto(f"{base}/township?region=南洲镇")
    expect(page.locator(".shequ-permission")).to_contain_text("只能查看本乡镇（茅草街镇）的数据，不能查看 南洲镇")
    expect(page.locator(".shequ-kpi")).to_have_count(0)


def test_village_user_is_refused_another_village(watched, login_server):
    page = watched
    base, _sdk = login_server
    _login(page, base, "entry", "xinshang", PASSWORD)
    expect(page.locator(".shequ-title")).to_contain_text("新尚村社区")
    villages = page.locator(".shequ-village select option").all_text_contents()
    assert len(villages) == 1 and "新尚村社区" in villages[0]

    page.goto(f"{base}/township?village=南洲村")
    expect(page.locator(".shequ-permission")).to_contain_text("不能查看 南洲村")
    page.goto(f"{base}/entry?village=南洲村")
    expect(page.locator(".shequ-permission")).to_contain_text("用户 xinshang（村(居)委会）只能查看本村/社区（新尚村社区）的数据，不能查看 南洲村")

    page.goto(f"{base}/logout")
    page.goto(f"{base}/township")
    expect(page.locator("form.shequ-login")).to_be_visible()  # signed out: the login page again
