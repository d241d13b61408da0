"""Requests for period-lock exceptions on both backends: a village asks (reason required, only
for a locked quarter without an exception, one pending request at a time, only for its own
village), the township of that village sees the request and grants it (an exception through
``locks.grant``) or refuses it with a reason; every step is audit-logged; ``shequ lock request``,
``requests``, ``grant --request`` and ``refuse`` do the same on the command line."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from shequ_sdk import InputError, PermissionDenied, locks
from shequ_sdk.audit import AuditEntry
from shequ_sdk.auth import Actor
from shequ_sdk.errors import NotFoundError
from shequ_sdk.plugins import registry
from shequ_sdk.records import write

TODAY = dt.date(2011, 3, 31)  # 2010Q4 locked on 2011-02-14 (deadline 2011-01-15 + 30 days); 2011Q1 is open
LEDGER = "finance_ledger_entry"
REQUEST_TABLE = locks.ExceptionRequest.__tablename__


@pytest.fixture
def world(lock_world):
    return lock_world  # tests/conftest.py: 南县, two townships, three villages and an actor of each level


def ledger_row(region_id: int) -> dict:
    return {"region_id": region_id, "entry_date": dt.date(2010, 12, 20), "voucher_no": "2010-12-07", "direction": "income",
            "account_code": "522", "amount_fen": 1_250_000, "summary": "上级补助"}


def write_ledger(sdk, actor, rows):
    with sdk.transaction() as s:
        return write(session=s, table=LEDGER, rows=rows, actor=actor, today=TODAY)


def ledger_count(sdk) -> int:
    with sdk.transaction() as s:
        return s.execute(select(func.count()).select_from(registry().table(LEDGER).model)).scalar_one()


def ask(sdk, actor, village="新尚村社区", quarter="2010Q4", reason="12月凭证漏录", today=TODAY):
    with sdk.transaction() as s:
        return locks.request_exception(s, actor, village, quarter, reason, today=today).id


def pending(sdk, actor, area=None) -> list[tuple[str, str]]:
    with sdk.transaction() as s:
        return [(r.period, r.reason) for r in locks.pending_requests(s, actor, area)]


def request_rows(sdk) -> int:
    with sdk.transaction() as s:
        return s.execute(select(func.count()).select_from(locks.ExceptionRequest)).scalar_one()


def audit_actions(sdk, table_key=REQUEST_TABLE) -> list[str]:
    with sdk.transaction() as s:
        return list(s.execute(select(AuditEntry.action).where(AuditEntry.table_key == table_key).order_by(AuditEntry.seq)).scalars())


def test_a_request_is_listed_for_its_township_and_granting_it_opens_the_quarter(world):
    rid = ask(world, world.village)
    assert pending(world, world.township) == [("2010Q4", "12月凭证漏录")]
    assert pending(world, world.township, "茅草街镇") == [("2010Q4", "12月凭证漏录")]
    assert pending(world, world.other_township) == []  # another township's staff do not see it
    with world.transaction() as s, pytest.raises(PermissionDenied, match="南洲镇"):
        locks.pending_requests(s, world.other_township, "茅草街镇")
    assert pending(world, None) == [("2010Q4", "12月凭证漏录")]  # the local user sees all

    with pytest.raises(PermissionDenied):
        write_ledger(world, world.village, [ledger_row(world.ids["新尚村社区"])])
    with world.transaction() as s:
        req = locks.grant_request(s, world.township, rid, "2011-04-30", today=TODAY)
        exc = s.get(locks.PeriodException, req.exception_id)
        assert (req.status, req.decided_by) == ("granted", "zhenli")
        assert (exc.region_id, exc.period, exc.reason, exc.expires_on.isoformat()) == (world.ids["新尚村社区"], "2010Q4", "12月凭证漏录", "2011-04-30")
    assert pending(world, world.township) == []
    assert write_ledger(world, world.village, [ledger_row(world.ids["新尚村社区"])]).inserted == 1
    assert audit_actions(world) == ["lock.request", "lock.request_granted"]
    assert audit_actions(world, "period_exception") == ["lock.exception"]
    with world.transaction() as s:
        assert locks.latest_request(s, "新尚村社区", "2010Q4").status == "granted"


def test_granting_a_request_keeps_every_rule_of_a_grant(world):
    rid = ask(world, world.village)
    with world.transaction() as s, pytest.raises(PermissionDenied, match="cunwei"):
        locks.grant_request(s, world.village, rid, "2011-04-30", today=TODAY)
    with world.transaction() as s, pytest.raises(PermissionDenied, match="新尚村社区"):
        locks.grant_request(s, world.other_township, rid, "2011-04-30", today=TODAY)
    with world.transaction() as s, pytest.raises(InputError, match="太长"):
        locks.grant_request(s, world.township, rid, "2012-12-31", today=TODAY)
    assert pending(world, world.township) == [("2010Q4", "12月凭证漏录")]
    with world.transaction() as s:
        assert s.execute(select(func.count()).select_from(locks.PeriodException)).scalar_one() == 0


def test_refusing_needs_a_reason_and_the_village_reads_it(world):
    rid = ask(world, world.village)
    with world.transaction() as s, pytest.raises(InputError, match="驳回 新尚村社区 2010Q4 的例外申请必须写明原因"):
        locks.refuse_request(s, world.township, rid, "  ")
    with world.transaction() as s, pytest.raises(PermissionDenied, match="不能驳回"):
        locks.refuse_request(s, world.village, rid, "不行")
    assert audit_actions(world) == ["lock.request"]
    with world.transaction() as s:
        locks.refuse_request(s, world.township, rid, "凭证已过保存期")
    with world.transaction() as s:
        latest = locks.latest_request(s, "新尚村社区", "2010Q4")
        assert (latest.status, latest.decision_reason, latest.decided_by) == ("refused", "凭证已过保存期", "zhenli")
        with pytest.raises(InputError, match="已驳回"):
            locks.grant_request(s, world.township, rid, "2011-04-30", today=TODAY)
    assert pending(world, world.township) == []
    assert audit_actions(world) == ["lock.request", "lock.request_refused"]
    ask(world, world.village, reason="补充说明后再申请")  # a refused request does not block a new one
    assert pending(world, world.township) == [("2010Q4", "补充说明后再申请")]


@pytest.mark.parametrize("who, args, error, message", [
    ("village", {"quarter": "2011Q1"}, InputError, "新尚村社区 的2011年第1季度尚未锁定"),
    ("village", {"reason": " "}, InputError, "必须写明原因"),
    ("village", {"quarter": "2010-12"}, InputError, "不是季度"),
    ("village", {"village": "东村"}, PermissionDenied, "不能为 东村 申请期间锁定例外：该村不在本人范围（新尚村社区）内"),
    ("other_township", {}, PermissionDenied, "不能为 新尚村社区 申请"),
    ("village", {"village": "茅草街镇"}, InputError, "茅草街镇 不是村或社区"),
])
def test_a_request_that_cannot_be_made_is_refused_and_nothing_is_written(world, who, args, error, message):
    with pytest.raises(error, match=message) as caught:
        ask(world, getattr(world, who), **args)
    assert caught.value.en and caught.value.en != caught.value.zh
    assert request_rows(world) == 0 and audit_actions(world) == []


def test_one_pending_request_per_village_and_quarter_and_none_once_an_exception_holds(world):
    ask(world, world.village)
    with pytest.raises(InputError, match="已有待审批的例外申请"):
        ask(world, world.village, reason="再问一次")
    assert request_rows(world) == 1
    ask(world, world.village, village="新尚村社区", quarter="2010Q3")  # another quarter is another request
    with world.transaction() as s:
        locks.grant(s, world.township, "东村", "2010Q4", "补录", "2011-04-30", today=TODAY)
    with pytest.raises(InputError, match="东村 的2010年第4季度已有有效例外"):
        ask(world, None, village="东村")
    with world.transaction() as s, pytest.raises(NotFoundError, match="找不到例外申请 999"):
        locks.refuse_request(s, world.township, 999, "不行")


# -- the command line --------------------------------------------------------------------------------

def test_cli_request_list_grant_and_refuse(world, cli):
    db = world.url
    code, out, err = cli("lock", "request", "--db", db, "--village", "新尚村社区", "--quarter", "2010Q4", "--reason", "补录凭证",
                         "--today", "2011-03-31")
    assert code == 0 and "已提交例外申请" in out, err
    first = int(re.search(r"#(\d+) 新尚村社区 2010Q4", out).group(1))
    code, out, err = cli("lock", "request", "--db", db, "--village", "东村", "--quarter", "2010Q4", "--reason", "漏报", "--today", "2011-03-31")
    second = int(re.search(r"#(\d+) 东村 2010Q4", out).group(1))
    code, out, err = cli("lock", "requests", "--db", db, "--area", "茅草街镇")
    assert code == 0, err
    assert "新尚村社区" in out and "东村" in out and "补录凭证" in out and "漏报" in out
    code, out, err = cli("lock", "requests", "--db", db, "--area", "南洲镇")
    assert code == 0 and "没有待审批的例外申请" in out

    code, out, err = cli("lock", "grant", "--db", db, "--request", str(first), "--until", "2011-04-30", "--today", "2011-03-31")
    assert code == 0 and "新尚村社区 至/until 2011-04-30（local：补录凭证）" in out, err
    code, out, err = cli("lock", "refuse", "--db", db, "--request", str(second), "--reason", "已过补录期限")
    assert code == 0 and "已驳回例外申请" in out, err
    code, out, err = cli("lock", "requests", "--db", db)
    assert code == 0 and "没有待审批的例外申请" in out
    assert write_ledger(world, world.village, [ledger_row(world.ids["新尚村社区"])]).inserted == 1
    assert audit_actions(world) == ["lock.request", "lock.request", "lock.request_granted", "lock.request_refused"]


@pytest.mark.parametrize("args, message", [
    (("request", "--village", "新尚村社区", "--quarter", "2011Q1", "--reason", "补录", "--today", "2011-03-31"), "尚未锁定"),
    (("request", "--village", "新尚村社区", "--quarter", "2010Q4", "--reason", " ", "--today", "2011-03-31"), "必须写明原因"),
    (("refuse", "--request", "999", "--reason", "不行"), "找不到例外申请 999"),
    (("grant", "--until", "2011-04-30"), "请给出 --region 和 --period，或用 --request"),
    (("grant", "--request", "999", "--until", "2011-04-30", "--today", "2011-03-31"), "找不到例外申请 999"),
])
def test_cli_request_refusals_are_one_line(world, cli, args, message):
    code, out, err = cli("lock", args[0], "--db", world.url, *args[1:])
    assert code == 2, out
    assert err.startswith("错误 / error:") and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert request_rows(world) == 0 and ledger_count(world) == 0
