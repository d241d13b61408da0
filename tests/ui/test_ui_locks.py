"""Period locks in Chromium: a village committee member opening a locked quarter in the entry
app reads why above the forms (lock date, rule, who grants an exception); the forms still show,
and saving is refused with the same reason, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def village_served(served, serving):
    """The entry app of the demo database, served to the committee of 新尚村社区 (role village)."""
    from shequ_sdk.auth import Actor
    from shequ_sdk.ui.serving import load_dashboards

    village = served.sdk.region("新尚村社区")
    sdk = served.sdk.as_user(Actor("cunwei", "village", village.id))
    entry = [d for d in load_dashboards(ROOT / "dashboards") if d.name == "entry"]
    with serving(sdk, dashboards=entry) as base:
        yield base


def test_a_locked_quarter_says_why_and_refuses_the_save(app_page, village_served, served, ui):
    page = app_page
    ledger_before = len(served.sdk.frame("finance_ledger_entry", region="新尚村社区"))
    page.goto(f"{village_served}/entry?village=新尚村社区&quarter=2010Q4")
    notice = page.locator(".shequ-lock-notice")
    expect(notice).to_contain_text("2010年第4季度已于 2011-02-14 锁定（规则：截止日 2011-01-15 后 30 天锁定，设置 lock.days_after_deadline")
    expect(notice).to_contain_text("需由茅草街镇的乡镇工作人员或管理员授予例外：shequ lock grant --region 新尚村社区 --period 2010Q4")

    page.locator(".shequ-entry-tabs .bk-tab", has_text="录入记录").click()
    page.locator(".shequ-entry-table select").select_option(label="民主管理监督理财协会 · 村级财务收支账目")
    form = ".shequ-input-finance_ledger_entry"
    ui.set_date(page, f"{form}-entry_date", "2010-12-20")
    page.locator(f"{form}-voucher_no input").fill("记-2010-1220")
    page.locator(f"{form}-direction select").select_option(label="收入")
    page.locator(f"{form}-account_code select").select_option(label="补助收入")
    page.locator(f"{form}-amount_fen input").fill("12500")
    page.locator(".shequ-save-finance_ledger_entry button").click()
    expect(page.locator(".shequ-form-error")).to_contain_text("2010年第4季度已于 2011-02-14 锁定")
    expect(page.locator(".shequ-save-error")).to_contain_text("未保存任何数据")
    ui.save_screenshot(page, "entry-locked-quarter.png")
    assert len(served.sdk.frame("finance_ledger_entry", region="新尚村社区")) == ledger_before
