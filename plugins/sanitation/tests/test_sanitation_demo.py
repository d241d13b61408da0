"""The demo reproduces the seed: in 新尚村社区 every household's bin is placed centrally and the
sanitation association's truck collects once a day."""

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from shequ_sdk import Association, Household, Region
from shequ_plugin_sanitation.models import BinIssue, CollectionRun


def _seed(s):
    return s.execute(select(Region).where(Region.name == "新尚村社区")).scalar_one()


def test_seed_figures(demo):
    v = demo.indicator_values("新尚村社区", "2010")
    assert v["sanitation.bin_coverage"] == 1.0
    assert v["sanitation.collection_rate"] == 1.0
    assert v["sanitation.collections"] == 365


def test_seed_in_cli(demo, cli):
    code, out, err = cli("indicators", "--db", demo.url, "--region", "新尚村社区", "--period", "2010", "--json")
    assert code == 0, err
    values = json.loads(out)
    assert values["sanitation.bin_coverage"] == 1.0 and values["sanitation.collection_rate"] == 1.0


def test_every_household_has_a_central_bin(demo):
    with demo.transaction() as s:
        seed = _seed(s)
        households = s.execute(select(Household.id).where(Household.region_id == seed.id)).scalars().all()
        bins = s.execute(select(BinIssue).where(BinIssue.region_id == seed.id)).scalars().all()
    assert sorted(b.household_id for b in bins) == sorted(households)
    assert all(b.placement == "central" and not b.synthetic for b in bins)


def test_one_run_every_day_of_2010(demo):
    with demo.transaction() as s:
        seed = _seed(s)
        runs = s.execute(select(CollectionRun).where(CollectionRun.region_id == seed.id, CollectionRun.run_date >= dt.date(2010, 1, 1),
                                                     CollectionRun.run_date <= dt.date(2010, 12, 31))).scalars().all()
    assert sorted(r.run_date for r in runs) == [dt.date(2010, 1, 1) + dt.timedelta(days=i) for i in range(365)]
    assert len({r.vehicle for r in runs}) == 1
    assert not any(r.synthetic for r in runs)


def test_one_sanitation_association_per_village(demo):
    with demo.transaction() as s:
        villages = s.execute(select(Region.id).where(Region.kind.in_(("village", "community")))).scalars().all()
        counts = dict(s.execute(select(Association.region_id, func.count()).where(Association.type_key == "sanitation")
                                .group_by(Association.region_id)).all())
    assert set(counts) == set(villages) and set(counts.values()) == {1}


def test_demo_rolls_up(demo):
    keys = ["sanitation"]
    county = demo.indicator_values("南县", "2010", keys=keys)
    towns = [demo.indicator_values(t, "2010", keys=keys) for t in ("南洲镇", "茅草街镇")]
    assert county["sanitation.collections"] == sum(t["sanitation.collections"] for t in towns)
    villages = demo.villages("南县")
    per_village = [demo.indicator_values(v, "2010", keys=keys) for v in villages]
    assert all(0 < v["sanitation.collection_rate"] <= 1 for v in per_village)
    # the county rate is recomputed from days, so it lies within the villages' range but is not their mean
    rates = [v["sanitation.collection_rate"] for v in per_village]
    assert min(rates) <= county["sanitation.collection_rate"] <= max(rates)
    assert 0 < county["sanitation.bin_coverage"] <= 1


def test_demo_passes_its_own_rules(demo):
    assert [p for p in demo.check() if (p.rule or "").startswith("sanitation.")] == []


@pytest.mark.parametrize("period", ["2010Q3", "2010-02"])
def test_seed_rate_holds_in_every_period(demo, period):
    assert demo.indicator_values("新尚村社区", period)["sanitation.collection_rate"] == 1.0
