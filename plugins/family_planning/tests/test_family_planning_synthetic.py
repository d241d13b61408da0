"""Synthetic generation on a tiny county: every village gets its association and records, the
rows pass the plugin's rules, and the same seed gives the same data."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlmodel import Session

import shequ_sdk
from shequ_sdk import Association, Region
from shequ_sdk.demo import GenerateOptions

TINY = GenerateOptions(townships=1, villages_per_township=3, households_per_village=20, years=2)


def _rows(sdk, model):
    cols = [c for c in model.__table__.columns]
    with Session(sdk.engine) as s:
        return [tuple(r) for r in s.execute(select(*cols).order_by(model.id))]


def test_tiny_synthetic_county(sdk, tmp_path):
    from shequ_plugin_family_planning import FamilyContact, FamilyService, SpecialFamily

    report = sdk.generate(TINY)
    if sdk.url.startswith("sqlite"):  # the same seed gives the same rows
        again = shequ_sdk.open(str(tmp_path / "again.db"), create=True)
        try:
            again.generate(TINY)
            for model in (SpecialFamily, FamilyContact, FamilyService):
                assert _rows(again, model) == _rows(sdk, model)
        finally:
            again.close()
    with Session(sdk.engine) as s:
        villages = s.execute(select(Region.id).where(Region.kind.in_(("village", "community")))).scalars().all()
        assocs = s.execute(select(Association.region_id, Association.synthetic).where(Association.type_key == "family_planning")).all()
        assert sorted(r for r, _ in assocs) == sorted(villages) and all(syn for _, syn in assocs)
        assert s.execute(select(func.count()).select_from(FamilyService)).scalar_one() >= 3 * 2 * 3
        years = {d.year for d in s.execute(select(FamilyService.service_date)).scalars()}
        assert years == {2019, 2020}
        for model in (SpecialFamily, FamilyContact, FamilyService):
            assert s.execute(select(model.synthetic).distinct()).scalars().all() == [True]
        # weekly phone calls are not simulated in a synthetic county (see populate.py)
        kinds = set(s.execute(select(FamilyContact.kind).distinct()).scalars())
        assert {"home_visit", "meeting"} <= kinds and "phone" not in kinds
    assert "family_planning" in report.plugins
    errors = [p for p in sdk.check(today=dt.date(2021, 3, 31)) if (p.rule or "").startswith("family_planning.")
              and p.extra.get("severity") == "error"]
    assert not errors
    v = sdk.indicator_values("模拟县", "2020", keys=["family_planning"], as_of=dt.date(2021, 3, 31))
    assert v["family_planning.services"] > 0 and v["family_planning.special_families"] > 0
    assert 0 <= v["family_planning.visits_on_schedule_rate"] <= 1
