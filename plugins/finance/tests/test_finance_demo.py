"""Demo figures, the CLI and synthetic generation."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from shequ_plugin_finance.models import LedgerEntry, Obligation, Posting, PostingItem, Query
from shequ_sdk import Association, AssociationMember, Region

D = dt.date


def test_demo_xinshang_discloses_every_board_on_time(demo):
    q4 = demo.indicator_values("新尚村社区", "2010Q4", keys=["finance"])
    assert q4["finance.disclosure_on_time_rate"] == 1.0
    assert q4["finance.boards_posted"] == 3  # 党务, 居务, 财务
    assert q4["finance.overdue_boards"] == 0
    for year in ("2009", "2010"):
        v = demo.indicator_values("新尚村社区", year, keys=["finance"])
        assert v["finance.disclosure_on_time_rate"] == 1.0
        assert v["finance.boards_posted"] == 12  # three boards, every quarter
        assert v["finance.queries_overdue"] == 0
    nanzhou = demo.indicator_values("南洲村", "2010", keys=["finance"])
    assert nanzhou["finance.disclosure_on_time_rate"] == 1.0 and nanzhou["finance.overdue_boards"] == 0


def test_demo_boards_match_seed_and_township_settings(demo):
    with demo.transaction() as s:
        from shequ_plugin_finance.deadlines import board_status

        rows = board_status(s, "新尚村社区", ["2009", "2010"], D(2011, 3, 31))
        quarterly = [r for r in rows if r["kind"] == "board"]
        assert {r["board"] for r in quarterly} == {"party", "residents", "finance"}
        assert len(quarterly) == 24 and {r["status"] for r in rows} == {"on_time"}
        assert any(r["kind"] == "major" for r in rows)  # the 2010 major item, posted in time
        assert {r["due_date"].day for r in quarterly} == {20}  # 茅草街镇 uses the 20th
        nanzhou = [r for r in board_status(s, "南洲村", ["2010"], D(2011, 3, 31)) if r["kind"] == "board"]
        assert {r["board"] for r in nanzhou} == {"party", "village", "finance"}
        assert {r["due_date"].day for r in nanzhou} == {15} and {r["status"] for r in nanzhou} == {"on_time"}
        # seed postings are facts of the article; everything around them is generated
        xin = s.execute(select(Region.id).where(Region.name == "新尚村社区")).scalar_one()
        assert not any(s.execute(select(Posting.synthetic).where(Posting.region_id == xin)).scalars())
        assert all(s.execute(select(LedgerEntry.synthetic).where(LedgerEntry.region_id == xin)).scalars())
        # the synthetic villages are not all perfect: the heatmap has something to show
        county = board_status(s, "南县", ["2009", "2010"], D(2011, 3, 31))
        assert {"on_time", "late", "missing"} <= {r["status"] for r in county}
        assert any(r["period"].count("-") == 1 and r["kind"] == "board" for r in county)  # a monthly-finance village


def test_demo_has_one_finance_association_per_village(demo):
    with demo.transaction() as s:
        villages = s.execute(select(Region).where(Region.kind.in_(("village", "community")))).scalars().all()
        assocs = s.execute(select(Association).where(Association.type_key == "finance")).scalars().all()
        assert sorted(a.region_id for a in assocs) == sorted(v.id for v in villages)
        assert all(a.leader_name and a.name == "民主管理监督理财协会" for a in assocs)
        xin = next(v for v in villages if v.name == "新尚村社区")
        assert [a.synthetic for a in assocs if a.region_id == xin.id] == [False]
        members = s.execute(select(func.count()).select_from(AssociationMember)
                            .join(Association, Association.id == AssociationMember.association_id)
                            .where(Association.type_key == "finance")).scalar_one()
        assert members >= 3 * len(villages)


def test_demo_passes_every_finance_check(demo):
    problems = [p for p in demo.check(today=D(2011, 3, 31)) if (p.rule or "").startswith("finance.")]
    assert problems == [], [str(p) for p in problems[:5]]


def test_demo_indicators_cli(demo, cli):
    code, out, err = cli("indicators", "--db", demo.url, "--region", "新尚村社区", "--period", "2010Q4", "--json")
    assert code == 0, err
    values = json.loads(out)
    assert values["finance.disclosure_on_time_rate"] == 1.0
    assert values["finance.boards_posted"] == 3


def test_status_command(world, cli):
    from datetime import date

    world.post("一村", "party", "2010Q4", date(2011, 1, 15))
    world.post("一村", "village", "2010Q4", date(2011, 1, 18))
    url = world.sdk.url
    code, out, err = cli("finance", "status", "--db", url, "--region", "一村", "--period", "2010", "--as-of", "2011-03-01", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["columns"] == ["2010Q1", "2010Q2", "2010Q3", "2010Q4"]
    q4 = {r["board"]: r for r in report["rows"] if r["period"] == "2010Q4"}
    assert (q4["party"]["status"], q4["village"]["status"], q4["finance"]["status"]) == ("on_time", "late", "missing")
    assert q4["party"]["posted_on"] == "2011-01-15" and q4["party"]["due_date"] == "2011-01-15"
    assert report["summary"]["on_time"] == 1 and report["summary"]["missing"] == 10
    code, out, err = cli("finance", "status", "--db", url, "--region", "甲镇", "--period", "2010Q4", "--as-of", "2011-03-01")
    assert code == 0, err
    assert "一村" in out and "二社区" in out and "居务" in out and "按时" in out and "未公开" in out
    code, out, err = cli("finance", "status", "--db", url, "--region", "乙镇", "--period", "2010Q4", "--as-of", "2011-01-10",
                         "--lang", "en")
    assert code == 0, err
    assert "not yet due" in out and "四村" in out
    # bad input: one line, exit code 2
    for args in (("--region", "无此村", "--period", "2010"), ("--region", "一村", "--period", "2010Q5"),
                 ("--region", "一村", "--period", "2010", "--as-of", "昨天")):
        code, out, err = cli("finance", "status", "--db", url, *args)
        assert code == 2 and len(err.strip().splitlines()) == 1 and "/" in err, (args, err)


def test_synthetic_generation_on_a_tiny_county(sdk, tmp_path):
    import shequ_sdk
    from shequ_sdk.demo import GenerateOptions

    options = GenerateOptions(townships=1, villages_per_township=3, households_per_village=20, years=2)
    sdk.generate(options)
    with sdk.transaction() as s:
        counts = {m.__tablename__: s.execute(select(func.count()).select_from(m)).scalar_one()
                  for m in (Posting, PostingItem, LedgerEntry, Query)}
        assert counts["finance_posting"] >= 3 * 2 * 4 * 2  # most of 3 boards × 4 quarters × 2 years × 3 villages
        assert counts["finance_ledger_entry"] > 0 and counts["finance_posting_item"] > 0
        for model in (Posting, PostingItem, LedgerEntry, Query):
            assert set(s.execute(select(model.synthetic)).scalars()) == {True}
        assert s.execute(select(func.count()).select_from(Association).where(Association.type_key == "finance")).scalar_one() == 3
    values = sdk.indicator_values("模拟县", "2020", keys=["finance"], as_of=D(2021, 3, 31))
    assert 0 < values["finance.disclosure_on_time_rate"] <= 1
    assert values["finance.boards_posted"] > 0
    with sdk.transaction() as s:
        assert s.execute(select(func.count()).select_from(Obligation)).scalar_one() >= 3 * 3 * 4
    assert [p for p in sdk.check(today=D(2021, 3, 31)) if (p.rule or "").startswith("finance.")] == []
    # the same seed gives the same data, whatever the backend
    other = shequ_sdk.open(f"sqlite:///{tmp_path / 'again.db'}", create=True)
    try:
        other.generate(options)

        def fingerprint(db):
            with db.transaction() as s:
                return (s.execute(select(func.count(), func.sum(LedgerEntry.amount_fen))).one(),
                        sorted(s.execute(select(Posting.period, Posting.board, Posting.posted_on)).all()))

        assert fingerprint(other) == fingerprint(sdk)
    finally:
        other.close()


@pytest.mark.parametrize("period", ["2010Q4", "2010", "2010-11"])
def test_demo_rollup_matches_the_status_rows(demo, period):
    """Each township's indicators equal what its villages' status rows add up to: counts are
    summed and the rate is Σ on time ÷ Σ decided (never an average of village rates)."""
    from sqlmodel import Session

    from shequ_plugin_finance.deadlines import board_status
    from shequ_sdk.indicators import compute
    from shequ_sdk.period import Period

    as_of = D(2011, 3, 31)
    keys = ["finance.disclosure_on_time_rate", "finance.overdue_boards"]
    with Session(demo.engine) as s:
        county = s.execute(select(Region).where(Region.name == "南县")).scalar_one()
        towns = compute(s, region=county, period=Period.parse(period), keys=keys, level="township", as_of=as_of)
        whole = compute(s, region=county, period=Period.parse(period), keys=keys, as_of=as_of)[county.id]
        rows = board_status(s, county, [period], as_of)
        s.commit()
    assert len(towns) == 2
    for tid, values in towns.items():
        mine = [r for r in rows if r["township_id"] == tid]
        on, decided = sum(r["status"] == "on_time" for r in mine), sum(r["status"] != "not_yet_due" for r in mine)
        assert values["finance.overdue_boards"] == sum(r["status"] == "missing" for r in mine)
        assert values["finance.disclosure_on_time_rate"] == (pytest.approx(on / decided) if decided else None)
    decided_all = sum(r["status"] != "not_yet_due" for r in rows)
    if decided_all:
        assert whole["finance.disclosure_on_time_rate"] == pytest.approx(sum(r["status"] == "on_time" for r in rows) / decided_all)
    assert whole["finance.overdue_boards"] == sum(v["finance.overdue_boards"] for v in towns.values())
