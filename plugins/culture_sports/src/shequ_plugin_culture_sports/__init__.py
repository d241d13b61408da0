"""shequ-sdk plugin: the culture and sports association (文体协会) and its libraries (农家书屋).

Contributes (DOMAIN.md §8):
- the association type ``culture_sports``;
- record tables: libraries, library stocktakes, the loan register and activities;
- indicators ``culture.libraries``, ``culture.library_books``, ``culture.activities``,
  ``culture.participants`` and ``culture.loans``;
- rules: negative holdings, inconsistent loan and library dates, rows pointing at another
  village's library or association, and a warning for libraries below the holdings standard
  (settings ``culture_sports.min_books`` = 1,500 and friends);
- demo data (新尚村社区: 2 libraries, 40,500 books at the end of 2010) and synthetic data.
"""

from __future__ import annotations

from shequ_sdk import AssociationType, RecordTable, hookimpl

from .indicators import INDICATORS
from .models import Activity, Library, LibraryStock, Loan
from .rules import ASSOCIATION_TYPE, RULES, SETTINGS

__all__ = [
    "register_association_types", "register_tables", "register_indicators", "register_rules", "register_settings", "populate",
    "Library", "LibraryStock", "Loan", "Activity",
]


@hookimpl
def register_association_types(register):
    register(AssociationType(
        key=ASSOCIATION_TYPE, name_zh="文体协会", name_en="Culture and sports association",
        description_zh="组织群众文体活动、管理农家书屋的社区社会组织（文体活动类）",
        description_en="A community social organisation that runs cultural and sports activities and the farmhouse library",
        duties_zh=("管理农家书屋/图书室，登记借阅", "组织村晚、秧歌、舞龙、球赛等文体活动", "年度盘点藏书，补充新书"),
        duties_en=("Run the farmhouse library and keep the loan register", "Organise galas, yangge, dragon dances, matches and other activities",
                   "Count the books every year and add new titles"),
    ))


@hookimpl
def register_tables(register):
    # a register, like households: no date field, so a period's template lists every library
    register(RecordTable(model=Library, label_zh="农家书屋/图书室", label_en="Libraries", association_type=ASSOCIATION_TYPE,
                         natural_key=("region_id", "name"),
                         indexes=(("region_id", "established", "closed"),),
                         description_zh="村/社区的农家书屋和图书室及其藏书", description_en="Farmhouse libraries and library rooms with their holdings"))
    register(RecordTable(model=LibraryStock, label_zh="藏书盘点", label_en="Library stocktakes", association_type=ASSOCIATION_TYPE,
                         date_field="stock_date", natural_key=("library_id", "stock_date"),
                         indexes=(("library_id", "stock_date"),),
                         description_zh="书屋按年盘点的藏书、报刊和音像制品", description_en="Yearly counts of books, periodicals and audio-visual items"))
    register(RecordTable(model=Loan, label_zh="图书借阅登记", label_en="Book loans", association_type=ASSOCIATION_TYPE,
                         date_field="lent_on", natural_key=("library_id", "borrower_name", "title", "lent_on"), sensitive=True,
                         indexes=(("region_id", "lent_on"),),
                         description_zh="图书借阅登记簿：借阅人、书名、借还日期", description_en="The loan register: borrower, title, dates"))
    register(RecordTable(model=Activity, label_zh="文体活动", label_en="Cultural and sports activities", association_type=ASSOCIATION_TYPE,
                         date_field="activity_date", natural_key=("region_id", "activity_date", "kind", "place"),
                         indexes=(("region_id", "activity_date"),),
                         description_zh="村晚、秧歌、舞龙、篮球赛等文体活动及参与人次", description_en="Galas, yangge, dragon dances, matches and their participants"))


@hookimpl
def register_indicators(register):
    for indicator in INDICATORS:
        register(indicator)


@hookimpl
def register_rules(register):
    for rule in RULES:
        register(rule)


@hookimpl
def register_settings(register):
    for setting in SETTINGS:
        register(setting)


@hookimpl
def populate(ctx):
    from .generator import populate as run

    run(ctx)


from .migrations import register_migrations  # noqa: E402,F401  schema migrations (shequ migrate)
