"""``make bench-scale``: does one county's work grow as more counties share the database?

Generates synthetic counties into one database, one after another (``Shequ.generate`` with
``add=True``, as ``shequ generate --add`` does: county 1 is ``模拟县`` with code 439901 and seed
42, county k is ``模拟县k`` with code 4399(k) and seed 41+k), and after each step of
``--counties`` (1, 2, 4 by default) measures, on the first county only:

- ``indicators_county_quarter``: every indicator for the county, ``<last year>Q4``, through the
  SDK (``county_bench`` measure 1) against the hand-written SQL of ``hand_sql.py`` in the same
  run; the figures are checked equal.
- ``dashboard_first_render_data``: what the township dashboard loads on first render for the
  county, the last year (``county_bench`` measure 2), against the same queries by hand.

Values are medians of ``--runs`` runs (SDK and hand SQL alternating). Each step prints its JSON
lines (``county_bench.Measure``, the name suffixed with ``_<n>_counties``), then the growth from
the first to the last step: ``<measure>_growth`` with value = the last step's time, baseline = the
first step's, ratio = the growth (target ≤ 1.2); the hand SQL's own growth is in its detail.

PostgreSQL (``--pg URL``): the counties go into a database of their own on that server,
``bench_scale_<size>``, created afresh for each run (only databases of that prefix are
touched). SQLite: a file in ``--work-dir`` (``--sqlite``, the default without ``--pg``).

    uv run --no-sync python benchmarks/scale.py --pg postgresql+psycopg://postgres@127.0.0.1:54329/postgres
    uv run --no-sync python benchmarks/scale.py --sqlite --townships 2 --villages-per-township 3 --households-per-village 30 \\
        --years 2 --counties 1,2 --runs 1                                                   # a smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from county_bench import DATA_DIR, CountyOptions, Measure, bench_dashboard_data, bench_indicators, machine, print_table, roll_cells  # noqa: E402

TARGET_GROWTH = 1.2
FIRST = "模拟县"


def county(k: int, size: CountyOptions):
    """The ``k``-th county (1-based) of ``size``: its generator options."""
    from shequ_sdk.demo import GenerateOptions

    return GenerateOptions(townships=size.townships, villages_per_township=size.villages_per_township,
                           households_per_village=size.households_per_village, years=size.years, last_year=size.last_year,
                           seed=size.seed + k - 1, county=FIRST if k == 1 else f"{FIRST}{k}", county_code=f"4399{k:02d}")


def grow(sdk, have: int, want: int, size: CountyOptions, log: Callable[[str], None] = print) -> float:
    """Add counties ``have+1 … want`` to ``sdk``'s database; the seconds it took."""
    started = time.perf_counter()
    for k in range(have + 1, want + 1):
        options = county(k, size)
        log(f"adding county {k} ({options.county}, {options.county_code}) …")
        sdk.generate(options, add=k > 1, cells=True)  # with the aggregate layer, as `shequ generate` builds it
    return time.perf_counter() - started


def measure_step(sdk, n: int, size: CountyOptions, runs: int, backend: str) -> list[Measure]:
    """Measures 1 (the quarter) and 2 of ``county_bench`` on the first county, with ``n`` counties in the database."""
    as_of = size.today
    roll_cells(sdk, as_of, log=lambda m: None)  # the cells stored for the generator's "today", as shequ serve keeps them
    out = bench_indicators(sdk, FIRST, [f"{size.last_year}Q4"], as_of, runs, backend)
    out.append(bench_dashboard_data(sdk, FIRST, str(size.last_year), as_of, size.last_year - size.years + 1, runs, backend))
    for m in out:
        m.detail.update({"counties": n, "county": FIRST, "base_name": m.name})
        m.name = f"{m.name}_{n}_counties"
    return out


def growth(steps: dict[int, list[Measure]]) -> list[Measure]:
    """From the first step to the last: per measure, the last time against the first."""
    first, last = min(steps), max(steps)
    out = []
    for a in steps[first]:
        b = next(m for m in steps[last] if m.detail["base_name"] == a.detail["base_name"])
        ratio = round(b.value / a.value, 3) if a.value else float("inf")
        hand = round(b.baseline / a.baseline, 3) if a.baseline else None
        out.append(Measure(f"{a.detail['base_name']}_growth", b.value, a.unit, a.value, ratio, f"ratio ≤ {TARGET_GROWTH}",
                           ratio <= TARGET_GROWTH, a.runs, a.backend,
                           {"from_counties": first, "to_counties": last, "hand_sql_growth": hand,
                            "series_ms": {n: next(m.value for m in ms if m.detail["base_name"] == a.detail["base_name"]) for n, ms in steps.items()}}))
    return out


def run(url: str, counties: list[int], size: CountyOptions, runs: int, backend: str, emit: Callable[[Measure], None],
        log: Callable[[str], None] = print) -> list[Measure]:
    """Grow the database at ``url`` (initialised, empty) through ``counties`` and measure after each step."""
    import shequ_sdk

    sdk = shequ_sdk.open(url)
    steps: dict[int, list[Measure]] = {}
    have = 0
    try:
        for n in counties:
            seconds = grow(sdk, have, n, size, log)
            have = n
            log(f"{n} counties ({seconds:.0f} s to add); measuring …")
            steps[n] = measure_step(sdk, n, size, runs, backend)
            for m in steps[n]:
                m.detail["generate_seconds"] = round(seconds, 1)
                emit(m)
    finally:
        sdk.close()
    out = growth(steps) if len(steps) > 1 else []
    for m in out:
        emit(m)
    return [m for ms in steps.values() for m in ms] + out


def fresh_sqlite(path: Path) -> str:
    import shequ_sdk

    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    shequ_sdk.open(str(path), create=True).close()
    return f"sqlite:///{path}"


def fresh_pg(base_url: str, size: CountyOptions) -> str:
    """A new database ``bench_scale_<size>`` on ``base_url``'s server (dropped first if there)."""
    from sqlalchemy import create_engine, text

    import shequ_sdk

    name = f"bench_scale_{size.townships}_{size.villages_per_township}_{size.households_per_village}_{size.years}"
    url = base_url.rsplit("/", 1)[0] + "/" + name
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            c.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    shequ_sdk.open(url, create=True).close()
    return url


def main(argv=None) -> int:
    defaults = CountyOptions()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default=None, help="PostgreSQL server URL (a database bench_scale_… is created on it)")
    parser.add_argument("--sqlite", action="store_true", help="also on SQLite (the default without --pg)")
    parser.add_argument("--counties", default="1,2,4", help="counties in the database at each step, increasing")
    parser.add_argument("--runs", type=int, default=5, help="runs per measure (medians are reported)")
    parser.add_argument("--townships", type=int, default=defaults.townships)
    parser.add_argument("--villages-per-township", type=int, default=defaults.villages_per_township)
    parser.add_argument("--households-per-village", type=int, default=defaults.households_per_village)
    parser.add_argument("--years", type=int, default=defaults.years)
    parser.add_argument("--work-dir", type=Path, default=DATA_DIR / "work", help="where the SQLite database goes")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    ns = parser.parse_args(argv)
    counties = sorted({int(x) for x in ns.counties.split(",") if x.strip()})
    if not counties or counties[0] < 1:
        parser.error("--counties: positive numbers, e.g. 1,2,4")
    size = CountyOptions(townships=ns.townships, villages_per_township=ns.villages_per_township,
                         households_per_village=ns.households_per_village, years=ns.years)
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731  (stdout carries the JSON lines)
    info = machine()
    print(json.dumps({"name": "machine", **info, "size": {k: v for k, v in vars(size).items()}, "counties": counties},
                     ensure_ascii=False, default=str), flush=True)
    emit = lambda m: print(m.line(), flush=True)  # noqa: E731
    measures: list[Measure] = []
    if ns.pg:
        measures += run(fresh_pg(ns.pg, size), counties, size, ns.runs, "postgresql", emit, log)
    if ns.sqlite or not ns.pg:
        measures += run(fresh_sqlite(ns.work_dir / "scale.db"), counties, size, ns.runs, "sqlite", emit, log)
    info["load_average"] = [round(x, 2) for x in os.getloadavg()]
    print_table(measures, info)
    return 1 if ns.check and any(m.met is False for m in measures if m.name.endswith("_growth")) else 0


if __name__ == "__main__":
    sys.exit(main())
