"""Configuration on both backends: registered defaults, overrides per township (and region,
county, database), and ``resolve_for`` answering many regions with one query."""

import pytest
from sqlalchemy import event, func, select

from shequ_sdk import InputError, NotFoundError, Setting, hookimpl
from shequ_sdk import config
from shequ_sdk.models import Setting as SettingRow


class DeadlinePlugin:
    """An in-test plugin with two settings."""

    @hookimpl
    def register_settings(self, register):
        register(Setting(key="cfgtest.due_day", default=15, label_zh="公开截止日", label_en="Due day"))
        register(Setting(key="cfgtest.rate", default=0.5, label_zh="比例", label_en="Rate"))


@pytest.fixture
def county(sdk, places, only_plugins):
    only_plugins(DeadlinePlugin())
    with sdk.transaction() as s:
        return places(s)


def value_everywhere(sdk, p, key="cfgtest.due_day"):
    with sdk.transaction() as s:
        return {name: config.get(s, key, p[name]) for name in ("测试县", "甲镇", "东村", "西村", "乙镇", "南社区")}


def test_default_applies_without_overrides(sdk, county):
    assert set(value_everywhere(sdk, county).values()) == {15}
    with sdk.transaction() as s:
        assert config.get(s, "cfgtest.due_day") == 15
        assert config.overrides(s, "cfgtest.due_day") == {}


def test_override_per_township(sdk, county):
    with sdk.transaction() as s:
        config.set_value(s, "cfgtest.due_day", 10, county["甲镇"])
    assert value_everywhere(sdk, county) == {"测试县": 15, "甲镇": 10, "东村": 10, "西村": 10, "乙镇": 15, "南社区": 15}


def test_most_specific_override_wins(sdk, county):
    with sdk.transaction() as s:
        config.set_value(s, "cfgtest.due_day", 20)  # the whole database
        config.set_value(s, "cfgtest.due_day", 25, county["测试县"])
        config.set_value(s, "cfgtest.due_day", 10, county["甲镇"])
        config.set_value(s, "cfgtest.due_day", 5, county["西村"])
    assert value_everywhere(sdk, county) == {"测试县": 25, "甲镇": 10, "东村": 10, "西村": 5, "乙镇": 25, "南社区": 25}
    with sdk.transaction() as s:
        assert config.get(s, "cfgtest.due_day") == 20
        assert config.overrides(s, "cfgtest.due_day") == {
            None: 20, county["测试县"].id: 25, county["甲镇"].id: 10, county["西村"].id: 5}


def test_setting_again_replaces_the_override(sdk, county):
    with sdk.transaction() as s:
        config.set_value(s, "cfgtest.due_day", 10, county["甲镇"])
        config.set_value(s, "cfgtest.due_day", 12, county["甲镇"])
    with sdk.transaction() as s:
        assert s.execute(select(func.count()).select_from(SettingRow)).scalar() == 1
        assert config.get(s, "cfgtest.due_day", county["东村"]) == 12


def test_resolve_for_matches_get_with_one_query(sdk, county):
    with sdk.transaction() as s:
        config.set_value(s, "cfgtest.due_day", 10, county["甲镇"])
        config.set_value(s, "cfgtest.due_day", 5, county["南社区"])
    regions = [county[n] for n in ("东村", "西村", "南社区", "乙镇", "测试县")]
    statements = []

    def count_statement(conn, cursor, statement, *args):
        statements.append(statement)

    with sdk.transaction() as s:
        expected = {r.id: config.get(s, "cfgtest.due_day", r) for r in regions}
        event.listen(sdk.engine, "before_cursor_execute", count_statement)
        try:
            resolved = config.resolve_for(s, "cfgtest.due_day", regions)
        finally:
            event.remove(sdk.engine, "before_cursor_execute", count_statement)
    assert resolved == expected
    assert [resolved[county[n].id] for n in ("东村", "西村", "南社区", "乙镇", "测试县")] == [10, 10, 5, 15, 15]
    assert len(statements) == 1


def test_values_keep_their_type(sdk, county):
    with sdk.transaction() as s:
        config.set_value(s, "cfgtest.rate", 1, county["甲镇"])  # an int where a float is expected is fine
        config.set_value(s, "cfgtest.rate", 0.25, county["乙镇"])
    with sdk.transaction() as s:
        assert config.get(s, "cfgtest.rate", county["东村"]) == 1
        assert config.get(s, "cfgtest.rate", county["南社区"]) == 0.25


def test_wrong_type_is_refused_in_both_languages(sdk, county):
    with sdk.transaction() as s, pytest.raises(InputError) as exc:
        config.set_value(s, "cfgtest.due_day", "15", county["甲镇"])
    assert "cfgtest.due_day" in exc.value.zh and "int" in exc.value.zh
    assert "cfgtest.due_day" in exc.value.en and "int" in exc.value.en and "'15'" in exc.value.en
    with sdk.transaction() as s:
        assert config.overrides(s, "cfgtest.due_day") == {}


def test_unknown_setting(sdk, county):
    with sdk.transaction() as s:
        for call in (lambda: config.get(s, "cfgtest.nope"), lambda: config.set_value(s, "cfgtest.nope", 1),
                     lambda: config.resolve_for(s, "cfgtest.nope", [county["东村"]])):
            with pytest.raises(NotFoundError) as exc:
                call()
            assert "未知的配置项" in exc.value.zh and "unknown setting 'cfgtest.nope'" in exc.value.en


def test_who_may_change_a_setting_is_decided_in_the_sdk(sdk, county):
    """Administrators set anything; township staff their township and its villages; others nothing.
    Every change is in the audit log, and ``shequ verify`` finds a value edited behind its back."""
    from shequ_sdk import PermissionDenied
    from shequ_sdk.auth import Actor
    from shequ_sdk.audit import AuditEntry
    from shequ_sdk.replay import replay

    jia = Actor("jia", "township", county["甲镇"].id)
    with sdk.transaction() as s:
        config.set_value(s, "cfgtest.due_day", 10, county["东村"], actor=jia)
        config.set_value(s, "cfgtest.due_day", 12, county["甲镇"], actor=jia)
        config.set_value(s, "cfgtest.due_day", 20, None, actor=Actor("root", "admin"))
    refused = [(jia, county["南社区"]), (jia, None), (Actor("cun", "village", county["东村"].id), county["东村"]),
               (Actor("ana", "analyst"), county["东村"])]
    for actor, region in refused:
        with pytest.raises(PermissionDenied) as exc:
            with sdk.transaction() as s:
                config.set_value(s, "cfgtest.due_day", 1, region, actor=actor)
        assert "cfgtest.due_day" in exc.value.zh and "规则" in exc.value.zh and "rule" in exc.value.en
    assert value_everywhere(sdk, county) == {"测试县": 20, "甲镇": 12, "东村": 10, "西村": 12, "乙镇": 20, "南社区": 20}

    with sdk.transaction() as s:
        config.set_value(s, "cfgtest.due_day", 11, county["东村"], actor=jia)
        config.set_value(s, "cfgtest.due_day", 11, county["东村"], actor=jia)  # unchanged: not logged again
        logged = s.execute(select(AuditEntry).where(AuditEntry.table_key == "setting").order_by(AuditEntry.seq)).scalars().all()
        assert [(e.actor, e.action, e.region_id) for e in logged] == [
            ("jia", "insert", county["东村"].id), ("jia", "insert", county["甲镇"].id), ("root", "insert", None),
            ("jia", "update", county["东村"].id)]
        assert (logged[-1].old, logged[-1].new) == ('{"value_json":"10"}', '{"value_json":"11"}')
        assert not [p for p in replay(s).problems if p.extra.get("table") == "setting" or "setting" in str(p.extra)]
        s.execute(SettingRow.__table__.update().where(SettingRow.region_id == county["东村"].id).values(value_json="30"))
        found = replay(s).problems
    assert any("配置项" in p.message_zh and "30" in p.message_zh for p in found), [p.message_zh for p in found]


def test_regions_are_created_by_administrators_and_logged(sdk, county):
    from shequ_sdk import PermissionDenied
    from shequ_sdk.auth import Actor
    from shequ_sdk.audit import AuditEntry
    from shequ_sdk.regions import create_region

    with pytest.raises(PermissionDenied) as exc:
        with sdk.transaction() as s:
            create_region(session=s, name="北村", kind="village", parent=s.merge(county["甲镇"]), actor=Actor("jia", "township", county["甲镇"].id))
    assert "北村" in exc.value.zh and "only an administrator" in exc.value.en
    with sdk.transaction() as s:
        r = create_region(session=s, name="北村", kind="village", parent=s.merge(county["甲镇"]), actor=Actor("root", "admin"))
        (entry,) = s.execute(select(AuditEntry).where(AuditEntry.table_key == "region", AuditEntry.record_id == r.id)).scalars().all()
    assert entry.actor == "root" and '"name":"北村"' in entry.new and f'"township_id":{county["甲镇"].id}' in entry.new
