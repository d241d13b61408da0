"""shequ-sdk plugin: commitments (党员承诺) — Party members' public commitments and how they are kept.

After seed article 5 (「亮身份、守承诺、作表率」): Party members and village cadres post
quantified commitments answering residents' concerns; the village tracks them (跟踪反馈), takes
complaints and comments (投诉箱、意见栏), and reviews each member by 领导点评、党员互评、群众评议
(三评); cadres are assessed on 德、能、勤、绩、廉. From article 1: half-yearly mutual evaluation
and 1–2 theory-study days a month. A printable 党员承诺公开栏 comes through the board hook.

Not an association: the village's Party branch and committee keep these records, so the tables
have no association type (a member may still name the association they belong to).
"""

from __future__ import annotations

from shequ_sdk import RecordTable, hookimpl

from .indicators import all_indicators
from .models import CadreAssessment, Commitment, CommitmentComplaint, CommitmentFeedback, CommitmentMember, CommitmentReview, StudyDay
from .rules import all_rules
from .settings import SETTINGS

__all__ = [
    "register_tables", "register_indicators", "register_rules", "register_settings", "register_views", "register_boards",
    "register_migrations", "register_commands", "populate",
    "CommitmentMember", "Commitment", "CommitmentFeedback", "CommitmentComplaint", "CommitmentReview", "CadreAssessment", "StudyDay",
]


@hookimpl
def register_tables(register):
    register(RecordTable(model=CommitmentMember, label_zh="承诺人员（党员、干部）", label_en="Members (Party members, cadres)",
                         date_field="since", natural_key=("region_id", "name", "since"),
                         description_zh="挂牌上岗、作出承诺并接受评议的党员和村（居）干部",
                         description_en="Party members and cadres who post commitments and are reviewed"))
    register(RecordTable(model=Commitment, label_zh="党员承诺事项", label_en="Commitments", period_field="year", period_kind="year",
                         natural_key=("member_id", "year", "content"),
                         description_zh="每名党员每年从群众最关心的问题入手作出的量化承诺及兑现情况",
                         description_en="Each member's quantified public commitments for the year and whether they were kept"))
    register(RecordTable(model=CommitmentFeedback, label_zh="承诺跟踪反馈", label_en="Commitment feedback", date_field="feedback_date",
                         natural_key=("commitment_id", "feedback_date", "done")))
    register(RecordTable(model=CommitmentComplaint, label_zh="投诉箱、意见栏", label_en="Complaints and comments", date_field="received_on",
                         natural_key=("region_id", "received_on", "channel", "summary"),
                         description_zh="投诉箱、意见栏、电话、当面和网上收到的投诉意见及答复",
                         description_en="Complaints and comments from the box, the board, phone, in person and online, with replies"))
    register(RecordTable(model=CommitmentReview, label_zh="党员三评", label_en="Three-way reviews", period_field="year", period_kind="year",
                         natural_key=("member_id", "year", "half"),
                         description_zh="领导点评、党员互评、群众评议（群众评议无记名，只记人数和平均分）",
                         description_en="Leader, peer and residents' review (residents anonymous: only count and mean score)"))
    register(RecordTable(model=CadreAssessment, label_zh="干部德能勤绩廉考核", label_en="Cadre assessments", period_field="year",
                         period_kind="year", natural_key=("member_id", "year")))
    register(RecordTable(model=StudyDay, label_zh="政治理论学习日", label_en="Study days", date_field="held_on",
                         natural_key=("region_id", "held_on", "topic")))


@hookimpl
def register_indicators(register):
    for indicator in all_indicators():
        register(indicator)


@hookimpl
def register_rules(register):
    for rule in all_rules():
        register(rule)


@hookimpl
def register_settings(register):
    for s in SETTINGS:
        register(s)


@hookimpl
def populate(ctx):
    from .data import populate_demo, populate_synthetic

    if ctx.mode == "demo":
        populate_demo(ctx)
    else:
        populate_synthetic(ctx)


from .views import register_views  # noqa: E402,F401  dashboard views
from .board import register_boards, register_commands  # noqa: E402,F401  党员承诺公开栏
from .migrations import register_migrations  # noqa: E402,F401  schema migrations (shequ migrate)
