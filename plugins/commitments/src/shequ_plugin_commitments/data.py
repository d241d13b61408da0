"""Demo data (新尚村社区 and 南洲村, 2010) and synthetic counties for the commitments plugin.

The seed articles describe the practice (article 5) and the cadences (article 1) but give no
figures for it, so every row is synthetic (``synthetic=True``). Nothing here adds an
association or a household, so the seed figures of the other plugins are untouched. Scores
are drawn, then graded by the same weights and bands the rules check (the settings' defaults:
no township overrides exist while populating), and a member with a commitment not kept is
never drawn into 优秀.
"""

from __future__ import annotations

import datetime as dt

from shequ_sdk import registry

from . import settings as S
from .models import (
    CADRE_GRADES, NOT_KEPT, REVIEW_GRADES, UPHELD, CadreAssessment, Commitment, CommitmentComplaint, CommitmentFeedback,
    CommitmentMember, CommitmentReview, StudyDay,
)
from .rules import month_end

PLUGIN = "commitments"
DEMO_PLACES = ("新尚村社区", "南洲村")

# (content, residents' concern, target kind, target, unit, association type the work belongs to)
TEMPLATES = (
    ("结对帮扶困难户，每季度至少上门走访一次", "困难群众的生产生活", "quantity", 3, "户", None),
    ("监督环卫协会垃圾日产日清，每月巡查清运情况", "村容环境卫生", "quantity", 48, "次", "sanitation"),
    ("参与调解邻里、婚姻家庭纠纷，做到小事不出组", "邻里矛盾纠纷", "quantity", 8, "起", "stability"),
    ("为留守老人、五保老人代办事务", "留守老人生活照料", "quantity", 20, "件", "elderly"),
    ("组织群众性文体活动", "群众文化生活", "quantity", 6, "场", "culture_sports"),
    ("协助修缮组级道路", "雨天出行难", "quantity", 1.5, "公里", None),
    ("入户宣传计划生育奖励扶助政策，做到应知尽知", "奖励扶助政策落实", "deliverable", None, None, "family_planning"),
    ("每季度协助更新党务、村务、财务公开栏", "村务财务公开", "deliverable", None, None, "finance"),
    ("带头清理房前屋后杂物、沟渠淤泥", "沟渠堵塞、蚊蝇滋生", "quantity", 12, "次", "sanitation"),
    ("帮助种养大户联系技术培训", "增收致富门路", "quantity", 2, "期", None),
)
POSTS = ("党支部书记", "村委会主任", "村委会委员兼会计", "妇女主任", "治保主任")
COMMUNITY_POSTS = ("党支部书记", "居委会主任", "居委会委员兼会计", "妇女主任", "治保主任")
FEEDBACK = ("已上门走访并登记困难诉求", "组织协会成员开展工作并做好记录", "完成阶段任务，向支部汇报进展", "邀请群众代表现场查看",
            "整理台账、拍照留存")
EVIDENCE = ("走访登记表", "巡查记录本", "调解登记台账", "活动签到表", "群众签字确认单")
TOPICS = ("学习党章和党的基本知识", "学习十七届五中全会精神", "学习《村民委员会组织法》", "讨论本村环境卫生整治", "学习创先争优活动文件",
          "学习人民调解法", "讨论承诺事项兑现情况", "学习计划生育政策法规")
COMPLAINTS = (
    ("complaint", "反映垃圾清运不及时，路口垃圾堆放两天", "sanitation"),
    ("complaint", "反映承诺走访的困难户未见上门", None),
    ("comment", "建议在村部增设便民服务代办点", None),
    ("complaint", "反映调解纠纷时偏袒一方", "stability"),
    ("comment", "建议文体活动安排在晚上，方便上班的群众参加", "culture_sports"),
    ("complaint", "反映公开栏财务明细更新不及时", "finance"),
    ("comment", "建议组级道路两侧安装路灯", None),
)
REPLIES = {
    "upheld": "经核实情况属实，已责成当事党员限期整改，并向反映人说明",
    "partly_upheld": "经核实部分属实，已督促改进工作方法",
    "unfounded": "经核实情况不属实，已向反映人说明核实经过",
    "adopted": "建议已采纳，将纳入下阶段工作安排",
    "explained": "已向提出人解释相关政策和安排",
}
HANDLERS = ("党支部书记", "纪检委员", "村务监督委员会主任")


def _defaults():
    reg = registry().settings
    return {k: reg[k].default for k in (S.REVIEW_WEIGHTS, S.REVIEW_BANDS, S.CADRE_WEIGHTS, S.CADRE_BANDS, S.REPLY_DAYS, S.REVIEW_CYCLE)}


def _members(ctx, region, n: int, *, history: bool) -> list[dict]:
    rng, fake = ctx.rng, ctx.fake
    posts = COMMUNITY_POSTS if region.kind == "community" else POSTS
    rows = []
    for i in range(n):
        cadre = i < min(len(posts), max(3, n // 3))
        rows.append({
            "region_id": region.id, "name": fake.name(), "is_party_member": True if not cadre else (i == 0 or rng.random() < 0.75),
            "is_cadre": cadre, "post": posts[i] if cadre else rng.choice(("党员中心户", "窗口服务岗", "党员志愿者", "协会党员")),
            "since": (fake.date_in(dt.date(min(ctx.years) - 12, 1, 1), dt.date(min(ctx.years) - 1, 12, 31)) if history else None),
            "synthetic": True,
        })
    return rows


def _associations(ctx, region_ids: list[int]) -> dict[int, list[int]]:
    """``{village: [association ids]}``: where a 协会党员 may belong."""
    from sqlalchemy import select

    from shequ_sdk import Association

    out: dict[int, list[int]] = {}
    for rid, aid in ctx.session.execute(select(Association.region_id, Association.id).where(Association.region_id.in_(region_ids))
                                        .order_by(Association.id)):
        out.setdefault(rid, []).append(aid)
    return out


def _commitments(ctx, region, member_rows, member_ids, year: int, *, per_member=(1, 2), overdue: int = 0) -> list[dict]:
    rng = ctx.rng
    out = []
    for m, mid in zip(member_rows, member_ids):
        if not m["is_party_member"] and not m["is_cadre"]:
            continue
        for t in rng.sample(TEMPLATES, rng.randint(*per_member)):
            content, concern, kind, target, unit, _ = t
            posted = dt.date(year, rng.randint(2, 3), rng.randint(1, 28))
            due = dt.date(year, 12, 31) if rng.random() < 0.7 else dt.date(year, rng.choice((6, 9)), 30)
            row = {"region_id": region.id, "member_id": mid, "year": year, "content": content, "concern": concern,
                   "target_kind": kind, "target_number": target, "target_unit": unit, "due_date": due,
                   "posted_at": "党员承诺公开栏" if rng.random() < 0.7 else "村务公开栏", "posted_on": posted, "synthetic": True}
            out.append(row)
    for row in out:
        closed = row["due_date"] + dt.timedelta(days=ctx.rng.randint(0, 20))
        if closed > ctx.today:
            if row["due_date"] >= ctx.today:
                row["status"] = "ongoing"
                continue
            closed = ctx.today
        r = rng.random()
        target = row["target_number"]
        if r < 0.78:
            row |= {"status": "kept", "achieved_number": target}
        elif r < 0.9:
            row |= {"status": "partly", "achieved_number": _part(target, rng.uniform(0.4, 0.9))}
        elif r < 0.96:
            row |= {"status": "unkept", "achieved_number": _part(target, rng.uniform(0, 0.3))}
        else:
            row |= {"status": "withdrawn", "withdrawal_reason": rng.choice(("承诺人调任乡镇工作，由支部另行安排", "项目因上级规划调整取消",
                                                                            "承诺人长期外出务工，经支部同意撤回"))}
            closed = min(ctx.today, row["posted_on"] + dt.timedelta(days=rng.randint(60, 150)))
        row["closed_on"] = closed
    candidates = [r for r in out if r["status"] != "withdrawn" and r["due_date"] < ctx.today]
    for row in rng.sample(candidates, min(overdue, len(candidates))):
        row |= {"status": "ongoing", "closed_on": None, "achieved_number": None}
    return out


def _part(target, share: float):
    """Part of a target: whole units for counts (户, 次), one decimal for lengths."""
    if target is None:
        return None
    return float(int(target * share)) if float(target).is_integer() else round(target * share, 1)


def _feedback(ctx, rows, ids) -> list[dict]:
    rng = ctx.rng
    out = []
    for c, cid in zip(rows, ids):
        start, end = c["posted_on"], min(ctx.today, c.get("closed_on") or c["due_date"], c["due_date"])
        if end <= start:
            continue
        days = sorted({start + dt.timedelta(days=rng.randint(1, (end - start).days)) for _ in range(rng.randint(1, 3))})
        for i, d in enumerate(days, start=1):
            progress = None
            if c["target_number"] is not None:
                progress = _part(c["target_number"], i / (len(days) + 1))
            out.append({"region_id": c["region_id"], "commitment_id": cid, "feedback_date": d, "done": rng.choice(FEEDBACK),
                        "progress_number": progress, "evidence": rng.choice(EVIDENCE),
                        "photo_ref": f"IMG_{d:%Y%m%d}_{rng.randint(1000, 9999)}.jpg" if rng.random() < 0.5 else None, "synthetic": True})
    return out


def _complaints(ctx, region, year, commitments, commitment_ids, n: int, reply_days: int, *, late: int = 0) -> list[dict]:
    rng = ctx.rng
    out = []
    for i in range(n):
        kind, summary, _ = rng.choice(COMPLAINTS)
        received = dt.date(year, rng.randint(1, 12), rng.randint(1, 28))
        if received > ctx.today:
            continue
        row = {"region_id": region.id, "kind": kind, "channel": rng.choice(("box", "box", "board", "phone", "in_person", "online")),
               "received_on": received, "summary": summary, "handler": rng.choice(HANDLERS), "synthetic": True}
        if kind == "complaint" and commitments and rng.random() < 0.6:
            j = rng.randrange(len(commitments))
            row |= {"commitment_id": commitment_ids[j], "member_id": commitments[j]["member_id"]}
        days = rng.randint(reply_days + 3, reply_days + 20) if i < late else rng.randint(2, reply_days)
        replied = received + dt.timedelta(days=days)
        if replied <= ctx.today:
            if kind == "comment":
                outcome = rng.choice(("adopted", "explained"))
            else:
                outcome = rng.choices(("upheld", "partly_upheld", "unfounded"), (2, 3, 6))[0]
            row |= {"replied_on": replied, "reply": REPLIES[outcome], "outcome": outcome}
        out.append(row)
    return out


def _review_rows(ctx, region, member_rows, member_ids, year, not_kept: set, d: dict) -> list[dict]:
    rng = ctx.rng
    w = S.weights(S.REVIEW_WEIGHTS, d[S.REVIEW_WEIGHTS], S.REVIEW_PARTS)
    b = S.bands(S.REVIEW_BANDS, d[S.REVIEW_BANDS], tuple(REVIEW_GRADES))
    halves = (1, 2) if d[S.REVIEW_CYCLE] == "half_year" else (None,)
    out = []
    for m, mid in zip(member_rows, member_ids):
        if not m["is_party_member"]:
            continue
        for half in halves:
            on = dt.date(year, 7, rng.randint(1, 20)) if half == 1 else dt.date(year, 12, rng.randint(10, 28))
            if on > ctx.today:
                continue
            base = rng.choice((95, 92, 88, 86, 84, 82, 80, 78, 72, 66)) if mid not in not_kept else rng.choice((84, 78, 70, 62))
            if rng.random() < 0.03:
                base = 55  # now and then a member the residents are unhappy with
            parts = {"leader_score": min(100, base + rng.randint(-3, 4)), "peer_score": round(min(100, base + rng.uniform(-4, 4)), 1),
                     "resident_score": round(min(100, base + rng.uniform(-5, 4)), 1)}
            score = S.review_score(parts, w)
            grade = S.grade_for(score, b, "unqualified")
            if grade == "excellent" and mid in not_kept:
                parts = {k: min(v, 85) for k, v in parts.items()}
                score = S.review_score(parts, w)
                grade = S.grade_for(score, b, "unqualified")
            out.append({"region_id": region.id, "member_id": mid, "year": year, "half": half, **parts,
                        "leader_comment": _comment(grade), "peer_raters": rng.randint(5, 14), "resident_raters": rng.randint(15, 40),
                        "score": float(score), "grade": grade, "reviewed_on": on, "synthetic": True})
    return out


def _comment(grade: str) -> str:
    return {"excellent": "承诺事项兑现好，群众评价高", "qualified": "能履行承诺，工作方法有待改进", "basic": "承诺兑现不够及时，需加强联系群众",
            "unqualified": "承诺未兑现，群众意见较大，限期改正"}[grade]


def _cadre_rows(ctx, region, member_rows, member_ids, year, barred: set, d: dict) -> list[dict]:
    rng = ctx.rng
    w = S.weights(S.CADRE_WEIGHTS, d[S.CADRE_WEIGHTS], S.CADRE_PARTS)
    b = S.bands(S.CADRE_BANDS, d[S.CADRE_BANDS], tuple(CADRE_GRADES))
    on = dt.date(year, 12, rng.randint(15, 30))
    if on > ctx.today:
        return []
    out = []
    for m, mid in zip(member_rows, member_ids):
        if not m["is_cadre"]:
            continue
        top = 89 if mid in barred else 97
        scores = {p: min(top, rng.randint(72, 96)) for p in S.CADRE_PARTS}
        score = S.cadre_score(scores, w)
        out.append({"region_id": region.id, "member_id": mid, "year": year, **scores, "score": float(score),
                    "grade": S.grade_for(score, b, "incompetent"), "assessed_on": on, "synthetic": True})
    return out


def _study_days(ctx, region, first: dt.date, last: dt.date, attendees: int, *, missed: tuple = ()) -> list[dict]:
    rng = ctx.rng
    out = []
    y, m = first.year, first.month
    while month_end(y, m) <= last:
        if (y, m) not in missed:
            for day in sorted(rng.sample(range(1, 29), rng.choice((1, 1, 2)))):
                absent = rng.randint(0, 2)
                out.append({"region_id": region.id, "held_on": dt.date(y, m, day), "topic": rng.choice(TOPICS),
                            "attendees": max(1, attendees - absent), "absentees": absent,
                            "tutor": "党支部书记" if rng.random() < 0.7 else "镇党委联系干部", "synthetic": True})
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _fill(ctx, plans: list[tuple], years: tuple[int, ...], d: dict) -> int:
    """Draw and write every village of ``plans`` (``(region, options)``), one batch per table (and
    per table and year for commitments), so the rules' lookups are read a few times, not per village."""
    reply_days = int(d[S.REPLY_DAYS])
    assoc = _associations(ctx, [r.id for r, _ in plans])
    rosters = []
    for region, o in plans:
        rows = _members(ctx, region, o["n_members"], history=o["history"])
        for m in rows:
            if m["post"] == "协会党员" and assoc.get(region.id):
                m["association_id"] = ctx.rng.choice(assoc[region.id])
        rosters.append(rows)
    ids = iter(ctx.write(CommitmentMember, [m for rows in rosters for m in rows], return_ids=True).ids)
    roster_ids = [[next(ids) for _ in rows] for rows in rosters]
    feedback, complaints, reviews, cadres, study = [], [], [], [], []
    made = 0
    for year in years:
        drawn = [_commitments(ctx, region, rosters[i], roster_ids[i], year, overdue=o["overdue"] if year == years[-1] else 0)
                 for i, (region, o) in enumerate(plans)]
        ids = iter(ctx.write(Commitment, [c for rows in drawn for c in rows], return_ids=True).ids)
        for i, (region, o) in enumerate(plans):
            rows = drawn[i]
            cids = [next(ids) for _ in rows]
            made += len(rows)
            feedback += _feedback(ctx, rows, cids)
            mine = _complaints(ctx, region, year, rows, cids, ctx.rng.randint(3, 7), reply_days, late=o["late"] if year == years[-1] else 0)
            complaints += mine
            not_kept = {r["member_id"] for r in rows if r.get("status") in NOT_KEPT}
            upheld = {c["member_id"] for c in mine if c.get("member_id") and c.get("outcome") in UPHELD}
            reviews += _review_rows(ctx, region, rosters[i], roster_ids[i], year, not_kept, d)
            cadres += _cadre_rows(ctx, region, rosters[i], roster_ids[i], year, not_kept | upheld, d)
    for i, (region, o) in enumerate(plans):
        party = sum(1 for m in rosters[i] if m["is_party_member"])
        study += _study_days(ctx, region, dt.date(years[0], 1, 1), ctx.today, party, missed=o["missed"])
    ctx.write(CommitmentFeedback, feedback)
    ctx.write(CommitmentComplaint, complaints)
    ctx.write(CommitmentReview, reviews)
    ctx.write(CadreAssessment, cadres)
    ctx.write(StudyDay, study)
    return made


def populate_demo(ctx) -> None:
    # 2010 as the article's year; the roster's start is unknown (empty): study days count from 2010-01
    plans = [(ctx.region("新尚村社区"), {"n_members": 9, "history": False, "overdue": 0, "late": 1, "missed": ()}),
             (ctx.region("南洲村"), {"n_members": 11, "history": False, "overdue": 1, "late": 1, "missed": ((2010, 7),)})]
    n = _fill(ctx, plans, (2010,), _defaults())
    ctx.progress(PLUGIN, "承诺事项", n, n)


def populate_synthetic(ctx) -> None:
    years = tuple(sorted(ctx.years))
    rng = ctx.rng
    plans = [(v, {"n_members": rng.randint(6, 12), "history": True, "overdue": rng.choice((0, 0, 1)), "late": rng.choice((0, 1, 2)),
                  "missed": tuple((y, m) for y in years for m in range(1, 13) if rng.random() < 0.04)}) for v in ctx.villages]
    n = _fill(ctx, plans, years, _defaults())
    ctx.progress(PLUGIN, "承诺事项", n, n)
