"""Indicator frames: the long frame agrees with ``indicator_values`` at every level, the
grouping happens in SQL (query count independent of the number of villages), rates are
recomputed rather than averaged, and ``wide`` pivots with one typed column per indicator."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from shequ_sdk import InputError
from shequ_sdk.frames import wide
from shequ_sdk.period import Period

LONG_COLUMNS = ["region_id", "region_code", "region_name", "level", "period", "period_start", "indicator", "value"]


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        return abs(float(a) - float(b)) < 1e-12
    return a == b


@pytest.mark.parametrize("level", ["village", "township", "county"])
def test_long_frame_matches_indicator_values_at_each_level(demo, level):
    long = demo.indicators(regions="南县", periods=["2010", "2010Q4"], level=level, exact=True)
    assert list(long.columns) == LONG_COLUMNS
    expected_regions = {"village": 10, "township": 2, "county": 1}[level]
    assert long["region_id"].nunique() == expected_regions
    assert set(long["level"]) == {level}
    compared = 0
    for (name, period), group in long.groupby(["region_name", "period"], observed=True):
        values = demo.indicator_values(name, period)
        got = dict(zip(group["indicator"], group["value"]))
        assert set(got) == set(values), (name, period)
        for key, value in values.items():
            assert _same(got[key], value), (name, period, key, got[key], value)
            compared += 1
    assert compared >= expected_regions * (4 + 3)  # the core alone: 4 yearly and 3 quarterly indicators


def test_village_level_is_one_query_per_indicator_not_per_village(demo, statements):
    kinds = {}
    for level in ("village", "township", "county"):
        seen = statements(demo.engine)
        df = demo.indicators("core", regions="南县", periods="2010", level=level)
        kinds[level] = (len(seen), df["region_id"].nunique())
        seen.clear()
    # 10 villages, 2 townships, 1 county — the same number of statements for each
    assert kinds["village"][1] == 10 and kinds["township"][1] == 2 and kinds["county"][1] == 1
    assert kinds["village"][0] == kinds["township"][0] == kinds["county"][0]
    assert kinds["village"][0] <= 2 * 4 + 3


def test_long_frame_types_and_order(demo):
    long = demo.indicators(["core.households", "core.honours"], regions="南县", periods=Period.range("2009", "2010"))
    assert str(long["value"].dtype) == "float64"
    assert str(long["period_start"].dtype) == "datetime64[ns]"
    assert str(long["region_id"].dtype) == "Int64"
    assert list(dict.fromkeys(long["period"])) == ["2009", "2010"]
    assert long.attrs["indicator_labels"] == {"core.households": "户数", "core.honours": "获得荣誉"}
    assert long.attrs["labels"]["region_name"] == "地区"
    honours = long[(long["indicator"] == "core.honours") & (long["region_name"] == "南洲村") & (long["period"] == "2010")]
    assert honours["value"].tolist() == [3.0]
    en = demo.indicators("core.households", regions="南县", periods="2010", lang="en")
    assert en.attrs["indicator_labels"] == {"core.households": "Households"}


def test_yearly_only_indicators_have_no_quarter_rows(demo):
    long = demo.indicators("core", regions="南县", periods=["2010Q1", "2010"], level="county")
    assert "core.honours" not in set(long.loc[long["period"] == "2010Q1", "indicator"])
    assert "core.honours" in set(long.loc[long["period"] == "2010", "indicator"])


def test_several_areas_and_area_level(demo):
    long = demo.indicators("core.households", regions=["南县", "宜城市"], periods="2010", level=None)
    assert long["region_name"].tolist() == ["南县", "宜城市"]
    assert long["region_code"].tolist() == ["430921", "420684"]
    assert long["level"].astype(str).tolist() == ["county", "county"]
    every_county = demo.indicators("core.households", periods="2010", level="county")
    assert every_county["region_name"].tolist() == ["南县", "宜城市"]


def test_bad_arguments_are_explained(demo):
    with pytest.raises(InputError) as exc:
        demo.indicators(regions="新尚村社区", periods="2010", level="township")
    assert "新尚村社区" in exc.value.zh and "township" in exc.value.en
    with pytest.raises(InputError):
        demo.indicators(regions="南县")
    with pytest.raises(InputError):
        demo.indicators(regions="南县", periods="2010", level="province")
    with pytest.raises(InputError):
        demo.indicators(["no_such.indicator"], regions="南县", periods="2010")


def test_rates_are_recomputed_and_money_is_exact(ledger):
    sdk, rows = ledger
    keys = ["analytics_test.paid", "analytics_test.cash_share"]
    villages = sdk.indicators(keys, regions="测试县", periods="2010", level="village", exact=True)
    towns = sdk.indicators(keys, regions="测试县", periods="2010", level="township", exact=True)
    jia = [r for r in rows if r["town"] == "甲镇"]
    paid = towns[(towns["region_name"] == "甲镇") & (towns["indicator"] == "analytics_test.paid")]["value"].item()
    assert isinstance(paid, Decimal) and paid == Decimal(sum(r["amount_fen"] for r in jia)) / 100
    share = towns[(towns["region_name"] == "甲镇") & (towns["indicator"] == "analytics_test.cash_share")]["value"].item()
    pooled = sum(r["category"] == "cash" for r in jia) / len(jia)
    village_shares = villages[(villages["indicator"] == "analytics_test.cash_share") & villages["region_name"].isin(["甲一村", "甲二村"])]["value"]
    assert share == pytest.approx(pooled)
    assert share != pytest.approx(village_shares.mean())  # the seed rows make the two differ


def test_wide_has_one_typed_column_per_indicator(ledger):
    sdk, rows = ledger
    keys = ["core.households", "analytics_test.paid", "analytics_test.cash_share"]
    long = sdk.indicators(keys, regions="测试县", periods=["2010Q1", "2010Q2"], level="village")
    w = sdk.wide(long)
    assert list(w.columns) == ["region_id", "region_code", "region_name", "level", "period", "period_start", *keys]
    assert len(w) == 3 * 2
    assert str(w["core.households"].dtype) == "Int64"
    assert str(w["analytics_test.paid"].dtype) == "float64"
    assert str(w["analytics_test.cash_share"].dtype) == "float64"
    for _, row in long.iterrows():
        cell = w[(w["region_id"] == row["region_id"]) & (w["period"] == row["period"])][row["indicator"]].item()
        assert (pd.isna(cell) and pd.isna(row["value"])) or cell == pytest.approx(row["value"])
    exact = sdk.wide(keys=keys, regions="测试县", periods="2010", level="township", exact=True)
    assert all(isinstance(v, Decimal) for v in exact["analytics_test.paid"])
    zh = wide(long, lang="zh")
    assert {"户数", "支出金额", "现金支付占比"} <= set(zh.columns)
    assert zh.attrs["labels"]["region_name"] == "地区"
    en = sdk.wide(long, lang="en")
    assert {"Households", "Paid out", "Share paid in cash"} <= set(en.columns)
    assert en.attrs["labels"]["region_name"] == "Region"


def test_wide_keeps_regions_without_a_code(ledger):
    sdk, _ = ledger
    long = sdk.indicators("core.households", regions="测试县", periods="2010", level="township")
    assert long["region_code"].isna().all()  # townships were created without codes
    assert len(sdk.wide(long)) == 2


def test_indicator_labels_and_catalog(ledger):
    sdk, _ = ledger
    assert sdk.indicator_labels()["analytics_test.cash_share"] == "现金支付占比"
    assert sdk.indicator_labels("en")["core.households"] == "Households"
    cat = sdk.indicator_catalog()
    row = cat[cat["indicator"] == "analytics_test.paid"].iloc[0]
    assert row["plugin"] == "analytics_test" and row["value_type"] == "money" and row["unit"] == "元"
    assert bool(cat.loc[cat["indicator"] == "analytics_test.cash_share", "rate"].item())
