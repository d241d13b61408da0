"""Stored, revocable sessions and audited user changes (issue 12, findings 5, 6 and 8 and the
verifier's user entries) — on SQLite and PostgreSQL.

A login starts a session of which only a digest is stored; a password change, disabling, a
role or scope change and ``shequ user logout`` end every session of the user at once, and the
SDK checks before each read and write.
"""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from sqlalchemy import select, text
from sqlmodel import Session

from shequ_sdk import InputError, PermissionDenied, SessionEnded
from shequ_sdk.audit import AuditEntry
from shequ_sdk.auth import (FAILURES, MAX_FAILURES, USER_TABLE_KEY, Actor, add_user, authenticate, get_user, set_disabled,
                            set_password, set_role, user_audit_values)

PASSWORD = "春耕秋收2010"


def _household(sdk, village: str) -> dict:
    return {"region_id": sdk.region(village).id, "number": "S-001", "head_name": "测试户", "members": 2}


@pytest.mark.parametrize("end", ["passwd", "disable", "role", "logout", "admin_logout"])
def test_an_api_session_ends_at_once(demo, end):
    with demo.transaction() as s:
        add_user(s, "xs", role="village", region="新尚村社区", password=PASSWORD)
    me = demo.login("xs", PASSWORD)
    assert len(me.frame("household")) > 0  # the session works
    me.write("household", [_household(demo, "新尚村社区")])
    with demo.transaction() as s:
        if end == "passwd":
            set_password(s, "xs", "另一个密码2011")
        elif end == "disable":
            set_disabled(s, "xs", True)
        elif end == "role":
            set_role(s, "xs", role="reviewer")
        elif end == "admin_logout":
            from shequ_sdk.auth import logout_user

            assert logout_user(s, "xs") == 1
    if end == "logout":
        me.logout()
    with pytest.raises(SessionEnded, match="登录已失效"):
        me.frame("household")
    with pytest.raises(SessionEnded, match="sign in again"):
        me.write("household", [{**_household(demo, "新尚村社区"), "number": "S-002"}])
    with pytest.raises(SessionEnded):
        me.indicators(periods=["2010"])
    assert demo.frame("household", where={"number": "S-002"}).empty  # nothing was written


def test_only_a_digest_of_the_token_is_stored(sdk):
    with sdk.transaction() as s:
        add_user(s, "an", role="analyst", password=PASSWORD)
    me = sdk.login("an", PASSWORD)
    token = me._session_token
    with sdk.engine.connect() as c:
        rows = c.execute(text("SELECT * FROM shequ_session")).mappings().all()
    assert len(rows) == 1 and rows[0]["kind"] == "api" and rows[0]["revoked_at"] is None
    assert token not in " ".join(str(v) for v in rows[0].values())
    import hashlib

    assert rows[0]["token_hash"] == hashlib.sha256(token.encode()).hexdigest()


def test_an_actor_given_in_code_is_checked_against_the_stored_user(demo):
    with demo.transaction() as s:
        add_user(s, "xs", role="village", region="新尚村社区", password=PASSWORD)
    rid = demo.region("新尚村社区").id
    me = demo.as_user(Actor("xs", "village", rid))
    assert len(me.frame("household")) > 0
    with demo.transaction() as s:
        set_disabled(s, "xs", True)
    with pytest.raises(SessionEnded):
        me.frame("household")
    with demo.transaction() as s:
        set_disabled(s, "xs", False)
        set_role(s, "xs", region="南洲村")  # the scope moved: an Actor claiming the old scope is refused
    with pytest.raises(SessionEnded):
        me.frame("household")
    # a name that is no stored user is a programmatic actor (documented): it keeps working
    assert len(demo.as_user(Actor("notebook", "village", rid)).frame("household")) > 0


def _user_entries(sdk, user_id: int) -> list[AuditEntry]:
    with Session(sdk.engine) as s:
        return list(s.execute(select(AuditEntry).where(AuditEntry.table_key == USER_TABLE_KEY, AuditEntry.record_id == user_id)
                              .order_by(AuditEntry.seq)).scalars())


def test_user_changes_are_audited_with_the_audited_view(demo):
    with demo.transaction() as s:
        user = add_user(s, "xs", role="village", region="新尚村社区", password=PASSWORD, display_name="李四")
        uid, first_hash = user.id, user.password_hash
    with demo.transaction() as s:
        set_password(s, "xs", "另一个密码2011")
    with demo.transaction() as s:
        set_disabled(s, "xs", True)
    with demo.transaction() as s:
        set_disabled(s, "xs", True)  # no change: no entry
        set_disabled(s, "xs", False)
    with demo.transaction() as s:
        set_role(s, "xs", role="township", region="茅草街镇")
    entries = _user_entries(demo, uid)
    assert [e.action for e in entries] == ["insert", "update", "update", "update", "update"]
    assert all(e.actor == "local" for e in entries)
    first = json.loads(entries[0].new)
    assert entries[0].old is None and set(first) == {"username", "display_name", "role", "region_id", "disabled", "password_hash"}
    assert first_hash not in entries[0].new and first["password_hash"] != first_hash  # a digest, never the hash
    assert entries[0].region_id == demo.region("新尚村社区").id
    assert set(json.loads(entries[1].new)) == {"password_hash"}
    assert (json.loads(entries[2].old), json.loads(entries[2].new)) == ({"disabled": False}, {"disabled": True})
    assert json.loads(entries[4].new) == {"role": "township", "region_id": demo.region("茅草街镇").id}
    assert entries[4].region_id == demo.region("茅草街镇").id
    # replaying the entries gives the table's audited view of the user
    state: dict = {}
    for e in entries:
        if e.old is not None:
            assert {k: state[k] for k in json.loads(e.old)} == json.loads(e.old)
        state.update(json.loads(e.new))
    with Session(demo.engine) as s:
        assert state == user_audit_values(get_user(s, "xs"))


def test_reserved_names_are_refused(sdk):
    with sdk.transaction() as s:
        for name in ("guest", "Guest", "local", "GUEST"):
            with pytest.raises(InputError, match="保留名称"):
                add_user(s, name, role="admin", password=PASSWORD)
        with pytest.raises(InputError, match="控制字符"):
            add_user(s, "a\x00b", role="admin", password=PASSWORD)


def test_the_lock_out_looks_the_same_for_unknown_users_and_one_address_locks_only_itself(sdk):
    with sdk.transaction() as s:
        add_user(s, "an", role="analyst", password=PASSWORD)
    start = dt.datetime(2031, 1, 1, 8, 0, tzinfo=dt.timezone.utc)
    messages = {}
    try:
        with Session(sdk.engine) as s:
            for name in ("an", "nobody"):
                for _ in range(MAX_FAILURES - 1):
                    with pytest.raises(PermissionDenied, match="用户名或密码错误"):
                        authenticate(s, name, "wrong password", now=start, address="203.0.113.7")
                with pytest.raises(PermissionDenied) as caught:
                    authenticate(s, name, "wrong password", now=start, address="203.0.113.7")
                messages[name] = str(caught.value).replace(f"账户 {name} ", "账户 NAME ").replace(f"account {name} ", "account NAME ")
            assert messages["an"] == messages["nobody"] and "暂停登录至 2031-01-01 08:01:00（UTC）" in messages["an"]
            # the address that failed is refused, even with the right password …
            with pytest.raises(PermissionDenied, match="暂停登录"):
                authenticate(s, "an", PASSWORD, now=start + dt.timedelta(seconds=30), address="203.0.113.7")
            # … but the user, from another address, is not locked out by it
            assert authenticate(s, "an", PASSWORD, now=start + dt.timedelta(seconds=30), address="198.51.100.2").username == "an"
            assert get_user(s, "an").locked_until is None
    finally:
        FAILURES.forget_user("an")
        FAILURES.forget_user("nobody")


def _stdin(monkeypatch, value: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(value))


def test_cli_role_sessions_and_logout(demo, cli, monkeypatch):
    db = demo.url
    _stdin(monkeypatch, PASSWORD + "\n")
    assert cli("user", "add", "xs", "--role", "village", "--region", "新尚村社区", "--password-stdin", "--db", db)[0] == 0
    _stdin(monkeypatch, PASSWORD + "\n")
    code, _, err = cli("user", "add", "guest", "--role", "admin", "--password-stdin", "--db", db)
    assert code == 2 and "保留名称" in err and "reserved" in err and len(err.strip().splitlines()) == 1
    me = demo.login("xs", PASSWORD)
    demo.login("xs", PASSWORD)
    code, out, err = cli("user", "sessions", "xs", "--json", "--db", db)
    assert code == 0, err
    listed = json.loads(out)
    assert [r["kind"] for r in listed] == ["api", "api"] and all(r["live"] for r in listed)
    assert "token" not in out.replace("token_hash", "")  # neither the token nor its digest is listed
    code, out, err = cli("user", "logout", "xs", "--db", db)
    assert code == 0 and "已结束 2 个登录" in out, err
    with pytest.raises(SessionEnded):
        me.frame("household")
    assert json.loads(cli("user", "sessions", "--json", "--db", db)[1]) == []
    ended = json.loads(cli("user", "sessions", "xs", "--all", "--json", "--db", db)[1])
    assert {r["revoked_reason"] for r in ended} == {"admin"}
    assert "已结束" in cli("user", "sessions", "--all", "--db", db)[1]

    code, out, err = cli("user", "role", "xs", "--role", "township", "--db", db)
    assert code == 2 and "乡镇" in err and len(err.strip().splitlines()) == 1  # 新尚村社区 is no township
    code, out, err = cli("user", "role", "xs", "--role", "township", "--region", "茅草街镇", "--db", db)
    assert code == 0 and "乡镇工作人员" in out, err
    assert json.loads(cli("user", "list", "--json", "--db", db)[1])[0]["region"] == "茅草街镇"
    code, _, err = cli("user", "role", "xs", "--db", db)
    assert code == 2 and len(err.strip().splitlines()) == 1
