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
