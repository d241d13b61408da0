"""表格录入, the grid mode of the entry app: paste from Excel (with or without a header, amounts
as people write them, bad shapes refused whole), copy-down, many rows saved in one transaction,
every problem of a batch named at once, and a locked quarter read-only."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from shequ_sdk.ui import DataStore, EntryApp
from shequ_sdk.ui.forms import FieldInput, TableEntry, read_typed
from shequ_sdk.ui.grid import PROBLEMS, GridEntry
from shequ_sdk.values import ParseError

VILLAGE = "新尚村社区"
RUNS = "sanitation_collection_run"


def grid_of(sdk, table=RUNS, quarter="2010Q4", **store) -> GridEntry:
    entry = TableEntry(store=DataStore(sdk=sdk, region=VILLAGE, period=quarter, **store), table=table)
    entry.mode = "grid"
    return entry.grid


def runs(sdk, vehicle: str):
    return sdk.frame(RUNS, region=VILLAGE, where={"vehicle": vehicle}, codes=True)


def listed(summary_html: str) -> tuple[int, list[str]]:
    """The count the problem list states and the items it shows."""
    count = int(re.search(r'data-count="(\d+)"', summary_html).group(1))
    return count, re.findall(r'<li class="shequ-grid-problem"[^>]*>(.*?)</li>', summary_html)


def test_the_grid_has_the_forms_fields_labels_and_lists(demo_sdk):
    entry = TableEntry(store=DataStore(sdk=demo_sdk, region=VILLAGE, period="2010Q4"), table="civility_star_rating")
    assert entry.mode_switch.options == {"逐条录入": "form", "表格录入": "grid"} and entry.grid is None  # built when first shown
    entry.mode_switch.value = "grid"
    grid = entry.grid
    assert entry.mode == "grid" and grid is not None and "shequ-grid-entry" in entry.mode_holder[0].css_classes
    form_titles = {name: fi.widget.label for name, fi in entry.form.inputs.items()}
    assert {name: c.title for name, c in grid.columns.items()} == form_titles  # same fields, order and labels
    assert list(grid.grid.value.columns) == ["_row", *form_titles, PROBLEMS]
    households = grid.grid.editors["household_id"]
    assert households["type"] == "list" and households["values"] == [k for k in entry.form.inputs["household_id"].fk_options]
    assert all("*" in label for label in households["values"][:5])  # the form's names (head masked), never an id
    assert set(grid.grid.value["year"]) == {"2010"}  # the period column prefilled like the form's
    assert grid.rows_in_use() == [] and len(grid.grid.value) == 10
    grid.add_rows()
    assert grid.grid.value["_row"].tolist() == list(range(1, 21))

    ledger = grid_of(demo_sdk, "finance_ledger_entry")
    assert ledger.columns["amount_fen"].title == "金额（元） *"  # money in yuan, as in the form
    assert ledger.grid.editors["direction"]["values"] == ["收入", "支出"]


def test_the_grid_reads_cells_with_the_forms_own_reader(demo_sdk):
    grid = grid_of(demo_sdk)
    form = TableEntry(store=grid.store, table=RUNS).form
    fi: FieldInput = form.inputs["amount_kg"]
    for text in ("１２０公斤", "1,200", "12.5", "三百"):
        fi.widget.value = text
        try:
            expected = fi.value()
        except ParseError as exc:
            expected = str(exc)
        try:
            got = read_typed(grid.columns["amount_kg"].info, text)
        except ParseError as exc:
            got = str(exc)
        assert got == expected, text


def test_paste_from_excel_with_and_without_a_header(demo_sdk):
    grid = grid_of(demo_sdk, "finance_ledger_entry")
    pasted = ("记账日期\t凭证号\t收支方向\t会计科目\t金额（元）\t摘要\r\n"
              "2010-11-02\t记-G-1\t支出\t管理费用\t¥1,234.50\t办公用品\r\n"
              "2010年11月3日\t记-G-2\t支出\t管理费用\t１２３.４５\t\"报刊\t费\"\r\n")
    assert grid.paste(pasted) == 2
    assert "已填入 2 行（表格第 1–2 行）" in grid.paste_message.object and grid.paste_area.value == ""
    cells = grid.frame()
    assert cells.loc[0, "amount_fen"] == "¥1,234.50" and cells.loc[1, "amount_fen"] == "１２３.４５"  # kept as typed until saved
    assert cells.loc[1, "summary"] == "报刊\t费"  # a quoted cell holding a tab, as Excel copies it
    # without a header: the grid's order, after the last row in use
    order = "\t".join(["2010-11-04", "记-G-3", "支出", "管理费用", "", "1,000"])
    assert grid.paste(order + "\n") == 1
    assert grid.frame().loc[2, "amount_fen"] == "1,000" and grid.frame().loc[2, "chart_version"] == ""
    assert grid.save() == 3
    saved = demo_sdk.frame("finance_ledger_entry", region=VILLAGE, where={"summary": "办公用品"}, codes=True)
    assert saved["amount_fen"].tolist() == [123450]  # exact fen, never a float
    fen = demo_sdk.frame("finance_ledger_entry", region=VILLAGE, codes=True).set_index("voucher_no").loc[["记-G-2", "记-G-3"], "amount_fen"]
    assert fen.tolist() == [12345, 100000]


@pytest.mark.parametrize("text, message", [
    ("2010-11-01\t湘F\t1\t30\t100\t否\t混合垃圾\t单-1\t多余\t多余", "第 1 行有 10 列，多于表格的 8 列（从第 9 列起多出）"),
    ("2010-11-01\t湘F\t1\t30\n2010-11-02\t湘F\t1\t30\t100\t否\t混合垃圾\t单-1\t多余", "第 2 行有 9 列，多于表格的 8 列"),
    ("清运日期\t车辆\t重量\n2010-11-01\t湘F\t3", "第 1 行第 3 列「重量」不是本表的列"),
    ("清运日期\t车辆\n2010-11-01\t湘F\t3", "第 2 行有 3 列，多于表头的 2 列"),
    ("车辆\t车辆 *\n湘F\t湘F", "第 1 行第 2 列「车辆 *」与前面的列重复"),
])
def test_a_paste_of_the_wrong_shape_names_line_and_column_and_fills_nothing(demo_sdk, text, message):
    grid = grid_of(demo_sdk)
    grid.paste("2010-11-01\t湘F-已有")
    before = grid.frame()
    assert grid.paste(text) == 0
    assert message in grid.paste_message.object and "未填入任何内容" in grid.paste_message.object
    assert grid.frame().equals(before)


def test_copy_down_fills_the_empty_cells_below_down_to_the_last_row_in_use(demo_sdk):
    grid = grid_of(demo_sdk)
    grid.paste("2010-11-01\t湘F-1\n2010-11-02\n2010-11-03\t湘F-3\n2010-11-04")
    assert grid.fill_down() == 0 and "请先点选" in grid.message.object  # no cell clicked yet
    grid._clicked(SimpleNamespace(column="vehicle", row=0))  # the first vehicle cell is clicked
    assert grid.fill_down() == 2
    assert grid.frame()["vehicle"].tolist()[:6] == ["湘F-1", "湘F-1", "湘F-3", "湘F-1", "", ""]  # never overwritten, nor past row 4
    assert "已把第 1 行的「湘F-1」向下填充到 2 个空白单元格" in grid.message.object
    # no row below in use: down to the end of the grid; an empty source cell: the column's first value
    assert grid.fill_down("households_served", 5) == 0 and "没有可向下填充的内容" in grid.message.object
    grid.grid.value.loc[1, "households_served"] = "30"
    assert grid.fill_down("households_served", 3) == 2  # row 3 is empty: row 2's 30 goes to rows 3 and 4
    grid.grid.value.loc[9, "trip"] = ""
    grid.grid.value.loc[0, "trip"] = "2"
    assert grid.fill_down("trip") == 3 and grid.frame()["trip"].tolist()[:5] == ["2", "2", "2", "2", ""]
    grid.clear()
    grid.grid.value.loc[0, "trip"] = "1"
    assert grid.fill_down("trip", 1) == 9  # nothing else entered: the whole column below


def test_thirty_runs_of_a_month_are_saved_in_one_transaction(demo_sdk, monkeypatch):
    from shequ_sdk.ui import grid as grid_module

    entry = TableEntry(store=DataStore(sdk=demo_sdk, region=VILLAGE, period="2010Q4"), table=RUNS)
    entry.mode = "grid"
    grid = entry.grid
    writes = []
    real_write = grid_module.write
    monkeypatch.setattr(grid_module, "write", lambda **kw: writes.append(len(kw["rows"])) or real_write(**kw))
    before, listed_before = len(demo_sdk.frame(RUNS, region=VILLAGE)), len(entry.records())
    lines = [f"2010-11-{day:02d}\t湘F-GRID\t1\t{30 + day}\t{100 + day}公斤" for day in range(1, 31)]
    assert grid.paste("\n".join(lines)) == 30 and len(grid.grid.value) == 30  # rows added as needed
    assert entry.store.forms and any(f.dirty() for f in entry.store.forms)  # unsaved: a switch of village asks first
    assert grid.save() == 30
    assert writes == [30]  # one call of the write path: one transaction, all rows
    saved = runs(demo_sdk, "湘F-GRID").sort_values("run_date")
    assert len(saved) == 30 and len(demo_sdk.frame(RUNS, region=VILLAGE)) == before + 30
    assert saved["amount_kg"].tolist() == [100 + d for d in range(1, 31)] and set(saved["waste_category"]) == {"mixed"}
    assert "已保存 30 条记录" in grid.message.object
    assert grid.rows_in_use() == [] and len(grid.grid.value) == 10  # the grid is empty again
    assert f"（{listed_before + 30}）" in entry.list_holder[0].object  # the list of records is refreshed
    assert not grid.dirty()


def test_one_save_names_a_bad_cell_and_a_rule_at_once_and_writes_nothing(demo_sdk, monkeypatch):
    from shequ_sdk.ui import grid as grid_module

    grid = grid_of(demo_sdk)
    monkeypatch.setattr(grid_module, "write", lambda **kw: pytest.fail("nothing is written while a cell cannot be read"))
    before = len(demo_sdk.frame(RUNS, region=VILLAGE))
    grid.paste("清运日期\t车辆\t收运户数\t清运量(公斤)\t分类清运\t垃圾类别\n"
               "2010-11-01\t湘F-BAD\t30\t三百\n"             # a cell that cannot be read
               "2010-11-02\t湘F-BAD\t30\t100\t是\t混合垃圾\n"  # a sorted run of mixed waste: a rule across fields
               "2010-11-03\t湘F-BAD\t30\t100\n")
    assert grid.save() == 0
    count, items = listed(grid.summary.object)
    assert count == len(items) == 2
    assert items[0] == "第 1 行 · 清运量(公斤)：「三百」无法识别：应为整数，如 120公斤 或 1,234"
    assert items[1].startswith("第 2 行 · 垃圾类别：分类清运须注明垃圾类别")
    problems = grid.frame()[PROBLEMS].tolist()
    assert problems[0].startswith("清运量(公斤)：「三百」") and problems[1].startswith("垃圾类别：") and problems[2] == ""
    assert grid.frame().loc[0, "amount_kg"] == "三百"  # shown back as typed
    assert "有 2 处需要修改，未保存任何数据" in grid.message.object
    assert len(demo_sdk.frame(RUNS, region=VILLAGE)) == before and runs(demo_sdk, "湘F-BAD").empty

    # a field check of the write path (no cell unread): listed with its row and column too
    monkeypatch.undo()
    grid.grid.value.loc[0, "amount_kg"] = "-5"
    grid.grid.value.loc[1, "sorted"] = "否"
    assert grid.save() == 0
    count, items = listed(grid.summary.object)
    assert count == len(items) == 1 and items[0].startswith("第 1 行 · 清运量(公斤)：") and "0" in items[0]
    assert len(demo_sdk.frame(RUNS, region=VILLAGE)) == before
    grid.grid.value.loc[0, "amount_kg"] = "300"
    assert grid.save() == 3 and len(runs(demo_sdk, "湘F-BAD")) == 3
    assert grid.summary.object == "" and set(grid.frame()[PROBLEMS]) == {""}


def test_a_locked_quarter_shows_a_read_only_grid(demo_sdk):
    note = "2010年第4季度已锁定。本季度的表单只读；授予例外后刷新本页即可保存。"
    grid = grid_of(demo_sdk, readonly=note)
    assert grid.grid.disabled and grid.save_button.disabled and grid.paste_button.disabled and grid.fill_button.disabled
    assert grid.paste_area.disabled and grid.add_button.disabled
    assert "已锁定" in grid.message.object
    before = grid.frame()
    assert grid.paste("2010-11-01\t湘F-LOCK\t1\t30\t100") == 0 and grid.fill_down("trip", 1) == 0 and grid.save() == 0
    assert grid.frame().equals(before) and runs(demo_sdk, "湘F-LOCK").empty and not grid.dirty()


def test_the_entry_app_offers_the_grid_and_guards_its_unsaved_rows(demo_sdk):
    app = EntryApp(sdk=demo_sdk, region=VILLAGE, period="2010Q4")
    app.tabs()
    app.records_panel.table = RUNS
    entry = app.records_panel.entry
    entry.mode = "grid"
    assert not app.unsaved()
    entry.grid.paste("2010-11-01\t湘F-APP\t1\t30\t100")
    assert app.unsaved()
    english = TableEntry(store=DataStore(sdk=demo_sdk, region=VILLAGE, period="2010Q4", lang="en"), table=RUNS)
    assert list(english.mode_switch.options) == ["One by one", "Grid"]


def test_an_amount_is_pasted_under_its_label_in_yuan_never_in_fen(demo_sdk):
    grid = grid_of(demo_sdk, "finance_ledger_entry")
    assert grid.paste("记账日期\t金额(分)\n2010-11-02\t100") == 0  # 100 fen would be read as 100 yuan
    message = grid.paste_message.object
    assert "第 1 行第 2 列「金额(分)」不是本表的列" in message
    columns = message.split("本表的列：")[1]
    assert "金额（元）" in columns and "(分)" not in columns
    assert grid.paste("记账日期\t金额\n2010-11-02\t100") == 1 and grid.frame().loc[0, "amount_fen"] == "100"
