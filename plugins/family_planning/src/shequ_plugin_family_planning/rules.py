"""Validation rules for the family planning tables.

Row rules look related rows up once per village per batch (``ctx.memo``), so a batch of
thousands of log entries costs one query per village, not one per row.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

import shequ_sdk
from shequ_sdk import Household, Problem, Rule, config

from .models import FAMILY_EVENTS, FamilyContact, FamilyService, SpecialFamily

FAMILY = SpecialFamily.__tablename__
CONTACT = FamilyContact.__tablename__
SERVICE = FamilyService.__tablename__


def _households_of(ctx, region_id: int) -> set[int]:
    return ctx.memo(("fp_households", region_id), lambda: set(
        ctx.session.execute(select(Household.id).where(Household.region_id == region_id)).scalars()))


def _families_of(ctx, region_id: int) -> dict[int, tuple]:
    """``{family id: (registered_on, left_on)}`` for the families registered in a village."""
    F = SpecialFamily
    return ctx.memo(("fp_families", region_id), lambda: {
        r.id: (r.registered_on, r.left_on)
        for r in ctx.session.execute(select(F.id, F.registered_on, F.left_on).where(F.region_id == region_id))})


def family_dates(row, ctx):
    if row.registered_on > ctx.today:
        yield Problem("登记日期不能晚于今天", "the registration date is in the future", field="registered_on", value=row.registered_on)
    if row.left_on is not None and row.left_on < row.registered_on:
        yield Problem(f"注销日期早于登记日期（{row.registered_on}）", f"left the register before being registered ({row.registered_on})",
                      field="left_on", value=row.left_on)
    if row.left_on is not None and row.leave_reason is None:
        yield Problem("填写了注销日期，须注明注销原因", "a family that left the register needs a reason", field="leave_reason", value=None)
    if row.leave_reason is not None and row.left_on is None:
        yield Problem("填写了注销原因，须注明注销日期", "a reason for leaving needs the date it happened", field="left_on", value=None)


def family_type_grade(row, ctx):
    if row.family_type == "child_disabled" and row.disability_grade is None:
        yield Problem("独生子女伤残家庭须填写伤残等级（1–4 级）", "a disabled-child family needs the disability grade (1–4)",
                      field="disability_grade", value=None)
    if row.family_type == "child_died" and row.disability_grade is not None:
        yield Problem("独生子女死亡家庭不填伤残等级", "a bereaved family has no disability grade", field="disability_grade", value=row.disability_grade)


def two_contacts(row, ctx):
    township, village = row.township_contact_name.strip(), row.village_contact_name.strip()
    if township and township == village:
        yield Problem("双岗联系人须为两人：1 名乡镇干部和 1 名村干部", "the two contact persons must be two people: a township cadre and a village cadre",
                      field="village_contact_name", value=row.village_contact_name)


def household_in_village(row, ctx):
    if row.household_id not in _households_of(ctx, row.region_id):
        region = ctx.region(row.region_id)
        yield Problem(f"户 {row.household_id} 不是{region.name if region else '该村'}的住户", f"household {row.household_id} is not in this village",
                      field="household_id", value=row.household_id)
        return
    seen = ctx.memo("fp_seen_households", dict)
    first = seen.setdefault((row.region_id, row.household_id), ctx.row_number)
    if first != ctx.row_number:
        yield Problem(f"同一户已在第 {first} 行登记", f"the same household is already registered in row {first}",
                      field="household_id", value=row.household_id)


def family_doctor(row, ctx):
    if row.family_doctor_signed_on is not None and not row.family_doctor_signed:
        yield Problem("有签约日期却未标记家庭医生签约", "a signing date is given but the family is not marked as signed",
                      field="family_doctor_signed", value=row.family_doctor_signed)
    if row.family_doctor_signed_on is not None and row.family_doctor_signed_on > ctx.today:
        yield Problem("签约日期不能晚于今天", "the signing date is in the future", field="family_doctor_signed_on", value=row.family_doctor_signed_on)


def contact_family(row, ctx):
    day = row.contact_date
    if day > ctx.today:
        yield Problem("联系日期不能晚于今天", "the contact date is in the future", field="contact_date", value=day)
    family = _families_of(ctx, row.region_id).get(row.family_id)
    if family is None:
        yield Problem("该特殊家庭不在本村登记", "no such special family registered in this village", field="family_id", value=row.family_id)
        return
    registered, left = family
    if day < registered:
        yield Problem(f"联系日期早于该家庭的登记日期（{registered}）", f"contact dated before the family was registered ({registered})",
                      field="contact_date", value=day)
    if left is not None and day > left:
        yield Problem(f"联系日期晚于该家庭的注销日期（{left}）", f"contact dated after the family left the register ({left})",
                      field="contact_date", value=day)


def event_reported(row, ctx):
    if row.event is None and row.reported_on is None:
        return
    if row.event is not None and row.reported_on is None:
        yield Problem(f"发现{FAMILY_EVENTS[row.event][0]}须立即上报，请填写上报日期", f"a {FAMILY_EVENTS[row.event][1]} must be reported at once: give the report date",
                      field="reported_on", value=None)
    if row.reported_on is not None and row.event is None:
        yield Problem("填写了上报日期，须注明发现的情况", "a report date needs the event that was reported", field="event", value=None)
    if row.reported_on is not None and row.reported_on < row.contact_date:
        yield Problem("上报日期早于发现日期", "reported before the contact that found it", field="reported_on", value=row.reported_on)


def event_reported_promptly(row, ctx):
    if row.event is None or row.reported_on is None:
        return
    region = ctx.region(row.region_id)
    days = ctx.memo(("fp_report_days", row.region_id), lambda: config.get(ctx.session, "family_planning.event_report_days", region))
    if row.reported_on > row.contact_date + timedelta(days=days):
        yield Problem(f"情况发现后 {(row.reported_on - row.contact_date).days} 天才上报（时限 {days} 天）",
                      f"reported {(row.reported_on - row.contact_date).days} days after it was found (limit {days})",
                      field="reported_on", value=row.reported_on)


def service_date(row, ctx):
    if row.service_date > ctx.today:
        yield Problem("活动日期不能晚于今天", "the service date is in the future", field="service_date", value=row.service_date)


def names_not_blank(row, ctx):
    for name in ("head_name", "township_contact_name", "village_contact_name"):
        if not getattr(row, name).strip():
            yield Problem("姓名不能为空白", "a name cannot be blank", field=name, value=getattr(row, name))


RULES = (
    Rule(key="family_planning.names_not_blank", label_zh="户主与联系人姓名不为空白", label_en="Head and contact names not blank",
         table=FAMILY, check_row=names_not_blank),
    Rule(key="family_planning.family_dates", label_zh="登记、注销日期合理", label_en="Register dates are consistent", table=FAMILY, check_row=family_dates),
    Rule(key="family_planning.family_type_grade", label_zh="伤残等级与家庭类别相符", label_en="Disability grade matches the family type",
         table=FAMILY, check_row=family_type_grade),
    Rule(key="family_planning.two_contacts", label_zh="双岗联系人为两人", label_en="Two distinct contact persons", table=FAMILY, check_row=two_contacts),
    Rule(key="family_planning.household_in_village", label_zh="户属于本村且只登记一次", label_en="Household belongs to the village, registered once",
         table=FAMILY, check_row=household_in_village),
    Rule(key="family_planning.family_doctor", label_zh="家庭医生签约信息一致", label_en="Family doctor signing is consistent", table=FAMILY, check_row=family_doctor),
    Rule(key="family_planning.contact_family", label_zh="联系记录属于本村在册家庭", label_en="Contact belongs to a family on this village's register",
         table=CONTACT, check_row=contact_family),
    Rule(key="family_planning.event_reported", label_zh="重大情况已上报", label_en="Events are reported", table=CONTACT, check_row=event_reported),
    Rule(key="family_planning.event_reported_promptly", label_zh="重大情况及时上报", label_en="Events are reported promptly", table=CONTACT,
         check_row=event_reported_promptly, severity="warning"),
    Rule(key="family_planning.service_date", label_zh="活动日期不晚于今天", label_en="Service not in the future", table=SERVICE, check_row=service_date),
)

SETTINGS = (
    shequ_sdk.Setting(key="family_planning.contacts_per_week", default=1, label_zh="每周联系次数（不少于）", label_en="Contacts per week (at least)",
                      description_zh="双岗联系人每周至少联系特殊家庭的次数（电话、面访、入户均计）", description_en="Minimum contacts a week with each special family (any kind)"),
    shequ_sdk.Setting(key="family_planning.face_to_face_per_month", default=1, label_zh="每月面对面联系次数（不少于）",
                      label_en="Face-to-face contacts per month (at least)",
                      description_zh="面访、入户、节日慰问", description_en="Meetings, home visits and festival visits"),
    shequ_sdk.Setting(key="family_planning.home_visits_per_year", default=4, label_zh="每年入户走访次数（不少于）", label_en="Home visits per year (at least)"),
    shequ_sdk.Setting(key="family_planning.event_report_days", default=1, label_zh="重大情况上报时限（天）", label_en="Days to report an event",
                      description_zh="家庭遭遇意外、重病、受灾、亡故须立即上报；默认发现当日或次日",
                      description_en="Accidents, serious illness, disasters and deaths are reported at once: by default the same or the next day"),
)
