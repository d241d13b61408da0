"""Validation rules of the decisions plugin.

Row rules look rows up through ``ctx.memo`` (one query per lookup table and batch) and read
settings through ``ctx.setting``; database rules read them with ``config.resolve_for``. The
quorum and majority arithmetic lives in :func:`vote` and serves the matter steps, the 村规民约
versions, the views and the tests alike.

The cross-check against finance reads the finance plugin's ledger through the public registry
(``registry().tables["finance_ledger_entry"]``) and its major-item threshold through the
settings API (``finance.major_item_threshold_fen``): nothing of the finance package is imported,
and without the finance plugin the check has nothing to compare and stays silent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable, Optional

from sqlalchemy import select

from shequ_sdk import Problem, Region, Rule, config, registry

from . import settings as S
from .models import (
    BODIES, DELIBERATIONS, DISCLOSURES, STEP_ORDER, STEPS, VOTED, Asset, Contract, ContractPayment, Matter, MatterStep, Resource,
    VillageRule,
)

# which quorum and majority settings a meeting uses
MEETINGS = {
    "assembly": ((S.ASSEMBLY_QUORUM_ADULTS, S.ASSEMBLY_QUORUM_HOUSEHOLDS), S.ASSEMBLY_MAJORITY, ("村民会议", "villagers' assembly")),
    "representatives": ((S.REPRESENTATIVES_QUORUM,), S.REPRESENTATIVES_MAJORITY, ("村民代表会议", "representatives' assembly")),
    "party": ((S.PARTY_QUORUM,), S.PARTY_MAJORITY, ("党员大会", "Party members' meeting")),
    "committee": ((S.COMMITTEE_QUORUM,), S.COMMITTEE_MAJORITY, ("村“两委”会议", "joint committee meeting")),
}


@dataclass
class Vote:
    """What the numbers of a meeting say under the settings."""

    quorate: bool
    passed: bool
    quorum_zh: str
    quorum_en: str
    majority_zh: str
    majority_en: str


def meeting_kind(step: str, body: Optional[str]) -> Optional[str]:
    if step == "consultation":
        return "committee"
    if step == "party_review":
        return "party"
    if step == "resolution":
        return body
    return None


def vote(kind: str, row, values: dict) -> Vote:
    """Quorum and majority of a meeting ``row`` (``expected``, ``present``, ``households_*``,
    ``votes_for``) under ``values`` ``{setting key: value}``."""
    quorum_keys, majority_key, _ = MEETINGS[kind]
    quorate, q_zh, q_en = False, [], []
    for key in quorum_keys:
        share, inclusive, _ = S.threshold(key, values[key])
        zh, en = S.describe(share, inclusive)
        if key == S.ASSEMBLY_QUORUM_HOUSEHOLDS:
            quorate |= S.meets(row.households_present, row.households_total, share, inclusive)
            q_zh.append(f"本村{zh}的户的代表")
            q_en.append(f"{en} of the households")
        else:
            quorate |= S.meets(row.present, row.expected, share, inclusive)
            q_zh.append(f"{'十八周岁以上村民的' if kind == 'assembly' else '应到人员的'}{zh}")
            q_en.append(f"{en} of {'the adult villagers' if kind == 'assembly' else 'those entitled'}")
    share, inclusive, base = S.threshold(majority_key, values[majority_key])
    zh, en = S.describe(share, inclusive)
    total = row.present if base == "present" else row.expected
    passed = S.meets(row.votes_for, total, share, inclusive)
    where_zh, where_en = ("到会人员", "those present") if base == "present" else ("应到人员", "those entitled")
    return Vote(quorate, passed, "或".join(q_zh), " or ".join(q_en), f"{where_zh}的{zh}", f"{en} of {where_en}")


def _values(ctx, kind: str, region_id: int) -> dict:
    quorum_keys, majority_key, _ = MEETINGS[kind]
    return {k: ctx.setting(k, region_id) for k in (*quorum_keys, majority_key)}


def vote_problems(row, ctx, kind: str, result: Optional[str]) -> Iterable[Problem]:
    """Does the recorded ``result`` agree with the attendance and votes?"""
    v = vote(kind, row, _values(ctx, kind, row.region_id))
    label_zh, label_en = MEETINGS[kind][2]
    if result == "passed" and not v.quorate:
        yield Problem(f"{label_zh}到会人数不足：实到 {row.present}（应到 {row.expected}），须有{v.quorum_zh}参加方可召开",
                      f"the {label_en} was not quorate: {row.present} present of {row.expected}; it needs {v.quorum_en}",
                      field="present", value=row.present)
    elif result == "passed" and not v.passed:
        yield Problem(f"赞成 {row.votes_for} 票未达到{v.majority_zh}（实到 {row.present}，应到 {row.expected}），不能记为通过",
                      f"{row.votes_for} votes for is not {v.majority_en} ({row.present} present, {row.expected} entitled): not passed",
                      field="votes_for", value=row.votes_for)
    elif result == "rejected" and v.quorate and v.passed:
        yield Problem(f"赞成 {row.votes_for} 票已达到{v.majority_zh}且到会人数足够，结果应为通过",
                      f"{row.votes_for} votes for is {v.majority_en} of a quorate meeting: the result is passed",
                      field="result", value=result)


# -- lookups ------------------------------------------------------------------------------------

def matters(ctx) -> dict:
    return ctx.memo("decisions.matters", lambda: {r.id: r for r in ctx.session.execute(
        select(Matter.id, Matter.region_id, Matter.proposed_on, Matter.completed_on, Matter.title))})


def stored_steps(session) -> dict[int, dict[str, tuple]]:
    """``{matter id: {step: (held_on, result, id)}}`` of the stored steps."""
    out: dict[int, dict] = {}
    for mid, step, held, result, sid in session.execute(select(MatterStep.matter_id, MatterStep.step, MatterStep.held_on,
                                                               MatterStep.result, MatterStep.id)):
        out.setdefault(mid, {})[step] = (held, result, sid)
    return out


def steps(ctx) -> dict:
    return ctx.memo("decisions.steps", lambda: stored_steps(ctx.session))


def decided_on(matter_steps: dict) -> Optional[dt.date]:
    """The day the matter's resolution passed, or ``None``."""
    r = matter_steps.get("resolution")
    return r[0] if r is not None and r[1] == "passed" else None


def _region_name(ctx, rid) -> str:
    r = ctx.region(rid)
    return r.name if r else str(rid)


def _link(row, ctx, field: str, table: dict, what_zh: str, what_en: str) -> Iterable[Problem]:
    ref = getattr(row, field)
    if ref is None:
        return
    found = table.get(ref)
    if found is None:
        yield Problem(f"{what_zh}不存在", f"no such {what_en}", field=field, value=ref)
    elif found.region_id != row.region_id:
        yield Problem(f"{what_zh}属于{_region_name(ctx, found.region_id)}，与本条记录的村（社区）{_region_name(ctx, row.region_id)}不一致",
                      f"the {what_en} belongs to {_region_name(ctx, found.region_id)}, not to this row's village", field=field, value=ref)


def _not_future(row, name: str, ctx, label_zh: str, label_en: str) -> Iterable[Problem]:
    value = getattr(row, name)
    if value is not None and value > ctx.today:
        yield Problem(f"{label_zh}不能晚于今天（{ctx.today}）", f"{label_en} cannot be later than today ({ctx.today})", field=name, value=value)


def _after(row, first: str, second: str, zh: str, en: str) -> Iterable[Problem]:
    a, b = getattr(row, first), getattr(row, second)
    if a is not None and b is not None and b < a:
        yield Problem(f"{zh}（{a}）", f"{en} ({a})", field=second, value=b)


def _attendance(row) -> Iterable[Problem]:
    if row.present is not None and row.expected is not None and row.present > row.expected:
        yield Problem(f"实到人数不能多于应到人数 {row.expected}", f"more present than the {row.expected} entitled", field="present", value=row.present)
    if row.households_present is not None and row.households_total is not None and row.households_present > row.households_total:
        yield Problem(f"到会户代表数不能多于本村户数 {row.households_total}", f"more households represented than the {row.households_total}",
                      field="households_present", value=row.households_present)
    if (row.households_total is None) != (row.households_present is None):
        yield Problem("按户代表计算时，本村户数和到会户代表数都要填写", "give both the households and those represented",
                      field="households_present", value=row.households_present)
    cast = (row.votes_for or 0) + (getattr(row, "votes_against", None) or 0)
    if row.present is not None and cast > row.present:
        yield Problem(f"赞成和反对票合计 {cast} 多于实到人数 {row.present}", f"{cast} votes cast by {row.present} present",
                      field="votes_for", value=row.votes_for)


# -- matters and steps ---------------------------------------------------------------------------

def matter_consistent(row: Matter, ctx) -> Iterable[Problem]:
    if row.category == "other" and not (row.category_detail or "").strip():
        yield Problem("类别为“其他”时须写明类别说明", "category other needs a detail", field="category_detail", value=row.category_detail)
    elif row.category == "other":
        local = ctx.setting(S.LOCAL_CATEGORIES, row.region_id)
        if not isinstance(local, list):
            raise S.bad_setting(S.LOCAL_CATEGORIES, local, "应为类别名称的列表", "must be a list of category names")
        if local and row.category_detail.strip() not in local:
            yield Problem(f"类别说明“{row.category_detail}”不是本乡镇的事项类别（{'、'.join(local)}）",
                          f"{row.category_detail!r} is not one of the township's categories ({', '.join(local)})",
                          field="category_detail", value=row.category_detail)
    yield from _not_future(row, "proposed_on", ctx, "动议日期", "date raised")
    yield from _not_future(row, "completed_on", ctx, "实施完成日期", "completion date")
    yield from _after(row, "proposed_on", "completed_on", "实施完成日期不能早于动议日期", "completion cannot precede the date raised")


def step_consistent(row: MatterStep, ctx) -> Iterable[Problem]:
    yield from _link(row, ctx, "matter_id", matters(ctx), "事项", "matter")
    label = STEPS[row.step][0]
    if row.step in DELIBERATIONS:
        for name, zh, en in (("expected", "应到人数", "those entitled"), ("present", "实到人数", "those present")):
            if getattr(row, name) is None:
                yield Problem(f"{label}是会议记录，须填写{zh}", f"a meeting record needs {en}", field=name, value=None)
        yield from _attendance(row)
    else:
        for name in ("expected", "present", "households_total", "households_present", "votes_for", "votes_against", "result", "body"):
            if getattr(row, name) is not None:
                yield Problem(f"{label}不是会议，不填到会、表决和结果", "a disclosure has no attendance, votes or result",
                              field=name, value=getattr(row, name))
                break
    if row.step in VOTED:
        if row.result is None:
            yield Problem(f"{label}须填写结果（通过或未通过）", "the meeting's result is needed", field="result", value=None)
        if row.votes_for is None:
            yield Problem(f"{label}须填写赞成票数", "the votes for are needed", field="votes_for", value=None)
    elif row.step == "proposal" and row.result is not None:
        yield Problem("村党组织提议不表决，不填结果", "the proposal is not voted on", field="result", value=row.result)
    if row.step == "resolution" and row.body is None:
        yield Problem("决议须写明是村民会议还是村民代表会议", "the resolution needs its body: villagers' or representatives' assembly",
                      field="body", value=None)
    elif row.step != "resolution" and row.body is not None and row.step in DELIBERATIONS:
        yield Problem("只有决议步骤填写决议会议", "only the resolution names the deciding body", field="body", value=row.body)
    if row.step == "resolution" and row.body != "assembly" and row.households_total is not None:
        yield Problem("户代表只适用于村民会议", "household representatives count only at a villagers' assembly",
                      field="households_total", value=row.households_total)
    yield from _not_future(row, "held_on", ctx, "日期", "date")
    m = matters(ctx).get(row.matter_id)
    if m is not None and row.held_on < m.proposed_on:
        yield Problem(f"日期早于事项的动议日期 {m.proposed_on}", f"the step predates the day the matter was raised ({m.proposed_on})",
                      field="held_on", value=row.held_on)
    if m is not None and row.step == "result_disclosure" and m.completed_on is not None and row.held_on < m.completed_on:
        yield Problem(f"实施结果公开早于实施完成日期 {m.completed_on}", f"the results were disclosed before completion ({m.completed_on})",
                      field="held_on", value=row.held_on)


def _postings(ctx) -> dict:
    """The finance plugin's postings (``{id: row}``), through the public registry; empty without it."""
    def load():
        rt = registry().tables.get("finance_posting")
        if rt is None:
            return None
        t = rt.model.__table__
        return {r.id: r for r in ctx.session.execute(select(t.c.id, t.c.region_id))}
    return ctx.memo("decisions.postings", load)


def step_posting(row: MatterStep, ctx) -> Iterable[Problem]:
    """A disclosure's finance posting exists and belongs to the same village."""
    if row.posting_id is None:
        return
    if row.step not in DISCLOSURES:
        yield Problem("只有决议公开和实施结果公开填写公开记录编号", "only a disclosure names a finance posting", field="posting_id", value=row.posting_id)
        return
    postings = _postings(ctx)
    if postings is not None:
        yield from _link(row, ctx, "posting_id", postings, "公开栏公开记录", "disclosure posting")


def step_votes(row: MatterStep, ctx) -> Iterable[Problem]:
    kind = meeting_kind(row.step, row.body)
    if kind is None or row.result is None or row.expected is None or row.present is None or row.votes_for is None:
        return
    yield from vote_problems(row, ctx, kind, row.result)


def _batch_steps(ctx) -> dict[int, dict[str, tuple]]:
    """``{matter id: {step: (held_on, result, None)}}`` of the rows earlier in this batch
    (``ctx.batch`` holds this table's rows), indexed as the batch grows: one pass in all, not
    one per row."""
    index = ctx.memo("decisions.batch_steps", lambda: {"seen": 0, "by_matter": {}})
    batch = ctx.batch
    for other in batch[index["seen"]:]:
        index["by_matter"].setdefault(other.matter_id, {})[other.step] = (other.held_on, other.result, None)
    index["seen"] = len(batch)
    return index["by_matter"]


def step_order(row: MatterStep, ctx) -> Iterable[Problem]:
    """The six steps in order: each earlier step recorded (stored, or earlier in this batch), dated
    no later, and a voted earlier step passed; no stored later step dated before this one."""
    mine = dict(steps(ctx).get(row.matter_id, {}))
    mine.update(_batch_steps(ctx).get(row.matter_id, {}))
    at = STEP_ORDER.index(row.step)
    for earlier in STEP_ORDER[:at]:
        found = mine.get(earlier)
        if found is None:
            yield Problem(f"须先登记“{STEPS[earlier][0]}”，再登记“{STEPS[row.step][0]}”",
                          f"{STEPS[earlier][1]} comes before {STEPS[row.step][1]}: record it first", field="step", value=row.step)
            return
        if found[0] > row.held_on:
            yield Problem(f"“{STEPS[row.step][0]}”不能早于“{STEPS[earlier][0]}”（{found[0]}）",
                          f"{STEPS[row.step][1]} cannot precede {STEPS[earlier][1]} ({found[0]})", field="held_on", value=row.held_on)
            return
        if earlier in VOTED and found[1] != "passed":
            yield Problem(f"“{STEPS[earlier][0]}”未通过，不能进入“{STEPS[row.step][0]}”",
                          f"{STEPS[earlier][1]} did not pass: {STEPS[row.step][1]} cannot follow", field="step", value=row.step)
            return
    for later in STEP_ORDER[at + 1:]:
        found = mine.get(later)
        if found is not None and found[0] < row.held_on:
            yield Problem(f"“{STEPS[row.step][0]}”不能晚于已登记的“{STEPS[later][0]}”（{found[0]}）",
                          f"{STEPS[row.step][1]} cannot come after the recorded {STEPS[later][1]} ({found[0]})", field="held_on", value=row.held_on)
            return


def _setting_by_region(session, key: str, region_ids) -> dict[int, object]:
    regions = list(session.execute(select(Region).where(Region.id.in_(sorted(set(region_ids)) or [-1]))).scalars())
    return config.resolve_for(session, key, regions) if regions else {}


def disclosure_status(session, today: dt.date) -> list[dict]:
    """Every disclosure a matter owes — its resolution's (once passed) and its results' (once
    completed) — with due date and status (``on_time``, ``late``, ``missing`` or ``not_yet_due``).
    One function for the rule, the views and the board."""
    ms = {m.id: m for m in session.execute(select(Matter.id, Matter.region_id, Matter.title, Matter.completed_on))}
    all_steps = stored_steps(session)
    days = _setting_by_region(session, S.DISCLOSURE_DAYS, [m.region_id for m in ms.values()])
    out = []
    for mid, m in ms.items():
        mine = all_steps.get(mid, {})
        for kind, start in (("resolution_disclosure", decided_on(mine)), ("result_disclosure", m.completed_on if decided_on(mine) else None)):
            if start is None:
                continue
            due = S.disclosure_due(start, days[m.region_id])
            done = mine.get(kind)
            if done is not None:
                status = "on_time" if done[0] <= due else "late"
            else:
                status = "missing" if due < today else "not_yet_due"
            out.append({"matter_id": mid, "region_id": m.region_id, "title": m.title, "step": kind, "from": start, "due": due,
                        "done": done[0] if done else None, "step_id": done[2] if done else None, "status": status,
                        "days": int(days[m.region_id])})
    return out


def disclosures_late(session) -> Iterable[Problem]:
    for d in disclosure_status(session, dt.date.today()):
        label = STEPS[d["step"]][0]
        if d["status"] == "late":
            yield Problem(f"事项“{d['title']}”{label}逾期：应于 {d['due']} 前（{d['days']} 天内）公开，{d['done']} 才公开",
                          f"matter {d['title']!r}: {STEPS[d['step']][1]} late — due by {d['due']} ({d['days']} days), disclosed {d['done']}",
                          table="decisions_step", row=d["step_id"], field="held_on", value=d["done"])
        elif d["status"] == "missing":
            yield Problem(f"事项“{d['title']}”未{label}：应于 {d['due']} 前（{d['days']} 天内）公开",
                          f"matter {d['title']!r}: {STEPS[d['step']][1]} missing — due by {d['due']} ({d['days']} days)",
                          table="decisions_matter", row=d["matter_id"], field="id", value=d["matter_id"])


def voucher_list(text: Optional[str]) -> list[str]:
    return [v.strip() for v in (text or "").replace("，", ",").replace("、", ",").split(",") if v.strip()]


def undecided_major_items(session) -> list[dict]:
    """Finance major expenditures (the finance plugin's threshold, per village) that no passed
    decision lists among its vouchers, decided on or before the entry's date."""
    reg = registry()
    ledger = reg.tables.get("finance_ledger_entry")
    if ledger is None or S.FINANCE_MAJOR_THRESHOLD not in reg.settings:
        return []
    t = ledger.model.__table__
    rows = session.execute(select(t.c.id, t.c.region_id, t.c.entry_date, t.c.voucher_no, t.c.amount_fen, t.c.summary)
                           .where(t.c.direction == "expense")).all()
    if not rows:
        return []
    threshold = _setting_by_region(session, S.FINANCE_MAJOR_THRESHOLD, [r.region_id for r in rows])
    all_steps = stored_steps(session)
    covered: dict[tuple[int, str], dt.date] = {}
    for mid, rid, vouchers in session.execute(select(Matter.id, Matter.region_id, Matter.vouchers).where(Matter.vouchers.is_not(None))):
        day = decided_on(all_steps.get(mid, {}))
        if day is not None:
            for v in voucher_list(vouchers):
                covered[(rid, v)] = min(day, covered.get((rid, v), day))
    out = []
    for r in rows:
        if r.amount_fen < int(threshold[r.region_id]):
            continue
        day = covered.get((r.region_id, r.voucher_no))
        if day is None or day > r.entry_date:
            out.append({"id": r.id, "region_id": r.region_id, "entry_date": r.entry_date, "voucher_no": r.voucher_no,
                        "amount_fen": r.amount_fen, "summary": r.summary, "threshold_fen": int(threshold[r.region_id]), "decided_on": day})
    return out


def major_items_undecided(session) -> Iterable[Problem]:
    for r in undecided_major_items(session):
        yuan, limit = r["amount_fen"] / 100, r["threshold_fen"] / 100
        late = f"（决议 {r['decided_on']} 晚于支出）" if r["decided_on"] else ""
        yield Problem(f"重大支出 {r['voucher_no']}（{r['entry_date']}，{yuan:,.2f} 元，达到 {limit:,.2f} 元标准）没有事先通过的四议两公开决议{late}",
                      f"major expenditure {r['voucher_no']} ({r['entry_date']}, ¥{yuan:,.2f}, at or above ¥{limit:,.2f}) has no decision "
                      f"passed before it", table="finance_ledger_entry", row=r["id"], field="voucher_no", value=r["voucher_no"])


# -- 村规民约 -----------------------------------------------------------------------------------------

def village_rule_consistent(row: VillageRule, ctx) -> Iterable[Problem]:
    yield from _attendance(row)
    yield from vote_problems(row, ctx, row.body, "passed")
    yield from _not_future(row, "adopted_on", ctx, "通过日期", "adoption date")
    yield from _not_future(row, "filed_on", ctx, "备案日期", "filing date")
    yield from _after(row, "adopted_on", "filed_on", "备案日期不能早于通过日期", "filing cannot precede adoption")


def one_current_rule(row: VillageRule, ctx) -> Iterable[Problem]:
    if not row.current:
        return
    stored = ctx.memo("decisions.current_rules", lambda: {rid: version for rid, version in ctx.session.execute(
        select(VillageRule.region_id, VillageRule.version).where(VillageRule.current.is_(True)))})
    others = [o.version for o in ctx.batch if o.current and o.region_id == row.region_id]
    if row.region_id in stored and stored[row.region_id] != row.version:
        others.append(stored[row.region_id])
    if others:
        yield Problem(f"{_region_name(ctx, row.region_id)}已有现行版本“{others[0]}”：每村只有一个现行村规民约，请先把旧版本改为非现行",
                      f"the village already has the current version {others[0]!r}: mark it not current first", field="current", value=True)


def villages_without_filed_rules(session) -> Iterable[Problem]:
    """Villages keeping this plugin's records (matters, registers) without a current, filed 村规民约."""
    using = set()
    for model in (Matter, Asset, Contract):
        using |= set(session.execute(select(model.region_id).distinct()).scalars())
    filed = set(session.execute(select(VillageRule.region_id).where(VillageRule.current.is_(True), VillageRule.filed_on.is_not(None))).scalars())
    for region in session.execute(select(Region).where(Region.id.in_(sorted(using - filed) or [-1])).order_by(Region.id)).scalars():
        yield Problem(f"{region.name}没有经乡镇备案的现行村规民约", f"{region.name} has no current 村规民约 filed with the township",
                      table="decisions_village_rule", field="region_id", value=region.id)


# -- 三资 ------------------------------------------------------------------------------------------

def asset_consistent(row: Asset, ctx) -> Iterable[Problem]:
    yield from _not_future(row, "acquired_on", ctx, "购建日期", "acquisition date")
    yield from _not_future(row, "disposed_on", ctx, "处置日期", "disposal date")
    yield from _after(row, "acquired_on", "disposed_on", "处置日期不能早于购建日期", "disposal cannot precede acquisition")
    if row.status != "disposed":
        for name in ("disposed_on", "disposal", "disposal_matter_id"):
            if getattr(row, name) is not None:
                yield Problem("未处置的资产不填处置日期、方式和决议", "an asset not disposed of has no disposal details", field=name, value=getattr(row, name))
                return


def asset_disposal_decided(row: Asset, ctx) -> Iterable[Problem]:
    """A disposal references a matter of the same village whose resolution passed on or before it."""
    if row.status != "disposed":
        return
    if row.disposed_on is None:
        yield Problem("已处置的资产须填写处置日期", "a disposed asset needs the disposal date", field="disposed_on", value=None)
    if row.disposal_matter_id is None:
        yield Problem("资产处置须经四议两公开决议：请选择处置决议事项", "a disposal needs a passed decision: give the matter",
                      field="disposal_matter_id", value=None)
        return
    yield from _link(row, ctx, "disposal_matter_id", matters(ctx), "处置决议事项", "matter")
    day = decided_on(steps(ctx).get(row.disposal_matter_id, {}))
    if row.disposal_matter_id in matters(ctx) and day is None:
        yield Problem("所选事项的村民（代表）会议决议未通过或尚未登记，不能据此处置资产", "the matter has no passed resolution",
                      field="disposal_matter_id", value=row.disposal_matter_id)
    elif day is not None and row.disposed_on is not None and day > row.disposed_on:
        yield Problem(f"处置日期早于决议通过日期 {day}", f"disposed of before the decision passed ({day})", field="disposed_on", value=row.disposed_on)


def _registers(ctx, model, key) -> dict:
    return ctx.memo(key, lambda: {r.id: r for r in ctx.session.execute(select(model.id, model.region_id))})


def contract_consistent(row: Contract, ctx) -> Iterable[Problem]:
    yield from _after(row, "start_on", "end_on", "终止日期不能早于起始日期", "the end cannot precede the start")
    yield from _not_future(row, "signed_on", ctx, "签订日期", "signing date")
    yield from _link(row, ctx, "resource_id", _registers(ctx, Resource, "decisions.resources"), "涉及资源", "resource")
    yield from _link(row, ctx, "asset_id", _registers(ctx, Asset, "decisions.assets"), "涉及资产", "asset")
    yield from _link(row, ctx, "matter_id", matters(ctx), "决议事项", "matter")


def contract_decided(row: Contract, ctx) -> Iterable[Problem]:
    """Contracts longer than the township's limit or above its yearly amount need a passed decision."""
    years = int(ctx.setting(S.CONTRACT_MAX_YEARS, row.region_id))
    limit = int(ctx.setting(S.CONTRACT_MAX_ANNUAL_FEN, row.region_id))
    reasons_zh, reasons_en = [], []
    if row.end_on > S.longest_end(row.start_on, years):
        reasons_zh.append(f"期限超过 {years} 年")
        reasons_en.append(f"longer than {years} years")
    if row.annual_fen > limit:
        reasons_zh.append(f"年金额超过 {limit / 100:,.2f} 元")
        reasons_en.append(f"more than ¥{limit / 100:,.2f} a year")
    if not reasons_zh:
        return
    day = decided_on(steps(ctx).get(row.matter_id, {})) if row.matter_id else None
    on = row.signed_on or row.start_on
    if day is None or day > on:
        yield Problem(f"合同{'、'.join(reasons_zh)}，须有事先通过的村民（代表）会议决议", f"the contract is {' and '.join(reasons_en)}: "
                      "it needs a decision passed before it", field="matter_id", value=row.matter_id)


def payment_consistent(row: ContractPayment, ctx) -> Iterable[Problem]:
    contracts = ctx.memo("decisions.contracts", lambda: {r.id: r for r in ctx.session.execute(
        select(Contract.id, Contract.region_id, Contract.start_on, Contract.end_on))})
    yield from _link(row, ctx, "contract_id", contracts, "合同", "contract")
    if row.received_fen and row.received_on is None:
        yield Problem("有实收金额须填写实收日期", "an amount received needs its date", field="received_on", value=None)
    if row.received_on is not None and not row.received_fen:
        yield Problem("填写了实收日期但实收金额为 0", "a receipt date with nothing received", field="received_fen", value=row.received_fen)
    if row.received_fen > row.due_fen:
        yield Problem(f"实收金额多于应收金额 {row.due_fen / 100:,.2f} 元", f"more received than the ¥{row.due_fen / 100:,.2f} due",
                      field="received_fen", value=row.received_fen)
    yield from _not_future(row, "received_on", ctx, "实收日期", "receipt date")


def payment_overdue(row: ContractPayment, ctx) -> Iterable[Problem]:
    if row.due_on < ctx.today and row.received_fen < row.due_fen:
        owed = (row.due_fen - row.received_fen) / 100
        yield Problem(f"合同款逾期未收：应于 {row.due_on} 收 {row.due_fen / 100:,.2f} 元，尚欠 {owed:,.2f} 元",
                      f"contract payment overdue: ¥{row.due_fen / 100:,.2f} due on {row.due_on}, ¥{owed:,.2f} outstanding",
                      field="received_fen", value=row.received_fen)


def all_rules() -> list[Rule]:
    return [
        Rule(key="decisions.matter_consistent", label_zh="事项填写完整", label_en="Matter is complete", table="decisions_matter",
             check_row=matter_consistent),
        Rule(key="decisions.step_consistent", label_zh="步骤填写完整", label_en="Step is complete", table="decisions_step",
             check_row=step_consistent),
        Rule(key="decisions.step_posting", label_zh="公开记录属于本村", label_en="The disclosure posting belongs to the village",
             table="decisions_step", check_row=step_posting),
        Rule(key="decisions.quorum_majority", label_zh="会议法定人数和表决通过比例", label_en="Quorum and majority",
             table="decisions_step", check_row=step_votes),
        Rule(key="decisions.step_order", label_zh="四议两公开按顺序进行", label_en="Steps in order", table="decisions_step",
             check_row=step_order),
        Rule(key="decisions.disclosure_deadline", label_zh="决议和实施结果按期公开", label_en="Resolutions and results disclosed in time",
             check_db=disclosures_late, severity="warning"),
        Rule(key="decisions.major_item_decided", label_zh="重大支出须有四议两公开决议", label_en="Major expenditure needs a decision",
             check_db=major_items_undecided, severity="warning"),
        Rule(key="decisions.village_rule_adopted", label_zh="村规民约依法通过", label_en="Village rules adopted lawfully",
             table="decisions_village_rule", check_row=village_rule_consistent),
        Rule(key="decisions.one_current_rule", label_zh="每村一个现行村规民约", label_en="One current version of the village rules",
             table="decisions_village_rule", check_row=one_current_rule),
        Rule(key="decisions.village_rule_filed", label_zh="有经备案的现行村规民约", label_en="Current village rules filed",
             check_db=villages_without_filed_rules, severity="warning"),
        Rule(key="decisions.asset_consistent", label_zh="资产登记完整", label_en="Asset is complete", table="decisions_asset",
             check_row=asset_consistent),
        Rule(key="decisions.asset_disposal_decided", label_zh="资产处置须经决议", label_en="Disposal needs a passed decision",
             table="decisions_asset", check_row=asset_disposal_decided),
        Rule(key="decisions.contract_consistent", label_zh="合同登记完整", label_en="Contract is complete", table="decisions_contract",
             check_row=contract_consistent),
        Rule(key="decisions.contract_decided", label_zh="超期限、超金额合同须经决议", label_en="Long or large contracts need a decision",
             table="decisions_contract", check_row=contract_decided, severity="warning"),
        Rule(key="decisions.payment_consistent", label_zh="合同收款登记完整", label_en="Payment is complete",
             table="decisions_contract_payment", check_row=payment_consistent),
        Rule(key="decisions.payment_overdue", label_zh="合同款逾期未收", label_en="Overdue contract payment",
             table="decisions_contract_payment", check_row=payment_overdue, severity="warning"),
    ]


__all__ = ["BODIES", "DISCLOSURES", "vote", "meeting_kind", "disclosure_status", "undecided_major_items", "all_rules"]
