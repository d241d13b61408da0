"""The township dashboard in Chromium: title and KPI values, the period selector; a phone and a
desktop (nothing scrolls sideways or is cut off, English throughout); the village page and the
address as the page's state (Back, Forward, reload, breadcrumbs)."""

from __future__ import annotations

import re
import time

import pytest
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
    # the views follow the cards on their own ticks, each saying 更新中… meanwhile, never after
    expect(page.locator(".shequ-view").first).to_contain_text("2009")
    expect(page.locator(".shequ-updating")).to_have_count(0)

    # the period kind: a year becomes its last quarter, with that quarter's values
    page.locator(".shequ-period-kind button", has_text="季度").click()
    expect(page.locator(".shequ-kpis")).to_have_attribute("data-period", "2009Q4")
    quarter = ui.kpis(page)
    printed = ui.printed(cli, served.db, "茅草街镇", "2009Q4")
    assert {key: printed[key] for key in quarter} == quarter
    expect(page.locator(".shequ-title")).to_contain_text("2009年第4季度")


# -- the page on a phone and on a desktop, the village page, the address ------------------------

PHONE = dict(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=2)
DESKTOP = dict(viewport={"width": 1366, "height": 768}, device_scale_factor=1)

SIDEWAYS = """() => {
  const main = document.querySelector('#main');
  return {page: document.documentElement.scrollWidth - window.innerWidth,
          main: main ? main.scrollWidth - main.clientWidth : 0};
}"""
CLIPPED = "els => els.filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)"
# the text a person can read in an element, through Panel's shadow roots
SHOWN_TEXT = """el => {
  const out = [];
  const walk = (node) => {
    if (node.nodeType === Node.TEXT_NODE) { out.push(node.textContent); return; }
    if (node.nodeType !== Node.ELEMENT_NODE && node.nodeType !== Node.DOCUMENT_FRAGMENT_NODE) return;
    if (node.nodeType === Node.ELEMENT_NODE && (['STYLE', 'SCRIPT'].includes(node.tagName))) return;
    if (node.shadowRoot) walk(node.shadowRoot);
    for (const child of node.childNodes) walk(child);
  };
  walk(el);
  return out.join(' ');
}"""


def shown_text(page, css: str) -> str:
    return page.locator(css).first.evaluate(SHOWN_TEXT)


def settle(page, views: int) -> None:
    """Wait until the village table and the plugins' views have arrived."""
    expect(page.locator(".shequ-village-table .tabulator-row").first).to_be_visible()
    expect(page.locator(".shequ-view-title")).to_have_count(views)
    page.wait_for_timeout(1000)  # charts draw on their canvas


def whole_page_shot(page, ui, name: str, width: int, max_height: int = 6000) -> None:
    """A screenshot of the whole page (the template scrolls inside #main: grow the viewport)."""
    height = page.evaluate("(() => { const m = document.querySelector('#main'); return m ? m.scrollHeight + 70 : 2000 })()")
    page.set_viewport_size({"width": width, "height": min(int(height), max_height)})
    page.wait_for_timeout(1000)
    ui.copy_to_docs(ui.save_screenshot(page, name), name)


@pytest.mark.browser_context_args(**PHONE)
def test_on_a_phone_the_page_never_scrolls_sideways_and_the_village_name_stays(app_page, served, ui):
    page = app_page
    t0 = time.monotonic()
    page.goto(served.url("township", region="茅草街镇"))
    settle(page, len(views_for("chart")))
    settled = time.monotonic() - t0
    print(f"phone: township page settled in {settled:.1f} s")
    # the village table's cells are drawn once: scrolling the table into view does not draw
    # them anew (the grid's own observers did, and a tap landing at that moment opened nothing)
    cells = page.locator(".shequ-village-table .tabulator-cell[tabulator-field='region_name']")
    assert cells.first.evaluate("e => e.getBoundingClientRect().top > window.innerHeight")  # below the first screen
    drawn = cells.evaluate_all("cs => { cs.forEach(c => { c.dataset.shequMark = 'drawn'; }); return cs.length; }")
    cells.first.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    assert cells.evaluate_all("cs => cs.filter(c => c.isConnected && c.dataset.shequMark === 'drawn').length") == drawn == 5
    page.locator("#main").evaluate("e => { e.scrollTop = 0; }")
    assert page.evaluate(SIDEWAYS) == {"page": 0, "main": 0}
    assert page.locator(".shequ-kpi .value").evaluate_all(CLIPPED) == []
    text = shown_text(page, "#main")
    assert "核心指标" in text and "shequ indicators" not in text and "命令" not in text
    # the wide village table scrolls inside its own box, the village's name frozen at the left
    holder = page.locator(".shequ-village-table .tabulator-tableholder").first
    assert holder.evaluate("e => e.scrollWidth > e.clientWidth")
    name = page.locator(".shequ-village-table .tabulator-cell[tabulator-field='region_name']", has_text="新尚村社区")
    before = name.bounding_box()["x"]
    holder.evaluate("e => { e.scrollLeft = 600; }")
    page.wait_for_timeout(300)
    assert abs(name.bounding_box()["x"] - before) < 2 and "tabulator-frozen" in (name.get_attribute("class") or "")
    holder.evaluate("e => { e.scrollLeft = 0; }")
    box = page.locator(".shequ-view").first.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390  # charts fit the phone
    whole_page_shot(page, ui, "township-phone.png", 390, max_height=4200)


@pytest.mark.browser_context_args(**DESKTOP)
def test_on_a_desktop_in_english_nothing_is_clipped_and_the_header_follows(app_page, served, ui):
    page = app_page
    t0 = time.monotonic()
    page.goto(served.url("township", region="茅草街镇"))
    settle(page, len(views_for("chart")))
    print(f"desktop: township page settled in {time.monotonic() - t0:.1f} s")
    assert page.evaluate(SIDEWAYS) == {"page": 0, "main": 0}
    table = page.locator(".shequ-village-table").first.bounding_box()
    assert table["width"] <= 1366  # not 3,630 px: the grid scrolls inside
    chart = page.locator(".shequ-view-sanitation-collection_trend canvas").first.bounding_box()
    assert chart["width"] > 600  # stretched to its box, not a fixed 560 px
    whole_page_shot(page, ui, "township-desktop.png", 1366)
    page.set_viewport_size({"width": 1920, "height": 1080})  # a large monitor: more cards a row, still nothing sideways
    page.wait_for_timeout(500)
    assert page.evaluate(SIDEWAYS) == {"page": 0, "main": 0}
    wide = page.locator(".shequ-village-table").first.bounding_box()
    assert wide["width"] > table["width"] and wide["width"] <= 1920
    tops = page.locator(".shequ-township .shequ-kpi").evaluate_all("els => els.map(e => Math.round(e.getBoundingClientRect().top))")
    assert tops.count(tops[0]) >= 8  # a row of eight or more cards
    page.set_viewport_size({"width": 1366, "height": 768})

    # a period change redraws the figures in place: the page, its cards' box and the village
    # table's box are the same elements as before (marked here), with the new year's values
    kept = [".shequ-app", ".shequ-kpi-cards", ".shequ-village-table"]
    for css in kept:
        page.locator(css).first.evaluate("e => { e.dataset.shequMark = 'before'; }")
    # a chart's body: the view re-renders into the same box
    chart = page.locator(".shequ-view-sanitation-collection_trend .shequ-view-body").first
    chart.evaluate("e => { e.dataset.shequMark = 'before'; }")
    # and the chart itself is the same drawing with the new year's data (not a new figure)
    chart.locator("canvas").first.evaluate("e => { e.dataset.shequMark = 'before'; }")
    page.locator(".shequ-period select").select_option(label="2009年")
    expect(page.locator(".shequ-township .shequ-kpis[data-period='2009']")).to_be_visible()
    assert [page.locator(css).first.evaluate("e => e.dataset.shequMark || ''") for css in kept] == ["before"] * 3
    # the views follow the cards on the next tick, into the same elements
    expect(page.locator(".shequ-view-finance-disclosure_heatmap .shequ-heatmap th.period").first).to_have_text("2009Q1")
    assert chart.evaluate("e => e.dataset.shequMark || ''") == "before"
    expect(chart.locator("canvas").first).to_be_visible()
    expect(page.locator(".shequ-view-sanitation-collection_trend .shequ-updating")).to_have_count(0)  # redrawn
    assert chart.locator("canvas").first.evaluate("e => e.dataset.shequMark || ''") == "before"
    page.locator(".shequ-period select").select_option(label="2010年")
    expect(page.locator(".shequ-township .shequ-kpis[data-period='2010']")).to_be_visible()

    page.locator(".shequ-lang button", has_text="English").click()
    expect(page.locator(".shequ-title")).to_contain_text("Township dashboard")
    expect(page.locator("#header .title").last).to_contain_text("Township dashboard")
    expect(page).to_have_title("Township dashboard")
    expect(page).to_have_url(re.compile("lang=en"))
    expect(page.locator(".shequ-kpi[data-key='core.households'] .value")).to_have_text("1,653 households")
    assert page.locator(".shequ-kpi .value").evaluate_all(CLIPPED) == []
    expect(page.locator(".shequ-village-table .tabulator-col[tabulator-field='core.associations']")).to_contain_text("Associations")
    text = shown_text(page, "#main")
    assert "Headline indicators" in text and "()" not in text and "乡镇看板" not in text


def test_the_village_page_and_the_address_back_and_forth(app_page, served, ui):
    page = app_page
    page.goto(served.url("township", region="茅草街镇"))
    page.locator(".shequ-village-table .tabulator-cell[tabulator-field='region_name']", has_text="新尚村社区").click()
    expect(page.locator(".shequ-village-name")).to_have_text("新尚村社区")
    expect(page).to_have_url(re.compile("village="))  # the page can be linked
    rows = page.locator(".shequ-associations tbody tr")
    expect(rows).to_have_count(6)
    shown = set(rows.evaluate_all("rows => rows.map(r => r.cells[0].textContent)"))
    assert shown == set(served.sdk.frame("association", region="新尚村社区")["name"])
    expect(page.locator(".shequ-crumb button")).to_have_text(["南县", "茅草街镇"])
    expect(page.locator(".shequ-crumb-here")).to_have_text("新尚村社区")
    # a person's records: names, yuan, newest first, ten at a time
    stars = page.locator(".shequ-recent-civility_star_rating tbody tr")
    expect(stars).to_have_count(10)
    households = stars.evaluate_all("rows => rows.map(r => r.cells[0].textContent)")
    assert all(re.fullmatch(r"\d{4}（.+）", h) for h in households), households
    expect(page.locator(".shequ-recent-association_member tbody tr")).to_have_count(9)  # nine members: no 更多
    page.locator(".shequ-more button").first.click()  # the first table with more than ten: the star ratings
    expect(stars).to_have_count(20)
    text = shown_text(page, ".shequ-village-page")
    assert "248000.00" in text and "金额(分)" not in text and "24800000" not in text
    runs = page.locator(".shequ-recent-sanitation_collection_run tbody tr td:first-child").all_inner_texts()
    assert runs[0] == "2010-12-31" and runs == sorted(runs, reverse=True)
    # each figure beside the township's, with its trend
    card = page.locator(".shequ-village-page .shequ-kpi[data-key='stability.mediation_cases']")
    expect(card.locator(".compare")).to_have_text("茅草街镇：36 件")
    expect(card.locator("svg.shequ-sparkline")).to_be_visible()
    page.locator(".shequ-village-name").scroll_into_view_if_needed()
    ui.save_screenshot(page, "township-village.png")
    # a search keeps the rows that hold the words
    number = households[0][:4]
    page.locator(".shequ-recent-search input").fill(number)
    expect(page.locator(".shequ-recent-records").first).to_contain_text(f"含“{number}”")
    found = stars.all_inner_texts()
    assert found and len(found) < 20 and all(number in row for row in found), found
    page.locator(".shequ-recent-search input").fill("")
    expect(stars).to_have_count(10)

    page.go_back()  # the address says the township: so does the page
    expect(page.locator(".shequ-village-table")).to_be_visible()
    expect(page.locator(".shequ-village-name")).to_have_count(0)
    assert "village=" not in page.url
    page.go_forward()
    expect(page.locator(".shequ-village-name")).to_have_text("新尚村社区")
    page.reload()  # a reload shows what the address says
    expect(page.locator(".shequ-village-name")).to_have_text("新尚村社区")
    page.locator(".shequ-crumb button", has_text="茅草街镇").click()
    expect(page.locator(".shequ-village-table")).to_be_visible()
    expect(page).not_to_have_url(re.compile("village="))


@pytest.mark.browser_context_args(**DESKTOP, accept_downloads=True)
def test_export_pdf_downloads_the_printed_dashboard_and_the_page_prints_whole(app_page, served):
    import io
    from pathlib import Path

    import pypdf

    page = app_page
    page.goto(served.url("township", region="茅草街镇", period="2010"))
    button = page.locator(".shequ-export-pdf button")
    expect(button).to_contain_text("导出 PDF")
    with page.expect_download(timeout=90_000) as download:
        button.click()
    assert download.value.suggested_filename == "乡镇看板-茅草街镇-2010.pdf"
    data = Path(download.value.path()).read_bytes()
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)
    for village in ("新尚村社区", "太台村", "北湾村", "小桥村", "北庄村"):
        assert village in text, village

    # the browser's own print: no controls, and the page flows on past the first screen
    expect(page.locator(".shequ-village-table .tabulator-row")).to_have_count(5)
    page.emulate_media(media="print")
    expect(page.locator(".shequ-toolbar")).to_be_hidden()
    expect(page.locator(".shequ-download-csv")).to_be_hidden()
    printed = pypdf.PdfReader(io.BytesIO(page.pdf(format="A4")))
    shown = "".join(p.extract_text() for p in printed.pages)
    # Chromium's PDF text maps some ideographs to radicals (心 → ⼼): check figures and Latin text
    assert len(printed.pages) >= 2 and "2,759,800.00" in shown and "CSV" not in shown and "PDF" not in shown
