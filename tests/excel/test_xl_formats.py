"""Every accepted format and quirk: CSV encodings, title rows, trailing blanks, full-width
characters, money with separators and units, date spellings and Excel serials, loose headers,
regions by name, path or code, choices by label, tables detected from headers."""

from __future__ import annotations

import codecs
import datetime as dt
from decimal import Decimal

import openpyxl
import pytest

from shequ_sdk import spreadsheets as xl
from shequ_sdk.excel.cells import (CellError, clean_text, neutralise, parse_bool, parse_date, parse_money_fen, parse_period,
                                   unneutralise)
from shequ_sdk.excel.reading import FileRefused, detect_encoding

TODAY = dt.date(2011, 3, 31)
LEDGER_CSV = (
    "村/社区,期间,事项,收支,金额(元),日期,科目,已审核\n"
    "新尚村社区,2010Q4,修水渠,支出,\"3,500.00\",2010-12-31,维修费,是\n"
    "新尚村社区,2010年第四季度,鱼塘承包,收入,1.2万元,2010年11月5日,发包及上交收入,否\n"
)


# -- cell parsers ------------------------------------------------------------------------------------

@pytest.mark.parametrize("cell,fen", [
    (1234.5, 123450), (248000, 24_800_000), ("1,234.50", 123450), ("１２３４．５", 123450), ("¥1234.5", 123450),
    ("￥ 1 234.50", 123450), ("1234.5元", 123450), ("24.8万元", 24_800_000), ("24.8万", 24_800_000), ("(12.00)", -1200),
    ("-5", -500), ("0", 0), (123.45000000000002, 12345), ("1，234", 123400), (Decimal("7.10"), 710),
])
def test_money_cells(cell, fen):
    assert parse_money_fen(cell) == fen


def test_money_scale_from_header_and_bad_money():
    assert parse_money_fen(24.8, scale=10000) == 24_800_000
    for bad in ("12.345", "一百元", "12元5角", "abc", True):
        with pytest.raises(CellError):
            parse_money_fen(bad)


@pytest.mark.parametrize("cell", ["2010-12-31", "2010/12/31", "2010.12.31", "2010年12月31日", "２０１０年１２月３１日", "20101231",
                                  40543, 40543.0, "40543", dt.datetime(2010, 12, 31, 0, 0), dt.date(2010, 12, 31), "2010-12-31 08:30:00"])
def test_date_cells(cell):
    assert parse_date(cell) == dt.date(2010, 12, 31)


def test_bad_dates():
    for bad in ("2010-02-30", "昨天", "12/31/2010", 0, True):
        with pytest.raises(CellError):
            parse_date(bad)


@pytest.mark.parametrize("cell,expected", [("2010Q4", "2010Q4"), ("2010年第4季度", "2010Q4"), ("2010年第四季度", "2010Q4"),
                                           ("２０１０Ｑ４", "2010Q4"), ("2010-Q4", "2010Q4"), ("2010 Q4", "2010Q4")])
def test_period_cells(cell, expected):
    assert str(parse_period(cell, "quarter")) == expected


def test_period_of_wrong_kind_is_refused():
    with pytest.raises(CellError, match="季度"):
        parse_period("2010", "quarter")


def test_text_cells_and_bools():
    assert clean_text("　０００１　") == "0001"  # ideographic spaces and full-width digits in an identifier
    assert clean_text("新尚路３号，东头") == "新尚路３号，东头"  # prose keeps its characters
    assert clean_text(12.0) == "12" and clean_text("   ") is None
    assert [parse_bool(x) for x in ("是", "否", "Y", "n", 1, 0, "√", "×", True)] == [True, False, True, False, True, False, True, False, True]
    with pytest.raises(CellError):
        parse_bool("也许")


def test_neutralise_and_back():
    for text in ("=1+2", "+86 138", "-5", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(text) == "'" + text
        assert unneutralise(neutralise(text)) == text
    assert neutralise("正常文字") == "正常文字" and neutralise(-5) == -5 and neutralise("'quoted") == "'quoted"


# -- encodings ----------------------------------------------------------------------------------------

def test_encoding_detection():
    text = "村/社区,户号\n新尚村社区,0001\n"
    assert detect_encoding(text.encode("utf-8")) == ("utf-8", text)
    assert detect_encoding(codecs.BOM_UTF8 + text.encode("utf-8")) == ("utf-8-sig", text)
    assert detect_encoding(text.encode("gbk")) == ("gb18030", text)
    assert detect_encoding(text.encode("gb18030")) == ("gb18030", text)
    assert detect_encoding(text.encode("utf-16")) == ("utf-16", text)
    mixed = "村/社区,户号\n".encode("utf-8") + "新尚村社区,0001\n".encode("gbk")
    with pytest.raises(FileRefused, match="混用"):
        detect_encoding(mixed)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"])
def test_csv_in_each_encoding_imports(xdb, tmp_path, encoding, db_rows):
    path = tmp_path / f"ledger-{encoding}.csv"
    path.write_bytes(LEDGER_CSV.encode(encoding))
    result = xl.import_file(xdb, path, today=TODAY)
    assert result.ok, result.report_lines()
    assert result.encoding == {"gbk": "gb18030", "utf-16": "utf-16"}.get(encoding, encoding)
    rows = {r["item"]: r for r in db_rows(xdb, "xltest_ledger")}
    assert rows["修水渠"]["amount_fen"] == 350_000 and rows["鱼塘承包"]["amount_fen"] == 1_200_000
    assert rows["鱼塘承包"]["period"] == "2010Q4" and rows["鱼塘承包"]["direction"] == "income"
    assert rows["修水渠"]["category"] == "c17" and rows["修水渠"]["verified"] is True


# -- layout quirks --------------------------------------------------------------------------------------

def test_title_row_trailing_blanks_fullwidth_and_loose_headers(xdb, tmp_path, db_rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "四季度"
    ws.append(["新尚村社区2010年第四季度财务公开"])
    ws.append([])
    ws.append(["  村 / 社区 ", "期　间", "事项", "收 支", "金额（万元）", "日期", None, None, "序号"])
    ws.append(["新尚村社区", "２０１０Ｑ４", "　修水渠　", "支出", "０．３５", 40543, None, None, 1])
    ws.append(["430921100001", "2010Q4", "鱼塘承包", "income", 1.2, "2010/11/5", None, None, 2])
    ws.append(["南县/茅草街镇/新尚村社区", "2010Q4", "村部水电", "支出", "0.0123", "2010.10.01", None, None, 3])
    for _ in range(5):
        ws.append([None, None, "", "   "])
    ws.cell(20, 12, None)  # a formatted-but-empty far cell
    path = tmp_path / "loose.xlsx"
    wb.save(path)
    result = xl.import_file(xdb, path, today=TODAY)
    assert result.ok, result.report_lines()
    assert result.new == 3
    rows = {r["item"]: r for r in db_rows(xdb, "xltest_ledger")}
    assert set(rows) == {"修水渠", "鱼塘承包", "村部水电"}  # trimmed
    assert rows["修水渠"]["amount_fen"] == 350_000 and rows["鱼塘承包"]["amount_fen"] == 1_200_000 and rows["村部水电"]["amount_fen"] == 12_300
    assert {r["region_id"] for r in rows.values()} == {xdb.places["新尚村社区"]}  # by name, by code and by path
    assert str(rows["修水渠"]["entry_date"])[:10] == "2010-12-31"  # Excel serial 40543


def test_fill_in_region_and_period_above_the_header(xdb, tmp_path, db_rows):
    path = tmp_path / "fillin.csv"
    path.write_text("南洲村财务公开\n村/社区：南洲村,,期间,2010Q3\n事项,收支,金额,日期\n卖树苗,收入,800,2010-08-01\n", encoding="utf-8")
    result = xl.import_file(xdb, path, today=TODAY)
    assert result.ok, result.report_lines()
    row = db_rows(xdb, "xltest_ledger")[0]
    assert row["region_id"] == xdb.places["南洲村"] and row["period"] == "2010Q3" and row["amount_fen"] == 80_000


def test_region_and_period_from_the_command_line_defaults(xdb, tmp_path, db_rows):
    path = tmp_path / "bare.csv"
    path.write_text("事项,收支,金额,日期\n卖树苗,收入,800,2010-08-01\n", encoding="utf-8")
    missing = xl.import_file(xdb, path, today=TODAY)
    assert not missing.ok and "未指定地区" in missing.report_lines()[0]
    result = xl.import_file(xdb, path, region="南洲村", period="2010Q3", today=TODAY)
    assert result.ok, result.report_lines()
    assert db_rows(xdb, "xltest_ledger")[0]["period"] == "2010Q3"


def test_table_detected_from_headers_or_forced(xdb, tmp_path, db_rows):
    path = tmp_path / "hh.csv"
    path.write_text("序号,村/社区,户号,户主姓名,人口数\n1,南洲村,0002,孙八,5\n", encoding="utf-8")
    result = xl.import_file(xdb, path)
    assert result.ok and result.sheets[0].table == "household"
    forced = xl.import_file(xdb, path, table="户", dry_run=True)
    assert forced.ok and forced.unchanged == 1
    wrong = xl.import_file(xdb, path, table="xltest_ledger")
    assert not wrong.ok and "表头" in wrong.report_lines()[0]


def test_household_foreign_key_and_choice_by_label(xdb, tmp_path, db_rows):
    path = tmp_path / "fk.csv"
    path.write_text("村/社区,期间,事项,收支,金额,日期,相关户,科目\n"
                    "新尚村社区,2010Q4,慰问,支出,200,2010-12-01,0003,优抚救济\n", encoding="utf-8")
    result = xl.import_file(xdb, path, today=TODAY)
    assert result.ok, result.report_lines()
    hh = db_rows(xdb, "household", number="0003", region_id=xdb.places["新尚村社区"])[0]
    row = db_rows(xdb, "xltest_ledger")[0]
    assert row["household_id"] == hh["id"] and row["category"] == "c19"


def test_multi_sheet_workbook_imports_every_sheet_in_one_transaction(xdb, tmp_path, db_rows):
    wb = openpyxl.Workbook()
    a = wb.active
    a.title = "户"
    a.append(["村/社区", "户号", "户主姓名"])
    a.append(["南洲村", "0009", "周九"])
    b = wb.create_sheet("台账")
    b.append(["村/社区", "期间", "事项", "收支", "金额", "日期", "相关户"])
    b.append(["南洲村", "2010Q4", "慰问周九", "支出", 100, "2010-12-01", "0009"])  # refers to the household of the other sheet
    path = tmp_path / "two.xlsx"
    wb.save(path)
    result = xl.import_file(xdb, path, today=TODAY)
    assert result.ok, result.report_lines()
    assert [(s.table, s.new) for s in result.sheets] == [("household", 1), ("xltest_ledger", 1)]
    hh = db_rows(xdb, "household", number="0009")[0]
    assert db_rows(xdb, "xltest_ledger")[0]["household_id"] == hh["id"]


def test_tab_separated_and_semicolon_files(xdb, tmp_path):
    for sep, name in (("\t", "t.tsv"), (";", "s.csv")):
        path = tmp_path / name
        path.write_text(sep.join(["村/社区", "户号", "户主姓名"]) + "\n" + sep.join(["南洲村", f"00{len(name)}1", "某某"]) + "\n", encoding="utf-8")
        result = xl.import_file(xdb, path)
        assert result.ok, (name, result.report_lines())


def test_header_only_template_is_not_an_empty_success(xdb, tmp_path):
    out = xl.write_template_for(xdb, "xltest_ledger", region="新尚村社区", period="2010Q4", out=tmp_path / "t.xlsx")
    result = xl.import_file(xdb, out, today=TODAY)
    assert not result.ok and "没有数据行" in result.problems[0].message_zh


def test_money_header_units(xdb, tmp_path, db_rows):
    """元 by default; 万元, 分 or the raw *_fen column name in the header set the unit."""
    path = tmp_path / "units.csv"
    path.write_text("村/社区,期间,事项,收支,日期,金额(分)\n新尚村社区,2010Q4,甲,支出,2010-12-01,12345\n", encoding="utf-8")
    assert xl.import_file(xdb, path, today=TODAY).ok
    path.write_text("村/社区,期间,事项,收支,日期,amount_fen\n新尚村社区,2010Q4,乙,支出,2010-12-01,500\n", encoding="utf-8")
    assert xl.import_file(xdb, path, today=TODAY).ok
    path.write_text("村/社区,期间,事项,收支,日期,Amount (yuan)\n新尚村社区,2010Q4,丙,支出,2010-12-01,5\n", encoding="utf-8")
    assert xl.import_file(xdb, path, today=TODAY).ok
    fen = {r["item"]: r["amount_fen"] for r in db_rows(xdb, "xltest_ledger")}
    assert fen == {"甲": 12345, "乙": 500, "丙": 500}
