"""Access at the edges (issue 12, findings 1, 3, 4 and 11): the write path checks the stored row as
well as the new one, references stay inside the row's village, reviewers only review, every read of
``Shequ`` is scoped, and a lock exception's expiry has a maximum — on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text, update

from shequ_sdk import Household, Resident
from shequ_sdk.auth import Actor
from shequ_sdk.errors import BatchError, InputError, PermissionDenied


def _actor(sdk, username: str, role: str, region=None) -> Actor:
    return Actor(username, role, sdk.region(region).id if region else None)


def _stored(sdk, model, record_id: int) -> dict:
    tbl = model.__table__
    with sdk.transaction() as s:
        return dict(s.execute(select(tbl).where(tbl.c.id == record_id)).mappings().one())


def _first_id(sdk, model, region: str) -> int:
    tbl = model.__table__
    with sdk.transaction() as s:
        return s.execute(select(tbl.c.id).where(tbl.c.region_id == sdk.region(region).id).order_by(tbl.c.id).limit(1)).scalar_one()


def _count(sdk, model) -> int:
    from sqlalchemy import func

    with sdk.transaction() as s:
        return s.execute(select(func.count()).select_from(model.__table__)).scalar_one()


# -- finding 1: the stored row -----------------------------------------------------------------------

def test_a_village_user_cannot_take_over_another_villages_household(demo):
    """The attack from the issue: upsert another village's household id with one's own region."""
    victim = _first_id(demo, Household, "南洲村")
    before = _stored(demo, Household, victim)
    households = _count(demo, Household)
    me = demo.as_user(_actor(demo, "xs", "village", "新尚村社区"))
    attack = {"id": victim, "region_id": demo.region("新尚村社区").id, "number": "X-0001", "head_name": "攻击者", "members": 1}
    with pytest.raises(PermissionDenied) as err:
        me.write("household", [attack], mode="upsert")
    message = str(err.value)
    assert f"#{victim}" in message and "南洲村" in message and "新尚村社区" in message and "规则" in message and "rule" in message
    assert _stored(demo, Household, victim) == before  # nothing moved, nothing blanked
    assert _count(demo, Household) == households


def test_a_village_user_cannot_update_another_villages_resident_by_natural_key(demo):
    """Residents are matched by (household, name): naming another village's household reaches its row."""
    household = _first_id(demo, Household, "南洲村")
    demo.write("resident", [{"region_id": demo.region("南洲村").id, "household_id": household, "name": "汪小东", "phone": "13812345678"}])
    victim = _first_id(demo, Resident, "南洲村")
    before = _stored(demo, Resident, victim)
    me = demo.as_user(_actor(demo, "xs", "village", "新尚村社区"))
    row = {"region_id": demo.region("新尚村社区").id, "household_id": before["household_id"], "name": before["name"], "phone": None}
    with pytest.raises(PermissionDenied, match="南洲村"):
        me.write("resident", [row], mode="upsert")
    assert _stored(demo, Resident, victim) == before


def test_references_must_belong_to_the_rows_own_village_for_every_actor(demo):
    other_household = _first_id(demo, Household, "南洲村")
    own = demo.region("新尚村社区").id
    residents = _count(demo, Resident)
    row = {"region_id": own, "household_id": other_household, "name": "新来的人"}
    for who in (demo.as_user(_actor(demo, "xs", "village", "新尚村社区")), demo.as_user(Actor("root", "admin")), demo):
        with pytest.raises(BatchError) as err:
            who.write("resident", [row])
        p = err.value.problems[0]
        assert (p.row, p.field, p.value, p.rule) == (1, "household_id", other_household, "core.references")
        assert "南洲村" in p.message_zh and "新尚村社区" in p.message_zh
    assert _count(demo, Resident) == residents
    # a reference inside the village is fine
    own_household = _first_id(demo, Household, "新尚村社区")
    assert demo.write("resident", [dict(row, household_id=own_household)]).inserted == 1


def test_moving_a_row_needs_both_villages_in_scope(demo):
    own = demo.region("新尚村社区").id
    hid = demo.write("household", [{"region_id": own, "number": "MOVE-1", "head_name": "李四"}], mode="insert")
    with demo.transaction() as s:
        hid = s.execute(select(Household.id).where(Household.number == "MOVE-1")).scalar_one()
    demo.write("resident", [{"region_id": own, "household_id": hid, "name": "李小四"}])
    stored = _stored(demo, Household, hid)
    township = demo.as_user(_actor(demo, "mc", "township", "茅草街镇"))
    others = [v for v in demo.villages(within="茅草街镇") if v.name != "新尚村社区"]
    row = {k: v for k, v in stored.items()}
    with pytest.raises(PermissionDenied, match="南洲村"):
        township.write("household", [dict(row, region_id=demo.region("南洲村").id)], mode="upsert")
    assert _stored(demo, Household, hid) == stored
    # the household has residents: moving it would leave them referring across villages
    with pytest.raises(BatchError) as err:
        township.write("household", [dict(row, region_id=others[0].id, number="MOVED-1")], mode="upsert")
    assert err.value.problems[0].rule == "core.references" and "居民" in err.value.problems[0].message_zh
    # a household nobody refers to moves within the township
    with demo.transaction() as s:
        s.execute(Resident.__table__.delete().where(Resident.__table__.c.household_id == hid))
    result = township.write("household", [dict(row, region_id=others[0].id, number="MOVED-1")], mode="upsert")
    assert result.updated == 1 and _stored(demo, Household, hid)["region_id"] == others[0].id


def test_check_reports_stored_references_across_villages(demo):
    hid = _first_id(demo, Household, "南洲村")
    demo.write("resident", [{"region_id": demo.region("新尚村社区").id, "household_id": _first_id(demo, Household, "新尚村社区"), "name": "王五"}])
    rid = _first_id(demo, Resident, "新尚村社区")
    with demo.transaction() as s:  # a direct database edit: the write path would refuse it
        s.execute(update(Resident.__table__).where(Resident.__table__.c.id == rid).values(household_id=hid))
    found = [p for p in demo.check() if p.rule == "core.references"]
    assert [(p.table, p.row, p.field, p.value) for p in found] == [("resident", rid, "household_id", hid)]
    assert "南洲村" in found[0].message_zh and "新尚村社区" in found[0].message_zh
    # the village that holds the bad row sees it; the other village's user does not see a problem of a row it cannot read
    mine = demo.as_user(_actor(demo, "xs", "village", "新尚村社区")).check()
    assert [p.row for p in mine if p.rule == "core.references"] == [rid]
    theirs = demo.as_user(_actor(demo, "nz", "village", "南洲村")).check()
    assert not [p for p in theirs if p.rule == "core.references"]


# -- finding 4: reviewers review --------------------------------------------------------------------

def test_reviewers_write_reviews_only(demo):
    me = demo.as_user(_actor(demo, "shen", "reviewer", "新尚村社区"))
    with pytest.raises(PermissionDenied) as err:
        me.write("honour", [{"region_id": demo.region("新尚村社区").id, "title": "文明村", "year": 2010}])
    assert "审核员" in str(err.value) and "规则" in str(err.value) and "rule" in str(err.value)
    # reviewing through the finance workflow still works
    from shequ_plugin_finance import workflow
    from shequ_plugin_finance.models import Posting

    with demo.transaction() as s:
        draft = workflow.correct(s, s.execute(select(Posting.id).where(Posting.region_id == demo.region("新尚村社区").id,
                                                                     Posting.status == "published").limit(1)).scalar_one(),
                                 "更正笔误", None)
        posting = workflow.review(s, draft.id, me.user, reviewer_name="沈审核")
        assert posting.status == "reviewed" and posting.reviewed_by == "shen"


# -- finding 3: every read is scoped ------------------------------------------------------------------

def test_check_villages_and_row_counts_are_scoped(demo):
    me = demo.as_user(_actor(demo, "xs", "village", "新尚村社区"))
    own = demo.region("新尚村社区").id
    assert [v.name for v in me.villages()] == ["新尚村社区"]
    with pytest.raises(PermissionDenied, match="不能查看 南洲镇"):
        me.villages(within="南洲镇")
    everything = demo.row_counts()
    mine = me.row_counts()
    assert mine["household"] == len(demo.frame("household", region="新尚村社区")) < everything["household"]
    assert mine["region"] == 1
    # problems of other villages stay out of the village's check, with their values
    all_problems = demo.check()
    assert any(p.table and p.row for p in all_problems)
    region_of = {}
    with demo.transaction() as s:
        for p in all_problems:
            if p.table in demo.registry.tables and p.row is not None:
                tbl = demo.registry.tables[p.table].model.__table__
                region_of[(p.table, p.row)] = s.execute(select(tbl.c.region_id).where(tbl.c.id == p.row)).scalar_one_or_none()
    others = [p for p in all_problems if region_of.get((p.table, p.row)) not in (None, own)]
    assert others, "the demo has problems in other villages"
    for p in me.check():
        assert region_of.get((p.table, p.row), own) == own or (p.field == "region_id" and p.value == own)
    # a township user's check masks sensitive values it may not read
    township = demo.as_user(_actor(demo, "mc", "township", "茅草街镇"))
    for p in township.check():
        if p.table in demo.registry.tables and p.field:
            rt = demo.registry.tables[p.table]
            info = next((f for f in rt.fields if f.name == p.field), None)
            if info is not None and info.sensitive and p.value not in (None, "") and not township.user.may_unmask(rt, info):
                assert "*" in str(p.value)


def test_cli_check_as_a_user_is_scoped(demo, cli, monkeypatch):
    import json

    from shequ_sdk import auth

    with demo.transaction() as s:
        auth.add_user(s, "xs", role="village", region="新尚村社区", password="春耕秋收2010")
    monkeypatch.setenv("SHEQU_PASSWORD", "春耕秋收2010")
    code, out, err = cli("check", "--db", demo.url, "--json", "--user", "xs")
    assert code in (0, 1), err
    scoped = json.loads(out)
    code, out, err = cli("check", "--db", demo.url, "--json")
    assert len(scoped) < len(json.loads(out))


# -- finding 11 (part): a lock exception's expiry has a maximum -------------------------------------------

def test_a_lock_exception_cannot_outlive_the_configured_maximum(demo, cli):
    from shequ_sdk import config, locks

    today = dt.date(2011, 3, 31)
    with demo.transaction() as s:
        with pytest.raises(InputError) as err:
            locks.grant(s, None, "新尚村社区", "2010Q4", "补录", "2999-12-31", today=today)
        assert "90" in err.value.zh and "例外最长有效天数" in err.value.zh and "2011-06-29" in err.value.zh
        assert "lock.exception_max_days" in err.value.en
        assert locks.grant(s, None, "新尚村社区", "2010Q4", "补录", "2011-06-29", today=today).expires_on == dt.date(2011, 6, 29)
        config.set_value(s, locks.EXCEPTION_MAX_DAYS, 365, demo.region("茅草街镇"))  # the township allows a year
        assert locks.grant(s, None, "新尚村社区", "2010Q3", "补录", "2012-03-30", today=today).expires_on == dt.date(2012, 3, 30)
        with pytest.raises(InputError, match="90"):
            locks.grant(s, None, "南洲村", "2010Q3", "补录", "2012-03-30", today=today)  # another township keeps the default
    code, out, err = cli("lock", "grant", "--db", demo.url, "--region", "南洲村", "--period", "2010Q4", "--reason", "补录",
                         "--until", "2999-12-31")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "例外最长有效天数" in err and "90" in err
