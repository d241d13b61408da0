"""A small county for the civility tests: 文明县 with 甲乡 (甲一村, 甲二村) and 乙镇 (乙社区),
six households in each village, on the ``sdk`` fixture's backend."""

from __future__ import annotations

import datetime as dt

import pytest

TODAY = dt.date(2011, 3, 31)
LIULIN = ("爱国星", "法纪星", "资源星", "安全星", "和谐星", "致富星", "新风星", "诚信星", "奉献星", "卫生星")


@pytest.fixture
def county(sdk):
    """``{"sdk", "regions": {name: id}, "households": {village: [ids]}}``."""
    from sqlalchemy import select

    from shequ_sdk import Household
    from shequ_sdk.regions import create_region

    with sdk.transaction() as s:
        c = create_region(session=s, name="文明县", kind="county", code="430997", kind_label="县")
        a = create_region(session=s, name="甲乡", kind="township", parent=c)
        b = create_region(session=s, name="乙镇", kind="township", parent=c)
        made = [c, a, b,
                create_region(session=s, name="甲一村", kind="village", parent=a),
                create_region(session=s, name="甲二村", kind="village", parent=a),
                create_region(session=s, name="乙社区", kind="community", parent=b)]
        regions = {r.name: r.id for r in made}
    villages = ("甲一村", "甲二村", "乙社区")
    sdk.write("household", [{"region_id": regions[v], "number": f"{i:04d}", "head_name": f"{v[0]}户主{i}"} for v in villages for i in range(1, 7)])
    with sdk.transaction() as s:
        households: dict[str, list[int]] = {}
        for hid, rid in s.execute(select(Household.id, Household.region_id).order_by(Household.id)):
            households.setdefault(next(k for k, v in regions.items() if v == rid), []).append(hid)
    return {"sdk": sdk, "regions": regions, "households": households}


@pytest.fixture
def rating(county):
    """``rating(village, index, count, **changes)``: a valid rating row (stars: the first ``count`` of the 柳林乡 list)."""

    def make(village: str, index: int = 0, count: int = 10, **changes) -> dict:
        row = {"region_id": county["regions"][village], "household_id": county["households"][village][index], "year": 2010,
               "star_count": count, "stars": "、".join(LIULIN[:count]), "rated_on": dt.date(2010, 12, 10),
               "notice_from": dt.date(2010, 12, 12), "notice_to": dt.date(2010, 12, 18), "plaque_on": dt.date(2011, 1, 8)}
        row.update(changes)
        return row

    return make
