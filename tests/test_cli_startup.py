"""``shequ --help`` answers without importing the data stack: no SQLAlchemy, SQLModel, pandas,
Panel, HoloViews, Bokeh, openpyxl or WeasyPrint, and yet it lists the plugins' commands, which
it remembers per installation (``shequ_sdk.cli_cache``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

HEAVY = ("sqlalchemy", "sqlmodel", "pandas", "panel", "holoviews", "bokeh", "openpyxl", "weasyprint", "numpy")
PROBE = """
import io, json, sys
from contextlib import redirect_stdout
from shequ_sdk.cli import main
out = io.StringIO()
with redirect_stdout(out):
    try:
        main(sys.argv[1:])
    except SystemExit as exc:
        code = exc.code or 0
    else:
        code = 0
print(json.dumps({"code": code, "help": out.getvalue(), "heavy": sorted(m for m in %r if m in sys.modules)}))
""" % (HEAVY,)


def probe(cache, *args: str) -> dict:
    env = {**os.environ, "SHEQU_CACHE_DIR": str(cache), "COLUMNS": "120"}
    done = subprocess.run([sys.executable, "-c", PROBE, *args], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def cache(tmp_path):
    return tmp_path / "cache"


def test_help_lists_plugin_commands_without_importing_the_data_stack(cache):
    first = probe(cache, "--help")  # no cache yet: the plugins are loaded, and their commands remembered
    assert first["code"] == 0 and "sqlmodel" in first["heavy"]
    assert (cache / "commands.json").exists()
    second = probe(cache, "--help")
    assert second["code"] == 0 and second["heavy"] == []
    for command in ("finance", "stability", "civility", "indicators", "lock", "verify"):
        assert f" {command} " in second["help"], command
    assert second["help"] == first["help"]  # the remembered listing is the loaded one
    assert probe(cache)["help"] == second["help"]  # `shequ` alone shows the same help


def test_a_core_command_does_not_load_the_plugins_and_a_plugin_command_does(cache):
    probe(cache, "--help")
    core = probe(cache, "lock", "--help")
    assert core["code"] == 0 and "grant" in core["help"] and not {"pandas", "panel", "holoviews", "bokeh"} & set(core["heavy"])
    plugin = probe(cache, "finance", "--help")
    assert plugin["code"] == 0 and "sqlmodel" in plugin["heavy"] and "correct" in plugin["help"]


def test_a_changed_installation_is_not_served_from_a_stale_cache(cache, monkeypatch):
    probe(cache, "--help")
    stored = json.loads((cache / "commands.json").read_text(encoding="utf-8"))
    stored["commands"] = [{"name": "ghost", "help": "stale"}]
    (cache / "commands.json").write_text(json.dumps(stored), encoding="utf-8")
    assert " ghost " in probe(cache, "--help")["help"]  # the same fingerprint: the file is trusted
    monkeypatch.setenv("SHEQU_LOAD_PLUGINS", "finance")  # another plugin set: another fingerprint
    listing = probe(cache, "--help")["help"]
    assert " ghost " not in listing and " finance " in listing and " stability " not in listing


def test_importing_the_cli_does_not_import_rich_console():
    """The console, markup and tables of rich are imported when something is printed through
    them, not when the CLI module loads (a tenth of a second on every command)."""
    code = "import sys, shequ_sdk.cli; print(sorted(m for m in ('rich.console', 'rich.table', 'rich.markup') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "[]"


LAUNCH = """
import atexit, json, sys
atexit.register(lambda: sys.stderr.write("\\nLOADED " + json.dumps(sorted(m for m in %r if m in sys.modules)) + "\\n"))
from shequ_sdk.launch import main
main(sys.argv[1:])
""" % (("typer", "click", "rich", "rich.console", *HEAVY),)


def launch(cache, *args: str, columns: str = "100"):
    """The ``shequ`` console script (``shequ_sdk.launch:main``) in a fresh process: (code, stdout, modules loaded)."""
    env = {**os.environ, "SHEQU_CACHE_DIR": str(cache), "COLUMNS": columns}
    done = subprocess.run([sys.executable, "-c", LAUNCH, *args], env=env, capture_output=True, text=True, timeout=120)
    loaded = json.loads(done.stderr.rsplit("LOADED ", 1)[1])
    return done.returncode, done.stdout, loaded


def test_a_help_screen_seen_before_is_printed_again_without_typer_click_or_rich(cache):
    code, first, loaded = launch(cache, "--help")
    assert code == 0 and "typer" in loaded and " lock " in first and " finance " in first
    code, again, loaded = launch(cache, "--help")
    assert code == 0 and again == first and loaded == []  # the same bytes, from Python's start alone
    assert launch(cache)[1] == first  # `shequ` alone is `shequ --help`
    # a command's help is remembered on its own; another width is another screen
    code, lock, _ = launch(cache, "lock", "--help")
    assert code == 0 and "grant" in lock and launch(cache, "lock", "--help")[1:] == (lock, [])
    code, narrow, loaded = launch(cache, "lock", "--help", columns="60")
    assert code == 0 and "typer" in loaded and max(map(len, narrow.splitlines())) <= 60 < max(map(len, lock.splitlines()))
    # a mistake is never remembered: it is refused each time, with exit code 2
    for _ in range(2):
        code, out, loaded = launch(cache, "nosuch", "--help")
        assert code == 2 and "typer" in loaded
    assert len(list((cache / "help").iterdir())) == 3


def test_the_console_script_is_the_launcher():
    from importlib.metadata import entry_points

    (script,) = [ep for ep in entry_points(group="console_scripts") if ep.name == "shequ"]
    assert script.value == "shequ_sdk.launch:main"
