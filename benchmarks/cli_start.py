"""Benchmark how fast the ``shequ`` command line starts.

``shequ --help`` lists every command, plugin commands included, without loading the plugins
(their commands are remembered per installation, see ``shequ_sdk/cli_cache.py``). The baseline,
measured in the same run the same way, is the least any typer command line pays: a fresh
interpreter that imports typer. Each figure is the median of ``--runs`` fresh processes, after one
warm-up run (which writes the command cache, as a first ``shequ`` call on a machine does).
The command measured is the console script's own entry point (``shequ_sdk.launch:main``).
Prints one JSON line per measurement::

    {"name": "cli_help", "value": 480.0, "unit": "ms", "baseline": 100.0, "ratio": 4.8, ...}

    uv run --no-sync python benchmarks/cli_start.py [--runs 5] [--db demo.db | --no-indicators]

Also ``cli_indicators_demo``: ``shequ indicators`` for one village and year on the demo against a
fresh interpreter that imports SQLAlchemy and runs the hand-written SQL of every part.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

TARGET_RATIO = 1.5
SHEQU = [sys.executable, "-c", "import sys; from shequ_sdk.launch import main; main(sys.argv[1:])"]  # the console script


def _wall(argv: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - start) * 1000


def measure(name: str, args: list[str], runs: int, env: dict) -> dict:
    baseline_argv = [sys.executable, "-c", "import typer"]
    _wall(SHEQU + args, env)  # warm-up: the command cache is written, the file system cache is warm
    _wall(baseline_argv, env)
    values, bases = [], []
    for _ in range(runs):  # interleaved, so a burst of machine load hits both sides
        values.append(_wall(SHEQU + args, env))
        bases.append(_wall(baseline_argv, env))
    value, base = statistics.median(values), statistics.median(bases)
    ratio = value / base
    return {"name": name, "value": round(value, 1), "unit": "ms", "baseline": round(base, 1), "ratio": round(ratio, 2),
            "target": f"ratio <= {TARGET_RATIO}", "met": ratio <= TARGET_RATIO, "runs": runs, "backend": None,
            "detail": f"shequ {' '.join(args)} vs python -c 'import typer'"}


BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
DEMO_DB = os.path.join(BENCH_DIR, ".data", "demo.db")
VILLAGE, YEAR = "南洲村", "2010"

# the baseline of `shequ indicators`: a fresh interpreter that imports SQLAlchemy and runs the
# hand-written statement of every indicator part (benchmarks/hand_sql.py) for the same village and year
HAND = """
import datetime as dt, sys
sys.path.insert(0, {bench!r})
from sqlalchemy import create_engine, text
import hand_sql
from shequ_sdk.period import Period
period, as_of = Period.parse({year!r}), dt.date.today()
with create_engine("sqlite:///" + {db!r}).connect() as c:
    rid, kind = c.execute(text("SELECT id, kind FROM region WHERE name = :n"), {{"n": {village!r}}}).one()
    params = hand_sql.params(period, as_of, rid)
    for num, den in hand_sql.queries("sqlite", period, as_of).values():
        for part in (num, den):
            if part is not None:
                c.execute(hand_sql.render(part, kind, False), params).scalar()
"""


def demo_db(path: str = DEMO_DB) -> str:
    """The demo database (built with ``shequ demo`` when absent or older than the schema)."""
    from pathlib import Path

    from ui_bench import ensure_demo

    return str(ensure_demo(Path(path)))


def measure_indicators(runs: int, env: dict, db: str) -> dict:
    """``shequ indicators`` for one village and year on the demo (its figures from the stored
    cells) vs the hand SQL of every part in a fresh interpreter that imports SQLAlchemy."""
    args = ["indicators", "--db", db, "--region", VILLAGE, "--period", YEAR]
    hand = [sys.executable, "-c", HAND.format(bench=BENCH_DIR, db=db, year=YEAR, village=VILLAGE)]
    _wall(SHEQU + args, env)
    _wall(hand, env)
    values, bases = [], []
    for _ in range(runs):
        values.append(_wall(SHEQU + args, env))
        bases.append(_wall(hand, env))
    value, base = statistics.median(values), statistics.median(bases)
    ratio = value / base
    return {"name": "cli_indicators_demo", "value": round(value, 1), "unit": "ms", "baseline": round(base, 1), "ratio": round(ratio, 2),
            "target": f"ratio <= {TARGET_RATIO}", "met": ratio <= TARGET_RATIO, "runs": runs, "backend": "sqlite",
            "detail": f"shequ {' '.join(args[:1] + args[3:])} vs python -c 'import sqlalchemy' + the hand SQL of every part"}


def run(runs: int = 5, db: str | None = None) -> list[dict]:
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "SHEQU_CACHE_DIR": cache}
        out = [measure("cli_help", ["--help"], runs, env), measure("cli_command_help", ["lock", "--help"], runs, env)]
        if db is not None:
            out.append(measure_indicators(runs, env, db))
        return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--db", default=None, help=f"the demo database for `shequ indicators` (default: {DEMO_DB}, built when absent)")
    ap.add_argument("--no-indicators", action="store_true", help="only the help screens")
    ns = ap.parse_args()
    for line in run(ns.runs, None if ns.no_indicators else demo_db(ns.db or DEMO_DB)):
        print(json.dumps(line, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
