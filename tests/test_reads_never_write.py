"""Reads never write: every read command and API call leaves a copy of the demo exactly as it
was (SQLite: the file's sha256 after a checkpoint; both backends: every table's content), and
the finance plugin's disclosure schedule is kept current at write time instead (the
``records_changed`` hook), so what a read prepares for itself is rolled back with it."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3

from sqlalchemy import func, select, text

import shequ_sdk
from shequ_sdk import Period
from shequ_sdk.db import all_tables

VILLAGE, TOWNSHIP = "新尚村社区", "南洲镇"


def state(sdk) -> dict:
    """Every table's row count, and the finance schedule row by row; on SQLite the file's sha256."""
    out = {}
    with sdk.reading() as s:
        for table in all_tables() + [t for t in shequ_sdk.registry().tables.values() for t in [t.model.__table__]]:
            out[table.name] = s.execute(select(func.count()).select_from(table)).scalar_one()
        out["schedule"] = [tuple(r) for r in s.execute(text(
            "SELECT region_id, obligation_key, due_date, period_start FROM finance_obligation ORDER BY region_id, obligation_key"))]
    if sdk.url.startswith("sqlite"):
        path = sdk.url.split("sqlite:///", 1)[1]
        con = sqlite3.connect(path)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # a committed write would now be in the file
        con.close()
        with open(path, "rb") as f:
            out["sha256"] = hashlib.sha256(f.read()).hexdigest()
    return out


def test_every_read_command_and_call_leaves_the_database_as_it_was(demo, cli, tmp_path):
    assert state(demo)["schedule"], "the demo stores its disclosure schedule when it is built"
    with demo.transaction() as s:  # a schedule that fell behind: reads must fill it for themselves only
        s.execute(text("DELETE FROM finance_obligation WHERE region_id IN (SELECT id FROM region WHERE name = :v)"), {"v": VILLAGE})
    before = state(demo)
    for args in (
        ("indicators", "--region", VILLAGE, "--period", "2010Q4"),
        ("indicators", "--region", TOWNSHIP, "--period", "2010", "--json"),
        ("finance", "status", "--region", TOWNSHIP, "--period", "2010", "--as-of", "2011-03-31"),
        ("check",),
        ("export", "--table", "finance_ledger_entry", "--out", str(tmp_path / "ledger.xlsx")),
        ("board", "--region", VILLAGE, "--period", "2010Q4", "--board", "财务", "--out", str(tmp_path / "board.html")),
        ("lock", "status", "--region", VILLAGE, "--period", "2010Q4"),
        ("config", "show", "finance.quarterly_due_day", "--region", VILLAGE),
        ("verify",),
        ("analytics", "status"),
    ):
        code, out, err = cli(*args, "--db", demo.url)
        assert code in (0, 1), (args, out, err)  # check exits 1 when it finds problems: still a read
    demo.indicator_values(VILLAGE, "2010Q4")
    demo.indicators(regions=[TOWNSHIP], periods=["2010Q4", "2010"])
    demo.frame("finance_ledger_entry", region=VILLAGE, period="2010")
    demo.check(today=dt.date(2011, 3, 31))
    assert state(demo) == before


def test_the_schedule_is_kept_current_at_write_time(demo):
    from shequ_plugin_finance.models import LedgerEntry

    def stored(s, village_id, kind=None):
        sql = "SELECT obligation_key, due_date FROM finance_obligation WHERE region_id = :r" + (" AND kind = :k" if kind else "")
        return {k: str(d)[:10] for k, d in s.execute(text(sql), {"r": village_id, "k": kind})}

    with demo.reading() as s:
        village = demo.region(VILLAGE)
        majors = stored(s, village.id, "major")
        boards = stored(s, village.id, "board")
    result = demo.write(LedgerEntry, [{"region_id": village.id, "entry_date": "2010-11-02", "voucher_no": "记-2010-1102",
                                       "direction": "expense", "account_code": "551", "amount_fen": 6_000_000, "summary": "村道硬化"}])
    assert result.inserted == 1
    with demo.reading() as s:
        after = stored(s, village.id, "major")
    assert len(after) == len(majors) + 1  # the major item's obligation is stored with the entry, not by a read
    new = (set(after) - set(majors)).pop()
    assert after[new] > "2010-11-02"
    with demo.transaction() as s:
        from shequ_sdk import config

        config.set_value(s, "finance.quarterly_due_day", 25, village)
    with demo.reading() as s:
        moved = stored(s, village.id, "board")
    assert moved.keys() == boards.keys()
    assert moved["board:finance:2010Q4"] == "2011-01-25" != boards["board:finance:2010Q4"]
    assert Period.parse("2010Q4").end < dt.date(2011, 1, 25)
