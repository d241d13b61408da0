"""Reading numbers, amounts and dates as people write them — one parser for the web forms and
the spreadsheet import, so both accept exactly the same things.

Every function takes what was typed (or what a spreadsheet cell holds) and returns the value,
or raises :class:`ParseError` naming the value in Chinese and English. Nothing is guessed: a
value that does not read cleanly is refused, never altered (``12.5kg`` is 12.5 in a kilogram
field and an error anywhere else; ``三百`` is an error, not a blank).

Accepted
    numbers   ``123``, ``１２３``, ``1,234.50``, ``1，234``, ``1 234``, ``-5``, and the field's own
              unit after it: ``12.5kg`` / ``12.5公斤`` where the unit is 公斤 (see :func:`units_of`)
    money     the above in 元: ``¥1,234.50``, ``1234.5元``, ``24.8万元``, ``24.8万``, ``(12.00)``
              (accounting negative); at most two decimals (fen)
    dates     ``2011-04-06``, ``2011.4.6``, ``2011/4/6``, ``2011年4月6日``, ``20110406``
    times     a date as above, then ``10:30`` or ``10:30:15`` (:func:`parse_datetime`)
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Optional

from .errors import InputError

__all__ = ["ParseError", "parse_number", "parse_int", "parse_money_fen", "parse_money_yuan", "parse_date", "parse_datetime",
           "units_of", "fen_to_yuan_text"]

_SPACES = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")
_PLAIN = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")  # 1,234.50: commas only between groups of three
_LIMIT = Decimal("1e15")

# unit words accepted after a number, by the unit a field's label names: 清运量(公斤) accepts 12.5kg
_UNIT_ALIASES = {
    "公斤": ("公斤", "千克", "kg", "kgs"),
    "千克": ("公斤", "千克", "kg", "kgs"),
    "kg": ("公斤", "千克", "kg", "kgs"),
    "吨": ("吨", "t"),
    "平方米": ("平方米", "㎡", "m2", "m²", "平米"),
    "小时": ("小时", "h", "个小时"),
    "天": ("天", "日"),
    "日": ("日", "天"),
    "月": ("月", "个月"),
}
_UNIT_IN_LABEL = re.compile(r"[（(]\s*([^()（）]{1,4})\s*[)）]\s*$")
_MONEY_SUFFIXES = (("万元", 10000), ("万", 10000), ("元", 1), ("rmb", 1), ("cny", 1))
_MONEY_PREFIXES = ("¥", "￥", "$", "rmb", "cny")


class ParseError(InputError):
    """A typed value that is not what the field holds. ``zh``/``en`` name the value; ``reason_zh``
    and ``reason_en`` say only what was expected (a report that shows the value beside it)."""

    def __init__(self, value: Any, reason_zh: str, reason_en: str):
        self.value = value
        self.reason_zh, self.reason_en = reason_zh, reason_en
        shown = str(value).strip() if value is not None else ""
        super().__init__(f"「{shown}」无法识别：{reason_zh}", f"{shown!r} cannot be read: {reason_en}")


def units_of(label: str, name: str = "") -> tuple[str, ...]:
    """Unit words a number in this field may carry: from the unit in the label's brackets
    (``清运量(公斤)`` → 公斤, 千克, kg) or a ``_kg`` column name; ``()`` when it names none."""
    m = _UNIT_IN_LABEL.search(label or "")
    unit = m.group(1).strip() if m else ""
    if not unit and name.endswith("_kg"):
        unit = "公斤"
    if not unit or unit in ("分", "元", "fen"):
        return ()
    return _UNIT_ALIASES.get(unit, (unit,))


def _text(value: Any) -> str:
    """NFKC (full-width digits and punctuation to ASCII, ￥ to ¥), no spaces, lower case."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", str(value))).lower()


def _strip_unit(s: str, units: Iterable[str]) -> str:
    for unit in sorted((unicodedata.normalize("NFKC", u).lower() for u in units), key=len, reverse=True):
        if unit and s.endswith(unit) and len(s) > len(unit):
            return s[: -len(unit)]
    return s


def _decimal(s: str) -> Optional[Decimal]:
    """``s`` (normalised) as a Decimal, or ``None`` when it is not a plain or grouped number."""
    if "," in s:
        if not _GROUPED.match(s):
            return None
        s = s.replace(",", "")
    if not _PLAIN.match(s):
        return None
    try:
        d = Decimal(s)
    except InvalidOperation:
        return None
    return d if d.is_finite() and abs(d) < _LIMIT else None


def _number_reason(units: tuple[str, ...]) -> tuple[str, str]:
    if units:
        return (f"应为数字，如 12.5、1,234 或 12.5{units[0]}", f"expected a number such as 12.5, 1,234 or 12.5{units[0]}")
    return ("应为数字，如 12.5 或 1,234", "expected a number such as 12.5 or 1,234")


def parse_number(value: Any, *, units: Iterable[str] = ()) -> Decimal:
    """A number as typed: ``１２３``, ``1,234.50``, ``12.5kg`` (when ``kg`` is one of ``units``)."""
    units = tuple(units)
    if isinstance(value, bool):
        raise ParseError(value, *_number_reason(units))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ParseError(value, *_number_reason(units))
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        return value
    s = _text(value).replace("，", ",")
    d = _decimal(_strip_unit(s, units)) if units else _decimal(s)
    if d is None:
        raise ParseError(value, *_number_reason(units))
    return d


def parse_int(value: Any, *, units: Iterable[str] = ()) -> int:
    """A whole number as typed (``１２３``, ``1,234``, ``120公斤`` with the unit)."""
    units = tuple(units)
    try:
        d = parse_number(value, units=units)
    except ParseError:
        u = units[0] if units else ""
        raise ParseError(value, f"应为整数，如 120{u} 或 1,234", f"expected a whole number such as 120{u} or 1,234") from None
    if d != d.to_integral_value():
        raise ParseError(value, "应为整数，不能有小数", "expected a whole number, without decimals")
    return int(d)


def parse_money_yuan(value: Any, scale: int | Decimal = 1) -> Decimal:
    """An amount in 元 as typed, exact to the fen: ``¥1,234.50``, ``1234.5元``, ``24.8万元``,
    ``(12.00)``; ``scale`` is what one unit of a bare number is worth in 元 (10000 for a 万元
    column). A float cell's noise (``123.45000000000002``) is rounded to the fen."""
    bad = ("金额应为数字（元），如 1234.50、1,234.50 或 24.8万元", "an amount must be yuan such as 1234.50 or 24.8万元")
    if isinstance(value, bool):
        raise ParseError(value, *bad)
    if isinstance(value, (int, float, Decimal)):
        yuan = parse_number(value) * scale
        if isinstance(value, float):
            fen = yuan * 100
            if abs(fen - fen.to_integral_value()) < Decimal("0.000001"):
                yuan = fen.to_integral_value() / 100
    else:
        s = _text(value).replace("，", ",")
        negative = False
        for prefix in _MONEY_PREFIXES:
            if s.startswith(prefix):
                s = s[len(prefix):]
                break
        if s.startswith("(") and s.endswith(")"):
            negative, s = True, s[1:-1]
        unit = scale
        for suffix, factor in _MONEY_SUFFIXES:
            if s.endswith(suffix) and len(s) > len(suffix):
                s, unit = s[: -len(suffix)], factor
                break
        for prefix in _MONEY_PREFIXES:
            if s.startswith(prefix):
                s = s[len(prefix):]
                break
        d = _decimal(s)
        if d is None:
            raise ParseError(value, *bad)
        yuan = -d * unit if negative else d * unit
    if yuan * 100 != (yuan * 100).to_integral_value():
        raise ParseError(value, "金额最多精确到分（两位小数）", "an amount has at most two decimals (fen)")
    return yuan


def parse_money_fen(value: Any, scale: int | Decimal = 1) -> int:
    """:func:`parse_money_yuan` as integer fen, the way the database stores money."""
    return int(parse_money_yuan(value, scale) * 100)


def fen_to_yuan_text(fen: Any) -> str:
    """``123450`` → ``"1234.50"`` (exact); ``""`` for no value."""
    if fen is None or fen == "":
        return ""
    return f"{Decimal(int(fen)) / 100:.2f}"


# -- dates ---------------------------------------------------------------------------------------

EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 is 1900-01-01 (Excel's 1900 leap-year bug included)
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[T\s]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DATE_REASON = ("应为日期，如 2011-04-06、2011.4.6、2011/4/6 或 2011年4月6日", "expected a date such as 2011-04-06, 2011.4.6 or 2011年4月6日")


def _real_date(value: Any, y: int, m: int, d: int) -> dt.date:
    try:
        return dt.date(y, m, d)
    except ValueError:
        raise ParseError(value, f"不是有效的日期：读作 {y} 年 {m} 月 {d} 日，该日不存在", f"not a real calendar date: {y}-{m:02d}-{d:02d} does not exist") from None


def excel_serial_to_date(serial: float) -> dt.date:
    if not 1 <= serial < 2958466:
        raise ParseError(serial, "日期序号超出范围", "date serial number out of range")
    return EXCEL_EPOCH + dt.timedelta(days=int(serial))


def parse_date(value: Any, *, serials: bool = True) -> dt.date:
    """A date as typed: ``2011-04-06``, ``2011.4.6``, ``2011/4/6``, ``2011年4月6日``, ``20110406``;
    a date or datetime passes through; with ``serials`` (spreadsheets) an Excel serial number
    such as ``40543`` is a date too."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise ParseError(value, *_DATE_REASON)
    if isinstance(value, (int, float)):
        if value >= 10_000_000:
            if value != int(value) or not 10_000_000 <= value <= 99_991_231:
                raise ParseError(value, "8 位数字须为 年月日（如 20110406）", "an 8-digit number must be yyyymmdd such as 20110406")
            n = int(value)
            return _real_date(value, n // 10000, n // 100 % 100, n % 100)
        if not serials:
            raise ParseError(value, *_DATE_REASON)
        return excel_serial_to_date(value)
    s = unicodedata.normalize("NFKC", str(value)).strip()
    m = _DATE.match(s) or _COMPACT_DATE.match(s)
    if m is None:
        if serials and re.fullmatch(r"\d{5}(\.\d+)?", s):
            return excel_serial_to_date(float(s))
        raise ParseError(value, *_DATE_REASON)
    return _real_date(value, int(m.group(1)), int(m.group(2)), int(m.group(3)))


_TIME = re.compile(r"[T\s]+(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_DATETIME_REASON = ("应为日期和时间，如 2011-04-06 10:30 或 2011年4月6日 10:30", "expected a date and time such as 2011-04-06 10:30")


def parse_datetime(value: Any) -> dt.datetime:
    """A date and time as typed: a date as :func:`parse_date` reads it, then ``10:30`` or
    ``10:30:15`` (midnight when no time is given); a datetime passes through."""
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    if not isinstance(value, str):
        raise ParseError(value, *_DATETIME_REASON)
    s = unicodedata.normalize("NFKC", value).strip()
    m = _TIME.search(s)
    day = s[: m.start()] if m else s
    try:
        date = parse_date(day, serials=False)
    except ParseError:
        raise ParseError(value, *_DATETIME_REASON) from None
    if m is None:
        return dt.datetime.combine(date, dt.time())
    hour, minute, second = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ParseError(value, f"不是有效的时间：{hour}:{minute:02d}:{second:02d}", f"not a real time of day: {hour}:{minute:02d}:{second:02d}")
    return dt.datetime.combine(date, dt.time(hour, minute, second))
