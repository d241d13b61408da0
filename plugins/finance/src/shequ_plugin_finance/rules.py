"""Validation rules of the finance plugin.

Row rules run on every write (an error refuses the whole batch) and in ``shequ check``;
``severity="warning"`` rules and the database rule run in ``shequ check`` only.

What "a posting for a future period" means here (``finance.posting_not_future``): a posting is
refused when the period it discloses has not started yet on the day of entry (``ctx.today``),
when its posted date is after today, or when it is dated before the first day of its own
period — one cannot disclose what has not happened. A posting made *during* its period (an
interim posting, say on 28 December for Q4) is allowed but reported by ``shequ check`` as a
warning (``finance.posting_before_period_end``): its figures may be incomplete.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache
from typing import Iterable, Optional

from sqlalchemy import extract, func, select

from shequ_sdk import Association, AssociationMember, InputError, Period, Problem, Rule

from .models import (ASSOCIATION_TYPE, BOARDS, CHART_VALIDITY, CHARTS, DIRECTIONS, POSTING_STATUSES, PUBLISHED_STATUSES,
                     REVIEWED_STATUSES, WORKFLOW_COLUMNS, LedgerEntry, Posting, PostingItem)


def yuan(fen: int) -> str:
    """Fen as yuan text, exactly (no float): 123456 -> '1,234.56'."""
    sign = "-" if fen < 0 else ""
    fen = abs(int(fen))
    return f"{sign}{fen // 100:,}.{fen % 100:02d}"


@lru_cache(maxsize=8192)
def parse_period(label) -> Optional[Period]:
    try:
        return Period.parse(label)
    except InputError:
        return None


# -- postings -----------------------------------------------------------------------------------

def posting_period(row, ctx) -> Iterable[Problem]:
    p = parse_period(row.period)
    if p is None:
        yield Problem("公开期间无法识别，应写作 2010Q4（季度）或 2010-12（按月公开财务）",
                      "the period is not recognised; write 2010Q4 for a quarter or 2010-12 for a monthly finance posting",
                      field="period", value=row.period)
        return
    if p.kind == "year":
        yield Problem("公开期间应为季度（如 2010Q4）或月份（如 2010-12），不能是整年",
                      "a posting covers a quarter (2010Q4) or a month (2010-12), not a whole year", field="period", value=row.period)
    elif str(p) != row.period:
        yield Problem(f"公开期间请写作 {p}", f"write the period as {p}", field="period", value=row.period)
    if p.kind == "month" and row.board != "finance" and row.kind == "regular":
        yield Problem(f"只有财务公开栏按月定期公开；{BOARDS[row.board][0]}公开栏应按季度（如 {Period.quarter_of(p.start)}）",
                      f"only the finance board is posted monthly; the {BOARDS[row.board][1]} board is quarterly (e.g. {Period.quarter_of(p.start)})",
                      field="period", value=row.period)


def posting_not_future(row, ctx) -> Iterable[Problem]:
    label, posted, today = row.period, row.posted_on, ctx.today
    p = parse_period(label)
    if p is not None and p.start > today:
        yield Problem(f"公开期间 {label} 尚未开始（今天是 {today}），不能公开未发生的事项",
                      f"the period {label} has not started yet (today is {today}); nothing in it can be disclosed",
                      field="period", value=label)
    if posted is None:
        return
    if posted > today:
        yield Problem(f"公开日期晚于今天（{today}）", f"the posted date is after today ({today})", field="posted_on", value=posted)
    if p is not None and posted < p.start:
        yield Problem(f"公开日期早于所公开的期间 {label}（{p.start} 开始）", f"posted before its own period {label} began ({p.start})",
                      field="posted_on", value=posted)


def posting_before_period_end(row, ctx) -> Iterable[Problem]:
    p = parse_period(row.period)
    if p is not None and row.kind == "regular" and row.posted_on is not None and p.start <= row.posted_on <= p.end:
        yield Problem(f"在期间 {row.period} 结束（{p.end}）前即已公开，数据可能不完整",
                      f"posted before its period {row.period} ended ({p.end}); the figures may be incomplete",
                      field="posted_on", value=row.posted_on)


def board_fits_region(row, ctx) -> Iterable[Problem]:
    region = ctx.region(row.region_id)
    if region is None:
        return
    if region.kind == "community" and row.board == "village":
        yield Problem(f"{region.name} 是社区，应公开居务而不是村务", f"{region.name} is a community: it posts residents' affairs, not village affairs",
                      field="board", value=row.board)
    elif region.kind == "village" and row.board == "residents":
        yield Problem(f"{region.name} 是村，应公开村务而不是居务", f"{region.name} is a village: it posts village affairs, not residents' affairs",
                      field="board", value=row.board)
    elif region.kind not in ("village", "community"):
        yield Problem(f"公开栏属于村或社区，{region.name} 不是", f"disclosure boards belong to a village or community; {region.name} is not one",
                      field="region_id", value=region.name)


def posting_review(row, ctx) -> Iterable[Problem]:
    status, reviewer, reviewed, posted, until = row.status, row.reviewer_name, row.review_date, row.posted_on, row.display_until
    if status in REVIEWED_STATUSES:
        if not reviewer:
            yield Problem("公开内容须经民主理财/监督组织审核，缺少审核人", "the content must be reviewed before it is posted: the reviewer is missing",
                          field="reviewer_name", value=reviewer)
        if reviewed is None:
            yield Problem("缺少审核日期", "the review date is missing", field="review_date", value=None)
    if status == "published" and posted is None:
        yield Problem("已公开的记录须填写公开日期", "a published posting needs its posted date", field="posted_on", value=None)
    if reviewed is not None:
        if posted is not None and reviewed > posted:
            yield Problem(f"审核日期晚于公开日期（{posted}），应先审核后公开", f"reviewed after it was posted ({posted}); review comes first",
                          field="review_date", value=reviewed)
        if reviewed > ctx.today:
            yield Problem("审核日期晚于今天", "the review date is in the future", field="review_date", value=reviewed)
    if until is not None and posted is not None and until < posted:
        yield Problem("公开截止日期早于公开日期", "displayed until a day before it was posted", field="display_until", value=until)


def _finance_members(ctx, region_id: int) -> set[str]:
    def load():
        stmt = (select(AssociationMember.name).join(Association, Association.id == AssociationMember.association_id)
                .where(Association.region_id == region_id, Association.type_key == ASSOCIATION_TYPE))
        return set(ctx.session.execute(stmt).scalars())

    return ctx.memo(("finance_members", region_id), load)


def reviewer_is_member(row, ctx) -> Iterable[Problem]:
    if not row.reviewer_name:
        return
    members = _finance_members(ctx, row.region_id)
    if members and row.reviewer_name not in members:
        yield Problem("审核人不是本村（社区）民主管理监督理财协会的登记会员",
                      "the reviewer is not a listed member of this village's finance supervision association",
                      field="reviewer_name", value=row.reviewer_name)


# -- the workflow: what records.write may not do -------------------------------------------------

# the workflow's own transitions validate with mode="workflow"; every other write is checked here
_SET_BY_STEPS = tuple(c for c in WORKFLOW_COLUMNS if c not in ("version", "supersedes_id", "correction_reason"))


def _stored_postings(ctx, region_id: int) -> dict:
    """The region's stored postings by natural key and by id (one query per region per batch)."""
    def load():
        P = Posting.__table__
        rows = [dict(r) for r in ctx.session.execute(select(P).where(P.c.region_id == region_id)).mappings()]
        by_key = {(r["region_id"], r["board"], r["period"], r["title"], r["version"]): r for r in rows}
        return {"key": by_key, "id": {r["id"]: r for r in rows}}

    return ctx.memo(("finance_postings", region_id), load)


def _row_dict(row) -> dict:
    """A row rule sees a validated dict on a write and a model instance in ``shequ check``."""
    if isinstance(row, dict):
        return row
    from shequ_sdk.records import RowView

    return RowView({c.name: getattr(row, c.name) for c in row.__table__.columns})


def _stored_posting(ctx, row) -> Optional[dict]:
    """The stored posting a written row would change: by id when given, else by natural key (upsert)."""
    pid = row.get("id")
    if pid is not None:
        found = _stored_postings(ctx, row.region_id)["id"].get(pid)
        if found is None:  # moved to another region by this write
            P = Posting.__table__
            hit = ctx.session.execute(select(P).where(P.c.id == pid)).mappings().first()
            found = dict(hit) if hit is not None else None
        return found
    if ctx.mode == "upsert":
        return _stored_postings(ctx, row.region_id)["key"].get((row.region_id, row.board, row.period, row.title, row.version))
    return None


def _synced_item(row, ctx) -> Iterable[Problem]:
    I = PostingItem.__table__
    old = None
    if row.get("id") is not None:
        hit = ctx.session.execute(select(I).where(I.c.id == row["id"])).mappings().first()
        old = dict(hit) if hit is not None else None
    if old is not None and not [c for c in old if c != "id" and c in row and row[c] != old[c]]:
        return
    for pid in dict.fromkeys([row.posting_id] + ([old["posting_id"]] if old is not None else [])):
        before = ctx.sync.before(Posting.__tablename__, pid)
        if before is None:
            P = Posting.__table__
            hit = ctx.session.execute(select(P).where(P.c.id == pid)).mappings().first()
            before = dict(hit) if hit is not None and pid not in ctx.sync.created(Posting.__tablename__) else None
        if before is not None and before["status"] in PUBLISHED_STATUSES:
            yield Problem(f"公开记录 #{pid}「{before['title']}」已公开，同步包不能增加、修改或移出其事项",
                          f"posting #{pid} ({before['title']}) is published: a sync package cannot add, change or move out its items",
                          field="posting_id", value=pid)
            return


def _status_words(status: str) -> tuple[str, str]:
    return POSTING_STATUSES.get(status, (status, status))


def posting_workflow(row, ctx) -> Iterable[Problem]:
    """A published posting is immutable; status and the who/when of each step are set only by
    ``shequ finance review / approve / publish``; a reviewed or approved posting is changed only after
    it is sent back to draft."""
    if ctx.mode == "workflow" or not isinstance(row, dict):
        return  # the workflow's own step, or shequ check reading a stored row: nothing is being written
    if ctx.mode == "sync":
        yield from _synced_posting(row, ctx)
        return
    stored = _stored_posting(ctx, row)
    if stored is None:
        forged = [c for c in _SET_BY_STEPS if c != "status" and row.get(c) is not None]
        if row.status != "draft" or forged:
            yield Problem("公开记录须先保存为草稿，再在录入页面用「审核」「审批」「公开」按钮依次办理；状态和各步骤的操作人、时间不能直接写入",
                          "a posting is saved as a draft, then reviewed, approved and published with the buttons of the entry page; "
                          "its status and who/when of each step cannot be written directly",
                          field="status" if row.status != "draft" else forged[0], value=row.status if row.status != "draft" else row.get(forged[0]),
                          hint=("（命令行：shequ finance review / approve / publish）", " (command line: shequ finance review / approve / publish)"))
        if row.version > 1 and (row.supersedes_id is None or not (row.correction_reason or "").strip()):
            yield Problem("更正版本须注明所更正的原版本和更正原因",
                          "a corrected version needs the version it corrects and a reason",
                          field="correction_reason", value=row.correction_reason,
                          hint=("（命令行：shequ finance correct --id N --reason …）", " (command line: shequ finance correct --id N --reason …)"))
        return
    changed = [c for c in stored if c != "id" and c in row and row[c] != stored[c]]
    if not changed:
        return
    pid, version = stored["id"], stored["version"]
    name = f"#{pid}「{stored['title']}」第 {version} 版"
    name_en = f"#{pid} ({stored['title']}, version {version})"
    if stored["status"] in PUBLISHED_STATUSES:
        yield Problem(f"公开记录 {name} 已公开，不能修改（{'、'.join(changed)}）；如需更正，须由有权限的人员发起更正并写明原因，更正后作为新版本重新审核、公开",
                      f"posting {name_en} is published and cannot be changed ({', '.join(changed)}); a correction, with its reason, "
                      f"makes a new version that is reviewed and published again", field=changed[0], value=row[changed[0]],
                      hint=(f"（命令行：shequ finance correct --id {pid} --reason …）", f" (command line: shequ finance correct --id {pid} --reason …)"))
    elif stored["status"] != "draft":
        zh, en = _status_words(stored["status"])
        yield Problem(f"公开记录 {name} {zh}，不能直接修改（{'、'.join(changed)}）；须先由审核人或审批人退回草稿（写明原因）再重新审核",
                      f"posting {name_en} is {en} and cannot be changed directly ({', '.join(changed)}); the reviewer or approver sends it "
                      f"back to draft first (with a reason) and it is reviewed again", field=changed[0], value=row[changed[0]],
                      hint=(f"（命令行：shequ finance return --id {pid} --reason …）", f" (command line: shequ finance return --id {pid} --reason …)"))
    else:
        steps = [c for c in changed if c in WORKFLOW_COLUMNS]
        if steps:
            yield Problem(f"公开记录 {name} 的{'、'.join(steps)}由审核、审批、公开、更正操作设定，不能直接修改",
                          f"the {', '.join(steps)} of posting {name_en} are set by the review, approve, publish and correct steps, not written directly",
                          field=steps[0], value=row[steps[0]])


def _posting_by_id(ctx, region_id: int, pid: int) -> Optional[dict]:
    found = _stored_postings(ctx, region_id)["id"].get(pid)
    if found is None:
        def load():
            P = Posting.__table__
            hit = ctx.session.execute(select(P).where(P.c.id == pid)).mappings().first()
            return dict(hit) if hit is not None else None

        found = ctx.memo(("finance_posting", pid), load)
    return found


def _synced_posting(row, ctx) -> Iterable[Problem]:
    """A posting applied from a sync package (``ctx.mode == "sync"``): its review, approval and
    publication were steps of the sending side's workflow and arrive as values; what was published
    here before the package stays immutable (only its status may move on to superseded)."""
    if row.get("id") is None:
        return
    before = ctx.sync.before(Posting.__tablename__, row["id"])
    if before is None or before["status"] not in PUBLISHED_STATUSES:
        return
    changed = [c for c in before if c != "id" and c in row and row[c] != before[c] and c != "status"]
    if row.get("status") not in PUBLISHED_STATUSES:
        changed.insert(0, "status")
    if changed:
        pid, version = before["id"], before["version"]
        yield Problem(f"公开记录 #{pid}「{before['title']}」第 {version} 版已公开，同步包不能修改它（{'、'.join(changed)}）",
                      f"posting #{pid} ({before['title']}, version {version}) is published; a sync package cannot change it "
                      f"({', '.join(changed)})", field=changed[0], value=row.get(changed[0]))


def item_workflow(row, ctx) -> Iterable[Problem]:
    """The items of a posting past draft are frozen with it (unchanged rows of a re-import pass);
    an item cannot be moved out of such a posting either. Applied from a sync package, the items
    of a posting published here before the package are frozen (the sender's own workflow froze
    the rest)."""
    if ctx.mode == "workflow" or not isinstance(row, dict):
        return  # the workflow's own step, or shequ check reading a stored row
    if ctx.mode == "sync":
        yield from _synced_item(row, ctx)
        return
    I = PostingItem.__table__
    old = None
    if row.get("id") is not None:
        hit = ctx.session.execute(select(I).where(I.c.id == row["id"])).mappings().first()
        old = dict(hit) if hit is not None else None
    elif ctx.mode == "upsert":
        def load():
            return {r["line_no"]: dict(r) for r in ctx.session.execute(select(I).where(I.c.posting_id == row.posting_id)).mappings()}

        old = ctx.memo(("finance_items", row.posting_id), load).get(row.line_no)
    if old is not None and not [c for c in old if c != "id" and c in row and row[c] != old[c]]:
        return  # unchanged
    for pid in dict.fromkeys([row.posting_id] + ([old["posting_id"]] if old is not None else [])):
        stored = _posting_by_id(ctx, row.region_id, pid)
        if stored is None or stored["status"] == "draft":
            continue
        zh, en = _status_words(stored["status"])
        if stored["status"] in PUBLISHED_STATUSES:
            yield Problem(f"公开记录「{stored['title']}」已公开，其事项不能增加、修改或移出；如需更正，须由有权限的人员发起更正并写明原因",
                          f"posting {stored['title']} is published: its items cannot be added, changed or moved out; "
                          f"a correction with its reason makes a new version", field="posting_id", value=pid,
                          hint=(f"（公开记录 #{pid}；命令行：shequ finance correct --id {pid} --reason …）",
                                f" (posting #{pid}; command line: shequ finance correct --id {pid} --reason …)"))
        else:
            yield Problem(f"公开记录「{stored['title']}」{zh}，其事项不能直接修改；须先由审核人或审批人退回草稿（写明原因）",
                          f"posting {stored['title']} is {en}: its items cannot be changed directly; the reviewer or approver sends it "
                          f"back to draft first (with a reason)", field="posting_id", value=pid,
                          hint=(f"（公开记录 #{pid}；命令行：shequ finance return --id {pid} --reason …）",
                                f" (posting #{pid}; command line: shequ finance return --id {pid} --reason …)"))
        return


def posting_steps_recorded(row, ctx) -> Iterable[Problem]:
    """Each step the status says happened names who did it and when, in order; a published posting
    carries its fingerprint."""
    row = _row_dict(row)
    steps = (("reviewed_by", "reviewed_at", "审核", "review"), ("approved_by", "approved_at", "审批", "approval"),
             ("published_by", "published_at", "公开", "publication"))
    reached = {"reviewed": 1, "approved": 2, "published": 3, "superseded": 3}.get(row.status, 0)
    last = None
    for who, when, zh, en in steps[:reached]:
        if not row.get(who) or row.get(when) is None:
            yield Problem(f"状态为「{_status_words(row.status)[0]}」，但缺少{zh}的操作人或时间",
                          f"the status is {row.status} but who or when of the {en} is missing",
                          field=who if not row.get(who) else when, value=None)
            return
        if last is not None and row[when] < last:
            yield Problem(f"{zh}时间早于上一步骤", f"the {en} is dated before the step before it", field=when, value=row[when])
        last = row[when]
    if reached == 3 and not row.get("fingerprint"):
        yield Problem("已公开的记录缺少内容指纹", "a published posting has no fingerprint", field="fingerprint", value=None)


# -- posting items ------------------------------------------------------------------------------

def _region_of(ctx, model, key: str, region_id: int, wanted_id: int) -> Optional[int]:
    """Region of row ``wanted_id`` of ``model``; loads the whole region's ids at once (one query per region per batch)."""
    known = ctx.cache.get((key, "regions"))
    if known is None:
        known = ctx.cache[(key, "regions")] = {}
        ctx.cache[(key, "loaded")] = set()
    if wanted_id in known:
        return known[wanted_id]
    loaded = ctx.cache[(key, "loaded")]
    if region_id not in loaded:
        loaded.add(region_id)
        for rid in ctx.session.execute(select(model.id).where(model.region_id == region_id)).scalars():
            known[rid] = region_id
    if wanted_id not in known:  # another region's row, or none at all
        known[wanted_id] = ctx.session.execute(select(model.region_id).where(model.id == wanted_id)).scalar()
    return known[wanted_id]


def item_same_region(row, ctx) -> Iterable[Problem]:
    region = _region_of(ctx, Posting, "finance_posting", row.region_id, row.posting_id)
    if region is None:
        yield Problem("所属公开记录不存在", "no such posting", field="posting_id", value=row.posting_id)
    elif region != row.region_id:
        yield Problem("公开事项的地区须与所属公开记录一致", "an item's region must be its posting's region", field="region_id", value=row.region_id)
    if row.ledger_entry_id is not None:
        entry_region = _region_of(ctx, LedgerEntry, "finance_ledger", row.region_id, row.ledger_entry_id)
        if entry_region is None:
            yield Problem("对应账目不存在", "no such ledger entry", field="ledger_entry_id", value=row.ledger_entry_id)
        elif entry_region != row.region_id:
            yield Problem("对应账目属于另一个村（社区）", "the ledger entry belongs to another village", field="ledger_entry_id", value=row.ledger_entry_id)


def item_amount_direction(row, ctx) -> Iterable[Problem]:
    if row.amount_fen is not None and row.direction is None:
        yield Problem("有金额的公开事项须注明收入或支出", "an item with an amount needs its direction (income or expense)",
                      field="direction", value=None)
    if row.direction is not None and row.amount_fen is None:
        yield Problem("注明了收支方向但缺少金额", "a direction is given but no amount", field="amount_fen", value=None)
    yield from _account_direction(row, ACCOUNT_DIRECTIONS)


# an item names no chart version: any chart's account fixes the direction
ACCOUNT_DIRECTIONS = {code: (zh, en, d) for chart in CHARTS.values() for code, (zh, en, d) in chart.items()}


def _account_direction(row, chart: dict) -> Iterable[Problem]:
    code, direction = row.account_code, row.direction
    if code is None or direction is None or code not in chart:
        return
    zh, en, want = chart[code]
    if want != direction:
        yield Problem(f"科目 {code} {zh} 属于{DIRECTIONS[want][0]}，与收支方向不符",
                      f"account {code} ({en}) is {want}, not {direction}", field="direction", value=direction)


def amount_not_negative(row, ctx) -> Iterable[Problem]:
    amount = row.amount_fen
    if amount is not None and amount < 0:
        yield Problem("金额不能为负数（收入或支出用收支方向表示）", "an amount cannot be negative (the direction says income or expense)",
                      field="amount_fen", value=amount)


# -- ledger ---------------------------------------------------------------------------------------

def ledger_account(row, ctx) -> Iterable[Problem]:
    chart = CHARTS.get(row.chart_version)
    if chart is None:
        return  # the chart_version choices already refuse it
    if row.account_code not in chart:
        yield Problem(f"科目 {row.account_code} 不在{row.chart_version}年会计制度的损益类科目中",
                      f"account {row.account_code} is not a profit-and-loss account of the {row.chart_version} chart",
                      field="account_code", value=row.account_code)
        return
    yield from _account_direction(row, chart)


def ledger_chart_in_force(row, ctx) -> Iterable[Problem]:
    span = CHART_VALIDITY.get(row.chart_version)
    if span and not span[0] <= row.entry_date <= span[1]:
        yield Problem(f"记账日期不在{row.chart_version}年会计制度的施行期间（{span[0]} 至 {span[1]}）",
                      f"the entry date is outside the {row.chart_version} chart's period of force ({span[0]} to {span[1]})",
                      field="entry_date", value=row.entry_date)


def ledger_dates(row, ctx) -> Iterable[Problem]:
    day, reviewed, today = row.entry_date, row.review_date, ctx.today
    if day > today:
        yield Problem(f"记账日期晚于今天（{today}）", f"the entry is dated after today ({today})", field="entry_date", value=day)
    if reviewed is None:
        return
    if reviewed < day:
        yield Problem("民主理财审核日期早于记账日期", "reviewed before the entry was made", field="review_date", value=reviewed)
    if reviewed > today:
        yield Problem("审核日期晚于今天", "the review date is in the future", field="review_date", value=reviewed)
    if not row.reviewer_name:
        yield Problem("有审核日期但缺少审核人", "a review date without a reviewer", field="reviewer_name", value=None)


# -- queries ---------------------------------------------------------------------------------------

def query_dates(row, ctx) -> Iterable[Problem]:
    received, due, replied, today = row.received_on, row.reply_due, row.replied_on, ctx.today
    if received > today:
        yield Problem(f"受理日期晚于今天（{today}）", f"received after today ({today})", field="received_on", value=received)
    if due is not None and due < received:
        yield Problem("答复期限早于受理日期", "the reply is due before the query was received", field="reply_due", value=due)
    if replied is not None:
        if replied < received:
            yield Problem("答复日期早于受理日期", "replied before the query was received", field="replied_on", value=replied)
        if replied > today:
            yield Problem("答复日期晚于今天", "the reply is dated in the future", field="replied_on", value=replied)


def query_reply_recorded(row, ctx) -> Iterable[Problem]:
    if row.replied_on is not None and not row.reply_text:
        yield Problem("已答复但未记录答复内容", "replied, but the reply is not recorded", field="reply_text", value=None)
    if row.reply_text and row.replied_on is None:
        yield Problem("有答复内容但缺少答复日期", "a reply without a reply date", field="replied_on", value=None)


# -- database rule: finance boards agree with the ledger ---------------------------------------------

def board_totals_match_ledger(session) -> Iterable[Problem]:
    """Each reviewed regular finance posting's income and expense totals equal the ledger's for its period."""
    P, I, L = Posting.__table__, PostingItem.__table__, LedgerEntry.__table__
    postings = session.execute(
        select(P.c.id, P.c.region_id, P.c.period, P.c.title)
        .where(P.c.board == "finance", P.c.kind == "regular", P.c.status.in_(("reviewed", "approved", "published")))
        .order_by(P.c.id)
    ).all()
    if not postings:
        return
    posted: dict[tuple[int, str], int] = defaultdict(int)
    for pid, direction, total in session.execute(
        select(I.c.posting_id, I.c.direction, func.sum(I.c.amount_fen))
        .join(P, P.c.id == I.c.posting_id)
        .where(P.c.board == "finance", P.c.kind == "regular", I.c.amount_fen.is_not(None), I.c.direction.is_not(None))
        .group_by(I.c.posting_id, I.c.direction)
    ):
        posted[(pid, direction)] = int(total)
    year, month = extract("year", L.c.entry_date), extract("month", L.c.entry_date)
    ledger: dict[tuple[int, int, int, str], int] = defaultdict(int)
    for rid, y, m, direction, total in session.execute(
        select(L.c.region_id, year, month, L.c.direction, func.sum(L.c.amount_fen)).group_by(L.c.region_id, year, month, L.c.direction)
    ):
        ledger[(rid, int(y), int(m), direction)] = int(total)
    for pid, rid, label, title in postings:
        p = parse_period(label)
        if p is None or p.kind not in ("quarter", "month"):
            continue  # finance.posting_period reports it
        months = p.subperiods("month")
        for direction, (zh, en) in DIRECTIONS.items():
            want = sum(ledger.get((rid, mp.year, mp.number, direction), 0) for mp in months)
            got = posted.get((pid, direction), 0)
            if got != want:
                yield Problem(f"财务公开栏 {label}「{title}」公开的{zh}合计 {yuan(got)} 元，与账目{zh} {yuan(want)} 元不符",
                              f"finance board {label} ({title}) shows {en} of ¥{yuan(got)} but the ledger has ¥{yuan(want)}",
                              table=Posting.__tablename__, row=pid, field="amount_fen", value=yuan(got))


RULES = (
    Rule(key="finance.posting_period", label_zh="公开期间格式正确", label_en="Posting period is well formed",
         table="finance_posting", check_row=posting_period),
    Rule(key="finance.posting_not_future", label_zh="不能公开未来期间", label_en="No posting for a future period",
         table="finance_posting", check_row=posting_not_future),
    Rule(key="finance.posting_before_period_end", label_zh="期间结束前公开", label_en="Posted before its period ended",
         table="finance_posting", check_row=posting_before_period_end, severity="warning"),
    Rule(key="finance.board_fits_region", label_zh="公开栏与村/社区相符", label_en="Board fits the region's kind",
         table="finance_posting", check_row=board_fits_region),
    Rule(key="finance.posting_review", label_zh="先审核后公开", label_en="Reviewed before it is posted",
         table="finance_posting", check_row=posting_review),
    Rule(key="finance.posting_workflow", label_zh="按审核、审批、公开流程修改", label_en="Changes follow the review workflow",
         table="finance_posting", check_row=posting_workflow),
    Rule(key="finance.posting_steps_recorded", label_zh="各步骤记录操作人和时间", label_en="Each step records who and when",
         table="finance_posting", check_row=posting_steps_recorded),
    Rule(key="finance.item_workflow", label_zh="已审核、已公开的事项不能直接修改", label_en="Items of a reviewed or published posting are frozen",
         table="finance_posting_item", check_row=item_workflow),
    Rule(key="finance.reviewer_is_member", label_zh="审核人为理财协会会员", label_en="Reviewer belongs to the association",
         table="finance_posting", check_row=reviewer_is_member, severity="warning"),
    Rule(key="finance.item_same_region", label_zh="公开事项与公开记录同属一地", label_en="Item and posting share a region",
         table="finance_posting_item", check_row=item_same_region),
    Rule(key="finance.item_amount_direction", label_zh="金额与收支方向齐全", label_en="Amount and direction go together",
         table="finance_posting_item", check_row=item_amount_direction),
    Rule(key="finance.item_amount_not_negative", label_zh="公开金额不为负", label_en="Item amount is not negative",
         table="finance_posting_item", check_row=amount_not_negative),
    Rule(key="finance.ledger_amount_not_negative", label_zh="账目金额不为负", label_en="Ledger amount is not negative",
         table="finance_ledger_entry", check_row=amount_not_negative),
    Rule(key="finance.ledger_account", label_zh="会计科目与收支方向相符", label_en="Account fits the chart and direction",
         table="finance_ledger_entry", check_row=ledger_account),
    Rule(key="finance.ledger_chart_in_force", label_zh="会计制度在施行期内", label_en="Chart of accounts in force",
         table="finance_ledger_entry", check_row=ledger_chart_in_force, severity="warning"),
    Rule(key="finance.ledger_dates", label_zh="账目日期合理", label_en="Ledger dates are consistent",
         table="finance_ledger_entry", check_row=ledger_dates),
    Rule(key="finance.query_dates", label_zh="查询日期合理", label_en="Query dates are consistent",
         table="finance_query", check_row=query_dates),
    Rule(key="finance.query_reply_recorded", label_zh="答复内容已记录", label_en="Reply is recorded",
         table="finance_query", check_row=query_reply_recorded, severity="warning"),
    Rule(key="finance.board_totals_match_ledger", label_zh="财务公开与账目一致", label_en="Finance boards agree with the ledger",
         check_db=board_totals_match_ledger),
)
