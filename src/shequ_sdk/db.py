"""The one place that makes engines and sessions.

A database is named by a path (an embedded SQLite file, the default) or by a SQLAlchemy URL
(``postgresql+psycopg://…``); ``SHEQU_DATABASE_URL`` supplies it when none is given. SQLite runs
in WAL mode with foreign keys on.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel, create_engine

from .errors import InputError, NotFoundError

DEFAULT_PATH = "shequ.db"


def resolve_url(db: str | os.PathLike | None = None) -> str:
    """Turn a path, URL or ``None`` (→ ``SHEQU_DATABASE_URL`` or ``shequ.db``) into a URL."""
    if db is None:
        db = os.environ.get("SHEQU_DATABASE_URL") or DEFAULT_PATH
    s = str(db)
    if "://" in s:
        try:
            make_url(s).get_dialect()  # an unknown driver is the user's typo, not an internal error
        except Exception as exc:
            raise InputError(f"数据库地址无效: {s!r}", f"invalid database URL {s!r}: {exc}") from None
        return s
    return f"sqlite:///{Path(s).expanduser().resolve()}"


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def make_engine(url: str, *, must_exist: bool = False) -> Engine:
    if is_sqlite(url):
        path = url.split("sqlite:///", 1)[-1]
        if must_exist and path not in ("", ":memory:") and not Path(path).exists():
            raise NotFoundError(f"数据库文件不存在: {path}（先运行 shequ init 或 shequ demo）", f"database file not found: {path} (run shequ init or shequ demo first)")
        if path not in ("", ":memory:"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        # jit=off: the indicator statements (correlated status subqueries) cost enough to trigger
        # PostgreSQL's JIT, whose compile time (seconds) dwarfs their run time (benchmarks/county_bench.py)
        engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10,
                               connect_args={"options": "-c jit=off"} if url.startswith("postgresql") else {})
    return engine


def all_tables():
    """Core tables plus the tables of every loaded plugin, in dependency order."""
    from . import models
    from .audit import AuditEntry
    from .locks import PeriodException
    from .plugins import registry

    tables = [m.__table__ for m in models.CORE_TABLES]
    tables.append(PeriodException.__table__)  # the core's period-lock exceptions (shequ_sdk.locks)
    tables.append(AuditEntry.__table__)  # the audit log (shequ_sdk.audit)
    tables += [t.model.__table__ for t in registry().tables.values() if t.model.__table__ not in tables]
    return tables


def create_all(engine: Engine) -> None:
    """Create every missing table and index (core and plugins). Existing tables are kept."""
    SQLModel.metadata.create_all(engine, tables=all_tables())


def has_schema(engine: Engine) -> bool:
    return inspect(engine).has_table("region")


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session whose work commits on success and rolls back entirely on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


# the words PostgreSQL's driver uses when the server cannot be reached or went away
_UNREACHABLE = ("connection refused", "could not connect", "connection to server", "server closed the connection",
                "terminating connection", "the database system is shutting down", "the database system is starting up",
                "connection is closed", "connection already closed", "no route to host", "timeout expired",
                "connection timed out", "network is unreachable", "could not translate host name", "consuming input failed",
                "server conn crashed", "ssl syscall error")


def is_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) means the database *server* cannot be reached: refused,
    gone away, shutting down. A bad query, a constraint or a missing SQLite file is not."""
    from sqlalchemy import exc as sa_exc

    seen: set[int] = set()
    stack: list = [exc]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, sa_exc.DisconnectionError):
            return True
        if isinstance(e, sa_exc.DBAPIError) and getattr(e, "connection_invalidated", False):
            return True
        name = type(e).__name__
        if name in ("OperationalError", "InterfaceError") or isinstance(e, (ConnectionError, TimeoutError)):
            text = str(e).lower()
            if isinstance(e, (ConnectionRefusedError, ConnectionResetError)) or any(w in text for w in _UNREACHABLE):
                return True
        stack += [getattr(e, "orig", None), e.__cause__, e.__context__]
    return False
