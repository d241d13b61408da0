"""Period: parsing (ASCII, Chinese and full-width), errors in both languages, ordering,
containment, iteration over days, subperiods and ranges."""

from datetime import date

import pytest

from shequ_sdk import InputError, Period


@pytest.mark.parametrize(
    "text, kind, year, number",
    [
        ("2010", "year", 2010, 1),
        (2010, "year", 2010, 1),
        ("2010年", "year", 2010, 1),
        (" 2010 ", "year", 2010, 1),
        ("2010Q4", "quarter", 2010, 4),
        ("2010q1", "quarter", 2010, 1),
        ("2010-Q2", "quarter", 2010, 2),
        ("2010 Q3", "quarter", 2010, 3),
        ("2010年第4季度", "quarter", 2010, 4),
        ("2010年3季度", "quarter", 2010, 3),
        ("2010-12", "month", 2010, 12),
        ("2010-1", "month", 2010, 1),
        ("2010/07", "month", 2010, 7),
        ("2010年12月", "month", 2010, 12),
        ("2010年1月", "month", 2010, 1),
        # full-width forms typed with a Chinese input method
        ("２０１０", "year", 2010, 1),
        ("２０１０Ｑ４", "quarter", 2010, 4),
        ("２０１０ｑ２", "quarter", 2010, 2),
        ("２０１０年第４季度", "quarter", 2010, 4),
        ("２０１０－１２", "month", 2010, 12),
        ("２０１０／０３", "month", 2010, 3),
        ("２０１０年１２月", "month", 2010, 12),
        ("2010\u3000Q4", "quarter", 2010, 4),
    ],
)
def test_parse_accepts(text, kind, year, number):
    p = Period.parse(text)
    assert (p.kind, p.year, p.number) == (kind, year, number)


@pytest.mark.parametrize("text", ["2010Q5", "2010Q0", "2010-13", "2010-00", "2010年13月", "abc", "", "10", "20100", "2010-Q", "Q4 2010", "2010年第5季度"])
def test_parse_refuses_with_both_languages(text):
    with pytest.raises(InputError) as exc:
        Period.parse(text)
    err = exc.value
    assert "无法识别的期间" in err.zh and repr(text) in err.zh
    assert "malformed period" in err.en and repr(text) in err.en
    assert str(err) == f"{err.zh} / {err.en}"


def test_out_of_range_values_are_refused_in_both_languages():
    with pytest.raises(InputError) as exc:
        Period.parse("1800")
    assert "年份超出范围" in exc.value.zh and "year out of range" in exc.value.en
    with pytest.raises(InputError) as exc:
        Period("week", 2010)
    assert "未知的期间类型" in exc.value.zh and "unknown period kind" in exc.value.en
    with pytest.raises(InputError) as exc:
        Period("month", 2010, 13)
    assert "期间编号超出范围" in exc.value.zh and "period number out of range" in exc.value.en


def test_parse_returns_periods_unchanged_and_round_trips_through_str():
    p = Period("quarter", 2010, 4)
    assert Period.parse(p) is p
    for text in ("2009", "2010Q1", "2010Q4", "2010-01", "2010-12"):
        assert str(Period.parse(text)) == text
        assert Period.parse(str(Period.parse(text))) == Period.parse(text)


def test_equality_and_hashing():
    assert Period.parse("2010年第4季度") == Period.parse("2010Q4") == Period("quarter", 2010, 4)
    assert Period.parse("2010") != Period.parse("2010Q1")
    assert len({Period.parse("2010-12"), Period.parse("2010年12月"), Period.parse("２０１０－１２")}) == 1


def test_ordering_by_start_then_length():
    shuffled = [Period.parse(t) for t in ("2010-02", "2010Q2", "2011", "2010-01", "2009Q4", "2010Q1", "2010")]
    assert [str(p) for p in sorted(shuffled)] == ["2009Q4", "2010", "2010Q1", "2010-01", "2010-02", "2010Q2", "2011"]
    assert Period.parse("2010Q4") < Period.parse("2011-01")
    assert Period.parse("2010-12") > Period.parse("2010Q4")  # same end, later start
    assert Period.parse("2010") <= Period.parse("2010")
    with pytest.raises(TypeError):
        Period.parse("2010") < "2011"  # noqa: B015 - comparing with text is a type error


def test_dates_next_and_previous():
    q = Period.parse("2010Q4")
    assert (q.start, q.end, q.days) == (date(2010, 10, 1), date(2010, 12, 31), 92)
    assert Period.parse("2012-02").end == date(2012, 2, 29)
    assert Period.parse("2010-02").days == 28
    assert Period.parse("2012").days == 366
    assert q.next() == Period.parse("2011Q1") and q.next().previous() == q
    assert Period.parse("2010-12").next() == Period.parse("2011-01")
    assert Period.parse("2010-01").previous() == Period.parse("2009-12")
    assert Period.parse("2010Q1").previous() == Period.parse("2009Q4")
    assert Period.parse("2010").next() == Period.parse("2011")


def test_containing_constructors():
    d = date(2010, 11, 15)
    assert Period.quarter_of(d) == Period.parse("2010Q4")
    assert Period.month_of(d) == Period.parse("2010-11")
    assert Period.year_of(2010) == Period.parse("2010")
    assert [Period.containing(d, k) for k in ("year", "quarter", "month")] == [Period.parse(t) for t in ("2010", "2010Q4", "2010-11")]


def test_containment_of_dates_and_periods():
    q4 = Period.parse("2010Q4")
    assert date(2010, 10, 1) in q4 and date(2010, 12, 31) in q4
    assert date(2010, 9, 30) not in q4 and date(2011, 1, 1) not in q4
    assert Period.parse("2010-12") in q4
    assert Period.parse("2010-09") not in q4
    assert q4 not in Period.parse("2010-12")
    assert q4 in Period.parse("2010") and q4 in q4
    assert Period.parse("2010").contains(Period.parse("2010-06"))
    assert not Period.parse("2010").contains(Period.parse("2011Q1"))


def test_iteration_yields_every_day():
    days = list(Period.parse("2010-02"))
    assert len(days) == 28 and days[0] == date(2010, 2, 1) and days[-1] == date(2010, 2, 28)
    assert len(list(Period.parse("2012"))) == 366
    year = list(Period.parse("2010"))
    assert len(year) == 365 == len(set(year)) and year == sorted(year)


def test_subperiods():
    assert [str(p) for p in Period.parse("2010").subperiods("quarter")] == ["2010Q1", "2010Q2", "2010Q3", "2010Q4"]
    months = Period.parse("2010").subperiods("month")
    assert len(months) == 12 and months[0] == Period.parse("2010-01") and months[-1] == Period.parse("2010-12")
    assert [str(p) for p in Period.parse("2010Q4").subperiods("month")] == ["2010-10", "2010-11", "2010-12"]
    assert Period.parse("2010").subperiods("year") == [Period.parse("2010")]
    with pytest.raises(InputError) as exc:
        Period.parse("2010Q4").subperiods("year")
    assert "不能拆分" in exc.value.zh and "cannot be split" in exc.value.en


def test_range():
    assert [str(p) for p in Period.range("2010Q3", "2011Q2")] == ["2010Q3", "2010Q4", "2011Q1", "2011Q2"]
    assert [str(p) for p in Period.range("2010-11", Period.parse("2011-02"))] == ["2010-11", "2010-12", "2011-01", "2011-02"]
    assert Period.range("2010", "2010") == [Period.parse("2010")]
    assert Period.range("2011", "2010") == []
    with pytest.raises(InputError) as exc:
        Period.range("2010", "2010Q4")
    assert "类型不同" in exc.value.zh and "one kind" in exc.value.en


def test_labels():
    assert Period.parse("2010Q4").label("zh") == "2010年第4季度"
    assert Period.parse("2010Q4").label("en") == "2010 Q4"
    assert Period.parse("2010-12").label("zh") == "2010年12月"
    assert Period.parse("2010-12").label("en") == "Dec 2010"
    assert Period.parse("2010").label() == "2010年"
    # every Chinese label parses back to its period
    for text in ("2010", "2010Q2", "2010-07"):
        assert Period.parse(Period.parse(text).label("zh")) == Period.parse(text)
