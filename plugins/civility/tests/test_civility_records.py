"""Civility records: ratings and awards the write path accepts, and bad batches it refuses
whole, naming the field and the value (DOMAIN.md §4)."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from shequ_sdk import BatchError
from shequ_sdk.plugins import registry
from shequ_plugin_civility.models import HouseholdAward, StarRating

D = dt.date
TODAY = D(2011, 3, 31)


def count(sdk, model) -> int:
    with sdk.transaction() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def refused(sdk, table, rows, mode="insert"):
    with pytest.raises(BatchError) as info:
        sdk.write(table, rows, today=TODAY, mode=mode)
    return info.value.problems


def test_tables_registered_and_no_association_type():
    reg = registry()
    assert reg.by_plugin("civility").get("association_types") is None
    for key in ("civility_star_rating", "civility_household_award"):
        table = reg.tables[key]
        assert table.label_zh and table.label_en and table.period_field == "year" and table.period_kind == "year"
        assert all(f.label_zh and f.label_en for f in table.fields)
    assert reg.tables["civility_household_award"].field("person_name").sensitive == "name"
    assert reg.settings["civility.star_list"].default[0] == "爱国星" and len(reg.settings["civility.star_list"].default) == 10


def test_valid_ratings_and_awards_with_chinese_labels(county, rating):
    sdk, r, hh = county["sdk"], county["regions"], county["households"]
    sdk.write(StarRating, [rating("甲一村", 0, 10, tier="金星级"), rating("甲一村", 1, 9, tier="silver"), rating("甲一村", 2, 6)], today=TODAY)
    sdk.write(HouseholdAward, [
        {"region_id": r["甲一村"], "household_id": hh["甲一村"][0], "person_name": "李秀兰", "award": "好媳妇", "year": 2010, "awarded_by": "村妇联",
         "level": "村级", "notice_from": D(2010, 5, 3), "notice_to": D(2010, 5, 9)},
        {"region_id": r["甲一村"], "household_id": hh["甲一村"][1], "person_name": "王桂花", "award": "most_beautiful_family", "year": 2010},
    ], today=TODAY)
    with sdk.transaction() as s:
        tiers = sorted(s.execute(select(StarRating.star_count, StarRating.tier)).all())
        awards = sorted(s.execute(select(HouseholdAward.award, HouseholdAward.level)).all(), key=str)
    assert tiers == [(6, None), (9, "silver"), (10, "gold")]
    assert ("good_daughter_in_law", "village") in awards


def test_eleventh_star_is_refused(county, rating):
    sdk = county["sdk"]
    problems = refused(sdk, StarRating, [rating("甲一村", 0, 10), rating("甲一村", 1, 11, stars=None)])
    assert [(p.row, p.field, p.value, p.rule) for p in problems] == [(2, "star_count", 11, "civility.stars_valid")]
    assert "超过本乡镇星目的 10 颗星" in problems[0].message_zh and "only 10" in problems[0].message_en
    assert count(sdk, StarRating) == 0


def test_star_not_on_list_and_repeated_star(county, rating):
    sdk = county["sdk"]
    problems = refused(sdk, StarRating, [
        rating("甲一村", 0, 10, stars="爱国星、法纪星、资源星、安全星、和谐星、致富星、新风星、诚信星、奉献星、孝道星"),
        rating("甲一村", 1, 10, stars="爱国星,法纪星,资源星,安全星,和谐星,致富星,新风星,诚信星,奉献星,爱国星"),
        rating("甲一村", 2, 9, stars="爱国星 法纪星 资源星"),
    ])
    assert [(p.row, p.field, p.value) for p in problems] == [(1, "stars", "孝道星"), (2, "stars", "爱国星"), (3, "star_count", 9)]
    assert "不在本乡镇的星目中" in problems[0].message_zh and "默认星目" in problems[0].message_zh
    assert "重复" in problems[1].message_zh and "2 times" in problems[1].message_en
    assert "所列星项数 3" in problems[2].message_zh
    assert count(sdk, StarRating) == 0


def test_household_rated_twice_in_one_year(county, rating):
    sdk = county["sdk"]
    problems = refused(sdk, StarRating, [rating("甲一村", 0, 10), rating("甲一村", 0, 9)])
    assert [(p.row, p.field, p.rule) for p in problems] == [(2, "household_id", "civility.one_rating_per_year")]
    sdk.write(StarRating, [rating("甲一村", 0, 10)], today=TODAY)
    problems = refused(sdk, StarRating, [rating("甲一村", 1, 8), rating("甲一村", 0, 9)])
    assert [(p.row, p.field, p.value) for p in problems] == [(2, "year", 2010)]
    assert "一年只评一次" in problems[0].message_zh
    assert count(sdk, StarRating) == 1
    # another year is fine, and re-importing the same rows by natural key updates them
    sdk.write(StarRating, [rating("甲一村", 0, 9, year=2009, rated_on=D(2009, 12, 10), notice_from=D(2009, 12, 12),
                                  notice_to=D(2009, 12, 18), plaque_on=D(2010, 1, 8))], today=TODAY)
    result = sdk.write(StarRating, [rating("甲一村", 0, 9, stars="、".join(["爱国星", "法纪星", "资源星", "安全星", "和谐星", "致富星",
                                                                             "新风星", "诚信星", "卫生星"]))], today=TODAY, mode="upsert")
    assert (result.inserted, result.updated) == (0, 1)
    with sdk.transaction() as s:
        assert s.execute(select(StarRating.star_count).where(StarRating.year == 2010)).scalar_one() == 9


def test_rated_household_from_another_village(county, rating):
    sdk, hh = county["sdk"], county["households"]
    problems = refused(sdk, StarRating, [rating("甲一村", 0, 10, household_id=hh["乙社区"][2]), rating("甲一村", 1, 10, household_id=999_999)])
    assert [(p.row, p.field) for p in problems] == [(1, "household_id"), (2, "household_id")]
    assert "乙社区" in problems[0].message_zh and "甲一村" in problems[0].message_zh and "0003" in problems[0].message_zh
    assert "不存在" in problems[1].message_zh
    assert count(sdk, StarRating) == 0


def test_tier_and_dates(county, rating):
    sdk = county["sdk"]
    problems = refused(sdk, StarRating, [
        rating("甲一村", 0, 9, tier="gold"),
        rating("甲一村", 1, 10, notice_from=D(2010, 12, 20), notice_to=D(2010, 12, 15)),
        rating("甲一村", 2, 10, year=2012),
        rating("甲一村", 3, 10, revoked_on=D(2011, 2, 1)),
        rating("甲一村", 4, 10, plaque_on=D(2010, 12, 14)),
    ])
    got = [(p.row, p.field) for p in problems]
    assert (1, "tier") in got and (2, "notice_to") in got and (3, "year") in got and (4, "revoke_reason") in got and (5, "plaque_on") in got
    assert "银星级" in next(p.message_zh for p in problems if p.field == "tier")


def test_award_rules(county):
    sdk, r, hh = county["sdk"], county["regions"], county["households"]
    base = {"region_id": r["甲二村"], "household_id": hh["甲二村"][0], "person_name": "张兰", "award": "good_daughter_in_law", "year": 2010}
    problems = refused(sdk, HouseholdAward, [
        base,
        dict(base),
        dict(base, household_id=hh["甲一村"][0], person_name="刘芳"),
        dict(base, award="好邻居", person_name="陈静"),
        dict(base, year=2012, person_name="周敏"),
    ])
    assert [(p.row, p.field) for p in problems] == [(2, "award"), (3, "household_id"), (4, "award"), (5, "year")]
    assert count(sdk, HouseholdAward) == 0
    sdk.write(HouseholdAward, [base, dict(base, award="civilised_family", person_name="张家")], today=TODAY)
    # a family award goes to a household once a year, whoever represents it
    problems = refused(sdk, HouseholdAward, [dict(base, award="civilised_family", person_name="张父")])
    assert problems[0].field == "award" and "record" in problems[0].message_en
