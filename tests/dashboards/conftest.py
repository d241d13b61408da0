"""Fixtures for the dashboard tests that need no browser: a demo database per test (SQLite,
copied from one built per session) and Panel state reset after each test."""

from __future__ import annotations

import shutil

import pytest

_BUILT: dict[str, str] = {}


@pytest.fixture
def demo_sdk(tmp_path, tmp_path_factory):
    """The demo database on SQLite, fresh for each test (the ``demo`` fixture covers PostgreSQL too)."""
    import shequ_sdk

    if "path" not in _BUILT:
        path = tmp_path_factory.mktemp("dash-demo") / "demo.db"
        s = shequ_sdk.open(str(path), create=True)
        s.build_demo()
        s.close()
        _BUILT["path"] = str(path)
    target = tmp_path / "demo.db"
    shutil.copy(_BUILT["path"], target)
    s = shequ_sdk.open(str(target))
    yield s
    s.close()


@pytest.fixture(autouse=True)
def _panel_state():
    yield
    import panel as pn

    pn.state.reset()
