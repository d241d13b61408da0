"""Regions: create them with their ancestry, and find them by name or code."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Optional

from sqlalchemy import or_
from sqlmodel import Session, select

from .errors import InputError, NotFoundError
from .ids import region_code_problem
from .models import LEVEL_OF_KIND, REGION_KINDS, Region

PARENT_KIND = {"county": None, "township": ("county",), "village": ("township",), "community": ("township",)}


def create_region(
    *,
    session: Session,
    name: str,
    kind: str,
    parent: Optional[Region] = None,
    code: Optional[str] = None,
    kind_label: Optional[str] = None,
    valid_from: Optional[date] = None,
    valid_to: Optional[date] = None,
    synthetic: bool = False,
    lon: Optional[float] = None,
    lat: Optional[float] = None,
    boundary: Optional[str] = None,
    actor=None,
) -> Region:
    """Create a region under ``parent`` with its ancestry columns filled in.

    Only an administrator (or the local user, ``actor=None``) creates regions; the new region is
    written to the audit log (table key ``region``), which ``shequ verify`` replays.
    """
    from .auth import check_region_change

    name = (name or "").strip()
    if not name:
        raise InputError("地区名称不能为空", "a region needs a name")
    check_region_change(actor, name)
    if kind not in REGION_KINDS:
        raise InputError(f"未知的地区层级 {kind!r}（应为 county/township/village/community）", f"unknown region kind {kind!r}")
    allowed = PARENT_KIND[kind]
    if allowed is None and parent is not None:
        raise InputError(f"县级地区 {name} 不能有上级", f"county-level region {name} cannot have a parent")
    if allowed is not None and (parent is None or parent.kind not in allowed):
        raise InputError(f"{REGION_KINDS[kind][0]} {name} 的上级必须是乡镇/县", f"{kind} {name} must sit under a {'/'.join(allowed)}")
    if code is not None:
        code = str(code).strip() or None
    if code:
        problem = region_code_problem(code)
        if problem:
            raise InputError(f"地区 {name} 的区划代码 {code!r} 无效：{problem[0]}", f"region {name}: code {code!r} is invalid: {problem[1]}")
    if valid_from and valid_to and valid_to < valid_from:
        raise InputError(f"地区 {name} 的撤销日期早于生效日期", f"region {name} ends before it starts")
    same_parent = Region.parent_id == parent.id if parent else Region.parent_id.is_(None)
    siblings = session.exec(select(Region).where(Region.name == name, same_parent)).all()
    for other in siblings:
        if _overlaps(other.valid_from, other.valid_to, valid_from, valid_to):
            raise InputError(f"同一上级下已有名为 {name} 的地区", f"a sibling region named {name} already exists")
    region = Region(name=name, kind=kind, kind_label=kind_label, parent_id=parent.id if parent else None, code=code,
                    valid_from=valid_from, valid_to=valid_to, synthetic=synthetic, lon=lon, lat=lat, boundary=boundary)
    session.add(region)
    session.flush()
    if kind == "county":
        region.county_id = region.id
    elif kind == "township":
        region.township_id, region.county_id = region.id, parent.county_id
    else:
        region.township_id, region.county_id = parent.id, parent.county_id
    session.flush()
    from . import audit

    audit.append(session, actor, "insert", REGION_TABLE_KEY, region.id, region.id, None, region_audit_values(region))
    return region


REGION_TABLE_KEY = "region"
GEO_COLUMNS = ("lon", "lat", "boundary")


def set_region_geo(session: Session, region: Region, *, lon: Optional[float], lat: Optional[float],
                   boundary: Optional[str] = None, actor=None) -> bool:
    """Set a region's map position (``lon``/``lat``, WGS 84 degrees) and its GeoJSON ``boundary``.

    Only an administrator (or the local user, ``actor=None``) changes regions; the change is
    written to the audit log as an ``update`` of the columns that changed (none: nothing is
    written, and False is returned).
    """
    from .auth import check_region_change

    check_region_change(actor, region.name)
    for value, low, high, zh, en in ((lon, -180, 180, "经度", "longitude"), (lat, -90, 90, "纬度", "latitude")):
        if value is not None and not (low <= float(value) <= high):
            raise InputError(f"地区 {region.name} 的{zh} {value} 超出范围（{low}～{high}）",
                             f"region {region.name}: {en} {value} is out of range ({low} to {high})")
    after = {"lon": None if lon is None else float(lon), "lat": None if lat is None else float(lat), "boundary": boundary}
    before = {k: getattr(region, k) for k in GEO_COLUMNS}
    changed = [k for k in GEO_COLUMNS if before[k] != after[k]]
    if not changed:
        return False
    for k in changed:
        setattr(region, k, after[k])
    session.add(region)
    session.flush()
    from . import audit

    audit.append(session, actor, "update", REGION_TABLE_KEY, region.id, region.id,
                 {k: before[k] for k in changed}, {k: after[k] for k in changed})
    return True


def region_audit_values(region) -> dict:
    """The audited view of a region row (a ``Region`` or a mapping): every column."""
    get = region.get if isinstance(region, dict) else (lambda k: getattr(region, k))
    return {c.name: get(c.name) for c in Region.__table__.columns}


def _overlaps(a0, a1, b0, b1) -> bool:
    """Whether [a0, a1) and [b0, b1) share a day. ``valid_to`` is the day a region is
    abolished (撤销日期), so it is exclusive — as in ``IndicatorQuery.active_on``."""
    lo = max(a0 or date.min, b0 or date.min)
    hi = min(a1 or date.max, b1 or date.max)
    return lo < hi


def find_region(session: Session, name_or_code: str | int | Region, *, on: Optional[date] = None) -> Region:
    """Find a region by 6/12-digit code, by name, or by ``county/township/village`` path.

    A name shared by several regions is refused with the candidates listed; prefer the code
    or a path such as ``南县/南洲镇/南洲村``.
    """
    if isinstance(name_or_code, Region):
        return name_or_code
    text = str(name_or_code).strip()
    if not text:
        raise InputError("未指定地区", "no region given")
    if text.isdigit() and len(text) in (6, 12):
        found = session.exec(select(Region).where(Region.code == text)).all()
    elif "/" in text:
        parent = None
        for part in text.split("/"):
            cond = Region.parent_id == parent.id if parent else Region.parent_id.is_(None)
            rows = session.exec(select(Region).where(Region.name == part.strip(), cond)).all()
            if not rows:
                found = []
                break
            # same-named siblings are successive versions (a merged village): take the one in force
            in_force = [r for r in rows if (_overlaps(r.valid_from, r.valid_to, on, on + timedelta(days=1)) if on else r.valid_to is None)]
            parent = (in_force or rows)[0]
        else:
            found = [parent]
    else:
        found = session.exec(select(Region).where(Region.name == text)).all()
    if on is not None:
        found = [r for r in found if _overlaps(r.valid_from, r.valid_to, on, on + timedelta(days=1))] or found
    if not found:
        raise NotFoundError(f"找不到地区 {text!r}", f"unknown region {text!r}")
    if len(found) > 1:
        current = [r for r in found if r.valid_to is None]
        if len(current) == 1:
            return current[0]
        paths = ", ".join(region_path(session, r) for r in found)
        raise InputError(f"地区名 {text!r} 不唯一：{paths}；请用代码或完整路径", f"region name {text!r} is ambiguous: {paths}; use the code or full path")
    return found[0]


def region_path(session: Session, region: Region) -> str:
    parts = [region.name]
    parent_id = region.parent_id
    while parent_id:
        parent = session.get(Region, parent_id)
        parts.append(parent.name)
        parent_id = parent.parent_id
    return "/".join(reversed(parts))


def scope_condition(region: Region):
    """A SQL condition selecting ``region`` and every region below it."""
    level = LEVEL_OF_KIND[region.kind]
    if level == "county":
        return Region.county_id == region.id
    if level == "township":
        return Region.township_id == region.id
    return Region.id == region.id


def villages_in(session: Session, region: Region) -> list[Region]:
    """Villages and communities in (or equal to) ``region``, ordered by name."""
    return list(session.exec(
        select(Region).where(scope_condition(region), Region.kind.in_(("village", "community"))).order_by(Region.id)
    ).all())


def children(session: Session, region: Region) -> list[Region]:
    return list(session.exec(select(Region).where(Region.parent_id == region.id).order_by(Region.id)).all())


def level_column(level: str):
    """The ``region`` column that groups rows at ``level`` (village, township or county)."""
    return {"village": Region.id, "township": Region.township_id, "county": Region.county_id}[level]


def any_in_scope(region: Region):
    return or_(Region.id == region.id, scope_condition(region))
