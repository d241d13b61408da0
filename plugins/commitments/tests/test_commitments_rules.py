"""Rules of the commitments plugin on SQLite and PostgreSQL: withdrawal reasons, overdue
commitments, the reply deadline, 三评 weighting and bands (township settings), the 优秀 cap
and its township override, 德能勤绩廉, and monthly study days."""

from __future__ import annotations

import datetime as dt

import pytest

from shequ_sdk import BatchError, config
from shequ_plugin_commitments import CadreAssessment, Commitment, CommitmentComplaint, CommitmentReview, StudyDay

TODAY = dt.date(2011, 3, 31)  # the demo's "today"


def problems(sdk, rule):
    return [p for p in sdk.check(today=TODAY) if p.rule == rule]


def refused(sdk, model, rows):
    before = len(sdk.frame(model.__tablename__))
    with pytest.raises(BatchError) as exc:
        sdk.write(model, rows, today=TODAY)
    assert len(sdk.frame(model.__tablename__)) == before  # all or nothing
    return [(p.row, p.field) for p in exc.value.problems], "\n".join(str(p) for p in exc.value.problems)


def test_withdrawal_needs_a_reason(world, commitment):
    sdk = world["sdk"]
    found, text = refused(sdk, Commitment, [commitment(), commitment(content="调解纠纷", status="withdrawn", achieved_number=None)])
    assert found == [(2, "withdrawal_reason")] and "撤回承诺须写明撤回原因" in text
    sdk.write(Commitment, [commitment(content="调解纠纷", status="withdrawn", achieved_number=None, withdrawal_reason="调任乡镇工作")],
              today=TODAY)
    assert sdk.frame("commitments_pledge", codes=True)["status"].tolist() == ["withdrawn"]


def test_quantified_target_and_kept_status_fit_together(world, commitment):
    sdk = world["sdk"]
    found, text = refused(sdk, Commitment, [commitment(target_number=None), commitment(content="清运监督", achieved_number=2)])
    assert found == [(1, "target_number"), (2, "status")]
    assert "量化承诺须填写大于 0 的目标数量" in text and "应为部分兑现或未兑现" in text


def test_overdue_commitment_is_reported_not_refused(world, commitment):
    sdk = world["sdk"]
    sdk.write(Commitment, [commitment(status="ongoing", closed_on=None, achieved_number=None),
                           commitment(content="修路", status="ongoing", closed_on=None, achieved_number=None, due_date=dt.date(2011, 6, 30))],
              today=TODAY)
    found = problems(sdk, "commitments.overdue")
    assert [(p.field, p.value) for p in found] == [("due_date", dt.date(2010, 12, 31))]
    assert "承诺已逾期" in str(found[0])
    assert sdk.indicator_values("一村", "2010", keys=["commitments.overdue"], as_of=TODAY)["commitments.overdue"] == 1


def test_a_commitment_from_another_village_is_refused(world, commitment):
    found, text = refused(world["sdk"], Commitment, [commitment(region_id=world["regions"]["二村"])])
    assert found == [(1, "member_id")] and "属于一村" in text


def test_reply_deadline_is_a_township_setting(world):
    sdk = world["sdk"]
    village = world["regions"]["一村"]
    sdk.write(CommitmentComplaint, [
        {"region_id": village, "channel": "box", "received_on": dt.date(2010, 3, 1), "summary": "反映垃圾清运不及时",
         "replied_on": dt.date(2010, 3, 20), "reply": "已督促整改", "outcome": "upheld"},
        {"region_id": village, "channel": "phone", "received_on": dt.date(2010, 5, 1), "summary": "反映路灯不亮",
         "replied_on": dt.date(2010, 5, 10), "reply": "已报修", "outcome": "upheld"},
    ], today=TODAY)
    late = problems(sdk, "commitments.reply_deadline")
    assert [(p.field, p.value) for p in late] == [("replied_on", dt.date(2010, 3, 20))] and "应于 2010-03-16 前答复（15 天）" in str(late[0])
    assert sdk.indicator_values("甲镇", "2010", keys=["commitments.replied_on_time_rate"])["commitments.replied_on_time_rate"] == 0.5
    with sdk.transaction() as s:
        config.set_value(s, "commitments.reply_days", 30, sdk.region("甲镇"))
    assert problems(sdk, "commitments.reply_deadline") == []
    assert sdk.indicator_values("甲镇", "2010", keys=["commitments.replied_on_time_rate"])["commitments.replied_on_time_rate"] == 1.0


def test_complaint_fields_fit_together(world):
    village = world["regions"]["一村"]
    found, text = refused(world["sdk"], CommitmentComplaint, [
        {"region_id": village, "channel": "board", "received_on": dt.date(2010, 3, 1), "summary": "建议装路灯", "kind": "comment",
         "replied_on": dt.date(2010, 2, 20), "reply": "采纳", "outcome": "upheld"},
    ])
    assert sorted(found) == [(1, "outcome"), (1, "replied_on")] and "答复日期不能早于收到日期" in text


def test_review_grade_follows_the_weights_and_bands(world, review):
    sdk = world["sdk"]
    # 0.3 × 90 + 0.3 × 80 + 0.4 × 70 = 79.0 → 合格 (bands 90 / 75 / 60)
    found, text = refused(sdk, CommitmentReview, [review(leader_score=90, peer_score=80, resident_score=70, grade="excellent", score=80)])
    assert found == [(1, "score"), (1, "grade")]
    assert "综合得分应为 79.0" in text and "对应等次为“合格”" in text
    sdk.write(CommitmentReview, [review(leader_score=90, peer_score=80, resident_score=70, score=79, grade="qualified")], today=TODAY)

    # the township changes the weights and bands: the same kind of scores now make 优秀
    town = sdk.region("甲镇")
    with sdk.transaction() as s:
        config.set_value(s, "commitments.review_weights", {"leader": 50, "peer": 25, "residents": 25}, town)
        config.set_value(s, "commitments.review_bands", {"excellent": 82, "qualified": 70, "basic": 60}, town)
    # 0.5 × 90 + 0.25 × 80 + 0.25 × 70 = 82.5 → 优秀
    sdk.write(CommitmentReview, [review(half=2, leader_score=90, peer_score=80, resident_score=70, score=82.5, grade="excellent")], today=TODAY)
    assert sdk.frame("commitments_review", codes=True)["grade"].tolist() == ["qualified", "excellent"]


def test_bad_weights_setting_is_named(world, review):
    sdk = world["sdk"]
    with sdk.transaction() as s:
        config.set_value(s, "commitments.review_weights", {"leader": 30, "peer": 30}, sdk.region("甲镇"))
    with pytest.raises(Exception) as exc:
        sdk.write(CommitmentReview, [review()], today=TODAY)
    assert "commitments.review_weights" in str(exc.value)


def test_review_cycle_half_year_or_year(world, review):
    sdk = world["sdk"]
    found, text = refused(sdk, CommitmentReview, [review(half=None)])
    assert found == [(1, "half")] and "每半年评议一次" in text
    with sdk.transaction() as s:
        config.set_value(s, "commitments.review_cycle", "year", sdk.region("甲镇"))
    sdk.write(CommitmentReview, [review(half=None)], today=TODAY)


def test_unkept_commitment_bars_excellent_without_a_township_override(world, commitment, review):
    sdk = world["sdk"]
    sdk.write(Commitment, [commitment(status="unkept", achieved_number=1)], today=TODAY)
    top = dict(leader_score=95, peer_score=95, resident_score=95, grade="excellent")
    found, text = refused(sdk, CommitmentReview, [review(**top)])
    assert found == [(1, "grade")] and "有 1 项承诺未兑现或部分兑现，不能评为优秀" in text
    found, _ = refused(sdk, CommitmentReview, [review(**top, override_reason="承诺因洪灾未能兑现，群众评价很高")])  # who approved?
    assert found == [(1, "grade")]
    sdk.write(CommitmentReview, [review(**top, override_reason="承诺因洪灾未能兑现，群众评价很高", override_by="甲镇党委")], today=TODAY)
    # another member without unkept commitments is not affected
    sdk.write(CommitmentReview, [review("李书记", **top)], today=TODAY)
    assert len(sdk.frame("commitments_review")) == 2


def test_cadre_assessment_weights_cap_and_upheld_complaints(world):
    sdk = world["sdk"]
    village, cadre = world["regions"]["二村"], world["members"]["赵主任"]
    row = {"region_id": village, "member_id": cadre, "year": 2010, "de": 95, "neng": 92, "qin": 90, "ji": 94, "lian": 96, "grade": "excellent",
           "score": 93.4}
    sdk.write(CommitmentComplaint, [{"region_id": village, "channel": "in_person", "received_on": dt.date(2010, 6, 1), "member_id": cadre,
                                     "summary": "反映办事拖拉", "replied_on": dt.date(2010, 6, 8), "reply": "已批评教育", "outcome": "upheld"}],
              today=TODAY)
    found, text = refused(sdk, CadreAssessment, [row])
    assert found == [(1, "grade")] and "投诉经核实属实" in text
    found, text = refused(sdk, CadreAssessment, [dict(row, member_id=world["members"]["王党员"], region_id=world["regions"]["一村"],
                                                      grade="competent")])
    assert (1, "member_id") in found and "村（居）干部" in text
    sdk.write(CadreAssessment, [dict(row, override_reason="投诉已整改到位", override_by="甲镇党委")], today=TODAY)
    # weights are a setting: 德 counted double gives (2×95 + 92 + 90 + 94 + 96) ÷ 6 = 93.7
    with sdk.transaction() as s:
        config.set_value(s, "commitments.cadre_weights", {"de": 40, "neng": 20, "qin": 20, "ji": 20, "lian": 20}, sdk.region("甲镇"))
    found, text = refused(sdk, CadreAssessment, [dict(row, year=2009, score=93.4, override_reason="x", override_by="y")])
    assert found == [(1, "score")] and "93.7" in text


def test_missed_study_months_are_flagged(world):
    sdk = world["sdk"]
    village = world["regions"]["一村"]
    days = [dt.date(2010, m, 10) for m in range(1, 13) if m != 5] + [dt.date(2010, 8, d) for d in (3, 17, 24)]
    sdk.write(StudyDay, [{"region_id": village, "held_on": d, "topic": "学习党章", "attendees": 2} for d in days], today=TODAY)
    found = problems(sdk, "commitments.study_days_monthly")
    assert [(p.value, "少于" in p.message_zh) for p in found] == [("2010-05", True), ("2010-08", False)]  # none, and four in August
    # compliance: 11 complete months with at least one study day of 12 (一村 only: 二村 has no study record yet)
    values = sdk.indicator_values("一村", "2010", keys=["commitments.study_compliance"], as_of=TODAY)
    assert values["commitments.study_compliance"] == 11 / 12
    with sdk.transaction() as s:
        config.set_value(s, "commitments.study_days_min", 2, sdk.region("一村"))
    values = sdk.indicator_values("一村", "2010", keys=["commitments.study_compliance"], as_of=TODAY)
    assert values["commitments.study_compliance"] == 1 / 12
