"""The broken-file corpus (tests/excel/broken, written by make_broken.py): every file is refused
with a clear message at the right sheet row and column, and the database is left unchanged —
on SQLite and PostgreSQL, through the API and through the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import openpyxl

from shequ_sdk import spreadsheets as xl

HERE = Path(__file__).resolve().parent
BROKEN = HERE / "broken"
MANIFEST = json.loads((BROKEN / "manifest.json").read_text(encoding="utf-8"))
FILES = sorted(MANIFEST)
# a representative subset for the (slower) CLI runs: one of each family
CLI_SUBSET = ["empty.csv", "truncated.xlsx", "report.pdf.xlsx", "mixed_encoding.csv", "too_big.csv", "missing_required_column.csv",
              "wrong_type_int.csv", "negative_amount.csv", "absurd_amount.csv", "unknown_village.csv", "future_period.csv",
              "duplicate_keys.csv", "one_bad_row_at_the_end.csv", "wrong_total.csv", "nul_after_8k.csv", "hidden_voided_voucher.xlsx"]


def test_corpus_is_current_and_large_enough():
    """The committed files are what make_broken.py writes, and cover at least 30 cases."""
    assert len(FILES) >= 30
    assert all((BROKEN / f).exists() for f in FILES)
    source = (HERE / "make_broken.py").read_text(encoding="utf-8")
    for name in FILES:
        assert f'"{name}"' in source, f"{name} is not produced by make_broken.py"


def test_every_broken_file_is_refused_and_nothing_changes(xdb, table_dump):
    before = table_dump(xdb)
    failures = []
    for name in FILES:
        case = MANIFEST[name]
        result = xl.import_file(xdb, BROKEN / name, max_bytes=case.get("max_bytes"), region=case.get("region"))
        lines = result.report_lines()
        if result.ok or result.written:
            failures.append(f"{name}: accepted ({result.summary()})")
            continue
        if not any(case["expect"] in line for line in lines):
            failures.append(f"{name}: expected {case['expect']!r} in {lines[:3]}")
            continue
        if case["row"] is not None:
            hits = [p for p in result.problems if case["expect"] in p.message_zh or case["expect"] in problem_text(p)]
            if not any(p.row == case["row"] and (case["column"] is None or p.extra.get("column") == case["column"]) for p in hits):
                failures.append(f"{name}: expected row {case['row']} column {case['column']!r}, got "
                                f"{[(p.row, p.extra.get('column')) for p in hits]}")
        for line in lines:
            if " / " not in line:  # Chinese and English on every line
                failures.append(f"{name}: one-language line {line!r}")
    assert not failures, "\n".join(failures)
    assert table_dump(xdb) == before


def problem_text(p) -> str:
    return xl.problem_line(p)


def test_cli_refuses_with_exit_2_summary_and_report(xdb, cli, table_dump, tmp_path):
    before = table_dump(xdb)
    for name in CLI_SUBSET:
        case = MANIFEST[name]
        report = tmp_path / f"{name}.report.xlsx"
        args = ["import", "--db", xdb.url, str(BROKEN / name), "--report-xlsx", str(report)]
        if case.get("max_bytes"):
            args += ["--max-bytes", str(case["max_bytes"])]
        code, out, err = cli(*args)
        assert code == 2, (name, out, err)
        lines = err.strip().splitlines()
        assert lines[0].startswith("错误 / error:") and "未写入任何数据" in lines[0] and "nothing was written" in lines[0], name
        assert any(case["expect"] in line for line in lines[1:]), (name, lines)
        assert "Traceback" not in err + out
        wb = openpyxl.load_workbook(report)
        assert wb.sheetnames[0] == "导入问题"
        assert any(case["expect"] in str(c.value) for row in wb["导入问题"].iter_rows() for c in row), name
    assert table_dump(xdb) == before


def test_annotated_copy_marks_the_cells(xdb, tmp_path):
    out = tmp_path / "annotated.xlsx"
    result = xl.import_file(xdb, BROKEN / "duplicate_across_sheets.xlsx", report_xlsx=out)
    assert not result.ok
    wb = openpyxl.load_workbook(out)
    ws = wb["二组"]
    cell = ws["B2"]  # 户号 of the duplicate row
    assert cell.fill.fgColor.rgb.endswith("FFC7CE") and "重复" in cell.comment.text
    assert ws["A1"].value == "村/社区" and ws["B2"].value == "0101"  # the data itself is kept
    problems = wb["导入问题"]
    assert [c.value for c in problems[1]] == ["工作表", "行", "列", "值", "问题", "Problem"]
    assert problems.cell(2, 1).value == "二组" and problems.cell(2, 2).value == 2 and problems.cell(2, 3).value.startswith("户号")


def test_annotated_copy_of_a_csv(xdb, tmp_path):
    out = tmp_path / "annotated.xlsx"
    result = xl.import_file(xdb, BROKEN / "wrong_type_int.csv", report_xlsx=out)
    assert not result.ok
    wb = openpyxl.load_workbook(out)
    data = wb["wrong_type_int"]
    bad = data["F3"]  # 人口数 of row 3
    assert bad.value == "三口" and bad.fill.fgColor.rgb.endswith("FFC7CE") and "应为整数" in bad.comment.text
    assert data["F2"].comment is None


def test_annotated_copy_neutralises_formula_like_values(xdb, tmp_path):
    path = tmp_path / "evil.csv"
    path.write_text("村/社区,户号,户主姓名,人口数\n新尚村社区,0101,=HYPERLINK(\"http://x\"),=1+1\n", encoding="utf-8")
    out = tmp_path / "annotated.xlsx"
    result = xl.import_file(xdb, path, report_xlsx=out)
    assert not result.ok
    wb = openpyxl.load_workbook(out)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)


def test_unreadable_file_still_gets_a_report(xdb, tmp_path):
    out = tmp_path / "r.xlsx"
    result = xl.import_file(xdb, BROKEN / "truncated.xlsx", report_xlsx=out)
    assert not result.ok
    wb = openpyxl.load_workbook(out)
    assert "已损坏" in wb["导入问题"].cell(2, 5).value


def test_size_limit_from_the_environment(xdb, tmp_path, monkeypatch):
    monkeypatch.setenv("SHEQU_IMPORT_MAX_BYTES", "4096")
    result = xl.import_file(xdb, BROKEN / "too_big.csv")
    assert not result.ok and "上限 4.0 KiB" in result.report_lines()[0]
    monkeypatch.setenv("SHEQU_IMPORT_MAX_BYTES", "1000000")
    assert xl.import_file(xdb, BROKEN / "too_big.csv", dry_run=True).ok


def test_amount_limit_is_configurable(xdb, tmp_path, monkeypatch):
    path = tmp_path / "ok.csv"
    path.write_text("村/社区,期间,事项,收支,金额,日期\n新尚村社区,2010Q4,修水渠,支出,350,2010-12-01\n", encoding="utf-8")
    assert xl.import_file(xdb, path, dry_run=True).ok
    monkeypatch.setenv("SHEQU_IMPORT_MAX_YUAN", "100")
    result = xl.import_file(xdb, path, dry_run=True)
    assert not result.ok and "超过 100 元的上限" in result.report_lines()[0]
    assert not xl.import_file(xdb, path, dry_run=True, max_yuan=300).ok and xl.import_file(xdb, path, dry_run=True, max_yuan=350).ok


def test_money_columns_hold_more_than_32_bits_on_every_backend(xdb, monkeypatch):
    """Money is 64-bit fen: 50亿元 passes once the plausibility limit allows it, on PostgreSQL too."""
    monkeypatch.setenv("SHEQU_IMPORT_MAX_YUAN", "10000000000")
    result = xl.import_file(xdb, BROKEN / "absurd_amount.csv")
    assert result.ok, result.report_lines()


def test_an_amount_beyond_the_limit_is_refused(xdb):
    result = xl.import_file(xdb, BROKEN / "absurd_amount.csv")
    assert not result.ok and "金额不合理" in result.report_lines()[0]


def test_cli_as_a_real_process_prints_no_traceback(xdb, tmp_path):
    script = Path(sys.executable).with_name("shequ")
    proc = subprocess.run([str(script), "import", "--db", xdb.url, str(BROKEN / "corrupt_sheet.xlsx")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "已损坏" in proc.stderr


def test_a_flood_of_problems_is_capped_but_still_refused(xdb, tmp_path, table_dump):
    path = tmp_path / "flood.csv"
    path.write_text("村/社区,户号,户主姓名,人口数\n" + "".join(f"新尚村社区,{9000 + i},某,很多\n" for i in range(800)), encoding="utf-8")
    before = table_dump(xdb)
    result = xl.import_file(xdb, path)
    assert not result.ok and result.truncated and len(result.problems) == 500
    assert "只列出前面部分" in result.summary()
    assert table_dump(xdb) == before
