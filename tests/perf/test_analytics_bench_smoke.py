"""``benchmarks/analytics_bench.py`` on a tiny county, so it cannot rot: every measure has the
promised shape, the figures read from the stored cells equal the hand-written SQL's, and most
parts come from the cells. Nothing here asserts anything about time."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

OPTIONS = dict(townships=2, villages_per_township=2, households_per_village=20, years=2, last_year=2020)
AS_OF = dt.date(2021, 3, 31)
CELLS = True  # generated with its stored indicator cells


@pytest.fixture(scope="module")
def bench(load_bench):
    with load_bench("analytics_bench") as module:
        yield module


def test_reading_from_the_cells_agrees_with_hand_sql(bench, generated_county, bench_line):
    backend = generated_county.engine.dialect.name
    bench.cb.roll_cells(generated_county, AS_OF, log=lambda m: None)  # the generator's "today", as the bench does
    out = bench.bench_cells(generated_county, "模拟县", ["2020Q4", "2020"], AS_OF, runs=1, backend=backend)
    assert [m.name for m in out] == ["cells_county_quarter", "cells_county_year"]
    for m in out:
        line = bench_line(m, unit="ms")
        assert line["detail"]["figures_equal"] is True and line["backend"] == backend
        assert line["detail"]["parts_from_cells"] == line["detail"]["parts"]  # every built-in part is stored
        assert line["detail"]["live_ms"] > 0


def test_a_write_with_and_without_cells_then_refresh_and_rebuild(bench, generated_county, bench_line, tmp_path):
    if not generated_county.url.startswith("sqlite"):
        pytest.skip("the write and rebuild measures copy a SQLite file (the PostgreSQL figures come from the cells measure)")
    db = Path(generated_county.url.split("sqlite:///", 1)[1])
    bench.cb.roll_cells(generated_county, AS_OF, log=lambda m: None)
    out = bench.bench_write(db, tmp_path, runs=1, as_of=AS_OF)
    assert [m.name for m in out] == ["cells_write_one_row", "cells_refresh_after_writes"]
    write = bench_line(out[0], unit="ms")
    assert write["baseline"] > 0 and write["detail"]["writes"] == 3
    refresh = bench_line(out[1], unit="s")
    assert refresh["detail"]["marks"] > 0 and refresh["detail"]["cells"] > 0 and refresh["detail"]["outdated"] == 0
    rebuilt, rolled = bench.bench_rebuild(db, tmp_path, AS_OF)
    rebuilt = bench_line(rebuilt, unit="s")
    assert rebuilt["detail"]["cells"] > 0 and rebuilt["detail"]["parts"] > 0
    rolled = bench_line(rolled, unit="s")  # the day after: the parts that compare with today, again
    assert rolled["name"] == "cells_daily_round" and 0 < rolled["detail"]["outdated"] < rebuilt["detail"]["parts"]
