"""Benchmark offline-village sync: a generated village's year as one change package.

A small county is generated (``shequ generate``, one year: 2020). The *village-year* is every
record of one village in a table with a date or period column, and the records that refer to
those (posting items…). A copy of the county without them is the township; a village installation
is made from it (``export_for_village`` / ``init_village``); the village-year is written at the
village (the offline entry) and exported as one package. Measured: the package's size and the
township's import time (``import_package``: signature, order, conflicts, the validated write path
as the village's user, the acknowledgement). The township grants lock exceptions for 2020's
quarters first, as it must for a catch-up of a past year.

Baseline, same run, same rows: ``shequ import`` of the .xlsx files ``shequ export`` writes of the
village's tables, into the same township copy. Exports mask names and phone numbers, which cannot
be imported as new values, so the baseline covers the tables that round-trip; both sides report
the rows they imported and rows per second. Prints one JSON line per measurement::

    uv run --no-sync python benchmarks/sync_bench.py                 # 1 township × 3 villages × 500 households
    uv run --no-sync python benchmarks/sync_bench.py --households 200
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import shutil
import sqlite3
import sys
import tempfile
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import shequ_sdk
from shequ_sdk import sync
from shequ_sdk.records import write

YEAR = "2020"


def run_cli(*args: str) -> tuple[int, str]:
    from shequ_sdk import cli as climod

    o = io.StringIO()
    code = 0
    with redirect_stdout(o), redirect_stderr(o):
        try:
            climod.main(list(args))
        except SystemExit as exc:
            code = exc.code or 0
    return code, o.getvalue()


def year_set(path: Path, village_id: int) -> dict[str, list[dict]]:
    """The village-year: ``{table: rows}`` in dependency order."""
    con = sqlite3.connect(path)
    con.row_factory = sqlite3.Row
    out: dict[str, list[dict]] = {}
    for rt in sync.record_tables():
        refs = {c: t for c, t in sync._ref_columns(rt).items() if t in out}
        column = rt.period_field or rt.date_field
        if not (column or refs):
            continue
        taken = {t: {r["id"] for r in out[t]} for t in refs.values()}
        rows = [dict(r) for r in con.execute(f'SELECT * FROM "{rt.model.__tablename__}" WHERE region_id = ? ORDER BY id', (village_id,))]
        rows = [r for r in rows if (column and str(r.get(column) or "").startswith(YEAR))
                or any(r.get(c) in taken[t] for c, t in refs.items())]
        if rows:
            out[rt.key] = rows
    con.close()
    return out


def drop(path: Path, rows: dict[str, list[dict]]) -> None:
    from shequ_sdk.plugins import registry

    con = sqlite3.connect(path)
    con.execute("PRAGMA foreign_keys=OFF")
    for key in reversed(list(rows)):
        ids = [r["id"] for r in rows[key]]
        con.executemany(f'DELETE FROM "{registry().tables[key].model.__tablename__}" WHERE id = ?', [(i,) for i in ids])
    con.commit()
    con.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=500)
    ap.add_argument("--villages", type=int, default=3)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="sync_bench_"))
    try:
        county = tmp / "county.db"
        code, out = run_cli("generate", "--db", str(county), "--townships", "1", "--villages-per-township", str(args.villages),
                            "--households-per-village", str(args.households), "--years", "1", "--last-year", "2020", "--quiet")
        assert code == 0, out
        full = shequ_sdk.open(str(county))
        with full.transaction() as s:
            from shequ_sdk.models import Region
            from sqlalchemy import select

            village = s.execute(select(Region).where(Region.kind.in_(("village", "community"))).order_by(Region.id)).scalars().first()
            vid, vname = village.id, village.name
        rows = year_set(county, vid)
        n_rows = sum(len(v) for v in rows.values())
        township_path = tmp / "township.db"
        shutil.copy(county, township_path)
        drop(township_path, rows)
        baseline_path = tmp / "baseline.db"
        shutil.copy(township_path, baseline_path)

        township = shequ_sdk.open(str(township_path))
        today = dt.date.today()
        with township.transaction() as s:
            from shequ_sdk import locks

            from shequ_sdk.plugins import registry

            quarters = set()
            for key, table_rows in rows.items():
                rt = registry().tables[key]
                column = rt.period_field or rt.date_field
                for r in table_rows:
                    if column and r.get(column):
                        quarters.add(str(locks.quarter_of(r[column] if rt.period_field else dt.date.fromisoformat(str(r[column])[:10]))))
            for q in sorted(quarters):
                locks.grant(s, None, vname, q, "补录离线村数据 / catch-up of an offline village", today + dt.timedelta(days=30))
            init = sync.export_for_village(s, vname)
        village_db = shequ_sdk.open(str(tmp / "village.db"), create=True)
        with village_db.transaction() as s:
            ident = sync.init_village(s, init)
        with township.transaction() as s:
            sync.register_key(s, vname, ident.public_key)

        # the offline year at the village: written through the write path (references to new rows translated)
        t0 = time.perf_counter()
        new_ids: dict[str, dict[int, int]] = {}
        with village_db.transaction() as s:
            ctx = sync.SyncContext(origin="village", package="bench")
            for key, table_rows in rows.items():
                from shequ_sdk.plugins import registry

                refs = sync._ref_columns(registry().tables[key])
                batch = []
                for r in table_rows:
                    r = {k: v for k, v in r.items() if k != "id"}
                    for col, target in refs.items():
                        if r.get(col) is not None and r[col] in new_ids.get(target, {}):
                            r[col] = new_ids[target][r[col]]
                    batch.append(r)
                # one row at a time where a row refers to a row of its own table (corrections)
                done = write(session=s, table=key, rows=batch, return_ids=True, sync=ctx)
                ctx.created(key).update(done.ids)
                new_ids[key] = dict(zip([r["id"] for r in table_rows], done.ids))
        entry_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        with village_db.transaction() as s:
            package = sync.export_changes(s)
        export_s = time.perf_counter() - t0
        (tmp / "year.shequ").write_bytes(package)

        t0 = time.perf_counter()
        with township.transaction() as s:
            result = sync.import_package(s, package)
        import_s = time.perf_counter() - t0
        applied = result.changed
        t0 = time.perf_counter()
        with village_db.transaction() as s:
            sync.import_package(s, result.ack)
        ack_s = time.perf_counter() - t0

        # baseline: shequ export → shequ import (.xlsx) of the same tables into the same township copy
        base_rows, base_s, skipped = 0, 0.0, {}
        for key, table_rows in rows.items():
            xlsx = tmp / f"{key}.xlsx"
            code, out = run_cli("export", "--db", str(county), "--table", key, "--region", vname, "--out", str(xlsx))
            if code:
                skipped[key] = out.strip().splitlines()[-1][:160] if out.strip() else f"exit {code}"
                continue
            t0 = time.perf_counter()
            code, out = run_cli("import", str(xlsx), "--db", str(baseline_path), "--table", key)
            took = time.perf_counter() - t0
            if code:
                skipped[key] = (out.strip().splitlines() or [f"exit {code}"])[0][:160]
                continue
            base_rows += len(table_rows)
            base_s += took
        report = {
            "name": "sync_village_year", "village": vname, "rows": n_rows, "tables": len(rows),
            "package_bytes": len(package), "bytes_per_row": round(len(package) / max(1, n_rows), 1),
            "entry_s": round(entry_s, 3), "export_s": round(export_s, 3), "import_s": round(import_s, 3), "ack_s": round(ack_s, 3),
            "applied": applied, "import_rows_per_s": round(applied / import_s, 1),
            "baseline": "shequ import (.xlsx, local user, no lock check) of the tables that round-trip",
            "baseline_rows": base_rows, "baseline_s": round(base_s, 3),
            "baseline_rows_per_s": round(base_rows / base_s, 1) if base_s else None,
            "ratio_per_row": round((import_s / max(1, applied)) / (base_s / base_rows), 2) if base_rows and base_s else None,
            "baseline_skipped": skipped,
        }
        print(json.dumps(report, ensure_ascii=False))
        full.close()
        township.close()
        village_db.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
