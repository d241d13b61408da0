"""Building the demo database and synthetic counties through every plugin's ``populate`` hook."""

from __future__ import annotations

import datetime as dt
import random
import time
import zlib
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Optional

from sqlalchemy import select
from sqlmodel import Session

from .errors import InputError
from .generate_options import PLUGIN_END, PLUGIN_START, GenerateOptions  # noqa: F401  re-exported
from .models import Association, Household, Region
from .plugins import call_each, state
from .records import WriteResult, write
from .regions import find_region
from .synthetic import Faker

DEMO_YEARS = (2009, 2010)
DEMO_TODAY = dt.date(2011, 3, 31)  # the demo's "now": every 2009–2010 deadline has passed


@dataclass
class PopulateContext:
    """What ``populate(ctx)`` receives. ``rng`` and ``fake`` are seeded per plugin, so adding a
    plugin never changes another plugin's data."""

    session: Session
    mode: str  # "demo" or "synthetic"
    seed: int
    years: tuple[int, ...]
    today: dt.date
    options: Optional[GenerateOptions] = None
    plugin: str = ""
    rng: random.Random = field(default_factory=random.Random)
    progress: Callable[[str, str, int, int], None] = lambda plugin, stage, done, total: None
    _villages: Optional[list[Region]] = None
    region_floor: int = 0  # regions with a larger id are this run's (a county added beside others: ``add``)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per plugin, shared by every for_plugin copy

    def for_plugin(self, name: str) -> "PopulateContext":
        return replace(self, plugin=name, rng=random.Random(zlib.crc32(f"{self.seed}:{name}".encode())))

    @property
    def fake(self) -> Faker:
        return Faker(self.rng)

    @property
    def villages(self) -> list[Region]:
        """Every village and community this run populates (the whole database unless a county is
        added beside others), in creation order."""
        return list(self.session.exec(select(Region).where(Region.kind.in_(("village", "community")), Region.id > self.region_floor)
                                      .order_by(Region.id)).scalars())

    def region(self, name_or_code: str) -> Region:
        return find_region(self.session, name_or_code)

    def regions(self, kind: str) -> list[Region]:
        """The regions of ``kind`` this run populates, in creation order."""
        return list(self.session.exec(select(Region).where(Region.kind == kind, Region.id > self.region_floor).order_by(Region.id)).scalars())

    def households(self, region: Region) -> list[int]:
        """Ids of the households in ``region``, in order."""
        return list(self.session.exec(select(Household.id).where(Household.region_id == region.id).order_by(Household.id)).scalars())

    def association(self, region: Region, type_key: str) -> Optional[Association]:
        return self.session.exec(select(Association).where(Association.region_id == region.id, Association.type_key == type_key)).scalars().first()

    def is_seed(self, region: Region) -> bool:
        """True for the places the seed articles describe; their figures must not be disturbed."""
        return not region.synthetic

    def days(self, year: int) -> list[dt.date]:
        """Every day of ``year`` up to ``today``, in order (a list: ``rng.choice`` and ``len`` work)."""
        first = dt.date(year, 1, 1)
        last = min(dt.date(year, 12, 31), self.today)
        return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]

    def write(self, table, rows, *, return_ids: bool = False) -> WriteResult:
        """The validated batch write path (``shequ_sdk.records.write``) in this session."""
        return write(session=self.session, table=table, rows=rows, today=self.today, return_ids=return_ids)


def populate(session: Session, ctx: PopulateContext) -> dict[str, str]:
    """Run every plugin's ``populate`` in this session; return ``{plugin: error}`` for failures.

    A failing plugin aborts the whole build (the caller's transaction rolls back), so a demo
    database never holds half a plugin's data.
    """
    st = state()
    caller = st.pm.hook.populate
    # records_changed is not called while plugins populate: each derives its rows once, at the
    # end of its own populate, instead of after every batch
    session.info["shequ.populating"] = True
    try:
        _populate_each(st, caller, ctx)
    finally:
        session.info.pop("shequ.populating", None)
    return {}


def _populate_each(st, caller, ctx: PopulateContext) -> None:
    for impl in reversed(caller.get_hookimpls()):
        if impl.plugin_name in st.failures:
            continue
        ctx.progress(impl.plugin_name, PLUGIN_START, 0, 1)
        started = time.perf_counter()
        try:
            impl.function(ctx=ctx.for_plugin(impl.plugin_name))
        except InputError as exc:
            raise InputError(f"插件 {impl.plugin_name} 的演示数据无效：{exc.zh}", f"plugin {impl.plugin_name} demo data is invalid: {exc.en}") from exc
        ctx.timings[impl.plugin_name] = time.perf_counter() - started
        ctx.progress(impl.plugin_name, PLUGIN_END, 1, 1)
