"""Regions on both backends: creation with ancestry, sibling uniqueness, lookup by name, code
and path, ambiguous names, and effective dates that keep a merged village's history."""

from datetime import date

import pytest
from sqlalchemy import func, select

from shequ_sdk import Household, InputError, NotFoundError, Region
from shequ_sdk.regions import children, create_region, find_region, region_path, villages_in


def test_create_fills_in_ancestry(sdk, places):
    with sdk.transaction() as s:
        p = places(s)
    county, t1, t2 = p["测试县"], p["甲镇"], p["乙镇"]
    assert (county.county_id, county.township_id, county.parent_id) == (county.id, None, None)
    assert (t1.parent_id, t1.township_id, t1.county_id) == (county.id, t1.id, county.id)
    east = p["东村"]
    assert (east.parent_id, east.township_id, east.county_id, east.level) == (t1.id, t1.id, county.id, "village")
    assert p["南社区"].level == "village" and p["南社区"].kind == "community"
    with sdk.transaction() as s:
        assert [r.name for r in villages_in(s, county)] == ["东村", "西村", "南社区"]
        assert [r.name for r in villages_in(s, t1)] == ["东村", "西村"]
        assert [r.name for r in children(s, county)] == ["甲镇", "乙镇"]
        assert region_path(s, east) == "测试县/甲镇/东村"


@pytest.mark.parametrize(
    "kwargs, zh, en",
    [
        (dict(name="孤村", kind="village"), "上级必须是", "must sit under"),
        (dict(name="孤村", kind="village", parent="测试县"), "上级必须是", "must sit under"),
        (dict(name="新县", kind="county", parent="测试县"), "不能有上级", "cannot have a parent"),
        (dict(name="某地", kind="hamlet"), "未知的地区层级", "unknown region kind"),
        (dict(name="  ", kind="county"), "名称不能为空", "needs a name"),
        (dict(name="坏码村", kind="village", parent="甲镇", code="4309991002"), "区划代码", "6 or 12 digits"),
        (dict(name="倒置村", kind="village", parent="甲镇", valid_from=date(2012, 1, 1), valid_to=date(2011, 1, 1)), "撤销日期早于生效日期", "ends before it starts"),
    ],
)
def test_create_refuses_bad_regions(sdk, places, kwargs, zh, en):
    kwargs = dict(kwargs)  # the parameter is shared by both backends' runs
    with sdk.transaction() as s:
        p = places(s)
        if "parent" in kwargs:
            kwargs["parent"] = p[kwargs["parent"]]
        with pytest.raises(InputError) as exc:
            create_region(session=s, **kwargs)
    assert zh in exc.value.zh and en in exc.value.en


def test_sibling_names_are_unique_but_cousins_may_share(sdk, places):
    with sdk.transaction() as s:
        p = places(s)
        with pytest.raises(InputError) as exc:
            create_region(session=s, name="东村", kind="village", parent=p["甲镇"])
        assert "同一上级下已有名为 东村" in exc.value.zh and "sibling region named 东村" in exc.value.en
        create_region(session=s, name="东村", kind="village", parent=p["乙镇"])
    with sdk.transaction() as s:
        assert s.execute(select(func.count()).where(Region.name == "东村")).scalar() == 2


def test_lookup_by_name_code_path_and_region(sdk, places):
    with sdk.transaction() as s:
        p = places(s)
        east = p["东村"]
        assert find_region(s, "东村").id == east.id
        assert find_region(s, " 东村 ").id == east.id
        assert find_region(s, "430999100200").id == east.id
        assert find_region(s, "430999").id == p["测试县"].id
        assert find_region(s, "测试县/甲镇/东村").id == east.id
        assert find_region(s, "测试县/乙镇").id == p["乙镇"].id
        assert find_region(s, east) is east
    # and through the public object, as the CLI does
    assert sdk.region("南社区").code == "430999101001"
    assert sdk.region("测试县/乙镇/南社区").name == "南社区"
    assert [v.name for v in sdk.villages("甲镇")] == ["东村", "西村"]


@pytest.mark.parametrize("query", ["北村", "999999", "430999100299", "测试县/丙镇/东村", "测试县/甲镇/北村"])
def test_unknown_regions(sdk, places, query):
    with sdk.transaction() as s:
        places(s)
        with pytest.raises(NotFoundError) as exc:
            find_region(s, query)
    assert "找不到地区" in exc.value.zh and "unknown region" in exc.value.en and query in str(exc.value)


def test_empty_region_name(sdk):
    with sdk.transaction() as s, pytest.raises(InputError) as exc:
        find_region(s, "  ")
    assert "未指定地区" in exc.value.zh and "no region given" in exc.value.en


def test_ambiguous_name_lists_the_candidates(sdk, places):
    with sdk.transaction() as s:
        p = places(s)
        create_region(session=s, name="同名村", kind="village", parent=p["甲镇"])
        create_region(session=s, name="同名村", kind="village", parent=p["乙镇"])
        with pytest.raises(InputError) as exc:
            find_region(s, "同名村")
        assert not isinstance(exc.value, NotFoundError)
        for text in (exc.value.zh, exc.value.en):
            assert "测试县/甲镇/同名村" in text and "测试县/乙镇/同名村" in text
        assert "不唯一" in exc.value.zh and "ambiguous" in exc.value.en
        # the full path resolves it
        assert find_region(s, "测试县/乙镇/同名村").parent_id == p["乙镇"].id


def test_merged_village_keeps_its_history(sdk, places):
    """前进村 and 红星村 merge on 2012-07-01 into a new 前进村. ``valid_to`` is the day a
    region is abolished (exclusive). The old rows stay, with their households; lookups and the
    village count follow the effective dates."""
    merge = date(2012, 7, 1)
    with sdk.transaction() as s:
        p = places(s)
        t1 = p["甲镇"]
        old = create_region(session=s, name="前进村", kind="village", parent=t1, valid_to=merge)
        red = create_region(session=s, name="红星村", kind="village", parent=t1, valid_to=merge)
        # the same name again is fine from the day the old one ends, not while it is in force
        with pytest.raises(InputError):
            create_region(session=s, name="前进村", kind="village", parent=t1, valid_from=date(2012, 6, 30))
        new = create_region(session=s, name="前进村", kind="village", parent=t1, valid_from=merge)
        old_id, red_id, new_id = old.id, red.id, new.id
    sdk.write(Household, [{"region_id": old_id, "number": "0001", "head_name": "王伟"},
                          {"region_id": red_id, "number": "0001", "head_name": "李娜"},
                          {"region_id": new_id, "number": "0001", "head_name": "王伟"}])
    with sdk.transaction() as s:
        assert find_region(s, "前进村").id == new_id  # today: the one in force
        assert find_region(s, "测试县/甲镇/前进村").id == new_id
        assert find_region(s, "前进村", on=date(2011, 5, 1)).id == old_id
        assert find_region(s, "前进村", on=date(2012, 6, 30)).id == old_id
        assert find_region(s, "前进村", on=merge).id == new_id
        assert find_region(s, "测试县/甲镇/红星村").id == red_id
        # history kept: the old villages and their households are still there
        assert s.execute(select(func.count()).select_from(Household).where(Household.region_id.in_([old_id, red_id]))).scalar() == 2
    keys = ["core.villages"]
    assert sdk.indicator_values("甲镇", "2011", keys=keys)["core.villages"] == 4  # 东村 西村 前进村(old) 红星村
    assert sdk.indicator_values("甲镇", "2012-06", keys=keys)["core.villages"] == 4
    assert sdk.indicator_values("甲镇", "2012Q3", keys=keys)["core.villages"] == 3  # 东村 西村 前进村(new)
    assert sdk.indicator_values("甲镇", "2013", keys=keys)["core.villages"] == 3
    assert sdk.indicator_values("测试县", "2011", keys=keys)["core.villages"] == 5


def test_the_regions_frame_is_built_once_for_the_same_rows_and_anew_when_they_change(sdk, places, monkeypatch):
    """Every page of a server opens with the regions: the frame built from the same rows is
    reused (a copy each time), and any change to the rows — a region added, or renamed by
    another process behind the SDK's back — gives a new frame at once."""
    from sqlalchemy import text

    from shequ_sdk import frames

    with sdk.transaction() as s:
        p = places(s)
    built = []
    real = frames._regions_frame
    monkeypatch.setattr(frames, "_regions_frame", lambda *a, **k: built.append(1) or real(*a, **k))
    first = sdk.regions_frame()
    first.loc[0, "name"] = "改过的副本"  # the caller's copy: the next caller does not see this
    second = sdk.regions_frame()
    assert len(built) == 1 and "改过的副本" not in set(second["name"]) and second.attrs["labels"] == first.attrs["labels"]
    with sdk.transaction() as s:
        create_region(session=s, name="北村", kind="village", parent=s.get(Region, p["乙镇"].id))
    assert "北村" in set(sdk.regions_frame()["name"]) and len(built) == 2
    with sdk.engine.begin() as conn:  # another process renames a village without the SDK
        conn.execute(text("UPDATE region SET name = '东庄村' WHERE name = '东村'"))
    names = set(sdk.regions_frame()["name"])
    assert "东庄村" in names and "东村" not in names and len(built) == 3
    assert set(sdk.regions_frame(lang="en")["name"]) == names and len(built) == 4  # another language, another frame
