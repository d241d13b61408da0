"""The settings every SDK connection gets (``shequ_sdk.db.make_engine``), on each backend.

PostgreSQL: ``jit = off``. The indicator statements' correlated status subqueries are costed high
enough to trigger JIT compilation, which took ~6 s of a 6.7 s statement on the benchmark county
(``docs/performance.md``, measure 5) — the dashboard's data was 7× the hand-written SQL's.
SQLite: write-ahead log, foreign keys, the busy timeout.
"""

from __future__ import annotations

from sqlalchemy import text


def test_every_connection_is_set_up(sdk):
    # two connections at once: the setting belongs to each new connection, not to one session
    with sdk.engine.connect() as a, sdk.engine.connect() as b:
        for conn in (a, b):
            if sdk.engine.dialect.name == "postgresql":
                assert conn.execute(text("SHOW jit")).scalar_one() == "off"
            else:
                assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
                assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
                assert conn.execute(text("PRAGMA busy_timeout")).scalar_one() == 10000
