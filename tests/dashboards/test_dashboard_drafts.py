"""Unsaved form input is kept on the server per user and form (shequ_sdk.drafts): offered back
when the same user opens the same form again, never to another user, never holding ID or phone
numbers, and gone once the form is saved or the draft discarded. On both backends."""

from __future__ import annotations

from sqlalchemy import func, select

from shequ_sdk.auth import Actor
from shequ_sdk.models import FormDraft
from shequ_sdk.ui import BatchForm, DataStore, RecordForm

VILLAGE, QUARTER = "新尚村社区", "2010Q4"


def drafts_stored(sdk) -> int:
    with sdk.reading() as s:
        return s.execute(select(func.count()).select_from(FormDraft)).scalar_one()


def ledger_form(sdk, quarter=QUARTER):
    store = DataStore(sdk=sdk, region=VILLAGE, period=quarter)
    form = RecordForm(store=store, table="finance_ledger_entry")
    form.new()
    return form, BatchForm(store=store, forms=[form])


def type_entry(form, amount="1,234.50元"):
    form.inputs["voucher_no"].widget.value = "记-草稿-1"
    form.inputs["summary"].widget.value = "草稿：购买办公用品"
    form.inputs["direction"].widget.value = "expense"
    form.inputs["amount_fen"].widget.value = amount


def test_a_draft_comes_back_as_typed_and_goes_when_saved(demo):
    form, _ = ledger_form(demo)
    type_entry(form, amount="12三")  # a mistake is kept as typed, to be corrected later
    assert drafts_stored(demo) == 1

    again, batch = ledger_form(demo)  # the page opened again (a reload, another day)
    assert again.draft_bar.visible
    assert "已恢复" in again.draft_note.object and "4 项" in again.draft_note.object
    assert again.inputs["amount_fen"].widget.value == "12三"
    assert again.inputs["summary"].widget.value == "草稿：购买办公用品"
    assert again.inputs["direction"].widget.value == "expense"
    assert batch.dirty()  # restored input counts as unsaved: a switch asks first

    # another quarter's form, and the same form for another user, start empty
    other_quarter, _ = ledger_form(demo, quarter="2010Q3")
    assert not other_quarter.draft_bar.visible and other_quarter.inputs["summary"].widget.value == ""
    clerk = demo.as_user(Actor(username="clerk", role="village", region_id=again.fixed["region_id"]))
    theirs, _ = ledger_form(clerk)
    assert not theirs.draft_bar.visible and theirs.inputs["summary"].widget.value == ""

    again.inputs["entry_date"].widget.value = "2010年11月3日"
    again.inputs["account_code"].widget.value = "541"
    again.inputs["amount_fen"].widget.value = "1,234.50元"
    assert batch.save() == 1, batch.summary.object
    assert drafts_stored(demo) == 0  # saved: the draft has served
    fresh, _ = ledger_form(demo)
    assert not fresh.draft_bar.visible and fresh.inputs["summary"].widget.value == ""


def test_discarding_a_draft_restores_the_form(demo):
    form, _ = ledger_form(demo)
    type_entry(form)
    again, batch = ledger_form(demo)
    assert again.inputs["voucher_no"].widget.value == "记-草稿-1"
    again.draft_discard.clicks += 1
    assert drafts_stored(demo) == 0
    assert not again.draft_bar.visible and again.inputs["voucher_no"].widget.value == "" and not batch.dirty()


def test_no_draft_holds_a_name_id_or_phone_number(demo):
    store = DataStore(sdk=demo, region=VILLAGE, period=QUARTER)
    form = RecordForm(store=store, table="resident")
    form.new()
    assert {name for name, fi in form.inputs.items() if fi.info.sensitive} == {"name", "id_number", "phone"}
    form.inputs["relation"].widget.value = "长子"
    form.inputs["name"].widget.value = "张草稿"
    form.inputs["id_number"].widget.value = "430921198001010011"
    form.inputs["phone"].widget.value = "13812345678"
    with demo.reading() as s:
        stored = s.execute(select(FormDraft.values_json)).scalars().all()
    assert len(stored) == 1 and "长子" in stored[0]
    assert not any(secret in stored[0] for secret in ("张草稿", "430921198001010011", "13812345678"))
    again = RecordForm(store=DataStore(sdk=demo, region=VILLAGE, period=QUARTER), table="resident")
    again.new()
    assert again.inputs["relation"].widget.value == "长子"
    assert all(again.inputs[name].widget.value in ("", None) for name in ("name", "id_number", "phone"))


def test_a_locked_quarter_keeps_no_draft(demo):
    store = DataStore(sdk=demo, region=VILLAGE, period=QUARTER)
    store.readonly = "本季度已锁定"
    form = RecordForm(store=store, table="finance_ledger_entry")
    form.new()
    form.inputs["summary"].widget.value = "不应保存"
    assert drafts_stored(demo) == 0


def test_a_draft_of_a_village_outside_the_users_scope_is_refused(demo):
    """The scope check is in the SDK (drafts.save/load), whatever page or script calls it."""
    import pytest

    from shequ_sdk import drafts
    from shequ_sdk.errors import PermissionDenied
    from shequ_sdk.regions import find_region

    with demo.reading() as s:
        xinshang, other = find_region(s, VILLAGE).id, find_region(s, "南洲村").id
    outsider = Actor(username="nanzhou-clerk", role="village", region_id=other)
    with demo.transaction() as s:
        with pytest.raises(PermissionDenied, match="新尚村社区"):
            drafts.save(s, outsider, "finance_ledger_entry|2010Q4|x|new", xinshang, {"summary": "越权"})
        with pytest.raises(PermissionDenied):
            drafts.load(s, outsider, "finance_ledger_entry|2010Q4|x|new", xinshang)
        drafts.save(s, outsider, "finance_ledger_entry|2010Q4|x|new", other, {"summary": "本村"})
        assert drafts.load(s, outsider, "finance_ledger_entry|2010Q4|x|new", other).values == {"summary": "本村"}
    assert drafts_stored(demo) == 1


def test_the_grids_unsaved_rows_come_back_and_go_when_saved(demo):
    from shequ_sdk.ui import TableEntry

    def grid(sdk=demo, quarter=QUARTER):
        entry = TableEntry(store=DataStore(sdk=sdk, region=VILLAGE, period=quarter), table="sanitation_collection_run")
        entry.mode = "grid"
        return entry.grid

    first = grid()
    lines = [f"2010-11-{day:02d}\t湘F-草稿\t1\t{30 + day}\t{100 + day}公斤" for day in range(1, 13)]
    assert first.paste("\n".join(lines)) == 12
    first.grid.value.loc[2, "vehicle"] = "湘F-改过"  # a cell typed into in the browser
    first._autosave()
    assert drafts_stored(demo) == 1

    again = grid()  # the page opened again
    assert again.draft_bar.visible and "已恢复" in again.draft_note.object and "12 行" in again.draft_note.object
    cells = again.frame()
    assert len(cells) == 12 and cells.loc[0, "amount_kg"] == "101公斤" and cells.loc[2, "vehicle"] == "湘F-改过"  # as typed
    assert again.dirty()  # restored rows count as unsaved: a switch asks first
    assert not grid(quarter="2010Q3").draft_bar.visible  # another quarter's grid starts empty
    clerk = demo.as_user(Actor(username="clerk", role="village", region_id=again.fixed["region_id"]))
    assert not grid(sdk=clerk).draft_bar.visible and grid(sdk=clerk).rows_in_use() == []  # never another user's

    assert again.save() == 12, again.summary.object
    assert drafts_stored(demo) == 0 and not again.draft_bar.visible  # saved: the draft has served
    assert not grid().draft_bar.visible

    third = grid()
    third.paste("2010-12-01\t湘F-丢弃\t1\t30\t50")
    restored = grid()
    restored.draft_discard.clicks += 1
    assert drafts_stored(demo) == 0 and restored.rows_in_use() == [] and not restored.draft_bar.visible
