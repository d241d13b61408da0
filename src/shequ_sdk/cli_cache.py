"""What the plugins add to the ``shequ`` command line, remembered between runs.

``shequ --help`` lists every command, plugin commands included, but loading the plugins means
importing SQLModel, SQLAlchemy and every plugin's models: seconds, for a help screen. So each run
that loads the plugins writes the names and one-line help of the commands they added to a small
JSON file, keyed by a fingerprint of what is installed (every ``shequ_sdk`` entry point, its
distribution's version and the newest change to its package's files, and
``$SHEQU_LOAD_PLUGINS``). ``shequ --help`` lists the commands from that file when the fingerprint
still matches, and loads the plugins (and writes the file) when it does not. Running a plugin's
command always loads the plugins: the file only ever serves the listing.

The file lives in ``$SHEQU_CACHE_DIR``, else ``$XDG_CACHE_HOME/shequ-sdk``, else
``~/.cache/shequ-sdk``; a directory that cannot be written only costs the speed.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import importlib.util
import json
import os
from pathlib import Path
from typing import Optional

ENTRY_POINT_GROUP = "shequ_sdk"  # the same group shequ_sdk.plugins loads
FILE_NAME = "commands.json"


def cache_dir() -> Path:
    explicit = os.environ.get("SHEQU_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "shequ-sdk"


def _newest_change(module: str) -> int:
    """The newest modification time (ns) among the files of ``module``'s top-level package,
    found without importing it: an edited plugin in an editable install changes the key."""
    try:
        spec = importlib.util.find_spec(module.split(".", 1)[0])
    except (ImportError, ValueError):
        return 0
    if spec is None or not spec.origin:
        return 0
    origin = Path(spec.origin)
    newest = 0
    files = origin.parent.rglob("*.py") if origin.name == "__init__.py" else [origin]
    for f in files:
        try:
            newest = max(newest, f.stat().st_mtime_ns)
        except OSError:
            continue
    return newest


def fingerprint() -> str:
    parts = [os.environ.get("SHEQU_LOAD_PLUGINS", "*"), _newest_change("shequ_sdk.cli")]
    for ep in sorted(md.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        module = ep.value.split(":", 1)[0]
        parts.append([ep.name, ep.value, ep.dist.version if ep.dist else "", _newest_change(module)])
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()


def load(key: Optional[str] = None) -> Optional[list[dict]]:
    """The plugin commands remembered for this installation, or None when there is no valid file."""
    try:
        data = json.loads((cache_dir() / FILE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("fingerprint") != (key or fingerprint()):
        return None
    commands = data.get("commands")
    return commands if isinstance(commands, list) else None


def save(commands: list[dict], key: Optional[str] = None) -> None:
    """Remember ``commands`` (``{"name", "help"}`` each); any failure to write is ignored."""
    target = cache_dir() / FILE_NAME
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"fingerprint": key or fingerprint(), "commands": commands}, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, target)
    except OSError:
        pass


# -- help screens, as printed ---------------------------------------------------------------------
# A help screen depends on nothing but what is installed (the fingerprint), the words asked for
# and how the output is shown: whether it is a terminal, the terminal sizes rich reads (from
# stdin, stdout and stderr) and the variables rich, typer and click read. With those in the key,
# printing the remembered text is printing what typer would print.
HELP_DIR = "help"
_SHOWN_BY = ("COLUMNS", "LINES", "TERM", "COLORTERM", "NO_COLOR", "FORCE_COLOR", "CLICOLOR", "TTY_", "TERMINAL_WIDTH",
             "TYPER_", "_TYPER_", "SHEQU_", "LANG", "LC_", "PYTHONIOENCODING", "JUPYTER_", "JPY_")


def _terminal_size(fd: int):
    try:
        return list(os.get_terminal_size(fd))
    except (OSError, ValueError):
        return None


def help_key(args: list[str], stream) -> str:
    try:
        tty = bool(stream.isatty())
    except (AttributeError, ValueError):
        tty = False
    env = sorted((k, v) for k, v in os.environ.items() if k.startswith(_SHOWN_BY))
    shown = [tty, getattr(stream, "encoding", None), [_terminal_size(fd) for fd in (0, 1, 2)], env]
    return hashlib.sha256(json.dumps([fingerprint(), list(args), shown], ensure_ascii=False).encode()).hexdigest()


def load_help(key: str) -> Optional[str]:
    try:
        return (cache_dir() / HELP_DIR / f"{key}.txt").read_text(encoding="utf-8")
    except (OSError, ValueError):
        return None


def save_help(key: str, text: str) -> None:
    target = cache_dir() / HELP_DIR / f"{key}.txt"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    except OSError:
        pass
