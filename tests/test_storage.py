"""Storage: SQLite in WAL mode with foreign keys on, foreign keys and transactions on both
backends, and how databases are named and opened."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

import shequ_sdk
from shequ_sdk import Household, InputError, NotFoundError, Region
from shequ_sdk import db as dbmod
from shequ_sdk.regions import create_region


def count(sdk, model) -> int:
    with sdk.transaction() as s:
        return s.execute(select(func.count()).select_from(model)).scalar()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    path = tmp_path / "wal.db"
    with shequ_sdk.open(path, create=True) as sdk:
        # every pooled connection gets the pragmas, not just the first
        conns = [sdk.engine.connect() for _ in range(3)]
        try:
            for c in conns:
                assert c.execute(text("PRAGMA journal_mode")).scalar() == "wal"
                assert c.execute(text("PRAGMA foreign_keys")).scalar() == 1
                assert c.execute(text("PRAGMA busy_timeout")).scalar() == 10000
        finally:
            for c in conns:
                c.close()
        with sdk.transaction() as s:
            create_region(session=s, name="县", kind="county")
        assert Path(str(path) + "-wal").exists()


def test_foreign_keys_are_enforced(sdk):
    with pytest.raises(IntegrityError), sdk.transaction() as s:
        s.execute(text("INSERT INTO household (region_id, synthetic, number, head_name, members) VALUES (999999, false, '1', '王伟', 1)"))
    assert count(sdk, Household) == 0


def test_transaction_commits_on_success(sdk):
    with sdk.transaction() as s:
        county = create_region(session=s, name="县", kind="county")
        create_region(session=s, name="镇", kind="township", parent=county)
    assert count(sdk, Region) == 2


def test_transaction_rolls_back_everything_on_error(sdk):
    with pytest.raises(RuntimeError), sdk.transaction() as s:
        county = create_region(session=s, name="县", kind="county")
        create_region(session=s, name="镇", kind="township", parent=county)
        assert s.execute(select(func.count()).select_from(Region)).scalar() == 2  # visible inside
        raise RuntimeError("something went wrong after the writes")
    assert count(sdk, Region) == 0


def test_concurrent_sessions_do_not_see_uncommitted_rows(sdk):
    with sdk.transaction() as writer:
        create_region(session=writer, name="县", kind="county")
        writer.flush()
        with sdk.transaction() as reader:
            assert reader.execute(select(func.count()).select_from(Region)).scalar() == 0
    assert count(sdk, Region) == 1


def test_open_refuses_missing_files_and_foreign_databases(tmp_path):
    with pytest.raises(NotFoundError) as exc:
        shequ_sdk.open(tmp_path / "missing.db")
    assert "数据库文件不存在" in exc.value.zh and "database file not found" in exc.value.en
    assert not (tmp_path / "missing.db").exists()  # opening must not create it
    (tmp_path / "other.db").write_bytes(b"")
    with pytest.raises(InputError) as exc:
        shequ_sdk.open(tmp_path / "other.db")
    assert "不是 shequ 数据库" in exc.value.zh and "is not a shequ database" in exc.value.en


def test_create_is_idempotent(backend_url):
    with shequ_sdk.open(backend_url, create=True) as sdk, sdk.transaction() as s:
        create_region(session=s, name="县", kind="county")
    with shequ_sdk.open(backend_url, create=True) as sdk:
        assert count(sdk, Region) == 1


def test_database_names(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHEQU_DATABASE_URL", raising=False)
    assert dbmod.resolve_url("a.db") == f"sqlite:///{tmp_path / 'a.db'}"
    assert dbmod.resolve_url(None) == f"sqlite:///{tmp_path / 'shequ.db'}"
    monkeypatch.setenv("SHEQU_DATABASE_URL", "postgresql+psycopg://u@h/db")
    assert dbmod.resolve_url(None) == "postgresql+psycopg://u@h/db"
    for bad in ("postgresql+psycopg://u@h:notaport/db", "nosuchdb://x/y", "postgresql+nodriver://h/db"):
        with pytest.raises(InputError) as exc:
            dbmod.resolve_url(bad)
        assert "数据库地址无效" in exc.value.zh and bad in exc.value.en
