"""A small county for the commitments tests: 测试县 with 甲镇 (一村, 二村) and 乙镇 (三社区), on the
``sdk`` fixture's backend, and makers of valid rows."""

from __future__ import annotations

import datetime as dt

import pytest

TODAY = dt.date(2011, 3, 31)


@pytest.fixture
def world(sdk):
    """``{"sdk", "regions": {name: id}, "members": {name: id}}``: two Party members in 一村 (one a
    cadre), one cadre in 二村."""
    from shequ_sdk.records import write
    from shequ_sdk.regions import create_region
    from shequ_plugin_commitments import CommitmentMember

    with sdk.transaction() as s:
        county = create_region(session=s, name="测试县", kind="county", code="430999", kind_label="县")
        t1 = create_region(session=s, name="甲镇", kind="township", parent=county, code="430999100000")
        t2 = create_region(session=s, name="乙镇", kind="township", parent=county, code="430999101000")
        v1 = create_region(session=s, name="一村", kind="village", parent=t1, code="430999100200")
        v2 = create_region(session=s, name="二村", kind="village", parent=t1, code="430999100201")
        v3 = create_region(session=s, name="三社区", kind="community", parent=t2, code="430999101001")
        regions = {r.name: r.id for r in (county, t1, t2, v1, v2, v3)}
    with sdk.transaction() as s:
        ids = write(session=s, table=CommitmentMember, today=TODAY, return_ids=True, rows=[
            {"region_id": regions["一村"], "name": "李书记", "is_party_member": True, "is_cadre": True, "post": "党支部书记"},
            {"region_id": regions["一村"], "name": "王党员", "is_party_member": True, "post": "党员中心户"},
            {"region_id": regions["二村"], "name": "赵主任", "is_party_member": True, "is_cadre": True, "post": "村委会主任"},
        ]).ids
    return {"sdk": sdk, "regions": regions, "members": dict(zip(("李书记", "王党员", "赵主任"), ids))}


@pytest.fixture
def commitment(world):
    """``commitment(member, **changes)``: a valid quantified 2010 commitment, kept."""

    def make(member: str = "王党员", **changes):
        village = "二村" if member == "赵主任" else "一村"
        row = {"region_id": world["regions"][village], "member_id": world["members"][member], "year": 2010,
               "content": "结对帮扶困难户", "concern": "困难群众生活", "target_kind": "quantity", "target_number": 3, "target_unit": "户",
               "achieved_number": 3, "due_date": dt.date(2010, 12, 31), "posted_at": "党员承诺公开栏", "posted_on": dt.date(2010, 3, 1),
               "status": "kept", "closed_on": dt.date(2011, 1, 10)}
        row.update(changes)
        return row

    return make


@pytest.fixture
def review(world):
    """``review(member, **changes)``: a 2010 first-half review, 80/80/80 → 合格."""

    def make(member: str = "王党员", **changes):
        village = "二村" if member == "赵主任" else "一村"
        row = {"region_id": world["regions"][village], "member_id": world["members"][member], "year": 2010, "half": 1,
               "leader_score": 80, "peer_raters": 8, "peer_score": 80, "resident_raters": 25, "resident_score": 80, "grade": "qualified",
               "reviewed_on": dt.date(2010, 7, 10)}
        row.update(changes)
        return row

    return make
