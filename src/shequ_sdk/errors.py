"""Errors that carry a message in Chinese and in English.

Every error a user can cause is an ``InputError`` (or a subclass). The CLI prints
``str(error)`` — ``中文 / English`` — on one line and exits 2; the UI shows ``error.zh``.
"""

from __future__ import annotations

from dataclasses import dataclass, field as dc_field
from typing import Any


class ShequError(Exception):
    """Base of every error raised on purpose by shequ-sdk.

    ``zh`` and ``en`` are what a web page shows: what happened and what to do there, never a
    command or a setting name. ``hint`` (``(zh, en)``, optional) is for the command line only —
    the command or setting that helps — and is part of ``str(error)``, which the CLI prints."""

    def __init__(self, zh: str, en: str | None = None, *, hint: tuple[str, str] | None = None):
        self.zh = zh
        self.en = en or zh
        self.hint = hint
        zh_cli, en_cli = (zh + hint[0], self.en + hint[1]) if hint else (zh, en)
        super().__init__(f"{zh_cli} / {en_cli}" if en_cli and en_cli != zh_cli else zh_cli)


class InputError(ShequError):
    """Bad input from a user: unknown region, malformed period, invalid value…"""


class NotFoundError(InputError):
    """A region, table, indicator or record that does not exist."""


class ConflictError(InputError):
    """An optimistic version check failed: the record changed after the caller loaded it.

    Carries ``table``, ``record_id``, ``actor`` (who changed it) and ``at`` (when, UTC).
    """

    def __init__(self, table: str, label_zh: str, label_en: str, record_id: int, actor: str, at):
        self.table, self.record_id, self.actor, self.at = table, record_id, actor, at
        when = at.strftime("%Y-%m-%d %H:%M:%S") + " UTC" if hasattr(at, "strftime") else str(at)
        super().__init__(f"{label_zh}（{table}）记录 #{record_id}：该记录已被 {actor} 于 {when} 修改，请重新加载后再保存",
                         f"{label_en} ({table}) record #{record_id}: changed by {actor} at {when}; reload before saving")


class PermissionDenied(ShequError):
    """The caller's role does not allow the read or write; the message names the rule."""


class SessionEnded(PermissionDenied):
    """The signed-in session is no longer valid: signed out, expired, or ended because the user's
    password, role, scope or state changed (``shequ_sdk.auth.check_live``)."""


class DatabaseUnavailable(ShequError):
    """The database cannot be used as asked: its server is unreachable, or it is read-only and
    a write was asked for. The message says which, and where (never a password)."""


class PluginError(ShequError):
    """A plugin registered something invalid; the message names the plugin."""


@dataclass
class Problem:
    """One problem with one value: where it is, what it was, and why it is wrong."""

    message_zh: str
    message_en: str
    row: int | None = None  # 1-based row number within the batch or file
    field: str | None = None
    value: Any = None
    table: str | None = None
    rule: str | None = None
    sheet: str | None = None
    extra: dict = dc_field(default_factory=dict)
    hint: tuple[str, str] | None = None  # (zh, en) for the command line only: the command that helps; never on a web page

    def where(self, lang: str = "zh") -> str:
        parts = []
        if self.sheet:
            parts.append(f"工作表 {self.sheet}" if lang == "zh" else f"sheet {self.sheet}")
        if self.table:
            parts.append(f"表 {self.table}" if lang == "zh" else f"table {self.table}")
        if self.row is not None:
            parts.append(f"第 {self.row} 行" if lang == "zh" else f"row {self.row}")
        if self.field:
            parts.append(f"字段 {self.field}" if lang == "zh" else f"field {self.field}")
        if self.value is not None:
            parts.append(f"值 {self.value!r}" if lang == "zh" else f"value {self.value!r}")
        return ("，" if lang == "zh" else ", ").join(parts)

    def text(self, lang: str = "zh") -> str:
        msg = self.message_zh if lang == "zh" else self.message_en
        where = self.where(lang)
        return f"{where}：{msg}" if (where and lang == "zh") else (f"{where}: {msg}" if where else msg)

    def cli_text(self, lang: str = "zh") -> str:
        """:meth:`text` with the command-line hint."""
        return self.text(lang) + ((self.hint[0] if lang == "zh" else self.hint[1]) if self.hint else "")

    def __str__(self) -> str:
        return f"{self.cli_text('zh')} / {self.cli_text('en')}"

    def as_dict(self) -> dict:
        return {
            "table": self.table, "sheet": self.sheet, "row": self.row, "field": self.field,
            "value": None if self.value is None else str(self.value), "rule": self.rule,
            "message_zh": self.message_zh, "message_en": self.message_en,
        }


class BatchError(InputError):
    """A batch was refused: nothing of it was written. ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        first = self.problems[0] if self.problems else Problem("未知错误", "unknown error")
        more_zh = f"（另有 {len(self.problems) - 1} 个问题）" if len(self.problems) > 1 else ""
        more_en = f" (and {len(self.problems) - 1} more problems)" if len(self.problems) > 1 else ""
        super().__init__(first.text("zh") + more_zh + "，未写入任何数据", first.text("en") + more_en + "; nothing was written", hint=first.hint)
