"""A small county for the culture and sports tests: 文体县 with 东镇 (东一村, 东二村) and 西镇
(西社区), four households and one 文体协会 in each village, on the ``sdk`` fixture's backend."""

from __future__ import annotations

import datetime as dt

import pytest

TODAY = dt.date(2011, 3, 31)


@pytest.fixture
def county(sdk):
    """``{"sdk", "regions": {name: id}, "households": {village: [ids]}, "associations": {village: id}}``."""
    from sqlalchemy import select

    from shequ_sdk import Association, Household
    from shequ_sdk.regions import create_region

    with sdk.transaction() as s:
        c = create_region(session=s, name="文体县", kind="county", code="430998", kind_label="县")
        east = create_region(session=s, name="东镇", kind="township", parent=c)
        west = create_region(session=s, name="西镇", kind="township", parent=c)
        made = [c, east, west,
                create_region(session=s, name="东一村", kind="village", parent=east),
                create_region(session=s, name="东二村", kind="village", parent=east),
                create_region(session=s, name="西社区", kind="community", parent=west)]
        regions = {r.name: r.id for r in made}
    villages = ("东一村", "东二村", "西社区")
    sdk.write("household", [{"region_id": regions[v], "number": f"{i:04d}", "head_name": f"{v[0]}户主{i}"} for v in villages for i in range(1, 5)])
    sdk.write("association", [{"region_id": regions[v], "type_key": "culture_sports", "name": f"{v}文体协会", "founded": dt.date(2006, 5, 1)}
                              for v in villages])
    with sdk.transaction() as s:
        households: dict[str, list[int]] = {}
        for hid, rid in s.execute(select(Household.id, Household.region_id).order_by(Household.id)):
            households.setdefault(next(k for k, v in regions.items() if v == rid), []).append(hid)
        associations = {next(k for k, v in regions.items() if v == rid): aid
                        for aid, rid in s.execute(select(Association.id, Association.region_id))}
    return {"sdk": sdk, "regions": regions, "households": households, "associations": associations}


@pytest.fixture
def library(county):
    """``library(village, **changes)``: write one valid library and return its id."""
    from sqlalchemy import select

    from shequ_plugin_culture_sports.models import Library

    def make(village: str, **changes) -> int:
        row = {"region_id": county["regions"][village], "association_id": county["associations"][village], "name": f"{village}农家书屋",
               "kind": "farmhouse", "books": 2000, "titles": 900, "periodicals": 32, "av_items": 120, "hours_per_week": 20.0,
               "area_m2": 40.0, "established": dt.date(2008, 5, 1)}
        row.update(changes)
        county["sdk"].write(Library, [row], today=TODAY)
        with county["sdk"].transaction() as s:
            return s.execute(select(Library.id).where(Library.region_id == row["region_id"], Library.name == row["name"])).scalar_one()

    return make
