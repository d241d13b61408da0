"""Roll-up: a township sums its own rows and its villages'; a county adds its own rows; rates are recomputed."""

import datetime as dt

import pytest
from sqlalchemy import select

from shequ_sdk import Association
from shequ_sdk.regions import create_region
from shequ_plugin_party import PartyCoverage, PartyInstructor, PartyOrganisation, PartyOrgProfile

TODAY = dt.date(2011, 3, 31)
START = dt.date(2010, 1, 1)


def test_roll_up(sdk):
    with sdk.transaction() as s:
        county = create_region(session=s, name="测试县", kind="county", code="439901")
        t1 = create_region(session=s, name="一镇", kind="township", parent=county)
        t2 = create_region(session=s, name="二镇", kind="township", parent=county)
        v1a = create_region(session=s, name="一村", kind="village", parent=t1)
        v1b = create_region(session=s, name="二村", kind="village", parent=t1)
        v2a = create_region(session=s, name="三社区", kind="community", parent=t2)
        ids = {"c": county.id, "t1": t1.id, "t2": t2.id, "v1a": v1a.id, "v1b": v1b.id, "v2a": v2a.id}
    # organisations: two on the county, one on township 1, one in each village
    orgs = [("c", "县作协"), ("c", "县美协"), ("t1", "一镇老年协会"), ("v1a", "一村腰鼓队"), ("v1b", "二村读书会"), ("v2a", "三社区志愿服务队")]
    sdk.write("association", [{"region_id": ids[r], "type_key": "social_org", "name": n, "founded": dt.date(2005, 1, 1)} for r, n in orgs],
              today=TODAY)
    with sdk.transaction() as s:
        aid = dict(s.execute(select(Association.name, Association.id)).all())
    sdk.write(PartyOrgProfile, [{"region_id": ids[r], "association_id": aid[n], "year": 2010, "members": 20, "party_members": p}
                                for (r, n), p in zip(orgs, (12, 2, 5, 3, 1, 0))], today=TODAY)
    # a standalone branch on the county; a joint branch on township 1 covering its own organisation and 一村's
    sdk.write(PartyOrganisation, [
        {"region_id": ids["c"], "name": "县作协党支部", "kind": "standalone", "party_members": 12, "founded": START},
        {"region_id": ids["t1"], "name": "一镇社会组织联合党支部", "kind": "joint", "basis": "area", "party_members": 8, "founded": START},
    ], today=TODAY)
    sdk.write(PartyInstructor, [{"region_id": ids["v2a"], "name": "赵国平", "dispatching_unit": "二镇党委", "appointed": START}], today=TODAY)
    with sdk.transaction() as s:
        body = dict(s.execute(select(PartyOrganisation.kind, PartyOrganisation.id)).all())
        instructor = s.execute(select(PartyInstructor.id)).scalar_one()
    sdk.write(PartyCoverage, [
        {"region_id": ids["c"], "association_id": aid["县作协"], "mode": "standalone", "party_org_id": body["standalone"], "start_date": START},
        {"region_id": ids["t1"], "association_id": aid["一镇老年协会"], "mode": "joint", "party_org_id": body["joint"], "start_date": START},
        {"region_id": ids["v1a"], "association_id": aid["一村腰鼓队"], "mode": "joint", "party_org_id": body["joint"], "start_date": START},
        {"region_id": ids["v2a"], "association_id": aid["三社区志愿服务队"], "mode": "instructor", "instructor_id": instructor, "start_date": START},
    ], today=TODAY)

    v = {name: sdk.indicator_values(name, "2010", keys=["party"]) for name in ("测试县", "一镇", "二镇", "一村", "二村", "三社区")}
    assert v["一村"]["party.organisations"] == 1 and v["一村"]["party.coverage_rate"] == 1.0
    assert v["一村"]["party.joint_branch_organisations"] == 1 and v["一村"]["party.joint_branches"] == 0  # the branch sits on the township
    assert v["二村"]["party.coverage_rate"] == 0.0 and v["二村"]["party.uncovered_organisations"] == 1

    # township 1 = its own rows + 一村 + 二村
    t1 = v["一镇"]
    assert (t1["party.organisations"], t1["party.members"], t1["party.joint_branches"], t1["party.joint_branch_organisations"]) == (3, 9, 1, 2)
    assert t1["party.coverage_rate"] == pytest.approx(2 / 3)
    for key in ("party.organisations", "party.members", "party.joint_branch_organisations", "party.uncovered_organisations"):
        assert t1[key] >= v["一村"][key] + v["二村"][key]
    assert v["二镇"]["party.instructors"] == 1 and v["二镇"]["party.coverage_rate"] == 1.0

    # the county = its own two organisations + both townships; the rate is recomputed, not averaged
    c = v["测试县"]
    counts = ("party.organisations", "party.members", "party.standalone_branches", "party.joint_branches",
              "party.joint_branch_organisations", "party.attached_groups", "party.instructors", "party.uncovered_organisations")
    own = {"party.organisations": 2, "party.members": 14, "party.standalone_branches": 1, "party.uncovered_organisations": 1}
    for key in counts:
        assert c[key] == own.get(key, 0) + v["一镇"][key] + v["二镇"][key], key
    assert c["party.organisations"] == 6 and c["party.members"] == 23
    assert c["party.coverage_rate"] == pytest.approx(4 / 6)
    assert c["party.coverage_rate"] != pytest.approx((1 / 2 + 2 / 3 + 1) / 3)

    # coverage ends: from 2011 on 一村腰鼓队 has left the joint branch
    with sdk.transaction() as s:
        s.execute(PartyCoverage.__table__.update().where(PartyCoverage.association_id == aid["一村腰鼓队"]).values(end_date=dt.date(2011, 1, 1)))
    assert sdk.indicator_values("一镇", "2010", keys=["party"])["party.joint_branch_organisations"] == 2
    assert sdk.indicator_values("一镇", "2011Q1", keys=["party"], as_of=TODAY)["party.joint_branch_organisations"] == 1
