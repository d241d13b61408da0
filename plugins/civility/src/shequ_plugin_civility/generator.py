"""Demo and synthetic data for the civility plugin.

Demo: 南洲村's 2010 results are the seed facts — 120 ten-star households, 180 nine-star
households and 22 好媳妇 awards (``synthetic=False``). Its other 2010 ratings (fewer stars), its
2009 results and every other village's ratings and awards are plausible generated data.
茅草街镇 rates on the 魏岗镇 list, to show a township choosing its own stars; every other
township keeps the default 柳林乡 list.

Synthetic: about half the townships run the scheme, from the first year or a later one, and a
third of all townships rate on another ten-star variant than the default. Most villages of a
running township take part; each year a small share of their households put themselves forward
(农户自我认星报名) and are rated. Awards are rarer than in the demo's model villages. The
volume is kept to tens of thousands of rows so a 300-village, 10-year county stays fast.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from shequ_sdk import Household, config
from shequ_sdk.plugins import registry

from .models import PERSON_AWARDS, HouseholdAward, StarRating
from .stars import SCHEMES, format_stars, resolve

SEED_VILLAGE = "南洲村"
SEED_YEAR = 2010
SEED_TEN, SEED_NINE, SEED_GOOD_DIL = 120, 180, 22
DEMO_SCHEMES = {"茅草街镇": "weigang"}
REVOKE_REASONS = ("家庭成员违法受到处罚", "违规乱搭乱建，拒不整改", "参与赌博被查处", "拒不履行村规民约义务")
AWARDED_BY = {
    "good_daughter_in_law": (("村妇联", "village"), ("镇妇联", "township")),
    "good_mother_in_law": (("村妇联", "village"), ("镇妇联", "township")),
    "good_sister_in_law": (("村妇联", "village"),),
    "most_beautiful_family": (("镇妇联", "township"), ("县妇联", "county")),
    "five_good_family": (("村妇联", "village"), ("镇妇联", "township")),
    "civilised_family": (("村两委", "village"), ("镇文明委", "township")),
}
# awards per 100 households a year: (low, high)
AWARD_RATES = {
    "good_daughter_in_law": (0.5, 2.5), "good_mother_in_law": (0.3, 1.2), "good_sister_in_law": (0.0, 0.5),
    "most_beautiful_family": (0.1, 0.5), "five_good_family": (0.2, 0.8), "civilised_family": (0.2, 1.0),
}
SYNTHETIC_AWARD_SCALE = 0.2  # a plain county honours fewer families than the demo's model villages


def populate(ctx) -> None:
    if ctx.mode == "demo":
        for township, key in DEMO_SCHEMES.items():
            config.set_value(ctx.session, "civility.star_scheme", key, ctx.region(township))
        starts = {}
    else:
        starts = _township_campaigns(ctx)
    villages = ctx.villages
    lists = resolve(ctx.session, villages)
    households = _households(ctx)
    gen = _Generator(ctx)
    for n, v in enumerate(villages, 1):
        if ctx.mode == "demo":
            first = ctx.years[0]
        else:
            first = starts.get(v.township_id)
            first = first if first is not None and ctx.rng.random() < 0.85 else None
        gen.village(v, households.get(v.id, []), lists[v.id].stars, first)
        if len(gen.ratings) >= 50_000:
            gen.flush()
        ctx.progress("civility", "星级评定", n, len(villages))
    gen.flush()


def _township_campaigns(ctx) -> dict[int, int]:
    """The townships that run the scheme, from which year, and on which list: most keep the
    default list, some pick another ten-star variant."""
    ten_star = [k for k, s in SCHEMES.items() if len(s.stars) == 10 and k != "liulin"]
    starts = {}
    for township in ctx.regions("township"):
        roll = ctx.rng.random()
        if roll < 0.3:
            starts[township.id] = ctx.years[0]
        elif roll < 0.55:
            starts[township.id] = ctx.rng.choice(ctx.years)
        if ctx.rng.random() < 0.35:
            config.set_value(ctx.session, "civility.star_scheme", ctx.rng.choice(ten_star), township)
    return starts


def _households(ctx) -> dict[int, list[tuple[int, str]]]:
    out: dict[int, list[tuple[int, str]]] = {}
    q = select(Household.id, Household.region_id, Household.head_name).order_by(Household.id)
    for hid, rid, head in ctx.session.execute(q):
        out.setdefault(rid, []).append((hid, head))
    return out


def _tier(count: int, floors: list[tuple[int, str]]):
    for floor, tier in floors:
        if count >= floor:
            return tier
    return None


class _Generator:
    def __init__(self, ctx):
        self.ctx, self.rng, self.fake = ctx, ctx.rng, ctx.fake
        self.years = tuple(ctx.years)
        self.ratings: list[dict] = []
        self.awards: list[dict] = []
        # generated townships keep the default tier thresholds
        self.floors = sorted(((least, code) for code, least in registry().settings["civility.tiers"].default.items()), reverse=True)

    def flush(self) -> None:
        if self.ratings:
            self.ctx.write(StarRating, self.ratings)
        if self.awards:
            self.ctx.write(HouseholdAward, self.awards)
        self.ratings, self.awards = [], []

    def village(self, village, households: list[tuple[int, str]], stars: tuple[str, ...], first) -> None:
        """Ratings from year ``first`` on (``None``: the village never ran the scheme), and awards."""
        if not households:
            return
        rng = self.rng
        seed = self.ctx.mode == "demo" and village.name == SEED_VILLAGE and self.ctx.is_seed(village)
        # each year the households that put themselves forward (农户自我认星报名) are rated
        share = rng.uniform(0.55, 0.85) if self.ctx.mode == "demo" else rng.uniform(0.05, 0.12)
        if first is not None:
            p10, p9 = rng.uniform(0.12, 0.3), rng.uniform(0.2, 0.4)
            banned: dict[int, int] = {}  # household → last barred year
            for year in self.years:
                if year >= first:
                    self._rate(village.id, households, year, stars, share, p10, p9, seed and year == SEED_YEAR, None if seed else banned)
        for year in self.years:
            self._awards(village.id, households, year, seed)

    def _rate(self, region_id, households, year, stars, share, p10, p9, seed_year: bool, banned) -> None:
        """One year's ratings of one village; ``banned`` is None where no rating may be revoked (the seed village)."""
        rng, today = self.rng, self.ctx.today
        if seed_year:
            counts = self._seed_counts(households)
        else:
            size = min(len(stars), 10)
            picked = rng.sample(households, min(len(households), max(1, round(len(households) * share * rng.uniform(0.8, 1.2)))))
            counts = {}
            for hid, _ in sorted(picked):
                r = rng.random()
                counts[hid] = size if r < p10 else size - 1 if r < p10 + p9 else min(size, rng.choice((3, 4, 5, 6, 6, 7, 7, 8, 8, 8)))
        # one assessment meeting, one public notice and one plaque day for the whole village
        rated_on = dt.date(year, 12, rng.randint(5, 15))
        notice_from = rated_on + dt.timedelta(days=rng.randint(1, 3))
        notice_to = notice_from + dt.timedelta(days=6)
        plaque_on = notice_to + dt.timedelta(days=rng.randint(5, 30))
        plaque_on = plaque_on if plaque_on <= today else None
        full = format_stars(stars)
        all_but = [format_stars(s for s in stars if s != missing) for missing in stars]
        for hid, count in counts.items():
            if banned is not None and banned.get(hid, 0) >= year:
                continue
            if count == len(stars):
                earned = full
            elif count == len(stars) - 1:
                earned = all_but[rng.randrange(len(stars))]
            else:
                chosen = set(rng.sample(stars, count))
                earned = format_stars(s for s in stars if s in chosen)
            row = {"region_id": region_id, "household_id": hid, "year": year, "star_count": count, "stars": earned, "tier": _tier(count, self.floors),
                   "rated_on": rated_on, "notice_from": notice_from, "notice_to": notice_to, "plaque_on": plaque_on,
                   "synthetic": not (seed_year and count >= 9)}
            if banned is not None and count >= 9 and rng.random() < 0.01:
                revoked = dt.date(year + 1, rng.randint(2, 11), rng.randint(1, 28))
                if revoked <= today:
                    row["revoked_on"], row["revoke_reason"] = revoked, rng.choice(REVOKE_REASONS)
                    banned[hid] = year + 1 + 2
            self.ratings.append(row)

    def _seed_counts(self, households) -> dict[int, int]:
        """南洲村 2010: exactly 120 ten-star and 180 nine-star households, plus some with fewer stars."""
        rng = self.rng
        ids = [hid for hid, _ in households]
        picked = rng.sample(ids, SEED_TEN + SEED_NINE + min(len(ids) - SEED_TEN - SEED_NINE, rng.randint(50, 70)))
        counts = {hid: 10 for hid in picked[:SEED_TEN]}
        counts.update({hid: 9 for hid in picked[SEED_TEN:SEED_TEN + SEED_NINE]})
        counts.update({hid: rng.choice((5, 6, 7, 7, 8, 8)) for hid in picked[SEED_TEN + SEED_NINE:]})
        return dict(sorted(counts.items()))

    def _awards(self, region_id: int, households, year: int, seed: bool) -> None:
        rng, fake = self.rng, self.fake
        n = len(households)
        for award, (lo, hi) in AWARD_RATES.items():
            if seed and year == SEED_YEAR and award == "good_daughter_in_law":
                count = SEED_GOOD_DIL
            else:
                expected = n * rng.uniform(lo, hi) / 100 * (1 if self.ctx.mode == "demo" else SYNTHETIC_AWARD_SCALE)
                count = int(expected) + (rng.random() < expected % 1)  # small villages still see the odd award
            if not count:
                continue
            body, level = rng.choice(AWARDED_BY[award])
            notice_from = dt.date(year, rng.choice((5, 10, 12)), rng.randint(1, 20))
            for hid, head in rng.sample(households, min(count, n)):
                self.awards.append({
                    "region_id": region_id, "household_id": hid, "award": award, "year": year,
                    "person_name": fake.name() if award in PERSON_AWARDS else head,
                    "awarded_by": body, "level": level, "notice_from": notice_from, "notice_to": notice_from + dt.timedelta(days=6),
                    "synthetic": not (seed and year == SEED_YEAR and award == "good_daughter_in_law"),
                })
