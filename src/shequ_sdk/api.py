"""``shequ_sdk.open(db)``: the one object analysts, the CLI and the dashboards work through."""

from __future__ import annotations

import datetime as dt
import time
from contextlib import contextmanager
from dataclasses import dataclass, field as dc_field
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Optional

from sqlalchemy import func, select
from sqlmodel import Session

from . import db as dbmod
from .demo import DEMO_TODAY, DEMO_YEARS, GenerateOptions, PopulateContext, populate
from .errors import InputError, Problem
from .indicators import compute, values_for
from .models import Region
from .period import Period
from .plugins import registry
from .records import RowContext, WriteResult, resolve_table, write
from .regions import find_region, villages_in

if TYPE_CHECKING:  # pandas loads only when a frame is asked for; the CLI starts faster without it
    import pandas as pd

    from .geo import GeoImport


@dataclass
class GenerateReport:
    """What ``Shequ.generate`` did: seconds per plugin (in run order) and in all."""

    seconds: float = 0.0
    plugins: dict[str, float] = dc_field(default_factory=dict)


class Shequ:
    """A shequ database: regions, records, indicators and checks.

    ``Shequ(path_or_url)`` opens an existing database (``create=True`` makes the schema).
    ``user`` (an :class:`~shequ_sdk.auth.Actor`, or use :meth:`login`) scopes every read and
    write to what that user may see and change; ``None`` is the local single user.
    ``role`` decides which sensitive columns ``frame`` may return in clear (default: the user).
    """

    def __init__(self, db=None, *, create: bool = False, role=None, user=None):
        self.url = dbmod.resolve_url(db)
        self.engine = dbmod.make_engine(self.url, must_exist=not create)
        self.user = user
        self.role = role if role is not None else user
        self._owns_engine = True
        self._session_token: Optional[str] = None  # the API session of login() (only its digest is stored)
        from . import migrations

        try:
            if create:
                migrations.create_schema(self.engine)
            elif not dbmod.has_schema(self.engine):
                raise InputError(f"{self.url} 不是 shequ 数据库（先运行 shequ init）", f"{self.url} is not a shequ database (run shequ init)")
            else:
                migrations.check_current(self.engine)
        except Exception as exc:
            if dbmod.is_unreachable(exc) or dbmod.is_read_only_error(exc):
                self.engine.dispose()
                raise (dbmod.unreachable(self.url) if dbmod.is_unreachable(exc) else dbmod.read_only_error(self.url)) from None
            raise
        self.registry = registry()

    # -- sessions ---------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session that commits on success and rolls back everything on error."""
        with dbmod.transaction(self.engine) as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads that never changes the database: it is rolled back at the end."""
        with dbmod.reading(self.engine) as session:
            yield session

    def close(self) -> None:
        if self._owns_engine:  # a scoped copy (as_user, login) shares its parent's engine
            self.engine.dispose()

    # -- users and scope ---------------------------------------------------------------------
    def as_user(self, user) -> "Shequ":
        """This database seen by ``user`` (an Actor or ``None``): same engine, scoped reads and writes."""
        import copy

        scoped = copy.copy(self)
        scoped.user, scoped.role, scoped._owns_engine, scoped._session_token = user, user, False, None
        return scoped

    def login(self, username: str, password: str) -> "Shequ":
        """Check ``username``'s password (:func:`shequ_sdk.auth.authenticate`, rate-limited) and
        return this database scoped to that user, in a new session (table ``shequ_session``).

        The session ends with :meth:`logout`, and at once when the user's password, role or
        scope changes or the user is disabled: every read and write checks it first and then
        raises :class:`~shequ_sdk.errors.SessionEnded`."""
        from .auth import authenticate, start_session

        with Session(self.engine) as s:
            actor = authenticate(s, username, password)
            token = start_session(s, actor.username, kind="api")
            s.commit()
        scoped = self.as_user(actor)
        scoped._session_token = token
        return scoped

    def session(self, token: str) -> "Shequ":
        """This database as the user of a live session ``token`` (a served page's browser
        session); :class:`~shequ_sdk.errors.SessionEnded` if it is not live."""
        from .auth import session_actor, session_ended

        with Session(self.engine) as s:
            actor = session_actor(s, token)
        if actor is None:
            raise session_ended()
        scoped = self.as_user(actor)
        scoped._session_token = token
        return scoped

    def logout(self) -> None:
        """End this object's login session (from :meth:`login`); its reads and writes are refused after."""
        from .auth import revoke_session

        with self.transaction() as s:
            revoke_session(s, self._session_token)

    def _live(self, session: Session) -> None:
        """Refuse to act for a user whose session ended or who was disabled or changed
        (:func:`shequ_sdk.auth.check_live`: one indexed query, nothing cached)."""
        if self.user is not None:
            from .auth import check_live

            check_live(session, self.user, self._session_token)

    def _areas(self, session: Session, regions) -> "Optional[list[Region]]":
        """The regions a read asks for, checked against the user's scope; ``None`` (no region
        given) becomes the user's scope region, or stays ``None`` without a limit."""
        from .auth import check_read, scope_region

        self._live(session)
        if regions is None or (isinstance(regions, (list, tuple, set, frozenset)) and not regions):
            scope = scope_region(session, self.user)
            return None if scope is None else [scope]
        items = list(regions) if isinstance(regions, (list, tuple, set, frozenset)) else [regions]
        areas = [find_region(session, r) for r in items]
        check_read(session, self.user, areas)
        return areas

    def readable_region(self, region=None) -> Optional[Region]:
        """``region`` if the user may read it, else :class:`PermissionDenied` naming the rule; no
        region: the user's scope region (``None`` without a limit). For reads that do not go
        through this class's methods (spreadsheets, boards)."""
        with Session(self.engine) as s:
            areas = self._areas(s, None if region in (None, "") else [region])
            return areas[0] if areas else None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- regions ----------------------------------------------------------------------
    def region(self, name_or_code) -> Region:
        """A region by name, code or path. Not scoped: administrative divisions are public, and the
        reads that take the region (``frame``, ``indicators``, ``villages``…) check the scope."""
        with Session(self.engine) as s:
            self._live(s)
            return find_region(s, name_or_code)

    def villages(self, within=None) -> list[Region]:
        """Villages and communities (in ``within``), limited to the user's scope."""
        from .auth import scope_region

        with Session(self.engine) as s:
            self._live(s)
            if within is None:
                scope = scope_region(s, self.user)
                if scope is not None:
                    return villages_in(s, scope)
                return list(s.execute(select(Region).where(Region.kind.in_(("village", "community"))).order_by(Region.id)).scalars())
            return villages_in(s, self._areas(s, [within])[0])

    def import_geo(self, source) -> "GeoImport":
        """Set regions' map positions and boundaries from GeoJSON (a path, text or mapping), in one
        transaction: every feature must match exactly one region, or nothing is written
        (:func:`shequ_sdk.geo.import_geojson`; administrators only, audited)."""
        from .geo import import_geojson

        with self.transaction() as s:
            self._live(s)
            return import_geojson(s, source, actor=self.user)

    # -- writes -----------------------------------------------------------------------
    def write(self, table, rows: Iterable[dict], *, mode: str = "insert", today: Optional[dt.date] = None) -> WriteResult:
        """Validate and write a batch in one transaction: all rows or none."""
        with self.transaction() as s:
            self._live(s)
            return write(session=s, table=table, rows=list(rows), mode=mode, today=today, actor=self.user)

    def record(self, table, record_id: int, *, unmasked=False) -> dict[str, Any]:
        """One stored record as ``{column: value, …, "_version": n}`` — the values to correct and
        the version they are at (the ``seq`` of the record's latest audit entry, 0 when none).

        Save a correction with ``sdk.write(table, [row], mode="upsert")``, keeping ``"id"`` and
        ``"_version"`` in the row: if someone saved the record since, the write is refused with
        :class:`~shequ_sdk.errors.ConflictError` (「该记录已被 X 于 T 修改，请重新加载后再保存」).
        Sensitive columns come masked, as in :meth:`frame`, unless ``unmasked`` (``True`` or a list)
        and the role may read them; put the real value back before saving a masked column.
        """
        from . import audit
        from .auth import check_read
        from .frames import _unmask_set
        from .ids import mask
        from .errors import NotFoundError

        rt = resolve_table(table)
        tbl = rt.model.__table__
        with Session(self.engine) as s:
            self._live(s)
            row = s.execute(select(tbl).where(tbl.c.id == int(record_id))).mappings().first()
            if row is None:
                raise NotFoundError(f"{rt.label_zh}（{rt.key}）没有记录 #{record_id}", f"{rt.label_en} ({rt.key}) has no record #{record_id}")
            check_read(s, self.user, [s.get(Region, row["region_id"])])
            values = dict(row)
            infos = rt.fields
            clear = _unmask_set(self.role, rt, infos, unmasked)
            for info in infos:
                if info.sensitive and info.name not in clear and values.get(info.name) not in (None, ""):
                    values[info.name] = mask(values[info.name], info.sensitive)
            values["_version"] = audit.version(s, rt.key, row["id"])
        return values

    # -- indicators ---------------------------------------------------------------------
    def indicator_values(self, region, period, keys=None, as_of: Optional[dt.date] = None) -> dict[str, Any]:
        """``{indicator key: value}`` for one region and period (the CLI's ``indicators``)."""
        p = Period.parse(period)
        with Session(self.engine) as s:
            r = self._areas(s, [region])[0]
            # derived rows an indicator prepares (deadline schedules) are rolled back with the session
            return values_for(s, r, p, keys=keys, as_of=as_of)

    # -- checks -------------------------------------------------------------------------
    def check(self, today: Optional[dt.date] = None) -> list[Problem]:
        """Run every registered rule over the stored data; return the violations.

        A scoped user (village, reviewer, township) gets the problems of rows in their scope only:
        row rules run on those rows, and a rule spanning tables keeps a problem only when the row
        (or the region) it names is in scope — a problem that names neither is left out. Sensitive
        values the user may not read in clear come masked."""
        from .auth import scope_ids

        today = today or dt.date.today()
        reg = self.registry
        problems: list[Problem] = []
        with Session(self.engine) as s:
            self._live(s)
            allowed = scope_ids(s, self.user)
            for rule in reg.rules.values():
                if rule.check_row is not None and rule.table in reg.tables:
                    rt = reg.tables[rule.table]
                    ctx = RowContext(session=s, table=rt, today=today)
                    stmt = select(rt.model).order_by(rt.model.id)
                    if allowed is not None:
                        stmt = stmt.where(rt.model.region_id.in_(sorted(allowed)))
                    for row in s.execute(stmt).scalars():
                        ctx.row_number = row.id
                        for p in rule.check_row(row, ctx) or ():
                            p.table, p.row, p.rule = rt.key, row.id, rule.key
                            p.extra.setdefault("severity", rule.severity)
                            problems.append(p)
                if rule.check_db is not None:
                    found = list(rule.check_db(s) or ())
                    if allowed is not None:
                        found = _in_scope(s, reg, found, allowed)
                    for p in found:
                        p.rule = p.rule or rule.key
                        p.extra.setdefault("severity", rule.severity)
                        problems.append(p)
            if self.user is not None:
                _mask_problem_values(reg, problems, self.role)
        return problems

    # -- data generation ----------------------------------------------------------------------
    def build_demo(self, progress=None) -> None:
        """Fill an empty database with the demo: the seed articles' places and figures, and the
        stored indicator cells."""
        self._populate(PopulateContext(session=None, mode="demo", seed=2010, years=DEMO_YEARS, today=DEMO_TODAY), progress)

    def generate(self, options: GenerateOptions, progress=None, *, add: bool = False, cells: bool = False) -> GenerateReport:
        """Fill an empty database with a synthetic county through every plugin's ``populate``.

        One transaction: an interrupted or failed run leaves no generated rows. ``progress``
        receives ``(plugin, stage, done, total)``; the SDK adds the stages
        ``demo.PLUGIN_START`` and ``demo.PLUGIN_END`` around each plugin.

        ``add``: add the county beside those already in the database (it needs a name and a
        region code of its own, ``options.county`` and ``options.county_code``, and usually
        another seed); the plugins then populate only the regions this run creates.

        ``cells``: build the stored indicator cells in the same transaction (``shequ generate``
        does; otherwise every figure is computed live until ``rebuild_analytics()``). With
        ``add``, stored cells already there are brought up to date either way.
        """
        _check_options(options)
        years = tuple(range(options.last_year - options.years + 1, options.last_year + 1))
        today = dt.date(options.last_year + 1, 3, 31)
        started = time.perf_counter()
        ctx = PopulateContext(session=None, mode="synthetic", seed=options.seed, years=years, today=today, options=options)
        self._populate(ctx, progress, add=add, cells=cells)
        return GenerateReport(seconds=time.perf_counter() - started, plugins=dict(ctx.timings))

    def _populate(self, ctx: PopulateContext, progress, add: bool = False, cells: bool = True) -> None:
        if self.user is not None and self.user.role != "admin":
            from .errors import PermissionDenied

            raise PermissionDenied(f"用户 {self.user.username} 不能生成数据（规则：只有管理员或本机单用户可以生成演示或模拟数据）",
                                   f"user {self.user.username} may not generate data (rule: only an administrator or the local user does)")
        with self.transaction() as s:
            if add:
                _check_new_county(s, ctx.options)
                ctx.region_floor = s.execute(select(func.max(Region.id))).scalar() or 0
            elif s.execute(select(Region.id).limit(1)).first() is not None:
                raise InputError("数据库已有数据，请换一个新文件", "the database already holds data; use a new file")
            ctx.session = s
            if progress is not None:
                ctx.progress = progress
            populate(s, ctx)
            # the stored indicator cells, in the same transaction: a new database answers from them at once
            from . import analytics

            step = None if progress is None else (lambda done, total: progress("analytics", "指标汇总 / indicator cells", done, total))
            if add:
                analytics.refresh(s, progress=step)  # the new county's regions were marked as they were written
            elif cells:
                analytics.rebuild(s, progress=step)

    def rebuild_analytics(self, progress=None, as_of=None) -> dict:
        """Recompute every stored indicator cell from the raw tables (``shequ analytics rebuild``).
        ``progress(done, total)`` after each period; ``as_of``: the day "today" means (default
        today). Returns ``{"periods", "parts", "cells"}``."""
        from . import analytics

        with self.transaction() as s:
            return analytics.rebuild(s, progress=progress, as_of=as_of)

    def refresh_analytics(self, progress=None, as_of=None) -> dict:
        """Recompute the stored cells that writes made stale, and store the parts that are not
        stored for ``as_of`` (default today) yet: those that compare with "today", a plugin
        installed or upgraded, a period just ended (``shequ analytics refresh``; ``shequ serve``
        does it in the background). Returns ``{"parts", "cells", "marks", "outdated", "left"}``."""
        from . import analytics

        with self.transaction() as s:
            return analytics.refresh(s, progress=progress, as_of=as_of)

    def row_counts(self) -> dict[str, int]:
        """``{table key: rows}`` for the region table and every registered record table — of the
        user's scope (its regions and the rows of those regions) for a scoped user."""
        from .auth import scope_ids

        out = {}
        with Session(self.engine) as s:
            self._live(s)
            allowed = scope_ids(s, self.user)
            ids = sorted(allowed) if allowed is not None else None
            q = select(func.count()).select_from(Region)
            out["region"] = s.execute(q if ids is None else q.where(Region.id.in_(ids))).scalar_one()
            for key, rt in self.registry.tables.items():
                tbl = rt.model.__table__
                q = select(func.count()).select_from(tbl)
                out[key] = s.execute(q if ids is None else q.where(tbl.c.region_id.in_(ids))).scalar_one()
        return out

    # -- pandas (shequ_sdk.frames) ---------------------------------------------------------
    def frame(self, table, *, region=None, period=None, columns=None, where=None, with_region: bool = False,
              yuan: bool = False, lang: str = "zh", codes: bool = False, unmasked=False, limit: Optional[int] = None,
              dtype_backend: Optional[str] = None) -> "pd.DataFrame":
        """Rows of a record table as a typed DataFrame, every filter applied in SQL.

        Sensitive columns come out masked; ``unmasked=True`` (or a list of columns) needs a role
        that ``frames.may_unmask`` allows. ``dtype_backend="pyarrow"`` gives Arrow-backed dtypes.
        See :func:`shequ_sdk.frames.frame`.
        """
        from . import frames

        with Session(self.engine) as s:
            region = self._areas(s, region)
            return frames.frame(s, table, region=region, period=period, columns=columns, where=where, with_region=with_region,
                                yuan=yuan, lang=lang, codes=codes, unmasked=unmasked, role=self.role, limit=limit,
                                dtype_backend=dtype_backend)

    def iter_frames(self, table, *, region=None, period=None, columns=None, where=None, with_region: bool = False,
                    yuan: bool = False, lang: str = "zh", codes: bool = False, unmasked=False, chunksize: int = 100_000,
                    dtype_backend: Optional[str] = None) -> "Iterator[pd.DataFrame]":
        """:meth:`frame` in chunks of at most ``chunksize`` rows (id order), for tables that do not
        fit comfortably in memory: the same filters in SQL, types, masks, labels and scope check.
        The arguments and the user's scope are checked here, before the first chunk is read."""
        from . import frames

        with Session(self.engine) as s:
            region = self._areas(s, region)
            query = frames.frame_query(s, table, region=region, period=period, columns=columns, where=where,
                                       with_region=with_region, yuan=yuan, lang=lang, codes=codes, unmasked=unmasked,
                                       role=self.role, dtype_backend=dtype_backend)
        if not isinstance(chunksize, int) or isinstance(chunksize, bool) or chunksize < 1:
            raise InputError(f"chunksize 应为正整数，收到 {chunksize!r}", f"chunksize must be a positive integer, got {chunksize!r}")

        def chunks():
            with Session(self.engine) as s:
                yield from frames.iter_query(s, query, chunksize)

        return chunks()

    def export_parquet(self, out, *, regions=None, tables=None, years=None, incremental: bool = False, lang: str = "zh",
                       unmasked: bool = False, indicators: bool = True, as_of: Optional[dt.date] = None, progress=None):
        """Write every record table (masked as :meth:`frame` masks for this user) and the yearly
        indicator values as Parquet partitioned ``county=…/year=…``, with ``_schema.json``; see
        :func:`shequ_sdk.parquet.export`. Returns an :class:`~shequ_sdk.parquet.ExportReport`."""
        from . import parquet

        return parquet.export(self, out, regions=regions, tables=tables, years=years, incremental=incremental, lang=lang, unmasked=unmasked,
                              indicators=indicators, as_of=as_of, progress=progress)

    def indicators(self, keys=None, *, regions=None, periods=None, level: Optional[str] = "village", lang: str = "zh",
                   as_of: Optional[dt.date] = None, exact: bool = False) -> "pd.DataFrame":
        """Indicators as a long DataFrame (region_code, region_name, period, indicator, value, …).

        One SQL query per indicator part, period and area, its per-village rows summed to ``level``.
        See :func:`shequ_sdk.frames.indicators`.
        """
        from . import frames

        with Session(self.engine) as s:
            regions = self._areas(s, regions)
            return frames.indicators(s, keys, regions=regions, periods=periods, level=level, lang=lang, as_of=as_of, exact=exact)

    def wide(self, long: "Optional[pd.DataFrame]" = None, *, lang: Optional[str] = None, **indicator_args) -> "pd.DataFrame":
        """One column per indicator: ``sdk.wide(sdk.indicators(...))`` or ``sdk.wide(periods=…, …)``."""
        from . import frames

        if long is None:
            long = self.indicators(**indicator_args)
        elif indicator_args:
            raise InputError("给出长表时不能再给指标参数", "give either a long frame or indicator arguments, not both")
        return frames.wide(long, lang=lang)

    def labels(self, table, lang: str = "zh") -> dict[str, str]:
        """``{column: label}`` of a record table in Chinese or English (incl. derived columns)."""
        from . import frames

        return frames.column_labels(table, lang)

    def table_labels(self, lang: str = "zh") -> dict[str, str]:
        """``{table key: label}`` for every registered record table."""
        return {k: t.label(lang) for k, t in self.registry.tables.items()}

    def indicator_labels(self, lang: str = "zh") -> dict[str, str]:
        """``{indicator key: label}`` for every registered indicator."""
        from . import frames

        return frames.indicator_labels(lang)

    def indicator_catalog(self, lang: str = "zh") -> "pd.DataFrame":
        """Every registered indicator with its plugin, label, unit, value type and period kinds."""
        from . import frames

        return frames.indicator_catalog(lang)

    def regions_frame(self, within=None, *, lang: str = "zh") -> "pd.DataFrame":
        """Regions (all, or those in ``within``) with kind, code, township and county names."""
        from . import frames

        from .auth import readable_region_ids

        with Session(self.engine) as s:
            self._live(s)
            if within is not None:
                within = self._areas(s, [within])[0]
            df = frames.regions_frame(s, within, lang=lang)
            allowed = readable_region_ids(s, self.user)
        if allowed is not None:  # a scoped user sees the names of their scope and its ancestors only
            df = df[df["id"].isin(allowed)].reset_index(drop=True)
        return df


def _in_scope(session: Session, reg, problems: list[Problem], allowed: set[int]) -> list[Problem]:
    """The problems of a cross-row rule that concern regions in ``allowed``: by the region of the
    row a problem names (one query per table and chunk), else by a ``region_id`` value."""
    rows_by_table: dict[str, set] = {}
    for p in problems:
        if p.table in reg.tables and isinstance(p.row, int):
            rows_by_table.setdefault(p.table, set()).add(p.row)
    region_of: dict[tuple[str, int], int] = {}
    for key, ids in rows_by_table.items():
        tbl = reg.tables[key].model.__table__
        wanted = sorted(ids)
        for i in range(0, len(wanted), 500):
            for rid, region in session.execute(select(tbl.c.id, tbl.c.region_id).where(tbl.c.id.in_(wanted[i:i + 500]))):
                region_of[(key, rid)] = region
    out = []
    for p in problems:
        region = region_of.get((p.table, p.row)) if isinstance(p.row, int) else None
        if region is None and p.field == "region_id" and isinstance(p.value, int):
            region = p.value
        if region is not None and region in allowed:
            out.append(p)
    return out


def _mask_problem_values(reg, problems: list[Problem], role) -> None:
    """Mask the value of a problem about a sensitive field the role may not read in clear."""
    from .frames import may_unmask
    from .ids import mask

    for p in problems:
        rt = reg.tables.get(p.table) if p.table else None
        if rt is None or not p.field or p.value in (None, ""):
            continue
        info = next((f for f in rt.fields if f.name == p.field), None)
        if info is not None and info.sensitive and not may_unmask(role, rt, info):
            p.value = mask(p.value, info.sensitive)


def _check_new_county(session: Session, options: GenerateOptions) -> None:
    """A county added beside others needs a name and a region code that no region has yet."""
    taken = session.execute(select(Region.name, Region.code).where(
        (Region.kind == "county") & ((Region.name == options.county) | (Region.code == options.county_code)))).first()
    if taken is not None:
        raise InputError(f"数据库已有县 {taken[0]}（代码 {taken[1]}）：新增的县需要另起名称和区划代码（--county、--county-code）",
                         f"the database already has county {taken[0]} (code {taken[1]}): an added county needs its own name and code "
                         "(--county, --county-code)")
    clash = session.execute(select(Region.code).where(Region.code.like(f"{options.county_code}%")).limit(1)).first()
    if clash is not None:
        raise InputError(f"区划代码 {clash[0]} 已被使用：请换一个县代码（--county-code）",
                         f"region code {clash[0]} is taken: choose another county code (--county-code)")


def _check_options(options: GenerateOptions) -> None:
    # the synthetic county's 12-digit region codes hold township 100+i (< 600) and village 200+j (< 1000)
    limits = {"townships": (1, 499), "villages_per_township": (1, 799), "households_per_village": (1, 10_000), "years": (1, 50),
              "last_year": (1950, 2100)}
    for name, (lo, hi) in limits.items():
        value = getattr(options, name)
        if not isinstance(value, int) or not lo <= value <= hi:
            raise InputError(f"生成参数 {name} 应为 {lo}–{hi} 之间的整数，收到 {value!r}", f"generate option {name} must be an integer from {lo} to {hi}, got {value!r}")
    if not (isinstance(options.county_code, str) and len(options.county_code) == 6 and options.county_code.isdigit()):
        raise InputError(f"县区划代码应为 6 位数字，收到 {options.county_code!r}", f"the county code must be 6 digits, got {options.county_code!r}")
    if not (isinstance(options.county, str) and options.county.strip()):
        raise InputError("县名称不能为空", "the county needs a name")
