"""The indicator engine on both backends, with an in-test plugin: counts and money sum over an
area, and a rate is recomputed from summed numerators and denominators — where averaging the
villages' rates would give a different answer."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

import shequ_sdk
from shequ_sdk import Indicator, NotFoundError, Period, Record, RecordTable, field, hookimpl
from shequ_sdk.indicators import compute, format_value
from shequ_sdk.regions import find_region


class WellInspection(Record, table=True):
    """A drinking-water well inspection: passed or not, and the fee paid for it."""

    __tablename__ = "welltest_inspection"
    inspected_on: date = field(label_zh="检查日期", label_en="Inspected on")
    passed: bool = field(default=False, label_zh="合格", label_en="Passed")
    fee_fen: int = field(default=0, ge=0, money=True, label_zh="检查费", label_en="Fee")


class WellPlugin:
    @hookimpl
    def register_tables(self, register):
        register(RecordTable(model=WellInspection, label_zh="水井检查", label_en="Well inspections", date_field="inspected_on"))

    @hookimpl
    def register_indicators(self, register):
        when = WellInspection.inspected_on
        register(Indicator(key="welltest.inspections", label_zh="检查次数", label_en="Inspections", unit_zh="次", unit_en="",
                           numerator=lambda q: q.count(WellInspection, date=when)))
        register(Indicator(key="welltest.pass_rate", label_zh="合格率", label_en="Pass rate", unit_zh="", unit_en="",
                           value_type="ratio",
                           numerator=lambda q: q.count(WellInspection, WellInspection.passed.is_(True), date=when),
                           denominator=lambda q: q.count(WellInspection, date=when)))
        register(Indicator(key="welltest.fees", label_zh="检查费", label_en="Fees", unit_zh="元", unit_en="yuan",
                           value_type="money", numerator=lambda q: q.sum(WellInspection, WellInspection.fee_fen, date=when)))
        register(Indicator(key="welltest.fee_per_inspection", label_zh="平均检查费", label_en="Fee per inspection",
                           unit_zh="元", unit_en="yuan", value_type="money",
                           numerator=lambda q: q.sum(WellInspection, WellInspection.fee_fen, date=when),
                           denominator=lambda q: q.count(WellInspection, date=when)))
        register(Indicator(key="welltest.yearly", label_zh="年度检查", label_en="Yearly inspections", unit_zh="次", unit_en="",
                           period_kinds=("year",), numerator=lambda q: q.count(WellInspection, date=when)))


# (village, passed, failed, fee per inspection in fen) in 2010Q2
INSPECTIONS = {"东村": (1, 0, 1250), "西村": (1, 9, 100), "南社区": (3, 1, 333)}


@pytest.fixture
def wells(only_plugins, backend_url, places):
    """A database with WellPlugin's table and inspections in 2010Q2 plus one outside it."""
    only_plugins(WellPlugin())
    sdk = shequ_sdk.open(backend_url, create=True)
    with sdk.transaction() as s:
        p = places(s)
    rows = []
    for name, (passed, failed, fee) in INSPECTIONS.items():
        for i in range(passed + failed):
            rows.append({"region_id": p[name].id, "inspected_on": date(2010, 4 + i % 3, 1 + i), "passed": i < passed, "fee_fen": fee})
    rows.append({"region_id": p["东村"].id, "inspected_on": date(2009, 12, 31), "passed": False, "fee_fen": 99999})
    rows.append({"region_id": p["东村"].id, "inspected_on": date(2010, 7, 1), "passed": False, "fee_fen": 99999})
    sdk.write(WellInspection, rows)
    yield sdk
    sdk.close()


def test_rates_are_recomputed_not_averaged(wells):
    v = {name: wells.indicator_values(name, "2010Q2", keys=["welltest"]) for name in ("东村", "西村", "南社区", "甲镇", "乙镇", "测试县")}
    assert v["东村"]["welltest.pass_rate"] == 1.0
    assert v["西村"]["welltest.pass_rate"] == pytest.approx(0.1)
    assert v["南社区"]["welltest.pass_rate"] == pytest.approx(0.75)
    # 甲镇: 2 of 11 passed. The mean of its villages' rates would be 0.55.
    assert v["甲镇"]["welltest.pass_rate"] == pytest.approx(2 / 11)
    assert v["甲镇"]["welltest.pass_rate"] != pytest.approx((1.0 + 0.1) / 2)
    # 测试县: 5 of 15. Averaging villages (0.6167) or townships (0.466) would both be wrong.
    assert v["测试县"]["welltest.pass_rate"] == pytest.approx(5 / 15)
    assert v["测试县"]["welltest.pass_rate"] != pytest.approx((1.0 + 0.1 + 0.75) / 3)
    assert v["测试县"]["welltest.pass_rate"] != pytest.approx((2 / 11 + 0.75) / 2)
    # counts are summed
    assert [v[n]["welltest.inspections"] for n in ("东村", "西村", "南社区", "甲镇", "乙镇", "测试县")] == [1, 10, 4, 11, 4, 15]


def test_money_is_exact_decimal_yuan(wells):
    v = wells.indicator_values("测试县", "2010Q2", keys=["welltest.fees", "welltest.fee_per_inspection"])
    total_fen = 1250 * 1 + 100 * 10 + 333 * 4
    assert v["welltest.fees"] == Decimal("35.82") == Decimal(total_fen) / 100
    assert isinstance(v["welltest.fees"], Decimal)
    # a money ratio is also recomputed: Σ fees ÷ Σ inspections, in yuan per inspection
    assert v["welltest.fee_per_inspection"] == (Decimal(total_fen) / 15 / 100).quantize(Decimal("0.01"))
    township = wells.indicator_values("甲镇", "2010Q2", keys=["welltest.fee_per_inspection"])
    assert township["welltest.fee_per_inspection"] == (Decimal(1250 + 1000) / 11 / 100).quantize(Decimal("0.01"))


def test_periods_select_rows_by_date(wells):
    assert wells.indicator_values("东村", "2010", keys=["welltest.inspections"])["welltest.inspections"] == 2
    assert wells.indicator_values("东村", "2009", keys=["welltest.inspections"])["welltest.inspections"] == 1
    assert wells.indicator_values("东村", "2010-07", keys=["welltest.inspections"])["welltest.inspections"] == 1
    assert wells.indicator_values("西村", "2010-05", keys=["welltest.inspections"])["welltest.inspections"] == 3
    # nothing in the period: counts are 0, a rate with no denominator is None (not 0)
    empty = wells.indicator_values("测试县", "2011", keys=["welltest"])
    assert empty["welltest.inspections"] == 0 and empty["welltest.fees"] == Decimal("0.00")
    assert empty["welltest.pass_rate"] is None and empty["welltest.fee_per_inspection"] is None


def test_indicators_leave_out_periods_they_do_not_support(wells):
    assert "welltest.yearly" in wells.indicator_values("测试县", "2010", keys=["welltest"])
    assert "welltest.yearly" not in wells.indicator_values("测试县", "2010Q2", keys=["welltest"])


def test_one_statement_answers_every_village_or_township(wells):
    with wells.transaction() as s:
        county = find_region(s, "测试县")
        by_village = compute(s, region=county, period=Period.parse("2010Q2"), keys=["welltest.pass_rate"], level="village")
        by_township = compute(s, region=county, period=Period.parse("2010Q2"), keys=["welltest.pass_rate"], level="township")
        names = {r.id: r.name for r in (find_region(s, n) for n in ("东村", "西村", "南社区", "甲镇", "乙镇"))}
    assert {names[k]: v["welltest.pass_rate"] for k, v in by_village.items()} == pytest.approx({"东村": 1.0, "西村": 0.1, "南社区": 0.75})
    assert {names[k]: v["welltest.pass_rate"] for k, v in by_township.items()} == pytest.approx({"甲镇": 2 / 11, "乙镇": 0.75})


def test_choosing_indicators(wells):
    assert set(wells.indicator_values("甲镇", "2010", keys=["welltest"])) == {
        "welltest.inspections", "welltest.pass_rate", "welltest.fees", "welltest.fee_per_inspection", "welltest.yearly"}
    assert set(wells.indicator_values("甲镇", "2010")) >= {"core.households", "welltest.pass_rate"}
    with pytest.raises(NotFoundError) as exc:
        wells.indicator_values("甲镇", "2010", keys=["welltest.nope"])
    assert "未知的指标 'welltest.nope'" in exc.value.zh and "unknown indicator 'welltest.nope'" in exc.value.en


def test_cli_json_keeps_money_exact(wells, cli):
    code, out, err = cli("indicators", "--db", wells.url, "--region", "测试县", "--period", "2010Q2", "--json")
    assert code == 0, err
    values = json.loads(out)
    assert values["welltest.fees"] == "35.82"  # money as an exact decimal string
    assert values["welltest.pass_rate"] == pytest.approx(1 / 3) and values["welltest.inspections"] == 15
    code, out, err = cli("indicators", "--db", wells.url, "--region", "甲镇", "--period", "2010Q2")
    assert code == 0 and "18.2%" in out and "22.50 元" in out


def test_formatting():
    reg = shequ_sdk.registry()
    households = reg.indicators["core.households"]
    assert format_value(households, 1234, "zh") == "1,234 户"
    assert format_value(households, None) == "—"
    rate = Indicator(key="x.r", label_zh="率", label_en="rate", unit_zh="", unit_en="", value_type="ratio",
                     numerator=lambda q: None, denominator=lambda q: None)
    assert format_value(rate, 2 / 11) == "18.2%"
