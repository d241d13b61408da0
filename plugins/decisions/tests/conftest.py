"""A small county for the decisions tests: 测试县 with 甲镇 (一村, 二村) and 乙镇 (三社区), on the
``sdk`` fixture's backend, and makers of valid rows."""

from __future__ import annotations

import datetime as dt

import pytest

TODAY = dt.date(2011, 3, 31)


@pytest.fixture
def world(sdk):
    """``{"sdk", "regions": {name: id}, "matter": make(village, **changes) -> id, "steps": write(matter id, village, [...])}``."""
    from shequ_sdk.regions import create_region
    from shequ_plugin_decisions import Matter

    with sdk.transaction() as s:
        county = create_region(session=s, name="测试县", kind="county", code="430999", kind_label="县")
        t1 = create_region(session=s, name="甲镇", kind="township", parent=county, code="430999100000")
        t2 = create_region(session=s, name="乙镇", kind="township", parent=county, code="430999101000")
        v1 = create_region(session=s, name="一村", kind="village", parent=t1, code="430999100200")
        v2 = create_region(session=s, name="二村", kind="village", parent=t1, code="430999100201")
        v3 = create_region(session=s, name="三社区", kind="community", parent=t2, code="430999101001")
        regions = {r.name: r.id for r in (county, t1, t2, v1, v2, v3)}

    def matter(village: str = "一村", **changes) -> int:
        row = {"region_id": regions[village], "title": "村组道路硬化", "category": "public_welfare", "amount_fen": 8_000_000,
               "proposer": "村党支部", "proposed_on": dt.date(2010, 3, 1)}
        row.update(changes)
        from shequ_sdk.records import write

        with sdk.transaction() as s:
            return write(session=s, table=Matter, today=TODAY, return_ids=True, rows=[row]).ids[0]

    return {"sdk": sdk, "regions": regions, "matter": matter}


@pytest.fixture
def step_rows():
    """``step_rows(matter id, region id, upto=…, disclosed_after=…, **resolution numbers)``: see :func:`make_steps`."""
    return make_steps


def make_steps(matter_id: int, region_id: int, *, start: dt.date = dt.date(2010, 3, 1), upto: str = "result_disclosure",
              disclosed_after: int = 3, **resolution) -> list[dict]:
    """The six steps of a matter, valid and in order, from ``start`` (one week apart); ``resolution``
    overrides the resolution meeting's numbers (a 村民代表会议: 30 entitled, 24 present, 20 for)."""
    week = dt.timedelta(days=7)
    rows = [
        {"step": "proposal", "held_on": start, "expected": 5, "present": 5},
        {"step": "consultation", "held_on": start + week, "expected": 9, "present": 7, "votes_for": 7, "votes_against": 0, "result": "passed"},
        {"step": "party_review", "held_on": start + 2 * week, "expected": 30, "present": 24, "votes_for": 20, "votes_against": 2,
         "result": "passed"},
        {"step": "resolution", "held_on": start + 3 * week, "body": "representatives", "expected": 30, "present": 24, "votes_for": 20,
         "votes_against": 3, "result": "passed", **resolution},
        {"step": "resolution_disclosure", "held_on": start + 3 * week + dt.timedelta(days=disclosed_after), "channel": "村务公开栏"},
        {"step": "result_disclosure", "held_on": start + 10 * week, "channel": "村务公开栏"},
    ]
    out = []
    for r in rows:
        out.append({"region_id": region_id, "matter_id": matter_id, **r})
        if r["step"] == upto:
            break
    return out
