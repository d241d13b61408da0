"""Period locking on both backends: a village writing into a locked quarter is refused with the
lock date, the rule and who grants an exception; a township exception lets the same write through
until it expires or is revoked; admins and the local user are exempt; ``shequ lock`` shows and
manages it all."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import func, select

from shequ_sdk import InputError, PermissionDenied
from shequ_sdk import config, locks
from shequ_sdk.auth import Actor
from shequ_sdk.models import Region
from shequ_sdk.period import Period
from shequ_sdk.plugins import registry
from shequ_sdk.records import write

TODAY = dt.date(2011, 3, 31)  # 2010Q4 locked on 2011-02-14 (deadline 2011-01-15 + 30 days); 2011Q1 is open
LEDGER = "finance_ledger_entry"


@pytest.fixture
def world(lock_world):
    return lock_world  # tests/conftest.py: 南县, two townships, three villages and an actor of each level


def ledger_row(region_id: int, day=dt.date(2010, 12, 20), voucher="2010-12-07") -> dict:
    return {"region_id": region_id, "entry_date": day, "voucher_no": voucher, "direction": "income",
            "account_code": "522", "amount_fen": 1_250_000, "summary": "上级补助"}


def write_ledger(sdk, actor, rows, today=TODAY):
    with sdk.transaction() as s:
        return write(session=s, table=LEDGER, rows=rows, actor=actor, today=today)


def ledger_count(sdk) -> int:
    model = registry().table(LEDGER).model
    with sdk.transaction() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def grant(sdk, actor, region="新尚村社区", period="2010Q4", reason="补录12月凭证", until="2011-04-30", today=TODAY):
    with sdk.transaction() as s:
        return locks.grant(s, actor, region, period, reason, until, today=today)


def test_a_village_writing_into_a_locked_quarter_is_told_why(world):
    rows = [ledger_row(world.ids["新尚村社区"], dt.date(2011, 1, 5), "2011-01-01"), ledger_row(world.ids["新尚村社区"], dt.date(2011, 2, 1), "2011-02-01"),
            ledger_row(world.ids["新尚村社区"])]
    with pytest.raises(PermissionDenied) as exc:
        write_ledger(world, world.village, rows)
    zh, en = exc.value.zh, exc.value.en
    assert zh.startswith("村级财务收支账目第 3 行：2010年第4季度已于 2011-02-14 锁定"), zh
    assert "规则：截止日 2011-01-15 后 30 天锁定" in zh
    assert "需由茅草街镇的乡镇工作人员或管理员授予例外" in zh
    assert "row 3" in en and "locked since 2011-02-14" in en and "township staff or an administrator" in en
    # the command and the settings are for the command line (str(error), which the CLI prints), never a web page (zh, en)
    assert "shequ" not in zh + en and "lock." not in zh + en
    cli_text = str(exc.value)
    assert "shequ lock grant --region 新尚村社区 --period 2010Q4 --reason … --until …" in cli_text and "lock.days_after_deadline" in cli_text
    assert ledger_count(world) == 0  # the open 2011Q1 rows of the batch were not written either
    # the same rows of the open quarter alone go through
    assert write_ledger(world, world.village, rows[:2]).inserted == 2


def test_the_day_before_the_lock_date_is_still_open(world):
    row = ledger_row(world.ids["新尚村社区"])
    assert write_ledger(world, world.village, [row], today=dt.date(2011, 2, 13)).inserted == 1
    with pytest.raises(PermissionDenied, match="2011-02-14"):
        write_ledger(world, world.village, [ledger_row(world.ids["新尚村社区"], voucher="2010-12-08")], today=dt.date(2011, 2, 14))


def test_township_exception_lets_the_write_through_until_it_expires(world):
    row = ledger_row(world.ids["新尚村社区"])
    exc = grant(world, world.township)
    assert (exc.period, exc.granted_by, exc.expires_on, exc.region_id) == ("2010Q4", "zhenli", dt.date(2011, 4, 30), world.ids["新尚村社区"])
    assert write_ledger(world, world.village, [row]).inserted == 1
    # valid through its last day, refused the day after
    assert write_ledger(world, world.village, [ledger_row(world.ids["新尚村社区"], voucher="2010-12-08")], today=dt.date(2011, 4, 30)).inserted == 1
    with pytest.raises(PermissionDenied, match="2011-02-14 锁定"):
        write_ledger(world, world.village, [ledger_row(world.ids["新尚村社区"], voucher="2010-12-09")], today=dt.date(2011, 5, 1))
    # the exception covers its village only, and its quarter only
    with pytest.raises(PermissionDenied, match="第 1 行"):
        write_ledger(world, Actor("dongcun", "village", world.ids["东村"]), [ledger_row(world.ids["东村"])])
    with pytest.raises(PermissionDenied, match="2010年第3季度"):
        write_ledger(world, world.village, [ledger_row(world.ids["新尚村社区"], dt.date(2010, 9, 30), "2010-09-30")])


def test_an_exception_for_the_township_covers_all_its_villages(world):
    grant(world, world.township, region="茅草街镇")
    for name in ("新尚村社区", "东村"):
        assert write_ledger(world, Actor(name, "village", world.ids[name]), [ledger_row(world.ids[name])]).inserted == 1
    with pytest.raises(PermissionDenied, match="需由南洲镇的乡镇工作人员"):
        write_ledger(world, Actor("nz", "village", world.ids["南洲村"]), [ledger_row(world.ids["南洲村"])])


def test_revoked_exception_no_longer_opens_the_quarter_and_both_steps_are_audited(world):
    from shequ_sdk.audit import AuditEntry

    exc = grant(world, world.township)
    with world.transaction() as s:
        locks.revoke(s, world.township, exc.id, "凭证已补齐")
    with pytest.raises(PermissionDenied):
        write_ledger(world, world.village, [ledger_row(world.ids["新尚村社区"])])
    with world.transaction() as s:
        entries = s.execute(select(AuditEntry).where(AuditEntry.table_key == "period_exception").order_by(AuditEntry.seq)).scalars().all()
        with pytest.raises(InputError, match="已于"):
            locks.revoke(s, world.township, exc.id)
    assert [(e.action, e.actor, e.record_id, e.region_id, e.reason) for e in entries] == [
        ("lock.exception", "zhenli", exc.id, world.ids["新尚村社区"], "补录12月凭证"),
        ("lock.exception", "zhenli", exc.id, world.ids["新尚村社区"], "凭证已补齐")]
    assert json.loads(entries[0].new)["expires_on"] == "2011-04-30" and entries[0].old is None
    assert json.loads(entries[1].old)["revoked_at"] is None and json.loads(entries[1].new)["revoked_by"] == "zhenli"


def test_only_the_township_or_an_admin_grants(world):
    with pytest.raises(PermissionDenied) as exc:
        grant(world, world.village)
    assert "用户 cunwei（村(居)委会）不能授予期间锁定例外" in exc.value.zh and "规则：期间锁定例外只能由本乡镇工作人员或管理员授予或撤销" in exc.value.zh
    with pytest.raises(PermissionDenied, match="不在本人所属乡镇"):
        grant(world, world.other_township)
    with pytest.raises(PermissionDenied, match="analyst"):
        grant(world, Actor("fx", "analyst"))
    exc = grant(world, world.township)
    with pytest.raises(PermissionDenied, match="撤销"):
        with world.transaction() as s:
            locks.revoke(s, world.other_township, exc.id)
    assert grant(world, Actor("root", "admin"), region="南洲村").granted_by == "root"
    assert grant(world, None, region="东村").granted_by == "local"


def test_a_grant_needs_a_reason_a_quarter_a_future_expiry_and_a_village_or_township(world):
    with pytest.raises(InputError, match="必须写明授予例外的原因"):
        grant(world, world.township, reason="  ")
    with pytest.raises(InputError, match="必须晚于今天"):
        grant(world, world.township, until="2011-03-31")
    with pytest.raises(InputError, match="不是日期"):
        grant(world, world.township, until="下个月")
    with pytest.raises(InputError, match="可授予 2010Q4"):
        grant(world, world.township, period="2010")
    with pytest.raises(InputError, match="县级"):
        grant(world, None, region="南县")
    with world.transaction() as s:
        assert s.execute(select(func.count()).select_from(locks.PeriodException)).scalar_one() == 0


def test_admin_and_local_write_into_locked_quarters(world):
    rows = [ledger_row(world.ids["新尚村社区"])]
    assert write_ledger(world, Actor("root", "admin"), rows).inserted == 1
    assert write_ledger(world, None, [ledger_row(world.ids["新尚村社区"], voucher="2010-12-08")]).inserted == 1
    assert world.write(LEDGER, [ledger_row(world.ids["新尚村社区"], voucher="2010-12-09")], today=TODAY).inserted == 1


def test_an_update_cannot_move_a_record_out_of_a_locked_quarter_but_an_unchanged_row_passes(world):
    vid = world.ids["新尚村社区"]
    with world.transaction() as s:
        stored_id = write(session=s, table=LEDGER, rows=[ledger_row(vid)], today=TODAY, return_ids=True).ids[0]
    # the same row again (a re-imported sheet) changes nothing: it passes and stays unchanged
    with world.transaction() as s:
        result = write(session=s, table=LEDGER, rows=[ledger_row(vid)], mode="upsert", actor=world.village, today=TODAY)
    assert (result.inserted, result.updated, result.unchanged) == (0, 0, 1)
    # a correction by id that moves the record into the open 2011Q1 still changes locked 2010Q4
    moved = ledger_row(vid, dt.date(2011, 1, 5)) | {"id": stored_id}
    with pytest.raises(PermissionDenied, match="第 1 行：2010年第4季度已于 2011-02-14 锁定"):
        with world.transaction() as s:
            write(session=s, table=LEDGER, rows=[moved], mode="upsert", actor=world.village, today=TODAY)
    # by natural key (an association's founding date is not part of its key)
    atype = next(iter(registry().association_types))
    world.write("association", [{"region_id": vid, "type_key": atype, "name": "新尚老年协会", "founded": dt.date(2010, 11, 1)}], today=TODAY)
    with pytest.raises(PermissionDenied, match="协会/社会组织第 1 行：2010年第4季度"):
        with world.transaction() as s:
            write(session=s, table="association", rows=[{"region_id": vid, "type_key": atype, "name": "新尚老年协会", "founded": dt.date(2011, 3, 1)}],
                  mode="upsert", actor=world.village, today=TODAY)
    with world.transaction() as s:
        model = registry().table(LEDGER).model
        assert s.get(model, stored_id).entry_date == dt.date(2010, 12, 20)


def test_township_overrides_move_the_lock_date(world):
    with world.transaction() as s:
        config.set_value(s, locks.DAYS_AFTER_DEADLINE, 90, s.get(locks.Region, world.ids["茅草街镇"]))
    assert write_ledger(world, world.village, [ledger_row(world.ids["新尚村社区"])]).inserted == 1  # locks on 2011-04-15 now
    with pytest.raises(PermissionDenied) as exc:
        write_ledger(world, Actor("nz", "village", world.ids["南洲村"]), [ledger_row(world.ids["南洲村"])])
    assert "2011-02-14" in exc.value.zh  # the other township keeps the default
    with world.transaction() as s:
        (q,) = locks.status(s, "新尚村社区", "2010Q4", TODAY)
    assert (q.lock.deadline, q.lock.lock_date, q.locked, q.open) == (dt.date(2011, 1, 15), dt.date(2011, 4, 15), False, True)


def test_a_rows_quarter_comes_from_its_period_label_or_date():
    reg = registry()
    ledger, posting = reg.table(LEDGER), reg.table("finance_posting")
    yearly = next(rt for rt in reg.tables.values() if rt.period_kind == "year")
    assert locks.row_quarter(ledger, {"entry_date": dt.date(2010, 11, 3)}) == Period.parse("2010Q4")
    assert locks.row_quarter(posting, {"period": "2010Q3"}) == Period.parse("2010Q3")
    assert locks.row_quarter(posting, {"period": "2010-12"}) == Period.parse("2010Q4")
    assert locks.row_quarter(yearly, {yearly.period_field: 2010}) == Period.parse("2010Q4")  # a year locks with its last quarter
    assert locks.row_quarter(ledger, {"entry_date": None}) is None
    assert locks.row_quarter(reg.table("household"), {"region_id": 1}) is None  # neither field: never locked
    derived = next(rt for rt in reg.tables.values() if rt.derived)
    assert locks.row_quarter(derived, {derived.date_field or derived.period_field: dt.date(2010, 1, 1)}) is None


def test_the_entry_reason_is_the_refusal_of_the_write_path(world):
    with world.transaction() as s:
        reason = locks.refusal_for(s, world.village, "新尚村社区", "2010Q4", TODAY)
        assert locks.refusal_for(s, world.village, "新尚村社区", "2011Q1", TODAY) is None
        assert locks.refusal_for(s, None, "新尚村社区", "2010Q4", TODAY) is None
        assert locks.refusal_for(s, Actor("root", "admin"), "新尚村社区", "2010Q4", TODAY) is None
    with pytest.raises(PermissionDenied) as exc:
        write_ledger(world, world.village, [ledger_row(world.ids["新尚村社区"])])
    assert exc.value.zh == "村级财务收支账目第 1 行：" + reason.zh
    grant(world, world.township)
    with world.transaction() as s:
        assert locks.refusal_for(s, world.village, "新尚村社区", "2010Q4", TODAY) is None


# -- the command line ------------------------------------------------------------------------------

def _status_rows(out: str) -> dict[str, list[str]]:
    rows = {}
    for line in out.splitlines():
        cells = [c.strip() for c in re.split(r"[│┃]", line) if c.strip()]
        if cells and re.fullmatch(r"\d{4}Q[1-4]", cells[0]):
            rows[cells[0]] = cells
    return rows


def test_cli_status_grant_and_revoke(world, cli):
    db = world.url
    code, out, err = cli("lock", "status", "--db", db, "--region", "新尚村社区", "--period", "2010", "--today", "2011-03-31")
    assert code == 0, err
    rows = _status_rows(out)
    assert list(rows) == ["2010Q1", "2010Q2", "2010Q3", "2010Q4"]
    assert rows["2010Q4"][1:4] == ["2011-01-15", "2011-02-14", "已锁定 locked"] and rows["2010Q4"][4] == "—"
    assert rows["2010Q1"][1:3] == ["2010-04-15", "2010-05-15"]
    assert "锁定日 = 截止日后 30 天（设置 lock.days_after_deadline）" in out

    code, out, err = cli("lock", "grant", "--db", db, "--region", "新尚村社区", "--period", "2010Q4", "--reason", "补录凭证",
                         "--until", "2011-04-30", "--today", "2011-03-31")
    assert code == 0, err
    exc_id = int(re.search(r"#(\d+)", out).group(1))
    assert "新尚村社区 至/until 2011-04-30（local：补录凭证）" in out
    code, out, err = cli("lock", "status", "--db", db, "--region", "茅草街镇", "--period", "2010Q4", "--today", "2011-03-31")
    assert code == 0, err
    assert _status_rows(out)["2010Q4"][3:] == ["已锁定 locked", f"#{exc_id} 新尚村社区 至/until 2011-04-30（local：补录凭证）"]
    code, out, err = cli("lock", "status", "--db", db, "--region", "新尚村社区", "--period", "2010Q4", "--today", "2011-03-31")
    assert _status_rows(out)["2010Q4"][3] == "已锁定（有例外） locked (exception)"

    code, out, err = cli("lock", "revoke", "--db", db, "--id", str(exc_id))
    assert code == 0 and "已撤销例外 / exception revoked" in out, err
    code, out, err = cli("lock", "status", "--db", db, "--region", "新尚村社区", "--period", "2010Q4", "--today", "2011-03-31")
    assert _status_rows(out)["2010Q4"][3:] == ["已锁定 locked", "—"]


@pytest.mark.parametrize("args, message", [
    (("--reason", "  ", "--until", "2011-04-30"), "必须写明授予例外的原因"),
    (("--reason", "补录", "--until", "2011-03-01"), "必须晚于今天"),
    (("--reason", "补录", "--until", "2011-04-30", "--user", "nobody"), "用户名或密码错误"),
])
def test_cli_refusals_are_one_line(world, cli, monkeypatch, args, message):
    monkeypatch.setenv("SHEQU_PASSWORD", "not the password")
    code, out, err = cli("lock", "grant", "--db", world.url, "--region", "新尚村社区", "--period", "2010Q4", "--today", "2011-03-31", *args)
    assert code == 2, out
    assert err.startswith("错误 / error:") and message in err and "Traceback" not in err
    code, out, err = cli("lock", "revoke", "--db", world.url, "--id", "999")
    assert code == 2 and "找不到期间锁定例外 #999" in err


def test_cli_user_acts_with_their_role(world, cli, monkeypatch):
    from shequ_sdk import auth

    monkeypatch.setenv("SHEQU_PASSWORD", "correct horse")

    with world.transaction() as s:
        auth.add_user(s, "cunwei", role="village", region="新尚村社区", password="correct horse")
        auth.add_user(s, "zhenli", role="township", region="茅草街镇", password="correct horse")
    base = ("lock", "grant", "--db", world.url, "--region", "新尚村社区", "--period", "2010Q4", "--reason", "补录", "--until", "2011-04-30",
            "--today", "2011-03-31")
    code, out, err = cli(*base, "--user", "cunwei")
    assert code == 2 and "用户 cunwei（村(居)委会）不能授予期间锁定例外" in err
    code, out, err = cli(*base, "--user", "zhenli")
    assert code == 0 and "（zhenli：补录）" in out, err
    assert write_ledger(world, world.village, [ledger_row(world.ids["新尚村社区"])]).inserted == 1


# -- the entry app ---------------------------------------------------------------------------------

def test_entry_app_shows_the_reason_above_the_forms_and_the_save_is_refused(world):
    import panel as pn

    from shequ_sdk.ui import EntryApp

    try:
        app = EntryApp(sdk=world.as_user(world.village), region="新尚村社区", period="2010Q4", as_of=TODAY)
        page = app.tabs()
        assert isinstance(page, pn.Column) and "shequ-lock-notice" in page.objects[0].object
        notice = html_text(page.objects[0].object)
        with world.transaction() as s:
            assert notice.startswith(locks.refusal_for(s, world.village, "新尚村社区", "2010Q4", TODAY).zh)
        assert "2010年第4季度已于 2011-02-14 锁定" in notice and "需由茅草街镇的乡镇工作人员或管理员授予例外" in notice
        assert "表单只读" in notice and "shequ" not in notice and "lock." not in notice  # what to do on the web, not a command
        assert "shequ-exception-request" in page.objects[1].css_classes and app.request_box is not None  # 申请例外 under the notice
        assert isinstance(page.objects[2], pn.Tabs) and app.records_panel is not None  # the forms still show, below them

        app.records_panel.choice.value = LEDGER
        entry = app.records_panel.entry
        values = {"entry_date": "2010-12-20", "voucher_no": "记-2010-1220", "direction": "income", "account_code": "522", "amount_fen": "12,500.00"}
        # read-only: the inputs and the save button are disabled, with the reason beside the button
        assert entry.batch.button.disabled and all(fi.widget.disabled for fi in entry.form.inputs.values())
        assert "表单只读" in html_text(entry.batch.message.object)
        for name, value in values.items():
            entry.form.inputs[name].widget.value = value
        assert entry.batch.save() == 0
        assert ledger_count(world) == 0

        # a township exception (valid beyond the real today the forms save on) opens the quarter
        with world.transaction() as s:  # the township allows exceptions that long (lock.exception_max_days)
            config.set_value(s, locks.EXCEPTION_MAX_DAYS, 40_000, s.get(Region, world.ids["茅草街镇"]))
        grant(world, world.township, until="2099-12-31")
        again = EntryApp(sdk=world.as_user(world.village), region="新尚村社区", period="2010Q4", as_of=TODAY)
        assert again.lock_notice() is None and not isinstance(again.tabs(), pn.Column)
        again.records_panel.choice.value = LEDGER
        entry = again.records_panel.entry
        assert not entry.batch.button.disabled
        for name, value in values.items():
            entry.form.inputs[name].widget.value = value
        assert entry.batch.save() == 1 and ledger_count(world) == 1
        # admins and the local user never see the notice
        assert EntryApp(sdk=world.as_user(Actor("root", "admin")), region="新尚村社区", period="2010Q3", as_of=TODAY).lock_notice() is None
        assert EntryApp(sdk=world, region="新尚村社区", period="2010Q3", as_of=TODAY).lock_notice() is None
    finally:
        pn.state.reset()


def html_text(markup: str) -> str:
    import html as htmlmod

    return htmlmod.unescape(re.sub(r"<[^>]+>", "", markup))
