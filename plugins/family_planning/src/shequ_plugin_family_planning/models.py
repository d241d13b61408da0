"""Record tables of the family planning association (计划生育协会).

Since the 2021 policy change (三孩政策, 社会抚养费 abolished) a village association no longer
polices births: nothing here models "违规生育". What remains is care for 计生特殊家庭
(families whose only child died or is disabled), their contact persons and visit log, and
the association's services (优生优育, 青春健康, 婴幼儿照护 …). See DOMAIN.md §7.
"""

from __future__ import annotations

from datetime import date
from typing import Optional

from sqlalchemy import Index, UniqueConstraint

from shequ_sdk import Record, field

FAMILY_TYPES = {
    "child_died": ("独生子女死亡", "only child died"),
    "child_disabled": ("独生子女伤残", "only child disabled"),
}

ASSISTANCE_STATUS = {
    "receiving": ("享受特别扶助", "receiving special assistance"),
    "applied": ("特别扶助申报中", "special assistance applied for"),
    "not_yet": ("未到扶助年龄", "below the assistance age"),
    "not_eligible": ("不符合扶助条件", "not eligible"),
}

LEAVE_REASONS = {
    "deceased": ("亡故", "deceased"),
    "moved": ("迁出", "moved away"),
    "no_longer_eligible": ("不再符合条件", "no longer eligible"),
}

CONTACT_KINDS = {
    "phone": ("电话", "phone call"),
    "meeting": ("面访", "face-to-face meeting"),
    "home_visit": ("入户", "home visit"),
    "festival": ("节日慰问", "festival visit"),
}
# kinds that count as meeting the family in person (面对面); 节日慰问 is made in person
FACE_TO_FACE_KINDS = ("meeting", "home_visit", "festival")
HOME_VISIT_KINDS = ("home_visit",)

CONTACT_ROLES = {
    "township": ("乡镇联系人", "township contact"),
    "village": ("村联系人", "village contact"),
    "association": ("计生协会员", "association member"),
    "other": ("其他", "other"),
}

FAMILY_EVENTS = {
    "accident": ("意外", "accident"),
    "serious_illness": ("重病", "serious illness"),
    "disaster": ("受灾", "disaster"),
    "death": ("亡故", "death"),
}

SERVICE_TYPES = {
    "eugenics": ("优生优育指导", "healthy birth and child-rearing guidance"),
    "youth_health": ("青春健康教育", "adolescent health education"),
    "infant_care": ("婴幼儿照护", "infant and toddler care"),
    "reproductive_health": ("生殖健康咨询", "reproductive health counselling"),
    "accident_insurance": ("计生家庭意外伤害保险", "family planning family accident insurance"),
    "newlywed_class": ("新婚夫妇课堂", "class for newly-weds"),
    "parent_class": ("家长课堂", "parents' class"),
    "parent_child": ("亲子活动", "parent-child activity"),
    "special_family_support": ("特殊家庭帮扶", "support for special families"),
    "other": ("其他", "other"),
}


class SpecialFamily(Record, table=True):
    """A 计生特殊家庭 on the village register, with its two contact persons (双岗联系人)."""

    __tablename__ = "family_planning_special_family"
    __table_args__ = (
        UniqueConstraint("region_id", "household_id", name="uq_fp_family_household"),
        Index("ix_fp_family_region_registered", "region_id", "registered_on"),
    )
    household_id: int = field(foreign_key="household.id", index=True, label_zh="户", label_en="Household")
    family_type: str = field(label_zh="特殊家庭类别", label_en="Family type", choices=FAMILY_TYPES)
    disability_grade: Optional[int] = field(default=None, ge=1, le=4, sensitive="text", label_zh="子女伤残等级",
                                            label_en="Child's disability grade", note_zh="独生子女伤残家庭填写（1–4 级）")
    head_name: str = field(label_zh="户主姓名", label_en="Head of family", sensitive="name")
    head_id_number: Optional[str] = field(default=None, id_number=True, label_zh="户主身份证号", label_en="Head's ID number")
    head_phone: Optional[str] = field(default=None, phone=True, label_zh="家庭联系电话", label_en="Family phone")
    registered_on: date = field(label_zh="登记日期", label_en="Registered on")
    left_on: Optional[date] = field(default=None, label_zh="注销日期", label_en="Left the register on")
    leave_reason: Optional[str] = field(default=None, label_zh="注销原因", label_en="Reason for leaving", choices=LEAVE_REASONS)
    township_contact_name: str = field(label_zh="乡镇联系人", label_en="Township contact", sensitive="name")
    township_contact_phone: Optional[str] = field(default=None, phone=True, label_zh="乡镇联系人电话", label_en="Township contact's phone")
    village_contact_name: str = field(label_zh="村联系人", label_en="Village contact", sensitive="name")
    village_contact_phone: Optional[str] = field(default=None, phone=True, label_zh="村联系人电话", label_en="Village contact's phone")
    assistance_status: Optional[str] = field(default=None, label_zh="特别扶助", label_en="Special assistance", choices=ASSISTANCE_STATUS)
    family_doctor_signed: bool = field(default=False, label_zh="家庭医生签约", label_en="Family doctor signed")
    family_doctor_signed_on: Optional[date] = field(default=None, label_zh="签约日期", label_en="Signed on")
    green_channel: bool = field(default=False, label_zh="就医绿色通道", label_en="Priority medical channel")
    insured: bool = field(default=False, label_zh="参加计生家庭保险", label_en="Family planning insurance")


class FamilyContact(Record, table=True):
    """One contact with a special family: phone call, meeting, home visit or festival visit."""

    __tablename__ = "family_planning_contact"
    __table_args__ = (
        Index("ix_fp_contact_family_kind_date", "family_id", "kind", "contact_date"),
        Index("ix_fp_contact_region_date", "region_id", "contact_date"),
    )
    family_id: int = field(foreign_key="family_planning_special_family.id", label_zh="特殊家庭", label_en="Special family")
    contact_date: date = field(label_zh="联系日期", label_en="Date")
    kind: str = field(label_zh="联系方式", label_en="Kind", choices=CONTACT_KINDS)
    contact_by_role: str = field(default="village", label_zh="联系人类别", label_en="Contacted by", choices=CONTACT_ROLES)
    contact_by_name: Optional[str] = field(default=None, label_zh="联系人姓名", label_en="Contact person", sensitive="name")
    event: Optional[str] = field(default=None, label_zh="发现情况", label_en="Event found", choices=FAMILY_EVENTS,
                                 note_zh="意外、重病、受灾、亡故须立即报告")
    reported_on: Optional[date] = field(default=None, label_zh="上报日期", label_en="Reported on")
    notes: Optional[str] = field(default=None, label_zh="情况记录", label_en="Notes", sensitive="text")


class FamilyService(Record, table=True):
    """A service or activity of the association (优生优育, 青春健康, 婴幼儿照护 …)."""

    __tablename__ = "family_planning_service"
    __table_args__ = (Index("ix_fp_service_region_date", "region_id", "service_date"),)
    service_date: date = field(label_zh="日期", label_en="Date")
    service_type: str = field(label_zh="服务类别", label_en="Service type", choices=SERVICE_TYPES)
    title: Optional[str] = field(default=None, label_zh="主题", label_en="Title")
    attendees: int = field(default=0, ge=0, le=100000, label_zh="参加人数", label_en="Attendees")
    place: Optional[str] = field(default=None, label_zh="地点", label_en="Place")
    notes: Optional[str] = field(default=None, label_zh="备注", label_en="Notes")
