"""Synthetic generation on a tiny county: about one run per village per day, valid, deterministic."""

import datetime as dt

from sqlalchemy import func, select

import shequ_sdk
from shequ_sdk import Association, Household, Region
from shequ_sdk.demo import GenerateOptions
from shequ_plugin_sanitation.models import BinIssue, CollectionRun

TINY = GenerateOptions(townships=1, villages_per_township=3, households_per_village=20, years=2)


def test_tiny_county(sdk):
    sdk.generate(TINY)
    today = dt.date(TINY.last_year + 1, 3, 31)
    with sdk.transaction() as s:
        villages = s.execute(select(Region.id).where(Region.kind.in_(("village", "community")))).scalars().all()
        assoc = s.execute(select(Association.region_id).where(Association.type_key == "sanitation")).scalars().all()
        runs = s.execute(select(func.count(), func.min(CollectionRun.run_date), func.max(CollectionRun.run_date))
                         .select_from(CollectionRun)).one()
        real = s.execute(select(func.count()).select_from(CollectionRun).where(CollectionRun.synthetic.is_(False))).scalar_one()
        served_ok = s.execute(
            select(func.count()).select_from(CollectionRun)
            .where(CollectionRun.households_served > select(func.count()).where(Household.region_id == CollectionRun.region_id)
                   .scalar_subquery())).scalar_one()
        bins = s.execute(select(func.count(func.distinct(BinIssue.household_id)))).scalar_one()
        households = s.execute(select(func.count()).select_from(Household)).scalar_one()
    assert sorted(assoc) == sorted(villages)
    n, first, last = runs
    days = (today - dt.date(TINY.last_year - TINY.years + 1, 1, 1)).days + 1
    assert 0.5 * len(villages) * days < n < 2.5 * len(villages) * days
    assert first >= dt.date(TINY.last_year - TINY.years + 1, 1, 1) and last <= today
    assert real == 0
    assert served_ok == 0
    assert 0.5 * households < bins <= households
    assert [p for p in sdk.check() if (p.rule or "").startswith("sanitation.")] == []
    v = sdk.indicator_values("模拟县", str(TINY.last_year), keys=["sanitation"])
    assert 0.3 < v["sanitation.collection_rate"] <= 1
    assert 0.5 < v["sanitation.bin_coverage"] <= 1


def test_generation_is_deterministic(tmp_path):
    dumps = []
    for name in ("a.db", "b.db"):
        s = shequ_sdk.open(str(tmp_path / name), create=True)
        s.generate(TINY)
        with s.transaction() as ses:
            dumps.append([ses.execute(select(*m.__table__.columns).order_by(m.id)).all() for m in (BinIssue, CollectionRun)])
        s.close()
    assert dumps[0] == dumps[1] and all(dumps[0])
