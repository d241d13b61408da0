"""Demo data (seed article 1: 宜城市, 2010) and synthetic counties for the party plugin."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Optional

from shequ_sdk import Association

from . import seed
from .models import (
    SOCIAL_ORG, PartyActivity, PartyCoverage, PartyEvaluation, PartyInstructor, PartyMobileMember, PartyMobileReport,
    TALK_TRIGGERS, PartyOrganisation, PartyOrgProfile, PartyTalk,
)
from .rules import add_months

PLUGIN = "party"
INSTRUCTOR_POSTS = ("机关党支部书记", "办公室主任", "党建专干", "机关党支部委员", "纪检员")
DESTINATIONS = [
    ("广东省深圳市宝安区", "0755"), ("广东省广州市天河区", "020"), ("广东省东莞市长安镇", "0769"), ("湖北省武汉市江汉区", "027"),
    ("上海市浦东新区", "021"), ("北京市朝阳区", "010"), ("浙江省杭州市萧山区", "0571"), ("江苏省苏州市工业园区", "0512"),
    ("湖北省襄樊市樊城区", "0710"), ("福建省厦门市思明区", "0592"),
]
EMPLOYERS = ("电子厂", "建筑公司", "物流公司", "贸易公司", "餐饮公司", "装饰工程公司", "机械厂", "服装厂")
REPORT_SUMMARIES = ("汇报思想和工作情况，按时交纳党费", "参加流入地党组织活动", "介绍务工情况，表示年底返乡",
                    "学习有关文件，汇报工作近况", "电话汇报近况并交纳党费")

# 三必谈: what a talk on each occasion typically settled, and whether it left something to follow up
TALK_OUTCOMES = {
    "mood": (("思想疙瘩已解开，表示安心工作", False), ("因家庭困难情绪低落，支部协调帮扶", True), ("对评议结果有看法，已说明情况", False)),
    "political_event": (("学习会议精神，交流思想认识", False), ("谈心后主动提交心得体会", False), ("对政策有疑问，约定再次座谈", True)),
    "dispute": (("与会员的纠纷已当面化解", False), ("会费争议已调解，双方认可", False), ("与邻里矛盾未完全化解，继续做工作", True)),
}


# -- shared helpers -------------------------------------------------------------------------

def _weighted_sample(rng, items: list, weights: list[float], k: int) -> list:
    """``k`` items without replacement, more likely where the weight is higher (Efraimidis–Spirakis)."""
    keyed = sorted(((rng.random() ** (1.0 / w), i) for i, w in enumerate(weights) if w > 0), reverse=True)
    return [items[i] for _, i in keyed[:k]]


def _allocate(rng, total: int, bounds: list[tuple[int, int]]) -> list[int]:
    """Integers within ``bounds`` summing exactly to ``total``: everyone starts at the lower bound,
    then the remainder is drawn at random from the room left under the upper bounds."""
    values = [lo for lo, _ in bounds]
    remainder = total - sum(values)
    tickets = [i for i, (lo, hi) in enumerate(bounds) for _ in range(hi - lo)]
    if not 0 <= remainder <= len(tickets):
        raise ValueError(f"cannot allocate {total} within bounds summing to {sum(values)}..{sum(values) + len(tickets)}")
    for i in rng.sample(tickets, remainder):
        values[i] += 1
    return values


def _unique_names(fake, n: int) -> list[str]:
    seen: set[str] = set()
    out = []
    while len(out) < n:
        name = fake.name()
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out


def _grades(rng, n: int) -> list[tuple[str, int]]:
    """Grades and peer scores for a body's ``n`` members: 优秀 at most a third, 不合格 rare."""
    excellent = rng.randint(max(0, n // 5 - 1), n // 3) if n >= 3 else 0
    out = []
    for i in range(n):
        if i < excellent:
            out.append(("excellent", rng.randint(90, 99)))
            continue
        r = rng.random()
        if r < 0.06:
            out.append(("basic", rng.randint(60, 74)))
        elif r < 0.07:
            out.append(("unqualified", rng.randint(40, 59)))
        else:
            out.append(("qualified", rng.randint(75, 92)))
    rng.shuffle(out)
    return out


def _host_unit(unit: str) -> str:
    return f"{unit}机关党支部" if unit.startswith("市") else f"{unit}党组织"


def _mobile_history(rng, fake, *, region_id: int, association_id: int, party_org_id: int, out_date: dt.date,
                    months_away: int, today: dt.date, seq: int, synthetic: bool = True, gap: bool = False, stop: bool = False):
    """One mobile member and the reports they sent: every 40–58 days (never more than two months),
    with an optional overdue gap or a member who stopped reporting (synthetic mode only)."""
    dest, area = DESTINATIONS[rng.randrange(len(DESTINATIONS))]
    back = add_months(out_date, months_away)
    returned = back if back <= today else None
    end = returned or today
    stop_at = add_months(today, -rng.randint(3, 6)) if stop and returned is None else None
    reports, d, gapped = [], out_date, False
    while True:
        step = rng.randint(40, 58)
        if gap and not gapped and rng.random() < 0.3:
            step, gapped = rng.randint(70, 100), True
        d = d + dt.timedelta(days=step)
        if d > end or (stop_at and d > stop_at):
            break
        reports.append(d)
    member = {
        "region_id": region_id, "name": fake.name(), "phone": fake.phone(), "association_id": association_id,
        "party_org_id": party_org_id, "destination": dest, "employer": dest[-3:] + rng.choice(EMPLOYERS),
        "out_date": out_date, "expected_return": add_months(out_date, months_away), "returned_on": returned,
        "permit_no": f"宜流党证{out_date.year}-{seq:03d}",
        "receiving_org": f"{dest}流动党员党支部", "receiving_phone": f"{area}-{rng.randint(2000000, 8999999)}{rng.randrange(10)}",
        "relation_transferred": False, "last_contact": reports[-1] if reports else out_date, "synthetic": synthetic,
    }
    return member, reports


def _talk_rows(rng, *, region_id: int, body_id: int, held_by: str, roster: list[str], start: dt.date, end: dt.date,
               most: int) -> list[dict]:
    """0..``most`` 三必谈 talks of one branch between ``start`` and ``end`` (inclusive), each with a
    member of its roster; nothing when the span is empty or the roster has no one but the holder."""
    members = [n for n in roster if n != held_by]
    if start > end or not members:
        return []
    rows, seen = [], set()
    for _ in range(rng.randint(0, most)):
        trigger = rng.choice(tuple(TALK_TRIGGERS))
        outcome, follow_up = rng.choice(TALK_OUTCOMES[trigger])
        day, member = start + dt.timedelta(days=rng.randint(0, (end - start).days)), rng.choice(members)
        if (day, member) in seen:  # one talk per member and day (the table's natural key)
            continue
        seen.add((day, member))
        rows.append({"region_id": region_id, "party_org_id": body_id, "talk_date": day, "trigger": trigger, "member_name": member,
                     "held_by": held_by, "outcome": outcome, "follow_up": follow_up, "synthetic": True})
    return rows


def _report_rows(rng, member_id: int, region_id: int, dates: list[dt.date]) -> list[dict]:
    return [{"region_id": region_id, "mobile_member_id": member_id, "report_date": d, "form": "written" if rng.random() < 0.6 else "oral",
             "summary": rng.choice(REPORT_SUMMARIES), "synthetic": True} for d in dates]


# -- demo: 宜城市 as the article describes it in 2010 -------------------------------------------

def populate_demo(ctx) -> None:
    rng, fake = ctx.rng, ctx.fake
    county = ctx.region(seed.COUNTY)
    rid = county.id
    campaign = (dt.date(2008, 10, 1), dt.date(2010, 4, 30))  # 学习实践活动 → the article (2010 no. 5)

    orgs: list[tuple[seed.Org, str, Optional[int]]] = []  # (org, mode, joint group index)
    orgs += [(o, "standalone", None) for o in seed.STANDALONE_ORGS]
    for gi, (_, _, members) in enumerate(seed.JOINT_GROUPS):
        orgs += [(o, "joint", gi) for o in members]
    orgs += [(o, "attached", None) for o in seed.ATTACHED_ORGS]
    orgs += [(o, "instructor", None) for o in seed.INSTRUCTOR_ORGS]

    # figures per organisation: random within bounds that fit each mode, summing exactly to the article's totals
    party_bounds = {"standalone": (8, 25), "joint": (2, 5), "attached": (1, 4), "instructor": (0, 2)}
    bounds = []
    for o, mode, _ in orgs:
        lo, hi = party_bounds[mode]
        floor = seed.PARTY_MEMBERS_AT_LEAST.get(o.name)
        bounds.append((floor, floor + 2) if floor else (lo, hi))
    party = _allocate(rng, seed.PARTY_MEMBERS, bounds)
    member_bounds = {"standalone": (20, 60), "joint": (6, 14), "attached": (5, 12), "instructor": (3, 8)}
    members = _allocate(rng, seed.MEMBERS, [(max(p, member_bounds[m][0]), max(p, member_bounds[m][1])) for p, (_, m, _) in zip(party, orgs)])
    staff, staff_party = [], []
    for p, (_, mode, _) in zip(party, orgs):
        if mode == "standalone":  # the article: 3 or more Party members among the standing office's staff
            s = rng.randint(3, 8)
            staff.append(s)
            staff_party.append(rng.randint(3, min(s, p)))
        else:
            s = rng.randint(0, 3 if mode == "joint" else 2)
            staff.append(s)
            staff_party.append(0 if mode == "instructor" else rng.randint(0, min(2, s, p)))
    weight = {"standalone": 3.0, "joint": 2.0, "attached": 1.5, "instructor": 1.0}
    idx = list(range(len(orgs)))
    unions = set(_weighted_sample(rng, idx, [weight[m] * (staff[i] >= 2) for i, (_, m, _) in enumerate(orgs)], seed.UNIONS))
    youth = set(_weighted_sample(rng, idx, [weight[m] for _, m, _ in orgs], seed.YOUTH_LEAGUES))
    women = set(_weighted_sample(rng, idx, [weight[m] for _, m, _ in orgs], seed.WOMENS_ORGS))

    assoc_rows = []
    for o, _, _ in orgs:
        # named organisations are seed facts; their founding dates and leaders are unknown
        assoc_rows.append({"region_id": rid, "type_key": SOCIAL_ORG, "name": o.name, "synthetic": not o.stated,
                           "founded": None if o.stated else fake.date_in(dt.date(1985, 1, 1), dt.date(2008, 6, 30)),
                           "leader_name": None if o.stated else fake.name()})
    assoc_ids = ctx.write(Association, assoc_rows, return_ids=True).ids
    ctx.progress(PLUGIN, "社会组织", len(assoc_ids), len(assoc_ids))
    ctx.write(PartyOrgProfile, [{
        "region_id": rid, "association_id": aid, "year": seed.YEAR, "members": members[i], "party_members": party[i],
        "staff": staff[i], "staff_party_members": staff_party[i], "has_union": i in unions, "has_youth_league": i in youth,
        "has_women_org": i in women, "supervising_unit": orgs[i][0].unit, "synthetic": True,
    } for i, aid in enumerate(assoc_ids)])

    # Party bodies: one standalone branch or attached group per organisation, one joint branch per group
    body_rows, body_of = [], {}
    for i, (o, mode, gi) in enumerate(orgs):
        if mode in ("standalone", "attached"):
            founded = None if o.mode_stated else fake.date_in(*campaign)
            body_of[i] = len(body_rows)
            body_rows.append({"region_id": rid, "name": f"{o.name}{'党支部' if mode == 'standalone' else '党小组'}", "kind": mode,
                              "party_members": party[i], "secretary_name": fake.name(), "founded": founded,
                              "host_unit": _host_unit(o.unit) if mode == "attached" else None,
                              "synthetic": not o.mode_stated})
    group_body = {}
    for gi, (name, basis, _) in enumerate(seed.JOINT_GROUPS):
        group_body[gi] = len(body_rows)
        body_rows.append({"region_id": rid, "name": name, "kind": "joint", "basis": basis, "secretary_name": fake.name(),
                          "party_members": sum(party[i] for i, (_, _, g) in enumerate(orgs) if g == gi),
                          "founded": fake.date_in(*campaign), "synthetic": True})
    for i, (_, mode, gi) in enumerate(orgs):
        if mode == "joint":
            body_of[i] = group_body[gi]
    body_ids = ctx.write(PartyOrganisation, body_rows, return_ids=True).ids

    instructor_rows, instructor_of = [], {}
    for i, (o, mode, _) in enumerate(orgs):
        if mode == "instructor":
            instructor_of[i] = len(instructor_rows)
            instructor_rows.append({"region_id": rid, "name": fake.name(), "phone": fake.phone(), "dispatching_unit": _host_unit(o.unit),
                                    "post": rng.choice(INSTRUCTOR_POSTS), "appointed": fake.date_in(*campaign), "synthetic": True})
    instructor_ids = ctx.write(PartyInstructor, instructor_rows, return_ids=True).ids

    coverage = []
    for i, (o, mode, _) in enumerate(orgs):
        row = {"region_id": rid, "association_id": assoc_ids[i], "mode": mode, "synthetic": not o.mode_stated}
        if mode == "instructor":
            row |= {"instructor_id": instructor_ids[instructor_of[i]], "start_date": instructor_rows[instructor_of[i]]["appointed"]}
        else:
            row |= {"party_org_id": body_ids[body_of[i]], "start_date": body_rows[body_of[i]]["founded"]}
        coverage.append(row)
    ctx.write(PartyCoverage, coverage)
    ctx.progress(PLUGIN, "覆盖方式", len(coverage), len(coverage))

    # 民主评议 at the end of 2010 in every branch (attached groups are evaluated with their host unit)
    evaluations, rosters = [], {}
    for b, bid in zip(body_rows, body_ids):
        if b["kind"] == "attached":
            continue
        names = rosters[bid] = _unique_names(fake, b["party_members"])
        for name, (grade, score) in zip(names, _grades(rng, len(names))):
            evaluations.append({"region_id": rid, "party_org_id": bid, "year": seed.YEAR, "member_name": name, "grade": grade,
                                "peer_score": score, "evaluated_on": fake.date_in(dt.date(2010, 12, 15), dt.date(2011, 1, 20)),
                                "synthetic": True})
    ctx.write(PartyEvaluation, evaluations)

    # mobile members: the practice the article describes (活动证, a report every two months)
    homes = [i for i, (_, mode, _) in enumerate(orgs) if mode in ("standalone", "joint") and party[i] >= 4]
    mobile, reports = [], []
    for seq, i in enumerate(rng.sample(homes, 12), start=1):
        m, r = _mobile_history(rng, fake, region_id=rid, association_id=assoc_ids[i], party_org_id=body_ids[body_of[i]],
                               out_date=fake.date_in(dt.date(2009, 9, 1), dt.date(2010, 10, 31)), months_away=rng.randint(4, 24),
                               today=ctx.today, seq=seq)
        mobile.append(m)
        reports.append(r)
    mobile_ids = ctx.write(PartyMobileMember, mobile, return_ids=True).ids
    ctx.write(PartyMobileReport, [row for mid, dates in zip(mobile_ids, reports) for row in _report_rows(rng, mid, rid, dates)])

    by_name = {o.name: i for i, (o, _, _) in enumerate(orgs)}
    ctx.write(PartyActivity, [{
        "region_id": rid, "association_id": assoc_ids[by_name[org]], "party_org_id": body_ids[body_of[by_name[org]]] if by_name[org] in body_of else None,
        "year": year, "kind": kind, "title": title, "beneficiaries": ben, "amount_fen": None if yuan is None else yuan * 100,
        "amount_at_least": at_least, "sites": sites, "note": note, "synthetic": False,
    } for org, kind, year, title, ben, yuan, at_least, sites, note in seed.ACTIVITIES])

    # 三必谈 talks in every branch during the year (illustrative: the article names the practice, not its figures)
    year_end = min(dt.date(seed.YEAR, 12, 31), ctx.today)
    talks = []
    for b, bid in zip(body_rows, body_ids):
        if bid in rosters:
            start = max(dt.date(seed.YEAR, 1, 1), b["founded"] or dt.date(seed.YEAR, 1, 1))
            talks += _talk_rows(rng, region_id=rid, body_id=bid, held_by=b["secretary_name"], roster=rosters[bid],
                                start=start, end=year_end, most=4)
    ctx.write(PartyTalk, talks)
    ctx.progress(PLUGIN, "三必谈", len(talks), len(talks))


# -- synthetic counties ------------------------------------------------------------------------

VILLAGE_ORGS = ("腰鼓队", "广场舞队", "志愿服务队", "红白理事会", "老年门球队", "种植协会", "养殖协会", "农机服务队", "读书会",
                "合唱队", "书画社", "象棋协会", "互助会", "龙灯队")
LEVEL_SIZES = {  # members, Party members, staff
    "county": ((10, 80), (0, 25), (0, 6)),
    "township": ((8, 40), (0, 10), (0, 3)),
    "village": ((8, 30), (0, 5), (0, 1)),
}


@dataclass
class _Org:
    region_id: int
    group_id: int  # county or township: where its joint branch would sit
    level: str
    name: str
    unit: str
    founded: dt.date
    dissolved: Optional[dt.date]
    members: int
    party: int
    staff: int
    staff_party: int
    flags: tuple[bool, bool, bool]
    mode: Optional[str] = None
    cover_from: Optional[dt.date] = None
    standalone_from: Optional[dt.date] = None
    id: int = 0
    coverage: list = field(default_factory=list)


def populate_synthetic(ctx) -> None:
    rng, fake = ctx.rng, ctx.fake
    first, last = min(ctx.years), max(ctx.years)
    today = ctx.today
    county = ctx.regions("county")[-1]
    townships = ctx.regions("township")
    places = {r.id: r for r in (county, *townships)}
    villages_of: dict[int, list] = {}
    for v in ctx.villages:
        villages_of.setdefault(v.township_id, []).append(v)
    pool = [o for o in seed.STANDALONE_ORGS + seed.ATTACHED_ORGS + seed.INSTRUCTOR_ORGS if not o.stated]
    pool += [o for _, _, g in seed.JOINT_GROUPS for o in g if not o.stated]

    orgs: list[_Org] = []

    def make(region_id, group_id, level, name, unit):
        (m_lo, m_hi), (p_lo, p_hi), (s_lo, s_hi) = LEVEL_SIZES[level]
        founded = fake.date_in(dt.date(first - 20, 1, 1), dt.date(first - 1, 12, 31)) if rng.random() < 0.75 \
            else fake.date_in(dt.date(first, 1, 1), min(today, dt.date(last, 12, 31)))
        dissolved = None
        if rng.random() < 0.03:
            d = fake.date_in(max(founded, dt.date(first, 1, 1)) + dt.timedelta(days=365), dt.date(last + 2, 12, 31))
            dissolved = d if d <= today else None
        members = rng.randint(m_lo, m_hi)
        party = min(members, rng.randint(p_lo, p_hi))
        staff = rng.randint(s_lo, s_hi)
        staff_party = rng.randint(0, min(staff, party))
        flags = (staff >= 2 and rng.random() < 0.5, rng.random() < 0.25, rng.random() < 0.15)
        orgs.append(_Org(region_id, group_id, level, name, unit, founded, dissolved, members, party, staff, staff_party, flags))

    for o in rng.sample(pool, min(len(pool), 20 + 2 * len(townships))):
        make(county.id, county.id, "county", o.name, o.unit)
    for t in townships:
        for o in rng.sample(pool, rng.randint(3, 6)):
            make(t.id, t.id, "township", f"{t.name}{o.name}", o.unit.replace("市", "镇", 1) if o.unit.startswith("市") else o.unit)
        for v in villages_of.get(t.id, []):
            if rng.random() < 0.3:
                make(v.id, t.id, "village", f"{v.name}{rng.choice(VILLAGE_ORGS)}", f"{t.name}党委")

    # coverage: the drive reaches older organisations around the first years; newer ones some months
    # after founding; a few are never reached (they stay uncovered, as `shequ check` reports)
    for o in orgs:
        if rng.random() < 0.04:
            continue
        start = o.founded + dt.timedelta(days=rng.randint(30, 400))
        if o.founded.year < first:  # the full-coverage drive straddles the first years
            start = max(start, fake.date_in(dt.date(first - 2, 1, 1), dt.date(first + 1, 12, 31)))
        if start > today or (o.dissolved and start >= o.dissolved):
            continue
        o.cover_from = start
        if o.staff_party >= 3:
            o.mode = "standalone"
            o.standalone_from = start if rng.random() < 0.5 else min(today, start + dt.timedelta(days=rng.randint(180, 1100)))
            if o.dissolved and o.standalone_from >= o.dissolved:
                o.standalone_from = start
        elif o.party >= 2 and rng.random() < 0.5:
            o.mode = "joint"
        elif o.party >= 1 and rng.random() < 0.6:
            o.mode = "attached"
        else:
            o.mode = "instructor"

    # joint branches: 2–4 organisations of one county or township (行业相近/地域相邻)
    groups: list[list[_Org]] = []
    by_place: dict[int, list[_Org]] = {}
    for o in orgs:
        if o.mode == "joint":
            by_place.setdefault(o.group_id, []).append(o)
    for members in by_place.values():
        rng.shuffle(members)
        while len(members) >= 2:
            k = min(len(members), rng.randint(2, 4))
            if len(members) - k == 1:
                k += 1
            groups.append(members[:k])
            members = members[k:]
        for o in members:
            o.mode = "attached"

    assoc_ids = ctx.write(Association, [{
        "region_id": o.region_id, "type_key": SOCIAL_ORG, "name": o.name, "founded": o.founded, "dissolved": o.dissolved,
        "leader_name": fake.name(), "leader_phone": fake.phone(), "synthetic": True} for o in orgs], return_ids=True).ids
    for o, aid in zip(orgs, assoc_ids):
        o.id = aid
    ctx.progress(PLUGIN, "社会组织", len(orgs), len(orgs))

    # yearly profiles: staff Party members reach 3 only once the standalone branch exists
    profiles = []
    for o in orgs:
        for y in ctx.years:
            end = dt.date(y, 12, 31)
            if o.founded > end or (o.dissolved and o.dissolved <= end) or y > today.year:
                continue
            party = max(o.staff_party, min(o.members, o.party + rng.randint(-1, 1)))
            staff_party = o.staff_party if (o.standalone_from and o.standalone_from <= end) else min(o.staff_party, 2)
            profiles.append({"region_id": o.region_id, "association_id": o.id, "year": y, "members": max(party, o.members + rng.randint(-2, 2)),
                             "party_members": party, "staff": o.staff, "staff_party_members": staff_party, "has_union": o.flags[0],
                             "has_youth_league": o.flags[1], "has_women_org": o.flags[2], "supervising_unit": o.unit, "synthetic": True})
    ctx.write(PartyOrgProfile, profiles)

    bodies: list[dict] = []
    body_orgs: list[list[_Org]] = []
    for o in orgs:
        if o.mode in ("standalone", "attached"):
            founded = o.standalone_from if o.mode == "standalone" else o.cover_from
            bodies.append({"region_id": o.region_id, "name": f"{o.name}{'党支部' if o.mode == 'standalone' else '党小组'}", "kind": o.mode,
                           "party_members": max(o.party, 3) if o.mode == "standalone" else max(o.party, 1), "secretary_name": fake.name(),
                           "host_unit": _host_unit(o.unit) if o.mode == "attached" else None, "founded": founded,
                           "dissolved": o.dissolved, "synthetic": True})
            body_orgs.append([o])
    for n, members in enumerate(groups, start=1):
        place = places[members[0].group_id]
        basis = "area" if rng.random() < 0.4 else "industry"
        bodies.append({"region_id": place.id, "name": f"{place.name}社会组织第{n}联合党支部", "kind": "joint", "basis": basis,
                       "party_members": max(3, sum(o.party for o in members)), "secretary_name": fake.name(),
                       "founded": min(o.cover_from for o in members), "synthetic": True})
        body_orgs.append(members)
    body_ids = ctx.write(PartyOrganisation, bodies, return_ids=True).ids

    # instructors: one per organisation without a Party body, or covering the standalone branch's run-up
    instructors: list[dict] = []
    instructor_org: list[_Org] = []
    for o in orgs:
        if o.mode == "instructor" or (o.mode == "standalone" and o.standalone_from > o.cover_from):
            ended = o.standalone_from if o.mode == "standalone" else o.dissolved
            instructors.append({"region_id": o.region_id, "name": fake.name(), "phone": fake.phone(), "dispatching_unit": _host_unit(o.unit),
                                "post": rng.choice(INSTRUCTOR_POSTS), "appointed": o.cover_from, "ended": ended, "synthetic": True})
            instructor_org.append(o)
    instructor_ids = ctx.write(PartyInstructor, instructors, return_ids=True).ids

    coverage = []
    for o, iid, ins in zip(instructor_org, instructor_ids, instructors):
        coverage.append({"region_id": o.region_id, "association_id": o.id, "mode": "instructor", "instructor_id": iid,
                         "start_date": ins["appointed"], "end_date": ins["ended"], "synthetic": True})
    for b, bid, members in zip(bodies, body_ids, body_orgs):
        for o in members:
            start = max(b["founded"], o.cover_from) if b["kind"] == "joint" else b["founded"]
            coverage.append({"region_id": o.region_id, "association_id": o.id, "mode": b["kind"], "party_org_id": bid,
                             "start_date": start, "end_date": o.dissolved, "synthetic": True})
    ctx.write(PartyCoverage, coverage)
    ctx.progress(PLUGIN, "覆盖方式", len(coverage), len(coverage))

    # yearly 民主评议 of the same roster in every branch, and mobile members with their reports
    evaluations, mobile, reports, rosters = [], [], [], {}
    seq = 0
    for b, bid, served in zip(bodies, body_ids, body_orgs):
        if b["kind"] == "attached":
            continue
        roster = rosters[bid] = _unique_names(fake, b["party_members"])
        for y in ctx.years:
            end = dt.date(y, 12, 31)
            if b["founded"] > end or (b.get("dissolved") and b["dissolved"] <= end) or y >= today.year:
                continue
            for name, (grade, score) in zip(roster, _grades(rng, len(roster))):
                evaluations.append({"region_id": b["region_id"], "party_org_id": bid, "year": y, "member_name": name, "grade": grade,
                                    "peer_score": score, "evaluated_on": dt.date(y, 12, rng.randint(10, 31)), "synthetic": True})
        home = served[0]
        if b["founded"] > today - dt.timedelta(days=90):
            continue
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            seq += 1
            out = fake.date_in(max(b["founded"], dt.date(first, 1, 1)), today - dt.timedelta(days=30))
            m, r = _mobile_history(rng, fake, region_id=home.region_id, association_id=home.id, party_org_id=bid, out_date=out,
                                   months_away=rng.randint(3, 30), today=today, seq=seq, gap=rng.random() < 0.1, stop=rng.random() < 0.1)
            mobile.append(m)
            reports.append((home.region_id, r))
    ctx.write(PartyEvaluation, evaluations)
    mobile_ids = ctx.write(PartyMobileMember, mobile, return_ids=True).ids
    ctx.write(PartyMobileReport, [row for mid, (region_id, dates) in zip(mobile_ids, reports) for row in _report_rows(rng, mid, region_id, dates)])
    ctx.progress(PLUGIN, "民主评议与流动党员", len(evaluations) + len(mobile), len(evaluations) + len(mobile))

    # 三必谈 talks: every branch, every year of its life (drawn last, so the rows above do not change)
    talks = []
    for b, bid in zip(bodies, body_ids):
        if bid not in rosters:
            continue
        for y in ctx.years:
            start = max(b["founded"], dt.date(y, 1, 1))
            end = min(dt.date(y, 12, 31), today, (b.get("dissolved") or dt.date.max) - dt.timedelta(days=1))
            talks += _talk_rows(rng, region_id=b["region_id"], body_id=bid, held_by=b["secretary_name"], roster=rosters[bid],
                                start=start, end=end, most=5)
    ctx.write(PartyTalk, talks)
    ctx.progress(PLUGIN, "三必谈", len(talks), len(talks))
