"""``shequ plugins check NAME``: the contract checker passes every built-in plugin and names the
problem in deliberately broken ones (in-process, with the plugin sandbox)."""

from __future__ import annotations

import json
from datetime import date
from typing import Optional

import pytest
from sqlalchemy import func, literal, select

from shequ_sdk import AssociationType, Household, Indicator, Record, RecordTable, Rule, View, field, hookimpl
from shequ_sdk.plugin_check import check_plugin

BUILTIN = ("civility", "culture_sports", "elderly", "family_planning", "finance", "party", "sanitation", "stability")


class FaultyVisit(Record, table=True):
    """The table of the broken plugin below: no migration branch is registered for it."""

    __tablename__ = "faulty_visit"
    visited_on: date = field(label_zh="日期", label_en="Date")
    household_id: int = field(foreign_key="household.id", label_zh="住户", label_en="Household")
    paid: bool = field(default=False, label_zh="已缴", label_en="Paid")
    note: Optional[str] = field(default=None, label_zh="备注", label_en="Note")


def paid_share_per_village(q):
    """The mistake: a rate computed per village (AVG) — summed over villages it averages."""
    return (select(FaultyVisit.region_id.label("region_id"), func.avg(func.cast(FaultyVisit.paid, FaultyVisit.id.type)).label("value"))
            .where(q.in_scope(FaultyVisit.region_id), q.in_period(FaultyVisit.visited_on)).group_by(FaultyVisit.region_id))


def one_per_village(q):
    return select(Household.region_id.label("region_id"), literal(1).label("value")).where(q.in_scope(Household.region_id)).distinct()


def refuses_villages(store):
    if store.region_obj.kind in ("village", "community"):
        raise RuntimeError("村级无法显示")
    return store.indicator_by_village("faulty.visits")


class Faulty:
    """One plugin with four mistakes: an English label missing, a rate that averages, a view that
    raises for a village user and a table without a migration."""

    @hookimpl
    def register_association_types(self, register):
        register(AssociationType(key="faulty", name_zh="走访协会", name_en="Visiting association"))

    @hookimpl
    def register_tables(self, register):
        register(RecordTable(model=FaultyVisit, label_zh="走访记录", label_en="Visits", association_type="faulty", date_field="visited_on"))

    @hookimpl
    def register_indicators(self, register):
        register(Indicator(key="faulty.visits", label_zh="走访次数", label_en="走访次数", unit_zh="次", unit_en="visits",
                           numerator=lambda q: q.count(FaultyVisit, date=FaultyVisit.visited_on)))
        register(Indicator(key="faulty.paid_rate", label_zh="缴费率", label_en="Paid rate", unit_zh="", unit_en="", value_type="ratio",
                           numerator=paid_share_per_village, denominator=one_per_village))

    @hookimpl
    def register_rules(self, register):
        register(Rule(key="faulty.not_future", label_zh="日期不晚于今天", label_en="", table="faulty_visit",
                      check_row=lambda row, ctx: ()))

    @hookimpl
    def register_views(self, register):
        register(View(key="faulty.by_village", label_zh="各村走访", label_en="Visits by village", render=refuses_villages))

    @hookimpl
    def populate(self, ctx):
        rows = []
        for v in ctx.villages:
            for i, home in enumerate(ctx.households(v)[: 5 + 10 * (v.id % 3)]):
                rows.append({"region_id": v.id, "household_id": home, "visited_on": date(2010, 3, 1), "paid": i % 4 == 0, "synthetic": True})
        ctx.write(FaultyVisit, rows)


@pytest.fixture
def faulty_findings(only_plugins):
    only_plugins(Faulty())
    problems = [f for f in check_plugin("Faulty") if not f.ok]
    return problems


def test_the_checker_names_each_mistake(faulty_findings):
    text = "\n".join(f"{f.check}: {f.zh} / {f.en}" for f in faulty_findings)
    by_check = {f.check for f in faulty_findings}
    assert {"labels", "indicators", "views", "migrations", "keys"} <= by_check, text
    # a missing English label, on the indicator and on the rule
    assert "indicator faulty.visits has no English label (it is '走访次数')" in text
    assert "rule faulty.not_future has no English label (it is '')" in text
    # the rate that averages
    assert "rate faulty.paid_rate uses AVG in its numerator or denominator" in text
    # the view that raises for a village user (and only for them)
    views = [f for f in faulty_findings if f.check == "views"]
    assert len(views) == 1 and "view faulty.by_village shows an error card for a village user" in views[0].en
    assert "RuntimeError: 村级无法显示" in views[0].en and "村(居)委会用户" in views[0].zh
    # the table without a migration
    assert "table faulty_visit has no migration (the plugin registers no register_migrations)" in text
    # the plugin is named Faulty, its keys say faulty.
    assert "faulty.visits must start with Faulty." in text


def test_a_rate_over_one_per_village_is_caught_without_avg(only_plugins):
    """The same averaging written without AVG: per-village shares in Python-made SQL literals."""

    class Sneaky(Faulty):
        @hookimpl
        def register_indicators(self, register):
            def share(q):
                from sqlalchemy import case, cast, Float

                paid = func.sum(case((FaultyVisit.paid, 1.0), else_=0.0))
                return (select(FaultyVisit.region_id.label("region_id"), (cast(paid, Float) / func.count()).label("value"))
                        .where(q.in_scope(FaultyVisit.region_id), q.in_period(FaultyVisit.visited_on)).group_by(FaultyVisit.region_id))

            register(Indicator(key="sneaky.paid_rate", label_zh="缴费率", label_en="Paid rate", unit_zh="", unit_en="",
                               value_type="ratio", numerator=share, denominator=one_per_village))

    only_plugins(Sneaky())
    problems = [f for f in check_plugin("Sneaky") if f.check == "indicators" and not f.ok]
    assert len(problems) == 1 and "rate sneaky.paid_rate has a per-village rate as numerator over a denominator of 1" in problems[0].en


def test_the_command_exits_1_and_prints_both_languages(only_plugins, cli):
    only_plugins(Faulty())
    code, out, err = cli("plugins", "check", "Faulty")
    assert code == 1, err
    assert "✗ 问题 problem migrations: 数据表 faulty_visit 没有迁移" in out
    assert out.rstrip().endswith("problem(s)") and "插件 Faulty 有" in out
    code, out, err = cli("plugins", "check", "nosuch")
    assert code == 2 and "no plugin 'nosuch' is loaded" in err and err.count("\n") == 1


def test_a_demo_that_cannot_be_built_is_a_problem_not_a_crash(only_plugins, cli):
    class NoDemo:
        @hookimpl
        def populate(self, ctx):
            raise RuntimeError("演示数据缺失")

    only_plugins(NoDemo())
    code, out, err = cli("plugins", "check", "NoDemo")
    assert code == 1, err
    assert "✗ 问题 problem demo: 无法生成演示数据库：RuntimeError: 演示数据缺失" in out


@pytest.fixture(scope="module")
def builtin_demo(tmp_path_factory):
    """The demo with every installed plugin, built once for the module."""
    from shequ_sdk import plugins
    from shequ_sdk.plugin_check import demo_database

    plugins.reset()
    return demo_database(tmp_path_factory.mktemp("check"))


@pytest.mark.slow
@pytest.mark.parametrize("name", BUILTIN)
def test_every_builtin_plugin_passes(name, builtin_demo, plugin_sandbox, cli):
    code, out, err = cli("plugins", "check", name, "--db", builtin_demo, "--json")
    report = json.loads(out)
    assert code == 0 and report["ok"], [f for f in report["findings"] if not f["ok"]]
    assert {f["check"] for f in report["findings"]} == {"load", "keys", "labels", "rules", "migrations", "indicators", "views"}
