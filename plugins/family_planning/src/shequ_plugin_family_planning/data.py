"""Demo and synthetic data: one 计划生育协会 per village or community, its special-family
register, contact log and services.

The seed articles give no family planning figures, so every record here is synthetic; only
新尚村社区's association itself is a seed fact (it is one of the six associations named in
article 4) and is written with ``synthetic=False``. Everything is drawn from ``ctx.rng`` and
built as plain dicts written in a few large batches.

The demo logs the weekly phone calls too. A synthetic county leaves them out: they would be
~50 rows per family-year (≈250,000 for the default county), far beyond the generator's time
budget, so ``family_planning.contacts_on_schedule_rate`` is meaningful on demo and real data only.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from shequ_sdk import Association, AssociationMember, Household

from .models import FamilyContact, FamilyService, SpecialFamily

TYPE_KEY = "family_planning"
NAME_ZH = "计划生育协会"
# places whose association is named in the seed articles (DOMAIN.md part 1)
SEED_ASSOCIATION_PLACES = {"新尚村社区"}

SERVICE_MIX = (
    # (type, weight, attendees range, title)
    ("eugenics", 16, (15, 60), "孕前优生健康检查宣传"),
    ("youth_health", 12, (20, 80), "青春健康知识讲座"),
    ("infant_care", 12, (10, 40), "婴幼儿科学养育指导"),
    ("reproductive_health", 14, (15, 60), "生殖健康咨询义诊"),
    ("accident_insurance", 8, (20, 120), "计生家庭意外伤害保险宣传"),
    ("newlywed_class", 6, (6, 30), "新婚夫妇课堂"),
    ("parent_class", 8, (15, 50), "家长课堂"),
    ("parent_child", 6, (10, 40), "亲子活动"),
    ("special_family_support", 10, (4, 20), "特殊家庭亲情牵手活动"),
    ("other", 4, (10, 50), "会员之家活动"),
)
NOTES = (
    "身体状况良好，情绪稳定", "了解生活情况，无特殊困难", "反映看病不便，已协调就医绿色通道", "送去米、油等慰问品",
    "陪同到卫生院体检", "心理疏导，情绪有所好转", "宣传特别扶助政策", "帮助办理住院护理保险补贴",
)


def populate(ctx) -> None:
    villages = ctx.villages
    if not villages:
        return
    years = tuple(ctx.years)
    assoc_ids = _associations(ctx, villages, years)
    _members(ctx, villages, assoc_ids, years)
    heads = _candidate_heads(ctx, villages)
    families, plans = _families(ctx, villages, heads, years)
    ctx.progress(TYPE_KEY, "特殊家庭", 0, len(families))
    family_ids = ctx.write(SpecialFamily, families, return_ids=True).ids if families else []
    contacts = []
    weekly_calls = ctx.mode == "demo"
    for fid, family, plan in zip(family_ids, families, plans):
        contacts += _contacts(ctx, fid, family, plan, years, weekly_calls)
    ctx.progress(TYPE_KEY, "联系记录", 0, len(contacts))
    for i in range(0, len(contacts), 50000):
        ctx.write(FamilyContact, contacts[i : i + 50000])
        ctx.progress(TYPE_KEY, "联系记录", min(i + 50000, len(contacts)), len(contacts))
    ctx.write(FamilyService, _services(ctx, villages, years))
    ctx.progress(TYPE_KEY, "完成", 1, 1)


def _associations(ctx, villages, years) -> dict[int, int]:
    rows = []
    for v in villages:
        seed = ctx.is_seed(v) and v.name in SEED_ASSOCIATION_PLACES
        row = {"region_id": v.id, "type_key": TYPE_KEY, "name": f"{v.name}{NAME_ZH}", "synthetic": not seed}
        if not seed:  # a seed association carries only what the article says
            row["founded"] = ctx.fake.date_in(date(1992, 1, 1), date(years[0] - 1, 12, 31))
            row["leader_name"] = ctx.fake.name()
        rows.append(row)
    ids = ctx.write(Association, rows, return_ids=True).ids
    return {v.id: i for v, i in zip(villages, ids)}


def _members(ctx, villages, assoc_ids, years) -> None:
    roles = ("chair", "vice_chair", "secretary")
    rows = []
    for v in villages:
        names: set[str] = set()
        for n in range(ctx.rng.randint(6, 11)):
            name = ctx.fake.name()
            while name in names:
                name = ctx.fake.name()
            names.add(name)
            rows.append({"region_id": v.id, "association_id": assoc_ids[v.id], "name": name,
                         "role": roles[n] if n < len(roles) else "member",
                         "joined": ctx.fake.date_in(date(years[0] - 8, 1, 1), date(years[0] - 1, 12, 31)),
                         "is_party_member": ctx.rng.random() < (0.7 if n < len(roles) else 0.25), "synthetic": True})
    ctx.write(AssociationMember, rows)


def _candidate_heads(ctx, villages) -> dict[int, list[tuple]]:
    """Households per village whose head is old enough to be the parent of an only child born
    under the one-child policy (born 1935–1972), in id order; one query for all villages."""
    H = Household
    ids = [v.id for v in villages]
    out: dict[int, list[tuple]] = {i: [] for i in ids}
    stmt = select(H.id, H.region_id, H.head_name, H.head_id_number, H.phone).where(H.region_id.in_(ids)).order_by(H.id)
    for hid, rid, name, idno, phone in ctx.session.execute(stmt):
        if idno and "1935" <= idno[6:10] <= "1972":
            out[rid].append((hid, name, idno, phone))
    return out


def _cadres(ctx, n):
    return [(ctx.fake.name(), ctx.fake.phone()) for _ in range(n)]


def _families(ctx, villages, heads, years):
    rng, fake = ctx.rng, ctx.fake
    first, today = years[0], ctx.today
    township_pool: dict[int, list] = {}
    families, plans = [], []
    for v in villages:
        township = township_pool.setdefault(v.township_id, _cadres(ctx, rng.randint(2, 3)))
        village_cadres = _cadres(ctx, rng.randint(1, 2))
        pool = list(heads[v.id])
        rng.shuffle(pool)
        if ctx.mode == "demo":
            starting = rng.randint(1, 4)
        else:
            starting = rng.choices((0, 1, 2, 3), weights=(30, 35, 25, 10))[0]
        dates = [fake.date_in(date(first - 8, 1, 1), date(first - 1, 12, 31)) for _ in range(starting)]
        for y in years:  # families that join the register during the years covered
            if rng.random() < 0.06:
                dates.append(fake.date_in(date(y, 1, 1), min(date(y, 12, 31), today)))
        for registered in sorted(dates):
            if not pool:
                break
            hid, head_name, head_id, phone = pool.pop()
            t_name, t_phone = rng.choice(township)
            v_name, v_phone = rng.choice(village_cadres)
            if v_name == t_name:
                v_name = v_name + "华"
            died = rng.random() < 0.6
            left_on = reason = None
            for y in range(max(registered.year, first), years[-1] + 1):
                if rng.random() < 0.015:
                    d = fake.date_in(max(date(y, 1, 1), registered), min(date(y, 12, 31), today))
                    left_on, reason = d, rng.choice(("deceased", "deceased", "moved"))
                    break
            signed_on = None
            if rng.random() < 0.85:
                signed_on = max(registered, fake.date_in(date(2010, 3, 1), date(2018, 6, 30)))
                if signed_on > today or (left_on and signed_on > left_on):
                    signed_on = None
            age = today.year - int(head_id[6:10])
            families.append({
                "region_id": v.id, "household_id": hid, "family_type": "child_died" if died else "child_disabled",
                "disability_grade": None if died else rng.choices((1, 2, 3, 4), weights=(20, 30, 35, 15))[0],
                "head_name": head_name, "head_id_number": head_id, "head_phone": phone,
                "registered_on": registered, "left_on": left_on, "leave_reason": reason,
                "township_contact_name": t_name, "township_contact_phone": t_phone,
                "village_contact_name": v_name, "village_contact_phone": v_phone,
                "assistance_status": "receiving" if age >= 49 else rng.choice(("not_yet", "not_yet", "applied")),
                "family_doctor_signed": signed_on is not None, "family_doctor_signed_on": signed_on,
                "green_channel": rng.random() < 0.6, "insured": rng.random() < 0.7, "synthetic": True,
            })
            # how diligent the two contacts are: the share of scheduled contacts that happen
            plans.append(rng.uniform(0.88, 1.0))
    return families, plans


def _contacts(ctx, fid: int, family: dict, diligence: float, years, weekly_calls: bool) -> list[dict]:
    """A family's log: quarterly home visits, festival visits, a meeting in months without
    another face-to-face contact and (``weekly_calls``) a phone call in weeks without another
    contact; each scheduled contact happens with probability ``diligence``."""
    rng = ctx.rng
    start = max(family["registered_on"], date(years[0], 1, 1))
    end = min(family["left_on"] or ctx.today, ctx.today, date(years[-1], 12, 31))
    if end < start:
        return []
    region, v_name, t_name = family["region_id"], family["village_contact_name"], family["township_contact_name"]
    by_date: dict[date, dict] = {}

    def add(d, kind, role, name, **extra):
        if start <= d <= end and d not in by_date:
            by_date[d] = {"region_id": region, "family_id": fid, "contact_date": d, "kind": kind, "contact_by_role": role,
                          "contact_by_name": name, "notes": rng.choice(NOTES), "synthetic": True, **extra}

    for y in range(start.year, end.year + 1):
        for quarter in range(4):
            month = 3 * quarter + rng.randint(1, 3)
            if rng.random() < diligence:
                add(date(y, month, rng.randint(1, 28)), "home_visit", rng.choice(("township", "village")), rng.choice((t_name, v_name)))
        if rng.random() < 0.9:
            add(date(y, 1, 20) + timedelta(days=rng.randint(0, 20)), "festival", "township", t_name)
        if rng.random() < 0.9:
            add(date(y, 9, 8) + timedelta(days=rng.randint(0, 20)), "festival", "association", None)
        met = {d.month for d in by_date if d.year == y}
        for month in range(1, 13):
            if month in met:
                continue
            if rng.random() < diligence:
                add(date(y, month, rng.randint(1, 28)), "meeting", "village", v_name)
        if rng.random() < 0.03:
            d = date(y, rng.randint(1, 12), rng.randint(1, 28))
            if d not in by_date:
                add(d, "meeting", "village", v_name, event=rng.choice(("serious_illness", "accident", "disaster")),
                    reported_on=min(d + timedelta(days=rng.randint(0, 1)), ctx.today))
    if family["leave_reason"] == "deceased":
        d = family["left_on"]
        by_date.pop(d, None)
        add(d, "home_visit", "village", v_name, event="death", reported_on=d)
    # weekly phone calls fill the weeks without a contact in person
    monday = start - timedelta(days=start.weekday())
    while weekly_calls and monday <= end:
        week = [monday + timedelta(days=i) for i in range(7)]
        open_days = [d for d in week if start <= d <= end]
        if open_days and not any(d in by_date for d in week) and rng.random() < 0.995:
            add(rng.choice(open_days), "phone", "village", v_name)
        monday += timedelta(days=7)
    return [by_date[d] for d in sorted(by_date)]


def _services(ctx, villages, years) -> list[dict]:
    rng, fake = ctx.rng, ctx.fake
    kinds = [k for k, *_ in SERVICE_MIX]
    weights = [w for _, w, *_ in SERVICE_MIX]
    info = {k: (span, title) for k, _, span, title in SERVICE_MIX}
    rows = []
    for v in villages:
        seen = set()
        places = (f"{v.name}会员之家", f"{v.name}卫生室", f"{v.name}村部")
        for y in years:
            if date(y, 1, 1) > ctx.today:
                break
            for _ in range(rng.randint(3, 8)):
                kind = rng.choices(kinds, weights=weights)[0]
                d = fake.date_in(date(y, 1, 1), min(date(y, 12, 31), ctx.today))
                if (d, kind) in seen:
                    continue
                seen.add((d, kind))
                (lo, hi), title = info[kind]
                rows.append({"region_id": v.id, "service_date": d, "service_type": kind, "title": title,
                             "attendees": rng.randint(lo, hi), "place": rng.choice(places), "synthetic": True})
    return rows
