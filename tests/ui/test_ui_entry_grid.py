"""表格录入 on a phone (390×844): three lines copied from Excel are pasted into the grid, a cell is
typed into, the page is reloaded and the unsaved rows come back, then all are saved at once; the
grid scrolls sideways in its own box, the page never does."""

from __future__ import annotations

from playwright.sync_api import expect

RUNS = "环卫协会 · 清运记录"
PASTED = ("清运日期\t车辆\t收运户数\t清运量(公斤)\n"
          "2010-12-01\t湘F-表格\t30\t１２０\n"
          "2010年12月2日\t湘F-表格\t31\t1,250公斤\n"
          "2010/12/3\t湘F-表格\t32\t98\n")


def test_three_lines_pasted_from_excel_are_saved_from_the_grid_on_a_phone(browser, served, ui):
    with ui.watched_page(browser, served, **ui.PHONE) as page:
        page.goto(served.url("entry", village="新尚村社区", quarter="2010Q4"))
        page.locator(".shequ-entry-tabs .bk-tab", has_text="录入记录").click()
        page.locator(".shequ-entry-table select").select_option(label=RUNS)
        expect(page.locator(".shequ-input-sanitation_collection_run-run_date input")).to_be_visible()  # the runs' entry is drawn
        page.locator(".shequ-entry-mode button", has_text="表格录入").click()
        grid = page.locator(".shequ-grid-sanitation_collection_run")
        expect(grid.locator(".tabulator-col-title", has_text="清运量(公斤)")).to_have_count(1)
        page.locator(".shequ-grid-paste textarea").fill(PASTED)
        page.locator(".shequ-grid-paste-fill button").click()
        expect(page.locator(".shequ-grid-paste-message")).to_contain_text("已填入 3 行")
        expect(grid.locator(".tabulator-cell[tabulator-field=amount_kg]", has_text="1,250公斤")).to_have_count(1)
        for css in (".shequ-grid-paste-fill button", ".shequ-grid-add button", ".shequ-grid-fill-down button", ".shequ-grid-save button",
                    ".shequ-entry-mode button"):
            assert page.locator(css).first.bounding_box()["height"] >= 40, css  # finger-sized
        page.locator(".shequ-grid-paste-message").evaluate("e => e.scrollIntoView({block: 'start'})")  # the message, the pasted rows below
        ui.save_screenshot(page, "entry-grid.png")
        ui.copy_to_docs(ui.save_screenshot(page, "entry-grid-screen.png", full_page=False), "entry-grid.png")  # the README's: the screen
        # a cell typed into, then the page reloaded: the unsaved rows come back from the server
        grid.locator(".tabulator-cell[tabulator-field=households_served]").nth(2).click()
        page.keyboard.press("Control+A")
        page.keyboard.type("33")
        page.keyboard.press("Enter")
        expect(grid.locator(".tabulator-cell[tabulator-field=households_served]", has_text="33")).to_have_count(1)
        page.wait_for_timeout(500)  # the edit reaches the server, which keeps the draft
        page.reload()
        page.locator(".shequ-entry-tabs .bk-tab", has_text="录入记录").click()
        page.locator(".shequ-entry-table select").select_option(label=RUNS)
        expect(page.locator(".shequ-input-sanitation_collection_run-run_date input")).to_be_visible()
        page.locator(".shequ-entry-mode button", has_text="表格录入").click()
        expect(page.locator(".shequ-grid-draft-note")).to_contain_text("已恢复")
        expect(page.locator(".shequ-grid-draft-note")).to_contain_text("3 行")
        grid = page.locator(".shequ-grid-sanitation_collection_run")
        expect(grid.locator(".tabulator-cell[tabulator-field=households_served]", has_text="33")).to_have_count(1)
        expect(grid.locator(".tabulator-cell[tabulator-field=amount_kg]", has_text="1,250公斤")).to_have_count(1)
        page.locator(".shequ-grid-draft-note").evaluate("e => e.scrollIntoView({block: 'start'})")
        ui.save_screenshot(page, "entry-grid-draft.png")
        page.locator(".shequ-grid-save button").click()
        expect(page.locator(".shequ-grid-message .shequ-save-ok")).to_contain_text("已保存 3 条")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390 + 1, f"the page scrolls sideways: {width} px wide"
    saved = served.sdk.frame("sanitation_collection_run", region="新尚村社区", where={"vehicle": "湘F-表格"}, codes=True)
    assert sorted(saved["amount_kg"]) == [98, 120, 1250] and sorted(saved["households_served"]) == [30, 31, 33]
