"""The decisions plugin in Chromium: a village page of /township shows each matter as a timeline
of its six steps (a late disclosure highlighted), and the entry app saves a matter and then a
meeting step of it through the generated forms."""

from __future__ import annotations

from playwright.sync_api import TimeoutError as PlaywrightTimeout, expect


def test_village_page_shows_the_matters_as_timelines(app_page, served, ui):
    page = app_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(served.url("township", region="南县", period="2010", village="新尚村社区"))
    expect(page.locator(".shequ-village-name")).to_have_text("新尚村社区")
    home = page.locator(".shequ-matter", has_text="建设社区五保之家")
    expect(home).to_have_count(1)
    steps = home.locator("li.step")
    expect(steps).to_have_count(6)
    assert [s.split()[0] for s in steps.all_inner_texts()] == ["村党组织提议", "村“两委”会议商议", "党员大会审议", "村民代表会议或村民会议决议",
                                                               "决议公开", "实施结果公开"]
    assert home.locator("li.step.done").count() == 6 and "248,000.00 元" in home.inner_text()
    assert "2010-01-25" in steps.nth(3).inner_text() and "T00" not in home.inner_text()
    assert "应到 45，实到 38" in steps.nth(3).inner_text() and "赞成 36" in steps.nth(3).inner_text()
    home.scroll_into_view_if_needed()
    ui.save_screenshot(page, "decisions-timeline-390.png")

    # 明口村 disclosed a 2009 resolution after the 7-day deadline: that step is highlighted in red
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(served.url("township", region="南县", period="2009", village="明口村"))
    expect(page.locator(".shequ-village-name")).to_have_text("明口村")
    late = page.locator(".shequ-matter li.step.late")
    expect(late).to_have_count(1)
    assert "逾期" in late.inner_text() and "应于" in late.inner_text()
    assert late.locator(".state").evaluate("e => getComputedStyle(e).color") == "rgb(198, 40, 40)"
    late.scroll_into_view_if_needed()
    ui.save_screenshot(page, "decisions-timeline-late-1366.png")


def test_a_matter_and_its_meeting_step_entered_in_the_entry_app(app_page, served, ui):
    """As the local single user: in /entry choose 南洲村, save a matter (村级重大事项), then its first
    meeting record (村党组织提议, attendance) through the generated forms; both rows are stored."""
    page = app_page
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(served.url("entry", quarter="2011Q1"))
    page.locator(".shequ-village select").select_option(label="南洲镇 · 南洲村")
    expect(page.locator(".shequ-title")).to_contain_text("南洲村 · 2011年第1季度")
    title = "修建村级文化活动中心"
    tables = page.locator(".shequ-entry-table select")
    for _ in range(10):
        page.locator(".shequ-entry-tabs .bk-tab", has_text="录入记录").click()
        try:
            tables.wait_for(state="visible", timeout=3_000)
            break
        except PlaywrightTimeout:
            continue
    tables.select_option(label="基础信息 · 村级重大事项")
    form = ".shequ-input-decisions_matter"
    page.locator(f"{form}-title input").fill(title)
    page.locator(f"{form}-category select").select_option(label="公益事业建设")
    page.locator(f"{form}-proposer input").fill("村党支部")
    ui.set_date(page, f"{form}-proposed_on", "2011-02-10")
    page.locator(".shequ-save-decisions_matter button").click()
    expect(page.locator(".shequ-save-ok")).to_contain_text("已保存 1 条记录")
    matters = served.sdk.frame("decisions_matter", region="南洲村", codes=True)
    mine = matters[matters["title"] == title]
    assert len(mine) == 1
    matter_id = int(mine.iloc[0]["id"])

    tables.select_option(label="基础信息 · 四议两公开步骤")
    form = ".shequ-input-decisions_step"
    pick = page.locator(f"{form}-matter_id select")
    option = pick.locator("option", has_text=title)  # the picker names the matter, never its internal id
    expect(option).to_have_count(1)
    assert f"#{matter_id}" not in option.inner_text()
    pick.select_option(label=option.inner_text())
    page.locator(f"{form}-step select").select_option(label="村党组织提议")
    ui.set_date(page, f"{form}-held_on", "2011-02-10")
    page.locator(f"{form}-expected input").fill("5")
    page.locator(f"{form}-present input").fill("5")
    page.locator(".shequ-save-decisions_step button").click()
    expect(page.locator(".shequ-save-ok")).to_contain_text("已保存 1 条记录")
    ui.save_screenshot(page, "entry-decision-step.png")

    steps = served.sdk.frame("decisions_step", region="南洲村", period=None, codes=True)
    mine = steps[steps["matter_id"] == matter_id]
    assert len(mine) == 1
    row = mine.iloc[0]
    assert (row["step"], str(row["held_on"].date()), row["expected"], row["present"]) == ("proposal", "2011-02-10", 5, 5)
