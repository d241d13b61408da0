"""Replay the audit log against the tables: every audited record's state, rebuilt from its
entries, must be what the table holds.

The chain (:func:`shequ_sdk.audit.verify_chain`) proves the log was not changed; this proves the
tables were not changed behind the log's back. For each audited table (every registered record
table that is not ``derived``, the period-lock exceptions and the requests for them, and the users through
:func:`shequ_sdk.auth.user_audit_values`) the entries of each record are applied in ``seq`` order:

- ``insert`` (or a first entry without ``old``, such as ``lock.exception`` granting one) sets
  the whole row; a ``delete`` removes it;
- every other entry with ``new`` (``update``, ``posting.publish``, ``lock.exception`` revoking,
  …) sets the columns it names, after checking that its ``old`` values are what the replay
  holds (an edit made outside the SDK and then changed again through it shows up there);
- a ``bulk_insert`` entry covers the id range ``first_id``–``last_id`` without values: those rows
  are checked by recomputing the batch's ``rows_digest`` from the rows now stored, with the later
  per-row updates undone through their ``old`` values.

Then the rebuilt state is compared with the row: a row deleted, a column edited, a row no entry
explains, a status set back, a fingerprint recomputed — each is named with the entry that says
otherwise. The log and each table are read once, in id order and in chunks (``ORDER BY
record_id, seq`` walks the ``ix_audit_log_record`` index), so memory stays flat on a generated
county; a bulk batch's columns are spooled to temporary files while its digest is recomputed.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import json
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Iterator, Optional

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlmodel import Session

from .audit import AuditEntry, canonical
from .errors import Problem

RULE = "core.audit_replay"
CHUNK_ROWS = 5000  # table rows per fetch
MAX_PROBLEMS = 1000  # problems kept (all are counted)

Progress = Callable[[int], None]  # called with the number of rows (or entries) just checked


# -- what is audited -------------------------------------------------------------------------------

@dataclass
class Target:
    """One audited table: the log's ``table_key`` for it, the table, and how a row is compared."""

    key: str
    table: sa.Table
    label_zh: str
    label_en: str
    columns: list[str]  # the values the log holds for a record (for users: the audited view)
    view: Optional[Callable[[dict], dict]] = None  # stored row → the values the log holds (users)
    labels: dict[str, tuple[str, str]] = field(default_factory=dict)
    sensitive: dict[str, str] = field(default_factory=dict)  # column → mask kind, for messages
    bulk: bool = False  # may have bulk_insert batches (record tables)
    before_auditing: bool = False  # rows older than the first audited insert are a notice (users)


def targets() -> list[Target]:
    """The audited tables: record tables (not derived), period-lock exceptions and requests, users, settings, regions."""
    from .auth import USER_AUDITED, USER_TABLE_KEY, user_audit_values
    from .config import SETTING_AUDITED, SETTING_TABLE_KEY
    from .locks import ExceptionRequest, PeriodException
    from .models import Region, Setting, User
    from .regions import REGION_TABLE_KEY
    from .plugins import registry

    out = []
    for rt in registry().tables.values():
        if rt.derived:
            continue
        infos = {f.name: f for f in rt.fields}
        out.append(Target(
            key=rt.key, table=rt.model.__table__, label_zh=rt.label_zh, label_en=rt.label_en,
            columns=[c.name for c in rt.model.__table__.columns],
            labels={n: (f.label_zh, f.label_en) for n, f in infos.items()},
            sensitive={n: f.sensitive for n, f in infos.items() if f.sensitive}, bulk=True))
    out.append(Target(key=PeriodException.__tablename__, table=PeriodException.__table__, label_zh="期间锁定例外",
                      label_en="Period-lock exceptions", columns=[c.name for c in PeriodException.__table__.columns]))
    out.append(Target(key=ExceptionRequest.__tablename__, table=ExceptionRequest.__table__, label_zh="例外申请",
                      label_en="Exception requests", columns=[c.name for c in ExceptionRequest.__table__.columns]))
    out.append(Target(key=USER_TABLE_KEY, table=User.__table__, label_zh="用户", label_en="Users", columns=list(USER_AUDITED),
                      view=user_audit_values, before_auditing=True))
    out.append(Target(key=SETTING_TABLE_KEY, table=Setting.__table__, label_zh="配置项", label_en="Settings",
                      columns=list(SETTING_AUDITED), before_auditing=True))
    out.append(Target(key=REGION_TABLE_KEY, table=Region.__table__, label_zh="地区", label_en="Regions",
                      columns=[c.name for c in Region.__table__.columns], before_auditing=True))
    return out


# -- comparing values -------------------------------------------------------------------------------

def _as_datetime(v):
    if isinstance(v, str):
        v = dt.datetime.fromisoformat(v)
    if isinstance(v, dt.datetime) and v.tzinfo is not None:
        v = v.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return v


def _as_date(v):
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, str):
        return dt.date.fromisoformat(v[:10])
    return v


def _as_decimal(v):
    return v if isinstance(v, Decimal) else Decimal(str(v))


def _normaliser(coltype) -> Callable[[Any], Any]:
    """How a column's value is compared: the logged JSON (dates as text) and the stored value
    become the same Python value."""
    if isinstance(coltype, sa.types.TypeDecorator):  # e.g. SQLModel's aware UTC datetimes: compare as what they store
        coltype = coltype.impl_instance
    if isinstance(coltype, sa.DateTime):
        return _as_datetime
    if isinstance(coltype, sa.Date):
        return _as_date
    if isinstance(coltype, sa.Boolean):
        return bool
    if isinstance(coltype, sa.Integer):
        return int
    if isinstance(coltype, sa.Float):
        return float
    if isinstance(coltype, sa.Numeric):
        return _as_decimal
    return lambda v: v


def _same(norm, logged, stored) -> bool:
    if logged is None or stored is None:
        return logged is None and stored is None
    try:
        return norm(logged) == norm(stored)
    except (TypeError, ValueError, InvalidOperation):
        return canonical(logged) == canonical(stored)


# -- one record ---------------------------------------------------------------------------------

@dataclass
class _State:
    """A record as its entries leave it."""

    exists: bool = False
    values: dict = field(default_factory=dict)  # column → (value, seq of the entry that set it)
    origin: Optional[int] = None  # seq of the insert (or the bulk batch)
    last: Optional[int] = None  # seq of the last entry
    deleted: Optional[int] = None  # seq of the delete, when the last entry deleted it
    drift: list = field(default_factory=list)  # (seq, column, replayed value, old value the entry saw)


def _replay(entries: list, columns: set, batch_seq: Optional[int], norms: dict) -> _State:
    st = _State()
    if batch_seq is not None:
        st.exists, st.origin = True, batch_seq
    for seq, action, old, new in entries:
        old = json.loads(old) if old is not None else None
        new = json.loads(new) if new is not None else None
        st.last = seq
        if action == "delete" or (new is None and isinstance(old, dict)):
            st.exists, st.values, st.deleted = False, {}, seq
            continue
        st.deleted = None
        if not isinstance(new, dict):
            continue
        if action == "insert" or (old is None and not st.exists):
            st.exists, st.origin = True, seq
            st.values = {c: (v, seq) for c, v in new.items() if c in columns}
            continue
        if isinstance(old, dict):
            for c, v in old.items():
                if c in st.values and not _same(norms.get(c, _ident), st.values[c][0], v):
                    st.drift.append((seq, c, st.values[c], v))
        st.exists = True
        for c, v in new.items():
            if c in columns:
                st.values[c] = (v, seq)
    return st


def _ident(v):
    return v


# -- bulk batches --------------------------------------------------------------------------------

@dataclass
class _Batch:
    """A ``bulk_insert`` entry and its digest being recomputed from the rows now stored."""

    seq: int
    first: int
    last: int
    rows: int
    sha256: str
    columns: list[str]
    count: int = 0
    files: dict = field(default_factory=dict)

    def feed(self, names: list[str], rows: list, overrides: dict[int, dict]) -> None:
        """Add stored rows of this batch (in id order); ``overrides``: row index → values the
        later updates replaced (their ``old``), restored for the digest."""
        if not rows:
            return
        for c in self.columns + ["__id__"]:
            i = names.index("id") if c == "__id__" else (names.index(c) if c in names else None)
            vals = [r[i] for r in rows] if i is not None else [None] * len(rows)
            if c != "__id__":
                for j, o in overrides.items():
                    if c in o:
                        vals[j] = o[c]
            f = self.files.get(c)
            if f is None:
                f = self.files[c] = tempfile.SpooledTemporaryFile(max_size=4 << 20)
            elif self.count:
                f.write(b",")
            f.write(canonical(vals)[1:-1].encode("utf-8"))
        self.count += len(rows)

    def matches(self) -> bool:
        """The digest over the rows fed, with the ``id`` column as the batch gave it: absent (the
        database numbered the rows) or explicit (the ids themselves)."""
        if self.count != self.rows:
            return False
        for ids_given in (False, True):
            h = hashlib.sha256()
            for c in sorted(self.columns):
                h.update(canonical(c).encode("utf-8"))
                h.update(b"\x1e[")
                if c == "id" and not ids_given:
                    h.update(",".join(["null"] * self.count).encode())
                else:
                    f = self.files[c if c != "id" else "__id__"]
                    f.seek(0)
                    while block := f.read(1 << 20):
                        h.update(block)
                h.update(b"]\x1e")
            if h.hexdigest() == self.sha256:
                return True
        return False

    def close(self) -> None:
        for f in self.files.values():
            f.close()
        self.files.clear()


# -- the report ------------------------------------------------------------------------------------

@dataclass
class ReplayReport:
    """What :func:`replay` found: records checked, problems (differences), notices (not failures)."""

    records: int = 0
    tables: int = 0
    batches: int = 0
    problems: list[Problem] = field(default_factory=list)
    notices: list[Problem] = field(default_factory=list)
    total: int = 0  # problems found, including those beyond MAX_PROBLEMS

    def add(self, p: Problem) -> None:
        self.total += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(p)


def _show(t: Target, column: str, value) -> str:
    if value is None:
        return "null"
    kind = t.sensitive.get(column)
    if kind:
        from .ids import mask

        value = mask(value, kind)
    text = value if isinstance(value, str) else canonical(value)
    return text if len(text) <= 80 else text[:77] + "…"


def _problem(t: Target, rid, kind: str, zh: str, en: str, column: Optional[str] = None, **extra) -> Problem:
    return Problem(f"{t.label_zh}记录 #{rid}：{zh}", f"{t.label_en} record #{rid}: {en}", table=t.key, rule=RULE,
                   extra={"kind": kind, "table_key": t.key, "record_id": rid, "column": column, **extra})


def _col(t: Target, c: str) -> tuple[str, str]:
    zh, en = t.labels.get(c, (c, c))
    return (f"{zh}（{c}）" if zh != c else c, f"{en} ({c})" if en != c else c)


def _difference(t: Target, rid, c: str, logged, seq: int, stored) -> Problem:
    a, b = _show(t, c, logged), _show(t, c, stored)
    extra = {"logged": a, "stored": b, "seq": seq}
    if c == "fingerprint":
        return _problem(t, rid, "fingerprint", f"指纹与审计日志第 {seq} 条记下的不符：日志 {a[:12]}，表中 {b[:12]}（公开后内容被改动并重新计算了指纹）",
                        f"fingerprint differs from the one entry seq {seq} logged: log {a[:12]}, table {b[:12]} "
                        f"(the content was edited after publication and the fingerprint recomputed)", c, **extra)
    if c == "status":
        return _problem(t, rid, "status", f"状态被改动：审计日志第 {seq} 条为 {a}，表中为 {b}（在 SDK 之外改回或改动）",
                        f"status set back outside the SDK: entry seq {seq} left it {a}, the table has {b}", c, **extra)
    zh, en = _col(t, c)
    return _problem(t, rid, "edited", f"字段 {zh} 在 SDK 之外被改动：审计日志第 {seq} 条为 {a}，表中为 {b}",
                    f"column {en} edited outside the SDK: entry seq {seq} has {a}, the table has {b}", c, **extra)


# -- the replay --------------------------------------------------------------------------------------

def _groups(result) -> Iterator[tuple[int, list]]:
    """The log's entries of one table, grouped by record (the query orders by record_id, seq)."""
    current, items = None, []
    for rid, seq, action, old, new in result:
        if rid != current:
            if items:
                yield current, items
            current, items = rid, []
        items.append((seq, action, old, new))
    if items:
        yield current, items


def _batches(session: Session, t: Target) -> list[_Batch]:
    tbl = AuditEntry.__table__
    out = []
    stmt = (select(tbl.c.seq, tbl.c.new).where(tbl.c.table_key == t.key, tbl.c.action == "bulk_insert").order_by(tbl.c.seq))
    for seq, new in session.execute(stmt):
        d = json.loads(new or "{}")
        try:
            out.append(_Batch(seq=seq, first=int(d["first_id"]), last=int(d["last_id"]), rows=int(d["rows"]), sha256=d["sha256"],
                              columns=list(d.get("columns") or t.columns)))
        except (KeyError, TypeError, ValueError):
            continue  # a malformed entry: the chain verifier already vouches for the log's content
    out.sort(key=lambda b: b.first)
    return out


def row_total(session: Session) -> int:
    """Rows the replay will read (for a progress bar)."""
    return sum(session.execute(select(func.count()).select_from(t.table)).scalar_one() for t in targets())


def replay(session: Session, progress: Optional[Progress] = None) -> ReplayReport:
    """Replay the log against every audited table (see the module docstring)."""
    report = ReplayReport()
    for t in targets():
        _replay_table(session, t, report, progress)
        report.tables += 1
    return report


def _replay_table(session: Session, t: Target, report: ReplayReport, progress: Optional[Progress]) -> None:
    tbl = AuditEntry.__table__
    names = [c.name for c in t.table.columns]
    id_at = names.index("id")
    norms = {c: _normaliser(t.table.c[c].type) for c in names} if t.view is None else {}
    columns = set(t.columns)
    batches = _batches(session, t) if t.bulk else []
    report.batches += len(batches)
    starts = [b.first for b in batches]
    first_audited = None
    if t.before_auditing:
        first_audited = session.execute(select(func.min(tbl.c.record_id)).where(
            tbl.c.table_key == t.key, tbl.c.action == "insert")).scalar_one()

    entries = _groups(session.execute(
        select(tbl.c.record_id, tbl.c.seq, tbl.c.action, tbl.c.old, tbl.c.new)
        .where(tbl.c.table_key == t.key, tbl.c.record_id.is_not(None)).order_by(tbl.c.record_id, tbl.c.seq)
        .execution_options(yield_per=CHUNK_ROWS)))
    pending = next(entries, None)

    def batch_of(rid) -> Optional[_Batch]:
        i = bisect.bisect_right(starts, rid) - 1
        return batches[i] if i >= 0 and batches[i].first <= rid <= batches[i].last else None

    def gone(rid, ents) -> None:
        """A record the log has and the table has not."""
        b = batch_of(rid)
        st = _replay(ents, columns, b.seq if b else None, norms)
        report.records += b is None
        if st.exists:
            report.add(_problem(t, rid, "deleted", f"记录已不在表中，但审计日志没有删除它（最后一条：第 {st.last} 条）",
                                f"the row is gone from the table but no entry deleted it (last entry: seq {st.last})", seq=st.last))

    rows = session.execute(select(t.table).order_by(t.table.c.id).execution_options(yield_per=CHUNK_ROWS))
    for chunk in rows.partitions():
        hi = chunk[-1][id_at]
        mine: dict[int, list] = {}
        while pending is not None and pending[0] <= hi:
            mine[pending[0]] = pending[1]
            pending = next(entries, None)
        feeds: dict[int, tuple[list, dict]] = {}  # batch index → (rows, overrides)
        for row in chunk:
            rid = row[id_at]
            ents = mine.pop(rid, None)
            b = batch_of(rid) if batches else None
            if b is not None:
                rows_, over = feeds.setdefault(id(b), ([], {}))
                if ents:
                    undo = {}
                    for seq, _action, old, _new in reversed(ents):
                        if seq > b.seq and old is not None:
                            o = json.loads(old)
                            if isinstance(o, dict):
                                undo.update({c: v for c, v in o.items() if c in columns})
                    if undo:
                        over[len(rows_)] = undo
                rows_.append(row)
            if ents is None:
                if b is None:
                    report.records += 1
                    _unexplained(t, row, rid, first_audited, report)
                continue
            report.records += b is None  # a batch's rows are counted with the batch
            st = _replay(ents, columns, b.seq if b else None, norms)
            _compare(t, rid, st, row, names, norms, report)
        for rid, ents in mine.items():  # entries of records below ``hi`` that the table lacks
            gone(rid, ents)
        for b in batches:
            if id(b) in feeds:
                b.feed(names, *feeds[id(b)])
        if progress:
            progress(len(chunk))
    while pending is not None:
        gone(*pending)
        pending = next(entries, None)
    for b in batches:
        try:
            report.records += b.rows
            if not b.matches():
                diff = b.count - b.rows
                how_zh = f"该编号范围现有 {b.count} 行（{'多' if diff > 0 else '少'} {abs(diff)} 行）" if diff else "有行被改动"
                how_en = f"the id range now holds {b.count} rows ({abs(diff)} {'more' if diff > 0 else 'fewer'})" if diff else "a row was edited"
                report.add(Problem(
                    f"{t.label_zh}批量写入（审计日志第 {b.seq} 条，编号 {b.first}–{b.last}，{b.rows} 行）与日志记下的摘要不符：{how_zh}（在 SDK 之外改动、删除或插入）",
                    f"{t.label_en} bulk insert (entry seq {b.seq}, ids {b.first}–{b.last}, {b.rows} rows) no longer matches the "
                    f"digest it logged: {how_en} (edited, deleted or inserted outside the SDK)",
                    table=t.key, rule=RULE, extra={"kind": "batch", "table_key": t.key, "seq": b.seq, "first_id": b.first,
                                                   "last_id": b.last, "rows": b.rows, "found": b.count}))
        finally:
            b.close()


def _unexplained(t: Target, row, rid, first_audited, report: ReplayReport) -> None:
    if t.before_auditing and (first_audited is None or rid < first_audited):
        report.notices.append(_problem(
            t, rid, "before_auditing", "审计日志未覆盖（在开始记录审计之前创建）",
            "not covered by the log (created before auditing)"))
        return
    report.add(_problem(t, rid, "inserted", "表中有此记录，但审计日志中没有写入它的条目（在 SDK 之外插入）",
                        "the row is in the table but no audit entry inserted it (inserted outside the SDK)"))


def _compare(t: Target, rid, st: _State, row, names: list[str], norms: dict, report: ReplayReport) -> None:
    if not st.exists:
        if st.deleted is not None:
            report.add(_problem(t, rid, "resurrected", f"审计日志第 {st.deleted} 条删除了该记录，但表中仍有（在 SDK 之外重新插入）",
                                f"entry seq {st.deleted} deleted this row, yet the table has it (re-inserted outside the SDK)", seq=st.deleted))
        elif st.origin is None:
            _unexplained(t, row, rid, None, report)
        return
    for seq, c, (was, set_at), saw in st.drift:
        zh, en = _col(t, c)
        report.add(_problem(t, rid, "edited_between", f"字段 {zh} 在第 {set_at} 条与第 {seq} 条之间于 SDK 之外被改动：日志为 {_show(t, c, was)}，"
                                                      f"第 {seq} 条修改时原值为 {_show(t, c, saw)}",
                            f"column {en} was edited outside the SDK between entries seq {set_at} and {seq}: the log had "
                            f"{_show(t, c, was)}, entry seq {seq} found {_show(t, c, saw)}", c, seq=seq))
    stored = t.view(dict(zip(names, row))) if t.view is not None else dict(zip(names, row))
    for c, (logged, seq) in st.values.items():
        if c not in stored:
            continue
        if not _same(norms.get(c, _ident), logged, stored[c]):
            report.add(_difference(t, rid, c, logged, seq, stored[c]))


def replay_verifier(session: Session) -> list[Problem]:
    """The core verifier ``core.audit_replay`` (see ``register_verifiers``)."""
    return replay(session).problems
