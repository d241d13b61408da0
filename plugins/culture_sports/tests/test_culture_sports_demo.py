"""The demo reproduces the seed: 新尚村社区's culture and sports association built 2 libraries
holding 40,000+ books (图书室2个、藏书40000余册), and each demo village has one 文体协会."""

import json

from sqlalchemy import func, select

from shequ_sdk import Association, Region
from shequ_plugin_culture_sports.models import Activity, Library, LibraryStock


def test_seed_figures_in_cli(demo, cli):
    code, out, err = cli("indicators", "--db", demo.url, "--region", "新尚村社区", "--period", "2010", "--json")
    assert code == 0, err
    values = json.loads(out)
    assert values["culture.libraries"] == 2
    assert values["culture.library_books"] >= 40_000
    assert values["culture.activities"] > 0 and values["culture.participants"] > 0


def test_seed_rows(demo):
    with demo.transaction() as s:
        seed = s.execute(select(Region).where(Region.name == "新尚村社区")).scalar_one()
        libraries = s.execute(select(Library).where(Library.region_id == seed.id)).scalars().all()
        association = s.execute(select(Association).where(Association.region_id == seed.id, Association.type_key == "culture_sports")).scalar_one()
        stocks = s.execute(select(LibraryStock).where(LibraryStock.region_id == seed.id)).scalars().all()
    assert len(libraries) == 2 and sum(lib.books for lib in libraries) >= 40_000
    assert not any(lib.synthetic for lib in libraries) and not association.synthetic
    assert all(lib.association_id == association.id for lib in libraries)
    year_end = [st for st in stocks if st.stock_date.year == 2010]
    assert sum(st.books for st in year_end) == sum(lib.books for lib in libraries) and not any(st.synthetic for st in year_end)
    assert len(year_end) == 2 and all(st.synthetic for st in stocks if st.stock_date.year != 2010)


def test_one_culture_association_per_demo_village(demo):
    with demo.transaction() as s:
        villages = s.execute(select(Region.id).where(Region.kind.in_(("village", "community")))).scalars().all()
        per_village = dict(s.execute(select(Association.region_id, func.count()).where(Association.type_key == "culture_sports")
                                     .group_by(Association.region_id)).all())
        seed_activities = s.execute(select(func.count()).select_from(Activity).where(Activity.synthetic.is_(False))).scalar_one()
    assert len(villages) == 10 and all(per_village.get(v) == 1 for v in villages) and len(per_village) == 10
    assert seed_activities == 0  # activities are generated, not seed facts


def test_demo_rolls_up(demo):
    county = demo.indicator_values("南县", "2010", keys=["culture"])
    towns = [demo.indicator_values(t, "2010", keys=["culture"]) for t in ("南洲镇", "茅草街镇")]
    for key, value in county.items():
        assert value == sum(t[key] for t in towns), key
    assert county["culture.libraries"] >= 10


def test_demo_has_no_culture_errors(demo):
    errors = [p for p in demo.check() if (p.rule or "").startswith("culture_sports.") and p.extra.get("severity") == "error"]
    assert errors == []
