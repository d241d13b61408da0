"""The demo: one 综合治理维护稳定协会 per demo village and community, plausible synthetic cases,
parties, follow-ups and patrols for 2009–2010, and indicators that match their definitions."""

from __future__ import annotations

from collections import defaultdict

import pytest
from sqlalchemy import select
from sqlmodel import Session

from shequ_sdk import Association, Period, Region
from shequ_sdk.demo import DEMO_TODAY


def _villages(s):
    return s.execute(select(Region).where(Region.kind.in_(("village", "community"))).order_by(Region.id)).scalars().all()


def test_one_association_per_demo_village(demo):
    with Session(demo.engine) as s:
        villages = _villages(s)
        assocs = s.execute(select(Association).where(Association.type_key == "stability")).scalars().all()
        by_region = defaultdict(list)
        for a in assocs:
            by_region[a.region_id].append(a)
        assert sorted(by_region) == sorted(v.id for v in villages) and all(len(v) == 1 for v in by_region.values())
        xinshang = next(v for v in villages if v.name == "新尚村社区")
        assert by_region[xinshang.id][0].name == "新尚村社区综合治理维护稳定协会"
        assert by_region[xinshang.id][0].synthetic is False
        assert all(a.synthetic for a in assocs if a.region_id != xinshang.id)


def test_demo_records(demo):
    from shequ_plugin_stability import CASE_NO_PATTERN, FollowUpVisit, MediationCase, MediationParty, Patrol

    with Session(demo.engine) as s:
        for model in (MediationCase, MediationParty, FollowUpVisit, Patrol):
            assert s.execute(select(model.synthetic).distinct()).scalars().all() == [True]
        cases = s.execute(select(MediationCase)).scalars().all()
        assert {c.registered_on.year for c in cases} == {2009, 2010}
        assert {c.region_id for c in cases} == {v.id for v in _villages(s)}
        for c in cases:
            m = CASE_NO_PATTERN.match(c.case_no)
            assert m and int(m["year"]) == c.registered_on.year
        xinshang = [c for c in cases if c.case_no.startswith(("(2009)新尚", "(2010)新尚"))]
        assert xinshang
        assert {c.status for c in cases} >= {"success", "failed"}
        assert {c.agreement_form for c in cases if c.status == "success"} == {"written", "oral"}
        assert len({c.dispute_type for c in cases}) >= 8
    v = demo.indicator_values("新尚村社区", "2010", keys=["stability"], as_of=DEMO_TODAY)
    assert v["stability.mediation_cases"] >= 4 and v["stability.patrols"] >= 24
    assert 0.8 <= v["stability.mediation_success_rate"] <= 1.0


@pytest.mark.parametrize("period", ["2010", "2009Q2"])
def test_success_rate_matches_definition_at_every_level(demo, period):
    from shequ_plugin_stability import MediationCase

    p = Period.parse(period)
    with Session(demo.engine) as s:
        rows = s.execute(select(MediationCase.status, MediationCase.registered_on, Region.name, Region.township_id, MediationCase.amount_fen)
                         .join(Region, Region.id == MediationCase.region_id)).all()
        townships = dict(s.execute(select(Region.id, Region.name).where(Region.kind == "township")).all())
    tally = defaultdict(lambda: [0, 0, 0])
    for status, registered, village, township_id, amount in rows:
        if not (p.start <= registered <= p.end) or status == "rejected":
            continue
        for area in (village, townships[township_id], "南县"):
            tally[area][0] += status == "success"
            tally[area][1] += 1
            tally[area][2] += amount if status == "success" else 0
    for area, (success, accepted, amount) in tally.items():
        v = demo.indicator_values(area, period, keys=["stability"], as_of=DEMO_TODAY)
        assert v["stability.mediation_cases"] == accepted
        assert v["stability.mediation_success_rate"] == pytest.approx(success / accepted)
        assert v["stability.agreement_amount"] * 100 == amount


def test_patrols_roll_up(demo):
    keys = ["stability.patrols", "stability.patrol_issues", "stability.mediation_cases"]
    county = demo.indicator_values("南县", "2010", keys=keys, as_of=DEMO_TODAY)
    villages = [demo.indicator_values(v.name, "2010", keys=keys, as_of=DEMO_TODAY) for v in demo.villages("南县")]
    for key in keys:
        assert county[key] == sum(v[key] for v in villages) > 0


def test_demo_passes_every_stability_rule(demo):
    problems = [p for p in demo.check(today=DEMO_TODAY) if (p.rule or "").startswith("stability.")]
    assert not [p for p in problems if p.extra.get("severity") == "error"], [str(p) for p in problems[:5]]
    # every case lists its parties
    assert not [p for p in problems if p.rule == "stability.cases_have_parties"]
