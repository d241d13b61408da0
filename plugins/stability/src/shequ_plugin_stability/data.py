"""Demo and synthetic data: one 综合治理维护稳定协会 per village or community, its people's
mediation cases (with parties and follow-up visits) and its security patrols.

The seed articles give no mediation or patrol figures, so every record is synthetic; only
新尚村社区's association is a seed fact (one of the six named in article 4) and is written with
``synthetic=False``. Everything is drawn from ``ctx.rng`` and written in a few large batches.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from sqlalchemy import select

from shequ_sdk import Association, AssociationMember, Region
from shequ_sdk.ids import make_id_number

from .models import FollowUpVisit, MediationCase, MediationParty, Patrol
from .settings import due_date

TYPE_KEY = "stability"
NAME_ZH = "综合治理维护稳定协会"
SEED_ASSOCIATION_PLACES = {"新尚村社区"}
MEDIATION_DAYS = 30  # the Settings' defaults: no township overrides exist while populating
EXTENSION_DAYS = 30

SOURCES = (("applied", 55), ("initiative", 30), ("police", 8), ("court", 3), ("government", 4))
# (type, weight in a village, weight in a community, (low, high) yuan or None, share with an amount, summary)
DISPUTES = (
    ("marriage_family", 22, 20, (2000, 30000), 0.3, "夫妻、婆媳间因家庭琐事及赡养问题发生矛盾"),
    ("neighbour", 24, 24, (100, 3000), 0.2, "邻里间因排水、通道、噪音等琐事发生口角"),
    ("housing_land", 12, 6, (1000, 50000), 0.5, "因宅基地界址、房屋滴水发生争执"),
    ("contract", 5, 6, (1000, 80000), 0.8, "因承包、买卖合同款项结算发生纠纷"),
    ("business", 3, 4, (1000, 50000), 0.7, "因合伙经营、生产用水用电发生纠纷"),
    ("damages", 10, 10, (500, 40000), 0.9, "因人身伤害、财产损失赔偿发生纠纷"),
    ("forest_land", 4, 1, (1000, 30000), 0.5, "因承包地、林地界址发生纠纷"),
    ("land_requisition", 4, 3, (5000, 80000), 0.6, "因征地补偿款分配发生纠纷"),
    ("pollution", 1, 1, (500, 20000), 0.5, "因养殖废水、粉尘污染发生纠纷"),
    ("labour", 3, 4, (1000, 30000), 0.9, "因拖欠工资、工伤待遇发生纠纷"),
    ("consumer", 1, 2, (100, 5000), 0.8, "因商品质量、服务收费发生纠纷"),
    ("medical", 1, 1, (2000, 50000), 0.8, "因诊疗过程及费用发生纠纷"),
    ("traffic", 4, 4, (1000, 80000), 0.95, "因道路交通事故损害赔偿发生纠纷"),
    ("property_management", 0, 6, (200, 5000), 0.5, "因物业服务、停车管理发生纠纷"),
    ("inheritance", 2, 2, (5000, 60000), 0.6, "因遗产分割发生纠纷"),
    ("family_planning", 1, 1, None, 0.0, "因计生奖励扶助对象确认发生争议"),
    ("village_affairs", 2, 2, (500, 10000), 0.3, "对村务管理、集体收益分配有异议"),
    ("other", 3, 3, None, 0.0, "其他民间纠纷"),
)
FOLLOW_UP_MEASURES = {
    "partial": "督促当事人按协议约定期限履行",
    "not_performed": "再次组织双方协商，告知可申请司法确认或向法院起诉",
    "litigation": "告知诉讼途径并跟踪诉讼进展",
    "failed": "告知当事人可通过仲裁、行政、司法途径解决，防止矛盾激化",
}
PATROL_AREAS = ("村主干道及沿河一带", "学校及周边", "集贸市场", "村部及周边", "各村民小组居民点", "渡口及堤垸")
PATROL_ISSUES = (
    "发现路灯损坏，已报村委会维修", "劝离深夜聚集人员", "发现电动车未上锁，已提醒车主", "排查出易燃杂物堆放，已督促清理",
    "发现陌生可疑人员，已报派出所", "发现堤段有渗漏隐患，已上报",
)


def populate(ctx) -> None:
    villages = ctx.villages
    if not villages:
        return
    years = tuple(ctx.years)
    counties = {r.id: r.code for r in ctx.regions("county")}
    assoc_ids = _associations(ctx, villages, years)
    mediators = _members(ctx, villages, assoc_ids, years)
    cases, case_villages = _cases(ctx, villages, mediators, years)
    ctx.progress(TYPE_KEY, "调解案件", 0, len(cases))
    case_ids = _write_cases(ctx, cases)
    parties, visits = [], []
    for cid, case, village in zip(case_ids, cases, case_villages):
        parties += _parties(ctx, cid, case, village, counties.get(village.county_id) or "430921")
        visits += _follow_ups(ctx, cid, case, mediators[village.id])
    ctx.progress(TYPE_KEY, "当事人与回访", 0, len(parties) + len(visits))
    ctx.write(MediationParty, parties)
    ctx.write(FollowUpVisit, visits)
    ctx.progress(TYPE_KEY, "治安巡逻", 0, 1)
    ctx.write(Patrol, _patrols(ctx, villages, years))
    ctx.progress(TYPE_KEY, "完成", 1, 1)


def _write_cases(ctx, cases: list[dict]) -> list[int]:
    """Write the cases and return their ids in order, read back by natural key in one query
    (an INSERT … RETURNING that keeps row order runs row by row on SQLite)."""
    if not cases:
        return []
    ctx.write(MediationCase, cases)
    M = MediationCase
    regions = sorted({c["region_id"] for c in cases})
    ids = {}
    for i in range(0, len(regions), 500):
        stmt = select(M.id, M.region_id, M.case_no).where(M.region_id.in_(regions[i : i + 500]))
        ids.update({(rid, no): cid for cid, rid, no in ctx.session.execute(stmt)})
    return [ids[(c["region_id"], c["case_no"])] for c in cases]


def committee_name(village: Region) -> str:
    """The short name on case numbers: 新尚村社区 → 新尚, 南洲村 → 南洲."""
    for suffix in ("村社区", "社区", "村"):
        if village.name.endswith(suffix) and len(village.name) > len(suffix):
            return village.name[: -len(suffix)]
    return village.name


def _associations(ctx, villages, years) -> dict[int, int]:
    rows = []
    for v in villages:
        seed = ctx.is_seed(v) and v.name in SEED_ASSOCIATION_PLACES
        row = {"region_id": v.id, "type_key": TYPE_KEY, "name": f"{v.name}{NAME_ZH}", "synthetic": not seed}
        if not seed:  # a seed association carries only what the article says
            row["founded"] = ctx.fake.date_in(date(1995, 1, 1), date(years[0] - 1, 12, 31))
            row["leader_name"] = ctx.fake.name()
        rows.append(row)
    ids = ctx.write(Association, rows, return_ids=True).ids
    return {v.id: i for v, i in zip(villages, ids)}


def _members(ctx, villages, assoc_ids, years) -> dict[int, list[str]]:
    """Association members; the first three also sit on the 人民调解委员会 and mediate."""
    roles = ("chair", "vice_chair", "secretary")
    rows, mediators = [], {}
    for v in villages:
        names: list[str] = []
        for n in range(ctx.rng.randint(5, 9)):
            name = ctx.fake.name()
            while name in names:
                name = ctx.fake.name()
            names.append(name)
            rows.append({"region_id": v.id, "association_id": assoc_ids[v.id], "name": name,
                         "role": roles[n] if n < len(roles) else "member",
                         "joined": ctx.fake.date_in(date(years[0] - 6, 1, 1), date(years[0] - 1, 12, 31)),
                         "is_party_member": ctx.rng.random() < (0.8 if n < len(roles) else 0.3), "synthetic": True})
        mediators[v.id] = names[:3]
    ctx.write(AssociationMember, rows)
    return mediators


def _amount(rng, span, share) -> int:
    if span is None or rng.random() >= share:
        return 0
    lo, hi = span
    return rng.randint(lo // 10, hi // 10) * 10 * 100  # whole tens of yuan, in fen


def _cases(ctx, villages, mediators, years):
    rng, today = ctx.rng, ctx.today
    kinds = [d[0] for d in DISPUTES]
    info = {d[0]: d for d in DISPUTES}
    v_weights = [d[1] for d in DISPUTES]
    c_weights = [d[2] for d in DISPUTES]
    sources, s_weights = zip(*SOURCES)
    cases, case_villages = [], []
    for v in villages:
        committee = committee_name(v)
        weights = c_weights if v.kind == "community" else v_weights
        for y in years:
            if date(y, 1, 1) > today:
                break
            last = min(date(y, 12, 31), today)
            n = rng.randint(4, 12) if v.kind == "community" else rng.randint(2, 9)
            dates = sorted(ctx.fake.date_in(date(y, 1, 1), last) for _ in range(n))
            for serial, registered in enumerate(dates, start=1):
                kind = rng.choices(kinds, weights=weights)[0]
                _, _, _, span, share, brief = info[kind]
                case = {
                    "region_id": v.id, "case_no": f"({y}){committee}人调字第{serial}号", "registered_on": registered,
                    "source": rng.choices(sources, weights=s_weights)[0], "dispute_type": kind, "brief": brief,
                    "mediator": rng.choice(mediators[v.id]), "status": "accepted", "synthetic": True,
                    "prevented_criminal": rng.random() < 0.03,
                    "prevented_petition": rng.random() < (0.1 if kind in ("land_requisition", "forest_land", "labour") else 0.01),
                }
                _outcome(rng, case, registered, today, span, share)
                cases.append(case)
                case_villages.append(v)
    return cases, case_villages


def _outcome(rng, case, registered, today, span, share) -> None:
    if rng.random() < 0.02:  # outside people's mediation, or a party refuses
        decided = registered + timedelta(days=rng.randint(0, 3))
        if decided <= today:
            case.update(status="rejected", closed_on=decided)
        return
    days = max(1, int(rng.gammavariate(2.0, 8.0)))
    due = due_date(registered, MEDIATION_DAYS)
    if days > MEDIATION_DAYS:
        if rng.random() < 0.7:  # most long cases get the parties' consent to an extension
            case["extension_agreed"] = True
            due = due_date(registered, MEDIATION_DAYS, EXTENSION_DAYS)
        days = min(days, MEDIATION_DAYS + EXTENSION_DAYS)
    case["due_on"] = due
    closed = registered + timedelta(days=days)
    if closed > today:
        case["status"] = "in_progress" if today > registered + timedelta(days=2) else "accepted"
        return
    if rng.random() < 0.08:
        case.update(status="failed", closed_on=closed)
        return
    written = rng.random() < 0.65
    case.update(status="success", closed_on=closed, agreement_on=closed, agreement_form="written" if written else "oral",
                amount_fen=_amount(rng, span, share))
    if written and case["amount_fen"] >= 500000 and rng.random() < 0.1:
        applied = closed + timedelta(days=rng.randint(1, 25))
        if applied <= today:
            pending = applied > today - timedelta(days=15)
            case.update(judicial_applied_on=applied,
                        judicial_confirmation="applied" if pending else ("valid" if rng.random() < 0.95 else "invalid"))


def _person_id(rng, region6: str, male: bool, born: date) -> str:
    seq = rng.randrange(0, 500) * 2 + (1 if male else 0)  # the last digit of the sequence encodes the sex
    return make_id_number(region6, born, seq)


def _phone(rng) -> str:
    return f"1{rng.choice('3578')}{rng.randrange(10 ** 9):09d}"


def _parties(ctx, cid: int, case: dict, village, region6: str) -> list[dict]:
    """Two or three parties. ID numbers are kept where a written agreement lists them (协议书
    records 当事人基本情况); other files hold name, sex, phone and address only."""
    rng, fake = ctx.rng, ctx.fake
    roles = ["applicant", "respondent"] + (["third_party"] if rng.random() < 0.1 else [])
    with_id = case.get("agreement_form") == "written"
    rows, names = [], set()
    for role in roles:
        name = fake.name()
        while name in names:
            name = fake.name()
        names.add(name)
        male = rng.random() < 0.55
        born = fake.birth_date(20, 80, today=date(case["registered_on"].year, 1, 1))
        rows.append({
            "region_id": case["region_id"], "case_id": cid, "role": role, "name": name, "gender": "male" if male else "female",
            "id_number": _person_id(rng, region6, male, born) if with_id else None, "phone": _phone(rng) if rng.random() < 0.9 else None,
            "address": f"{village.name}第{rng.randint(1, 12)}组", "synthetic": True,
        })
    return rows


def _follow_ups(ctx, cid: int, case: dict, mediators: list[str]) -> list[dict]:
    rng, today = ctx.rng, ctx.today
    status = case["status"]
    rows = []
    if status == "success" and rng.random() < 0.85:
        day = case["agreement_on"] + timedelta(days=rng.randint(5, 30))
        performance = rng.choices(("performed", "partial", "not_performed", "litigation"), weights=(85, 8, 4, 3))[0]
        risk = {"performed": "none", "partial": "low", "not_performed": rng.choice(("low", "medium")), "litigation": "low"}[performance]
        satisfaction = rng.choice(("satisfied", "satisfied", "satisfied", "fairly")) if performance == "performed" else rng.choice(("fairly", "dissatisfied"))
        if day <= today:
            rows.append({"region_id": case["region_id"], "case_id": cid, "visit_date": day, "visitor": rng.choice(mediators),
                         "performance": performance, "satisfaction": satisfaction, "escalation_risk": risk,
                         "measures": FOLLOW_UP_MEASURES.get(performance), "synthetic": True})
        again = day + timedelta(days=rng.randint(20, 40))
        if performance in ("partial", "not_performed") and again <= today:
            done = rng.random() < 0.7
            rows.append({"region_id": case["region_id"], "case_id": cid, "visit_date": again, "visitor": rng.choice(mediators),
                         "performance": "performed" if done else performance, "satisfaction": "fairly" if done else "dissatisfied",
                         "escalation_risk": "none" if done else "low", "measures": None if done else FOLLOW_UP_MEASURES[performance],
                         "synthetic": True})
    elif status == "failed" and rng.random() < 0.5:
        day = case["closed_on"] + timedelta(days=rng.randint(5, 20))
        if day <= today:
            rows.append({"region_id": case["region_id"], "case_id": cid, "visit_date": day, "visitor": rng.choice(mediators),
                         "escalation_risk": rng.choices(("low", "medium", "high"), weights=(70, 25, 5))[0],
                         "measures": FOLLOW_UP_MEASURES["failed"], "synthetic": True})
    return rows


def _patrols(ctx, villages, years) -> list[dict]:
    """Patrols spread through each month: the month is cut into as many equal stretches as
    there are patrols and one day is drawn in each (plain ``random()`` draws keep this fast)."""
    rnd, today = ctx.rng.random, ctx.today
    n_areas, n_issues = len(PATROL_AREAS), len(PATROL_ISSUES)
    rows = []
    for v in villages:
        short = committee_name(v)
        teams = (f"{short}治安巡逻队",) if v.kind == "village" else (f"{short}治安巡逻队", f"{short}志愿巡逻队")
        low, spread = (2, 3) if v.kind == "community" else (1, 2)
        for y in years:
            for month in range(1, 13):
                first = date(y, month, 1)
                if first > today:
                    break
                last_day = min(calendar.monthrange(y, month)[1], (today - first).days + 1)
                k = min(low + int(rnd() * spread), last_day)
                for i in range(k):
                    lo, hi = i * last_day // k, (i + 1) * last_day // k
                    day = 1 + lo + int(rnd() * (hi - lo))
                    r = rnd()
                    issues = 0 if r < 0.75 else (1 if r < 0.93 else 2)
                    night = rnd() < 0.6
                    hours = (2.0, 2.5, 3.0, 4.0)[int(rnd() * 4)] if night else (1.5, 2.0, 3.0)[int(rnd() * 3)]
                    note = None
                    if issues:
                        a = int(rnd() * n_issues)
                        note = PATROL_ISSUES[a] if issues == 1 else f"{PATROL_ISSUES[a]}；{PATROL_ISSUES[(a + 1 + int(rnd() * (n_issues - 1))) % n_issues]}"
                    rows.append({
                        "region_id": v.id, "patrol_date": date(y, month, day), "team": teams[int(rnd() * len(teams))],
                        "participants": 3 + int(rnd() * 10), "hours": hours, "area": PATROL_AREAS[int(rnd() * n_areas)],
                        "night": night, "issues_found": issues, "issues_note": note, "synthetic": True,
                    })
    return rows
