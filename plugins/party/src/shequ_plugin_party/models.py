"""Record tables of the party plugin (社会组织党建).

- ``PartyOrgProfile``: one organisation's yearly Party-building figures (年检党建信息).
- ``PartyOrganisation``: a Party body — standalone branch, joint branch or attached group.
- ``PartyInstructor``: a Party-building instructor sent by the supervising unit.
- ``PartyCoverage``: which mode covers an organisation, and since when (the link table:
  a joint branch has one row per organisation it covers).
- ``PartyMobileMember`` / ``PartyMobileReport``: mobile Party members and their reports.
- ``PartyEvaluation``: the yearly 民主评议 grade of one member in one branch.
- ``PartyActivity``: services run by an organisation's Party body (loans, charity, culture).
- ``PartyTalk``: a branch's heart-to-heart talk with a member (三必谈, names masked outside the village).
"""

from __future__ import annotations

from datetime import date
from typing import Optional

from sqlalchemy import Index

from shequ_sdk import Record, field

SOCIAL_ORG = "social_org"

MODES = {
    "standalone": ("单独建", "standalone branch"),
    "joint": ("联合建", "joint branch"),
    "attached": ("挂靠建", "attached group"),
    "instructor": ("委派指导员", "assigned instructor"),
}
# which kind of Party body carries each mode (the instructor mode has none)
BODY_KINDS = {
    "standalone": ("单独党支部", "standalone branch"),
    "joint": ("联合党支部", "joint branch"),
    "attached": ("挂靠党小组", "attached Party group"),
}
JOINT_BASIS = {"industry": ("行业相近", "similar trade"), "area": ("地域相邻", "nearby place")}
GRADES = {
    "excellent": ("优秀", "excellent"),
    "qualified": ("合格", "qualified"),
    "basic": ("基本合格", "basically qualified"),
    "unqualified": ("不合格", "unqualified"),
}
REPORT_FORMS = {"written": ("书面", "written"), "oral": ("口头", "oral")}
ACTIVITY_KINDS = {
    "loan_guarantee": ("联保贷款", "joint-guarantee loans"),
    "charity": ("慈善募集", "charity fund-raising"),
    "culture": ("社区文化活动", "community cultural activity"),
    "fitness": ("健身辅导", "fitness tutoring"),
    "tech_service": ("科技服务", "technical service"),
    "study": ("政治理论学习", "political study"),
}
# 三必谈 (seed article 1): a branch must talk with a member on each of these occasions
TALK_TRIGGERS = {
    "mood": ("思想情绪", "thoughts and moods"),
    "political_event": ("重大政治事件", "major political event"),
    "dispute": ("矛盾纠纷", "conflict or dispute"),
}


class PartyOrgProfile(Record, table=True):
    """An organisation's Party-building figures for one year (as reported at the annual inspection)."""

    __tablename__ = "party_org_profile"
    __table_args__ = (Index("ix_party_org_profile_region_year", "region_id", "year"),
                      Index("ix_party_org_profile_assoc_year", "association_id", "year"))
    association_id: int = field(foreign_key="association.id", label_zh="社会组织", label_en="Organisation")
    year: int = field(ge=1949, le=2100, label_zh="年度", label_en="Year")
    members: int = field(ge=0, label_zh="会员人数", label_en="Members", note_zh="含专职工作人员", note_en="staff included")
    party_members: int = field(ge=0, label_zh="党员人数", label_en="Party members")
    staff: int = field(default=0, ge=0, label_zh="常设办事机构专职人员", label_en="Full-time staff")
    staff_party_members: int = field(default=0, ge=0, label_zh="专职人员中的党员", label_en="Party members among staff")
    has_union: bool = field(default=False, label_zh="建有工会", label_en="Has a union")
    has_youth_league: bool = field(default=False, label_zh="建有共青团组织", label_en="Has a youth league branch")
    has_women_org: bool = field(default=False, label_zh="建有妇女组织", label_en="Has a women's organisation")
    supervising_unit: Optional[str] = field(default=None, label_zh="业务主管单位", label_en="Supervising unit")


class PartyOrganisation(Record, table=True):
    """A Party body in social organisations: a standalone branch, a joint branch or an attached group."""

    __tablename__ = "party_organisation"
    __table_args__ = (Index("ix_party_organisation_region_kind", "region_id", "kind"),)
    name: str = field(label_zh="名称", label_en="Name")
    kind: str = field(label_zh="类型", label_en="Kind", choices=BODY_KINDS)
    party_members: int = field(ge=0, label_zh="党员人数", label_en="Party members")
    secretary_name: Optional[str] = field(default=None, sensitive="name", label_zh="书记/组长", label_en="Secretary")
    host_unit: Optional[str] = field(default=None, label_zh="挂靠/主管单位党组织", label_en="Host unit",
                                     note_zh="挂靠建必填（谁主管谁负责）", note_en="required for an attached group")
    basis: Optional[str] = field(default=None, label_zh="联合组建依据", label_en="Joint basis", choices=JOINT_BASIS)
    founded: Optional[date] = field(default=None, label_zh="成立日期", label_en="Founded")
    dissolved: Optional[date] = field(default=None, label_zh="撤销日期", label_en="Dissolved")


class PartyInstructor(Record, table=True):
    """A Party-building instructor (党建指导员) sent to organisations without a Party body."""

    __tablename__ = "party_instructor"
    __table_args__ = (Index("ix_party_instructor_region", "region_id", "appointed"),)
    name: str = field(sensitive="name", label_zh="姓名", label_en="Name")
    phone: Optional[str] = field(default=None, phone=True, label_zh="联系电话", label_en="Phone")
    dispatching_unit: str = field(label_zh="选派单位党组织", label_en="Dispatching Party body")
    post: Optional[str] = field(default=None, label_zh="本职职务", label_en="Own post")
    appointed: Optional[date] = field(default=None, label_zh="选派日期", label_en="Appointed")
    ended: Optional[date] = field(default=None, label_zh="结束日期", label_en="Ended")


class PartyCoverage(Record, table=True):
    """One organisation covered by one mode over [start_date, end_date): exactly one at a time."""

    __tablename__ = "party_coverage"
    __table_args__ = (Index("ix_party_coverage_region_mode", "region_id", "mode"),
                      Index("ix_party_coverage_association", "association_id"),
                      Index("ix_party_coverage_body", "party_org_id"))
    association_id: int = field(foreign_key="association.id", label_zh="社会组织", label_en="Organisation")
    mode: str = field(label_zh="覆盖方式", label_en="Coverage mode", choices=MODES)
    party_org_id: Optional[int] = field(default=None, foreign_key="party_organisation.id", label_zh="党组织", label_en="Party body")
    instructor_id: Optional[int] = field(default=None, foreign_key="party_instructor.id", label_zh="党建指导员", label_en="Instructor")
    start_date: Optional[date] = field(default=None, label_zh="起始日期", label_en="From", note_zh="不详可空", note_en="empty when unknown")
    end_date: Optional[date] = field(default=None, label_zh="终止日期", label_en="Until", note_zh="当日起不再覆盖", note_en="first day no longer covered")
    note: Optional[str] = field(default=None, label_zh="备注", label_en="Note")


class PartyMobileMember(Record, table=True):
    """A mobile Party member (流动党员) of an organisation's Party body, away from home."""

    __tablename__ = "party_mobile_member"
    __table_args__ = (Index("ix_party_mobile_member_region_out", "region_id", "out_date"),)
    name: str = field(sensitive="name", label_zh="姓名", label_en="Name")
    phone: Optional[str] = field(default=None, phone=True, label_zh="联系电话", label_en="Phone")
    association_id: Optional[int] = field(default=None, foreign_key="association.id", label_zh="所在社会组织", label_en="Organisation")
    party_org_id: Optional[int] = field(default=None, foreign_key="party_organisation.id", label_zh="所属党组织", label_en="Home Party body")
    destination: str = field(label_zh="外出去向", label_en="Destination")
    employer: Optional[str] = field(default=None, label_zh="务工经商单位", label_en="Employer")
    out_date: date = field(label_zh="外出日期", label_en="Left on")
    expected_return: Optional[date] = field(default=None, label_zh="预计返回日期", label_en="Expected back")
    returned_on: Optional[date] = field(default=None, label_zh="返回日期", label_en="Returned on")
    permit_no: Optional[str] = field(default=None, label_zh="流动党员活动证编号", label_en="Activity permit no.")
    receiving_org: Optional[str] = field(default=None, label_zh="流入地党组织", label_en="Receiving Party body")
    receiving_phone: Optional[str] = field(default=None, phone=True, label_zh="流入地党组织电话", label_en="Receiving body's phone")
    relation_transferred: bool = field(default=False, label_zh="已转组织关系", label_en="Membership transferred")
    last_contact: Optional[date] = field(default=None, label_zh="最近联系日期", label_en="Last contact")


class PartyMobileReport(Record, table=True):
    """A mobile member's report to the home branch (due every two months)."""

    __tablename__ = "party_mobile_report"
    __table_args__ = (Index("ix_party_mobile_report_member_date", "mobile_member_id", "report_date"),
                      Index("ix_party_mobile_report_region_date", "region_id", "report_date"))
    mobile_member_id: int = field(foreign_key="party_mobile_member.id", label_zh="流动党员", label_en="Mobile member")
    report_date: date = field(label_zh="汇报日期", label_en="Reported on")
    form: str = field(default="written", label_zh="汇报形式", label_en="Form", choices=REPORT_FORMS)
    summary: Optional[str] = field(default=None, label_zh="思想和工作情况", label_en="Summary")


class PartyEvaluation(Record, table=True):
    """One member's yearly democratic evaluation (民主评议党员) in one Party body."""

    __tablename__ = "party_evaluation"
    __table_args__ = (Index("ix_party_evaluation_body_year", "party_org_id", "year"),
                      Index("ix_party_evaluation_region_year", "region_id", "year"))
    party_org_id: int = field(foreign_key="party_organisation.id", label_zh="党组织", label_en="Party body")
    year: int = field(ge=1949, le=2100, label_zh="评议年度", label_en="Year")
    member_name: str = field(sensitive="name", label_zh="党员姓名", label_en="Member")
    grade: str = field(label_zh="评定等次", label_en="Grade", choices=GRADES)
    peer_score: Optional[int] = field(default=None, ge=0, le=100, label_zh="互评得分", label_en="Peer score")
    evaluated_on: Optional[date] = field(default=None, label_zh="评议日期", label_en="Evaluated on")


class PartyActivity(Record, table=True):
    """A service or activity run by an organisation's Party body (seed: loans, charity, tutoring)."""

    __tablename__ = "party_activity"
    __table_args__ = (Index("ix_party_activity_region_year", "region_id", "year"),)
    association_id: Optional[int] = field(default=None, foreign_key="association.id", label_zh="社会组织", label_en="Organisation")
    party_org_id: Optional[int] = field(default=None, foreign_key="party_organisation.id", label_zh="党组织", label_en="Party body")
    year: int = field(ge=1949, le=2100, label_zh="年度", label_en="Year")
    kind: str = field(label_zh="类别", label_en="Kind", choices=ACTIVITY_KINDS)
    title: str = field(label_zh="名称", label_en="Title")
    beneficiaries: Optional[int] = field(default=None, ge=0, label_zh="受益户(人)次", label_en="Beneficiaries")
    amount_fen: Optional[int] = field(default=None, ge=0, money=True, label_zh="金额", label_en="Amount")
    amount_at_least: bool = field(default=False, label_zh="金额为下限（“多”）", label_en="Amount is a lower bound")
    sites: Optional[int] = field(default=None, ge=0, label_zh="站点数", label_en="Sites")
    note: Optional[str] = field(default=None, label_zh="备注", label_en="Note")


class PartyTalk(Record, table=True):
    """A heart-to-heart talk (交心谈心) a Party body held with one member under 三必谈:
    遇有思想情绪时必谈，遇有重大政治事件时必谈，遇有矛盾纠纷时必谈."""

    __tablename__ = "party_talk"
    __table_args__ = (Index("ix_party_talk_body_date", "party_org_id", "talk_date"),
                      Index("ix_party_talk_region_date", "region_id", "talk_date"))
    party_org_id: int = field(foreign_key="party_organisation.id", label_zh="党组织", label_en="Party body")
    talk_date: date = field(label_zh="谈话日期", label_en="Date")
    trigger: str = field(label_zh="谈话缘由", label_en="Occasion", choices=TALK_TRIGGERS,
                         note_zh="三必谈：思想情绪、重大政治事件、矛盾纠纷", note_en="the three occasions that call for a talk")
    member_name: str = field(sensitive="name", label_zh="谈话对象", label_en="Member talked with")
    held_by: str = field(sensitive="name", label_zh="谈话人", label_en="Held by", note_zh="如支部书记", note_en="e.g. the secretary")
    outcome: Optional[str] = field(default=None, label_zh="谈话结果", label_en="Outcome")
    follow_up: bool = field(default=False, label_zh="需要跟进", label_en="Follow-up needed")
