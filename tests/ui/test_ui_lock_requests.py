"""A period-lock exception asked for and granted entirely in the browser: the village committee
on a phone asks under a locked quarter's notice, the township grants it on its dashboard on a
laptop, and after a reload the village's forms of that quarter are editable."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]
QUARTER = "2010Q2"  # locked in the demo, and no other browser test touches it


def test_a_village_asks_on_a_phone_and_the_township_grants_on_a_laptop(browser, served, serving, ui):
    from types import SimpleNamespace

    from shequ_sdk.auth import Actor
    from shequ_sdk.ui.serving import load_dashboards

    village = served.sdk.region("新尚村社区")
    boards = {d.name: d for d in load_dashboards(ROOT / "dashboards")}
    village_sdk = served.sdk.as_user(Actor("cunwei", "village", village.id))
    township_sdk = served.sdk.as_user(Actor("zhenli", "township", village.township_id))
    local = SimpleNamespace(base="http://127.0.0.1:")  # both servers of this test stay on this machine
    with serving(village_sdk, dashboards=[boards["entry"]]) as entry_base, \
            serving(township_sdk, dashboards=[boards["township"]]) as township_base, \
            ui.watched_page(browser, local, **ui.PHONE) as phone, \
            ui.watched_page(browser, local, **ui.LAPTOP) as laptop:
        phone.goto(f"{entry_base}/entry?village=新尚村社区&quarter={QUARTER}")
        expect(phone.locator(".shequ-lock-notice")).to_contain_text("本季度的表单只读")
        phone.locator(".shequ-exception-reason textarea").fill("6月的凭证漏录，需要补录")
        phone.locator(".shequ-exception-submit button").click()
        expect(phone.locator(".shequ-exception-state")).to_contain_text("已申请，等待乡镇审批")
        expect(phone.locator(".shequ-exception-reason")).to_be_hidden()

        laptop.goto(f"{township_base}/township?region=茅草街镇&period=2010")
        requests = laptop.locator(".shequ-exception-requests")
        expect(requests).to_contain_text("6月的凭证漏录，需要补录")
        expect(requests).to_contain_text("新尚村社区")
        expect(requests).to_contain_text("cunwei 于")  # who asked, by name
        expect(requests).not_to_contain_text("#")  # no internal id
        laptop.locator(".shequ-exception-grant button").click()
        expect(requests).to_contain_text("已批准新尚村社区2010年第2季度的例外")

        phone.reload()
        expect(phone.locator(".shequ-entry-tabs")).to_be_visible()
        expect(phone.locator(".shequ-lock-notice")).to_have_count(0)
        expect(phone.locator(".shequ-exception-request")).to_have_count(0)
        phone.locator(".shequ-entry-tabs .bk-tab", has_text="录入记录").click()
        phone.locator(".shequ-entry-table select").select_option(label="民主管理监督理财协会 · 村级财务收支账目")
        expect(phone.locator(".shequ-input-finance_ledger_entry-voucher_no input")).to_be_enabled()
        expect(phone.locator(".shequ-save-finance_ledger_entry button")).to_be_enabled()
