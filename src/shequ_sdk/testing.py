"""pytest fixtures for shequ-sdk and its plugins.

Installing shequ-sdk registers this module as a pytest plugin (the ``pytest11`` entry point
``shequ_sdk``), so a plugin's tests use the fixtures with no ``conftest.py``. Scope and cost:

- ``backend_url`` (function): an empty database URL, parametrised over SQLite and PostgreSQL —
  every test that uses it (or ``sdk``/``demo``) runs twice. SQLite: a file in ``tmp_path``, free.
  PostgreSQL needs ``SHEQU_TEST_PG_URL`` (``.ci/pg-start`` starts a throwaway server); a fresh
  database is created and dropped per test (~0.2 s). Without it the PostgreSQL cases skip — or
  fail when ``SHEQU_TEST_STRICT=1``.
- ``sdk`` (function): an initialised, empty ``Shequ`` on that backend (creating every loaded
  plugin's tables: ~0.1 s on SQLite, ~0.5 s on PostgreSQL).
- ``demo`` (function): the demo database on that backend. It is built through every loaded
  plugin's ``populate`` once per session and backend (a few seconds with the eight built-in
  plugins), then copied for each test (SQLite: a file copy; PostgreSQL: ``CREATE DATABASE …
  TEMPLATE``), so a test may write to it freely.
- ``cli`` (function): runs ``shequ`` in-process, ``cli("indicators", "--db", url, …)`` →
  ``(exit code, stdout, stderr)``; free.
- ``render_view`` (function): ``render_view(key, sdk, region=…, period=…, role=…, lang=…)``
  loads the plotting extension (HoloViews' Bokeh backend, as the dashboard does, so ``.opts()``
  works), renders the registered view for a dashboard store of that region and period as that
  role sees it, and fails the test if the view shows an error card. Loading Panel and HoloViews
  costs ~2 s once per process.
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
        # the same lazy proxy the CLI uses, so code reaching for ``.rich`` (Progress) works here too
        climod.out = climod._Console(file=o, width=200)
        climod.err = climod._Console(file=e, width=200)
        code = 0
        with redirect_stdout(o), redirect_stderr(e):
            try:
                climod.main(list(args))
            except SystemExit as exc:
                code = exc.code or 0
        return code, o.getvalue(), e.getvalue()

    return run


def render_registered_view(key: str, sdk, *, region: str, period: str = "2010", role=None, scope=None, lang: str = "zh", as_of=None):
    """What the ``render_view`` fixture hands a test: the Panel object the dashboard shows for the
    registered view ``key``, for a store of ``region`` and ``period`` as ``role`` sees it.

    ``role`` is ``None`` (the local, unscoped user), ``"admin"``, ``"township"`` or ``"village"``;
    a township or village user is scoped to ``scope`` (default: ``region``). The test fails,
    naming the error, when the view raises (the dashboard would show an error card).
    """
    from .plugin_check import load_plotting, render_for, store_for
    from .plugins import registry

    load_plotting()
    views = registry().views
    if key not in views:
        pytest.fail(f"no view {key!r} is registered (registered: {', '.join(sorted(views))})")
    store = store_for(sdk, region=region, period=period, role=role, scope=scope, lang=lang, as_of=as_of)
    obj, exc = render_for(views[key], store)
    if exc is not None:
        pytest.fail(f"view {key} shows an error card for {role or 'the local user'} at {region} {period}: {type(exc).__name__}: {exc}")
    return obj


@pytest.fixture
def render_view():
    """``render_view(key, sdk, *, region, period="2010", role=None, scope=None, lang="zh", as_of=None)``:
    see :func:`render_registered_view`. Loads the plotting extension first."""
    from .plugin_check import load_plotting

    load_plotting()
    return render_registered_view


DRAFT_TITLE = "草稿：村部维修费用（尚未审核）"


def portal_cases(sdk, village: str = "北庄村") -> dict:
    """On a demo database: correct one published finance posting of ``village`` (the old version
    becomes superseded, the new one published) and add a draft that must never be public. Returns
    ``{"old": short fp, "new": short fp, "draft_title", "reason", "village"}``."""
    import datetime as dt

    from sqlalchemy import select

    from shequ_plugin_finance import workflow
    from shequ_plugin_finance.models import Posting, PostingItem

    from .auth import Actor
    from .records import write
    from .regions import find_region

    reason = "第2项支出金额录入有误"
    with sdk.transaction() as s:
        region = find_region(s, village)
        old = s.execute(select(Posting).where(Posting.region_id == region.id, Posting.status == "published",
                                              Posting.board == "finance").order_by(Posting.id)).scalars().first()
        new = workflow.correct(s, old.id, reason)
        item = s.execute(select(PostingItem).where(PostingItem.posting_id == new.id).order_by(PostingItem.line_no)).scalars().first()
        if item is not None and item.amount_fen is not None:  # the correction changes the first amount by 1 元
            row = {c: getattr(item, c) for c in ("region_id", "posting_id", "line_no", "title", "content", "direction", "account_code",
                                                 "ledger_entry_id", "synthetic")}
            write(session=s, table=PostingItem, rows=[{**row, "amount_fen": item.amount_fen + 100}], mode="upsert")
        workflow.review(s, new.id, reviewer_name="李监督", review_date=dt.date(2026, 11, 20))
        # the board prints who approved and published (their user names); admins here, named as people
        workflow.approve(s, new.id, Actor(username="刘建国", role="admin"))
        workflow.publish(s, new.id, Actor(username="周秀英", role="admin"), posted_on=dt.date(2026, 11, 22))
        old_fp = workflow.short_fingerprint(s.get(Posting, old.id).fingerprint)
        new_fp = workflow.short_fingerprint(s.get(Posting, new.id).fingerprint)
        write(session=s, table=Posting, rows=[{"region_id": region.id, "board": "finance", "period": "2026Q4", "title": DRAFT_TITLE}])
    return {"old": old_fp, "new": new_fp, "draft_title": DRAFT_TITLE, "reason": reason, "village": village}


def printed_indicators(cli, db: str, region: str, period: str) -> dict[str, str]:
    """``shequ indicators`` as printed (its table), as ``{key: value text}``; ``cli`` is the
    :func:`cli` fixture's runner."""
    import re

    code, out, err = cli("indicators", "--db", db, "--region", region, "--period", period)
    assert code == 0, err
    values = {}
    for line in out.splitlines():
        cells = [c.strip() for c in re.split(r"[│┃|]", line)]
        cells = [c for c in cells if c]
        if len(cells) == 3 and re.fullmatch(r"[a-z_]+\.[a-z0-9_]+", cells[0]):
            values[cells[0]] = cells[2]
    assert values, out
    return values
