"""Core contributions: households, associations and honours as record tables, the four core
indicators, the core rules, the period-lock settings, and the regions and households of the demo and
synthetic counties."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, literal, select

from .. import hookimpl
from ..errors import Problem
from ..models import Association, AssociationMember, Honour, Household, Region, Resident
from ..registry import Indicator, RecordTable, Rule


@hookimpl
def register_tables(register):
    register(RecordTable(model=Household, label_zh="户", label_en="Households", natural_key=("region_id", "number"),
                         description_zh="村/社区的住户及户主信息", description_en="Households and their heads"))
    register(RecordTable(model=Resident, label_zh="居民", label_en="Residents", natural_key=("household_id", "name"),
                         description_zh="户内人员", description_en="People in a household"))
    register(RecordTable(model=Association, label_zh="协会/社会组织", label_en="Associations", level="any",
                         natural_key=("region_id", "name"), date_field="founded",
                         description_zh="各类协会与社会组织", description_en="Associations and social organisations"))
    register(RecordTable(model=AssociationMember, label_zh="协会会员", label_en="Association members", level="any",
                         natural_key=("association_id", "name"), date_field="joined"))
    register(RecordTable(model=Honour, label_zh="荣誉", label_en="Honours", level="any",
                         natural_key=("region_id", "recipient_kind", "title", "year"),
                         description_zh="授予村/社区、协会或住户的荣誉", description_en="Honours awarded to regions, associations or households"))


def _villages(q):
    return (
        select(Region.id.label("region_id"), literal(1).label("value"))
        .where(q.in_scope(Region.id), Region.kind.in_(("village", "community")), q.active_on(Region.valid_from, Region.valid_to))
    )


def _active_associations(q):
    return q.count(Association, q.active_on(Association.founded, Association.dissolved))


def _honours(q):
    return q.count(Honour, Honour.year >= q.start.year, Honour.year <= q.end.year)


@hookimpl
def register_indicators(register):
    register(Indicator(key="core.villages", label_zh="村/社区数", label_en="Villages and communities", unit_zh="个", unit_en="",
                       numerator=_villages, headline=False))
    register(Indicator(key="core.households", label_zh="户数", label_en="Households", unit_zh="户", unit_en="households",
                       numerator=lambda q: q.count(Household), headline=True))
    register(Indicator(key="core.associations", label_zh="协会数", label_en="Associations", unit_zh="个", unit_en="",
                       numerator=_active_associations, headline=True,
                       description_zh="期末存续的协会与社会组织", description_en="Associations existing at the end of the period"))
    register(Indicator(key="core.honours", label_zh="获得荣誉", label_en="Honours", unit_zh="项", unit_en="",
                       numerator=_honours, period_kinds=("year",),
                       description_zh="本年度获得的荣誉（村/社区、协会、住户）", description_en="Honours awarded in the year"))


def _association_type_known(row, ctx):
    from ..plugins import registry

    known = registry().association_types
    if row.type_key not in known:
        yield Problem(f"未知的协会类型（已安装：{'、'.join(sorted(known)) or '无'}）", f"unknown association type (installed: {', '.join(sorted(known)) or 'none'})",
                      field="type_key", value=row.type_key)


def _association_dates(row, ctx):
    if row.founded and row.founded > ctx.today:
        yield Problem("成立日期不能晚于今天", "founding date is in the future", field="founded", value=row.founded)
    if row.founded and row.dissolved and row.dissolved < row.founded:
        yield Problem("撤销日期早于成立日期", "dissolved before it was founded", field="dissolved", value=row.dissolved)


def _member_dates(row, ctx):
    if row.joined and row.left and row.left < row.joined:
        yield Problem("退会日期早于入会日期", "left before joining", field="left", value=row.left)


def _honour_recipient(row, ctx):
    if row.recipient_kind == "association" and row.association_id is None:
        yield Problem("协会荣誉需指明协会", "an association honour needs association_id", field="association_id", value=None)
    if row.recipient_kind == "household" and row.household_id is None:
        yield Problem("住户荣誉需指明住户", "a household honour needs household_id", field="household_id", value=None)
    if row.year > ctx.today.year:
        yield Problem("荣誉年度不能晚于今年", "an honour cannot be dated in a future year", field="year", value=row.year)


@hookimpl
def register_rules(register):
    register(Rule(key="core.association_type_known", label_zh="协会类型须已注册", label_en="Association type is registered",
                  table="association", check_row=_association_type_known))
    register(Rule(key="core.association_dates", label_zh="协会日期合理", label_en="Association dates are consistent",
                  table="association", check_row=_association_dates))
    register(Rule(key="core.member_dates", label_zh="会员日期合理", label_en="Member dates are consistent",
                  table="association_member", check_row=_member_dates))
    register(Rule(key="core.honour_recipient", label_zh="荣誉获得者完整", label_en="Honour recipient is complete",
                  table="honour", check_row=_honour_recipient))
    register(Rule(key="core.references", label_zh="引用不跨村/社区", label_en="References stay within one village",
                  check_db=_references))


def _references(session):
    """Stored records referring to a household, resident, association… of another village (the write
    path refuses new ones; see :mod:`shequ_sdk.references`)."""
    from ..references import stored_violations

    return stored_violations(session)


@hookimpl
def register_settings(register):
    from ..locks import SETTINGS as LOCK_SETTINGS  # lock.deadline_days, lock.days_after_deadline

    for setting in LOCK_SETTINGS:
        register(setting)
    from ..public import SETTINGS as PUBLIC_SETTINGS  # public.base_url

    for setting in PUBLIC_SETTINGS:
        register(setting)


# -- demo and synthetic data ------------------------------------------------------------

SEED_PLACES = {
    # county: (code, kind label, {township: (kind label, [(village, kind)])})
    "南县": ("430921", "县", {"南洲镇": ("镇", [("南洲村", "village")]), "茅草街镇": ("镇", [("新尚村社区", "community")])}),
    "宜城市": ("420684", "县级市", {}),
}
SEED_HOUSEHOLDS = {"南洲村": 420, "新尚村社区": 360}
SEED_HONOURS = [
    ("南洲村", "出席省的五好党支部", "中共湖南省委", 2010, "province"),
    ("南洲村", "省级民主法制示范村", "湖南省", 2010, "province"),
    ("南洲村", "全市精神文明建设先进单位", "益阳市", 2010, "city"),
    ("新尚村社区", "文明创建先进单位", "益阳市委市政府", 2009, "city"),
    ("新尚村社区", "社会主义新农村社区建设示范单位", None, 2010, None),
]
SYNTHETIC_VILLAGES_PER_SEED_TOWNSHIP = 4
# map positions of the demo (WGS 84 lon, lat): plausible, not surveyed. 南洲镇 is 南县's seat;
# 茅草街镇 lies to the south-west, where the 藕池河 meets the 沅水 and 澧水.
DEMO_POSITIONS = {"南县": (112.40, 29.37), "南洲镇": (112.40, 29.37), "茅草街镇": (112.30, 29.12), "宜城市": (112.26, 31.72)}


def _demo_village_position(centre: tuple[float, float], index: int, count: int) -> tuple[float, float]:
    """Village ``index`` of ``count`` spread around its township's centre: the first (the seed
    village) near the centre, the rest on a ring 3–5 km out. Deterministic; no random numbers
    are drawn, so the rest of the demo stays as it was."""
    import math

    if index == 0:
        radius, angle = 0.012, math.radians(200)
    else:
        radius = 0.032 + 0.014 * (index % 2)
        angle = math.radians(35 + 360 * (index - 1) / max(1, count - 1))
    lon = centre[0] + radius * math.cos(angle) / math.cos(math.radians(centre[1]))
    return round(lon, 5), round(centre[1] + radius * math.sin(angle), 5)


@hookimpl(tryfirst=True)
def populate(ctx):
    from ..regions import create_region

    if ctx.mode == "demo":
        for county, (code, label, townships) in SEED_PLACES.items():
            c = create_region(session=ctx.session, name=county, kind="county", code=code, kind_label=label,
                              lon=DEMO_POSITIONS[county][0], lat=DEMO_POSITIONS[county][1])
            for township, (tlabel, villages) in townships.items():
                centre = DEMO_POSITIONS[township]
                count = len(villages) + SYNTHETIC_VILLAGES_PER_SEED_TOWNSHIP
                t = create_region(session=ctx.session, name=township, kind="township", parent=c, kind_label=tlabel,
                                  lon=centre[0], lat=centre[1])
                for i, (village, kind) in enumerate(villages):
                    lon, lat = _demo_village_position(centre, i, count)
                    create_region(session=ctx.session, name=village, kind=kind, parent=t, lon=lon, lat=lat)
                used = {v for v, _ in villages}
                for i in range(len(villages), count):
                    name = _fresh(ctx, used, "村")
                    lon, lat = _demo_village_position(centre, i, count)
                    create_region(session=ctx.session, name=name, kind="village", parent=t, synthetic=True, lon=lon, lat=lat)
        for village in ctx.villages:
            n = SEED_HOUSEHOLDS.get(village.name) or ctx.rng.randrange(180, 420)
            _households(ctx, village, n, "430921")
        for village, title, body, year, level in SEED_HONOURS:
            ctx.write(Honour, [{"region_id": ctx.region(village).id, "recipient_kind": "region", "title": title,
                                "awarded_by": body, "year": year, "level": level}])
        return
    opts = ctx.options
    code = opts.county_code
    county = create_region(session=ctx.session, name=opts.county, kind="county", code=code, kind_label="县", synthetic=True)
    used: set[str] = set()
    total = opts.townships * opts.villages_per_township
    done = 0
    for ti in range(opts.townships):
        t = create_region(session=ctx.session, name=_fresh(ctx, used, "镇"), kind="township", parent=county, kind_label="镇", synthetic=True,
                          code=f"{code}{100 + ti:03d}000")
        for vi in range(opts.villages_per_township):
            kind = "community" if vi == 0 else "village"
            seg = 1 + vi if kind == "community" else 200 + vi
            v = create_region(session=ctx.session, name=_fresh(ctx, used, "社区" if kind == "community" else "村"), kind=kind,
                              parent=t, synthetic=True, code=f"{code}{100 + ti:03d}{seg:03d}")
            n = max(1, int(ctx.rng.gauss(opts.households_per_village, opts.households_per_village * 0.15)))
            _households(ctx, v, n, code)
            done += 1
            ctx.progress("core", "地区与住户", done, total)


def _fresh(ctx, used: set[str], suffix: str) -> str:
    while True:
        name = ctx.fake.place(suffix)
        if name not in used:
            used.add(name)
            return name


def _households(ctx, village, n: int, region6: str) -> None:
    fake = ctx.fake
    rows = []
    for i in range(n):
        born = fake.birth_date(25, 85)
        rows.append({
            "region_id": village.id, "number": f"{i + 1:04d}", "head_name": fake.name(),
            "head_id_number": fake.id_number(region6, born), "phone": fake.phone(),
            "group_name": f"第{i % 8 + 1}村民小组", "members": ctx.rng.randint(1, 7), "synthetic": True,
        })
    ctx.write(Household, rows)


@hookimpl
def register_migrations(register):
    from ..migrations import CORE_BRANCH, CORE_VERSIONS
    from ..registry import Migrations

    register(Migrations(branch=CORE_BRANCH, path=CORE_VERSIONS))


@hookimpl
def register_verifiers(register):
    from ..audit import chain_verifier
    from ..registry import Verifier
    from ..replay import replay_verifier

    register(Verifier(key="core.audit_chain", label_zh="审计日志哈希链", label_en="Audit log hash chain", check=chain_verifier))
    register(Verifier(key="core.audit_replay", label_zh="按审计日志重放核对各表", label_en="Audit log replayed against the tables",
                      check=replay_verifier))
    from ..sync import package_verifier

    register(Verifier(key="core.sync_packages", label_zh="同步包导入与审计日志对应", label_en="Imported sync packages tie to the audit log",
                      check=package_verifier))
    from ..analytics import cells_verifier

    register(Verifier(key="core.indicator_cells", label_zh="指标汇总与原始数据一致（抽样，--full 全部）",
                      label_en="Stored indicator cells equal a recompute (a sample; --full: all)", check=cells_verifier))


@hookimpl
def register_views(register):
    from ..registry import View

    def sync_view(store):
        from ..ui.sync_panel import sync_view as render

        return render(store)

    register(View(key="core.sync", label_zh="同步", label_en="Sync", render=sync_view, placement="entry", order=90))

    def map_view(store):
        from ..ui.village_map import map_view as render

        return render(store)

    # beside the disclosure heatmap, above the village table: where each village is and how it stands
    register(View(key="core.village_map", label_zh="村庄地图", label_en="Village map", render=map_view, placement="chart", order=20))
