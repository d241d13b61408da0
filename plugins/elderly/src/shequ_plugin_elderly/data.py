"""Demo and synthetic data for the elderly association.

Seed facts (DOMAIN.md part 1, 新尚村社区): the elderly association raised 248,000 yuan (24.8万)
and built a 五保之家; all 10 five-guarantee elderly households live in it. Rows that stand for
those facts are written with ``synthetic=False``: the association, the home, the fund receipt and
the ten residents' stays in the home. Their details are invented and documented here:

- the seed names one fundraiser (the association), so the money is one receipt of source
  协会募捐 for exactly 24,800,000 fen, dated 2010-03-20, before the home opened on 2010-06-18;
- the home has 12 beds (the seed gives no capacity), so occupancy at the end of 2010 is 10/12;
- the residents' names, ID numbers and care levels are made up; before the home opened they
  were supported at home (分散供养) — that history is invented and marked synthetic.

Everything else (other villages, township 敬老院, members, activities) is synthetic.
"""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import func, select

from shequ_sdk import Association, AssociationMember, Household, Region

from .models import ElderlyActivity, FiveGuaranteeHome, HomeFund, SupportedResident
from .rules import peak

SEED_VILLAGE = "新尚村社区"
SEED_FUNDS_FEN = 24_800_000
SEED_RESIDENTS = 10
SEED_CAPACITY = 12
SEED_FOUNDED = dt.date(2006, 10, 30)
SEED_FUND_DAY = dt.date(2010, 3, 20)
SEED_BUILT = dt.date(2010, 6, 18)

ACTIVITY_TITLES = {
    "recreation": ("门球比赛", "老年腰鼓队排练", "棋牌联谊", "广场舞展演"),
    "visit": ("走访慰问五保老人", "看望高龄老人", "入户探访空巢老人"),
    "health": ("健康知识讲座", "义诊量血压", "防诈骗讲座"),
    "festival": ("重阳节敬老活动", "春节团拜", "中秋茶话会"),
    "volunteer": ("清扫村道", "协助调解邻里纠纷", "关心下一代报告会"),
    "study": ("政策宣讲", "老年学校上课"),
}


def populate(ctx) -> None:
    if ctx.mode == "demo":
        _demo(ctx)
    else:
        _synthetic(ctx)


# -- shared helpers -------------------------------------------------------------------------

def _county_codes(ctx) -> dict[int, str]:
    return {c.id: (c.code or "430921")[:6] for c in ctx.regions("county")}


def _person(ctx, region6: str, on: dt.date, category: str) -> dict:
    """Name and a valid ID number of someone of the right age for ``category`` on ``on``."""
    rng = ctx.rng
    # born a year earlier than ``age`` says, so the age on ``on`` is ``age`` or ``age + 1``
    age = {"elderly": lambda: rng.randint(62, 92), "disabled": lambda: rng.randint(25, 58), "minor": lambda: rng.randint(3, 14)}[category]()
    born = dt.date(on.year - age - 1, rng.randint(1, 12), rng.randint(1, 28))
    return {"name": ctx.fake.name(), "id_number": ctx.fake.id_number(region6, born)}


def _category(rng) -> str:
    x = rng.random()
    return "elderly" if x < 0.86 else ("disabled" if x < 0.97 else "minor")


def _care(rng, concentrated: bool) -> str:
    x = rng.random()
    if concentrated:
        return "self_care" if x < 0.5 else ("partial" if x < 0.85 else "full")
    return "self_care" if x < 0.72 else ("partial" if x < 0.95 else "full")


def _associations(ctx, villages, founded_for, synthetic_for) -> dict[int, int]:
    fake = ctx.fake
    rows = [{"region_id": v.id, "type_key": "elderly", "name": f"{v.name}老龄人协会", "founded": founded_for(v),
             "leader_name": fake.name(), "leader_phone": fake.phone(), "synthetic": synthetic_for(v)} for v in villages]
    ids = ctx.write(Association, rows, return_ids=True).ids
    members = []
    for row, aid in zip(rows, ids):
        founded = row["founded"]
        roles = [("chair", row["leader_name"]), ("vice_chair", fake.name()), ("secretary", fake.name())]
        roles += [("member", fake.name()) for _ in range(ctx.rng.randint(8, 30))]
        seen = set()
        for role, name in roles:
            if name in seen:
                continue
            seen.add(name)
            joined = founded if role != "member" else fake.date_in(founded, ctx.today)
            members.append({"region_id": row["region_id"], "association_id": aid, "name": name, "role": role, "joined": joined,
                            "is_party_member": ctx.rng.random() < 0.3, "synthetic": True})
    ctx.write(AssociationMember, members)
    return {row["region_id"]: aid for row, aid in zip(rows, ids)}


def _funds(ctx, home_id: int, region_id: int, built: dt.date, total_yuan: int, sources: list[str]) -> list[dict]:
    """Receipts for a home over the 18 months before it opened, adding up to ``total_yuan``."""
    rng = ctx.rng
    weights = [rng.uniform(0.5, 3.0) for _ in sources]
    amounts = [int(total_yuan * w / sum(weights)) * 100 for w in weights]
    amounts[0] += total_yuan * 100 - sum(amounts)
    rows = []
    for source, fen in zip(sources, amounts):
        donor = {"donation": f"{ctx.fake.name()}等", "government": "县民政局", "collective": "村集体经济组织"}.get(source)
        rows.append({"region_id": region_id, "home_id": home_id, "received": built - dt.timedelta(days=rng.randint(20, 540)),
                     "source": source, "amount_fen": fen, "donor": donor, "synthetic": True})
    return rows


def _activities(ctx, villages, assoc_of, first: dt.date, per_year: tuple[int, int]) -> None:
    rng, rows = ctx.rng, []
    kinds = list(ACTIVITY_TITLES)
    for v in villages:
        for year in range(first.year, ctx.today.year + 1):
            start, end = max(first, dt.date(year, 1, 1)), min(ctx.today, dt.date(year, 12, 31))
            if start > end:
                continue
            seen = set()
            for _ in range(rng.randint(*per_year)):
                kind = rng.choice(kinds)
                day = ctx.fake.date_in(start, end)
                title = rng.choice(ACTIVITY_TITLES[kind])
                if (day, title) in seen:
                    continue
                seen.add((day, title))
                rows.append({"region_id": v.id, "held_on": day, "kind": kind, "title": title,
                             "participants": rng.randint(8, 120), "association_id": assoc_of[v.id], "synthetic": True})
    ctx.write(ElderlyActivity, rows)


class _Home:
    """A home being filled during generation: who lives there, and when they leave."""

    def __init__(self, home_id: int, capacity: int, built: dt.date):
        self.id, self.capacity, self.built = home_id, capacity, built
        self.stays: list[tuple[dt.date, dt.date | None]] = []

    def has_bed(self, day: dt.date, until: dt.date | None) -> bool:
        return day >= self.built and peak([*self.stays, (day, until)], day, until) <= self.capacity


def _people(ctx, village, region6: str, n_before: int, per_year: float, first: dt.date, homes: list[_Home], death_rate: float) -> list[dict]:
    """Five-guarantee people of one village: some already in care at ``first``, new ones each year.

    Each person goes to the first home in ``homes`` with a free bed for their whole stay
    (the village's own home, then the township's), otherwise is supported at home.
    """
    rng, rows = ctx.rng, []
    arrivals = [ctx.fake.date_in(first - dt.timedelta(days=3650), first - dt.timedelta(days=1)) for _ in range(n_before)]
    for year in range(first.year, ctx.today.year + 1):
        for _ in range(_poisson(rng, per_year)):
            day = ctx.fake.date_in(dt.date(year, 1, 1), dt.date(year, 12, 31))
            if day <= ctx.today:
                arrivals.append(day)
    for admitted in sorted(arrivals):
        category = _category(rng)
        # yearly hazard of leaving care (death or no longer eligible)
        discharged, reason, day = None, None, admitted
        while True:
            day = day + dt.timedelta(days=rng.randint(300, 430))
            if day > ctx.today:
                break
            if rng.random() < death_rate:
                discharged, reason = day, ("died" if category != "minor" or rng.random() < 0.1 else "ineligible")
                break
        wants_home = rng.random() < (0.55 if category == "elderly" else 0.35)
        home = next((h for h in homes if wants_home and h.has_bed(admitted, discharged)), None)
        if home is not None:
            home.stays.append((admitted, discharged))
        person = _person(ctx, region6, admitted, category)
        rows.append({"region_id": village.id, **person, "category": category,
                     "support_form": "concentrated" if home else "dispersed", "care_level": _care(rng, home is not None),
                     "home_id": home.id if home else None, "admitted": admitted, "discharged": discharged,
                     "discharge_reason": reason, "certificate_no": f"{region6}-{admitted.year}-{len(rows) + 1:04d}",
                     "synthetic": True})
    return rows


def _poisson(rng, lam: float) -> int:
    # Knuth's method; lam is small here
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


# -- demo ---------------------------------------------------------------------------------------

def _demo(ctx) -> None:
    rng, fake = ctx.rng, ctx.fake
    villages = ctx.villages
    codes = _county_codes(ctx)
    seed = ctx.region(SEED_VILLAGE)
    assoc_of = _associations(
        ctx, villages,
        founded_for=lambda v: SEED_FOUNDED if v.id == seed.id else fake.date_in(dt.date(2002, 1, 1), dt.date(2008, 12, 31)),
        synthetic_for=lambda v: v.id != seed.id,
    )

    # the seed home and its money
    home_id = ctx.write(FiveGuaranteeHome, [{
        "region_id": seed.id, "name": "新尚村社区五保之家", "kind": "wubao_home", "built": SEED_BUILT,
        "capacity": SEED_CAPACITY, "association_id": assoc_of[seed.id], "synthetic": False,
    }], return_ids=True).ids[0]
    ctx.write(HomeFund, [{
        "region_id": seed.id, "home_id": home_id, "received": SEED_FUND_DAY, "source": "association", "amount_fen": SEED_FUNDS_FEN,
        "donor": "新尚村社区老龄人协会", "note": "老龄人协会筹资建设五保之家", "synthetic": False,
    }])
    # the ten households: supported at home until the home opened, then living in it
    region6 = codes[seed.county_id]
    residents = []
    care = ["self_care"] * 6 + ["partial"] * 3 + ["full"]
    for i in range(SEED_RESIDENTS):
        before = fake.date_in(dt.date(2001, 1, 1), dt.date(2008, 12, 31))
        person = _person(ctx, region6, before, "elderly")
        moved_in = SEED_BUILT + dt.timedelta(days=10 + i)
        cert = f"{region6}-{before.year}-{i + 1:04d}"
        residents.append({"region_id": seed.id, **person, "category": "elderly", "support_form": "dispersed", "care_level": "self_care",
                          "admitted": before, "discharged": moved_in, "discharge_reason": "changed_form", "certificate_no": cert,
                          "synthetic": True})
        residents.append({"region_id": seed.id, **person, "category": "elderly", "support_form": "concentrated", "care_level": care[i],
                          "home_id": home_id, "admitted": moved_in, "certificate_no": cert, "synthetic": False})
    ctx.write(SupportedResident, residents)

    # other villages: a 敬老院 in each township, a 五保之家 in some villages
    others = [v for v in villages if v.id != seed.id]
    by_township: dict[int, list] = {}
    for v in others:
        by_township.setdefault(v.township_id, []).append(v)
    first = dt.date(ctx.years[0], 1, 1)
    residents = []
    for township_id, vs in by_township.items():
        township = ctx.session.get(Region, township_id)
        t_home = _new_home(ctx, township.id, f"{township.name}敬老院", "nursing_home", rng.randint(30, 50),
                           fake.date_in(dt.date(1995, 1, 1), dt.date(2004, 12, 31)), None,
                           ["government", "donation", "collective"], rng.randint(600_000, 1_200_000))
        village_homes = {}
        for v in vs:
            if v.synthetic and rng.random() < 0.3:
                built = fake.date_in(dt.date(2006, 1, 1), dt.date(2010, 6, 30))
                village_homes[v.id] = _new_home(ctx, v.id, f"{v.name}五保之家", "wubao_home", rng.randint(8, 16), built, assoc_of[v.id],
                                                ["association", "collective", "government", "donation"], rng.randint(150_000, 320_000))
        for v in vs:
            homes = [h for h in (village_homes.get(v.id), t_home) if h is not None]
            residents += _people(ctx, v, codes[v.county_id], rng.randint(2, 6), rng.uniform(0.5, 1.5), first, homes, 0.09)
    ctx.write(SupportedResident, residents)
    _activities(ctx, villages, assoc_of, first, (5, 10))


def _new_home(ctx, region_id, name, kind, capacity, built, association_id, sources, total_yuan) -> _Home:
    home_id = ctx.write(FiveGuaranteeHome, [{"region_id": region_id, "name": name, "kind": kind, "built": built, "capacity": capacity,
                                             "association_id": association_id, "synthetic": True}], return_ids=True).ids[0]
    ctx.write(HomeFund, _funds(ctx, home_id, region_id, built, total_yuan, sources))
    return _Home(home_id, capacity, built)


# -- synthetic ---------------------------------------------------------------------------------

def _synthetic(ctx) -> None:
    rng, fake = ctx.rng, ctx.fake
    villages = ctx.villages
    codes = _county_codes(ctx)
    first = dt.date(ctx.years[0], 1, 1)
    latest = min(ctx.today, first + dt.timedelta(days=700))
    assoc_of = _associations(ctx, villages, founded_for=lambda v: fake.date_in(first - dt.timedelta(days=3650), latest),
                             synthetic_for=lambda v: True)
    ctx.progress("elderly", "协会 associations", 1, 4)
    township_names = {t.id: t.name for t in ctx.regions("township")}
    households = dict(ctx.session.execute(select(Household.region_id, func.count()).group_by(Household.region_id)).all())
    by_township: dict[int, list] = {}
    for v in villages:
        by_township.setdefault(v.township_id, []).append(v)
    homes, funds, plans = [], [], []
    for township_id, vs in by_township.items():
        built = fake.date_in(first - dt.timedelta(days=9000), first - dt.timedelta(days=400))
        homes.append({"region_id": township_id, "name": f"{township_names[township_id]}敬老院", "kind": "nursing_home", "built": built,
                      "capacity": rng.randint(30, 90), "synthetic": True})
        plans.append((township_id, None, ["government", "donation", "collective"], rng.randint(500_000, 1_500_000)))
        for v in vs:
            if rng.random() < 0.3:
                built = fake.date_in(first - dt.timedelta(days=1500), min(ctx.today, first + dt.timedelta(days=365 * len(ctx.years) - 200)))
                homes.append({"region_id": v.id, "name": f"{v.name}五保之家", "kind": "wubao_home", "built": built,
                              "capacity": rng.randint(8, 20), "association_id": assoc_of[v.id], "synthetic": True})
                plans.append((township_id, v.id, ["association", "collective", "government", "donation"], rng.randint(150_000, 400_000)))
    ids = ctx.write(FiveGuaranteeHome, homes, return_ids=True).ids
    township_home, village_home = {}, {}
    for row, home_id, (township_id, village_id, sources, total) in zip(homes, ids, plans):
        h = _Home(home_id, row["capacity"], row["built"])
        if village_id:
            village_home[village_id] = h
        else:
            township_home[township_id] = h
        funds += _funds(ctx, home_id, row["region_id"], row["built"], total, rng.sample(sources, rng.randint(1, len(sources))))
    ctx.write(HomeFund, funds)
    ctx.progress("elderly", "五保之家 homes", 2, 4)
    residents = []
    for v in villages:
        hh = households.get(v.id, 0)
        homes_for = [h for h in (village_home.get(v.id), township_home[v.township_id]) if h is not None]
        # about one five-guarantee person per 100 households in care at any time
        residents += _people(ctx, v, codes[v.county_id], max(1, round(hh / 100)), hh / 1000, first, homes_for, 0.1)
    ctx.write(SupportedResident, residents)
    ctx.progress("elderly", "供养对象 residents", 3, 4)
    _activities(ctx, villages, assoc_of, first, (4, 10))
    ctx.progress("elderly", "活动 activities", 4, 4)
