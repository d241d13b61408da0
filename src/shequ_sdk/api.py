"""``shequ_sdk.open(db)``: the one object analysts, the CLI and the dashboards work through."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from typing import Any, Iterable, Iterator, Optional

from sqlalchemy import select
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


class Shequ:
    """A shequ database: regions, records, indicators and checks.

    ``Shequ(path_or_url)`` opens an existing database (``create=True`` makes the schema).
    """

    def __init__(self, db=None, *, create: bool = False, role=None):
        self.url = dbmod.resolve_url(db)
        self.engine = dbmod.make_engine(self.url, must_exist=not create)
        self.role = role
        if create:
            dbmod.create_all(self.engine)
        elif not dbmod.has_schema(self.engine):
            raise InputError(f"{self.url} 不是 shequ 数据库（先运行 shequ init）", f"{self.url} is not a shequ database (run shequ init)")
        self.registry = registry()

    # -- sessions ---------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session that commits on success and rolls back everything on error."""
        with dbmod.transaction(self.engine) as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- regions ----------------------------------------------------------------------
    def region(self, name_or_code) -> Region:
        with Session(self.engine) as s:
            return find_region(s, name_or_code)

    def villages(self, within=None) -> list[Region]:
        with Session(self.engine) as s:
            if within is None:
                return list(s.execute(select(Region).where(Region.kind.in_(("village", "community"))).order_by(Region.id)).scalars())
            return villages_in(s, find_region(s, within))

    # -- writes -----------------------------------------------------------------------
    def write(self, table, rows: Iterable[dict], *, mode: str = "insert", today: Optional[dt.date] = None) -> WriteResult:
        """Validate and write a batch in one transaction: all rows or none."""
        with self.transaction() as s:
            return write(session=s, table=table, rows=list(rows), mode=mode, today=today)

    # -- indicators ---------------------------------------------------------------------
    def indicator_values(self, region, period, keys=None, as_of: Optional[dt.date] = None) -> dict[str, Any]:
        """``{indicator key: value}`` for one region and period (the CLI's ``indicators``)."""
        p = Period.parse(period)
        with Session(self.engine) as s:
            r = find_region(s, region)
            values = values_for(s, r, p, keys=keys, as_of=as_of)
            s.commit()  # indicators may prepare derived rows (deadline schedules)
            return values

    # -- checks -------------------------------------------------------------------------
    def check(self, today: Optional[dt.date] = None) -> list[Problem]:
        """Run every registered rule over the stored data; return the violations."""
        today = today or dt.date.today()
        reg = self.registry
        problems: list[Problem] = []
        with Session(self.engine) as s:
            for rule in reg.rules.values():
                if rule.check_row is not None and rule.table in reg.tables:
                    rt = reg.tables[rule.table]
                    ctx = RowContext(session=s, table=rt, today=today)
                    for row in s.execute(select(rt.model).order_by(rt.model.id)).scalars():
                        ctx.row_number = row.id
                        for p in rule.check_row(row, ctx) or ():
                            p.table, p.row, p.rule = rt.key, row.id, rule.key
                            p.extra.setdefault("severity", rule.severity)
                            problems.append(p)
                if rule.check_db is not None:
                    for p in rule.check_db(s) or ():
                        p.rule = p.rule or rule.key
                        p.extra.setdefault("severity", rule.severity)
                        problems.append(p)
        return problems

    # -- data generation ----------------------------------------------------------------------
    def build_demo(self, progress=None) -> None:
        """Fill an empty database with the demo: the seed articles' places and figures."""
        self._populate(PopulateContext(session=None, mode="demo", seed=2010, years=DEMO_YEARS, today=DEMO_TODAY), progress)

    def generate(self, options: GenerateOptions, progress=None) -> None:
        years = tuple(range(options.last_year - options.years + 1, options.last_year + 1))
        today = dt.date(options.last_year + 1, 3, 31)
        self._populate(PopulateContext(session=None, mode="synthetic", seed=options.seed, years=years, today=today, options=options), progress)

    def _populate(self, ctx: PopulateContext, progress) -> None:
        with self.transaction() as s:
            if s.execute(select(Region.id).limit(1)).first() is not None:
                raise InputError("数据库已有数据，请换一个新文件", "the database already holds data; use a new file")
            ctx.session = s
            if progress is not None:
                ctx.progress = progress
            populate(s, ctx)
