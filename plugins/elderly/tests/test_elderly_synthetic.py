"""Synthetic generation on a tiny county: plausible, valid, deterministic, and it rolls up."""

from sqlalchemy import func, select

import shequ_sdk
from shequ_sdk import Association, Region
from shequ_sdk.demo import GenerateOptions
from shequ_plugin_elderly.models import ElderlyActivity, FiveGuaranteeHome, HomeFund, SupportedResident

TINY = GenerateOptions(townships=2, villages_per_township=3, households_per_village=300, years=3)


def _rows(s, model):
    cols = [c for c in model.__table__.columns]
    return s.execute(select(*cols).order_by(model.id)).all()


def test_tiny_county(sdk):
    sdk.generate(TINY)
    with sdk.transaction() as s:
        villages = s.execute(select(Region.id).where(Region.kind.in_(("village", "community")))).scalars().all()
        assoc = s.execute(select(Association.region_id).where(Association.type_key == "elderly")).scalars().all()
        homes = s.execute(select(FiveGuaranteeHome)).scalars().all()
        residents = s.execute(select(SupportedResident)).scalars().all()
        funds = s.execute(select(HomeFund)).scalars().all()
        activities = s.execute(select(func.count()).select_from(ElderlyActivity)).scalar_one()
    assert sorted(assoc) == sorted(villages)
    assert sum(h.kind == "nursing_home" for h in homes) == TINY.townships
    assert residents and activities > len(villages) * TINY.years * 3
    assert {f.home_id for f in funds} == {h.id for h in homes}
    assert all(r.synthetic for r in residents) and all(h.synthetic for h in homes)
    assert [p for p in sdk.check() if (p.rule or "").startswith("elderly.")] == []
    county = sdk.indicator_values("模拟县", "2020", keys=["elderly"])
    with sdk.transaction() as s:
        townships = s.execute(select(Region.name).where(Region.kind == "township")).scalars().all()
    towns = [sdk.indicator_values(t, "2020", keys=["elderly"]) for t in townships]
    assert len(towns) == TINY.townships
    assert county["elderly.five_guarantee_homes"] == sum(t["elderly.five_guarantee_homes"] for t in towns)
    assert county["elderly.five_guarantee_residents"] == sum(t["elderly.five_guarantee_residents"] for t in towns)
    assert county["elderly.five_guarantee_funds_yuan"] == sum(t["elderly.five_guarantee_funds_yuan"] for t in towns)
    assert 0 < county["elderly.occupancy_rate"] <= 1


def test_generation_is_deterministic(tmp_path):
    dumps = []
    for name in ("a.db", "b.db"):
        s = shequ_sdk.open(str(tmp_path / name), create=True)
        s.generate(GenerateOptions(townships=1, villages_per_township=3, households_per_village=200, years=2))
        with s.transaction() as ses:
            dumps.append([_rows(ses, m) for m in (FiveGuaranteeHome, HomeFund, SupportedResident, ElderlyActivity)])
        s.close()
    assert dumps[0] == dumps[1]
    assert all(dumps[0])


def test_one_year_county(sdk):
    # the shortest county: every date still falls on or before "today"
    sdk.generate(GenerateOptions(townships=1, villages_per_township=2, households_per_village=100, years=1))
    assert [p for p in sdk.check() if (p.rule or "").startswith(("elderly.", "core."))] == []
