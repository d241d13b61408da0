"""Synthetic generation on a tiny county: associations, cases with parties and follow-ups and
patrols for every village; rows pass the rules; the same seed gives the same data."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlmodel import Session

import shequ_sdk
from shequ_sdk import Association, Region
from shequ_sdk.demo import GenerateOptions

TINY = GenerateOptions(townships=1, villages_per_township=3, households_per_village=20, years=2)


def _rows(sdk, model):
    with Session(sdk.engine) as s:
        return [tuple(r) for r in s.execute(select(*model.__table__.columns).order_by(model.id))]


def test_tiny_synthetic_county(sdk, tmp_path):
    from shequ_plugin_stability import FollowUpVisit, MediationCase, MediationParty, Patrol

    sdk.generate(TINY)
    if sdk.url.startswith("sqlite"):  # the same seed gives the same rows
        again = shequ_sdk.open(str(tmp_path / "again.db"), create=True)
        try:
            again.generate(TINY)
            for model in (MediationCase, MediationParty, FollowUpVisit, Patrol):
                assert _rows(again, model) == _rows(sdk, model)
        finally:
            again.close()
    with Session(sdk.engine) as s:
        villages = s.execute(select(Region.id).where(Region.kind.in_(("village", "community")))).scalars().all()
        assocs = s.execute(select(Association.region_id).where(Association.type_key == "stability")).scalars().all()
        assert sorted(assocs) == sorted(villages)
        for model in (MediationCase, Patrol):
            assert sorted(s.execute(select(model.region_id).distinct()).scalars().all()) == sorted(villages)
        n_cases = s.execute(select(func.count()).select_from(MediationCase)).scalar_one()
        n_parties = s.execute(select(func.count()).select_from(MediationParty)).scalar_one()
        assert n_parties >= 2 * n_cases > 0
        assert s.execute(select(func.count()).select_from(FollowUpVisit)).scalar_one() > 0
        assert {d.year for d in s.execute(select(Patrol.patrol_date)).scalars()} == {2019, 2020}
    errors = [p for p in sdk.check(today=dt.date(2021, 3, 31)) if (p.rule or "").startswith("stability.") and p.extra.get("severity") == "error"]
    assert not errors
    v = sdk.indicator_values("模拟县", "2020", keys=["stability"], as_of=dt.date(2021, 3, 31))
    assert v["stability.mediation_cases"] > 0 and 0.5 < v["stability.mediation_success_rate"] <= 1.0
