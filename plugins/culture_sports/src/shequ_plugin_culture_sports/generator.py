"""Demo and synthetic data for the culture and sports association.

Demo: one 文体协会 in each demo village and community. 新尚村社区's association built two
libraries holding 40,000+ books (the seed: "图书室2个、藏书40000余册"): 24,000 + 16,500 volumes
at the end of 2010. Those two libraries, their 2010 stocktakes and the association itself are
the seed facts (``synthetic=False``); everything else is plausible generated data.

Synthetic: the same shapes for every village of the county, built as plain dicts and written in
a handful of large batches.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from shequ_sdk import Association, AssociationMember, Household

from .models import Activity, Library, LibraryStock, Loan
from .rules import ASSOCIATION_TYPE

SEED_COMMUNITY = "新尚村社区"
# (name, kind, books at 2010-12-31, titles, periodicals, audio-visual, hours/week, m², established, books at 2009-12-31)
SEED_LIBRARIES = (
    ("新尚村社区图书室", "reading_room", 24000, 9600, 62, 320, 42.0, 160.0, dt.date(2008, 6, 18), 22600),
    ("新尚村社区农家书屋", "farmhouse", 16500, 6900, 45, 210, 35.0, 90.0, dt.date(2008, 10, 9), 15400),
)

# (title, call-number class) — the six Shandong classes of §8.1
TITLES = (
    ("水稻高产栽培技术", "科技"), ("生猪健康养殖", "科技"), ("淡水鱼养殖技术", "科技"), ("柑橘病虫害防治", "科技"),
    ("食用菌栽培", "科技"), ("果树修剪图解", "科技"), ("家电维修入门", "科技"), ("农机使用与维护", "科技"),
    ("农村常见病防治", "生活"), ("家庭急救手册", "生活"), ("中老年养生", "生活"), ("湘菜家常做法", "生活"),
    ("农村法律常识", "政经"), ("新农村建设政策问答", "政经"), ("农民工维权指南", "政经"),
    ("平凡的世界", "文化"), ("西游记", "文化"), ("三国演义", "文化"), ("水浒传", "文化"), ("红楼梦", "文化"),
    ("唐诗三百首", "文化"), ("洞庭湖的传说", "文化"),
    ("十万个为什么", "少儿"), ("安徒生童话", "少儿"), ("小学生作文大全", "少儿"), ("少儿百科全书", "少儿"),
)

# kind: (share of activities, participants low–high, places, typical months)
ACTIVITY_SHAPES = {
    "village_gala": (3, 200, 800, ("文体广场", "村委会礼堂"), (1, 2)),
    "couplets": (2, 40, 150, ("村委会", "文体广场"), (1, 2)),
    "lantern": (2, 150, 600, ("文体广场",), (2,)),
    "yangge": (3, 20, 80, ("文体广场",), (1, 2, 5, 10)),
    "dragon_dance": (2, 30, 300, ("文体广场", "主街"), (1, 2)),
    "gongs_drums": (2, 15, 60, ("文体广场",), (1, 2, 9, 10)),
    "basketball": (4, 40, 300, ("篮球场",), (4, 5, 8, 10, 11)),
    "tug_of_war": (3, 30, 150, ("文体广场", "村小学操场"), (5, 9, 10)),
    "chess": (3, 10, 40, ("老年活动室", "农家书屋"), (3, 6, 9, 12)),
    "square_dance": (6, 20, 90, ("文体广场",), tuple(range(3, 12))),
    "reading": (4, 10, 40, ("农家书屋",), (4, 7, 8, 11)),
    "opera": (2, 80, 400, ("村委会礼堂", "文体广场"), (3, 10)),
    "film": (4, 40, 200, ("文体广场", "村委会礼堂"), tuple(range(4, 11))),
    "taichi": (2, 10, 40, ("文体广场",), tuple(range(3, 12))),
    "fitness": (2, 15, 60, ("健身广场", "文体广场"), tuple(range(3, 12))),
}
_KINDS = list(ACTIVITY_SHAPES)
_WEIGHTS = [ACTIVITY_SHAPES[k][0] for k in _KINDS]
_KIND_ZH = {"village_gala": "春节村晚", "couplets": "迎春送春联", "lantern": "元宵灯会", "yangge": "秧歌表演", "dragon_dance": "舞龙闹春",
            "gongs_drums": "锣鼓表演", "basketball": "农民篮球赛", "tug_of_war": "拔河比赛", "chess": "象棋比赛", "square_dance": "广场舞展演",
            "reading": "读书分享会", "opera": "花鼓戏演出", "film": "农村电影放映", "taichi": "太极拳练习", "fitness": "全民健身活动"}


def populate(ctx) -> None:
    villages = ctx.villages
    households = _households(ctx)
    if ctx.mode == "demo":
        scale = dict(members=(6, 14), activities=(5, 11), loans=(15, 45), seed_loans=(160, 260))
    else:
        scale = dict(members=(5, 12), activities=(3, 10), loans=(0, 16), seed_loans=(0, 16))
    gen = _Generator(ctx, households, scale)
    associations = gen.associations(villages)
    libraries = gen.libraries(villages, associations)
    gen.activities(villages, associations)
    gen.loans(libraries)


def _households(ctx) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for hid, rid in ctx.session.execute(select(Household.id, Household.region_id).order_by(Household.id)):
        out.setdefault(rid, []).append(hid)
    return out


class _Generator:
    def __init__(self, ctx, households: dict[int, list[int]], scale: dict):
        self.ctx, self.rng, self.fake = ctx, ctx.rng, ctx.fake
        self.households = households
        self.scale = scale
        self.years = tuple(ctx.years)
        self.first_day = dt.date(self.years[0], 1, 1)
        self.last_day = min(dt.date(self.years[-1], 12, 31), ctx.today)

    def _seed(self, village) -> bool:
        return self.ctx.mode == "demo" and village.name == SEED_COMMUNITY and self.ctx.is_seed(village)

    # -- the association and its members -------------------------------------------------
    def associations(self, villages) -> dict[int, tuple[int, dt.date]]:
        rng, fake = self.rng, self.fake
        rows = []
        for v in villages:
            founded = dt.date(self.years[0] - rng.randrange(1, 6), rng.randint(1, 12), rng.randint(1, 28))
            if self.ctx.mode == "synthetic" and rng.random() < 0.3:
                founded = fake.date_in(self.first_day, self.last_day)  # some founded within the generated span
            rows.append({"region_id": v.id, "type_key": ASSOCIATION_TYPE, "name": f"{v.name}文体协会", "founded": founded,
                         "leader_name": fake.name(), "leader_phone": fake.phone(), "synthetic": not self._seed(v)})
        ids = self.ctx.write(Association, rows, return_ids=True).ids
        out = {row["region_id"]: (aid, row["founded"]) for aid, row in zip(ids, rows)}
        members = []
        lo, hi = self.scale["members"]
        for row, aid in zip(rows, ids):
            members.append({"association_id": aid, "region_id": row["region_id"], "name": row["leader_name"], "role": "chair",
                            "joined": row["founded"], "is_party_member": True, "phone": row["leader_phone"], "synthetic": True})
            for i in range(rng.randint(lo, hi)):
                role = "vice_chair" if i == 0 else "secretary" if i == 1 else "member"
                joined = fake.date_in(row["founded"], max(row["founded"], self.last_day))
                members.append({"association_id": aid, "region_id": row["region_id"], "name": fake.name(), "role": role,
                                "joined": joined, "is_party_member": rng.random() < 0.25, "synthetic": True})
        self.ctx.write(AssociationMember, members)
        self.ctx.progress("culture_sports", "文体协会", len(rows), len(rows))
        return out

    # -- libraries and their year-end stocktakes ----------------------------------------------
    def libraries(self, villages, associations) -> list[dict]:
        rng, fake = self.rng, self.fake
        rows = []
        for v in villages:
            aid, founded = associations[v.id]
            if self._seed(v):
                for name, kind, books, titles, per, av, hours, area, established, _ in SEED_LIBRARIES:
                    rows.append({"region_id": v.id, "association_id": aid, "name": name, "kind": kind, "books": books, "titles": titles,
                                 "periodicals": per, "av_items": av, "hours_per_week": hours, "area_m2": area, "established": established,
                                 "manager_name": fake.name(), "synthetic": False})
                continue
            # the farmhouse-library programme reached most villages between 2007 and 2012
            n = 2 if v.kind == "community" and rng.random() < 0.5 else 1
            for i in range(n):
                kind = "farmhouse" if i == 0 else "reading_room"
                start = max(dt.date(2007, 3, 1), founded)
                if start > self.last_day:
                    continue  # the programme had not reached this village yet
                established = fake.date_in(start, max(start, min(dt.date(2012, 12, 31), self.last_day)))
                # most libraries meet the standard by now; some still fall short (shequ check warns)
                short = rng.random() < 0.15
                books = rng.randint(1000, 1499) if short else rng.randint(1500, 3600)
                rows.append({"region_id": v.id, "association_id": aid, "name": f"{v.name}{'农家书屋' if i == 0 else '图书室'}",
                             "kind": kind, "books": books, "titles": int(books * rng.uniform(0.4, 0.7)),
                             "periodicals": rng.randint(20, 29) if short else rng.randint(30, 50),
                             "av_items": rng.randint(80, 99) if short else rng.randint(100, 180),
                             "hours_per_week": float(rng.choice((10, 12, 16, 20, 24, 30, 42))), "area_m2": float(rng.randint(20, 80)),
                             "established": established, "manager_name": fake.name(), "synthetic": True})
        ids = self.ctx.write(Library, rows, return_ids=True).ids
        for lid, row in zip(ids, rows):
            row["id"] = lid
        self.ctx.write(LibraryStock, self._stocktakes(rows))
        return rows

    def _stocktakes(self, libraries: list[dict]) -> list[dict]:
        """Year-end counts that grow to each library's registered holdings (``books``)."""
        rng = self.rng
        seed_2009 = {name: books_2009 for name, *_, books_2009 in SEED_LIBRARIES}
        out = []
        for lib in libraries:
            ends = [dt.date(y, 12, 31) for y in self.years if lib["established"] <= dt.date(y, 12, 31) <= self.ctx.today]
            books, titles = lib["books"], lib["titles"]
            for end in reversed(ends):
                seed = not lib["synthetic"] and end.year == self.years[-1]
                new_titles = rng.randint(40, 160)
                out.append({"region_id": lib["region_id"], "library_id": lib["id"], "stock_date": end, "books": books, "titles": titles,
                            "periodicals": lib["periodicals"], "av_items": lib["av_items"], "new_titles": new_titles, "synthetic": not seed})
                if not lib["synthetic"] and lib["name"] in seed_2009:
                    books = seed_2009.pop(lib["name"])
                else:
                    books = max(0, books - new_titles * rng.randint(1, 2))
                titles = max(0, titles - new_titles)
        return out

    # -- activities --------------------------------------------------------------------------
    def activities(self, villages, associations) -> None:
        rng = self.rng
        lo, hi = self.scale["activities"]
        rows = []
        for n, v in enumerate(villages, 1):
            aid, founded = associations[v.id]
            seen = set()
            for year in self.years:
                count = rng.randint(lo, hi) + (4 if v.kind == "community" else 0)
                for kind in ["village_gala"] + rng.choices(_KINDS, weights=_WEIGHTS, k=count - 1):
                    _, low, high, places, months = ACTIVITY_SHAPES[kind]
                    month = rng.choice(months)
                    day = dt.date(year, month, rng.randint(1, 28))
                    place = rng.choice(places)
                    if day > self.ctx.today or (day, kind, place) in seen:
                        continue
                    seen.add((day, kind, place))
                    rows.append({"region_id": v.id, "association_id": aid if founded <= day else None, "activity_date": day, "kind": kind,
                                 "title": f"{year}年{_KIND_ZH[kind]}", "participants": rng.randint(low, high), "place": place,
                                 "funding_fen": rng.randrange(0, 600_000, 100) if kind in ("village_gala", "lantern", "basketball", "opera") else None,
                                 "synthetic": True})
            self.ctx.progress("culture_sports", "文体活动", n, len(villages))
        self.ctx.write(Activity, rows)

    # -- the loan register ----------------------------------------------------------------------
    def loans(self, libraries: list[dict]) -> None:
        rng, fake = self.rng, self.fake
        rows = []
        for lib in libraries:
            homes = self.households.get(lib["region_id"]) or [None]
            lo, hi = self.scale["seed_loans"] if not lib["synthetic"] else self.scale["loans"]
            for year in self.years:
                start = max(dt.date(year, 1, 1), lib["established"])
                end = min(dt.date(year, 12, 31), self.ctx.today)
                if start > end:
                    continue
                for _ in range(rng.randint(lo, hi)):
                    lent = fake.date_in(start, end)
                    title, cls = TITLES[rng.randrange(len(TITLES))]
                    returned = lent + dt.timedelta(days=rng.randint(3, 45))
                    rows.append({"region_id": lib["region_id"], "library_id": lib["id"], "borrower_name": fake.name(),
                                 "household_id": rng.choice(homes), "title": title, "call_no": f"{cls}-{rng.randint(1, 3000):04d}",
                                 "lent_on": lent, "due_on": lent + dt.timedelta(days=30),
                                 "returned_on": returned if returned <= self.ctx.today and rng.random() < 0.93 else None, "synthetic": True})
        self.ctx.progress("culture_sports", "借阅登记", len(rows), len(rows))
        self.ctx.write(Loan, rows)
