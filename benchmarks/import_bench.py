"""Benchmark ``shequ import``: 100,000 household rows from .xlsx and from CSV.

Each measurement imports the same file into a fresh SQLite database holding one village, through
the real path (``shequ_sdk.spreadsheets.import_file``: read, header detection, cell parsing,
region lookup, duplicate and natural-key checks, ``records.write`` upsert in one transaction).
The baseline, measured in the same run on the same file, is the least anyone could do:
``pandas.read_excel`` / ``pandas.read_csv`` plus ``sqlite3.executemany`` of the same rows into the
same table (same columns and indexes), with no checking at all. Prints one JSON line per measurement::

    {"name": "import_xlsx_100k", "value": 9.1, "unit": "s", "baseline": 4.2, "ratio": 2.2, ...}

    uv run --no-sync python benchmarks/import_bench.py               # 100,000 rows, median of 3 runs
    uv run --no-sync python benchmarks/import_bench.py --rows 20000 --runs 1
    uv run --no-sync python benchmarks/import_bench.py --profile     # + where the import's time goes
    uv run --no-sync python benchmarks/import_bench.py --check       # exit 1 when a ratio is above 3

A second measurement reads a 50,000-row .xlsx (``--read-rows``) the way the import does —
python-calamine plus the structure scan for hidden rows, merges and the cell count
(``shequ_sdk.excel.reading.read_book``) — against the reader it replaced, openpyxl in read-only
mode, on the same file in the same run (``read_xlsx_50k``; the ratio is ours / openpyxl's, lower
is better)::

    {"name": "read_xlsx_50k", "value": 0.9, "unit": "s", "baseline": 9.8, "baseline_name": "openpyxl read_only", "ratio": 0.09, ...}

``--profile`` runs one CSV import under cProfile and prints the functions with the most
cumulative time and the share spent in the core write path (``records.validate_rows`` / ``write``).
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import json
import os
import pstats
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

TARGET_RATIO = 3.0
HEADERS = ["村/社区", "户号", "户主姓名", "联系电话", "村民小组", "人口数"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰"


def make_rows(n: int) -> list[list]:
    rows = []
    for i in range(n):
        name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i // 7) % len(GIVEN)] + GIVEN[(i // 3) % len(GIVEN)]
        rows.append(["新尚村社区", f"{i + 1:06d}", name, f"138{i:08d}", f"第{i % 8 + 1}村民小组", 1 + i % 7])
    return rows


def write_files(rows: list[list], workdir: Path) -> dict[str, Path]:
    import openpyxl

    xlsx = workdir / "households.xlsx"
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("户")
    ws.append(HEADERS)
    for r in rows:
        ws.append(r)
    wb.save(xlsx)
    path_csv = workdir / "households.csv"
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(HEADERS)
    w.writerows(rows)
    path_csv.write_bytes(buf.getvalue().encode("utf-8-sig"))
    return {"xlsx": xlsx, "csv": path_csv}


def fresh_db(workdir: Path, tag: str):
    import shequ_sdk
    from shequ_sdk.regions import create_region

    path = workdir / f"{tag}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    sdk = shequ_sdk.open(str(path), create=True)
    with sdk.transaction() as s:
        county = create_region(session=s, name="南县", kind="county", code="430921")
        town = create_region(session=s, name="茅草街镇", kind="township", parent=county)
        create_region(session=s, name="新尚村社区", kind="community", parent=town)
    return sdk


def timed_import(path: Path, workdir: Path, tag: str) -> tuple[float, dict]:
    from shequ_sdk.spreadsheets import import_file

    sdk = fresh_db(workdir, tag)
    started = time.perf_counter()
    result = import_file(sdk, path, max_bytes=1 << 30)
    seconds = time.perf_counter() - started
    sdk.close()
    if not result.ok:
        raise SystemExit("import failed:\n" + "\n".join(result.report_lines()[:20]))
    return seconds, {"new": result.new}


def timed_baseline(path: Path, workdir: Path, kind: str) -> float:
    import pandas as pd

    from sqlalchemy import create_engine
    from sqlmodel import SQLModel

    from shequ_sdk.models import Household, Region

    db = workdir / "baseline.db"
    db.unlink(missing_ok=True)
    # the same table, with the same indexes (region_id, unique (region_id, number)), as the real import writes to
    engine = create_engine(f"sqlite:///{db}")
    SQLModel.metadata.create_all(engine, tables=[Region.__table__, Household.__table__])
    engine.dispose()
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO region (id, name, kind, synthetic) VALUES (3, '新尚村社区', 'community', 0)")
    conn.commit()
    started = time.perf_counter()
    if kind == "xlsx":
        df = pd.read_excel(path, dtype={"户号": str, "联系电话": str})
    else:
        df = pd.read_csv(path, dtype={"户号": str, "联系电话": str}, encoding="utf-8-sig")
    params = [(3, False, r[1], r[2], r[3], r[4], int(r[5])) for r in df.itertuples(index=False, name=None)]
    conn.executemany("INSERT INTO household (region_id, synthetic, number, head_name, phone, group_name, members) VALUES (?,?,?,?,?,?,?)", params)
    conn.commit()
    seconds = time.perf_counter() - started
    conn.close()
    return seconds


def openpyxl_rows(path: Path) -> int:
    """The reader before python-calamine: openpyxl in read-only mode, values only, every row."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    n = 0
    try:
        for ws in wb.worksheets:
            ws.reset_dimensions()
            for row in ws.iter_rows(values_only=True):
                n += 1 if any(v is not None for v in row) else 0
    finally:
        wb.close()
    return n


def timed_reads(rows: int, workdir: Path, runs: int) -> dict:
    from shequ_sdk.excel.reading import read_book

    files = write_files(make_rows(rows), workdir / "read")
    path = files["xlsx"]
    ours, base = [], []
    for _ in range(runs):
        started = time.perf_counter()
        book = read_book(path, max_bytes=1 << 30)
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        n = openpyxl_rows(path)
        base.append(time.perf_counter() - started)
        assert len(book.sheets[0].rows) == n == rows + 1, (len(book.sheets[0].rows), n)
    value, baseline = statistics.median(ours), statistics.median(base)
    return {"name": f"read_xlsx_{rows // 1000}k", "value": round(value, 3), "unit": "s", "baseline": round(baseline, 3),
            "baseline_name": "openpyxl read_only", "ratio": round(value / baseline, 3), "speedup": round(baseline / value, 1),
            "rows": rows, "runs": runs, "file_bytes": path.stat().st_size}


def profile_import(path: Path, workdir: Path, top: int = 25) -> None:
    from shequ_sdk.spreadsheets import import_file

    sdk = fresh_db(workdir, "profile")
    prof = cProfile.Profile()
    prof.enable()
    import_file(sdk, path, max_bytes=1 << 30)
    prof.disable()
    sdk.close()
    stats = pstats.Stats(prof)
    total = sum(v[3] for v in stats.stats.values() if False) or stats.total_tt
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(top)
    print(out.getvalue(), file=sys.stderr)
    shares = {}
    for (filename, _line, func), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():
        for label, (mod, name) in {"records.write": ("records.py", "write"), "records.validate_rows": ("records.py", "validate_rows"),
                                   "records.find_existing": ("records.py", "find_existing"), "reading.read_book": ("reading.py", "read_book"),
                                   "importer.read_rows": ("importer.py", "read_rows"),
                                   "importer.resolve_foreign_keys": ("importer.py", "resolve_foreign_keys"),
                                   "importer.check_rows": ("importer.py", "check_rows")}.items():
            if filename.endswith(mod) and func == name:
                shares[label] = shares.get(label, 0.0) + ct
    print(json.dumps({"profile_total_s": round(total, 3), **{k: round(v, 3) for k, v in sorted(shares.items())}}, ensure_ascii=False))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--read-rows", type=int, default=50_000, help="rows of the read-only comparison (0: skip it)")
    ns = ap.parse_args(argv)
    os.environ.setdefault("SHEQU_LOAD_PLUGINS", "")  # the core household table only: plugins' rules do not apply to it
    failed = False
    with tempfile.TemporaryDirectory(prefix="shequ-import-bench-") as tmp:
        workdir = Path(tmp)
        if ns.read_rows:
            (workdir / "read").mkdir()
            reads = timed_reads(ns.read_rows, workdir, ns.runs)
            failed = failed or reads["ratio"] > 1  # the reader must stay faster than the one it replaced
            print(json.dumps(reads), flush=True)
        files = write_files(make_rows(ns.rows), workdir)
        for kind in ("xlsx", "csv"):
            ours, base, info = [], [], {}
            for run in range(ns.runs):
                seconds, info = timed_import(files[kind], workdir, f"{kind}{run}")
                ours.append(seconds)
                base.append(timed_baseline(files[kind], workdir, kind))
            value, baseline = statistics.median(ours), statistics.median(base)
            ratio = value / baseline
            failed = failed or ratio > TARGET_RATIO
            print(json.dumps({"name": f"import_{kind}_{ns.rows // 1000}k", "value": round(value, 3), "unit": "s",
                              "baseline": round(baseline, 3), "ratio": round(ratio, 2), "rows": ns.rows, "runs": ns.runs,
                              "file_bytes": files[kind].stat().st_size, "target_ratio": TARGET_RATIO, **info}), flush=True)
        if ns.profile:
            profile_import(files["csv"], workdir)
    return 1 if (ns.check and failed) else 0


if __name__ == "__main__":
    sys.exit(main())
