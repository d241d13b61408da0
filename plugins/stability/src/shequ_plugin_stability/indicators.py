"""Indicators of the stability association, in portable SQL.

Mediation figures follow the 司法行政 statistics form (DOMAIN.md §6.4): 受理数 (cases
accepted), 调解成功数 and 调解成功率 = 调解成功数 ÷ 受理数, and 协议涉及金额. Cases are
counted in the period of their registration date (受理日期), with the outcome recorded by the
as-of day; 不予受理 cases are not accepted and are left out.
"""

from __future__ import annotations

from sqlalchemy import exists, select

from shequ_sdk import Indicator, Region, config

from .models import CONCLUDED_STATUS, FollowUpVisit, MediationCase, Patrol
from .settings import MEDIATION_DAYS, due_date

M = MediationCase


def _accepted(q):
    return (M.status != "rejected", M.registered_on <= q.last_day)


def mediation_cases(q):
    return q.count(M, *_accepted(q), date=M.registered_on)


def mediation_success(q):
    return q.count(M, M.status == "success", M.registered_on <= q.last_day, date=M.registered_on)


def agreement_amount(q):
    return q.sum(M, M.amount_fen, M.status == "success", M.registered_on <= q.last_day, date=M.registered_on)


def followed_up(q):
    visited = exists().where(FollowUpVisit.case_id == M.id, FollowUpVisit.visit_date <= q.as_of)
    return q.count(M, M.status == "success", M.registered_on <= q.as_of, visited, date=M.registered_on)


def _closed(q):
    return (M.status.in_(CONCLUDED_STATUS), M.closed_on <= q.last_day)


def closed_cases(q):
    return q.count(M, *_closed(q), date=M.closed_on)


def closed_on_time(q):
    """Cases concluded in the period by their due date: the stored one (entered, or extended by
    agreement), else 受理日期 + the township's mediation days as the Setting says now. Worked out
    in Python because the days are a Setting per township; reads never write, so the default
    date is never stored."""
    def compute():
        rows = q.session.execute(select(M.region_id, M.registered_on, M.closed_on, M.due_on).where(
            q.in_scope(M.region_id), *_closed(q), q.in_period(M.closed_on))).all()
        need = {r.region_id for r in rows if r.due_on is None}
        regions = list(q.session.execute(select(Region).where(Region.id.in_(need))).scalars()) if need else []
        days = config.resolve_for(q.session, MEDIATION_DAYS, regions) if regions else {}
        on_time: dict[int, int] = {}
        for rid, registered, closed, due in rows:
            if closed <= (due or due_date(registered, days[rid])):
                on_time[rid] = on_time.get(rid, 0) + 1
        return on_time
    return q.per_region(q.memo("stability.closed_on_time", compute))


def patrols(q):
    return q.count(Patrol, Patrol.patrol_date <= q.last_day, date=Patrol.patrol_date)


def patrol_person_hours(q):
    return q.sum(Patrol, Patrol.participants * Patrol.hours, Patrol.patrol_date <= q.last_day, date=Patrol.patrol_date)


def patrol_issues(q):
    return q.sum(Patrol, Patrol.issues_found, Patrol.patrol_date <= q.last_day, date=Patrol.patrol_date)


INDICATORS = (
    Indicator(
        key="stability.mediation_cases", label_zh="受理调解案件", label_en="Mediation cases accepted", unit_zh="件", unit_en="cases",
        numerator=mediation_cases, headline=True,
        description_zh="本期受理的人民调解案件（不含不予受理）", description_en="People's mediation cases registered in the period, not counting those refused",
    ),
    Indicator(
        key="stability.mediation_success_rate", label_zh="调解成功率", label_en="Mediation success rate", unit_zh="%", unit_en="%",
        numerator=mediation_success, denominator=mediation_cases, value_type="ratio", headline=True,
        description_zh="调解成功数 ÷ 受理数：本期受理的案件中至今调解成功的比例（司法行政统计口径）",
        description_en="Cases settled ÷ cases accepted: of the cases registered in the period, the share settled by the as-of day",
    ),
    Indicator(
        key="stability.agreement_amount", label_zh="协议涉及金额", label_en="Amount in agreements", unit_zh="元", unit_en="yuan",
        numerator=agreement_amount, value_type="money",
        description_zh="本期受理并调解成功的案件协议涉及金额", description_en="Amounts in the agreements of cases registered in the period and settled",
    ),
    Indicator(
        key="stability.follow_up_rate", label_zh="回访率", label_en="Follow-up rate", unit_zh="%", unit_en="%",
        numerator=followed_up, denominator=mediation_success, value_type="ratio",
        description_zh="调解成功的案件中已回访协议履行情况的比例", description_en="Share of settled cases whose agreement has had a follow-up visit",
    ),
    Indicator(
        key="stability.closed_on_time_rate", label_zh="按期结案率", label_en="Closed on time", unit_zh="%", unit_en="%",
        numerator=closed_on_time, denominator=closed_cases, value_type="ratio", reads=(M, Region, "setting"),
        description_zh="本期结案（调解成功或不成）的案件中在调解期限内结案的比例；未填期限的按受理日期加调解期限（默认 30 天）计",
        description_en="Of the cases concluded in the period, the share closed by their due date (registration + the mediation days, default 30, when none is stored)",
    ),
    Indicator(
        key="stability.patrols", label_zh="治安巡逻", label_en="Security patrols", unit_zh="次", unit_en="patrols",
        numerator=patrols, headline=True,
    ),
    Indicator(
        key="stability.patrol_person_hours", label_zh="巡逻人时", label_en="Patrol person-hours", unit_zh="人·小时", unit_en="person-hours",
        numerator=patrol_person_hours, value_type="number",
    ),
    Indicator(
        key="stability.patrol_issues", label_zh="巡逻发现隐患", label_en="Issues found on patrol", unit_zh="处", unit_en="issues",
        numerator=patrol_issues,
    ),
)
