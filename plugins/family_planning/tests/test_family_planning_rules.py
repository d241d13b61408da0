"""Validation: a batch with a bad row is refused whole, the problem names the field and value,
and nothing is written."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from shequ_sdk import BatchError, config

TODAY = dt.date(2011, 3, 31)


def _count(sdk, model) -> int:
    with sdk.transaction() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def _refused(sdk, table, rows, field):
    with pytest.raises(BatchError) as exc:
        sdk.write(table, rows, today=TODAY)
    hits = [p for p in exc.value.problems if p.field == field]
    assert hits, [str(p) for p in exc.value.problems]
    assert all(p.table == table for p in hits)
    assert hits[0].message_zh and hits[0].message_en
    return hits[0]


@pytest.mark.parametrize("changes, field, value", [
    ({"left_on": dt.date(2008, 12, 31), "leave_reason": "moved"}, "left_on", dt.date(2008, 12, 31)),
    ({"left_on": dt.date(2010, 6, 1)}, "leave_reason", None),
    ({"leave_reason": "deceased"}, "left_on", None),
    ({"registered_on": dt.date(2011, 4, 1)}, "registered_on", dt.date(2011, 4, 1)),
    ({"family_type": "child_disabled"}, "disability_grade", None),
    ({"disability_grade": 2}, "disability_grade", 2),
    ({"village_contact_name": "乡干部甲"}, "village_contact_name", "乡干部甲"),
    ({"family_doctor_signed_on": dt.date(2010, 1, 1)}, "family_doctor_signed", False),
    ({"family_type": "违规生育"}, "family_type", "违规生育"),
    ({"head_name": "  "}, "head_name", ""),
])
def test_bad_family_refused_nothing_written(world, family_row, changes, field, value):
    from shequ_plugin_family_planning import SpecialFamily

    sdk = world["sdk"]
    problem = _refused(sdk, "family_planning_special_family", [family_row("一村", 0), family_row("一村", 1, **changes)], field)
    assert problem.value == value
    assert problem.row == 2
    assert _count(sdk, SpecialFamily) == 0


def test_household_must_belong_to_the_village_and_appear_once(world, family_row):
    from shequ_plugin_family_planning import SpecialFamily

    sdk = world["sdk"]
    stranger = world["households"]["二村"][0]
    p = _refused(sdk, "family_planning_special_family", [family_row("一村", 0, household_id=stranger)], "household_id")
    assert p.value == stranger and "一村" in p.message_zh
    p = _refused(sdk, "family_planning_special_family", [family_row("一村", 0), family_row("一村", 0)], "household_id")
    assert p.row == 2 and "第 1 行" in p.message_zh
    assert _count(sdk, SpecialFamily) == 0


def _family(world, family_row, **changes) -> int:
    from shequ_plugin_family_planning import SpecialFamily

    sdk = world["sdk"]
    sdk.write("family_planning_special_family", [family_row("一村", 0, **changes)], today=TODAY)
    with sdk.transaction() as s:
        return s.execute(select(SpecialFamily.id)).scalar_one()


@pytest.mark.parametrize("changes, field", [
    ({"contact_date": dt.date(2008, 12, 1)}, "contact_date"),          # before registration
    ({"contact_date": dt.date(2010, 9, 1)}, "contact_date"),           # after the family left
    ({"contact_date": dt.date(2011, 4, 2)}, "contact_date"),           # in the future
    ({"event": "accident"}, "reported_on"),                            # an accident must be reported
    ({"reported_on": dt.date(2010, 3, 1)}, "event"),                   # a report of nothing
    ({"event": "death", "reported_on": dt.date(2010, 2, 27)}, "reported_on"),  # reported before found
    ({"kind": "短信"}, "kind"),
])
def test_bad_contact_refused_nothing_written(world, family_row, changes, field):
    from shequ_plugin_family_planning import FamilyContact

    sdk = world["sdk"]
    fid = _family(world, family_row, left_on=dt.date(2010, 8, 31), leave_reason="moved")
    good = {"region_id": world["regions"]["一村"], "family_id": fid, "contact_date": dt.date(2010, 2, 28), "kind": "home_visit"}
    _refused(sdk, "family_planning_contact", [good, {**good, "contact_date": dt.date(2010, 3, 5), **changes}], field)
    assert _count(sdk, FamilyContact) == 0


def test_contact_for_a_family_of_another_village_is_refused(world, family_row):
    sdk = world["sdk"]
    fid = _family(world, family_row)
    p = _refused(sdk, "family_planning_contact", [{"region_id": world["regions"]["二村"], "family_id": fid,
                                                    "contact_date": dt.date(2010, 3, 5), "kind": "phone"}], "family_id")
    assert p.value == fid


def test_late_event_report_is_a_warning_in_check_with_township_setting(world, family_row):
    sdk = world["sdk"]
    fid = _family(world, family_row)
    sdk.write("family_planning_contact", [{"region_id": world["regions"]["一村"], "family_id": fid, "contact_date": dt.date(2010, 3, 5),
                                           "kind": "meeting", "event": "serious_illness", "reported_on": dt.date(2010, 3, 8)}], today=TODAY)
    late = [p for p in sdk.check(today=TODAY) if p.rule == "family_planning.event_reported_promptly"]
    assert len(late) == 1 and late[0].extra["severity"] == "warning" and late[0].value == dt.date(2010, 3, 8)
    from shequ_sdk.regions import find_region

    with sdk.transaction() as s:
        config.set_value(s, "family_planning.event_report_days", 3, find_region(s, "甲镇"))
    assert not [p for p in sdk.check(today=TODAY) if p.rule == "family_planning.event_reported_promptly"]


def test_bad_service_refused(world):
    from shequ_plugin_family_planning import FamilyService

    sdk = world["sdk"]
    good = {"region_id": world["regions"]["二村"], "service_date": dt.date(2010, 5, 4), "service_type": "eugenics", "attendees": 20}
    _refused(sdk, "family_planning_service", [good, {**good, "service_date": dt.date(2011, 5, 4)}], "service_date")
    _refused(sdk, "family_planning_service", [good, {**good, "attendees": -3}], "attendees")
    # a service belongs to a village, not a township
    _refused(sdk, "family_planning_service", [{**good, "region_id": world["regions"]["甲镇"]}], "region_id")
    assert _count(sdk, FamilyService) == 0
