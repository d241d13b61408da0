"""The data-entry app in Chromium: the three boards are saved as drafts, reviewed, approved and
published with the workflow's buttons, and reach the heatmap; bad values show their Chinese error
next to the field and nothing is written."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect

BOARDS = ("party", "residents", "finance")  # 新尚村社区 is a community: 党务, 居务, 财务


def reviewer(served) -> str:
    """Someone who reviewed the community's boards before (a finance association member)."""
    done = served.sdk.frame("finance_posting", region="新尚村社区", period="2010Q4")
    return str(done["reviewer_name"].dropna().iloc[0])


def board_status_2011q1(served) -> list[dict]:
    from shequ_plugin_finance.deadlines import board_status
    from shequ_sdk.regions import find_region

    with served.sdk.transaction() as s:
        return [r for r in board_status(s, find_region(s, "新尚村社区"), ["2011Q1"], dt.date(2011, 6, 30)) if r["kind"] == "board"]


def add_items(served, quarter: str) -> None:
    """One item on each of the community's boards of ``quarter`` (drafts), through the SDK."""
    from sqlalchemy import select

    from shequ_plugin_finance.models import Posting
    from shequ_sdk.regions import find_region

    with served.sdk.transaction() as s:
        village = find_region(s, "新尚村社区")
        ids = s.execute(select(Posting.id).where(Posting.region_id == village.id, Posting.period == quarter)).scalars().all()
    served.sdk.write("finance_posting_item", [{"region_id": village.id, "posting_id": pid, "line_no": 1, "title": "本季度事项",
                                               "content": "见公开栏"} for pid in ids])


def open_records(page, label: str) -> None:
    page.locator(".shequ-entry-tabs .bk-tab", has_text="录入记录").click()
    page.locator(".shequ-entry-table select").select_option(label=label)


def test_a_quarters_boards_saved_reviewed_approved_and_published_turn_the_heatmap_on_time(app_page, served, ui):
    page = app_page
    page.goto(served.url("township", region="茅草街镇", period="2011"))
    for line in ("party", "affairs", "finance"):
        expect(ui.heatmap_cell(page, "新尚村社区", "2011Q1", line)).to_have_attribute("data-status", "missing")

    page.goto(served.url("entry", village="新尚村社区", quarter="2011Q1"))
    expect(page.locator(".shequ-title")).to_contain_text("新尚村社区 · 2011年第1季度")
    name = reviewer(served)
    for board in BOARDS:
        css = f".shequ-input-board-{board}-2011Q1"
        page.locator(f"{css}-review_date input").fill("2011-04-08")  # dates are typed (or pasted) as written
        page.locator(f"{css}-posted_on input").fill("2011年4月10日")
        page.locator(f"{css}-reviewer_name input").fill(name)
    page.locator(".shequ-save-finance-boards button").click()
    expect(page.locator(".shequ-save-ok")).to_contain_text("已保存 3 条记录")

    # saved as drafts: they do not count yet
    rows = served.sdk.frame("finance_posting", region="新尚村社区", period="2011Q1", codes=True)
    assert sorted(rows["board"]) == sorted(BOARDS)
    assert set(rows["status"]) == {"draft"} and set(rows["kind"]) == {"regular"}
    assert {r["status"] for r in board_status_2011q1(served)} == {"missing"}
    # each board gets an item (a board without items is not published: finance.publish_requires_items)
    add_items(served, "2011Q1")

    # local mode: the reviewer's, the township's and the committee's buttons, pressed in turn; 公开 asks first
    for step, zh, status in (("review", "审核", "reviewed"), ("approve", "审批", "approved"), ("publish", "公开", "published")):
        page.locator(f".shequ-step-{step} button").click()
        if step == "publish":
            expect(page.locator(".shequ-publish-confirm")).to_contain_text("公开后不能撤销")
            page.locator(".shequ-publish-confirm-ok button").click()
        expect(page.locator(".shequ-step-ok")).to_contain_text(f"已{zh} 3 条记录")
        expect(page.locator(f".shequ-posting-state[data-status='{status}']")).to_have_count(3)
    expect(page.locator(".shequ-posting-state").first).to_contain_text("指纹")
    ui.save_screenshot(page, "entry-boards-saved.png")

    rows = served.sdk.frame("finance_posting", region="新尚村社区", period="2011Q1", codes=True)
    assert set(rows["posted_on"].dt.date) == {dt.date(2011, 4, 10)}
    assert set(rows["status"]) == {"published"} and rows["fingerprint"].notna().all()

    page.goto(served.url("township", region="茅草街镇", period="2011"))
    for line in ("party", "affairs", "finance"):
        cell = ui.heatmap_cell(page, "新尚村社区", "2011Q1", line)
        expect(cell).to_have_attribute("data-status", "on_time")
        expect(cell).to_have_attribute("title", "新尚村社区 · " + {"party": "党务", "affairs": "村务/居务", "finance": "财务"}[line]
                                       + " · 2011年第1季度：按时（截止 2011-04-20，公开 2011-04-10）")


def test_invalid_values_show_their_chinese_error_and_nothing_is_saved(app_page, served, ui):
    page = app_page
    ledger_before = len(served.sdk.frame("finance_ledger_entry", region="新尚村社区"))
    page.goto(served.url("entry", village="新尚村社区", quarter="2010Q4"))
    open_records(page, "民主管理监督理财协会 · 村级财务收支账目")
    form = ".shequ-input-finance_ledger_entry"
    page.locator(f"{form}-entry_date input").fill("2010-11-02")
    page.locator(f"{form}-direction select").select_option(label="支出")
    page.locator(f"{form}-account_code select").select_option(label="管理费用")
    page.locator(f"{form}-amount_fen input").fill("-5")  # a negative amount, and the voucher number left empty
    page.locator(".shequ-save-finance_ledger_entry button").click()
    expect(page.locator(".shequ-field-error[data-field='amount_fen']")).to_have_text("不能小于 0")
    expect(page.locator(".shequ-field-error[data-field='voucher_no']")).to_have_text("必填字段不能为空")
    expect(page.locator(".shequ-save-error")).to_contain_text("未保存任何数据")
    ui.save_screenshot(page, "entry-invalid.png")
    assert len(served.sdk.frame("finance_ledger_entry", region="新尚村社区")) == ledger_before

    # an amount that is not money is refused by the form itself, in Chinese
    page.locator(f"{form}-amount_fen input").fill("12.345")
    page.locator(f"{form}-voucher_no input").fill("记-2010-1102")
    page.locator(".shequ-save-finance_ledger_entry button").click()
    expect(page.locator(".shequ-field-error[data-field='amount_fen']")).to_contain_text("「12.345」无法识别：金额最多精确到分（两位小数）")
    expect(page.locator(f"{form}-amount_fen input")).to_have_value("12.345")  # shown back as typed
    expect(page.locator(".shequ-field-error[data-field='voucher_no']")).to_have_count(0)
    assert len(served.sdk.frame("finance_ledger_entry", region="新尚村社区")) == ledger_before

    # three boards saved together: one wrong board keeps the other two out of the database
    page.goto(served.url("entry", village="新尚村社区", quarter="2011Q2"))
    name = reviewer(served)
    for board in BOARDS:
        css = f".shequ-input-board-{board}-2011Q2"
        page.locator(f"{css}-posted_on input").fill("2011-07-10")
        page.locator(f"{css}-review_date input").fill("2011-07-12" if board == "finance" else "2011.7.8")  # reviewed after posting
        page.locator(f"{css}-reviewer_name input").fill(name)
    page.locator(".shequ-save-finance-boards button").click()
    error = page.locator(".shequ-field-error[data-form='board-finance-2011Q2'][data-field='review_date']")
    expect(error).to_contain_text("应先审核后公开")
    expect(page.locator(".shequ-save-error")).to_contain_text("未保存任何数据")
    assert served.sdk.frame("finance_posting", region="新尚村社区", period="2011Q2").empty


def cell_bomb() -> bytes:
    """A ~0.2 MB .xlsx whose sheet unpacks to 60 MB of cells (issue 12, finding 9)."""
    import io
    import zipfile

    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["村/社区", "户号"])
    buf, out = io.BytesIO(), io.BytesIO()
    wb.save(buf)
    row = b"<row>" + b"<c><v>1</v></c>" * 100 + b"</row>"
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(item, src.read(item.filename))
                continue
            info = zipfile.ZipInfo(item.filename)
            info.compress_type = zipfile.ZIP_DEFLATED
            with dst.open(info, "w", force_zip64=True) as fh:
                fh.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
                for _ in range(40):  # 40 × 1.5 MB
                    fh.write(row * 1000)
                fh.write(b"</sheetData></worksheet>")
    return out.getvalue()


def test_a_bomb_uploaded_in_the_browser_is_refused_while_the_server_stays_responsive(app_page, served, monkeypatch, ui):
    """The check runs off the event loop: while it works (here made to hold the CPU for 4 s in
    pure Python first, as a large file would) the server answers another request at once."""
    import threading
    import time
    import urllib.request

    from shequ_sdk.excel import importer

    started, finished = threading.Event(), threading.Event()
    real_read = importer.read_book

    def slow_read(*args, **kwargs):
        started.set()
        end = time.monotonic() + 4
        while time.monotonic() < end:  # CPU-bound Python, holding the GIL in turns like a parser
            sum(range(1000))
        try:
            return real_read(*args, **kwargs)
        finally:
            finished.set()

    monkeypatch.setattr(importer, "read_book", slow_read)
    page = app_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(served.url("entry", village="新尚村社区", quarter="2010Q4"))
    page.locator(".shequ-entry-tabs .bk-tab", has_text="表格导入").click()
    page.locator(".shequ-import-file input[type=file]").set_input_files(
        files=[{"name": "炸弹.xlsx", "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "buffer": cell_bomb()}])
    page.wait_for_timeout(500)  # the file's bytes reach the server
    page.locator(".shequ-import-check button").click()
    assert started.wait(30), "the check never started"
    t0 = time.perf_counter()
    with urllib.request.urlopen(f"{served.base}/liveness", timeout=30) as r:
        assert r.status == 200
    answered = time.perf_counter() - t0
    assert not finished.is_set(), "the check ended before the other request was answered: nothing was shown"
    assert answered < 2, f"the server took {answered:.1f} s to answer while the check ran"
    expect(page.locator(".shequ-import-busy")).to_contain_text("正在检查")
    report = page.locator(".shequ-import-report")
    expect(report).to_contain_text("解压后过大，已拒绝", timeout=60_000)
    expect(report).to_contain_text("未写入任何数据")
    expect(page.locator(".shequ-import-confirm button")).to_be_disabled()
    expect(report).to_contain_text("超过 2,000,000 个单元格")
    text = report.inner_text()
    assert "Traceback" not in text and "--" not in text and "SHEQU_" not in text  # no command or setting on a page
    ui.save_screenshot(page, "import-bomb-390.png")
    page.set_viewport_size({"width": 1366, "height": 768})
    expect(report).to_contain_text("解压后过大，已拒绝")
    expect(page.locator(".shequ-import-hidden-rows select")).to_be_visible()
    ui.save_screenshot(page, "import-bomb-1366.png")
