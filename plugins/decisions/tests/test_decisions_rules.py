"""Quorum and majority at their legal boundaries, the order of the six steps, the cross-check of
finance's major items, disclosure deadlines, asset disposals and long contracts — on SQLite and
PostgreSQL (the ``sdk`` fixture)."""

from __future__ import annotations

import datetime as dt

import pytest

from shequ_sdk import BatchError, Region, config
from shequ_plugin_decisions import Asset, Contract, MatterStep, VillageRule

TODAY = dt.date(2011, 3, 31)


def _refused(sdk, rows, table=MatterStep) -> list[tuple]:
    with pytest.raises(BatchError) as exc:
        sdk.write(table, rows, today=TODAY)
    return [(p.rule, p.field) for p in exc.value.problems]


def _upto_party(world, mid, step_rows):
    sdk = world["sdk"]
    sdk.write(MatterStep, step_rows(mid, world["regions"]["一村"], upto="party_review"), today=TODAY)


def _resolution(world, mid, step_rows, **numbers) -> dict:
    row = step_rows(mid, world["regions"]["一村"], upto="resolution")[-1]
    row.update(numbers)
    return row


def test_representatives_quorum_two_thirds_inclusive_and_majority_more_than_half(world, step_rows):
    sdk = world["sdk"]
    mid = world["matter"]()
    _upto_party(world, mid, step_rows)
    # exactly two-thirds present (20 of 30) is a quorum: 三分之二以上 includes the number (民法典 第一千二百五十九条)
    # exactly half of those present (10 of 20) is not a majority: 过半数 means more than half
    assert _refused(sdk, [_resolution(world, mid, step_rows, present=20, votes_for=10, votes_against=10)]) == [("decisions.quorum_majority", "votes_for")]
    assert _refused(sdk, [_resolution(world, mid, step_rows, present=19, votes_for=19, votes_against=0)]) == [("decisions.quorum_majority", "present")]
    # a majority recorded as rejected contradicts the votes
    assert _refused(sdk, [_resolution(world, mid, step_rows, present=20, votes_for=11, votes_against=9, result="rejected")]) == [
        ("decisions.quorum_majority", "result")]
    sdk.write(MatterStep, [_resolution(world, mid, step_rows, present=20, votes_for=11, votes_against=9)], today=TODAY)


def test_a_township_may_change_the_quorum(world, step_rows):
    sdk = world["sdk"]
    with sdk.transaction() as s:
        config.set_value(s, "decisions.representatives_quorum", {"share": "2/3", "inclusive": False}, s.get(Region, world["regions"]["甲镇"]))
    mid = world["matter"]()
    _upto_party(world, mid, step_rows)
    assert _refused(sdk, [_resolution(world, mid, step_rows, present=20, votes_for=15, votes_against=0)]) == [("decisions.quorum_majority", "present")]
    sdk.write(MatterStep, [_resolution(world, mid, step_rows, present=21, votes_for=15, votes_against=0)], today=TODAY)


def test_villagers_assembly_half_of_adults_or_two_thirds_of_households(world, step_rows):
    sdk = world["sdk"]
    mid = world["matter"]()
    _upto_party(world, mid, step_rows)
    assembly = {"body": "assembly", "expected": 100, "votes_against": 0}
    # exactly half of the adult villagers is not a quorum (过半数) ...
    assert _refused(sdk, [_resolution(world, mid, step_rows, **assembly, present=50, votes_for=40)]) == [("decisions.quorum_majority", "present")]
    # ... nor are 39 of 60 households (less than two-thirds)
    assert _refused(sdk, [_resolution(world, mid, step_rows, **assembly, present=50, households_total=60, households_present=39, votes_for=40)]) == [
        ("decisions.quorum_majority", "present")]
    # exactly two-thirds of the households (40 of 60) is: 三分之二以上的户的代表
    sdk.write(MatterStep, [_resolution(world, mid, step_rows, **assembly, present=50, households_total=60, households_present=40, votes_for=26)],
              today=TODAY)
    other = world["matter"](title="修缮灌溉渠道")
    _upto_party(world, other, step_rows)
    sdk.write(MatterStep, [_resolution(world, other, step_rows, **assembly, present=51, votes_for=26)], today=TODAY)  # 51 of 100 adults, 26 of 51


def test_village_rules_need_a_lawful_vote_and_one_current_version(world):
    sdk = world["sdk"]
    rule = {"region_id": world["regions"]["一村"], "version": "2008年版", "title": "一村村规民约", "adopted_on": dt.date(2008, 5, 1),
            "body": "representatives", "expected": 30, "present": 20, "votes_for": 10, "filed_on": dt.date(2008, 5, 20), "rule_text": "第一条 …"}
    assert _refused(sdk, [rule], VillageRule) == [("decisions.village_rule_adopted", "votes_for")]
    sdk.write(VillageRule, [rule | {"votes_for": 11}], today=TODAY)
    assert _refused(sdk, [rule | {"version": "2010年版", "adopted_on": dt.date(2010, 5, 1), "filed_on": dt.date(2010, 5, 9), "votes_for": 15}], VillageRule) == [
        ("decisions.one_current_rule", "current")]
    sdk.write(VillageRule, [rule | {"version": "2010年版", "adopted_on": dt.date(2010, 5, 1), "filed_on": dt.date(2010, 5, 9), "votes_for": 15, "current": False}], today=TODAY)


def test_steps_go_in_order(world, step_rows):
    sdk = world["sdk"]
    rid = world["regions"]["一村"]
    mid = world["matter"]()
    rows = step_rows(mid, rid)
    # the consultation before any proposal
    assert _refused(sdk, [rows[1]]) == [("decisions.step_order", "step")]
    # out of order inside one batch
    assert ("decisions.step_order", "step") in _refused(sdk, [rows[0], rows[2], rows[1]])
    # a review dated before the consultation
    early = dict(rows[2], held_on=rows[1]["held_on"] - dt.timedelta(days=1))
    assert ("decisions.step_order", "held_on") in _refused(sdk, [rows[0], rows[1], early])
    sdk.write(MatterStep, rows[:3], today=TODAY)  # in order, one batch
    # after a rejected resolution nothing is disclosed as decided
    sdk.write(MatterStep, [dict(rows[3], votes_for=5, votes_against=19, result="rejected")], today=TODAY)
    assert _refused(sdk, [rows[4]]) == [("decisions.step_order", "step")]
    # a disclosure is not a meeting
    other = world["matter"](title="安装太阳能路灯")
    full = step_rows(other, rid)
    sdk.write(MatterStep, full[:4], today=TODAY)
    assert _refused(sdk, [dict(full[4], present=3)]) == [("decisions.step_consistent", "present")]
    sdk.write(MatterStep, full[4:], today=TODAY)


def _ledger(sdk, region_id, day, yuan, voucher):
    sdk.write("finance_ledger_entry", [{"region_id": region_id, "entry_date": day, "voucher_no": voucher, "direction": "expense",
                                        "account_code": "551", "amount_fen": yuan * 100, "summary": "村道硬化工程款"}], today=TODAY)


def _major(sdk) -> list[str]:
    return sorted(p.value for p in sdk.check() if p.rule == "decisions.major_item_decided")


def test_finance_major_items_need_a_decision_passed_before_them(world, step_rows):
    sdk = world["sdk"]
    rid = world["regions"]["一村"]
    _ledger(sdk, rid, dt.date(2010, 5, 10), 60_000, "记-01")  # at or above finance's ¥50,000: major
    _ledger(sdk, rid, dt.date(2010, 5, 11), 50_000, "记-02")  # exactly the threshold: major (达到)
    _ledger(sdk, rid, dt.date(2010, 5, 12), 49_999, "记-03")  # below: not major
    assert _major(sdk) == ["记-01", "记-02"]
    decided = world["matter"](vouchers="记-01、记-02")
    sdk.write(MatterStep, step_rows(decided, rid, upto="resolution"), today=TODAY)  # passed 2010-03-22, before both
    assert _major(sdk) == []
    # a decision after the expenditure does not cover it
    _ledger(sdk, rid, dt.date(2010, 3, 5), 70_000, "记-04")
    late = world["matter"](title="集体鱼塘改造", vouchers="记-04")
    sdk.write(MatterStep, step_rows(late, rid, upto="resolution"), today=TODAY)
    assert _major(sdk) == ["记-04"]
    # the threshold is finance's setting, read through the settings API: a township raising it to ¥80,000 clears the flag
    with sdk.transaction() as s:
        config.set_value(s, "finance.major_item_threshold_fen", 8_000_000, s.get(Region, world["regions"]["甲镇"]))
    assert _major(sdk) == []


def test_resolutions_disclosed_within_the_setting(world, step_rows):
    sdk = world["sdk"]
    rid = world["regions"]["一村"]
    on_time = world["matter"]()
    sdk.write(MatterStep, step_rows(on_time, rid, upto="resolution_disclosure", disclosed_after=7), today=TODAY)  # day 7: on time
    late = world["matter"](title="修建文化活动广场")
    sdk.write(MatterStep, step_rows(late, rid, upto="resolution_disclosure", disclosed_after=8), today=TODAY)
    missing = world["matter"](title="年度村级财务预算", category="budget", amount_fen=None)
    sdk.write(MatterStep, step_rows(missing, rid, upto="resolution"), today=TODAY)
    flagged = sorted(p.message_zh.split("”")[0] for p in sdk.check() if p.rule == "decisions.disclosure_deadline")
    assert flagged == ["事项“修建文化活动广场", "事项“年度村级财务预算"]
    v = sdk.indicator_values("一村", "2010", keys=["decisions"], as_of=TODAY)
    assert v["decisions.major_matters"] == 3 and v["decisions.four_deliberations_share"] == 1.0
    assert v["decisions.disclosed_on_time_rate"] == 1 / 3
    with sdk.transaction() as s:
        config.set_value(s, "decisions.disclosure_days", 10, s.get(Region, rid))
    assert sdk.indicator_values("一村", "2010", keys=["decisions.disclosed_on_time_rate"], as_of=TODAY)["decisions.disclosed_on_time_rate"] == 2 / 3


def test_asset_disposal_references_a_passed_decision(world, step_rows):
    sdk = world["sdk"]
    rid = world["regions"]["一村"]
    asset = {"region_id": rid, "name": "报废农用车", "kind": "vehicle", "acquired_on": dt.date(1998, 5, 1), "value_fen": 4_500_000,
             "status": "disposed", "disposed_on": dt.date(2010, 6, 1), "disposal": "拍卖"}
    assert _refused(sdk, [asset], Asset) == [("decisions.asset_disposal_decided", "disposal_matter_id")]
    undecided = world["matter"](title="拍卖报废农用车", category="asset_disposal")
    sdk.write(MatterStep, step_rows(undecided, rid, upto="party_review"), today=TODAY)
    assert _refused(sdk, [asset | {"disposal_matter_id": undecided}], Asset) == [("decisions.asset_disposal_decided", "disposal_matter_id")]
    sdk.write(MatterStep, step_rows(undecided, rid, upto="resolution")[3:], today=TODAY)
    assert _refused(sdk, [asset | {"disposal_matter_id": undecided, "disposed_on": dt.date(2010, 3, 20)}], Asset) == [
        ("decisions.asset_disposal_decided", "disposed_on")]  # before the resolution of 2010-03-22
    other_village = world["matter"]("二村", title="拍卖旧校舍", category="asset_disposal")
    assert ("decisions.asset_disposal_decided", "disposal_matter_id") in _refused(sdk, [asset | {"disposal_matter_id": other_village}], Asset)
    sdk.write(Asset, [asset | {"disposal_matter_id": undecided}], today=TODAY)


def test_long_or_large_contracts_without_a_decision_are_flagged(world):
    sdk = world["sdk"]
    rid = world["regions"]["一村"]
    base = {"region_id": rid, "party_name": "张承包", "subject": "集体鱼塘承包", "start_on": dt.date(2010, 1, 1), "annual_fen": 1_200_000}
    sdk.write(Contract, [
        base | {"number": "C-1", "end_on": dt.date(2014, 12, 31)},  # exactly five years: within the limit
        base | {"number": "C-2", "end_on": dt.date(2015, 1, 1)},  # a day longer
        base | {"number": "C-3", "end_on": dt.date(2012, 12, 31), "annual_fen": 5_000_001},  # above ¥50,000 a year
    ], today=TODAY)
    flagged = {p.row for p in sdk.check() if p.rule == "decisions.contract_decided"}
    ids = dict((c, i) for i, c in sdk.frame("decisions_contract", region="一村", codes=True)[["id", "number"]].itertuples(index=False))
    assert flagged == {ids["C-2"], ids["C-3"]}


def test_a_township_adds_its_own_categories(world):
    sdk = world["sdk"]
    with sdk.transaction() as s:
        config.set_value(s, "decisions.local_categories", ["宅基地使用方案", "征地补偿费分配"], s.get(Region, world["regions"]["甲镇"]))
    with pytest.raises(BatchError) as exc:
        world["matter"](category="other", category_detail="修建停车场")
    assert [(p.rule, p.field) for p in exc.value.problems] == [("decisions.matter_consistent", "category_detail")]
    assert world["matter"](category="other", category_detail="宅基地使用方案") > 0
    assert world["matter"]("三社区", category="other", category_detail="修建停车场") > 0  # 乙镇 keeps the fixed list


def test_a_disclosure_names_a_finance_posting_of_its_village(world, step_rows):
    sdk = world["sdk"]
    rid = world["regions"]["一村"]
    postings = sdk.write("finance_posting", [{"region_id": r, "board": "village", "period": "2010Q1", "title": "村务公开", "status": "draft"}
                                             for r in (rid, world["regions"]["二村"])], today=TODAY)
    assert postings.inserted == 2
    ids = dict(sdk.frame("finance_posting", region="甲镇", codes=True)[["region_id", "id"]].itertuples(index=False))
    mid = world["matter"]()
    rows = step_rows(mid, rid, upto="resolution_disclosure")
    sdk.write(MatterStep, rows[:4], today=TODAY)
    assert _refused(sdk, [dict(rows[4], posting_id=ids[world["regions"]["二村"]])]) == [("decisions.step_posting", "posting_id")]
    assert _refused(sdk, [dict(rows[4], posting_id=999_999)]) == [("decisions.step_posting", "posting_id")]
    sdk.write(MatterStep, [dict(rows[4], posting_id=ids[rid])], today=TODAY)
