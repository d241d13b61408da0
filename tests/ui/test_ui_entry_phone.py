"""The entry app as a village clerk uses it: on a phone (390×844, mobile emulation) and on a
township laptop (1366×768). No horizontal page scroll; what was typed into a number field is
saved exactly or shown back with a Chinese message and nothing saved; one save names every
problem at once, with a count equal to the messages shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]
RUNS = "环卫协会 · 清运记录"
LEDGER = "民主管理监督理财协会 · 村级财务收支账目"


@pytest.fixture(params=["phone", "laptop"])
def device_page(request, browser, served, ui):
    """A page of a fresh context at the device's size; console errors and requests leaving
    127.0.0.1 fail the test."""
    with ui.watched_page(browser, served, **(ui.PHONE if request.param == "phone" else ui.LAPTOP)) as page:
        page.device = request.param
        yield page


def no_horizontal_scroll(page) -> None:
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"the page scrolls sideways: {width} px wide in a {inner} px window"


def open_records(page, served, label: str, quarter: str = "2010Q4") -> None:
    page.goto(served.url("entry", village="新尚村社区", quarter=quarter))
    page.locator(".shequ-entry-tabs .bk-tab", has_text="录入记录").click()
    page.locator(".shequ-entry-table select").select_option(label=label)


def runs(served):
    return served.sdk.frame("sanitation_collection_run", region="新尚村社区", codes=True)


def test_the_entry_app_fits_the_screen_and_saves_what_was_typed_exactly(device_page, served, ui):
    page = device_page
    page.goto(served.url("entry", village="新尚村社区", quarter="2010Q4"))
    expect(page.locator(".shequ-title")).to_contain_text("新尚村社区 · 2010年第4季度")
    assert page.evaluate("document.querySelector('meta[name=viewport]').content") == "width=device-width, initial-scale=1"
    # the village and quarter pickers are at the top, reachable without scrolling, finger-sized
    for css in (".shequ-village select", ".shequ-quarter select"):
        box = page.locator(css).bounding_box()
        assert box["y"] + box["height"] <= 844 / 2 and box["height"] >= 40, (css, box)
    expect(page.locator(".shequ-input-board-party-2010Q4-title input")).to_be_visible()
    no_horizontal_scroll(page)
    for css in (".shequ-input-board-party-2010Q4-title input", ".shequ-save-finance-boards button", ".shequ-entry-tabs .bk-tab"):
        assert page.locator(css).first.bounding_box()["height"] >= 40, css  # finger-sized
    if page.device == "phone":
        # one column of fields: every input of a board starts at the same x
        xs = page.locator(".shequ-batch-finance-boards .shequ-input input").evaluate_all(
            "els => els.filter(e => e.offsetParent !== null).map(e => Math.round(e.getBoundingClientRect().x))")
        assert len(set(xs)) == 1, xs
        ui.save_screenshot(page, "entry-phone-boards.png")

    open_records(page, served, RUNS)
    no_horizontal_scroll(page)
    form = ".shequ-input-sanitation_collection_run"
    vehicle = f"湘F-{page.device}"
    before = len(runs(served))

    def fill_run(day: str, kg: str) -> None:
        page.locator(f"{form}-run_date input").fill(day)
        page.locator(f"{form}-vehicle input").fill(vehicle)
        page.locator(f"{form}-households_served input").fill("30")
        page.locator(f"{form}-amount_kg input").fill(kg)

    # garbage is shown back as typed, with a Chinese message naming it; nothing is saved
    fill_run("2010年11月3日", "三百")
    page.locator(".shequ-save-sanitation_collection_run button").click()
    error = page.locator(".shequ-field-error[data-field='amount_kg']")
    expect(error).to_contain_text("「三百」无法识别：应为整数")
    expect(page.locator(f"{form}-amount_kg input")).to_have_value("三百")
    # a fraction in a whole-kilogram field is refused, not rounded
    page.locator(f"{form}-amount_kg input").fill("12.5kg")
    page.locator(f"{form}-amount_kg input").press("Enter")
    expect(error).to_contain_text("「12.5kg」无法识别：应为整数，不能有小数")
    expect(page.locator(f"{form}-amount_kg input")).to_have_value("12.5kg")
    assert len(runs(served)) == before

    # full-width digits and a number with the field's own unit are saved exactly; Enter saves
    for day, iso, typed, kg in (("2010.11.4", "2010-11-04", "１２３", 123), ("2010/11/5", "2010-11-05", "120公斤", 120),
                                ("20101106", "2010-11-06", "1,250kg", 1250)):
        fill_run(day, typed)
        page.locator(f"{form}-amount_kg input").press("Enter")
        expect(page.locator(".shequ-save-ok")).to_contain_text("已保存 1 条记录")
        expect(page.locator(f"{form}-vehicle input")).to_have_value("")  # a fresh form for the next run
        saved = runs(served)
        mine = saved[(saved["vehicle"] == vehicle) & (saved["run_date"].astype(str).str[:10] == iso)]
        assert mine["amount_kg"].tolist() == [kg], (typed, mine)
    assert len(runs(served)) == before + 3

    # money typed with separators and 元 is saved exactly, in fen
    open_records(page, served, LEDGER)
    form = ".shequ-input-finance_ledger_entry"
    voucher = f"记-2010-11-{page.device}"
    page.locator(f"{form}-entry_date input").fill("2010.11.2")
    page.locator(f"{form}-voucher_no input").fill(voucher)
    page.locator(f"{form}-direction select").select_option(label="支出")
    page.locator(f"{form}-account_code select").select_option(label="管理费用")
    page.locator(f"{form}-amount_fen input").fill("1,234.50元")
    page.locator(f"{form}-summary input").fill("办公用品")
    page.locator(".shequ-save-finance_ledger_entry button").click()
    expect(page.locator(".shequ-save-ok")).to_contain_text("已保存 1 条记录")
    ledger = served.sdk.frame("finance_ledger_entry", region="新尚村社区", codes=True)
    assert ledger.loc[ledger["voucher_no"] == voucher, "amount_fen"].tolist() == [123450]
    no_horizontal_scroll(page)


def test_one_save_with_five_mistakes_shows_five_messages_and_the_count_says_five(device_page, served, ui):
    page = device_page
    ledger_before = len(served.sdk.frame("finance_ledger_entry", region="新尚村社区"))
    open_records(page, served, LEDGER)
    form = ".shequ-input-finance_ledger_entry"
    page.locator(f"{form}-entry_date input").fill("2010年11月2日")
    page.locator(f"{form}-direction select").select_option(label="支出")
    # 1 凭证号 left empty, 2 会计科目 not chosen, 3 an amount that is no number,
    # 4 reviewed before the entry was made and 5 a review date without a reviewer (rules across fields)
    page.locator(f"{form}-amount_fen input").fill("三百元")
    page.locator(f"{form}-review_date input").fill("2010-10-01")
    page.locator(".shequ-save-finance_ledger_entry button").click()
    summary = page.locator(".shequ-problem-summary")
    expect(summary).to_have_attribute("data-count", "5")
    expect(summary.locator(".shequ-problem-count")).to_contain_text("有 5 处需要修改")
    messages = page.locator(".shequ-field-error, .shequ-form-error")
    expect(messages).to_have_count(5)
    expect(summary.locator("li")).to_have_count(5)
    field = lambda name: page.locator(f".shequ-field-error[data-field='{name}']")  # noqa: E731
    expect(field("voucher_no")).to_have_text("必填字段不能为空")
    expect(field("account_code")).to_have_text("必填字段不能为空")
    expect(field("amount_fen")).to_contain_text("「三百元」无法识别")
    expect(field("review_date")).to_contain_text("审核日期早于记账日期")
    expect(field("reviewer_name")).to_contain_text("缺少审核人")
    expect(page.locator(f"{form}-amount_fen input")).to_have_value("三百元")
    assert len(served.sdk.frame("finance_ledger_entry", region="新尚村社区")) == ledger_before
    if page.device == "phone":
        summary.scroll_into_view_if_needed()
        ui.save_screenshot(page, "entry-phone.png")
        ui.copy_to_docs(ui.save_screenshot(page, "entry-phone-screen.png", full_page=False), "entry-phone.png")  # the README's: the screen
    # each line of the list jumps to its field
    summary.locator(".shequ-jump[data-field='reviewer_name']").click()
    expect(page.locator(f"{form}-reviewer_name input")).to_be_focused()
    no_horizontal_scroll(page)

    # a switch of quarter with unsaved input asks first; staying keeps what was typed
    page.locator(".shequ-quarter select").select_option(label="2010年第3季度")
    prompt = page.locator(".shequ-leave-prompt")
    expect(prompt).to_contain_text("有未保存的输入")
    page.wait_for_function("""() => { const f = r => { for (const n of r.querySelectorAll('*')) { if (n.classList && n.classList.contains('shequ-quarter')) return n;
        if (n.shadowRoot) { const x = f(n.shadowRoot); if (x) return x; } } return null; };
        const q = f(document); const sel = q && (q.shadowRoot || q).querySelector('select');
        return sel && sel.options[sel.selectedIndex].text === '2010年第4季度'; }""", timeout=10_000)  # the picker shows where the page still is
    page.locator(".shequ-leave-cancel button").click()
    expect(prompt).to_be_hidden()
    expect(page.locator(f"{form}-amount_fen input")).to_have_value("三百元")
    expect(page.locator(".shequ-title")).to_contain_text("2010年第4季度")
    page.locator(".shequ-quarter select").select_option(label="2010年第3季度")
    page.locator(".shequ-leave-confirm button").click()
    expect(page.locator(".shequ-title")).to_contain_text("2010年第3季度")


def test_a_drafted_form_survives_a_reload(browser, served, ui):
    """What a clerk typed and did not save comes back after a reload, said so, and can be discarded."""
    with ui.watched_page(browser, served, **ui.PHONE) as page:
        open_records(page, served, RUNS, quarter="2010Q3")
        form = ".shequ-input-sanitation_collection_run"
        page.locator(f"{form}-vehicle input").fill("湘F-草稿")
        page.locator(f"{form}-amount_kg input").fill("12三")  # a mistake is kept as typed, to correct later
        page.locator(f"{form}-amount_kg input").press("Tab")  # leaving the box sends it, as on a phone keyboard
        expect(page.locator(f"{form}-amount_kg input")).to_have_value("12三")
        kept_draft(served)  # the server keeps the draft as the value arrives

        page.reload()
        open_records(page, served, RUNS, quarter="2010Q3")
        note = page.locator(".shequ-draft-note")
        expect(note).to_contain_text("已恢复")
        expect(page.locator(f"{form}-vehicle input")).to_have_value("湘F-草稿")
        expect(page.locator(f"{form}-amount_kg input")).to_have_value("12三")
        ui.save_screenshot(page, "entry-draft-restored.png")
        page.locator(".shequ-draft-discard button").click()
        expect(page.locator(f"{form}-vehicle input")).to_have_value("")
        expect(note).to_be_hidden()


def kept_draft(served, timeout: float = 15) -> None:
    """Wait until the server holds a draft (it is written as each value reaches it)."""
    import time

    from sqlalchemy import func, select

    from shequ_sdk.models import FormDraft

    end = time.monotonic() + timeout
    while True:
        with served.sdk.transaction() as s:
            held = select(func.count()).select_from(FormDraft).where(FormDraft.form_key.like("sanitation_collection_run|2010Q3|%"),
                                                                      FormDraft.values_json.like("%12三%"))
            if s.execute(held).scalar():
                return
        assert time.monotonic() < end, "no draft was kept"
        time.sleep(0.1)
