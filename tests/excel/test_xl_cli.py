"""The commands: ``shequ template``, ``import`` (dry run, idempotence, exit codes), ``tables``."""

from __future__ import annotations

import json

import openpyxl

from shequ_sdk.excel.template import FIRST_DATA_ROW, HEADER_ROW


def test_template_fill_dry_run_import_and_reimport(xdb, cli, tmp_path, table_dump):
    out = tmp_path / "户.xlsx"
    code, o, e = cli("template", "--db", xdb.url, "--table", "户", "--region", "新尚村社区", "--period", "2010", "--out", str(out))
    assert code == 0, e
    wb = openpyxl.load_workbook(out)
    ws = wb["户"]
    h = {ws.cell(HEADER_ROW, j).value: j for j in range(1, ws.max_column + 1)}
    r = FIRST_DATA_ROW + 3
    ws.cell(r, h["户号"], "0004")
    ws.cell(r, h["户主姓名"], "钱七")
    ws.cell(FIRST_DATA_ROW + 1, h["人口数"], 5)  # 0002: 2 → 5
    wb.save(out)
    before = table_dump(xdb)

    code, o, e = cli("import", "--db", xdb.url, str(out), "--dry-run")
    assert code == 0, e
    assert "新增 / new：1 行" in o and "修改 / changed：1 行" in o and "不变 / unchanged：2 行" in o
    assert "户号=0004" in o and "人口数 2 → 5" in o
    assert "试运行（未写入）将新增 1 行，修改 1 行，不变 2 行" in o
    assert table_dump(xdb) == before

    code, o, e = cli("import", "--db", xdb.url, str(out))
    assert code == 0, e
    assert "已导入，新增 1 行，修改 1 行，不变 2 行" in o
    after = table_dump(xdb)
    code, o, e = cli("import", "--db", xdb.url, str(out))
    assert code == 0 and "新增 0 行，修改 0 行，不变 4 行" in o
    assert table_dump(xdb) == after

    code, o, e = cli("import", "--db", xdb.url, str(out), "--dry-run", "--json")
    data = json.loads(o)
    assert data["ok"] and data["unchanged"] == 4 and {p["action"] for p in data["plan"]} == {"unchanged"}


def test_import_refusal_lists_every_problem(xdb, cli, tmp_path, table_dump):
    path = tmp_path / "bad.csv"
    path.write_text("村/社区,户号,户主姓名,人口数,联系电话\n"
                    "新尚村社区,0101,甲,三,\n"
                    "无名村,0102,乙,2,\n"
                    "新尚村社区,0103,,2,12345\n", encoding="gb18030")
    before = table_dump(xdb)
    code, o, e = cli("import", "--db", xdb.url, str(path))
    assert code == 2
    lines = e.strip().splitlines()
    assert lines[0].startswith("错误 / error: bad.csv：发现 4 个问题") and "nothing was written" in lines[0]
    body = "\n".join(lines[1:])
    assert "第 2 行，列「人口数」（D列），值「三」：应为整数" in body
    assert "第 3 行，列「村/社区」（A列），值「无名村」：找不到地区" in body
    assert "第 4 行，列「户主姓名」（C列）：必填，不能为空" in body
    assert "第 4 行，列「联系电话」（E列），值「12345」：电话号码格式不正确" in body
    assert table_dump(xdb) == before


def test_template_errors_are_one_line(xdb, cli, tmp_path):
    code, o, e = cli("template", "--db", xdb.url, "--table", "household", "--region", "不存在村", "--period", "2010", "--out", str(tmp_path / "x.xlsx"))
    assert code == 2 and "找不到地区" in e and "Traceback" not in e
    code, o, e = cli("template", "--db", xdb.url, "--table", "household", "--region", "新尚村社区", "--period", "2010", "--out", str(tmp_path / "x.csv"))
    assert code == 2 and ".xlsx" in e


def test_tables_command_lists_natural_keys(xdb, cli):
    code, o, e = cli("tables", "--json")
    assert code == 0
    items = {t["key"]: t for t in json.loads(o)}
    assert items["household"]["natural_key"] == ["region_id", "number"] and items["household"]["natural_key_zh"] == ["村/社区", "户号"]
    assert items["xltest_ledger"]["natural_key_zh"] == ["村/社区", "期间", "事项"] and items["xltest_ledger"]["plugin"] == "xltest"
    assert "经手人" in items["xltest_ledger"]["sensitive_columns"]
    code, o, e = cli("tables", "--markdown")
    assert code == 0 and "| `household` | 户 | core | village | 村/社区、户号 | region_id, number | — |" in o
