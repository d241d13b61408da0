"""Identity numbers and codes: GB 11643 ID numbers, GB/T 2260 / statistical region codes,
GB 32100 unified social credit codes, and the one masking helper every output path uses."""

from __future__ import annotations

import re
from datetime import date

from .errors import InputError

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


_ID_RE = re.compile(r"\d{17}[\dX]")
_FULLWIDTH_ID = {0xFF10 + i: 0x30 + i for i in range(10)} | {0xFF38: ord("X"), 0xFF58: ord("X")}


def id_check_char(first17: str) -> str:
    """The GB 11643 (ISO 7064 MOD 11-2) check character for 17 digits."""
    return ID_CHECK[sum(map(int.__mul__, map(int, first17), ID_WEIGHTS)) % 11]


def id_number_problem(value: str) -> tuple[str, str] | None:
    """Return ``(zh, en)`` describing what is wrong with an 18-digit ID number, or ``None`` if valid."""
    s = normalise_id_number(value)
    if not _ID_RE.fullmatch(s):
        return ("身份证号应为 18 位（前 17 位为数字，末位为数字或 X）", "an ID number has 18 characters: 17 digits and a digit or X")
    try:
        born = date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return ("身份证号中的出生日期无效", "the birth date inside the ID number is not a real date")
    if born.year < 1880 or born > date.today():
        return ("身份证号中的出生日期不合理", "the birth date inside the ID number is implausible")
    if id_check_char(s[:17]) != s[17]:
        return (f"身份证号校验位错误（应为 {id_check_char(s[:17])}）", f"ID number check character is wrong (expected {id_check_char(s[:17])})")
    return None


def normalise_id_number(value: str) -> str:
    return str(value).strip().upper().translate(_FULLWIDTH_ID)


def validate_id_number(value: str) -> str:
    """Validate and normalise an 18-digit mainland ID number; raise ``InputError`` if invalid."""
    problem = id_number_problem(value)
    if problem:
        raise InputError(f"{problem[0]}：{value!r}", f"{problem[1]}: {value!r}")
    return normalise_id_number(value)


def make_id_number(region6: str, born: date, sequence: int) -> str:
    """Build a valid ID number (used by the synthetic-data generators)."""
    body = f"{region6}{born:%Y%m%d}{sequence % 1000:03d}"
    return body + id_check_char(body)


def region_code_problem(code: str) -> tuple[str, str] | None:
    """Check a 6-digit GB/T 2260 code or a 12-digit statistical region code (DOMAIN.md §10)."""
    s = str(code).strip()
    if not re.fullmatch(r"\d{6}|\d{12}", s):
        return ("区划代码应为 6 位或 12 位数字", "a region code has 6 or 12 digits")
    if s[:2] in ("00",) or not (11 <= int(s[:2]) <= 82):
        return ("区划代码的省级部分无效", "the province part of the region code is not valid")
    if len(s) == 12:
        township = int(s[6:9])
        if township == 0 and s[9:] != "000":
            return ("12 位代码的乡镇段为 000 时村段也应为 000", "a 12-digit code with township 000 must have village 000")
        if township >= 600:
            return ("12 位代码的乡镇段应在 001–599 之间", "the township segment of a 12-digit code must be 001–599")
    return None


def validate_region_code(code: str) -> str:
    problem = region_code_problem(code)
    if problem:
        raise InputError(f"{problem[0]}：{code!r}", f"{problem[1]}: {code!r}")
    return str(code).strip()


CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))


def credit_code_problem(code: str) -> tuple[str, str] | None:
    """Check an 18-character unified social credit code (GB 32100-2015)."""
    s = str(code).strip().upper()
    if len(s) != 18 or any(c not in CREDIT_CHARS for c in s):
        return ("统一社会信用代码应为 18 位（不含 I、O、Z、S、V）", "a credit code has 18 characters from 0-9 and A-Y without I, O, Z, S, V")
    total = sum(CREDIT_CHARS.index(c) * w for c, w in zip(s[:17], CREDIT_WEIGHTS))
    if CREDIT_CHARS[(31 - total % 31) % 31] != s[17]:
        return ("统一社会信用代码校验位错误", "credit code check character is wrong")
    return None


def make_credit_code(first17: str) -> str:
    total = sum(CREDIT_CHARS.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS))
    return first17 + CREDIT_CHARS[(31 - total % 31) % 31]


# -- masking: the single helper every path out of the SDK goes through ---------------------

def mask(value, kind: str):
    """Mask a sensitive value by kind: ``id`` (ID number), ``phone``, ``name`` or ``text``.

    >>> mask("34052419800101001X", "id")
    '340524********001X'
    >>> mask("13812345678", "phone")
    '138****5678'
    >>> mask("张三丰", "name")
    '张**'
    """
    if value is None:
        return None
    s = str(value)
    if s == "" or s.lower() == "nan":
        return value
    if kind == "id":
        return s[:6] + "*" * (len(s) - 10) + s[-4:] if len(s) > 10 else "*" * len(s)
    if kind == "phone":
        return s[:3] + "*" * (len(s) - 7) + s[-4:] if len(s) > 7 else "*" * len(s)
    if kind == "name":
        return s[0] + "*" * (len(s) - 1) if len(s) > 1 else "*"
    if kind == "text":
        return "***"
    raise ValueError(f"unknown mask kind {kind!r}")


def looks_masked(value, kind: str) -> bool:
    """Whether ``value`` has the shape :func:`mask` gives a value of ``kind``: an asterisk in an ID
    number, phone or name (none holds one), exactly ``***`` for text."""
    if type(value) is not str:
        return False
    s = value.strip().replace("＊", "*")
    if kind == "text":
        return s == "***"
    return "*" in s


def is_mask_of(value, stored, kind: str) -> bool:
    """Whether ``value`` is what :func:`mask` shows for ``stored`` (case and full-width asterisks aside)."""
    if stored is None or type(value) is not str:
        return False
    shown = mask(stored, kind)
    s = value.strip().replace("＊", "*")
    if kind == "id":
        return normalise_id_number(s) == normalise_id_number(shown)
    return s == shown


PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


def phone_problem(value: str) -> tuple[str, str] | None:
    if not PHONE_RE.match(str(value).strip()):
        return ("电话号码格式不正确（手机 11 位或带区号的座机）", "phone number is not an 11-digit mobile or a landline with area code")
    return None
