"""Indicators: the schedule rates follow their definition, roll up by summing numerators and
denominators (never averaging village rates), and follow per-township Settings."""

from __future__ import annotations

import datetime as dt

import pytest

from shequ_sdk import config
from shequ_sdk.regions import find_region

TODAY = dt.date(2011, 3, 31)


def _home_visits(region_id, fid, dates):
    return [{"region_id": region_id, "family_id": fid, "contact_date": d, "kind": "home_visit"} for d in dates]


QUARTERLY = [dt.date(2010, 2, 10), dt.date(2010, 5, 10), dt.date(2010, 8, 10), dt.date(2010, 11, 10)]


@pytest.fixture
def visits(world, family_row):
    """一村: 1 family, 4 visits in 2010 (on schedule). 二村: 3 families with 4, 2 and 2 visits.
    三社区 (乙镇): a family registered 2010-07-01 (6 whole months → 2 due) with 2 visits, and one
    registered 2010-12-15 (no whole month → nothing due, left out)."""
    from sqlalchemy import select

    from shequ_plugin_family_planning import SpecialFamily

    sdk, r = world["sdk"], world["regions"]
    sdk.write("family_planning_special_family", [
        family_row("一村", 0),
        family_row("二村", 0), family_row("二村", 1), family_row("二村", 2),
        family_row("三社区", 0, registered_on=dt.date(2010, 7, 1)), family_row("三社区", 1, registered_on=dt.date(2010, 12, 15)),
    ], today=TODAY)
    with sdk.transaction() as s:
        ids = s.execute(select(SpecialFamily.id).order_by(SpecialFamily.id)).scalars().all()
    rows = (_home_visits(r["一村"], ids[0], QUARTERLY) + _home_visits(r["二村"], ids[1], QUARTERLY)
            + _home_visits(r["二村"], ids[2], QUARTERLY[:2]) + _home_visits(r["二村"], ids[3], QUARTERLY[2:])
            + _home_visits(r["三社区"], ids[4], QUARTERLY[2:]))
    sdk.write("family_planning_contact", rows, today=TODAY)
    return ids


KEY = "family_planning.visits_on_schedule_rate"


def test_visit_rate_is_recomputed_not_averaged(world, visits):
    sdk = world["sdk"]
    v = {name: sdk.indicator_values(name, "2010", keys=[KEY], as_of=TODAY)[KEY] for name in ("一村", "二村", "三社区", "甲镇", "乙镇", "测试县")}
    assert v["一村"] == 1.0
    assert v["二村"] == pytest.approx(1 / 3)
    assert v["三社区"] == 1.0
    # 甲镇 = (1 + 1) / (1 + 3) = 0.5, not the mean of its villages' rates (1 + 1/3) / 2 = 0.667
    assert v["甲镇"] == pytest.approx(0.5)
    assert v["甲镇"] != pytest.approx((v["一村"] + v["二村"]) / 2)
    assert v["乙镇"] == 1.0
    assert v["测试县"] == pytest.approx(3 / 5)


def test_visit_rate_by_quarter_and_partial_periods(world, visits):
    sdk = world["sdk"]
    q1 = sdk.indicator_values("测试县", "2010Q1", keys=[KEY], as_of=TODAY)[KEY]
    # Q1: 一村 and 二村's first two families visited in February; 二村's third family was not; 三社区 not yet registered
    assert q1 == pytest.approx(3 / 4)
    q3 = sdk.indicator_values("三社区", "2010Q3", keys=[KEY], as_of=TODAY)[KEY]
    assert q3 == 1.0
    # months not yet ended by the as-of day are not due: in mid-May 2010 only Q1's visit is due
    early = sdk.indicator_values("二村", "2010", keys=[KEY], as_of=dt.date(2010, 5, 15))[KEY]
    assert early == pytest.approx(2 / 3)
    # a month period: 4 visits a year → ⌊4 × 1 / 12⌋ = 0 due: the indicator is not offered for months
    assert KEY not in sdk.indicator_values("测试县", "2010-05", as_of=TODAY)


def test_township_setting_changes_what_is_due(world, visits):
    sdk = world["sdk"]
    with sdk.transaction() as s:
        config.set_value(s, "family_planning.home_visits_per_year", 2, find_region(s, "甲镇"))
    v = {name: sdk.indicator_values(name, "2010", keys=[KEY], as_of=TODAY)[KEY] for name in ("甲镇", "乙镇", "测试县")}
    assert v["甲镇"] == 1.0          # two visits a year now suffice in 甲镇
    assert v["乙镇"] == 1.0          # 乙镇 keeps the default of 4 a year (2 due for its half year)
    assert v["测试县"] == 1.0
    with sdk.transaction() as s:
        config.set_value(s, "family_planning.home_visits_per_year", 8, find_region(s, "三社区"))
    # the village override wins over its township's default: 4 due for half a year, 2 made
    assert sdk.indicator_values("三社区", "2010", keys=[KEY], as_of=TODAY)[KEY] == 0.0


def test_face_to_face_and_weekly_contact_rates(world, family_row):
    from sqlalchemy import select

    from shequ_plugin_family_planning import SpecialFamily

    sdk, r = world["sdk"], world["regions"]
    sdk.write("family_planning_special_family", [family_row("一村", 0), family_row("一村", 1)], today=TODAY)
    with sdk.transaction() as s:
        a, b = s.execute(select(SpecialFamily.id).order_by(SpecialFamily.id)).scalars().all()
    rows = []
    for month in range(1, 13):  # family a: met in person every month; family b: every month but June
        rows.append({"region_id": r["一村"], "family_id": a, "contact_date": dt.date(2010, month, 5), "kind": "meeting"})
        if month != 6:
            rows.append({"region_id": r["一村"], "family_id": b, "contact_date": dt.date(2010, month, 5), "kind": "festival"})
    day = dt.date(2010, 1, 4)
    while day.year == 2010:  # family a is also phoned every week
        rows.append({"region_id": r["一村"], "family_id": a, "contact_date": day + dt.timedelta(days=2), "kind": "phone"})
        day += dt.timedelta(days=7)
    sdk.write("family_planning_contact", rows, today=TODAY)
    v = sdk.indicator_values("一村", "2010", keys=["family_planning"], as_of=TODAY)
    assert v["family_planning.face_to_face_on_schedule_rate"] == 0.5
    assert v["family_planning.contacts_on_schedule_rate"] == 0.5
    assert sdk.indicator_values("一村", "2010-06", keys=["family_planning.face_to_face_on_schedule_rate"], as_of=TODAY)[
        "family_planning.face_to_face_on_schedule_rate"] == 0.5
    assert sdk.indicator_values("一村", "2010-07", keys=["family_planning.face_to_face_on_schedule_rate"], as_of=TODAY)[
        "family_planning.face_to_face_on_schedule_rate"] == 1.0


def test_special_families_and_family_doctor_at_period_end(world, family_row):
    sdk = world["sdk"]
    sdk.write("family_planning_special_family", [
        family_row("一村", 0, family_doctor_signed=True, family_doctor_signed_on=dt.date(2010, 11, 1)),
        family_row("一村", 1, family_doctor_signed=True, family_doctor_signed_on=dt.date(2011, 2, 1)),
        family_row("一村", 2, left_on=dt.date(2010, 10, 1), leave_reason="deceased"),
        family_row("二村", 0, registered_on=dt.date(2011, 1, 10)),
    ], today=TODAY)
    v2010 = sdk.indicator_values("测试县", "2010", keys=["family_planning"], as_of=TODAY)
    assert v2010["family_planning.special_families"] == 2
    assert v2010["family_planning.family_doctor_rate"] == 0.5
    vq3 = sdk.indicator_values("测试县", "2010Q3", keys=["family_planning"], as_of=TODAY)
    assert vq3["family_planning.special_families"] == 3
    assert vq3["family_planning.family_doctor_rate"] == 0.0
    v2011 = sdk.indicator_values("测试县", "2011Q1", keys=["family_planning"], as_of=TODAY)
    assert v2011["family_planning.special_families"] == 3
    assert v2011["family_planning.family_doctor_rate"] == pytest.approx(2 / 3)


def test_services_roll_up_as_sums(world):
    sdk, r = world["sdk"], world["regions"]
    rows = [{"region_id": r[v], "service_date": dt.date(2010, m, 3), "service_type": t, "attendees": n}
            for v, m, t, n in (("一村", 3, "eugenics", 30), ("一村", 4, "youth_health", 25), ("二村", 5, "infant_care", 12),
                               ("三社区", 6, "parent_class", 40), ("三社区", 6, "reproductive_health", 18))]
    sdk.write("family_planning_service", rows, today=TODAY)
    get = lambda name, key: sdk.indicator_values(name, "2010", keys=[key], as_of=TODAY)[key]  # noqa: E731
    for key in ("family_planning.services", "family_planning.service_attendees"):
        assert get("测试县", key) == get("甲镇", key) + get("乙镇", key)
        assert get("甲镇", key) == get("一村", key) + get("二村", key)
    assert get("测试县", "family_planning.services") == 5
    assert get("测试县", "family_planning.service_attendees") == 125
    assert sdk.indicator_values("三社区", "2010Q2", keys=["family_planning.services"], as_of=TODAY)["family_planning.services"] == 2
