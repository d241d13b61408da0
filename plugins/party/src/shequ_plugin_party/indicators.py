"""Indicators: counts of organisations, Party bodies and instructors active at the period's end,
yearly figures from the organisations' profiles, the coverage rate, and 三必谈 talks.

Every query returns one row per region the counted rows belong to (a county's own
organisations sit on the county), so the engine's roll-up sums villages, townships and the
county's own rows alike.
"""

from __future__ import annotations

from sqlalchemy import and_, exists, func, select

from shequ_sdk import Association, Indicator

from .models import SOCIAL_ORG, PartyCoverage, PartyEvaluation, PartyInstructor, PartyMobileMember, PartyOrganisation, PartyOrgProfile, PartyTalk


def _org_active(q):
    return and_(Association.type_key == SOCIAL_ORG, q.active_on(Association.founded, Association.dissolved))


def organisations(q):
    return q.count(Association, _org_active(q))


def covered_organisations(q):
    covered = exists().where(PartyCoverage.association_id == Association.id, q.active_on(PartyCoverage.start_date, PartyCoverage.end_date))
    return q.count(Association, _org_active(q), covered)


def uncovered_organisations(q):
    covered = exists().where(PartyCoverage.association_id == Association.id, q.active_on(PartyCoverage.start_date, PartyCoverage.end_date))
    return q.count(Association, _org_active(q), ~covered)


def _organisations_by_mode(mode: str):
    def numerator(q):
        return (
            select(PartyCoverage.region_id.label("region_id"), func.count(func.distinct(PartyCoverage.association_id)).label("value"))
            .join(Association, Association.id == PartyCoverage.association_id)
            .where(q.in_scope(PartyCoverage.region_id), PartyCoverage.mode == mode,
                   q.active_on(PartyCoverage.start_date, PartyCoverage.end_date),
                   q.active_on(Association.founded, Association.dissolved))
            .group_by(PartyCoverage.region_id)
        )
    return numerator


def _bodies(kind: str):
    def numerator(q):
        return q.count(PartyOrganisation, PartyOrganisation.kind == kind, q.active_on(PartyOrganisation.founded, PartyOrganisation.dissolved))
    return numerator


def instructors(q):
    return q.count(PartyInstructor, q.active_on(PartyInstructor.appointed, PartyInstructor.ended))


def _profile_sum(column):
    def numerator(q):
        return q.sum(PartyOrgProfile, column, PartyOrgProfile.year == q.period.year)
    return numerator


def _profile_count(flag):
    def numerator(q):
        return q.count(PartyOrgProfile, PartyOrgProfile.year == q.period.year, flag.is_(True))
    return numerator


def mobile_members(q):
    return q.count(PartyMobileMember, PartyMobileMember.relation_transferred.is_(False),
                   q.active_on(PartyMobileMember.out_date, PartyMobileMember.returned_on))


def excellent(q):
    return q.count(PartyEvaluation, PartyEvaluation.year == q.period.year, PartyEvaluation.grade == "excellent")


def evaluated(q):
    return q.count(PartyEvaluation, PartyEvaluation.year == q.period.year)


def talks(q):
    return q.count(PartyTalk, date=PartyTalk.talk_date)


BRANCH_KINDS = ("standalone", "joint")  # attached groups talk with their host unit's branch


def _branch_active(q):
    return and_(PartyOrganisation.kind.in_(BRANCH_KINDS), q.active_on(PartyOrganisation.founded, PartyOrganisation.dissolved))


def branches(q):
    return q.count(PartyOrganisation, _branch_active(q))


def branches_with_talks(q):
    held = exists().where(PartyTalk.party_org_id == PartyOrganisation.id, q.in_period(PartyTalk.talk_date))
    return q.count(PartyOrganisation, _branch_active(q), held)


YEAR = ("year",)


def all_indicators() -> list[Indicator]:
    return [
        Indicator(key="party.organisations", label_zh="社会组织数", label_en="Social organisations", unit_zh="家", unit_en="",
                  numerator=organisations, description_zh="期末存续的社会组织", description_en="Social organisations existing at the end of the period"),
        Indicator(key="party.members", label_zh="社会组织党员数", label_en="Party members in social organisations", unit_zh="人", unit_en="",
                  numerator=_profile_sum(PartyOrgProfile.party_members), period_kinds=YEAR, headline=True,
                  description_zh="各社会组织年报的党员人数之和", description_en="Party members reported by the organisations for the year"),
        Indicator(key="party.association_members", label_zh="社会组织会员数", label_en="Members of social organisations", unit_zh="人", unit_en="",
                  numerator=_profile_sum(PartyOrgProfile.members), period_kinds=YEAR),
        Indicator(key="party.staff_party_members", label_zh="专职人员中的党员", label_en="Party members among full-time staff", unit_zh="人", unit_en="",
                  numerator=_profile_sum(PartyOrgProfile.staff_party_members), period_kinds=YEAR),
        Indicator(key="party.standalone_branches", label_zh="单独建党支部", label_en="Standalone branches", unit_zh="个", unit_en="",
                  numerator=_bodies("standalone")),
        Indicator(key="party.joint_branches", label_zh="联合党支部", label_en="Joint branches", unit_zh="个", unit_en="",
                  numerator=_bodies("joint")),
        Indicator(key="party.joint_branch_organisations", label_zh="联合建覆盖的组织", label_en="Organisations in joint branches", unit_zh="家", unit_en="",
                  numerator=_organisations_by_mode("joint")),
        Indicator(key="party.attached_groups", label_zh="挂靠建党小组", label_en="Attached Party groups", unit_zh="个", unit_en="",
                  numerator=_bodies("attached")),
        Indicator(key="party.instructors", label_zh="党建指导员", label_en="Party-building instructors", unit_zh="名", unit_en="",
                  numerator=instructors),
        Indicator(key="party.instructor_organisations", label_zh="委派指导员的组织", label_en="Organisations with an instructor", unit_zh="家", unit_en="",
                  numerator=_organisations_by_mode("instructor")),
        Indicator(key="party.uncovered_organisations", label_zh="未覆盖的社会组织", label_en="Uncovered organisations", unit_zh="家", unit_en="",
                  numerator=uncovered_organisations),
        Indicator(key="party.coverage_rate", label_zh="党组织覆盖率", label_en="Party coverage rate", unit_zh="", unit_en="",
                  numerator=covered_organisations, denominator=organisations, value_type="ratio", headline=True,
                  description_zh="期末有覆盖方式（单独建、联合建、挂靠建或委派指导员）的社会组织 ÷ 社会组织数",
                  description_en="Organisations covered by some mode at the end of the period ÷ organisations"),
        Indicator(key="party.unions", label_zh="建有工会的组织", label_en="Organisations with a union", unit_zh="个", unit_en="",
                  numerator=_profile_count(PartyOrgProfile.has_union), period_kinds=YEAR),
        Indicator(key="party.youth_leagues", label_zh="建有共青团组织的组织", label_en="Organisations with a youth league branch", unit_zh="个", unit_en="",
                  numerator=_profile_count(PartyOrgProfile.has_youth_league), period_kinds=YEAR),
        Indicator(key="party.womens_organisations", label_zh="建有妇女组织的组织", label_en="Organisations with a women's organisation", unit_zh="个", unit_en="",
                  numerator=_profile_count(PartyOrgProfile.has_women_org), period_kinds=YEAR),
        Indicator(key="party.mobile_members", label_zh="流动党员", label_en="Mobile Party members", unit_zh="人", unit_en="",
                  numerator=mobile_members, description_zh="期末在外、未转组织关系的流动党员",
                  description_en="Members away at the end of the period whose membership stayed at home"),
        Indicator(key="party.excellent_share", label_zh="评议优秀比例", label_en="Share graded excellent", unit_zh="", unit_en="",
                  numerator=excellent, denominator=evaluated, value_type="ratio", period_kinds=YEAR),
        Indicator(key="party.talks", label_zh="三必谈谈心谈话", label_en="Heart-to-heart talks (the three must-talks)", unit_zh="次", unit_en="",
                  numerator=talks, description_zh="期内党组织遇有思想情绪、重大政治事件、矛盾纠纷时与党员的谈话次数",
                  description_en="Talks Party bodies held with members in the period (thoughts and moods, political events, disputes)"),
        Indicator(key="party.talk_branch_share", label_zh="开展谈心谈话的党支部比例", label_en="Share of branches holding talks", unit_zh="", unit_en="",
                  numerator=branches_with_talks, denominator=branches, value_type="ratio",
                  description_zh="期末存续的单独建、联合建党支部中，期内至少谈话一次的 ÷ 党支部数",
                  description_en="Standalone and joint branches existing at the end of the period that held a talk in it ÷ those branches"),
    ]
