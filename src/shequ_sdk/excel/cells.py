"""Turning spreadsheet cells into typed values, tolerantly, and making text cells safe to open.

Every parser takes the raw cell (whatever openpyxl or the CSV reader produced) and returns
the value, or raises :class:`CellError` with the reason in Chinese and English. The importer
turns a ``CellError`` into a report line naming the sheet, row, column and value.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any, Optional

from ..ids import normalise_id_number
from ..period import Period

EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 is 1900-01-01 (Excel's 1900 leap-year bug included)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

_WIDTH = {0xFF10 + i: 0x30 + i for i in range(10)}
_WIDTH |= {0xFF21 + i: 0x41 + i for i in range(26)} | {0xFF41 + i: 0x61 + i for i in range(26)}
_WIDTH |= {0x3000: 0x20, 0xFF0E: ord("."), 0xFF0C: ord(","), 0xFF0D: ord("-"), 0xFF0B: ord("+"), 0xFF0F: ord("/")}
_SPACES = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")
_CN_DIGITS = {"一": "1", "二": "2", "三": "3", "四": "4", "１": "1", "２": "2", "３": "3", "４": "4"}


class CellError(ValueError):
    """A cell that cannot be read as the column's type."""

    def __init__(self, zh: str, en: str, hint: Optional[tuple[str, str]] = None):
        super().__init__(f"{zh} / {en}")
        self.zh = zh
        self.en = en
        self.hint = hint  # (zh, en) for the command line only: the setting that changes a limit


EXCEL_ERRORS = frozenset(("#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!", "#GETTING_DATA"))


def check_not_error(value: Any) -> None:
    """A formula's error result (``#DIV/0!`` …) saved in place of a value."""
    if type(value) is str and value[:1] == "#" and value.strip() in EXCEL_ERRORS:
        raise CellError(f"单元格是公式错误值 {value.strip()}，请检查公式", f"the cell holds the formula error {value.strip()}; check the formula")


_INVISIBLE = "\u200b\ufeff"
_WIDE = re.compile("[\uff01-\uff5e]")


def is_blank(value: Any) -> bool:
    if value is None:
        return True
    if type(value) is str:
        return not value or (value[0].isspace() or value[0] in _INVISIBLE) and not value.strip().strip(_INVISIBLE)
    if isinstance(value, float) and value != value:  # NaN
        return True
    return False


def half_width(text: str) -> str:
    """Full-width digits, Latin letters, spaces and number punctuation to their ASCII forms.

    Chinese punctuation in ordinary text is left alone: only what changes a value's meaning
    to a parser (digits, letters, ``.``, ``,``, ``-``, ``+``, ``/``) is converted.
    """
    return text.translate(_WIDTH)


def clean_text(value: Any) -> Optional[str]:
    """A text cell: trimmed (ideographic spaces too), an all-full-width identifier (``０００１``)
    made ASCII, and the apostrophe that neutralised a formula-like value removed again. Text
    with Chinese characters keeps its full-width digits and punctuation as typed. A formula's
    error result (``#DIV/0!``) raises :class:`CellError`."""
    if type(value) is str:  # the common cases, kept fast
        s = value.strip()
        if s and (s[0] in _INVISIBLE or s[-1] in _INVISIBLE):
            s = s.strip(_INVISIBLE).strip()
        if not s:
            return None
        if s[0] == "#" and s in EXCEL_ERRORS:
            check_not_error(s)
        if s.isascii() or _WIDE.search(s) is None:  # nothing full-width to narrow
            return unneutralise(s) if s[0] == "'" else s
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (dt.datetime, dt.date)):
        value = value.isoformat()[:10] if not isinstance(value, dt.datetime) or value.time() == dt.time() else value.isoformat(sep=" ")
    s = str(value).strip().strip("\u3000\u00a0\ufeff").strip()
    narrow = half_width(s)
    if narrow.isascii():  # an identifier such as ０００１ or ＡＢ-１２: compare it in ASCII; prose keeps its characters
        s = narrow
    return unneutralise(s) or None


def header_key(text: Any) -> str:
    """How headers are compared: NFKC (full/half width), no whitespace, no required-marks, lower case."""
    if text is None:
        return ""
    s = unicodedata.normalize("NFKC", str(text))
    s = _SPACES.sub("", s).strip("*＊").lower()
    return s


# -- numbers -----------------------------------------------------------------------------

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def _number_text(value: Any) -> str:
    s = unicodedata.normalize("NFKC", str(value))
    s = _SPACES.sub("", s)
    s = s.replace(",", "").replace("，", "")
    return s


def parse_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise CellError("应为数字", "expected a number")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        return value
    s = _number_text(value)
    if not _NUMBER.match(s):
        raise CellError("应为数字", "expected a number")
    try:
        return Decimal(s)
    except InvalidOperation:
        raise CellError("应为数字", "expected a number") from None


def parse_int(value: Any) -> int:
    try:
        d = parse_decimal(value)
    except CellError:
        raise CellError("应为整数", "expected a whole number") from None
    if d != d.to_integral_value():
        raise CellError("应为整数", "expected a whole number")
    return int(d)


def parse_float(value: Any) -> float:
    return float(parse_decimal(value))


_MONEY_UNITS = (("万元", 10000), ("万", 10000), ("元", 1), ("rmb", 1), ("cny", 1))


def parse_money_fen(value: Any, scale: int | Decimal = 1) -> int:
    """Money in 元 (or 万元 with ``scale=10000`` or a ``万元`` suffix; fen with ``scale=Decimal("0.01")``) to integer fen.

    Accepts ``1,234.50``, ``１２３４．５``, ``¥1234.5``, ``1234.5元``, ``24.8万元`` and the
    accounting ``(12.00)`` for a negative amount. More than two decimals (below one fen) is an
    error, except for the float noise of a spreadsheet formula (``123.45000000000002``).
    """
    if isinstance(value, bool):
        raise CellError("金额应为数字（元）", "an amount must be a number of yuan")
    if isinstance(value, (int, float, Decimal)):
        yuan = parse_decimal(value) * scale
        fen = yuan * 100
        if isinstance(value, float) and abs(fen - fen.to_integral_value()) < Decimal("0.000001"):
            fen = fen.to_integral_value()
    else:
        s = _number_text(value).lower().lstrip("¥￥$")
        negative = False
        if s.startswith("(") and s.endswith(")"):
            negative, s = True, s[1:-1]
        unit = scale
        for suffix, factor in _MONEY_UNITS:
            if s.endswith(suffix):
                s, unit = s[: -len(suffix)], factor
                break
        s = s.lstrip("¥￥")
        if not _NUMBER.match(s):
            raise CellError("金额应为数字（元），如 1234.50、1,234.50 或 24.8万元", "an amount must be yuan such as 1234.50 or 24.8万元")
        yuan = Decimal(s) * unit
        fen = -yuan * 100 if negative else yuan * 100
    if fen != fen.to_integral_value():
        raise CellError("金额最多精确到分（两位小数）", "an amount has at most two decimals (fen)")
    return int(fen)


# -- dates ---------------------------------------------------------------------------------

_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[T\s]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def _number_date(value: int | float) -> dt.date:
    """A number in a date column: ``20101014`` (yyyymmdd, as typed or exported by many systems)
    or an Excel serial (``40543``)."""
    if value >= 10_000_000:
        if value != int(value) or not 10_000_000 <= value <= 99_991_231:
            raise CellError("应为日期：8 位数字须为 年月日（如 20101231）", "expected a date: an 8-digit number must be yyyymmdd such as 20101231")
        n = int(value)
        try:
            return dt.date(n // 10000, n // 100 % 100, n % 100)
        except ValueError:
            raise CellError(f"不是有效的日期：{n} 按 年月日 读作 {n // 10000} 年 {n // 100 % 100} 月 {n % 100} 日，该日不存在",
                            f"not a real calendar date: {n} read as yyyymmdd does not exist") from None
    return excel_serial_to_date(value)


def excel_serial_to_date(serial: float) -> dt.date:
    if not 1 <= serial < 2958466:
        raise CellError("日期序号超出范围", "date serial number out of range")
    return EXCEL_EPOCH + dt.timedelta(days=int(serial))


def parse_date(value: Any) -> dt.date:
    """``2010-12-31``, ``2010/12/31``, ``2010.12.31``, ``2010年12月31日``, ``20101231`` (as text
    or as a number), a date cell, or an Excel serial number (``40543``)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise CellError("应为日期（如 2010-12-31）", "expected a date such as 2010-12-31")
    if isinstance(value, (int, float)):
        return _number_date(value)
    s = unicodedata.normalize("NFKC", str(value)).strip()
    m = _DATE.match(s) or _COMPACT_DATE.match(s)
    if m is None:
        if re.fullmatch(r"\d{5}(\.\d+)?", s):
            return excel_serial_to_date(float(s))
        raise CellError("应为日期（如 2010-12-31、2010/12/31 或 2010年12月31日）", "expected a date such as 2010-12-31")
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise CellError("不是有效的日期", "not a real calendar date") from None


def parse_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value >= 10_000_000:
            return dt.datetime.combine(_number_date(value), dt.time())
        day = excel_serial_to_date(value)
        frac = float(value) - int(value)
        return dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=round(frac * 86400))
    s = unicodedata.normalize("NFKC", str(value)).strip()
    s = re.sub(r"[年月/.]", "-", s).replace("日", " ").strip()
    try:
        return dt.datetime.fromisoformat(re.sub(r"\s+", " ", s))
    except ValueError:
        raise CellError("应为日期时间（如 2010-12-31 08:30）", "expected a date and time such as 2010-12-31 08:30") from None


# -- other kinds -----------------------------------------------------------------------------

_TRUE = {"是", "y", "yes", "true", "1", "√", "✓", "✔", "对", "有", "t"}
_FALSE = {"否", "n", "no", "false", "0", "×", "✗", "✘", "错", "无", "f"}


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    s = unicodedata.normalize("NFKC", str(value)).strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise CellError("应填 是 或 否", "expected 是 (yes) or 否 (no)")


def parse_choice(value: Any, choices: dict[str, tuple[str, str]]) -> str:
    """A Chinese label, English label or code to the stored code; unknown text passes through
    (the write path then names the allowed labels)."""
    s = clean_text(value) or ""
    key = header_key(s)
    for code, (zh, en) in choices.items():
        if key in (header_key(zh), header_key(en), header_key(code)):
            return code
    return s


def parse_period(value: Any, kind: Optional[str] = None) -> Period:
    """``2010Q4``, ``2010年第4季度``, ``2010年第四季度``, ``2010-12``; ``kind`` is what the column holds."""
    if isinstance(value, (dt.date, dt.datetime)):
        d = value.date() if isinstance(value, dt.datetime) else value
        if kind is None:
            raise CellError("应为期间（如 2010Q4）", "expected a period such as 2010Q4")
        return Period.containing(d, kind)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    s = unicodedata.normalize("NFKC", str(value)).strip().replace(" ", "")
    s = re.sub(r"第([一二三四])季", lambda m: "第" + _CN_DIGITS[m.group(1)] + "季", s)
    s = s.replace("季度", "").replace("-Q", "Q").replace("年Q", "Q")
    try:
        p = Period.parse(s)
    except Exception:
        raise CellError("应为期间（如 2010、2010Q4、2010年第4季度 或 2010-12）", "expected a period such as 2010, 2010Q4 or 2010-12") from None
    if kind is not None and p.kind != kind:
        from ..period import KIND_LABELS

        example = {"year": "2010", "quarter": "2010Q4", "month": "2010-12"}[kind]
        raise CellError(f"期间应为{KIND_LABELS[kind][0]}（如 {example}）", f"the period must be a {kind} such as {example}")
    return p


def parse_id_number(value: Any) -> str:
    if isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool) and value > 10**15):
        raise CellError("身份证号被保存成了数字，末几位已丢失；请把该列设为文本格式后重新填写",
                        "the ID number was stored as a number and lost its last digits; format the column as text and re-enter it")
    return normalise_id_number(clean_text(value) or "")


# -- formula injection ------------------------------------------------------------------------

def neutralise(value: Any) -> Any:
    """Make a text value inert in a spreadsheet: text starting with ``=``, ``+``, ``-``, ``@``,
    a tab or a carriage return gets a leading apostrophe, so no program evaluates it as a
    formula (CSV injection). Numbers, dates and other non-text values pass through."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def unneutralise(text: str) -> str:
    """Undo :func:`neutralise` on import, so a template round trip stores the original text."""
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@\t\r":
        return text[1:]
    return text
