"""shequ-sdk plugin: star-rated civilised households (十星级文明户) and household awards
(好媳妇 / 好婆婆 / 好妯娌 / 最美家庭 / 五好家庭 / 文明家庭), DOMAIN.md §4.

Not an association: the village committee (村两委) rates households and the women's federation
(妇联) runs the awards, so this plugin adds no association type. Honours of a village itself
(文明村) live in the core ``honour`` table.

Contributes:
- record tables ``civility_star_rating`` (one row per household and year) and
  ``civility_household_award``;
- the star list per township: settings ``civility.star_scheme`` (a built-in variant) and
  ``civility.star_list`` (a township's own list; default 柳林乡), see :mod:`.stars`;
- indicators ``civility.households_10_star``, ``civility.households_9_star``,
  ``civility.rated_households``, ``civility.ten_star_share``, ``civility.good_daughter_in_law``
  and ``civility.family_awards`` — yearly only;
- rules: stars off the township's list, a star twice, more stars than the list has, a household
  rated twice in a year, households of another village, inconsistent dates and tiers;
- the ``shequ civility stars`` command to show or choose a township's star list;
- demo data (南洲村 2010: 120 ten-star, 180 nine-star households, 22 好媳妇) and synthetic data.
"""

from __future__ import annotations

from shequ_sdk import RecordTable, hookimpl

from .indicators import INDICATORS
from .models import HouseholdAward, StarRating
from .rules import RULES, SETTINGS
from .stars import SCHEMES, star_list

__all__ = [
    "register_tables", "register_indicators", "register_rules", "register_settings", "register_commands", "populate",
    "StarRating", "HouseholdAward", "SCHEMES", "star_list",
]


@hookimpl
def register_tables(register):
    register(RecordTable(model=StarRating, label_zh="星级文明户评定", label_en="Star ratings of households",
                         period_field="year", period_kind="year", natural_key=("household_id", "year"),
                         indexes=(("region_id", "year", "star_count"),),
                         description_zh="每户每年一条：所得星项、星数、档次、公示与挂牌",
                         description_en="One row per household and year: stars earned, count, tier, public notice and plaque"))
    register(RecordTable(model=HouseholdAward, label_zh="家庭类表彰", label_en="Household awards",
                         period_field="year", period_kind="year", natural_key=("household_id", "award", "year", "person_name"),
                         indexes=(("region_id", "year", "award"),),
                         description_zh="好媳妇、好婆婆、好妯娌、最美家庭、五好家庭、文明家庭",
                         description_en="Good daughter-in-law, mother-in-law and sister-in-law; most beautiful, five-good and civilised families"))


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
def register_commands(cli):
    from .commands import civility_app

    cli.add_typer(civility_app, name="civility")


@hookimpl
def populate(ctx):
    from .generator import populate as run

    run(ctx)


from .views import register_views  # noqa: E402,F401  dashboard views
from .migrations import register_migrations  # noqa: E402,F401  schema migrations (shequ migrate)
