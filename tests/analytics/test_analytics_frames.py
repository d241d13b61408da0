"""Record frames: filters reach SQL, columns are typed alike on both backends, sensitive
columns are masked unless the role allows otherwise, labels come from metadata."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from shequ_sdk import InputError, NotFoundError, PermissionDenied
from shequ_sdk.frames import labelled, may_unmask
from shequ_sdk.ids import mask

TABLE = "analytics_test_ledger"
def _ledger_selects(seen):
    return [s for s in seen if s.lstrip().upper().startswith("SELECT") and "analytics_test_ledger" in s]


# -- filters go into SQL ---------------------------------------------------------------------

def test_region_period_and_where_filters_are_in_the_sql(ledger, statements):
    sdk, rows = ledger
    seen = statements(sdk.engine)
    df = sdk.frame(TABLE, region="甲镇", period="2010Q2", where={"category": "银行转账"})
    expected = [r for r in rows if r["town"] == "甲镇" and dt.date(2010, 4, 1) <= r["entry_date"] <= dt.date(2010, 6, 30) and r["category"] == "bank"]
    assert len(expected) >= 1
    assert sorted(df["amount_fen"].tolist()) == sorted(r["amount_fen"] for r in expected)
    selects = _ledger_selects(seen)
    assert len(selects) == 1, selects
    where = selects[0].split("WHERE", 1)[1]
    assert "region_id IN" in where and "entry_date >=" in where and "entry_date <" in where and "category =" in where


def test_columns_and_limit_are_in_the_sql(ledger, statements):
    sdk, rows = ledger
    seen = statements(sdk.engine)
    df = sdk.frame(TABLE, columns=["id", "amount_fen", "region_name"], limit=4)
    assert list(df.columns) == ["id", "amount_fen", "region_name"]
    assert len(df) == 4 and df["id"].is_monotonic_increasing
    sql = _ledger_selects(seen)[0]
    head = sql.split("FROM", 1)[0]
    assert "payee_name" not in head and "amount_fen" in head
    assert "LIMIT" in sql.upper()


def test_a_village_frame_of_households_reads_only_that_village(demo, statements):
    seen = statements(demo.engine)
    df = demo.frame("household", region="新尚村社区", columns=["id", "number", "region_name"])
    assert len(df) == 360 and set(df["region_name"]) == {"新尚村社区"}
    household_selects = [s for s in seen if "FROM household" in s]
    assert len(household_selects) == 1 and "WHERE" in household_selects[0]
    total = demo.row_counts()["household"]
    assert total > 3000  # the whole county, of which only one village was fetched


def test_several_regions_and_periods(ledger):
    sdk, rows = ledger
    df = sdk.frame(TABLE, region=["甲二村", "乙一社区"], period=["2010Q1", "2010-12"], with_region=True)
    expected = [r for r in rows if r["village"] in ("甲二村", "乙一社区") and (r["entry_date"].month <= 3 or r["entry_date"].month == 12)]
    assert sorted(df["amount_fen"].tolist()) == sorted(r["amount_fen"] for r in expected)
    assert set(df["township_name"]) <= {"甲镇", "乙镇"}


def test_period_field_tables_filter_by_their_period_label(quarter_ledger, statements):
    sdk, rows = quarter_ledger
    seen = statements(sdk.engine)
    year = sdk.frame(TABLE, period="2010")
    assert len(year) == len(rows)
    q2 = sdk.frame(TABLE, period="2010Q2")
    assert sorted(q2["amount_fen"].tolist()) == sorted(r["amount_fen"] for r in rows if r["quarter"] == "2010Q2")
    assert "quarter IN" in _ledger_selects(seen)[-1]
    with pytest.raises(InputError) as exc:
        sdk.frame(TABLE, period="2010-05")
    assert "季度" in exc.value.zh and "quarter" in exc.value.en


def test_timestamp_date_fields_include_the_whole_last_day(posted_ledger):
    sdk, rows = posted_ledger
    region_id = rows[0]["region_id"]
    extra = [dict(rows[0], posted_at=dt.datetime(2010, 6, 30, 23, 59, 59), amount_fen=1),
             dict(rows[0], posted_at=dt.datetime(2010, 7, 1, 0, 0, 0), amount_fen=2)]
    sdk.write(TABLE, [{k: v for k, v in r.items() if k not in ("village", "town")} for r in extra])
    q2 = sdk.frame(TABLE, period="2010Q2", where={"region_id": region_id})
    assert 1 in set(q2["amount_fen"]) and 2 not in set(q2["amount_fen"])
    expected = [r for r in rows if r["region_id"] == region_id and r["posted_at"] and dt.datetime(2010, 4, 1) <= r["posted_at"] < dt.datetime(2010, 7, 1)]
    assert len(q2) == len(expected) + 1


def test_period_needs_a_date_or_period_field(demo):
    with pytest.raises(InputError) as exc:
        demo.frame("household", period="2010")
    assert "household" in exc.value.zh and "no date or period field" in exc.value.en


def test_bad_table_column_and_choice_are_named(ledger):
    sdk, _ = ledger
    with pytest.raises(NotFoundError):
        sdk.frame("no_such_table")
    with pytest.raises(InputError) as exc:
        sdk.frame(TABLE, columns=["amount"])
    assert "amount" in exc.value.zh and "amount" in exc.value.en
    with pytest.raises(InputError) as exc:
        sdk.frame(TABLE, where={"category": "支票"})
    assert "支票" in exc.value.zh and "现金" in exc.value.zh


# -- typed columns -----------------------------------------------------------------------------

def test_column_types_are_the_same_on_both_backends(ledger):
    sdk, rows = ledger
    df = sdk.frame(TABLE)
    assert str(df["entry_date"].dtype) == "datetime64[ns]"
    assert str(df["posted_at"].dtype) == "datetime64[ns]"
    assert str(df["amount_fen"].dtype) == "Int64" and str(df["id"].dtype) == "Int64"
    assert str(df["approved"].dtype) == "boolean"
    assert isinstance(df["category"].dtype, pd.CategoricalDtype)
    assert list(df["category"].cat.categories) == ["现金", "银行转账", "实物"]
    assert pd.api.types.is_string_dtype(df["note"].dtype)
    first = rows[0]
    assert df["entry_date"].iloc[0] == pd.Timestamp(first["entry_date"])
    with_time = next(n for n, r in enumerate(rows) if r["posted_at"] is not None)
    assert df["posted_at"].iloc[with_time] == pd.Timestamp(rows[with_time]["posted_at"])
    assert df["posted_at"].isna().sum() == sum(r["posted_at"] is None for r in rows)
    assert df["amount_fen"].tolist() == [r["amount_fen"] for r in rows]


def test_categories_in_english_or_as_codes(ledger):
    sdk, rows = ledger
    en = sdk.frame(TABLE, lang="en")
    assert list(en["category"].cat.categories) == ["cash", "bank transfer", "goods"]
    assert en.attrs["labels"]["amount_fen"] == "Amount (fen)" and en.attrs["table_label"] == "Test ledger"
    codes = sdk.frame(TABLE, codes=True)
    assert codes["category"].astype(str).tolist() == [r["category"] for r in rows]


def test_money_stays_exact_fen_with_optional_decimal_yuan(ledger):
    sdk, rows = ledger
    df = sdk.frame(TABLE, columns=["amount_fen", "category"], yuan=True)
    assert list(df.columns) == ["amount_fen", "amount_yuan", "category"]
    assert all(isinstance(v, Decimal) for v in df["amount_yuan"])
    assert df["amount_yuan"].tolist() == [Decimal(r["amount_fen"]) / 100 for r in rows]
    assert sum(df["amount_yuan"]) == Decimal(sum(r["amount_fen"] for r in rows)) / 100
    assert df.attrs["labels"]["amount_yuan"] == "金额（元）"
    assert df.attrs["money_fen"] == ["amount_fen"]


def test_labels_from_metadata(ledger):
    sdk, _ = ledger
    zh = sdk.labels(TABLE)
    assert zh["payee_name"] == "收款人" and zh["amount_yuan"] == "金额（元）" and zh["region_name"] == "地区"
    assert sdk.labels(TABLE, "en")["amount_yuan"] == "Amount (yuan)"
    df = sdk.frame(TABLE, columns=["entry_date", "amount_fen"], with_region=True)
    assert list(labelled(df).columns) == ["记账日期", "金额(分)", "地区", "区划代码", "乡镇"]
    with pytest.raises(InputError):
        sdk.labels(TABLE, "fr")


# -- privacy -------------------------------------------------------------------------------------

class _Grant:
    """A stand-in for the later role system: clear access to the listed columns only."""

    def __init__(self, *columns):
        self.columns = set(columns)

    def may_unmask(self, table, field):
        return field.name in self.columns

    def __str__(self):
        return "grant:" + ",".join(sorted(self.columns))


def test_sensitive_columns_are_masked_by_default(ledger):
    sdk, rows = ledger
    df = sdk.frame(TABLE)
    assert df["payee_name"].tolist() == [mask(r["payee_name"], "name") for r in rows]
    assert df["payee_phone"].tolist()[0] == mask(rows[0]["payee_phone"], "phone") == "138****0000"
    assert df["payee_phone"].isna().sum() == sum(r["payee_phone"] is None for r in rows)
    assert set(df.attrs["masked"]) == {"payee_name", "payee_phone"}
    assert not set(df["payee_name"]) & {r["payee_name"] for r in rows}


def test_unmasking_needs_a_role_that_allows_it(ledger, backend_url):
    import shequ_sdk

    sdk, rows = ledger
    with pytest.raises(PermissionDenied) as exc:
        sdk.frame(TABLE, unmasked=True)
    assert "payee_name" in exc.value.zh and "payee_name" in exc.value.en
    with pytest.raises(PermissionDenied):
        sdk.frame(TABLE, where={"payee_name": "张三丰"})  # a filter would leak the clear value
    phone_only = shequ_sdk.open(backend_url, role=_Grant("payee_phone"))
    try:
        df = phone_only.frame(TABLE, unmasked=["payee_phone"])
        assert df["payee_phone"].tolist()[0] == rows[0]["payee_phone"]
        assert df["payee_name"].tolist()[0] == mask(rows[0]["payee_name"], "name")
        with pytest.raises(PermissionDenied):
            phone_only.frame(TABLE, unmasked=True)
    finally:
        phone_only.close()
    everything = shequ_sdk.open(backend_url, role=_Grant("payee_name", "payee_phone"))
    try:
        clear = everything.frame(TABLE, unmasked=True, where={"payee_name": "张三丰"})
        assert set(clear["payee_name"]) == {"张三丰"} and len(clear) == sum(r["payee_name"] == "张三丰" for r in rows)
        assert everything.frame(TABLE).attrs["masked"] == ["payee_name", "payee_phone"]  # masked unless asked
    finally:
        everything.close()
    with pytest.raises(InputError):
        sdk.frame(TABLE, unmasked=["note"])  # not a sensitive column


def test_may_unmask_defaults_to_no(ledger):
    from shequ_sdk.plugins import registry

    rt = registry().table(TABLE)
    assert not may_unmask(None, rt, rt.field("payee_name"))
    assert not may_unmask("admin", rt, rt.field("payee_name"))  # plain names grant nothing until roles exist
    assert may_unmask(_Grant("payee_name"), rt, rt.field("payee_name"))


def test_household_id_numbers_and_phones_are_masked(demo):
    df = demo.frame("household", region="南洲村", limit=5)
    assert all("*" in v for v in df["head_id_number"]) and all(len(v) == 18 for v in df["head_id_number"])
    assert all(v[3:7] == "****" for v in df["phone"])
    assert all(v[1:] == "*" * (len(v) - 1) for v in df["head_name"])


def test_regions_frame(demo):
    df = demo.regions_frame("南县")
    assert set(df["kind"].cat.categories) >= {"县级", "乡镇级", "村", "社区"}
    assert (df["level"] == "village").sum() == 10
    assert set(df.loc[df["name"] == "新尚村社区", "township_name"]) == {"茅草街镇"}
    assert set(df["county_name"]) == {"南县"}
