"""Sanitation records: what the write path accepts, what it refuses (naming field and value), and
the indicators, including roll-ups where averaging village rates would give the wrong answer."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from shequ_sdk import BatchError, Household, Region, config
from shequ_sdk.regions import create_region
from shequ_plugin_sanitation.models import BinIssue, CollectionRun

D = dt.date
YEAR_2010 = [D(2010, 1, 1) + dt.timedelta(days=i) for i in range(365)]


@pytest.fixture
def county(sdk):
    """测试县 / 一镇 / 甲村 (10 households), 乙村 (30 households); 二镇 / 丙村 (5 households, no association)."""
    with sdk.transaction() as s:
        c = create_region(session=s, name="测试县", kind="county", code="430921")
        t1 = create_region(session=s, name="一镇", kind="township", parent=c)
        t2 = create_region(session=s, name="二镇", kind="township", parent=c)
        ids = {"县": c.id, "一镇": t1.id, "二镇": t2.id}
        for name, parent in (("甲村", t1), ("乙村", t1), ("丙村", t2)):
            ids[name] = create_region(session=s, name=name, kind="village", parent=parent).id
    for name, n in (("甲村", 10), ("乙村", 30), ("丙村", 5)):
        sdk.write("household", [{"region_id": ids[name], "number": f"{i:04d}", "head_name": f"户主{i}"} for i in range(1, n + 1)])
    sdk.write("association", [
        {"region_id": ids["甲村"], "type_key": "sanitation", "name": "甲村环卫协会", "founded": D(2008, 1, 1)},
        # 乙村's association starts mid-2010: only the second half of 2010 is due
        {"region_id": ids["乙村"], "type_key": "sanitation", "name": "乙村环卫协会", "founded": D(2010, 7, 1)},
    ])
    with sdk.transaction() as s:
        for name in ("甲村", "乙村", "丙村"):
            ids[f"{name}户"] = s.execute(select(Household.id).where(Household.region_id == ids[name]).order_by(Household.id)).scalars().all()
    return ids


def run(region_id, day, served=5, **extra):
    return {"region_id": region_id, "run_date": day, "vehicle": "清运车1", "households_served": served, "amount_kg": 30, **extra}


def count(sdk, model):
    with sdk.transaction() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def refused(sdk, table, rows):
    with pytest.raises(BatchError) as err:
        sdk.write(table, rows)
    return err.value.problems


# -- rules -----------------------------------------------------------------------------------

def test_run_in_the_future(sdk, county):
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    problems = refused(sdk, "sanitation_collection_run", [run(county["甲村"], D(2010, 1, 1)), run(county["甲村"], tomorrow)])
    assert [(p.row, p.field, p.value, p.rule) for p in problems] == [(2, "run_date", tomorrow, "sanitation.run_not_future")]
    assert "不能晚于今天" in problems[0].message_zh and "future" in problems[0].message_en
    assert count(sdk, CollectionRun) == 0


def test_more_households_served_than_the_village_has(sdk, county):
    problems = refused(sdk, "sanitation_collection_run", [run(county["甲村"], D(2010, 1, 1), served=11)])
    assert [(p.field, p.value) for p in problems] == [("households_served", 11)]
    assert "10" in problems[0].message_zh
    sdk.write("sanitation_collection_run", [run(county["甲村"], D(2010, 1, 1), served=10)])


def test_sorted_runs_carry_one_class(sdk, county):
    problems = refused(sdk, "sanitation_collection_run", [
        run(county["甲村"], D(2010, 1, 1), sorted=True),
        run(county["甲村"], D(2010, 1, 2), waste_category="厨余垃圾"),
        run(county["甲村"], D(2010, 1, 3), waste_category="toxic", sorted=True),
        run(county["甲村"], D(2010, 1, 4), amount_kg=-5),
    ])
    assert [(p.row, p.field) for p in problems] == [(1, "waste_category"), (2, "sorted"), (3, "waste_category"), (4, "amount_kg")]
    sdk.write("sanitation_collection_run", [run(county["甲村"], D(2010, 1, 1), sorted=True, waste_category="厨余垃圾", trip=1),
                                            run(county["甲村"], D(2010, 1, 1), sorted=True, waste_category="other", trip=2)])
    assert count(sdk, CollectionRun) == 2


def test_bin_for_a_household_of_another_village(sdk, county):
    other = county["乙村户"][0]
    problems = refused(sdk, "sanitation_bin", [
        {"region_id": county["甲村"], "household_id": county["甲村户"][0], "category": "other", "colour": "grey", "issued": D(2009, 1, 1)},
        {"region_id": county["甲村"], "household_id": other, "category": "other", "colour": "grey", "issued": D(2009, 1, 1)},
        {"region_id": county["甲村"], "household_id": 999_999, "category": "other", "colour": "grey", "issued": D(2009, 1, 1)},
    ])
    assert [(p.row, p.field, p.value) for p in problems] == [(2, "household_id", other), (3, "household_id", 999_999)]
    assert "乙村" in problems[0].message_zh and "乙村" in problems[0].message_en
    assert count(sdk, BinIssue) == 0


def test_bin_colour_follows_the_standard(sdk, county):
    h = county["甲村户"]
    problems = refused(sdk, "sanitation_bin", [
        {"region_id": county["甲村"], "household_id": h[0], "category": "可回收物", "colour": "蓝色", "issued": D(2009, 1, 1)},
        {"region_id": county["甲村"], "household_id": h[1], "category": "厨余垃圾", "colour": "grey", "issued": D(2009, 1, 1)},
        {"region_id": county["甲村"], "household_id": h[2], "category": "其他垃圾", "colour": "black", "issued": D(2009, 1, 1)},
        {"region_id": county["甲村"], "household_id": h[3], "category": "hazardous", "colour": "red", "issued": D(2009, 1, 1),
         "withdrawn": D(2008, 1, 1)},
    ])
    assert [(p.row, p.field, p.value) for p in problems] == [(2, "colour", "grey"), (4, "withdrawn", D(2008, 1, 1))]
    assert "绿色" in problems[0].message_zh


def test_check_warns_about_runs_without_association(sdk, county):
    sdk.write("sanitation_collection_run", [run(county["丙村"], D(2010, 1, 1), served=5)])
    found = [p for p in sdk.check() if p.rule == "sanitation.runs_without_association"]
    assert [(p.value, p.extra["severity"]) for p in found] == [(county["丙村"], "warning")]


# -- indicators ---------------------------------------------------------------------------------

def test_collection_rate_is_recomputed_not_averaged(sdk, county):
    # 甲村 collects every day of 2010; 乙村 every other day from 2010-07-01, when its association began
    second_half = [d for d in YEAR_2010 if d >= D(2010, 7, 1)]
    sdk.write("sanitation_collection_run", [run(county["甲村"], d) for d in YEAR_2010]
              + [run(county["乙村"], d, served=20) for d in second_half[::2]]
              # runs before the association existed are not measured
              + [run(county["乙村"], d, served=20) for d in YEAR_2010[:10]]
              + [run(county["丙村"], d, served=5) for d in YEAR_2010])
    a = sdk.indicator_values("甲村", "2010")["sanitation.collection_rate"]
    b = sdk.indicator_values("乙村", "2010")["sanitation.collection_rate"]
    assert a == 1.0
    assert b == pytest.approx(92 / 184)
    town = sdk.indicator_values("一镇", "2010")["sanitation.collection_rate"]
    assert town == pytest.approx((365 + 92) / (365 + 184))
    assert town != pytest.approx((a + b) / 2)
    # 丙村 has no sanitation association: not due, so it neither counts nor has a rate
    assert sdk.indicator_values("丙村", "2010")["sanitation.collection_rate"] is None
    assert sdk.indicator_values("测试县", "2010")["sanitation.collection_rate"] == pytest.approx(town)
    assert sdk.indicator_values("测试县", "2010")["sanitation.collections"] == 365 + 92 + 10 + 365


def test_several_runs_on_one_day_count_once(sdk, county):
    sdk.write("sanitation_collection_run", [run(county["甲村"], D(2010, 1, 1), trip=1), run(county["甲村"], D(2010, 1, 1), trip=2),
                                            run(county["甲村"], D(2010, 1, 2))])
    v = sdk.indicator_values("甲村", "2010-01")
    assert v["sanitation.collections"] == 3
    assert v["sanitation.collection_rate"] == pytest.approx(2 / 31)


def test_partly_elapsed_and_future_periods(sdk, county):
    sdk.write("sanitation_collection_run", [run(county["甲村"], d) for d in YEAR_2010[:90]])
    # as of 2010-03-31 only 90 days of 2010 have passed, and all of them had a run
    assert sdk.indicator_values("甲村", "2010", as_of=D(2010, 3, 31))["sanitation.collection_rate"] == 1.0
    assert sdk.indicator_values("甲村", "2010", as_of=D(2010, 12, 31))["sanitation.collection_rate"] == pytest.approx(90 / 365)
    # a period wholly after as_of has nothing due, hence no rate
    assert sdk.indicator_values("甲村", "2011", as_of=D(2010, 3, 31))["sanitation.collection_rate"] is None


def test_days_due_per_week_is_a_setting(sdk, county):
    with sdk.transaction() as s:
        config.set_value(s, "sanitation.collection_days_per_week", 2, s.get(Region, county["一镇"]))
    mondays = [d for d in YEAR_2010 if d.weekday() == 0]
    # 甲村 collects on Mondays only (52 days) where 2 days a week are due: 52 of 104.29
    sdk.write("sanitation_collection_run", [run(county["甲村"], d) for d in mondays])
    assert sdk.indicator_values("甲村", "2010")["sanitation.collection_rate"] == pytest.approx(52 / (365 * 2 / 7))
    # collecting more often than due counts as 100 %, not more
    sdk.write("sanitation_collection_run", [run(county["甲村"], d, trip=2) for d in YEAR_2010 if d.weekday() != 0])
    assert sdk.indicator_values("甲村", "2010")["sanitation.collection_rate"] == 1.0


def test_a_village_dissolved_mid_period(sdk, county):
    # a village merged away on 2010-07-01 is due only until then
    with sdk.transaction() as s:
        t = s.get(Region, county["二镇"])
        gone = create_region(session=s, name="丁村", kind="village", parent=t, valid_to=D(2010, 7, 1))
        gone_id = gone.id
    sdk.write("household", [{"region_id": gone_id, "number": "0001", "head_name": "户主"}])
    sdk.write("association", [{"region_id": gone_id, "type_key": "sanitation", "name": "丁村环卫协会", "founded": D(2005, 1, 1)}])
    sdk.write("sanitation_collection_run", [run(gone_id, d, served=1) for d in YEAR_2010[:181]])
    assert sdk.indicator_values("二镇", "2010")["sanitation.collection_rate"] == 1.0


def test_bin_coverage_is_recomputed_not_averaged(sdk, county):
    bins = [{"region_id": county["甲村"], "household_id": h, "category": "other", "colour": "grey", "issued": D(2009, 5, 1)}
            for h in county["甲村户"]]
    # 乙村: 6 of 30 households, one of them with two bins; another's bin was withdrawn in 2010
    bins += [{"region_id": county["乙村"], "household_id": h, "category": "other", "colour": "grey", "issued": D(2010, 3, 1)}
             for h in county["乙村户"][:6]]
    bins += [{"region_id": county["乙村"], "household_id": county["乙村户"][0], "category": "kitchen", "colour": "green", "issued": D(2010, 3, 1)},
             {"region_id": county["乙村"], "household_id": county["乙村户"][6], "category": "other", "colour": "grey", "issued": D(2009, 1, 1),
              "withdrawn": D(2010, 2, 1)}]
    sdk.write("sanitation_bin", bins)
    a = sdk.indicator_values("甲村", "2010")["sanitation.bin_coverage"]
    b = sdk.indicator_values("乙村", "2010")["sanitation.bin_coverage"]
    assert (a, b) == (1.0, pytest.approx(6 / 30))
    town = sdk.indicator_values("一镇", "2010")["sanitation.bin_coverage"]
    assert town == pytest.approx(16 / 40) and town != pytest.approx((a + b) / 2)
    # at the end of 2009, 乙村's withdrawn bin was still in use
    assert sdk.indicator_values("乙村", "2009")["sanitation.bin_coverage"] == pytest.approx(1 / 30)
    # the county counts 丙村's households too, none of which has a bin
    assert sdk.indicator_values("测试县", "2010")["sanitation.bin_coverage"] == pytest.approx(16 / 45)


def test_tonnage_and_sorted_share(sdk, county):
    sdk.write("sanitation_collection_run", [
        run(county["甲村"], D(2010, 1, 1), amount_kg=300),
        run(county["甲村"], D(2010, 1, 2), amount_kg=60, sorted=True, waste_category="kitchen"),
        run(county["乙村"], D(2010, 8, 1), amount_kg=40, sorted=True, waste_category="recyclable"),
    ])
    v = sdk.indicator_values("一镇", "2010")
    assert v["sanitation.collected_kg"] == 400
    assert v["sanitation.sorted_share"] == pytest.approx(100 / 400)
