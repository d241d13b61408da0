"""``make bench``: shequ-sdk at county scale, each measure against a baseline in the same run.

Builds the default synthetic county once with ``shequ generate`` into ``benchmarks/.data/``
(reused while the options and the generator's sources are unchanged), then measures:

1. every indicator for the whole county, one quarter and one year, through the SDK
   (``Shequ.indicator_values``) vs hand-written SQL for the same numbers (``hand_sql.py``);
   the numbers are checked equal. Targets: ratio ≤ 1.25; county-quarter ≤ 300 ms on SQLite.
2. the data the township dashboard loads on first render (KPI cards, the village table of
   headline indicators, the disclosure heatmap's statuses) vs the same queries by hand. ≤ 1.25.
3. inserting collection runs (1,000,000 by default) through the validated write path vs
   ``sqlite3.executemany`` of the same tuples into an identical table (same DDL and indexes). ≤ 3.
4. the township dashboard in headless Chromium: KPIs and heatmap visible (≤ 5 s), and the
   server's RSS after 5 browser sessions (≤ 600 MB).
5. measures 1–2 on PostgreSQL when ``--pg URL`` (or ``SHEQU_TEST_PG_URL``) is given: the county
   is generated into a database of its own on that server (reused like the SQLite file).

Prints one JSON line per measure (``name, value, unit, baseline, ratio, target, …``), then a
table. Values are medians of ``--runs`` runs, SDK and baseline alternating, so load from other
work on the machine falls on both; the load average is printed with the figures.

    uv run --no-sync python benchmarks/county_bench.py                 # everything (make bench)
    uv run --no-sync python benchmarks/county_bench.py --only 1,3 --runs 3
    uv run --no-sync python benchmarks/county_bench.py --pg postgresql+psycopg://…/postgres
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Optional

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import hand_sql  # noqa: E402  (a sibling module, not a package)

DATA_DIR = HERE / ".data"
TARGETS = {"indicators": 0.5, "indicators_quarter_ms": 150.0, "dashboard_data": 0.5, "insert": 3.0,  # issue 15: the aggregate layer
          
           "browser_s": 5.0, "server_rss_mb": 600.0}


@dataclass
class CountyOptions:
    townships: int = 15
    villages_per_township: int = 20
    households_per_village: int = 500
    years: int = 10
    seed: int = 42
    last_year: int = 2020

    def args(self) -> list[str]:
        return ["--townships", str(self.townships), "--villages-per-township", str(self.villages_per_township),
                "--households-per-village", str(self.households_per_village), "--years", str(self.years),
                "--seed", str(self.seed), "--last-year", str(self.last_year)]

    @property
    def today(self) -> dt.date:
        """The generator's "now": statuses and rates are judged on this day."""
        return dt.date(self.last_year + 1, 3, 31)


def roll_cells(sdk, as_of: dt.date, log=print) -> dict:
    """Store the indicator cells for the generator's "today" (``as_of``), as ``shequ serve``'s
    daily round does for the real today: the parts that compare with today, and any part not
    stored yet. Quick when already done for that day."""
    seconds, done = timed(lambda: sdk.refresh_analytics(as_of=as_of))
    log(f"stored indicator cells brought to {as_of} in {seconds:.1f} s: {done}")
    return done


@dataclass
class Measure:
    name: str
    value: Optional[float]  # None: not measured (see detail["error"])
    unit: str
    baseline: Optional[float]
    ratio: Optional[float]
    target: Optional[str] = None
    met: Optional[bool] = None
    runs: int = 1
    backend: str = "sqlite"
    detail: dict = field(default_factory=dict)

    def line(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, default=str)


# -- the machine -------------------------------------------------------------------------------

def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": model or platform.processor(), "load_average": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(), "sqlite": __import__("sqlite3").sqlite_version}


# -- the county ----------------------------------------------------------------------------------

def generator_fingerprint() -> str:
    """A hash of what decides the generated data: the installed plugins and the generator's sources."""
    from shequ_sdk.plugins import registry, state

    registry()
    h = hashlib.sha256()
    names = sorted(name for name, _ in state().pm.list_name_plugin())
    h.update(json.dumps(names).encode())
    sources = [ROOT / "src/shequ_sdk/models.py", ROOT / "src/shequ_sdk/demo.py", ROOT / "src/shequ_sdk/synthetic.py",
               *sorted((ROOT / "src/shequ_sdk/default_plugins").glob("*.py")), *sorted(ROOT.glob("plugins/*/src/*/*.py"))]
    for path in sources:
        if path.exists() and path.name not in ("views.py", "indicators.py"):  # views and indicator SQL only read the data
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _stamp(options: CountyOptions) -> dict:
    return {"options": asdict(options), "fingerprint": generator_fingerprint()}


def ensure_county(path: Path, options: CountyOptions, log: Callable[[str], None] = print) -> dict:
    """Generate the county into ``path`` with ``shequ generate`` unless an identical one is there.

    Returns the generator's JSON summary (seconds, rows) — from the stamp file when reused."""
    stamp_file = path.with_suffix(".json")
    want = _stamp(options)
    if path.exists() and stamp_file.exists():
        have = json.loads(stamp_file.read_text())
        if {k: have.get(k) for k in want} == want and schema_current(f"sqlite:///{path}"):
            log(f"reusing {path} ({have['summary']['total_rows']:,} rows, generated in {have['summary']['seconds']} s)")
            return have["summary"]
    path.parent.mkdir(parents=True, exist_ok=True)
    log(f"generating the county into {path} (shequ generate {' '.join(options.args())}) …")
    summary = _generate(f"sqlite:///{path}", options)
    stamp_file.write_text(json.dumps({**want, "summary": summary}, ensure_ascii=False))
    return summary


def schema_current(url: str) -> bool:
    """Whether the database's schema matches the loaded code's migrations (``shequ migrate``)."""
    from sqlalchemy import create_engine

    from shequ_sdk import migrations
    from shequ_sdk.errors import InputError

    engine = create_engine(url)
    try:
        migrations.check_current(engine)
        return True
    except InputError:
        return False
    finally:
        engine.dispose()


def _generate(url: str, options: CountyOptions) -> dict:
    # the CLI's entry function, as the console script calls it (``-m shequ_sdk.cli`` would be a second copy of the module)
    cmd = [sys.executable, "-c", "import sys\nfrom shequ_sdk.cli import main\nmain(sys.argv[1:])", "generate", "--db", url,
           "--force", "--json", *options.args()]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"shequ generate failed (exit {proc.returncode}):\n{proc.stderr.strip()[-3000:]}")
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    summary["wall_seconds"] = round(time.perf_counter() - started, 2)
    return summary


def ensure_pg_county(base_url: str, options: CountyOptions, log: Callable[[str], None] = print) -> str:
    """The county in a database of its own on ``base_url``'s server (created and generated once)."""
    from sqlalchemy import create_engine, text

    stamp = _stamp(options)
    name = "shequ_bench_" + hashlib.sha256(json.dumps(stamp, sort_keys=True).encode()).hexdigest()[:12]
    url = base_url.rsplit("/", 1)[0] + "/" + name
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            exists = c.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is not None
            if exists:
                ready = False
                probe = create_engine(url)
                try:
                    with probe.connect() as p:
                        ready = p.execute(text("SELECT count(*) FROM region")).scalar_one() > 0
                except Exception:
                    ready = False
                finally:
                    probe.dispose()
                if ready and not schema_current(url):
                    try:  # a migration added since the county was generated: bring it up to date in place
                        from shequ_sdk import migrations

                        migrations.upgrade(url)
                    except Exception as exc:  # noqa: BLE001  (any failure: generate afresh)
                        log(f"migrating {name} failed ({type(exc).__name__}); generating it again")
                        ready = False
                if ready:
                    log(f"reusing PostgreSQL database {name}")
                    return url
                c.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            # counties of older generator versions: one county-sized database is enough on the server
            for (old,) in c.execute(text("SELECT datname FROM pg_database WHERE datname LIKE 'shequ\\_bench\\_%' AND datname <> :n"),
                                    {"n": name}).all():
                c.execute(text(f'DROP DATABASE "{old}" WITH (FORCE)'))
            c.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    log(f"generating the county into PostgreSQL database {name} …")
    _generate(url, options)
    return url


def copy_county(src: Path, dst: Path) -> Path:
    """A private copy (the SDK writes derived rows: deadline schedules, due dates)."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(dst) + suffix).unlink(missing_ok=True)
    import sqlite3

    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    return dst


# -- timing ----------------------------------------------------------------------------------------

def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def alternate(sdk_fn: Callable[[], Any], hand_fn: Callable[[], Any], runs: int) -> tuple[list[float], list[float], Any, Any]:
    """Run both ``runs`` times, alternating which goes first; return both time lists and last results."""
    a_times, b_times = [], []
    a_res = b_res = None
    for i in range(runs):
        order = ((sdk_fn, a_times), (hand_fn, b_times)) if i % 2 == 0 else ((hand_fn, b_times), (sdk_fn, a_times))
        for fn, times in order:
            seconds, res = timed(fn)
            times.append(seconds)
            if fn is sdk_fn:
                a_res = res
            else:
                b_res = res
    return a_times, b_times, a_res, b_res


def _ratio(value: float, baseline: float) -> float:
    return round(value / baseline, 3) if baseline else float("inf")


# -- equality of figures ---------------------------------------------------------------------------

def same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(a)))
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        return Decimal(str(a)) == Decimal(str(b))
    return a == b


def finish(ind, num, den):
    """A hand-computed numerator and denominator as the indicator's value (the engine's final division)."""
    from shequ_sdk.indicators import _finish

    return _finish(ind, hand_sql.number(num), hand_sql.number(den))


# -- measure 1: every indicator for the whole county ------------------------------------------------

def sdk_indicators(sdk, area: str, period: str, as_of: dt.date) -> dict[str, Any]:
    return sdk.indicator_values(area, period, as_of=as_of)


def hand_indicators(sdk, area_id: int, area_kind: str, period: str, as_of: dt.date, keys: Optional[list[str]] = None) -> dict[str, Any]:
    """Every indicator (or ``keys``) for the area by hand-written SQL: one statement per part."""
    from shequ_sdk.period import Period
    from shequ_sdk.plugins import registry

    reg = registry()
    p = Period.parse(period)
    dialect = sdk.engine.dialect.name
    stmts = hand_sql.queries(dialect, p, as_of)
    params = hand_sql.params(p, as_of, area_id)
    out = {}
    with sdk.engine.connect() as conn:
        for key in keys or list(reg.indicators):
            ind = reg.indicators[key]
            if p.kind not in ind.period_kinds:
                continue
            num_q, den_q = stmts[key]
            num = conn.execute(hand_sql.render(num_q, area_kind, False), params).scalar()
            den = conn.execute(hand_sql.render(den_q, area_kind, False), params).scalar() if den_q is not None else None
            out[key] = finish(ind, num, den)
    return out


def compare(sdk_values: dict, hand_values: dict, what: str) -> list[str]:
    bad = [f"{what} {k}: SDK {sdk_values.get(k)!r} ≠ hand {hand_values.get(k)!r}"
           for k in sorted(set(sdk_values) | set(hand_values)) if not same(sdk_values.get(k), hand_values.get(k))]
    return bad


def bench_indicators(sdk, area: str, periods: list[str], as_of: dt.date, runs: int, backend: str = "sqlite") -> list[Measure]:
    from sqlmodel import Session

    from shequ_sdk.regions import find_region

    with Session(sdk.engine) as s:
        region = find_region(s, area)
        area_id, area_kind = region.id, region.kind
    with sdk.engine.connect() as c:
        hand_sql.check_assumptions(c)
    out = []
    for period in periods:
        sdk_indicators(sdk, area, period, as_of)  # warm-up: derived schedules are brought up to date once
        hand_indicators(sdk, area_id, area_kind, period, as_of)
        a, b, sv, hv = alternate(lambda: sdk_indicators(sdk, area, period, as_of),
                                 lambda: hand_indicators(sdk, area_id, area_kind, period, as_of), runs)
        mismatches = compare(sv, hv, period)
        if mismatches:
            raise AssertionError("SDK and hand-written SQL disagree:\n" + "\n".join(mismatches))
        value, base = statistics.median(a) * 1000, statistics.median(b) * 1000
        ratio = _ratio(value, base)
        kind = "quarter" if "Q" in period else ("month" if "-" in period else "year")
        target = f"ratio ≤ {TARGETS['indicators']}"
        met = ratio <= TARGETS["indicators"]
        if kind == "quarter" and backend == "sqlite":
            target += f"; ≤ {TARGETS['indicators_quarter_ms']:.0f} ms"
            met = met and value <= TARGETS["indicators_quarter_ms"]
        out.append(Measure(f"indicators_county_{kind}", round(value, 1), "ms", round(base, 1), ratio, target, met, runs, backend,
                           {"period": period, "indicators": len(sv), "figures_equal": True}))
    return out


# -- measure 2: what the township dashboard loads on first render --------------------------------------

def heatmap_periods(period: str) -> list[str]:
    """The quarters the disclosure heatmap shows for a period: those of its year."""
    from shequ_sdk.period import Period

    return [str(q) for q in Period.parse(str(Period.parse(period).year)).subperiods("quarter")]


def sdk_dashboard_data(sdk, area: str, period: str, as_of: dt.date, first_year: int) -> dict[str, Any]:
    """Through the dashboard's own DataStore and views, as a new browser session does."""
    from sqlmodel import Session

    from shequ_sdk.ui.store import DataStore
    from shequ_sdk.ui.views import VillageTable
    from shequ_plugin_finance.deadlines import board_status

    store = DataStore(sdk=sdk, region=area, period=period, as_of=as_of, first_year=first_year)
    keys = store.headline_keys()
    kpis = store.indicator_values(keys)
    table = VillageTable(data_store=store).frame()
    with Session(sdk.engine) as s:
        heat = board_status(s, store.region_obj, heatmap_periods(period), as_of)
        s.commit()
    return {"kpis": kpis, "table": table, "heatmap": heat, "keys": keys}


def hand_dashboard_data(sdk, area_id: int, area_kind: str, period: str, as_of: dt.date, keys: list[str]) -> dict[str, Any]:
    from sqlalchemy import text

    from shequ_sdk.period import Period
    from shequ_sdk.plugins import registry

    reg = registry()
    p = Period.parse(period)
    stmts = hand_sql.queries(sdk.engine.dialect.name, p, as_of)
    params = hand_sql.params(p, as_of, area_id)
    kpis, table = {}, {}
    scope = hand_sql.scope_sql(area_kind)
    with sdk.engine.connect() as conn:
        villages = {rid: name for rid, name in conn.execute(
            text(f"SELECT id, name FROM region WHERE id IN {scope} AND kind IN ('village', 'community') ORDER BY id"), params)}
        for key in keys:
            ind = reg.indicators[key]
            num_q, den_q = stmts[key]
            num = conn.execute(hand_sql.render(num_q, area_kind, False), params).scalar()
            den = conn.execute(hand_sql.render(den_q, area_kind, False), params).scalar() if den_q is not None else None
            kpis[key] = finish(ind, num, den)
            nums = dict(conn.execute(hand_sql.render(num_q, area_kind, True), params).all())
            dens = dict(conn.execute(hand_sql.render(den_q, area_kind, True), params).all()) if den_q is not None else {}
            table[key] = {rid: finish(ind, nums.get(rid), dens.get(rid)) for rid in villages}
        heat = hand_heatmap(conn, area_id, area_kind, heatmap_periods(period), as_of)
    return {"kpis": kpis, "table": table, "villages": villages, "heatmap": heat}


HEAT_SQL = """SELECT o.region_id, g.name, g.township_id, o.kind, o.board, o.period, o.period_start, o.due_date, {done} AS done_on
  FROM finance_obligation o JOIN region g ON g.id = o.region_id
  WHERE o.region_id IN {scope} AND o.kind IN ('board', 'major') AND o.period_start >= :start AND o.period_end <= :end"""


def hand_heatmap(conn, area_id: int, area_kind: str, periods: list[str], as_of: dt.date) -> list[tuple]:
    """Disclosure status per obligation and requested quarter, by hand: one query and a loop."""
    from sqlalchemy import text

    from shequ_sdk.period import Period

    ps = [Period.parse(x) for x in periods]
    start, end = min(x.start for x in ps), max(x.end for x in ps)
    sql = text(" ".join(HEAT_SQL.format(done=hand_sql._DONE, scope=hand_sql.scope_sql(area_kind)).split()))
    out = []
    for rid, _name, _tw, kind, board, period, pstart, due, done in conn.execute(sql, {"area": area_id, "start": start, "end": end, "as_of": as_of}):
        pstart, due = _as_date(pstart), _as_date(due)
        done = _as_date(done) if done is not None else None
        status = ("missing" if due < as_of else "not_yet_due") if done is None else ("on_time" if done <= due else "late")
        q = f"{pstart.year}Q{(pstart.month - 1) // 3 + 1}"
        if q in periods:
            out.append((rid, kind, board, period, q, status))
    return out


def _as_date(v):
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    return dt.date.fromisoformat(str(v)[:10])


def compare_dashboard(s: dict, h: dict) -> list[str]:
    bad = compare(s["kpis"], h["kpis"], "KPI")
    table = s["table"]
    if sorted(int(r) for r in table["region_id"]) != sorted(h["villages"]):
        bad.append(f"village table: SDK has {len(table)} villages, hand SQL {len(h['villages'])}")
    from shequ_sdk.plugins import registry
    from shequ_sdk.ui.charts import display_number

    reg = registry()
    for key in s["keys"]:
        shown = dict(zip((int(r) for r in table["region_id"]), table[key]))
        for rid, value in h["table"][key].items():
            want = display_number(reg.indicators[key], value)
            got = shown.get(rid)
            got = None if got is None or got is __import__("pandas").NA or got != got else float(got)
            want = None if want is None or want != want else float(want)
            if not same(got, want):
                bad.append(f"village table {key} region {rid}: SDK {got!r} ≠ hand {want!r}")
    sdk_heat = sorted((r["region_id"], r["kind"], r["board"], r["period"], r["requested_period"], r["status"]) for r in s["heatmap"])
    if sdk_heat != sorted(h["heatmap"]):
        bad.append(f"heatmap: SDK {len(sdk_heat)} rows ≠ hand {len(h['heatmap'])} rows")
    return bad[:20]


def bench_dashboard_data(sdk, area: str, period: str, as_of: dt.date, first_year: int, runs: int, backend: str = "sqlite") -> Measure:
    from sqlmodel import Session

    from shequ_sdk.regions import find_region

    with Session(sdk.engine) as s:
        region = find_region(s, area)
        area_id, area_kind = region.id, region.kind
    first = sdk_dashboard_data(sdk, area, period, as_of, first_year)  # warm-up (imports Panel; refreshes schedules)
    keys = first["keys"]
    a, b, sv, hv = alternate(lambda: sdk_dashboard_data(sdk, area, period, as_of, first_year),
                             lambda: hand_dashboard_data(sdk, area_id, area_kind, period, as_of, keys), runs)
    mismatches = compare_dashboard(sv, hv)
    if mismatches:
        raise AssertionError("dashboard data: SDK and hand-written SQL disagree:\n" + "\n".join(mismatches))
    value, base = statistics.median(a) * 1000, statistics.median(b) * 1000
    ratio = _ratio(value, base)
    return Measure("dashboard_first_render_data", round(value, 1), "ms", round(base, 1), ratio, f"ratio ≤ {TARGETS['dashboard_data']}",
                   ratio <= TARGETS["dashboard_data"], runs, backend,
                   {"area": area, "period": period, "kpis": len(keys), "villages": len(hv["villages"]), "heatmap_rows": len(hv["heatmap"]),
                    "heatmap_periods": heatmap_periods(period), "figures_equal": True})


# -- measure 3: the validated write path vs executemany ------------------------------------------------

def run_tuples(villages: list[tuple[int, int]], n: int, first_day: dt.date) -> tuple[list[str], list[tuple]]:
    """``n`` collection runs spread over ``villages`` ((id, households)) day after day, as stored
    values (dates as ISO text), in the table's column order without ``id``."""
    from shequ_plugin_sanitation.models import CollectionRun

    cols = [c.name for c in CollectionRun.__table__.columns if c.name != "id"]
    kinds = ("kitchen", "other", "recyclable", "hazardous")
    rows = []
    nv = len(villages)
    for i in range(n):
        rid, households = villages[i % nv]
        day_no, trip = divmod(i // nv, 2)
        day = (first_day + dt.timedelta(days=day_no)).isoformat()
        sorted_ = (i // nv) % 3 == 0
        values = {"region_id": rid, "synthetic": True, "run_date": day, "vehicle": f"清运车{1 + rid % 3}", "trip": trip + 1,
                  "households_served": max(0, households - i % 7), "amount_kg": 200 + (i * 37) % 900, "sorted": sorted_,
                  "waste_category": kinds[i % 4] if sorted_ else "mixed", "receipt_no": None}
        rows.append(tuple(values[c] for c in cols))
    return cols, rows


def _insert_template(county_db: Path, workdir: Path) -> tuple[Path, list[tuple[int, int]]]:
    """An initialised database holding only the county's regions and households (what the rules consult)."""
    import sqlite3

    import shequ_sdk

    template = workdir / "insert_template.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(template) + suffix).unlink(missing_ok=True)
    shequ_sdk.open(str(template), create=True).close()
    con = sqlite3.connect(template)
    con.execute("ATTACH DATABASE ? AS src", (str(county_db),))
    con.execute("INSERT INTO region SELECT * FROM src.region")
    con.execute("INSERT INTO household SELECT * FROM src.household")
    con.commit()
    villages = con.execute("SELECT r.id, count(h.id) FROM region r JOIN household h ON h.region_id = r.id "
                           "WHERE r.kind IN ('village', 'community') GROUP BY r.id ORDER BY r.id").fetchall()
    con.execute("DETACH DATABASE src")
    con.execute("PRAGMA journal_mode=WAL")
    con.close()
    return template, villages


def _fresh(template: Path, path: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    shutil.copy(template, path)
    return path


def _sdk_insert(path: Path, dicts: list[dict], today: dt.date) -> int:
    import shequ_sdk
    from shequ_sdk.records import write
    from shequ_plugin_sanitation.models import CollectionRun

    sdk = shequ_sdk.open(str(path))
    try:
        with sdk.transaction() as s:
            return write(session=s, table=CollectionRun, rows=dicts, today=today).inserted
    finally:
        sdk.close()


def _baseline_insert(path: Path, cols: list[str], tuples: list[tuple]) -> int:
    """``executemany`` into a copy of the table (same DDL and indexes), on a connection set up as the SDK's."""
    import shequ_sdk

    sdk = shequ_sdk.open(str(path))  # the SDK's engine: same pragmas (WAL, synchronous=NORMAL, foreign keys)
    try:
        raw = sdk.engine.raw_connection()
        try:
            con = raw.driver_connection
            ddl = [sql for (sql,) in con.execute("SELECT sql FROM sqlite_master WHERE tbl_name = 'sanitation_collection_run' AND sql IS NOT NULL")]
            for stmt in ddl:
                con.execute(stmt.replace("sanitation_collection_run", "bench_collection_run").replace("ix_sanitation_", "ix_bench_"))
            con.commit()
            started = time.perf_counter()
            con.executemany(f"INSERT INTO bench_collection_run ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})", tuples)
            con.commit()
            return time.perf_counter() - started
        finally:
            raw.close()
    finally:
        sdk.close()


def bench_insert(county_db: Path, workdir: Path, n: int, runs: int, today: dt.date) -> Measure:
    import gc

    workdir.mkdir(parents=True, exist_ok=True)
    template, villages = _insert_template(county_db, workdir)
    cols, tuples = run_tuples(villages, n, today - dt.timedelta(days=n // max(1, 2 * len(villages)) + 2))
    a, b = [], []
    for i in range(runs):
        dicts = [dict(zip(cols, t)) for t in tuples]  # the SDK's input: dicts of the same values, built outside the timing
        gc.collect()
        steps = [("sdk", None), ("base", None)] if i % 2 == 0 else [("base", None), ("sdk", None)]
        for which, _ in steps:
            if which == "sdk":
                path = _fresh(template, workdir / "insert_sdk.db")
                seconds, inserted = timed(lambda: _sdk_insert(path, dicts, today))
                if inserted != n:
                    raise AssertionError(f"the SDK inserted {inserted} rows, expected {n}")
                a.append(seconds)
            else:
                path = _fresh(template, workdir / "insert_base.db")
                b.append(_baseline_insert(path, cols, tuples))
        del dicts
    for name in ("insert_sdk.db", "insert_base.db", "insert_template.db"):
        for suffix in ("", "-wal", "-shm"):
            Path(str(workdir / name) + suffix).unlink(missing_ok=True)
    value, base = statistics.median(a), statistics.median(b)
    ratio = _ratio(value, base)
    return Measure("insert_collection_runs", round(value, 4), "s", round(base, 4), ratio, f"ratio ≤ {TARGETS['insert']}",
                   ratio <= TARGETS["insert"], runs, "sqlite", {"rows": n, "rows_per_s_sdk": round(n / value), "rows_per_s_baseline": round(n / base)})


# -- measure 4: the dashboard in a browser ------------------------------------------------------------

def warm_schedules(db: Path, area: str = "模拟县") -> float:
    """Bring the derived disclosure schedule up to date for every year of data, as any use of a
    database does once (the generator leaves ``finance_obligation`` empty). Returns the seconds.

    Without it the first browser session would pay for building ten years of schedule (60,000
    rows) inside the page load — a one-time cost of a fresh database, reported on its own."""
    import shequ_sdk
    from shequ_sdk.regions import find_region
    from shequ_sdk.ui.store import data_years
    from shequ_plugin_finance.deadlines import refresh

    sdk = shequ_sdk.open(str(db))
    try:
        first, last, _ = data_years(sdk)
        started = time.perf_counter()
        with sdk.transaction() as s:
            refresh(s, find_region(s, area), dt.date(first, 1, 1), dt.date(last, 12, 31))
        return time.perf_counter() - started
    finally:
        sdk.close()


def bench_browser(db: Path, period: str, sessions: int = 5) -> list[Measure]:
    """Serve the dashboards on the county and open the township dashboard in headless Chromium."""
    import browser_bench

    warm = warm_schedules(db)
    out = browser_bench.run(db, period=period, sessions=sessions, targets=TARGETS)
    for m in out:
        m.detail["schedule_built_before_s"] = round(warm, 2)
        m.detail["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return out


# -- the report ----------------------------------------------------------------------------------------

def print_table(measures: list[Measure], info: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(140, Console().width))  # the table is the point: do not squeeze it into a narrow pipe
    t = Table(title=f"shequ-sdk county benchmark · {info['nproc']} cores · {info['cpu']} · load {info['load_average']}")
    for col in ("measure", "backend", "value", "baseline", "ratio", "target", "met"):
        t.add_column(col, justify="left" if col in ("measure", "target", "backend") else "right")
    for m in measures:
        base = "—" if m.baseline is None else f"{m.baseline:,} {m.unit}"
        ratio = "—" if m.ratio is None else f"{m.ratio:.2f}"
        met = {True: "[green]yes[/]", False: "[red]no[/]", None: "—"}[m.met]
        value = "—" if m.value is None else f"{m.value:,} {m.unit}"
        t.add_row(m.name, m.backend, value, base, ratio, m.target or "—", met)
    console.print(t)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR, help="where the generated county is kept and reused")
    parser.add_argument("--runs", type=int, default=5, help="runs per measure (medians are reported)")
    parser.add_argument("--insert-rows", type=int, default=1_000_000)
    parser.add_argument("--insert-runs", type=int, default=3)
    parser.add_argument("--only", default="1,2,3,4,5", help="comma-separated measures to run (1–5)")
    parser.add_argument("--pg", default=os.environ.get("SHEQU_TEST_PG_URL"), help="PostgreSQL URL for measure 5 (default: $SHEQU_TEST_PG_URL)")
    parser.add_argument("--quarter", default=None, help="quarter to measure (default: the last quarter of the data)")
    parser.add_argument("--townships", type=int, default=15)
    parser.add_argument("--villages-per-township", type=int, default=20)
    parser.add_argument("--households-per-village", type=int, default=500)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    ns = parser.parse_args(argv)
    only = {int(x) for x in ns.only.split(",") if x.strip()}
    options = CountyOptions(townships=ns.townships, villages_per_township=ns.villages_per_township,
                            households_per_village=ns.households_per_village, years=ns.years)
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731  (stdout carries the JSON lines)

    import shequ_sdk

    info = machine()
    county_db = ns.data_dir / "county.db"
    summary = ensure_county(county_db, options, log)
    work = ns.data_dir / "work"
    work.mkdir(parents=True, exist_ok=True)
    db = copy_county(county_db, work / "county_run.db")  # the SDK writes derived rows; keep the source pristine
    year = str(options.last_year)
    quarter = ns.quarter or f"{options.last_year}Q4"
    as_of = options.today
    measures: list[Measure] = []

    def emit(ms):
        for m in ms if isinstance(ms, list) else [ms]:
            measures.append(m)
            print(m.line(), flush=True)

    print(json.dumps({"name": "machine", **info, "county_rows": summary.get("total_rows"), "generate_seconds": summary.get("seconds")},
                     ensure_ascii=False), flush=True)
    sdk = shequ_sdk.open(str(db))
    try:
        roll_cells(sdk, as_of, log)
        if 1 in only:
            log("measure 1: every indicator for the county …")
            emit(bench_indicators(sdk, "模拟县", [quarter, year], as_of, ns.runs))
        if 2 in only:
            log("measure 2: the township dashboard's first-render data …")
            emit(bench_dashboard_data(sdk, "模拟县", year, as_of, options.last_year - options.years + 1, ns.runs))
    finally:
        sdk.close()
    if 3 in only:
        log(f"measure 3: inserting {ns.insert_rows:,} collection runs …")
        emit(bench_insert(county_db, work, ns.insert_rows, ns.insert_runs, as_of))
    if 4 in only:
        log("measure 4: the township dashboard in headless Chromium …")
        emit(bench_browser(db, year))
    if 5 in only:
        if not ns.pg:
            log("measure 5 skipped: no PostgreSQL URL (--pg or SHEQU_TEST_PG_URL)")
        else:
            pg_url = ensure_pg_county(ns.pg, options, log)
            pg = shequ_sdk.open(pg_url)
            try:
                roll_cells(pg, as_of, log)
                log("measure 5: measures 1–2 on PostgreSQL …")
                emit(bench_indicators(pg, "模拟县", [quarter, year], as_of, ns.runs, backend="postgresql"))
                emit(bench_dashboard_data(pg, "模拟县", year, as_of, options.last_year - options.years + 1, ns.runs, backend="postgresql"))
            finally:
                pg.close()
    info["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    print_table(measures, info)
    return 1 if ns.check and any(m.met is False for m in measures) else 0


if __name__ == "__main__":
    sys.exit(main())
