"""Fixtures for the dashboard tests that need no browser: a demo database per test (SQLite,
copied from one built per session) and Panel state reset after each test."""

from __future__ import annotations

import pytest

from shequ_sdk.testing import sqlite_demo_copy


@pytest.fixture
def demo_sdk(tmp_path, tmp_path_factory):
    """The demo database on SQLite, fresh for each test (the ``demo`` fixture covers PostgreSQL too)."""
    import shequ_sdk

    target = tmp_path / "demo.db"
    sqlite_demo_copy(tmp_path_factory, target)
    s = shequ_sdk.open(str(target))
    yield s
    s.close()


@pytest.fixture(autouse=True)
def _panel_state():
    yield
    import panel as pn

    pn.state.reset()
