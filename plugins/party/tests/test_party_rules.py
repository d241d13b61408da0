"""Each party rule: bad batches are refused whole, naming field and value; `check` finds the rest."""

import datetime as dt

import pytest
from sqlalchemy import func, insert, select

from shequ_sdk import Association, BatchError, config
from shequ_sdk.regions import create_region
from shequ_plugin_party import (
    PartyCoverage, PartyEvaluation, PartyInstructor, PartyMobileMember, PartyMobileReport, PartyOrganisation, PartyOrgProfile,
)

TODAY = dt.date(2011, 3, 31)


@pytest.fixture
def city(sdk):
    """A county-level city with three social organisations, a standalone branch and an instructor."""
    with sdk.transaction() as s:
        county = create_region(session=s, name="样例市", kind="county", code="420684")
        cid = county.id
    sdk.write("association", [{"region_id": cid, "type_key": "social_org", "name": n} for n in ("甲协会", "乙协会", "丙协会")])
    with sdk.transaction() as s:
        ids = dict(s.execute(select(Association.name, Association.id)).all())
    sdk.write(PartyOrganisation, [{"region_id": cid, "name": "甲协会党支部", "kind": "standalone", "party_members": 9}], today=TODAY)
    sdk.write(PartyInstructor, [{"region_id": cid, "name": "王建国", "dispatching_unit": "市民政局机关党支部", "appointed": dt.date(2009, 5, 1)}], today=TODAY)
    with sdk.transaction() as s:
        body = s.execute(select(PartyOrganisation.id)).scalar_one()
        instructor = s.execute(select(PartyInstructor.id)).scalar_one()
    return {"county": cid, "a": ids["甲协会"], "b": ids["乙协会"], "c": ids["丙协会"], "branch": body, "instructor": instructor}


def _count(sdk, model):
    with sdk.transaction() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def _refused(sdk, model, rows, field, value=None):
    with pytest.raises(BatchError) as exc:
        sdk.write(model, rows, today=TODAY)
    hits = [p for p in exc.value.problems if p.field == field]
    assert hits, [str(p) for p in exc.value.problems]
    if value is not None:
        assert any(p.value == value for p in hits)
    assert all(p.message_zh and p.message_en for p in exc.value.problems)
    return exc.value


def test_profile_figures(sdk, city):
    good = {"region_id": city["county"], "association_id": city["a"], "year": 2010, "members": 30, "party_members": 12,
            "staff": 5, "staff_party_members": 4}
    bad = dict(good, association_id=city["b"], party_members=31)
    _refused(sdk, PartyOrgProfile, [good, bad], "party_members", 31)
    _refused(sdk, PartyOrgProfile, [dict(good, staff_party_members=6)], "staff_party_members", 6)
    assert _count(sdk, PartyOrgProfile) == 0  # the good row of the refused batch was not written either
    sdk.write(PartyOrgProfile, [good], today=TODAY)
    assert _count(sdk, PartyOrgProfile) == 1


def test_party_body_conditions(sdk, city):
    cid = city["county"]
    err = _refused(sdk, PartyOrganisation, [{"region_id": cid, "name": "乙协会党支部", "kind": "单独党支部", "party_members": 2}], "party_members", 2)
    assert "3" in err.problems[0].message_zh
    _refused(sdk, PartyOrganisation, [{"region_id": cid, "name": "乙协会党小组", "kind": "attached", "party_members": 2}], "host_unit")
    _refused(sdk, PartyOrganisation, [{"region_id": cid, "name": "某联合党支部", "kind": "joint", "party_members": 5}], "basis")
    _refused(sdk, PartyOrganisation, [{"region_id": cid, "name": "某联合党支部", "kind": "joint", "party_members": 5, "basis": "同城"}], "basis", "同城")
    sdk.write(PartyOrganisation, [{"region_id": cid, "name": "某联合党支部", "kind": "joint", "party_members": 5, "basis": "行业相近"}], today=TODAY)
    # a branch needing 3 members is a setting: a township may ask for more
    with sdk.transaction() as s:
        config.set_value(s, "party.branch_min_members", 5)
    _refused(sdk, PartyOrganisation, [{"region_id": cid, "name": "丙协会党支部", "kind": "standalone", "party_members": 4}], "party_members", 4)


def test_coverage_mode_matches_body(sdk, city):
    cid = city["county"]
    _refused(sdk, PartyCoverage, [{"region_id": cid, "association_id": city["a"], "mode": "joint", "party_org_id": city["branch"]}], "mode", "joint")
    _refused(sdk, PartyCoverage, [{"region_id": cid, "association_id": city["a"], "mode": "instructor", "party_org_id": city["branch"]}], "instructor_id")
    _refused(sdk, PartyCoverage, [{"region_id": cid, "association_id": city["a"], "mode": "standalone"}], "party_org_id")
    _refused(sdk, PartyCoverage, [{"region_id": cid, "association_id": 999999, "mode": "instructor", "instructor_id": city["instructor"]}],
             "association_id", 999999)
    assert _count(sdk, PartyCoverage) == 0


def test_one_mode_at_a_time(sdk, city):
    cid, a = city["county"], city["a"]
    instructor = {"region_id": cid, "association_id": a, "mode": "委派指导员", "instructor_id": city["instructor"],
                  "start_date": dt.date(2009, 5, 1)}
    branch = {"region_id": cid, "association_id": a, "mode": "standalone", "party_org_id": city["branch"], "start_date": dt.date(2010, 3, 1)}
    # two modes over the same months, in one batch: refused, nothing written
    _refused(sdk, PartyCoverage, [instructor, branch], "association_id", a)
    assert _count(sdk, PartyCoverage) == 0
    # the instructor until the branch was set up, then the branch: accepted
    sdk.write(PartyCoverage, [dict(instructor, end_date=dt.date(2010, 3, 1)), branch], today=TODAY)
    # a second mode against what is stored: refused
    _refused(sdk, PartyCoverage, [dict(instructor, start_date=dt.date(2010, 6, 1))], "association_id", a)
    # re-sending a stored row by its natural key (upsert) is no clash
    sdk.write(PartyCoverage, [dict(branch, note="党支部成立")], mode="upsert", today=TODAY)
    assert _count(sdk, PartyCoverage) == 2


def test_check_finds_uncovered_and_double_coverage(sdk, city):
    cid = city["county"]
    sdk.write(PartyCoverage, [{"region_id": cid, "association_id": city["a"], "mode": "standalone", "party_org_id": city["branch"],
                               "start_date": dt.date(2010, 3, 1)},
                              {"region_id": cid, "association_id": city["b"], "mode": "instructor", "instructor_id": city["instructor"],
                               "start_date": dt.date(2010, 3, 1)}], today=TODAY)
    problems = sdk.check(today=TODAY)
    uncovered = [p for p in problems if p.rule == "party.coverage_required"]
    assert [p.value for p in uncovered] == ["丙协会"] and uncovered[0].extra["severity"] == "error"
    # a legacy load that bypassed the write path: 甲协会 now has two modes at once
    with sdk.transaction() as s:
        s.execute(insert(PartyCoverage.__table__), [{"region_id": cid, "association_id": city["a"], "mode": "instructor",
                                                     "instructor_id": city["instructor"], "start_date": dt.date(2010, 6, 1), "synthetic": False}])
    double = [p for p in sdk.check(today=TODAY) if p.rule == "party.coverage_single"]
    assert len(double) == 2 and {p.value for p in double} == {city["a"]} and all(p.extra["severity"] == "error" for p in double)
    assert all(p.table == "party_coverage" for p in double)
    values = sdk.indicator_values("样例市", "2010", keys=["party"])
    assert values["party.organisations"] == 3 and values["party.uncovered_organisations"] == 1
    assert values["party.coverage_rate"] == pytest.approx(2 / 3)


def test_standalone_expected_warning(sdk, city):
    cid = city["county"]
    sdk.write(PartyOrgProfile, [
        {"region_id": cid, "association_id": city["a"], "year": 2010, "members": 30, "party_members": 10, "staff": 4, "staff_party_members": 3},
        {"region_id": cid, "association_id": city["b"], "year": 2010, "members": 30, "party_members": 10, "staff": 4, "staff_party_members": 3},
    ], today=TODAY)
    sdk.write(PartyCoverage, [{"region_id": cid, "association_id": city["a"], "mode": "standalone", "party_org_id": city["branch"],
                               "start_date": dt.date(2010, 3, 1)},
                              {"region_id": cid, "association_id": city["b"], "mode": "instructor", "instructor_id": city["instructor"],
                               "start_date": dt.date(2010, 3, 1)}], today=TODAY)
    flagged = [p for p in sdk.check(today=TODAY) if p.rule == "party.standalone_expected"]
    assert len(flagged) == 1 and flagged[0].field == "staff_party_members" and flagged[0].value == 3
    assert "乙协会" in flagged[0].message_zh and flagged[0].extra["severity"] == "warning"
    # the write path does not refuse warnings
    assert _count(sdk, PartyOrgProfile) == 2


def _evaluations(city, grades, year=2010, start=0):
    return [{"region_id": city["county"], "party_org_id": city["branch"], "year": year, "member_name": f"党员{start + i:02d}", "grade": g}
            for i, g in enumerate(grades)]


def test_excellent_at_most_a_third(sdk, city):
    # the branch has 9 members: at most 3 优秀
    err = _refused(sdk, PartyEvaluation, _evaluations(city, ["优秀"] * 4 + ["合格"] * 5), "grade", "excellent")
    assert len(err.problems) == 1 and err.problems[0].row == 4
    assert _count(sdk, PartyEvaluation) == 0
    sdk.write(PartyEvaluation, _evaluations(city, ["合格"] * 5 + ["优秀"] * 3 + ["基本合格"]), today=TODAY)
    # a late entry cannot push the year over the limit; another year has its own quota
    _refused(sdk, PartyEvaluation, _evaluations(city, ["优秀"], start=20), "grade")
    sdk.write(PartyEvaluation, _evaluations(city, ["优秀"] * 3, year=2009), today=TODAY)
    # downgrading one 优秀 by upsert frees a place for another
    sdk.write(PartyEvaluation, _evaluations(city, ["合格", "优秀"], start=5), mode="upsert", today=TODAY)
    assert [p for p in sdk.check(today=TODAY) if p.rule == "party.excellent_quota"] == []
    # stored data over the limit (e.g. the branch shrank) is found by check
    with sdk.transaction() as s:
        s.execute(PartyOrganisation.__table__.update().values(party_members=6))
    over = [p for p in sdk.check(today=TODAY) if p.rule == "party.excellent_quota"]
    assert len(over) == 3 and all(p.table == "party_evaluation" for p in over)


def test_excellent_share_is_a_setting(sdk, city):
    with sdk.transaction() as s:
        config.set_value(s, "party.excellent_share_limit", "1/2")
    sdk.write(PartyEvaluation, _evaluations(city, ["优秀"] * 4 + ["合格"] * 5), today=TODAY)
    assert _count(sdk, PartyEvaluation) == 9


def _mobile(city, **kw):
    row = {"region_id": city["county"], "name": "李春梅", "association_id": city["a"], "party_org_id": city["branch"],
           "destination": "广东省深圳市宝安区", "out_date": dt.date(2010, 5, 1), "permit_no": "宜流党证2010-001",
           "receiving_org": "宝安区流动党员党支部", "last_contact": dt.date(2010, 5, 1)}
    return row | kw


def test_mobile_members(sdk, city):
    _refused(sdk, PartyMobileMember, [_mobile(city, permit_no=None)], "permit_no")
    _refused(sdk, PartyMobileMember, [_mobile(city, returned_on=dt.date(2010, 4, 1))], "returned_on", dt.date(2010, 4, 1))
    _refused(sdk, PartyMobileMember, [_mobile(city, out_date=dt.date(2011, 6, 1), last_contact=None)], "out_date")
    sdk.write(PartyMobileMember, [_mobile(city), _mobile(city, name="张伟", permit_no=None, relation_transferred=True)], today=TODAY)
    with sdk.transaction() as s:
        mid = s.execute(select(PartyMobileMember.id).where(PartyMobileMember.name == "李春梅")).scalar_one()
    report = {"region_id": city["county"], "mobile_member_id": mid, "form": "书面"}
    _refused(sdk, PartyMobileReport, [report | {"report_date": dt.date(2010, 4, 20)}], "report_date", dt.date(2010, 4, 20))

    # reports on 6-25 and 8-20, then silence: the gap to 11-30 is over two months
    sdk.write(PartyMobileReport, [report | {"report_date": d} for d in (dt.date(2010, 6, 25), dt.date(2010, 8, 20), dt.date(2010, 11, 30))],
              today=TODAY)
    gaps = [p for p in sdk.check(today=TODAY) if p.rule == "party.mobile_report_gaps"]
    assert [(p.value, p.extra["severity"]) for p in gaps] == [(dt.date(2010, 11, 30), "warning")]
    # overdue: the last report (11-30) is more than two months before 2011-03-31, but not before 2011-01-15
    overdue = [p for p in sdk.check(today=TODAY) if p.rule == "party.mobile_overdue"]
    assert len(overdue) == 1 and overdue[0].value == dt.date(2010, 11, 30) and "李春梅" in overdue[0].message_zh
    assert [p for p in sdk.check(today=dt.date(2011, 1, 15)) if p.rule == "party.mobile_overdue"] == []
    # the interval is a setting
    with sdk.transaction() as s:
        config.set_value(s, "party.mobile_report_months", 6)
    assert [p for p in sdk.check(today=TODAY) if p.rule.startswith("party.mobile")] == []


def test_no_double_counting(sdk, city):
    row = {"region_id": city["county"], "association_id": city["a"], "year": 2010, "members": 30, "party_members": 12}
    _refused(sdk, PartyOrgProfile, [row, dict(row, members=31)], "year", 2010)
    sdk.write(PartyOrgProfile, [row], today=TODAY)
    _refused(sdk, PartyOrgProfile, [dict(row, members=31)], "year", 2010)
    sdk.write(PartyOrgProfile, [dict(row, members=31)], mode="upsert", today=TODAY)
    assert sdk.indicator_values("样例市", "2010", keys=["party"])["party.association_members"] == 31
    ev = _evaluations(city, ["合格"])
    sdk.write(PartyEvaluation, ev, today=TODAY)
    _refused(sdk, PartyEvaluation, ev, "member_name", "党员00")
    # an insert with the same start date is a second coverage, not an update
    cov = {"region_id": city["county"], "association_id": city["a"], "mode": "standalone", "party_org_id": city["branch"],
           "start_date": dt.date(2010, 3, 1)}
    sdk.write(PartyCoverage, [cov], today=TODAY)
    _refused(sdk, PartyCoverage, [cov], "association_id", city["a"])
