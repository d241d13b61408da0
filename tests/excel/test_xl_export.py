"""Exports: Chinese headers, choice labels, 元, masked personal data, and formula injection made
inert — in .xlsx and CSV, through the API, the CLI and the reusable safe_frame / to_*_bytes."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest

from shequ_sdk import spreadsheets as xl

EVIL = ["=HYPERLINK(\"http://evil.example/\",\"点我\")", "+1+1", "-2+3", "@SUM(1,2)", "\tcmd", "\r=1"]


@pytest.fixture
def ledger(xdb):
    rid = xdb.places["新尚村社区"]
    rows = [{"region_id": rid, "period": "2010Q4", "item": f"事项{i}", "direction": "expense", "amount_fen": 123450 + i,
             "entry_date": dt.date(2010, 12, 1), "note": evil, "handler_name": "王五", "handler_phone": "13912345678",
             "handler_id_number": "34052419800101001X", "verified": i % 2 == 0, "category": "c17"} for i, evil in enumerate(EVIL)]
    rows.append({"region_id": xdb.places["南洲村"], "period": "2010Q3", "item": "南洲事项", "direction": "income", "amount_fen": 5,
                 "entry_date": dt.date(2010, 8, 1)})
    xdb.write("xltest_ledger", rows)
    return xdb


def all_cells(wb):
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            yield from row


def test_xlsx_export_is_labelled_masked_and_inert(ledger, tmp_path):
    data = xl.export_bytes(ledger, "xltest_ledger", region="茅草街镇", period="2010Q4", fmt="xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.active
    assert ws.title == "测试台账" and "测试台账" in ws["A1"].value
    header = [c.value for c in ws[2]]
    assert header[:6] == ["村/社区", "期间", "事项", "收支", "金额（元）", "日期"]
    rows = [dict(zip(header, [c.value for c in r])) for r in ws.iter_rows(min_row=3)]
    assert len(rows) == len(EVIL)  # the township's village only, 2010Q4 only
    first = rows[0]
    assert first["村/社区"] == "新尚村社区" and first["收支"] == "支出" and first["科目"] == "维修费" and first["已审核"] == "是"
    assert first["金额（元）"] == 1234.5 and ws.cell(3, header.index("金额（元）") + 1).number_format == "#,##0.00"
    assert first["经手人"] == "王*" and first["经手人电话"] == "139****5678" and first["经手人身份证号"] == "340524********001X"
    notes = [r["备注"] for r in rows]
    assert notes == [xl.neutralise(e.strip()) for e in EVIL]  # the write path trims tab and CR; the rest get the apostrophe
    assert notes[:4] == ["'" + e for e in EVIL[:4]] and notes[5] == "'=1"
    assert not any(c.data_type == "f" for c in all_cells(wb))
    assert "王五" not in str([c.value for c in all_cells(wb)]) and "13912345678" not in str([c.value for c in all_cells(wb)])


def test_csv_export(ledger):
    data = xl.export_bytes(ledger, "xltest_ledger", fmt="csv")
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel on Chinese Windows reads it as UTF-8
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == len(EVIL) + 1
    by_item = {r["事项"]: r for r in rows}
    assert by_item["事项0"]["金额（元）"] == "1234.50" and by_item["南洲事项"]["金额（元）"] == "0.05"
    assert by_item["事项0"]["经手人"] == "王*" and by_item["事项0"]["备注"] == "'" + EVIL[0]
    assert by_item["事项2"]["备注"] == "'-2+3"
    for r in rows:
        for v in r.values():
            assert not v.startswith(("=", "+", "-", "@", "\t", "\r")), v
    gbk = xl.export_bytes(ledger, "xltest_ledger", fmt="csv", encoding="gb18030")
    assert gbk.decode("gb18030").startswith("村/社区,期间")


def test_safe_frame_for_any_frame():
    df = pd.DataFrame({"户主姓名": ["张三丰", None], "户主身份证号": ["34052419800101001X", "nan"], "联系电话": ["13812345678", None],
                       "说明": ["=1+2", "普通"], "人口数": [-3, 4]})
    safe = xl.safe_frame(df, table="household")
    assert safe["户主姓名"][0] == "张**" and pd.isna(safe["户主姓名"][1])
    assert safe["户主身份证号"][0] == "340524********001X" and safe["联系电话"][0] == "138****5678"
    assert safe["说明"].tolist() == ["'=1+2", "普通"]
    assert safe["人口数"].tolist() == [-3, 4]  # numbers are data, not formulas
    assert df["户主姓名"][0] == "张三丰"  # the input is not modified
    # no table given: any column some registered table marks sensitive is masked (field names too)
    loose = xl.safe_frame(pd.DataFrame({"head_name": ["李四"], "phone": ["13912345678"], "备注": ["@x"]}))
    assert loose["head_name"][0] == "李*" and loose["phone"][0] == "139****5678" and loose["备注"][0] == "'@x"


def test_to_xlsx_bytes_never_writes_formulas():
    df = pd.DataFrame({"名称": EVIL, "金额": [1.5] * len(EVIL)})
    wb = openpyxl.load_workbook(io.BytesIO(xl.to_xlsx_bytes(df, sheet_name="下载")))
    cells = list(all_cells(wb))
    assert not any(c.data_type == "f" for c in cells)
    assert wb.active.title == "下载" and wb.active["A2"].value == "'" + EVIL[0]
    parsed = list(csv.reader(io.StringIO(xl.to_csv_bytes(df).decode("utf-8-sig"))))
    assert [r[0] for r in parsed[1:]] == ["'" + e for e in EVIL]


def test_cli_export(ledger, cli, tmp_path):
    code, out, err = cli("export", "--db", ledger.url, "--table", "测试台账", "--format", "csv")
    assert code == 0, err
    assert out.splitlines()[0].startswith("村/社区,期间,事项") and "王*" in out and "王五" not in out
    target = tmp_path / "out" / "ledger.xlsx"
    code, out, err = cli("export", "--db", ledger.url, "--table", "xltest_ledger", "--region", "南洲村", "--format", "xlsx", "--out", str(target))
    assert code == 0, err
    ws = openpyxl.load_workbook(target).active
    assert ws.max_row == 3 and ws["C3"].value == "南洲事项"
    code, out, err = cli("export", "--db", ledger.url, "--table", "nosuch", "--format", "csv")
    assert code == 2 and "未知的数据表" in err and "Traceback" not in err
    code, out, err = cli("export", "--db", ledger.url, "--table", "household", "--format", "xlsx")
    assert code == 2 and "--out" in err
    code, out, err = cli("export", "--db", ledger.url, "--table", "household", "--period", "2010", "--format", "csv")
    assert code == 2 and "不能按期间导出" in err
