"""pytest fixtures for shequ-sdk and its plugins (loaded by the root ``conftest.py``; a
third-party plugin can use them with ``pytest_plugins = ["shequ_sdk.testing"]``).

- ``backend_url`` is parametrised over SQLite and PostgreSQL. PostgreSQL needs
  ``SHEQU_TEST_PG_URL`` (``.ci/run`` starts a throwaway server and sets it); without it the
  PostgreSQL cases skip — or fail when ``SHEQU_TEST_STRICT=1``.
- ``sdk`` is an empty, initialised ``Shequ`` on that backend; ``demo`` is the demo database.
"""

from __future__ import annotations

import os
import uuid

import pytest

STRICT = os.environ.get("SHEQU_TEST_STRICT") == "1"


def need(condition: bool, reason: str) -> None:
    """Skip with ``reason`` when ``condition`` is false — or fail under SHEQU_TEST_STRICT=1."""
    if condition:
        return
    if STRICT:
        pytest.fail(f"SHEQU_TEST_STRICT=1 but a test dependency is missing: {reason}")
    pytest.skip(reason)


def _pg_database(base_url: str) -> str:
    """Create a fresh database on the test server and return its URL."""
    from sqlalchemy import create_engine, text

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base_url.rsplit("/", 1)[0] + "/" + name


def _pg_drop(base_url: str, url: str) -> None:
    from sqlalchemy import create_engine, text

    name = url.rsplit("/", 1)[1]
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_url(request, tmp_path):
    """A URL for an empty database on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    base = os.environ.get("SHEQU_TEST_PG_URL")
    need(bool(base), "PostgreSQL not available: set SHEQU_TEST_PG_URL (the .ci/run script starts one)")
    url = _pg_database(base)
    yield url
    _pg_drop(base, url)


@pytest.fixture
def sdk(backend_url):
    """An initialised, empty shequ database on each backend."""
    import shequ_sdk

    s = shequ_sdk.open(backend_url, create=True)
    yield s
    s.close()


_DEMO_CACHE: dict[str, str] = {}


def sqlite_demo_copy(tmp_path_factory, target) -> None:
    """Copy the session's SQLite demo database (built on first use) to ``target``."""
    import shutil

    import shequ_sdk

    if "sqlite" not in _DEMO_CACHE:
        path = tmp_path_factory.mktemp("demo") / "demo.db"
        s = shequ_sdk.open(str(path), create=True)
        s.build_demo()
        s.close()
        _DEMO_CACHE["sqlite"] = str(path)
    shutil.copy(_DEMO_CACHE["sqlite"], target)


@pytest.fixture
def demo(backend_url, tmp_path_factory):
    """The demo database on each backend (SQLite built once per session and copied)."""
    import shequ_sdk

    if backend_url.startswith("sqlite"):
        sqlite_demo_copy(tmp_path_factory, backend_url.split("sqlite:///", 1)[1])
        s = shequ_sdk.open(backend_url)
    else:
        # build the demo once per session into a template database, then copy it per test
        base = os.environ["SHEQU_TEST_PG_URL"]
        if "postgresql" not in _DEMO_CACHE:
            tpl = _pg_database(base)
            s = shequ_sdk.open(tpl, create=True)
            s.build_demo()
            s.close()
            _DEMO_CACHE["postgresql"] = tpl
        _pg_recreate_from(base, backend_url, _DEMO_CACHE["postgresql"])
        s = shequ_sdk.open(backend_url)
    yield s
    s.close()


def _pg_recreate_from(base_url: str, url: str, template_url: str) -> None:
    from sqlalchemy import create_engine, text

    name, tpl = url.rsplit("/", 1)[1], template_url.rsplit("/", 1)[1]
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{tpl}"'))
    admin.dispose()


@pytest.fixture
def cli():
    """Run the ``shequ`` CLI in-process: ``cli("indicators", "--db", path, …)`` → (code, stdout, stderr)."""
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from shequ_sdk import cli as climod

    def run(*args: str):
        o, e = io.StringIO(), io.StringIO()
        from rich.console import Console

        climod.out = Console(file=o, width=200)
        climod.err = Console(file=e, width=200)
        code = 0
        with redirect_stdout(o), redirect_stderr(e):
            try:
                climod.main(list(args))
            except SystemExit as exc:
                code = exc.code or 0
        return code, o.getvalue(), e.getvalue()

    return run
