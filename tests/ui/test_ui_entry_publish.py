"""Publishing from the entry app on a phone (390×844, mobile emulation): 公开 first shows what
would go up — board, quarter, number of items, who approves and who publishes, by name — and that
it cannot be undone; 确认公开 publishes; the page never shows an internal id, an amount in fen or
the audit log's name for the local user; 打印公开栏 downloads the printed board (a PDF)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]
VILLAGE, QUARTER = "新尚村社区", "2011Q3"


def reviewed_board(served) -> tuple[int, list[int]]:
    """A reviewed 居务 board of the quarter with three items; returns its id and the items' ids."""
    from sqlalchemy import select

    from shequ_plugin_finance import workflow
    from shequ_plugin_finance.models import Posting, PostingItem
    from shequ_sdk.regions import find_region

    with served.sdk.transaction() as s:
        rid = find_region(s, VILLAGE).id
    served.sdk.write(Posting, [{"region_id": rid, "board": "residents", "period": QUARTER, "title": "2011年第3季度居务公开",
                                "posted_on": dt.date(2011, 10, 12), "reviewer_name": "李监督", "review_date": dt.date(2011, 10, 10)}],
                     today=dt.date(2011, 10, 12))
    with served.sdk.transaction() as s:
        pid = s.execute(select(Posting.id).where(Posting.region_id == rid, Posting.period == QUARTER)).scalar_one()
    served.sdk.write(PostingItem, [{"region_id": rid, "posting_id": pid, "line_no": n, "title": t, "content": c}
                                   for n, (t, c) in enumerate((("居民议事会", "召开 2 次"), ("低保评议", "新增 1 户"),
                                                               ("环境整治", "清理楼道 12 处")), 1)], today=dt.date(2011, 10, 12))
    with served.sdk.transaction() as s:
        workflow.review(s, pid, None)
        items = s.execute(select(PostingItem.id).where(PostingItem.posting_id == pid)).scalars().all()
    return pid, items


def test_publishing_on_a_phone_asks_first_then_publishes_and_prints(browser, served, ui):
    pid, item_ids = reviewed_board(served)
    with ui.watched_page(browser, served, accept_downloads=True, **ui.PHONE) as page:
        page.goto(served.url("entry", village=VILLAGE, quarter=QUARTER))
        expect(page.locator(".shequ-posting-state[data-status='reviewed']")).to_have_count(1)
        page.locator(".shequ-step-publish button").click()
        confirm = page.locator(".shequ-publish-confirm")
        expect(confirm).to_be_visible()
        for text in ("将公开以下 1 个公开栏", "居务公开栏 · 2011年第3季度", "3 项公开事项", "审批人 本机用户", "公开人 本机用户",
                     "公开日期 2011-10-12", "公开后不能撤销"):
            expect(confirm).to_contain_text(text)
        expect(page.locator(".shequ-publish-confirm-ok button")).to_have_text("确认公开")
        expect(page.locator(".shequ-publish-cancel button")).to_have_text("取消")
        assert served.sdk.frame("finance_posting", region=VILLAGE, period=QUARTER, codes=True)["status"].tolist() == ["reviewed"]
        width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width <= inner, f"the page scrolls sideways: {width} px in {inner} px"
        confirm.scroll_into_view_if_needed()
        shot = ROOT / "test-artifacts" / "entry-publish-confirm.png"  # docs/img's copy: SHEQU_UPDATE_SCREENSHOTS=1
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot))
        ui.copy_to_docs(shot, "entry-publish-confirm.png")
        check_no_internals(ui, page, pid, item_ids)
        # 草稿样张: the board as it will be printed, watermarked, before anything is published
        with page.expect_download(timeout=90_000) as proof:
            page.locator(".shequ-proof-residents button").click()
        assert Path(proof.value.path()).read_bytes().startswith(b"%PDF")
        assert proof.value.suggested_filename.endswith("居务公开栏_草稿样张.pdf")

        page.locator(".shequ-publish-confirm-ok button").click()
        expect(page.locator(".shequ-step-ok")).to_contain_text("已公开 1 条记录")
        expect(page.locator(".shequ-posting-state[data-status='published']")).to_have_count(1)
        expect(page.locator(".shequ-posting-state")).to_contain_text("公开 本机用户")
        expect(confirm).to_be_hidden()
        rows = served.sdk.frame("finance_posting", region=VILLAGE, period=QUARTER, codes=True)
        assert rows["status"].tolist() == ["published"] and rows["fingerprint"].notna().all()
        check_no_internals(ui, page, pid, item_ids)

        # 打印公开栏: the same PDF as `shequ board`
        button = page.locator(".shequ-print-residents button")
        expect(button).to_contain_text("打印居务公开栏")
        with page.expect_download(timeout=90_000) as download:
            button.click()
        pdf = Path(download.value.path()).read_bytes()
        assert pdf.startswith(b"%PDF") and download.value.suggested_filename.endswith("居务公开栏.pdf")
        ui.save_screenshot(page, "entry-publish-done.png")


def check_no_internals(ui, page, pid: int, item_ids: list[int]) -> None:
    text = ui.page_text(page)
    assert "local" not in text.lower().replace("locale", "")
    assert "fen" not in text.lower() and "分）" not in text
    assert f"#{pid}" not in text and "编号" not in text
    assert "shequ " not in text  # no command is suggested on the web
