"""Indicators of the civility plugin, keyed ``civility.*``.

Ratings and awards are made per year, so every indicator supports year periods only
(``period_kinds=("year",)``): a quarter or month of a yearly rating has no meaning, and the
engine leaves these indicators out of quarter and month queries rather than repeat the year's
figure. A rating counts for its ``year``; one revoked on or before the period's last day (or
"now", if earlier) no longer counts as a star household. Counts are per village, so townships
and counties sum their villages, and the ten-star share is recomputed from the sums.
"""

from __future__ import annotations

from sqlalchemy import or_

from shequ_sdk import Indicator

from .models import HouseholdAward, StarRating

YEAR_ONLY = ("year",)


def _in_year(q, column):
    return (column >= q.start.year) & (column <= q.end.year)


def _standing(q):
    day = min(q.end, q.as_of)
    return or_(StarRating.revoked_on.is_(None), StarRating.revoked_on > day)


def ten_star(q):
    # a township's own list may have more than ten stars; ten or more is 十星级
    return q.count(StarRating, _in_year(q, StarRating.year), StarRating.star_count >= 10, _standing(q))


def nine_star(q):
    return q.count(StarRating, _in_year(q, StarRating.year), StarRating.star_count == 9, _standing(q))


def rated(q):
    return q.count_distinct(StarRating, StarRating.household_id, _in_year(q, StarRating.year))


def good_daughters_in_law(q):
    return q.count(HouseholdAward, _in_year(q, HouseholdAward.year), HouseholdAward.award == "good_daughter_in_law")


def family_awards(q):
    return q.count(HouseholdAward, _in_year(q, HouseholdAward.year))


INDICATORS = [
    Indicator(key="civility.households_10_star", label_zh="十星级文明户", label_en="Ten-star civilised households", unit_zh="户",
              unit_en="households", numerator=ten_star, period_kinds=YEAR_ONLY, headline=True,
              description_zh="本年度评为十星（及以上）且未被撤销的户", description_en="Households rated ten stars (or more) for the year, not revoked"),
    Indicator(key="civility.households_9_star", label_zh="九星级文明户", label_en="Nine-star civilised households", unit_zh="户",
              unit_en="households", numerator=nine_star, period_kinds=YEAR_ONLY,
              description_zh="本年度评为九星且未被撤销的户", description_en="Households rated nine stars for the year, not revoked"),
    Indicator(key="civility.rated_households", label_zh="参评户数", label_en="Rated households", unit_zh="户", unit_en="households",
              numerator=rated, period_kinds=YEAR_ONLY,
              description_zh="本年度参加星级评定的户", description_en="Households rated for the year"),
    Indicator(key="civility.ten_star_share", label_zh="十星级户占参评户比例", label_en="Ten-star share of rated households", unit_zh="",
              unit_en="", numerator=ten_star, denominator=rated, value_type="ratio", period_kinds=YEAR_ONLY,
              description_zh="十星级文明户 ÷ 参评户数", description_en="Ten-star households ÷ rated households"),
    Indicator(key="civility.good_daughter_in_law", label_zh="好媳妇", label_en="Good daughters-in-law", unit_zh="人", unit_en="awards",
              numerator=good_daughters_in_law, period_kinds=YEAR_ONLY,
              description_zh="本年度评出的好媳妇（好儿媳）", description_en="Good daughter-in-law awards of the year"),
    Indicator(key="civility.family_awards", label_zh="家庭类表彰", label_en="Family awards", unit_zh="项", unit_en="awards",
              numerator=family_awards, period_kinds=YEAR_ONLY,
              description_zh="好媳妇、好婆婆、好妯娌、最美家庭、五好家庭、文明家庭合计",
              description_en="Good daughter-in-law, mother-in-law and sister-in-law, most beautiful, five-good and civilised family awards"),
]
