"""Query plans of the indicator SQL: no full scan of a large table where an index should serve.

A small synthetic county is generated on each backend; every registered indicator is computed
for the county (one quarter and one year, grouped per village as the dashboard does) while the
statements the engine sends are recorded; each recorded SELECT is then explained:

- SQLite: ``EXPLAIN QUERY PLAN`` — a ``SCAN <large table>`` that uses no index fails;
- PostgreSQL: after ``ANALYZE``, ``EXPLAIN`` with ``enable_seqscan = off`` — small test tables
  make sequential scans legitimately cheaper, so the planner is told to avoid them, and a
  ``Seq Scan on <large table>`` that remains means no usable index exists.

"Large" tables are those the generator fills with more than 10,000 rows in the default county
(300 villages, ten years; ``benchmarks/county_bench.py`` prints the counts): ``LARGE`` below.
Also checked: every index a plugin declares in ``RecordTable.indexes`` exists.
"""

from __future__ import annotations

import datetime as dt
import re
from datetime import date

import pytest
from sqlalchemy import event, inspect, text

from shequ_sdk import Record, RecordTable, field, hookimpl
from shequ_sdk.demo import GenerateOptions

# rows in the default county (shequ generate, seed 42): every table above 10,000
LARGE = {
    "household": 148_590, "association_member": 15_382, "civility_star_rating": 58_055, "civility_household_award": 11_495,
    "culture_sports_loan": 20_800, "culture_sports_activity": 20_077, "elderly_activity": 23_196,
    "family_planning_contact": 51_456, "family_planning_service": 16_480, "finance_posting": 36_834,
    "finance_posting_item": 25_456, "finance_ledger_entry": 46_396, "finance_obligation": 60_000,  # derived: 300 villages × boards × 40 quarters
    "sanitation_bin": 200_728, "sanitation_collection_run": 979_819, "stability_mediation_case": 16_806,
    "stability_mediation_party": 35_319, "stability_follow_up": 15_053, "stability_patrol": 56_802,
}
OPTIONS = GenerateOptions(townships=2, villages_per_township=3, households_per_village=40, years=2, last_year=2020)
AS_OF = dt.date(2021, 3, 31)
PERIODS = ("2020Q4", "2020")


@pytest.fixture
def county(sdk):
    sdk.generate(OPTIONS)
    return sdk


def large_tables(sdk) -> set[str]:
    counts = sdk.row_counts()
    return {name for name in LARGE if counts.get(name, 0) > 0 or name == "finance_obligation"}


def record_indicator_sql(sdk) -> list[tuple[str, object]]:
    """Every SELECT the engine issues computing all indicators for the county, with its parameters."""
    from shequ_sdk.plugins import registry

    seen: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")) and not executemany:
            seen.append((statement, parameters))

    keys = list(registry().indicators)
    event.listen(sdk.engine, "before_cursor_execute", capture)
    try:
        for period in PERIODS:
            sdk.indicator_values("模拟县", period, as_of=AS_OF)
            sdk.indicators(keys, regions="模拟县", periods=period, level="village", as_of=AS_OF)
    finally:
        event.remove(sdk.engine, "before_cursor_execute", capture)
    return seen


_SQLITE_SCAN = re.compile(r"\bSCAN (\w+)(.*)$")


def sqlite_full_scans(sdk, statements, large: set[str]) -> list[str]:
    bad = []
    raw = sdk.engine.raw_connection()
    try:
        cur = raw.driver_connection.cursor()
        for sql, params in statements:
            for row in cur.execute("EXPLAIN QUERY PLAN " + sql, params or ()):
                detail = row[-1]
                m = _SQLITE_SCAN.search(detail)
                if m and m.group(1) in large and "USING INDEX" not in m.group(2) and "COVERING INDEX" not in m.group(2):
                    bad.append(f"{detail}\n    in: {' '.join(sql.split())[:600]}")
    finally:
        raw.close()
    return bad


def postgres_seq_scans(sdk, statements, large: set[str]) -> list[str]:
    bad = []
    raw = sdk.engine.raw_connection()
    try:
        cur = raw.driver_connection.cursor()
        cur.execute("ANALYZE")
        cur.execute("SET enable_seqscan = off")
        for sql, params in statements:
            cur.execute("EXPLAIN " + sql, params)
            plan = "\n".join(r[0] for r in cur.fetchall())
            for table in re.findall(r"Seq Scan on (\w+)", plan):
                if table in large:
                    bad.append(f"Seq Scan on {table}\n    in: {' '.join(sql.split())[:600]}")
        cur.execute("RESET enable_seqscan")
        raw.driver_connection.rollback()
    finally:
        raw.close()
    return bad


def test_indicator_queries_use_indexes_on_large_tables(county):
    large = large_tables(county)
    assert {"sanitation_collection_run", "household", "sanitation_bin", "finance_posting"} <= large, large
    statements = record_indicator_sql(county)
    assert len(statements) > 60  # every indicator's numerator and denominator, two periods, two groupings
    if county.engine.dialect.name == "sqlite":
        bad = sqlite_full_scans(county, statements, large)
    else:
        bad = postgres_seq_scans(county, statements, large)
    assert not bad, f"{len(bad)} full scans of large tables:\n" + "\n".join(sorted(set(bad)))


def test_declared_indexes_exist(sdk):
    """``RecordTable.indexes`` is real: each declared column list leads some index in the database."""
    from shequ_sdk.plugins import registry

    insp = inspect(sdk.engine)
    missing = []
    declared = 0
    for key, rt in registry().tables.items():
        have = [tuple(ix["column_names"]) for ix in insp.get_indexes(key)]
        have += [tuple(uc["column_names"]) for uc in insp.get_unique_constraints(key)]
        for cols in rt.indexes:
            declared += 1
            if not any(h[: len(cols)] == tuple(cols) for h in have):
                missing.append((key, cols))
    assert declared > 20  # every plugin declares what its indicators need
    assert not missing, missing


class Visit(Record, table=True):
    """A test-only table whose indexes are declared only in ``RecordTable.indexes``."""

    __tablename__ = "perf_test_visit"
    visited_on: date = field(label_zh="日期", label_en="Date")
    kind: str = field(label_zh="类别", label_en="Kind")


class VisitPlugin:
    @hookimpl
    def register_tables(self, register):
        register(RecordTable(model=Visit, label_zh="走访", label_en="Visits", date_field="visited_on",
                             indexes=(("region_id", "visited_on"), ("kind",))))


def test_the_sdk_creates_a_declared_index(only_plugins, tmp_path):
    """A table that declares an index only in ``RecordTable.indexes`` gets it from the SDK."""
    import shequ_sdk

    only_plugins(VisitPlugin())
    s = shequ_sdk.open(str(tmp_path / "visits.db"), create=True)
    try:
        names = {tuple(ix["column_names"]) for ix in inspect(s.engine).get_indexes("perf_test_visit")}
        assert ("region_id", "visited_on") in names and ("kind",) in names
        # the single-column region index is dropped: the declared composite one serves it
        assert ("region_id",) not in names
        with s.engine.connect() as c:
            plan = " ".join(r[-1] for r in c.execute(text(
                "EXPLAIN QUERY PLAN SELECT count(*) FROM perf_test_visit WHERE region_id = 1 AND visited_on >= '2020-01-01'")))
        assert "USING" in plan and "INDEX" in plan, plan
    finally:
        s.close()


def test_the_aggregate_layers_reads_use_indexes(sdk):
    """With stored cells, the engine reads them instead of the parts' SQL: those reads (cells,
    totals, what was built, what is stale) must be index searches, not scans — the cell table
    holds a row per region, part and period (676,441 for a 300-village county over 68 periods)."""
    sdk.generate(OPTIONS, cells=True)
    statements = record_indicator_sql(sdk)
    cells = {"indicator_cell", "indicator_total", "indicator_built", "indicator_dirty"}
    reads = [(sql, p) for sql, p in statements if any(t in sql for t in cells)]
    assert any("indicator_total" in sql for sql, _ in reads) and any("indicator_cell" in sql for sql, _ in reads)
    if sdk.engine.dialect.name == "sqlite":
        bad = sqlite_full_scans(sdk, reads, cells)
    else:
        bad = postgres_seq_scans(sdk, reads, cells)
    assert not bad, f"{len(bad)} full scans of the aggregate layer:\n" + "\n".join(sorted(set(bad)))
