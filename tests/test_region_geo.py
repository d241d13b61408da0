"""Region positions and boundaries from GeoJSON (``shequ regions import-geo``), on both backends:
points and polygons matched by code or by name + township, audited; a file with an unmatched or
ambiguous feature refused whole, nothing written; the command's one-line errors."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from shequ_sdk import InputError, PermissionDenied, Region
from shequ_sdk.audit import AuditEntry
from shequ_sdk.auth import Actor
from shequ_sdk.regions import create_region


def point(props: dict, lon: float, lat: float) -> dict:
    return {"type": "Feature", "properties": props, "geometry": {"type": "Point", "coordinates": [lon, lat]}}


def square(props: dict, lon: float, lat: float, side: float = 0.02) -> dict:
    ring = [[lon, lat], [lon + side, lat], [lon + side, lat + side], [lon, lat + side], [lon, lat]]
    return {"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": [ring]}}


def collection(*features) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def geo(sdk) -> dict[str, tuple]:
    with sdk.reading() as s:
        return {r.name: (r.lon, r.lat, r.boundary) for r in s.execute(select(Region)).scalars()}


def region_updates(sdk) -> int:
    with sdk.reading() as s:
        return s.execute(select(func.count()).select_from(AuditEntry).where(AuditEntry.table_key == "region",
                                                                            AuditEntry.action == "update")).scalar_one()


def test_points_and_polygons_set_positions_and_boundaries_through_the_audit_log(sdk, places):
    with sdk.transaction() as s:
        places(s)
    doc = collection(point({"name": "东村", "township": "甲镇"}, 112.41, 29.38),
                     square({"code": "430999100201"}, 112.40, 29.30),  # 西村 by its 区划代码
                     point({"区划代码": "430999101000"}, 112.30, 29.12))  # 乙镇, the Chinese property name
    result = sdk.import_geo(doc)
    assert (result.features, result.points, result.boundaries, result.changed) == (3, 2, 1, 3)
    now = geo(sdk)
    assert now["东村"] == (112.41, 29.38, None)
    lon, lat, boundary = now["西村"]
    assert (lon, lat) == pytest.approx((112.41, 29.31))  # the square's centroid
    assert json.loads(boundary)["type"] == "Polygon" and json.loads(boundary)["coordinates"][0][0] == [112.40, 29.30]
    assert now["乙镇"][:2] == (112.30, 29.12)
    assert now["南社区"] == (None, None, None)
    assert region_updates(sdk) == 3  # one audited update per region
    with sdk.reading() as s:
        entry = s.execute(select(AuditEntry).where(AuditEntry.table_key == "region", AuditEntry.action == "update")
                          .order_by(AuditEntry.seq)).scalars().first()
        assert json.loads(entry.old) == {"lon": None, "lat": None} and json.loads(entry.new) == {"lon": 112.41, "lat": 29.38}
    # the same file again changes nothing and logs nothing
    assert sdk.import_geo(doc).changed == 0 and region_updates(sdk) == 3
    # a later point moves the village and keeps the boundary it has
    sdk.import_geo(collection(point({"name": "西村", "township": "甲镇"}, 112.42, 29.32)))
    assert geo(sdk)["西村"] == (112.42, 29.32, boundary)
    # a township by its county (`parent` names a parent of any level)
    sdk.import_geo(collection(point({"name": "甲镇", "parent": "测试县"}, 112.40, 29.35)))
    assert geo(sdk)["甲镇"][:2] == (112.40, 29.35)


def test_shequ_verify_replays_the_imported_positions(sdk, places, cli):
    with sdk.transaction() as s:
        places(s)
    sdk.import_geo(collection(point({"name": "东村", "township": "甲镇"}, 112.41, 29.38), square({"code": "430999100201"}, 112.40, 29.30)))
    sdk.import_geo(collection(point({"name": "东村", "township": "甲镇"}, 112.43, 29.39)))
    code, out, err = cli("verify", "--db", sdk.url)
    assert code == 0, out + err


@pytest.mark.parametrize("feature, zh, en", [
    (point({"name": "无名村", "township": "甲镇"}, 112.4, 29.3), "第 2 个要素（name=无名村, township=甲镇）找不到对应的地区",
     "feature 2 (name=无名村, township=甲镇) matches no region"),
    (point({"name": "东村", "township": "乙镇"}, 112.4, 29.3), "第 2 个要素（name=东村, township=乙镇）找不到对应的地区",
     "feature 2 (name=东村, township=乙镇) matches no region"),
    (point({"code": "430999100299"}, 112.4, 29.3), "第 2 个要素（code=430999100299）找不到对应的地区",
     "feature 2 (code=430999100299) matches no region"),
    (point({"name": "南村"}, 112.4, 29.3), "第 2 个要素（name=南村）对应 2 个地区", "feature 2 (name=南村) matches 2 regions"),
    (point({"township": "甲镇"}, 112.4, 29.3), "第 2 个要素没有 code（区划代码）或 name（名称）属性", "feature 2 has neither a code nor a name"),
    (point({"name": "西村", "township": "甲镇"}, 291.0, 29.3), "第 2 个要素的坐标", "feature 2: coordinates"),
    (point({"name": "东村", "township": "甲镇"}, 112.4, 29.3), "第 1 与第 2 个要素都对应地区 东村", "features 1 and 2 both match region 东村"),
])
def test_a_file_with_one_bad_feature_is_refused_whole(sdk, places, feature, zh, en):
    with sdk.transaction() as s:
        p = places(s)
        create_region(session=s, name="南村", kind="village", parent=p["甲镇"])  # 南村 in both townships: a name alone is ambiguous
        create_region(session=s, name="南村", kind="village", parent=p["乙镇"])
    before = geo(sdk)
    updates = region_updates(sdk)
    with pytest.raises(InputError) as info:
        sdk.import_geo(collection(point({"name": "东村", "township": "甲镇"}, 112.41, 29.38), feature))
    assert zh in info.value.zh and en in info.value.en
    assert geo(sdk) == before and region_updates(sdk) == updates  # nothing written, not even the good first feature


def test_only_an_administrator_imports_positions(sdk, places):
    with sdk.transaction() as s:
        p = places(s)
    staff = sdk.as_user(Actor(username="乡镇干部", role="township", region_id=p["甲镇"].id))
    with pytest.raises(PermissionDenied):
        staff.import_geo(collection(point({"name": "东村", "township": "甲镇"}, 112.41, 29.38)))
    assert geo(sdk)["东村"] == (None, None, None)
    sdk.as_user(Actor(username="管理员", role="admin")).import_geo(collection(point({"name": "东村", "township": "甲镇"}, 112.41, 29.38)))
    assert geo(sdk)["东村"][:2] == (112.41, 29.38)


def test_the_command_imports_or_refuses_in_one_line(sdk, places, cli, tmp_path):
    with sdk.transaction() as s:
        places(s)
    good = tmp_path / "villages.geojson"
    good.write_text(json.dumps(collection(point({"name": "东村", "township": "甲镇"}, 112.41, 29.38),
                                          square({"name": "西村", "township": "甲镇"}, 112.40, 29.30)), ensure_ascii=False), encoding="utf-8")
    code, out, err = cli("regions", "import-geo", str(good), "--db", sdk.url)
    assert code == 0, err
    assert "已导入 2 个要素（点 1 个，边界 1 个）" in out and "imported 2 features" in out

    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps(collection(point({"name": "东村", "township": "甲镇"}, 1, 1), point({"name": "北村", "township": "甲镇"}, 112.4, 29.3)),
                              ensure_ascii=False), encoding="utf-8")
    code, out, err = cli("regions", "import-geo", str(bad), "--db", sdk.url)
    assert code == 2
    assert err.strip().count("\n") == 0 and "Traceback" not in err
    assert "第 2 个要素（name=北村, township=甲镇）找不到对应的地区" in err and "feature 2 (name=北村, township=甲镇) matches no region" in err
    assert geo(sdk)["东村"][:2] == (112.41, 29.38)  # the refused file moved nothing

    broken = tmp_path / "broken.geojson"
    broken.write_text("{not json", encoding="utf-8")
    code, out, err = cli("regions", "import-geo", str(broken), "--db", sdk.url)
    assert code == 2 and err.strip().count("\n") == 0 and "不是有效的 GeoJSON" in err
