"""The dashboards' DataStore: the open database, the user's choices, and cached data access.

One ``DataStore`` per browser session (or notebook): it holds the chosen area, period and
language and answers every view's questions through the public SDK (``Shequ`` methods,
``shequ_sdk.indicators.format_value``). Results are cached on the instance, keyed by area,
period and ``version``; :meth:`DataStore.refresh` bumps ``version`` so the next read sees
what was saved since. Nothing here is shared between sessions.

Plugin views receive the store. What they may rely on:

- ``store.sdk`` (the open :class:`~shequ_sdk.api.Shequ`), ``store.region`` (name, or path when
  the name is not unique), ``store.period`` (``2010``, ``2010Q4`` or ``2010-12``), ``store.lang``;
- ``store.region_obj``, ``store.period_obj``, ``store.t(key)``, ``store.pick(zh, en)``;
- ``store.indicator_values(keys)``, ``store.format(key, value)`` (as ``shequ indicators`` prints it),
  ``store.village_indicators(keys)``, ``store.trend_frame(keys, periods=…)``, ``store.months_to_date(12)``,
  ``store.indicator_trend(key)`` (a chart), ``store.indicator_by_village(key)`` (a chart);
- ``store.regions()`` (every region with its township and county), ``store.cached(key, compute)``
  for a view's own derived data (per area, period, language and data version);
- ``store.frame(table, ...)``: rows of a record table, masked; sensitive tables lose their
  sensitive columns entirely, so no name from them can reach a township view;
- ``store.reading()``: a session for a plugin's own reads; rolled back at the end, so derived
  rows a computation prepares (a deadline schedule) never reach the database;
- ``store.transaction()``: a session that commits, for a plugin's own writes.

``PLUGIN_API`` lists these names; docs/plugins.md ("The view-side store") documents each with
its type, and tests/test_plugin_guide.py keeps the two in step.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from contextlib import contextmanager
from typing import Any, Iterable, Optional

import pandas as pd
import panel as pn
import param
from sqlalchemy import func, select
from sqlmodel import Session

from ..indicators import format_value
from ..models import Region
from ..period import KINDS, Period
from ..plugins import registry
from ..registry import Indicator, RecordTable
from .i18n import pick, t

TREND_LENGTH = {"year": 10, "quarter": 8, "month": 12}

# what a plugin view may rely on (the guide's store reference documents each)
PLUGIN_API = (
    "sdk", "region", "period", "lang", "as_of", "village", "version", "user",
    "region_obj", "period_obj", "period_kind", "t", "pick", "ref", "regions", "in_scope",
    "indicator", "headline_keys", "indicator_values", "format", "village_indicators", "trend_periods", "months_to_date",
    "trend_frame", "indicator_trend", "indicator_by_village", "table", "frame", "count", "cached", "reading", "transaction", "scoped",
)


def region_refs(sdk, regions: Optional[pd.DataFrame] = None) -> dict[int, str]:
    """``{region id: reference}``: the name when no other region in force shares it, else the path.

    ``regions``: ``sdk.regions_frame()`` when the caller already has it."""
    regions = sdk.regions_frame() if regions is None else regions
    # plain lists: a row at a time through pandas costs more than the whole of this
    ids = [int(i) for i in regions["id"].tolist()]
    names = regions["name"].tolist()
    parents = [None if pd.isna(p) else int(p) for p in regions["parent_id"].tolist()]
    in_force = regions["valid_to"].isna().tolist()
    counts = Counter(n for n, now in zip(names, in_force) if now)
    by_id = dict(zip(ids, zip(names, parents)))
    out = {}
    for rid, name, parent, now in zip(ids, names, parents, in_force):
        if counts[name] == 1 and now:
            out[rid] = name
            continue
        parts = [name]
        while parent is not None:
            name_up, parent = by_id[parent]
            parts.append(name_up)
        out[rid] = "/".join(reversed(parts))
    return out


def data_years(sdk) -> tuple[int, int, Optional[dt.date]]:
    """``(first year, last year, latest day)`` of the data (:func:`shequ_sdk.analytics.data_years`)."""
    from ..analytics import data_years as years

    with Session(sdk.engine) as s:
        return years(s)


def default_period(sdk, span: Optional[tuple[int, int, Optional[dt.date]]] = None) -> str:
    """The latest calendar year whose December holds data (else the latest year with data).

    ``span`` is :func:`data_years`' answer when the caller already has it.
    """
    first, last, latest = span or data_years(sdk)
    if latest is None:
        return str(last)
    year = latest.year if latest.month == 12 else latest.year - 1
    return str(max(first, year))


class DataStore(pn.viewable.Viewer):
    """The data of one dashboard session: database, area, period, language and cached results."""

    sdk = param.Parameter(doc="""The open database: a shequ_sdk.api.Shequ (shequ_sdk.open(path)).""")

    region = param.String(default="", doc="""
        The area shown: a county, township, village or community, by name (or path
        县/乡镇/村 when the name is not unique). Empty: the first county.""")

    period = param.String(default="", doc="""
        The period shown: 2010 (year), 2010Q4 (quarter) or 2010-12 (month).
        Empty: the latest year with data through December.""")

    lang = param.Selector(default="zh", objects=["zh", "en"], doc="""Language of every label: zh (default) or en.""")

    village = param.String(default="", doc="""The village whose page is open on the township dashboard (empty: none).""")

    version = param.Integer(default=0, doc="""Bumped by refresh(); cached results of older versions are dropped.""")

    as_of = param.CalendarDate(default=None, allow_None=True, doc="""
        The day statuses are judged on ("now"); None means today, as in `shequ indicators`.""")

    first_year = param.Integer(default=None, allow_None=True, doc="""First year offered by the period selector.""")

    readonly = param.String(default="", doc="""
        Why the chosen village's quarter cannot be saved by this session's user (it is locked):
        the entry forms show it and are read-only. Empty: saving is open.""")

    def __init__(self, sdk=None, **params):
        if sdk is None:
            import shequ_sdk

            sdk = shequ_sdk.open()
        super().__init__(sdk=sdk, **params)
        self._cache: dict[tuple, Any] = {}
        self.forms: list = []  # the entry forms (BatchForm) on the session's page, to ask before unsaved input is dropped
        self._cache_version = self.version
        self._refs: Optional[dict[int, str]] = None
        if not self.period or self.first_year is None:
            span = data_years(sdk)
            if not self.period:
                self.period = default_period(sdk, span)
            if self.first_year is None:
                self.first_year = span[0]
        if not self.region:
            scope = self.scope_id()
            if scope is not None:
                self.region = self.ref(scope)
            else:  # the first county (areas() lists it first)
                regions = self.regions()
                counties = regions.loc[regions["level"].astype(str) == "county", "id"]
                self.region = self.ref(counties.iloc[0]) if len(counties) else ""
        self._check_period()

    # -- choices ------------------------------------------------------------------------------
    def t(self, key: str, **fmt) -> str:
        return t(key, self.lang, **fmt)

    def pick(self, zh: str, en: str) -> str:
        return pick(zh, en, self.lang)

    def refs(self) -> dict[int, str]:
        if self._refs is None:
            self._refs = region_refs(self.sdk, self.regions())
        return self._refs

    def ref(self, region_id: int) -> str:
        return self.refs()[int(region_id)]

    def regions(self) -> pd.DataFrame:
        return self._cached(("regions",), lambda: self.sdk.regions_frame(lang="zh"), versioned=False)

    def _regions_by_id(self) -> pd.DataFrame:
        return self._cached(("regions by id",), lambda: self.regions().set_index("id"), versioned=False)

    # -- the signed-in user (``sdk.user``; None: the local single user) -----------------------
    @property
    def user(self):
        return getattr(self.sdk, "user", None)

    def scope_id(self) -> Optional[int]:
        """The region a scoped user (township, village, reviewer) is limited to; ``None``: no limit."""
        from ..auth import SCOPED_ROLES

        user = self.user
        return user.region_id if user is not None and user.role in SCOPED_ROLES else None

    def in_scope(self, region_id: int) -> bool:
        """Whether the user may open ``region_id`` (their scope region or one below it)."""
        scope = self.scope_id()
        if scope is None:
            return True
        row = self._regions_by_id().loc[int(region_id)]
        return scope in {int(region_id), *(int(v) for v in (row["township_id"], row["county_id"]) if not pd.isna(v))}

    def reach(self, ref: str) -> str:
        """``ref`` as far as the user may read it: an area holding the user's scope (the county,
        for a township or village user) becomes that scope, so rows read "in the county" are
        the rows the user may see. An area beside the scope stays as asked (and is refused)."""
        scope = self.scope_id()
        if scope is None:
            return ref
        asked = self._cached(("region", ref), lambda: self.sdk.region(ref), versioned=False)
        if scope in {asked.id, asked.township_id, asked.county_id}:
            return ref
        mine = self._cached(("region", scope), lambda: self.sdk.region(self.ref(scope)), versioned=False)
        return self.ref(scope) if asked.id in {mine.township_id, mine.county_id} else ref

    def denied(self):
        """The :class:`PermissionDenied` for the area or village page asked for (from a link)
        outside the user's scope, else ``None``; pages show it instead of data."""
        from ..errors import PermissionDenied

        if self.user is None:
            return None
        for ref in (self.region, self.village):
            if ref:
                try:
                    self.sdk.readable_region(ref)
                except PermissionDenied as exc:
                    return exc
        return None

    def areas(self) -> list[tuple[int, str, str, str]]:
        """Counties and townships as ``(id, reference, kind, display label)``, county first, then its
        townships; only those in the user's scope."""
        df = self.regions()
        out = []
        for c in df[df["level"].astype(str) == "county"].itertuples():
            out.append((int(c.id), self.ref(c.id), "county", c.name))
            for tw in df[(df["parent_id"] == c.id)].itertuples():
                if str(tw.level) == "township":
                    out.append((int(tw.id), self.ref(tw.id), "township", f"{c.name} · {tw.name}"))
        return [a for a in out if self.in_scope(a[0])]

    def village_choices(self) -> list[tuple[int, str, str]]:
        """Every village and community as ``(id, reference, "乡镇 · 村")``."""
        return list(self._cached(("village choices",), self._village_choices, versioned=False))

    def _village_choices(self) -> list[tuple[int, str, str]]:
        df = self.regions()
        df = df[(df["level"].astype(str) == "village") & df["valid_to"].isna()]
        out = []
        for vid, name, township, county in zip(df["id"].tolist(), df["name"].tolist(), df["township_name"].tolist(), df["county_name"].tolist()):
            town = township if isinstance(township, str) and township != "nan" else county
            if self.in_scope(vid):
                out.append((int(vid), self.ref(vid), f"{town} · {name}"))
        return out

    @property
    def region_obj(self) -> Region:
        return self._cached(("region", self.region), lambda: self.sdk.region(self.region), versioned=False)

    @property
    def period_obj(self) -> Period:
        return Period.parse(self.period)

    @property
    def period_kind(self) -> str:
        return self.period_obj.kind

    def last_year(self) -> int:
        return max(dt.date.today().year, self.period_obj.year)

    def period_options(self, kind: Optional[str] = None) -> dict[str, str]:
        """``{label: period}`` for the selector, newest first, from the first data year to this year."""
        kind = kind or self.period_kind
        first = min(self.first_year or self.period_obj.year, self.period_obj.year)
        periods = Period.range(Period.containing(dt.date(first, 1, 1), kind), Period.containing(dt.date(self.last_year(), 12, 1), kind))
        return {p.label(self.lang): str(p) for p in reversed(periods)}

    def convert_period(self, kind: str) -> str:
        """The current period expressed as ``kind``: a year becomes its last quarter or month; a
        month or quarter becomes the quarter or year containing it."""
        p = self.period_obj
        if KINDS.index(kind) < KINDS.index(p.kind):
            return str(Period.containing(p.start, kind))
        return str(p.subperiods(kind)[-1])

    @param.depends("period", watch=True)
    def _check_period(self):
        Period.parse(self.period)  # a malformed label is refused here, with both languages

    def apply(self, values: dict, problems: list | None = None) -> dict:
        """Set ``region``, ``period``, ``lang`` and ``village`` from outside (a page URL): numbers
        become labels (``?period=2010``), and a value naming no region or period is ignored
        rather than breaking the page (its ``(name, value, error)`` is added to ``problems``, when
        given, for the page to say so). Returns what was applied."""
        applied = {}
        for name, value in values.items():
            if name not in ("region", "period", "lang", "village") or value is None:
                continue
            value = str(value).strip()
            try:
                if name == "period":
                    value = str(Period.parse(value))
                elif name in ("region", "village") and value:
                    self.sdk.region(value)
                elif name == "lang" and value not in ("zh", "en"):
                    continue
            except Exception as exc:
                if problems is not None:
                    problems.append((name, value, exc))
                continue
            applied[name] = value
        if applied:
            self.choose(**applied)
        return applied

    def choose(self, **values) -> None:
        """A choice of the user (``region``, ``period``, ``lang``, ``village``). On a loaded page,
        whatever it redraws at once (the cards, the address, the breadcrumbs, the 更新中… notes)
        reaches the browser as one message, which the browser lays out once, not once per part
        (Panel sends each change of a served page apart)."""
        doc = pn.state.curdoc
        if doc is None or doc.session_context is None or not pn.state.loaded:
            self.param.update(**values)
            return
        from panel.io.document import hold

        from .views import acted

        acted()  # the parts below the first screen wait until the user pauses
        with hold(doc):
            self.param.update(**values)

    # -- caching ----------------------------------------------------------------------------
    def _cached(self, key: tuple, compute, versioned: bool = True):
        if self._cache_version != self.version:
            self._cache = {k: v for k, v in self._cache.items() if not k[0]}
            self._cache_version = self.version
        full = (versioned, *key)
        if full not in self._cache:
            self._cache[full] = compute()
        return self._cache[full]

    def cached(self, key: tuple, compute):
        """``compute()`` once per area, period, language and data version (``key`` names the rest).

        For plugin views that derive their own data: ``store.cached(("mine", extra), lambda: ...)``.
        """
        return self._cached(("view", self.region, self.period, self.lang, self.as_of, *key), compute)

    def refresh(self) -> None:
        """Drop cached results so every view reads the database again."""
        self._refs = None
        self._cache = {}
        self.version += 1

    def scoped(self, region: str) -> "DataStore":  # another area, not another user: the sdk (and its user) is kept
        """A store for another region (a village page) with this store's period, language and day."""
        return DataStore(sdk=self.sdk, region=region, period=self.period, lang=self.lang, as_of=self.as_of,
                         first_year=self.first_year, version=self.version)

    @contextmanager
    def reading(self):
        """A session for a plugin's own reads: rolled back at the end (reads never write)."""
        with self.sdk.reading() as session:
            yield session

    @contextmanager
    def transaction(self):
        """A session that commits, for a plugin's own writes."""
        with self.sdk.transaction() as session:
            yield session

    # -- indicators ---------------------------------------------------------------------------
    def indicator(self, key: str) -> Indicator:
        return registry().indicators[key]

    def headline_keys(self) -> list[str]:
        """Headline indicators (``Indicator.headline``) that support the period's kind, in registry order."""
        kind = self.period_kind
        return [k for k, i in registry().indicators.items() if i.headline and kind in i.period_kinds]

    def indicator_values(self, keys: Optional[Iterable[str]] = None, region: Optional[str] = None) -> dict[str, Any]:
        """``{key: value}`` for the area and period — ``Shequ.indicator_values``, what ``shequ indicators`` prints."""
        keys = None if keys is None else tuple(keys)
        region = region or self.region
        return self._cached(("values", region, self.period, keys, self.as_of),
                            lambda: self.sdk.indicator_values(region, self.period, keys=list(keys) if keys else None, as_of=self.as_of))

    def format(self, key: str, value) -> str:
        """A value as ``shequ indicators`` prints it (:func:`shequ_sdk.indicators.format_value`)."""
        return format_value(self.indicator(key), value, self.lang)

    def village_indicators(self, keys: Iterable[str], exact: bool = False) -> pd.DataFrame:
        """One row per village of the area, one column per indicator key (wide frame of ``Shequ.indicators``).
        Counts are ``Int64``, rates and money ``float64``; ``exact=True``: money as ``Decimal`` yuan."""
        keys = tuple(keys)

        def compute():
            level = None if self.region_obj.kind in ("village", "community") else "village"
            long = self.sdk.indicators(list(keys), regions=self.region, periods=self.period, level=level, as_of=self.as_of, exact=exact)
            return self.sdk.wide(long)

        return self._cached(("villages", self.region, self.period, keys, self.as_of, exact), compute)

    def trend_periods(self, length: Optional[int] = None) -> list[Period]:
        """The periods a trend shows: the selected one and those before it, same kind."""
        p = self.period_obj
        length = length or TREND_LENGTH[p.kind]
        out = [p]
        while len(out) < length:
            prev = out[-1].previous()
            if prev.year < (self.first_year or prev.year):
                break
            out.append(prev)
        return list(reversed(out))

    def months_to_date(self, count: int = 12) -> list[Period]:
        """The ``count`` months ending with the last month of the selected period."""
        last = Period.containing(self.period_obj.end, "month")
        months = [last]
        while len(months) < count:
            months.append(months[-1].previous())
        return list(reversed(months))

    def trend_frame(self, keys, length: Optional[int] = None, level: Optional[str] = None, periods=None) -> pd.DataFrame:
        """Long indicator frame for the area over ``periods`` (default :meth:`trend_periods`);
        ``level=None``: the area as a whole."""
        keys = tuple([keys] if isinstance(keys, str) else keys)
        periods = [Period.parse(p) for p in periods] if periods is not None else self.trend_periods(length)
        return self._cached(("trend", self.region, tuple(map(str, periods)), keys, level, self.as_of),
                            lambda: self.sdk.indicators(list(keys), regions=self.region, periods=periods, level=level,
                                                        lang=self.lang, as_of=self.as_of))

    def indicator_trend(self, key: str, length: Optional[int] = None, title: Optional[str] = None, periods=None):
        """A line chart of one indicator for the area over the recent periods (or ``periods``)."""
        from .charts import trend_chart

        ind = self.indicator(key)
        df = self.trend_frame(key, length, periods=periods)
        return trend_chart(df, ind, lang=self.lang, title=title or f"{self.region} · {ind.label(self.lang)}")

    def indicator_by_village(self, key: str, title: Optional[str] = None):
        """A bar chart of one indicator for each village of the area."""
        from .charts import village_bars

        ind = self.indicator(key)
        df = self.village_indicators([key])
        return village_bars(df, ind, lang=self.lang, title=title or f"{self.period_obj.label(self.lang)} · {ind.label(self.lang)}")

    # -- records ------------------------------------------------------------------------------
    def table(self, key: str) -> RecordTable:
        return registry().table(key)

    def table_period(self, rt: RecordTable, period: Optional[str] = None) -> Optional[str]:
        """The period to filter ``rt`` by: the chosen one, widened to the table's own period kind
        (a yearly table asked for a quarter is filtered by that quarter's year)."""
        p = Period.parse(period or self.period)
        if rt.period_field and KINDS.index(p.kind) > KINDS.index(rt.period_kind):
            p = Period.containing(p.start, rt.period_kind)
        if not (rt.date_field or rt.period_field):
            return None
        return str(p)

    def frame(self, table: str, *, region: Optional[str] = None, period: Optional[str] = "selected", columns=None,
              where=None, limit: Optional[int] = None, codes: bool = False, yuan: bool = True) -> pd.DataFrame:
        """Rows of a record table in the area (and period), as ``Shequ.frame`` gives them: masked.

        Tables registered ``sensitive=True`` (family planning, mediation parties…) come without
        any sensitive column at all, so their people never appear by name in a township view.
        ``period=None`` reads every period; the default is the selected one. A ``region`` that
        holds the user's scope (the county, for a township user) reads the scope (:meth:`reach`).
        """
        rt = self.table(table)
        if columns is None:
            columns = [f.name for f in rt.fields if not (rt.sensitive and f.sensitive)]
        elif rt.sensitive:
            columns = [c for c in columns if not _is_sensitive(rt, c)]
        chosen = self.table_period(rt, self.period if period == "selected" else period) if period is not None else None
        region = self.reach(region or self.region)
        key = ("frame", table, region, chosen, tuple(columns), repr(where), limit, codes, yuan, self.lang)
        return self._cached(key, lambda: self.sdk.frame(table, region=region, period=chosen, columns=columns,
                                                        where=where, limit=limit, codes=codes, yuan=yuan, lang=self.lang))

    def count(self, table: str, *, region: Optional[str] = None, period: Optional[str] = "selected") -> int:
        """How many rows of ``table`` lie in the area (and period), counted in SQL."""
        from ..regions import scope_condition

        rt = self.table(table)
        chosen = self.table_period(rt, self.period if period == "selected" else period) if period is not None else None
        region = self.reach(region or self.region)

        def compute():
            from ..frames import _period_condition  # the same period filter as Shequ.frame

            tbl = rt.model.__table__
            area = self.sdk.region(region)
            stmt = select(func.count()).select_from(tbl).where(tbl.c.region_id.in_(select(Region.id).where(scope_condition(area))))
            if chosen:
                stmt = stmt.where(_period_condition(rt, [Period.parse(chosen)]))
            with Session(self.sdk.engine) as s:
                return int(s.execute(stmt).scalar_one())

        return self._cached(("count", table, region, chosen), compute)

    def __panel__(self):
        from .views import KpiCards

        return KpiCards(data_store=self)


def _is_sensitive(rt: RecordTable, column: str) -> bool:
    try:
        return bool(rt.field(column).sensitive)
    except KeyError:
        return False
