"""The star list is configurable per township: a built-in variant (柳林乡 by default, 魏岗镇,
核心价值观, …) or the township's own list; ratings are checked against their village's list."""

import datetime as dt
import json

import pytest

from shequ_sdk import BatchError, InputError, config
from shequ_sdk.regions import find_region
from shequ_plugin_civility import SCHEMES, star_list
from shequ_plugin_civility.models import StarRating

TODAY = dt.date(2011, 3, 31)
WEIGANG = SCHEMES["weigang"].stars


def test_variants_hold_the_listed_stars():
    assert SCHEMES["liulin"].stars[:3] == ("爱国星", "法纪星", "资源星")
    assert "人口星" in WEIGANG and "爱国星" not in WEIGANG
    assert all(len(s.stars) == 10 for k, s in SCHEMES.items() if k != "new_five") and len(SCHEMES["new_five"].stars) == 5
    assert all(len(set(s.stars)) == len(s.stars) for s in SCHEMES.values())


def test_township_chooses_a_variant(county, rating):
    sdk = county["sdk"]
    with sdk.transaction() as s:
        config.set_value(s, "civility.star_scheme", "魏岗镇", find_region(s, "甲乡"))  # by Chinese name
    weigang = rating("甲一村", 0, 10, stars="、".join(WEIGANG))
    sdk.write(StarRating, [weigang, rating("乙社区", 0, 10)], today=TODAY)  # 乙镇 keeps the default list
    with pytest.raises(BatchError) as info:
        sdk.write(StarRating, [rating("甲二村", 0, 10)], today=TODAY)
    p = info.value.problems[0]
    assert (p.field, p.value) == ("stars", "爱国星") and "甲乡选用的魏岗镇星目" in p.message_zh and "weigang" in p.message_en
    with sdk.transaction() as s:
        assert star_list(s, find_region(s, "甲二村")).stars == WEIGANG
        assert star_list(s, find_region(s, "乙社区")).stars == SCHEMES["liulin"].stars


def test_township_gives_its_own_list(county, rating):
    sdk = county["sdk"]
    own = ["爱国星", "守法星", "孝老星", "勤劳星", "卫生星", "好学星", "节俭星", "和睦星", "诚信星", "公益星", "平安星", "绿色星"]
    with sdk.transaction() as s:
        config.set_value(s, "civility.star_scheme", "core_values", find_region(s, "文明县"))
        config.set_value(s, "civility.star_list", own, find_region(s, "乙镇"))
    # twelve stars on 乙镇's list: twelve is allowed there, thirteen is not
    sdk.write(StarRating, [rating("乙社区", 0, 12, stars="、".join(own), tier="gold")], today=TODAY)
    with pytest.raises(BatchError) as info:
        sdk.write(StarRating, [rating("乙社区", 1, 13, stars=None)], today=TODAY)
    assert info.value.problems[0].field == "star_count" and "乙镇自定星目" in info.value.problems[0].message_zh
    # 甲乡 follows the county's choice
    with sdk.transaction() as s:
        assert star_list(s, find_region(s, "甲一村")).stars == SCHEMES["core_values"].stars
    with pytest.raises(BatchError):
        sdk.write(StarRating, [rating("甲一村", 0, 10)], today=TODAY)


def test_village_level_and_same_level_precedence(county):
    sdk = county["sdk"]
    with sdk.transaction() as s:
        config.set_value(s, "civility.star_scheme", "weigang", find_region(s, "甲乡"))
        config.set_value(s, "civility.star_list", ["甲星", "乙星"], find_region(s, "甲乡"))
        config.set_value(s, "civility.star_scheme", "new_five", find_region(s, "甲二村"))
        assert star_list(s, find_region(s, "甲一村")).stars == ("甲星", "乙星")  # own list beats a variant at one level
        assert star_list(s, find_region(s, "甲二村")).stars == SCHEMES["new_five"].stars  # the nearer level wins
        assert star_list(s, None).stars == SCHEMES["liulin"].stars


def test_a_malformed_setting_is_reported_not_crashed(county, rating):
    sdk = county["sdk"]
    with sdk.transaction() as s:
        config.set_value(s, "civility.star_scheme", "某某乡", find_region(s, "甲乡"))
        with pytest.raises(InputError):
            star_list(s, find_region(s, "甲一村"))
    with pytest.raises(BatchError) as info:
        sdk.write(StarRating, [rating("甲一村", 0, 10)], today=TODAY)
    p = info.value.problems[0]
    assert p.rule == "civility.stars_valid" and "星目设置无效" in p.message_zh and "某某乡" in p.message_zh


def test_cli_shows_and_sets_a_township_list(county, rating, cli):
    sdk = county["sdk"]
    sdk.write(StarRating, [rating("甲一村", 0, 10)], today=TODAY)
    code, out, err = cli("civility", "stars", "--db", sdk.url, "--region", "甲乡", "--json")
    assert code == 0, err
    assert json.loads(out)["stars"] == list(SCHEMES["liulin"].stars)
    code, out, err = cli("civility", "stars", "--db", sdk.url, "--region", "甲乡", "--scheme", "weigang", "--json")
    assert code == 0, err
    shown = json.loads(out)
    assert shown["stars"] == list(WEIGANG) and shown["ratings_off_list"] == 1  # the stored 柳林乡 rating no longer fits
    code, out, err = cli("civility", "stars", "--db", sdk.url, "--region", "甲乡", "--own", "甲星、乙星、丙星")
    assert code == 0, err
    assert "甲星、乙星、丙星" in out
    code, out, err = cli("civility", "stars", "--db", sdk.url, "--region", "甲乡", "--own", "甲星,甲星")
    assert code == 2 and "重复" in err
    code, out, err = cli("civility", "stars", "--db", sdk.url, "--region", "甲乡", "--scheme", "nowhere")
    assert code == 2 and "未知的星目方案" in err
    # choosing a variant again replaces the own list at that level
    code, out, err = cli("civility", "stars", "--db", sdk.url, "--region", "甲乡", "--scheme", "liulin", "--json")
    assert code == 0 and json.loads(out)["stars"] == list(SCHEMES["liulin"].stars) and json.loads(out)["ratings_off_list"] == 0
    code, out, err = cli("civility", "schemes", "--json")
    assert code == 0 and {s["key"] for s in json.loads(out)} == set(SCHEMES)
