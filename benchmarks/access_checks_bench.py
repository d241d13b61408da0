"""Benchmark what the access checks of issue 12 add to the write path, on 100,000 rows.

Three measurements through ``records.write`` on SQLite, each against a baseline measured in the
same run on the same rows and the same database state — the very same call with the new checks
switched off (``references.check_rows``, ``auth.check_stored``, ``records.keep_masked`` replaced by
no-ops), so the ratio is exactly what the checks cost:

- ``insert_residents``: N new residents of one village, each referring to one of its households
  (the reference check: one range query per batch and a pass over the rows);
- ``upsert_households``: N stored households updated by natural key by the village's own user
  (the stored-row scope check on the rows the upsert matched anyway, plus the reference check);
- ``upsert_masked_export``: the same N households sent back as a masked export holds them (masked
  name, ID and phone: every value kept as stored) — its baseline is the same upsert in clear.

Prints one JSON line per measurement; ``checks_s`` is the time spent inside the three checks
during the measured run (the totals of a shared machine are noisy; this is not)::

    {"name": "upsert_households_100k", "value": 6.1, "unit": "s", "baseline": 5.9, "ratio": 1.03, "checks_s": 0.2, ...}

    uv run --no-sync python benchmarks/access_checks_bench.py                 # 100,000 rows, median of 3 runs
    uv run --no-sync python benchmarks/access_checks_bench.py --rows 20000 --runs 1
    uv run --no-sync python benchmarks/access_checks_bench.py --check         # exit 1 when a ratio is above its target
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

# the checks must stay a small share of the write: set-based, no query per row
TARGETS = {"insert_residents": 1.25, "upsert_households": 1.25, "upsert_masked_export": 2.0}


def build(workdir: Path, n: int) -> tuple[Path, dict]:
    """A SQLite database with one village holding ``n`` households (ID numbers, phones)."""
    import shequ_sdk
    from shequ_sdk.ids import make_id_number
    from shequ_sdk.regions import create_region

    path = workdir / "base.db"
    sdk = shequ_sdk.open(str(path), create=True)
    with sdk.transaction() as s:
        county = create_region(session=s, name="南县", kind="county", code="430921")
        town = create_region(session=s, name="茅草街镇", kind="township", parent=county)
        village = create_region(session=s, name="新尚村社区", kind="community", parent=town)
        other = create_region(session=s, name="东村", kind="village", parent=town)
        ids = {"village": village.id, "other": other.id}
    born = dt.date(1960, 1, 1)
    rows = [{"region_id": ids["village"], "number": f"{i:06d}", "head_name": f"王{'明华强'[i % 3]}{'东西南北'[i % 4]}",
             "head_id_number": make_id_number("430921", born + dt.timedelta(days=i % 15000), i), "phone": f"138{i:08d}",
             "members": 1 + i % 6} for i in range(n)]
    sdk.write("household", rows)
    from sqlalchemy import select

    from shequ_sdk import Household

    with sdk.transaction() as s:
        ids["households"] = list(s.execute(select(Household.id).order_by(Household.id)).scalars())
    sdk.close()
    return path, {**ids, "rows": rows}


@contextmanager
def checks_timed(spent: list):
    """The write path with the checks of issue 12 on, their own time added up in ``spent[0]``:
    what they cost, free of the noise of a shared machine that the two totals carry."""
    from shequ_sdk import records, references

    saved = (references.check_rows, records.check_stored, records.keep_masked)

    def timer(fn):
        def run(*a, **k):
            started = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                spent[0] += time.perf_counter() - started
        return run

    references.check_rows, records.check_stored, records.keep_masked = (timer(f) for f in saved)
    try:
        yield
    finally:
        references.check_rows, records.check_stored, records.keep_masked = saved


@contextmanager
def checks_off():
    """The write path without the checks of issue 12 (the baseline)."""
    from shequ_sdk import records, references

    saved = (references.check_rows, records.check_stored, records.keep_masked)
    references.check_rows = lambda session, rt, rows, start_row=1: []
    records.check_stored = lambda *a, **k: None
    records.keep_masked = lambda session, rt, rows, found=None: (rows, {})
    try:
        yield
    finally:
        references.check_rows, records.check_stored, records.keep_masked = saved


def timed(base: Path, workdir: Path, tag: str, table: str, rows: list, mode: str, actor) -> float:
    import shequ_sdk
    from shequ_sdk.records import write

    path = workdir / f"{tag}.db"
    shutil.copy(base, path)
    sdk = shequ_sdk.open(str(path))
    try:
        started = time.perf_counter()
        with sdk.transaction() as s:
            write(session=s, table=table, rows=rows, mode=mode, actor=actor)
        return time.perf_counter() - started
    finally:
        sdk.close()
        path.unlink()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--case", choices=sorted(TARGETS), action="append", help="only these measurements (default: all)")
    args = parser.parse_args(argv)

    from shequ_sdk.auth import Actor
    from shequ_sdk.ids import mask

    workdir = Path(tempfile.mkdtemp(prefix="shequ-access-bench-"))
    failed = False
    try:
        base, ids = build(workdir, args.rows)
        actor = Actor("xs", "village", ids["village"])
        hh = ids["households"]
        residents = [{"region_id": ids["village"], "household_id": hh[i % len(hh)], "name": f"李{'春夏秋冬'[i % 4]}{i}"}
                     for i in range(args.rows)]
        updates = [dict(r, members=1 + (r["members"] % 6)) for r in ids["rows"]]
        masked = [dict(r, head_name=mask(r["head_name"], "name"), head_id_number=mask(r["head_id_number"], "id"),
                       phone=mask(r["phone"], "phone")) for r in ids["rows"]]
        cases = {
            "insert_residents": (("resident", residents, "insert", actor), ("resident", residents, "insert", actor)),
            "upsert_households": (("household", updates, "upsert", actor), ("household", updates, "upsert", actor)),
            "upsert_masked_export": (("household", masked, "upsert", actor), ("household", ids["rows"], "upsert", actor)),
        }
        for name, (measured, baseline) in cases.items():
            if args.case and name not in args.case:
                continue
            values, bases, checks = [], [], []
            for run in range(args.runs):
                with checks_off():
                    bases.append(timed(base, workdir, f"{name}-b{run}", *baseline))
                spent = [0.0]
                with checks_timed(spent):
                    values.append(timed(base, workdir, f"{name}-m{run}", *measured))
                checks.append(spent[0])
            value, base_value = statistics.median(values), statistics.median(bases)
            ratio = value / base_value
            target = TARGETS[name]
            print(json.dumps({"name": f"{name}_{args.rows // 1000}k", "value": round(value, 3), "unit": "s",
                              "baseline": round(base_value, 3), "ratio": round(ratio, 3), "target": target,
                              "checks_s": round(statistics.median(checks), 3), "rows": args.rows, "runs": args.runs},
                             ensure_ascii=False), flush=True)
            failed = failed or ratio > target
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if (args.check and failed) else 0


if __name__ == "__main__":
    sys.exit(main())
