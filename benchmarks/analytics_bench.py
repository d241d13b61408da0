"""``make bench-analytics``: the aggregate layer (stored indicator cells) on a generated county.

Each measure against a baseline measured in the same run, medians of ``--runs``:

- ``cells_county_{quarter,year}``: every indicator for the county from the engine (cells where
  stored) vs the hand-written SQL over the raw tables (``benchmarks/hand_sql.py``); figures must
  be equal. Also reported: the engine with the cells switched off (``compute(cells=False)``).
- ``cells_write_one_row``: one validated single-row write (a patrol) on the county with cells,
  which marks the parts it affects stale at commit, vs the same write on a copy without cells.
- ``cells_rebuild`` and ``cells_refresh_after_one_write``: how long building every cell takes,
  and bringing them back up to date after one write (what ``shequ serve`` does in the background).

Prints one JSON line per measure (``name, value, unit, baseline, ratio, target, met, …``), then a
table. ``--townships 3 --villages-per-township 10 …`` pick a smaller county.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import county_bench as cb  # noqa: E402

TARGETS = {"write": 2.0,  # reads from the cells: county_bench's targets (ratio ≤ 0.5, quarter ≤ 150 ms)
           "refresh_s": 30.0,  # ours: a written figure is back in the cells within half a minute
           "rebuild_s": 600.0}  # ours: a county rebuilt within ten minutes


def _county_sdk(url: str):
    import shequ_sdk

    return shequ_sdk.open(url)


def bench_cells(sdk, area: str, periods: list[str], as_of: dt.date, runs: int, backend: str) -> list[cb.Measure]:
    """county_bench's measure 1 (figures checked equal to the hand SQL, same targets), named for
    the cells, with the engine's time without them and how many parts came from them."""
    from sqlmodel import Session

    from shequ_sdk import analytics, indicators
    from shequ_sdk.models import Region
    from shequ_sdk.period import Period
    from shequ_sdk.regions import find_region

    with Session(sdk.engine) as s:
        area_id = find_region(s, area).id
    out = []
    for m in cb.bench_indicators(sdk, area, periods, as_of, runs, backend):
        p = Period.parse(m.detail["period"])

        def live():
            with sdk.reading() as s:
                return indicators.compute(s, region=s.get(Region, area_id), period=p, as_of=as_of, cells=False)

        live_times = [cb.timed(live)[0] for _ in range(runs)]
        with sdk.reading() as s:
            chosen = [i for i in sdk.registry.indicators.values() if p.kind in i.period_kinds]
            stored = len(analytics.stored_parts(s, s.get(Region, area_id), p, as_of, chosen))
        m.name = m.name.replace("indicators_county_", "cells_county_")
        m.detail.update(live_ms=round(statistics.median(live_times) * 1000, 1), parts_from_cells=stored,
                        parts=sum(2 if i.denominator else 1 for i in chosen))
        out.append(m)
    return out


def _patrol(village_id: int, n: int) -> dict:
    return {"region_id": village_id, "patrol_date": "2020-11-%02d" % (1 + n % 28), "team": f"基准巡逻队{n}",
            "participants": 3, "hours": 2.0, "issues_found": 0}


def bench_write(db: Path, workdir: Path, runs: int, as_of: dt.date) -> list[cb.Measure]:
    """One single-row write with the cells in place vs on a copy without them; then the refresh
    (for ``as_of``, the day the cells were stored for: only what the writes made stale)."""
    from sqlalchemy import delete

    from shequ_sdk import analytics

    with_cells = cb.copy_county(db, workdir / "with-cells.db")
    without = cb.copy_county(db, workdir / "without-cells.db")
    plain = _county_sdk(f"sqlite:///{without}")
    with plain.transaction() as s:
        for model in analytics.TABLES:
            s.execute(delete(model))
    sdk = _county_sdk(f"sqlite:///{with_cells}")
    village = sdk.villages()[0].id
    for target in (sdk, plain):  # warm-up: plugins, validators, the first statements
        target.write("stability_patrol", [_patrol(village, 0)])
    a, b = [], []
    for i in range(1, runs * 3 + 1):  # alternate, so load drifts hit both sides alike
        a.append(cb.timed(lambda: sdk.write("stability_patrol", [_patrol(village, i)]))[0])
        b.append(cb.timed(lambda: plain.write("stability_patrol", [_patrol(village, i)]))[0])
    value, base = statistics.median(a) * 1000, statistics.median(b) * 1000
    ratio = cb._ratio(value, base)
    out = [cb.Measure("cells_write_one_row", round(value, 2), "ms", round(base, 2), ratio, f"ratio ≤ {TARGETS['write']}",
                      ratio <= TARGETS["write"], len(a), "sqlite", {"writes": len(a)})]
    seconds, done = cb.timed(lambda: sdk.refresh_analytics(as_of=as_of))
    out.append(cb.Measure("cells_refresh_after_writes", round(seconds, 2), "s", None, None, f"≤ {TARGETS['refresh_s']:.0f} s",
                          seconds <= TARGETS["refresh_s"], 1, "sqlite", {"village_writes": len(a) + 1, **done}))
    sdk.close()
    plain.close()
    return out


def bench_rebuild(db: Path, workdir: Path, as_of: dt.date) -> list[cb.Measure]:
    """A full rebuild for ``as_of``, then the daily round of the day after (the parts that
    compare with "today" stored again: what ``shequ serve`` does once a day in the background)."""
    path = cb.copy_county(db, workdir / "rebuild.db")
    sdk = _county_sdk(f"sqlite:///{path}")
    try:
        seconds, done = cb.timed(lambda: sdk.rebuild_analytics(as_of=as_of))
        rolled, rdone = cb.timed(lambda: sdk.refresh_analytics(as_of=as_of + dt.timedelta(days=1)))
    finally:
        sdk.close()
    return [cb.Measure("cells_rebuild", round(seconds, 1), "s", None, None, f"≤ {TARGETS['rebuild_s']:.0f} s",
                       seconds <= TARGETS["rebuild_s"], 1, "sqlite", done),
            cb.Measure("cells_daily_round", round(rolled, 1), "s", round(seconds, 1), round(rolled / seconds, 2),
                       f"≤ {TARGETS['rebuild_s']:.0f} s", rolled <= TARGETS["rebuild_s"], 1, "sqlite", rdone)]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=Path(__file__).resolve().parent / ".data")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--townships", type=int, default=cb.CountyOptions.townships)
    ap.add_argument("--villages-per-township", type=int, default=cb.CountyOptions.villages_per_township)
    ap.add_argument("--households-per-village", type=int, default=cb.CountyOptions.households_per_village)
    ap.add_argument("--years", type=int, default=cb.CountyOptions.years)
    ap.add_argument("--no-rebuild", action="store_true", help="skip timing a full rebuild (long on a full county)")
    args = ap.parse_args(argv)
    options = cb.CountyOptions(townships=args.townships, villages_per_township=args.villages_per_township,
                               households_per_village=args.households_per_village, years=args.years)
    name = "county.db" if options == cb.CountyOptions() else "county-{}x{}x{}x{}.db".format(
        options.townships, options.villages_per_township, options.households_per_village, options.years)
    db = args.data_dir / name
    summary = cb.ensure_county(db, options, log=lambda m: print(m, file=sys.stderr))
    info = {"machine": cb.machine(), "county": {"rows": summary.get("total_rows"), **vars(options)}}
    print(__import__("json").dumps(info, ensure_ascii=False))
    as_of = options.today
    measures = []
    sdk = _county_sdk(f"sqlite:///{db}")
    try:
        cb.roll_cells(sdk, as_of, log=lambda m: print(m, file=sys.stderr))
        last = options.last_year
        measures += bench_cells(sdk, "模拟县", [f"{last}Q4", str(last)], as_of, args.runs, "sqlite")
    finally:
        sdk.close()
    with tempfile.TemporaryDirectory(prefix="shequ-cells-") as tmp:
        measures += bench_write(db, Path(tmp), args.runs, as_of)
        if not args.no_rebuild:
            measures += bench_rebuild(db, Path(tmp), as_of)
    for m in measures:
        print(m.line())
    cb.print_table(measures, info["machine"])
    return 0


if __name__ == "__main__":
    started = time.perf_counter()
    code = main()
    print(f"({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    sys.exit(code)
