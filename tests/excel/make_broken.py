"""Write the broken-file corpus in tests/excel/broken/ and its manifest.

Run ``python tests/excel/make_broken.py`` to regenerate. Every file must be refused by
``shequ import`` with the message fragment recorded in ``manifest.json`` (and, where given, at
the spreadsheet row and column recorded there), leaving the database unchanged. The files
target the places and tables of ``tests/excel/conftest.py``: 新尚村社区 and 南洲村, the core
``household`` table and the in-test ``xltest_ledger`` table (money, choices, date, quarter).
"""

from __future__ import annotations

import codecs
import io
import json
import zipfile
from pathlib import Path

import openpyxl

OUT = Path(__file__).resolve().parent / "broken"
HH = "村/社区,户号,户主姓名,户主身份证号,联系电话,人口数"
LEDGER = "村/社区,期间,事项,收支,金额(元),日期"
GOOD_HH = "新尚村社区,0101,周一,,13800000001,3"
GOOD_LEDGER = "新尚村社区,2010Q4,修水渠,支出,350.00,2010-12-01"

corpus: dict[str, dict] = {}


def text(name: str, body: str, expect: str, *, encoding: str = "utf-8", row: int | None = None, column: str | None = None, **extra) -> None:
    (OUT / name).write_bytes(body.encode(encoding))
    corpus[name] = {"expect": expect, "row": row, "column": column, **extra}


def raw(name: str, data: bytes, expect: str, **extra) -> None:
    (OUT / name).write_bytes(data)
    corpus[name] = {"expect": expect, "row": None, "column": None, **extra}


def book(name: str, sheets: dict[str, list[list]], expect: str, *, row: int | None = None, column: str | None = None,
         meta: dict | None = None, **extra) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
    if meta:
        ms = wb.create_sheet("_shequ")
        ms.sheet_state = "hidden"
        for k, v in meta.items():
            ms.append([k, v])
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    if name:
        (OUT / name).write_bytes(data)
        corpus[name] = {"expect": expect, "row": row, "column": column, **extra}
    return data


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for old in OUT.iterdir():
        old.unlink()

    # -- not a (readable) spreadsheet ---------------------------------------------------------------------
    raw("empty.csv", b"", "文件为空")
    raw("empty.xlsx", b"", "文件为空")
    raw("blank_lines.csv", b"\r\n  \r\n\t\r\n", "没有任何内容")
    raw("report.pdf.xlsx", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n", "不是表格文件：这是PDF")
    raw("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00", "PNG 图片")
    raw("binary.csv", bytes(range(256)) * 4, "二进制内容")
    raw("old_format.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, "不是 Excel 97-2003 (.xls) 表格")
    good = book("", {"户": [HH.split(","), GOOD_HH.split(",")]}, "")
    raw("truncated.xlsx", good[: len(good) // 2], "已损坏或不完整")
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(buf, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]  # cut mid-XML: the zip is fine, the sheet is not
            dst.writestr(item, data)
    raw("corrupt_sheet.xlsx", buf.getvalue(), "已损坏")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "not a workbook")
    raw("plain.zip.xlsx", buf.getvalue(), "不是 .xlsx 或 .ods 表格")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    raw("letter.docx.xlsx", buf.getvalue(), "Word 文档")
    big = HH + "\n" + "\n".join(f"新尚村社区,{9000 + i:04d},某某{i},,13800000001,3" for i in range(200)) + "\n"
    text("too_big.csv", big, "文件过大", max_bytes=4096)

    # -- encodings -----------------------------------------------------------------------------------------
    raw("mixed_encoding.csv", (HH + "\n").encode("utf-8") + (GOOD_HH + "\n").encode("gbk") + "新尚村社区,0102,吴二,,,2\n".encode("utf-8"), "混用")
    raw("bom_then_gbk.csv", codecs.BOM_UTF8 + (HH + "\n").encode("utf-8") + (GOOD_HH + "\n").encode("gbk"), "混用")

    # -- headers -------------------------------------------------------------------------------------------
    text("unknown_headers.csv", "姓名,年龄,爱好\n张三,30,下棋\n", "无法识别这是哪张数据表")
    text("missing_required_column.csv", "村/社区,户号,人口数\n新尚村社区,0101,3\n", "缺少必填列「户主姓名」", row=1, column="户主姓名")
    text("unknown_column.csv", HH + ",户主爱好\n" + GOOD_HH + ",下棋\n", "无法识别的列名", row=1, column="户主爱好")
    text("duplicate_column.csv", "村/社区,户号,户主姓名,户号\n新尚村社区,0101,周一,0101\n", "重复", row=1, column="户号")
    text("data_without_header.csv", "村/社区,户号,户主姓名,\n新尚村社区,0101,周一,多余\n", "有数据但没有列名", row=1)
    text("header_only.csv", HH + "\n", "没有数据行")

    # -- wrong types ---------------------------------------------------------------------------------------
    text("wrong_type_int.csv", f"{HH}\n{GOOD_HH}\n新尚村社区,0102,吴二,,,三口\n", "应为整数", row=3, column="人口数")
    text("wrong_type_date.csv", f"{LEDGER}\n新尚村社区,2010Q4,修水渠,支出,350,昨天\n", "应为日期", row=2, column="日期")
    text("impossible_date.csv", f"{LEDGER}\n新尚村社区,2010Q1,修水渠,支出,350,2010-02-30\n", "不是有效的日期", row=2, column="日期")
    text("money_in_words.csv", f"{LEDGER}\n新尚村社区,2010Q4,修水渠,支出,三百五十元,2010-12-01\n", "金额应为数字", row=2, column="金额(元)")
    text("sub_fen_amount.csv", f"{LEDGER}\n新尚村社区,2010Q4,修水渠,支出,350.125,2010-12-01\n", "两位小数", row=2, column="金额(元)")
    text("period_wrong_kind.csv", f"{LEDGER}\n新尚村社区,2010,修水渠,支出,350,2010-12-01\n", "期间应为季度", row=2, column="期间")
    text("bad_choice.csv", f"{LEDGER}\n新尚村社区,2010Q4,修水渠,借贷,350,2010-12-01\n", "不在可选范围", row=2, column="收支")
    text("bad_id_number.csv", f"{HH}\n新尚村社区,0101,周一,340524198001010013,,3\n", "校验位", row=2, column="户主身份证号")
    text("bad_phone.csv", f"{HH}\n新尚村社区,0101,周一,,12345,3\n", "电话号码格式不正确", row=2, column="联系电话")
    text("members_out_of_range.csv", f"{HH}\n新尚村社区,0101,周一,,,99\n", "不能大于", row=2, column="人口数")
    text("required_blank.csv", f"{HH}\n{GOOD_HH}\n新尚村社区,0102,,,,2\n", "必填", row=3, column="户主姓名")
    book("id_number_as_number.xlsx", {"户": [HH.split(","), ["新尚村社区", "0101", "周一", 3.40524198001010e17, None, 3]]},
         "保存成了数字", row=2, column="户主身份证号")
    book("error_cell.xlsx", {"户": [HH.split(","), ["新尚村社区", "0101", "周一", None, None, "#DIV/0!"]]}, "公式错误值 #DIV/0!", row=2, column="人口数")

    # -- amounts ---------------------------------------------------------------------------------------------
    text("negative_amount.csv", f"{LEDGER}\n{GOOD_LEDGER}\n新尚村社区,2010Q4,退款,支出,-100,2010-12-02\n", "金额不能为负数", row=3, column="金额(元)")
    text("absurd_amount.csv", f"{LEDGER}\n新尚村社区,2010Q4,修水渠,支出,\"5,000,000,000.00\",2010-12-01\n", "金额不合理", row=2, column="金额(元)")
    text("absurd_amount_wan.csv", "村/社区,期间,事项,收支,金额(万元),日期\n新尚村社区,2010Q4,修水渠,支出,20000,2010-12-01\n", "金额不合理",
         row=2, column="金额(万元)")

    # -- places and time ----------------------------------------------------------------------------------------
    text("unknown_village.csv", f"{HH}\n{GOOD_HH}\n不存在村,0102,吴二,,,2\n", "找不到地区", row=3, column="村/社区")
    text("township_for_village_table.csv", f"{HH}\n茅草街镇,0102,吴二,,,2\n", "只能登记在村/社区", row=2, column="村/社区")
    text("unknown_fillin_region.csv", "村/社区：不存在社区\n户号,户主姓名\n0101,周一\n", "表头上方填写的地区有误", row=1)
    text("future_date.csv", f"{LEDGER}\n新尚村社区,2010Q4,修水渠,支出,350,2099-01-01\n", "晚于今天", row=2, column="日期")
    text("future_period.csv", f"{LEDGER}\n新尚村社区,2099Q1,修水渠,支出,350,2010-12-01\n", "尚未开始", row=2, column="期间")
    text("unknown_household.csv", "村/社区,期间,事项,收支,金额,日期,相关户\n新尚村社区,2010Q4,慰问,支出,200,2010-12-01,9999\n",
         "找不到户号为「9999」的户", row=2, column="相关户")

    # -- duplicates and all-or-nothing ------------------------------------------------------------------------------
    text("duplicate_keys.csv", f"{HH}\n{GOOD_HH}\n新尚村社区,0102,吴二,,,2\n新尚村社区,0101,周一一,,,4\n", "与第 2 行重复", row=4, column="户号")
    text("duplicate_keys_fullwidth.csv", f"{HH}\n{GOOD_HH}\n新尚村社区,０１０１,周一,,,3\n", "与第 2 行重复", row=3, column="户号")
    book("duplicate_across_sheets.xlsx", {"一组": [HH.split(","), GOOD_HH.split(",")], "二组": [HH.split(","), GOOD_HH.split(",")]},
         "重复", row=2, column="户号")
    many = "\n".join(f"新尚村社区,{200 + i:04d},某{i},,13800000001,3" for i in range(60))
    text("one_bad_row_at_the_end.csv", f"{HH}\n{many}\n新尚村社区,0300,某某,,,0\n", "不能小于", row=62, column="人口数")
    text("gbk_with_bad_row.csv", f"{LEDGER}\n{GOOD_LEDGER}\n新尚村社区,2010Q4,修路,支出,-1,2010-12-03\n", "金额不能为负数",
         encoding="gb18030", row=3, column="金额(元)")

    # -- issue 12: files that would have been misfiled or crashed ------------------------------------------------
    text("wrong_total.csv", f"{LEDGER}\n{GOOD_LEDGER}\n新尚村社区,2010Q4,买水泥,支出,80.25,2010-12-02\n合计,,,,430.00,\n",
         "合计与各行之和不符", row=4, column="金额(元)")
    text("nul_after_8k.csv", HH + "\n" + "".join(f"新尚村社区,{3000 + i:04d},某{i},,13800000001,3\n" for i in range(300))
         + "新尚村社区,3999,坏\x00名,,,3\n", "含有空字符")
    text("region_contradicts_option.csv", f"{HH}\n南洲村,0401,钱一,,,3\n", "不一致", row=2, column="村/社区", region="新尚村社区")
    hidden = openpyxl.Workbook()
    ws = hidden.active
    ws.title = "台账"
    for r in (LEDGER.split(","), GOOD_LEDGER.split(","), ["新尚村社区", "2010Q4", "作废凭证", "支出", 9999, "2010-12-02"]):
        ws.append(r)
    ws.row_dimensions[3].hidden = True
    buf = io.BytesIO()
    hidden.save(buf)
    raw("hidden_voided_voucher.xlsx", buf.getvalue(), "隐藏的行含有数据：第 3 行")
    book("bad_yyyymmdd.xlsx", {"台账": [LEDGER.split(","), ["新尚村社区", "2010Q4", "修水渠", "支出", 350, 20101314]]},
         "不是有效的日期", row=2, column="日期")

    # -- templates ---------------------------------------------------------------------------------------------
    book("template_unknown_table.xlsx", {"数据": [["标题"], ["村/社区", "新尚村社区"], ["户号", "户主姓名"], ["0101", "周一"]]},
         "未安装", meta={"format": "shequ-template", "table": "nosuch_table", "sheet": "数据"})
    book("template_bad_period.xlsx", {"测试台账": [["标题"], ["村/社区", "新尚村社区", "期间", "第五季度"],
                                                LEDGER.split(","), ["新尚村社区", None, "修水渠", "支出", 350, "2010-12-01"]]},
         "期间无法识别", row=2, meta={"format": "shequ-template", "table": "xltest_ledger", "sheet": "测试台账"})

    (OUT / "manifest.json").write_text(json.dumps(corpus, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {len(corpus)} broken files to {OUT}")


if __name__ == "__main__":
    main()
