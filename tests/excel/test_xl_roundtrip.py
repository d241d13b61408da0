"""Template → fill in → import → the same values in the database, on both backends; re-imports
are idempotent; a dry run lists new / changed / unchanged rows and writes nothing; files saved
by LibreOffice import the same way."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

from shequ_sdk import spreadsheets as xl
from shequ_sdk.excel.template import FIRST_DATA_ROW, HEADER_ROW, NOTES_ROW

TODAY = dt.date(2011, 3, 31)


def headers(ws) -> dict[str, int]:
    return {ws.cell(HEADER_ROW, j).value: j for j in range(1, ws.max_column + 1) if ws.cell(HEADER_ROW, j).value}


def fill_ledger(path: Path, rows: list[dict]) -> None:
    """Fill the template like a clerk would: by header, below any existing rows."""
    wb = openpyxl.load_workbook(path)
    ws = wb["测试台账"]
    h = headers(ws)
    r = FIRST_DATA_ROW
    while ws.cell(r, h["事项"]).value is not None:
        r += 1
    for row in rows:
        for header, value in row.items():
            ws.cell(r, h[header], value)
        r += 1
    wb.save(path)


NEW_ROWS = [
    {"事项": "道路维修", "收支": "支出", "金额（元）": 1234.5, "日期": dt.date(2010, 11, 3), "科目": "维修费", "经手人": "王五",
     "经手人电话": "13912345678", "经手人身份证号": "34052419800101001X", "已审核": "是", "相关户": "0002", "备注": "村东段"},
    {"事项": "上级补助", "收支": "收入", "金额（元）": 248000, "日期": dt.date(2010, 10, 8), "科目": "补助收入", "已审核": "否"},
    {"事项": "办公用品", "收支": "支出", "金额（元）": 86.2, "日期": dt.date(2010, 12, 30)},
]


def test_template_layout(xdb, tmp_path):
    out = xl.write_template_for(xdb, "xltest_ledger", region="新尚村社区", period="2010Q4", out=tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(out)
    ws = wb["测试台账"]
    assert "新尚村社区" in ws["A1"].value and "2010年第4季度" in ws["A1"].value
    assert (ws["A2"].value, ws["B2"].value, ws["C2"].value, ws["D2"].value) == ("村/社区", "新尚村社区", "期间", "2010Q4")
    h = headers(ws)
    assert list(h)[:6] == ["村/社区", "期间", "事项", "收支", "金额（元）", "日期"]
    assert "id" not in h and "模拟数据" not in h and "编号" not in h
    notes = {ws.cell(HEADER_ROW, j).value: ws.cell(NOTES_ROW, j).value for j in h.values()}
    assert notes["金额（元）"].startswith("【必填") and "元" in notes["金额（元）"] and "≥0" in notes["金额（元）"]
    assert notes["收支"] == "【必填·下拉选择：收入/支出】"
    assert notes["备注"] == "【选填·文字】"
    assert "户号" in notes["相关户"]
    assert ws.cell(HEADER_ROW, h["事项"]).font.color.rgb.endswith("C00000")  # required in red
    dvs = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in ws.data_validations.dataValidation}
    letter = openpyxl.utils.get_column_letter
    assert dvs[f"{letter(h['收支'])}{FIRST_DATA_ROW}"] == '"收入,支出"'
    assert dvs[f"{letter(h['已审核'])}{FIRST_DATA_ROW}"] == '"是,否"'
    long_list = dvs[f"{letter(h['科目'])}{FIRST_DATA_ROW}"]
    assert long_list.startswith("'_lists'!$A$1:$A$25"), long_list  # 25 labels do not fit inline
    assert wb["_lists"].sheet_state == "hidden" and wb["_lists"]["A1"].value == "经营收入"
    meta = {r[0]: r[1] for r in wb["_shequ"].iter_rows(values_only=True)}
    assert wb["_shequ"].sheet_state == "hidden"
    assert meta["table"] == "xltest_ledger" and meta["period"] == "2010Q4" and meta["region"] == "新尚村社区"
    assert ws.cell(FIRST_DATA_ROW + 5, h["金额（元）"]).number_format == "#,##0.00"
    assert ws.cell(FIRST_DATA_ROW + 5, h["事项"]).number_format == "@"  # text stays text (户号 0001 keeps its zeros)


def test_round_trip_template_fill_import(xdb, tmp_path, db_rows):
    out = xl.write_template_for(xdb, "xltest_ledger", region="新尚村社区", period="2010Q4", out=tmp_path / "t.xlsx")
    fill_ledger(out, NEW_ROWS)
    result = xl.import_file(xdb, out, today=TODAY)
    assert result.ok, result.report_lines()
    assert (result.new, result.changed, result.unchanged) == (3, 0, 0)
    rows = {r["item"]: r for r in db_rows(xdb, "xltest_ledger")}
    road = rows["道路维修"]
    assert road["region_id"] == xdb.places["新尚村社区"]
    assert road["period"] == "2010Q4"  # from the fill-in above the header
    assert (road["direction"], road["amount_fen"], road["category"]) == ("expense", 123450, "c17")
    assert road["entry_date"] in (dt.date(2010, 11, 3), "2010-11-03")
    assert road["verified"] is True and road["handler_id_number"] == "34052419800101001X"
    household = db_rows(xdb, "household", number="0002", region_id=xdb.places["新尚村社区"])[0]
    assert road["household_id"] == household["id"]
    assert rows["上级补助"]["amount_fen"] == 24_800_000 and rows["上级补助"]["verified"] is False
    assert rows["办公用品"]["amount_fen"] == 8620 and rows["办公用品"]["category"] is None

    # the next template carries the stored rows, money in 元 and labels; importing it changes nothing
    again = xl.write_template_for(xdb, "xltest_ledger", region="新尚村社区", period="2010Q4", out=tmp_path / "t2.xlsx")
    ws = openpyxl.load_workbook(again)["测试台账"]
    h = headers(ws)
    shown = {ws.cell(r, h["事项"]).value: r for r in range(FIRST_DATA_ROW, FIRST_DATA_ROW + 3)}
    r = shown["道路维修"]
    assert ws.cell(r, h["金额（元）"]).value == 1234.5 and ws.cell(r, h["收支"]).value == "支出"
    assert ws.cell(r, h["科目"]).value == "维修费" and ws.cell(r, h["相关户"]).value == "0002" and ws.cell(r, h["已审核"]).value == "是"
    before = db_rows(xdb, "xltest_ledger")
    second = xl.import_file(xdb, again, today=TODAY)
    assert second.ok and (second.new, second.changed, second.unchanged) == (0, 0, 3)
    assert db_rows(xdb, "xltest_ledger") == before


def test_reimport_same_file_is_idempotent(xdb, tmp_path, table_dump):
    out = xl.write_template_for(xdb, "xltest_ledger", region="新尚村社区", period="2010Q4", out=tmp_path / "t.xlsx")
    fill_ledger(out, NEW_ROWS)
    first = xl.import_file(xdb, out, today=TODAY)
    assert first.ok and first.new == 3
    snapshot = table_dump(xdb)
    for _ in range(2):
        again = xl.import_file(xdb, out, today=TODAY)
        assert again.ok and (again.new, again.changed, again.unchanged) == (0, 0, 3)
    assert table_dump(xdb) == snapshot


def test_correcting_rows_in_the_template_updates_them(xdb, tmp_path, db_rows):
    out = xl.write_template_for(xdb, "household", region="新尚村社区", period="2010", out=tmp_path / "hh.xlsx")
    wb = openpyxl.load_workbook(out)
    ws = wb["户"]
    h = headers(ws)
    rows = {ws.cell(r, h["户号"]).value: r for r in range(FIRST_DATA_ROW, FIRST_DATA_ROW + 3)}
    assert set(rows) == {"0001", "0002", "0003"}
    assert ws.cell(rows["0001"], h["户主身份证号"]).value == "34052419800101001X"  # the committee's own working copy
    ws.cell(rows["0002"], h["人口数"], 3)
    ws.cell(rows["0003"], h["住址"]).value = None  # an emptied optional cell clears the value
    ws.cell(FIRST_DATA_ROW + 3, h["户号"], "0004")
    ws.cell(FIRST_DATA_ROW + 3, h["户主姓名"], "钱七")
    wb.save(out)

    dry = xl.import_file(xdb, out, dry_run=True)
    assert dry.ok and (dry.new, dry.changed, dry.unchanged) == (1, 2, 1)
    plan = {p.row: p for p in dry.plan}
    assert plan[rows["0002"]].action == "changed" and plan[rows["0002"]].changes == [("人口数", 2, 3)]
    assert plan[rows["0003"]].changes == [("住址", "新尚路3号", None)]
    assert plan[FIRST_DATA_ROW + 3].action == "new" and "户号=0004" in plan[FIRST_DATA_ROW + 3].key
    assert plan[rows["0001"]].action == "unchanged"
    assert "王**" not in plan[rows["0001"]].key  # the key is 村/社区 + 户号, no personal data
    assert len(db_rows(xdb, "household", region_id=xdb.places["新尚村社区"])) == 3  # dry run wrote nothing

    done = xl.import_file(xdb, out)
    assert done.ok and (done.new, done.changed, done.unchanged) == (1, 2, 1)
    stored = {r["number"]: r for r in db_rows(xdb, "household", region_id=xdb.places["新尚村社区"])}
    assert stored["0002"]["members"] == 3 and stored["0003"]["address"] is None and stored["0004"]["head_name"] == "钱七"
    assert stored["0001"]["phone"] == "13812345678"  # untouched columns keep their values


def test_columns_missing_from_the_file_keep_their_stored_values(xdb, tmp_path, db_rows):
    path = tmp_path / "hh.csv"
    path.write_text("村/社区,户号,户主姓名\n新尚村社区,0001,王大明\n新尚村社区,0002,李晓红\n", encoding="utf-8")
    result = xl.import_file(xdb, path)
    assert result.ok and (result.new, result.changed, result.unchanged) == (0, 1, 1)
    stored = {r["number"]: r for r in db_rows(xdb, "household", region_id=xdb.places["新尚村社区"])}
    assert stored["0001"]["head_id_number"] == "34052419800101001X" and stored["0001"]["members"] == 4
    assert stored["0002"]["head_name"] == "李晓红" and stored["0002"]["members"] == 2


def test_libreoffice_saved_template_round_trips(xdb, tmp_path, soffice, db_rows):
    out = xl.write_template_for(xdb, "xltest_ledger", region="新尚村社区", period="2010Q4", out=tmp_path / "t.xlsx")
    fill_ledger(out, NEW_ROWS)
    converted = soffice(out, tmp_path / "lo")  # opened and saved again by LibreOffice Calc
    wb = openpyxl.load_workbook(converted)
    assert wb["_shequ"].sheet_state == "hidden"  # metadata survives another program
    assert any(dv.formula1 == '"收入,支出"' for dv in wb["测试台账"].data_validations.dataValidation)
    result = xl.import_file(xdb, converted, today=TODAY)
    assert result.ok, result.report_lines()
    assert result.new == 3
    rows = {r["item"]: r for r in db_rows(xdb, "xltest_ledger")}
    assert rows["道路维修"]["amount_fen"] == 123450 and rows["上级补助"]["amount_fen"] == 24_800_000


def test_libreoffice_csv_to_xlsx_with_title_row(xdb, tmp_path, soffice, db_rows):
    src = tmp_path / "ledger.csv"
    src.write_bytes(("新尚村社区2010年第四季度财务公开\n"
                     "村/社区,期间,事项,收支,金额(元),日期\n"
                     "新尚村社区,2010年第四季度,修水渠,支出,\"3,500.00\",2010/12/31\n"
                     "新尚村社区,2010Q4,卖鱼塘承包,收入,1.2万元,2010年11月5日\n").encode("gb18030"))
    converted = soffice(src, tmp_path / "lo", infilter="Text - txt - csv (StarCalc):44,34,85")  # 85: GB18030 in LibreOffice's numbering
    result = xl.import_file(xdb, converted, today=TODAY)
    assert result.ok, result.report_lines()
    rows = {r["item"]: r for r in db_rows(xdb, "xltest_ledger")}
    assert rows["修水渠"]["amount_fen"] == 350000 and rows["卖鱼塘承包"]["amount_fen"] == 1_200_000
    assert rows["修水渠"]["period"] == "2010Q4" and rows["卖鱼塘承包"]["direction"] == "income"


def test_every_registered_table_round_trips_on_the_demo(demo, tmp_path):
    """Each plugin's tables work through the same mechanism: a template of the stored rows imports
    back as all-unchanged (no per-plugin code)."""
    from shequ_sdk import Period

    checked = 0
    for item in xl.table_catalogue():
        for region in ("新尚村社区", "宜城市"):
            with demo.transaction() as s:
                stored = xl.select_rows(s, xl.resolve_table_name(item["key"]), region=demo.region(region), period=Period.parse("2010"),
                                        exact_region=True)
            if not stored:
                continue  # nothing stored for that place and year
            out = xl.write_template_for(demo, item["key"], region=region, period="2010", out=tmp_path / f"{item['key']}_{region}.xlsx")
            result = xl.import_file(demo, out, dry_run=True)
            assert result.ok, (item["key"], region, result.report_lines()[:5])
            assert result.unchanged == len(stored)
            assert (result.new, result.changed) == (0, 0), (item["key"], [p.text() for p in result.plan if p.action != "unchanged"][:3])
            checked += 1
    assert checked >= 20  # the core tables and every plugin's tables that the demo fills
