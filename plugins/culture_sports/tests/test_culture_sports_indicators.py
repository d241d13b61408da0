"""Culture and sports indicators on a small county: stocks at the period's end, flows within it,
and township and county figures that are the sums of their villages."""

import datetime as dt

from shequ_sdk import config
from shequ_sdk.regions import find_region
from shequ_plugin_culture_sports.models import Activity, LibraryStock, Loan

D = dt.date
TODAY = D(2011, 3, 31)
KEYS = ["culture"]


def test_libraries_and_books_held_at_period_end(county, library):
    sdk, r = county["sdk"], county["regions"]
    a = library("东一村", books=2600, established=D(2008, 3, 1))
    b = library("东一村", name="东一村图书室", kind="reading_room", books=1500, established=D(2010, 4, 1))
    c = library("东二村", books=1900, established=D(2007, 9, 1), closed=D(2010, 8, 31))
    sdk.write(LibraryStock, [
        {"region_id": r["东一村"], "library_id": a, "stock_date": D(2009, 12, 31), "books": 2300},
        {"region_id": r["东一村"], "library_id": a, "stock_date": D(2010, 12, 31), "books": 2600},
        {"region_id": r["东一村"], "library_id": a, "stock_date": D(2010, 6, 30), "books": 2450},
    ], today=TODAY)
    v2009 = sdk.indicator_values("东一村", "2009", keys=KEYS)
    assert (v2009["culture.libraries"], v2009["culture.library_books"]) == (1, 2300)
    v2010 = sdk.indicator_values("东一村", "2010", keys=KEYS)
    assert (v2010["culture.libraries"], v2010["culture.library_books"]) == (2, 2600 + 1500)  # b has no stocktake: registered books
    q2 = sdk.indicator_values("东一村", "2010Q2", keys=KEYS)
    assert (q2["culture.libraries"], q2["culture.library_books"]) == (2, 2450 + 1500)
    # the closed library counts before its closure only
    assert sdk.indicator_values("东二村", "2010Q2", keys=KEYS)["culture.libraries"] == 1
    assert sdk.indicator_values("东二村", "2010", keys=KEYS)["culture.libraries"] == 0
    assert sdk.indicator_values("东二村", "2010", keys=KEYS)["culture.library_books"] == 0
    town = sdk.indicator_values("东镇", "2010Q2", keys=KEYS)
    assert (town["culture.libraries"], town["culture.library_books"]) == (3, 2450 + 1500 + 1900)
    assert c


def test_activities_participants_and_loans_roll_up(county, library):
    sdk, r = county["sdk"], county["regions"]
    rows = [
        ("东一村", D(2010, 2, 13), "village_gala", 400), ("东一村", D(2010, 5, 1), "basketball", 120),
        ("东二村", D(2010, 2, 20), "yangge", 60), ("东二村", D(2010, 11, 5), "reading", 25),
        ("西社区", D(2010, 8, 8), "square_dance", 70), ("西社区", D(2009, 12, 31), "chess", 16),
    ]
    sdk.write(Activity, [{"region_id": r[v], "activity_date": d, "kind": k, "participants": n, "place": "文体广场"} for v, d, k, n in rows],
              today=TODAY)
    lib = library("西社区")
    sdk.write(Loan, [{"region_id": r["西社区"], "library_id": lib, "borrower_name": f"读者{i}", "title": "平凡的世界",
                      "lent_on": D(2010, 1 + i, 3)} for i in range(5)], today=TODAY)
    village = {v: sdk.indicator_values(v, "2010", keys=KEYS) for v in ("东一村", "东二村", "西社区")}
    assert [village[v]["culture.activities"] for v in village] == [2, 2, 1]
    assert [village[v]["culture.participants"] for v in village] == [520, 85, 70]
    assert village["西社区"]["culture.loans"] == 5
    town = sdk.indicator_values("东镇", "2010", keys=KEYS)
    county_v = sdk.indicator_values("文体县", "2010", keys=KEYS)
    assert town["culture.activities"] == 4 and town["culture.participants"] == 605
    for key in ("culture.activities", "culture.participants", "culture.loans", "culture.libraries", "culture.library_books"):
        assert county_v[key] == sum(v[key] for v in village.values())
    # a quarter and a month of flows
    assert sdk.indicator_values("文体县", "2010Q1", keys=KEYS)["culture.activities"] == 2
    assert sdk.indicator_values("文体县", "2010-02", keys=KEYS)["culture.participants"] == 460
    assert sdk.indicator_values("文体县", "2009", keys=KEYS)["culture.activities"] == 1


def test_library_standard_is_a_configurable_warning(county, library):
    sdk, r = county["sdk"], county["regions"]
    library("东一村", books=1200, periodicals=20)  # below 1,500 books and 30 periodicals: written, then flagged
    library("西社区", books=1200, periodicals=40)
    found = [p for p in sdk.check(today=TODAY) if p.rule == "culture_sports.library_standard"]
    assert {(p.field, p.value, p.extra["severity"]) for p in found} == {("books", 1200, "warning"), ("periodicals", 20, "warning")}
    assert sum(p.field == "books" for p in found) == 2
    assert any("东一村农家书屋" in p.message_zh and "1500" in p.message_zh for p in found)
    with sdk.transaction() as s:
        config.set_value(s, "culture_sports.min_books", 1000, find_region(s, "东镇"))
    found = [p for p in sdk.check(today=TODAY) if p.rule == "culture_sports.library_standard"]
    # 东镇 accepts 1,000 books; 西镇 keeps the default standard
    assert sorted((p.field, p.value) for p in found) == [("books", 1200), ("periodicals", 20)]
    assert [p for p in found if p.field == "books"][0].message_zh.startswith("书屋「西社区农家书屋」")
