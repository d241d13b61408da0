"""The village map (core view ``core.village_map``) without a browser: every 南县 village of the
demo placed, coloured by the chosen indicator, no internal ids in what is sent to the page, and a
village user's map holding their own village only."""

from __future__ import annotations

import panel as pn
from bokeh.models import ColumnDataSource, Plot

from shequ_sdk.ui.store import DataStore
from shequ_sdk.ui.village_map import map_frame

NAN_XIAN = {"南洲村", "明口村", "明田村", "太溪村", "金溪村", "新尚村社区", "太台村", "北湾村", "小桥村", "北庄村"}


def _figure(obj) -> Plot:
    panes = [p for p in obj.select(pn.pane.Bokeh)]
    assert len(panes) == 1
    return panes[0].object


def _points(fig: Plot) -> dict:
    sources = [s for s in fig.select({"type": ColumnDataSource}) if "name" in s.data and "lon" in s.data and "value_text" in s.data]  # the points, not the labels
    return sources[0].data


def test_the_map_places_every_village_of_nan_xian(demo_sdk, render_view):
    obj = render_view("core.village_map", demo_sdk, region="南县", period="2010")
    select = obj.select(pn.widgets.Select)[0]
    assert select.label == "着色指标" and select.value == "finance.disclosure_on_time_rate"
    assert "按时公开率" in select.options and "户数" in select.options  # labelled in Chinese
    fig = _figure(obj)
    data = _points(fig)
    assert set(data["name"]) == NAN_XIAN
    assert all(112.1 < x < 112.7 for x in data["lon"]) and all(29.0 < y < 29.55 for y in data["lat"])
    assert len({(x, y) for x, y in zip(data["lon"], data["lat"])}) == 10  # no two villages on one spot
    assert "2010年 · 按时公开率" in fig.title.text
    # nothing the page receives names a region by its internal id
    for source in fig.select({"type": ColumnDataSource}):
        assert not {"id", "region_id"} & set(source.data), source.data.keys()
    # another indicator redraws the map with its values
    select.value = "core.households"
    data = _points(_figure(obj))
    frame = map_frame(DataStore(sdk=demo_sdk, region="南县", period="2010"), "core.households")
    assert dict(zip(data["name"], data["value_text"])) == dict(zip(frame["name"], frame["value_text"]))
    assert dict(zip(data["name"], data["value_text"]))["新尚村社区"] == "360 户"  # as the cards print it


def test_a_village_user_sees_their_village_alone(demo_sdk, render_view):
    obj = render_view("core.village_map", demo_sdk, region="南洲村", period="2010", role="village")
    assert list(_points(_figure(obj))["name"]) == ["南洲村"]


def test_an_area_without_positions_says_so(demo_sdk, render_view):
    from sqlalchemy import update

    from shequ_sdk import Region

    with demo_sdk.transaction() as s:
        s.execute(update(Region).where(Region.township_id == demo_sdk.region("茅草街镇").id).values(lon=None, lat=None))
    obj = render_view("core.village_map", demo_sdk, region="茅草街镇", period="2010")
    assert "本地区的村/社区尚未登记地图位置" in obj.object
    assert not obj.select(pn.pane.Bokeh)
    # on the county's map the five placed villages show, and the rest are counted, not hidden
    obj = render_view("core.village_map", demo_sdk, region="南县", period="2010")
    assert len(_points(_figure(obj))["name"]) == 5
    notes = [p.object for p in obj.select(pn.pane.HTML) if "shequ-map-unplaced" in str(p.object)]
    assert len(notes) == 1 and "另有 5 个村/社区尚未登记位置" in notes[0]
