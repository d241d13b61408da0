"""Plugin loading: the SDK's defaults are a plugin like any other, in-test plugins come and go,
failures are reported under the plugin's name while the others keep working, bad
registrations are refused, and loading is controlled and traced through the environment.

Three kinds of plugin appear here: in-test plugin classes (registered by fixtures, removed in
``finally``), throwaway modules in ``tests/plugins/`` installed through a temporary dist-info
in a subprocess, and the real workspace distributions found through their entry points.
"""

from __future__ import annotations

import json
import re
import sys
import tomllib
from datetime import date
from pathlib import Path
from typing import Optional

import pytest
from sqlalchemy import func, select

from shequ_sdk import (
    AssociationType, BoardType, Household, Indicator, InputError, PluginError, Record, RecordTable, Region, Rule, Setting, View, field,
    hookimpl,
)
from shequ_sdk import plugins
from shequ_sdk.registry import Registry, make_register

ROOT = Path(__file__).resolve().parents[1]
THROWAWAY = ROOT / "tests" / "plugins"


class GadgetLog(Record, table=True):
    """A record table owned by the in-test plugins below."""

    __tablename__ = "gadget_log"
    logged_on: date = field(label_zh="日期", label_en="Date")
    note: Optional[str] = field(default=None, label_zh="备注", label_en="Note")


class GadgetPlugin:
    """A well-behaved in-test plugin contributing one of everything."""

    @hookimpl
    def register_association_types(self, register):
        register(AssociationType(key="gadget_club", name_zh="器件协会", name_en="Gadget club"))

    @hookimpl
    def register_tables(self, register):
        register(RecordTable(model=GadgetLog, label_zh="器件日志", label_en="Gadget log", date_field="logged_on"))

    @hookimpl
    def register_indicators(self, register):
        register(Indicator(key="gadget.logs", label_zh="日志数", label_en="Logs", unit_zh="条", unit_en="",
                           numerator=lambda q: q.count(GadgetLog, date=GadgetLog.logged_on)))

    @hookimpl
    def register_rules(self, register):
        register(Rule(key="gadget.has_note", label_zh="需有备注", label_en="Needs a note", table="gadget_log",
                      check_row=lambda row, ctx: [] if row.note else [], severity="warning"))

    @hookimpl
    def register_settings(self, register):
        register(Setting(key="gadget.limit", default=3, label_zh="上限", label_en="Limit"))

    @hookimpl
    def register_views(self, register):
        register(View(key="gadget.table", label_zh="器件表", label_en="Gadgets", render=lambda store: None))


@pytest.fixture
def gadget(plugin_sandbox):
    """The in-test plugin registered at run time, unregistered in ``finally``."""
    plugin = GadgetPlugin()
    plugins.register_plugin(plugin, name="gadget")
    try:
        yield plugin
    finally:
        plugins.unregister_plugin("gadget")


# -- the SDK's defaults ------------------------------------------------------------------------

def test_defaults_are_registered_like_any_plugin():
    import shequ_sdk.default_plugins.core as core

    st = plugins.state()
    assert "shequ_sdk.default_plugins.core" in plugins.DEFAULT_PLUGINS
    assert st.pm.get_plugin("core") is core
    info = st.plugins["core"]
    assert (info.builtin, info.distribution, info.module) == (True, "shequ-sdk", "shequ_sdk.default_plugins.core")
    hooks = {h.name for h in st.pm.get_hookcallers(core)}
    assert {"register_tables", "register_indicators", "register_rules", "populate"} <= hooks
    reg = plugins.registry()
    mine = reg.by_plugin("core")
    assert set(mine["tables"]) == {"household", "resident", "association", "association_member", "honour"}
    assert {"core.households", "core.villages", "core.associations", "core.honours"} <= set(mine["indicators"])
    assert reg.owner[("tables", "household")] == "core"


def test_defaults_load_without_entry_points(only_plugins):
    st = only_plugins()
    assert list(st.plugins) == ["core"]
    assert "core.households" in plugins.registry().indicators


# -- in-test plugins -------------------------------------------------------------------------------

def test_in_test_plugin_contributes_everything(gadget):
    reg = plugins.registry()
    assert reg.by_plugin("gadget") == {
        "association_types": ["gadget_club"], "tables": ["gadget_log"], "indicators": ["gadget.logs"],
        "rules": ["gadget.has_note"], "settings": ["gadget.limit"], "views": ["gadget.table"],
    }
    assert reg.table("gadget_log").model is GadgetLog
    assert "gadget" not in plugins.state().failures


def test_unregister_removes_the_contributions(plugin_sandbox):
    plugins.register_plugin(GadgetPlugin(), name="gadget")
    try:
        assert "gadget.logs" in plugins.registry().indicators
    finally:
        plugins.unregister_plugin("gadget")
    reg = plugins.registry()
    assert "gadget.logs" not in reg.indicators and "gadget_log" not in reg.tables
    assert "gadget" not in plugins.state().plugins
    assert "core.households" in reg.indicators


def test_reset_with_extra_plugins(only_plugins):
    st = only_plugins(GadgetPlugin())
    assert list(st.plugins) == ["core", "GadgetPlugin"]
    assert plugins.registry().owner[("indicators", "gadget.logs")] == "GadgetPlugin"


def test_in_test_plugin_tables_are_created_and_written(only_plugins, backend_url):
    import shequ_sdk

    only_plugins(GadgetPlugin())
    with shequ_sdk.open(backend_url, create=True) as sdk:
        with sdk.transaction() as s:
            from shequ_sdk.regions import create_region

            c = create_region(session=s, name="县", kind="county")
            t = create_region(session=s, name="镇", kind="township", parent=c)
            v = create_region(session=s, name="村", kind="village", parent=t)
        sdk.write("gadget_log", [{"region_id": v.id, "logged_on": "2010-05-01"}, {"region_id": v.id, "logged_on": date(2010, 6, 1)}])
        assert sdk.indicator_values("村", "2010Q2", keys=["gadget.logs"]) == {"gadget.logs": 2}
        assert sdk.indicator_values("镇", "2010-05", keys=["gadget"]) == {"gadget.logs": 1}


# -- failures are reported by plugin name; the others keep working ------------------------------------

class ExplodingPlugin:
    @hookimpl
    def register_association_types(self, register):
        register(AssociationType(key="exploding_club", name_zh="爆炸协会", name_en="Exploding club"))

    @hookimpl
    def register_indicators(self, register):
        raise RuntimeError("计数器坏了 counter broke")


def test_a_raising_hook_is_reported_by_name_and_others_keep_working(gadget, cli):
    plugins.register_plugin(ExplodingPlugin(), name="exploding")
    try:
        reg = plugins.registry()
        error = plugins.state().failures["exploding"]
        assert error.startswith("register_indicators: RuntimeError: 计数器坏了 counter broke (test_plugin_loading.py:")
        assert "exploding_club" not in reg.association_types  # a plugin that failed part-way contributes nothing
        assert "gadget.logs" in reg.indicators and "core.households" in reg.indicators
        assert reg.errors == [("exploding", error)]
        code, out, err = cli("plugins", "--json")
        assert code == 0, err
        listed = {p["name"]: p for p in json.loads(out)["plugins"]}
        assert listed["exploding"]["error"] == error and listed["exploding"]["association_types"] == []
        assert listed["gadget"]["error"] is None and listed["gadget"]["indicators"] == ["gadget.logs"]
        assert listed["core"]["error"] is None
        code, out, err = cli("plugins")
        assert code == 0 and "失败 failed" in out and "计数器坏了" in out and "正常 ok" in out
    finally:
        plugins.unregister_plugin("exploding")
    assert "exploding" not in plugins.state().failures


def test_a_raising_command_hook_is_reported_and_other_commands_still_load(plugin_sandbox):
    seen = []

    class BadCommands:
        @hookimpl
        def register_commands(self, cli):
            raise ValueError("no cli for you")

    class GoodCommands:
        @hookimpl
        def register_commands(self, cli):
            seen.append(cli)
            return "added"

    plugins.register_plugin(BadCommands(), name="badcmd")
    plugins.register_plugin(GoodCommands(), name="goodcmd")
    results = plugins.call_each("register_commands", cli="the app")
    assert ("goodcmd", "added") in results and seen == ["the app"]
    assert plugins.state().failures["badcmd"].startswith("register_commands: ValueError: no cli for you")


class FailingPopulate:
    @hookimpl
    def populate(self, ctx):
        ctx.write(Household, [{"region_id": ctx.region("南洲村").id, "number": "9999", "head_name": "无名"}])
        raise InputError("演示数据写坏了", "demo data went wrong")


def test_a_failing_populate_names_the_plugin_and_writes_nothing(only_plugins, backend_url):
    import shequ_sdk

    only_plugins(FailingPopulate())
    with shequ_sdk.open(backend_url, create=True) as sdk:
        with pytest.raises(InputError) as exc:
            sdk.build_demo()
        assert "插件 FailingPopulate 的演示数据无效：演示数据写坏了" in exc.value.zh
        assert "plugin FailingPopulate demo data is invalid: demo data went wrong" in exc.value.en
        with sdk.transaction() as s:  # the core's regions and households were rolled back too
            assert s.execute(select(func.count()).select_from(Region)).scalar() == 0
            assert s.execute(select(func.count()).select_from(Household)).scalar() == 0


# -- bad registrations fail with the plugin's name -------------------------------------------------------

def _ind(key="badreg.x", **kw):
    return Indicator(key=key, label_zh="指标", label_en="Indicator", unit_zh="", unit_en="",
                     numerator=kw.pop("numerator", lambda q: None), **kw)


BAD_REGISTRATIONS = {
    "wrong type": ("register_indicators", lambda: {"key": "badreg.x"}, "registered a dict where a Indicator was expected"),
    "wrong dataclass": ("register_tables", lambda: _ind(), "registered a Indicator where a RecordTable was expected"),
    "upper-case key": ("register_association_types", lambda: AssociationType(key="Bad-Key", name_zh="坏", name_en="bad"),
                       "lower-case letters, digits and underscores"),
    "key without plugin": ("register_indicators", lambda: _ind("households"), "must look like plugin.name"),
    "setting key without plugin": ("register_settings", lambda: Setting(key="limit", default=1, label_zh="上限", label_en="limit"),
                                   "must look like plugin.name"),
    "another plugin's prefix": ("register_indicators", lambda: _ind("core.stolen"), "prefix core. belongs to another plugin"),
    "duplicate of the core": ("register_tables", lambda: RecordTable(model=Household, label_zh="户", label_en="Households"),
                              "registered 'household', which plugin core already registered"),
    "ratio without denominator": ("register_indicators", lambda: _ind(value_type="ratio"), "needs a denominator"),
    "count with a denominator": ("register_indicators", lambda: _ind(denominator=lambda q: None),
                                 'a count indicator cannot have a denominator (use value_type="ratio" for a share, "number" for a value per unit)'),
    "denominator not callable": ("register_indicators", lambda: _ind(value_type="number", denominator=7), "denominator must be callable"),
    "unknown value type": ("register_indicators", lambda: _ind(value_type="percent"), "value_type must be one of"),
    "unknown period kind": ("register_indicators", lambda: _ind(period_kinds=("week",)), "period_kinds must be taken from"),
    "numerator not callable": ("register_indicators", lambda: _ind(numerator=42), "numerator must be callable"),
    "not a Record": ("register_tables", lambda: RecordTable(model=Region, label_zh="地区", label_en="Regions"),
                     "subclasses shequ_sdk.Record"),
    "bad level": ("register_tables", lambda: RecordTable(model=GadgetLog, label_zh="日志", label_en="Log", level="province"), "level must be"),
    "missing natural-key column": ("register_tables", lambda: RecordTable(model=GadgetLog, label_zh="日志", label_en="Log", natural_key=("nope",)),
                                   "no column nope"),
    "period field without kind": ("register_tables", lambda: RecordTable(model=GadgetLog, label_zh="日志", label_en="Log", period_field="note"),
                                  "period_field needs a period_kind"),
    "rule without checks": ("register_rules", lambda: Rule(key="badreg.r", label_zh="规则", label_en="rule"), "needs check_row or check_db"),
    "rule severity": ("register_rules", lambda: Rule(key="badreg.r", label_zh="规则", label_en="rule", check_db=lambda s: [], severity="fatal"),
                      "severity must be error or warning"),
    "board without a loader": ("register_boards", lambda: BoardType(key="badreg.b", label_zh="栏", label_en="board", load=None),
                               "load must be callable"),
    "board period kind": ("register_boards", lambda: BoardType(key="badreg.b", label_zh="栏", label_en="board", load=lambda *a: None,
                                                               period_kinds=("week",)), "period_kinds must be taken from"),
    "board key": ("register_boards", lambda: BoardType(key="Board", label_zh="栏", label_en="board", load=lambda *a: None),
                  "plugin.name"),
}


@pytest.mark.parametrize("case", list(BAD_REGISTRATIONS))
def test_bad_registration_fails_with_the_plugins_name(plugin_sandbox, case):
    hook, make_item, en_fragment = BAD_REGISTRATIONS[case]

    class BadRegistration:
        @hookimpl
        def register_association_types(self, register):
            register(AssociationType(key="badreg_ok", name_zh="正常", name_en="fine"))

    def bad(self, register):
        register(make_item())

    setattr(BadRegistration, hook, hookimpl(bad))
    plugins.register_plugin(BadRegistration(), name="badreg")
    reg = plugins.registry()
    error = plugins.state().failures["badreg"]
    assert error.startswith(f"{hook}: PluginError: 插件 badreg ")
    assert "plugin badreg " in error and en_fragment in error, error
    assert "badreg_ok" not in reg.association_types or hook == "register_association_types"
    assert "badreg" not in {who for who in reg.owner.values()}
    # the core is untouched, whoever registered first
    assert reg.owner[("tables", "household")] == "core" and "core.households" in reg.indicators
    assert "core" not in plugins.state().failures


def test_duplicate_keys_name_both_plugins(plugin_sandbox):
    def plugin(label):
        class Club:
            @hookimpl
            def register_association_types(self, register):
                register(AssociationType(key="shared_club", name_zh=label, name_en=label))
        return Club()

    plugins.register_plugin(plugin("先"), name="first")
    plugins.register_plugin(plugin("后"), name="second")
    reg = plugins.registry()
    assert reg.association_types["shared_club"].name_zh == "先"  # first registered wins
    error = plugins.state().failures["second"]
    assert "插件 second 注册的 'shared_club' 与插件 first 重复" in error
    assert "plugin second registered 'shared_club', which plugin first already registered" in error
    assert "first" not in plugins.state().failures


def test_register_callback_raises_plugin_error_in_both_languages():
    register = make_register(Registry(), "indicators", "someplugin", Indicator, frozenset({"other"}))
    with pytest.raises(PluginError) as exc:
        register(_ind("other.x"))
    assert "插件 someplugin" in exc.value.zh and "前缀 other." in exc.value.zh
    assert "plugin someplugin" in exc.value.en and "prefix other." in exc.value.en
    assert register(_ind("someplugin.x")).key == "someplugin.x"


# -- the environment: which plugins load, and tracing (separate processes) ---------------------------------

def workspace_plugins() -> dict[str, tuple[str, str]]:
    """``{entry point name: (distribution, version)}`` for every plugin in plugins/*."""
    out = {}
    for path in sorted(ROOT.glob("plugins/*/pyproject.toml")):
        project = tomllib.loads(path.read_text(encoding="utf-8"))["project"]
        for name in project.get("entry-points", {}).get("shequ_sdk", {}):
            out[name] = (project["name"], project["version"])
    return out


def listed(result) -> dict[str, dict]:
    assert result.returncode == 0, result.stderr
    return {p["name"]: p for p in json.loads(result.stdout)["plugins"]}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_installed_distributions_are_found_through_their_entry_points(shequ):
    expected = workspace_plugins()
    assert len(expected) >= 8
    found = listed(shequ("plugins", "--json"))
    for name, (dist, version) in expected.items():
        assert name in found, f"entry point {name} of {dist} was not loaded"
        assert canonical(found[name]["distribution"] or "") == canonical(dist)
        assert found[name]["version"] == version and found[name]["builtin"] is False
    assert found["core"]["builtin"] is True
    assert set(found) == {"core", *expected}


def test_shequ_load_plugins_restricts_loading(shequ):
    names = sorted(workspace_plugins())
    none = shequ("plugins", "--json", env={"SHEQU_LOAD_PLUGINS": ""})
    assert set(listed(none)) == {"core"}
    assert "[shequ hooks]" not in none.stderr  # no tracing unless asked for
    two = listed(shequ("plugins", "--json", env={"SHEQU_LOAD_PLUGINS": f" {names[1]} , no_such_plugin,{names[0]}"}))
    assert set(two) == {"core", names[0], names[1]}


def test_shequ_trace_hooks_prints_hook_calls(shequ):
    traced = shequ("plugins", "--json", env={"SHEQU_TRACE_HOOKS": "1", "SHEQU_LOAD_PLUGINS": ""})
    assert traced.returncode == 0
    lines = traced.stderr.splitlines()
    for hook in ("register_tables", "register_indicators", "register_rules"):  # the hooks core implements
        assert f"[shequ hooks] call {hook} in core" in lines
    # a hook core does not implement is not traced for core
    assert not any(line.startswith("[shequ hooks] call register_boards in core") for line in lines)
    json.loads(traced.stdout)  # tracing goes to stderr only


def test_importing_the_sdk_loads_no_plugins():
    import subprocess

    code = ("import sys, shequ_sdk, shequ_sdk.plugins as p; "
            "print(p._state is None, any(m.startswith('shequ_plugin_') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "False"]


def make_distribution(site: Path, dist: str, version: str, entry_points: dict[str, str]) -> None:
    """A minimal installed distribution: a dist-info directory with an entry point."""
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n", encoding="utf-8")
    eps = "".join(f"{name} = {module}\n" for name, module in entry_points.items())
    (info / "entry_points.txt").write_text(f"[shequ_sdk]\n{eps}", encoding="utf-8")


@pytest.fixture
def throwaway_site(tmp_path):
    """A site directory holding the tests/plugins/ modules as installed distributions."""
    site = tmp_path / "site"
    make_distribution(site, "shequ-test-broken", "0.1", {"broken": "shequ_broken_plugin"})
    make_distribution(site, "shequ-test-faulty", "0.2", {"faulty": "shequ_faulty_hooks_plugin"})
    return {"PYTHONPATH": f"{site}:{THROWAWAY}", "SHEQU_LOAD_PLUGINS": "broken,faulty"}


def test_a_plugin_that_fails_to_import_is_listed_with_its_error(shequ, throwaway_site, tmp_path):
    result = shequ("plugins", "--json", env={**throwaway_site, "SHEQU_TRACE_HOOKS": "1"})
    found = listed(result)
    assert set(found) == {"core", "broken", "faulty"}
    broken = found["broken"]["error"]
    assert broken.startswith("ModuleNotFoundError: No module named 'shequ_test_missing_dependency'")
    assert "shequ_broken_plugin.py:" in broken
    faulty = found["faulty"]
    assert faulty["distribution"] == "shequ-test-faulty" and faulty["version"] == "0.2"
    assert faulty["error"].startswith("register_commands: RuntimeError: 命令注册失败 command registration failed")
    assert faulty["association_types"] == []
    assert found["core"]["error"] is None and "core.households" in found["core"]["indicators"]
    # the trace names the failing hook and plugin
    assert "[shequ hooks] call register_commands in faulty" in result.stderr
    assert "[shequ hooks] error in faulty.register_commands: 命令注册失败 command registration failed" in result.stderr
    # … and the plugin that could not be imported, with its error
    assert ("[shequ hooks] error importing broken (shequ_broken_plugin): ModuleNotFoundError: "
            "No module named 'shequ_test_missing_dependency'") in result.stderr
    assert all(found[n]["status"] == "failed" for n in ("broken", "faulty")) and found["core"]["status"] == "ok"
    # the rest keeps working: the core builds its demo with both broken plugins installed
    db = tmp_path / "t.db"
    demo = shequ("demo", "--db", str(db), env=throwaway_site)
    assert demo.returncode == 0, demo.stderr
    # data commands never run the command hook (the CLI loads plugin commands only for a plugin's
    # command and for `shequ plugins`), so the plugin whose only fault is its commands is not named
    warning = ("警告 / warning: 插件 broken 加载失败，其数据和指标不可用（shequ plugins 查看原因）/ "
               "plugin broken failed to load; its data and indicators are missing (see shequ plugins)")
    assert demo.stderr.count(warning) == 1, demo.stderr
    # every data command warns, once, on one line; its output is unchanged
    values = shequ("indicators", "--db", str(db), "--region", "南洲村", "--period", "2010", "--json", env=throwaway_site)
    assert values.returncode == 0 and values.stderr.strip() == warning
    assert json.loads(values.stdout)["core.households"] == 420
    # the table names the failure in full, wrapped, when the output is a pipe (no terminal)
    table = shequ("plugins", env={**throwaway_site, "COLUMNS": "80"})
    assert table.returncode == 0
    status = "".join(line.split("│")[-2] for line in table.stdout.splitlines() if line.startswith("│"))
    status = re.sub(r"\s+", "", status)
    assert re.sub(r"\s+", "", "失败 failed: register_commands: RuntimeError: 命令注册失败 command registration failed") in status
    assert "shequ_broken_plugin.py:" in status and "…" not in table.stdout
    import shequ_sdk

    # this process has the built-in plugins too, whose tables that database lacks: open refuses
    # it (run shequ migrate), and open(create=True) — shequ init — adds them
    with pytest.raises(shequ_sdk.InputError, match="shequ migrate"):
        shequ_sdk.open(db)
    with shequ_sdk.open(db, create=True) as sdk:
        with sdk.transaction() as s:
            village = sdk.region("南洲村")
            assert s.execute(select(func.count()).select_from(Household).where(Household.region_id == village.id)).scalar() == 420


def test_a_number_with_a_denominator_is_a_value_per_unit(only_plugins, backend_url, places):
    """value_type="number" with a denominator: Σ numerator ÷ Σ denominator as a float, over the villages."""
    import shequ_sdk

    per_home = Indicator(key="perunit.members_per_household", label_zh="户均人口", label_en="Members per household", unit_zh="人",
                         unit_en="people", value_type="number",
                         numerator=lambda q: q.sum(Household, Household.members), denominator=lambda q: q.count(Household))

    class PerUnit:
        @hookimpl
        def register_indicators(self, register):
            register(per_home)

    only_plugins(PerUnit())
    with shequ_sdk.open(backend_url, create=True) as sdk:
        with sdk.transaction() as s:
            p = places(s)
        sdk.write(Household, [{"region_id": p["东村"].id, "number": "1", "head_name": "甲", "members": 3},
                              {"region_id": p["西村"].id, "number": "1", "head_name": "乙", "members": 6},
                              {"region_id": p["西村"].id, "number": "2", "head_name": "丙", "members": 6}])
        key = "perunit.members_per_household"
        assert sdk.indicator_values("甲镇", "2010", keys=[key]) == {key: 5.0}  # 15 people ÷ 3 households, not (3 + 6) ÷ 2
        assert sdk.indicator_values("南社区", "2010", keys=[key]) == {key: None}  # no household: no value


def test_populate_days_is_a_list_up_to_today():
    import datetime as dt

    from shequ_sdk.demo import PopulateContext

    ctx = PopulateContext(session=None, mode="demo", seed=1, years=(2010, 2011), today=dt.date(2011, 3, 31))
    days = ctx.days(2011)
    assert isinstance(days, list) and (days[0], days[-1], len(days)) == (dt.date(2011, 1, 1), dt.date(2011, 3, 31), 90)
    assert len(ctx.days(2010)) == 365 and ctx.days(2012) == []
    assert ctx.rng.choice(ctx.days(2010)).year == 2010
