"""Region positions and boundaries from GeoJSON (``shequ regions import-geo``).

Each feature is matched to one existing region, by its ``code`` property (区划代码) or by its
``name`` and the name of the township it lies in (``township``; ``parent`` names any parent
region). A ``Point`` sets the region's ``lon``/``lat``; a ``Polygon`` or ``MultiPolygon`` sets its
``boundary`` (the geometry as GeoJSON) and ``lon``/``lat`` from the polygon's centroid.

The whole file is refused — nothing written — when any feature matches no region or more than
one, names two regions at once or two features the same region, or has a geometry the map
cannot use: a position filed under the wrong village is worse than none. Every change goes
through :func:`shequ_sdk.regions.set_region_geo` (administrators only, audited).

Pure Python (no pandas, no GIS library): the command line imports it at once.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from sqlmodel import Session, select

from .errors import InputError
from .models import Region

CODE_KEYS = ("code", "区划代码")
NAME_KEYS = ("name", "名称")
TOWNSHIP_KEYS = ("township", "乡镇")
PARENT_KEYS = ("parent", "上级")


@dataclass
class GeoChange:
    """What one feature does: the region it names and the values it sets."""

    number: int  # the feature's place in the file, from 1
    region_id: int
    name: str
    lon: float
    lat: float
    boundary: Optional[str]  # None: a point (the stored boundary is kept)


@dataclass
class GeoImport:
    """What :func:`import_geojson` did."""

    features: int = 0
    points: int = 0
    boundaries: int = 0
    changed: int = 0  # regions whose values changed (the others already held them)
    changes: list[GeoChange] = field(default_factory=list)


def load_geojson(source) -> dict:
    """A GeoJSON document from a path, JSON text or an already parsed mapping."""
    if isinstance(source, dict):
        return source
    if isinstance(source, Path) or (isinstance(source, str) and not source.lstrip().startswith("{")):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise InputError(f"找不到文件 {path}", f"no such file: {path}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"无法读取文件 {path}：{exc}", f"cannot read {path}: {exc}") from None
    else:
        text, path = source, None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"{path} " if path else ""
        raise InputError(f"{where}不是有效的 GeoJSON（第 {exc.lineno} 行：{exc.msg}）",
                         f"{where}is not valid GeoJSON (line {exc.lineno}: {exc.msg})") from None


def features_of(doc: Any) -> list[dict]:
    """The features of a FeatureCollection (or of a single Feature)."""
    if isinstance(doc, dict) and doc.get("type") == "FeatureCollection" and isinstance(doc.get("features"), list):
        return doc["features"]
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        return [doc]
    raise InputError("GeoJSON 应为 FeatureCollection（要素集合）", "the GeoJSON must be a FeatureCollection")


# -- geometry ---------------------------------------------------------------------------------------

def _point(value, number: int) -> tuple[float, float]:
    if (not isinstance(value, (list, tuple)) or len(value) < 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value[:2])):
        raise InputError(f"第 {number} 个要素的坐标 {value!r} 无效", f"feature {number}: invalid coordinates {value!r}")
    lon, lat = float(value[0]), float(value[1])
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise InputError(f"第 {number} 个要素的坐标 {value!r} 超出经纬度范围（应为 WGS 84 经度、纬度）",
                         f"feature {number}: coordinates {value!r} are out of range (expected WGS 84 longitude, latitude)")
    return lon, lat


def _ring(value, number: int) -> list[tuple[float, float]]:
    if not isinstance(value, list) or len(value) < 4:
        raise InputError(f"第 {number} 个要素的多边形环少于 4 个点", f"feature {number}: a polygon ring has fewer than 4 positions")
    return [_point(p, number) for p in value]


def _ring_moments(ring: list[tuple[float, float]]) -> tuple[float, float, float]:
    """Signed area and the first moments (shoelace formula) of a closed ring."""
    a = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1]):
        cross = x0 * y1 - x1 * y0
        a += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    return a / 2, cx / 6, cy / 6


def _polygons(geometry: dict, number: int) -> list[list[list[tuple[float, float]]]]:
    coords = geometry.get("coordinates")
    if geometry["type"] == "Polygon":
        coords = [coords]
    if not isinstance(coords, list) or not coords or not all(isinstance(p, list) and p for p in coords):
        raise InputError(f"第 {number} 个要素的多边形坐标无效", f"feature {number}: invalid polygon coordinates")
    return [[_ring(r, number) for r in polygon] for polygon in coords]


def centroid(polygons: list[list[list[tuple[float, float]]]]) -> tuple[float, float]:
    """The area centroid of polygons given as rings (the first of each the outer ring, the rest
    holes), in the plane of longitude and latitude — close enough for a county map."""
    area = mx = my = 0.0
    for rings in polygons:
        for i, ring in enumerate(rings):
            a, x, y = _ring_moments(ring)
            if (a < 0) == (i == 0):  # outer rings add and holes subtract, whichever way they wind
                a, x, y = -a, -x, -y
            area += a
            mx += x
            my += y
    if abs(area) < 1e-15:  # degenerate: the mean of the outer rings' positions
        points = [p for rings in polygons for p in rings[0][:-1] or rings[0]]
        return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)
    return mx / area, my / area


def read_geometry(feature: dict, number: int) -> tuple[float, float, Optional[str]]:
    """``(lon, lat, boundary GeoJSON text or None)`` from a feature's geometry."""
    geometry = feature.get("geometry")
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind == "Point":
        lon, lat = _point(geometry.get("coordinates"), number)
        return lon, lat, None
    if kind in ("Polygon", "MultiPolygon"):
        polygons = _polygons(geometry, number)
        lon, lat = centroid(polygons)
        coordinates = polygons[0] if kind == "Polygon" else polygons
        text = json.dumps({"type": kind, "coordinates": coordinates}, ensure_ascii=False, separators=(",", ":"))
        return round(lon, 6), round(lat, 6), text
    raise InputError(f"第 {number} 个要素的几何类型 {kind!r} 不可用（应为 Point、Polygon 或 MultiPolygon）",
                     f"feature {number}: geometry type {kind!r} cannot be used (expected Point, Polygon or MultiPolygon)")


def boundary_polygons(boundary: Optional[str]) -> list[list[list[tuple[float, float]]]]:
    """A stored boundary as polygons of rings (``[]`` when there is none or it cannot be read)."""
    if not boundary:
        return []
    try:
        geometry = json.loads(boundary)
        return _polygons(geometry, 0) if geometry.get("type") in ("Polygon", "MultiPolygon") else []
    except (ValueError, AttributeError, InputError):
        return []


# -- matching ---------------------------------------------------------------------------------------

def _prop(props: dict, keys: tuple[str, ...]) -> Optional[str]:
    for k in keys:
        v = props.get(k)
        if v is not None and str(v).strip():
            return str(v).strip()
    return None


def match_region(session: Session, props: dict, number: int, readable: Optional[set[int]] = None) -> Region:
    """The one region a feature's properties name; InputError naming the feature, the property
    and its value when none or several match."""
    code = _prop(props, CODE_KEYS)
    name = _prop(props, NAME_KEYS)
    township = _prop(props, TOWNSHIP_KEYS)
    parent = _prop(props, PARENT_KEYS)
    if code:
        prop_zh = prop_en = f"code={code}"
        found = list(session.exec(select(Region).where(Region.code == code)).all())
    elif name:
        found = list(session.exec(select(Region).where(Region.name == name)).all())
        prop_zh = prop_en = f"name={name}"
        above = township or parent
        if above:
            key = "township" if township else "parent"
            prop_zh = prop_en = f"name={name}, {key}={above}"
            parents = {r.id: r for r in session.exec(select(Region).where(Region.id.in_({r.parent_id for r in found if r.parent_id}))).all()}
            found = [r for r in found if r.parent_id in parents and parents[r.parent_id].name == above
                     and (not township or parents[r.parent_id].kind == "township")]
    else:
        raise InputError(f"第 {number} 个要素没有 code（区划代码）或 name（名称）属性，无法对应到地区",
                         f"feature {number} has neither a code nor a name property: it matches no region")
    if readable is not None:
        found = [r for r in found if r.id in readable]
    current = [r for r in found if r.valid_to is None]
    if len(found) > 1 and len(current) >= 1:
        found = current  # earlier versions of a merged or renamed village are history, not a match
    if not found:
        raise InputError(f"第 {number} 个要素（{prop_zh}）找不到对应的地区；整个文件未导入",
                         f"feature {number} ({prop_en}) matches no region; nothing was imported")
    if len(found) > 1:
        hint_zh = "请加上 township（所属乡镇）属性或改用 code" if not code else "请检查区划代码"
        hint_en = "add a township property or use the code" if not code else "check the region codes"
        raise InputError(f"第 {number} 个要素（{prop_zh}）对应 {len(found)} 个地区，{hint_zh}；整个文件未导入",
                         f"feature {number} ({prop_en}) matches {len(found)} regions ({hint_en}); nothing was imported")
    return found[0]


def plan(session: Session, doc: Any, readable: Optional[set[int]] = None) -> list[GeoChange]:
    """Every feature matched and read, or InputError for the first that cannot be; writes nothing."""
    out: list[GeoChange] = []
    seen: dict[int, int] = {}
    for number, feature in enumerate(features_of(doc), start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise InputError(f"第 {number} 个要素不是 GeoJSON Feature", f"feature {number} is not a GeoJSON Feature")
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            raise InputError(f"第 {number} 个要素的 properties 无效", f"feature {number}: invalid properties")
        region = match_region(session, props, number, readable)
        if region.id in seen:
            raise InputError(f"第 {seen[region.id]} 与第 {number} 个要素都对应地区 {region.name}；整个文件未导入",
                             f"features {seen[region.id]} and {number} both match region {region.name}; nothing was imported")
        seen[region.id] = number
        lon, lat, boundary = read_geometry(feature, number)
        out.append(GeoChange(number=number, region_id=region.id, name=region.name, lon=lon, lat=lat, boundary=boundary))
    if not out:
        raise InputError("GeoJSON 中没有要素", "the GeoJSON has no features")
    return out


def import_geojson(session: Session, source, *, actor=None) -> GeoImport:
    """Match every feature of ``source`` (a path, JSON text or a parsed mapping) to a region and
    set its position and boundary, in ``session`` (the caller's transaction). Refuses the whole
    file, before writing anything, if any feature cannot be matched or read."""
    from .auth import check_region_change, readable_region_ids
    from .regions import set_region_geo

    doc = load_geojson(source)
    check_region_change(actor, "（GeoJSON）")
    changes = plan(session, doc, readable_region_ids(session, actor))
    result = GeoImport(features=len(changes), changes=changes)
    for c in changes:
        region = session.get(Region, c.region_id)
        boundary = c.boundary if c.boundary is not None else region.boundary
        if set_region_geo(session, region, lon=c.lon, lat=c.lat, boundary=boundary, actor=actor):
            result.changed += 1
        if c.boundary is None:
            result.points += 1
        else:
            result.boundaries += 1
    return result
