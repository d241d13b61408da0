"""The demo: one 计划生育协会 in every demo village and community, plausible synthetic records
for 2009–2010, indicators that match an independent computation of their definitions."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from sqlalchemy import select
from sqlmodel import Session

from shequ_sdk import Association, Period, Region
from shequ_sdk.demo import DEMO_TODAY
from shequ_sdk.ids import mask

FACE = ("meeting", "home_visit", "festival")


def _villages(s):
    return s.execute(select(Region).where(Region.kind.in_(("village", "community"))).order_by(Region.id)).scalars().all()


def test_one_association_per_demo_village(demo):
    with Session(demo.engine) as s:
        villages = _villages(s)
        assert len(villages) == 10
        assocs = s.execute(select(Association).where(Association.type_key == "family_planning")).scalars().all()
        by_region = defaultdict(list)
        for a in assocs:
            by_region[a.region_id].append(a)
        assert sorted(by_region) == sorted(v.id for v in villages)
        assert all(len(v) == 1 for v in by_region.values())
        xinshang = next(v for v in villages if v.name == "新尚村社区")
        seed = by_region[xinshang.id][0]
        assert seed.name == "新尚村社区计划生育协会" and seed.synthetic is False
        assert all(a.synthetic for a in assocs if a.region_id != xinshang.id)


def test_demo_records_are_synthetic_and_cover_both_years(demo):
    from shequ_plugin_family_planning import FamilyContact, FamilyService, SpecialFamily

    with Session(demo.engine) as s:
        for model in (SpecialFamily, FamilyContact, FamilyService):
            assert s.execute(select(model.synthetic).distinct()).scalars().all() == [True]
        for village in _villages(s):
            families = s.execute(select(SpecialFamily).where(SpecialFamily.region_id == village.id)).scalars().all()
            assert families, village.name
            for year in (2009, 2010):
                days = s.execute(select(FamilyContact.contact_date).where(FamilyContact.region_id == village.id)).scalars().all()
                assert any(d.year == year for d in days)
                services = s.execute(select(FamilyService.service_date).where(FamilyService.region_id == village.id)).scalars().all()
                assert any(d.year == year for d in services)
    v = demo.indicator_values("新尚村社区", "2010", keys=["family_planning"], as_of=DEMO_TODAY)
    assert v["family_planning.special_families"] >= 1
    assert v["family_planning.services"] >= 3
    for key in ("visits_on_schedule_rate", "face_to_face_on_schedule_rate", "contacts_on_schedule_rate"):
        assert 0.0 <= v[f"family_planning.{key}"] <= 1.0


def _expected(s, region_ids, period: Period, as_of: dt.date):
    """The schedule rates computed from the rows in Python, straight from their definitions."""
    from shequ_plugin_family_planning import FamilyContact, SpecialFamily

    months = [m for m in period.subperiods("month") if m.end <= as_of]
    counts = defaultdict(lambda: defaultdict(int))
    for fid, kind, day in s.execute(select(FamilyContact.family_id, FamilyContact.kind, FamilyContact.contact_date)):
        if period.start <= day <= min(period.end, as_of):
            counts[fid][kind] += 1
    out = {}
    for name, kinds, per_year in (("visits_on_schedule_rate", ("home_visit",), 4), ("face_to_face_on_schedule_rate", FACE, 12),
                                  ("contacts_on_schedule_rate", ("phone", *FACE), 52)):
        num = den = 0
        for f in s.execute(select(SpecialFamily).where(SpecialFamily.region_id.in_(region_ids))).scalars():
            m = sum(1 for mo in months if f.registered_on <= mo.start and (f.left_on is None or f.left_on > mo.end))
            due = per_year * m // 12
            if due >= 1:
                den += 1
                num += sum(counts[f.id][k] for k in kinds) >= due
        out[f"family_planning.{name}"] = num / den if den else None
    return out


@pytest.mark.parametrize("period", ["2010", "2009", "2010Q2", "2009Q4"])
def test_schedule_rates_match_their_definition_at_every_level(demo, period):
    p = Period.parse(period)
    with Session(demo.engine) as s:
        villages = _villages(s)
        areas = {v.name: [v.id] for v in villages}
        for township in ("南洲镇", "茅草街镇"):
            tid = s.execute(select(Region.id).where(Region.name == township)).scalar_one()
            areas[township] = [v.id for v in villages if v.township_id == tid]
        areas["南县"] = [v.id for v in villages]
        expected = {name: _expected(s, ids, p, DEMO_TODAY) for name, ids in areas.items()}
    for name, want in expected.items():
        got = demo.indicator_values(name, period, keys=list(want), as_of=DEMO_TODAY)
        for key, value in want.items():
            assert got[key] == pytest.approx(value), (name, key)
    # the county rate is not the mean of the township rates
    key = "family_planning.visits_on_schedule_rate"
    assert expected["南县"][key] == pytest.approx(
        demo.indicator_values("南县", period, keys=[key], as_of=DEMO_TODAY)[key])


def test_counts_roll_up_from_villages(demo):
    keys = ["family_planning.special_families", "family_planning.services", "family_planning.home_visits", "family_planning.service_attendees"]
    county = demo.indicator_values("南县", "2010", keys=keys, as_of=DEMO_TODAY)
    towns = [demo.indicator_values(t, "2010", keys=keys, as_of=DEMO_TODAY) for t in ("南洲镇", "茅草街镇")]
    villages = [demo.indicator_values(v.name, "2010", keys=keys, as_of=DEMO_TODAY) for v in demo.villages()]
    for key in keys:
        assert county[key] == sum(t[key] for t in towns) == sum(v[key] for v in villages) > 0


def test_demo_passes_every_family_planning_rule(demo):
    problems = [p for p in demo.check(today=DEMO_TODAY) if (p.rule or "").startswith("family_planning.")]
    assert not [p for p in problems if p.extra.get("severity") == "error"], [str(p) for p in problems[:5]]


def test_demo_roster_is_masked(demo):
    from shequ_plugin_family_planning import SpecialFamily, special_family_roster

    with Session(demo.engine) as s:
        roster = special_family_roster(s, "新尚村社区", DEMO_TODAY)
        stored = s.execute(select(SpecialFamily).join(Region, Region.id == SpecialFamily.region_id)
                           .where(Region.name == "新尚村社区", SpecialFamily.left_on.is_(None))).scalars().all()
    assert len(roster) == len(stored) >= 1
    names = {mask(f.head_name, "name") for f in stored}
    assert {r["head_name"] for r in roster} == names
    assert not {f.head_name for f in stored} & {r["head_name"] for r in roster}
    assert all(r["head_id_number"].count("*") == 8 for r in roster)
