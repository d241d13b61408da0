"""Periods: one value type for a year (``2010``), a quarter (``2010Q4``) or a month (``2010-12``)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import total_ordering
from typing import Iterator

from .errors import InputError

KINDS = ("year", "quarter", "month")
KIND_LABELS = {"year": ("年", "year"), "quarter": ("季度", "quarter"), "month": ("月", "month")}

_YEAR = re.compile(r"^(\d{4})(?:年)?$")
_QUARTER = re.compile(r"^(\d{4})\s*(?:[Qq]|-?Q|年第?)\s*([1-4])(?:季度)?$")
_MONTH = re.compile(r"^(\d{4})(?:-|/|年)(\d{1,2})(?:月)?$")


@total_ordering
@dataclass(frozen=True)
class Period:
    """A calendar year, quarter or month.

    ``Period.parse`` accepts ``2010``, ``2010Q4`` and ``2010-12`` (and the Chinese forms
    ``2010年``, ``2010年第4季度``, ``2010年12月``). Periods order by start date, then by length
    (a year sorts before its first quarter, which sorts before its first month).
    """

    kind: str
    year: int
    number: int = 1  # quarter 1-4 or month 1-12; 1 for a year

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InputError(f"未知的期间类型 {self.kind!r}", f"unknown period kind {self.kind!r}")
        if not 1900 <= self.year <= 2999:
            raise InputError(f"年份超出范围: {self.year}", f"year out of range: {self.year}")
        top = {"year": 1, "quarter": 4, "month": 12}[self.kind]
        if not 1 <= self.number <= top:
            raise InputError(
                f"期间编号超出范围: {self.kind} {self.number}", f"period number out of range: {self.kind} {self.number}"
            )

    # -- construction -------------------------------------------------------------
    @classmethod
    def parse(cls, text: "str | int | Period") -> "Period":
        """Parse ``2010``, ``2010Q4`` or ``2010-12``; raise ``InputError`` with both languages otherwise."""
        if isinstance(text, Period):
            return text
        s = str(text).strip()
        s = s.translate(_FULLWIDTH)
        if m := _YEAR.match(s):
            return cls("year", int(m.group(1)))
        if m := _QUARTER.match(s):
            return cls("quarter", int(m.group(1)), int(m.group(2)))
        if m := _MONTH.match(s):
            month = int(m.group(2))
            if 1 <= month <= 12:
                return cls("month", int(m.group(1)), month)
        raise InputError(
            f"无法识别的期间 {str(text)!r}（应为 2010、2010Q4 或 2010-12）",
            f"malformed period {str(text)!r} (expected 2010, 2010Q4 or 2010-12)",
        )

    @classmethod
    def year_of(cls, year: int) -> "Period":
        return cls("year", year)

    @classmethod
    def quarter_of(cls, d: date) -> "Period":
        return cls("quarter", d.year, (d.month - 1) // 3 + 1)

    @classmethod
    def month_of(cls, d: date) -> "Period":
        return cls("month", d.year, d.month)

    @classmethod
    def containing(cls, d: date, kind: str) -> "Period":
        return {"year": lambda: cls("year", d.year), "quarter": lambda: cls.quarter_of(d), "month": lambda: cls.month_of(d)}[kind]()

    # -- dates --------------------------------------------------------------------
    @property
    def start(self) -> date:
        if self.kind == "year":
            return date(self.year, 1, 1)
        if self.kind == "quarter":
            return date(self.year, 3 * (self.number - 1) + 1, 1)
        return date(self.year, self.number, 1)

    @property
    def end(self) -> date:
        """The last day of the period (inclusive)."""
        return self.next().start - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def next(self) -> "Period":
        if self.kind == "year":
            return Period("year", self.year + 1)
        if self.kind == "quarter":
            return Period("quarter", self.year + (self.number == 4), self.number % 4 + 1)
        return Period("month", self.year + (self.number == 12), self.number % 12 + 1)

    def previous(self) -> "Period":
        if self.kind == "year":
            return Period("year", self.year - 1)
        if self.kind == "quarter":
            return Period("quarter", self.year - (self.number == 1), (self.number - 2) % 4 + 1)
        return Period("month", self.year - (self.number == 1), (self.number - 2) % 12 + 1)

    # -- relations ----------------------------------------------------------------
    def contains(self, other: "Period | date") -> bool:
        """True when ``other`` (a period or a date) lies wholly inside this period."""
        if isinstance(other, date):
            return self.start <= other <= self.end
        return self.start <= other.start and other.end <= self.end

    def __contains__(self, other: "Period | date") -> bool:
        return self.contains(other)

    def subperiods(self, kind: str) -> list["Period"]:
        """The periods of ``kind`` inside this one: ``Period.parse('2010').subperiods('quarter')``."""
        if KINDS.index(kind) < KINDS.index(self.kind):
            raise InputError(f"{self} 不能拆分为{KIND_LABELS[kind][0]}", f"{self} cannot be split into {kind}s")
        out, p = [], Period.containing(self.start, kind)
        while p.start <= self.end:
            out.append(p)
            p = p.next()
        return out

    def __iter__(self) -> Iterator[date]:
        """Iterate over every day in the period."""
        d = self.start
        while d <= self.end:
            yield d
            d += timedelta(days=1)

    @staticmethod
    def range(first: "Period | str", last: "Period | str") -> list["Period"]:
        """All periods from ``first`` to ``last`` inclusive (both of one kind)."""
        a, b = Period.parse(first), Period.parse(last)
        if a.kind != b.kind:
            raise InputError("期间范围两端类型不同", "both ends of a period range must be of one kind")
        out = []
        while a <= b:
            out.append(a)
            a = a.next()
        return out

    # -- ordering and text ----------------------------------------------------------
    def __lt__(self, other: "Period") -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return (self.start, KINDS.index(self.kind)) < (other.start, KINDS.index(other.kind))

    def __str__(self) -> str:
        if self.kind == "year":
            return f"{self.year}"
        if self.kind == "quarter":
            return f"{self.year}Q{self.number}"
        return f"{self.year}-{self.number:02d}"

    def label(self, lang: str = "zh") -> str:
        """A human label: ``2010年第4季度`` / ``2010 Q4``."""
        if lang == "zh":
            return {"year": f"{self.year}年", "quarter": f"{self.year}年第{self.number}季度", "month": f"{self.year}年{self.number}月"}[self.kind]
        return {"year": f"{self.year}", "quarter": f"{self.year} Q{self.number}", "month": f"{calendar.month_abbr[self.number]} {self.year}"}[self.kind]


_FULLWIDTH = {0xFF10 + i: 0x30 + i for i in range(10)} | {0xFF31: ord("Q"), 0xFF51: ord("q"), 0xFF0D: ord("-"), 0xFF0F: ord("/"), 0x3000: ord(" ")}
