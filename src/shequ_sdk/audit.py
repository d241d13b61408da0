"""The tamper-evident audit log: every change to a record, chained by hashes.

Each entry says who (``actor``), when (``at``, UTC), what (``action``: ``insert``, ``update``,
``delete``, ``bulk_insert`` or a module's own action such as ``posting.publish``), which record
(``table_key``, ``record_id``, ``region_id``) and the values before and after (``old``, ``new``:
canonical JSON). The log is append-only and each entry carries the hash of the one before it::

    hash = sha256(prev_hash + canonical JSON of the entry (seq, at, actor, action, table_key,
                  record_id, region_id, old, new, reason))

so changing, removing or reordering a stored entry breaks the chain at that entry, and
``shequ verify`` (:func:`verify_chain`) names it. Deleting the *last* entries cannot be seen
from the chain alone; ``shequ verify`` prints the head (last seq and hash) so it can be noted
elsewhere and compared.

Appends are serialised so the chain never forks: PostgreSQL takes a transaction-level advisory
lock; SQLite starts the write transaction with ``BEGIN IMMEDIATE`` (or already holds the write
lock) before the last hash is read. Either lock is held to commit, which also makes the
optimistic version check (:func:`check_versions`) race-free: the version of a record is the
``seq`` of its latest entry (0 when none).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable, Optional, Sequence

from sqlalchemy import Column, DateTime, Index, Integer, Text, insert, select, text
from sqlmodel import Field, Session, SQLModel

from .errors import ConflictError, Problem

GENESIS = "0" * 64  # the prev_hash of entry 1
LOCK_KEY = 0x5348_4551_5541_5544  # "SHEQUAUD": the pg_advisory_xact_lock key of the audit chain
BULK_THRESHOLD = 5000  # a larger insert batch is logged as one bulk_insert entry (row count, id range, digest)
CHUNK = 500  # ids per IN (...) lookup


class AuditEntry(SQLModel, table=True):
    """One entry of the audit log (table ``audit_log``); never updated or deleted by the SDK."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_record", "table_key", "record_id", "seq"),)
    seq: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    at: dt.datetime = Field(sa_column=Column(DateTime, nullable=False))
    actor: str
    action: str
    table_key: Optional[str] = None
    record_id: Optional[int] = None
    region_id: Optional[int] = None
    old: Optional[str] = Field(default=None, sa_column=Column(Text))
    new: Optional[str] = Field(default=None, sa_column=Column(Text))
    reason: Optional[str] = Field(default=None, sa_column=Column(Text))
    prev_hash: str
    hash: str


@dataclass
class Change:
    """A change to append: what :func:`append_many` needs besides the actor."""

    action: str
    table_key: Optional[str]
    record_id: Optional[int]
    region_id: Optional[int]
    old: Any = None
    new: Any = None
    reason: Optional[str] = None


# -- canonical form ----------------------------------------------------------------------------------

def _json_default(value):
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_json_default)


def canonical(value: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 characters kept, dates in ISO form."""
    return _ENCODER.encode(value)


def _stamp(at: dt.datetime) -> str:
    return at.isoformat(timespec="microseconds")


def entry_hash(prev_hash: str, seq: int, at: dt.datetime, actor: str, action: str, table_key: Optional[str],
               record_id: Optional[int], region_id: Optional[int], old: Optional[str], new: Optional[str],
               reason: Optional[str]) -> str:
    """The hash of one entry, chained to ``prev_hash``; ``old`` and ``new`` are the stored JSON text."""
    body = canonical({"seq": seq, "at": _stamp(at), "actor": actor, "action": action, "table_key": table_key,
                      "record_id": record_id, "region_id": region_id, "old": old, "new": new, "reason": reason})
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def rows_digest(columns: Sequence[str], rows: Sequence[dict]) -> str:
    """sha256 of a batch of rows: the canonical JSON of each column's values, columns in name
    order. Column-wise so a million-row batch costs one C-level encode per column."""
    h = hashlib.sha256()
    for c in sorted(columns):
        h.update(canonical(c).encode("utf-8"))
        h.update(b"\x1e")
        h.update(canonical([r.get(c) for r in rows]).encode("utf-8"))
        h.update(b"\x1e")
    return h.hexdigest()


# -- appending ---------------------------------------------------------------------------------------

def lock(session: Session) -> None:
    """Hold the audit chain's lock until the session's transaction ends.

    PostgreSQL: ``pg_advisory_xact_lock``. SQLite: the database write lock, taken with ``BEGIN
    IMMEDIATE`` when the connection has no write transaction yet. A deferred transaction that
    read first would see a stale snapshot and fail with SQLITE_BUSY_SNAPSHOT on its first write
    (the busy timeout does not help); one that starts IMMEDIATE waits its turn instead.
    """
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        dbapi = conn.connection.driver_connection
        if not dbapi.in_transaction:  # pysqlite opens a transaction only at the first write
            dbapi.execute("BEGIN IMMEDIATE")
    elif conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})


def head(session: Session) -> tuple[int, str]:
    """``(seq, hash)`` of the last entry, ``(0, GENESIS)`` for an empty log."""
    tbl = AuditEntry.__table__
    row = session.execute(select(tbl.c.seq, tbl.c.hash).order_by(tbl.c.seq.desc()).limit(1)).first()
    return (row[0], row[1]) if row else (0, GENESIS)


def short_hash(digest: str) -> str:
    """``3a61-7f5a-7bbe``: a hash's first 12 hex digits as boards and public pages print them
    (``shequ verify --head-file`` accepts them)."""
    h = (digest or "")[:12]
    return "-".join(h[i:i + 4] for i in range(0, len(h), 4))


def _actor_name(actor) -> str:
    if isinstance(actor, str):
        return actor
    from .auth import actor_name

    return actor_name(actor)


def _text(value: Any) -> Optional[str]:
    return None if value is None else canonical(value)


_ATTRIBUTION: ContextVar[Optional[tuple[Optional[str], Optional[str]]]] = ContextVar("shequ_audit_attribution", default=None)


@contextmanager
def attributed(reason: Optional[str], actor: Optional[str] = None):
    """Inside the block, every entry appended without a reason of its own carries ``reason``,
    and — when ``actor`` is given — names ``actor`` instead of the acting user. Sync imports
    (:mod:`shequ_sdk.sync`) use it so the entries of an imported change name the package."""
    token = _ATTRIBUTION.set((reason, actor))
    try:
        yield
    finally:
        _ATTRIBUTION.reset(token)


def append_many(session: Session, actor, changes: Iterable[Change]) -> list[tuple[int, str]]:
    """Append ``changes`` in order under the chain's lock; return each entry's ``(seq, hash)``.

    Runs in the caller's transaction: a rollback removes the entries with the change itself.
    """
    changes = list(changes)
    if not changes:
        return []
    lock(session)
    attribution = _ATTRIBUTION.get()
    who = attribution[1] if attribution is not None and attribution[1] else _actor_name(actor)
    default_reason = attribution[0] if attribution is not None else None
    at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    seq, prev = head(session)
    rows, out = [], []
    for c in changes:
        seq += 1
        old, new = _text(c.old), _text(c.new)
        reason = c.reason if c.reason is not None else default_reason
        h = entry_hash(prev, seq, at, who, c.action, c.table_key, c.record_id, c.region_id, old, new, reason)
        rows.append({"seq": seq, "at": at, "actor": who, "action": c.action, "table_key": c.table_key, "record_id": c.record_id,
                     "region_id": c.region_id, "old": old, "new": new, "reason": reason, "prev_hash": prev, "hash": h})
        out.append((seq, h))
        prev = h
    _insert_rows(session, rows)
    return out


_COLUMNS = ("seq", "at", "actor", "action", "table_key", "record_id", "region_id", "old", "new", "reason", "prev_hash", "hash")


def _insert_rows(session: Session, rows: list[dict]) -> None:
    """The driver's own ``executemany`` in the session's transaction: SQLAlchemy's per-row
    parameter processing would cost more than the hashing (the demo logs ~26,000 entries)."""
    conn = session.connection()
    if conn.dialect.name not in ("sqlite", "postgresql"):
        session.execute(insert(AuditEntry.__table__), rows)
        return
    sqlite = conn.dialect.name == "sqlite"
    marks = ", ".join("?" if sqlite else "%s" for _ in _COLUMNS)
    quoted = ", ".join(conn.dialect.identifier_preparer.quote(c) for c in _COLUMNS)
    # SQLite stores the time as SQLAlchemy's DateTime does, so reads through SQLAlchemy parse it back
    params = [tuple(r[c].strftime("%Y-%m-%d %H:%M:%S.%f") if (c == "at" and sqlite) else r[c] for c in _COLUMNS) for r in rows]
    cur = conn.connection.driver_connection.cursor()
    try:
        cur.executemany(f"INSERT INTO audit_log ({quoted}) VALUES ({marks})", params)
    finally:
        cur.close()


def append(session: Session, actor, action: str, table_key: Optional[str], record_id: Optional[int], region_id: Optional[int],
           old: Any, new: Any, reason: Optional[str] = None) -> int:
    """Append one entry (any module's own action, e.g. ``posting.publish``); returns its seq.

    ``actor`` is an :class:`~shequ_sdk.auth.Actor`, ``None`` (local mode) or a name; ``old`` and
    ``new`` are JSON-able values (dicts of column values, usually) or ``None``.
    """
    ((seq, _),) = append_many(session, actor, [Change(action, table_key, record_id, region_id, old, new, reason)])
    return seq


# -- versions ----------------------------------------------------------------------------------------

def latest(session: Session, table_key: str, record_ids: Iterable[int]) -> dict[int, tuple[int, str, dt.datetime]]:
    """``{record_id: (seq, actor, at)}`` of each record's latest entry (records without one are absent)."""
    tbl = AuditEntry.__table__
    ids = sorted({int(i) for i in record_ids if i is not None})
    out: dict[int, tuple[int, str, dt.datetime]] = {}
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i:i + CHUNK]
        # a record has few entries: read them all in seq order and keep the last of each
        stmt = (select(tbl.c.record_id, tbl.c.seq, tbl.c.actor, tbl.c.at)
                .where(tbl.c.table_key == table_key, tbl.c.record_id.in_(chunk)).order_by(tbl.c.seq))
        for rid, seq, actor, at in session.execute(stmt):
            out[rid] = (seq, actor, at)
    return out


def version(session: Session, table_key: str, record_id: int) -> int:
    """The version of a record: the seq of its latest audit entry, 0 when it has none."""
    found = latest(session, table_key, [record_id]).get(int(record_id))
    return found[0] if found else 0


def check_versions(session: Session, table_key: str, label: tuple[str, str], expected: dict[int, int]) -> None:
    """Refuse (``ConflictError``) when a record changed after the version the caller loaded.

    ``expected`` maps record id to the ``_version`` the caller sent. Call under :func:`lock`.
    """
    if not expected:
        return
    found = latest(session, table_key, expected)
    for rid in sorted(expected):
        now = found.get(rid)
        if now is not None and now[0] > expected[rid]:
            raise ConflictError(table_key, label[0], label[1], rid, now[1], now[2])


# -- verifying ---------------------------------------------------------------------------------------

@dataclass
class ChainReport:
    """What :func:`verify_chain` found: entries read, the head, and the broken links in order."""

    entries: int
    head_seq: int
    head_hash: str
    problems: list[Problem]

    @property
    def valid(self) -> bool:
        return not self.problems


def _link_problem(kind: str, seq: int, table_key, record_id, at, detail_zh: str = "", detail_en: str = "") -> Problem:
    what = {
        "hash": ("内容与哈希不符（记录写入后被改动）", "hash mismatch: the entry was changed after it was written"),
        "prev_hash": ("前序哈希不符（前一条被改动、删除或替换）", "prev_hash mismatch: the previous entry was changed, removed or replaced"),
        "missing": ("缺少条目（已被删除）", "missing seq: entries were deleted"),
    }[kind]
    where_zh = f"表 {table_key}，记录 #{record_id}" if table_key else "无关联记录"
    where_en = f"table {table_key}, record #{record_id}" if table_key else "no record"
    when = _stamp(at) if isinstance(at, dt.datetime) else str(at)
    return Problem(f"审计日志第 {seq} 条（{where_zh}，{when} UTC）：{what[0]}{detail_zh}",
                   f"audit entry seq {seq} ({where_en}, {when} UTC): {what[1]}{detail_en}",
                   table="audit_log", rule="core.audit_chain",
                   extra={"seq": seq, "kind": kind, "table_key": table_key, "record_id": record_id, "at": when})


def verify_chain(session: Session, max_problems: int = 100, progress=None) -> ChainReport:
    """Recompute the chain from entry 1: every seq present, every ``prev_hash`` the hash of the
    entry before, every ``hash`` the hash of its own content. Broken links come back in seq order.
    ``progress`` (optional) is called with the number of entries read, every 5,000."""
    tbl = AuditEntry.__table__
    cols = [tbl.c.seq, tbl.c.at, tbl.c.actor, tbl.c.action, tbl.c.table_key, tbl.c.record_id, tbl.c.region_id,
            tbl.c.old, tbl.c.new, tbl.c.reason, tbl.c.prev_hash, tbl.c.hash]
    problems: list[Problem] = []
    expected_seq, prev, count, last_seq = 1, GENESIS, 0, 0
    result = session.execute(select(*cols).order_by(tbl.c.seq).execution_options(yield_per=5000))
    for seq, at, actor, action, table_key, record_id, region_id, old, new, reason, prev_hash, stored in result:
        count += 1
        if len(problems) < max_problems:
            if seq != expected_seq:
                gap = f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq}–{seq - 1}"
                problems.append(_link_problem("missing", seq, table_key, record_id, at, f"：第 {gap} 条不存在", f": seq {gap} not found"))
            elif prev_hash != prev:
                problems.append(_link_problem("prev_hash", seq, table_key, record_id, at))
            if entry_hash(prev_hash, seq, at, actor, action, table_key, record_id, region_id, old, new, reason) != stored:
                problems.append(_link_problem("hash", seq, table_key, record_id, at))
        # follow the stored chain, so one altered entry is reported once, not at every later link
        prev, expected_seq, last_seq = stored, seq + 1, seq
        if progress is not None and count % 5000 == 0:
            progress(5000)
    if progress is not None and count % 5000:
        progress(count % 5000)
    return ChainReport(entries=count, head_seq=last_seq, head_hash=prev, problems=problems)


def chain_verifier(session: Session) -> list[Problem]:
    """The core verifier ``core.audit_chain`` (see ``register_verifiers``)."""
    return verify_chain(session).problems
