"""Every problem in one round: a row with a bad cell (or a value the field check refuses) still has
its row rules checked on its other cells, in an import report and in the write path itself, so
a user fixes everything at once instead of one round per kind of mistake."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from shequ_sdk import Problem, Rule, hookimpl
from shequ_sdk import spreadsheets as xl
from shequ_sdk.errors import BatchError
from shequ_sdk.records import validate_rows

TODAY = dt.date(2011, 3, 31)


def voided_note(row, ctx):
    if row.note and "作废" in row.note:
        yield Problem("备注写明作废的凭证不应登记", "a voided voucher is not entered", field="note", value=row.note)


def needs_amount(row, ctx):  # a rule that reads a field another check may have refused: it must not crash the round
    if row.amount_fen > 10_000_000 and not row.note:
        yield Problem("大额收支须写备注", "a large amount needs a note", field="note", value=None)


class RulesPlugin:
    @hookimpl
    def register_rules(self, register):
        register(Rule(key="xltest_rules.voided", label_zh="作废凭证", label_en="Voided voucher", table="xltest_ledger", check_row=voided_note))
        register(Rule(key="xltest_rules.large", label_zh="大额须备注", label_en="Large needs a note", table="xltest_ledger", check_row=needs_amount))


@pytest.fixture
def ruled(xdb, plugin_sandbox):
    plugin_sandbox.register_plugin(RulesPlugin(), name="xltest_rules")
    return xdb


def test_an_import_reports_the_bad_cell_and_the_row_rule_of_the_same_row_at_once(ruled, tmp_path, table_dump):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["村/社区", "期间", "事项", "收支", "金额(元)", "日期", "备注"])
    ws.append(["新尚村社区", "2010Q4", "修水渠", "支出", "三百", "2010-12-01", "已作废"])  # a bad cell and a rule, one row
    ws.append(["新尚村社区", "2010Q4", "买水泥", "支出", "350", "2010.12.2", "作废重开"])  # a rule alone
    ws.append(["新尚村社区", "2010Q4", "修路", "支出", "1,200.50元", "2010年12月3日", None])  # fine
    path = tmp_path / "one-round.xlsx"
    wb.save(path)
    before = table_dump(ruled)
    result = xl.import_file(ruled, path, today=TODAY)
    assert not result.ok
    found = sorted((p.row, p.field, p.message_zh) for p in result.problems)
    assert found == [(2, "amount_fen", "金额应为数字（元），如 1234.50、1,234.50 或 24.8万元"),
                     (2, "note", "备注写明作废的凭证不应登记"),
                     (3, "note", "备注写明作废的凭证不应登记")], found
    assert table_dump(ruled) == before  # nothing written


def test_the_write_path_checks_the_rules_on_the_fields_that_did_validate(ruled):
    region = ruled.places["新尚村社区"]
    row = {"region_id": region, "period": "2010Q4", "item": "修水渠", "direction": "支出", "amount_fen": -5,
           "entry_date": "2010-12-01", "note": "作废"}
    with ruled.transaction() as s:
        _, problems = validate_rows(s, "xltest_ledger", [row], today=TODAY)
    assert sorted((p.field, p.rule) for p in problems) == [("amount_fen", None), ("note", "xltest_rules.voided")]
    # a required field missing and a rule on another field: both, in one round; the rule that needs the
    # missing amount is quiet rather than broken
    missing = {k: v for k, v in row.items() if k != "amount_fen"}
    with pytest.raises(BatchError) as exc:
        ruled.write("xltest_ledger", [missing], today=TODAY)
    assert sorted((p.field, p.rule) for p in exc.value.problems) == [("amount_fen", None), ("note", "xltest_rules.voided")]
    assert not any("出错" in p.message_zh for p in exc.value.problems)

