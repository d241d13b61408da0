"""The demo reproduces the seed: 新尚村社区's elderly association raised 248,000 yuan and built a
五保之家, in which all 10 five-guarantee households live."""

import datetime as dt
import json
from decimal import Decimal

from sqlalchemy import func, select

from shequ_sdk import Association, Region
from shequ_plugin_elderly.models import FiveGuaranteeHome, HomeFund, SupportedResident

END_2010 = dt.date(2010, 12, 31)


def test_seed_figures(demo):
    v = demo.indicator_values("新尚村社区", "2010")
    assert v["elderly.five_guarantee_homes"] == 1
    assert v["elderly.five_guarantee_residents"] == 10
    assert v["elderly.five_guarantee_funds_yuan"] == Decimal("248000.00")
    with demo.transaction() as s:
        home = s.execute(select(FiveGuaranteeHome).join(Region, Region.id == FiveGuaranteeHome.region_id)
                         .where(Region.name == "新尚村社区")).scalar_one()
    assert v["elderly.occupancy_rate"] == 10 / home.capacity
    assert home.kind == "wubao_home"


def test_seed_in_cli(demo, cli):
    code, out, err = cli("indicators", "--db", demo.url, "--region", "新尚村社区", "--period", "2010", "--json")
    assert code == 0, err
    values = json.loads(out)
    assert values["elderly.five_guarantee_homes"] == 1
    assert values["elderly.five_guarantee_residents"] == 10
    assert values["elderly.five_guarantee_funds_yuan"] == "248000.00"


def test_seed_rows_are_not_synthetic(demo):
    with demo.transaction() as s:
        seed = s.execute(select(Region).where(Region.name == "新尚村社区")).scalar_one()
        home = s.execute(select(FiveGuaranteeHome).where(FiveGuaranteeHome.region_id == seed.id)).scalar_one()
        funds = s.execute(select(HomeFund).where(HomeFund.home_id == home.id)).scalars().all()
        living = s.execute(select(SupportedResident).where(SupportedResident.home_id == home.id)).scalars().all()
    assert not home.synthetic
    assert sum(f.amount_fen for f in funds) == 24_800_000 and not any(f.synthetic for f in funds)
    assert len(living) == 10 and not any(r.synthetic for r in living)
    assert all(r.support_form == "concentrated" and r.discharged is None and r.admitted >= home.built for r in living)
    assert len({r.id_number for r in living}) == 10


def test_history_before_the_home(demo):
    # the home opened in 2010: at the end of 2009 the ten were supported at home, and money was still being raised
    v = demo.indicator_values("新尚村社区", "2009")
    assert v["elderly.five_guarantee_homes"] == 0
    assert v["elderly.five_guarantee_residents"] == 10
    assert v["elderly.occupancy_rate"] is None
    assert v["elderly.five_guarantee_funds_yuan"] == Decimal("0.00")


def test_one_elderly_association_per_village(demo):
    with demo.transaction() as s:
        villages = s.execute(select(Region.id).where(Region.kind.in_(("village", "community")))).scalars().all()
        counts = dict(s.execute(select(Association.region_id, func.count()).where(Association.type_key == "elderly")
                                .group_by(Association.region_id)).all())
    assert villages and all(counts.get(v) == 1 for v in villages)
    assert set(counts) == set(villages)


def test_demo_rolls_up(demo):
    keys = ["elderly"]
    county = demo.indicator_values("南县", "2010", keys=keys)
    towns = [demo.indicator_values(t, "2010", keys=keys) for t in ("南洲镇", "茅草街镇")]
    for key in ("elderly.five_guarantee_homes", "elderly.five_guarantee_residents", "elderly.five_guarantee_funds_yuan"):
        assert county[key] == sum(t[key] for t in towns)
    # occupancy is recomputed from beds, never averaged
    with demo.transaction() as s:
        nan = s.execute(select(Region).where(Region.name == "南县")).scalar_one()
        beds = s.execute(select(func.sum(FiveGuaranteeHome.capacity)).join(Region, Region.id == FiveGuaranteeHome.region_id)
                         .where(Region.county_id == nan.id)).scalar_one()
        living = s.execute(select(func.count()).select_from(SupportedResident).join(FiveGuaranteeHome, FiveGuaranteeHome.id == SupportedResident.home_id)
                           .join(Region, Region.id == FiveGuaranteeHome.region_id)
                           .where(Region.county_id == nan.id, SupportedResident.admitted <= END_2010,
                                  (SupportedResident.discharged.is_(None)) | (SupportedResident.discharged > END_2010))).scalar_one()
    assert county["elderly.occupancy_rate"] == living / beds


def test_demo_passes_its_own_rules(demo):
    problems = [p for p in demo.check() if (p.rule or "").startswith("elderly.")]
    assert problems == []
