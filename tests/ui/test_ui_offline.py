"""Every page, both languages, every period kind, the village page and every entry tab: no
console error, and no request leaves 127.0.0.1 (no CDN, no web fonts)."""

from __future__ import annotations

from playwright.sync_api import expect


def test_no_console_errors_and_no_request_leaves_the_server(app_page, served, ui):
    page = app_page
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))

    page.goto(served.base + "/")
    expect(page.locator(".shequ-index a")).to_have_count(2)
    expect(page.locator(".shequ-index")).to_contain_text("乡镇看板")
    expect(page.locator(".shequ-index")).to_contain_text("村务录入")

    page.goto(served.url("township"))
    ui.kpis(page)
    page.locator(".shequ-lang button", has_text="English").click()
    expect(page.locator(".shequ-title")).to_contain_text("Township dashboard")
    expect(page.locator(".shequ-heatmap .legend")).to_contain_text("on time")
    page.locator(".shequ-period-kind button", has_text="Month").click()
    expect(page.locator(".shequ-kpis")).to_have_attribute("data-period", "2010-12")
    page.locator(".shequ-lang button", has_text="中文").click()
    expect(page.locator(".shequ-heatmap .legend")).to_contain_text("按时")
    expect(page.locator(".shequ-view-error")).to_have_count(0)
    expect(page.locator(".shequ-view")).not_to_have_count(0)

    page.goto(served.url("township", village="南洲村"))
    expect(page.locator(".shequ-village-name")).to_have_text("南洲村")

    page.goto(served.url("entry", village="南洲村", quarter="2010Q4"))
    for tab in ("三栏公开", "录入记录", "表格导入"):
        page.locator(".shequ-entry-tabs .bk-tab", has_text=tab).click()
    expect(page.locator(".shequ-import-check")).to_be_visible()

    assert requests, "the watcher saw no requests at all"
    assert all(ui.is_local(u) for u in requests), [u for u in requests if not ui.is_local(u)]
    assert not page.problems["console"], page.problems["console"]
