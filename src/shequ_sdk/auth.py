"""Who is acting, and what they may do: roles and their scope.

Every read and write of the SDK takes an *actor* (``Actor`` or ``None``). ``None`` is the local
single-user mode (the demo, a notebook on one's own database, ``shequ serve`` on 127.0.0.1
without users): it may do everything, and the audit log records it as ``local``.

Roles (``ROLES``):

- ``admin``: everything;
- ``township``: reads everything in their township (``region_id`` is the township), approves
  postings, grants period-lock exceptions, writes their township's villages;
- ``village``: the village committee; writes and reads their own village (``region_id``);
- ``reviewer``: the supervision association's reviewer; reads and reviews their own village;
- ``analyst``: reads everything, writes nothing, sensitive fields always masked.

The checks here are the one place that decides; they raise :class:`PermissionDenied` with a
message that names the rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Optional

from sqlalchemy import select
from sqlmodel import Session

from .errors import PermissionDenied
from .models import Region

ROLES: dict[str, tuple[str, str]] = {
    "admin": ("管理员", "administrator"),
    "township": ("乡镇工作人员", "township staff"),
    "village": ("村(居)委会", "village committee"),
    "reviewer": ("民主理财审核员", "supervision reviewer"),
    "analyst": ("分析员", "analyst"),
}
# roles whose scope is one region: the village (village, reviewer) or the township (township)
SCOPED_ROLES = {"township": "township", "village": "village", "reviewer": "village"}
LOCAL_NAME = "local"


@dataclass(frozen=True)
class Actor:
    """A signed-in user as the SDK sees it."""

    username: str
    role: str
    region_id: Optional[int] = None
    display_name: str = ""

    @property
    def name(self) -> str:
        return self.display_name or self.username

    def role_label(self, lang: str = "zh") -> str:
        zh, en = ROLES.get(self.role, (self.role, self.role))
        return zh if lang == "zh" else en


def actor_name(actor: Optional[Actor]) -> str:
    """The name the audit log and error messages give ``actor``."""
    return actor.username if actor is not None else LOCAL_NAME


def _who(actor: Actor) -> tuple[str, str]:
    return (f"用户 {actor.username}（{actor.role_label('zh')}）", f"user {actor.username} ({actor.role_label('en')})")


def scope_ids(session: Session, actor: Optional[Actor]) -> Optional[set[int]]:
    """Region ids ``actor`` may touch: ``None`` for no limit, else the scope region and below."""
    if actor is None or actor.role not in SCOPED_ROLES or actor.region_id is None:
        return None
    rid = actor.region_id
    rows = session.execute(
        select(Region.id).where((Region.id == rid) | (Region.township_id == rid) | (Region.county_id == rid) | (Region.parent_id == rid))
    ).scalars()
    return set(rows) | {rid}


def check_write(session: Session, actor: Optional[Actor], table: Any, rows: Iterable[dict]) -> None:
    """Refuse a batch ``actor`` may not write: a read-only role, or a row outside their scope."""
    if actor is None or actor.role == "admin":
        return
    who_zh, who_en = _who(actor)
    label_zh, label_en = getattr(table, "label_zh", str(table)), getattr(table, "label_en", str(table))
    if actor.role == "analyst":
        raise PermissionDenied(f"{who_zh}只能查询，不能写入{label_zh}（规则：分析员只读）",
                               f"{who_en} may only read, not write {label_en} (rule: analysts are read-only)")
    allowed = scope_ids(session, actor)
    if allowed is None:
        return
    for n, row in enumerate(rows, 1):
        rid = row.get("region_id")
        if rid not in allowed:
            raise PermissionDenied(
                f"{who_zh}不能写入第 {n} 行：记录属于区域 {rid}，不在本人范围（区域 {actor.region_id}）内（规则：只能写本人所属{_scope_word(actor, 'zh')}的记录）",
                f"{who_en} may not write row {n}: the record belongs to region {rid}, outside their scope (region {actor.region_id}) "
                f"(rule: only records of one's own {_scope_word(actor, 'en')})")


def _scope_word(actor: Actor, lang: str) -> str:
    level = SCOPED_ROLES.get(actor.role, "village")
    return {"township": ("乡镇", "township"), "village": ("村/社区", "village")}[level][0 if lang == "zh" else 1]
