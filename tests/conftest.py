"""Fixtures shared by the core tests: a small county to write to, plugin isolation, and the
``shequ`` command run as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def places():
    """``build(session) -> {name: Region}``: 测试县 with 甲镇 (东村, 西村) and 乙镇 (南社区)."""
    from shequ_sdk.regions import create_region

    def build(session):
        county = create_region(session=session, name="测试县", kind="county", code="430999", kind_label="县")
        t1 = create_region(session=session, name="甲镇", kind="township", parent=county, code="430999100000")
        t2 = create_region(session=session, name="乙镇", kind="township", parent=county, code="430999101000")
        return {
            "测试县": county, "甲镇": t1, "乙镇": t2,
            "东村": create_region(session=session, name="东村", kind="village", parent=t1, code="430999100200"),
            "西村": create_region(session=session, name="西村", kind="village", parent=t1, code="430999100201"),
            "南社区": create_region(session=session, name="南社区", kind="community", parent=t2, code="430999101001"),
        }

    return build


@pytest.fixture
def plugin_sandbox():
    """Hand the test ``shequ_sdk.plugins``; afterwards reload the real plugins and put the CLI
    back as it was, so nothing a test registers leaks into later tests (plugin CLI commands
    are added to the one typer app once per process)."""
    from shequ_sdk import cli as climod
    from shequ_sdk import plugins

    app = climod.app
    saved = (list(app.registered_commands), list(app.registered_groups), climod._commands_loaded, climod.out, climod.err)
    try:
        yield plugins
    finally:
        plugins.reset()
        app.registered_commands[:] = saved[0]
        app.registered_groups[:] = saved[1]
        climod._commands_loaded, climod.out, climod.err = saved[2:]


@pytest.fixture
def only_plugins(plugin_sandbox):
    """``only_plugins(*plugins)``: the SDK's defaults plus exactly these in-test plugins (no
    entry points), undone after the test."""

    def use(*extra):
        return plugin_sandbox.reset(entry_points=False, extra=extra)

    return use


def shequ_command() -> list[str]:
    """The installed ``shequ`` console script next to this interpreter (or ``python -m``)."""
    script = Path(sys.executable).with_name("shequ")
    return [str(script)] if script.exists() else [sys.executable, "-m", "shequ_sdk.cli"]


@pytest.fixture
def shequ(tmp_path):
    """Run ``shequ`` as a separate process: ``shequ(*args, env={...})`` → CompletedProcess.

    ``env`` entries are added to this process's environment; a value of ``None`` removes one.
    """

    def run(*args: str, env: dict | None = None, cwd=None, timeout: float = 180) -> subprocess.CompletedProcess:
        full = dict(os.environ)
        full.pop("SHEQU_TRACE_HOOKS", None)
        full.pop("SHEQU_LOAD_PLUGINS", None)
        full.pop("SHEQU_DATABASE_URL", None)
        for key, value in (env or {}).items():
            if value is None:
                full.pop(key, None)
            else:
                full[key] = value
        return subprocess.run([*shequ_command(), *args], capture_output=True, text=True, env=full,
                              cwd=cwd or tmp_path, timeout=timeout, stdin=subprocess.DEVNULL)

    return run


@pytest.fixture
def lock_world(sdk):
    """The period-lock tests' county: 南县 with 茅草街镇 (新尚村社区, 东村) and 南洲镇 (南洲村), and the actors of each level."""
    from shequ_sdk.auth import Actor
    from shequ_sdk.regions import create_region

    with sdk.transaction() as s:
        county = create_region(session=s, name="南县", kind="county", code="430921")
        t1 = create_region(session=s, name="茅草街镇", kind="township", parent=county)
        t2 = create_region(session=s, name="南洲镇", kind="township", parent=county)
        ids = {"南县": county.id, "茅草街镇": t1.id, "南洲镇": t2.id,
               "新尚村社区": create_region(session=s, name="新尚村社区", kind="community", parent=t1).id,
               "东村": create_region(session=s, name="东村", kind="village", parent=t1).id,
               "南洲村": create_region(session=s, name="南洲村", kind="village", parent=t2).id}
    sdk.ids = ids
    sdk.village = Actor("cunwei", "village", ids["新尚村社区"])
    sdk.township = Actor("zhenli", "township", ids["茅草街镇"])
    sdk.other_township = Actor("nanzhou", "township", ids["南洲镇"])
    return sdk
