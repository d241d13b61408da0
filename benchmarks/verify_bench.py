"""Benchmark the replay of ``shequ verify``: the audit log replayed against every audited table.

The measurement is :func:`shequ_sdk.replay.replay` on a database (the demo, or a generated
county). The baseline, measured in the same run on the same database, is the least a replay must
do: read every audited table and the log's ``old``/``new`` through SQLAlchemy, with no
comparison at all. Prints one JSON line per measurement::

    {"name": "verify_replay", "value": 6.2, "unit": "s", "baseline": 3.1, "ratio": 2.0, ...}

    uv run --no-sync python benchmarks/verify_bench.py                        # the demo, built in a temporary folder
    uv run --no-sync python benchmarks/verify_bench.py --db county.db --runs 3  # a generated county
    uv run --no-sync python benchmarks/verify_bench.py --check                # exit 1 when the ratio is above 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

TARGET_RATIO = 3.0


def baseline(engine) -> float:
    """Read what the replay reads, and nothing more."""
    from sqlalchemy import select
    from sqlmodel import Session

    from shequ_sdk.audit import AuditEntry
    from shequ_sdk.replay import targets

    tbl = AuditEntry.__table__
    started = time.perf_counter()
    with Session(engine) as s:
        for t in targets():
            for _ in s.execute(select(tbl.c.record_id, tbl.c.seq, tbl.c.action, tbl.c.old, tbl.c.new)
                               .where(tbl.c.table_key == t.key).order_by(tbl.c.record_id, tbl.c.seq)
                               .execution_options(yield_per=5000)).partitions():
                pass
            for _ in s.execute(select(t.table).order_by(t.table.c.id).execution_options(yield_per=5000)).partitions():
                pass
    return time.perf_counter() - started


def measure(engine) -> tuple[float, object]:
    from sqlmodel import Session

    from shequ_sdk.replay import replay

    started = time.perf_counter()
    with Session(engine) as s:
        report = replay(s)
    return time.perf_counter() - started, report


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", help="database to verify (default: build the demo in a temporary folder)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--check", action="store_true", help=f"exit 1 when the ratio is above {TARGET_RATIO}")
    args = ap.parse_args(argv)

    import shequ_sdk

    tmp = None
    db = args.db
    if db is None:
        tmp = tempfile.TemporaryDirectory()
        db = str(Path(tmp.name) / "demo.db")
        s = shequ_sdk.open(db, create=True)
        s.build_demo()
        s.close()
    sdk = shequ_sdk.open(db)
    try:
        base = statistics.median(baseline(sdk.engine) for _ in range(args.runs))
        runs = [measure(sdk.engine) for _ in range(args.runs)]
    finally:
        sdk.close()
        if tmp is not None:
            tmp.cleanup()
    value = statistics.median(r[0] for r in runs)
    report = runs[0][1]
    ratio = value / base if base else float("inf")
    print(json.dumps({"name": "verify_replay", "value": round(value, 2), "unit": "s", "baseline": round(base, 2),
                      "ratio": round(ratio, 2), "target_ratio": TARGET_RATIO, "records": report.records, "tables": report.tables,
                      "bulk_batches": report.batches, "differences": report.total, "runs": args.runs, "db": db}))
    if report.total:
        print(f"the database has {report.total} differences: the timing is not of a clean replay", file=sys.stderr)
        return 1
    return 1 if args.check and ratio > TARGET_RATIO else 0


if __name__ == "__main__":
    sys.exit(main())
