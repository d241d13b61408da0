"""shequ-sdk plugin: party (社会组织党建) — Party-building coverage of social organisations.

Social organisations are core ``Association`` rows of type ``social_org``. Each is covered by one
mode at a time — 单独建 (standalone branch), 联合建 (joint branch), 挂靠建 (Party group attached
to the supervising unit) or 委派指导员 (an assigned instructor) — recorded in
``party_coverage``. The plugin also keeps the organisations' yearly Party figures, mobile Party
members and their reports, 民主评议 grades, the services Party bodies run and their 三必谈
heart-to-heart talks with members.
"""

from __future__ import annotations

from shequ_sdk import AssociationType, RecordTable, Setting, hookimpl

from .indicators import all_indicators
from .models import (
    SOCIAL_ORG, PartyActivity, PartyCoverage, PartyEvaluation, PartyInstructor, PartyMobileMember, PartyMobileReport,
    PartyOrganisation, PartyOrgProfile, PartyTalk,
)
from .rules import BRANCH_MIN, EXCELLENT_LIMIT, REPORT_MONTHS, STANDALONE_STAFF, all_rules

__all__ = [
    "register_association_types", "register_tables", "register_indicators", "register_rules", "register_settings", "populate",
    "PartyOrgProfile", "PartyOrganisation", "PartyInstructor", "PartyCoverage", "PartyMobileMember", "PartyMobileReport",
    "PartyEvaluation", "PartyActivity", "PartyTalk", "SOCIAL_ORG",
]


@hookimpl
def register_association_types(register):
    register(AssociationType(
        key=SOCIAL_ORG, name_zh="社会组织", name_en="Social organisation",
        description_zh="社会团体、社会服务机构和备案的社区社会组织", description_en="Social groups, social service institutions and filed community organisations",
        duties_zh=("按“自愿入会、自理会务、自筹经费”开展活动", "年检时报送党建信息", "配合建立党组织或接受党建指导员指导"),
        duties_en=("run on voluntary membership, self-run affairs and self-raised funds", "report Party-building figures at the annual inspection",
                   "set up a Party body or work with a Party-building instructor"),
    ))


@hookimpl
def register_tables(register):
    t = SOCIAL_ORG
    register(RecordTable(model=PartyOrgProfile, label_zh="社会组织党建年报", label_en="Party-building profiles", level="any", association_type=t,
                         period_field="year", period_kind="year", natural_key=("association_id", "year"),
                         description_zh="每个社会组织每年的会员、党员、专职人员及工青妇组织情况",
                         description_en="Each organisation's members, Party members, staff and mass organisations per year"))
    register(RecordTable(model=PartyOrganisation, label_zh="社会组织党组织", label_en="Party bodies", level="any", association_type=t,
                         date_field="founded", natural_key=("region_id", "name"),
                         description_zh="单独建党支部、联合党支部和挂靠党小组", description_en="Standalone branches, joint branches and attached groups"))
    register(RecordTable(model=PartyInstructor, label_zh="党建指导员", label_en="Party-building instructors", level="any", association_type=t,
                         date_field="appointed", natural_key=("region_id", "name", "dispatching_unit")))
    register(RecordTable(model=PartyCoverage, label_zh="党组织覆盖方式", label_en="Coverage", level="any", association_type=t,
                         date_field="start_date", natural_key=("association_id", "start_date"),
                         description_zh="每个社会组织在某段时间由哪种方式覆盖（同一时间只能一种）",
                         description_en="Which mode covers each organisation over time (one at a time)"))
    register(RecordTable(model=PartyMobileMember, label_zh="流动党员", label_en="Mobile Party members", level="any", association_type=t,
                         date_field="out_date", natural_key=("region_id", "name", "out_date"), sensitive=True))
    register(RecordTable(model=PartyMobileReport, label_zh="流动党员汇报", label_en="Mobile members' reports", level="any", association_type=t,
                         date_field="report_date", natural_key=("mobile_member_id", "report_date")))
    register(RecordTable(model=PartyEvaluation, label_zh="民主评议党员", label_en="Member evaluations", level="any", association_type=t,
                         period_field="year", period_kind="year", natural_key=("party_org_id", "year", "member_name"), sensitive=True))
    register(RecordTable(model=PartyActivity, label_zh="党组织活动", label_en="Party bodies' activities", level="any", association_type=t,
                         period_field="year", period_kind="year", natural_key=("region_id", "year", "title", "association_id")))
    register(RecordTable(model=PartyTalk, label_zh="三必谈谈心谈话", label_en="Heart-to-heart talks (the three must-talks)", level="any", association_type=t,
                         date_field="talk_date", natural_key=("party_org_id", "talk_date", "member_name"), sensitive=True,
                         description_zh="党组织遇有思想情绪、重大政治事件、矛盾纠纷时与党员的谈心谈话",
                         description_en="Talks a Party body holds with a member on thoughts and moods, a major political event or a dispute"))


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
    register(Setting(key=STANDALONE_STAFF, default=3, label_zh="单独建党支部：专职人员中党员数下限", label_en="Standalone branch: staff Party members",
                     description_zh="常设办事机构工作人员中有此数以上党员的社会组织应单独建立党支部",
                     description_en="An organisation with at least this many Party members among its staff should have its own branch"))
    register(Setting(key=BRANCH_MIN, default=3, label_zh="党支部最少正式党员数", label_en="Minimum members of a branch",
                     description_zh="有正式党员3人以上的，应当成立党支部", description_en="A branch needs at least this many full members"))
    register(Setting(key=REPORT_MONTHS, default=2, label_zh="流动党员汇报间隔（月）", label_en="Mobile members' report interval (months)",
                     description_zh="流动党员每两个月向党支部汇报一次思想和工作情况", description_en="Mobile members report to their branch every two months"))
    register(Setting(key=EXCELLENT_LIMIT, default="1/3", label_zh="民主评议优秀比例上限", label_en="Maximum share graded excellent",
                     description_zh="评为优秀的党员一般不超过党员总数的三分之一", description_en="At most this share of a body's members may be graded excellent"))


@hookimpl
def populate(ctx):
    from .data import populate_demo, populate_synthetic

    if ctx.mode == "demo":
        populate_demo(ctx)
    else:
        populate_synthetic(ctx)


from .views import register_views  # noqa: E402,F401  dashboard views
from .migrations import register_migrations  # noqa: E402,F401  schema migrations (shequ migrate)
