"""Turning spreadsheet cells into typed values, tolerantly, and making text cells safe to open.

Every parser takes the raw cell (whatever openpyxl or the CSV reader produced) and returns
the value, or raises :class:`CellError` with the reason in Chinese and English. The importer
turns a ``CellError`` into a report line naming the sheet, row, column and value.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal
from typing import Any, Optional

from .. import values
from ..ids import normalise_id_number
from ..period import Period
from ..values import ParseError

EXCEL_EPOCH = values.EXCEL_EPOCH
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


# -- numbers and dates: the shared parser (shequ_sdk.values), so a form and a sheet accept the same --

def _cell(fn, value, *args, **kwargs):
    try:
        return fn(value, *args, **kwargs)
    except ParseError as exc:
        raise CellError(exc.reason_zh, exc.reason_en) from None


def parse_decimal(value: Any, units: tuple[str, ...] = ()) -> Decimal:
    return _cell(values.parse_number, value, units=units)


def parse_int(value: Any, units: tuple[str, ...] = ()) -> int:
    return _cell(values.parse_int, value, units=units)


def parse_float(value: Any, units: tuple[str, ...] = ()) -> float:
    return float(parse_decimal(value, units))


def parse_money_fen(value: Any, scale: int | Decimal = 1) -> int:
    """Money in 元 (or 万元 with ``scale=10000`` or a ``万元`` suffix; fen with ``scale=Decimal("0.01")``) to integer fen:
    :func:`shequ_sdk.values.parse_money_fen`."""
    return _cell(values.parse_money_fen, value, scale)


def excel_serial_to_date(serial: float) -> dt.date:
    return _cell(values.excel_serial_to_date, serial)


def parse_date(value: Any) -> dt.date:
    """``2010-12-31``, ``2010/12/31``, ``2010.12.31``, ``2010年12月31日``, ``20101231`` (as text
    or as a number), a date cell, or an Excel serial number (``40543``): :func:`shequ_sdk.values.parse_date`."""
    return _cell(values.parse_date, value)


def _number_date(value: int | float) -> dt.date:
    return parse_date(value)


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
