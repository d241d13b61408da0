"""Users, roles and scope: the SDK's reads and writes, login with its rate limit, and the
``shequ user`` / ``--user`` command line — on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from sqlalchemy import text
from sqlmodel import Session

from shequ_sdk.auth import (LOCK_SECONDS, MAX_FAILURES, Actor, add_user, authenticate, lock_seconds, set_disabled)
from shequ_sdk.errors import InputError, PermissionDenied

PASSWORD = "春耕秋收2010"


def _actor(sdk, username: str, role: str, region=None) -> Actor:
    rid = sdk.region(region).id if region else None
    return Actor(username, role, rid)


def _township_village_names(sdk, township: str) -> set[str]:
    return {v.name for v in sdk.villages(within=township)}


# -- reads --------------------------------------------------------------------------------------

def test_village_user_reads_only_their_village(demo):
    me = demo.as_user(_actor(demo, "xs", "village", "新尚村社区"))
    with pytest.raises(PermissionDenied) as err:
        me.frame("household", region="南洲村")
    message = str(err.value)
    assert "用户 xs（村(居)委会）只能查看本村/社区（新尚村社区）的数据，不能查看 南洲村" in message
    assert "规则：" in message and "rule:" in message
    for read, other in ((lambda: me.indicator_values("南洲村", "2010Q4"), "南洲村"), (lambda: me.indicators(regions="南洲镇", periods="2010"), "南洲镇"),
                        (lambda: me.regions_frame(within="南县"), "南县"), (lambda: me.wide(regions="南洲村", periods="2010"), "南洲村")):
        with pytest.raises(PermissionDenied, match=f"不能查看 {other}"):
            read()
    own = demo.region("新尚村社区").id
    rows = me.frame("household")  # no region: limited to the scope
    assert len(rows) > 0 and set(rows["region_id"]) == {own}
    assert len(rows) == len(demo.frame("household", region="新尚村社区"))
    assert set(me.indicators(periods="2010Q4")["region_name"]) == {"新尚村社区"}
    assert me.indicator_values("新尚村社区", "2010Q4") == demo.indicator_values("新尚村社区", "2010Q4")
    # region names: the scope and its ancestors only
    assert set(me.regions_frame()["name"]) == {"新尚村社区", "茅草街镇", "南县"}


def test_township_user_reads_their_township_only(demo):
    me = demo.as_user(_actor(demo, "mc", "township", "茅草街镇"))
    villages = _township_village_names(demo, "茅草街镇")
    long = me.indicators(["core.households"], periods="2010")
    assert set(long["region_name"]) == villages
    assert set(me.frame("household", with_region=True)["township_name"]) == {"茅草街镇"}
    assert len(me.frame("household", region="新尚村社区")) > 0
    with pytest.raises(PermissionDenied, match="只能查看本乡镇（茅草街镇）的数据，不能查看 南洲镇"):
        me.indicator_values("南洲镇", "2010")
    with pytest.raises(PermissionDenied, match="不能查看 南县"):
        me.frame("household", region="南县")  # the county covers other townships
    with pytest.raises(PermissionDenied, match="南洲村"):
        me.frame("household", region=["新尚村社区", "南洲村"])


def test_analyst_reads_everything_masked_and_writes_nothing(demo):
    me = demo.as_user(Actor("an", "analyst"))
    everything = demo.frame("household")
    rows = me.frame("household")
    assert len(rows) == len(everything)
    assert rows["head_id_number"].dropna().str.contains(r"\*").all()
    assert rows["phone"].dropna().str.contains(r"\*").all()
    with pytest.raises(PermissionDenied, match="an"):
        me.frame("household", unmasked=True)
    with pytest.raises(PermissionDenied, match="分析员只读"):
        me.write("honour", [{"region_id": demo.region("南洲村").id, "title": "文明村", "year": 2010}])


def test_admin_reads_in_clear_and_writes_anywhere(demo):
    me = demo.as_user(Actor("root", "admin"))
    clear = me.frame("household", unmasked=True, region="南洲村")
    assert not clear["head_id_number"].dropna().str.contains(r"\*").any()
    assert len(me.indicators(["core.households"], periods="2010")) == len(demo.indicators(["core.households"], periods="2010"))
    result = me.write("honour", [{"region_id": demo.region("南洲村").id, "title": "卫生村", "year": 2010}])
    assert result.inserted == 1
    assert "卫生村" in set(demo.frame("honour", region="南洲村")["title"])


def test_unmasking_follows_the_role(demo):
    from shequ_sdk.frames import may_unmask
    from shequ_sdk.plugins import registry

    rt = registry().table("household")
    fields = {f.name: f for f in rt.fields}
    village = _actor(demo, "xs", "village", "新尚村社区")
    township = _actor(demo, "mc", "township", "茅草街镇")
    assert may_unmask(village, rt, fields["head_id_number"]) and may_unmask(village, rt, fields["phone"])
    assert may_unmask(township, rt, fields["head_name"]) and not may_unmask(township, rt, fields["head_id_number"])
    assert not may_unmask(Actor("an", "analyst"), rt, fields["head_name"])
    assert may_unmask(Actor("root", "admin"), rt, fields["head_id_number"])
    sensitive = [t for t in registry().tables.values() if t.sensitive and any(f.sensitive for f in t.fields)]
    assert sensitive, "a plugin registers a sensitive table"
    field = next(f for f in sensitive[0].fields if f.sensitive)
    assert not may_unmask(village, sensitive[0], field)  # a sensitive table stays masked even for the committee
    # the village committee sees its own register in clear; the rows never leave its village
    rows = demo.as_user(village).frame("household", unmasked=["head_id_number"])
    assert not rows["head_id_number"].dropna().str.contains(r"\*").any()
    with pytest.raises(PermissionDenied):
        demo.as_user(township).frame("household", region="新尚村社区", unmasked=["head_id_number"])


# -- writes -------------------------------------------------------------------------------------

def test_village_user_writes_only_their_village(demo):
    me = demo.as_user(_actor(demo, "xs", "village", "新尚村社区"))
    with pytest.raises(PermissionDenied) as err:
        me.write("honour", [{"region_id": demo.region("南洲村").id, "title": "文明村", "year": 2010}])
    assert "记录属于 南洲村，不在本人范围（新尚村社区）内" in str(err.value)
    assert "文明村" not in set(demo.frame("honour", region="南洲村")["title"])
    me.write("honour", [{"region_id": demo.region("新尚村社区").id, "title": "平安村", "year": 2010}])
    assert "平安村" in set(demo.frame("honour", region="新尚村社区")["title"])


# -- users and login ------------------------------------------------------------------------------

def test_password_is_stored_as_argon2id_only(sdk):
    with sdk.transaction() as s:
        add_user(s, "an", role="analyst", password=PASSWORD)
    with sdk.engine.connect() as c:
        stored = c.execute(text("SELECT password_hash FROM shequ_user WHERE username = 'an'")).scalar_one()
        whole_rows = " ".join(str(v) for row in c.execute(text("SELECT * FROM shequ_user")).all() for v in row)
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in whole_rows


def test_login_returns_a_scoped_sdk_and_rate_limits(sdk):
    with sdk.transaction() as s:
        add_user(s, "an", role="analyst", password=PASSWORD, display_name="分析员甲")
    me = sdk.login("an", PASSWORD)
    assert me.user == Actor("an", "analyst", None, "分析员甲") and me.role is me.user and me.engine is sdk.engine
    with pytest.raises(PermissionDenied, match="用户名或密码错误"):
        sdk.login("nobody", PASSWORD)
    start = dt.datetime(2030, 1, 1, 8, 0, tzinfo=dt.timezone.utc)
    with Session(sdk.engine) as s:
        for n in range(1, MAX_FAILURES):
            with pytest.raises(PermissionDenied, match="用户名或密码错误"):
                authenticate(s, "an", "wrong password", now=start)
        with pytest.raises(PermissionDenied, match="暂停登录至 2030-01-01 08:01:00（UTC）"):
            authenticate(s, "an", "wrong password", now=start)  # the 5th failure locks
        # refused even with the right password until then
        with pytest.raises(PermissionDenied, match="until 2030-01-01 08:01:00 UTC"):
            authenticate(s, "an", PASSWORD, now=start + dt.timedelta(seconds=59))
        # one more failure after the lock doubles it
        with pytest.raises(PermissionDenied, match="08:03:01"):
            authenticate(s, "an", "wrong again", now=start + dt.timedelta(seconds=61))
        assert authenticate(s, "an", PASSWORD, now=start + dt.timedelta(minutes=4)).username == "an"
        # success resets the count
        with pytest.raises(PermissionDenied, match="用户名或密码错误"):
            authenticate(s, "an", "wrong password", now=start + dt.timedelta(minutes=5))
    assert [lock_seconds(n) for n in (MAX_FAILURES - 1, MAX_FAILURES, MAX_FAILURES + 1, MAX_FAILURES + 2)] == [0, LOCK_SECONDS, 2 * LOCK_SECONDS, 4 * LOCK_SECONDS]


def test_disabled_user_cannot_log_in(sdk):
    with sdk.transaction() as s:
        add_user(s, "an", role="analyst", password=PASSWORD)
        set_disabled(s, "an", True)
    with pytest.raises(PermissionDenied, match="已停用"):
        sdk.login("an", PASSWORD)


def test_user_region_must_fit_the_role(demo):
    with demo.transaction() as s:
        with pytest.raises(InputError, match="村或社区"):
            add_user(s, "x", role="village", region="茅草街镇", password=PASSWORD)
        with pytest.raises(InputError, match="乡镇"):
            add_user(s, "y", role="township", region="新尚村社区", password=PASSWORD)
        with pytest.raises(InputError, match="不限地区"):
            add_user(s, "z", role="analyst", region="南县", password=PASSWORD)
        with pytest.raises(InputError, match="未知角色"):
            add_user(s, "w", role="mayor", password=PASSWORD)
        with pytest.raises(InputError, match="至少"):
            add_user(s, "v", role="admin", password="short")


# -- command line -------------------------------------------------------------------------------

def _stdin(monkeypatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def test_cli_user_commands(demo, cli, monkeypatch):
    db = demo.url
    _stdin(monkeypatch, PASSWORD + "\n")
    code, out, err = cli("user", "add", "xs", "--role", "village", "--region", "新尚村社区", "--display-name", "李四", "--password-stdin", "--db", db)
    assert code == 0, err
    assert "xs" in out
    _stdin(monkeypatch, PASSWORD + "\n")
    code, _, err = cli("user", "add", "xs", "--role", "village", "--region", "新尚村社区", "--password-stdin", "--db", db)
    assert code == 2 and "已存在" in err and len(err.strip().splitlines()) == 1
    code, _, err = cli("user", "add", "bad", "--role", "township", "--region", "新尚村社区", "--password-stdin", "--db", db)
    assert code == 2 and "乡镇" in err and "township" in err
    code, out, _ = cli("user", "list", "--json", "--db", db)
    users = json.loads(out)
    assert [(u["username"], u["role"], u["region"], u["display_name"], u["disabled"]) for u in users] == [("xs", "village", "新尚村社区", "李四", False)]
    assert "hash" not in out and PASSWORD not in out

    monkeypatch.setenv("SHEQU_PASSWORD", PASSWORD)
    code, out, err = cli("indicators", "--db", db, "--region", "新尚村社区", "--period", "2010Q4", "--user", "xs", "--json")
    assert code == 0, err
    assert json.loads(out) == json.loads(cli("indicators", "--db", db, "--region", "新尚村社区", "--period", "2010Q4", "--json")[1])
    code, _, err = cli("indicators", "--db", db, "--region", "南洲村", "--period", "2010Q4", "--user", "xs")
    assert code == 2 and "不能查看 南洲村" in err and "规则" in err and len(err.strip().splitlines()) == 1

    _stdin(monkeypatch, "另一个密码2011\n")
    assert cli("user", "passwd", "xs", "--password-stdin", "--db", db)[0] == 0
    code, _, err = cli("indicators", "--db", db, "--region", "新尚村社区", "--period", "2010Q4", "--user", "xs")
    assert code == 2 and "用户名或密码错误" in err and len(err.strip().splitlines()) == 1
    monkeypatch.setenv("SHEQU_PASSWORD", "另一个密码2011")
    assert cli("indicators", "--db", db, "--region", "新尚村社区", "--period", "2010Q4", "--user", "xs")[0] == 0

    assert cli("user", "disable", "xs", "--db", db)[0] == 0
    code, _, err = cli("indicators", "--db", db, "--region", "新尚村社区", "--period", "2010Q4", "--user", "xs")
    assert code == 2 and "已停用" in err
    assert json.loads(cli("user", "list", "--json", "--db", db)[1])[0]["disabled"] is True
    assert cli("user", "enable", "xs", "--db", db)[0] == 0
    assert cli("indicators", "--db", db, "--region", "新尚村社区", "--period", "2010Q4", "--user", "xs")[0] == 0


def test_cli_wrong_passwords_are_rate_limited(demo, cli, monkeypatch):
    db = demo.url
    _stdin(monkeypatch, PASSWORD + "\n")
    assert cli("user", "add", "mc", "--role", "township", "--region", "茅草街镇", "--password-stdin", "--db", db)[0] == 0
    monkeypatch.setenv("SHEQU_USER", "mc")
    monkeypatch.setenv("SHEQU_PASSWORD", "guess-0000")
    errors = []
    for _ in range(MAX_FAILURES + 1):
        code, _, err = cli("indicators", "--db", db, "--region", "茅草街镇", "--period", "2010")
        assert code == 2 and len(err.strip().splitlines()) == 1
        errors.append(err)
    assert all("用户名或密码错误" in e for e in errors[: MAX_FAILURES - 1])
    assert "登录失败次数过多" in errors[MAX_FAILURES - 1] and "too many failed logins" in errors[-1]
    monkeypatch.setenv("SHEQU_PASSWORD", PASSWORD)  # the right password is refused while locked
    code, _, err = cli("indicators", "--db", db, "--region", "茅草街镇", "--period", "2010")
    assert code == 2 and "暂停登录至" in err
    locked = json.loads(cli("user", "list", "--json", "--db", db)[1])[0]
    assert locked["failed_count"] == MAX_FAILURES and locked["locked_until"]  # refused attempts do not count again
    _stdin(monkeypatch, PASSWORD + "\n")
    assert cli("user", "passwd", "mc", "--password-stdin", "--db", db)[0] == 0  # an administrator lifts the lock
    assert cli("indicators", "--db", db, "--region", "茅草街镇", "--period", "2010")[0] == 0


def test_cli_spreadsheets_are_scoped(demo, cli, monkeypatch, tmp_path):
    db = demo.url
    _stdin(monkeypatch, PASSWORD + "\n")
    assert cli("user", "add", "xs", "--role", "village", "--region", "新尚村社区", "--password-stdin", "--db", db)[0] == 0
    monkeypatch.setenv("SHEQU_PASSWORD", PASSWORD)
    out = tmp_path / "households.csv"
    code, _, err = cli("export", "--table", "household", "--format", "csv", "--out", str(out), "--db", db, "--user", "xs")
    assert code == 0, err
    lines = out.read_text(encoding="utf-8-sig").strip().splitlines()
    assert len(lines) - 1 == len(demo.frame("household", region="新尚村社区"))
    code, _, err = cli("export", "--table", "household", "--format", "csv", "--region", "南洲村", "--db", db, "--user", "xs")
    assert code == 2 and "不能查看 南洲村" in err
    # another village's template: refused to the user; made locally, its import by the user is refused whole
    template = tmp_path / "honours.xlsx"
    code, _, err = cli("template", "--table", "honour", "--region", "南洲村", "--period", "2010Q4", "--out", str(template), "--db", db, "--user", "xs")
    assert code == 2 and "不能查看 南洲村" in err and not template.exists()
    assert cli("template", "--table", "honour", "--region", "南洲村", "--period", "2010Q4", "--out", str(template), "--db", db)[0] == 0
    before = len(demo.frame("honour"))
    code, _, err = cli("import", str(template), "--db", db, "--user", "xs")
    assert code == 2 and "记录属于 南洲村，不在本人范围（新尚村社区）内" in err
    assert len(demo.frame("honour")) == before


def test_serve_refuses_other_addresses_without_users(sdk, cli):
    code, out, err = cli("serve", "--db", sdk.url, "--address", "0.0.0.0", "--port", "5999")
    assert code == 2
    assert "shequ user add" in err and "需要登录" in err and len(err.strip().splitlines()) == 1
