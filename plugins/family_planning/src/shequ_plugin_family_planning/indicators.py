"""Indicators of the family planning association, in portable SQL.

The schedule rates compare each special family's logged contacts with the contact schedule
(Settings, per township) pro-rated to the whole calendar months the family was on the
register during the period:

    due(family) = ⌊ rate × M × k / 12 ⌋

where M is the number of whole months of the period (ended by the as-of day) in which the
family was on the register, and k converts the Setting's unit to a year (1 for a per-year
value, 12 per month, 52 per week). A family is *on schedule* when its contacts of the
counted kinds dated in the period are ≥ due. Families with due = 0 (on the register for too
short a part of the period) are left out of both numerator and denominator, so the
numerator and denominator sum over villages and the township or county rate is recomputed.
"""

from __future__ import annotations

from sqlalchemy import and_, case, func, literal, or_, select

import shequ_sdk
from shequ_sdk import Indicator, Region, config

from .models import FACE_TO_FACE_KINDS, HOME_VISIT_KINDS, FamilyContact, FamilyService, SpecialFamily

PER_YEAR, PER_MONTH, PER_WEEK = 1, 12, 52


def setting_expr(session, key: str):
    """The Setting ``key`` as a SQL expression over ``region`` rows: region → township → county → default."""
    found = config.overrides(session, key)
    default = found.pop(None, shequ_sdk.registry().settings[key].default)
    if not found:
        return literal(default)
    by_value: dict = {}
    for rid, value in found.items():
        by_value.setdefault(value, []).append(rid)
    whens = []
    # region ids are unique across levels, so each override matches at exactly one level
    for col in (Region.id, Region.township_id, Region.county_id):
        whens += [(col.in_(ids), literal(value)) for value, ids in by_value.items()]
    return case(*whens, else_=literal(default))


def months_on_register(q):
    """Whole months of ``q.period`` (ended by ``q.as_of``) in which a family was on the register."""
    F = SpecialFamily
    terms = []
    for month in q.period.subperiods("month"):
        if month.end > q.as_of:
            break
        on = and_(F.registered_on <= month.start, or_(F.left_on.is_(None), F.left_on > month.end))
        terms.append(case((on, 1), else_=0))
    if not terms:
        return literal(0)
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


def _schedule(q, kinds, setting_key: str, per: int):
    """``(twelfths, contacts, base)`` per family: twelfths = rate × M × k (so due = ⌊twelfths / 12⌋),
    the contacts logged, and the join. Integer arithmetic only — no division, so both backends
    agree: due ≥ 1 ⇔ twelfths ≥ 12, and contacts ≥ due ⇔ twelfths < 12 × (contacts + 1)."""
    F, C = SpecialFamily, FamilyContact
    logged = (
        select(C.family_id.label("family_id"), func.count().label("n"))
        .where(q.in_scope(C.region_id), C.kind.in_(kinds), q.in_period(C.contact_date), C.contact_date <= q.last_day)
        .group_by(C.family_id)
        .subquery()
    )
    twelfths = setting_expr(q.session, setting_key) * months_on_register(q) * per
    contacts = func.coalesce(logged.c.n, 0)
    base = F.__table__.join(Region, Region.id == F.region_id).outerjoin(logged, logged.c.family_id == F.id)
    return twelfths, contacts, base


def schedule_rate(kinds, setting_key: str, per: int):
    def numerator(q):
        twelfths, contacts, base = _schedule(q, kinds, setting_key, per)
        on_schedule = twelfths < (contacts + 1) * 12
        return (
            select(SpecialFamily.region_id.label("region_id"), func.sum(case((on_schedule, 1), else_=0)).label("value"))
            .select_from(base)
            .where(q.in_scope(SpecialFamily.region_id), twelfths >= 12)
            .group_by(SpecialFamily.region_id)
        )

    def denominator(q):
        twelfths, _contacts, base = _schedule(q, kinds, setting_key, per)
        return (
            select(SpecialFamily.region_id.label("region_id"), func.count().label("value"))
            .select_from(base)
            .where(q.in_scope(SpecialFamily.region_id), twelfths >= 12)
            .group_by(SpecialFamily.region_id)
        )

    return numerator, denominator


def _on_register(q):
    F = SpecialFamily
    day = min(q.end, q.as_of)
    return and_(F.registered_on <= day, or_(F.left_on.is_(None), F.left_on > day))


def special_families(q):
    return q.count(SpecialFamily, _on_register(q))


def family_doctor_signed(q):
    F = SpecialFamily
    day = min(q.end, q.as_of)
    signed = and_(F.family_doctor_signed.is_(True), or_(F.family_doctor_signed_on.is_(None), F.family_doctor_signed_on <= day))
    return q.count(F, _on_register(q), signed)


def services(q):
    return q.count(FamilyService, FamilyService.service_date <= q.last_day, date=FamilyService.service_date)


def service_attendees(q):
    return q.sum(FamilyService, FamilyService.attendees, FamilyService.service_date <= q.last_day, date=FamilyService.service_date)


def home_visits(q):
    C = FamilyContact
    return q.count(C, C.kind.in_(HOME_VISIT_KINDS), C.contact_date <= q.last_day, date=C.contact_date)


visits_num, visits_den = schedule_rate(HOME_VISIT_KINDS, "family_planning.home_visits_per_year", PER_YEAR)
f2f_num, f2f_den = schedule_rate(FACE_TO_FACE_KINDS, "family_planning.face_to_face_per_month", PER_MONTH)
contact_num, contact_den = schedule_rate(("phone", *FACE_TO_FACE_KINDS), "family_planning.contacts_per_week", PER_WEEK)

INDICATORS = (
    Indicator(
        key="family_planning.special_families", label_zh="计生特殊家庭", label_en="Special families", unit_zh="户", unit_en="families",
        numerator=special_families, headline=True,
        description_zh="期末在册的独生子女死亡、伤残家庭", description_en="Families whose only child died or is disabled, on the register at the end of the period",
    ),
    Indicator(
        key="family_planning.visits_on_schedule_rate", label_zh="入户走访达标率", label_en="Home visits on schedule",
        unit_zh="%", unit_en="%", numerator=visits_num, denominator=visits_den, value_type="ratio",
        period_kinds=("year", "quarter"), headline=True,
        description_zh="入户走访次数达到应访次数的特殊家庭 ÷ 应走访的特殊家庭。应访次数 = ⌊每年入户次数 × 在册整月数 ÷ 12⌋（默认每年 4 次，即每季度 1 次）；应访次数为 0 的家庭不计入。",
        description_en="Special families whose home visits in the period reach the number due ÷ families with at least one visit due. "
                       "Due = ⌊home visits per year × whole months on the register ÷ 12⌋ (default 4 a year, i.e. one a quarter).",
    ),
    Indicator(
        key="family_planning.face_to_face_on_schedule_rate", label_zh="面对面联系达标率", label_en="Face-to-face contact on schedule",
        unit_zh="%", unit_en="%", numerator=f2f_num, denominator=f2f_den, value_type="ratio",
        description_zh="面访、入户、节日慰问次数不少于 每月面对面次数 × 在册整月数 的特殊家庭 ÷ 在册满一个整月的特殊家庭",
        description_en="Special families met in person (meeting, home or festival visit) at least face-to-face-per-month × whole months on the register ÷ such families",
    ),
    Indicator(
        key="family_planning.contacts_on_schedule_rate", label_zh="每周联系达标率", label_en="Weekly contact on schedule",
        unit_zh="%", unit_en="%", numerator=contact_num, denominator=contact_den, value_type="ratio",
        description_zh="各类联系次数不少于 ⌊每周联系次数 × 52 × 在册整月数 ÷ 12⌋ 的特殊家庭 ÷ 应联系的特殊家庭",
        description_en="Special families contacted (any kind) at least ⌊contacts per week × 52 × whole months on the register ÷ 12⌋ times ÷ families due a contact",
    ),
    Indicator(
        key="family_planning.family_doctor_rate", label_zh="家庭医生签约率", label_en="Family doctor coverage",
        unit_zh="%", unit_en="%", numerator=family_doctor_signed, denominator=special_families, value_type="ratio",
        description_zh="期末在册特殊家庭中已签约家庭医生的比例（“三个全覆盖”之一）",
        description_en="Share of special families on the register at the end of the period with a signed family doctor",
    ),
    Indicator(
        key="family_planning.home_visits", label_zh="入户走访次数", label_en="Home visits", unit_zh="次", unit_en="visits",
        numerator=home_visits,
    ),
    Indicator(
        key="family_planning.services", label_zh="计生协服务活动", label_en="Association services", unit_zh="次", unit_en="activities",
        numerator=services, headline=True,
        description_zh="优生优育、青春健康、婴幼儿照护、生殖健康咨询、计生保险等服务活动次数",
        description_en="Services held: healthy births, adolescent health, infant care, reproductive health, insurance and others",
    ),
    Indicator(
        key="family_planning.service_attendees", label_zh="服务参与人次", label_en="Service attendances", unit_zh="人次", unit_en="attendances",
        numerator=service_attendees,
    ),
)
