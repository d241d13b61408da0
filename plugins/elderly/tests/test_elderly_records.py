"""Elderly records: what the write path accepts, what it refuses (naming field and value), and
the indicators on a small county where averaging village rates would give the wrong answer."""

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from shequ_sdk import BatchError, Region, config
from shequ_sdk.ids import make_id_number
from shequ_sdk.regions import create_region
from shequ_plugin_elderly.models import FiveGuaranteeHome, HomeFund, SupportedResident

D = dt.date


@pytest.fixture
def county(sdk):
    """测试县 / 一镇 / 甲村, 乙村 (and 二镇 / 丙村), each village with an elderly association."""
    with sdk.transaction() as s:
        c = create_region(session=s, name="测试县", kind="county", code="430921")
        t1 = create_region(session=s, name="一镇", kind="township", parent=c)
        t2 = create_region(session=s, name="二镇", kind="township", parent=c)
        ids = {"县": c.id, "一镇": t1.id, "二镇": t2.id}
        for name, parent in (("甲村", t1), ("乙村", t1), ("丙村", t2)):
            ids[name] = create_region(session=s, name=name, kind="village", parent=parent).id
    sdk.write("association", [{"region_id": ids[v], "type_key": "elderly", "name": f"{v}老龄人协会", "founded": D(2005, 1, 1)}
                              for v in ("甲村", "乙村", "丙村")])
    return ids


_seq = iter(range(1, 10_000))


def person(born=D(1935, 5, 1)):
    n = next(_seq)
    return {"name": f"老人{n}", "id_number": make_id_number("430921", born, n)}


def home(sdk, region_id, name="五保之家", built=D(2009, 6, 1), capacity=10, kind="wubao_home"):
    sdk.write("elderly_home", [{"region_id": region_id, "name": name, "kind": kind, "built": built, "capacity": capacity}])
    with sdk.transaction() as s:
        return s.execute(select(FiveGuaranteeHome.id).where(FiveGuaranteeHome.region_id == region_id, FiveGuaranteeHome.name == name)).scalar_one()


def stay(region_id, home_id, admitted=D(2009, 7, 1), discharged=None, **extra):
    return {"region_id": region_id, **person(), "support_form": "concentrated", "home_id": home_id,
            "admitted": admitted, "discharged": discharged, **extra}


def count(sdk, model):
    with sdk.transaction() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def refused(sdk, table, rows):
    with pytest.raises(BatchError) as err:
        sdk.write(table, rows)
    return err.value.problems


# -- records and rules ----------------------------------------------------------------------

def test_choices_accept_chinese_labels(sdk, county):
    h = home(sdk, county["甲村"])
    sdk.write("elderly_resident", [{**stay(county["甲村"], h), "support_form": "集中供养", "care_level": "半护理", "category": "老年人"}])
    with sdk.transaction() as s:
        r = s.execute(select(SupportedResident)).scalar_one()
    assert (r.support_form, r.care_level, r.category) == ("concentrated", "partial", "elderly")


def test_admitted_before_home_built(sdk, county):
    h = home(sdk, county["甲村"], built=D(2009, 6, 1))
    problems = refused(sdk, "elderly_resident", [stay(county["甲村"], h, admitted=D(2009, 8, 1)),
                                                 stay(county["甲村"], h, admitted=D(2009, 5, 31))])
    assert [(p.row, p.field, p.value) for p in problems] == [(2, "admitted", D(2009, 5, 31))]
    assert "建成" in problems[0].message_zh and "built" in problems[0].message_en
    assert count(sdk, SupportedResident) == 0  # the good first row was not written either


def test_beyond_capacity(sdk, county):
    h = home(sdk, county["甲村"], capacity=2)
    sdk.write("elderly_resident", [stay(county["甲村"], h, admitted=D(2009, 7, 1)),
                                   stay(county["甲村"], h, admitted=D(2009, 7, 2), discharged=D(2009, 9, 1))])
    # a bed frees up on 2009-09-01, so the third fits from then on, not before
    problems = refused(sdk, "elderly_resident", [stay(county["甲村"], h, admitted=D(2009, 8, 1))])
    assert [(p.field, p.value, p.rule) for p in problems] == [("home_id", h, "elderly.resident_capacity")]
    assert "床位 2" in problems[0].message_zh
    sdk.write("elderly_resident", [stay(county["甲村"], h, admitted=D(2009, 9, 1))])
    assert count(sdk, SupportedResident) == 3


def test_capacity_within_one_batch(sdk, county):
    h = home(sdk, county["乙村"], capacity=2)
    sdk.write("elderly_resident", [stay(county["乙村"], h, admitted=D(2009, 7, 1))])
    # each row fits on its own; together they make three from 2010-03-01, so the second row is refused
    problems = refused(sdk, "elderly_resident", [stay(county["乙村"], h, admitted=D(2010, 3, 1)),
                                                 stay(county["乙村"], h, admitted=D(2010, 1, 1))])
    assert [(p.row, p.field) for p in problems] == [(2, "home_id")]
    assert count(sdk, SupportedResident) == 1


def test_discharge_before_admission(sdk, county):
    problems = refused(sdk, "elderly_resident", [{"region_id": county["甲村"], **person(), "support_form": "dispersed",
                                                  "admitted": D(2010, 3, 1), "discharged": D(2010, 2, 1), "discharge_reason": "died"}])
    assert [(p.field, p.value) for p in problems] == [("discharged", D(2010, 2, 1))]
    assert count(sdk, SupportedResident) == 0


def test_support_form_and_home(sdk, county):
    h = home(sdk, county["甲村"])
    problems = refused(sdk, "elderly_resident", [
        {"region_id": county["甲村"], **person(), "support_form": "concentrated", "admitted": D(2010, 1, 1)},
        {"region_id": county["甲村"], **person(), "support_form": "dispersed", "home_id": h, "admitted": D(2010, 1, 1)},
    ])
    assert [(p.row, p.field) for p in problems] == [(1, "home_id"), (2, "home_id")]


def test_bad_id_number_and_age(sdk, county):
    good = make_id_number("430921", D(1935, 5, 1), 11)
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    bad_id = {"region_id": county["甲村"], "name": "张三", "id_number": wrong, "support_form": "dispersed", "admitted": D(2010, 1, 1)}
    young = {"region_id": county["甲村"], **person(born=D(1970, 1, 1)), "support_form": "dispersed", "admitted": D(2010, 1, 1)}
    problems = refused(sdk, "elderly_resident", [bad_id, young])
    assert [(p.row, p.field, p.value) for p in problems] == [(1, "id_number", wrong), (2, "category", "elderly")]
    assert "60" in problems[1].message_zh


def test_age_threshold_is_a_setting(sdk, county):
    with sdk.transaction() as s:
        config.set_value(s, "elderly.elderly_min_age", 55, s.get(Region, county["一镇"]))
    born_1952 = person(born=D(1952, 1, 1))  # 58 in 2010
    sdk.write("elderly_resident", [{"region_id": county["甲村"], **born_1952, "support_form": "dispersed", "admitted": D(2010, 6, 1)}])
    # the other township keeps the default of 60
    problems = refused(sdk, "elderly_resident", [{"region_id": county["丙村"], **person(born=D(1952, 1, 1)), "support_form": "dispersed",
                                                  "admitted": D(2010, 6, 1)}])
    assert [p.field for p in problems] == ["category"]


def test_five_guarantee_home_belongs_to_a_village(sdk, county):
    problems = refused(sdk, "elderly_home", [{"region_id": county["一镇"], "name": "一镇五保之家", "kind": "五保之家", "built": D(2009, 1, 1), "capacity": 8}])
    assert [(p.field, p.value) for p in problems] == [("region_id", "一镇")]
    # a township nursing home is fine
    sdk.write("elderly_home", [{"region_id": county["一镇"], "name": "一镇敬老院", "kind": "敬老院", "built": D(2001, 1, 1), "capacity": 40}])


def test_home_dates_and_capacity_bounds(sdk, county):
    problems = refused(sdk, "elderly_home", [
        {"region_id": county["甲村"], "name": "甲", "kind": "wubao_home", "built": D(2009, 1, 1), "capacity": 0},
        {"region_id": county["甲村"], "name": "乙", "kind": "wubao_home", "built": D(2009, 1, 1), "capacity": 5, "closed": D(2008, 1, 1)},
        {"region_id": county["甲村"], "name": "丙", "kind": "wubao_home", "built": dt.date.today() + dt.timedelta(days=30), "capacity": 5},
    ])
    assert [(p.row, p.field) for p in problems] == [(1, "capacity"), (2, "closed"), (3, "built")]
    assert count(sdk, FiveGuaranteeHome) == 0


def test_negative_and_zero_funds(sdk, county):
    h = home(sdk, county["甲村"])
    problems = refused(sdk, "elderly_home_fund", [
        {"region_id": county["甲村"], "home_id": h, "received": D(2009, 1, 1), "source": "协会募捐", "amount_fen": -100},
        {"region_id": county["甲村"], "home_id": h, "received": D(2009, 1, 2), "source": "association", "amount_fen": 0},
        {"region_id": county["乙村"], "home_id": h, "received": D(2009, 1, 3), "source": "association", "amount_fen": 100},
        {"region_id": county["甲村"], "home_id": h, "received": D(2009, 1, 4), "source": "lottery", "amount_fen": 100},
    ])
    assert [(p.row, p.field, p.value) for p in problems] == [
        (1, "amount_fen", -100), (2, "amount_fen", 0), (3, "region_id", county["乙村"]), (4, "source", "lottery")]
    assert count(sdk, HomeFund) == 0


def test_upsert_by_natural_key_does_not_count_itself(sdk, county):
    h = home(sdk, county["甲村"], capacity=1)
    row = stay(county["甲村"], h, admitted=D(2009, 7, 1))
    sdk.write("elderly_resident", [row])
    result = sdk.write("elderly_resident", [{**row, "care_level": "full"}], mode="upsert")
    assert (result.inserted, result.updated) == (0, 1)


def test_check_reports_capacity_lowered_later(sdk, county):
    h = home(sdk, county["甲村"], capacity=3)
    sdk.write("elderly_resident", [stay(county["甲村"], h, admitted=D(2009, 7, n)) for n in (1, 2, 3)])
    sdk.write("elderly_home", [{"region_id": county["甲村"], "name": "五保之家", "kind": "wubao_home", "built": D(2009, 6, 1), "capacity": 2}],
              mode="upsert")
    found = [p for p in sdk.check() if p.rule == "elderly.resident_capacity"]
    assert found and all(p.table == "elderly_resident" for p in found)


# -- indicators -----------------------------------------------------------------------------------

def test_occupancy_is_recomputed_not_averaged(sdk, county):
    a = home(sdk, county["甲村"], capacity=10)
    b = home(sdk, county["乙村"], capacity=40)
    sdk.write("elderly_resident", [stay(county["甲村"], a, admitted=D(2009, 7, 1 + n)) for n in range(9)]
              + [stay(county["乙村"], b, admitted=D(2009, 7, 1 + n)) for n in range(10)])
    va = sdk.indicator_values("甲村", "2010")["elderly.occupancy_rate"]
    vb = sdk.indicator_values("乙村", "2010")["elderly.occupancy_rate"]
    town = sdk.indicator_values("一镇", "2010")["elderly.occupancy_rate"]
    assert (va, vb) == (0.9, 0.25)
    assert town == pytest.approx(19 / 50)
    assert town != pytest.approx((va + vb) / 2)
    assert sdk.indicator_values("测试县", "2010")["elderly.occupancy_rate"] == pytest.approx(19 / 50)


def test_township_home_counts_where_it_stands(sdk, county):
    t_home = home(sdk, county["一镇"], name="一镇敬老院", kind="nursing_home", built=D(2000, 1, 1), capacity=20)
    sdk.write("elderly_resident", [stay(county["甲村"], t_home), stay(county["乙村"], t_home), stay(county["乙村"], t_home)])
    village = sdk.indicator_values("乙村", "2010")
    town = sdk.indicator_values("一镇", "2010")
    assert village["elderly.five_guarantee_residents"] == 2 and village["elderly.five_guarantee_homes"] == 0
    assert village["elderly.occupancy_rate"] is None
    assert town["elderly.five_guarantee_homes"] == 1 and town["elderly.five_guarantee_residents"] == 3
    assert town["elderly.occupancy_rate"] == pytest.approx(3 / 20)


def test_residents_in_care_at_period_end(sdk, county):
    h = home(sdk, county["甲村"])
    sdk.write("elderly_resident", [
        stay(county["甲村"], h, admitted=D(2009, 7, 1)),
        stay(county["甲村"], h, admitted=D(2009, 7, 1), discharged=D(2010, 5, 1), discharge_reason="died"),
        {"region_id": county["甲村"], **person(), "support_form": "dispersed", "admitted": D(2010, 11, 1)},
    ])
    assert sdk.indicator_values("甲村", "2009")["elderly.five_guarantee_residents"] == 2
    assert sdk.indicator_values("甲村", "2010")["elderly.five_guarantee_residents"] == 2
    assert sdk.indicator_values("甲村", "2010Q2")["elderly.five_guarantee_residents"] == 1
    assert sdk.indicator_values("甲村", "2010Q2")["elderly.occupancy_rate"] == pytest.approx(1 / 10)
    # as of 2010-04-30 the one who died in May was still there
    assert sdk.indicator_values("甲村", "2010", as_of=D(2010, 4, 30))["elderly.five_guarantee_residents"] == 2


def test_funds_are_cumulative_to_period_end(sdk, county):
    h = home(sdk, county["甲村"], built=D(2010, 6, 1))
    sdk.write("elderly_home_fund", [
        {"region_id": county["甲村"], "home_id": h, "received": D(2009, 3, 1), "source": "association", "amount_fen": 10_000_000},
        {"region_id": county["甲村"], "home_id": h, "received": D(2010, 2, 1), "source": "government", "amount_fen": 5_000_001},
    ])
    assert sdk.indicator_values("甲村", "2009")["elderly.five_guarantee_funds_yuan"] == Decimal("100000.00")
    assert sdk.indicator_values("甲村", "2010")["elderly.five_guarantee_funds_yuan"] == Decimal("150000.01")
    assert sdk.indicator_values("甲村", "2010Q1")["elderly.five_guarantee_funds_yuan"] == Decimal("150000.01")
    assert sdk.indicator_values("甲村", "2011")["elderly.five_guarantee_funds_yuan"] == Decimal("150000.01")
    assert sdk.indicator_values("测试县", "2010")["elderly.five_guarantee_funds_yuan"] == Decimal("150000.01")
