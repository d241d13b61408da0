"""Record tables of the elderly association (老龄人协会): five-guarantee homes, the funds raised
for them, the five-guarantee (特困) people they support, and the association's activities.

Members of the elderly association are core ``AssociationMember`` rows attached to the
association's ``Association`` row: membership has no elderly-specific attributes, and one
members table lets county-wide member counts (and Party-member shares) span every association.
"""

from __future__ import annotations

from datetime import date
from typing import Optional

from sqlalchemy import Index

from shequ_sdk import Record, field

HOME_KINDS = {
    # a village-level small group home (村级五保之家) vs an institution (乡镇敬老院 / 供养服务机构)
    "wubao_home": ("五保之家", "five-guarantee home"),
    "nursing_home": ("敬老院", "rural nursing home"),
}

FUND_SOURCES = {
    "association": ("协会募捐", "raised by the association"),
    "collective": ("村集体", "village collective"),
    "government": ("上级补助", "government subsidy"),
    "donation": ("社会捐赠", "public donation"),
    "other": ("其他", "other"),
}

SUPPORT_FORMS = {
    "concentrated": ("集中供养", "centralised (in a home)"),
    "dispersed": ("分散供养", "at home (dispersed)"),
}

CARE_LEVELS = {
    # 照料护理标准 tiers (DOMAIN.md §3.3)
    "self_care": ("全自理", "self-care"),
    "partial": ("半护理", "partial care"),
    "full": ("全护理", "full care"),
}

CATEGORIES = {
    "elderly": ("老年人", "elderly"),
    "disabled": ("残疾人", "disabled"),
    "minor": ("未成年人", "minor"),
}

DISCHARGE_REASONS = {
    "died": ("死亡", "died"),
    "left": ("自愿出院", "left voluntarily"),
    "ineligible": ("不再符合条件", "no longer eligible"),
    "transferred": ("转出", "transferred"),
    "changed_form": ("变更供养方式", "support form changed"),
}

ACTIVITY_KINDS = {
    "recreation": ("文体娱乐", "recreation"),
    "visit": ("走访慰问", "home visits"),
    "health": ("健康讲座", "health talk"),
    "festival": ("节日活动", "festival"),
    "volunteer": ("志愿服务", "volunteering"),
    "study": ("学习培训", "study"),
}


class FiveGuaranteeHome(Record, table=True):
    """A five-guarantee home (五保之家) or rural nursing home (敬老院)."""

    __tablename__ = "elderly_home"
    __table_args__ = (Index("ix_elderly_home_region_built", "region_id", "built"),)
    name: str = field(label_zh="名称", label_en="Name")
    kind: str = field(label_zh="类型", label_en="Kind", choices=HOME_KINDS)
    built: date = field(label_zh="建成日期", label_en="Built", note_zh="建成并可入住之日", note_en="the day it could take residents")
    capacity: int = field(label_zh="床位数", label_en="Capacity (beds)", ge=1, le=2000)
    closed: Optional[date] = field(default=None, label_zh="停用日期", label_en="Closed")
    association_id: Optional[int] = field(default=None, foreign_key="association.id", label_zh="建设协会", label_en="Built by association")


class HomeFund(Record, table=True):
    """Money raised for a home, one row per receipt, with its source. ``region_id`` is the home's region."""

    __tablename__ = "elderly_home_fund"
    __table_args__ = (Index("ix_elderly_home_fund_region_received", "region_id", "received"),)
    home_id: int = field(foreign_key="elderly_home.id", index=True, label_zh="五保之家/敬老院", label_en="Home")
    received: date = field(label_zh="到账日期", label_en="Received")
    source: str = field(label_zh="资金来源", label_en="Source", choices=FUND_SOURCES)
    amount_fen: int = field(label_zh="金额", label_en="Amount", money=True, ge=0)
    donor: Optional[str] = field(default=None, label_zh="出资方", label_en="Donor", note_zh="单位或个人", note_en="organisation or person")
    note: Optional[str] = field(default=None, label_zh="备注", label_en="Note")


class SupportedResident(Record, table=True):
    """A five-guarantee (五保 / 特困) person in care, from admission to discharge. ``region_id`` is
    the village or community of household registration, even when the home is elsewhere."""

    __tablename__ = "elderly_resident"
    __table_args__ = (
        Index("ix_elderly_resident_region_admitted", "region_id", "admitted"),
        Index("ix_elderly_resident_home_admitted", "home_id", "admitted"),
    )
    name: str = field(label_zh="姓名", label_en="Name", sensitive="name")
    id_number: str = field(label_zh="身份证号", label_en="ID number", id_number=True)
    category: str = field(default="elderly", label_zh="供养类别", label_en="Category", choices=CATEGORIES)
    support_form: str = field(label_zh="供养方式", label_en="Support form", choices=SUPPORT_FORMS)
    care_level: str = field(default="self_care", label_zh="护理等级", label_en="Care level", choices=CARE_LEVELS)
    home_id: Optional[int] = field(default=None, foreign_key="elderly_home.id", label_zh="供养机构", label_en="Home",
                                   note_zh="集中供养时必填", note_en="required for centralised support")
    admitted: date = field(label_zh="纳入供养日期", label_en="Admitted", note_zh="集中供养为入住日期", note_en="for centralised support, the day of moving in")
    discharged: Optional[date] = field(default=None, label_zh="终止供养日期", label_en="Discharged")
    discharge_reason: Optional[str] = field(default=None, label_zh="终止原因", label_en="Discharge reason", choices=DISCHARGE_REASONS)
    certificate_no: Optional[str] = field(default=None, label_zh="供养证编号", label_en="Certificate no.")


class ElderlyActivity(Record, table=True):
    """An activity the elderly association held."""

    __tablename__ = "elderly_activity"
    __table_args__ = (Index("ix_elderly_activity_region_held", "region_id", "held_on"),)
    held_on: date = field(label_zh="日期", label_en="Date")
    kind: str = field(label_zh="活动类型", label_en="Kind", choices=ACTIVITY_KINDS)
    title: str = field(label_zh="活动名称", label_en="Title")
    participants: int = field(default=0, label_zh="参加人数", label_en="Participants", ge=0, le=100000)
    association_id: Optional[int] = field(default=None, foreign_key="association.id", label_zh="协会", label_en="Association")
