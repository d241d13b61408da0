"""pandas frames for analysts: record tables and indicators as typed, labelled DataFrames.

Every filter (region, period, extra equality filters, column choice) becomes SQL; a table is
never loaded whole to be filtered in pandas. Column types are the same on SQLite and
PostgreSQL, because all conversion happens here, in :func:`typed`:

- dates and timestamps → naive ``datetime64[ns]``;
- integers → nullable ``Int64``; money (``money=True`` fields) stays exact integer fen (分) in
  the ``*_fen`` column, and ``yuan=True`` adds a ``*_yuan`` column of ``Decimal`` yuan;
- booleans → nullable ``boolean``;
- fields with ``choices`` → ``Categorical`` of the Chinese labels (English with ``lang="en"``,
  the stored codes with ``codes=True``), categories in declaration order;
- sensitive fields (``sensitive=…``, ``id_number``, ``phone``) → masked with
  :func:`shequ_sdk.ids.mask` unless the caller's role may see them (:func:`may_unmask`).

Labels travel with a frame in ``df.attrs["labels"]`` (``{column: label}``) so charts and
tables can be titled in Chinese without hand-typed strings; :func:`labelled` renames the
columns with them.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable, Iterator, Optional

import pandas as pd
from sqlalchemy import or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from .errors import InputError, PermissionDenied
from .fields import FieldInfo, describe_model
from .ids import mask
from .indicators import compute
from .models import LEVEL_OF_KIND, Region
from .period import KINDS, Period
from .plugins import registry
from .records import resolve_table
from .registry import Indicator, RecordTable
from .regions import find_region, scope_condition

LANGS = ("zh", "en")
LEVELS = ("village", "township", "county")
DATETIME_DTYPE = "datetime64[ns]"

# Columns a frame can add from the row's region (joined in SQL, never looked up per row).
REGION_COLUMNS = {
    "region_name": ("地区", "Region"),
    "region_code": ("区划代码", "Region code"),
    "township_name": ("乡镇", "Township"),
}

# Columns of the long indicator frame, with their labels.
INDICATOR_COLUMNS = {
    "region_id": ("地区编号", "Region ID"),
    "region_code": ("区划代码", "Region code"),
    "region_name": ("地区", "Region"),
    "level": ("层级", "Level"),
    "period": ("期间", "Period"),
    "period_start": ("期间开始", "Period start"),
    "indicator": ("指标", "Indicator"),
    "value": ("值", "Value"),
}
LEVEL_LABELS = {"village": ("村/社区", "village"), "township": ("乡镇", "township"), "county": ("县级", "county")}


# -- privacy ---------------------------------------------------------------------------------

def may_unmask(role, table: RecordTable, field: FieldInfo) -> bool:
    """May ``role`` read ``table.field`` in clear? The one place that decides.

    ``None`` (the analyst default) and any role that does not say otherwise may not. A role
    object grants access by answering ``role.may_unmask(table, field) -> bool``; the role
    system plugs in there without changing any caller.
    """
    if role is None:
        return False
    decide = getattr(role, "may_unmask", None)
    if callable(decide):
        return bool(decide(table, field))
    return False


def _check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise InputError(f"语言应为 zh 或 en，收到 {lang!r}", f"lang must be zh or en, got {lang!r}")
    return lang


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


# -- typed columns: the one place where database values become pandas dtypes -----------------

def to_datetime64(values: pd.Series) -> pd.Series:
    """Dates and timestamps from either backend as naive ``datetime64[ns]``.

    Dates arrive as ``date`` objects (or ISO strings from raw SQL). Timestamps arrive
    time-zone-aware: SQLModel stores them as UTC instants and returns them in UTC on both
    backends; they become naive UTC here.
    """
    out = pd.to_datetime(values, errors="raise", utc=_has_aware(values))
    if isinstance(out.dtype, pd.DatetimeTZDtype):
        out = out.dt.tz_convert("UTC").dt.tz_localize(None)
    return out.astype(DATETIME_DTYPE)


def _has_aware(values: pd.Series) -> bool:
    if values.dtype != object:
        return False
    first = next((v for v in values if v is not None and v == v), None)
    return isinstance(first, dt.datetime) and first.utcoffset() is not None


def fen_to_yuan(value) -> Optional[Decimal]:
    """Integer fen → exact ``Decimal`` yuan with two places (``None``/NA stays ``None``)."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return (Decimal(int(value)) / 100).quantize(Decimal("0.01"))


def yuan_column(name: str) -> str:
    """The name of the yuan column derived from a fen column: ``amount_fen`` → ``amount_yuan``."""
    return name[:-4] + "_yuan" if name.endswith("_fen") else name + "_yuan"


_FEN_UNIT = re.compile(r"\s*[（(]\s*(分|fen)\s*[)）]\s*$", re.IGNORECASE)


def _yuan_label(label: str, lang: str) -> str:
    base = _FEN_UNIT.sub("", label)
    return f"{base}（元）" if lang == "zh" else f"{base} (yuan)"


def _categorical(values: pd.Series, info: FieldInfo, lang: str, codes: bool) -> pd.Series:
    declared = list(info.choices)
    # a stored value outside the declared choices is kept, never silently turned into NaN
    present = pd.unique(values.dropna())
    extra = sorted({v for v in present if v not in info.choices}, key=str)
    cat = pd.Categorical(values, categories=declared + extra)
    if not codes:
        labels = [info.choice_label(c, lang) for c in declared]
        if set(extra) & set(labels):  # a stray stored value equal to another choice's label: map value by value
            mapped = values.map(lambda v: info.choice_label(v, lang), na_action="ignore")
            extra = sorted({v for v in mapped.dropna().unique() if v not in labels}, key=str)
            return pd.Series(pd.Categorical(mapped, categories=labels + extra), index=values.index, name=values.name)
        cat = cat.rename_categories(labels + extra)
    return pd.Series(cat, index=values.index, name=values.name)


def typed(df: pd.DataFrame, infos: dict[str, FieldInfo], *, lang: str = "zh", codes: bool = False) -> pd.DataFrame:
    """Give every column of ``df`` that has field metadata its pandas dtype (see module doc)."""
    for name in df.columns:
        info = infos.get(name)
        if info is not None:
            df[name] = typed_column(df[name], info, lang=lang, codes=codes)
    return df


def typed_column(col: pd.Series, info: FieldInfo, *, lang: str = "zh", codes: bool = False) -> pd.Series:
    """One column of database values as the dtype its field metadata gives (see module doc)."""
    if info.choices:
        return _categorical(col, info, lang, codes)
    if info.python_type in (dt.date, dt.datetime):
        return to_datetime64(col)
    if info.python_type is bool:
        return col.astype("boolean")
    if info.python_type is int:
        return col.astype("Int64")
    if info.python_type is float:
        return col.astype("float64")
    if info.python_type is str:
        # an all-empty text column would otherwise stay ``object``
        return col.astype("str")
    return col


DTYPE_BACKENDS = (None, "pyarrow")


def _check_dtype_backend(dtype_backend) -> Optional[str]:
    if dtype_backend not in DTYPE_BACKENDS:
        raise InputError(f"dtype_backend 应为 None 或 \"pyarrow\"，收到 {dtype_backend!r}",
                         f"dtype_backend must be None or \"pyarrow\", got {dtype_backend!r}")
    return dtype_backend


def to_arrow_dtypes(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with Arrow-backed dtypes: ``Int64`` → ``int64[pyarrow]``, ``boolean`` → ``bool[pyarrow]``,
    ``datetime64[ns]`` → ``timestamp[ns][pyarrow]``, text → ``string[pyarrow]``, ``float64`` →
    ``double[pyarrow]``, ``Decimal`` yuan → ``decimal128(20, 2)[pyarrow]``. Categoricals stay
    categorical (their categories keep the declared order). ``attrs`` are kept."""
    import pyarrow as pa

    decimals = set(df.attrs.get("yuan", ()))
    for name in df.columns:
        dtype = df[name].dtype
        if isinstance(dtype, (pd.CategoricalDtype, pd.ArrowDtype)):
            continue
        if name in decimals:
            target = pd.ArrowDtype(pa.decimal128(20, 2))
        elif dtype == DATETIME_DTYPE:
            target = pd.ArrowDtype(pa.timestamp("ns"))
        elif dtype == "Int64":
            target = pd.ArrowDtype(pa.int64())
        elif dtype == "boolean":
            target = pd.ArrowDtype(pa.bool_())
        elif dtype == "float64":
            target = pd.ArrowDtype(pa.float64())
        elif isinstance(dtype, pd.StringDtype):
            target = pd.ArrowDtype(pa.string())
        else:
            continue
        df[name] = df[name].astype(target)
    return df


def fetch_tuples(session: Session, stmt) -> tuple[list[str], list[tuple]]:
    """Run ``stmt`` and return its column keys and the driver's own row tuples.

    SQLAlchemy binds and converts the parameters as usual; the rows are read from the DBAPI
    cursor directly, skipping SQLAlchemy's ``Row`` objects and result processors (3× the cost
    of the query on a year of collection runs). :func:`typed_column` reads the driver's values
    on both backends (ISO date strings and 0/1 booleans from SQLite, objects from psycopg);
    :func:`columns_frame` applies the processors of any other column type."""
    result = session.connection().execute(stmt)
    try:
        keys = list(result.keys())
        rows = result.cursor.fetchall() if result.returns_rows else []
    finally:
        result.close()
    return keys, rows


_NATIVE_TYPES = (dt.date, dt.datetime, bool, int, float, str)


def columns_frame(rows: list, keys: list[str], stmt=None, dialect=None) -> dict[str, pd.Series]:
    """``{key: object Series}`` from row tuples: one transpose into a 2-D object array (numpy,
    in C), no per-row probing (``DataFrame.from_records`` on SQLAlchemy ``Row`` objects costs
    4× more). With ``stmt`` and ``dialect``, a column whose type is not one :func:`typed_column`
    reads natively gets its SQLAlchemy result processor."""
    import numpy as np

    grid = np.empty((len(rows), len(keys)), dtype=object)
    if rows:
        grid[:] = rows
    out = {}
    for i, key in enumerate(keys):
        values = grid[:, i].copy()  # a column of its own: converted columns free their objects one by one
        if stmt is not None and dialect is not None:
            column = stmt.selected_columns[i]
            python_type = _python_type(column.type)
            if python_type not in _NATIVE_TYPES:
                process = column.type.dialect_impl(dialect).result_processor(dialect, None)
                if process is not None:
                    values = np.array([process(v) for v in values], dtype=object) if len(values) else values
        out[key] = pd.Series(values, dtype=object, copy=False)
    return out


def _python_type(sa_type):
    from sqlalchemy.types import TypeDecorator

    while isinstance(sa_type, TypeDecorator):  # UTCDateTime, AutoString: what they store
        sa_type = sa_type.impl_instance
    try:
        return sa_type.python_type
    except NotImplementedError:
        return None


# -- record frames ------------------------------------------------------------------------------

def _as_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    return [value]


def _period_condition(rt: RecordTable, periods: list[Period]):
    tbl = rt.model.__table__
    if rt.date_field:
        col = tbl.c[rt.date_field]
        if rt.field(rt.date_field).python_type is dt.datetime:
            # SQLModel stores timestamps as UTC instants, so the period's days are UTC days; the upper
            # bound is the next period's start, so a timestamp late on the last day is inside
            utc = dt.timezone.utc
            bounds = [(dt.datetime.combine(p.start, dt.time.min, utc), dt.datetime.combine(p.next().start, dt.time.min, utc)) for p in periods]
        else:
            bounds = [(p.start, p.next().start) for p in periods]
        return _or([(col >= lo) & (col < hi) for lo, hi in bounds])
    if rt.period_field:
        col = tbl.c[rt.period_field]
        labels: list[Any] = []
        for p in periods:
            if KINDS.index(p.kind) > KINDS.index(rt.period_kind):
                raise InputError(
                    f"{rt.label_zh}按{_KIND_ZH[rt.period_kind]}登记，不能按{_KIND_ZH[p.kind]} {p} 筛选",
                    f"{rt.label_en} rows are per {rt.period_kind}; they cannot be filtered by the {p.kind} {p}",
                )
            # every label inside the period, at its own kind and every finer one: a quarterly table
            # may also hold monthly rows (monthly financial disclosure), and they lie in the year too
            for kind in KINDS[KINDS.index(p.kind):]:
                labels += [str(s) for s in p.subperiods(kind)]
        if rt.period_kind == "year" and rt.field(rt.period_field).python_type is int:
            labels = [int(x) for x in labels if str(x).isdigit()]
        return col.in_(labels)
    raise InputError(f"{rt.label_zh}（{rt.key}）没有日期或期间字段，不能按期间筛选",
                     f"{rt.label_en} ({rt.key}) has no date or period field to filter by period")


_KIND_ZH = {"year": "年", "quarter": "季度", "month": "月"}


def _or(conds):
    return conds[0] if len(conds) == 1 else or_(*conds)


def _normalise_filter_value(info: FieldInfo, value):
    """Accept choice labels (中文/English) in filters, as the write path does."""
    if info.choices and isinstance(value, str) and value not in info.choices:
        for code, (zh, en) in info.choices.items():
            if value.strip() in (zh, en):
                return code
        allowed = "、".join(zh for zh, _ in info.choices.values())
        raise InputError(f"{info.label_zh}（{info.name}）没有可选值 {value!r}（可选：{allowed}）",
                         f"{info.label_en} ({info.name}) has no choice {value!r} (choices: {', '.join(info.choices)})")
    return value


def _unmask_set(role, rt: RecordTable, infos: list[FieldInfo], unmasked) -> set[str]:
    sensitive = {i.name for i in infos if i.sensitive}
    if unmasked is True:
        wanted = sensitive
    elif not unmasked:
        return set()
    else:
        wanted = set(_as_list(unmasked))
        unknown = wanted - sensitive
        if unknown:
            raise InputError(f"{rt.key} 中没有敏感字段 {', '.join(sorted(unknown))}",
                             f"{rt.key} has no sensitive field {', '.join(sorted(unknown))}")
    by_name = {i.name: i for i in infos}
    for name in sorted(wanted):
        if not may_unmask(role, rt, by_name[name]):
            info = by_name[name]
            raise PermissionDenied(
                f"当前角色（{role or '分析员'}）无权查看 {rt.label_zh} 的{info.label_zh}（{rt.key}.{name}）明文；默认输出为脱敏值",
                f"the current role ({role or 'analyst'}) may not see {rt.label_en} {info.label_en} ({rt.key}.{name}) unmasked; "
                "frames mask it by default",
            )
    return wanted


@dataclass
class FrameQuery:
    """A record frame's SQL and how its rows become a typed, masked, labelled DataFrame.

    Built (and every argument checked) by :func:`frame_query`; :func:`frame` runs it once,
    :func:`iter_frames` runs it in keyset-paginated chunks (``id > last id``)."""

    rt: RecordTable
    stmt: Any  # SELECT … WHERE …, without ORDER BY / LIMIT
    by_name: dict[str, FieldInfo]
    wanted: list[str]
    clear: set[str]
    lang: str
    codes: bool
    yuan: bool
    dtype_backend: Optional[str]
    id_key: str  # the result column holding the row id (``id``, or a hidden one when not wanted)

    def rows(self, session: Session, *, after: Optional[int] = None, limit: Optional[int] = None) -> list:
        tbl = self.rt.model.__table__
        stmt = self.stmt
        if after is not None:
            stmt = stmt.where(tbl.c.id > after)
        stmt = stmt.order_by(tbl.c.id)
        if limit is not None:
            stmt = stmt.limit(int(limit))
        return fetch_tuples(session, stmt)[1]

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.stmt.selected_columns]

    def build(self, rows: list, dialect=None) -> pd.DataFrame:
        """The typed frame of the driver's ``rows`` (tuples in :attr:`keys` order); empties ``rows``."""
        by_name, lang = self.by_name, self.lang
        raw = columns_frame(rows, self.keys, self.stmt, dialect)
        rows.clear()  # the values live on in ``raw``; the row tuples can go before the typed copies are made
        data = {}
        for name in self.wanted:
            col = raw.pop(name)
            info = by_name.get(name)
            if info is None:  # a joined region column
                data[name] = col.astype("str")
                continue
            col = typed_column(col, info, lang=lang, codes=self.codes)
            if info.sensitive and name not in self.clear:
                masked = col.map(lambda v, kind=info.sensitive: mask(v, kind), na_action="ignore")
                # a text column keeps its dtype (an all-empty page would otherwise come back as ``object``);
                # a masked number or date becomes text ("***"), as before
                col = masked.astype(col.dtype) if isinstance(col.dtype, pd.StringDtype) else masked
            data[name] = col
            if self.yuan and info.money:
                data[yuan_column(name)] = col.map(fen_to_yuan).astype(object)
        df = pd.DataFrame(data, copy=False)
        masked = [n for n in self.wanted if n in by_name and by_name[n].sensitive and n not in self.clear]
        labels = {}
        for name in self.wanted:
            labels[name] = by_name[name].label(lang) if name in by_name else _pick(REGION_COLUMNS[name], lang)
            if self.yuan and name in by_name and by_name[name].money:
                labels[yuan_column(name)] = _yuan_label(by_name[name].label(lang), lang)
        money = [n for n in self.wanted if n in by_name and by_name[n].money]
        df.attrs.update({
            "table": self.rt.key,
            "table_label": self.rt.label(lang),
            "lang": lang,
            "labels": labels,
            "masked": masked,
            "money_fen": money,
        })
        if self.dtype_backend == "pyarrow":
            df.attrs["yuan"] = [yuan_column(n) for n in money] if self.yuan else []
            to_arrow_dtypes(df)
            del df.attrs["yuan"]
        return df


def frame_query(
    session: Session,
    table,
    *,
    region=None,
    period=None,
    columns: Optional[Iterable[str]] = None,
    where: Optional[dict[str, Any]] = None,
    with_region: bool = False,
    yuan: bool = False,
    lang: str = "zh",
    codes: bool = False,
    unmasked=False,
    role=None,
    dtype_backend: Optional[str] = None,
) -> FrameQuery:
    """Check a frame's arguments and build its SQL (see :func:`frame` for the arguments)."""
    lang = _check_lang(lang)
    dtype_backend = _check_dtype_backend(dtype_backend)
    rt = resolve_table(table)
    tbl = rt.model.__table__
    infos = describe_model(rt.model)
    by_name = {i.name: i for i in infos}

    wanted = list(columns) if columns is not None else [i.name for i in infos]
    if not wanted:
        raise InputError("columns 不能为空", "columns must name at least one column")
    unknown = [c for c in wanted if c not in by_name and c not in REGION_COLUMNS]
    if unknown:
        raise InputError(
            f"{rt.label_zh}（{rt.key}）没有字段 {', '.join(unknown)}（可用：{', '.join(list(by_name) + list(REGION_COLUMNS))}）",
            f"{rt.label_en} ({rt.key}) has no column {', '.join(unknown)} (available: {', '.join(list(by_name) + list(REGION_COLUMNS))})",
        )
    if with_region:
        wanted += [c for c in REGION_COLUMNS if c not in wanted]
    clear = _unmask_set(role, rt, infos, unmasked)

    region_rel = aliased(Region, name="r")
    township_rel = aliased(Region, name="t")
    selected = []
    for name in wanted:
        if name == "region_name":
            selected.append(region_rel.name.label(name))
        elif name == "region_code":
            selected.append(region_rel.code.label(name))
        elif name == "township_name":
            selected.append(township_rel.name.label(name))
        else:
            selected.append(tbl.c[name])
    id_key = "id"
    if "id" not in wanted:  # chunks page by id: select it under a name no column has
        id_key = "_shequ_row_id"
        selected.append(tbl.c.id.label(id_key))
    stmt = select(*selected)
    if any(c in REGION_COLUMNS for c in wanted):
        source = tbl.join(region_rel, region_rel.id == tbl.c.region_id)
        if "township_name" in wanted:
            source = source.outerjoin(township_rel, township_rel.id == region_rel.township_id)
        stmt = stmt.select_from(source)
    else:
        stmt = stmt.select_from(tbl)

    if region is not None:
        areas = [find_region(session, r) for r in _as_list(region)]
        stmt = stmt.where(tbl.c.region_id.in_(select(Region.id).where(_or([scope_condition(a) for a in areas]))))
    if period is not None:
        stmt = stmt.where(_period_condition(rt, [Period.parse(p) for p in _as_list(period)]))
    for name, value in (where or {}).items():
        info = by_name.get(name)
        if info is None:
            raise InputError(f"{rt.label_zh}（{rt.key}）没有字段 {name}，不能筛选", f"{rt.label_en} ({rt.key}) has no column {name} to filter by")
        if info.sensitive and name not in clear and not may_unmask(role, rt, info):
            # filtering on a masked column would reveal its clear value one guess at a time
            raise PermissionDenied(f"当前角色无权按敏感字段 {info.label_zh}（{name}）筛选", f"the current role may not filter by the sensitive column {info.label_en} ({name})")
        if value is None:  # rows where the column is empty
            stmt = stmt.where(tbl.c[name].is_(None))
            continue
        values = [_normalise_filter_value(info, v) for v in _as_list(value)]
        stmt = stmt.where(tbl.c[name].in_(values) if isinstance(value, (list, tuple, set, frozenset)) else tbl.c[name] == values[0])
    return FrameQuery(rt=rt, stmt=stmt, by_name=by_name, wanted=wanted, clear=clear, lang=lang, codes=codes, yuan=yuan,
                      dtype_backend=dtype_backend, id_key=id_key)


def frame(
    session: Session,
    table,
    *,
    region=None,
    period=None,
    columns: Optional[Iterable[str]] = None,
    where: Optional[dict[str, Any]] = None,
    with_region: bool = False,
    yuan: bool = False,
    lang: str = "zh",
    codes: bool = False,
    unmasked=False,
    role=None,
    limit: Optional[int] = None,
    dtype_backend: Optional[str] = None,
) -> pd.DataFrame:
    """The rows of a registered record table as a typed DataFrame, filtered in SQL.

    - ``table``: table key (``"household"``), model class or :class:`RecordTable`.
    - ``region``: name, code, path or :class:`Region`; rows of that region and every region
      below it. A list selects several areas.
    - ``period``: ``"2010"``, ``"2010Q4"``, ``"2010-12"`` or a :class:`Period` (a list: any of
      them), matched against the table's ``date_field`` (the date lies in the period) or
      ``period_field`` (the row's period lies in it).
    - ``columns``: the table columns to return (default: all), plus any of ``region_name``,
      ``region_code``, ``township_name``; ``with_region=True`` adds those three.
    - ``where``: extra equality filters ``{column: value or [values]}``; choice labels work;
      ``None`` selects the rows where the column is empty.
    - ``yuan``: add a ``Decimal`` yuan column after each money (fen) column.
    - ``unmasked``: ``True`` or a list of sensitive columns to return in clear; refused with
      :class:`PermissionDenied` unless :func:`may_unmask` allows it for ``role``.
    - ``dtype_backend="pyarrow"``: Arrow-backed dtypes (:func:`to_arrow_dtypes`) instead of
      numpy/nullable ones; categoricals, masking and labels are the same.
    """
    q = frame_query(session, table, region=region, period=period, columns=columns, where=where, with_region=with_region,
                    yuan=yuan, lang=lang, codes=codes, unmasked=unmasked, role=role, dtype_backend=dtype_backend)
    return q.build(q.rows(session, limit=limit), session.get_bind().dialect)


PAGE_ROWS = 20_000  # rows read from the database at a time while a chunk is assembled


def iter_query(session: Session, q: FrameQuery, chunksize: int = 100_000) -> Iterator[pd.DataFrame]:
    """Run ``q`` in chunks of at most ``chunksize`` rows, in id order (keyset pagination: each
    page is ``… AND id > last id ORDER BY id LIMIT n``, so the database never holds a cursor
    open between pages and memory stays bounded by one chunk).

    A chunk is assembled from typed pages of at most :data:`PAGE_ROWS` rows, so the driver's
    Python objects of only one page are alive at a time (typed columns are far smaller)."""
    if not isinstance(chunksize, int) or isinstance(chunksize, bool) or chunksize < 1:
        raise InputError(f"chunksize 应为正整数，收到 {chunksize!r}", f"chunksize must be a positive integer, got {chunksize!r}")
    position = q.keys.index(q.id_key)
    dialect = session.get_bind().dialect
    after = None
    exhausted = False
    while not exhausted:
        parts: list[pd.DataFrame] = []
        size = 0
        while size < chunksize:
            want = min(PAGE_ROWS, chunksize - size)
            rows = q.rows(session, after=after, limit=want)
            if not rows:
                exhausted = True
                break
            after, got = rows[-1][position], len(rows)
            parts.append(q.build(rows, dialect))  # empties ``rows``
            del rows
            size += got
            if got < want:
                exhausted = True
                break
        if not parts:
            return
        chunk = parts[0] if len(parts) == 1 else _concat(parts)
        del parts  # while the consumer holds this chunk, nothing else of it stays alive here
        yield chunk
        del chunk


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Typed pages as one frame: dtypes kept (categoricals with the union of the pages' categories,
    declared ones first) and the first page's ``attrs``."""
    from pandas.api.types import union_categoricals

    out = pd.concat(parts, ignore_index=True)
    for name in parts[0].columns:
        first = parts[0][name].dtype
        if isinstance(first, pd.CategoricalDtype) and not isinstance(out[name].dtype, pd.CategoricalDtype):
            merged = union_categoricals([p[name] for p in parts], ignore_order=True)
            out[name] = pd.Categorical(merged, categories=list(dict.fromkeys([*first.categories, *merged.categories])))
    out.attrs = dict(parts[0].attrs)
    return out


def iter_frames(session: Session, table, *, chunksize: int = 100_000, **args) -> Iterator[pd.DataFrame]:
    """:func:`frame` in chunks of ``chunksize`` rows: the same filters (in SQL), types, masks and
    labels; concatenated, the chunks equal the frame. Arguments are checked before the first chunk."""
    q = frame_query(session, table, **args)
    return iter_query(session, q, chunksize)


def column_labels(table, lang: str = "zh") -> dict[str, str]:
    """``{column: label}`` for a table, including the region and yuan columns a frame can add."""
    lang = _check_lang(lang)
    rt = resolve_table(table)
    out = {}
    for info in describe_model(rt.model):
        out[info.name] = info.label(lang)
        if info.money:
            out[yuan_column(info.name)] = _yuan_label(info.label(lang), lang)
    for name, pair in REGION_COLUMNS.items():
        out[name] = _pick(pair, lang)
    return out


def labelled(df: pd.DataFrame, labels: Optional[dict[str, str]] = None) -> pd.DataFrame:
    """A copy of ``df`` with its columns renamed to their labels (from ``df.attrs`` by default)."""
    labels = labels if labels is not None else df.attrs.get("labels", {})
    return df.rename(columns={c: labels[c] for c in df.columns if c in labels})


# Frames of regions already built, by their rows: every page of a server opens with the regions
# (its pickers, the names of the areas), which take a few rows to read and 100× as long to type
# and label with pandas. The rows are read every time; only the building is skipped.
REGION_FRAMES_KEPT = 8
_REGION_FRAMES: "OrderedDict[tuple, pd.DataFrame]" = OrderedDict()
_REGION_FRAMES_LOCK = threading.Lock()


def regions_frame(session: Session, within=None, *, lang: str = "zh") -> pd.DataFrame:
    """Every region (or those in ``within``) with its kind, code, township and county names."""
    lang = _check_lang(lang)
    township = aliased(Region, name="t")
    county = aliased(Region, name="c")
    stmt = (
        select(Region.id, Region.name, Region.kind, Region.code, Region.parent_id, Region.township_id,
               township.name.label("township_name"), Region.county_id, county.name.label("county_name"),
               Region.valid_from, Region.valid_to, Region.synthetic)
        .select_from(Region)
        .outerjoin(township, township.id == Region.township_id)
        .outerjoin(county, county.id == Region.county_id)
        .order_by(Region.id)
    )
    if within is not None:
        stmt = stmt.where(scope_condition(find_region(session, within)))
    keys, rows = fetch_tuples(session, stmt)
    # the rows themselves are the key (their hash: a province's rows are tens of megabytes of
    # Python objects): a region added, renamed or closed by any process (the CLI beside a server,
    # another worker) is a new key, and nothing else can change the frame
    memo_key = (session.get_bind().dialect.name, lang, tuple(keys), len(rows), hash(tuple(tuple(r) for r in rows)))
    with _REGION_FRAMES_LOCK:
        hit = _REGION_FRAMES.get(memo_key)
        if hit is not None:
            _REGION_FRAMES.move_to_end(memo_key)
    if hit is not None:
        return hit.copy()  # the caller may change its copy (attrs too: pandas copies them deeply)
    df = _regions_frame(session, stmt, keys, rows, lang)
    with _REGION_FRAMES_LOCK:
        _REGION_FRAMES[memo_key] = df.copy()
        while len(_REGION_FRAMES) > REGION_FRAMES_KEPT:
            _REGION_FRAMES.popitem(last=False)
    return df


def _regions_frame(session: Session, stmt, keys: list[str], rows: list[tuple], lang: str) -> pd.DataFrame:
    df = pd.DataFrame(columns_frame(rows, keys, stmt, session.get_bind().dialect))
    infos = {i.name: i for i in describe_model(Region)}
    df["level"] = pd.Categorical(df["kind"].map(LEVEL_OF_KIND), categories=list(LEVELS))
    typed(df, infos, lang=lang)
    for name in ("township_name", "county_name"):
        df[name] = df[name].astype("str")
    labels = {n: infos[n].label(lang) for n in df.columns if n in infos}
    labels.update({"township_name": _pick(REGION_COLUMNS["township_name"], lang), "county_name": "县" if lang == "zh" else "County",
                   "level": _pick(INDICATOR_COLUMNS["level"], lang)})
    df.attrs.update({"table": "region", "table_label": "地区" if lang == "zh" else "Regions", "lang": lang, "labels": labels})
    return df


# -- indicator frames ---------------------------------------------------------------------------

def _periods(periods) -> list[Period]:
    items = _as_list(periods)
    if not items:
        raise InputError("请指定期间（如 2010、2010Q4 或它们的列表）", "give the periods (e.g. 2010, 2010Q4, or a list of them)")
    out = []
    for p in items:
        p = Period.parse(p)
        if p not in out:
            out.append(p)
    return out


def _float(value) -> float:
    if value is None:
        return float("nan")
    return float(value)


def indicators(
    session: Session,
    keys=None,
    *,
    regions=None,
    periods=None,
    level: Optional[str] = "village",
    lang: str = "zh",
    as_of: Optional[dt.date] = None,
    exact: bool = False,
) -> pd.DataFrame:
    """Indicators as a long DataFrame: one row per region, period and indicator.

    Columns: ``region_id``, ``region_code``, ``region_name``, ``level``, ``period`` (``2010Q4``),
    ``period_start`` (datetime64), ``indicator`` (key) and ``value``.

    - ``keys``: indicator keys or plugin names (``"party"`` = all its indicators); default all.
    - ``regions``: the areas (names, codes or Regions); default every county in the database.
    - ``periods``: one period or a list (``Period.range("2009Q1", "2010Q4")``).
    - ``level``: ``"village"`` (one row per village/community in the areas), ``"township"``,
      ``"county"``, or ``None`` (each area as a whole). Rates are recomputed at each level from
      summed numerators and denominators (the engine's roll-up), never averaged.
    - ``value`` is ``float64`` (money in yuan, NaN where a rate has no denominator); with
      ``exact=True`` it holds the engine's exact values (``int`` counts, ``Decimal`` yuan).

    Indicators that do not support a period's kind (e.g. a yearly-only one asked for a quarter)
    have no rows for that period.
    """
    lang = _check_lang(lang)
    if level is not None and level not in LEVELS:
        raise InputError(f"层级应为 village、township 或 county，收到 {level!r}", f"level must be village, township or county, got {level!r}")
    reg = registry()
    plist = _periods(periods)
    if regions is None:
        areas = list(session.execute(select(Region).where(Region.kind == "county").order_by(Region.id)).scalars())
    else:
        areas = [find_region(session, r) for r in _as_list(regions)]
    if level is not None:
        for area in areas:
            if LEVELS.index(level) > LEVELS.index(LEVEL_OF_KIND[area.kind]):
                raise InputError(
                    f"{area.name} 是{_pick(LEVEL_LABELS[LEVEL_OF_KIND[area.kind]], 'zh')}，不能按更高的层级（{_pick(LEVEL_LABELS[level], 'zh')}）汇总",
                    f"{area.name} is a {LEVEL_OF_KIND[area.kind]}; it cannot be grouped at the higher level {level}",
                )
    key_list = None if keys is None else _as_list(keys)

    rows: list[tuple] = []
    seen: set[tuple] = set()
    for p in plist:
        for area in areas:
            result = compute(session, region=area, period=p, keys=key_list, level=level, as_of=as_of)
            for gid, values in result.items():
                for key, value in values.items():
                    ident = (gid, str(p), key)
                    if ident in seen:
                        continue
                    seen.add(ident)
                    rows.append((gid, str(p), p.start, key, value))

    ids = sorted({r[0] for r in rows})
    info = {}
    for i in range(0, len(ids), 900):
        chunk = ids[i : i + 900]
        for rid, name, code, kind in session.execute(select(Region.id, Region.name, Region.code, Region.kind).where(Region.id.in_(chunk))):
            info[rid] = (name, code, LEVEL_OF_KIND[kind])
    if level is not None:
        # one row per region of the requested level, even if an engine version groups rows
        # registered on the county or township itself under their own ids
        rows = [r for r in rows if info[r[0]][2] == level]

    order = {k: n for n, k in enumerate(reg.indicators)}
    rows.sort(key=lambda r: (Period.parse(r[1]), r[0], order.get(r[3], len(order))))
    df = pd.DataFrame({
        "region_id": pd.array([r[0] for r in rows], dtype="Int64"),
        "region_code": pd.array([info[r[0]][1] for r in rows], dtype="str"),
        "region_name": pd.array([info[r[0]][0] for r in rows], dtype="str"),
        "level": pd.Categorical([info[r[0]][2] for r in rows], categories=list(LEVELS)),
        "period": pd.array([r[1] for r in rows], dtype="str"),
        "period_start": to_datetime64(pd.Series([r[2] for r in rows], dtype=object)),
        "indicator": pd.array([r[3] for r in rows], dtype="str"),
        "value": pd.Series([r[4] for r in rows], dtype=object) if exact else pd.Series([_float(r[4]) for r in rows], dtype="float64"),
    })
    used = list(dict.fromkeys(r[3] for r in rows))
    df.attrs.update(_indicator_attrs(reg.indicators, used, lang, exact))
    return df


def _indicator_attrs(all_indicators: dict[str, Indicator], used: list[str], lang: str, exact: bool) -> dict:
    chosen = {k: all_indicators[k] for k in used if k in all_indicators}
    return {
        "lang": lang,
        "exact": exact,
        "labels": {n: _pick(pair, lang) for n, pair in INDICATOR_COLUMNS.items()},
        "indicator_labels": {k: i.label(lang) for k, i in chosen.items()},
        "units": {k: (i.unit_zh if lang == "zh" else i.unit_en) for k, i in chosen.items()},
        "value_types": {k: ("ratio" if i.denominator is not None and i.value_type != "money" else i.value_type) for k, i in chosen.items()},
    }


WIDE_INDEX = ("region_id", "region_code", "region_name", "level", "period", "period_start")


def wide(long: pd.DataFrame, *, lang: Optional[str] = None) -> pd.DataFrame:
    """Pivot a long indicator frame to one row per region and period, one column per indicator.

    Counts become ``Int64``; money and rates ``float64`` (``Decimal`` for money when the long
    frame was made with ``exact=True``). With ``lang`` the indicator columns are named by
    their labels in that language, otherwise by their keys.
    """
    missing = [c for c in ("region_id", "period", "indicator", "value") if c not in long.columns]
    if missing:
        raise InputError(f"不是指标长表：缺少列 {', '.join(missing)}", f"not a long indicator frame: missing {', '.join(missing)}")
    index = [c for c in WIDE_INDEX if c in long.columns]
    keys = list(dict.fromkeys(long["indicator"]))
    if long.empty:
        out = long[index].copy()
        out.attrs.update(long.attrs)
        return out
    # pivot on the two identifying columns only: region codes may be missing, and NaN in a
    # pivot index would drop rows
    values = long.pivot(index=["region_id", "period"], columns="indicator", values="value")
    values = values.reindex(columns=keys)
    values.columns.name = None
    described = long[index].drop_duplicates(["region_id", "period"])
    out = described.merge(values.reset_index(), on=["region_id", "period"], how="left")
    types = long.attrs.get("value_types") or {}
    reg = registry()
    for key in keys:
        vtype = types.get(key) or (reg.indicators[key].value_type if key in reg.indicators else "number")
        col = out[key]
        if vtype == "count":
            out[key] = pd.array([None if v is None or v != v else int(v) for v in col], dtype="Int64")
        elif vtype == "money" and long.attrs.get("exact"):
            out[key] = col.astype(object)
        else:
            out[key] = pd.to_numeric(col.map(lambda v: float("nan") if v is None else float(v)), errors="coerce").astype("float64")
    label_lang = lang or long.attrs.get("lang", "zh")
    names = {k: (reg.indicators[k].label(label_lang) if k in reg.indicators else k) for k in keys}
    labels = {c: _pick(INDICATOR_COLUMNS[c], label_lang) for c in index}
    if lang:
        out = out.rename(columns=names)
        labels |= {names[k]: names[k] for k in keys}
    else:
        labels |= names
    attrs = dict(long.attrs) | {"labels": labels, "lang": label_lang}
    out.attrs.update(attrs)
    return out


def indicator_labels(lang: str = "zh") -> dict[str, str]:
    """``{indicator key: label}`` for every registered indicator."""
    lang = _check_lang(lang)
    return {k: i.label(lang) for k, i in registry().indicators.items()}


def indicator_catalog(lang: str = "zh") -> pd.DataFrame:
    """One row per registered indicator: key, plugin, label, unit, value type, period kinds."""
    lang = _check_lang(lang)
    reg = registry()
    rows = []
    for key, ind in reg.indicators.items():
        rows.append({
            "indicator": key,
            "plugin": reg.owner.get(("indicators", key), key.split(".")[0]),
            "label": ind.label(lang),
            "unit": ind.unit_zh if lang == "zh" else ind.unit_en,
            "value_type": ind.value_type,
            "rate": ind.denominator is not None,
            "period_kinds": ",".join(ind.period_kinds),
            "headline": ind.headline,
            "description": ind.description_zh if lang == "zh" else ind.description_en,
        })
    df = pd.DataFrame(rows, columns=["indicator", "plugin", "label", "unit", "value_type", "rate", "period_kinds", "headline", "description"])
    zh = {"indicator": "指标", "plugin": "插件", "label": "名称", "unit": "单位", "value_type": "类型", "rate": "比率",
          "period_kinds": "期间类型", "headline": "核心指标", "description": "说明"}
    df.attrs.update({"lang": lang, "labels": zh if lang == "zh" else {c: c.replace("_", " ").capitalize() for c in df.columns}})
    return df


def level_label(level: str, lang: str = "zh") -> str:
    """村/社区 · 乡镇 · 县级 (or English) for a level key."""
    return _pick(LEVEL_LABELS[level], lang)


__all__ = [
    "frame", "frame_query", "iter_frames", "iter_query", "FrameQuery", "to_arrow_dtypes", "columns_frame", "fetch_tuples", "typed_column", "indicators", "wide", "labelled", "column_labels", "indicator_labels", "indicator_catalog", "regions_frame",
    "may_unmask", "typed", "to_datetime64", "fen_to_yuan", "yuan_column", "level_label", "REGION_COLUMNS",
]
