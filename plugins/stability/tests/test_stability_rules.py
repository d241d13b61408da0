"""Validation of mediation cases, parties, follow-ups and patrols: a bad row refuses the whole
batch, the problem names the field and value, and nothing is written."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from shequ_sdk import BatchError, config
from shequ_sdk.regions import find_region

TODAY = dt.date(2011, 3, 31)
D = dt.date


def _count(sdk, model) -> int:
    with sdk.transaction() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def _refused(sdk, table, rows, field):
    with pytest.raises(BatchError) as exc:
        sdk.write(table, rows, today=TODAY)
    hits = [p for p in exc.value.problems if p.field == field]
    assert hits, [str(p) for p in exc.value.problems]
    assert hits[0].table == table and hits[0].message_zh and hits[0].message_en
    return hits[0]


@pytest.mark.parametrize("changes, field, value", [
    # closed before it was registered
    ({"closed_on": D(2010, 2, 27), "agreement_on": None, "status": "failed", "agreement_form": None, "amount_fen": 0}, "closed_on", D(2010, 2, 27)),
    # success without an agreement form
    ({"agreement_form": None}, "agreement_form", None),
    ({"agreement_on": None}, "agreement_on", None),
    # an agreement on a failed case, and an amount without an agreement
    ({"status": "failed", "agreement_on": None}, "agreement_form", "written"),
    ({"status": "failed", "agreement_form": None, "agreement_on": None}, "amount_fen", 120000),
    # 司法确认 on an oral agreement
    ({"agreement_form": "oral", "judicial_confirmation": "applied", "judicial_applied_on": D(2010, 3, 15)}, "judicial_confirmation", "applied"),
    # 司法确认 applied for 31 days after the agreement took effect (2010-03-11)
    ({"judicial_confirmation": "valid", "judicial_applied_on": D(2010, 4, 11)}, "judicial_applied_on", D(2010, 4, 11)),
    ({"judicial_confirmation": "valid"}, "judicial_applied_on", None),
    ({"judicial_applied_on": D(2010, 3, 12)}, "judicial_confirmation", "none"),
    # case numbers
    ({"case_no": "2010一村调解1号"}, "case_no", "2010一村调解1号"),
    ({"case_no": "(2009)一人调字第1号"}, "case_no", "(2009)一人调字第1号"),
    ({"case_no": "(2010)一人调字第0号"}, "case_no", "(2010)一人调字第0号"),
    # open cases have no closing date; concluded ones need one
    ({"status": "in_progress", "agreement_form": None, "agreement_on": None, "amount_fen": 0}, "closed_on", D(2010, 3, 11)),
    ({"status": "failed", "agreement_form": None, "agreement_on": None, "amount_fen": 0, "closed_on": None}, "closed_on", None),
    # due date: beyond 30 days needs the parties' consent, and at most 30 more
    ({"due_on": D(2010, 4, 15)}, "due_on", D(2010, 4, 15)),
    ({"due_on": D(2010, 5, 15), "extension_agreed": True}, "due_on", D(2010, 5, 15)),
    ({"due_on": D(2010, 2, 1)}, "due_on", D(2010, 2, 1)),
    ({"registered_on": D(2011, 4, 1), "case_no": "(2011)一人调字第1号", "status": "accepted", "agreement_form": None, "agreement_on": None,
      "closed_on": None, "amount_fen": 0}, "registered_on", D(2011, 4, 1)),
    ({"agreement_on": D(2010, 3, 20)}, "agreement_on", D(2010, 3, 20)),  # after the case closed on 03-11
    ({"amount_fen": -100}, "amount_fen", -100),
    ({"dispute_type": "计划外生育"}, "dispute_type", "计划外生育"),
])
def test_bad_case_refused_nothing_written(world, case_row, changes, field, value):
    from shequ_plugin_stability import MediationCase

    sdk = world["sdk"]
    problem = _refused(sdk, "stability_mediation_case", [case_row("一村", 1), case_row("一村", 2, **changes)], field)
    assert problem.value == value and problem.row == 2
    assert _count(sdk, MediationCase) == 0


def test_judicial_confirmation_within_30_days_and_township_setting(world, case_row):
    sdk = world["sdk"]
    # exactly 30 days after the agreement (2010-03-11) is still in time
    sdk.write("stability_mediation_case", [case_row("一村", 1, judicial_confirmation="valid", judicial_applied_on=D(2010, 4, 10))], today=TODAY)
    late = case_row("二村", 1, judicial_confirmation="applied", judicial_applied_on=D(2010, 4, 20))
    p = _refused(sdk, "stability_mediation_case", [late], "judicial_applied_on")
    assert "30" in p.message_zh
    with sdk.transaction() as s:
        config.set_value(s, "stability.judicial_confirmation_days", 45, find_region(s, "甲镇"))
    sdk.write("stability_mediation_case", [late], today=TODAY)


def test_duplicate_case_number_in_a_batch(world, case_row):
    sdk = world["sdk"]
    p = _refused(sdk, "stability_mediation_case", [case_row("一村", 3), case_row("一村", 3)], "case_no")
    assert p.row == 2 and "第 1 行" in p.message_zh
    # the same number in another village is a different case
    sdk.write("stability_mediation_case", [case_row("一村", 3), case_row("二村", 3, case_no="(2010)一人调字第3号")], today=TODAY)


def _case(world, case_row, village="一村", **changes) -> int:
    from shequ_plugin_stability import MediationCase

    sdk = world["sdk"]
    row = case_row(village, 9, **changes)
    sdk.write("stability_mediation_case", [row], today=TODAY)
    with sdk.transaction() as s:
        return s.execute(select(MediationCase.id).where(MediationCase.case_no == row["case_no"],
                                                       MediationCase.region_id == row["region_id"])).scalar_one()


@pytest.mark.parametrize("changes, field", [
    ({"gender": "female"}, "gender"),                       # the ID number's 17th digit is odd: a man
    ({"id_number": "430999198001010013"}, "id_number"),     # wrong check character
    ({"phone": "010-1234"}, "phone"),
    ({"role": "代理人"}, "role"),
    ({"name": ""}, "name"),
])
def test_bad_party_refused(world, case_row, changes, field):
    from shequ_plugin_stability import MediationParty

    sdk = world["sdk"]
    cid = _case(world, case_row)
    good = {"region_id": world["regions"]["一村"], "case_id": cid, "role": "applicant", "name": "张三", "gender": "male",
            "id_number": "430999198001010014", "phone": "13900001111"}
    _refused(sdk, "stability_mediation_party", [good, {**good, "role": "respondent", "name": "李四", **changes}], field)
    assert _count(sdk, MediationParty) == 0


def test_party_of_another_village_case_refused(world, case_row):
    sdk = world["sdk"]
    cid = _case(world, case_row)
    p = _refused(sdk, "stability_mediation_party", [{"region_id": world["regions"]["二村"], "case_id": cid, "role": "applicant", "name": "张三"}],
                 "case_id")
    assert p.value == cid


def test_bad_follow_up_refused(world, case_row):
    from shequ_plugin_stability import FollowUpVisit

    sdk, r = world["sdk"], world["regions"]
    settled = _case(world, case_row)
    failed = _case(world, case_row, village="二村", status="failed", agreement_form=None, agreement_on=None, amount_fen=0)
    good = {"region_id": r["一村"], "case_id": settled, "visit_date": D(2010, 4, 1), "visitor": "王调解", "performance": "performed"}
    _refused(sdk, "stability_follow_up", [good, {**good, "visit_date": D(2010, 3, 5)}], "visit_date")   # before the agreement
    _refused(sdk, "stability_follow_up", [good, {**good, "visit_date": D(2011, 4, 5)}], "visit_date")   # in the future
    _refused(sdk, "stability_follow_up", [good, {**good, "visit_date": D(2010, 4, 9), "escalation_risk": "high"}], "measures")
    p = _refused(sdk, "stability_follow_up", [good, {"region_id": r["二村"], "case_id": failed, "visit_date": D(2010, 4, 1),
                                                     "visitor": "王调解", "performance": "not_performed"}], "performance")
    assert "调解不成" in p.message_zh
    _refused(sdk, "stability_follow_up", [{**good, "region_id": r["二村"]}], "case_id")
    assert _count(sdk, FollowUpVisit) == 0
    # a follow-up of a failed case checks for escalation, with no performance to record
    sdk.write("stability_follow_up", [good, {"region_id": r["二村"], "case_id": failed, "visit_date": D(2010, 4, 1), "visitor": "王调解",
                                             "escalation_risk": "medium", "measures": "告知诉讼途径"}], today=TODAY)
    assert _count(sdk, FollowUpVisit) == 2


def test_bad_patrol_refused(world):
    from shequ_plugin_stability import Patrol

    sdk = world["sdk"]
    good = {"region_id": world["regions"]["三社区"], "patrol_date": D(2010, 5, 1), "team": "巡逻队", "participants": 6, "hours": 2.0}
    for changes, field in (({"participants": 0}, "participants"), ({"hours": 30}, "hours"), ({"patrol_date": D(2011, 6, 1)}, "patrol_date"),
                           ({"region_id": world["regions"]["乙镇"]}, "region_id")):
        _refused(sdk, "stability_patrol", [good, {**good, "team": "第二队", **changes}], field)
    assert _count(sdk, Patrol) == 0


def test_warnings_in_check(world, case_row):
    sdk, r = world["sdk"], world["regions"]
    # closed 35 days after registration with the default 30-day limit, and no parties listed
    sdk.write("stability_mediation_case", [case_row("一村", 1, closed_on=D(2010, 4, 5), agreement_on=D(2010, 4, 5))], today=TODAY)
    sdk.write("stability_patrol", [{"region_id": r["一村"], "patrol_date": D(2010, 5, 1), "team": "巡逻队", "participants": 4, "hours": 2.0,
                                    "issues_found": 2}], today=TODAY)
    found = {p.rule: p for p in sdk.check(today=TODAY) if (p.rule or "").startswith("stability.")}
    assert set(found) == {"stability.closed_late", "stability.cases_have_parties", "stability.patrol_issue_note"}
    assert all(p.extra["severity"] == "warning" for p in found.values())
    assert found["stability.closed_late"].value == D(2010, 4, 5)
    with sdk.transaction() as s:
        config.set_value(s, "stability.mediation_days", 40, find_region(s, "测试县"))
    assert "stability.closed_late" not in {p.rule for p in sdk.check(today=TODAY)}
