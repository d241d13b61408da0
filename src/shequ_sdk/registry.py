"""What plugins contribute, as plain dataclasses, and the registry that collects them.

Plugins never touch the registry directly: each ``register_*`` hook receives a ``register``
callback, which checks the contribution and files it under the calling plugin's name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional

from sqlmodel import SQLModel

from .errors import PluginError, Problem
from .fields import FieldInfo, describe_model
from .period import KINDS

LEVELS = ("village", "township", "county", "any")
VALUE_TYPES = ("count", "money", "ratio", "number")


@dataclass
class AssociationType:
    """A kind of association a plugin adds, such as ``sanitation`` (环卫协会)."""

    key: str
    name_zh: str
    name_en: str
    description_zh: str = ""
    description_en: str = ""
    duties_zh: tuple[str, ...] = ()
    duties_en: tuple[str, ...] = ()

    def name(self, lang: str = "zh") -> str:
        return self.name_zh if lang == "zh" else self.name_en


@dataclass
class RecordTable:
    """A record table: a SQLModel class (subclass of ``shequ_sdk.Record``) and what it means.

    - ``level``: the region level its rows belong to (``village`` covers communities too).
    - ``date_field`` places a row in time; ``period_field`` holds a period label such as
      ``2010Q4`` (with ``period_kind``). Frames filter by period through whichever is set.
    - ``natural_key``: the columns that identify a row for idempotent imports.
    - ``sensitive``: the whole table holds sensitive personal data; names never reach township views.
    - ``indexes``: the column lists the table's indicators and views filter or join on, e.g.
      ``(("region_id", "run_date"),)``. The SDK creates each one unless an index of the model
      (``__table_args__``) already starts with those columns; ``tests/perf/test_explain.py``
      checks that the indicator queries use them.
    - ``derived``: the plugin computes the rows (a schedule, a cache); data-entry forms skip it.
    - ``writers``: the roles that may write the table (such as ``("township",)``); empty,
      the default, means every role that may write at all, within its scope. The write path
      refuses any other role (administrators and the local single user always may); the
      village entry app leaves out a table villages may not write.
    """

    model: type[SQLModel]
    label_zh: str
    label_en: str
    level: str = "village"
    association_type: Optional[str] = None
    date_field: Optional[str] = None
    period_field: Optional[str] = None
    period_kind: Optional[str] = None
    natural_key: tuple[str, ...] = ()
    sensitive: bool = False
    description_zh: str = ""
    description_en: str = ""
    indexes: tuple[tuple[str, ...], ...] = ()
    derived: bool = False
    writers: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return self.model.__tablename__

    @property
    def fields(self) -> list[FieldInfo]:
        return describe_model(self.model)

    def field(self, name: str) -> FieldInfo:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def label(self, lang: str = "zh") -> str:
        return self.label_zh if lang == "zh" else self.label_en


@dataclass
class Indicator:
    """An indicator computed in SQL for any region and period.

    ``numerator(q)`` (and, for a rate, ``denominator(q)``) receive an
    :class:`~shequ_sdk.indicators.IndicatorQuery` and return a SQL ``select`` with two columns
    labelled ``region_id`` and ``value``, one row per village (or per region the rows belong to).
    The SDK sums each over the villages of the requested area, then divides: rates are never
    averaged. ``value_type="money"`` numerators return fen and come out as ``Decimal`` yuan.
    A denominator is required for ``"ratio"``, refused for ``"count"``, and allowed for
    ``"money"`` (yuan per unit) and ``"number"`` (a value per unit, Σ numerator ÷ Σ denominator
    as a ``float``, such as kilograms per household); with a denominator of 0 the value is ``None``.

    ``reads``: the tables (models or names) the parts read besides those in their SQL — what
    ``prepare`` derives its rows from, or what a part computed in Python (``q.per_region``)
    queries. Declaring them lets the aggregate layer store those parts too (a write to any of
    them marks the parts stale); without it such parts are computed on every read.
    """

    key: str
    label_zh: str
    label_en: str
    unit_zh: str
    unit_en: str
    numerator: Callable[[Any], Any]
    denominator: Optional[Callable[[Any], Any]] = None
    value_type: str = "count"
    period_kinds: tuple[str, ...] = KINDS
    description_zh: str = ""
    description_en: str = ""
    headline: bool = False
    prepare: Optional[Callable[[Any, Any], None]] = None
    reads: tuple = ()

    def __post_init__(self):
        # table names: a model class, a Table or a name may be given
        self.reads = tuple(sorted({getattr(t, "__tablename__", None) or getattr(t, "name", None) or str(t) for t in self.reads}))

    def label(self, lang: str = "zh") -> str:
        return self.label_zh if lang == "zh" else self.label_en


@dataclass
class Rule:
    """A validation rule.

    ``check_row(row, ctx)`` runs on every row written to ``table`` (and on every stored row in
    ``shequ check``); it yields :class:`~shequ_sdk.errors.Problem` objects. ``check_db(session)``
    runs in ``shequ check`` for rules that span rows or tables. Give one or both.
    """

    key: str
    label_zh: str
    label_en: str
    table: Optional[str] = None
    check_row: Optional[Callable[[Any, Any], Iterable[Problem]]] = None
    check_db: Optional[Callable[[Any], Iterable[Problem]]] = None
    severity: str = "error"  # "error" refuses a write; "warning" is reported by ``shequ check`` only


@dataclass
class Setting:
    """A configurable value with a default, overridable per township (or county, or region)."""

    key: str
    default: Any
    label_zh: str
    label_en: str
    description_zh: str = ""
    description_en: str = ""


@dataclass
class View:
    """A dashboard view: ``render(store)`` returns a Panel object for the township dashboard.

    ``store`` is the dashboard's DataStore (region, period, language and data access).
    ``placement`` is ``"chart"`` (township dashboard), ``"village"`` (village page) or ``"entry"``.
    ``printable(store)``, optional, returns the view as self-contained HTML (inline CSS, no
    scripts) for the printed dashboard (``shequ report``, 导出 PDF), or ``None`` to leave it out;
    a chart view without it is not printed.
    """

    key: str
    label_zh: str
    label_en: str
    render: Callable[[Any], Any]
    placement: str = "chart"
    order: int = 100
    printable: Optional[Callable[[Any], Optional[str]]] = None

    def label(self, lang: str = "zh") -> str:
        return self.label_zh if lang == "zh" else self.label_en


@dataclass
class Verifier:
    """A check ``shequ verify`` runs: ``check(session)`` returns the problems found (``[]``: valid).

    Verifiers prove the stored data was not changed behind the SDK's back: the core's
    ``core.audit_chain`` recomputes the audit log's hash chain; a plugin recomputes the
    fingerprints of what it published.
    """

    key: str
    label_zh: str
    label_en: str
    check: Callable[[Any], list[Problem]]

    def label(self, lang: str = "zh") -> str:
        return self.label_zh if lang == "zh" else self.label_en


@dataclass
class BoardType:
    """A printable board (公开栏) a plugin adds to ``shequ board`` and ``shequ_sdk.boards``.

    ``load(session, region, period, today)`` returns a :class:`shequ_sdk.boards.Board` for one
    village and period (``region`` a ``Region``, ``period`` a ``Period``); ``shequ board
    --board`` finds the type by its key, ``label_zh`` (with or without 公开栏), ``label_en``
    or one of ``aliases``. ``period_kinds``: the periods it is printed for.
    """

    key: str
    label_zh: str
    label_en: str
    load: Callable[[Any, Any, Any, Any], Any]
    aliases: tuple[str, ...] = ()
    period_kinds: tuple[str, ...] = KINDS

    def label(self, lang: str = "zh") -> str:
        return self.label_zh if lang == "zh" else self.label_en


@dataclass
class Migrations:
    """A directory of Alembic revision files: one version branch of the database schema.

    ``branch`` is the branch label (the core's is ``shequ_core``, a plugin's its own name);
    the revision files in ``path`` change the tables the registering plugin registers.
    """

    branch: str
    path: Any  # str or os.PathLike: the directory holding the revision files

    @property
    def key(self) -> str:
        return self.branch


@dataclass
class Registry:
    """Everything the loaded plugins contributed, keyed, with the owning plugin of each key."""

    association_types: dict[str, AssociationType] = field(default_factory=dict)
    tables: dict[str, RecordTable] = field(default_factory=dict)
    indicators: dict[str, Indicator] = field(default_factory=dict)
    rules: dict[str, Rule] = field(default_factory=dict)
    settings: dict[str, Setting] = field(default_factory=dict)
    views: dict[str, View] = field(default_factory=dict)
    migrations: dict[str, Migrations] = field(default_factory=dict)
    verifiers: dict[str, Verifier] = field(default_factory=dict)
    boards: dict[str, BoardType] = field(default_factory=dict)
    owner: dict[tuple[str, str], str] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)

    def by_plugin(self, plugin: str) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for (kind, key), who in self.owner.items():
            if who == plugin:
                out.setdefault(kind, []).append(key)
        return out

    def table(self, key: str) -> RecordTable:
        from .errors import NotFoundError

        try:
            return self.tables[key]
        except KeyError:
            raise NotFoundError(
                f"未知的数据表 {key!r}（可用: {', '.join(sorted(self.tables))}）",
                f"unknown table {key!r} (known: {', '.join(sorted(self.tables))})",
            ) from None

    def table_for_model(self, model) -> RecordTable:
        for t in self.tables.values():
            if t.model is model:
                return t
        raise KeyError(model)


def ensure_declared_indexes(rt: "RecordTable") -> list:
    """Create the SQL indexes a table declares in ``RecordTable.indexes``.

    A declared column list is already served when an index of the model (``__table_args__``,
    ``index=True``) starts with those columns — a wider, covering index answers the same
    lookups — so only the missing ones are added, named ``ix_<table>_<columns>``. Returns the
    indexes added. ``shequ init`` / ``Shequ(create=True)`` create them with the table.
    """
    import hashlib

    from sqlalchemy import Index

    table = rt.model.__table__
    added = []
    for cols in rt.indexes:
        cols = tuple(cols)
        if any(tuple(c.name for c in ix.columns)[: len(cols)] == cols for ix in table.indexes):
            continue
        name = f"ix_{table.name}_{'_'.join(cols)}"
        if len(name) > 60:  # PostgreSQL truncates identifiers at 63 bytes: keep names unique
            name = name[:51] + "_" + hashlib.sha1(name.encode()).hexdigest()[:8]
        added.append(Index(name, *(table.c[c] for c in cols)))  # binds itself to the table
    return added


def _drop_redundant_region_index(table) -> None:
    """``Record.region_id`` is indexed for scoping; when the table declares a composite index
    that starts with ``region_id`` the single-column one only slows writes, so drop it."""
    composite = any(len(ix.columns) > 1 and list(ix.columns)[0].name == "region_id" for ix in table.indexes)
    if composite:
        for ix in list(table.indexes):
            if [c.name for c in ix.columns] == ["region_id"]:
                table.indexes.discard(ix)


_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_DOTTED = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")


def make_register(registry: Registry, kind: str, plugin: str, cls: type, others: frozenset[str] = frozenset()):
    """Build the ``register`` callback handed to one plugin's ``register_<kind>`` hook."""

    store = getattr(registry, kind)

    def register(item):
        if not isinstance(item, cls):
            raise PluginError(
                f"插件 {plugin} 注册了错误的类型: 应为 {cls.__name__}，收到 {type(item).__name__}",
                f"plugin {plugin} registered a {type(item).__name__} where a {cls.__name__} was expected",
            )
        key = item.key
        problem = _check(kind, item, plugin, others)
        if problem:
            raise PluginError(f"插件 {plugin} 注册的 {key!r} 无效: {problem[0]}", f"plugin {plugin} registered an invalid {key!r}: {problem[1]}")
        if key in store:
            other = registry.owner.get((kind, key), "?")
            raise PluginError(
                f"插件 {plugin} 注册的 {key!r} 与插件 {other} 重复", f"plugin {plugin} registered {key!r}, which plugin {other} already registered"
            )
        store[key] = item
        registry.owner[(kind, key)] = plugin
        if kind == "tables":
            ensure_declared_indexes(item)
            _drop_redundant_region_index(item.model.__table__)
        return item

    return register


def _check(kind: str, item, plugin: str, others: frozenset[str]) -> Optional[tuple[str, str]]:
    if kind in ("indicators", "rules", "settings", "views", "verifiers", "boards"):
        if not _DOTTED.match(item.key):
            return ("键名应为 插件.名称 的形式", "the key must look like plugin.name")
        prefix = item.key.split(".")[0]
        if prefix != plugin and prefix in others:
            return (f"前缀 {prefix}. 属于另一个插件", f"the prefix {prefix}. belongs to another plugin")
    elif not _KEY.match(item.key):
        return ("键名只能含小写字母、数字和下划线", "the key may hold only lower-case letters, digits and underscores")
    if kind == "tables":
        from .models import Record

        if not (isinstance(item.model, type) and issubclass(item.model, Record) and hasattr(item.model, "__table__")):
            return ("数据表必须是继承 shequ_sdk.Record 的 SQLModel 表类", "a record table must be a SQLModel table class that subclasses shequ_sdk.Record")
        if item.level not in LEVELS:
            return (f"level 应为 {LEVELS} 之一", f"level must be one of {LEVELS}")
        cols = item.model.__table__.c
        for name in (item.date_field, item.period_field, *item.natural_key, *(c for ix in item.indexes for c in ix)):
            if name and name not in cols:
                return (f"字段 {name} 不存在", f"no column {name}")
        if item.period_field and item.period_kind not in KINDS:
            return ("设置 period_field 时需给出 period_kind", "period_field needs a period_kind")
    if kind == "indicators":
        if item.value_type not in VALUE_TYPES:
            return (f"value_type 应为 {VALUE_TYPES} 之一", f"value_type must be one of {VALUE_TYPES}")
        if item.value_type == "ratio" and item.denominator is None:
            return ("比率指标需要 denominator", "a ratio indicator needs a denominator")
        if item.value_type == "count" and item.denominator is not None:
            return ("计数指标不能有 denominator（比率用 value_type=\"ratio\"，每单位数值用 \"number\"）",
                    'a count indicator cannot have a denominator (use value_type="ratio" for a share, "number" for a value per unit)')
        if not callable(item.numerator):
            return ("numerator 必须可调用", "numerator must be callable")
        if item.denominator is not None and not callable(item.denominator):
            return ("denominator 必须可调用", "denominator must be callable")
        if any(k not in KINDS for k in item.period_kinds):
            return (f"period_kinds 只能取 {KINDS}", f"period_kinds must be taken from {KINDS}")
    if kind == "boards":
        if not callable(item.load):
            return ("load 必须可调用", "load must be callable")
        if not item.period_kinds or any(k not in KINDS for k in item.period_kinds):
            return (f"period_kinds 只能取 {KINDS}", f"period_kinds must be taken from {KINDS}")
    if kind == "verifiers" and not callable(item.check):
        return ("check 必须可调用", "check must be callable")
    if kind == "rules" and item.check_row is None and item.check_db is None:
        return ("规则需要 check_row 或 check_db", "a rule needs check_row or check_db")
    if kind == "rules" and item.severity not in ("error", "warning"):
        return ("severity 应为 error 或 warning", "severity must be error or warning")
    if kind == "migrations":
        from pathlib import Path

        # alembic_version holds ids up to 32 characters; revision ids are "<branch>_0001"
        if len(item.branch) > 24:
            return ("迁移分支名不能超过 24 个字符", "a migration branch label may be at most 24 characters")
        if not Path(item.path).is_dir():
            return (f"迁移目录 {item.path} 不存在", f"the migrations directory {item.path} does not exist")
    return None
