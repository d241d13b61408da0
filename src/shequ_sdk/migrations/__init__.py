"""Schema migrations (Alembic), one version branch per distribution.

The core's revisions live in ``shequ_sdk/migrations/versions`` (branch ``shequ_core``); each
plugin ships its own directory and registers it with the ``register_migrations`` hook (branch =
the plugin's name). A branch's revisions change only the tables its plugin registers; the first
revision of every branch (``<branch>_0001``) is the schema of shequ-sdk 0.1.0, before migrations
existed.

- ``shequ init`` / ``open(create=True)`` on an empty database create every table and stamp the
  heads; on an existing one they first require it to be current.
- ``open`` refuses a database whose ``alembic_version`` lacks a head, that lacks the tables of a
  plugin installed since (both: run ``shequ migrate``), or that holds a revision of an installed
  branch this installation does not know (newer: upgrade shequ-sdk): :func:`check_current`.
  ``shequ migrate`` refuses a newer database too, before any backup.
- ``shequ migrate``: :func:`upgrade`. A branch the database has no revision of although its
  tables exist (a database made before migrations, a plugin that started shipping them) is
  stamped at its baseline first: :func:`unversioned_baselines`.
- ``shequ make-migration``: :func:`new_revision` autogenerates a branch's next revision.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, create_engine, event, inspect, text
from sqlalchemy.engine import Connection, Engine, make_url

from ..errors import InputError

CORE_BRANCH = "shequ_core"
HERE = Path(__file__).resolve().parent
CORE_VERSIONS = HERE / "versions"
VERSION_TABLE = "alembic_version"

_scripts: dict[tuple, ScriptDirectory] = {}


# -- what is registered ------------------------------------------------------------------------

def locations() -> dict[str, Path]:
    """``{branch: directory}`` of every loaded plugin's migrations (the core's included)."""
    from ..plugins import registry

    return {branch: Path(m.path).resolve() for branch, m in registry().migrations.items()}


def _config(connection: Optional[Connection] = None, **attributes) -> Config:
    cfg = Config(cmd_opts=argparse.Namespace(quiet=True))  # our commands say what happened, not alembic
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("path_separator", "os")
    # configparser interpolates "%": a path holding one must be escaped
    cfg.set_main_option("version_locations", os.pathsep.join(str(p).replace("%", "%%") for p in locations().values()))
    cfg.attributes["connection"] = connection
    cfg.attributes.update(attributes)
    return cfg


def script() -> ScriptDirectory:
    """The revisions of every registered branch (cached per set of directories)."""
    key = tuple(sorted((b, str(p)) for b, p in locations().items()))
    if key not in _scripts:
        _scripts[key] = ScriptDirectory.from_config(_config())
    return _scripts[key]


def heads() -> list[str]:
    return sorted(script().get_heads())


def known(revision: str) -> bool:
    """Whether a revision id belongs to a loaded branch."""
    from alembic.util import CommandError
    from alembic.script.revision import ResolutionError

    try:
        rev = script().get_revision(revision)
    except (ResolutionError, CommandError):
        return False
    return rev is not None and rev.revision == revision  # not a prefix or label that resolved


def branch_of_table() -> dict[str, str]:
    """``{table name: branch}`` for every table whose plugin registers migrations."""
    from ..db import all_tables
    from ..plugins import registry

    reg = registry()
    branch_of_plugin = {plugin: key for (kind, key), plugin in reg.owner.items() if kind == "migrations"}
    out = {}
    for table in all_tables():
        # core tables that are not record tables (region, setting, …) belong to the core
        plugin = reg.owner.get(("tables", table.name), "core")
        if plugin in branch_of_plugin:
            out[table.name] = branch_of_plugin[plugin]
    return out


def target_metadata() -> MetaData:
    """The metadata the migrations must reproduce. The tables themselves, not copies:
    ``to_metadata()`` would re-create the ``region_id`` indexes the registry drops. Tables of
    plugins that are not loaded are filtered out by :func:`include_managed`."""
    from sqlmodel import SQLModel

    from ..db import all_tables

    all_tables()  # builds the registry, which settles each table's indexes
    return SQLModel.metadata


def _include(tables: set[str]):
    def include(obj, name, type_, reflected, compare_to):
        if type_ == "table":
            return name in tables
        table = getattr(obj, "table", None)
        return table is None or table.name in tables

    return include


def managed_filter():
    """An alembic ``include_object`` comparing only the tables some branch manages: never
    ``alembic_version``, the tables of a plugin that is not loaded, nor those of a plugin
    without migrations."""
    return _include(set(branch_of_table()))


def render_item(type_, obj, autogen_context):
    """Render SQLModel's ``AutoString`` as ``sa.String`` and any ``TypeDecorator`` (SQLModel's
    ``UTCDateTime``…) as the SQLAlchemy type it stores: revisions must not import application types."""
    from sqlalchemy.types import TypeDecorator
    from sqlmodel.sql.sqltypes import AutoString

    if type_ != "type":
        return False
    if isinstance(obj, AutoString):
        return f"sa.String({obj.length})" if obj.length else "sa.String()"
    if isinstance(obj, TypeDecorator) and type(obj.impl_instance).__module__.startswith("sqlalchemy."):
        return f"sa.{obj.impl_instance!r}"
    return False


# -- where a database stands ------------------------------------------------------------------

def stored_versions(conn: Connection) -> Optional[set[str]]:
    """The revisions in ``alembic_version``, or ``None`` when the table does not exist."""
    if not inspect(conn).has_table(VERSION_TABLE):
        return None
    return {row[0] for row in conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))}


@dataclass
class Status:
    current: Optional[set[str]]  # None: the database predates migrations
    heads: list[str]
    missing: list[str]  # heads the database has not reached
    absent: set[str] = field(default_factory=set)  # branches of plugins installed since: no revision, no table
    newer: list[str] = field(default_factory=list)  # revisions of installed branches this installation does not know

    @property
    def behind(self) -> bool:
        return bool(self.missing)


def reached(versions) -> set[str]:
    """The revisions a database stamped with ``versions`` has: those and every revision they
    follow or depend on (alembic keeps only the tips, e.g. ``finance_0001`` implies
    ``shequ_core_0001``). Revisions of branches that are not loaded are ignored."""
    sd = script()
    done: set[str] = set()
    todo = [v for v in versions if known(v)]
    while todo:
        rev = sd.get_revision(todo.pop())
        if rev.revision not in done:
            done.add(rev.revision)
            todo.extend(rev._all_down_revisions)  # down revisions and depends_on
    return done


def _tables_by_branch() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for table, branch in branch_of_table().items():
        out.setdefault(branch, set()).add(table)
    return out


def absent_branches(conn: Connection, current) -> set[str]:
    """Branches the database has neither a revision nor a table of: a plugin installed after
    the database was made. That is not "behind": ``shequ init`` or ``shequ migrate`` adds it."""
    sd = script()
    have = reached(current)
    existing = set(inspect(conn).get_table_names())
    tables = _tables_by_branch()
    out = set()
    for base in sd.get_bases():
        branch = _branch_label(sd.get_revision(base))
        if base not in have and not tables.get(branch, set()) & existing:
            out.add(branch)
    return out


def _branch_of_id(revision: str) -> str:
    """The branch a revision id names (ids are ``<branch>_<NNNN>``, see :func:`new_revision`)."""
    head, _, tail = revision.rpartition("_")
    return head if head and tail.isdigit() else revision


def newer_revisions(current) -> list[str]:
    """Revisions stored in the database that this installation does not know although their
    branch is installed: a newer shequ-sdk (or plugin) migrated the database. (A revision of a
    branch that is not installed at all belongs to a plugin not loaded here, and is ignored.)"""
    branches = set(locations())
    return sorted(v for v in current or () if not known(v) and _branch_of_id(v) in branches)


def status(conn: Connection) -> Status:
    sd = script()
    current = stored_versions(conn)
    have = reached(current or ())
    hs = heads()
    absent: set[str] = set()
    if any(h not in have for h in hs):  # only then look at the tables (the usual open is current)
        absent = absent_branches(conn, current or ())
        hs = [h for h in hs if _branch_label(sd.get_revision(h)) not in absent]
    return Status(current=current, heads=hs, missing=[h for h in hs if h not in have], absent=absent,
                  newer=newer_revisions(current))


def newer_error(db: str, newer: list[str]) -> InputError:
    branches = sorted({_branch_of_id(v) for v in newer})
    what_zh = "shequ-sdk" + ("" if branches == [CORE_BRANCH] else f" 及插件 {', '.join(b for b in branches if b != CORE_BRANCH)}")
    what_en = "shequ-sdk" + ("" if branches == [CORE_BRANCH] else f" and the plugins {', '.join(b for b in branches if b != CORE_BRANCH)}")
    return InputError(
        f"数据库 {db} 的结构版本（{', '.join(newer)}）比本安装的 shequ-sdk 新：请升级 {what_zh} 后再使用（不要用旧版本迁移它）",
        f"the database {db} has a schema ({', '.join(newer)}) newer than this installation: upgrade {what_en} before using it "
        f"(do not migrate it with this version)")


def _shown(url: str) -> str:
    if url.startswith("sqlite"):
        return url.split("sqlite:///", 1)[-1]
    return make_url(url).render_as_string(hide_password=True)


def check_current(engine: Engine, *, absent_ok: bool = False) -> None:
    """Raise a clear ``InputError`` when the database's schema is newer than the loaded code
    (upgrade shequ-sdk), behind it, or lacks the tables of a plugin installed since (run ``shequ
    migrate``). ``absent_ok``: ``shequ init`` creates those tables itself."""
    with engine.connect() as conn:
        st = status(conn)
    db = _shown(engine.url.render_as_string(hide_password=False))
    if st.newer:
        raise newer_error(db, st.newer)
    if st.absent and not absent_ok:
        names = ", ".join(sorted(st.absent))
        raise InputError(f"数据库缺少新安装插件（{names}）的数据表，请先运行 shequ migrate --db {db}",
                         f"the database lacks the tables of newly installed plugins ({names}); run shequ migrate --db {db} first")
    if st.behind:
        shown = sorted(v for v in st.current or () if known(v))
        cur_zh = ", ".join(shown) if st.current is not None else "无（迁移功能之前的数据库）"
        cur_en = ", ".join(shown) if st.current is not None else "none (made before migrations)"
        raise InputError(
            f"数据库结构版本落后（当前 {cur_zh or '无'}，需要 {', '.join(st.missing)}），请先运行 shequ migrate --db {db}",
            f"the database schema is behind (current {cur_en or 'none'}, needed {', '.join(st.missing)}); run shequ migrate --db {db} first",
        )


def create_schema(engine: Engine) -> None:
    """``shequ init`` / ``open(create=True)``: an empty database gets every table and is stamped
    at the heads. An existing one must be current; then the tables of plugins installed since
    are created from their models and their branches stamped at their heads (the models are
    what the heads build), and so are the tables of plugins without migrations."""
    from ..db import create_all, has_schema

    if not has_schema(engine):
        create_all(engine)
        stamp_heads(engine)
        return
    check_current(engine, absent_ok=True)
    with engine.connect() as conn:
        absent = absent_branches(conn, stored_versions(conn) or ())
    create_all(engine)
    if absent:
        with engine.begin() as conn:
            command.stamp(_config(conn), sorted(f"{b}@head" for b in absent))


def stamp_heads(engine: Engine) -> None:
    """Mark a database just made by ``create_all`` as being at every head (old rows removed)."""
    with engine.begin() as conn:
        command.stamp(_config(conn), "heads", purge=True)


def pending(conn: Connection) -> list:
    """The revisions ``upgrade`` would apply, base first (``Script`` objects)."""
    current = stored_versions(conn) or set()
    done = reached(current | set(unversioned_baselines(conn, current)))
    todo = [s for s in reversed(list(script().walk_revisions())) if s.revision not in done]
    return sorted(todo, key=lambda s: _branch_label(s) != CORE_BRANCH)  # stable: the core's first, as applied


def pending_for(db) -> list:
    """:func:`pending` for a database path or URL."""
    from ..db import resolve_url

    engine = migration_engine(resolve_url(db))
    try:
        with engine.connect() as conn:
            return pending(conn)
    finally:
        engine.dispose()


def unversioned_baselines(conn: Connection, current) -> list[str]:
    """The first revision of each branch the database has not reached although the branch's
    tables exist: they were made before the branch had migrations (a database older than
    migrations, or a plugin that started shipping them), so they are its baseline. ``shequ
    migrate`` stamps these instead of creating the tables again. A plugin installed since has
    no tables yet: its baseline creates them."""
    sd = script()
    have = reached(current)
    existing = set(inspect(conn).get_table_names())
    by_branch = _tables_by_branch()
    out = []
    for base in sd.get_bases():
        if base in have:
            continue
        branch = _branch_label(sd.get_revision(base))
        if by_branch.get(branch, set()) & existing:
            out.append(base)
    # stamp only the tips, in case a baseline depends on another one it then implies
    implied = set().union(*(reached([b]) - {b} for b in out)) if out else set()
    return sorted(b for b in out if b not in implied)


# -- shequ migrate ---------------------------------------------------------------------------------

@dataclass
class Applied:
    revision: str
    branch: str
    doc: str


@dataclass
class MigrateResult:
    applied: list[Applied] = field(default_factory=list)
    stamped: list[str] = field(default_factory=list)  # baselines of a database made before migrations
    backup: Optional[Path] = None
    seconds: float = 0.0
    dry_run: bool = False


def _describe(s) -> Applied:
    return Applied(s.revision, _branch_label(s), (s.doc or "").strip())


def _branch_label(s) -> str:
    """The label of the branch a revision is on: its own, or that of the first revision it
    follows (``down_revision`` only; ``depends_on`` crosses branches)."""
    sd = script()
    while True:
        if s.branch_labels:
            return sorted(s.branch_labels)[0]
        down = s._versioned_down_revisions
        if not down:
            return ""
        s = sd.get_revision(down[0])


def _sqlite_path(url: str) -> Optional[Path]:
    if not url.startswith("sqlite"):
        return None
    path = make_url(url).database
    return None if path in (None, "", ":memory:") else Path(path)


def migration_engine(url: str, *, must_exist: bool = True) -> Engine:
    """An engine for schema changes. On SQLite: foreign keys off (a batch alteration drops and
    re-creates tables others point at) and our own ``BEGIN``, so DDL is transactional too."""
    from ..db import make_engine

    if not url.startswith("sqlite"):
        return make_engine(url)
    path = _sqlite_path(url)
    if must_exist and path is not None and not path.exists():
        raise InputError(f"数据库文件不存在: {path}", f"database file not found: {path}")
    if path is not None and path.exists():
        from ..db import is_read_only, make_engine

        ro = make_engine(url)
        if is_read_only(ro):  # only a dry run reads it (upgrade refuses to write)
            return ro
        ro.dispose()
    engine = create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        dbapi_conn.execute("PRAGMA foreign_keys=OFF")
        dbapi_conn.execute("PRAGMA busy_timeout=10000")

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _backup(path: Path) -> Path:
    """Copy a SQLite database (WAL included, consistently) to ``PATH.bak-<timestamp>``."""
    target = path.with_name(f"{path.name}.bak-{dt.datetime.now():%Y%m%d-%H%M%S}")
    src, dst = sqlite3.connect(path), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return target


def _upgrade_all(conn: Connection) -> None:
    """The core's branch first, then every other: plugin branches do not declare ``depends_on``
    the core (alembic would then keep no row for the core, and a database opened without that
    plugin would look behind), yet their tables refer to core tables."""
    if CORE_BRANCH in locations():
        command.upgrade(_config(conn), f"{CORE_BRANCH}@head")
    command.upgrade(_config(conn), "heads")


@contextmanager
def _rolled_back(backup: Optional[Path]) -> Iterator[None]:
    """Any failure inside the upgrade's transaction: one clear line saying nothing was changed."""
    from ..errors import ShequError

    try:
        yield
    except ShequError:
        raise
    except Exception as exc:
        first = (str(getattr(exc, "orig", None) or exc).splitlines() or [type(exc).__name__])[0]
        kept = f"（备份 {backup}）" if backup else ""
        raise InputError(f"迁移失败，已全部回滚，数据库未改变{kept}: {type(exc).__name__}: {first}",
                         f"migration failed and was rolled back; the database is unchanged: {type(exc).__name__}: {first}") from exc


@contextmanager
def _alembic_errors() -> Iterator[None]:
    from alembic.util import CommandError

    try:
        yield
    except CommandError as exc:
        raise InputError(f"迁移失败: {exc}（数据库中可能有未加载插件的版本）", f"migration failed: {exc} (the database may hold revisions of a plugin that is not loaded)") from None


def upgrade(db, *, dry_run: bool = False, empty_ok: bool = False) -> MigrateResult:
    """Bring a database to every head, in one transaction (a SQLite file is backed up first).

    ``empty_ok``: build an empty database from the migrations alone (the drift test does, to
    compare them with the models); otherwise an empty database is refused (``shequ init``)."""
    from ..db import resolve_url

    from ..db import is_unreachable, read_only_error, sqlite_read_only, unreachable

    url = resolve_url(db)
    started = time.perf_counter()
    result = MigrateResult(dry_run=dry_run)
    path = _sqlite_path(url)
    read_only = path is not None and sqlite_read_only(path)
    if read_only and not dry_run:
        raise read_only_error(url)
    engine = migration_engine(url, must_exist=not empty_ok)
    try:
        try:
            connection = engine.connect()
        except Exception as exc:
            if is_unreachable(exc):
                raise unreachable(url) from None
            raise
        with connection as conn:
            if not empty_ok and not inspect(conn).has_table("region"):
                raise InputError(f"{_shown(url)} 不是 shequ 数据库（新库请运行 shequ init）", f"{_shown(url)} is not a shequ database (run shequ init for a new one)")
            newer = newer_revisions(stored_versions(conn))
            if newer:  # before any backup or stamp: an older installation must not touch it
                raise newer_error(_shown(url), newer)
            result.stamped = unversioned_baselines(conn, stored_versions(conn) or set())
            with _alembic_errors():
                todo = pending(conn)
        result.applied = [_describe(s) for s in todo]
        if dry_run or not (todo or result.stamped):
            return result
        if path is not None:
            result.backup = _backup(path)
        with _rolled_back(result.backup), engine.begin() as conn, _alembic_errors():
            if result.stamped:
                command.stamp(_config(conn), result.stamped)
            _upgrade_all(conn)
            if path is not None:
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:  # raising rolls the whole upgrade back
                    raise InputError(f"迁移后外键不一致: {broken[:3]}", f"foreign keys broken by the migration: {broken[:3]}")
            st = status(conn)
            if st.behind:
                raise InputError(f"迁移后仍缺少版本 {st.missing}", f"still missing {st.missing} after the upgrade")
            _cells_stale(conn)
        return result
    finally:
        engine.dispose()
        result.seconds = time.perf_counter() - started


def _cells_stale(conn: Connection) -> None:
    """A migration may change data in bulk behind the write path: every stored indicator part is
    marked stale (computed live, then recomputed by the next refresh)."""
    from sqlalchemy.orm import Session

    from .. import analytics

    with Session(bind=conn) as session:  # joins the migration's transaction: committed with it
        if analytics._active(session):
            analytics.invalidate_all(session)
            session.commit()


# -- drift and new revisions ---------------------------------------------------------------------

def differences(conn: Connection, tables: Optional[set[str]] = None) -> list:
    """What the migrated database lacks compared with the models (alembic ``compare_metadata``)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    include = _include(tables) if tables is not None else managed_filter()
    ctx = MigrationContext.configure(conn, opts={"include_object": include, "compare_type": True})
    return compare_metadata(ctx, target_metadata())


def new_revision(branch: str, message: str) -> Optional[Path]:
    """Autogenerate the next revision of ``branch`` from the difference between its models and
    its migrations (applied to a scratch SQLite database). Returns the file, or ``None`` when
    the models need no change. Read it before shipping: renames come out as drop + add."""
    if branch not in locations():
        raise InputError(f"没有名为 {branch} 的迁移分支（可用: {', '.join(sorted(locations()))}）",
                         f"no migration branch {branch!r} (known: {', '.join(sorted(locations()))})")
    tables = {t for t, b in branch_of_table().items() if b == branch}
    sd = script()
    in_branch = [s for s in sd.walk_revisions() if _branch_label(s) == branch]
    # the next number after the highest one used: numbers may have gaps (a revision withdrawn
    # before release), and reusing one would make a revision its own ancestor
    numbers = [int(s.revision.rsplit("_", 1)[1]) for s in in_branch if s.revision.rsplit("_", 1)[-1].isdigit()]
    rev_id = f"{branch}_{max(numbers, default=len(in_branch)) + 1:04d}"
    written: list[Path] = []

    def keep_if_changed(context, revision, directives):
        if directives[0].upgrade_ops.is_empty():
            directives[:] = []

    engine = migration_engine("sqlite://")
    try:
        with engine.begin() as conn:
            _upgrade_all(conn)
            kwargs = {"head": f"{branch}@head"} if in_branch else {"head": "base", "branch_label": branch}
            out = command.revision(_config(conn, include_object=_include(tables)), message, autogenerate=True,
                                   version_path=str(locations()[branch]), rev_id=rev_id,
                                   process_revision_directives=keep_if_changed, **kwargs)
            for script_ in out if isinstance(out, list) else [out]:
                if script_ is not None:
                    written.append(Path(script_.path))
    finally:
        engine.dispose()
        _scripts.clear()
    return written[0] if written else None
