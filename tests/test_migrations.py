"""Schema migrations (``shequ migrate``), on SQLite and PostgreSQL.

The previous schema is real: ``tests/data/schema_v1/demo.<backend>.sql.gz`` are dumps of the
demo database built by shequ-sdk at commit 88ac53e, before migrations existed (SQLite's
``iterdump`` and ``pg_dump --inserts``; see the README there). Each test loads one into a fresh
database, so the upgrade starts from tables, indexes and rows the old code made.
"""

from __future__ import annotations

import gzip
import hashlib
import sqlite3
from pathlib import Path
from typing import Optional

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

import shequ_sdk
from shequ_sdk import InputError, PluginError, Record, RecordTable, field, hookimpl, migrations
from shequ_sdk.registry import Migrations

DATA = Path(__file__).parent / "data" / "schema_v1"


def _load_previous_schema(url: str) -> None:
    """Fill an empty database from the dump the old code's demo database was saved as."""
    if url.startswith("sqlite"):
        script = gzip.decompress((DATA / "demo.sqlite.sql.gz").read_bytes()).decode()
        con = sqlite3.connect(url.split("sqlite:///", 1)[1])
        try:
            con.executescript(script)
        finally:
            con.close()
        return
    script = gzip.decompress((DATA / "demo.postgresql.sql.gz").read_bytes()).decode()
    engine = create_engine(url, poolclass=NullPool)  # the dump resets search_path: a connection of its own
    try:
        raw = engine.raw_connection()
        try:
            with raw.cursor() as cur:
                cur.execute(script)
            raw.commit()
        finally:
            raw.close()
    finally:
        engine.dispose()


def _snapshot(url: str, columns: Optional[dict[str, list[str]]] = None):
    """``({table: rows}, {table: sha256 of every listed column of every row, by id}, columns)``;
    the columns default to those the database has now."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            insp = inspect(conn)
            if columns is None:
                columns = {t: [c["name"] for c in insp.get_columns(t)] for t in insp.get_table_names() if t != "alembic_version"}
            counts, sums = {}, {}
            for table, cols in columns.items():
                quoted = ", ".join(f'"{c}"' for c in cols)
                order = '"id"' if "id" in cols else quoted
                h = hashlib.sha256()
                n = 0
                for row in conn.execute(text(f'SELECT {quoted} FROM "{table}" ORDER BY {order}')):
                    h.update(repr(tuple(row)).encode())
                    n += 1
                counts[table], sums[table] = n, h.hexdigest()
    finally:
        engine.dispose()
    return counts, sums, columns


@pytest.fixture
def previous(backend_url):
    """A database made by the previous schema (the old demo), not migrated."""
    _load_previous_schema(backend_url)
    return backend_url


def _versions(url: str) -> Optional[set[str]]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return migrations.stored_versions(conn)
    finally:
        engine.dispose()


def _differences(url: str) -> list:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return migrations.differences(conn)
    finally:
        engine.dispose()


def test_previous_schema_is_upgraded_in_place_and_every_row_kept(previous, cli):
    url = previous
    before_counts, before_sums, old_columns = _snapshot(url)
    assert sum(before_counts.values()) > 20_000 and before_counts["finance_posting"] > 100
    assert _versions(url) is None  # made before migrations

    code, out, err = cli("migrate", "--db", url, "--dry-run")
    assert code == 0, err
    pending = [s.revision for s in migrations.pending_for(url)]
    assert pending and all(f"将执行 / would apply: {rev}" in out for rev in pending), out
    assert "shequ_core_0001" not in pending and "finance_0001" not in pending  # the old tables are the baseline
    assert _versions(url) is None and _snapshot(url)[1] == before_sums  # a dry run changes nothing

    code, out, err = cli("migrate", "--db", url)
    assert code == 0, err
    assert "已按初始版本登记 / stamped at the baseline" in out
    for rev in pending:
        assert f"已执行 / applied: {rev}" in out
    if url.startswith("sqlite"):
        backup = Path(out.split("已备份 / backed up to: ", 1)[1].split()[0])
        assert backup.exists() and backup.name.startswith("test.db.bak-")
        assert _snapshot(f"sqlite:///{backup}")[1] == before_sums  # the backup is the database as it was

    after_counts, after_sums, _ = _snapshot(url, old_columns)
    assert after_counts == before_counts  # no row lost, none added
    assert after_sums == before_sums  # and every old column of every row unchanged

    # the new tables exist and the new columns carry their defaults
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            assert {"audit_log", "period_exception", "shequ_user"} <= tables
            assert conn.execute(text("SELECT COUNT(*) FROM finance_posting WHERE version = 1")).scalar() == before_counts["finance_posting"]
            assert conn.execute(text("SELECT COUNT(*) FROM finance_posting WHERE status = 'published' AND fingerprint IS NULL")).scalar() == 0
            # shequ_core_0007: the map columns, empty until positions are imported
            assert {"lon", "lat", "boundary"} <= {c["name"] for c in inspect(conn).get_columns("region")}
            assert conn.execute(text("SELECT COUNT(*) FROM region WHERE lon IS NULL AND lat IS NULL AND boundary IS NULL")).scalar() == before_counts["region"]
    finally:
        engine.dispose()
    assert _differences(url) == []  # the migrated database is exactly what the models describe

    versions = _versions(url)
    code, out, err = cli("migrate", "--db", url)
    assert (code, out.strip()) == (0, "已是最新 / up to date"), err  # twice is a no-op
    assert _versions(url) == versions and _snapshot(url, old_columns)[1] == before_sums

    with shequ_sdk.open(url) as sdk:  # opens, and the old data answers
        values = sdk.indicator_values("新尚村社区", "2010Q4")
        assert values["core.households"] > 0


def test_an_old_database_is_refused_until_migrated(previous, cli):
    with pytest.raises(InputError) as exc:
        shequ_sdk.open(previous)
    message = str(exc.value)
    engine = create_engine(previous, poolclass=NullPool)
    try:
        with engine.connect() as conn:  # a plugin newer than the dump has no tables there: migrate creates them
            absent = sorted(migrations.status(conn).absent)
        if absent:  # named first; the schema behind the heads is the next thing open would say
            assert f"数据库缺少新安装插件（{', '.join(absent)}）的数据表" in message
            with pytest.raises(InputError) as behind:
                migrations.check_current(engine, absent_ok=True)
            message = str(behind.value)
    finally:
        engine.dispose()
    expected = [head for head in migrations.heads() if head.rsplit("_", 1)[0] not in absent]
    assert "数据库结构版本落后（当前 无" in message and expected and all(head in message for head in expected)
    assert "请先运行 shequ migrate --db" in message and "run shequ migrate --db" in message

    code, out, err = cli("indicators", "--db", previous, "--region", "新尚村社区", "--period", "2010Q4")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "shequ migrate" in err and "Traceback" not in err
    code, out, err = cli("init", "--db", previous)  # init never papers over an old schema
    assert code == 2 and "shequ migrate" in err

    assert cli("migrate", "--db", previous)[0] == 0
    shequ_sdk.open(previous).close()


def test_a_new_database_is_at_every_head_and_matches_the_models(sdk):
    versions = _versions(sdk.url)
    assert migrations.reached(versions) >= set(migrations.heads())
    assert _differences(sdk.url) == []
    assert migrations.pending_for(sdk.url) == []


def test_the_migrations_alone_build_the_models_schema(backend_url):
    """No drift: a model changed without a migration fails here, on both backends."""
    result = migrations.upgrade(backend_url, empty_ok=True)
    assert {a.revision for a in result.applied} == {s.revision for s in migrations.script().walk_revisions()}
    assert _differences(backend_url) == []
    assert migrations.reached(_versions(backend_url)) >= set(migrations.heads())
    if backend_url.startswith("sqlite"):  # table options the comparison above does not see
        assert "AUTOINCREMENT" in _table_sql(backend_url, "indicator_dirty")


def test_a_new_sqlite_database_has_the_models_table_options(tmp_path):
    import shequ_sdk

    url = f"sqlite:///{tmp_path / 'new.db'}"
    shequ_sdk.open(url, create=True).close()
    assert "AUTOINCREMENT" in _table_sql(url, "indicator_dirty")


def _table_sql(url: str, table: str) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT sql FROM sqlite_master WHERE name = :t"), {"t": table}).scalar_one()
    finally:
        engine.dispose()


def test_plugins_installed_later_are_added_by_init_or_migrate(backend_url, plugin_sandbox, cli):
    plugin_sandbox.reset(entry_points=False)  # a database made with the core alone
    shequ_sdk.open(backend_url, create=True).close()
    core_only = _versions(backend_url)
    plugin_sandbox.reset()  # then the plugins are installed
    # their tables are missing: open refuses, naming them, with the command that adds them (issues 12, 19)
    with pytest.raises(shequ_sdk.InputError, match=r"lacks the tables of newly installed plugins \(.*finance.*\); run shequ migrate"):
        shequ_sdk.open(backend_url)
    code, _, err = cli("indicators", "--db", backend_url, "--region", "x", "--period", "2010")
    assert code == 2 and "缺少新安装插件" in err and "shequ migrate" in err and len(err.strip().splitlines()) == 1
    assert {s.revision for s in migrations.pending_for(backend_url)} >= {"finance_0001", "finance_0002", "elderly_0001"}
    code, out, err = cli("init", "--db", backend_url)
    assert code == 0, err
    assert migrations.pending_for(backend_url) == [] and _differences(backend_url) == []
    assert _versions(backend_url) > core_only and migrations.reached(_versions(backend_url)) >= set(migrations.heads())
    assert cli("migrate", "--db", backend_url)[1].strip() == "已是最新 / up to date"


def test_migrate_errors_are_one_line(cli, tmp_path):
    code, out, err = cli("migrate", "--db", str(tmp_path / "missing.db"))
    assert code == 2 and "数据库文件不存在" in err and len(err.strip().splitlines()) == 1
    sqlite3.connect(tmp_path / "empty.db").close()
    code, out, err = cli("migrate", "--db", str(tmp_path / "empty.db"))
    assert code == 2 and "不是 shequ 数据库" in err and "shequ init" in err
    code, out, err = cli("make-migration", "--branch", "nope", "-m", "x")
    assert code == 2 and "没有名为 nope 的迁移分支" in err and "shequ_core" in err and len(err.strip().splitlines()) == 1


# -- a plugin's own migrations ----------------------------------------------------------------------------

class ProbeNote(Record, table=True):
    """A plugin table whose second release adds a column."""

    __tablename__ = "mig_probe_note"
    title: str = field(label_zh="标题", label_en="Title")
    note: Optional[str] = field(default=None, label_zh="备注", label_en="Note")


FIRST_RELEASE = '''"""Probe plugin, first release: the note table without its note column."""
import sqlalchemy as sa
from alembic import op

revision = "probe_0001"
down_revision = None
branch_labels = ("probe",)
depends_on = None


def upgrade():
    op.create_table("mig_probe_note",
                    sa.Column("id", sa.Integer(), nullable=False),
                    sa.Column("region_id", sa.Integer(), nullable=False),
                    sa.Column("synthetic", sa.Boolean(), nullable=False),
                    sa.Column("title", sa.String(), nullable=False),
                    sa.ForeignKeyConstraint(["region_id"], ["region.id"]),
                    sa.PrimaryKeyConstraint("id"))
    op.create_index("ix_mig_probe_note_region_id", "mig_probe_note", ["region_id"])


def downgrade():
    op.drop_table("mig_probe_note")
'''


class ProbePlugin:
    def __init__(self, directory: Path):
        self.directory = directory

    @hookimpl
    def register_tables(self, register):
        register(RecordTable(model=ProbeNote, label_zh="探针备注", label_en="Probe notes"))

    @hookimpl
    def register_migrations(self, register):
        register(Migrations(branch="probe", path=self.directory))


def test_a_plugin_ships_its_own_migrations(sdk, cli, plugin_sandbox, places, tmp_path):
    with sdk.transaction() as s:
        region_id = places(s)["东村"].id
    directory = tmp_path / "probe_migrations"
    directory.mkdir()
    (directory / "probe_0001_notes.py").write_text(FIRST_RELEASE, encoding="utf-8")
    plugin_sandbox.register_plugin(ProbePlugin(directory), name="probe")  # the plugin is installed

    with pytest.raises(InputError, match=r"newly installed plugins \(probe\); run shequ migrate"):
        shequ_sdk.open(sdk.url)  # its tables are missing: open says to migrate
    code, out, err = cli("migrate", "--db", sdk.url)  # and migrate creates its table
    assert code == 0 and "已执行 / applied: probe_0001 (probe)" in out, err
    engine = create_engine(sdk.url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO mig_probe_note (region_id, synthetic, title) VALUES (:r, false, '一'), (:r, false, '二')"),
                         {"r": region_id})
    finally:
        engine.dispose()

    # the second release adds the column: its author generates the revision from the model
    code, out, err = cli("make-migration", "--branch", "probe", "-m", "note on probe notes")
    assert code == 0 and "已生成 / written" in out, err
    (written,) = [p for p in directory.glob("probe_0002_*.py")]
    source = written.read_text(encoding="utf-8")
    assert "revision: str = 'probe_0002'" in source and "add_column(sa.Column('note', sa.String()" in source
    assert "down_revision: Union[str, Sequence[str], None] = 'probe_0001'" in source
    assert cli("make-migration", "--branch", "probe", "-m", "again")[1].startswith("分支 probe 的模型与迁移一致")

    with pytest.raises(InputError, match="probe_0002"):
        shequ_sdk.open(sdk.url)
    code, out, err = cli("migrate", "--db", sdk.url)
    assert code == 0 and "已执行 / applied: probe_0002 (probe) note on probe notes" in out, err
    with shequ_sdk.open(sdk.url) as again:
        assert again.frame("mig_probe_note")["title"].tolist() == ["一", "二"]  # rows kept, the new column NULL
        again.write(ProbeNote, [{"region_id": region_id, "title": "三", "note": "新列"}])
        assert again.frame("mig_probe_note")["note"].tolist()[-1] == "新列"
    assert [d for d in _differences(sdk.url)] == []


BROKEN_RELEASE = '''"""Adds the column, then fails half-way (a data step that cannot run)."""
import sqlalchemy as sa
from alembic import op

revision = "probe_0002"
down_revision = "probe_0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("mig_probe_note") as batch_op:
        batch_op.add_column(sa.Column("note", sa.String(), nullable=True))
    op.execute("UPDATE mig_probe_note SET note = title")
    op.execute("SELECT * FROM no_such_table")


def downgrade():
    pass
'''


def test_a_failing_revision_leaves_the_database_unchanged(sdk, cli, plugin_sandbox, places, tmp_path):
    with sdk.transaction() as s:
        places(s)
    directory = tmp_path / "probe_migrations"
    directory.mkdir()
    (directory / "probe_0001_notes.py").write_text(FIRST_RELEASE, encoding="utf-8")
    (directory / "probe_0002_broken.py").write_text(BROKEN_RELEASE, encoding="utf-8")
    plugin_sandbox.register_plugin(ProbePlugin(directory), name="probe")
    before = _versions(sdk.url)

    code, out, err = cli("migrate", "--db", sdk.url)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "迁移失败，已全部回滚，数据库未改变" in err and "no_such_table" in err
    # nothing of the run stayed: not probe_0001's table, not probe_0002's column, not a version
    assert _versions(sdk.url) == before
    engine = create_engine(sdk.url, poolclass=NullPool)
    try:
        assert "mig_probe_note" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_a_migrations_directory_that_does_not_exist_is_the_plugins_error(plugin_sandbox, tmp_path):
    plugin_sandbox.register_plugin(ProbePlugin(tmp_path / "nowhere"), name="probe")
    plugin_sandbox.registry()
    failure = plugin_sandbox.state().failures["probe"]
    assert "register_migrations" in failure and "nowhere" in failure
    assert "probe" not in migrations.locations()
    with pytest.raises(PluginError):
        from shequ_sdk.registry import Registry, make_register

        make_register(Registry(), "migrations", "probe", Migrations)(Migrations(branch="probe", path=tmp_path / "nowhere"))
