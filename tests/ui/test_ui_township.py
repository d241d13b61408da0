"""The township dashboard in Chromium: title and KPI values, the period selector, drill-down."""

from __future__ import annotations

from playwright.sync_api import expect

from shequ_sdk.ui import views_for


def test_dashboard_loads_with_the_values_shequ_indicators_prints(app_page, served, cli, ui):
    page = app_page
    page.goto(served.url("township"))
    expect(page).to_have_title("乡镇看板")
    expect(page.locator(".shequ-title")).to_contain_text("乡镇看板")
    cards = ui.kpis(page)
    region, period = ui.kpi_context(page)
    assert (region, period) == ("南县", "2010")  # the first county, the latest year with data through December
    printed = ui.printed(cli, served.db, region, period)
    assert len(cards) >= 15
    assert {key: printed[key] for key in cards} == cards
    expect(ui.heatmap_cell(page, "新尚村社区", "2010Q4", "party")).to_have_attribute("data-status", "on_time")
    # the rest arrives after the first paint: the village table and every plugin's chart, none failing
    expect(page.locator(".shequ-village-table .tabulator-row")).to_have_count(10)
    expect(page.locator(".shequ-view-title")).to_have_count(len(views_for("chart")))
    expect(page.locator(".shequ-view-error")).to_have_count(0)
    page.set_viewport_size({"width": 1400, "height": 2700})  # the template scrolls inside: show the whole page
    page.wait_for_timeout(1000)  # let the charts finish drawing for the screenshot
    shot = ui.save_screenshot(page, "township.png")
    ui.copy_to_docs(shot, "township.png")


def test_period_selector_changes_the_values(app_page, served, cli, ui):
    page = app_page
    page.goto(served.url("township", region="茅草街镇"))
    before = ui.kpis(page)
    assert ui.kpi_context(page) == ("茅草街镇", "2010")

    page.locator(".shequ-period select").select_option(label="2009年")
    expect(page.locator(".shequ-kpis")).to_have_attribute("data-period", "2009")
    after = ui.kpis(page)
    assert after != before
    printed = ui.printed(cli, served.db, "茅草街镇", "2009")
    assert {key: printed[key] for key in after} == after

    # the period kind: a year becomes its last quarter, with that quarter's values
    page.locator(".shequ-period-kind button", has_text="季度").click()
    expect(page.locator(".shequ-kpis")).to_have_attribute("data-period", "2009Q4")
    quarter = ui.kpis(page)
    printed = ui.printed(cli, served.db, "茅草街镇", "2009Q4")
    assert {key: printed[key] for key in quarter} == quarter
    expect(page.locator(".shequ-title")).to_contain_text("2009年第4季度")


def test_a_click_on_a_village_opens_its_page_with_its_six_associations(app_page, served, ui):
    page = app_page
    page.goto(served.url("township"))
    page.locator(".shequ-village-table .tabulator-cell[tabulator-field='region_name']", has_text="新尚村社区").click()
    expect(page.locator(".shequ-village-name")).to_have_text("新尚村社区")
    rows = page.locator(".shequ-associations tbody tr")
    expect(rows).to_have_count(6)
    shown = set(rows.evaluate_all("rows => rows.map(r => r.cells[0].textContent)"))
    stored = set(served.sdk.frame("association", region="新尚村社区")["name"])
    assert shown == stored and len(stored) == 6
    assert "village=" in page.url  # the page can be linked
    ui.save_screenshot(page, "village-page.png")

    page.locator(".shequ-back button").click()
    expect(page.locator(".shequ-village-table")).to_be_visible()
