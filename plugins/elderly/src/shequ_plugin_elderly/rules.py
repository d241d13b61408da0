"""Validation rules for the elderly association's records.

Row rules run on every write (a batch with an error is refused whole) and in ``shequ check``.
Lookups go through ``ctx.memo`` so a batch of thousands of rows costs one query per home.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from shequ_sdk import Association, Problem, Rule, Setting, config

from .models import HOME_KINDS, FiveGuaranteeHome, SupportedResident

Home, Resident = FiveGuaranteeHome, SupportedResident

SETTINGS = (
    Setting(key="elderly.elderly_min_age", default=60, label_zh="老年供养对象最低年龄", label_en="Minimum age of elderly recipients",
            description_zh="“无劳动能力”的年龄标准：年满 60 周岁（特困人员认定办法，各地可调整）",
            description_en="Age from which a person counts as unable to work (特困人员认定办法; adjustable locally)"),
    Setting(key="elderly.minor_max_age", default=16, label_zh="未成年供养对象年龄上限（未满）", label_en="Minors: admitted under this age",
            description_zh="《农村五保供养工作条例》第六条：未满 16 周岁",
            description_en="五保供养工作条例 art. 6: under 16 years old"),
)


def _home(ctx, home_id):
    return ctx.memo(("elderly.home", home_id), lambda: ctx.session.get(Home, home_id))


def _setting(ctx, key, region_id):
    return ctx.memo((key, region_id), lambda: config.get(ctx.session, key, ctx.region(region_id)))


def _not_future(ctx, value, name, zh, en):
    if value is not None and value > ctx.today:
        yield Problem(f"{zh}不能晚于今天（{ctx.today}）", f"{en} cannot be in the future (today is {ctx.today})", field=name, value=value)


# -- homes ---------------------------------------------------------------------------------

def home_dates(row, ctx):
    yield from _not_future(ctx, row.built, "built", "建成日期", "the building date")
    if row.closed is not None and row.closed < row.built:
        yield Problem("停用日期早于建成日期", "closed before it was built", field="closed", value=row.closed)


def home_level(row, ctx):
    region = ctx.region(row.region_id)
    if row.kind == "wubao_home" and region is not None and region.level != "village":
        yield Problem(f"{HOME_KINDS['wubao_home'][0]}是村级设施，应登记在村/社区（{region.name} 不是村/社区）",
                      f"a five-guarantee home is a village facility; {region.name} is not a village or community",
                      field="region_id", value=region.name)


def home_association(row, ctx):
    if row.association_id is None:
        return
    assoc = ctx.memo(("elderly.association", row.association_id), lambda: ctx.session.get(Association, row.association_id))
    if assoc is None:
        yield Problem("协会不存在", "no such association", field="association_id", value=row.association_id)
    elif assoc.type_key != "elderly":
        yield Problem(f"{assoc.name} 不是老龄人协会", f"{assoc.name} is not an elderly association", field="association_id", value=row.association_id)


# -- funds ---------------------------------------------------------------------------------

def fund_home(row, ctx):
    home = _home(ctx, row.home_id)
    if home is None:
        yield Problem("五保之家/敬老院不存在", "no such home", field="home_id", value=row.home_id)
        return
    if home.region_id != row.region_id:
        yield Problem(f"资金应登记在 {home.name} 所在地区", f"funds belong to the region of {home.name}", field="region_id", value=row.region_id)
    if home.closed is not None and row.received >= home.closed:
        yield Problem(f"{home.name} 已于 {home.closed} 停用，不能再登记筹款", f"{home.name} closed on {home.closed}", field="received", value=row.received)


def fund_amount(row, ctx):
    # negative amounts are refused by the field's bound (ge=0); zero is not a receipt either
    if row.amount_fen == 0:
        yield Problem("筹款金额必须大于 0", "a fund receipt must be more than 0", field="amount_fen", value=row.amount_fen)


def fund_dates(row, ctx):
    yield from _not_future(ctx, row.received, "received", "到账日期", "the receipt date")


# -- residents -----------------------------------------------------------------------------

def resident_dates(row, ctx):
    yield from _not_future(ctx, row.admitted, "admitted", "纳入供养日期", "the admission date")
    yield from _not_future(ctx, row.discharged, "discharged", "终止供养日期", "the discharge date")
    if row.discharged is not None and row.discharged < row.admitted:
        yield Problem(f"终止供养日期早于纳入供养日期（{row.admitted}）", f"discharged before admission ({row.admitted})",
                      field="discharged", value=row.discharged)
    if row.discharge_reason is not None and row.discharged is None:
        yield Problem("填写了终止原因但没有终止日期", "a discharge reason needs a discharge date", field="discharge_reason", value=row.discharge_reason)


def resident_form(row, ctx):
    if row.support_form == "concentrated" and row.home_id is None:
        yield Problem("集中供养须指明供养机构（五保之家/敬老院）", "centralised support needs the home", field="home_id", value=None)
    if row.support_form == "dispersed" and row.home_id is not None:
        yield Problem("分散供养不应填写供养机构", "support at home has no home", field="home_id", value=row.home_id)


def resident_home(row, ctx):
    if row.home_id is None:
        return
    home = _home(ctx, row.home_id)
    if home is None:
        yield Problem("五保之家/敬老院不存在", "no such home", field="home_id", value=row.home_id)
        return
    if row.admitted < home.built:
        yield Problem(f"入住日期早于 {home.name} 建成日期（{home.built}）", f"admitted before {home.name} was built ({home.built})",
                      field="admitted", value=row.admitted)
    if home.closed is not None and row.admitted >= home.closed:
        yield Problem(f"{home.name} 已于 {home.closed} 停用", f"{home.name} closed on {home.closed}", field="admitted", value=row.admitted)


def resident_home_area(row, ctx):
    """Warning: a village home normally takes the village's own people; a township home its township's."""
    if row.home_id is None:
        return
    home = _home(ctx, row.home_id)
    region = ctx.region(row.region_id)
    if home is None or region is None:
        return
    if home.region_id not in (region.id, region.township_id, region.county_id):
        where = ctx.region(home.region_id)
        yield Problem(f"供养机构 {home.name} 在 {where.name if where else home.region_id}，不在本村/本乡镇",
                      f"{home.name} is outside the resident's village and township", field="home_id", value=row.home_id)


def _stays(ctx, home_id):
    """Centralised stays in a home, keyed by (id_number, admitted): stored rows, then this batch's."""
    def load():
        stmt = select(Resident.id_number, Resident.admitted, Resident.discharged).where(
            Resident.home_id == home_id, Resident.support_form == "concentrated")
        return {(i, a): (a, d) for i, a, d in ctx.session.execute(stmt)}

    stored = ctx.memo(("elderly.stays", home_id), load)
    batch = ctx.memo(("elderly.batch_stays", home_id), dict)
    return stored, batch


def peak(spans, start, end) -> int:
    """Most of the stays [a, d) (d None: still there) under one roof at once during [start, end)."""
    events = []
    for a, d in spans:
        if (d is not None and d <= start) or (end is not None and a >= end):
            continue
        events.append((max(a, start), 1))
        if d is not None:
            events.append((d, -1))
    events.sort()  # on one day, departures (-1) come before arrivals (+1)
    current = most = 0
    for _, delta in events:
        current += delta
        most = max(most, current)
    return most


def resident_capacity(row, ctx):
    if row.home_id is None or row.support_form != "concentrated":
        return
    home = _home(ctx, row.home_id)
    if home is None:
        return
    stored, batch = _stays(ctx, row.home_id)
    key = (row.id_number, row.admitted)
    others = {**stored, **batch}
    others.pop(key, None)
    batch[key] = (row.admitted, row.discharged)
    if row.discharged is not None and row.discharged == row.admitted:
        return
    most = peak([*others.values(), (row.admitted, row.discharged)], row.admitted, row.discharged)
    if most > home.capacity:
        yield Problem(f"{home.name} 床位 {home.capacity} 张，加上此人同时在住 {most} 人，超出床位",
                      f"{home.name} has {home.capacity} beds; with this resident {most} would live there at once",
                      field="home_id", value=row.home_id)


def _birth(id_number: str) -> date:
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def resident_age(row, ctx):
    age = _age(_birth(row.id_number), row.admitted)
    if row.category == "elderly":
        least = _setting(ctx, "elderly.elderly_min_age", row.region_id)
        if age < least:
            yield Problem(f"老年供养对象纳入时应年满 {least} 周岁（身份证显示 {age} 岁）",
                          f"an elderly recipient must be at least {least} when admitted (the ID number says {age})",
                          field="category", value=row.category)
    elif row.category == "minor":
        limit = _setting(ctx, "elderly.minor_max_age", row.region_id)
        if age >= limit:
            yield Problem(f"未成年供养对象纳入时应未满 {limit} 周岁（身份证显示 {age} 岁）",
                          f"a minor must be under {limit} when admitted (the ID number says {age})",
                          field="category", value=row.category)


# -- activities ------------------------------------------------------------------------------

def activity_date(row, ctx):
    yield from _not_future(ctx, row.held_on, "held_on", "活动日期", "the activity date")


def activity_association(row, ctx):
    if row.association_id is None:
        return
    assoc = ctx.memo(("elderly.association", row.association_id), lambda: ctx.session.get(Association, row.association_id))
    if assoc is None:
        yield Problem("协会不存在", "no such association", field="association_id", value=row.association_id)
    elif assoc.type_key != "elderly" or assoc.region_id != row.region_id:
        yield Problem(f"{assoc.name} 不是本村/社区的老龄人协会", f"{assoc.name} is not this village's elderly association",
                      field="association_id", value=row.association_id)


RULES = (
    Rule(key="elderly.home_dates", label_zh="五保之家日期合理", label_en="Home dates are consistent", table="elderly_home", check_row=home_dates),
    Rule(key="elderly.home_level", label_zh="五保之家登记在村/社区", label_en="Five-guarantee homes belong to villages", table="elderly_home", check_row=home_level),
    Rule(key="elderly.home_association", label_zh="建设协会为老龄人协会", label_en="Home built by an elderly association", table="elderly_home", check_row=home_association),
    Rule(key="elderly.fund_home", label_zh="筹款对应已登记的五保之家", label_en="Funds belong to a registered home", table="elderly_home_fund", check_row=fund_home),
    Rule(key="elderly.fund_amount", label_zh="筹款金额为正", label_en="Fund amounts are positive", table="elderly_home_fund", check_row=fund_amount),
    Rule(key="elderly.fund_dates", label_zh="到账日期不晚于今天", label_en="Funds are not dated in the future", table="elderly_home_fund", check_row=fund_dates),
    Rule(key="elderly.resident_dates", label_zh="供养起止日期合理", label_en="Admission and discharge dates are consistent", table="elderly_resident", check_row=resident_dates),
    Rule(key="elderly.resident_form", label_zh="集中供养须有机构", label_en="Centralised support has a home", table="elderly_resident", check_row=resident_form),
    Rule(key="elderly.resident_home", label_zh="入住时机构已建成", label_en="The home exists when the resident moves in", table="elderly_resident", check_row=resident_home),
    Rule(key="elderly.resident_capacity", label_zh="入住人数不超床位", label_en="Residents do not exceed the home's beds", table="elderly_resident", check_row=resident_capacity),
    Rule(key="elderly.resident_age", label_zh="供养类别与年龄相符", label_en="Category matches the age", table="elderly_resident", check_row=resident_age),
    Rule(key="elderly.resident_home_area", label_zh="供养机构在本村或本乡镇", label_en="The home is in the resident's village or township",
         table="elderly_resident", check_row=resident_home_area, severity="warning"),
    Rule(key="elderly.activity_date", label_zh="活动日期不晚于今天", label_en="Activities are not dated in the future", table="elderly_activity", check_row=activity_date),
    Rule(key="elderly.activity_association", label_zh="活动属于本村老龄人协会", label_en="Activity of this village's elderly association", table="elderly_activity", check_row=activity_association),
)
