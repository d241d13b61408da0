"""Validation rules: coverage (exactly one mode at a time), branch conditions, 民主评议 quota,
mobile-member reporting, 三必谈 talks.

Row rules look rows up through ``ctx.memo`` so a batch costs one query per lookup table, not
one per row. A rule runs both on writes (``row.id`` is unset; the batch so far is in
``ctx.batch``) and in ``shequ check`` over stored rows (``row.id`` is set; the row itself is
already in the database and must not be counted twice).
"""

from __future__ import annotations

import calendar
import datetime as dt
from fractions import Fraction
from typing import Iterable

from sqlalchemy import func, select

from shequ_sdk import Association, InputError, Problem, Region, Rule
from shequ_sdk import config

from .models import (
    BODY_KINDS, MODES, SOCIAL_ORG, PartyActivity, PartyCoverage, PartyEvaluation, PartyInstructor, PartyMobileMember,
    PartyMobileReport, PartyOrganisation, PartyOrgProfile, PartyTalk,
)

STANDALONE_STAFF = "party.standalone_staff_threshold"
BRANCH_MIN = "party.branch_min_members"
REPORT_MONTHS = "party.mobile_report_months"
EXCELLENT_LIMIT = "party.excellent_share_limit"


# -- small helpers ----------------------------------------------------------------------

def add_months(d: dt.date, months: int) -> dt.date:
    """``d`` plus whole calendar months, clamped to the month's last day (Jan 31 + 1 → Feb 28)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return dt.date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def overlaps(a0, a1, b0, b1) -> bool:
    """Half-open spans [a0, a1) and [b0, b1) share a day; ``None`` is open-ended."""
    lo_a, hi_a = a0 or dt.date.min, a1 or dt.date.max
    lo_b, hi_b = b0 or dt.date.min, b1 or dt.date.max
    return lo_a < hi_b and lo_b < hi_a


def active_on(start, end, day: dt.date) -> bool:
    return (start is None or start <= day) and (end is None or end > day)


def parse_share(value) -> Fraction:
    try:
        share = Fraction(str(value).strip())
    except (ValueError, ZeroDivisionError):
        raise InputError(f"配置项 {EXCELLENT_LIMIT} 的值 {value!r} 不是比例（如 1/3）",
                         f"setting {EXCELLENT_LIMIT} = {value!r} is not a share such as 1/3") from None
    if not 0 <= share <= 1:
        raise InputError(f"配置项 {EXCELLENT_LIMIT} 应在 0 到 1 之间，收到 {value!r}", f"setting {EXCELLENT_LIMIT} must lie between 0 and 1, got {value!r}")
    return share


def _stored(row) -> bool:
    return getattr(row, "id", None) is not None


def _upsert(ctx) -> bool:
    """In an upsert a row whose natural key is stored replaces that row, so it is no rival."""
    return getattr(ctx, "mode", "insert") == "upsert"


def _setting(ctx, key: str, region_id: int):
    """A setting for a region, with the overrides read once per batch."""
    return ctx.setting(key, region_id)


def _settings_for(session, key: str, region_ids: Iterable[int]) -> dict[int, object]:
    ids = sorted(set(region_ids))
    regions = list(session.execute(select(Region).where(Region.id.in_(ids))).scalars()) if ids else []
    return config.resolve_for(session, key, regions)


def _associations(ctx) -> dict[int, tuple]:
    # these tables hold one row per organisation or Party body: small enough to read whole once per batch
    return ctx.memo("party.associations", lambda: {
        r.id: r for r in ctx.session.execute(select(Association.id, Association.region_id, Association.type_key, Association.name,
                                                    Association.founded, Association.dissolved))
    })


def _bodies(ctx) -> dict[int, tuple]:
    return ctx.memo("party.bodies", lambda: {
        r.id: r for r in ctx.session.execute(select(PartyOrganisation.id, PartyOrganisation.region_id, PartyOrganisation.kind,
                                                    PartyOrganisation.name, PartyOrganisation.party_members,
                                                    PartyOrganisation.founded, PartyOrganisation.dissolved))
    })


def _instructors(ctx) -> dict[int, tuple]:
    return ctx.memo("party.instructors", lambda: {
        r.id: r for r in ctx.session.execute(select(PartyInstructor.id, PartyInstructor.region_id, PartyInstructor.appointed,
                                                    PartyInstructor.ended))
    })


def _mobile_members(ctx) -> dict[int, tuple]:
    return ctx.memo("party.mobile_members", lambda: {
        r.id: r for r in ctx.session.execute(select(PartyMobileMember.id, PartyMobileMember.region_id, PartyMobileMember.name,
                                                    PartyMobileMember.out_date, PartyMobileMember.returned_on))
    })


def _fold_batch(ctx, key: str, add) -> dict:
    """Fold the rows validated so far in this batch into ``state`` incrementally (O(n) per batch)."""
    st = ctx.cache.setdefault(key, {"done": 0, "index": {}})
    for r in ctx.batch[st["done"]:]:
        add(st["index"], r)
    st["done"] = len(ctx.batch)
    return st["index"]


def _same_region(row, owner_region: int, what_zh: str, what_en: str, ctx) -> Iterable[Problem]:
    if row.region_id != owner_region:
        owner = ctx.region(owner_region)
        here = ctx.region(row.region_id)
        yield Problem(f"地区应与{what_zh}所在地区一致（{owner.name if owner else owner_region}），不是 {here.name if here else row.region_id}",
                      f"region must be the {what_en}'s region ({owner.name if owner else owner_region})",
                      field="region_id", value=row.region_id)


def _association_link(row, ctx, field_name: str = "association_id") -> Iterable[Problem]:
    aid = getattr(row, field_name)
    if aid is None:
        return
    a = _associations(ctx).get(aid)
    if a is None:
        yield Problem("社会组织不存在", "no such organisation", field=field_name, value=aid)
        return
    yield from _same_region(row, a.region_id, f"社会组织「{a.name}」", f"organisation {a.name}", ctx)


def _not_future(row, name: str, ctx, label_zh: str, label_en: str) -> Iterable[Problem]:
    value = getattr(row, name)
    if value is not None and value > ctx.today:
        yield Problem(f"{label_zh}不能晚于今天（{ctx.today}）", f"{label_en} cannot be later than today ({ctx.today})", field=name, value=value)


def _order(row, first: str, second: str, ctx, strict: bool = False) -> Iterable[Problem]:
    a, b = getattr(row, first), getattr(row, second)
    if a is not None and b is not None and (b <= a if strict else b < a):
        yield Problem(f"{second} 应晚于 {first}（{a}）", f"{second} must come after {first} ({a})", field=second, value=b)


# -- organisation profiles ------------------------------------------------------------

def profile_consistent(row: PartyOrgProfile, ctx) -> Iterable[Problem]:
    yield from _association_link(row, ctx)
    if row.party_members > row.members:
        yield Problem(f"党员人数不能多于会员人数（{row.members}）", f"Party members cannot exceed members ({row.members})",
                      field="party_members", value=row.party_members)
    if row.staff_party_members > row.staff:
        yield Problem(f"专职人员中的党员不能多于专职人员（{row.staff}）", f"staff Party members cannot exceed staff ({row.staff})",
                      field="staff_party_members", value=row.staff_party_members)
    if row.staff_party_members > row.party_members:
        yield Problem(f"专职人员中的党员不能多于党员人数（{row.party_members}）", f"staff Party members cannot exceed Party members ({row.party_members})",
                      field="staff_party_members", value=row.staff_party_members)
    if row.year > ctx.today.year:
        yield Problem("年度不能晚于今年", "the year cannot be in the future", field="year", value=row.year)


def _profiles_and_standalone(session):
    profiles = session.execute(select(PartyOrgProfile.id, PartyOrgProfile.association_id, PartyOrgProfile.region_id,
                                      PartyOrgProfile.year, PartyOrgProfile.staff_party_members)).all()
    spans: dict[int, list] = {}
    for c in session.execute(select(PartyCoverage.association_id, PartyCoverage.start_date, PartyCoverage.end_date)
                             .where(PartyCoverage.mode == "standalone")):
        spans.setdefault(c.association_id, []).append((c.start_date, c.end_date))
    names = dict(session.execute(select(Association.id, Association.name).where(
        Association.id.in_({p.association_id for p in profiles} or {-1}))).all())
    threshold = _settings_for(session, STANDALONE_STAFF, (p.region_id for p in profiles))
    return profiles, spans, names, threshold


def standalone_expected(session) -> Iterable[Problem]:
    """An organisation with enough Party members among its staff should have its own branch."""
    profiles, spans, names, threshold = _profiles_and_standalone(session)
    for p in profiles:
        need = threshold[p.region_id]
        day = dt.date(p.year, 12, 31)
        if p.staff_party_members >= need and not any(active_on(s, e, day) for s, e in spans.get(p.association_id, ())):
            yield Problem(f"「{names.get(p.association_id)}」{p.year} 年专职人员中有 {p.staff_party_members} 名党员（≥{need}），但未单独建立党支部",
                          f"{names.get(p.association_id)} had {p.staff_party_members} Party members among its staff in {p.year} "
                          f"(≥{need}) but no standalone branch",
                          table="party_org_profile", row=p.id, field="staff_party_members", value=p.staff_party_members)


def standalone_condition(session) -> Iterable[Problem]:
    """A standalone branch presumes at least the threshold of Party members among the staff."""
    profiles, spans, names, threshold = _profiles_and_standalone(session)
    for p in profiles:
        need = threshold[p.region_id]
        day = dt.date(p.year, 12, 31)
        if p.staff_party_members < need and any(active_on(s, e, day) for s, e in spans.get(p.association_id, ())):
            yield Problem(f"「{names.get(p.association_id)}」{p.year} 年单独建党支部，但专职人员中党员只有 {p.staff_party_members} 名（应≥{need}）",
                          f"{names.get(p.association_id)} had a standalone branch in {p.year} with only {p.staff_party_members} "
                          f"Party members among its staff (needs ≥{need})",
                          table="party_org_profile", row=p.id, field="staff_party_members", value=p.staff_party_members)


# -- Party bodies and instructors --------------------------------------------------------

def body_consistent(row: PartyOrganisation, ctx) -> Iterable[Problem]:
    kind_zh = BODY_KINDS.get(row.kind, (row.kind,))[0]
    if row.kind == "attached":
        if not row.host_unit:
            yield Problem("挂靠建党小组须填写挂靠的主管单位党组织（谁主管谁负责）", "an attached group needs its host unit (the supervising unit's Party body)",
                          field="host_unit", value=row.host_unit)
        if row.party_members < 1:
            yield Problem("党小组至少要有 1 名党员", "a Party group needs at least one member", field="party_members", value=row.party_members)
    else:
        need = _setting(ctx, BRANCH_MIN, row.region_id)
        if row.party_members < need:
            yield Problem(f"{kind_zh}至少要有 {need} 名正式党员", f"a {row.kind} branch needs at least {need} full Party members",
                          field="party_members", value=row.party_members)
    if row.kind == "joint" and not row.basis:
        yield Problem("联合党支部须注明组建依据（行业相近或地域相邻）", "a joint branch needs its basis (similar trade or nearby place)",
                      field="basis", value=row.basis)
    if row.kind != "joint" and row.basis:
        yield Problem("只有联合党支部有组建依据", "only a joint branch has a basis", field="basis", value=row.basis)
    yield from _not_future(row, "founded", ctx, "成立日期", "founding date")
    yield from _order(row, "founded", "dissolved", ctx)


def instructor_consistent(row: PartyInstructor, ctx) -> Iterable[Problem]:
    yield from _not_future(row, "appointed", ctx, "选派日期", "appointment date")
    yield from _order(row, "appointed", "ended", ctx)


def branch_scope(session) -> Iterable[Problem]:
    """A standalone branch covers one organisation; a joint branch several; every body at least one."""
    open_links: dict[int, int] = dict(session.execute(
        select(PartyCoverage.party_org_id, func.count()).where(PartyCoverage.party_org_id.is_not(None), PartyCoverage.end_date.is_(None))
        .group_by(PartyCoverage.party_org_id)).all())
    for b in session.execute(select(PartyOrganisation.id, PartyOrganisation.name, PartyOrganisation.kind)
                             .where(PartyOrganisation.dissolved.is_(None)).order_by(PartyOrganisation.id)):
        n = open_links.get(b.id, 0)
        if n == 0:
            yield Problem(f"「{b.name}」目前没有覆盖任何社会组织", f"{b.name} covers no organisation at present",
                          table="party_organisation", row=b.id, field="kind", value=b.kind)
        elif b.kind == "standalone" and n > 1:
            yield Problem(f"单独建党支部「{b.name}」覆盖了 {n} 个组织，应改为联合党支部", f"standalone branch {b.name} covers {n} organisations; make it a joint branch",
                          table="party_organisation", row=b.id, field="kind", value=b.kind)
        elif b.kind == "joint" and n < 2:
            yield Problem(f"联合党支部「{b.name}」只覆盖 1 个组织", f"joint branch {b.name} covers a single organisation",
                          table="party_organisation", row=b.id, field="kind", value=b.kind)


# -- coverage -------------------------------------------------------------------------

def coverage_link(row: PartyCoverage, ctx) -> Iterable[Problem]:
    yield from _association_link(row, ctx)
    mode_zh = MODES.get(row.mode, (row.mode,))[0]
    if row.mode == "instructor":
        if row.instructor_id is None:
            yield Problem("委派指导员方式须指明党建指导员", "the instructor mode needs an instructor", field="instructor_id", value=None)
        elif row.instructor_id not in _instructors(ctx):
            yield Problem("党建指导员不存在", "no such instructor", field="instructor_id", value=row.instructor_id)
        if row.party_org_id is not None:
            yield Problem("委派指导员方式不挂党组织（暂无党组织）", "the instructor mode has no Party body", field="party_org_id", value=row.party_org_id)
    else:
        if row.instructor_id is not None:
            yield Problem(f"{mode_zh}方式不填党建指导员", f"the {row.mode} mode takes no instructor", field="instructor_id", value=row.instructor_id)
        if row.party_org_id is None:
            yield Problem(f"{mode_zh}方式须指明党组织", f"the {row.mode} mode needs its Party body", field="party_org_id", value=None)
        else:
            body = _bodies(ctx).get(row.party_org_id)
            if body is None:
                yield Problem("党组织不存在", "no such Party body", field="party_org_id", value=row.party_org_id)
            elif body.kind != row.mode:
                yield Problem(f"「{body.name}」是{BODY_KINDS[body.kind][0]}，与覆盖方式「{mode_zh}」不符",
                              f"{body.name} is a {body.kind} body, which does not match the {row.mode} mode",
                              field="mode", value=row.mode)
    yield from _not_future(row, "start_date", ctx, "起始日期", "start date")
    yield from _order(row, "start_date", "end_date", ctx, strict=True)


def _coverage_db(ctx) -> dict[int, list]:
    def load():
        out: dict[int, list] = {}
        for r in ctx.session.execute(select(PartyCoverage.id, PartyCoverage.association_id, PartyCoverage.mode,
                                            PartyCoverage.start_date, PartyCoverage.end_date)):
            out.setdefault(r.association_id, []).append(r)
        return out
    return ctx.memo("party.coverage", load)


def coverage_single(row: PartyCoverage, ctx) -> Iterable[Problem]:
    """At any time an organisation is covered by exactly one mode: spans must not overlap."""
    stored = _coverage_db(ctx).get(row.association_id, [])
    if _stored(row):
        others = [(o.id, o.mode, o.start_date, o.end_date) for o in stored if o.id != row.id]
    else:
        others = [(o.id, o.mode, o.start_date, o.end_date) for o in stored
                  if not (_upsert(ctx) and row.start_date is not None and o.start_date == row.start_date)]
        batch = _fold_batch(ctx, "party.coverage.batch",
                            lambda idx, r: idx.setdefault(r.association_id, []).append((None, r.mode, r.start_date, r.end_date)))
        others += batch.get(row.association_id, [])
    a = _associations(ctx).get(row.association_id)
    name = a.name if a else row.association_id
    for oid, mode, s, e in others:
        if overlaps(row.start_date, row.end_date, s, e):
            where_zh = f"（记录 {oid}）" if oid else "（本批数据中）"
            where_en = f" (record {oid})" if oid else " (in this batch)"
            span = f"{s or '不详'}—{e or '至今'}"
            yield Problem(f"「{name}」在 {span} 已由「{MODES.get(mode, (mode,))[0]}」覆盖{where_zh}，同一时间只能有一种覆盖方式",
                          f"{name} is already covered by the {mode} mode over {s or '?'}–{e or 'now'}{where_en}; "
                          "an organisation has one coverage mode at a time",
                          field="association_id", value=row.association_id)
            return


def coverage_required(session) -> Iterable[Problem]:
    """Every social organisation in existence must be covered by some mode today."""
    today = dt.date.today()
    covered = set(session.execute(
        select(PartyCoverage.association_id).where(
            (PartyCoverage.start_date.is_(None)) | (PartyCoverage.start_date <= today),
            (PartyCoverage.end_date.is_(None)) | (PartyCoverage.end_date > today))).scalars())
    for a in session.execute(select(Association.id, Association.name, Association.region_id).where(
            Association.type_key == SOCIAL_ORG, Association.dissolved.is_(None)).order_by(Association.id)):
        if a.id not in covered:
            yield Problem(f"社会组织「{a.name}」没有任何党组织覆盖方式（单独建、联合建、挂靠建或委派指导员）",
                          f"organisation {a.name} is covered by no mode (standalone, joint, attached or instructor)",
                          table="association", row=a.id, field="name", value=a.name)


# -- mobile Party members ----------------------------------------------------------------

def mobile_consistent(row: PartyMobileMember, ctx) -> Iterable[Problem]:
    yield from _association_link(row, ctx)
    if row.party_org_id is not None and row.party_org_id not in _bodies(ctx):
        yield Problem("党组织不存在", "no such Party body", field="party_org_id", value=row.party_org_id)
    if row.association_id is None and row.party_org_id is None:
        yield Problem("须填写所在社会组织或所属党组织", "give the member's organisation or home Party body", field="association_id", value=None)
    yield from _not_future(row, "out_date", ctx, "外出日期", "departure date")
    yield from _not_future(row, "returned_on", ctx, "返回日期", "return date")
    yield from _not_future(row, "last_contact", ctx, "最近联系日期", "last contact")
    yield from _order(row, "out_date", "returned_on", ctx)
    yield from _order(row, "out_date", "expected_return", ctx)
    yield from _order(row, "out_date", "last_contact", ctx)
    if not row.relation_transferred and not (row.permit_no or "").strip():
        yield Problem("未转组织关系的流动党员须发放并登记《流动党员活动证》编号", "a mobile member whose membership stays at home needs an activity permit number",
                      field="permit_no", value=row.permit_no)


def _latest_reports(ctx) -> dict[int, dt.date]:
    return ctx.memo("party.latest_reports", lambda: dict(ctx.session.execute(
        select(PartyMobileReport.mobile_member_id, func.max(PartyMobileReport.report_date)).group_by(PartyMobileReport.mobile_member_id)).all()))


def mobile_overdue(row: PartyMobileMember, ctx) -> Iterable[Problem]:
    """A member still away must report at least every two months (configurable)."""
    if row.returned_on is not None or row.relation_transferred or row.out_date > ctx.today:
        return
    latest = max(d for d in (row.out_date, row.last_contact, _latest_reports(ctx).get(row.id) if _stored(row) else None) if d)
    months = _setting(ctx, REPORT_MONTHS, row.region_id)
    due = add_months(latest, months)
    if due < ctx.today:
        yield Problem(f"流动党员 {row.name} 最近一次汇报/联系在 {latest}，已超过 {months} 个月（应于 {due} 前汇报）",
                      f"mobile member {row.name} last reported on {latest}, more than {months} months ago (due by {due})",
                      field="last_contact", value=latest)


def mobile_report_gaps(session) -> Iterable[Problem]:
    """Closed gaps longer than the reporting interval between departure, reports and return."""
    members = session.execute(select(PartyMobileMember.id, PartyMobileMember.region_id, PartyMobileMember.name,
                                     PartyMobileMember.out_date, PartyMobileMember.returned_on)
                              .where(PartyMobileMember.relation_transferred.is_(False)).order_by(PartyMobileMember.id)).all()
    reports: dict[int, list] = {}
    for r in session.execute(select(PartyMobileReport.mobile_member_id, PartyMobileReport.report_date).order_by(PartyMobileReport.report_date)):
        reports.setdefault(r.mobile_member_id, []).append(r.report_date)
    months = _settings_for(session, REPORT_MONTHS, (m.region_id for m in members))
    for m in members:
        points = [m.out_date] + [d for d in reports.get(m.id, []) if m.returned_on is None or d <= m.returned_on]
        if m.returned_on is not None:
            points.append(m.returned_on)
        n = months[m.region_id]
        for a, b in zip(points, points[1:]):
            if b > add_months(a, n):
                yield Problem(f"流动党员 {m.name} 在 {a} 至 {b} 之间超过 {n} 个月未汇报", f"mobile member {m.name} did not report between {a} and {b} (over {n} months)",
                              table="party_mobile_member", row=m.id, field="report_date", value=b)


def report_consistent(row: PartyMobileReport, ctx) -> Iterable[Problem]:
    m = _mobile_members(ctx).get(row.mobile_member_id)
    if m is None:
        yield Problem("流动党员不存在", "no such mobile member", field="mobile_member_id", value=row.mobile_member_id)
        return
    yield from _same_region(row, m.region_id, f"流动党员 {m.name}", f"mobile member {m.name}", ctx)
    if row.report_date < m.out_date:
        yield Problem(f"汇报日期早于外出日期（{m.out_date}）", f"report is dated before the member left ({m.out_date})", field="report_date", value=row.report_date)
    if m.returned_on is not None and row.report_date > m.returned_on:
        yield Problem(f"汇报日期晚于返回日期（{m.returned_on}）", f"report is dated after the member returned ({m.returned_on})", field="report_date", value=row.report_date)
    yield from _not_future(row, "report_date", ctx, "汇报日期", "report date")


# -- democratic evaluation (民主评议) -----------------------------------------------------

def evaluation_consistent(row: PartyEvaluation, ctx) -> Iterable[Problem]:
    body = _bodies(ctx).get(row.party_org_id)
    if body is None:
        yield Problem("党组织不存在", "no such Party body", field="party_org_id", value=row.party_org_id)
        return
    yield from _same_region(row, body.region_id, f"党组织「{body.name}」", f"Party body {body.name}", ctx)
    if row.year > ctx.today.year:
        yield Problem("评议年度不能晚于今年", "the evaluation year cannot be in the future", field="year", value=row.year)
    if row.evaluated_on is not None and not (row.year <= row.evaluated_on.year <= row.year + 1):
        yield Problem(f"评议日期应在 {row.year} 年或次年初", f"the evaluation date must fall in {row.year} or early the next year",
                      field="evaluated_on", value=row.evaluated_on)


def _stored_evaluations(ctx, body_id: int) -> tuple[dict, dict]:
    """A body's stored evaluations, read once per batch: ``({year: [(id, name, grade)]}, {(year, name): [id]})``."""
    def load():
        by_year: dict[int, list] = {}
        by_key: dict[tuple, list] = {}
        for r in ctx.session.execute(select(PartyEvaluation.id, PartyEvaluation.year, PartyEvaluation.member_name, PartyEvaluation.grade)
                                     .where(PartyEvaluation.party_org_id == body_id)):
            by_year.setdefault(r.year, []).append((r.id, r.member_name, r.grade))
            by_key.setdefault((r.year, r.member_name), []).append(r.id)
        return by_year, by_key
    return ctx.memo(("party.evaluations", body_id), load)


def _duplicate(row, ctx, stored_ids: list[int], key: tuple, batch_key: str, key_of) -> bool:
    """A second row with the same natural key (stored or earlier in the batch) would be counted twice.
    ``stored_ids``: the ids of stored rows with this key."""
    if _stored(row):
        return any(rid != row.id for rid in stored_ids)
    seen = _fold_batch(ctx, batch_key, lambda idx, r: idx.__setitem__(key_of(r), True))
    return key in seen or (not _upsert(ctx) and bool(stored_ids))


def _already(what_zh: str, what_en: str, field: str, value) -> Problem:
    return Problem(f"{what_zh}已登记过（同一记录只能有一条；修改请用更新导入）", f"{what_en} is already recorded (update it instead of adding it again)",
                   field=field, value=value)


def evaluation_unique(row: PartyEvaluation, ctx) -> Iterable[Problem]:
    key = (row.party_org_id, row.year, row.member_name)
    stored = _stored_evaluations(ctx, row.party_org_id)[1].get(key[1:], ())
    if _duplicate(row, ctx, stored, key, "party.evaluation_keys", lambda r: (r.party_org_id, r.year, r.member_name)):
        yield _already(f"{row.member_name} 的 {row.year} 年评议", f"the {row.year} evaluation of {row.member_name}", "member_name", row.member_name)


def profile_unique(row: PartyOrgProfile, ctx) -> Iterable[Problem]:
    def load():
        out: dict[tuple, list[int]] = {}
        for r in ctx.session.execute(select(PartyOrgProfile.id, PartyOrgProfile.association_id, PartyOrgProfile.year)):
            out.setdefault((r.association_id, r.year), []).append(r.id)
        return out
    key = (row.association_id, row.year)
    if _duplicate(row, ctx, ctx.memo("party.profile_keys", load).get(key, ()), key, "party.profile_batch_keys", lambda r: (r.association_id, r.year)):
        yield _already(f"该组织 {row.year} 年的党建年报", f"this organisation's {row.year} profile", "year", row.year)


def excellent_quota(row: PartyEvaluation, ctx) -> Iterable[Problem]:
    """优秀 may go to at most a third (configurable) of a body's members in a year."""
    if row.grade != "excellent":
        return
    body = _bodies(ctx).get(row.party_org_id)
    if body is None:
        return
    stored = _stored_evaluations(ctx, row.party_org_id)[0].get(row.year, [])
    if _stored(row):
        excellent_others = sum(1 for rid, _, grade in stored if grade == "excellent" and rid != row.id)
        evaluated = len(stored) - any(rid == row.id for rid, _, _ in stored) + 1
    else:
        batch = _fold_batch(ctx, "party.evaluations.batch",
                            lambda idx, r: idx.setdefault((r.party_org_id, r.year), {}).__setitem__(r.member_name, r.grade))
        in_batch = batch.get((row.party_org_id, row.year), {})
        replaced = set(in_batch) | ({row.member_name} if _upsert(ctx) else set())
        others = [grade for _, name, grade in stored if name not in replaced] + list(in_batch.values())
        excellent_others = sum(1 for g in others if g == "excellent")
        evaluated = len(others) + 1
    share = parse_share(_setting(ctx, EXCELLENT_LIMIT, row.region_id))
    base = max(body.party_members, evaluated)
    limit = int(base * share)  # floor: 优秀 ≤ share × members
    excellent = 1 + excellent_others
    if excellent > limit:
        yield Problem(f"「{body.name}」{row.year} 年评为优秀的已达 {excellent} 人，超过党员数 {base} 的 {share}（最多 {limit} 人）",
                      f"{body.name} would have {excellent} members graded excellent in {row.year}, more than {share} of {base} members (at most {limit})",
                      field="grade", value=row.grade)


# -- activities ------------------------------------------------------------------------

def activity_consistent(row: PartyActivity, ctx) -> Iterable[Problem]:
    yield from _association_link(row, ctx)
    if row.party_org_id is not None and row.party_org_id not in _bodies(ctx):
        yield Problem("党组织不存在", "no such Party body", field="party_org_id", value=row.party_org_id)
    if row.year > ctx.today.year:
        yield Problem("年度不能晚于今年", "the year cannot be in the future", field="year", value=row.year)
    if row.amount_at_least and row.amount_fen is None:
        yield Problem("标注“金额为下限”时须填写金额", "a lower-bound amount needs the amount", field="amount_fen", value=None)


# -- 三必谈 heart-to-heart talks ----------------------------------------------------------

def talk_consistent(row: PartyTalk, ctx) -> Iterable[Problem]:
    """A talk belongs to an existing body in its region, on a day the body existed, not in the future."""
    body = _bodies(ctx).get(row.party_org_id)
    if body is None:
        yield Problem("党组织不存在", "no such Party body", field="party_org_id", value=row.party_org_id)
        return
    yield from _same_region(row, body.region_id, f"党组织「{body.name}」", f"Party body {body.name}", ctx)
    yield from _not_future(row, "talk_date", ctx, "谈话日期", "talk date")
    if body.founded is not None and row.talk_date < body.founded:
        yield Problem(f"谈话日期早于「{body.name}」的成立日期（{body.founded}）", f"the talk is dated before {body.name} was founded ({body.founded})",
                      field="talk_date", value=row.talk_date)
    if body.dissolved is not None and row.talk_date >= body.dissolved:
        yield Problem(f"谈话日期不早于「{body.name}」的撤销日期（{body.dissolved}）", f"the talk is dated on or after {body.name} was dissolved ({body.dissolved})",
                      field="talk_date", value=row.talk_date)
    if row.member_name.strip() == row.held_by.strip():
        yield Problem("谈话人与谈话对象不能是同一人", "the person holding the talk cannot be the member talked with", field="held_by", value=row.held_by)
    if row.follow_up and not (row.outcome or "").strip():
        yield Problem("需要跟进的谈话须写明谈话结果", "a talk that needs follow-up needs its outcome", field="outcome", value=row.outcome)


def all_rules() -> list[Rule]:
    return [
        Rule(key="party.profile_consistent", label_zh="党建年报数字一致", label_en="Profile figures are consistent",
             table="party_org_profile", check_row=profile_consistent),
        Rule(key="party.profile_unique", label_zh="每个组织每年一份年报", label_en="One profile per organisation and year",
             table="party_org_profile", check_row=profile_unique),
        Rule(key="party.standalone_expected", label_zh="专职人员有3名以上党员的应单独建支部", label_en="Organisations with enough staff Party members have their own branch",
             table="party_org_profile", check_db=standalone_expected, severity="warning"),
        Rule(key="party.standalone_condition", label_zh="单独建须专职人员中有3名以上党员", label_en="A standalone branch has enough staff Party members",
             table="party_org_profile", check_db=standalone_condition, severity="warning"),
        Rule(key="party.body_consistent", label_zh="党组织设置条件", label_en="Party body set-up conditions",
             table="party_organisation", check_row=body_consistent),
        Rule(key="party.branch_scope", label_zh="单独建覆盖一个组织、联合建覆盖多个", label_en="Branch covers the right number of organisations",
             table="party_organisation", check_db=branch_scope, severity="warning"),
        Rule(key="party.instructor_consistent", label_zh="指导员日期合理", label_en="Instructor dates are consistent",
             table="party_instructor", check_row=instructor_consistent),
        Rule(key="party.coverage_link", label_zh="覆盖方式与党组织/指导员一致", label_en="Coverage mode matches its body or instructor",
             table="party_coverage", check_row=coverage_link),
        Rule(key="party.coverage_single", label_zh="同一时间只有一种覆盖方式", label_en="One coverage mode at a time",
             table="party_coverage", check_row=coverage_single),
        Rule(key="party.coverage_required", label_zh="每个社会组织都有覆盖方式", label_en="Every social organisation is covered",
             table="association", check_db=coverage_required),
        Rule(key="party.mobile_consistent", label_zh="流动党员登记完整", label_en="Mobile member record is complete",
             table="party_mobile_member", check_row=mobile_consistent),
        Rule(key="party.mobile_overdue", label_zh="流动党员每两个月汇报一次", label_en="Mobile members report every two months",
             table="party_mobile_member", check_row=mobile_overdue, severity="warning"),
        Rule(key="party.mobile_report_gaps", label_zh="流动党员汇报无超期间隔", label_en="No overdue gaps between mobile members' reports",
             table="party_mobile_report", check_db=mobile_report_gaps, severity="warning"),
        Rule(key="party.report_consistent", label_zh="汇报日期在外出期间", label_en="Report falls within the absence",
             table="party_mobile_report", check_row=report_consistent),
        Rule(key="party.evaluation_consistent", label_zh="民主评议记录完整", label_en="Evaluation record is consistent",
             table="party_evaluation", check_row=evaluation_consistent),
        Rule(key="party.evaluation_unique", label_zh="每名党员每年评议一次", label_en="One evaluation per member and year",
             table="party_evaluation", check_row=evaluation_unique),
        Rule(key="party.excellent_quota", label_zh="优秀不超过党员数的三分之一", label_en="At most a third graded excellent",
             table="party_evaluation", check_row=excellent_quota),
        Rule(key="party.activity_consistent", label_zh="活动记录完整", label_en="Activity record is consistent",
             table="party_activity", check_row=activity_consistent),
        Rule(key="party.talk_consistent", label_zh="三必谈谈话在党组织存续期间且记录完整", label_en="Talk falls within the Party body's life and is complete",
             table="party_talk", check_row=talk_consistent),
    ]
