"""Hand-written SQL for every registered indicator: the baseline of ``benchmarks/county_bench.py``.

Each indicator part (numerator, denominator) is one statement, written the way an analyst would
write it against the tables directly: the area as ``region_id IN (SELECT id FROM region WHERE
county_id = :area)``, no per-village subquery, the figure for the whole area in one row — or, for
the dashboard's village table, ``GROUP BY`` the region. One statement per figure, as the engine
issues one per figure, so the ratio measures what the SDK adds (the plugin's SQL shape, the
engine's grouping, Python around it), not a different plan of work.

Two figures rest on a schedule the application maintains (``finance_obligation``, filled by the
finance plugin's ``prepare`` from the township's settings; stability's stored due dates): the
hand SQL reads those stored tables as a hand-written report would, and the SDK's figure
includes keeping them current. Settings are read as their defaults; :func:`check_assumptions`
refuses a database that overrides one the hand SQL hard-codes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Optional

from sqlalchemy import bindparam, text

from shequ_sdk.period import Period


@dataclass(frozen=True)
class Hand:
    """One statement. ``sql`` holds ``{sel}`` / ``{grp}`` (empty for the whole area, the region
    column and ``GROUP BY`` for a per-village answer) and ``{scope}`` (the area's region ids)."""

    sql: str
    region: str = "t.region_id"
    lists: tuple[str, ...] = ()  # parameters bound as expanding lists


def _q(sql: str, region: str = "t.region_id", lists: tuple[str, ...] = ()) -> Hand:
    return Hand(" ".join(sql.split()), region, lists)


def _active(start: str, end: str, day: str = ":day") -> str:
    return f"({start} IS NULL OR {start} <= {day}) AND ({end} IS NULL OR {end} > {day})"


def _count(table: str, where: str = "", region: str = "t.region_id") -> Hand:
    return _q(f"SELECT {{sel}}count(*) FROM {table} t WHERE t.region_id IN {{scope}} {('AND ' + where) if where else ''} {{grp}}", region)


def _sum(table: str, expr: str, where: str = "") -> Hand:
    return _q(f"SELECT {{sel}}coalesce(sum({expr}), 0) FROM {table} t WHERE t.region_id IN {{scope}} {('AND ' + where) if where else ''} {{grp}}")


IN_PERIOD = "BETWEEN :start AND :end"

# -- finance: the status of each stored obligation, as finance.deadlines.status_rows defines it --
_DONE = """CASE o.kind
  WHEN 'board' THEN (SELECT min(p.posted_on) FROM finance_posting p WHERE p.region_id = o.region_id AND p.board = o.board
                     AND p.period = o.period AND p.kind = 'regular' AND p.status = 'published' AND p.posted_on <= :as_of)
  WHEN 'major' THEN (SELECT min(p.posted_on) FROM finance_posting_item i JOIN finance_posting p ON p.id = i.posting_id
                     WHERE i.ledger_entry_id = o.ledger_entry_id AND p.status = 'published' AND p.posted_on <= :as_of)
  ELSE (SELECT qq.replied_on FROM finance_query qq WHERE qq.id = o.query_id AND qq.replied_on <= :as_of) END"""


def _obligations(kinds: str, status_where: str) -> Hand:
    return _q(f"""SELECT {{sel}}count(*) FROM (
        SELECT o.region_id, o.due_date, {_DONE} AS done_on FROM finance_obligation o
        WHERE o.region_id IN {{scope}} AND o.kind IN ({kinds}) AND o.period_start >= :start AND o.period_end <= :end) t
        WHERE {status_where} {{grp}}""")


_ON_TIME = "t.done_on IS NOT NULL AND t.done_on <= t.due_date"
_DECIDED = "(t.done_on IS NOT NULL OR t.due_date < :as_of)"
_MISSING = "t.done_on IS NULL AND t.due_date < :as_of"
_LATE_OR_MISSING = "((t.done_on IS NOT NULL AND t.done_on > t.due_date) OR (t.done_on IS NULL AND t.due_date < :as_of))"

# -- sanitation: days a collection was due (association active, village in force, up to the last day) --
_DUE_SQLITE = """SELECT g.id AS region_id, sum(max(0,
        julianday(min(:last, coalesce(date(a.dissolved, '-1 day'), :last), coalesce(date(g.valid_to, '-1 day'), :last)))
      - julianday(max(:start, coalesce(a.founded, :start), coalesce(g.valid_from, :start))) + 1)) AS days
    FROM region g JOIN association a ON a.region_id = g.id AND a.type_key = 'sanitation'
    WHERE g.id IN {scope} AND g.kind IN ('village', 'community') GROUP BY g.id"""
_DUE_PG = """SELECT g.id AS region_id, sum(greatest(0,
        least(CAST(:last AS date), coalesce(a.dissolved - 1, CAST(:last AS date)), coalesce(g.valid_to - 1, CAST(:last AS date)))
      - greatest(CAST(:start AS date), coalesce(a.founded, CAST(:start AS date)), coalesce(g.valid_from, CAST(:start AS date))) + 1)) AS days
    FROM region g JOIN association a ON a.region_id = g.id AND a.type_key = 'sanitation'
    WHERE g.id IN {scope} AND g.kind IN ('village', 'community') GROUP BY g.id"""
_RUN_DAYS = """SELECT r.region_id, count(DISTINCT r.run_date) AS n FROM sanitation_collection_run r
    JOIN association a ON a.region_id = r.region_id AND a.type_key = 'sanitation'
      AND (a.founded IS NULL OR a.founded <= r.run_date) AND (a.dissolved IS NULL OR a.dissolved > r.run_date)
    JOIN region g ON g.id = r.region_id
    WHERE r.region_id IN {scope} AND r.run_date BETWEEN :start AND :last
      AND (g.valid_from IS NULL OR g.valid_from <= r.run_date) AND (g.valid_to IS NULL OR g.valid_to > r.run_date)
    GROUP BY r.region_id"""


def _collection(dialect: str, part: str) -> Hand:
    due = _DUE_PG if dialect == "postgresql" else _DUE_SQLITE
    least = "least" if dialect == "postgresql" else "min"
    value = f"{least}(n.n, t.days)" if part == "num" else "t.days"
    join = "JOIN" if part == "num" else "LEFT JOIN"
    return _q(f"SELECT {{sel}}coalesce(sum({value}), 0) FROM ({due}) t {join} ({_RUN_DAYS}) n ON n.region_id = t.region_id "
              f"WHERE t.days > 0 {{grp}}")


# -- family planning: contacts against the schedule, whole months on the register ------------
def _schedule(part: str, kinds: tuple[str, ...], months: list[Period], rate_per_year: int) -> Hand:
    """due = ⌊rate × M × k / 12⌋ as in the plugin: twelfths = rate × k × M (``rate_per_year`` = rate × k)."""
    kinds_sql = ", ".join(f"'{k}'" for k in kinds)
    terms = " + ".join(
        f"CASE WHEN t.registered_on <= '{m.start}' AND (t.left_on IS NULL OR t.left_on > '{m.end}') THEN 1 ELSE 0 END" for m in months
    ) or "0"
    inner = f"""SELECT t.region_id, {rate_per_year} * ({terms}) AS tw,
        (SELECT count(*) FROM family_planning_contact c WHERE c.family_id = t.id AND c.region_id IN {{scope}} AND c.kind IN ({kinds_sql})
           AND c.contact_date BETWEEN :start AND :end AND c.contact_date <= :as_of) AS n
        FROM family_planning_special_family t WHERE t.region_id IN {{scope}}"""
    where = "t.tw >= 12 AND t.tw < (t.n + 1) * 12" if part == "num" else "t.tw >= 12"
    return _q(f"SELECT {{sel}}count(*) FROM ({inner}) t WHERE {where} {{grp}}")


# -- commitments: replies within the deadline (the default 15 days), study months (at least 1 day) --
def _reply_due(dialect: str, days: int = 15) -> str:
    return f"(t.received_on + {days})" if dialect == "postgresql" else f"date(t.received_on, '+{days} days')"


def _replies(dialect: str, part: str) -> Hand:
    replied = "t.replied_on IS NOT NULL AND t.replied_on <= :as_of"
    due = _reply_due(dialect)
    where = f"{replied} AND t.replied_on <= {due}" if part == "num" else f"(({replied}) OR {due} < :as_of)"
    return _count("commitments_complaint", f"t.received_on {IN_PERIOD} AND t.received_on <= :as_of AND {where}")


def _study(part: str, months: list[Period]) -> Hand:
    """Complete months of the period from the roster's start, per village with Party members; the
    numerator counts those with a study day."""
    terms = []
    for m in months:
        cond = f"(t.since IS NULL OR t.since <= '{m.end}')"
        if part == "num":
            cond += (f" AND EXISTS (SELECT 1 FROM commitments_study_day s WHERE s.region_id = t.region_id "
                     f"AND s.held_on BETWEEN '{m.start}' AND '{m.end}')")
        terms.append(f"CASE WHEN {cond} THEN 1 ELSE 0 END")
    inner = ("SELECT t.region_id, min(t.since) AS since FROM commitments_member t WHERE t.region_id IN {scope} "
             "AND t.is_party_member = :t GROUP BY t.region_id")
    return _q(f"SELECT {{sel}}coalesce(sum({' + '.join(terms) or '0'}), 0) FROM ({inner}) t {{grp}}")


def _months(period: Period, as_of: dt.date) -> list[Period]:
    out = []
    for m in period.subperiods("month"):
        if m.end > as_of:
            break
        out.append(m)
    return out


# -- decisions: resolutions disclosed within the deadline (the default 7 days) --
def _disclosed(dialect: str, part: str, days: int = 7) -> Hand:
    due = f"(t.held_on + {days})" if dialect == "postgresql" else f"date(t.held_on, '+{days} days')"
    where = f"d.held_on IS NOT NULL AND d.held_on <= {due}" if part == "num" else f"(d.held_on IS NOT NULL OR {due} < :as_of)"
    return _q(f"""SELECT {{sel}}count(*) FROM decisions_step t LEFT JOIN decisions_step d ON d.matter_id = t.matter_id
        AND d.step = 'resolution_disclosure' AND d.held_on <= :as_of WHERE t.region_id IN {{scope}} AND t.step = 'resolution'
        AND t.result = 'passed' AND t.held_on {IN_PERIOD} AND t.held_on <= :as_of AND {where} {{grp}}""")


def queries(dialect: str, period: Period, as_of: dt.date) -> dict[str, tuple[Hand, Optional[Hand]]]:
    """``{indicator key: (numerator, denominator or None)}`` for ``period``."""
    months = _months(period, as_of)
    fp_visits, fp_f2f, fp_contacts = 4, 1 * 12, 1 * 52  # the settings' defaults × their unit per year
    t = ":t"
    f = ":f"
    q: dict[str, tuple[Hand, Optional[Hand]]] = {
        # core
        "core.villages": (_q(f"SELECT {{sel}}count(*) FROM region t WHERE t.id IN {{scope}} AND t.kind IN ('village', 'community') "
                             f"AND {_active('t.valid_from', 't.valid_to')} {{grp}}", region="t.id"), None),
        "core.households": (_count("household"), None),
        "core.associations": (_count("association", _active("t.founded", "t.dissolved")), None),
        "core.honours": (_count("honour", "t.year BETWEEN :y0 AND :y1"), None),
        # civility
        "civility.households_10_star": (_count("civility_star_rating", "t.year BETWEEN :y0 AND :y1 AND t.star_count >= 10 "
                                                                     "AND (t.revoked_on IS NULL OR t.revoked_on > :day)"), None),
        "civility.households_9_star": (_count("civility_star_rating", "t.year BETWEEN :y0 AND :y1 AND t.star_count = 9 "
                                                                    "AND (t.revoked_on IS NULL OR t.revoked_on > :day)"), None),
        "civility.rated_households": (_q("SELECT {sel}count(DISTINCT t.household_id) FROM civility_star_rating t "
                                         "WHERE t.region_id IN {scope} AND t.year BETWEEN :y0 AND :y1 {grp}"), None),
        "civility.good_daughter_in_law": (_count("civility_household_award", "t.year BETWEEN :y0 AND :y1 AND t.award = 'good_daughter_in_law'"), None),
        "civility.family_awards": (_count("civility_household_award", "t.year BETWEEN :y0 AND :y1"), None),
        # culture and sports
        "culture.libraries": (_count("culture_sports_library", _active("t.established", "t.closed")), None),
        "culture.library_books": (_sum("culture_sports_library", """coalesce((SELECT s.books FROM culture_sports_library_stock s
            WHERE s.library_id = t.id AND s.stock_date <= :day ORDER BY s.stock_date DESC, s.id DESC LIMIT 1), t.books)""",
                                       _active("t.established", "t.closed")), None),
        "culture.activities": (_count("culture_sports_activity", f"t.activity_date {IN_PERIOD}"), None),
        "culture.participants": (_sum("culture_sports_activity", "t.participants", f"t.activity_date {IN_PERIOD}"), None),
        "culture.loans": (_count("culture_sports_loan", f"t.lent_on {IN_PERIOD}"), None),
        # elderly
        "elderly.five_guarantee_homes": (_count("elderly_home", _active("t.built", "t.closed")), None),
        "elderly.five_guarantee_residents": (_count("elderly_resident", _active("t.admitted", "t.discharged")), None),
        "elderly.five_guarantee_funds_yuan": (_sum("elderly_home_fund", "t.amount_fen", "t.received <= :day"), None),
        "elderly.activities": (_count("elderly_activity", f"t.held_on {IN_PERIOD}"), None),
        # family planning
        "family_planning.special_families": (_count("family_planning_special_family", "t.registered_on <= :day AND (t.left_on IS NULL OR t.left_on > :day)"), None),
        "family_planning.visits_on_schedule_rate": (_schedule("num", ("home_visit",), months, fp_visits),
                                                    _schedule("den", ("home_visit",), months, fp_visits)),
        "family_planning.face_to_face_on_schedule_rate": (_schedule("num", ("meeting", "home_visit", "festival"), months, fp_f2f),
                                                          _schedule("den", ("meeting", "home_visit", "festival"), months, fp_f2f)),
        "family_planning.contacts_on_schedule_rate": (_schedule("num", ("phone", "meeting", "home_visit", "festival"), months, fp_contacts),
                                                      _schedule("den", ("phone", "meeting", "home_visit", "festival"), months, fp_contacts)),
        "family_planning.family_doctor_rate": (
            _count("family_planning_special_family", f"t.registered_on <= :day AND (t.left_on IS NULL OR t.left_on > :day) "
                                                     f"AND t.family_doctor_signed = {t} AND (t.family_doctor_signed_on IS NULL OR t.family_doctor_signed_on <= :day)"),
            _count("family_planning_special_family", "t.registered_on <= :day AND (t.left_on IS NULL OR t.left_on > :day)")),
        "family_planning.home_visits": (_count("family_planning_contact", f"t.kind = 'home_visit' AND t.contact_date <= :as_of AND t.contact_date {IN_PERIOD}"), None),
        "family_planning.services": (_count("family_planning_service", f"t.service_date <= :as_of AND t.service_date {IN_PERIOD}"), None),
        "family_planning.service_attendees": (_sum("family_planning_service", "t.attendees", f"t.service_date <= :as_of AND t.service_date {IN_PERIOD}"), None),
        # finance
        "finance.disclosure_on_time_rate": (_obligations("'board', 'major'", _ON_TIME), _obligations("'board', 'major'", _DECIDED)),
        "finance.overdue_boards": (_obligations("'board', 'major'", _MISSING), None),
        "finance.boards_posted": (_q("""SELECT {sel}count(*) FROM (SELECT DISTINCT p.region_id, p.board, p.period FROM finance_posting p
            WHERE p.region_id IN {scope} AND p.kind = 'regular' AND p.status = 'published' AND p.posted_on <= :as_of
            AND p.period IN :labels) t {grp}""", lists=("labels",)), None),
        "finance.queries_overdue": (_obligations("'query'", _LATE_OR_MISSING), None),
        "finance.queries_received": (_count("finance_query", f"t.received_on {IN_PERIOD}"), None),
        "finance.income": (_sum("finance_ledger_entry", "t.amount_fen", f"t.direction = 'income' AND t.entry_date {IN_PERIOD}"), None),
        "finance.expenditure": (_sum("finance_ledger_entry", "t.amount_fen", f"t.direction = 'expense' AND t.entry_date {IN_PERIOD}"), None),
        # party
        "party.organisations": (_count("association", f"t.type_key = 'social_org' AND {_active('t.founded', 't.dissolved')}"), None),
        "party.members": (_sum("party_org_profile", "t.party_members", "t.year = :year"), None),
        "party.association_members": (_sum("party_org_profile", "t.members", "t.year = :year"), None),
        "party.staff_party_members": (_sum("party_org_profile", "t.staff_party_members", "t.year = :year"), None),
        "party.standalone_branches": (_count("party_organisation", f"t.kind = 'standalone' AND {_active('t.founded', 't.dissolved')}"), None),
        "party.joint_branches": (_count("party_organisation", f"t.kind = 'joint' AND {_active('t.founded', 't.dissolved')}"), None),
        "party.attached_groups": (_count("party_organisation", f"t.kind = 'attached' AND {_active('t.founded', 't.dissolved')}"), None),
        "party.joint_branch_organisations": (_q(f"""SELECT {{sel}}count(DISTINCT t.association_id) FROM party_coverage t
            JOIN association a ON a.id = t.association_id WHERE t.region_id IN {{scope}} AND t.mode = 'joint'
            AND {_active('t.start_date', 't.end_date')} AND {_active('a.founded', 'a.dissolved')} {{grp}}"""), None),
        "party.instructors": (_count("party_instructor", _active("t.appointed", "t.ended")), None),
        "party.instructor_organisations": (_q(f"""SELECT {{sel}}count(DISTINCT t.association_id) FROM party_coverage t
            JOIN association a ON a.id = t.association_id WHERE t.region_id IN {{scope}} AND t.mode = 'instructor'
            AND {_active('t.start_date', 't.end_date')} AND {_active('a.founded', 'a.dissolved')} {{grp}}"""), None),
        "party.uncovered_organisations": (_count("association", f"""t.type_key = 'social_org' AND {_active('t.founded', 't.dissolved')}
            AND NOT EXISTS (SELECT 1 FROM party_coverage c WHERE c.association_id = t.id AND {_active('c.start_date', 'c.end_date')})"""), None),
        "party.coverage_rate": (_count("association", f"""t.type_key = 'social_org' AND {_active('t.founded', 't.dissolved')}
            AND EXISTS (SELECT 1 FROM party_coverage c WHERE c.association_id = t.id AND {_active('c.start_date', 'c.end_date')})"""),
                                _count("association", f"t.type_key = 'social_org' AND {_active('t.founded', 't.dissolved')}")),
        "party.unions": (_count("party_org_profile", f"t.year = :year AND t.has_union = {t}"), None),
        "party.youth_leagues": (_count("party_org_profile", f"t.year = :year AND t.has_youth_league = {t}"), None),
        "party.womens_organisations": (_count("party_org_profile", f"t.year = :year AND t.has_women_org = {t}"), None),
        "party.mobile_members": (_count("party_mobile_member", f"t.relation_transferred = {f} AND {_active('t.out_date', 't.returned_on')}"), None),
        "party.talks": (_count("party_talk", f"t.talk_date {IN_PERIOD}"), None),
        "party.talk_branch_share": (
            _count("party_organisation", f"""t.kind IN ('standalone', 'joint') AND {_active('t.founded', 't.dissolved')}
                   AND EXISTS (SELECT 1 FROM party_talk k WHERE k.party_org_id = t.id AND k.talk_date {IN_PERIOD})"""),
            _count("party_organisation", f"t.kind IN ('standalone', 'joint') AND {_active('t.founded', 't.dissolved')}")),
        "party.excellent_share": (_count("party_evaluation", "t.year = :year AND t.grade = 'excellent'"), _count("party_evaluation", "t.year = :year")),
        # commitments
        "commitments.made": (_count("commitments_pledge", "t.year = :year"), None),
        "commitments.due": (_count("commitments_pledge", "t.due_date BETWEEN :start AND :day AND t.status <> 'withdrawn'"), None),
        "commitments.kept": (_count("commitments_pledge", "t.due_date BETWEEN :start AND :day AND t.status = 'kept'"), None),
        "commitments.overdue": (_count("commitments_pledge", f"t.due_date {IN_PERIOD} AND t.due_date < :as_of AND t.status = 'ongoing'"), None),
        "commitments.withdrawn": (_count("commitments_pledge", "t.year = :year AND t.status = 'withdrawn'"), None),
        "commitments.complaints": (_count("commitments_complaint", f"t.received_on <= :as_of AND t.received_on {IN_PERIOD}"), None),
        "commitments.complaints_upheld": (_count("commitments_complaint", f"t.received_on <= :as_of AND t.received_on {IN_PERIOD} "
                                                                         "AND t.outcome IN ('upheld', 'partly_upheld')"), None),
        "commitments.replied_on_time_rate": (_replies(dialect, "num"), _replies(dialect, "den")),
        "commitments.reviews": (_count("commitments_review", "t.year = :year"), None),
        "commitments.excellent_share": (_count("commitments_review", "t.year = :year AND t.grade = 'excellent'"),
                                        _count("commitments_review", "t.year = :year")),
        "commitments.unqualified_share": (_count("commitments_review", "t.year = :year AND t.grade = 'unqualified'"),
                                          _count("commitments_review", "t.year = :year")),
        "commitments.party_members": (_count("commitments_member", f"t.is_party_member = {t} AND {_active('t.since', 't.until')}"), None),
        "commitments.review_coverage": (
            _count("commitments_member", f"t.is_party_member = {t} AND {_active('t.since', 't.until')} "
                                        "AND t.id IN (SELECT r.member_id FROM commitments_review r WHERE r.year = :year)"),
            _count("commitments_member", f"t.is_party_member = {t} AND {_active('t.since', 't.until')}")),
        "commitments.cadres_assessed": (_count("commitments_cadre_assessment", "t.year = :year"), None),
        "commitments.cadre_excellent_share": (_count("commitments_cadre_assessment", "t.year = :year AND t.grade = 'excellent'"),
                                              _count("commitments_cadre_assessment", "t.year = :year")),
        "commitments.study_compliance": (_study("num", months), _study("den", months)),
        # decisions
        "decisions.major_matters": (_count("decisions_matter", f"t.proposed_on {IN_PERIOD} AND t.proposed_on <= :as_of"), None),
        "decisions.four_deliberations_share": (
            _count("decisions_matter", f"""t.proposed_on {IN_PERIOD} AND t.proposed_on <= :as_of AND t.id IN (SELECT s.matter_id
                FROM decisions_step s WHERE s.step IN ('proposal', 'consultation', 'party_review', 'resolution')
                AND (s.step = 'proposal' OR s.result = 'passed') AND s.held_on <= :as_of GROUP BY s.matter_id HAVING count(*) = 4)"""),
            _count("decisions_matter", f"t.proposed_on {IN_PERIOD} AND t.proposed_on <= :as_of")),
        "decisions.disclosed_on_time_rate": (_disclosed(dialect, "num"), _disclosed(dialect, "den")),
        "decisions.contract_income_due": (_sum("decisions_contract_payment", "t.due_fen", f"t.due_on {IN_PERIOD} AND t.due_on <= :as_of"), None),
        "decisions.contract_income_received": (
            _sum("decisions_contract_payment", "CASE WHEN t.received_on IS NOT NULL AND t.received_on <= :as_of THEN t.received_fen ELSE 0 END",
                 f"t.due_on {IN_PERIOD} AND t.due_on <= :as_of"), None),
        "decisions.overdue_payments": (_count("decisions_contract_payment", f"""t.due_on {IN_PERIOD} AND t.due_on < :as_of
            AND (t.received_on IS NULL OR t.received_on > :as_of OR t.received_fen < t.due_fen)"""), None),
        "decisions.assets": (_count("decisions_asset", "t.acquired_on <= :day AND (t.disposed_on IS NULL OR t.disposed_on > :day)"), None),
        "decisions.assets_value": (_sum("decisions_asset", "t.value_fen", "t.acquired_on <= :day AND (t.disposed_on IS NULL OR t.disposed_on > :day)"),
                                   None),
        "decisions.villages_with_rules": (_q(f"""SELECT {{sel}}count(DISTINCT t.region_id) FROM decisions_village_rule t WHERE t.region_id IN {{scope}}
            AND t.current = {t} AND t.filed_on IS NOT NULL AND t.filed_on <= :day AND t.adopted_on <= :day {{grp}}"""), None),
        # sanitation
        "sanitation.bin_coverage": (
            _q(f"""SELECT {{sel}}count(*) FROM household t WHERE t.region_id IN {{scope}} AND EXISTS (SELECT 1 FROM sanitation_bin b
                WHERE b.household_id = t.id AND {_active('b.issued', 'b.withdrawn')}) {{grp}}"""),
            _count("household")),
        "sanitation.collection_rate": (_collection(dialect, "num"), _collection(dialect, "den")),
        "sanitation.collections": (_count("sanitation_collection_run", f"t.run_date {IN_PERIOD}"), None),
        "sanitation.collected_kg": (_sum("sanitation_collection_run", "t.amount_kg", f"t.run_date {IN_PERIOD}"), None),
        "sanitation.sorted_share": (_sum("sanitation_collection_run", "t.amount_kg", f"t.sorted = {t} AND t.run_date {IN_PERIOD}"),
                                    _sum("sanitation_collection_run", "t.amount_kg", f"t.run_date {IN_PERIOD}")),
        # stability
        "stability.mediation_cases": (_count("stability_mediation_case", f"t.status <> 'rejected' AND t.registered_on <= :as_of AND t.registered_on {IN_PERIOD}"), None),
        "stability.mediation_success_rate": (
            _count("stability_mediation_case", f"t.status = 'success' AND t.registered_on <= :as_of AND t.registered_on {IN_PERIOD}"),
            _count("stability_mediation_case", f"t.status <> 'rejected' AND t.registered_on <= :as_of AND t.registered_on {IN_PERIOD}")),
        "stability.agreement_amount": (_sum("stability_mediation_case", "t.amount_fen", f"t.status = 'success' AND t.registered_on <= :as_of AND t.registered_on {IN_PERIOD}"), None),
        "stability.follow_up_rate": (
            _count("stability_mediation_case", f"""t.status = 'success' AND t.registered_on <= :as_of AND t.registered_on {IN_PERIOD}
                AND EXISTS (SELECT 1 FROM stability_follow_up v WHERE v.case_id = t.id AND v.visit_date <= :as_of)"""),
            _count("stability_mediation_case", f"t.status = 'success' AND t.registered_on <= :as_of AND t.registered_on {IN_PERIOD}")),
        "stability.closed_on_time_rate": (
            _count("stability_mediation_case", f"t.status IN ('success', 'failed') AND t.closed_on <= :as_of AND t.closed_on <= t.due_on AND t.closed_on {IN_PERIOD}"),
            _count("stability_mediation_case", f"t.status IN ('success', 'failed') AND t.closed_on <= :as_of AND t.closed_on {IN_PERIOD}")),
        "stability.patrols": (_count("stability_patrol", f"t.patrol_date <= :as_of AND t.patrol_date {IN_PERIOD}"), None),
        "stability.patrol_person_hours": (_sum("stability_patrol", "t.participants * t.hours", f"t.patrol_date <= :as_of AND t.patrol_date {IN_PERIOD}"), None),
        "stability.patrol_issues": (_sum("stability_patrol", "t.issues_found", f"t.patrol_date <= :as_of AND t.patrol_date {IN_PERIOD}"), None),
    }
    q["commitments.kept_rate"] = (q["commitments.kept"][0], q["commitments.due"][0])
    q["decisions.contract_collection_rate"] = (q["decisions.contract_income_received"][0], q["decisions.contract_income_due"][0])
    q["civility.ten_star_share"] = (q["civility.households_10_star"][0], q["civility.rated_households"][0])
    q["elderly.occupancy_rate"] = (
        _q(f"""SELECT {{sel}}count(r.id) FROM elderly_resident r JOIN elderly_home t ON t.id = r.home_id WHERE t.region_id IN {{scope}}
            AND r.support_form = 'concentrated' AND {_active('r.admitted', 'r.discharged')} AND {_active('t.built', 't.closed')} {{grp}}"""),
        _sum("elderly_home", "t.capacity", _active("t.built", "t.closed")))
    return q


def finance_labels(period: Period) -> list[str]:
    """The quarter and month labels inside ``period`` that postings are filed under."""
    labels = [str(period)] if period.kind in ("quarter", "month") else []
    if period.kind == "year":
        labels += [str(p) for p in period.subperiods("quarter")]
    if period.kind in ("year", "quarter"):
        labels += [str(p) for p in period.subperiods("month")]
    return labels


def params(period: Period, as_of: dt.date, area_id: int) -> dict[str, Any]:
    last = min(period.end, as_of)
    return {"area": area_id, "start": period.start, "end": period.end, "as_of": as_of, "day": last, "last": last,
            "y0": period.start.year, "y1": period.end.year, "year": period.year, "t": True, "f": False,
            "labels": finance_labels(period)}


def scope_sql(area_kind: str) -> str:
    column = {"county": "county_id", "township": "township_id"}.get(area_kind)
    if column is None:
        return "(:area)"
    return f"(SELECT id FROM region WHERE {column} = :area)"


def render(h: Hand, area_kind: str, by_village: bool):
    sel = f"{h.region} AS rid, " if by_village else ""
    grp = f"GROUP BY {h.region}" if by_village else ""
    stmt = text(h.sql.format(sel=sel, grp=grp, scope=scope_sql(area_kind)))
    for name in h.lists:
        stmt = stmt.bindparams(bindparam(name, expanding=True))
    return stmt


def check_assumptions(conn) -> None:
    """The hand SQL hard-codes setting defaults; refuse a database that overrides them."""
    keys = ("sanitation.collection_days_per_week", "family_planning.home_visits_per_year",
            "family_planning.face_to_face_per_month", "family_planning.contacts_per_week", "commitments.reply_days",
            "commitments.study_days_min", "decisions.disclosure_days")
    found = conn.execute(text("SELECT key FROM setting WHERE key IN :keys").bindparams(bindparam("keys", expanding=True)),
                         {"keys": list(keys)}).scalars().all()
    if found:
        raise SystemExit(f"the hand-written SQL assumes default settings, but the database overrides {sorted(set(found))}")


def number(value) -> Any:
    """Database numbers as Python ints where they are whole (PostgreSQL sums come as Decimal)."""
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return value
