"""Configuration: registered defaults, overridden per region (usually per township).

``get(session, key, region)`` looks for an override on the region itself, then on its
township, then on its county, and falls back to the registered default.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from sqlmodel import Session, select

from .errors import NotFoundError
from .models import Region, Setting as SettingRow
from .plugins import registry


def _setting(key: str):
    reg = registry()
    if key not in reg.settings:
        raise NotFoundError(f"未知的配置项 {key!r}", f"unknown setting {key!r}")
    return reg.settings[key]


def get(session: Session, key: str, region: Optional[Region] = None) -> Any:
    """The value of ``key`` for ``region`` (region → township → county → default)."""
    setting = _setting(key)
    chain = []
    if region is not None:
        chain = [region.id, region.township_id, region.county_id]
    for rid in [r for r in chain if r is not None]:
        row = session.exec(select(SettingRow).where(SettingRow.key == key, SettingRow.region_id == rid)).first()
        if row is not None:
            return json.loads(row.value_json)
    row = session.exec(select(SettingRow).where(SettingRow.key == key, SettingRow.region_id.is_(None))).first()
    if row is not None:
        return json.loads(row.value_json)
    return setting.default


def overrides(session: Session, key: str) -> dict[Optional[int], Any]:
    """Every stored override of ``key``: ``{region_id or None: value}``."""
    _setting(key)
    return {r.region_id: json.loads(r.value_json) for r in session.exec(select(SettingRow).where(SettingRow.key == key)).all()}


def resolve_for(session: Session, key: str, regions: list[Region]) -> dict[int, Any]:
    """``{region.id: value}`` for many regions with one query (deadline engines use this)."""
    setting = _setting(key)
    found = overrides(session, key)
    default = found.get(None, setting.default)
    out = {}
    for r in regions:
        for rid in (r.id, r.township_id, r.county_id):
            if rid is not None and rid in found:
                out[r.id] = found[rid]
                break
        else:
            out[r.id] = default
    return out


SETTING_TABLE_KEY = "setting"
SETTING_AUDITED = ("key", "region_id", "value_json")


def setting_audit_values(row: Any) -> dict:
    """The audited view of a setting row (a ``Setting`` or a mapping)."""
    get = row.get if isinstance(row, dict) else (lambda k: getattr(row, k))
    return {k: get(k) for k in SETTING_AUDITED}


def set_value(session: Session, key: str, value: Any, region: Optional[Region] = None, *, actor: Any = None) -> None:
    """Store an override of ``key`` for ``region`` (``None``: for the whole database).

    ``actor`` (an :class:`~shequ_sdk.auth.Actor`, ``None`` for the local user) must be allowed to
    (:func:`shequ_sdk.auth.check_setting_change`); the change is written to the audit log (table
    key ``setting``), which ``shequ verify`` replays against the table.
    """
    from . import audit
    from .auth import check_setting_change

    setting = _setting(key)
    if setting.default is not None and not isinstance(value, type(setting.default)) and not (
        isinstance(setting.default, float) and isinstance(value, int)
    ):
        from .errors import InputError

        raise InputError(
            f"配置项 {key} 的值类型应为 {type(setting.default).__name__}，收到 {value!r}",
            f"setting {key} takes a {type(setting.default).__name__}, got {value!r}",
        )
    check_setting_change(session, actor, key, region)
    rid = region.id if region else None
    cond = SettingRow.region_id == rid if rid is not None else SettingRow.region_id.is_(None)
    row = session.exec(select(SettingRow).where(SettingRow.key == key, cond)).first()
    text = json.dumps(value, ensure_ascii=False)
    if row is None:
        row = SettingRow(key=key, region_id=rid, value_json=text)
        before = None
    else:
        if row.value_json == text:
            return
        before = setting_audit_values(row)
        row.value_json = text
    session.add(row)
    session.flush()
    after = setting_audit_values(row)
    if before is None:
        audit.append(session, actor, "insert", SETTING_TABLE_KEY, row.id, rid, None, after)
    else:
        audit.append(session, actor, "update", SETTING_TABLE_KEY, row.id, rid,
                     {"value_json": before["value_json"]}, {"value_json": after["value_json"]})
    from .plugins import notify_changed

    notify_changed(session, SETTING_TABLE_KEY, None if rid is None else [rid])
