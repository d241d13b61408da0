"""Demo data (新尚村社区's 五保之家, 南洲村's registers) and synthetic counties for the decisions plugin.

The seed (article 4) says 新尚村社区's elderly association raised 248,000 yuan and built a 五保之家,
and that both seed places practise 民主决策 with 村务/居务 and finance disclosure. The 五保之家 is
recorded as a matter of 24,800,000 fen (``synthetic=False``: the figure is the seed's) that went
through the four deliberations and both disclosures. Its dates are invented and consistent with
the elderly plugin's (funds received 2010-03-20, home opened 2010-06-18):

- raised and proposed by the community Party branch 2010-01-08; 两委 consultation 2010-01-12;
  Party members' meeting 2010-01-18 (30 of 36 present, 29 for); representatives' assembly
  2010-01-25 (38 of 45 present, 36 for); resolution disclosed on the 居务公开栏 2010-01-28;
  completed 2010-06-18 and results disclosed 2010-06-25.

Everything else is synthetic (``synthetic=True``): a few assets, resources and contracts for
南洲村, a 村规民约 for every village, and the generator's matters, registers and contracts for
every village. Each finance major expenditure of a village (the finance plugin's threshold, read
through the settings API) is covered by a matter decided before it — always in the seed places,
in most synthetic ones (the rest are what ``decisions.major_item_decided`` is for). That is why
``populate`` runs last (``trylast``): it reads the finance ledger the finance plugin wrote.
Nothing here adds an association or a household, so the seed figures of other plugins stay.
"""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import func, select

from shequ_sdk import Household, registry

from . import settings as S
from .models import Asset, Contract, ContractPayment, Matter, MatterStep, Resource, VillageRule
from .rules import voucher_list  # noqa: F401  (documented helper: how vouchers are listed)

PLUGIN = "decisions"
DEMO_LATE_VILLAGE = "明口村"
SEED_HOME = {
    "title": "建设社区五保之家", "category": "public_welfare", "amount_fen": 24_800_000, "source": "masses", "proposer": "社区党支部",
    "proposed_on": dt.date(2010, 1, 8), "completed_on": dt.date(2010, 6, 18),
}
SEED_HOME_STEPS = (
    {"step": "proposal", "held_on": dt.date(2010, 1, 8), "expected": 5, "present": 5,
     "content": "社区老龄人协会争取资金24.8万元，提议建设五保之家，集中供养全部10户五保老人"},
    {"step": "consultation", "held_on": dt.date(2010, 1, 12), "expected": 9, "present": 8, "votes_for": 8, "votes_against": 0, "result": "passed",
     "content": "社区“两委”联席会议商议选址、规模和资金来源"},
    {"step": "party_review", "held_on": dt.date(2010, 1, 18), "expected": 36, "present": 30, "votes_for": 29, "votes_against": 1,
     "result": "passed", "content": "党员大会审议建设方案"},
    {"step": "resolution", "held_on": dt.date(2010, 1, 25), "body": "representatives", "expected": 45, "present": 38, "votes_for": 36,
     "votes_against": 2, "result": "passed", "content": "居民代表会议表决通过五保之家建设方案"},
    {"step": "resolution_disclosure", "held_on": dt.date(2010, 1, 28), "channel": "居务公开栏", "content": "公开决议内容及资金来源"},
    {"step": "result_disclosure", "held_on": dt.date(2010, 6, 25), "channel": "居务公开栏、财务公开栏",
     "content": "五保之家建成，10户五保老人全部入住，公开资金使用情况"},
)

TITLES = {
    "collective_economy": ("集体鱼塘对外发包", "建设村级农产品仓储点", "集体门面房对外出租"),
    "land": ("组级耕地调整方案", "土地流转给种植大户", "集体荒山对外承包"),
    "public_welfare": ("村组道路硬化", "修建文化活动广场", "安装太阳能路灯", "修缮灌溉渠道", "改造村卫生室"),
    "budget": ("年度村级财务预算", "一事一议筹资筹劳方案"),
}
ASSETS = (
    ("村部办公楼", "building", (300_000, 900_000)), ("村卫生室", "building", (80_000, 250_000)), ("农机具", "equipment", (20_000, 120_000)),
    ("排灌泵站", "facility", (50_000, 300_000)), ("太阳能路灯", "facility", (30_000, 150_000)), ("集体门面房", "building", (150_000, 500_000)),
    ("农用运输车", "vehicle", (40_000, 90_000)),
)
RESOURCES = (("集体鱼塘", "water", (10, 60)), ("机动耕地", "cropland", (30, 200)), ("集体林地", "forest", (100, 800)),
             ("河洲滩涂", "beach", (20, 150)), ("荒山", "hill", (50, 400)))
RULE_TEXT = ("第一条 为推进村民自治，维护社会秩序，根据有关法律法规，经村民会议讨论通过，制定本村规民约。\n"
             "第二条 村民应遵守法律法规，爱护公共财产，不得损坏水利、道路、路灯等公共设施。\n"
             "第三条 垃圾集中投放，不乱倒乱堆；房前屋后保持整洁。\n"
             "第四条 邻里之间互谅互让，发生纠纷先由调解委员会调解。\n"
             "第五条 移风易俗，红白喜事从简办理。\n"
             "第六条 本村规民约经村民会议通过后报乡镇人民政府备案，由村民委员会负责解释。")


def _households(ctx, villages) -> dict[int, int]:
    return dict(ctx.session.execute(select(Household.region_id, func.count()).where(Household.region_id.in_([v.id for v in villages]))
                                    .group_by(Household.region_id)).all())


def _major_expenses(ctx, villages) -> dict[int, list]:
    """``{village: [(entry_date, voucher_no, amount_fen, summary)]}``: the finance plugin's major
    expenditures, read through the registry and its threshold through the settings API."""
    from shequ_sdk import config

    reg = registry()
    ledger = reg.tables.get("finance_ledger_entry")
    if ledger is None or S.FINANCE_MAJOR_THRESHOLD not in reg.settings or not villages:
        return {}
    threshold = config.resolve_for(ctx.session, S.FINANCE_MAJOR_THRESHOLD, villages)
    t = ledger.model.__table__
    out: dict[int, list] = {}
    for rid, day, voucher, amount, summary in ctx.session.execute(
            select(t.c.region_id, t.c.entry_date, t.c.voucher_no, t.c.amount_fen, t.c.summary)
            .where(t.c.direction == "expense", t.c.region_id.in_(list(threshold))).order_by(t.c.entry_date, t.c.id)):
        if amount >= int(threshold[rid]):
            out.setdefault(rid, []).append((day, voucher, amount, summary))
    return out


class Drawer:
    """Draws matters with their steps, registers and contracts; collects rows for one write per table."""

    def __init__(self, ctx, households: dict[int, int]):
        self.ctx, self.rng, self.households = ctx, ctx.rng, households
        self.townships = {t.id: t.name for t in ctx.regions("township")}
        self.annual_limit = int(registry().settings[S.CONTRACT_MAX_ANNUAL_FEN].default)
        self.matters: list[dict] = []
        self.steps: list[list[dict]] = []  # per matter, in order
        self.assets: list[dict] = []
        self.asset_matter: list = []  # index into matters (disposal) or None
        self.resources: list[dict] = []
        self.contracts: list[dict] = []
        self.contract_links: list[tuple] = []  # (resource index or None, asset index or None, matter index or None)
        self.payments: list[list[dict]] = []
        self.rules: list[dict] = []

    # -- matters --------------------------------------------------------------------------------
    def meeting(self, kind: str, region, expected: int | None = None) -> dict:
        """Attendance and votes that pass under the default settings, with some spread."""
        rng = self.rng
        if kind == "representatives":
            expected = expected or rng.randint(25, 55)
            present = rng.randint(math.ceil(expected * 2 / 3), expected)
        elif kind == "assembly":
            homes = max(10, self.households.get(region.id, 100))
            present_homes = rng.randint(math.ceil(homes * 2 / 3), homes)
            return {"body": "assembly", "expected": int(homes * 2.6), "present": present_homes, "households_total": homes,
                    "households_present": present_homes, **self._votes(present_homes)}
        elif kind == "party":
            expected = expected or rng.randint(18, 45)
            present = rng.randint(math.ceil(expected * 2 / 3), expected)
            against = rng.randint(0, 2)
            votes_for = rng.randint(expected // 2 + 1, max(expected // 2 + 1, present - against))
            return {"expected": expected, "present": present, "votes_for": min(votes_for, present - against), "votes_against": against}
        else:  # committee
            expected = expected or rng.randint(5, 9)
            present = rng.randint(expected // 2 + 1, expected)
        out = {"expected": expected, "present": present, **self._votes(present)}
        if kind == "representatives":
            out["body"] = "representatives"
        return out

    def _votes(self, present: int) -> dict:
        against = self.rng.randint(0, max(0, (present - 1) // 4))
        votes_for = self.rng.randint(present // 2 + 1, present - against) if present - against > present // 2 else present - against
        return {"votes_for": votes_for, "votes_against": against}

    def matter(self, region, title: str, category: str, amount_fen, proposed: dt.date, *, vouchers=None, deadline: dt.date | None = None,
               completed: dt.date | None = None, disclose_late: bool = False, stop_after: str | None = None, synthetic=True) -> int:
        """A matter and its steps from ``proposed``; the resolution falls before ``deadline`` if given."""
        rng, today = self.rng, self.ctx.today
        gaps = [rng.randint(2, 8), rng.randint(3, 10), rng.randint(4, 14)]
        if deadline is not None:  # squeeze the deliberations in before the entry they decide
            room = max(3, (deadline - proposed).days - 1)
            while sum(gaps) > room:
                gaps = [max(1, g // 2) for g in gaps]
        days = [proposed]
        for g in gaps:
            days.append(days[-1] + dt.timedelta(days=g))
        if days[-1] > today:
            stop_after = stop_after or next((c for c, d in zip(("proposal", "consultation", "party_review"), days[1:]) if d > today), None)
        row = {"region_id": region.id, "title": title, "category": category, "amount_fen": amount_fen, "proposed_on": proposed,
               "source": rng.choice(("masses", "cadres", "cadres", "higher")), "proposer": "村党支部" if region.kind == "village" else "社区党支部",
               "vouchers": vouchers, "synthetic": synthetic}
        steps = [{"step": "proposal", "held_on": days[0], **{k: v for k, v in self.meeting("committee", region, rng.randint(3, 7)).items()
                                                              if k in ("expected", "present")}}]
        body = "assembly" if category in ("land",) and rng.random() < 0.5 else "representatives"
        for code, kind, day in (("consultation", "committee", days[1]), ("party_review", "party", days[2]), ("resolution", body, days[3])):
            if stop_after is not None and STEP_INDEX[code] > STEP_INDEX[stop_after]:
                break
            steps.append({"step": code, "held_on": day, "result": "passed", **self.meeting(kind, region)})
        decided = days[3] if len(steps) == 4 else None
        if decided is not None:
            lag = rng.randint(8, 20) if disclose_late else rng.randint(1, 6)
            shown = decided + dt.timedelta(days=lag)
            if shown <= today:
                steps.append({"step": "resolution_disclosure", "held_on": shown, "channel": rng.choice(("村务公开栏", "村务公开栏、广播", "明白纸"))})
                if completed is not None and completed <= today:
                    row["completed_on"] = completed
                    results = completed + dt.timedelta(days=rng.randint(1, 7))
                    if results <= today:
                        steps.append({"step": "result_disclosure", "held_on": max(results, shown), "channel": "村务公开栏"})
        self.matters.append(row)
        self.steps.append(steps)
        return len(self.matters) - 1

    # -- registers ------------------------------------------------------------------------------
    def asset(self, region, name, kind, value_yuan: int, acquired: dt.date, status="in_use", disposal=None) -> int:
        row = {"region_id": region.id, "name": name, "kind": kind, "acquired_on": acquired, "value_fen": value_yuan * 100,
               "location": f"{region.name}{self.rng.choice(('一组', '二组', '三组', '村部', '中心路'))}", "status": status, "synthetic": True}
        matter = None
        if disposal is not None:
            matter, day, how = disposal
            row |= {"disposed_on": day, "disposal": how}
        self.assets.append(row)
        self.asset_matter.append(matter)
        return len(self.assets) - 1

    def resource(self, region, name, kind, area: float) -> int:
        self.resources.append({"region_id": region.id, "name": name, "kind": kind, "area_mu": area,
                               "location": f"{region.name}{self.rng.choice(('东', '南', '西', '北'))}片", "synthetic": True})
        return len(self.resources) - 1

    def contract(self, region, number: str, subject: str, start: dt.date, years: int, annual_yuan: int, *, resource=None, asset=None,
                 matter=None, habit: str = "good") -> None:
        rng, today, fake = self.rng, self.ctx.today, self.ctx.fake
        end = S.longest_end(start, years)
        self.contracts.append({"region_id": region.id, "number": number, "party_name": fake.name(), "party_phone": fake.phone(),
                               "subject": subject, "signed_on": start - dt.timedelta(days=rng.randint(3, 20)), "start_on": start,
                               "end_on": end, "annual_fen": annual_yuan * 100, "synthetic": True})
        self.contract_links.append((resource, asset, matter))
        pays = []
        for y in range(years):
            due = S.longest_end(start, y) + dt.timedelta(days=1) if y else start
            due = due + dt.timedelta(days=30)
            if due > today:
                break
            row = {"region_id": region.id, "due_on": due, "due_fen": annual_yuan * 100, "synthetic": True}
            roll = rng.random()
            bad = {"good": 0.06, "poor": 0.35}[habit]
            if roll >= bad:
                got = min(today, due + dt.timedelta(days=rng.randint(-20, 10)))
                row |= {"received_on": got, "received_fen": annual_yuan * 100, "voucher_no": f"收{got:%Y%m}-{rng.randint(1, 99):02d}"}
            elif roll >= bad / 2 and due + dt.timedelta(days=5) <= today:
                part = annual_yuan * 100 * rng.randint(3, 8) // 10
                row |= {"received_on": due + dt.timedelta(days=rng.randint(0, 5)), "received_fen": part}
            pays.append(row)
        self.payments.append(pays)

    def village_rule(self, region, adopted: dt.date, *, filed: bool = True, older: dt.date | None = None) -> None:
        rng = self.rng
        name = "村规民约" if region.kind == "village" else "居民公约"
        for day, current in ((older, False), (adopted, True)):
            if day is None:
                continue
            m = self.meeting("assembly", region)
            self.rules.append({"region_id": region.id, "version": f"{day.year}年版", "title": f"{region.name}{name}", "adopted_on": day,
                               "body": "assembly", "expected": m["expected"], "present": m["present"],
                               "households_total": m["households_total"], "households_present": m["households_present"],
                               "votes_for": m["votes_for"], "filed_on": day + dt.timedelta(days=rng.randint(7, 40)) if (filed or not current) else None,
                               "filed_with": f"{self.townships.get(region.township_id, '乡镇')}人民政府",
                               "current": current, "rule_text": RULE_TEXT, "synthetic": True})

    # -- writing --------------------------------------------------------------------------------
    def write(self) -> int:
        ctx = self.ctx
        ids = ctx.write(Matter, self.matters, return_ids=True).ids if self.matters else []
        steps = []
        for mid, (row, rows) in zip(ids, zip(self.matters, self.steps)):
            for s in rows:
                steps.append({"region_id": row["region_id"], "matter_id": mid, "synthetic": row["synthetic"], **s})
        if steps:
            ctx.write(MatterStep, steps)
        for a, m in zip(self.assets, self.asset_matter):
            if m is not None:
                a["disposal_matter_id"] = ids[m]
        asset_ids = ctx.write(Asset, self.assets, return_ids=True).ids if self.assets else []
        resource_ids = ctx.write(Resource, self.resources, return_ids=True).ids if self.resources else []
        for c, (r, a, m) in zip(self.contracts, self.contract_links):
            c |= {"resource_id": resource_ids[r] if r is not None else None, "asset_id": asset_ids[a] if a is not None else None,
                  "matter_id": ids[m] if m is not None else None}
        contract_ids = ctx.write(Contract, self.contracts, return_ids=True).ids if self.contracts else []
        payments = [p | {"contract_id": cid} for cid, rows in zip(contract_ids, self.payments) for p in rows]
        if payments:
            ctx.write(ContractPayment, payments)
        if self.rules:
            ctx.write(VillageRule, self.rules)
        return len(self.matters)


STEP_INDEX = {c: i for i, c in enumerate(("proposal", "consultation", "party_review", "resolution"))}


def _fill_village(d: Drawer, region, years: tuple[int, ...], majors: list, *, cover_all: bool, registers: bool, poor_payer: bool,
                  late_one: bool = False) -> None:
    """Matters (one per major expenditure, most decided; a few more), registers, contracts and a 村规民约."""
    rng, today = d.rng, d.ctx.today
    for day, voucher, amount, summary in majors:
        if not cover_all and rng.random() < 0.15:
            continue  # an expenditure nobody put to the villagers: decisions.major_item_decided flags it
        proposed = day - dt.timedelta(days=rng.randint(25, 70))
        d.matter(region, (summary or "重大支出事项")[:60], "public_welfare" if "工程" in (summary or "") or "硬化" in (summary or "") else "other",
                 amount, proposed, vouchers=voucher, deadline=day, completed=day + dt.timedelta(days=rng.randint(0, 40)))
        if d.matters[-1]["category"] == "other":
            d.matters[-1]["category_detail"] = "重大财务支出"
    for year in years:
        for _ in range(rng.choice((0, 1, 1, 2))):
            category = rng.choice(tuple(TITLES))
            proposed = dt.date(year, rng.randint(1, 11), rng.randint(1, 28))
            if proposed > today:
                continue
            amount = rng.randint(20, 400) * 100_000 if category != "budget" else None
            late, late_one = late_one or rng.random() < 0.1, False
            d.matter(region, rng.choice(TITLES[category]), category, amount, proposed,
                     completed=proposed + dt.timedelta(days=rng.randint(40, 200)), disclose_late=late)
    if registers:
        first = dt.date(years[0], 1, 1)
        leased_asset = None
        for name, kind, (lo, hi) in rng.sample(ASSETS, rng.randint(3, 5)):
            acquired = dt.date(first.year - rng.randint(2, 15), rng.randint(1, 12), rng.randint(1, 28))
            i = d.asset(region, name, kind, rng.randint(lo // 100, hi // 100) * 100, acquired, status="leased" if name == "集体门面房" else "in_use")
            if name == "集体门面房":
                leased_asset = i
        if rng.random() < 0.3:  # an old vehicle auctioned after a decision
            proposed = dt.date(years[-1], rng.randint(1, 6), rng.randint(1, 28))
            if proposed + dt.timedelta(days=90) <= today:
                m = d.matter(region, "拍卖报废农用运输车", "asset_disposal", None, proposed, completed=proposed + dt.timedelta(days=50))
                decided = d.steps[m][3]["held_on"] if len(d.steps[m]) >= 4 else None
                if decided is not None:
                    d.asset(region, "报废农用运输车", "vehicle", rng.randint(300, 600) * 100, dt.date(first.year - 12, 5, 1), status="disposed",
                            disposal=(m, decided + dt.timedelta(days=rng.randint(10, 40)), "拍卖"))
        n = 0
        for name, kind, (lo, hi) in rng.sample(RESOURCES, rng.randint(2, 3)):
            r = d.resource(region, name, kind, float(rng.randint(lo, hi)))
            n += 1
            start = dt.date(first.year - rng.randint(0, 3), rng.choice((1, 3, 10)), 1)
            long = kind in ("forest", "hill") and rng.random() < 0.6
            years_ = rng.randint(10, 20) if long else rng.randint(3, 5)
            area = d.resources[r]["area_mu"]
            annual = max(1000, int(area * rng.randint(20, 120)) // 100 * 100)
            matter = None
            if long or annual * 100 > d.annual_limit:
                proposed = start - dt.timedelta(days=rng.randint(50, 90))
                matter = d.matter(region, f"{name}对外承包", "land", None, proposed, deadline=start - dt.timedelta(days=5),
                                  completed=start)
            d.contract(region, f"{region.id}-{n:02d}", f"{name}承包", start, years_, annual, resource=r, matter=matter,
                       habit="poor" if poor_payer else "good")
        if leased_asset is not None:
            n += 1
            d.contract(region, f"{region.id}-{n:02d}", "集体门面房出租", dt.date(first.year, 1, 1), 3, rng.randint(60, 180) * 100,
                       asset=leased_asset, habit="poor" if poor_payer else "good")
    older = dt.date(years[0] - rng.randint(6, 10), rng.randint(1, 12), rng.randint(1, 28)) if rng.random() < 0.4 else None
    d.village_rule(region, dt.date(years[0] - rng.randint(1, 4), rng.randint(1, 12), rng.randint(1, 28)),
                   filed=cover_all or rng.random() > 0.05, older=older)


def populate_demo(ctx) -> None:
    villages = ctx.villages
    d = Drawer(ctx, _households(ctx, villages))
    majors = _major_expenses(ctx, villages)
    years = tuple(sorted(ctx.years))
    home = d.matter(ctx.region("新尚村社区"), SEED_HOME["title"], SEED_HOME["category"], SEED_HOME["amount_fen"], SEED_HOME["proposed_on"],
                    synthetic=False)
    d.matters[home] |= {k: v for k, v in SEED_HOME.items() if k in ("source", "proposer", "completed_on")}
    d.steps[home] = [dict(s) for s in SEED_HOME_STEPS]
    late = next((v.id for v in villages if v.name == DEMO_LATE_VILLAGE), None)
    for v in villages:
        seed = ctx.is_seed(v)
        # the seed places: every major expenditure decided, the 村规民约 filed; 南洲村 also keeps the
        # 三资 registers. One synthetic neighbour disclosed a resolution late (the timeline shows it).
        _fill_village(d, v, years, majors.get(v.id, []), cover_all=seed, registers=(not seed) or v.name == "南洲村", poor_payer=False,
                      late_one=v.id == late)
    n = d.write()
    ctx.progress(PLUGIN, "重大事项", n, n)


def populate_synthetic(ctx) -> None:
    villages = ctx.villages
    d = Drawer(ctx, _households(ctx, villages))
    majors = _major_expenses(ctx, villages)
    years = tuple(sorted(ctx.years))
    for v in villages:
        _fill_village(d, v, years, majors.get(v.id, []), cover_all=False, registers=True, poor_payer=ctx.rng.random() < 0.15)
    n = d.write()
    ctx.progress(PLUGIN, "重大事项", n, n)
