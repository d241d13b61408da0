"""The aggregate layer (``shequ_sdk.analytics``): stored indicator cells answer exactly what the
raw tables answer, every kind of write makes the cells it affects stale at once, a refresh
brings them back, and a database edited behind the SDK's back is found by ``shequ verify``."""

from __future__ import annotations

import datetime as dt

import pytest

from sqlalchemy import func, select, text

from shequ_sdk import Period, analytics, indicators
from shequ_sdk.analytics import IndicatorBuilt, IndicatorCell, IndicatorDirty
from shequ_sdk.models import Region

VILLAGE, TOWNSHIP, COUNTY = "南洲村", "茅草街镇", "南县"
PERIODS = ("2010", "2010Q4", "2010-11", "2009Q2")


def both(sdk, region, period, level=None):
    """(from cells where fresh, from the raw tables only) for one area and period."""
    with sdk.reading() as s:
        r = s.get(Region, sdk.region(region).id)
        p = Period.parse(period)
        return (indicators.compute(s, region=r, period=p, level=level, parts=True),
                indicators.compute(s, region=r, period=p, level=level, parts=True, cells=False))


def stored_share(sdk, period) -> tuple[int, int]:
    """(parts answered from cells, parts asked) for the county in ``period``."""
    with sdk.reading() as s:
        county = s.get(Region, sdk.region(COUNTY).id)
        p = Period.parse(period)
        chosen = [i for i in sdk.registry.indicators.values() if p.kind in i.period_kinds]
        got = analytics.stored_parts(s, county, p, dt.date.today(), chosen)
        asked = sum(2 if i.denominator else 1 for i in chosen)
        return len(got), asked


def test_the_demo_is_built_with_cells_that_equal_the_raw_tables(demo):
    with demo.reading() as s:
        assert s.execute(select(func.count()).select_from(IndicatorCell)).scalar_one() > 1000
        assert s.execute(select(func.count()).select_from(IndicatorDirty)).scalar_one() == 0
    for region in (VILLAGE, TOWNSHIP, COUNTY):
        for period in PERIODS:
            cached, live = both(demo, region, period, level="village")
            assert cached == live, (region, period)
    used, asked = stored_share(demo, "2010Q4")
    assert used >= asked // 2, (used, asked)  # most parts come from the cells


def test_which_parts_are_stored_and_which_are_computed_live(demo):
    from shequ_sdk import Indicator

    reg = demo.registry.indicators
    with demo.reading() as s:
        closed = Period.parse("2010Q4")
        today = dt.date.today()
        # patrols of an ended quarter are what they are, on any later day
        stored = analytics.plan(s, reg["stability.patrols"], "n", closed, today)
        assert stored is not None and not stored.dated and "stability_patrol" in stored.tables
        assert analytics.plan(s, reg["stability.patrols"], "n", closed, today + dt.timedelta(days=1)).fingerprint == stored.fingerprint
        # the same part for a quarter still running is live: its last day moves with today
        running = Period.containing(today, "quarter")
        assert analytics.plan(s, reg["stability.patrols"], "n", running, today) is None
        # 'overdue' compares a due date with today: stored for one day at a time
        overdue = analytics.plan(s, reg["commitments.overdue"], "n", closed, today)
        assert overdue is not None and overdue.dated
        assert analytics.plan(s, reg["commitments.overdue"], "n", closed, today + dt.timedelta(days=1)).fingerprint != overdue.fingerprint
        # a finance part reads a schedule its prepare derives: stored, and stale when what it derives from changes
        boards = analytics.plan(s, reg["finance.overdue_boards"], "n", closed, today)
        assert boards is not None and {"finance_obligation", "finance_ledger_entry", "setting"} <= boards.tables
        # Python over tables the indicator names (reads=): stored per day; without them: live
        collection = analytics.plan(s, reg["sanitation.collection_rate"], "d", closed, today)
        assert collection is not None and collection.dated and "sanitation_collection_run" in collection.tables
        secret = Indicator(key="test_analytics.python", label_zh="试", label_en="t", unit_zh="", unit_en="",
                           numerator=lambda q: q.per_region({}))
        assert analytics.plan(s, secret, "n", closed, today) is None


def test_parts_that_depend_on_today_are_rebuilt_when_the_day_changes(demo):
    """Cells of a part that compares with today answer that day's reads only; on the next day
    reads compute it live (the same figures) until the refresher's daily round stores it again."""
    county = demo.region(COUNTY)
    today = dt.date.today()
    tomorrow = today + dt.timedelta(days=1)
    closed = Period.parse("2010Q4")
    chosen = [demo.registry.indicators[k] for k in ("commitments.overdue", "stability.patrols", "finance.overdue_boards")]

    def stored(day):
        with demo.reading() as s:
            return set(analytics.stored_parts(s, s.get(Region, county.id), closed, day, chosen))

    assert stored(today) == {"commitments.overdue#n", "stability.patrols#n", "finance.overdue_boards#n"}
    assert stored(tomorrow) == {"stability.patrols#n"}
    with demo.reading() as s:
        r = s.get(Region, county.id)
        for day in (today, tomorrow):
            assert indicators.compute(s, region=r, period=closed, as_of=day, level="village", parts=True) == \
                indicators.compute(s, region=r, period=closed, as_of=day, level="village", parts=True, cells=False)
        late = analytics.outdated(s, tomorrow)
        assert ("2010Q4", "commitments.overdue#n") in late and ("2010Q4", "stability.patrols#n") not in late
        assert analytics.outdated(s, today) == []
    refresher = analytics.Refresher(demo.engine, roll_periods=7)
    refresher.tick(today=tomorrow)  # the daily round, a few periods per transaction
    assert refresher.rolled == tomorrow and len(refresher.runs) > 1 and refresher.runs[-1]["left"] == 0
    assert stored(tomorrow) == {"commitments.overdue#n", "stability.patrols#n", "finance.overdue_boards#n"}
    with demo.reading() as s:
        assert analytics.outdated(s, tomorrow) == []
        assert analytics.check(s, sample=None, as_of=tomorrow, periods=["2010Q4", "2010"]) == []
    refresher.tick(today=today)
    assert stored(today) == {"commitments.overdue#n", "stability.patrols#n", "finance.overdue_boards#n"}


def test_a_validated_write_is_seen_at_once_and_a_refresh_stores_it(demo):
    village = demo.region(VILLAGE)
    before, _ = both(demo, VILLAGE, "2010Q4")
    patrols = before[village.id]["stability.patrols"][0] or 0
    demo.write("stability_patrol", [{"region_id": village.id, "patrol_date": "2010-11-20", "team": "测试巡逻队",
                                     "participants": 3, "hours": 2.5, "issues_found": 1}])
    with demo.reading() as s:
        marks = s.execute(select(IndicatorDirty.part, IndicatorDirty.region_id)).all()
    assert ("stability.patrols#n", village.id) in marks  # exactly this village's cells of the parts reading the table
    assert {r for _, r in marks} == {village.id}
    for region in (VILLAGE, TOWNSHIP, COUNTY):
        cached, live = both(demo, region, "2010Q4")
        assert cached == live
    after, _ = both(demo, VILLAGE, "2010Q4")
    assert after[village.id]["stability.patrols"][0] == patrols + 1
    done = demo.refresh_analytics()
    assert done["marks"] == len(marks) and done["cells"] > 0
    with demo.reading() as s:
        assert s.execute(select(func.count()).select_from(IndicatorDirty)).scalar_one() == 0
        assert analytics.check(s, sample=None) == []
    used, asked = stored_share(demo, "2010Q4")
    assert used >= asked // 2
    cached, live = both(demo, COUNTY, "2010Q4", level="village")
    assert cached == live and cached[village.id]["stability.patrols"][0] == patrols + 1


def test_writes_outside_the_record_path_mark_their_tables_stale(demo):
    """A setting (ORM object with its region) and a statement on a whole table (a workflow step)."""
    from shequ_sdk import config

    village = demo.region(VILLAGE)
    with demo.transaction() as s:
        config.set_value(s, "finance.quarterly_due_day", 25, village)
    with demo.transaction() as s:
        s.execute(analytics.IndicatorPart.__table__.select())  # a read changes nothing
        from shequ_plugin_stability.models import Patrol

        s.execute(Patrol.__table__.update().where(Patrol.__table__.c.region_id == village.id).values(issues_found=Patrol.__table__.c.issues_found + 1))
    with demo.reading() as s:
        marks = set(s.execute(select(IndicatorDirty.part, IndicatorDirty.region_id)).all())
    assert ("stability.patrol_issues#n", analytics.ALL_REGIONS) in marks  # a statement names no region: all of them
    assert "finance.overdue_boards#n" in {part for part, _ in marks}  # a table its schedule derives from (reads=)
    for region in (VILLAGE, COUNTY):
        cached, live = both(demo, region, "2010")
        assert cached == live


def test_an_uncommitted_write_is_seen_by_its_own_session(demo):
    village = demo.region(VILLAGE)
    from shequ_sdk import records

    with demo.transaction() as s:
        r = s.get(Region, village.id)
        p = Period.parse("2010Q4")
        first = indicators.compute(s, region=r, period=p, keys=["stability.patrols"])[r.id]["stability.patrols"]
        records.write(session=s, table=demo.registry.tables["stability_patrol"],
                      rows=[{"region_id": village.id, "patrol_date": "2010-12-01", "team": "夜巡队", "participants": 2, "hours": 1.0}])
        second = indicators.compute(s, region=r, period=p, keys=["stability.patrols"])[r.id]["stability.patrols"]
        assert second == first + 1


def cells_check(sdk) -> list:
    """What ``shequ verify --full`` names for the stored indicator cells (``core.indicator_cells``)."""
    with sdk.reading() as s:
        return analytics.check(s, sample=None, periods=["2010", "2010Q4", "2010-11"])


def test_verify_names_a_database_edited_behind_the_sdk(demo, cli):
    village = demo.region(VILLAGE)
    assert cells_check(demo) == []
    with demo.transaction() as s:  # a direct SQL edit: no validation, no audit, no marks
        s.execute(text("UPDATE stability_patrol SET participants = participants + 7 WHERE region_id = :r AND patrol_date < '2011-01-01'"),
                  {"r": village.id})
    problems = cells_check(demo)
    assert problems and {p.extra["part"] for p in problems} == {"stability.patrol_person_hours#n"}
    # the village's cell, and the totals of its township and county
    assert {p.extra["region_id"] for p in problems} == {village.id, village.township_id, village.county_id}
    assert sum("（合计）" in p.message_zh for p in problems) == 2 * len(problems) // 3
    code, out, err = cli("verify", "--full", "--db", demo.url)
    assert code == 1
    assert "core.indicator_cells" in out and "巡逻人时" in out and VILLAGE in out
    code, out, err = cli("analytics", "rebuild", "--db", demo.url)
    assert code == 0 and "已重算" in out
    assert cells_check(demo) == []  # the cells now hold what the (edited) tables say; the replay still names the edit
    with demo.transaction() as s:  # a stored cell changed by hand
        s.execute(text("UPDATE indicator_cell SET value = 'i:999' WHERE part = 'stability.patrols#n' AND region_id = :r AND period = '2010Q4'"),
                  {"r": village.id})
    problems = cells_check(demo)
    assert len(problems) == 1 and "存 999" in problems[0].message_zh


def test_the_cli_reports_status_and_refreshes(demo, cli):
    code, out, err = cli("analytics", "status", "--db", demo.url)
    assert code == 0 and "0 个部分待更新" in out
    demo.write("stability_patrol", [{"region_id": demo.region(VILLAGE).id, "patrol_date": "2010-10-03", "team": "日巡队",
                                     "participants": 4, "hours": 3.0}])
    code, out, err = cli("analytics", "status", "--db", demo.url)
    assert code == 0 and "0 个部分待更新" not in out
    code, out, err = cli("analytics", "refresh", "--db", demo.url)
    assert code == 0 and "已更新" in out, out + err
    code, out, err = cli("analytics", "refresh", "--db", demo.url)
    assert code == 0 and "已是最新" in out


def test_a_database_without_cells_computes_everything_live(sdk):
    """An empty database (never built) pays one small read per commit and stores nothing."""
    from shequ_sdk.regions import create_region

    with sdk.transaction() as s:
        county = create_region(session=s, name="测试县", kind="county")
        assert analytics.status(s)["parts"] == 0
    with sdk.reading() as s:
        assert s.execute(select(func.count()).select_from(IndicatorBuilt)).scalar_one() == 0
        assert s.execute(select(func.count()).select_from(IndicatorDirty)).scalar_one() == 0
        assert county.id is not None


def test_the_servers_refresher_stores_a_write_within_seconds(demo):
    import time

    village = demo.region(VILLAGE)
    refresher = analytics.Refresher(demo.engine, every=0.2)
    refresher.start()
    try:
        demo.write("stability_patrol", [{"region_id": village.id, "patrol_date": "2010-09-09", "team": "联防队",
                                         "participants": 5, "hours": 2.0}])
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with demo.reading() as s:
                if analytics.status(s)["dirty"] == 0:
                    break
            time.sleep(0.2)
    finally:
        refresher.stop()
        refresher.join(timeout=120)
    assert refresher.runs and refresher.runs[0]["marks"] > 0
    assert analytics.refresh_if_stale(demo.engine) is None  # nothing left to do
    cached, live = both(demo, VILLAGE, "2010Q3")
    assert cached == live


def patrol(village, day: str) -> dict:
    return {"region_id": village.id, "patrol_date": day, "team": "联防队", "participants": 4, "hours": 2.0}


def patrols_in(demo, period: str) -> int:
    village = demo.region(VILLAGE)
    cached, live = both(demo, VILLAGE, period)
    assert cached == live
    for region in (TOWNSHIP, COUNTY):
        area_cached, area_live = both(demo, region, period)
        assert area_cached == area_live
    return cached[village.id]["stability.patrols"][0] or 0


def count_marks(demo) -> int:
    with demo.reading() as s:
        return s.execute(select(func.count()).select_from(IndicatorDirty)).scalar_one()


def test_a_refresh_that_commits_between_groups_keeps_a_write_made_meanwhile(demo):
    """A refresh may commit between its groups (the server's does, to let a clerk's save in):
    a save made there is seen at once, its marks outlive the refresh, the next one stores it."""
    village = demo.region(VILLAGE)
    before = patrols_in(demo, "2010Q4")
    demo.write("stability_patrol", [patrol(village, "2010-11-20")])
    pauses = []

    with demo.transaction() as s:
        def pause():
            pauses.append(1)
            if len(pauses) == 2:  # after the first group: commit, and a clerk saves
                s.commit()
                demo.write("stability_patrol", [patrol(village, "2010-11-21")])

        done = analytics.refresh(s, pause=pause)
    assert len(pauses) > 2 and done["marks"] > 0
    assert count_marks(demo) > 0  # the second save's marks: the refresh began before it
    assert patrols_in(demo, "2010Q4") == before + 2
    demo.refresh_analytics()
    assert count_marks(demo) == 0
    with demo.reading() as s:
        assert analytics.check(s, sample=None) == []
    assert patrols_in(demo, "2010Q4") == before + 2


def test_a_refresh_cut_short_after_a_commit_is_done_again_whole(demo):
    village = demo.region(VILLAGE)
    before = patrols_in(demo, "2010-11")
    demo.write("stability_patrol", [patrol(village, "2010-11-20")])
    marks = count_marks(demo)
    pauses = []

    class Killed(Exception):
        pass

    try:
        with demo.transaction() as s:
            def pause():
                pauses.append(1)
                if len(pauses) == 3:
                    s.commit()  # two groups' cells kept
                elif len(pauses) == 5:
                    raise Killed  # the third and fourth groups' rolled back

            analytics.refresh(s, pause=pause)
    except Killed:
        pass
    assert len(pauses) == 5
    assert count_marks(demo) == marks  # every read still computes the marked parts live
    assert patrols_in(demo, "2010-11") == before + 1
    assert demo.refresh_analytics()["marks"] == marks
    with demo.reading() as s:
        assert analytics.check(s, sample=None) == []


def test_a_save_made_after_another_refresh_emptied_the_marks_keeps_its_marks(demo):
    """Two refreshes at once: the server's, in turns, and ``shequ analytics refresh``, which runs
    whole in one of its turns and deletes every mark. A clerk then saves, and the first refresh
    finishes: the save's marks are kept (ids are never handed out twice), and stored on the next."""
    village = demo.region(VILLAGE)
    before = patrols_in(demo, "2010-11")
    demo.write("stability_patrol", [patrol(village, "2010-11-20")])
    pauses = []

    with demo.transaction() as s:
        def pause():
            pauses.append(1)
            if len(pauses) == 2:
                s.commit()
                assert demo.refresh_analytics()["marks"] > 0 and count_marks(demo) == 0
                demo.write("stability_patrol", [patrol(village, "2010-11-21")])  # the same parts' marks again

        analytics.refresh(s, pause=pause)
    assert count_marks(demo) > 0
    assert patrols_in(demo, "2010-11") == before + 2
    demo.refresh_analytics()
    assert count_marks(demo) == 0
    with demo.reading() as s:
        assert analytics.check(s, sample=None) == []


def test_the_servers_refresh_lets_a_save_in_between_its_groups(demo, monkeypatch):
    """SQLite has one writer at a time: the server's refresh holds the write lock for a group of
    work at a time (``hold``), then leaves it free, so a clerk's save waits for one group of the
    refresh, not all of it. (PostgreSQL writers never wait for the refresh: it takes an advisory
    lock, not the tables'.)"""
    import sqlite3

    if demo.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's single writer only: on PostgreSQL the refresh holds no lock a save needs")
    path = demo.engine.url.database

    def try_to_write() -> bool:
        conn = sqlite3.connect(path, timeout=0, isolation_level=None)  # does not wait at all
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError as exc:
            assert "locked" in str(exc)
            return False
        finally:
            conn.close()

    seen = {"locked": [], "free": []}
    lock = analytics._WriterTurns.lock

    def locked(self):
        lock(self)
        seen["locked"].append(try_to_write())

    monkeypatch.setattr(analytics._WriterTurns, "lock", locked)
    monkeypatch.setattr(analytics._WriterTurns, "let_writers_in", lambda self: seen["free"].append(try_to_write()))
    monkeypatch.setattr(analytics._WriterTurns, "hold", 0.0)  # a turn after every group
    demo.write("stability_patrol", [patrol(demo.region(VILLAGE), "2010-11-20")])
    done = analytics.refresh_if_stale(demo.engine)
    assert done and done["marks"] > 0
    assert len(seen["free"]) >= 2 and all(seen["free"])  # a save got in between the groups
    assert len(seen["locked"]) == len(seen["free"]) + 1 and not any(seen["locked"])  # and not during one
    assert count_marks(demo) == 0
    with demo.reading() as s:
        assert analytics.check(s, sample=None) == []


def test_a_migration_marks_every_stored_part_stale(demo):
    from shequ_sdk.migrations import _cells_stale

    with demo.engine.begin() as conn:
        _cells_stale(conn)
    with demo.reading() as s:
        built = set(s.execute(select(IndicatorBuilt.part).distinct()).scalars())
        marks = set(s.execute(select(IndicatorDirty.part, IndicatorDirty.region_id)).all())
    assert built and marks == {(p, analytics.ALL_REGIONS) for p in built}
    used, _ = stored_share(demo, "2010Q4")
    assert used == 0  # everything is computed live until the refresh
    cached, live = both(demo, COUNTY, "2010Q4", level="village")
    assert cached == live
