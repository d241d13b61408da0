"""Civility indicators: yearly counts per village that sum to townships and the county, a
ten-star share recomputed from the sums, and revoked ratings leaving the star counts."""

import datetime as dt

from shequ_sdk.plugins import registry
from shequ_plugin_civility.models import HouseholdAward, StarRating

D = dt.date
TODAY = D(2011, 3, 31)
KEYS = ["civility"]


def test_year_only_indicators():
    reg = registry()
    keys = [k for k in reg.indicators if k.startswith("civility.")]
    assert set(keys) >= {"civility.households_10_star", "civility.households_9_star", "civility.rated_households", "civility.good_daughter_in_law"}
    assert all(reg.indicators[k].period_kinds == ("year",) for k in keys)


def test_counts_roll_up_and_share_is_recomputed(county, rating):
    sdk, r, hh = county["sdk"], county["regions"], county["households"]
    sdk.write(StarRating, [
        rating("甲一村", 0, 10), rating("甲一村", 1, 10), rating("甲一村", 2, 9), rating("甲一村", 3, 7),
        rating("甲二村", 0, 10), rating("甲二村", 1, 9), rating("甲二村", 2, 9), rating("甲二村", 3, 9), rating("甲二村", 4, 8), rating("甲二村", 5, 5),
        rating("乙社区", 0, 9),
        rating("甲一村", 0, 9, year=2009, rated_on=D(2009, 12, 10), notice_from=D(2009, 12, 12), notice_to=D(2009, 12, 18), plaque_on=D(2010, 1, 8)),
    ], today=TODAY)
    sdk.write(HouseholdAward, [
        {"region_id": r[v], "household_id": hh[v][i], "person_name": f"媳妇{v}{i}", "award": award, "year": year}
        for v, i, award, year in (("甲一村", 0, "good_daughter_in_law", 2010), ("甲一村", 1, "good_daughter_in_law", 2010),
                                  ("甲二村", 0, "good_daughter_in_law", 2010), ("甲二村", 1, "good_mother_in_law", 2010),
                                  ("乙社区", 0, "good_daughter_in_law", 2009))
    ], today=TODAY)
    v1 = sdk.indicator_values("甲一村", "2010", keys=KEYS)
    v2 = sdk.indicator_values("甲二村", "2010", keys=KEYS)
    v3 = sdk.indicator_values("乙社区", "2010", keys=KEYS)
    assert (v1["civility.households_10_star"], v1["civility.households_9_star"], v1["civility.rated_households"]) == (2, 1, 4)
    assert (v2["civility.households_10_star"], v2["civility.households_9_star"], v2["civility.rated_households"]) == (1, 3, 6)
    assert v1["civility.ten_star_share"] == 0.5 and v2["civility.ten_star_share"] == 1 / 6
    town = sdk.indicator_values("甲乡", "2010", keys=KEYS)
    assert (town["civility.households_10_star"], town["civility.households_9_star"], town["civility.rated_households"]) == (3, 4, 10)
    # 3/10, not the average of 1/2 and 1/6
    assert town["civility.ten_star_share"] == 0.3
    assert town["civility.good_daughter_in_law"] == 3 and town["civility.family_awards"] == 4
    whole = sdk.indicator_values("文明县", "2010", keys=KEYS)
    for key in ("civility.households_10_star", "civility.households_9_star", "civility.rated_households",
                "civility.good_daughter_in_law", "civility.family_awards"):
        assert whole[key] == v1[key] + v2[key] + v3[key], key
    assert whole["civility.ten_star_share"] == 3 / 11
    old = sdk.indicator_values("文明县", "2009", keys=KEYS)
    assert (old["civility.households_10_star"], old["civility.households_9_star"], old["civility.good_daughter_in_law"]) == (0, 1, 1)
    assert sdk.indicator_values("文明县", "2008", keys=KEYS)["civility.ten_star_share"] is None


def test_quarters_and_months_leave_the_yearly_indicators_out(county, rating):
    sdk = county["sdk"]
    sdk.write(StarRating, [rating("甲一村", 0, 10)], today=TODAY)
    assert not any(k.startswith("civility.") for k in sdk.indicator_values("甲一村", "2010Q4"))
    assert not any(k.startswith("civility.") for k in sdk.indicator_values("甲一村", "2010-12"))


def test_revoked_stars_stop_counting(county, rating):
    sdk = county["sdk"]
    sdk.write(StarRating, [rating("甲一村", 0, 10, year=2009, rated_on=D(2009, 12, 10), notice_from=D(2009, 12, 12), notice_to=D(2009, 12, 18),
                                  plaque_on=D(2010, 1, 8), revoked_on=D(2010, 6, 1), revoke_reason="家庭成员违法受到处罚"),
                           rating("甲一村", 1, 10, revoked_on=D(2010, 12, 30), revoke_reason="拒不整改")], today=TODAY)
    y2009 = sdk.indicator_values("甲一村", "2009", keys=KEYS)
    y2010 = sdk.indicator_values("甲一村", "2010", keys=KEYS)
    # revoked after 2009 ended: still a 2009 ten-star household; revoked within 2010: no longer one
    assert y2009["civility.households_10_star"] == 1 and y2010["civility.households_10_star"] == 0
    assert y2010["civility.rated_households"] == 1


def test_rerating_inside_the_ban_is_warned(county, rating):
    sdk = county["sdk"]
    sdk.write(StarRating, [
        rating("甲一村", 0, 9, year=2008, rated_on=D(2008, 12, 10), notice_from=D(2008, 12, 12), notice_to=D(2008, 12, 18),
               plaque_on=D(2009, 1, 8), revoked_on=D(2009, 4, 1), revoke_reason="参与赌博被查处"),
        rating("甲一村", 0, 10),
    ], today=TODAY)
    found = [p for p in sdk.check(today=TODAY) if p.rule == "civility.rerated_after_revocation"]
    assert len(found) == 1 and found[0].value == 2010 and found[0].extra["severity"] == "warning"
