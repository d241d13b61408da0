"""The demo reproduces the seed: 南洲村 had 120 ten-star households, 180 nine-star households
and 22 好媳妇 in 2010."""

import json

from sqlalchemy import func, select

from shequ_sdk import Association, Region
from shequ_plugin_civility.models import HouseholdAward, StarRating


def test_seed_figures_in_cli(demo, cli):
    code, out, err = cli("indicators", "--db", demo.url, "--region", "南洲村", "--period", "2010", "--json")
    assert code == 0, err
    values = json.loads(out)
    assert values["civility.households_10_star"] == 120
    assert values["civility.households_9_star"] == 180
    assert values["civility.good_daughter_in_law"] == 22
    assert 300 < values["civility.rated_households"] <= 420


def test_seed_rows_are_the_facts(demo):
    with demo.transaction() as s:
        village = s.execute(select(Region).where(Region.name == "南洲村")).scalar_one()
        facts = s.execute(select(StarRating.star_count, func.count()).where(StarRating.region_id == village.id, StarRating.synthetic.is_(False))
                          .group_by(StarRating.star_count)).all()
        awards = s.execute(select(HouseholdAward.award, HouseholdAward.year).where(HouseholdAward.region_id == village.id,
                                                                                   HouseholdAward.synthetic.is_(False))).all()
        elsewhere = s.execute(select(func.count()).select_from(StarRating).where(StarRating.region_id != village.id,
                                                                                 StarRating.synthetic.is_(False))).scalar_one()
        civility_associations = s.execute(select(func.count()).select_from(Association).where(Association.type_key == "civility")).scalar_one()
    assert dict(facts) == {10: 120, 9: 180}
    assert awards == [("good_daughter_in_law", 2010)] * 22
    assert elsewhere == 0 and civility_associations == 0


def test_demo_townships_and_other_villages(demo):
    county = demo.indicator_values("南县", "2010", keys=["civility"])
    towns = [demo.indicator_values(t, "2010", keys=["civility"]) for t in ("南洲镇", "茅草街镇")]
    for key in ("civility.households_10_star", "civility.households_9_star", "civility.rated_households", "civility.good_daughter_in_law"):
        assert county[key] == sum(t[key] for t in towns), key
    assert towns[1]["civility.rated_households"] > 0  # 茅草街镇 rates too, on the 魏岗镇 list
    assert demo.indicator_values("南洲村", "2009", keys=["civility"])["civility.rated_households"] > 0


def test_demo_has_no_civility_errors(demo):
    problems = [p for p in demo.check() if (p.rule or "").startswith("civility.")]
    assert [p for p in problems if p.extra.get("severity") == "error"] == []
