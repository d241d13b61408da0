"""Culture and sports records: what the write path accepts, and what it refuses whole, naming
the field and the value (DOMAIN.md §8)."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from shequ_sdk import BatchError
from shequ_sdk.fields import describe_model
from shequ_sdk.ids import mask
from shequ_sdk.plugins import registry
from shequ_plugin_culture_sports.models import Activity, Library, LibraryStock, Loan

D = dt.date
TODAY = D(2011, 3, 31)


def count(sdk, model) -> int:
    with sdk.transaction() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def refused(sdk, table, rows):
    with pytest.raises(BatchError) as info:
        sdk.write(table, rows, today=TODAY)
    return info.value.problems


def test_tables_are_registered_with_labels_and_association_type():
    reg = registry()
    assert reg.association_types["culture_sports"].name_zh == "文体协会"
    for key, zh in (("culture_sports_library", "农家书屋/图书室"), ("culture_sports_library_stock", "藏书盘点"),
                    ("culture_sports_loan", "图书借阅登记"), ("culture_sports_activity", "文体活动")):
        table = reg.tables[key]
        assert table.label_zh == zh and table.label_en and table.association_type == "culture_sports"
        assert all(f.label_zh and f.label_en for f in table.fields)
    assert reg.tables["culture_sports_loan"].field("borrower_name").sensitive == "name"
    assert {i.name for i in describe_model(Library) if i.ge == 0} >= {"books", "titles", "periodicals", "av_items"}


def test_valid_records_with_chinese_choice_labels(county, library):
    sdk, r = county["sdk"], county["regions"]
    lib = library("东一村", kind="农家书屋")
    sdk.write(LibraryStock, [{"region_id": r["东一村"], "library_id": lib, "stock_date": D(2010, 12, 31), "books": 2000, "new_titles": 80}], today=TODAY)
    sdk.write(Loan, [{"region_id": r["东一村"], "library_id": lib, "borrower_name": "王秀英", "household_id": county["households"]["东一村"][0],
                      "title": "水稻高产栽培技术", "call_no": "科技-0012", "lent_on": D(2010, 3, 2), "due_on": D(2010, 4, 1),
                      "returned_on": D(2010, 3, 20)}], today=TODAY)
    sdk.write(Activity, [{"region_id": r["东一村"], "association_id": county["associations"]["东一村"], "activity_date": D(2010, 2, 13),
                          "kind": "村晚", "participants": 420, "place": "文体广场", "funding_fen": 300_000}], today=TODAY)
    with sdk.transaction() as s:
        assert s.execute(select(Library.kind)).scalar_one() == "farmhouse"
        act = s.execute(select(Activity)).scalar_one()
        loan = s.execute(select(Loan)).scalar_one()
    assert act.kind == "village_gala" and act.funding_fen == 300_000 and not act.synthetic
    assert mask(loan.borrower_name, "name") == "王**"


def test_negative_book_count_is_refused_naming_field_and_value(county, library):
    sdk, r = county["sdk"], county["regions"]
    problems = refused(sdk, Library, [
        {"region_id": r["东一村"], "name": "东一村农家书屋", "books": 1800},
        {"region_id": r["东二村"], "name": "东二村农家书屋", "books": -5},
    ])
    assert [(p.row, p.field, p.value) for p in problems] == [(2, "books", -5)]
    assert "藏书" in problems[0].message_zh and problems[0].table == "culture_sports_library"
    assert count(sdk, Library) == 0  # the good row was not written either


def test_negative_books_in_stored_data_named_by_library(county, library):
    """Rows that bypassed the write path (an old import, hand-edited SQL) are caught by
    ``shequ check`` with the library's name."""
    sdk = county["sdk"]
    lib = library("东二村")
    with sdk.transaction() as s:
        s.execute(Library.__table__.update().where(Library.__table__.c.id == lib).values(books=-30))
    found = [p for p in sdk.check(today=TODAY) if p.rule == "culture_sports.library_counts_not_negative"]
    assert len(found) == 1 and found[0].field == "books" and found[0].value == -30
    assert "东二村农家书屋" in found[0].message_zh and "东二村农家书屋" in found[0].message_en


def test_loan_returned_before_lent_is_refused(county, library):
    sdk, r = county["sdk"], county["regions"]
    lib = library("东一村")
    good = {"region_id": r["东一村"], "library_id": lib, "borrower_name": "李四", "title": "西游记", "lent_on": D(2010, 5, 1)}
    problems = refused(sdk, Loan, [good, dict(good, borrower_name="张三", lent_on=D(2010, 6, 10), returned_on=D(2010, 6, 1))])
    assert [(p.row, p.field, p.value, p.rule) for p in problems] == [(2, "returned_on", D(2010, 6, 1), "culture_sports.loan_dates")]
    assert "归还日期早于借出日期" in problems[0].message_zh and "returned before it was lent" in problems[0].message_en
    assert count(sdk, Loan) == 0


def test_loan_due_before_lent_and_in_future(county, library):
    sdk, r = county["sdk"], county["regions"]
    lib = library("东一村")
    problems = refused(sdk, Loan, [{"region_id": r["东一村"], "library_id": lib, "borrower_name": "李四", "title": "西游记",
                                    "lent_on": D(2011, 5, 1), "due_on": D(2011, 4, 1)}])
    assert {(p.field, p.value) for p in problems} == {("due_on", D(2011, 4, 1)), ("lent_on", D(2011, 5, 1))}


def test_loan_from_another_villages_library_or_household(county, library):
    sdk, r, hh = county["sdk"], county["regions"], county["households"]
    lib = library("东一村")
    problems = refused(sdk, Loan, [
        {"region_id": r["东二村"], "library_id": lib, "borrower_name": "李四", "title": "西游记", "lent_on": D(2010, 5, 1)},
        {"region_id": r["东一村"], "library_id": lib, "borrower_name": "李四", "title": "西游记", "lent_on": D(2010, 5, 2),
         "household_id": hh["西社区"][0]},
        {"region_id": r["东一村"], "library_id": lib + 999, "borrower_name": "李四", "title": "西游记", "lent_on": D(2010, 5, 3)},
    ])
    assert [(p.row, p.field) for p in problems] == [(1, "library_id"), (2, "household_id"), (3, "library_id")]
    assert "东一村" in problems[0].message_zh and "东二村" in problems[0].message_zh


def test_stocktake_checks(county, library):
    sdk, r = county["sdk"], county["regions"]
    lib = library("东一村", established=D(2009, 6, 1))
    problems = refused(sdk, LibraryStock, [
        {"region_id": r["东一村"], "library_id": lib, "stock_date": D(2008, 12, 31), "books": 900},
        {"region_id": r["西社区"], "library_id": lib, "stock_date": D(2010, 12, 31), "books": 900},
        {"region_id": r["东一村"], "library_id": lib, "stock_date": D(2010, 12, 31), "books": -1},
    ])
    assert [(p.row, p.field) for p in problems] == [(1, "stock_date"), (2, "library_id"), (3, "books")]
    assert count(sdk, LibraryStock) == 0


def test_library_dates_and_association(county, library):
    sdk, r, a = county["sdk"], county["regions"], county["associations"]
    problems = refused(sdk, Library, [
        {"region_id": r["东一村"], "name": "甲", "books": 1600, "established": D(2009, 1, 1), "closed": D(2008, 1, 1)},
        {"region_id": r["东一村"], "name": "乙", "books": 1600, "established": D(2012, 1, 1)},
        {"region_id": r["东一村"], "name": "丙", "books": 1600, "association_id": a["西社区"]},
    ])
    assert [(p.row, p.field) for p in problems] == [(1, "closed"), (2, "established"), (3, "association_id")]
    assert "西社区" in problems[2].message_zh


def test_activity_rules(county):
    sdk, r = county["sdk"], county["regions"]
    problems = refused(sdk, Activity, [
        {"region_id": r["东一村"], "activity_date": D(2011, 6, 1), "kind": "basketball", "participants": 80, "place": "篮球场"},
        {"region_id": r["东一村"], "activity_date": D(2010, 6, 1), "kind": "赛龙舟", "participants": 80, "place": "河边"},
        {"region_id": r["东一村"], "activity_date": D(2010, 7, 1), "kind": "chess", "participants": -3, "place": "活动室"},
    ])
    assert [(p.row, p.field, p.value) for p in problems] == [(1, "activity_date", D(2011, 6, 1)), (2, "kind", "赛龙舟"), (3, "participants", -3)]
    assert count(sdk, Activity) == 0


def test_rows_must_belong_to_a_village(county):
    sdk, r = county["sdk"], county["regions"]
    problems = refused(sdk, Library, [{"region_id": r["东镇"], "name": "镇图书室", "books": 5000}])
    assert problems[0].field == "region_id" and problems[0].value == "东镇"
