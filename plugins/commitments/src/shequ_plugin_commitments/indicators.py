"""Indicators of the commitments plugin.

Each returns one row per village (``region_id``, ``value``); the SDK sums numerators and
denominators over the area and divides, so a township's kept rate is Σ kept ÷ Σ due over its
villages. Two rates depend on township settings (the reply deadline, the study days a month):
their per-village counts are worked out once per computation in Python (``q.memo``) and
handed to SQL as a CASE over the region ids.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, select

from shequ_sdk import Indicator, Region, config

from . import settings as S
from .models import UPHELD, CadreAssessment, Commitment, CommitmentComplaint, CommitmentMember, CommitmentReview, StudyDay
from .rules import month_end, study_months

YEAR = ("year",)
C, Q, R = Commitment, CommitmentComplaint, CommitmentReview


def made(q):
    return q.count(C, C.year == q.period.year)


def _due(q):
    last = min(q.end, q.as_of)
    return (C.due_date >= q.start, C.due_date <= last, C.status != "withdrawn")


def due(q):
    return q.count(C, *_due(q))


def kept(q):
    return q.count(C, *_due(q), C.status == "kept")


def overdue(q):
    return q.count(C, C.due_date >= q.start, C.due_date <= q.end, C.due_date < q.as_of, C.status == "ongoing")


def withdrawn(q):
    return q.count(C, C.year == q.period.year, C.status == "withdrawn")


def complaints(q):
    return q.count(Q, Q.received_on <= q.last_day, date=Q.received_on)


def upheld(q):
    return q.count(Q, Q.received_on <= q.last_day, Q.outcome.in_(UPHELD), date=Q.received_on)


def _replies(q) -> tuple[dict[int, int], dict[int, int]]:
    """``({village: replied on time}, {village: replies due})`` for the complaints received in the period:
    a complaint counts once its deadline has passed or it was answered (by the as-of day)."""
    def compute():
        rows = q.session.execute(select(Q.region_id, Q.received_on, Q.replied_on).where(
            q.in_scope(Q.region_id), q.in_period(Q.received_on), Q.received_on <= q.as_of)).all()
        regions = list(q.session.execute(select(Region).where(Region.id.in_({r.region_id for r in rows} or {-1}))).scalars())
        days = config.resolve_for(q.session, S.REPLY_DAYS, regions)
        on_time: dict[int, int] = {}
        counted: dict[int, int] = {}
        for rid, received, replied in rows:
            deadline = S.reply_due(received, days[rid])
            replied = replied if replied is not None and replied <= q.as_of else None
            if replied is None and deadline >= q.as_of:
                continue  # still within its deadline: neither on time nor late yet
            counted[rid] = counted.get(rid, 0) + 1
            if replied is not None and replied <= deadline:
                on_time[rid] = on_time.get(rid, 0) + 1
        return on_time, counted
    return q.memo("commitments.replies", compute)


def replied_on_time(q):
    return q.per_region(_replies(q)[0])


def replies_due(q):
    return q.per_region(_replies(q)[1])


def reviews(q):
    return q.count(R, R.year == q.period.year)


def _graded(grade):
    def numerator(q):
        return q.count(R, R.year == q.period.year, R.grade == grade)
    return numerator


def _roster_active(q):
    day = min(q.end, q.as_of)
    return and_(CommitmentMember.is_party_member.is_(True), q.active_on(CommitmentMember.since, CommitmentMember.until, day))


def party_members(q):
    return q.count(CommitmentMember, _roster_active(q))


def members_reviewed(q):
    reviewed = select(R.member_id).where(R.year == q.period.year)
    return q.count(CommitmentMember, _roster_active(q), CommitmentMember.id.in_(reviewed))


def cadres_assessed(q):
    return q.count(CadreAssessment, CadreAssessment.year == q.period.year)


def cadres_excellent(q):
    return q.count(CadreAssessment, CadreAssessment.year == q.period.year, CadreAssessment.grade == "excellent")


def _study(q) -> tuple[dict[int, int], dict[int, int]]:
    """``({village: months with enough study days}, {village: complete months due})`` within the period."""
    def compute():
        last = min(q.end, q.as_of)
        if month_end(last.year, last.month) > last:  # the month in progress is not yet due
            last = dt.date(last.year, last.month, 1) - dt.timedelta(days=1)
        ids = [rid for (rid,) in q.session.execute(select(CommitmentMember.region_id).where(
            q.in_scope(CommitmentMember.region_id), CommitmentMember.is_party_member.is_(True)).distinct())]
        if not ids or last < q.start:
            return {}, {}
        # a village is due from the month its roster starts (the earliest ``since``, else the period's start)
        per_village = study_months(q.session, ids, first=q.start, last=last)
        regions = list(q.session.execute(select(Region).where(Region.id.in_(list(per_village) or [-1]))).scalars())
        lo = config.resolve_for(q.session, S.STUDY_MIN, regions)
        good = {rid: sum(1 for n in months.values() if n >= int(lo[rid])) for rid, months in per_village.items()}
        months_due = {rid: len(months) for rid, months in per_village.items() if months}
        return {rid: n for rid, n in good.items() if n}, months_due
    return q.memo("commitments.study", compute)


def study_months_kept(q):
    return q.per_region(_study(q)[0])


def study_months_due(q):
    return q.per_region(_study(q)[1])


def all_indicators() -> list[Indicator]:
    return [
        Indicator(key="commitments.made", label_zh="党员承诺事项", label_en="Commitments made", unit_zh="项", unit_en="",
                  numerator=made, period_kinds=YEAR, headline=True,
                  description_zh="本年度公开的承诺事项（含已撤回）", description_en="Commitments made for the year (withdrawn ones included)"),
        Indicator(key="commitments.due", label_zh="到期承诺事项", label_en="Commitments due", unit_zh="项", unit_en="",
                  numerator=due, description_zh="兑现期限在本期且已到期的承诺（不含撤回）",
                  description_en="Commitments whose due date falls in the period and has passed (withdrawn ones excluded)"),
        Indicator(key="commitments.kept", label_zh="已兑现承诺", label_en="Commitments kept", unit_zh="项", unit_en="", numerator=kept),
        Indicator(key="commitments.kept_rate", label_zh="承诺兑现率", label_en="Commitments kept rate", unit_zh="%", unit_en="%",
                  numerator=kept, denominator=due, value_type="ratio", headline=True,
                  description_zh="已兑现 ÷ 到期承诺（兑现期限在本期且已到期，不含撤回）",
                  description_en="Kept ÷ commitments due in the period (withdrawn ones excluded)"),
        Indicator(key="commitments.overdue", label_zh="逾期未评定承诺", label_en="Overdue commitments", unit_zh="项", unit_en="",
                  numerator=overdue, description_zh="兑现期限在本期、已过期仍为进行中的承诺",
                  description_en="Commitments due in the period, past due and still in progress"),
        Indicator(key="commitments.withdrawn", label_zh="撤回承诺", label_en="Commitments withdrawn", unit_zh="项", unit_en="",
                  numerator=withdrawn, period_kinds=YEAR),
        Indicator(key="commitments.complaints", label_zh="收到投诉意见", label_en="Complaints and comments received", unit_zh="件", unit_en="",
                  numerator=complaints, headline=True),
        Indicator(key="commitments.complaints_upheld", label_zh="投诉属实", label_en="Complaints upheld", unit_zh="件", unit_en="",
                  numerator=upheld, description_zh="核实结果为属实或部分属实", description_en="Found upheld or partly upheld"),
        Indicator(key="commitments.replied_on_time_rate", label_zh="按期答复率", label_en="Replied on time", unit_zh="%", unit_en="%",
                  numerator=replied_on_time, denominator=replies_due, value_type="ratio", reads=(Q, Region, "setting"),
                  description_zh="本期收到的投诉意见中按期答复的比例（答复期限为乡镇设置，默认 15 天；未到期未答复的不计）",
                  description_en="Of the entries received in the period, the share answered within the township's deadline (15 days by default); "
                                 "those still within their deadline are not counted"),
        Indicator(key="commitments.reviews", label_zh="三评人次", label_en="Three-way reviews", unit_zh="人次", unit_en="",
                  numerator=reviews, period_kinds=YEAR),
        Indicator(key="commitments.excellent_share", label_zh="三评优秀比例", label_en="Share graded excellent", unit_zh="%", unit_en="%",
                  numerator=_graded("excellent"), denominator=reviews, value_type="ratio", period_kinds=YEAR),
        Indicator(key="commitments.unqualified_share", label_zh="三评不合格比例", label_en="Share graded unqualified", unit_zh="%", unit_en="%",
                  numerator=_graded("unqualified"), denominator=reviews, value_type="ratio", period_kinds=YEAR),
        Indicator(key="commitments.party_members", label_zh="在册党员（承诺人）", label_en="Party members on the roster", unit_zh="人", unit_en="",
                  numerator=party_members),
        Indicator(key="commitments.review_coverage", label_zh="三评覆盖率", label_en="Review coverage", unit_zh="%", unit_en="%",
                  numerator=members_reviewed, denominator=party_members, value_type="ratio", period_kinds=YEAR,
                  description_zh="年内参加三评的在册党员 ÷ 年末在册党员", description_en="Party members reviewed in the year ÷ members on the roster"),
        Indicator(key="commitments.cadres_assessed", label_zh="德能勤绩廉考核人数", label_en="Cadres assessed", unit_zh="人", unit_en="",
                  numerator=cadres_assessed, period_kinds=YEAR),
        Indicator(key="commitments.cadre_excellent_share", label_zh="干部考核优秀比例", label_en="Cadres graded excellent", unit_zh="%", unit_en="%",
                  numerator=cadres_excellent, denominator=cadres_assessed, value_type="ratio", period_kinds=YEAR),
        Indicator(key="commitments.study_compliance", label_zh="学习日达标率", label_en="Study-day compliance", unit_zh="%", unit_en="%",
                  numerator=study_months_kept, denominator=study_months_due, value_type="ratio",
                  reads=(CommitmentMember, StudyDay, Region, "setting"),
                  description_zh="有党员的村（社区）中，学习日不少于每月下限（默认 1 天）的月份 ÷ 已结束的月份",
                  description_en="Complete months with at least the minimum study days (1 by default) ÷ complete months, over villages with Party members"),
    ]
