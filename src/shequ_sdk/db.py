"""The one place that makes engines and sessions.

A database is named by a path (an embedded SQLite file, the default) or by a SQLAlchemy URL
(``postgresql+psycopg://…``); ``SHEQU_DATABASE_URL`` supplies it when none is given. SQLite runs
in WAL mode with foreign keys on. A SQLite file that cannot be written here (read-only media, no
write permission on it or its folder) is opened read-only: reads work, and a write is refused
with that reason (:class:`~shequ_sdk.errors.DatabaseUnavailable`). A PostgreSQL server that
cannot be reached is named as such (:func:`is_unreachable`).
"""

from __future__ import annotations

import errno
import os
import sqlite3
import weakref
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel, create_engine

from .errors import DatabaseUnavailable, InputError, NotFoundError

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


def safe_url(url: str) -> str:
    """A database URL fit to print: the SQLite file's path, or the URL without its password."""
    if is_sqlite(url):
        return url.split("sqlite:///", 1)[-1]
    return make_url(url).render_as_string(hide_password=True)


def server_address(url: str) -> str:
    """``host:port`` of a database server URL (never the user or password)."""
    u = make_url(url)
    return f"{u.host or 'localhost'}:{u.port or {'postgresql': 5432}.get(u.get_backend_name(), '')}".rstrip(":")


# the words PostgreSQL's driver uses when the server cannot be reached or went away
_UNREACHABLE = ("connection refused", "could not connect", "connection to server", "server closed the connection",
                "terminating connection", "the database system is shutting down", "the database system is starting up",
                "connection is closed", "connection already closed", "no route to host", "timeout expired",
                "connection timed out", "network is unreachable", "could not translate host name", "consuming input failed",
                "server conn crashed", "ssl syscall error")


def is_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) means the database *server* cannot be reached: the
    connection was refused, timed out or dropped, or the server is shutting down or starting up.
    A bad query, a constraint, a schema problem or a missing SQLite file is not. The CLI, the SDK
    and the served pages all ask this one function."""
    from sqlalchemy import exc as sa_exc

    seen: set[int] = set()
    stack: list = [exc]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, sa_exc.DisconnectionError) or getattr(e, "connection_invalidated", False):
            return True
        if isinstance(e, OSError) and e.errno in (errno.ECONNREFUSED, errno.ECONNRESET, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ETIMEDOUT):
            return True
        if isinstance(e, _connection_errors()):
            state = getattr(e, "sqlstate", None)
            # no SQLSTATE: the client failed to connect or lost the connection; class 08: connection
            # exception; 57P01–57P03: the server is shutting down, crashed or is starting up
            if state is None or state.startswith("08") or state in ("57P01", "57P02", "57P03"):
                return True
        name = type(e).__name__
        if name in ("OperationalError", "InterfaceError") or isinstance(e, (ConnectionError, TimeoutError)):
            text = str(e).lower()
            if isinstance(e, (ConnectionRefusedError, ConnectionResetError)) or any(w in text for w in _UNREACHABLE):
                return True
        stack += [getattr(e, "orig", None), e.__cause__, e.__context__]
    return False


def _connection_errors() -> tuple:
    try:
        import psycopg

        return (psycopg.OperationalError,)
    except ImportError:  # psycopg is optional when only SQLite is used
        return ()


def unreachable(url: str) -> DatabaseUnavailable:
    """The error for a database server that cannot be reached (both languages, no password)."""
    where = server_address(url)
    return DatabaseUnavailable(f"无法连接数据库服务器 {where}（服务器未运行或地址、端口有误）",
                               f"the database server at {where} is unreachable (not running, or a wrong address or port)")


def read_only_error(url: str) -> DatabaseUnavailable:
    path = safe_url(url)
    return DatabaseUnavailable(f"数据库 {path} 为只读（只读介质或没有写权限）：可以读取，不能写入",
                               f"the database {path} is read-only (read-only media or no write permission): reads work, writes are refused")


def is_read_only_error(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite refusing a write to a read-only database."""
    e = getattr(exc, "orig", None) or exc
    return isinstance(e, sqlite3.OperationalError) and "readonly database" in str(e)


def sqlite_read_only(path: str | os.PathLike) -> bool:
    """Whether an existing SQLite file cannot be written by this process: no write permission on
    the file or on its folder (where the journal and WAL files go), or a read-only file system."""
    p = Path(path)
    if not p.exists():
        return False
    if not os.access(p, os.W_OK) or not os.access(p.parent, os.W_OK):
        return True
    try:
        os.close(os.open(p, os.O_RDWR))
    except OSError as exc:
        return exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM)
    return False


def is_read_only(engine: Engine) -> bool:
    """Whether ``engine`` was opened read-only (see :func:`make_engine`)."""
    return engine in _READ_ONLY


_READ_ONLY: "weakref.WeakSet[Engine]" = weakref.WeakSet()


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def _read_only_connect(path: str):
    """A read-only SQLite connection: ``mode=ro``; ``immutable=1`` when the folder cannot be
    written either (read-only media), since a WAL database then cannot keep its shared-memory file."""
    from urllib.parse import quote

    folder_ro = not os.access(Path(path).parent, os.W_OK)
    try:
        os.close(os.open(path, os.O_RDWR))
    except OSError as exc:
        folder_ro = folder_ro or exc.errno == errno.EROFS
    flags = "immutable=1" if folder_ro else "mode=ro"

    def connect():
        conn = sqlite3.connect(f"file:{quote(str(Path(path).resolve()))}?{flags}", uri=True, check_same_thread=False, timeout=30)
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=10000")
        return conn

    return connect


def make_engine(url: str, *, must_exist: bool = False) -> Engine:
    if is_sqlite(url):
        path = url.split("sqlite:///", 1)[-1]
        if must_exist and path not in ("", ":memory:") and not Path(path).exists():
            raise NotFoundError(f"数据库文件不存在: {path}（先运行 shequ init 或 shequ demo）", f"database file not found: {path} (run shequ init or shequ demo first)")
        if path not in ("", ":memory:") and sqlite_read_only(path):
            engine = create_engine(url, creator=_read_only_connect(path))
            _READ_ONLY.add(engine)
            return engine
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
    from .locks import ExceptionRequest, PeriodException
    from .plugins import registry

    tables = [m.__table__ for m in models.CORE_TABLES]
    tables.append(PeriodException.__table__)  # the core's period-lock exceptions (shequ_sdk.locks)
    tables.append(ExceptionRequest.__table__)  # and the villages' requests for one
    tables.append(AuditEntry.__table__)  # the audit log (shequ_sdk.audit)
    from .sync import SYNC_TABLES

    tables += [m.__table__ for m in SYNC_TABLES]  # offline-village sync state (shequ_sdk.sync)
    from .analytics import TABLES as CELL_TABLES

    tables += [m.__table__ for m in CELL_TABLES]  # the stored indicator cells (shequ_sdk.analytics)
    tables += [t.model.__table__ for t in registry().tables.values() if t.model.__table__ not in tables]
    return tables


def create_all(engine: Engine) -> None:
    """Create every missing table and index (core and plugins). Existing tables are kept."""
    SQLModel.metadata.create_all(engine, tables=all_tables())


def has_schema(engine: Engine) -> bool:
    return inspect(engine).has_table("region")


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    """A session for reads: whatever it does is rolled back at the end, so a read never changes
    the database — derived rows a computation prepares (a plugin's deadline schedule) live only
    as long as the read. A server that cannot be reached is named as such."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
        except Exception as exc:
            if not isinstance(exc, DatabaseUnavailable) and is_unreachable(exc):
                raise unreachable(str(engine.url)) from None
            raise
        finally:
            try:
                # rows read stay readable after the session: detached first, then not expired by the rollback
                session.expunge_all()
                session.rollback()
            except Exception:  # the connection is gone: nothing to roll back
                pass


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session whose work commits on success and rolls back entirely on any error. A write to
    a read-only database, or a server that cannot be reached, is named as such."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException as exc:
            try:
                session.rollback()
            except Exception:  # the connection is gone: nothing to roll back
                if not is_unreachable(exc):
                    raise
            if is_read_only_error(exc):
                raise read_only_error(str(engine.url)) from None
            if isinstance(exc, Exception) and not isinstance(exc, DatabaseUnavailable) and is_unreachable(exc):
                raise unreachable(str(engine.url)) from None
            raise

