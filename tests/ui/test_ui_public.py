"""The public portal in Chromium at 390×844 (phone): the pages a QR code opens, the question
form with its abuse controls, a crawl for drafts, and axe-core. One server for the module."""

from __future__ import annotations

import html as htmlmod
import re
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

import pytest

import shequ_sdk
from shequ_sdk.testing import portal_cases, sqlite_demo_copy


def _ui_conftest():
    """tests/ui/conftest.py's helpers (the server, the local-request check, screenshots)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("shequ_ui_conftest_helpers", Path(__file__).with_name("conftest.py"))
    module = importlib.util.module_from_spec(spec)
    import sys

    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


_helpers = _ui_conftest()
ROOT, is_local, running = _helpers.ROOT, _helpers.is_local, _helpers.running

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    path = tmp_path_factory.mktemp("portal_ui") / "demo.db"
    sqlite_demo_copy(tmp_path_factory, path)
    sdk = shequ_sdk.open(str(path))
    cases = portal_cases(sdk)
    with running(sdk, directory=ROOT / "dashboards", warm=False) as base:
        yield base, cases, sdk
    sdk.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("request", lambda r: problems.append(f"left 127.0.0.1: {r.url}") if not is_local(r.url) else None)
    yield page
    context.close()
    assert not problems, problems


def _shot(page, name: str):
    """A screenshot of what the phone's screen shows (test-artifacts/)."""
    _helpers.ARTIFACTS.mkdir(exist_ok=True)
    path = _helpers.ARTIFACTS / name
    page.screenshot(path=str(path))
    return path


def _url(base: str, *parts: str) -> str:
    return base + "/public" + "".join("/" + urllib.parse.quote(p) for p in parts)


def test_scanning_a_board_opens_its_verification_page(portal, phone):
    base, cases, _ = portal
    phone.goto(_url(base, "v", cases["new"]))
    assert phone.locator("[role=status]").inner_text() == "此公开栏已登记，为第 2 版，现行有效"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone

    response = phone.goto(_url(base, "v", cases["old"]))
    assert response.status == 200
    assert phone.locator("[role=status]").inner_text() == f"已被第 2 版更正（2026-11-22，原因：{cases['reason']}）"
    phone.get_by_role("link", name="查看现行的第 2 版").click()
    phone.wait_for_url(_url(base, "v", cases["new"]))
    assert "现行有效" in phone.locator("[role=status]").inner_text()
    _shot(phone, "public-verify-phone.png")

    phone.goto(_url(base, "v", "0123-4567-89ab"))
    assert phone.locator("[role=status]").inner_text() == "未找到登记记录"


def _get(opener, url: str) -> str:
    with opener.open(url, timeout=30) as r:
        return r.read().decode("utf-8")


def test_no_draft_on_any_public_page(portal):
    base, cases, _ = portal
    opener = urllib.request.build_opener()
    seen, todo = set(), [base + "/public"]
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        page = _get(opener, url)  # every link leads to a page (an HTTP error fails here)
        assert cases["draft_title"] not in page and htmlmod.escape(cases["draft_title"]) not in page
        for href in re.findall(r'href="([^"#]+)', page):
            full = urllib.parse.urljoin(url, htmlmod.unescape(href))
            if full.startswith(base + "/public"):  # (the icon is a data: URL)
                todo.append(full)
    assert len(seen) > 250  # the index, every village, every verification page


def _form(opener, url: str, fingerprint: str) -> dict:
    page = _get(opener, url)
    form = page[page.index(f'value="{fingerprint}"') - 600:]
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', form).group(1)
    token = re.search(r'name="challenge" value="([^"]+)"', form).group(1)
    a, b = map(int, re.search(r"验证：(\d) 加 (\d) 等于几", form).groups())
    return {"_xsrf": xsrf, "challenge": token, "answer": str(a + b), "fingerprint": fingerprint}


def test_question_flow_escaping_and_rate_limit(portal, phone):
    from sqlalchemy import select

    from shequ_plugin_finance.models import Query

    base, cases, sdk = portal
    village = _url(base, cases["village"])
    phone.goto(village)
    card = phone.locator(f"#p-{cases['new']}")
    card.get_by_text("对这项公开内容提问").click()
    card.get_by_label("问题（最多 500 字）").fill("<script>alert('x')</script>为什么第1项金额变了？")
    card.get_by_label("姓名（可不填）").fill("王小明")
    card.get_by_label("联系电话（可不填，不会公开）").fill("13912345678")
    a, b = map(int, re.search(r"(\d) 加 (\d)", card.locator("label", has_text="验证").inner_text()).groups())
    card.get_by_label(re.compile("验证")).fill(str(a + b))
    card.get_by_role("button", name="提交问题").click()
    phone.wait_for_load_state()
    assert "问题已提交" in phone.locator("[role=status]").first.inner_text()
    with sdk.transaction() as s:
        q = s.execute(select(Query).where(Query.subject.like("%为什么第1项金额变了%"))).scalars().one()
        assert q.asker_phone == "13912345678" and q.channel == "online"
        qid = q.id
    # the village answers in 村务录入 (/entry, tab 村民质询), which publishes the reply under the posting
    entry = phone.context.browser.new_page(viewport={"width": 1366, "height": 768})
    entry.goto(f"{base}/entry?village={urllib.parse.quote(cases['village'])}&quarter=2026Q4")
    entry.locator(".shequ-entry-tabs .bk-tab", has_text="村民质询").click()
    card = entry.locator(".shequ-question", has_text="为什么第1项金额变了")
    card.get_by_text(re.compile(r"139\*\*\*\*5678.*答复期限")).wait_for()  # the phone masked, the deadline shown
    card.locator(".shequ-question-reply textarea").fill("第1项更正为实际支付金额，见第2版。")
    card.locator(".shequ-question-answer button").click()
    entry.locator(".shequ-question-message", has_text="已答复").wait_for()
    entry.close()
    with sdk.transaction() as s:
        assert s.get(Query, qid).reply_public is True
    phone.goto(village)
    qa = phone.locator(f"#p-{cases['new']} .qa")
    assert "<script>alert('x')</script>为什么第1项金额变了？" in qa.inner_text()  # shown as text, never run
    assert "王**" in qa.inner_text() and "1391" not in phone.content()
    qa.scroll_into_view_if_needed()
    _shot(phone, "public-village-question-phone.png")  # the README's picture is the demo's page (docs/img/public-village-phone.png)

    # without the form's token, or with a wrong answer, nothing is stored; the 6th question in a minute is refused
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    data = _form(opener, village, cases["new"])
    for missing in ("_xsrf",):
        bad = {k: v for k, v in data.items() if k != missing}
        with pytest.raises(urllib.error.HTTPError) as err:
            opener.open(village, urllib.parse.urlencode({**bad, "question": "无令牌"}).encode(), timeout=30)
        assert err.value.code == 403
    codes = []
    for n in range(6):
        data = _form(opener, village, cases["new"])
        try:
            with opener.open(village, urllib.parse.urlencode({**data, "question": f"第 {n + 1} 个问题"}).encode(), timeout=30) as r:
                codes.append(r.status)
        except urllib.error.HTTPError as exc:
            codes.append(exc.code)
    # the browser's question above came from the same address: 4 more pass, then 429
    assert codes[:4] == [200] * 4 and codes[-1] == 429
    with sdk.transaction() as s:
        stored = s.execute(select(Query.subject).where(Query.subject.like("第 % 个问题"))).scalars().all()
    assert len(stored) == codes.count(200)


def test_axe_finds_no_serious_violations(portal, phone):
    from axe_playwright_python.sync_playwright import Axe

    base, cases, _ = portal
    axe = Axe()
    for url in (_url(base), _url(base, cases["village"]), _url(base, "v", cases["old"])):
        phone.goto(url)
        violations = axe.run(phone).response["violations"]
        serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in violations if v["impact"] in ("serious", "critical")]
        assert not serious, (url, serious)


def test_index_search_and_a_village_page_on_phone_and_desktop(portal, phone, browser):
    base, cases, _ = portal
    phone.goto(_url(base))
    assert phone.get_by_role("heading", level=1).inner_text() == "村务公开"
    phone.get_by_label("按名称查找").fill("北庄")
    visible = [li.inner_text() for li in phone.locator("ul.villages li:visible").all()]
    assert len(visible) == 1 and visible[0].startswith("北庄村")
    phone.get_by_label("按名称查找").fill("不存在的村")
    assert phone.get_by_text("没有找到名称相符的村（社区）").is_visible()
    phone.get_by_label("按名称查找").fill("")
    phone.get_by_role("link", name="北庄村").click()
    assert phone.get_by_role("heading", level=1).inner_text() == "北庄村公开栏"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(phone, "public-village-top-phone.png")

    desktop = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    desktop.goto(_url(base, cases["village"]))
    headings = desktop.locator("h2").all_inner_texts()
    # newest quarter first (the demo's last is 2010Q4; the 2026Q4 draft is not shown)
    assert headings[0] == "2010年第4季度" and headings == sorted(headings, reverse=True) and len(headings) > 4
    assert desktop.evaluate("document.documentElement.scrollWidth") <= 1366
    _shot(desktop, "public-village-desktop.png")
    desktop.close()


def test_public_pages_need_no_login_when_the_database_has_users(tmp_path_factory):
    from shequ_sdk import auth

    path = tmp_path_factory.mktemp("portal_login") / "demo.db"
    sqlite_demo_copy(tmp_path_factory, path)
    sdk = shequ_sdk.open(str(path))
    with sdk.transaction() as s:
        auth.add_user(s, "maocao", role="township", password="长密码-足够长-2026", region="茅草街镇")
    try:
        with running(sdk, directory=ROOT / "dashboards", warm=False) as base:
            opener = urllib.request.build_opener()
            page = _get(opener, _url(base, "北庄村"))
            assert "北庄村公开栏" in page and "对这项公开内容提问" in page
            with opener.open(base + "/entry", timeout=30) as r:  # everything else still asks for a login
                assert urllib.parse.urlparse(r.geturl()).path == "/login"
    finally:
        sdk.close()
