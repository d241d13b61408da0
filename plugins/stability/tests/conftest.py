"""A small county for the stability tests: 测试县 with 甲镇 (一村, 二村) and 乙镇 (三社区), on
the ``sdk`` fixture's backend, and a maker of valid mediation-case rows."""

from __future__ import annotations

import datetime as dt

import pytest


@pytest.fixture
def world(sdk):
    """``{"sdk", "regions": {name: id}}``."""
    from shequ_sdk.regions import create_region

    with sdk.transaction() as s:
        county = create_region(session=s, name="测试县", kind="county", code="430999", kind_label="县")
        t1 = create_region(session=s, name="甲镇", kind="township", parent=county, code="430999100000")
        t2 = create_region(session=s, name="乙镇", kind="township", parent=county, code="430999101000")
        v1 = create_region(session=s, name="一村", kind="village", parent=t1, code="430999100200")
        v2 = create_region(session=s, name="二村", kind="village", parent=t1, code="430999100201")
        v3 = create_region(session=s, name="三社区", kind="community", parent=t2, code="430999101001")
        regions = {r.name: r.id for r in (county, t1, t2, v1, v2, v3)}
    return {"sdk": sdk, "regions": regions}


@pytest.fixture
def case_row(world):
    """``case_row(village, serial, **changes)``: a valid settled case registered 2010-03-01."""

    def make(village: str = "一村", serial: int = 1, **changes):
        registered = changes.get("registered_on", dt.date(2010, 3, 1))
        short = village.removesuffix("社区").removesuffix("村")
        row = {
            "region_id": world["regions"][village], "case_no": f"({registered.year}){short}人调字第{serial}号", "registered_on": registered,
            "source": "applied", "dispute_type": "neighbour", "mediator": "王调解", "status": "success",
            "agreement_form": "written", "agreement_on": registered + dt.timedelta(days=10),
            "closed_on": registered + dt.timedelta(days=10), "amount_fen": 120000,
        }
        row.update(changes)
        return row

    return make
