"""DataStore and the township views without a browser: KPI values are exactly what
``shequ indicators`` prints, selectors change them, the village table and its downloads."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest

from shequ_sdk.indicators import format_value
from shequ_sdk.ui import DataStore, KpiCards, TownshipDashboard, VillageTable

KPI = re.compile(r'<div class="shequ-kpi" data-key="([^"]+)"[^>]*><div class="label">[^<]*</div><div class="value">(.*?)</div>')
TAG = re.compile(r"<[^>]+>")  # the value's number and unit are spans; its text is what counts


def cards(store: DataStore) -> dict[str, str]:
    import html

    return {k: html.unescape(TAG.sub("", v)) for k, v in KPI.findall(KpiCards(data_store=store).html())}


def printed(cli, url: str, region: str, period: str) -> dict[str, str]:
    code, out, err = cli("indicators", "--db", url, "--region", region, "--period", period)
    assert code == 0, err
    rows = {}
    for line in out.splitlines():
        cells = [c.strip() for c in re.split(r"[│┃]", line) if c.strip()]
        if len(cells) == 3 and "." in cells[0]:
            rows[cells[0]] = cells[2]
    return rows


@pytest.mark.postgres
def test_kpi_cards_show_what_shequ_indicators_prints(demo, cli):
    store = DataStore(sdk=demo, region="茅草街镇", period="2010")
    shown = cards(store)
    assert set(shown) == set(store.headline_keys()) and len(shown) >= 15
    assert shown == {k: v for k, v in printed(cli, demo.url, "茅草街镇", "2010").items() if k in shown}
    assert shown["core.associations"] == "30 个"  # six associations in each of the five villages


def test_defaults_are_the_first_county_and_the_latest_full_year(demo_sdk):
    store = DataStore(sdk=demo_sdk)
    assert (store.region, store.period) == ("南县", "2010")
    assert [a[1] for a in store.areas()] == ["南县", "南洲镇", "茅草街镇", "宜城市"]
    assert store.first_year == 2009
    options = store.period_options()
    assert list(options.values())[-1] == "2009" and options["2010年"] == "2010"


def test_period_and_language_change_the_values(demo_sdk):
    store = DataStore(sdk=demo_sdk, region="茅草街镇", period="2010")
    year = cards(store)
    store.period = "2009"
    assert cards(store) != year
    store.period = store.convert_period("quarter")
    assert store.period == "2009Q4"
    quarter = cards(store)
    values = demo_sdk.indicator_values("茅草街镇", "2009Q4")
    reg = demo_sdk.registry
    assert quarter == {k: format_value(reg.indicators[k], values[k], "zh") for k in store.headline_keys()}
    assert "civility.households_10_star" not in quarter  # a yearly indicator has no quarter value
    store.lang = "en"
    assert "个" not in "".join(cards(store).values())
    assert store.convert_period("year") == "2009" and store.convert_period("month") == "2009-12"


def test_a_bad_link_is_ignored_rather_than_breaking_the_page(demo_sdk):
    store = DataStore(sdk=demo_sdk)
    applied = store.apply({"region": "没有这个村", "period": 2009, "lang": "fr", "village": "新尚村社区"})
    assert applied == {"period": "2009", "village": "新尚村社区"}
    assert (store.region, store.period, store.lang) == ("南县", "2009", "zh")


def test_refresh_reads_saved_rows(demo_sdk):
    store = DataStore(sdk=demo_sdk, region="新尚村社区", period="2010")
    before = store.indicator_values(["core.honours"])["core.honours"]
    village = demo_sdk.region("新尚村社区")
    demo_sdk.write("honour", [{"region_id": village.id, "title": "测试荣誉", "year": 2010}])
    assert store.indicator_values(["core.honours"])["core.honours"] == before  # cached for this session
    store.refresh()
    assert store.indicator_values(["core.honours"])["core.honours"] == before + 1


def test_village_table_sorts_numbers_and_downloads_safely(demo_sdk):
    from shequ_sdk.regions import create_region

    with demo_sdk.transaction() as s:
        town = s.get(type(demo_sdk.region("茅草街镇")), demo_sdk.region("茅草街镇").id)
        create_region(session=s, name="=HYPERLINK(\"http://x\")村", kind="village", parent=town)
    store = DataStore(sdk=demo_sdk, region="茅草街镇", period="2010")
    table = VillageTable(data_store=store)
    df = table.frame()
    assert len(df) == 6 and "新尚村社区" in set(df["region_name"])
    assert str(df["finance.disclosure_on_time_rate"].dtype) == "Float64"  # sortable numbers, in per cent
    rate = store.village_indicators(["finance.disclosure_on_time_rate"])
    xinshang = rate.loc[rate["region_name"] == "新尚村社区", "finance.disclosure_on_time_rate"].iloc[0]
    assert df.loc[df["region_name"] == "新尚村社区", "finance.disclosure_on_time_rate"].iloc[0] == round(xinshang * 100, 1)

    csv = table.csv_bytes().decode("utf-8-sig")
    assert csv.splitlines()[0].startswith("村/社区,户数（户）")
    assert "'=HYPERLINK" in csv and "\n=HYPERLINK" not in csv  # formula injection neutralised
    book = openpyxl.load_workbook(io.BytesIO(table.xlsx_bytes()))
    sheet = book.active
    values = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(v.startswith("'=HYPERLINK") for v in values)
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)
    assert table.filename("csv") == "茅草街镇_2010_各村核心指标.csv"


def test_the_dashboard_renders_in_a_notebook_as_itself(demo_sdk):
    app = TownshipDashboard(sdk=demo_sdk, region="茅草街镇", period="2010")
    layout = app.__panel__()  # not served: the layout, not the template
    assert "shequ-app" in layout.css_classes
    model = layout.get_root()
    assert model is not None
    bundle = app._repr_mimebundle_()
    assert bundle and any("html" in k or "bokeh" in k or "panel" in k for k in bundle[0])
