"""Indicator statements are compiled once per process and reused with bound values: the period,
the as-of day and the area are parameters, so a second township or quarter compiles nothing
(SQLAlchemy's compiled cache; docs/plugins.md "Statements built once"). On both backends."""

from __future__ import annotations

from sqlalchemy import event


def test_a_second_area_and_quarter_compile_no_statement(demo):
    seen: list[tuple[str, str]] = []

    @event.listens_for(demo.engine, "before_cursor_execute")
    def record(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):  # not SAVEPOINT and the like
            seen.append((str(getattr(context, "cache_hit", "")), statement))

    # the first township and village, each kind of period: statements are compiled here
    for region, period in (("南洲镇", "2010Q4"), ("南洲镇", "2010Q3"), ("南洲镇", "2010"), ("南洲村", "2010Q4"), ("宜城市", "2010Q4")):
        demo.indicator_values(region, period)
    seen.clear()
    for region, period in (("茅草街镇", "2010Q2"), ("新尚村社区", "2010Q1"), ("茅草街镇", "2009")):
        demo.indicator_values(region, period)
    assert seen, "no statement ran"
    compiled = [statement for hit, statement in seen if hit.endswith("CACHE_MISS")]
    assert compiled == [], f"{len(compiled)} of {len(seen)} statements were compiled again, first: {compiled[0][:300]}"
    uncached = {statement[:200] for hit, statement in seen if not hit.endswith("CACHE_HIT")}
    assert not uncached, uncached
