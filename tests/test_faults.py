"""Faults named truthfully (issue 12): a SQLite database on read-only media opens read-only; a
database from a newer schema says to upgrade shequ-sdk, and ``shequ migrate`` refuses it before
any backup; a database lacking an installed plugin's tables says to run ``shequ migrate``; a
PostgreSQL server that stopped is named as unreachable. CLI messages are one line in both
languages, never a traceback nor "try shequ migrate" for what a migration cannot fix."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from sqlalchemy import text

import shequ_sdk
from shequ_sdk import db as dbmod
from shequ_sdk.errors import DatabaseUnavailable, InputError
from shequ_sdk.testing import need

from .conftest import shequ_command

NOBODY = 65534


def one_line(result, zh: str, en: str) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert zh in lines[0] and en in lines[0], lines[0]
    return lines[0]


# -- read-only media ------------------------------------------------------------------------------

@pytest.fixture
def read_only_demo(tmp_path_factory):
    """The demo in a folder this test's process cannot write. Root writes through any
    permission, so as root the commands run as ``nobody`` (the folder 0755, the file 0644, both
    root's); otherwise the folder and file are made read-only."""
    from shequ_sdk.testing import sqlite_demo_copy

    folder = Path(tempfile.mkdtemp(prefix="shequ-ro-"))
    path = folder / "demo.db"
    sqlite_demo_copy(tmp_path_factory, path)
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    as_root = os.geteuid() == 0
    if as_root:
        os.chmod(folder, 0o755)
        os.chmod(path, 0o644)
    else:
        os.chmod(path, 0o444)
        os.chmod(folder, 0o555)
    before = path.read_bytes()

    if as_root:
        need(shutil.which("setpriv") is not None, "setpriv (util-linux) is needed to run the CLI as nobody")
    drop = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"] if as_root else []

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SHEQU_")} | {"COLUMNS": "300", "HOME": str(folder)}
        return subprocess.run([*drop, *shequ_command(), *args], capture_output=True, text=True, env=env, cwd=folder, input=stdin,
                              timeout=180)

    yield path, run
    assert path.read_bytes() == before  # nothing was written
    os.chmod(folder, 0o755)
    shutil.rmtree(folder, ignore_errors=True)


def test_a_read_only_database_reads_and_refuses_writes_with_that_reason(read_only_demo):
    need(os.access(shequ_command()[0], os.X_OK), "the shequ console script is not installed")
    path, run = read_only_demo
    reads = run("indicators", "--db", str(path), "--region", "南洲村", "--period", "2010", "--json")
    assert reads.returncode == 0, reads.stderr
    assert '"core.households"' in reads.stdout
    verified = run("verify", "--db", str(path))
    assert verified.returncode == 0 and "校验通过" in verified.stdout, verified.stdout + verified.stderr
    zh, en = f"数据库 {path} 为只读（只读介质或没有写权限）：可以读取，不能写入", "is read-only (read-only media or no write permission): reads work, writes are refused"
    line = one_line(run("lock", "grant", "--db", str(path), "--region", "南洲村", "--period", "2010Q4", "--reason", "补录",
                        "--until", "2011-04-30", "--today", "2011-03-31"), zh, en)
    assert "unable to open" not in line and "migrate" not in line
    one_line(run("user", "add", "li", "--role", "admin", "--password-stdin", "--db", str(path), stdin="a long enough password 1\n"), zh, en)
    one_line(run("migrate", "--db", str(path)), zh, en)


def test_the_sdk_opens_a_read_only_file_read_only(tmp_path, monkeypatch, places):
    """In-process: the SDK side of the same, with the file system's answer simulated (a root
    process can write any file, so the check's answer is what is replaced)."""
    path = tmp_path / "t.db"
    with shequ_sdk.open(path, create=True) as sdk, sdk.transaction() as s:
        village = places(s)["东村"].id
    monkeypatch.setattr(dbmod, "sqlite_read_only", lambda p: True)
    with shequ_sdk.open(path) as ro:
        assert dbmod.is_read_only(ro.engine)
        assert ro.frame("household").empty  # reads work
        with pytest.raises(DatabaseUnavailable, match="writes are refused"):
            ro.write("household", [{"region_id": village, "number": "1", "head_name": "张三", "members": 1}])


# -- a newer schema --------------------------------------------------------------------------------

def test_a_newer_schema_says_upgrade_and_migrate_refuses_before_any_backup(backend_url, cli, tmp_path):
    shequ_sdk.open(backend_url, create=True).close()
    engine = dbmod.make_engine(backend_url)
    with engine.begin() as conn:  # as a newer shequ-sdk would leave it
        conn.execute(text("UPDATE alembic_version SET version_num = 'shequ_core_9999' WHERE version_num LIKE 'shequ_core%'"))
    engine.dispose()
    with pytest.raises(InputError, match=r"newer than this installation: upgrade shequ-sdk"):
        shequ_sdk.open(backend_url)
    zh, en = "比本安装的 shequ-sdk 新：请升级 shequ-sdk", "has a schema (shequ_core_9999) newer than this installation: upgrade shequ-sdk"
    for args in (("verify",), ("migrate", "--dry-run"), ("migrate",)):
        code, out, err = cli(*args, "--db", backend_url)
        assert code == 2 and zh in err and en in err and len(err.strip().splitlines()) == 1, err
        assert "behind" not in err and "baseline" not in out
    if backend_url.startswith("sqlite"):
        folder = Path(backend_url.split("sqlite:///", 1)[1]).parent
        assert not list(folder.glob("*.bak-*"))  # refused before the backup


def test_open_refuses_a_database_behind_the_installed_plugins(backend_url, cli):
    shequ_sdk.open(backend_url, create=True).close()
    engine = dbmod.make_engine(backend_url)
    with engine.begin() as conn:  # as if the sanitation plugin were installed after the database was made
        conn.execute(text("DROP TABLE sanitation_collection_run"))
        conn.execute(text("DROP TABLE sanitation_bin"))
        conn.execute(text("DELETE FROM alembic_version WHERE version_num LIKE 'sanitation%'"))
    engine.dispose()
    with pytest.raises(InputError, match=r"lacks the tables of newly installed plugins \(sanitation\); run shequ migrate"):
        shequ_sdk.open(backend_url)
    code, _, err = cli("verify", "--db", backend_url)
    assert code == 2 and "缺少新安装插件（sanitation）的数据表，请先运行 shequ migrate" in err
    code, out, err = cli("migrate", "--db", backend_url)
    assert code == 0 and "sanitation_0001" in out, err
    shequ_sdk.open(backend_url).close()


# -- PostgreSQL stopped ------------------------------------------------------------------------------

def _free_port(preferred: int = 54410) -> int:
    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return s.getsockname()[1]
            except OSError:
                continue
    raise RuntimeError("no free port")


@pytest.fixture
def stopped_postgres():
    """A throwaway PostgreSQL (as .ci/pg-start starts one) holding a shequ database, then stopped.
    Yields the database's URL (with a password in it, which no message may show)."""
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    need(bool(bins) and shutil.which("runuser") is not None and os.geteuid() == 0,
         "PostgreSQL server binaries (and root, to run them as postgres) are needed to stop a server")
    bin_dir = bins[-1].parent
    port = _free_port()
    folder = Path(tempfile.mkdtemp(prefix="shequ-pg-stop-"))
    data, sock = folder / "data", folder / "sock"
    sock.mkdir()
    shutil.chown(folder, "postgres")
    shutil.chown(sock, "postgres")

    def as_postgres(*cmd):
        subprocess.run(["runuser", "-u", "postgres", "--", *cmd], check=True, capture_output=True, timeout=120)

    started = False
    try:
        as_postgres(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8")
        as_postgres(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-w", "-t", "30",
                    "-o", f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
        started = True
        admin = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        engine = dbmod.make_engine(admin)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("CREATE DATABASE shequ_stop"))
        engine.dispose()
        url = f"postgresql+psycopg://postgres:s3cret-pw@127.0.0.1:{port}/shequ_stop"
        shequ_sdk.open(url, create=True).close()
        as_postgres(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        started = False
        yield url, port
    finally:
        if started:
            subprocess.run(["runuser", "-u", "postgres", "--", str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                           capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


def test_a_stopped_postgres_is_named_unreachable(stopped_postgres, shequ):
    url, port = stopped_postgres
    zh, en = f"无法连接数据库服务器 127.0.0.1:{port}", f"the database server at 127.0.0.1:{port} is unreachable"
    for args in (("indicators", "--region", "南洲村", "--period", "2010"), ("verify",), ("migrate", "--dry-run")):
        result = shequ(*args, "--db", url)
        line = one_line(result, zh, en)
        assert "s3cret-pw" not in line and "migrate" not in line and "schema" not in line
    with pytest.raises(DatabaseUnavailable, match="unreachable"):
        shequ_sdk.open(url)


def test_is_unreachable_tells_a_connection_failure_from_a_statement_error(sdk):
    started = time.perf_counter()
    engine = dbmod.make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/x")
    try:
        with pytest.raises(Exception) as refused:
            engine.connect()
    finally:
        engine.dispose()
    assert dbmod.is_unreachable(refused.value) and time.perf_counter() - started < 30
    with pytest.raises(Exception) as bad_sql:
        with sdk.engine.connect() as c:
            c.execute(text("SELECT * FROM no_such_table"))
    assert not dbmod.is_unreachable(bad_sql.value)
    assert not dbmod.is_unreachable(ValueError("connection refused"))
