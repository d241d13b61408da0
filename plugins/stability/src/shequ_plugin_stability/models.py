"""Record tables of the comprehensive governance and stability association (综合治理维护稳定协会):
people's mediation cases (人民调解) with their parties and follow-up visits, and security
patrols (治安巡逻). See DOMAIN.md §6.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Optional

from sqlalchemy import Index, UniqueConstraint

from shequ_sdk import Record, field

# "(2010)新尚人调字第12号": year, committee abbreviation, "人调字第", serial number, "号"
CASE_NO = re.compile(r"^[(（](?P<year>\d{4})[)）](?P<committee>[^()（）\s]{1,20})人调字第(?P<serial>[1-9]\d{0,5})号$")

CASE_SOURCES = {
    "applied": ("当事人申请", "application by a party"),
    "initiative": ("主动调解", "committee's own initiative"),
    "police": ("公安机关移交", "referred by the police"),
    "court": ("审判机关委托", "entrusted by a court"),
    "government": ("政府部门指定", "assigned by a government department"),
}

# the categories of the 司法行政 monthly statistics form (DOMAIN.md §6.4), plus the three
# another county reports separately
DISPUTE_TYPES = {
    "marriage_family": ("婚姻家庭", "marriage and family"),
    "neighbour": ("邻里", "neighbours"),
    "housing_land": ("房屋宅基地", "houses and homesteads"),
    "contract": ("合同", "contracts"),
    "business": ("生产经营", "production and business"),
    "damages": ("损害赔偿", "damages"),
    "forest_land": ("山林土地", "forests and land"),
    "land_requisition": ("征地拆迁", "land requisition and demolition"),
    "pollution": ("环境污染", "environmental pollution"),
    "labour": ("劳动争议", "labour"),
    "consumer": ("消费", "consumer"),
    "medical": ("医疗", "medical"),
    "traffic": ("道路交通事故", "road traffic accidents"),
    "property_management": ("物业", "property management"),
    "inheritance": ("继承", "inheritance"),
    "family_planning": ("计划生育纠纷", "family planning"),
    "village_affairs": ("村务管理纠纷", "village affairs management"),
    "other": ("其他", "other"),
}

CASE_STATUS = {
    "accepted": ("受理", "accepted"),
    "in_progress": ("调解中", "being mediated"),
    "success": ("调解成功", "settled"),
    "failed": ("调解不成", "not settled (terminated)"),
    "rejected": ("不予受理", "not accepted"),
}
OPEN_STATUS = ("accepted", "in_progress")
CONCLUDED_STATUS = ("success", "failed")

AGREEMENT_FORMS = {"written": ("书面", "written"), "oral": ("口头", "oral")}

JUDICIAL_CONFIRMATION = {
    "none": ("无", "none"),
    "applied": ("申请中", "applied for"),
    "valid": ("确认有效", "confirmed valid"),
    "invalid": ("确认无效", "confirmed invalid"),
}

PARTY_ROLES = {
    "applicant": ("申请人", "applicant"),
    "respondent": ("被申请人", "respondent"),
    "third_party": ("第三人", "third party"),
}
GENDERS = {"male": ("男", "male"), "female": ("女", "female")}

PERFORMANCE = {
    "performed": ("已履行", "performed"),
    "partial": ("部分履行", "partly performed"),
    "not_performed": ("未履行", "not performed"),
    "litigation": ("进入诉讼", "gone to court"),
}
SATISFACTION = {
    "satisfied": ("满意", "satisfied"),
    "fairly": ("基本满意", "fairly satisfied"),
    "dissatisfied": ("不满意", "dissatisfied"),
}
RISK = {"none": ("无", "none"), "low": ("低", "low"), "medium": ("中", "medium"), "high": ("高", "high")}


class MediationCase(Record, table=True):
    """A people's mediation case (人民调解案件): registration, outcome, agreement and 司法确认."""

    __tablename__ = "stability_mediation_case"
    __table_args__ = (
        UniqueConstraint("region_id", "case_no", name="uq_stability_case_no"),
        Index("ix_stability_case_region_registered", "region_id", "registered_on"),
        Index("ix_stability_case_region_closed", "region_id", "closed_on"),
    )
    case_no: str = field(label_zh="卷号", label_en="Case no.", note_zh="格式：(2010)新尚人调字第12号")
    registered_on: date = field(label_zh="受理日期", label_en="Registered on")
    source: str = field(label_zh="案件来源", label_en="Source", choices=CASE_SOURCES)
    dispute_type: str = field(label_zh="纠纷类型", label_en="Dispute type", choices=DISPUTE_TYPES)
    brief: Optional[str] = field(default=None, label_zh="纠纷简要情况", label_en="Summary", sensitive="text")
    mediator: str = field(label_zh="人民调解员", label_en="Mediator", sensitive="name")
    status: str = field(default="accepted", label_zh="办理状态", label_en="Status", choices=CASE_STATUS)
    agreement_form: Optional[str] = field(default=None, label_zh="协议形式", label_en="Agreement form", choices=AGREEMENT_FORMS)
    agreement_on: Optional[date] = field(default=None, label_zh="协议生效日期", label_en="Agreement effective on")
    amount_fen: int = field(default=0, ge=0, money=True, label_zh="协议涉及金额", label_en="Amount involved")
    due_on: Optional[date] = field(default=None, label_zh="调解期限", label_en="Due on",
                                   note_zh="默认受理后 30 天（可配置）；双方同意可延长")
    extension_agreed: bool = field(default=False, label_zh="双方同意延期", label_en="Extension agreed by both parties")
    closed_on: Optional[date] = field(default=None, label_zh="结案日期", label_en="Closed on")
    judicial_confirmation: str = field(default="none", label_zh="司法确认", label_en="Judicial confirmation", choices=JUDICIAL_CONFIRMATION)
    judicial_applied_on: Optional[date] = field(default=None, label_zh="申请司法确认日期", label_en="Judicial confirmation applied on")
    prevented_criminal: bool = field(default=False, label_zh="防止民转刑", label_en="Prevented from turning criminal")
    prevented_petition: bool = field(default=False, label_zh="防止群体性上访", label_en="Prevented a mass petition")


class MediationParty(Record, table=True):
    """A party to a mediation case (当事人): applicant, respondent or third party."""

    __tablename__ = "stability_mediation_party"
    __table_args__ = (Index("ix_stability_party_case", "case_id"),)
    case_id: int = field(foreign_key="stability_mediation_case.id", label_zh="案件", label_en="Case")
    role: str = field(label_zh="当事人类别", label_en="Role", choices=PARTY_ROLES)
    name: str = field(label_zh="姓名", label_en="Name", sensitive="name")
    gender: Optional[str] = field(default=None, label_zh="性别", label_en="Gender", choices=GENDERS)
    id_number: Optional[str] = field(default=None, id_number=True, label_zh="身份证号", label_en="ID number")
    phone: Optional[str] = field(default=None, phone=True, label_zh="联系方式", label_en="Phone")
    address: Optional[str] = field(default=None, label_zh="单位或住址", label_en="Work unit or address", sensitive="text")


class FollowUpVisit(Record, table=True):
    """A follow-up visit (回访) on how a mediation agreement is carried out."""

    __tablename__ = "stability_follow_up"
    __table_args__ = (Index("ix_stability_follow_up_case", "case_id", "visit_date"),
                      Index("ix_stability_follow_up_region_date", "region_id", "visit_date"))
    case_id: int = field(foreign_key="stability_mediation_case.id", label_zh="案件", label_en="Case")
    visit_date: date = field(label_zh="回访日期", label_en="Visit date")
    visitor: str = field(label_zh="回访人", label_en="Visitor", sensitive="name")
    performance: Optional[str] = field(default=None, label_zh="协议履行情况", label_en="Performance", choices=PERFORMANCE)
    satisfaction: Optional[str] = field(default=None, label_zh="当事人满意度", label_en="Satisfaction", choices=SATISFACTION)
    escalation_risk: str = field(default="none", label_zh="激化风险", label_en="Risk of escalation", choices=RISK)
    measures: Optional[str] = field(default=None, label_zh="采取措施", label_en="Measures taken")


class Patrol(Record, table=True):
    """A security patrol (治安巡逻)."""

    __tablename__ = "stability_patrol"
    __table_args__ = (Index("ix_stability_patrol_region_date", "region_id", "patrol_date"),)
    patrol_date: date = field(label_zh="巡逻日期", label_en="Date")
    team: str = field(label_zh="巡逻队", label_en="Team")
    participants: int = field(ge=1, le=500, label_zh="参加人数", label_en="Participants")
    hours: float = field(ge=0.5, le=24, label_zh="巡逻时长(小时)", label_en="Hours")
    area: Optional[str] = field(default=None, label_zh="巡逻区域", label_en="Area")
    night: bool = field(default=False, label_zh="夜间巡逻", label_en="Night patrol")
    issues_found: int = field(default=0, ge=0, le=1000, label_zh="发现隐患/问题", label_en="Issues found")
    issues_note: Optional[str] = field(default=None, label_zh="问题及处理", label_en="Issues and action")
