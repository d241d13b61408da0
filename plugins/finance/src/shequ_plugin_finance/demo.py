"""Demo and synthetic data: associations, ledgers, postings and queries.

Demo (``ctx.mode == "demo"``, 2009–2010, "now" is 2011-03-31):

- 新尚村社区 posted its three boards (党务, 居务, 财务) every quarter, on time (seed article 4);
  南洲村 kept village affairs and finance disclosed (seed article 4): all boards on time.
  Each of them also had one major ledger item in 2010, posted within the deadline.
- The synthetic villages of both townships get their own habits: most boards on time, some
  late, some missing; one of them posts finance monthly (many transactions).
- 茅草街镇 sets the quarterly due day to the 20th (a local rule, DOMAIN.md §1.2), so the demo
  shows a township override; 南洲镇 keeps the default 15th.
- Every finance board lists the ledger's totals per account for its period, so
  ``finance.board_totals_match_ledger`` holds.
- Postings are history: each is published (version 1, fingerprint computed), reviewed by an
  association member on its review date, approved the same day by a township staff member and
  published by a committee member on its posted date (:func:`workflow.seal_historical`).

Synthetic (``ctx.mode == "synthetic"``): the same generator over every village of the county,
leaner (fewer vouchers; finance boards list income and expenditure totals, other boards only
their title), every row ``synthetic=True``. Some townships move the quarterly due day to the
20th or the 10th and about one village in twelve posts finance monthly. Only ``ctx.rng``
supplies randomness.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import func, select

from shequ_sdk import Association, AssociationMember, Period, config

from . import deadlines, workflow
from .models import ASSOCIATION_TYPE, BOARDS, BOARDS_FOR_KIND, CHARTS, DIRECTIONS, LedgerEntry, Posting, PostingItem, Query

ASSOCIATION_NAME = "民主管理监督理财协会"
SEED_VILLAGES = ("新尚村社区", "南洲村")
DEMO_TOWNSHIP_DUE_DAY = {"茅草街镇": 20}
CHART = CHARTS["2004"]


STAFF_SURNAMES = "王李张刘陈杨黄赵周吴徐孙胡朱高林何郭马罗"
STAFF_GIVEN = ("建国", "秀英", "志强", "桂兰", "海燕", "立新", "红梅", "德明", "玉珍", "文华", "春生", "丽娟")


def staff_name(role: str, key) -> str:
    """A stable name for a township or committee staff member; derived from a hash, so the demo's
    random streams (and so its figures) are untouched."""
    h = hashlib.sha256(f"{role}:{key}".encode()).digest()
    return STAFF_SURNAMES[h[0] % len(STAFF_SURNAMES)] + STAFF_GIVEN[h[1] % len(STAFF_GIVEN)]


@dataclass
class Habits:
    """How reliably a village meets its deadlines."""

    on_time: float  # share of obligations met on time
    late: float  # share met late; the rest are missing
    replies_on_time: float
    major_per_year: float  # expected major ledger items per year
    lines: int  # most lines on a party / village board (0: title only)


SEED_HABITS = Habits(on_time=1.0, late=0.0, replies_on_time=1.0, major_per_year=0.0, lines=2)


def _synthetic_habits(rng, lines: int) -> Habits:
    # most villages are diligent, a few are careless: heatmaps need both
    if rng.random() < 0.2:
        on_time = rng.uniform(0.45, 0.75)
    else:
        on_time = rng.uniform(0.85, 0.99)
    late = (1 - on_time) * rng.uniform(0.5, 0.8)
    return Habits(on_time=on_time, late=late, replies_on_time=rng.uniform(0.7, 0.98), major_per_year=rng.uniform(0.1, 0.5), lines=lines)


def populate(ctx) -> None:
    if ctx.mode == "demo":
        _demo(ctx)
    else:
        _synthetic(ctx)
    # the disclosure schedule of every year of data, stored once (reads never write it)
    for county in ctx.regions("county"):
        deadlines.refresh(ctx.session, county, dt.date(min(ctx.years), 1, 1), dt.date(max(ctx.years), 12, 31))


def _demo(ctx) -> None:
    for name, day in DEMO_TOWNSHIP_DUE_DAY.items():
        config.set_value(ctx.session, "finance.quarterly_due_day", day, ctx.region(name))
    villages = ctx.villages
    synthetic = [v for v in villages if v.synthetic]
    # one synthetic village of 南洲镇 has many transactions and posts finance monthly
    monthly = next((v for v in synthetic if v.township_id == ctx.region("南洲镇").id), None)
    if monthly is not None:
        config.set_value(ctx.session, "finance.monthly_finance", True, monthly)
    plans = {}
    for v in villages:
        if v.name in SEED_VILLAGES and not v.synthetic:
            plans[v.id] = (SEED_HABITS, (max(ctx.years),))
        else:
            plans[v.id] = (_synthetic_habits(ctx.rng, 2), ())
    Generator(ctx, villages, plans, seed_association=("新尚村社区",)).run()


def _synthetic(ctx) -> None:
    townships = ctx.regions("township")
    for t in townships:
        roll = ctx.rng.random()
        if roll < 0.25:
            config.set_value(ctx.session, "finance.quarterly_due_day", 20, t)
        elif roll < 0.35:
            config.set_value(ctx.session, "finance.quarterly_due_day", 10, t)
    villages = ctx.villages
    for v in villages:
        if ctx.rng.random() < 0.08:
            config.set_value(ctx.session, "finance.monthly_finance", True, v)
    plans = {v.id: (_synthetic_habits(ctx.rng, 0), ()) for v in villages}
    Generator(ctx, villages, plans, seed_association=(), detail=False).run()


# -- the generator ---------------------------------------------------------------------------------

PARTY_LINES = ("发展党员情况", "党费收缴、使用和管理情况", "民主评议党员结果", "三会一课开展情况", "上级决策部署落实情况", "组织生活会情况")
VILLAGE_LINES = ("村民代表会议决定事项及实施情况", "低保对象名单", "种粮直接补贴发放情况", "新型农村合作医疗参合情况",
                 "计划生育政策落实情况", "一事一议筹资筹劳", "宅基地审批情况", "救灾救助款物发放情况")
RESIDENT_LINES = ("居民会议决定事项及实施情况", "低保对象名单", "社区服务项目", "计划生育政策落实情况", "环境卫生整治情况",
                  "救助慰问款物发放情况")
QUERY_SUBJECTS = {
    "finance": ("管理费用开支明细", "承包金收取情况", "上级补助资金去向", "工程款支付情况"),
    "village": ("低保评定依据", "宅基地审批结果", "一事一议资金使用"),
    "residents": ("低保评定依据", "社区服务项目费用", "物业与环境卫生费用"),
    "party": ("发展党员程序", "党费使用情况"),
}
MAJOR_ITEMS = (
    ("522", "村道硬化项目上级补助"), ("522", "新农村建设示范奖补资金"), ("551", "村道硬化工程款"),
    ("551", "防汛抢险支出"), ("502", "集体鱼塘改造工程款"),
)
# (account, summary, times a quarter (a fraction is a chance), lowest and highest amount in yuan)
ROUTINE = (
    ("541", "村干部误工补贴及办公费", 2, 1_500, 9_000),
    ("522", "上级转移支付补助", 1, 5_000, 40_000),
    ("511", "耕地、鱼塘承包金", 0.5, 8_000, 45_000),
    ("501", "集体房屋出租收入", 0.6, 2_000, 15_000),
    ("502", "集体经营成本", 0.4, 1_000, 12_000),
    ("531", "存款利息", 0.3, 50, 800),
    ("551", "公益设施维修", 0.5, 1_000, 20_000),
)
# a synthetic county books fewer, larger vouchers (same accounts, same yearly order of magnitude)
ROUTINE_LEAN = (
    ("541", "村干部误工补贴及办公费", 1, 3_000, 18_000),
    ("522", "上级转移支付补助", 1, 5_000, 40_000),
    ("511", "耕地、鱼塘承包金", 0.5, 8_000, 45_000),
    ("501", "集体房屋出租收入", 0.4, 2_000, 15_000),
    ("502", "集体经营成本", 0.3, 1_000, 12_000),
    ("531", "存款利息", 0.2, 50, 800),
    ("551", "公益设施维修", 0.4, 1_000, 20_000),
)


def legal_basis(region_kind: str, board: str, posted: dt.date) -> Optional[str]:
    """The rule in force on the posting day, by name and version (never an article number)."""
    if board == "party":
        return "中国共产党党务公开条例(试行)" if posted >= dt.date(2017, 12, 25) else None
    if board == "finance":
        return "农村集体经济组织财务公开规定(农经发〔2011〕13号)" if posted >= dt.date(2011, 11, 21) else "村集体经济组织财务公开暂行规定(农经发〔1997〕5号)"
    if region_kind == "community":
        return "城市居民委员会组织法(2018修正)" if posted >= dt.date(2018, 12, 29) else "城市居民委员会组织法(1989)"
    if posted >= dt.date(2018, 12, 29):
        return "村民委员会组织法(2018修正)"
    return "村民委员会组织法(2010修订)" if posted >= dt.date(2010, 10, 28) else "村民委员会组织法(1998)"


@dataclass(frozen=True)
class Span:
    """A period with its dates computed once (Period.end is not free, and the generator asks often)."""

    period: Period
    label: str
    start: dt.date
    end: dt.date
    months: tuple[int, ...]

    @classmethod
    def of(cls, p: Period) -> "Span":
        months = tuple(range(p.start.month, p.end.month + 1))
        return cls(p, str(p), p.start, p.end, months)


class Generator:
    """Builds every row as a plain dict, then writes each table in one validated batch.

    ``detail``: the demo lists every account on a finance board and a line or two on the others;
    a synthetic county lists income and expenditure totals only and titles elsewhere, which keeps
    300 villages × 10 years to a few seconds.
    """

    def __init__(self, ctx, villages, plans: dict[int, tuple[Habits, tuple[int, ...]]], seed_association: tuple[str, ...],
                 detail: bool = True):
        self.ctx, self.rng, self.fake = ctx, ctx.rng, ctx.fake
        self.villages, self.plans, self.seed_association, self.detail = villages, plans, seed_association, detail
        self.today = ctx.today
        self.cfg = {key: config.resolve_for(ctx.session, key, villages) for key in deadlines.SETTING_KEYS}
        self.associations: list[dict] = []
        self.members: list[list[dict]] = []
        self.ledger: list[dict] = []
        self.postings: list[dict] = []
        self.items: list[dict] = []  # "posting_id" and "ledger_entry_id" hold list indexes until ids are known
        self.queries: list[dict] = []
        self._spans: dict[int, tuple[list[Span], list[Span]]] = {}

    def spans(self, year: int) -> tuple[list[Span], list[Span]]:
        if year not in self._spans:
            y = Period("year", year)
            self._spans[year] = ([Span.of(p) for p in y.subperiods("quarter")], [Span.of(p) for p in y.subperiods("month")])
        return self._spans[year]

    # -- outcomes --------------------------------------------------------------------------------
    def _outcome(self, habits: Habits, earliest: dt.date, due: dt.date) -> Optional[dt.date]:
        """The posting day of one obligation (None: never posted), never after today."""
        roll = self.rng.random()
        if roll < habits.on_time:
            day = earliest + dt.timedelta(days=self.rng.randrange((due - earliest).days + 1))
        elif roll < habits.on_time + habits.late:
            day = due + dt.timedelta(days=self.rng.randint(1, 45))
        else:
            return None
        return day if day <= self.today else None

    # -- writing ---------------------------------------------------------------------------------
    def run(self) -> None:
        ctx = self.ctx
        total = len(self.villages)
        for n, v in enumerate(self.villages, 1):
            self._village(v)
            if n % 25 == 0 or n == total:
                ctx.progress("finance", "生成 / building", n, total)
        ids = ctx.write(Association, self.associations, return_ids=True).ids
        ctx.write(AssociationMember, [dict(m, association_id=aid) for aid, ms in zip(ids, self.members) for m in ms])
        ctx.progress("finance", "账目 / ledger", 0, 1)
        entry_ids = self._write_mapped(LedgerEntry, self.ledger, ("region_id", "entry_date", "voucher_no"))
        ctx.progress("finance", "公开记录 / postings", 0, 1)
        posting_ids = self._write_mapped(Posting, self.postings, ("region_id", "board", "period", "title", "version"))
        for item in self.items:
            item["posting_id"] = posting_ids[item["posting_id"]]
            if item["ledger_entry_id"] is not None:
                item["ledger_entry_id"] = entry_ids[item["ledger_entry_id"]]
        ctx.progress("finance", "公开事项 / items", 0, 1)
        ctx.write(PostingItem, self.items)
        # the demo's postings are history: written as drafts with their items, then sealed as published
        approvers = {v.id: staff_name("township", v.township_id) for v in self.villages}
        publishers = {v.id: staff_name("committee", v.id) for v in self.villages}
        workflow.seal_historical(ctx.session, posting_ids, approvers, publishers)
        ctx.write(Query, self.queries)
        ctx.progress("finance", "完成 / done", 1, 1)

    def _write_mapped(self, model, rows: list[dict], key: tuple[str, ...]) -> list[int]:
        """Write ``rows`` and return their ids in order, read back by natural key: one SELECT
        instead of a RETURNING per row, which costs more than the insert itself."""
        session = self.ctx.session
        floor = session.execute(select(func.max(model.id))).scalar() or 0
        self.ctx.write(model, rows)
        cols = [getattr(model, c) for c in key]
        found = {tuple(r[1:]): r[0] for r in session.execute(select(model.id, *cols).where(model.id > floor))}
        return [found[tuple(row[c] for c in key)] for row in rows]

    # -- rows ------------------------------------------------------------------------------------
    def _village(self, v) -> None:
        habits, forced_major_years = self.plans[v.id]
        seed = not v.synthetic
        reviewers = self._association(v, seed=v.name in self.seed_association and seed)
        for year in self.ctx.years:
            entries = self._ledger_year(v, year, habits, year in forced_major_years, reviewers)
            self._postings_year(v, year, habits, entries, reviewers, seed)
            self._queries_year(v, year, habits, seed)

    def _association(self, v, seed: bool) -> list[str]:
        rng, fake = self.rng, self.fake
        founded = dt.date(rng.randint(2004, 2008), rng.randint(1, 12), rng.randint(1, 28))
        names: list[str] = []
        size = rng.randint(3, 5)
        while len(names) < size:
            name = fake.name()
            if name not in names:
                names.append(name)
        self.associations.append({"region_id": v.id, "type_key": ASSOCIATION_TYPE, "name": ASSOCIATION_NAME, "founded": founded,
                                  "leader_name": names[0], "synthetic": not seed})
        self.members.append([{"region_id": v.id, "name": name, "role": "chair" if i == 0 else "member", "joined": founded,
                              "is_party_member": i == 0 or rng.random() < 0.3, "synthetic": True} for i, name in enumerate(names)])
        return names

    def _ledger_year(self, v, year: int, habits: Habits, force_major: bool, reviewers: list[str]) -> dict[int, list[tuple[int, dict]]]:
        """Entries of one year by month: ``{month: [(index in self.ledger, row), …]}``."""
        rng = self.rng
        rows: list[dict] = []
        routine = ROUTINE if self.detail else ROUTINE_LEAN
        for span in self.spans(year)[0]:
            width = (span.end - span.start).days + 1
            for account, summary, times, low, high in routine:
                count = int(times) + (rng.random() < times - int(times))
                for _ in range(count):
                    day = span.start + dt.timedelta(days=rng.randrange(width))
                    rows.append(self._entry(v, day, account, summary, rng.randint(low, high) * 100 + rng.choice((0, 0, 50)), reviewers))
        majors = 1 if force_major else sum(rng.random() < habits.major_per_year / 2 for _ in range(2))
        threshold = self.cfg["finance.major_item_threshold_fen"][v.id]
        for _ in range(majors):
            account, summary = MAJOR_ITEMS[rng.randrange(len(MAJOR_ITEMS))]
            day = dt.date(year, rng.randint(3, 11), rng.randint(1, 28))
            amount = rng.randint(threshold // 100, threshold // 100 * 6) * 100
            rows.append(self._entry(v, day, account, summary, amount, reviewers))
        rows = [r for r in rows if r["entry_date"] <= self.today]
        rows.sort(key=lambda r: r["entry_date"])
        by_month: dict[int, list[tuple[int, dict]]] = defaultdict(list)
        for n, row in enumerate(rows, 1):
            row["voucher_no"] = f"记字第{year}{n:03d}号"
            by_month[row["entry_date"].month].append((len(self.ledger), row))
            self.ledger.append(row)
        return by_month

    def _entry(self, v, day: dt.date, account: str, summary: str, amount: int, reviewers: list[str]) -> dict:
        review = min(day + dt.timedelta(days=self.rng.randint(0, 10)), self.today)
        return {"region_id": v.id, "entry_date": day, "voucher_no": "", "direction": CHART[account][2], "account_code": account,
                "chart_version": "2004", "amount_fen": amount, "summary": summary, "reviewer_name": self.rng.choice(reviewers),
                "review_date": review, "synthetic": True}

    def _postings_year(self, v, year: int, habits: Habits, entries: dict[int, list[tuple[int, dict]]], reviewers: list[str],
                       seed: bool) -> None:
        cfg, vid = self.cfg, v.id
        monthly = bool(cfg["finance.monthly_finance"][vid])
        qday, mday = cfg["finance.quarterly_due_day"][vid], cfg["finance.monthly_due_day"][vid]
        threshold = cfg["finance.major_item_threshold_fen"][vid]
        major = [(i, e) for month in sorted(entries) for i, e in entries[month] if e["amount_fen"] >= threshold]
        major_ids = {i for i, _ in major}
        quarters, months = self.spans(year)
        one_day = dt.timedelta(days=1)
        for span in quarters:
            due = deadlines.quarterly_due(span.period, qday)
            for board in BOARDS_FOR_KIND[v.kind]:
                if board == "finance" and monthly:
                    continue
                day = self._outcome(habits, span.end + one_day, due)
                if day is not None:
                    self._board_posting(v, board, span, day, reviewers, seed, habits, entries, major_ids)
        if monthly:
            for span in months:
                day = self._outcome(habits, span.end + one_day, deadlines.monthly_due(span.period, mday))
                if day is not None:
                    self._board_posting(v, "finance", span, day, reviewers, seed, habits, entries, major_ids)
        days = cfg["finance.major_item_days"][vid]
        for i, entry in major:
            day = self._outcome(habits, entry["entry_date"], deadlines.major_due(entry["entry_date"], days))
            if day is None:
                continue
            label = f"{entry['entry_date'].year}-{entry['entry_date'].month:02d}"
            title = f"{entry['summary']}专项公开（{entry['voucher_no']}）"
            pi = self._posting(v, "finance", label, "special", title, day, reviewers, entry["entry_date"], seed)
            self.items.append({"region_id": vid, "posting_id": pi, "line_no": 1, "title": entry["summary"],
                               "content": f"凭证 {entry['voucher_no']}，{entry['entry_date']:%Y年%m月%d日}",
                               "amount_fen": entry["amount_fen"], "direction": entry["direction"], "account_code": entry["account_code"],
                               "ledger_entry_id": i, "synthetic": True})

    def _posting(self, v, board: str, label: str, kind: str, title: str, day: dt.date, reviewers: list[str],
                 earliest_review: dt.date, seed: bool) -> int:
        review = max(earliest_review, day - dt.timedelta(days=self.rng.randint(0, 3)))
        self.postings.append({
            "region_id": v.id, "board": board, "period": label, "kind": kind, "title": title, "posted_on": day,
            "display_until": deadlines.display_until(day, self.cfg["finance.display_days"][v.id]),
            "reviewer_name": self.rng.choice(reviewers), "review_date": review, "status": "draft", "version": 1,
            "legal_basis": legal_basis(v.kind, board, day), "synthetic": not seed,
        })
        return len(self.postings) - 1

    def _board_posting(self, v, board: str, span: Span, day: dt.date, reviewers, seed, habits, entries, major_ids) -> None:
        name = span.period.label("zh")
        pi = self._posting(v, board, span.label, "regular", f"{name}{BOARDS[board][0]}公开", day, reviewers,
                           span.end + dt.timedelta(days=1), seed)
        if board == "finance":
            self._finance_lines(v, pi, span, entries, major_ids)
            return
        if not self.detail:
            return
        pool = {"party": PARTY_LINES, "village": VILLAGE_LINES, "residents": RESIDENT_LINES}[board]
        count = self.rng.randint(1, habits.lines) if habits.lines else 0
        for n, title in enumerate(self.rng.sample(pool, count), 1):
            self.items.append({"region_id": v.id, "posting_id": pi, "line_no": n, "title": title, "content": f"{name}{title}",
                               "amount_fen": None, "direction": None, "account_code": None, "ledger_entry_id": None, "synthetic": True})

    def _finance_lines(self, v, pi: int, span: Span, entries, major_ids) -> None:
        """The period's totals — per account (detail) or per direction — and a line per major item."""
        totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        lines = []
        for month in span.months:
            for i, e in entries.get(month, ()):
                if i in major_ids:
                    lines.append((e["account_code"], e["direction"], e["summary"], f"重大事项，凭证 {e['voucher_no']}", e["amount_fen"], i))
                else:
                    key = e["account_code"] if self.detail else e["direction"]
                    totals[key][0] += e["amount_fen"]
                    totals[key][1] += 1
        if self.detail:
            for account in sorted(totals, key=lambda a: (CHART[a][2] != "income", a)):
                amount, count = totals[account]
                lines.append((account, CHART[account][2], CHART[account][0], f"共 {count} 笔", amount, None))
        else:
            for direction in ("income", "expense"):
                if direction in totals:
                    amount, count = totals[direction]
                    lines.append((None, direction, f"{DIRECTIONS[direction][0]}合计", f"共 {count} 笔", amount, None))
        for n, (account, direction, title, content, amount, entry) in enumerate(lines, 1):
            self.items.append({"region_id": v.id, "posting_id": pi, "line_no": n, "title": title, "content": content,
                               "amount_fen": amount, "direction": direction, "account_code": account,
                               "ledger_entry_id": entry, "synthetic": True})

    def _queries_year(self, v, year: int, habits: Habits, seed: bool) -> None:
        rng = self.rng
        days = self.cfg["finance.query_reply_days"][v.id]
        count = rng.choice((0, 1, 1, 2, 2, 3)) if not seed else 2
        received = sorted(dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365)) for _ in range(count))
        online = 0.05 if year < 2014 else 0.35
        boards = BOARDS_FOR_KIND[v.kind]
        for n, day in enumerate((d for d in received if d <= self.today), 1):
            channel = "online" if rng.random() < online else rng.choice(("oral", "oral", "written", "box"))
            board = boards[-1] if rng.random() < 0.5 else rng.choice(boards)
            subject = rng.choice(QUERY_SUBJECTS[board])
            due = deadlines.reply_due(day, days)
            outcome = rng.random()
            if outcome < habits.replies_on_time:
                replied: Optional[dt.date] = day + dt.timedelta(days=rng.randint(1, days))
            elif outcome < habits.replies_on_time + (1 - habits.replies_on_time) * 0.7:
                replied = due + dt.timedelta(days=rng.randint(1, 25))
            else:
                replied = None
            if replied is not None and replied > self.today:
                replied = None
            self.queries.append({
                "region_id": v.id, "number": f"{year}-{n:03d}", "asker_name": None if channel == "box" else self.fake.name(),
                "channel": channel, "subject": subject, "board": board,
                "handler": "finance_group" if board == "finance" else "supervision", "received_on": day, "reply_due": None,
                "replied_on": replied, "reply_text": f"已就“{subject}”逐项说明并出示相关凭证" if replied else None,
                "escalated_to": "township" if replied is None and rng.random() < 0.3 else None, "synthetic": True,
            })
