"""The ``shequ`` console script.

A help screen (``shequ``, ``shequ --help``, ``shequ lock --help``…) that was printed before on
this installation, to the same kind of output, is printed again from the cache of
:mod:`shequ_sdk.cli_cache` without importing typer, click or rich: the help screen appears as
fast as Python starts. Everything else — and a help screen not seen before, which is then
remembered — goes to :func:`shequ_sdk.cli.main`.
"""

from __future__ import annotations

import sys
from typing import Optional


def is_help(args: list[str]) -> bool:
    """``[group [command]] --help``: words naming commands, then ``--help`` (nothing else)."""
    return 1 <= len(args) <= 3 and args[-1] == "--help" and all(a and not a.startswith("-") for a in args[:-1])


class _Copy:
    """Writes go to ``inner`` and are kept; ``isatty`` and ``fileno`` answer as ``inner``'s, so
    rich and click format exactly as for ``inner``. No ``buffer``: click writes text through us."""

    def __init__(self, inner):
        self.inner = inner
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        if not isinstance(text, str):  # a text stream refuses bytes (click probes with b"")
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self.parts.append(text)
        return self.inner.write(text)

    def flush(self) -> None:
        self.inner.flush()

    def isatty(self) -> bool:
        return self.inner.isatty()

    def fileno(self) -> int:
        return self.inner.fileno()

    @property
    def encoding(self):
        return getattr(self.inner, "encoding", "utf-8")

    @property
    def errors(self):
        return getattr(self.inner, "errors", "strict")


def main(argv: Optional[list[str]] = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv) or ["--help"]
    if not is_help(args):
        from .cli import main as cli_main

        return cli_main(args)
    from . import cli_cache

    key = cli_cache.help_key(args, sys.stdout)
    text = cli_cache.load_help(key)
    if text is not None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return None
    from .cli import main as cli_main

    copy, shown = _Copy(sys.stdout), False
    sys.stdout = copy
    try:
        cli_main(args)
        shown = True
    except SystemExit as exc:
        shown = exc.code in (0, None)  # a mistake (exit 2) is never remembered
        raise
    finally:
        sys.stdout = copy.inner
        if shown and copy.parts:
            cli_cache.save_help(key, "".join(copy.parts))
    return None
