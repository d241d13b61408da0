"""The ``shequ`` command line: plugins, init, demo, indicators and check, their exit codes, and
bad arguments answered with one line and exit code 2 — never a traceback."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, inspect, select, text

import shequ_sdk
from shequ_sdk import Household, Problem, Rule, hookimpl

CORE_INDICATORS = {"core.villages", "core.households", "core.associations", "core.honours"}


@pytest.fixture
def core_demo(tmp_path, only_plugins, cli):
    """The demo built by ``shequ demo`` with only the SDK's own plugin loaded."""
    only_plugins()
    db = str(tmp_path / "demo.db")
    code, out, err = cli("demo", "--db", db)
    assert code == 0, err
    assert "演示数据库已生成 / demo database built" in out
    return db


def test_plugins_json_lists_every_plugin(plugin_sandbox, cli):
    code, out, err = cli("plugins", "--json")
    assert code == 0, err
    items = json.loads(out)["plugins"]
    assert items[0]["name"] == "core"
    keys = {"name", "distribution", "version", "builtin", "association_types", "tables", "indicators", "rules", "settings", "views", "status", "error"}
    for item in items:
        assert set(item) == keys
        assert item["status"] == ("failed" if item["error"] else "ok")  # the names the guide uses
        assert all(isinstance(item[k], list) for k in ("association_types", "tables", "indicators", "rules", "settings", "views"))
    core = items[0]
    assert core["builtin"] is True and core["error"] is None and core["distribution"] == "shequ-sdk"
    assert CORE_INDICATORS <= set(core["indicators"]) and "household" in core["tables"]


def test_plugins_table(plugin_sandbox, cli):
    code, out, err = cli("plugins")
    assert code == 0, err
    assert "插件 / Plugins" in out and "core" in out and "core.households" in out and "正常 ok" in out


def test_init_creates_the_schema_and_keeps_data(only_plugins, cli, backend_url):
    only_plugins()
    code, out, err = cli("init", "--db", backend_url)
    assert code == 0, err
    assert "已初始化 / initialised" in out
    with shequ_sdk.open(backend_url) as sdk:
        tables = set(inspect(sdk.engine).get_table_names())
        assert {"region", "household", "resident", "association", "association_member", "honour", "setting"} <= tables
        with sdk.transaction() as s:
            from shequ_sdk.regions import create_region

            c = create_region(session=s, name="县", kind="county")
            v = create_region(session=s, name="村", kind="village", parent=create_region(session=s, name="镇", kind="township", parent=c))
        sdk.write(Household, [{"region_id": v.id, "number": "1", "head_name": "王伟"}])
    code, _, err = cli("init", "--db", backend_url)  # again: existing tables and rows are kept
    assert code == 0, err
    with shequ_sdk.open(backend_url) as sdk, sdk.transaction() as s:
        assert s.execute(select(func.count()).select_from(Household)).scalar() == 1


def test_demo_refuses_to_overwrite_without_force(core_demo, cli):
    code, out, err = cli("demo", "--db", core_demo)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "已存在" in err and "--force" in err
    code, out, err = cli("demo", "--db", core_demo, "--force")
    assert code == 0, err
    with shequ_sdk.open(core_demo) as sdk:  # rebuilt, not appended to
        assert sdk.indicator_values("南县", "2010", keys=["core.villages"]) == {"core.villages": 10}


def test_indicators_json_is_one_object_of_key_to_value(core_demo, cli):
    code, out, err = cli("indicators", "--db", core_demo, "--region", "新尚村社区", "--period", "2010", "--json")
    assert code == 0, err
    values = json.loads(out)
    assert isinstance(values, dict) and set(values) == CORE_INDICATORS
    assert values == {"core.villages": 1, "core.households": 360, "core.associations": 0, "core.honours": 1}
    code, out, _ = cli("indicators", "--db", core_demo, "--region", "南县/南洲镇/南洲村", "--period", "2010", "--json")
    assert json.loads(out)["core.households"] == 420 and json.loads(out)["core.honours"] == 3
    # honours are yearly only: a quarter leaves them out
    code, out, _ = cli("indicators", "--db", core_demo, "--region", "南洲镇", "--period", "2010年第4季度", "--json")
    assert code == 0 and set(json.loads(out)) == CORE_INDICATORS - {"core.honours"}


def test_indicators_table_in_both_languages(core_demo, cli):
    code, out, err = cli("indicators", "--db", core_demo, "--region", "新尚村社区", "--period", "2010Q4")
    assert code == 0, err
    assert "新尚村社区 · 2010年第4季度" in out and "户数" in out and "360 户" in out
    code, out, err = cli("indicators", "--db", core_demo, "--region", "新尚村社区", "--period", "2010Q4", "--lang", "en")
    assert code == 0, err
    assert "2010 Q4" in out and "Households" in out and "360 households" in out


def test_check_exit_codes(tmp_path, only_plugins, cli):
    class WarnOnly:
        @hookimpl
        def register_rules(self, register):
            register(Rule(key="warnonly.no_honours", label_zh="尚无荣誉", label_en="No honours yet", severity="warning",
                          check_db=lambda s: [Problem("尚无荣誉记录", "no honours recorded", table="honour")]))

    only_plugins(WarnOnly())
    db = str(tmp_path / "c.db")
    assert cli("init", "--db", db)[0] == 0
    code, out, err = cli("check", "--db", db)
    assert code == 0, err  # a warning alone is not a failure
    assert "提示 warning" in out and "尚无荣誉记录" in out and "0 errors, 1 warnings" in out
    # a row that bypassed the write path: an association of a type nobody registered
    with shequ_sdk.open(db) as sdk, sdk.transaction() as s:
        from shequ_sdk.regions import create_region

        c = create_region(session=s, name="县", kind="county")
        v = create_region(session=s, name="村", kind="village", parent=create_region(session=s, name="镇", kind="township", parent=c))
        s.execute(text("INSERT INTO association (region_id, synthetic, type_key, name) VALUES (:r, false, 'ghost', '幽灵协会')"), {"r": v.id})
    code, out, err = cli("check", "--db", db)
    assert code == 1
    assert "[core.association_type_known]" in out and "'ghost'" in out and "1 errors, 1 warnings" in out
    code, out, err = cli("check", "--db", db, "--json")
    assert code == 1
    problems = json.loads(out)
    errors = [p for p in problems if p["severity"] == "error"]
    assert len(errors) == 1 and len(problems) == 2
    assert {k: errors[0][k] for k in ("rule", "table", "row", "field", "value")} == {
        "rule": "core.association_type_known", "table": "association", "row": 1, "field": "type_key", "value": "ghost"}


# -- bad arguments: one line on stderr, exit code 2, no traceback (separate processes) ------------------

@pytest.fixture
def core_db(tmp_path, only_plugins):
    only_plugins()
    path = tmp_path / "core.db"
    shequ_sdk.open(path, create=True).close()
    return str(path)


BAD_ARGUMENTS = {
    "unknown region": (["indicators", "--db", "{db}", "--region", "无此村", "--period", "2010"], "找不到地区 '无此村'", "unknown region"),
    "malformed period": (["indicators", "--db", "{db}", "--region", "南洲村", "--period", "2010Q5"], "无法识别的期间", "malformed period '2010Q5'"),
    "missing database file": (["indicators", "--db", "{tmp}/missing.db", "--region", "南洲村", "--period", "2010"], "数据库文件不存在", "database file not found"),
    "missing file for check": (["check", "--db", "{tmp}/missing.db"], "数据库文件不存在", "run shequ init or shequ demo first"),
    "not a shequ database": (["check", "--db", "{tmp}/empty.db"], "不是 shequ 数据库", "is not a shequ database"),
    "missing option": (["indicators", "--db", "{db}", "--period", "2010"], "参数有误", "Missing option '--region'"),
    "unknown command": (["frobnicate"], "参数有误", "No such command 'frobnicate'"),
    "unknown driver": (["check", "--db", "nosuchdb://x/y"], "数据库地址无效", "invalid database URL"),
    "unreachable server": (["check", "--db", "postgresql+psycopg://nobody:secret@127.0.0.1:9/x"], "无法连接数据库服务器 127.0.0.1:9", "the database server at 127.0.0.1:9 is unreachable"),
    "demo over an existing file": (["demo", "--db", "{db}"], "已存在", "use --force to replace it"),
    "markup-like input is shown as typed": (["indicators", "--db", "{db}", "--region", "[/][bold]村", "--period", "2010"],
                                            "找不到地区 '[/][bold]村'", "unknown region '[/][bold]村'"),
}


SEPARATE_PROCESS = ("unknown region", "malformed period", "missing database file", "missing option")


def check_one_line(code, out, err, zh, en):
    assert code == 2, (out, err)
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("错误 / error:") and zh in lines[0] and en in lines[0]
    assert out == ""


@pytest.mark.parametrize("case", SEPARATE_PROCESS)
def test_bad_arguments_get_one_line_and_exit_2(shequ, core_db, tmp_path, case):
    """As a real process, in a terminal too narrow for the message: still one line."""
    args, zh, en = BAD_ARGUMENTS[case]
    args = [a.format(db=core_db, tmp=tmp_path) for a in args]
    # plugins load as usual for one case; the others skip them to keep the test quick
    env = {"COLUMNS": "50"} if case == "unknown region" else {"COLUMNS": "50", "SHEQU_LOAD_PLUGINS": ""}
    if case == "unknown region":  # the core-only database gets the plugins' tables first (open refuses it without them)
        assert shequ("init", "--db", core_db, env=env).returncode == 0
    result = shequ(*args, env=env)
    check_one_line(result.returncode, result.stdout, result.stderr, zh, en)


@pytest.mark.parametrize("case", [c for c in BAD_ARGUMENTS if c not in SEPARATE_PROCESS])
def test_more_bad_arguments_in_process(core_db, tmp_path, cli, case):
    args, zh, en = BAD_ARGUMENTS[case]
    (tmp_path / "empty.db").write_bytes(b"")
    check_one_line(*cli(*[a.format(db=core_db, tmp=tmp_path) for a in args]), zh, en)
