"""Validation rules of the commitments plugin.

Row rules look rows up through ``ctx.memo`` (one query per lookup table and batch) and read
settings through the overrides once per batch. They run on writes (``row.id`` unset) and in
``shequ check`` over the stored rows.
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal
from typing import Iterable

from sqlalchemy import func, select

from shequ_sdk import Problem, Region, Rule, config

from . import settings as S
from .models import (
    NOT_KEPT, UPHELD, CadreAssessment, Commitment, CommitmentComplaint, CommitmentFeedback, CommitmentMember, CommitmentReview,
    StudyDay,
)

CLOSED = ("kept", "partly", "unkept", "withdrawn")


# -- lookups ------------------------------------------------------------------------------------

def setting(ctx, key: str, region_id: int):
    """A setting for a region, the overrides read once per batch."""
    return ctx.setting(key, region_id)


def members(ctx) -> dict:
    return ctx.memo("commitments.members", lambda: {r.id: r for r in ctx.session.execute(
        select(CommitmentMember.id, CommitmentMember.region_id, CommitmentMember.name, CommitmentMember.is_party_member,
               CommitmentMember.is_cadre))})


def commitments(ctx) -> dict:
    return ctx.memo("commitments.commitments", lambda: {r.id: r for r in ctx.session.execute(
        select(Commitment.id, Commitment.region_id, Commitment.member_id, Commitment.year, Commitment.status,
               Commitment.content))})


def _not_kept(ctx) -> dict:
    """``{(member_id, year): n}`` of commitments judged 部分兑现 or 未兑现."""
    return ctx.memo("commitments.not_kept", lambda: {(m, y): n for m, y, n in ctx.session.execute(
        select(Commitment.member_id, Commitment.year, func.count()).where(Commitment.status.in_(NOT_KEPT))
        .group_by(Commitment.member_id, Commitment.year))})


def _upheld(ctx) -> dict:
    """``{(member_id, year): n}`` of complaints found 属实 or 部分属实."""
    def load():
        out: dict = {}
        for m, received in ctx.session.execute(select(CommitmentComplaint.member_id, CommitmentComplaint.received_on)
                                               .where(CommitmentComplaint.member_id.is_not(None), CommitmentComplaint.outcome.in_(UPHELD))):
            out[(m, received.year)] = out.get((m, received.year), 0) + 1
        return out
    return ctx.memo("commitments.upheld", load)


def _region_name(ctx, rid) -> str:
    r = ctx.region(rid)
    return r.name if r else str(rid)


def _link(row, ctx, field: str, table: dict, what_zh: str, what_en: str) -> Iterable[Problem]:
    ref = getattr(row, field)
    if ref is None:
        return
    found = table.get(ref)
    if found is None:
        yield Problem(f"{what_zh}不存在", f"no such {what_en}", field=field, value=ref)
    elif found.region_id != row.region_id:
        yield Problem(f"{what_zh}属于{_region_name(ctx, found.region_id)}，与本条记录的村（社区）{_region_name(ctx, row.region_id)}不一致",
                      f"the {what_en} belongs to {_region_name(ctx, found.region_id)}, not to this row's village",
                      field=field, value=ref)


def _not_future(row, name: str, ctx, label_zh: str, label_en: str) -> Iterable[Problem]:
    value = getattr(row, name)
    if value is not None and value > ctx.today:
        yield Problem(f"{label_zh}不能晚于今天（{ctx.today}）", f"{label_en} cannot be later than today ({ctx.today})", field=name, value=value)


def _after(row, first: str, second: str, zh: str, en: str) -> Iterable[Problem]:
    a, b = getattr(row, first), getattr(row, second)
    if a is not None and b is not None and b < a:
        yield Problem(f"{zh}（{a}）", f"{en} ({a})", field=second, value=b)


# -- members and commitments ---------------------------------------------------------------------

def member_consistent(row: CommitmentMember, ctx) -> Iterable[Problem]:
    if not row.is_party_member and not row.is_cadre:
        yield Problem("承诺人应为党员或村（居）干部", "a member must be a Party member or a village cadre", field="is_party_member", value=False)
    yield from _after(row, "since", "until", "终止日期应晚于起始日期", "until must come after since")


def commitment_consistent(row: Commitment, ctx) -> Iterable[Problem]:
    yield from _link(row, ctx, "member_id", members(ctx), "承诺人", "member")
    if row.target_kind == "quantity":
        if row.target_number is None or row.target_number <= 0:
            yield Problem("量化承诺须填写大于 0 的目标数量", "a quantified commitment needs a target above 0", field="target_number", value=row.target_number)
        if not (row.target_unit or "").strip():
            yield Problem("量化承诺须填写单位（如 户、次）", "a quantified commitment needs a unit", field="target_unit", value=row.target_unit)
    elif row.target_number is not None:
        yield Problem("完成事项类承诺不填目标数量", "a yes/no deliverable has no target number", field="target_number", value=row.target_number)
    if row.due_date.year < row.year:
        yield Problem(f"兑现期限不能早于承诺年度 {row.year}", f"the due date cannot fall before the commitment's year {row.year}",
                      field="due_date", value=row.due_date)
    if row.status in CLOSED and row.closed_on is None:
        yield Problem("已评定或撤回的承诺须填写评定/撤回日期", "a judged or withdrawn commitment needs its closing date", field="closed_on", value=None)
    if row.status == "ongoing" and row.closed_on is not None:
        yield Problem("进行中的承诺不填评定日期", "a commitment in progress has no closing date", field="closed_on", value=row.closed_on)
    if row.status == "kept" and row.target_kind == "quantity" and row.achieved_number is not None and row.target_number \
            and row.achieved_number < row.target_number:
        yield Problem(f"完成数量 {row.achieved_number:g} 未达目标 {row.target_number:g}，应为部分兑现或未兑现",
                      f"achieved {row.achieved_number:g} is below the target {row.target_number:g}: partly kept or not kept",
                      field="status", value=row.status)
    yield from _not_future(row, "posted_on", ctx, "公开日期", "posting date")
    yield from _not_future(row, "closed_on", ctx, "评定/撤回日期", "closing date")
    yield from _after(row, "posted_on", "closed_on", "评定/撤回日期不能早于公开日期", "the closing date cannot precede the posting date")


def withdrawal_reason(row: Commitment, ctx) -> Iterable[Problem]:
    if row.status == "withdrawn" and not (row.withdrawal_reason or "").strip():
        yield Problem("撤回承诺须写明撤回原因", "a withdrawn commitment needs the reason", field="withdrawal_reason", value=row.withdrawal_reason)
    if row.status != "withdrawn" and row.withdrawal_reason:
        yield Problem("只有已撤回的承诺填写撤回原因", "only a withdrawn commitment has a withdrawal reason", field="withdrawal_reason",
                      value=row.withdrawal_reason)


def overdue(row: Commitment, ctx) -> Iterable[Problem]:
    if row.status == "ongoing" and row.due_date < ctx.today:
        yield Problem(f"承诺已逾期：兑现期限 {row.due_date} 已过，仍为进行中（应评定兑现情况或说明原因撤回）",
                      f"overdue: due {row.due_date} and still in progress (judge it, or withdraw it with a reason)",
                      field="due_date", value=row.due_date)


def feedback_consistent(row: CommitmentFeedback, ctx) -> Iterable[Problem]:
    found = commitments(ctx).get(row.commitment_id)
    yield from _link(row, ctx, "commitment_id", commitments(ctx), "承诺事项", "commitments_pledge")
    yield from _not_future(row, "feedback_date", ctx, "反馈日期", "feedback date")
    if found is not None and row.feedback_date.year < found.year:
        yield Problem(f"反馈日期早于承诺年度 {found.year}", f"the feedback predates the commitment's year {found.year}",
                      field="feedback_date", value=row.feedback_date)


# -- complaints -----------------------------------------------------------------------------

def complaint_consistent(row: CommitmentComplaint, ctx) -> Iterable[Problem]:
    yield from _link(row, ctx, "member_id", members(ctx), "涉及的党员/干部", "member")
    yield from _link(row, ctx, "commitment_id", commitments(ctx), "涉及的承诺事项", "commitments_pledge")
    found = commitments(ctx).get(row.commitment_id) if row.commitment_id else None
    if found is not None and row.member_id is not None and found.member_id != row.member_id:
        yield Problem("涉及的承诺事项不是该党员/干部的承诺", "the commitment concerned is not this member's", field="commitment_id", value=row.commitment_id)
    yield from _not_future(row, "received_on", ctx, "收到日期", "receipt date")
    yield from _not_future(row, "replied_on", ctx, "答复日期", "reply date")
    yield from _after(row, "received_on", "replied_on", "答复日期不能早于收到日期", "the reply cannot precede receipt")
    if row.replied_on is not None and not (row.reply or "").strip():
        yield Problem("已答复的须填写答复内容", "a replied entry needs the reply", field="reply", value=row.reply)
    if row.replied_on is None and row.outcome is not None:
        yield Problem("未答复的不能填写核实结果", "an entry not yet replied has no outcome", field="outcome", value=row.outcome)
    if row.kind == "comment" and row.outcome in UPHELD + ("unfounded",):
        yield Problem("意见建议的结果应为“建议采纳”或“已解释说明”", "a comment ends as adopted or explained", field="outcome", value=row.outcome)


def reply_deadline(row: CommitmentComplaint, ctx) -> Iterable[Problem]:
    days = int(setting(ctx, S.REPLY_DAYS, row.region_id))
    due = S.reply_due(row.received_on, days)
    if row.replied_on is None and due < ctx.today:
        yield Problem(f"超过答复期限：{row.received_on} 收到，应于 {due} 前答复（{days} 天）",
                      f"reply overdue: received {row.received_on}, due by {due} ({days} days)", field="replied_on", value=None)
    elif row.replied_on is not None and row.replied_on > due:
        yield Problem(f"逾期答复：应于 {due} 前答复（{days} 天）", f"replied late: due by {due} ({days} days)",
                      field="replied_on", value=row.replied_on)


# -- reviews and assessments ----------------------------------------------------------------------

def _override(row) -> bool:
    return bool((row.override_reason or "").strip()) and bool((row.override_by or "").strip())


def _graded(row, ctx, score: Decimal, bands_key: str, grades: tuple[str, ...], labels: dict) -> Iterable[Problem]:
    if row.score is not None and abs(Decimal(str(row.score)) - score) > Decimal("0.05"):
        yield Problem(f"综合得分应为 {score}（按权重计算），不是 {row.score}", f"the overall score is {score} by the weights, not {row.score}",
                      field="score", value=row.score)
    b = S.bands(bands_key, setting(ctx, bands_key, row.region_id), grades)
    expected = S.grade_for(score, b, grades[-1])
    if row.grade != expected and not _override(row):
        yield Problem(f"综合得分 {score} 对应等次为“{labels[expected][0]}”，评为“{labels.get(row.grade, (row.grade,))[0]}”须由乡镇填写调整理由和批准人",
                      f"an overall score of {score} means {labels[expected][1]}; grading it {row.grade} needs a township override with a reason",
                      field="grade", value=row.grade)


def _cap(row, ctx, *, complaints: bool) -> Iterable[Problem]:
    if row.grade != "excellent" or _override(row):
        return
    n = _not_kept(ctx).get((row.member_id, row.year), 0)
    if n:
        yield Problem(f"该党员 {row.year} 年有 {n} 项承诺未兑现或部分兑现，不能评为优秀（乡镇确需调整的，填写调整理由和批准人）",
                      f"the member has {n} commitment(s) not or partly kept in {row.year}: not 优秀 without a township override and reason",
                      field="grade", value=row.grade)
    if complaints:
        m = _upheld(ctx).get((row.member_id, row.year), 0)
        if m:
            yield Problem(f"该干部 {row.year} 年有 {m} 件投诉经核实属实，不能评为优秀（乡镇确需调整的，填写调整理由和批准人）",
                          f"the cadre has {m} upheld complaint(s) in {row.year}: not 优秀 without a township override and reason",
                          field="grade", value=row.grade)


def review_consistent(row: CommitmentReview, ctx) -> Iterable[Problem]:
    from .models import REVIEW_GRADES

    yield from _link(row, ctx, "member_id", members(ctx), "党员", "member")
    m = members(ctx).get(row.member_id)
    if m is not None and not m.is_party_member:
        yield Problem("三评的对象是党员", "the three-way review is of Party members", field="member_id", value=row.member_id)
    cycle = setting(ctx, S.REVIEW_CYCLE, row.region_id)
    if cycle not in S.CYCLES:
        raise S.bad_setting(S.REVIEW_CYCLE, cycle, "应为 half_year 或 year", "must be half_year or year")
    if cycle == "half_year" and row.half is None:
        yield Problem("本乡镇每半年评议一次：请填写半年（1 上半年，2 下半年）", "reviews are half-yearly here: give the half (1 or 2)", field="half", value=None)
    if cycle == "year" and row.half is not None:
        yield Problem("本乡镇按年度评议：半年留空", "reviews are yearly here: leave the half empty", field="half", value=row.half)
    w = S.weights(S.REVIEW_WEIGHTS, setting(ctx, S.REVIEW_WEIGHTS, row.region_id), S.REVIEW_PARTS)
    yield from _graded(row, ctx, S.review_score(row, w), S.REVIEW_BANDS, tuple(REVIEW_GRADES), REVIEW_GRADES)
    yield from _not_future(row, "reviewed_on", ctx, "评议日期", "review date")


def review_cap(row: CommitmentReview, ctx) -> Iterable[Problem]:
    yield from _cap(row, ctx, complaints=False)


def cadre_consistent(row: CadreAssessment, ctx) -> Iterable[Problem]:
    from .models import CADRE_GRADES

    yield from _link(row, ctx, "member_id", members(ctx), "干部", "cadre")
    m = members(ctx).get(row.member_id)
    if m is not None and not m.is_cadre:
        yield Problem("德能勤绩廉考核的对象是村（居）干部", "the assessment is of village cadres", field="member_id", value=row.member_id)
    w = S.weights(S.CADRE_WEIGHTS, setting(ctx, S.CADRE_WEIGHTS, row.region_id), S.CADRE_PARTS)
    yield from _graded(row, ctx, S.cadre_score(row, w), S.CADRE_BANDS, tuple(CADRE_GRADES), CADRE_GRADES)
    yield from _not_future(row, "assessed_on", ctx, "考核日期", "assessment date")


def cadre_cap(row: CadreAssessment, ctx) -> Iterable[Problem]:
    yield from _cap(row, ctx, complaints=True)


# -- study days -------------------------------------------------------------------------------

def study_day_consistent(row: StudyDay, ctx) -> Iterable[Problem]:
    yield from _not_future(row, "held_on", ctx, "学习日期", "study date")


def month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def study_months(session, region_ids=None, *, first: dt.date | None = None, last: dt.date,
                 last_by_region: dict | None = None) -> dict[int, dict[tuple[int, int], int]]:
    """``{village: {(year, month): study days held}}`` for every village with a Party member on the
    roster, over the complete months from the roster's start (or ``first``) to ``last`` (or the
    village's own ``last_by_region``)."""
    stmt = select(CommitmentMember.region_id, func.min(CommitmentMember.since)) \
        .where(CommitmentMember.is_party_member.is_(True)).group_by(CommitmentMember.region_id)
    if region_ids is not None:
        stmt = stmt.where(CommitmentMember.region_id.in_(region_ids))
    starts = dict(session.execute(stmt).all())
    held: dict[int, dict] = {}
    q = select(StudyDay.region_id, StudyDay.held_on).where(StudyDay.region_id.in_(list(starts) or [-1]), StudyDay.held_on <= last)
    if first is not None:
        q = q.where(StudyDay.held_on >= first)
    for rid, day in session.execute(q):
        months = held.setdefault(rid, {})
        months[(day.year, day.month)] = months.get((day.year, day.month), 0) + 1
    out = {}
    for rid, since in starts.items():
        days = held.get(rid, {})
        earliest = min((dt.date(y, m, 1) for y, m in days), default=None)
        if first is None:
            begin = since or earliest
        else:
            begin = max(first, since) if since else first
        if begin is None:
            continue
        stop = min(last, (last_by_region or {}).get(rid, last))
        months = {}
        y, m = begin.year, begin.month
        while month_end(y, m) <= stop:
            months[(y, m)] = days.get((y, m), 0)
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        out[rid] = months
    return out


def _last_active(session) -> dict[int, dt.date]:
    """How far each village's records of this plugin reach: the end of its last commitment year, or
    of the month of its last study day, whichever is later. ``shequ check`` looks for missed study
    days up to there, not into months nobody has entered yet."""
    out: dict[int, dt.date] = {}
    for rid, year in session.execute(select(Commitment.region_id, func.max(Commitment.year)).group_by(Commitment.region_id)):
        out[rid] = dt.date(year, 12, 31)
    for rid, day in session.execute(select(StudyDay.region_id, func.max(StudyDay.held_on)).group_by(StudyDay.region_id)):
        out[rid] = max(out.get(rid, day), month_end(day.year, day.month))
    return out


def study_days_missed(session) -> Iterable[Problem]:
    """Months with fewer study days than the minimum, or more than the maximum, per village."""
    per_village = study_months(session, last=dt.date.today(), last_by_region=_last_active(session))
    regions = list(session.execute(select(Region).where(Region.id.in_(list(per_village) or [-1]))).scalars())
    lo = config.resolve_for(session, S.STUDY_MIN, regions)
    hi = config.resolve_for(session, S.STUDY_MAX, regions)
    names = {r.id: r.name for r in regions}
    for rid, months in per_village.items():
        for (y, m), n in sorted(months.items()):
            if n < int(lo[rid]):
                yield Problem(f"{names[rid]} {y} 年 {m} 月只有 {n} 个学习日，少于每月 {lo[rid]} 个", f"{names[rid]} held {n} study day(s) in "
                              f"{y}-{m:02d}, fewer than {lo[rid]} a month", table="commitments_study_day", field="held_on", value=f"{y}-{m:02d}")
            elif n > int(hi[rid]):
                yield Problem(f"{names[rid]} {y} 年 {m} 月登记了 {n} 个学习日，多于每月 {hi[rid]} 个，请核对是否重复登记",
                              f"{names[rid]} recorded {n} study days in {y}-{m:02d}, more than {hi[rid]} a month: check for double entries",
                              table="commitments_study_day", field="held_on", value=f"{y}-{m:02d}")


def all_rules() -> list[Rule]:
    return [
        Rule(key="commitments.member_consistent", label_zh="承诺人为党员或干部", label_en="Member is a Party member or cadre",
             table="commitments_member", check_row=member_consistent),
        Rule(key="commitments.commitment_consistent", label_zh="承诺事项填写完整", label_en="Commitment is complete and consistent",
             table="commitments_pledge", check_row=commitment_consistent),
        Rule(key="commitments.withdrawal_reason", label_zh="撤回须写明原因", label_en="Withdrawal needs a reason",
             table="commitments_pledge", check_row=withdrawal_reason),
        Rule(key="commitments.overdue", label_zh="承诺逾期未评定", label_en="Overdue commitment", table="commitments_pledge",
             check_row=overdue, severity="warning"),
        Rule(key="commitments.feedback_consistent", label_zh="跟踪反馈对应承诺事项", label_en="Feedback belongs to a commitment",
             table="commitments_feedback", check_row=feedback_consistent),
        Rule(key="commitments.complaint_consistent", label_zh="投诉意见填写完整", label_en="Complaint is complete and consistent",
             table="commitments_complaint", check_row=complaint_consistent),
        Rule(key="commitments.reply_deadline", label_zh="投诉意见按期答复", label_en="Reply within the deadline",
             table="commitments_complaint", check_row=reply_deadline, severity="warning"),
        Rule(key="commitments.review_weighting", label_zh="三评按权重和分数线定等次", label_en="Review grade follows weights and bands",
             table="commitments_review", check_row=review_consistent),
        Rule(key="commitments.review_excellent_cap", label_zh="承诺未兑现不得评优秀", label_en="No excellent grade with an unkept commitment",
             table="commitments_review", check_row=review_cap),
        Rule(key="commitments.cadre_weighting", label_zh="德能勤绩廉按权重和分数线定等次", label_en="Cadre grade follows weights and bands",
             table="commitments_cadre_assessment", check_row=cadre_consistent),
        Rule(key="commitments.cadre_excellent_cap", label_zh="承诺未兑现或投诉属实不得评优秀", label_en="No excellent grade with an unkept commitment or upheld complaint",
             table="commitments_cadre_assessment", check_row=cadre_cap),
        Rule(key="commitments.study_day_consistent", label_zh="学习日不晚于今天", label_en="Study day not in the future",
             table="commitments_study_day", check_row=study_day_consistent),
        Rule(key="commitments.study_days_monthly", label_zh="每月学习日", label_en="Monthly study days", check_db=study_days_missed,
             severity="warning"),
    ]
