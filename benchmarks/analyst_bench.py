"""``python benchmarks/analyst_bench.py``: the analysts' paths at county scale (issue 21), each
against a baseline measured in the same run.

Reuses the county ``county_bench.py`` generates with ``shequ generate`` into
``benchmarks/.data/`` (same options, same reuse rule), copied so derived rows the SDK writes do
not touch the source. Measures, medians of ``--runs`` runs, SDK and baseline alternating:

1. ``frame``: ``sdk.frame("sanitation_collection_run", period=<last year>)`` vs ``pd.read_sql`` of
   the same rows and columns with the same dtypes applied by plain pandas. Target: ratio ≤ 1.2.
   The two frames are checked equal.
2. ``frame_memory``: peak traced memory (``tracemalloc``, in a fresh child process each) of the
   same two reads. Target: ≤ 1.5× the baseline's.
3. ``iter_frames_rss``: peak RSS of a child that reads every collection run with
   ``sdk.iter_frames(…, chunksize=100_000)`` (baseline: the same child's RSS before the loop).
   Target: ≤ 300 MB. The rows are counted against ``count(*)``.
4. ``parquet_export``: ``sdk.export_parquet`` of every record table vs reading the same frames
   (``sdk.frame`` per table) and writing them with ``pyarrow.parquet.write_to_dataset``
   partitioned by county and year. Target: ratio ≤ 2. Row counts are checked equal; the detail
   also gives the write-only part of the baseline and the indicator values' export time.
5. ``duckdb_on_time_rate``: DuckDB over the export's indicator values, on-time rate per county ×
   year (baseline: ``sdk.indicators(level="county")`` for the same years). Target: ≤ 0.2 s. The
   figures are checked equal.

Prints one JSON line per measure (the same fields as ``county_bench.py``), then a table.

    uv run --no-sync python benchmarks/analyst_bench.py                   # the default county
    uv run --no-sync python benchmarks/analyst_bench.py --only 1,2 --runs 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Optional

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import county_bench as cb  # noqa: E402  (a sibling module, not a package)
from county_bench import Measure, alternate, timed  # noqa: E402

TABLE = "sanitation_collection_run"
KEY = "finance.disclosure_on_time_rate"
TARGETS = {"frame": 1.2, "frame_memory": 1.5, "iter_rss_mb": 300.0, "export": 2.0, "duckdb_s": 0.2}


def _ratio(value: float, baseline: float) -> float:
    return round(value / baseline, 3) if baseline else float("inf")


# -- 1. frame vs pd.read_sql ------------------------------------------------------------------------

def sdk_frame(sdk, period: str):
    return sdk.frame(TABLE, period=period)


def baseline_frame(sdk, period: str):
    """``pd.read_sql`` of the same rows and columns, then the frame's dtypes applied by plain pandas."""
    import pandas as pd
    from sqlalchemy import select

    from shequ_sdk.fields import describe_model
    from shequ_sdk.period import Period
    from shequ_sdk.plugins import registry

    rt = registry().tables[TABLE]
    tbl = rt.model.__table__
    p = Period.parse(period)
    col = tbl.c[rt.date_field]
    stmt = select(tbl).where(col >= p.start, col < p.next().start).order_by(tbl.c.id)
    with sdk.engine.connect() as conn:
        df = pd.read_sql(stmt, conn)
    for info in describe_model(rt.model):
        c = df[info.name]
        if info.choices:
            labels = {code: zh for code, (zh, _en) in info.choices.items()}
            df[info.name] = pd.Categorical(c.map(labels), categories=list(labels.values()))
        elif info.python_type in (dt.date, dt.datetime):
            df[info.name] = pd.to_datetime(c).astype("datetime64[ns]")
        elif info.python_type is bool:
            df[info.name] = c.astype("boolean")
        elif info.python_type is int:
            df[info.name] = c.astype("Int64")
        elif info.python_type is float:
            df[info.name] = c.astype("float64")
        elif info.python_type is str:
            df[info.name] = c.astype("str")
    return df


def frames_equal(a, b) -> bool:
    import pandas as pd

    a, b = a.copy(), b.copy()
    a.attrs, b.attrs = {}, {}
    try:
        pd.testing.assert_frame_equal(a, b)
    except AssertionError:
        return False
    return True


def bench_frame(sdk, period: str, runs: int, backend: str = "sqlite") -> Measure:
    sdk_frame(sdk, period), baseline_frame(sdk, period)  # warm-up: imports, page cache
    a, b, df, base = alternate(lambda: sdk_frame(sdk, period), lambda: baseline_frame(sdk, period), runs)
    if not frames_equal(df, base):
        raise AssertionError("sdk.frame and the pd.read_sql baseline differ")
    value, baseline = statistics.median(a), statistics.median(b)
    ratio = _ratio(value, baseline)
    return Measure("frame_year_of_runs", round(value, 4), "s", round(baseline, 4), ratio, f"ratio ≤ {TARGETS['frame']}",
                   ratio <= TARGETS["frame"], runs, backend,
                   {"table": TABLE, "period": period, "rows": len(df), "columns": len(df.columns), "frames_equal": True,
                    "sdk_s": [round(x, 3) for x in a], "baseline_s": [round(x, 3) for x in b]})


# -- child processes (memory) --------------------------------------------------------------------------

def _child(code: str) -> dict:
    """Run ``code`` in a fresh interpreter (this directory on ``sys.path``); its last stdout line is JSON."""
    script = f"import sys\nsys.path.insert(0, {str(HERE)!r})\n" + code
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child failed (exit {proc.returncode}):\n{proc.stderr.strip()[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


_MEMORY_CHILD = '''
import gc, json, tracemalloc
import shequ_sdk
import analyst_bench as ab
sdk = shequ_sdk.open({db!r})
fn = ab.sdk_frame if {which!r} == "sdk" else ab.baseline_frame
df = fn(sdk, {period!r})  # warm-up: imports and caches are not the frame's memory
rows = len(df)
del df
gc.collect()
tracemalloc.start()
df = fn(sdk, {period!r})
current, peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
print(json.dumps({{"peak_mb": peak / 2**20, "result_mb": float(df.memory_usage(deep=True).sum()) / 2**20, "rows": rows}}))
'''


def bench_frame_memory(db: Path, period: str, runs: int) -> Measure:
    a, b = [], []
    details: dict[str, Any] = {}
    for i in range(runs):
        for which in (("sdk", "base") if i % 2 == 0 else ("base", "sdk")):
            out = _child(_MEMORY_CHILD.format(db=str(db), which=which, period=period))
            (a if which == "sdk" else b).append(out["peak_mb"])
            details[f"{which}_result_mb"] = round(out["result_mb"], 1)
            details["rows"] = out["rows"]
    value, baseline = statistics.median(a), statistics.median(b)
    ratio = _ratio(value, baseline)
    return Measure("frame_peak_memory", round(value, 3), "MB", round(baseline, 3), ratio, f"ratio ≤ {TARGETS['frame_memory']}",
                   ratio <= TARGETS["frame_memory"], runs, "sqlite",
                   {"how": "tracemalloc peak in a fresh child, after a warm-up read", "table": TABLE, "period": period, **details})


# -- 3. iter_frames over the whole table ---------------------------------------------------------------

_ITER_CHILD = '''
import json, resource
import pandas  # noqa: F401  (the baseline process holds the same libraries)
import shequ_sdk
from sqlalchemy import text

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

sdk = shequ_sdk.open({db!r})
with sdk.engine.connect() as c:
    expected = c.execute(text("SELECT count(*) FROM {table}")).scalar_one()
next(iter(sdk.iter_frames({table!r}, chunksize=10)))  # imports done before the baseline is read
before = rss_mb()
rows = chunks = kg = 0
for chunk in sdk.iter_frames({table!r}, chunksize={chunksize}):
    rows += len(chunk)
    chunks += 1
    kg += int(chunk["amount_kg"].sum())
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"peak_mb": peak, "before_mb": before, "rows": rows, "expected": expected, "chunks": chunks, "kg": kg}}))
'''


def bench_iter_rss(db: Path, runs: int, chunksize: int = 100_000) -> Measure:
    peaks, befores = [], []
    out: dict = {}
    for _ in range(runs):
        out = _child(_ITER_CHILD.format(db=str(db), table=TABLE, chunksize=chunksize))
        if out["rows"] != out["expected"]:
            raise AssertionError(f"iter_frames read {out['rows']} rows, the table has {out['expected']}")
        peaks.append(out["peak_mb"])
        befores.append(out["before_mb"])
    value, baseline = statistics.median(peaks), statistics.median(befores)
    return Measure("iter_frames_all_runs_peak_rss", round(value, 2), "MB", round(baseline, 2), _ratio(value, baseline),
                   f"≤ {TARGETS['iter_rss_mb']:.0f} MB", value <= TARGETS["iter_rss_mb"], runs, "sqlite",
                   {"baseline_is": "the same child's RSS before the loop (interpreter, pandas, SQLAlchemy, plugins)",
                    "rows": out["rows"], "chunks": out["chunks"], "chunksize": chunksize})


# -- 4. Parquet export vs write_to_dataset ------------------------------------------------------------

def record_tables() -> list[str]:
    from shequ_sdk.plugins import registry

    return list(registry().tables)


def sdk_export(sdk, out: Path, as_of: dt.date):
    return sdk.export_parquet(out, tables=record_tables(), as_of=as_of)


def baseline_export(sdk, out: Path) -> dict[str, Any]:
    """The same frames (``sdk.frame`` per table, whole) with county and year columns, written by
    ``pyarrow.parquet.write_to_dataset`` partitioned by county and year."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from shequ_sdk.plugins import registry

    import pandas as pd

    regions = sdk.regions_frame()
    ids = [int(x) for x in regions["id"]]
    code = dict(zip(ids, regions["code"]))
    county_of = {rid: code[rid] if cid is pd.NA else code[int(cid)] for rid, cid in zip(ids, regions["county_id"].astype("Int64"))}
    rows, write_s = {}, 0.0
    for key, rt in registry().tables.items():
        df = sdk.frame(key)
        started = time.perf_counter()
        df["county"] = df["region_id"].map(county_of).astype("str")
        partition = ["county"]
        timed_col = rt.date_field or rt.period_field
        if timed_col:
            if rt.date_field:
                df["year"] = df[timed_col].dt.year.astype("Int64")
            else:
                df["year"] = df[timed_col].astype("str").str[:4]
            partition.append("year")
        rows[key] = len(df)
        if len(df):
            pq.write_to_dataset(pa.Table.from_pandas(df, preserve_index=False), out / key, partition_cols=partition)
        write_s += time.perf_counter() - started
    return {"rows": rows, "write_s": write_s}


def bench_export(sdk, workdir: Path, runs: int, as_of: dt.date) -> Measure:
    a, b, writes = [], [], []
    report = base = None
    for i in range(runs):
        for which in (("sdk", "base") if i % 2 == 0 else ("base", "sdk")):
            out = workdir / f"export_{which}"
            shutil.rmtree(out, ignore_errors=True)
            gc.collect()
            if which == "sdk":
                seconds, report = timed(lambda: sdk_export(sdk, out, as_of))
                a.append(seconds)
            else:
                seconds, base = timed(lambda: baseline_export(sdk, out))
                b.append(seconds)
                writes.append(base["write_s"])
    sdk_rows = {k: v for k, v in report.rows.items()}
    if {k: v for k, v in sdk_rows.items() if v} != {k: v for k, v in base["rows"].items() if v}:
        raise AssertionError(f"row counts differ: export {sdk_rows} vs frames {base['rows']}")
    seconds_ind, ind = timed(lambda: sdk.export_parquet(workdir / "export_sdk", tables="indicator_values", as_of=as_of))
    value, baseline = statistics.median(a), statistics.median(b)
    ratio = _ratio(value, baseline)
    write_only = statistics.median(writes)
    return Measure("parquet_export_all_tables", round(value, 2), "s", round(baseline, 2), ratio, f"ratio ≤ {TARGETS['export']}",
                   ratio <= TARGETS["export"], runs, "sqlite",
                   {"tables": len(sdk_rows), "rows": sum(sdk_rows.values()), "partitions": len(report.written),
                    "rows_equal": True, "baseline_write_only_s": round(write_only, 2),
                    "ratio_vs_write_only": _ratio(value, write_only),
                    "indicator_values_s": round(seconds_ind, 1), "indicator_values_rows": ind.rows.get("indicator_values", 0),
                    "sdk_s": [round(x, 2) for x in a], "baseline_s": [round(x, 2) for x in b]})


# -- 5. DuckDB over the export -------------------------------------------------------------------------

DUCKDB_QUERY = """
    SELECT county, year, sum(numerator) / sum(denominator) AS rate
    FROM read_parquet('{root}/indicator_values/*/*/*.parquet', hive_partitioning = true,
                      hive_types = {{'county': VARCHAR, 'year': INTEGER}})
    WHERE indicator = ?
    GROUP BY county, year HAVING sum(denominator) > 0 ORDER BY county, year
"""


def duckdb_rates(root: Path) -> dict[tuple[str, int], float]:
    import duckdb

    with duckdb.connect() as con:
        rows = con.execute(DUCKDB_QUERY.format(root=root.as_posix()), [KEY]).fetchall()
    return {(c, int(y)): float(r) for c, y, r in rows}


def sdk_rates(sdk, years: list[int], as_of: dt.date) -> dict[tuple[str, int], float]:
    df = sdk.indicators(KEY, periods=[str(y) for y in years], level="county", as_of=as_of)
    return {(code, int(p)): v for code, p, v in zip(df["region_code"], df["period"], df["value"]) if v == v}


def bench_duckdb(sdk, root: Path, runs: int, as_of: dt.date) -> Measure:
    if not (root / "indicator_values").exists():
        sdk.export_parquet(root, tables="indicator_values", as_of=as_of)
    first = duckdb_rates(root)
    years = sorted({y for _, y in first})
    a, b, rates, expected = alternate(lambda: duckdb_rates(root), lambda: sdk_rates(sdk, years, as_of), runs)
    if rates.keys() != expected.keys() or any(abs(rates[k] - expected[k]) > 1e-12 for k in rates):
        raise AssertionError(f"DuckDB {rates} ≠ sdk.indicators {expected}")
    value, baseline = statistics.median(a), statistics.median(b)
    return Measure("duckdb_on_time_rate_county_year", round(value, 4), "s", round(baseline, 4), _ratio(value, baseline),
                   f"≤ {TARGETS['duckdb_s']} s", value <= TARGETS["duckdb_s"], runs, "sqlite",
                   {"baseline_is": "sdk.indicators(level='county') for the same years", "county_years": len(rates),
                    "figures_equal": True, "files": len(list((root / "indicator_values").rglob("*.parquet")))})


# -- main ----------------------------------------------------------------------------------------------

def print_table(measures: list[Measure], info: dict) -> None:
    print(f"\nload average {info['load_average']} → {info.get('load_average_end')} · {info['nproc']} CPUs", file=sys.stderr)
    for m in measures:
        mark = "✓" if m.met else "✗"
        print(f"{mark} {m.name:36} {m.value:>10} {m.unit:3} baseline {m.baseline} ratio {m.ratio} target {m.target}", file=sys.stderr)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=cb.DATA_DIR)
    parser.add_argument("--runs", type=int, default=5, help="runs per measure (medians are reported)")
    parser.add_argument("--only", default="1,2,3,4,5")
    parser.add_argument("--townships", type=int, default=15)
    parser.add_argument("--villages-per-township", type=int, default=20)
    parser.add_argument("--households-per-village", type=int, default=500)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    ns = parser.parse_args(argv)
    only = {int(x) for x in ns.only.split(",") if x.strip()}
    options = cb.CountyOptions(townships=ns.townships, villages_per_township=ns.villages_per_township,
                               households_per_village=ns.households_per_village, years=ns.years)
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731

    import shequ_sdk

    info = cb.machine()
    summary = cb.ensure_county(ns.data_dir / "county.db", options, log)
    work = ns.data_dir / "work"
    work.mkdir(parents=True, exist_ok=True)
    db = cb.copy_county(ns.data_dir / "county.db", work / "analyst_run.db")
    year = str(options.last_year)
    measures: list[Measure] = []

    def emit(m: Measure) -> None:
        measures.append(m)
        print(m.line(), flush=True)

    print(json.dumps({"name": "machine", **info, "county_rows": summary.get("total_rows")}, ensure_ascii=False), flush=True)
    sdk = shequ_sdk.open(str(db))
    try:
        if 4 in only or 5 in only:  # derived rows (deadline schedules) first, so every measure reads the same data
            sdk.indicators(KEY, periods=year, level="county", as_of=options.today)
        if 1 in only:
            log("measure 1: sdk.frame vs pd.read_sql …")
            emit(bench_frame(sdk, year, ns.runs))
        if 2 in only:
            log("measure 2: peak memory of the frame …")
            emit(bench_frame_memory(db, year, ns.runs))
        if 3 in only:
            log("measure 3: iter_frames over every collection run …")
            emit(bench_iter_rss(db, ns.runs))
        if 4 in only:
            log("measure 4: Parquet export vs write_to_dataset …")
            emit(bench_export(sdk, work, ns.runs, options.today))
        if 5 in only:
            log("measure 5: DuckDB over the export …")
            root = work / "export_sdk"
            emit(bench_duckdb(sdk, root, ns.runs, options.today))
    finally:
        sdk.close()
    info["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    print_table(measures, info)
    return 1 if ns.check and any(m.met is False for m in measures) else 0


if __name__ == "__main__":
    sys.exit(main())
