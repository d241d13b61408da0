"""Record tables of the commitments plugin (党员承诺、跟踪反馈、投诉意见、三评、德能勤绩廉、学习日).

Everything is kept per village or community (``region_id``), where the Party branch and the
village committee sit:

- ``CommitmentMember``: the people who make commitments and are reviewed — a village's Party
  members (of its Party branch or of one of its associations) and its cadres (村/居干部).
  The roster the other tables refer to, as ``party_evaluation`` refers to a Party body.
- ``Commitment``: one public commitment (承诺事项) of one member for one year.
- ``CommitmentFeedback``: the 跟踪反馈 entries on a commitment's progress.
- ``CommitmentComplaint``: what reaches the 投诉箱 / 意见栏 / phone / counter / web, its reply
  and outcome.
- ``CommitmentReview``: the 三评 of one member for one half-year or year: 领导点评, 党员互评 and
  群众评议. Residents rate anonymously: only how many rated and their mean score are stored,
  never who.
- ``CadreAssessment``: a cadre's yearly 德、能、勤、绩、廉 scores and grade.
- ``StudyDay``: a held theory-study day (政治理论学习日), 1–2 a month.
"""

from __future__ import annotations

from datetime import date
from typing import Optional

from sqlalchemy import Index

from shequ_sdk import Record, field

STATUS = {
    "ongoing": ("进行中", "in progress"),
    "kept": ("已兑现", "kept"),
    "partly": ("部分兑现", "partly kept"),
    "unkept": ("未兑现", "not kept"),
    "withdrawn": ("已撤回", "withdrawn"),
}
NOT_KEPT = ("partly", "unkept")  # statuses that bar 优秀 without a township override
TARGET_KINDS = {"quantity": ("量化指标", "quantified target"), "deliverable": ("完成事项", "yes/no deliverable")}
CHANNELS = {
    "box": ("投诉箱", "complaint box"),
    "board": ("意见栏", "comment board"),
    "phone": ("电话", "phone"),
    "in_person": ("当面", "in person"),
    "online": ("网上", "online"),
}
COMPLAINT_KINDS = {"complaint": ("投诉", "complaint"), "comment": ("意见建议", "comment or suggestion")}
OUTCOMES = {
    "upheld": ("属实", "upheld"),
    "partly_upheld": ("部分属实", "partly upheld"),
    "unfounded": ("不属实", "unfounded"),
    "adopted": ("建议采纳", "suggestion adopted"),
    "explained": ("已解释说明", "explained"),
}
UPHELD = ("upheld", "partly_upheld")
REVIEW_GRADES = {
    "excellent": ("优秀", "excellent"),
    "qualified": ("合格", "qualified"),
    "basic": ("基本合格", "basically qualified"),
    "unqualified": ("不合格", "unqualified"),
}
CADRE_GRADES = {
    "excellent": ("优秀", "excellent"),
    "competent": ("称职", "competent"),
    "basic": ("基本称职", "basically competent"),
    "incompetent": ("不称职", "incompetent"),
}
HALVES = {1: ("上半年", "first half"), 2: ("下半年", "second half")}


class CommitmentMember(Record, table=True):
    """A Party member or cadre of a village who makes public commitments (挂牌上岗)."""

    __tablename__ = "commitments_member"
    __table_args__ = (Index("ix_commitments_member_region_name", "region_id", "name"),)
    name: str = field(sensitive="name", label_zh="姓名", label_en="Name")
    is_party_member: bool = field(default=True, label_zh="党员", label_en="Party member")
    is_cadre: bool = field(default=False, label_zh="村（居）干部", label_en="Village cadre")
    post: Optional[str] = field(default=None, label_zh="职务/岗位", label_en="Post", note_zh="如 村党支部书记、村委会委员、窗口岗位",
                                note_en="e.g. branch secretary, committee member")
    association_id: Optional[int] = field(default=None, foreign_key="association.id", label_zh="所在协会", label_en="Association",
                                          note_zh="协会中的党员填写", note_en="for a Party member of an association")
    since: Optional[date] = field(default=None, label_zh="起始日期", label_en="From")
    until: Optional[date] = field(default=None, label_zh="终止日期", label_en="Until", note_zh="当日起不再在册", note_en="first day off the roster")


class Commitment(Record, table=True):
    """One member's public commitment (承诺事项) for one year."""

    __tablename__ = "commitments_pledge"
    __table_args__ = (Index("ix_commitments_pledge_region_year", "region_id", "year"),
                      Index("ix_commitments_pledge_region_due", "region_id", "due_date"),
                      Index("ix_commitments_pledge_member", "member_id"))
    member_id: int = field(foreign_key="commitments_member.id", label_zh="承诺人", label_en="Member")
    year: int = field(ge=2000, le=2100, label_zh="年度", label_en="Year")
    content: str = field(label_zh="承诺内容", label_en="Commitment")
    concern: str = field(label_zh="群众关心的问题", label_en="Residents' concern", note_zh="承诺回应的群众最关心的问题",
                         note_en="the residents' concern the commitment answers")
    target_kind: str = field(default="quantity", label_zh="目标类型", label_en="Target kind", choices=TARGET_KINDS)
    target_number: Optional[float] = field(default=None, ge=0, label_zh="目标数量", label_en="Target", note_zh="量化指标必填",
                                           note_en="required for a quantified target")
    target_unit: Optional[str] = field(default=None, label_zh="计量单位", label_en="Unit of measure", note_zh="如 户、次、起", note_en="e.g. households, times")
    achieved_number: Optional[float] = field(default=None, ge=0, label_zh="完成数量", label_en="Achieved")
    due_date: date = field(label_zh="兑现期限", label_en="Due date")
    posted_at: str = field(label_zh="公开地点", label_en="Posted at", note_zh="如 村务公开栏、党员承诺公开栏", note_en="where it is posted")
    posted_on: Optional[date] = field(default=None, label_zh="公开日期", label_en="Posted on")
    status: str = field(default="ongoing", label_zh="状态", label_en="Status", choices=STATUS)
    closed_on: Optional[date] = field(default=None, label_zh="评定/撤回日期", label_en="Closed on",
                                      note_zh="评定兑现情况或撤回的日期", note_en="day it was judged kept/not kept or withdrawn")
    withdrawal_reason: Optional[str] = field(default=None, label_zh="撤回原因", label_en="Withdrawal reason")


class CommitmentFeedback(Record, table=True):
    """A progress entry on a commitment (跟踪反馈)."""

    __tablename__ = "commitments_feedback"
    __table_args__ = (Index("ix_commitments_feedback_commitment", "commitment_id", "feedback_date"),
                      Index("ix_commitments_feedback_region_date", "region_id", "feedback_date"))
    commitment_id: int = field(foreign_key="commitments_pledge.id", label_zh="承诺事项", label_en="Commitment")
    feedback_date: date = field(label_zh="反馈日期", label_en="Date")
    done: str = field(label_zh="完成情况", label_en="What was done")
    progress_number: Optional[float] = field(default=None, ge=0, label_zh="累计完成数量", label_en="Done so far")
    evidence: Optional[str] = field(default=None, label_zh="佐证材料", label_en="Evidence")
    photo_ref: Optional[str] = field(default=None, label_zh="照片文件", label_en="Photo file", note_zh="文件名或编号", note_en="file name or number")


class CommitmentComplaint(Record, table=True):
    """A complaint or comment about members or their commitments (投诉箱、意见栏) and its reply."""

    __tablename__ = "commitments_complaint"
    __table_args__ = (Index("ix_commitments_complaint_region_received", "region_id", "received_on"),)
    kind: str = field(default="complaint", label_zh="类别", label_en="Kind", choices=COMPLAINT_KINDS)
    channel: str = field(label_zh="渠道", label_en="Channel", choices=CHANNELS)
    received_on: date = field(label_zh="收到日期", label_en="Received on")
    summary: str = field(sensitive="text", label_zh="内容摘要", label_en="Summary")
    member_id: Optional[int] = field(default=None, foreign_key="commitments_member.id", label_zh="涉及党员/干部", label_en="Member concerned")
    commitment_id: Optional[int] = field(default=None, foreign_key="commitments_pledge.id", label_zh="涉及承诺事项", label_en="Commitment concerned")
    handler: Optional[str] = field(default=None, label_zh="承办人", label_en="Handler")
    replied_on: Optional[date] = field(default=None, label_zh="答复日期", label_en="Replied on")
    reply: Optional[str] = field(default=None, label_zh="答复内容", label_en="Reply")
    outcome: Optional[str] = field(default=None, label_zh="核实结果", label_en="Outcome", choices=OUTCOMES)


class CommitmentReview(Record, table=True):
    """The 三评 of one member for one half-year (``half`` 1 or 2) or year (``half`` empty).

    Residents' rating (群众评议) is anonymous: the table holds how many residents rated and
    their mean score, and no column for who they were.
    """

    __tablename__ = "commitments_review"
    __table_args__ = (Index("ix_commitments_review_region_year", "region_id", "year"),
                      Index("ix_commitments_review_member", "member_id", "year"))
    member_id: int = field(foreign_key="commitments_member.id", label_zh="党员", label_en="Member")
    year: int = field(ge=2000, le=2100, label_zh="年度", label_en="Year")
    half: Optional[int] = field(default=None, ge=1, le=2, label_zh="半年", label_en="Half", choices=None,
                                note_zh="1 上半年，2 下半年；按年度评议时留空", note_en="1 or 2; empty for a yearly review")
    leader_score: float = field(ge=0, le=100, label_zh="领导点评得分", label_en="Leader's score")
    leader_comment: Optional[str] = field(default=None, label_zh="领导点评意见", label_en="Leader's comment")
    leader_name: Optional[str] = field(default=None, sensitive="name", label_zh="点评领导", label_en="Reviewing leader")
    peer_raters: int = field(ge=1, label_zh="互评人数", label_en="Peer raters")
    peer_score: float = field(ge=0, le=100, label_zh="党员互评平均分", label_en="Peer mean score")
    resident_raters: int = field(ge=1, label_zh="群众评议人数", label_en="Resident raters", note_zh="无记名，只记人数",
                                 note_en="anonymous: only the count")
    resident_score: float = field(ge=0, le=100, label_zh="群众评议平均分", label_en="Residents' mean score")
    score: Optional[float] = field(default=None, ge=0, le=100, label_zh="综合得分", label_en="Overall score",
                                   note_zh="按权重计算，可留空由系统核对", note_en="weighted; checked against the weights")
    grade: str = field(label_zh="评定等次", label_en="Grade", choices=REVIEW_GRADES)
    override_reason: Optional[str] = field(default=None, label_zh="乡镇调整理由", label_en="Township override reason",
                                           note_zh="等次与得分档次不符或有未兑现承诺仍评优秀时必填", note_en="needed when the grade departs from the bands or caps")
    override_by: Optional[str] = field(default=None, label_zh="调整批准单位/人", label_en="Override approved by")
    reviewed_on: Optional[date] = field(default=None, label_zh="评议日期", label_en="Reviewed on")


class CadreAssessment(Record, table=True):
    """A village cadre's yearly assessment on 德、能、勤、绩、廉."""

    __tablename__ = "commitments_cadre_assessment"
    __table_args__ = (Index("ix_commitments_cadre_assessment_region_year", "region_id", "year"),)
    member_id: int = field(foreign_key="commitments_member.id", label_zh="干部", label_en="Cadre")
    year: int = field(ge=2000, le=2100, label_zh="年度", label_en="Year")
    de: float = field(ge=0, le=100, label_zh="德", label_en="Integrity (de)")
    neng: float = field(ge=0, le=100, label_zh="能", label_en="Ability (neng)")
    qin: float = field(ge=0, le=100, label_zh="勤", label_en="Diligence (qin)")
    ji: float = field(ge=0, le=100, label_zh="绩", label_en="Results (ji)")
    lian: float = field(ge=0, le=100, label_zh="廉", label_en="Probity (lian)")
    score: Optional[float] = field(default=None, ge=0, le=100, label_zh="综合得分", label_en="Overall score")
    grade: str = field(label_zh="考核等次", label_en="Grade", choices=CADRE_GRADES)
    override_reason: Optional[str] = field(default=None, label_zh="乡镇调整理由", label_en="Township override reason")
    override_by: Optional[str] = field(default=None, label_zh="调整批准单位/人", label_en="Override approved by")
    assessed_on: Optional[date] = field(default=None, label_zh="考核日期", label_en="Assessed on")


class StudyDay(Record, table=True):
    """A theory-study day held by the village's Party branch (政治理论学习日)."""

    __tablename__ = "commitments_study_day"
    __table_args__ = (Index("ix_commitments_study_day_region_date", "region_id", "held_on"),)
    held_on: date = field(label_zh="学习日期", label_en="Held on")
    topic: str = field(label_zh="学习内容", label_en="Topic")
    attendees: int = field(ge=0, label_zh="参加人数", label_en="Attendees")
    absentees: int = field(default=0, ge=0, label_zh="缺席人数", label_en="Absentees")
    tutor: Optional[str] = field(default=None, label_zh="政治辅导员/主讲人", label_en="Tutor")
