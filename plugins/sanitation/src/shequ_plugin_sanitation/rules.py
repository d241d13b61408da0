"""Validation rules for bins and collection runs, and the association's settings.

Row rules run on every write and in ``shequ check``; they stay cheap (one cached lookup per
village per batch) because a county writes about a million collection runs.
"""

from __future__ import annotations

from sqlalchemy import exists, func, select

from shequ_sdk import Association, Household, Problem, Region, Rule, Setting

from .models import CLASS_COLOURS, COLOURS, RUN_CATEGORIES, WASTE_CLASSES, CollectionRun

SETTINGS = (
    Setting(key="sanitation.collection_days_per_week", default=7, label_zh="每周应清运天数", label_en="Collection days due per week",
            description_zh="GB/T 51435-2021 §4.4.4：易腐垃圾每天至少收运 1 次；旧规（村庄整治技术规范）每周 1–2 次。用于清运率的应清运天数",
            description_en="GB/T 51435-2021 §4.4.4: perishable waste at least daily; the older village rule allowed 1–2 times a week. "
                           "Sets the days due in the collection rate"),
)


_HOUSEHOLDS = "sanitation.households"


def _households_in(ctx, region_id) -> set[int]:
    """Household ids of a village, looked up once per village per batch."""
    by_region = ctx.cache.get(_HOUSEHOLDS)
    if by_region is None:
        by_region = ctx.cache[_HOUSEHOLDS] = {}
    ids = by_region.get(region_id)
    if ids is None:
        ids = by_region[region_id] = set(ctx.session.execute(select(Household.id).where(Household.region_id == region_id)).scalars())
    return ids


def _values(row, names):
    """Validated rows are dicts; ``shequ check`` passes stored model instances."""
    return row if isinstance(row, dict) else {n: getattr(row, n) for n in names}


# -- bins ------------------------------------------------------------------------------------

def bin_household(row, ctx):
    r = _values(row, ("household_id", "region_id"))
    if r["household_id"] in _households_in(ctx, r["region_id"]):
        return ()
    household = ctx.session.get(Household, r["household_id"])
    if household is None:
        return [Problem("户不存在", "no such household", field="household_id", value=r["household_id"])]
    other, here = ctx.region(household.region_id), ctx.region(r["region_id"])
    other_name = other.name if other else household.region_id
    here_name = here.name if here else r["region_id"]
    return [Problem(f"户 {household.number} 属于 {other_name}，不是 {here_name} 的住户",
                    f"household {household.number} belongs to {other_name}, not to {here_name}",
                    field="household_id", value=r["household_id"])]


def bin_colour(row, ctx):
    r = _values(row, ("category", "colour"))
    allowed = CLASS_COLOURS[r["category"]]
    if r["colour"] in allowed:
        return ()
    want = "或".join(COLOURS[c][0] for c in allowed)
    return [Problem(f"{WASTE_CLASSES[r['category']][0]}桶应为{want}（GB/T 19095-2019）",
                    f"a {WASTE_CLASSES[r['category']][1]} bin is {' or '.join(allowed)} (GB/T 19095-2019)",
                    field="colour", value=r["colour"])]


def bin_dates(row, ctx):
    r = _values(row, ("issued", "withdrawn"))
    out = []
    if r["issued"] > ctx.today:
        out.append(Problem(f"发放日期不能晚于今天（{ctx.today}）", f"issue date cannot be in the future (today is {ctx.today})",
                           field="issued", value=r["issued"]))
    if r["withdrawn"] is not None and r["withdrawn"] < r["issued"]:
        out.append(Problem(f"收回日期早于发放日期（{r['issued']}）", f"withdrawn before it was issued ({r['issued']})",
                           field="withdrawn", value=r["withdrawn"]))
    return out


# -- collection runs (about a million rows per county: keep these cheap) ------------------------------

def run_not_future(row, ctx):
    r = _values(row, ("run_date",))
    if r["run_date"] <= ctx.today:
        return ()
    return [Problem(f"清运日期不能晚于今天（{ctx.today}）", f"a collection run cannot be dated in the future (today is {ctx.today})",
                    field="run_date", value=r["run_date"])]


def run_households(row, ctx):
    r = _values(row, ("region_id", "households_served"))
    total = len(_households_in(ctx, r["region_id"]))
    if r["households_served"] <= total:
        return ()
    return [Problem(f"收运户数超过本村/社区的户数（{total} 户）", f"more households served than the village has ({total})",
                    field="households_served", value=r["households_served"])]


def run_sorted(row, ctx):
    r = _values(row, ("sorted", "waste_category"))
    mixed = r["waste_category"] == "mixed"
    if r["sorted"] != mixed:
        return ()
    if mixed:
        return [Problem("分类清运须注明垃圾类别（分类垃圾应分类运输，不得混装）",
                        "a sorted run carries one waste class (sorted waste is transported separately, never mixed)",
                        field="waste_category", value=r["waste_category"])]
    return [Problem(f"未分类清运的垃圾类别应为{RUN_CATEGORIES['mixed'][0]}", "an unsorted run carries mixed waste",
                    field="sorted", value=r["sorted"])]


def runs_without_association(session):
    """Warning: runs in a village with no sanitation association are left out of the collection rate."""
    has_association = exists().where(Association.region_id == CollectionRun.region_id, Association.type_key == "sanitation")
    stmt = (
        select(Region.name, CollectionRun.region_id, func.count())
        .join(Region, Region.id == CollectionRun.region_id)
        .where(~has_association)
        .group_by(Region.name, CollectionRun.region_id)
    )
    for name, region_id, n in session.execute(stmt):
        yield Problem(f"{name} 有 {n} 条清运记录但没有登记环卫协会，这些记录不计入清运率",
                      f"{name} has {n} collection runs but no sanitation association; they are left out of the collection rate",
                      field="region_id", value=region_id, table="sanitation_collection_run")


RULES = (
    Rule(key="sanitation.bin_household", label_zh="垃圾桶发给本村住户", label_en="Bins go to the village's own households",
         table="sanitation_bin", check_row=bin_household),
    Rule(key="sanitation.bin_colour", label_zh="桶色符合分类标志", label_en="Bin colour matches the waste class",
         table="sanitation_bin", check_row=bin_colour),
    Rule(key="sanitation.bin_dates", label_zh="发放日期合理", label_en="Bin dates are consistent", table="sanitation_bin", check_row=bin_dates),
    Rule(key="sanitation.run_not_future", label_zh="清运日期不晚于今天", label_en="Runs are not dated in the future",
         table="sanitation_collection_run", check_row=run_not_future),
    Rule(key="sanitation.run_households", label_zh="收运户数不超过总户数", label_en="Households served do not exceed the village's households",
         table="sanitation_collection_run", check_row=run_households),
    Rule(key="sanitation.run_sorted", label_zh="分类清运注明类别", label_en="Sorted runs carry one waste class",
         table="sanitation_collection_run", check_row=run_sorted),
    Rule(key="sanitation.runs_without_association", label_zh="清运村有环卫协会", label_en="Villages with runs have a sanitation association",
         check_db=runs_without_association, severity="warning"),
)
