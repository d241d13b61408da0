"""References between records stay inside one village.

A column declared with ``foreign_key="<table>.id"`` where ``<table>`` is a registered record table
(households, residents, associations, a plugin's own tables) is a *reference*. The record it points
to must belong to the row's own region, or to a region on the same line of the hierarchy (the
row's township or county — a township's home or association — or, for a township row, one of its
villages). Two villages never refer to each other's records, whoever writes: the write path
refuses such a batch (rule ``core.references``), refuses moving a record to another village while
records of its old village still refer to it, and ``shequ check`` reports stored violations.

Everything here is set-based: one query per reference column and chunk of ids (one range query
when the ids are dense), never one per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable, Optional

from sqlalchemy import select
from sqlmodel import Session

from .errors import Problem
from .fields import FieldInfo
from .models import Region
from .registry import RecordTable

RULE = "core.references"
CHUNK = 500


@dataclass(frozen=True)
class Reference:
    """``table.field`` refers to records of ``target``."""

    table: RecordTable
    field: FieldInfo
    target: RecordTable


def _registered() -> dict[str, RecordTable]:
    from .plugins import registry

    return registry().tables


def references_of(rt: RecordTable) -> list[Reference]:
    """The reference columns of ``rt``, found from its foreign keys (no per-table list)."""
    return list(_references_of(rt.model, tuple(sorted(_registered()))))


@lru_cache(maxsize=None)
def _references_of(model, _tables: tuple) -> tuple[Reference, ...]:
    tables = _registered()
    rt = next((t for t in tables.values() if t.model is model), None)
    if rt is None:
        return ()
    out = []
    for info in rt.fields:
        if not info.foreign_key or info.name == "region_id":
            continue
        target_key, _, column = info.foreign_key.partition(".")
        target = tables.get(target_key)
        if target is None or column != "id" or "region_id" not in target.model.__table__.c:
            continue
        out.append(Reference(rt, info, target))
    return tuple(out)


def referrers_of(rt: RecordTable) -> list[Reference]:
    """Every reference column of any registered table that points at ``rt``."""
    return [ref for other in _registered().values() for ref in references_of(other) if ref.target.key == rt.key]


class Lines:
    """Regions' places in the hierarchy (id, township, county) and names, loaded per batch as needed."""

    def __init__(self, session: Session):
        self.session = session
        self.rows: dict[int, tuple[Optional[int], Optional[int], str]] = {}

    def load(self, ids: Iterable[int]) -> None:
        missing = [i for i in set(ids) if i is not None and i not in self.rows]
        for i in range(0, len(missing), CHUNK):
            for r in self.session.execute(select(Region.id, Region.township_id, Region.county_id, Region.name)
                                          .where(Region.id.in_(missing[i:i + CHUNK]))):
                self.rows[r.id] = (r.township_id, r.county_id, r.name)

    def ancestors(self, rid: int) -> set[int]:
        row = self.rows.get(rid)
        return {a for a in (row[0], row[1]) if a is not None and a != rid} if row else set()

    def related(self, a: int, b: int) -> bool:
        """Whether ``a`` and ``b`` are the same region or one lies within the other."""
        if a == b:
            return True
        self.load((a, b))
        return a in self.ancestors(b) or b in self.ancestors(a)

    def name(self, rid: Optional[int]) -> str:
        self.load((rid,))
        row = self.rows.get(rid)
        return row[2] if row else f"#{rid}"


def stored_regions(session: Session, rt: RecordTable, ids: Iterable[Any], other_than: Optional[int] = None) -> dict[int, int]:
    """``{id: region_id}`` of the stored records of ``rt`` among ``ids`` — only those outside
    region ``other_than`` when it is given (a batch of one village asks for the exceptions only)."""
    tbl = rt.model.__table__
    wanted = {i for i in ids if type(i) is int}
    out: dict[int, int] = {}
    if not wanted:
        return out
    lo, hi = min(wanted), max(wanted)
    elsewhere = (tbl.c.region_id != other_than,) if other_than is not None else ()
    if hi - lo < 2 * len(wanted) + CHUNK:  # dense ids (a batch of one village's records): one range query
        stmt = select(tbl.c.id, tbl.c.region_id).where(tbl.c.id >= lo, tbl.c.id <= hi, *elsewhere)
        return {i: r for i, r in session.execute(stmt) if i in wanted}
    ordered = sorted(wanted)
    for k in range(0, len(ordered), CHUNK):
        stmt = select(tbl.c.id, tbl.c.region_id).where(tbl.c.id.in_(ordered[k:k + CHUNK]), *elsewhere)
        out.update({i: r for i, r in session.execute(stmt)})
    return out


def _problem(lines: Lines, ref: Reference, value: Any, row_region: int, ref_region: int, *, row: Optional[int],
             table: Optional[str] = None) -> Problem:
    f, target = ref.field, ref.target
    here, there = lines.name(row_region), lines.name(ref_region)
    return Problem(
        f"{f.label_zh}（{f.name}）引用的{target.label_zh} #{value} 属于 {there}，而本行属于 {here}："
        f"引用的记录必须属于本行所在的村/社区（规则：引用不跨村/社区）",
        f"{f.label_en} ({f.name}) refers to {target.label_en} #{value} of {there}, but the row belongs to {here}: "
        f"a referenced record must belong to the row's own village (rule: references stay within one village)",
        row=row, field=f.name, value=value, table=table or ref.table.key, rule=RULE,
        extra={"region": here, "referenced_region": there})


def check_rows(session: Session, rt: RecordTable, rows: list, start_row: int = 1) -> list[Problem]:
    """Problems of validated ``rows`` of ``rt`` whose references point into another village.

    A reference to a record that does not exist is left to the database's foreign key."""
    refs = references_of(rt)
    if not refs or not rows:
        return []
    problems: list[Problem] = []
    lines: Optional[Lines] = None
    batch_regions = {r["region_id"] for r in rows}
    only = next(iter(batch_regions)) if len(batch_regions) == 1 else None
    for ref in refs:
        name = ref.field.name
        values = [r.get(name) for r in rows]
        wanted = set(values)
        wanted.discard(None)
        if not wanted:
            continue
        # a batch of one village (the usual case) fetches only the referenced records elsewhere
        regions = stored_regions(session, ref.target, wanted, other_than=only)
        if not regions:
            continue
        get = regions.get
        for i, (row, v) in enumerate(zip(rows, values)):
            if v is None:
                continue
            there = get(v)
            if there is None or there == row["region_id"]:
                continue
            lines = lines or Lines(session)
            if not lines.related(row["region_id"], there):
                problems.append(_problem(lines, ref, v, row["region_id"], there, row=start_row + i))
    return problems


def check_moves(session: Session, rt: RecordTable, moved: dict[int, int]) -> list[Problem]:
    """Problems when records of ``rt`` move region (``{id: new region}``) while records left in an
    unrelated region still refer to them."""
    if not moved:
        return []
    problems: list[Problem] = []
    lines = Lines(session)
    ids = sorted(moved)
    for ref in referrers_of(rt):
        tbl = ref.table.model.__table__
        col = tbl.c[ref.field.name]
        for k in range(0, len(ids), CHUNK):
            for rid, region, target in session.execute(select(tbl.c.id, tbl.c.region_id, col).where(col.in_(ids[k:k + CHUNK]))
                                                       .order_by(tbl.c.id)):
                new = moved[target]
                if region != new and not lines.related(region, new):
                    where, to = lines.name(region), lines.name(new)
                    problems.append(Problem(
                        f"{rt.label_zh} #{target} 不能移到 {to}：{ref.table.label_zh} #{rid}（{where}）的{ref.field.label_zh}引用它"
                        f"（规则：引用不跨村/社区；先修改或删除引用它的记录）",
                        f"{rt.label_en} #{target} cannot move to {to}: {ref.table.label_en} #{rid} ({where}) refers to it in "
                        f"{ref.field.label_en} (rule: references stay within one village; change those records first)",
                        field="region_id", value=to, table=rt.key, rule=RULE, extra={"record": target, "referrer": (ref.table.key, rid)}))
                    if len(problems) >= 50:
                        return problems
    return problems


def stored_violations(session: Session) -> list[Problem]:
    """Every stored record whose reference points into another village (``shequ check``)."""
    problems: list[Problem] = []
    lines = Lines(session)
    for rt in _registered().values():
        for ref in references_of(rt):
            child, parent = rt.model.__table__, ref.target.model.__table__.alias("referenced")
            col = child.c[ref.field.name]
            stmt = (select(child.c.id, child.c.region_id, col, parent.c.region_id.label("there"))
                    .join(parent, parent.c.id == col).where(child.c.region_id != parent.c.region_id).order_by(child.c.id))
            for rid, here, value, there in session.execute(stmt):
                if not lines.related(here, there):
                    problems.append(_problem(lines, ref, value, here, there, row=rid))
    return problems
