"""A full quarter entered with the keyboard only (issue 13), at 1366×768: the village clerk signs
in, copies last quarter's three boards (党务, 居务, 财务), fills in their dates and reviewer, adds
one item to each board in 表格录入 (lines copied from Excel, pasted with Ctrl+V), all with Tab,
Enter, Space, arrow keys and typing — never a click. Then the reviewer reviews, the township
approves and the clerk publishes, each signed in as themself in a browser context of their own,
and the clerk prints the 党务 board: a PDF with the board's items. The audit log names the three
users of the three steps."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from shequ_sdk.auth import add_user
from shequ_sdk.testing import sqlite_demo_copy

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "春耕秋收2010"
VILLAGE, QUARTER = "新尚村社区", "2011Q1"
BOARDS = ("party", "residents", "finance")
TITLES = {"party": "2011年第1季度党务公开", "residents": "2011年第1季度居务公开", "finance": "2011年第1季度财务公开"}
BOARD_ZH = {"party": "党务", "residents": "居务", "finance": "财务"}
ITEMS = {"party": ("键盘录入·党员大会", "召开 1 次"), "residents": ("键盘录入·居民议事", "议定 3 件"),
         "finance": ("键盘录入·办公经费", "支出 1,200 元")}
USERS = {"cunwei": ("village", VILLAGE, "王文书"), "licai": ("reviewer", VILLAGE, "李审核"), "zhenli": ("township", "茅草街镇", "赵镇干")}
# counts every pointer press in the page: a keyboard-only user makes none
NO_POINTER = "window.__pointer = 0; addEventListener('pointerdown', () => { window.__pointer += 1; }, true);"


@pytest.fixture
def site(tmp_path_factory, serving):
    """A demo database served with login: the community's clerk (village), its reviewer and the
    township's staff; 2011Q1 (long locked by date) opened for the community by an exception."""
    import shequ_sdk
    from shequ_sdk import locks

    path = tmp_path_factory.mktemp("keyboard") / "demo.db"
    sqlite_demo_copy(tmp_path_factory, path)
    sdk = shequ_sdk.open(str(path))
    with sdk.transaction() as s:
        for name, (role, region, display) in USERS.items():
            add_user(s, name, role=role, region=region, password=PASSWORD, display_name=display)
        locks.grant(s, None, VILLAGE, QUARTER, "补录2011年第1季度公开栏", dt.date.today() + dt.timedelta(days=20))
    try:
        with serving(sdk, directory=ROOT / "dashboards") as base:
            yield base, sdk
    finally:
        sdk.close()


def focus_on(page, css: str, **kw):
    """The element of ``css`` holding the keyboard focus (``:focus`` pierces Panel's shadow roots)."""
    return page.locator(f"{css}:focus", **kw)


def tab_to(page, css: str, *, back: bool = False, limit: int = 60, **kw) -> None:
    """Press Tab (Shift+Tab with ``back``) until the element of ``css`` has the focus."""
    target = focus_on(page, css, **kw)
    for _ in range(limit):
        if target.count():
            return
        page.keyboard.press("Shift+Tab" if back else "Tab")
    assert target.count(), f"{css} {kw} not reached with {limit} presses of {'Shift+' if back else ''}Tab"


# the focused element, inside the shadow roots, and the width of its outline
FOCUS_OUTLINE = """() => { let e = document.activeElement; while (e && e.shadowRoot && e.shadowRoot.activeElement) e = e.shadowRoot.activeElement;
  const c = getComputedStyle(e); return c.outlineStyle === 'none' ? 0 : parseFloat(c.outlineWidth); }"""


def ring_seen(page) -> None:
    """The focused control shows a focus ring of at least 2 px (not Bokeh's faint glow)."""
    assert page.evaluate(FOCUS_OUTLINE) >= 2, "no visible focus ring"


def sign_in(page, base: str, user: str) -> None:
    """The login page with the keyboard: the user name field has the focus."""
    page.goto(f"{base}/entry?village={VILLAGE}&quarter={QUARTER}")
    expect(page.locator("form.shequ-login")).to_be_visible()
    expect(page.locator("#username:focus")).to_have_count(1)
    page.keyboard.type(user)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator(".shequ-user")).to_have_attribute("data-user", user)
    expect(page.locator(".shequ-title")).to_contain_text(f"{VILLAGE} · 2011年第1季度")


def step(page, css: str, done: str) -> None:
    """A workflow button reached with Tab and pressed with Enter."""
    tab_to(page, f"{css} button")
    ring_seen(page)
    page.keyboard.press("Enter")
    expect(page.locator(".shequ-step-ok")).to_contain_text(done)


def test_a_quarter_entered_with_the_keyboard_only_then_reviewed_approved_published_and_printed(site, browser, ui):
    import pypdf
    from sqlalchemy import select

    from shequ_plugin_finance.models import Posting, PostingItem
    from shequ_sdk.audit import AuditEntry

    base, sdk = site
    served = SimpleNamespace(base=base)
    with ui.watched_page(browser, served, **ui.LAPTOP, accept_downloads=True,
                         permissions=["clipboard-read", "clipboard-write"]) as page:
        page.add_init_script(NO_POINTER)
        sign_in(page, base, "cunwei")

        # 复制上季度: the focus then goes to the first field of the copied boards
        tab_to(page, ".shequ-copy-last-quarter button")
        ring_seen(page)
        page.keyboard.press("Enter")
        expect(page.locator(".shequ-step-ok")).to_contain_text("已复制上季度 3 条公开记录")
        first = ".shequ-input-board-party-2011Q1-posted_on input"
        expect(focus_on(page, first)).to_have_count(1)
        ring_seen(page)

        # the three boards: posted on, reviewer and review date typed; Enter in a field saves all three
        for board in BOARDS:
            css = f".shequ-input-board-{board}-2011Q1"
            tab_to(page, f"{css}-posted_on input")
            page.keyboard.type("2011年4月10日")
            tab_to(page, f"{css}-reviewer_name input")
            page.keyboard.type("范明娟")
            page.keyboard.press("Tab")
            expect(focus_on(page, f"{css}-review_date input")).to_have_count(1)
            page.keyboard.type("2011-04-08")
        page.keyboard.press("Enter")
        expect(page.locator(".shequ-save-ok")).to_contain_text("已保存 3 条记录")
        expect(focus_on(page, ".shequ-input-board-finance-2011Q1-review_date input")).to_have_count(1)  # not lost by the save
        expect(page.locator(".shequ-posting-state[data-status='draft']")).to_have_count(3)

        # 录入记录 → 公开事项 → 表格录入: one new line per board, copied in Excel and pasted
        with sdk.transaction() as s:
            posting = dict(s.execute(select(Posting.board, Posting.id).where(Posting.period == QUARTER)).all())
            lines = {b: len(s.execute(select(PostingItem.id).where(PostingItem.posting_id == posting[b])).all()) for b in BOARDS}
        assert set(posting) == set(BOARDS) and all(lines.values())  # last quarter's items came along
        tab_to(page, ".shequ-entry-tabs .bk-tab", has_text="录入记录")
        ring_seen(page)
        page.keyboard.press("Enter")
        tab_to(page, ".shequ-entry-table select")
        choice = page.locator(".shequ-entry-table select")
        labels = choice.locator("option").all_text_contents()
        for _ in range(labels.index("民主管理监督理财协会 · 公开事项") - choice.evaluate("e => e.selectedIndex")):
            page.keyboard.press("ArrowDown")
        expect(choice).to_have_value("民主管理监督理财协会 · 公开事项")  # Panel gives its options their labels as values
        expect(page.locator(".shequ-input-finance_posting_item-title input")).to_be_visible()  # the items' entry is drawn
        tab_to(page, ".shequ-entry-mode button", has_text="表格录入")
        page.keyboard.press("Space")
        grid = page.locator(".shequ-grid-finance_posting_item")
        expect(grid.locator(".tabulator-col-title", has_text="事项")).to_have_count(1)
        tab_to(page, ".shequ-grid-paste textarea")
        copied = "公开记录\t序号\t事项\t内容\n" + "".join(
            f"{TITLES[b]}（{BOARD_ZH[b]}）\t{lines[b] + 1}\t{ITEMS[b][0]}\t{ITEMS[b][1]}\n" for b in BOARDS)
        page.evaluate("text => navigator.clipboard.writeText(text)", copied)  # what Excel's copy leaves
        page.keyboard.press("Control+V")
        expect(page.locator(".shequ-grid-paste textarea")).to_have_value(copied)
        page.keyboard.press("Tab")
        expect(focus_on(page, ".shequ-grid-paste-fill button")).to_have_count(1)
        page.keyboard.press("Enter")
        expect(page.locator(".shequ-grid-paste-message")).to_contain_text("已填入 3 行")
        expect(grid.locator(".tabulator-cell[tabulator-field=title]", has_text="键盘录入·居民议事")).to_have_count(1)
        expect(focus_on(page, ".shequ-grid-save button")).to_have_count(1)  # past the grid's cells, ready to save
        page.keyboard.press("Enter")
        expect(page.locator(".shequ-grid-message .shequ-save-ok")).to_contain_text("已保存 3 条")
        with sdk.transaction() as s:
            for b in BOARDS:
                got = s.execute(select(PostingItem.line_no, PostingItem.content).where(
                    PostingItem.posting_id == posting[b], PostingItem.title == ITEMS[b][0])).all()
                assert got == [(lines[b] + 1, ITEMS[b][1])], (b, got)

        # the reviewer and the township, each in a browser context of their own
        for user, css, done in (("licai", ".shequ-step-review", "已审核 3 条记录"), ("zhenli", ".shequ-step-approve", "已审批 3 条记录")):
            with ui.watched_page(browser, served, **ui.LAPTOP) as other:
                other.add_init_script(NO_POINTER)
                sign_in(other, base, user)
                step(other, css, done)
                assert other.evaluate("window.__pointer") == 0

        # the clerk publishes: the page read again (F5), 公开, then 确认公开 after reading what goes up
        page.reload()
        expect(page.locator(".shequ-posting-state[data-status='approved']")).to_have_count(3)
        tab_to(page, ".shequ-step-publish button")
        page.keyboard.press("Enter")
        confirm = page.locator(".shequ-publish-confirm")
        for text in ("将公开以下 3 个公开栏", "审批人 赵镇干", "公开人 王文书", "公开后不能撤销"):
            expect(confirm).to_contain_text(text)
        tab_to(page, ".shequ-publish-confirm-ok button")
        page.keyboard.press("Enter")
        expect(page.locator(".shequ-step-ok")).to_contain_text("已公开 3 条记录")
        expect(page.locator(".shequ-posting-state[data-status='published']")).to_have_count(3)
        expect(page.locator(".shequ-posting-state").first).to_contain_text("审核 李审核")

        # 打印党务公开栏: the focus is on it once published
        expect(focus_on(page, ".shequ-print-party button")).to_have_count(1)
        ring_seen(page)
        with page.expect_download(timeout=90_000) as download:
            page.keyboard.press("Enter")
        assert download.value.suggested_filename.endswith("党务公开栏.pdf")
        pdf = Path(download.value.path()).read_bytes()
        assert pdf.startswith(b"%PDF")
        text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
        assert ITEMS["party"][0] in text and "2011年第1季度党务公开" in text
        assert page.evaluate("window.__pointer") == 0, "the clerk's page was pressed with a pointer"
        ui.save_screenshot(page, "entry-keyboard-published.png")

    # the audit log: three users, one for each step
    with sdk.transaction() as s:
        A = AuditEntry.__table__
        steps = s.execute(select(A.c.action, A.c.actor, A.c.record_id).where(A.c.action.in_(("posting.review", "posting.approve", "posting.publish")),
                                                                             A.c.record_id.in_(list(posting.values())))).all()
    by_step = {}
    for action, actor, record in steps:
        by_step.setdefault(action, set()).add(actor)
    assert by_step == {"posting.review": {"licai"}, "posting.approve": {"zhenli"}, "posting.publish": {"cunwei"}}, by_step
    assert len(steps) == 9
