"""shequ_sdk.values: numbers, amounts and dates as people type them — read exactly, or refused
with a message naming the value (Chinese and English). The web forms and the spreadsheet import
use this one parser, so they accept the same things."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from shequ_sdk.errors import InputError
from shequ_sdk.excel.cells import CellError, parse_date as cell_date, parse_int as cell_int, parse_money_fen as cell_money
from shequ_sdk.values import ParseError, fen_to_yuan_text, parse_date, parse_int, parse_money_fen, parse_money_yuan, parse_number, units_of

KG = units_of("清运量(公斤)", "amount_kg")


@pytest.mark.parametrize("typed,expected", [
    ("123", Decimal("123")), ("１２３", Decimal("123")), ("1,234.50", Decimal("1234.50")), ("1，234", Decimal("1234")),
    ("1 234.5", Decimal("1234.5")), ("-5", Decimal("-5")), ("+7", Decimal("7")), (" 0.5 ", Decimal("0.5")), ("．５", Decimal("0.5")),
    (12, Decimal(12)), (1.25, Decimal("1.25")),
])
def test_numbers_as_typed(typed, expected):
    assert parse_number(typed) == expected


def test_a_number_may_carry_its_fields_unit_only():
    assert KG == ("公斤", "千克", "kg", "kgs")
    assert parse_number("12.5kg", units=KG) == Decimal("12.5")
    assert parse_number("12.5 KG", units=KG) == Decimal("12.5")
    assert parse_number("１２.５公斤", units=KG) == Decimal("12.5")
    assert parse_int("1,250千克", units=KG) == 1250
    with pytest.raises(ParseError) as exc:
        parse_number("12.5kg")  # a field without a unit: kg is not a number
    assert "「12.5kg」" in exc.value.zh and "'12.5kg'" in exc.value.en
    with pytest.raises(ParseError):
        parse_number("12.5吨", units=KG)  # another unit is not converted
    assert units_of("金额(分)") == () and units_of("巡逻时长(小时)")[0] == "小时" and units_of("摘要") == ()


@pytest.mark.parametrize("garbage", ["三百", "12元5角", "1,2", "12,34.5", "1e5", "NaN", "inf", "12..5", "", "--5", "5-", "abc"])
def test_garbage_is_refused_naming_the_value(garbage):
    with pytest.raises(ParseError) as exc:
        parse_number(garbage)
    assert isinstance(exc.value, InputError)  # zh + en, like every user error
    assert f"「{garbage}」无法识别：应为数字" in exc.value.zh and "cannot be read: expected a number" in exc.value.en
    assert exc.value.value == garbage and exc.value.reason_zh.startswith("应为数字")


def test_whole_numbers_refuse_fractions_rather_than_round_them():
    assert parse_int("１２３") == 123 and parse_int("120公斤", units=KG) == 120 and parse_int(7.0) == 7
    with pytest.raises(ParseError, match="不能有小数"):
        parse_int("12.5kg", units=KG)
    with pytest.raises(ParseError, match="应为整数"):
        parse_int("三百")


@pytest.mark.parametrize("typed,fen", [
    ("1,234.50", 123450), ("¥1,234.50", 123450), ("￥1,234.50", 123450), ("1234.5元", 123450), ("1,234.50元", 123450),
    ("１２３４．５", 123450), ("24.8万元", 24_800_000), ("24.8万", 24_800_000), ("(12.00)", -1200), ("-5", -500), ("0", 0),
    ("RMB 12", 1200), (1234.5, 123450), (123.45000000000002, 12345), (Decimal("7.10"), 710),
])
def test_money_in_yuan_to_exact_fen(typed, fen):
    assert parse_money_fen(typed) == fen
    assert parse_money_yuan(typed) * 100 == fen


def test_money_scales_and_bad_money():
    assert parse_money_fen(24.8, scale=10000) == 24_800_000 and parse_money_fen("3", scale=10000) == 3_000_000
    for bad in ("12.345", "一百元", "12元5角", "abc", "1e400", "NaN", "元", True):
        with pytest.raises(ParseError):
            parse_money_fen(bad)
    with pytest.raises(ParseError, match="两位小数"):
        parse_money_fen("12.345")
    assert fen_to_yuan_text(123450) == "1234.50" and fen_to_yuan_text(None) == ""


@pytest.mark.parametrize("typed", ["2011-04-06", "2011.4.6", "2011/4/6", "2011年4月6日", "２０１１年４月６日", "20110406", " 2011-4-6 ",
                                   "2011 年 4 月 6 日", 20110406, dt.date(2011, 4, 6), dt.datetime(2011, 4, 6, 9, 30)])
def test_dates_as_typed(typed):
    assert parse_date(typed) == dt.date(2011, 4, 6)


@pytest.mark.parametrize("garbage", ["2011-02-30", "2011-13-01", "昨天", "4/6/2011", "2011-4", "20111306", "", True])
def test_bad_dates_name_the_value(garbage):
    with pytest.raises(ParseError) as exc:
        parse_date(garbage)
    assert f"「{garbage}」" in exc.value.zh if garbage is not True else True


def test_a_typed_serial_number_is_no_date_but_a_spreadsheet_cell_is():
    with pytest.raises(ParseError):
        parse_date("40543", serials=False)
    assert parse_date(40543) == dt.date(2010, 12, 31) == parse_date("40543")


def test_the_spreadsheet_cells_read_with_the_same_parser():
    """What a form accepts a sheet accepts, and what it refuses the sheet refuses (as a CellError
    whose reason is the parser's)."""
    for typed in ("¥1,234.50", "1234.5元", "１２３", "24.8万元"):
        assert cell_money(typed) == parse_money_fen(typed)
    for typed in ("2011.4.6", "2011年4月6日", "20110406"):
        assert cell_date(typed) == parse_date(typed)
    assert cell_int("120公斤", KG) == 120
    for bad, fn in (("三百", cell_int), ("12.345", cell_money), ("2011-02-30", cell_date), ("1,2", cell_int)):
        with pytest.raises(CellError):
            fn(bad)


def test_a_date_and_time_as_typed():
    from shequ_sdk.values import parse_datetime

    assert parse_datetime("2011-04-06 10:30") == dt.datetime(2011, 4, 6, 10, 30)
    assert parse_datetime("2011年4月6日 ９:05:01") == dt.datetime(2011, 4, 6, 9, 5, 1)
    assert parse_datetime("2011/4/6") == dt.datetime(2011, 4, 6)
    for bad in ("2011-04-06 25:00", "昨天", "2011-02-30 10:00"):
        with pytest.raises(ParseError):
            parse_datetime(bad)
