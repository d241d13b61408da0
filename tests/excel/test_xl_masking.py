"""Masking follows the role into templates, and a mask never overwrites what it masks (issue 12,
findings 2 and 14): a template shows what the same user's API read would, with the masked columns
locked and noted; a masked template, export or record saved back keeps the stored values and says
so — on SQLite and PostgreSQL, through the SDK and the command line."""

from __future__ import annotations

import openpyxl
import pytest

from shequ_sdk import spreadsheets as xl
from shequ_sdk.auth import Actor
from shequ_sdk.errors import BatchError
from shequ_sdk.excel.template import FIRST_DATA_ROW, HEADER_ROW, NOTES_ROW

from .conftest import GOOD_ID

PASSWORD = "春耕秋收2010"


def _sheet(path, title: str = "户"):
    ws = openpyxl.load_workbook(path)[title]
    h = {ws.cell(HEADER_ROW, j).value: j for j in range(1, ws.max_column + 1) if ws.cell(HEADER_ROW, j).value}
    rows = {}
    for r in range(FIRST_DATA_ROW, ws.max_row + 1):
        number = ws.cell(r, h["户号"]).value
        if number:
            rows[number] = r
    return ws, h, rows


def _households(xdb) -> dict:
    from .conftest import rows_of

    return {r["number"]: r for r in rows_of(xdb, "household", region_id=xdb.places["新尚村社区"])}


def test_template_masks_what_the_role_may_not_read_and_locks_it(xdb, tmp_path):
    township = xdb.as_user(Actor("mc", "township", xdb.places["茅草街镇"]))
    out = xl.write_template_for(township, "household", region="新尚村社区", period="2010", out=tmp_path / "t.xlsx")
    ws, h, rows = _sheet(out)
    r = rows["0001"]
    assert ws.cell(r, h["户主身份证号"]).value == "340524********001X"
    assert ws.cell(r, h["联系电话"]).value == "138****5678"
    assert ws.cell(r, h["户主姓名"]).value == "王大明"  # township staff read names
    # the masked columns are read-only: locked cells on a protected sheet, and said so in the notes row
    assert ws.protection.sheet
    assert ws.cell(r, h["户主身份证号"]).protection.locked and ws.cell(r, h["联系电话"]).protection.locked
    assert not ws.cell(r, h["人口数"]).protection.locked and not ws.cell(r, h["户主姓名"]).protection.locked
    assert not ws.cell(FIRST_DATA_ROW + 10, h["户主身份证号"]).protection.locked  # a new row is typed in full
    assert not ws["B2"].protection.locked and not ws["D2"].protection.locked  # the region and period fill-ins
    assert "只读" in ws.cell(NOTES_ROW, h["户主身份证号"]).value and "只读" not in ws.cell(NOTES_ROW, h["人口数"]).value
    assert "打码" in ws.cell(HEADER_ROW, h["户主身份证号"]).comment.text

    analyst = xdb.as_user(Actor("an", "analyst"))
    ws, h, rows = _sheet(xl.write_template_for(analyst, "household", region="新尚村社区", period="2010", out=tmp_path / "a.xlsx"))
    assert ws.cell(rows["0001"], h["户主姓名"]).value == "王**"  # analysts read no name in clear

    village = xdb.as_user(Actor("xs", "village", xdb.places["新尚村社区"]))
    ws, h, rows = _sheet(xl.write_template_for(village, "household", region="新尚村社区", period="2010", out=tmp_path / "v.xlsx"))
    assert ws.cell(rows["0001"], h["户主身份证号"]).value == GOOD_ID and not ws.protection.sheet  # the committee's own register


def test_editing_a_masked_template_changes_only_what_was_edited(xdb, tmp_path):
    township = xdb.as_user(Actor("mc", "township", xdb.places["茅草街镇"]))
    out = xl.write_template_for(township, "household", region="新尚村社区", period="2010", out=tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(out)
    ws = wb["户"]
    _, h, rows = _sheet(out)
    ws.cell(rows["0001"], h["人口数"], 5)
    wb.save(out)
    before = _households(xdb)
    dry = xl.import_file(township, out, dry_run=True)
    assert dry.ok, dry.report_lines()
    assert (dry.new, dry.changed, dry.unchanged) == (0, 1, 2)
    plan = {p.row: p for p in dry.plan}
    assert plan[rows["0001"]].changes == [("人口数", 4, 5)]  # the masks are not changes
    assert plan[rows["0001"]].masked == ["户主身份证号", "联系电话"] and "打码值保持原值" in plan[rows["0001"]].text()
    assert dry.masked_kept == {"户主身份证号": 1, "联系电话": 1}
    assert "2 个打码值视为不变" in dry.summary() and "2 masked values kept" in dry.summary()
    done = xl.import_file(township, out)
    assert done.ok and done.changed == 1
    after = _households(xdb)
    assert after["0001"]["members"] == 5
    assert after["0001"]["head_id_number"] == GOOD_ID and after["0001"]["phone"] == "13812345678"
    assert {k: v for k, v in after["0002"].items()} == before["0002"]


def test_a_masked_export_imported_again_overwrites_nothing(xdb, tmp_path, cli, table_dump):
    path = tmp_path / "hh.xlsx"
    path.write_bytes(xl.export_bytes(xdb, "household", region="新尚村社区", fmt="xlsx"))
    cells = list(openpyxl.load_workbook(path).worksheets[0].iter_rows(values_only=True))
    header = next(row for row in cells if "户号" in row)
    first = next(row for row in cells if row[header.index("户号")] == "0001")
    assert first[header.index("户主姓名")] == "王**"  # exports are masked for everyone
    snapshot = table_dump(xdb)
    code, out, err = cli("import", str(path), "--db", xdb.url, "--dry-run")
    assert code == 0, err
    assert "不变 / unchanged：3 行" in out and "打码值视为不变" in out and "户主姓名 3" in out
    code, out, err = cli("import", str(path), "--db", xdb.url)
    assert code == 0, err
    assert "新增 0 行，修改 0 行，不变 3 行" in out and "5 个打码值视为不变" in out
    assert table_dump(xdb)["household"] == snapshot["household"]


def test_a_mask_that_is_not_the_stored_values_mask_is_refused(xdb, tmp_path):
    path = tmp_path / "hh.csv"
    path.write_text("村/社区,户号,户主姓名\n新尚村社区,0001,王**\n新尚村社区,0002,王**\n新尚村社区,0009,赵**\n", encoding="utf-8")
    result = xl.import_file(xdb, path)
    assert not result.ok
    lines = result.report_lines()
    assert any("第 3 行" in line and "「王**」是打码后的显示值" in line for line in lines), lines  # 0002 is 李小红
    assert any("第 4 行" in line and "「赵**」是打码后的显示值" in line for line in lines), lines  # a new row needs the real name
    assert not any("第 2 行" in line for line in lines)  # 王** masks 王大明: unchanged
    assert _households(xdb)["0002"]["head_name"] == "李小红"


def test_the_write_path_keeps_masked_values_for_every_caller(xdb):
    stored = _households(xdb)["0001"]
    record = xdb.record("household", stored["id"])  # masked, as every read
    assert record["head_id_number"] == "340524********001X"
    record["members"] = 6
    result = xdb.write("household", [record], mode="upsert")
    assert (result.updated, result.masked_count) == (1, 3) and sorted(result.masked) == ["head_id_number", "head_name", "phone"]
    after = _households(xdb)["0001"]
    assert after["members"] == 6 and after["head_id_number"] == GOOD_ID and after["head_name"] == "王大明" and after["phone"] == "13812345678"
    with pytest.raises(BatchError, match="打码后的显示值"):
        xdb.write("household", [{"region_id": xdb.places["新尚村社区"], "number": "0100", "head_name": "汪**"}])


def test_sensitive_tables_stay_masked_for_the_village_in_templates(demo, cli, tmp_path, monkeypatch):
    from shequ_sdk import auth

    from .conftest import rows_of

    stored = rows_of(demo, "family_planning_special_family")
    assert stored, "the demo registers special families"
    with demo.transaction() as s:
        from shequ_sdk.models import Region

        village = s.get(Region, stored[0]["region_id"])
        auth.add_user(s, "cw", role="village", region=village.name, password=PASSWORD)
    monkeypatch.setenv("SHEQU_PASSWORD", PASSWORD)
    year = str(stored[0]["registered_on"])[:4]
    out = tmp_path / "fp.xlsx"
    code, _, err = cli("template", "--table", "family_planning_special_family", "--region", village.name, "--period", year,
                       "--out", str(out), "--db", demo.url, "--user", "cw")
    assert code == 0, err
    wb = openpyxl.load_workbook(out)
    ws = wb.worksheets[0]
    h = {ws.cell(HEADER_ROW, j).value: j for j in range(1, ws.max_column + 1) if ws.cell(HEADER_ROW, j).value}
    names = [ws.cell(r, h["户主姓名"]).value for r in range(FIRST_DATA_ROW, ws.max_row + 1) if ws.cell(r, h["户主姓名"]).value]
    assert names and all("*" in n for n in names)
    assert ws.protection.sheet and ws.cell(FIRST_DATA_ROW, h["户主姓名"]).protection.locked
    # and the template imports back as it came: nothing changes
    code, out_text, err = cli("import", str(out), "--db", demo.url, "--user", "cw", "--dry-run")
    assert code == 0, err
    assert "新增 0 行，修改 0 行" in out_text and "打码值视为不变" in out_text


def test_the_entry_apps_template_download_is_masked_for_the_role(xdb):
    """下载模板 in the entry app goes through the same function as `shequ template`."""
    pytest.importorskip("panel")
    import io

    from shequ_sdk.ui import DataStore
    from shequ_sdk.ui.entry import ImportPanel

    township = xdb.as_user(Actor("mc", "township", xdb.places["茅草街镇"]))
    panel = ImportPanel(store=DataStore(sdk=township, region="新尚村社区", period="2010Q4"))
    panel.template_table.value = "household"
    ws = openpyxl.load_workbook(io.BytesIO(panel._template_bytes().getvalue()))["户"]
    h = {ws.cell(HEADER_ROW, j).value: j for j in range(1, ws.max_column + 1) if ws.cell(HEADER_ROW, j).value}
    shown = {ws.cell(r, h["户号"]).value: r for r in range(FIRST_DATA_ROW, FIRST_DATA_ROW + 3)}
    assert ws.cell(shown["0001"], h["户主身份证号"]).value == "340524********001X"
    assert ws.cell(shown["0001"], h["联系电话"]).value == "138****5678" and ws.protection.sheet
