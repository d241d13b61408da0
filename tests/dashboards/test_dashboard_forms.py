"""Data-entry forms generated from record metadata: widgets, yuan → fen, inline Chinese
errors from the write path, nothing saved until everything is valid, corrections, privacy
of stored values, and independent sessions."""

from __future__ import annotations

import datetime as dt

import panel as pn
import pytest

from shequ_sdk.ui import BatchForm, DataStore, EntryApp, RecordForm, yuan_to_fen
from shequ_sdk.ui.entry import entry_tables
from shequ_sdk.ui.forms import FieldValueError, field_label


def entry_store(sdk, village="新尚村社区", quarter="2010Q4") -> DataStore:
    return DataStore(sdk=sdk, region=village, period=quarter)


def ledger_count(sdk, village="新尚村社区") -> int:
    return len(sdk.frame("finance_ledger_entry", region=village))


def test_widgets_follow_the_metadata(demo_sdk):
    form = RecordForm(store=entry_store(demo_sdk), table="finance_ledger_entry")
    w = {name: fi.widget for name, fi in form.inputs.items()}
    assert "region_id" not in w and "id" not in w and "synthetic" not in w  # the village is fixed, ids are the SDK's
    assert isinstance(w["direction"], pn.widgets.Select)
    assert list(w["direction"].options) == ["（空）", "收入", "支出"] and w["direction"].options["支出"] == "expense"
    assert isinstance(w["amount_fen"], pn.widgets.TextInput) and w["amount_fen"].label == "金额（元） *"
    assert isinstance(w["entry_date"], pn.widgets.TextInput) and w["entry_date"].label == "记账日期 *"  # typed, read by shequ_sdk.values
    assert w["voucher_no"].label == "凭证号 *" and w["summary"].label == "摘要"
    assert w["chart_version"].value == "2004"  # the column's default is prefilled

    runs = RecordForm(store=entry_store(demo_sdk), table="sanitation_collection_run")
    assert isinstance(runs.inputs["sorted"].widget, (pn.widgets.Checkbox, pn.widgets.Select))
    assert isinstance(runs.inputs["amount_kg"].widget, pn.widgets.TextInput)  # never altered as typed: read by shequ_sdk.values
    runs.inputs["amount_kg"].widget.value = "１２０公斤"
    assert runs.inputs["amount_kg"].value() == (True, 120)
    stars = RecordForm(store=entry_store(demo_sdk), table="civility_star_rating")
    households = stars.inputs["household_id"].widget
    assert isinstance(households, pn.widgets.Select) and len(households.options) > 100  # the community's households
    assert all("*" in label or label == "（空）" for label in list(households.options)[:5])  # head names masked
    english = RecordForm(store=DataStore(sdk=demo_sdk, region="新尚村社区", period="2010Q4", lang="en"), table="finance_ledger_entry")
    assert english.inputs["direction"].widget.options["expense"] == "expense"
    assert english.inputs["amount_fen"].widget.label == "Amount (yuan) *"


def test_every_village_table_gets_a_form_but_derived_ones(demo_sdk):
    keys = [rt.key for rt in entry_tables()]
    assert {"finance_ledger_entry", "finance_posting", "sanitation_collection_run", "civility_star_rating"} <= set(keys)
    assert "finance_obligation" not in keys  # computed by the deadline engine
    for key in keys:
        RecordForm(store=entry_store(demo_sdk), table=key)  # every table's metadata makes a form


def test_yuan_become_exact_fen():
    assert yuan_to_fen("1,234.56") == 123456
    assert yuan_to_fen("0.1") == 10 and yuan_to_fen("¥12元") == 1200 and yuan_to_fen("-5") == -500
    for bad in ("12.345", "abc", "1e400", "NaN"):
        with pytest.raises(FieldValueError):
            yuan_to_fen(bad)


def fill_ledger(form, **values):
    defaults = {"entry_date": "2010-11-02", "voucher_no": "记-2010-1102", "direction": "expense", "account_code": "541",
                "amount_fen": "1,234.56", "summary": "办公用品"}
    for name, value in {**defaults, **values}.items():
        form.inputs[name].widget.value = value


@pytest.mark.postgres
def test_bad_values_show_chinese_errors_at_their_fields_and_nothing_is_saved(demo):
    store = entry_store(demo)
    form = RecordForm(store=store, table="finance_ledger_entry")
    batch = BatchForm(store=store, forms=[form])
    before = ledger_count(demo)
    fill_ledger(form, amount_fen="-5", voucher_no="")
    assert batch.save() == 0
    assert "不能小于 0" in form.inputs["amount_fen"].error.object
    assert "必填字段不能为空" in form.inputs["voucher_no"].error.object
    assert 'data-field="voucher_no"' in form.inputs["voucher_no"].error.object
    assert "未保存任何数据" in batch.message.object
    assert ledger_count(demo) == before

    fill_ledger(form)
    assert batch.save() == 1
    saved = demo.frame("finance_ledger_entry", region="新尚村社区", where={"voucher_no": "记-2010-1102"}, codes=True)
    assert saved["amount_fen"].tolist() == [123456] and saved["direction"].tolist() == ["expense"]
    assert form.inputs["amount_fen"].error.object == "" and "已保存 1 条记录" in batch.message.object


@pytest.mark.postgres
def test_three_boards_are_saved_together_or_not_at_all(demo):
    from shequ_plugin_finance.views import boards_entry

    store = entry_store(demo, quarter="2011Q2")
    batch = boards_entry(store)
    assert [f.fixed["board"] for f in batch.forms] == ["party", "residents", "finance"]
    reviewer = demo.frame("finance_posting", region="新尚村社区", period="2010Q4")["reviewer_name"].dropna().iloc[0]
    for form in batch.forms:
        form.inputs["posted_on"].widget.value = "2011-07-10"
        form.inputs["review_date"].widget.value = "2011-07-08"
        form.inputs["reviewer_name"].widget.value = reviewer
    batch.forms[2].inputs["review_date"].widget.value = "2011-07-12"  # reviewed after posting: refused
    assert batch.save() == 0
    assert "应先审核后公开" in batch.forms[2].inputs["review_date"].error.object
    assert batch.forms[0].inputs["review_date"].error.object == ""
    assert demo.frame("finance_posting", region="新尚村社区", period="2011Q2").empty

    batch.forms[2].inputs["review_date"].widget.value = "2011-07-08"
    assert batch.save() == 3
    assert len(demo.frame("finance_posting", region="新尚村社区", period="2011Q2")) == 3
    # reopened, the boards load for correction; their natural key is read-only
    again = boards_entry(entry_store(demo, quarter="2011Q2"))
    assert all(f.record_id is not None and f.inputs["title"].disabled for f in again.forms)
    again.forms[0].inputs["legal_basis"].widget.value = "村民委员会组织法(2018修正)"
    assert again.save() == 3
    rows = demo.frame("finance_posting", region="新尚村社区", period="2011Q2", codes=True)
    assert len(rows) == 3 and set(rows.loc[rows["board"] == "party", "legal_basis"]) == {"村民委员会组织法(2018修正)"}


def test_stored_sensitive_values_never_reach_the_browser_and_are_kept(demo_sdk):
    store = entry_store(demo_sdk)
    households = demo_sdk.frame("household", region="新尚村社区", unmasked=False)
    first = int(households["id"].iloc[0])
    with demo_sdk.transaction() as s:
        from shequ_sdk import Household

        row = s.get(Household, first)
        phone, name = row.phone, row.head_name
    form = RecordForm(store=store, table="household")
    form.load(first)
    assert form.inputs["phone"].widget.value == "" and phone not in form.inputs["phone"].widget.placeholder
    assert form.inputs["head_name"].widget.value == "" and "*" in form.inputs["head_name"].widget.placeholder
    form.inputs["address"].widget.value = "新尚路 1 号"
    assert BatchForm(store=store, forms=[form]).save() == 1
    with demo_sdk.transaction() as s:
        row = s.get(Household, first)
        assert (row.phone, row.head_name, row.address) == (phone, name, "新尚路 1 号")


def test_sessions_do_not_share_unsaved_input(demo_sdk):
    from shequ_sdk.ui import RecordsPanel

    def records_form(app):
        app.tabs()
        panel = app.records_panel
        assert isinstance(panel, RecordsPanel)
        panel.table = "finance_ledger_entry"
        return panel.entry.form

    one = EntryApp(sdk=demo_sdk, region="新尚村社区", period="2010Q4")
    two = EntryApp(sdk=demo_sdk, region="新尚村社区", period="2010Q4")
    assert one.data_store is not two.data_store
    form_one, form_two = records_form(one), records_form(two)
    assert form_one is not form_two
    form_one.inputs["summary"].widget.value = "只在第一个会话"
    assert form_two.inputs["summary"].widget.value == ""
    two.data_store.region = "南洲村"
    assert one.data_store.region == "新尚村社区"
    before = ledger_count(demo_sdk)
    fill_ledger(form_two, voucher_no="记-2010-1103")
    assert form_two.store is two.data_store
    assert form_one.inputs["voucher_no"].widget.value == ""
    assert ledger_count(demo_sdk) == before  # nothing is saved until a session saves


def test_field_labels_mark_required_and_money():
    from shequ_sdk import registry

    rt = registry().table("elderly_home_fund")
    assert field_label(rt.field("amount_fen")) == "金额（元） *"
    assert field_label(rt.field("donor")) == "出资方"


def test_spreadsheet_import_is_checked_then_confirmed(demo_sdk):
    from shequ_sdk import spreadsheets as xl
    from shequ_sdk.ui import ImportPanel

    store = entry_store(demo_sdk)
    text = xl.export_bytes(demo_sdk, "finance_ledger_entry", region="新尚村社区", period="2010Q4", fmt="csv").decode("utf-8-sig")
    lines = text.splitlines()
    header = lines[0].split(",")
    money = next(i for i, h in enumerate(header) if "金额" in h)
    first = lines[1].split(",")
    old = first[money]
    first[money] = f"{float(old) + 1:.2f}"
    changed = "\r\n".join([lines[0], ",".join(first), *lines[2:]]).encode("utf-8-sig")

    panel = ImportPanel(store=store)
    panel.run(dry_run=True)
    assert "请先选择文件" in panel.report.object and panel.confirm.disabled
    panel.upload.value, panel.upload.filename = changed, "账目=1+1.csv"
    result = panel.run(dry_run=True)
    assert result.ok and result.changed == 1 and not result.written
    assert "试运行" in panel.report.object and "修改" in panel.report.object and not panel.confirm.disabled
    panel.upload.value, panel.upload.filename = b"not,a,table\r\n1,2,3\r\n", "other.csv"  # a new upload needs a new check
    assert panel.confirm.disabled
    panel.upload.value, panel.upload.filename = changed, "账目.csv"
    panel.run(dry_run=True)
    result = panel.run(dry_run=False)
    assert result.written and result.changed == 1
    assert "已导入" in panel.report.object and panel.confirm.disabled
    assert panel._template_bytes().getvalue()[:2] == b"PK"  # the fill-in template is an .xlsx


def test_spreadsheet_import_off_the_event_loop_with_size_and_choices(demo_sdk, monkeypatch):
    """The button's path: the check runs in a worker thread (run_async); an upload over the web
    limit is refused before it is read; hidden rows follow the page's choice, and the report
    names no command-line option."""
    import asyncio
    import io
    import threading

    import openpyxl

    from shequ_sdk.ui import ImportPanel
    from shequ_sdk.ui import entry as entry_mod

    store = entry_store(demo_sdk)
    panel = ImportPanel(store=store)
    panel.upload.value, panel.upload.filename = b"x" * (entry_mod.WEB_MAX_BYTES + 1), "big.csv"
    assert asyncio.run(panel.run_async(dry_run=True)) is None
    assert "文件过大" in panel.report.object and "10 MB" in panel.report.object and panel.confirm.disabled

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["村/社区", "户号", "户主姓名", "人口数"])
    ws.append(["新尚村社区", "9901", "甲", 3])
    ws.append(["新尚村社区", "9902", "乙", 2])
    ws.row_dimensions[3].hidden = True
    buf = io.BytesIO()
    wb.save(buf)
    threads = []
    real_work = panel._work
    monkeypatch.setattr(panel, "_work", lambda *a: threads.append(threading.current_thread().name) or real_work(*a))
    panel.upload.value, panel.upload.filename = buf.getvalue(), "户.xlsx"
    result = asyncio.run(panel.run_async(dry_run=True))
    assert threads and threads[0].startswith("shequ-import")  # not the caller's (the event loop's) thread
    assert not result.ok and "隐藏的行含有数据：第 3 行" in panel.report.object
    assert "--hidden" not in panel.report.object  # the page offers the choice itself
    n = len(result.problems)
    assert f'data-count="{n}"' in panel.report.object and panel.report.object.count("<li>") == n  # the count is what is listed
    panel.hidden_rows.value = "skip"
    result = asyncio.run(panel.run_async(dry_run=True))
    assert result.ok and result.new == 1 and "隐藏的第 3 行已跳过" in panel.report.object and not panel.confirm.disabled
    result = asyncio.run(panel.run_async(dry_run=False))
    assert result.written and result.new == 1
