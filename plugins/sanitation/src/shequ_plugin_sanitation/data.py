"""Demo and synthetic data for the sanitation association.

Seed facts (DOMAIN.md part 1, 新尚村社区): every household's bin is placed centrally, and the
sanitation association's truck collects once a day. Rows that stand for those facts are written
with ``synthetic=False``: the association, one bin per household (placement 集中摆放), and one
collection run for every day of 2010. Their details are invented: the bins are grey 其他垃圾 bins
(no sorting in 2010) issued on 2008-12-01, the truck is called 环卫协会清运车, and the amounts
are about 1.4 kg per household per day. The daily runs of 2009 and early 2011 extend the
practice beyond the seed's year and are synthetic.

Other villages, and the whole synthetic county, are synthetic: a collection schedule per village
(daily, every other day or three days a week), a few missed days, bins handed out in rounds, and
from some year on sorted collection (厨余 and 其他 on separate trips, 可回收物 weekly, 有害垃圾
monthly). The generator builds plain dicts and writes a township at a time.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from shequ_sdk import Association, Household

from .models import BinIssue, CollectionRun

SEED_VILLAGE = "新尚村社区"
SEED_FOUNDED = dt.date(2008, 11, 15)
SEED_BINS_ISSUED = dt.date(2008, 12, 1)
SEED_YEAR = 2010
SEED_VEHICLE = "环卫协会清运车"

# rural source sorting spread after the 2017–2019 national push (GB/T 19095-2019)
SORTING_FROM_YEAR = 2017
SCHEDULES = (("daily", 0.75), ("alternate", 0.15), ("mwf", 0.10))


def populate(ctx) -> None:
    villages = ctx.villages
    if not villages:
        return
    first = dt.date(ctx.years[0], 1, 1)
    seed = None
    if ctx.mode == "demo":
        seed = ctx.region(SEED_VILLAGE)
    households = _households_by_village(ctx)
    founded = {}
    for v in villages:
        if seed is not None and v.id == seed.id:
            founded[v.id] = SEED_FOUNDED
        elif ctx.rng.random() < (0.15 if ctx.mode == "synthetic" else 0.12):
            # service began during the years covered
            founded[v.id] = ctx.fake.date_in(first, min(ctx.today, first + dt.timedelta(days=365 * len(ctx.years) - 60)))
        else:
            founded[v.id] = ctx.fake.date_in(first - dt.timedelta(days=365 * 6), first - dt.timedelta(days=30))
    ctx.write(Association, [{
        "region_id": v.id, "type_key": "sanitation", "name": f"{v.name}环卫协会", "founded": founded[v.id],
        "leader_name": ctx.fake.name(), "leader_phone": ctx.fake.phone(), "synthetic": seed is None or v.id != seed.id,
    } for v in villages])

    days = _days(min(first, *founded.values()), ctx.today)
    by_township: dict[int, list] = {}
    for v in villages:
        by_township.setdefault(v.township_id, []).append(v)
    done = 0
    for vs in by_township.values():
        bins, runs = [], []
        for v in vs:
            if seed is not None and v.id == seed.id:
                _seed_village(ctx, v, households[v.id], days, bins, runs)
            else:
                _village(ctx, v, households[v.id], founded[v.id], first, days, bins, runs)
        ctx.write(BinIssue, bins)
        ctx.write(CollectionRun, runs)
        done += len(vs)
        ctx.progress("sanitation", "清运记录 collection runs", done, len(villages))


def _households_by_village(ctx) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {v.id: [] for v in ctx.villages}
    for region_id, household_id in ctx.session.execute(select(Household.region_id, Household.id).order_by(Household.id)):
        if region_id in out:
            out[region_id].append(household_id)
    return out


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    n = (end - start).days + 1
    return [start + dt.timedelta(days=i) for i in range(n)]


def _seed_village(ctx, v, household_ids, days, bins, runs) -> None:
    rng = ctx.rng
    bins += [{"region_id": v.id, "household_id": h, "category": "other", "colour": "grey", "count": 1, "issued": SEED_BINS_ISSUED,
              "placement": "central", "synthetic": False} for h in household_ids]
    n = len(household_ids)
    for d in days:
        if d < dt.date(ctx.years[0], 1, 1):
            continue
        runs.append({"region_id": v.id, "run_date": d, "vehicle": SEED_VEHICLE, "trip": 1, "households_served": n,
                     "amount_kg": int(n * 1.4 * (0.85 + 0.3 * rng.random())), "sorted": False, "waste_category": "mixed",
                     "synthetic": d.year != SEED_YEAR})


def _village(ctx, v, household_ids, founded, first, days, bins, runs) -> None:
    """Bins and runs of one village from the day its association began (or ``first``)."""
    rng, fake = ctx.rng, ctx.fake
    start = max(founded, first)
    today = ctx.today
    n = len(household_ids)
    # bins: a first round soon after the association starts, then yearly rounds for the rest
    covered_on: dict[int, dt.date] = {}
    order = list(household_ids)
    rng.shuffle(order)
    round_day = min(today, founded + dt.timedelta(days=rng.randint(10, 90)))
    share = rng.uniform(0.5, 0.9)
    remaining = order
    placement = "central" if rng.random() < 0.3 else "doorstep"
    while remaining and round_day <= today:
        k = max(1, int(len(remaining) * share))
        for h in remaining[:k]:
            covered_on[h] = round_day
        remaining = remaining[k:]
        round_day = dt.date(round_day.year + 1, rng.randint(1, 12), rng.randint(1, 28))
        share = rng.uniform(0.2, 0.6)
    sorting_from = None
    earliest = max(first.year, SORTING_FROM_YEAR, today.year - 4)
    if earliest <= today.year and rng.random() < 0.4:
        sorting_from = max(start, dt.date(rng.randint(earliest, today.year), rng.randint(1, 12), 1))
        if sorting_from > today:
            sorting_from = None
    for h, issued in covered_on.items():
        bins.append({"region_id": v.id, "household_id": h, "category": "other", "colour": "grey", "count": 1, "issued": issued,
                     "placement": placement, "synthetic": True})
        if rng.random() < 0.03:
            # a broken bin, withdrawn and replaced the same day
            broken = fake.date_in(issued, today)
            if broken > issued:
                bins[-1]["withdrawn"] = broken
                bins.append({"region_id": v.id, "household_id": h, "category": "other", "colour": "grey", "count": 1,
                             "issued": broken, "placement": placement, "synthetic": True})
        if sorting_from is not None:
            bins.append({"region_id": v.id, "household_id": h, "category": "kitchen", "colour": "green", "count": 1,
                         "issued": max(sorting_from, issued), "placement": placement, "synthetic": True})
    # households served on a day: those holding a bin by then
    served_by_day = sorted(covered_on.values())
    # schedule
    x, schedule = rng.random(), "daily"
    for name, p in SCHEDULES:
        if x < p:
            schedule = name
            break
        x -= p
    miss = rng.uniform(0.005, 0.04)
    kg = rng.uniform(1.1, 2.4)
    vehicle = f"清运车{rng.randint(1, 3)}"
    phase = rng.randint(0, 1)
    last_run = None
    served, si = 0, 0
    rand = rng.random
    for i, d in enumerate(days):
        if d < start:
            continue
        while si < len(served_by_day) and served_by_day[si] <= d:
            si += 1
        served = si
        if schedule == "alternate" and i % 2 != phase:
            continue
        if schedule == "mwf" and d.weekday() not in (0, 2, 4):
            continue
        if rand() < miss or served == 0:
            continue
        gap = (d - last_run).days if last_run else 1
        last_run = d
        total = served * kg * min(gap, 4) * (0.85 + 0.3 * rand())
        if sorting_from is None or d < sorting_from:
            runs.append({"region_id": v.id, "run_date": d, "vehicle": vehicle, "trip": 1, "households_served": served,
                         "amount_kg": int(total), "sorted": False, "waste_category": "mixed", "synthetic": True})
            continue
        # sorted waste goes on separate trips, never mixed
        runs.append({"region_id": v.id, "run_date": d, "vehicle": vehicle, "trip": 1, "households_served": served,
                     "amount_kg": int(total * 0.55), "sorted": True, "waste_category": "kitchen", "synthetic": True})
        runs.append({"region_id": v.id, "run_date": d, "vehicle": vehicle, "trip": 2, "households_served": served,
                     "amount_kg": int(total * 0.35), "sorted": True, "waste_category": "other", "synthetic": True})
        if d.weekday() == 5:
            runs.append({"region_id": v.id, "run_date": d, "vehicle": vehicle, "trip": 3, "households_served": served,
                         "amount_kg": int(served * kg * 0.6), "sorted": True, "waste_category": "recyclable", "synthetic": True})
        if d.day == 1:
            runs.append({"region_id": v.id, "run_date": d, "vehicle": vehicle, "trip": 4, "households_served": served,
                         "amount_kg": max(1, int(served * 0.02)), "sorted": True, "waste_category": "hazardous", "synthetic": True})
