"""Validation rules and settings of the culture and sports plugin.

Row rules look other rows up through ``ctx.memo`` so a batch of thousands of loans costs one
query per library or village, not one per row.
"""

from __future__ import annotations

from operator import itemgetter

from sqlalchemy import select

from shequ_sdk import Association, Household, Problem, Rule, Setting, config
from shequ_sdk.plugins import registry

from .models import Library

ASSOCIATION_TYPE = "culture_sports"

# §8.1: the later provincial standard (河南, 济南, 重庆, 山东): ≥1,500 books across ≥500 titles,
# ≥30 periodicals, ≥100 audio-visual items. Local standards differ, hence settings.
STANDARD = {
    "books": ("culture_sports.min_books", 1500, "藏书(册)", "books"),
    "titles": ("culture_sports.min_titles", 500, "图书品种(种)", "titles"),
    "periodicals": ("culture_sports.min_periodicals", 30, "报刊(种)", "periodicals"),
    "av_items": ("culture_sports.min_av_items", 100, "音像制品(种)", "audio-visual items"),
}

SETTINGS = [
    Setting(key="culture_sports.min_books", default=1500, label_zh="书屋最低藏书(册)", label_en="Minimum books per library",
            description_zh="低于此数的书屋在校验中提示（省级标准多为 1500 册）", description_en="Libraries below this are flagged (provincial standards: 1,500)"),
    Setting(key="culture_sports.min_titles", default=500, label_zh="书屋最低图书品种(种)", label_en="Minimum titles per library",
            description_zh="河南等地标准为 500 种", description_en="500 titles in Henan and elsewhere"),
    Setting(key="culture_sports.min_periodicals", default=30, label_zh="书屋最低报刊(种)", label_en="Minimum periodicals per library",
            description_zh="2007 年农家书屋工程标准为 30 种", description_en="30 in the 2007 farmhouse-library programme"),
    Setting(key="culture_sports.min_av_items", default=100, label_zh="书屋最低音像制品(种)", label_en="Minimum audio-visual items per library",
            description_zh="2007 年农家书屋工程标准为 100 种", description_en="100 in the 2007 farmhouse-library programme"),
]


def setting_for(ctx, key: str, region_id: int):
    """A setting's value for a region (region → township → county → database → default),
    reading the overrides once per batch."""
    return ctx.setting(key, region_id)


_MISSING = object()


def _library(ctx, library_id: int):
    """``(region_id, name, established)`` of a library, or ``None``; one query per library and batch."""
    libraries = ctx.cache.setdefault("culture_sports.libraries", {})
    found = libraries.get(library_id, _MISSING)
    if found is _MISSING:
        c = Library.__table__.c
        found = libraries[library_id] = ctx.session.execute(select(c.region_id, c.name, c.established).where(c.id == library_id)).first()
    return found


def _households_of(ctx, region_id: int) -> set[int]:
    """The village's household ids, one query per village and batch."""
    per_region = ctx.cache.setdefault("culture_sports.households", {})
    found = per_region.get(region_id)
    if found is None:
        c = Household.__table__.c
        found = per_region[region_id] = set(ctx.session.execute(select(c.id).where(c.region_id == region_id)).scalars())
    return found


def _name(ctx, region_id: int) -> str:
    region = ctx.region(region_id)
    return region.name if region is not None else str(region_id)


# -- libraries ------------------------------------------------------------------------------

def library_counts_not_negative(row, ctx):
    for column, (_, _, zh, en) in STANDARD.items():
        value = getattr(row, column)
        if value is not None and value < 0:
            yield Problem(f"书屋「{row.name}」的{zh}不能为负数", f"library {row.name!r}: {en} cannot be negative", field=column, value=value)


def library_dates(row, ctx):
    if row.established and row.established > ctx.today:
        yield Problem(f"书屋「{row.name}」的建成日期晚于今天", f"library {row.name!r} is established in the future",
                      field="established", value=row.established)
    if row.established and row.closed and row.closed < row.established:
        yield Problem(f"书屋「{row.name}」的停办日期早于建成日期", f"library {row.name!r} closed before it was established",
                      field="closed", value=row.closed)


def association_problems(row, ctx, what_zh: str, what_en: str):
    """The association named on a row must be a culture and sports association of the row's village."""
    if row.association_id is None:
        return
    found = ctx.memo(("culture_sports.association", row.association_id), lambda: ctx.session.execute(
        select(Association.region_id, Association.type_key).where(Association.id == row.association_id)).first())
    if found is None:
        yield Problem(f"{what_zh}所属的协会不存在", f"{what_en}: no such association", field="association_id", value=row.association_id)
    elif found.type_key != ASSOCIATION_TYPE:
        yield Problem(f"{what_zh}所属的协会不是文体协会（类型为 {found.type_key}）",
                      f"{what_en}: the association is not a culture and sports association (type {found.type_key})",
                      field="association_id", value=row.association_id)
    elif found.region_id != row.region_id:
        yield Problem(f"{what_zh}所属的协会在{_name(ctx, found.region_id)}，不在{_name(ctx, row.region_id)}",
                      f"{what_en}: the association belongs to {_name(ctx, found.region_id)}, not {_name(ctx, row.region_id)}",
                      field="association_id", value=row.association_id)


def library_association(row, ctx):
    yield from association_problems(row, ctx, f"书屋「{row.name}」", f"library {row.name!r}")


def library_standard(row, ctx):
    """A warning per holding below the configured standard (open libraries only)."""
    if row.closed is not None and row.closed <= ctx.today:
        return
    for column, (key, _, zh, en) in STANDARD.items():
        value = getattr(row, column)
        minimum = setting_for(ctx, key, row.region_id)
        if value is not None and minimum and value < minimum:
            yield Problem(f"书屋「{row.name}」的{zh}为 {value}，低于标准 {minimum}",
                          f"library {row.name!r} has {value} {en}, below the standard of {minimum}", field=column, value=value)


# -- stocktakes -------------------------------------------------------------------------------

def stock_counts_not_negative(row, ctx):
    lib = _library(ctx, row.library_id)
    name = lib.name if lib else str(row.library_id)
    for column, (_, _, zh, en) in STANDARD.items():
        value = getattr(row, column)
        if value is not None and value < 0:
            yield Problem(f"书屋「{name}」{row.stock_date} 盘点的{zh}不能为负数",
                          f"library {name!r}, stocktake of {row.stock_date}: {en} cannot be negative", field=column, value=value)


def stock_library(row, ctx):
    lib = _library(ctx, row.library_id)
    if lib is None:
        yield Problem("盘点所指的书屋不存在", "the stocktake's library does not exist", field="library_id", value=row.library_id)
        return
    if lib.region_id != row.region_id:
        yield Problem(f"书屋「{lib.name}」属于{_name(ctx, lib.region_id)}，盘点却登记在{_name(ctx, row.region_id)}",
                      f"library {lib.name!r} belongs to {_name(ctx, lib.region_id)}, the stocktake to {_name(ctx, row.region_id)}",
                      field="library_id", value=row.library_id)
    if row.stock_date > ctx.today:
        yield Problem(f"书屋「{lib.name}」的盘点日期晚于今天", f"library {lib.name!r}: stocktake dated in the future",
                      field="stock_date", value=row.stock_date)
    if lib.established and row.stock_date < lib.established:
        yield Problem(f"书屋「{lib.name}」的盘点日期早于建成日期 {lib.established}",
                      f"library {lib.name!r}: stocktake before the library was established ({lib.established})",
                      field="stock_date", value=row.stock_date)


# -- loans and activities --------------------------------------------------------------------
#
# These run on every row of large loan registers and of the generator: each reads its columns
# in one step (validated rows are dicts; ``shequ check`` passes ORM rows) and returns at once
# when nothing is wrong.

def _getter(*names):
    get = itemgetter(*names)

    def read(row):
        return get(row) if isinstance(row, dict) else tuple(getattr(row, n) for n in names)

    return read


_LOAN_DATES = _getter("lent_on", "due_on", "returned_on")


def loan_dates(row, ctx):
    lent, due, returned = _LOAN_DATES(row)
    today = ctx.today
    if lent <= today and (due is None or due >= lent) and (returned is None or lent <= returned <= today):
        return ()
    out = []
    if returned is not None and returned < lent:
        out.append(Problem(f"《{row.title}》的归还日期早于借出日期 {lent}", f"{row.title!r} was returned before it was lent ({lent})",
                           field="returned_on", value=returned))
    if due is not None and due < lent:
        out.append(Problem(f"《{row.title}》的应还日期早于借出日期 {lent}", f"{row.title!r} is due before it was lent ({lent})",
                           field="due_on", value=due))
    if lent > today:
        out.append(Problem(f"《{row.title}》的借出日期晚于今天", f"{row.title!r} is lent in the future", field="lent_on", value=lent))
    if returned is not None and returned > today:
        out.append(Problem(f"《{row.title}》的归还日期晚于今天", f"{row.title!r} is returned in the future", field="returned_on", value=returned))
    return out


_LOAN_PLACE = _getter("library_id", "region_id", "household_id")


def loan_library(row, ctx):
    library_id, region_id, household_id = _LOAN_PLACE(row)
    lib = _library(ctx, library_id)
    out = []
    if lib is None:
        out.append(Problem("借阅所指的书屋不存在", "the loan's library does not exist", field="library_id", value=library_id))
    elif lib.region_id != region_id:
        out.append(Problem(f"书屋「{lib.name}」属于{_name(ctx, lib.region_id)}，借阅却登记在{_name(ctx, region_id)}",
                           f"library {lib.name!r} belongs to {_name(ctx, lib.region_id)}, the loan to {_name(ctx, region_id)}",
                           field="library_id", value=library_id))
    if household_id is not None and household_id not in _households_of(ctx, region_id):
        out.append(Problem(f"借阅人所在户不是{_name(ctx, region_id)}的住户", f"the borrower's household is not in {_name(ctx, region_id)}",
                           field="household_id", value=household_id))
    return out


def activity_date(row, ctx):
    day = row["activity_date"] if isinstance(row, dict) else row.activity_date
    if day <= ctx.today:
        return ()
    return [Problem("活动日期晚于今天（只登记已举办的活动）", "activity dated in the future (record activities once held)",
                    field="activity_date", value=day)]


def activity_association(row, ctx):
    if (row["association_id"] if isinstance(row, dict) else row.association_id) is None:
        return ()
    return list(association_problems(row, ctx, f"{row.activity_date} 的活动", f"activity of {row.activity_date}"))


RULES = [
    Rule(key="culture_sports.library_counts_not_negative", label_zh="书屋藏书数量不为负", label_en="Library holdings are not negative",
         table="culture_sports_library", check_row=library_counts_not_negative),
    Rule(key="culture_sports.library_dates", label_zh="书屋日期合理", label_en="Library dates are consistent",
         table="culture_sports_library", check_row=library_dates),
    Rule(key="culture_sports.library_association", label_zh="书屋属于本村文体协会", label_en="Library belongs to the village's association",
         table="culture_sports_library", check_row=library_association),
    Rule(key="culture_sports.library_standard", label_zh="书屋达到配置标准", label_en="Library meets the holdings standard",
         table="culture_sports_library", check_row=library_standard, severity="warning"),
    Rule(key="culture_sports.stock_counts_not_negative", label_zh="盘点数量不为负", label_en="Stocktake counts are not negative",
         table="culture_sports_library_stock", check_row=stock_counts_not_negative),
    Rule(key="culture_sports.stock_library", label_zh="盘点对应本村书屋", label_en="Stocktake belongs to a library of the village",
         table="culture_sports_library_stock", check_row=stock_library),
    Rule(key="culture_sports.loan_dates", label_zh="借还日期合理", label_en="Loan dates are consistent",
         table="culture_sports_loan", check_row=loan_dates),
    Rule(key="culture_sports.loan_library", label_zh="借阅对应本村书屋", label_en="Loan belongs to a library of the village",
         table="culture_sports_loan", check_row=loan_library),
    Rule(key="culture_sports.activity_date", label_zh="活动日期不晚于今天", label_en="Activity not in the future",
         table="culture_sports_activity", check_row=activity_date),
    Rule(key="culture_sports.activity_association", label_zh="活动主办方为本村文体协会", label_en="Activity run by the village's association",
         table="culture_sports_activity", check_row=activity_association),
]
