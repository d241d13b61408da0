"""A small county for the family planning tests: 测试县 with 甲镇 (一村, 二村) and 乙镇 (三社区),
five households in each village, on the ``sdk`` fixture's backend."""

from __future__ import annotations

import datetime as dt

import pytest

from shequ_sdk.ids import make_id_number

TODAY = dt.date(2011, 3, 31)


@pytest.fixture
def world(sdk):
    """``{"sdk", "regions": {name: id}, "households": {village: [ids]}, "heads": {household id: (name, id no.)}}``."""
    from sqlalchemy import select

    from shequ_sdk import Household
    from shequ_sdk.regions import create_region

    with sdk.transaction() as s:
        county = create_region(session=s, name="测试县", kind="county", code="430999", kind_label="县")
        t1 = create_region(session=s, name="甲镇", kind="township", parent=county, code="430999100000")
        t2 = create_region(session=s, name="乙镇", kind="township", parent=county, code="430999101000")
        v1 = create_region(session=s, name="一村", kind="village", parent=t1, code="430999100200")
        v2 = create_region(session=s, name="二村", kind="village", parent=t1, code="430999100201")
        v3 = create_region(session=s, name="三社区", kind="community", parent=t2, code="430999101001")
        regions = {r.name: r.id for r in (county, t1, t2, v1, v2, v3)}
    rows = []
    for n, village in enumerate(("一村", "二村", "三社区")):
        for i in range(5):
            born = dt.date(1950 + i, 3 + n, 10 + i)
            rows.append({"region_id": regions[village], "number": f"{i + 1:04d}", "head_name": f"{'赵钱孙'[n]}{'一二三四五'[i]}强",
                         "head_id_number": make_id_number("430999", born, 11 + 2 * i + 100 * n), "phone": f"1390000{n}{i:03d}"})
    sdk.write("household", rows)
    with sdk.transaction() as s:
        households: dict[str, list[int]] = {}
        heads = {}
        for hid, rid, name, idno in s.execute(select(Household.id, Household.region_id, Household.head_name, Household.head_id_number).order_by(Household.id)):
            village = next(k for k, v in regions.items() if v == rid)
            households.setdefault(village, []).append(hid)
            heads[hid] = (name, idno)
    return {"sdk": sdk, "regions": regions, "households": households, "heads": heads}


@pytest.fixture
def family_row(world):
    """``family_row(village, index, **changes)``: a valid special-family row for a household."""

    def make(village: str, index: int = 0, **changes):
        hid = world["households"][village][index]
        name, idno = world["heads"][hid]
        row = {
            "region_id": world["regions"][village], "household_id": hid, "family_type": "child_died",
            "head_name": name, "head_id_number": idno, "head_phone": "13900001111", "registered_on": dt.date(2009, 1, 1),
            "township_contact_name": "乡干部甲", "township_contact_phone": "13700001111",
            "village_contact_name": "村干部乙", "village_contact_phone": "13800002222",
        }
        row.update(changes)
        return row

    return make
