"""The township dashboard as a web user sees it, without a browser: no developer notes or
commands, every view within the signed-in user's scope, downloads with exact numbers, English
labels, and a village page of names (not ids) and yuan (not fen)."""

from __future__ import annotations

import json

import panel as pn
import pytest
from bokeh.document import Document

from shequ_sdk.ui import STRINGS, DataStore, TownshipDashboard, VillagePage, views_for
from shequ_sdk.ui.views import render_view_checked


def page_text(obj) -> str:
    """Everything a browser would receive for ``obj``: its Bokeh document, as JSON text."""
    doc = Document()
    doc.add_root(pn.panel(obj).get_root(doc))
    return json.dumps(doc.to_json(), ensure_ascii=False, default=str)


def test_no_label_tells_a_web_user_to_run_a_command():
    for key, pair in STRINGS.items():
        for text in pair:
            assert "shequ " not in text and "命令" not in text, (key, text)


def test_the_township_page_has_no_developer_note(demo_sdk):
    text = page_text(TownshipDashboard(sdk=demo_sdk, region="茅草街镇", period="2010", defer=False))
    assert "核心指标" in text
    assert "shequ indicators" not in text and "命令" not in text


PASSWORD = "春耕秋收2010"


@pytest.fixture
def signed_in(demo_sdk):
    """``signed_in(username)``: the demo database as seen by a township user (maocao, 茅草街镇)
    or a village user (xinshang, 新尚村社区), signed in with their password."""
    from shequ_sdk.auth import add_user

    with demo_sdk.transaction() as s:
        add_user(s, "maocao", role="township", region="茅草街镇", password=PASSWORD)
        add_user(s, "xinshang", role="village", region="新尚村社区", password=PASSWORD)
    return lambda username: demo_sdk.login(username, PASSWORD)


@pytest.mark.parametrize("username", ["maocao", "xinshang"])
def test_every_view_renders_within_a_signed_in_users_scope(signed_in, username):
    store = DataStore(sdk=signed_in(username))  # opens on the user's own township or village
    for placement in ("chart", "village"):
        for spec in views_for(placement):
            rendered, exc = render_view_checked(spec, store)
            assert exc is None, (username, spec.key, f"{type(exc).__name__}: {exc}")
    store.village = "新尚村社区"
    for text in (page_text(TownshipDashboard(data_store=store, defer=False)), page_text(VillagePage(data_store=store))):
        assert "shequ-view-error" not in text and "shequ-permission" not in text and "PermissionDenied" not in text


def test_a_read_of_the_county_is_kept_within_a_township_users_scope(signed_in):
    store = DataStore(sdk=signed_in("maocao"))
    assert store.reach("南县") == "茅草街镇"  # the county holds the scope: read the scope
    assert store.reach("新尚村社区") == "新尚村社区"  # inside the scope: as asked
    assert store.reach("南洲镇") == "南洲镇"  # beside the scope: as asked, and refused by the SDK
    assert len(store.frame("elderly_resident", region="南县", period=None)) == len(store.frame("elderly_resident", period=None))


def test_the_csv_download_keeps_counts_whole_and_money_in_yuan_with_two_decimals(demo_sdk):
    import csv
    import io

    from shequ_sdk.ui import VillageTable

    table = VillageTable(data_store=DataStore(sdk=demo_sdk, region="茅草街镇", period="2010"))
    rows = list(csv.DictReader(io.StringIO(table.csv_bytes().decode("utf-8-sig"))))
    by_name = {r["村/社区"]: r for r in rows}
    assert by_name["新尚村社区"]["户数（户）"] == "360"
    assert by_name["太台村"]["登记资产原值（元）"] == "377500.00"
    counts = [c for c in rows[0] if c.endswith(("（户）", "（个）", "（件）", "（次）", "（人）"))]
    assert len(counts) >= 8
    for row in rows:
        assert all(row[c] == "" or row[c].isdigit() for c in counts), row
        assert row["登记资产原值（元）"] == "" or row["登记资产原值（元）"].split(".")[1].__len__() == 2
    workbook = table.xlsx_bytes()  # the Excel download takes the same exact values
    assert workbook[:2] == b"PK"


def test_english_labels_have_no_empty_brackets_and_kpi_units_wrap(demo_sdk):
    from shequ_sdk.ui import KpiCards
    from shequ_sdk.ui.charts import axis_label

    store = DataStore(sdk=demo_sdk, region="茅草街镇", period="2010", lang="en")
    assert axis_label(store.indicator("core.associations"), "en") == "Associations"
    assert axis_label(store.indicator("core.households"), "en") == "Households (households)"
    assert axis_label(store.indicator("core.associations"), "zh") == "协会数（个）"
    cards = KpiCards(data_store=store).html()
    assert '<span class="num">1,653</span> <span class="unit">households</span>' in cards
    assert "white-space:nowrap}" not in cards.split(".shequ-kpi .value{", 1)[1].split("\n", 1)[0]
    store.village = "新尚村社区"
    village = page_text(VillagePage(data_store=store))
    assert "Associations (6)" in village and "()" not in village and "（" not in village.split("Associations", 1)[1][:5]
    app = TownshipDashboard(data_store=store, defer=False)
    assert app.title() == "Township dashboard"


def test_the_village_page_names_records_in_yuan_newest_first_ten_at_a_time(demo_sdk):
    import re

    from shequ_sdk.ui.views import paged_table

    store = DataStore(sdk=demo_sdk, region="茅草街镇", period="2010", village="新尚村社区")
    page = VillagePage(data_store=store)
    recent = {rt.key: df for rt, _n, df in page.recent() if df is not None}
    for key, df in recent.items():
        assert not any("分" in str(c) and "(" in str(c) for c in df.columns), (key, list(df.columns))  # no 金额(分)
        assert "id" not in df.columns and "region_id" not in df.columns
    # references by name: the household by its number and head, the association and the home by name
    stars = recent["civility_star_rating"]
    assert all(re.fullmatch(r"\d{4}（.+）", h) for h in stars["户"]), stars["户"].head()
    assert set(recent["culture_sports_activity"]["主办协会"]) <= set(store.frame("association", region="新尚村社区", period=None)["name"])
    assert list(recent["elderly_home_fund"]["五保之家/敬老院"]) == ["新尚村社区五保之家"]
    assert [str(v) for v in recent["elderly_home_fund"]["金额（元）"]] == ["248000.00"]
    runs = recent["sanitation_collection_run"]["清运日期"]
    assert runs.is_monotonic_decreasing and str(runs.iloc[0])[:10] == "2010-12-31"  # newest first

    text = page_text(page)
    assert "shequ-recent-civility_star_rating" in text and "更多（还有 258 条）" in text
    assert "金额(分)" not in text and "24800000" not in text

    paged = paged_table(stars, css_class="shequ-recent", page=10)
    table, more = paged.objects
    assert table.object.count("<tr") == 11 and more.visible  # a header and ten rows
    more.clicks += 1
    assert table.object.count("<tr") == 21 and more.label == "更多（还有 248 条）"
    assert len(paged_table(stars.head(10), css_class="shequ-recent", page=10).objects) == 1  # ten rows: no button


def test_the_village_page_sets_each_figure_beside_the_township_with_its_trend_and_searches_records(demo_sdk, signed_in):
    from shequ_sdk.ui.views import KpiCards

    store = DataStore(sdk=demo_sdk, region="茅草街镇", period="2010", village="新尚村社区")
    page = VillagePage(data_store=store)
    text = page_text(page)
    # 调解案件: the village's 11 and the township's 36 (the same figures as shequ indicators)
    village, township = (demo_sdk.indicator_values(r, "2010", keys=["stability.mediation_cases"])["stability.mediation_cases"]
                         for r in ("新尚村社区", "茅草街镇"))
    assert (village, township) == (11, 36)
    cards = KpiCards(data_store=page.store(), compare=store.ref(page.store().region_obj.township_id), trend=5).html()
    card = cards.split('data-key="stability.mediation_cases"', 1)[1].split('<div class="shequ-kpi"', 1)[0]
    assert '<span class="num">11</span>' in card and '<div class="compare">茅草街镇：36 件</div>' in card
    assert 'class="shequ-sparkline"' in card and "2009 10 件，2010 11 件" in card  # the trend, in words too
    assert "茅草街镇：36 件" in text and "shequ-sparkline" in text

    # search: only the rows holding the words, the sensitive tables left out; nothing found says so
    recent = page.recent()
    stars = next(df for rt, _n, df in recent if rt.key == "civility_star_rating")
    household = str(stars["户"].iloc[0])
    found = page_text(page.recent_section(recent, household[:4]))
    assert "其中" in found and household[:4] in found and "shequ-recent-sensitive" not in found
    assert len(VillagePage.matching(stars, household[:4])) < len(stars)
    assert "本年记录中没有含“不存在的词”的" in page_text(page.recent_section(recent, "不存在的词"))
    assert "shequ-recent-search" in text

    # a village user reads their own page without the township's figures (outside their scope)
    mine = DataStore(sdk=signed_in("xinshang"), region="新尚村社区", period="2010", village="新尚村社区")
    assert "茅草街镇：" not in page_text(VillagePage(data_store=mine))


def test_the_village_table_freezes_the_name_and_charts_stretch_to_their_box(demo_sdk):
    from bokeh.models import Plot

    from shequ_sdk.ui import VillageTable
    from shequ_sdk.ui.views import _to_panel

    store = DataStore(sdk=demo_sdk, region="南县", period="2010")
    view = VillageTable(data_store=store)
    built = view._build()
    box = built.objects[2]
    assert "shequ-village-table-box" in box.css_classes and box.styles["overflow-x"] == "auto"
    table = box.objects[0]
    assert table.frozen_columns == ["region_name"] and table.layout != "fit_data_table"  # not as wide as its data
    # a change of period or area updates the same grid in place, with the new figures
    households = dict(zip(table.value["region_name"], table.value["core.households"]))
    store.period = "2010Q4"
    assert box.objects[0] is table and "core.households" in table.value
    store.region = "茅草街镇"
    assert box.objects[0] is table and set(table.value["region_name"]) < set(households)
    assert table.pagination is None and "茅草街镇" in view._csv.filename and "南县" not in view._csv.filename
    store.region = "新尚村社区"  # a village has no table of villages: a note instead
    assert not box.visible and not view._controls.visible and len(built.objects[0].objects) == 1
    assert store.t("no_villages") in page_text(built.objects[0])
    store.region = "南县"
    assert box.visible and box.objects[0] is table and len(table.value) == len(households)
    for chart in (store.indicator_trend("sanitation.collection_rate"), store.indicator_by_village("core.households")):
        pane = _to_panel(chart)
        plots = list(pane.object.select({"type": Plot}))
        assert plots and all(p.sizing_mode in ("stretch_width", "stretch_both", "scale_width") for p in plots)


def test_the_export_pdf_button_gives_the_printed_dashboard_of_the_area_shown(demo_sdk):
    import io

    import pypdf

    dash = TownshipDashboard(sdk=demo_sdk, region="茅草街镇", period="2010", defer=False)
    buttons = [w for w in dash.layout().select(pn.widgets.FileDownload) if "shequ-export-pdf" in w.css_classes]
    assert len(buttons) == 1
    button = buttons[0]
    assert button.label == "导出 PDF" and button.filename == "乡镇看板-茅草街镇-2010.pdf"
    data = button.callback().getvalue()
    assert data.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)
    for village in ("新尚村社区", "太台村", "北湾村", "小桥村", "北庄村"):
        assert village in text, village
    dash.data_store.param.update(period="2009", lang="en")
    assert button.filename == "township-dashboard-茅草街镇-2009.pdf" and button.label == "Export PDF"
