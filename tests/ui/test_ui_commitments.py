"""The commitments plugin in Chromium: a village page shows one card per member (masked
names, commitments, 三评 grades), the township page draws the plugin's charts, and the entry app
saves a commitment and its feedback."""

from __future__ import annotations

from playwright.sync_api import TimeoutError as PlaywrightTimeout, expect


def test_village_page_shows_the_members_commitment_cards(app_page, served, ui):
    page = app_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(served.url("township", region="南县", period="2010", village="南洲村"))
    expect(page.locator(".shequ-village-name")).to_have_text("南洲村")
    cards = page.locator(".shequ-member-card")
    members = served.sdk.frame("commitments_member", region="南洲村")  # masked, as the page shows them
    expect(cards).to_have_count(len(members))
    texts = cards.all_inner_texts()
    assert {t.split()[0] for t in texts} == set(members["name"]) and all("*" in t.split()[0] for t in texts)
    party = int(members["is_party_member"].sum())
    assert sum("三评 上半年" in t and "三评 下半年" in t for t in texts) == party  # every Party member, both halves of 2010
    assert any("未兑现" in t or "部分兑现" in t for t in texts) and not any("commitment" in t for t in texts)
    cards.first.scroll_into_view_if_needed()
    ui.save_screenshot(page, "commitments-village-390.png")


def test_a_commitment_and_its_feedback_entered_in_the_entry_app(app_page, served, ui):
    """As the local single user: choose 新尚村社区 in /entry, save a commitment (承诺事项) through
    its generated form, then a progress feedback on it; both rows are in the database."""
    page = app_page
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(served.url("entry", quarter="2011Q1"))
    page.locator(".shequ-village select").select_option(label="茅草街镇 · 新尚村社区")
    expect(page.locator(".shequ-title")).to_contain_text("新尚村社区 · 2011年第1季度")
    content = "为辖区 5 户留守老人代办医保缴费"
    before = len(served.sdk.frame("commitments_pledge", region="新尚村社区"))

    # the village switch redraws the tabs on the server: click the records tab once the new tabs are in
    tables = page.locator(".shequ-entry-table select")
    for _ in range(10):
        page.locator(".shequ-entry-tabs .bk-tab", has_text="录入记录").click()
        try:
            tables.wait_for(state="visible", timeout=3_000)
            break
        except PlaywrightTimeout:
            continue
    tables.select_option(label="基础信息 · 党员承诺事项")
    form = ".shequ-input-commitments_pledge"
    member = page.locator(f"{form}-member_id select")
    expect(member.locator("option").nth(1)).to_be_attached()
    member_label = member.locator("option").nth(1).inner_text()
    assert "*" in member_label  # the roster's names are masked in the picker
    member.select_option(label=member_label)
    expect(page.locator(f"{form}-year input")).to_have_value("2011")  # the chosen quarter's year
    page.locator(f"{form}-content input").fill(content)
    page.locator(f"{form}-concern input").fill("留守老人办事难")
    page.locator(f"{form}-target_number input").fill("5")
    page.locator(f"{form}-target_unit input").fill("户")
    ui.set_date(page, f"{form}-due_date", "2011-12-31")
    page.locator(f"{form}-posted_at input").fill("党员承诺公开栏")
    ui.set_date(page, f"{form}-posted_on", "2011-02-15")
    page.locator(".shequ-save-commitments_pledge button").click()
    expect(page.locator(".shequ-save-ok")).to_contain_text("已保存 1 条记录")

    pledges = served.sdk.frame("commitments_pledge", region="新尚村社区", codes=True)
    assert len(pledges) == before + 1
    mine = pledges[pledges["content"] == content]
    assert len(mine) == 1
    row = mine.iloc[0]
    assert (row["year"], row["target_number"], row["target_unit"], row["status"]) == (2011, 5, "户", "ongoing")
    pledge_id = int(row["id"])

    tables.select_option(label="基础信息 · 承诺跟踪反馈")
    form = ".shequ-input-commitments_feedback"
    pick = page.locator(f"{form}-commitment_id select")
    option = pick.locator("option", has_text=content)
    expect(option).to_have_count(1)  # the new commitment is offered (the picker is built when the form opens), by name
    label = option.inner_text()
    assert f"#{pledge_id}" not in label  # not by its internal id
    pick.select_option(label=label)
    ui.set_date(page, f"{form}-feedback_date", "2011-03-20")
    page.locator(f"{form}-done input").fill("已为 3 户代办医保缴费")
    page.locator(f"{form}-progress_number input").fill("3")
    page.locator(".shequ-save-commitments_feedback button").click()
    expect(page.locator(".shequ-save-ok")).to_contain_text("已保存 1 条记录")
    expect(page.locator(".shequ-existing")).to_contain_text("已为 3 户代办医保缴费")  # listed under the form
    ui.save_screenshot(page, "entry-commitment-feedback.png")

    feedback = served.sdk.frame("commitments_feedback", region="新尚村社区", codes=True)
    mine = feedback[feedback["commitment_id"] == pledge_id]
    assert len(mine) == 1
    assert (str(mine.iloc[0]["feedback_date"].date()), mine.iloc[0]["done"], mine.iloc[0]["progress_number"]) == \
        ("2011-03-20", "已为 3 户代办医保缴费", 3)
