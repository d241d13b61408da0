"""Indicators roll up as Σ numerator ÷ Σ denominator, on SQLite and PostgreSQL; the demo's
township and county kept rates equal Σ kept ÷ Σ due counted from the raw table; the CLI
lists the plugin and prints its indicators."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, select
from sqlmodel import Session

from shequ_sdk import Region
from shequ_sdk.demo import DEMO_TODAY
from shequ_plugin_commitments import Commitment, CommitmentMember, CommitmentReview

TODAY = dt.date(2011, 3, 31)


def test_kept_rate_is_recomputed_for_the_township(world, commitment):
    sdk = world["sdk"]
    sdk.write(Commitment, [
        commitment(),  # 一村: 1 due, 1 kept
        commitment("赵主任", content="a"), commitment("赵主任", content="b", status="partly", achieved_number=1),
        commitment("赵主任", content="c", status="unkept", achieved_number=0), commitment("赵主任", content="d", status="ongoing",
                                                                                      closed_on=None, achieved_number=None),
        commitment("赵主任", content="e", status="withdrawn", withdrawal_reason="调任", achieved_number=None),  # not due
        commitment("赵主任", content="f", status="ongoing", closed_on=None, achieved_number=None, due_date=dt.date(2011, 6, 30)),
    ], today=TODAY)
    keys = ["commitments"]
    one = sdk.indicator_values("一村", "2010", keys=keys, as_of=TODAY)
    two = sdk.indicator_values("二村", "2010", keys=keys, as_of=TODAY)
    town = sdk.indicator_values("甲镇", "2010", keys=keys, as_of=TODAY)
    assert (one["commitments.kept_rate"], two["commitments.kept_rate"]) == (1.0, 1 / 4)
    assert town["commitments.kept_rate"] == 2 / 5  # the villages' average would be 0.625
    assert (town["commitments.made"], town["commitments.due"], town["commitments.kept"]) == (7, 5, 2)
    assert (town["commitments.overdue"], town["commitments.withdrawn"]) == (1, 1)
    assert sdk.indicator_values("测试县", "2010", keys=["commitments.kept_rate"], as_of=TODAY)["commitments.kept_rate"] == 2 / 5
    # a quarter counts what fell due in it: nothing was due in 2010Q1
    assert sdk.indicator_values("甲镇", "2010Q1", keys=["commitments.kept_rate"], as_of=TODAY)["commitments.kept_rate"] is None


def test_review_shares_and_coverage(world, review):
    sdk = world["sdk"]
    sdk.write(CommitmentReview, [review(), review(half=2, leader_score=95, peer_score=95, resident_score=95, grade="excellent"),
                                 review("赵主任", leader_score=40, peer_score=50, resident_score=50, grade="unqualified")], today=TODAY)
    v = sdk.indicator_values("甲镇", "2010", keys=["commitments"], as_of=TODAY)
    assert v["commitments.reviews"] == 3
    assert v["commitments.excellent_share"] == 1 / 3 and v["commitments.unqualified_share"] == 1 / 3
    assert v["commitments.party_members"] == 3 and v["commitments.review_coverage"] == 2 / 3  # 李书记 not reviewed


def _raw_kept_and_due(s, area: Region, year: int, as_of: dt.date) -> tuple[int, int]:
    col = {"township": Region.township_id, "county": Region.county_id}[area.kind]
    villages = select(Region.id).where(col == area.id)
    due = (Commitment.region_id.in_(villages), Commitment.due_date >= dt.date(year, 1, 1), Commitment.due_date <= dt.date(year, 12, 31),
           Commitment.due_date <= as_of, Commitment.status != "withdrawn")
    n_due = s.execute(select(func.count()).select_from(Commitment).where(*due)).scalar_one()
    n_kept = s.execute(select(func.count()).select_from(Commitment).where(*due, Commitment.status == "kept")).scalar_one()
    return n_kept, n_due


def test_demo_township_kept_rate_equals_the_raw_table(demo, cli):
    with Session(demo.engine) as s:
        for name in ("茅草街镇", "南洲镇", "南县"):
            area = s.execute(select(Region).where(Region.name == name)).scalar_one()
            kept, due = _raw_kept_and_due(s, area, 2010, DEMO_TODAY)
            value = demo.indicator_values(name, "2010", keys=["commitments.kept_rate"], as_of=DEMO_TODAY)["commitments.kept_rate"]
            assert due > 0 and value == kept / due, name
        # both seed villages have a roster and commitments; nothing was added to the seed's associations
        per_village = dict(s.execute(select(Region.name, func.count()).join(Commitment, Commitment.region_id == Region.id)
                                     .group_by(Region.name)).all())
        assert set(per_village) == {"新尚村社区", "南洲村"} and min(per_village.values()) >= 8
        assert s.execute(select(func.count()).select_from(CommitmentMember).where(CommitmentMember.is_cadre.is_(True))).scalar_one() >= 6
    values = demo.indicator_values("新尚村社区", "2010", keys=["core.associations", "commitments"], as_of=DEMO_TODAY)
    assert values["core.associations"] == 6  # article 4: six associations, unchanged
    assert values["commitments.review_coverage"] == 1.0 and 0 < values["commitments.replied_on_time_rate"] <= 1

    code, out, err = cli("indicators", "--db", demo.url, "--region", "南县", "--period", "2010", "--json")
    assert code == 0, err
    printed = json.loads(out)
    assert printed["commitments.made"] > 0 and 0 < printed["commitments.kept_rate"] < 1
    code, out, err = cli("indicators", "--db", demo.url, "--region", "南洲村", "--period", "2010")
    assert code == 0 and "承诺兑现率" in out and "学习日达标率" in out


def test_plugins_command_lists_the_plugin(cli):
    code, out, err = cli("plugins", "--json")
    assert code == 0, err
    mine = next(p for p in json.loads(out)["plugins"] if p["name"] == "commitments")
    assert mine["error"] is None and mine["distribution"] == "shequ-plugin-commitments"
    assert {"commitments_pledge", "commitments_review", "commitments_complaint", "commitments_study_day"} <= set(mine["tables"])
    assert "commitments.kept_rate" in mine["indicators"] and mine["boards"] == ["commitments.pledges"]
    assert {"commitments.review_weights", "commitments.reply_days"} <= set(mine["settings"])
