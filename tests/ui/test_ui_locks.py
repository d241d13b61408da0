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


def test_a_locked_quarter_says_why_and_its_forms_are_read_only(app_page, village_served, served, ui):
    page = app_page
    ledger_before = len(served.sdk.frame("finance_ledger_entry", region="新尚村社区"))
    page.goto(f"{village_served}/entry?village=新尚村社区&quarter=2010Q4")
    notice = page.locator(".shequ-lock-notice")
    expect(notice).to_contain_text("2010年第4季度已于 2011-02-14 锁定（规则：截止日 2011-01-15 后 30 天锁定")
    expect(notice).to_contain_text("需由茅草街镇的乡镇工作人员或管理员授予例外后才能保存")
    expect(notice).to_contain_text("本季度的表单只读")
    text = notice.inner_text()
    assert "shequ" not in text and "lock." not in text  # what to do on the web: no command, no setting name

    page.locator(".shequ-entry-tabs .bk-tab", has_text="录入记录").click()
    page.locator(".shequ-entry-table select").select_option(label="民主管理监督理财协会 · 村级财务收支账目")
    form = ".shequ-input-finance_ledger_entry"
    expect(page.locator(f"{form}-voucher_no input")).to_be_disabled()
    expect(page.locator(".shequ-save-finance_ledger_entry button")).to_be_disabled()
    expect(page.locator(".shequ-readonly")).to_contain_text("本季度的表单只读")
    page.locator(".shequ-existing .tabulator-row").first.click()  # a stored record, opened to look at, stays read-only
    expect(page.locator(".shequ-form-mode")).to_contain_text("正在修改：")
    assert "#" not in page.locator(".shequ-form-mode").inner_text()  # the record by its date and voucher, not an internal id
    expect(page.locator(f"{form}-summary input")).to_be_disabled()
    ui.save_screenshot(page, "entry-locked-quarter.png")
    assert len(served.sdk.frame("finance_ledger_entry", region="新尚村社区")) == ledger_before


def test_the_entry_app_opens_on_the_newest_quarter_the_user_may_save(app_page, village_served):
    page = app_page
    page.goto(f"{village_served}/entry?village=新尚村社区")
    expect(page.locator(".shequ-entry-tabs")).to_be_visible()
    expect(page.locator(".shequ-lock-notice")).to_have_count(0)
    chosen = page.locator(".shequ-quarter select").evaluate("el => el.selectedIndex")
    assert chosen == 0  # the newest quarter offered, open for saving
