"""On the demo (SQLite and PostgreSQL): the 五保之家 matter with its four deliberations and two
disclosures, the collection rate rolled up as Σ received ÷ Σ due from the raw rows, contract
parties masked, the 决议公开 and 实施结果公开 notices (PDF text, fingerprint, verify-copy), the
dashboard views and the CLI."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlmodel import Session

from shequ_sdk import Region
from shequ_sdk.boards import write_board
from shequ_sdk.demo import DEMO_TODAY
from shequ_plugin_decisions import ContractPayment, Matter, MatterStep
from shequ_plugin_decisions.models import STEP_ORDER


def test_five_guarantee_home_went_through_the_four_steps(demo):
    with Session(demo.engine) as s:
        home = s.execute(select(Matter).join(Region, Region.id == Matter.region_id)
                         .where(Region.name == "新尚村社区", Matter.title == "建设社区五保之家")).scalar_one()
        assert home.amount_fen == 24_800_000 and home.synthetic is False  # the seed's 24.8万元
        steps = s.execute(select(MatterStep).where(MatterStep.matter_id == home.id).order_by(MatterStep.held_on)).scalars().all()
    assert [st.step for st in steps] == list(STEP_ORDER)
    assert all(st.result == "passed" for st in steps if st.step in ("consultation", "party_review", "resolution"))
    assert [st.held_on for st in steps][-1] == dt.date(2010, 6, 25) and home.completed_on == dt.date(2010, 6, 18)
    # the seed figures elsewhere are untouched
    values = demo.indicator_values("新尚村社区", "2010", keys=["core.associations", "elderly.five_guarantee_funds_yuan", "decisions"],
                                   as_of=DEMO_TODAY)
    assert values["core.associations"] == 6 and values["elderly.five_guarantee_funds_yuan"] == Decimal("248000.00")
    assert values["decisions.four_deliberations_share"] == 1.0 and values["decisions.disclosed_on_time_rate"] == 1.0
    # in the seed places every major expenditure was decided beforehand, and the registers hold together
    problems = demo.check()
    assert [p for p in problems if (p.rule or "").startswith("decisions.") and p.extra.get("severity") == "error"] == []
    seeds = {demo.region("新尚村社区").id, demo.region("南洲村").id}
    flagged = [p for p in problems if p.rule == "decisions.major_item_decided"]
    regions = dict(demo.frame("finance_ledger_entry", region="南县", codes=True)[["id", "region_id"]].itertuples(index=False))
    assert not [p for p in flagged if regions.get(p.row) in seeds]


def _raw_collection(s, area: Region, start: dt.date, end: dt.date, as_of: dt.date) -> tuple[int, int]:
    col = {"township": Region.township_id, "county": Region.county_id}[area.kind]
    villages = select(Region.id).where(col == area.id)
    P = ContractPayment
    rows = s.execute(select(P.due_fen, P.received_fen, P.received_on).where(P.region_id.in_(villages), P.due_on >= start, P.due_on <= end,
                                                                           P.due_on <= as_of)).all()
    due = sum(r.due_fen for r in rows)
    received = sum(r.received_fen for r in rows if r.received_on is not None and r.received_on <= as_of)
    return received, due


def test_collection_rate_rolls_up_from_the_raw_rows(demo):
    with Session(demo.engine) as s:
        for name in ("茅草街镇", "南洲镇", "南县"):
            area = s.execute(select(Region).where(Region.name == name)).scalar_one()
            received, due = _raw_collection(s, area, dt.date(2010, 1, 1), dt.date(2010, 12, 31), DEMO_TODAY)
            v = demo.indicator_values(name, "2010", keys=["decisions"], as_of=DEMO_TODAY)
            assert due > 0 and v["decisions.contract_collection_rate"] == received / due, name
            assert v["decisions.contract_income_due"] == Decimal(due) / 100 and v["decisions.contract_income_received"] == Decimal(received) / 100
        overdue = s.execute(select(func.count()).select_from(ContractPayment).where(
            ContractPayment.due_on.between(dt.date(2010, 1, 1), dt.date(2010, 12, 31)),
            ContractPayment.received_fen < ContractPayment.due_fen)).scalar_one()
    county = demo.indicator_values("南县", "2010", keys=["decisions"], as_of=DEMO_TODAY)
    assert county["decisions.overdue_payments"] == overdue
    assert county["decisions.villages_with_rules"] == 10 and county["decisions.assets"] > 20  # every village has filed rules
    # a village's rate is its own Σ ÷ Σ; the township's is not their average
    wide = demo.indicators(["decisions.contract_collection_rate"], regions="南洲镇", periods="2010")
    assert len(wide) >= 4


def test_contract_parties_are_masked(demo):
    contracts = demo.frame("decisions_contract", region="南县")
    assert len(contracts) > 10
    assert all("*" in n for n in contracts["party_name"]) and all("*" in p for p in contracts["party_phone"].dropna())
    rt = demo.registry.tables["decisions_contract"]
    assert {f.name: f.sensitive for f in rt.fields if f.sensitive} == {"party_name": "name", "party_phone": "phone"}
    with Session(demo.engine) as s:  # stored in full
        from shequ_plugin_decisions import Contract

        stored = s.execute(select(Contract.party_name)).scalars().first()
    assert "*" not in stored


def test_notices_print_with_fingerprint_and_qr(demo, cli, tmp_path):
    pdf = write_board(demo, region="新尚村社区", period="2010", board="决议公开", out=tmp_path / "r.pdf", today=DEMO_TODAY)
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages).replace("\n", "")
    assert "建设社区五保之家" in text and "248,000.00" in text and "村民代表会议" in text and "内容指纹" in text
    assert "2010-01-25" in text and "党员大会审议" in text
    fp = text.split("内容指纹：")[1][:14]
    assert fp.count("-") == 2
    html = write_board(demo, region="新尚村社区", period="2010", board="decisions.results", out=tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<svg" in html and "shequ:decisions:results:" in html and "2010-06-18" in html and "实施结果公开" in html

    code, out, err = cli("decisions", "verify-copy", "--db", demo.url, "--region", "新尚村社区", "--period", "2010", "--board", "决议公开",
                         "--fingerprint", fp)
    assert code == 0 and "一致" in out, err
    with demo.transaction() as s:  # the record changes after printing
        home = s.execute(select(Matter).where(Matter.title == "建设社区五保之家")).scalar_one()
        home.amount_fen += 100
    code, out, err = cli("decisions", "verify-copy", "--db", demo.url, "--region", "新尚村社区", "--period", "2010", "--board", "决议公开",
                         "--fingerprint", fp)
    assert code == 1 and "不一致" in err
    code, out, err = cli("board", "--db", demo.url, "--region", "南县", "--period", "2010", "--board", "决议公开", "--out", str(tmp_path / "c.pdf"))
    assert code == 2 and "按村（社区）打印" in err and err.count("\n") == 1


def test_views_show_timelines_and_the_sanzi_summary(demo):
    from shequ_sdk.ui import DataStore
    from shequ_plugin_decisions.views import sanzi_rows, timeline_html, timeline_items

    page = timeline_html(DataStore(sdk=demo, region="新尚村社区", period="2010", as_of=DEMO_TODAY))
    assert "建设社区五保之家" in page and page.count('data-state="done"') >= 6 and 'data-state="late"' not in page
    late = timeline_html(DataStore(sdk=demo, region="明口村", period="2009", as_of=DEMO_TODAY))
    assert 'data-step="resolution_disclosure" data-state="late"' in late
    # a missing disclosure past its deadline, and a late one, from plain values
    items = timeline_items({"completed_on": dt.date(2010, 5, 1)}, {"resolution": {"held_on": dt.date(2010, 3, 1), "result": "passed"},
                                                                   "resolution_disclosure": {"held_on": dt.date(2010, 3, 9)}}, 7, dt.date(2010, 6, 1))
    assert [i["state"] for i in items[3:]] == ["done", "late", "overdue"]
    town = DataStore(sdk=demo, region="南洲镇", period="2010", as_of=DEMO_TODAY)
    rows = sanzi_rows(town)
    total = demo.indicator_values("南洲镇", "2010", keys=["decisions.assets_value"], as_of=DEMO_TODAY)["decisions.assets_value"]
    assert rows[-1]["place"] == "南洲镇（合计）" and rows[-1]["decisions.assets_value"] == total
    assert sum(r["decisions.assets_value"] for r in rows[:-1]) == total and "南洲村" in {r["place"] for r in rows}


@pytest.mark.parametrize("key", ["decisions.matter_timeline", "decisions.sanzi_summary", "decisions.sanzi_village"])
def test_views_render_for_every_role(demo, render_view, key):
    for role, scope, region in (("village", "南洲村", "南洲村"), ("township", "南洲镇", "南洲镇"), ("admin", None, "南洲村")):
        card = render_view(key, demo, region=region, role=role, scope=scope, as_of=DEMO_TODAY)
        text = str(getattr(card, "object", ""))
        if key == "decisions.matter_timeline" and region != "南洲镇":
            assert "shequ-matter" in text
        elif key != "decisions.matter_timeline":
            assert "shequ-sanzi" in text and "*" not in text  # figures only: no party names


def test_cli_lists_the_plugin_and_prints_its_indicators(demo, cli):
    code, out, err = cli("plugins", "--json")
    assert code == 0, err
    mine = next(p for p in json.loads(out)["plugins"] if p["name"] == "decisions")
    assert mine["error"] is None and mine["distribution"] == "shequ-plugin-decisions"
    assert {"decisions_matter", "decisions_step", "decisions_contract", "decisions_village_rule"} <= set(mine["tables"])
    assert sorted(mine["boards"]) == ["decisions.resolution", "decisions.results"]
    assert {"decisions.assembly_quorum_adults", "decisions.representatives_quorum", "decisions.disclosure_days"} <= set(mine["settings"])
    code, out, err = cli("indicators", "--db", demo.url, "--region", "南县", "--period", "2010", "--json")
    assert code == 0, err
    printed = json.loads(out)
    assert printed["decisions.major_matters"] > 0 and 0 < printed["decisions.contract_collection_rate"] < 1
