"""村庄地图 — the villages of the dashboard's area on a map, coloured by a headline indicator.

Offline: no map tiles and no network requests. Villages are drawn from the ``lon``/``lat`` and
GeoJSON ``boundary`` stored on their regions (``shequ regions import-geo``; the demo has
positions for 南县's villages), with HoloViews on Bokeh only: boundaries as ``hv.Polygons``,
villages as ``hv.Points`` labelled by name. Hovering names the village and its value; clicking a
village opens its page, as a click on its name in the village table does.

Registered by the core as the view ``core.village_map`` (placement ``chart``); it reads only
through the dashboard's DataStore, so a scoped user sees the villages of their scope only.
"""

from __future__ import annotations

import html
import math
from typing import Optional

import pandas as pd
import panel as pn

from .store import DataStore

# shown first when present: a village's disclosure status, what a township looks at first
PREFERRED_KEYS = ("finance.disclosure_on_time_rate",)
LABELS_UP_TO = 40  # more villages than this: names on hover only, or the map is all text
NO_VALUE = "#bdbdbd"


def map_keys(store: DataStore) -> list[str]:
    """The indicators the map can be coloured by: the headline indicators of the period's kind,
    the preferred one first."""
    keys = store.headline_keys()
    first = [k for k in PREFERRED_KEYS if k in keys]
    return first + [k for k in keys if k not in first]


def map_frame(store: DataStore, key: Optional[str] = None) -> pd.DataFrame:
    """One row per village of the area in the user's scope: ``ref`` (how the dashboard names it
    in a URL), ``name``, ``lon``, ``lat``, ``boundary`` (GeoJSON text or None) and, with ``key``,
    ``value`` (as the village table shows it) and ``value_text`` (as the cards print it)."""
    from sqlalchemy import select

    from ..models import Region
    from .charts import display_number

    keys = store.headline_keys()
    wide = store.village_indicators(keys)
    ids = [int(i) for i in wide["region_id"]] if "region_id" in wide else []
    ids = [i for i in ids if store.in_scope(i)]
    names = {int(i): str(n) for i, n in zip(wide["region_id"], wide["region_name"])} if ids else {}

    def positions():
        with store.reading() as session:
            rows = session.execute(select(Region.id, Region.lon, Region.lat, Region.boundary).where(Region.id.in_(ids))).all()
        return {int(r[0]): (r[1], r[2], r[3]) for r in rows}

    where = store.cached(("village_map.positions", tuple(ids)), positions) if ids else {}
    out = pd.DataFrame({
        "ref": [store.ref(i) for i in ids],
        "name": [names[i] for i in ids],
        "lon": [where.get(i, (None, None, None))[0] for i in ids],
        "lat": [where.get(i, (None, None, None))[1] for i in ids],
        "boundary": [where.get(i, (None, None, None))[2] for i in ids],
    })
    out["lon"] = pd.to_numeric(out["lon"]).astype("float64")
    out["lat"] = pd.to_numeric(out["lat"]).astype("float64")
    if key is not None:
        ind = store.indicator(key)
        values = dict(zip((int(i) for i in wide["region_id"]), wide[key])) if key in wide else {}
        raw = [values.get(i) for i in ids]
        out["value"] = [_float(display_number(ind, v)) for v in raw]
        out["value_text"] = [store.format(key, v) if not _missing(v) else store.pick("无数据", "no data") for v in raw]
    return out


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA


def _float(v) -> float:
    try:
        return float("nan") if _missing(v) else float(v)
    except (TypeError, ValueError):
        return float("nan")


def village_map(store: DataStore, key: str, *, on_pick=None):
    """The map as a HoloViews overlay: boundaries (when stored) and a point per placed village,
    coloured by ``key``. ``on_pick(ref)`` is called with the village a click selects."""
    import holoviews as hv
    import holoviews.plotting.bokeh  # noqa: F401  the options need the Bokeh backend loaded
    from bokeh.models import HoverTool

    from ..geo import boundary_polygons
    from .charts import axis_label

    df = map_frame(store, key)
    placed = df.dropna(subset=["lon", "lat"]).reset_index(drop=True)
    ind = store.indicator(key)
    clabel = axis_label(ind, store.lang)
    village_word = store.pick("村/社区", "Village")
    mid_lat = float(placed["lat"].mean()) if len(placed) else 0.0
    aspect = 1 / max(0.2, math.cos(math.radians(mid_lat)))  # a degree of latitude is longer than one of longitude

    shapes = []
    for row in placed.itertuples():
        for rings in boundary_polygons(row.boundary):
            shapes.append({"x": [p[0] for p in rings[0]], "y": [p[1] for p in rings[0]],
                           "holes": [[[(p[0], p[1]) for p in hole] for hole in rings[1:]]] if len(rings) > 1 else [],
                           "value": row.value, "name": row.name, "value_text": row.value_text})
    layers = []
    vdims = [hv.Dimension("value", label=clabel), hv.Dimension("name", label=village_word), hv.Dimension("value_text", label=store.pick("数值", "Value"))]
    if shapes:
        layers.append(hv.Polygons(shapes, vdims=vdims).opts(
            color="value", cmap="YlGnBu", line_color="#607d8b", line_width=1, fill_alpha=0.35, clipping_colors={"NaN": NO_VALUE},
            tools=[]))

    hover = HoverTool(tooltips=[(village_word, "@name"), (clabel, "@value_text")])

    def attach_pick(plot, element):
        plot.state.tags = [*plot.state.tags, "shequ-village-map"]  # how a page test finds the map's Bokeh view
        # as wide as its box up to its natural size, keeping its shape: whole on a phone too
        plot.state.sizing_mode, plot.state.max_width = "scale_width", width + COLORBAR_WIDTH
        if on_pick is None:
            return
        source = plot.handles["source"]
        refs = list(placed["ref"])

        def picked(attr, old, new):
            if new:
                on_pick(refs[new[0]])

        source.selected.on_change("indices", picked)

    points = hv.Points(placed, kdims=[hv.Dimension("lon", label=store.pick("经度", "Longitude")),
                                      hv.Dimension("lat", label=store.pick("纬度", "Latitude"))],
                       vdims=vdims).opts(
        color="value", cmap="YlGnBu", size=16, line_color="#263238", line_width=1.5, colorbar=True, clabel=clabel,
        clipping_colors={"NaN": NO_VALUE}, tools=[hover, "tap"], nonselection_alpha=1.0, hooks=[attach_pick])
    layers.append(points)
    if len(placed) <= LABELS_UP_TO:
        layers.append(hv.Labels(placed, kdims=["lon", "lat"], vdims=["name"]).opts(
            text_font_size="12px", text_color="#263238", yoffset=-0.0055 * aspect, text_baseline="top"))
    lon0, lon1 = float(placed["lon"].min()), float(placed["lon"].max())
    lat0, lat1 = float(placed["lat"].min()), float(placed["lat"].max())
    for row in placed.itertuples():
        for rings in boundary_polygons(row.boundary):
            xs, ys = [p[0] for p in rings[0]], [p[1] for p in rings[0]]
            lon0, lon1, lat0, lat1 = min(lon0, *xs), max(lon1, *xs), min(lat0, *ys), max(lat1, *ys)
    pad = max(0.01, (lon1 - lon0) * 0.12, (lat1 - lat0) * 0.12)
    # twice the room below: names sit under their points, at a fixed size however small the map is drawn
    (x0, x1), (y0, y1), width = _frame(lon0 - pad, lon1 + pad, lat0 - 2 * pad, lat1 + pad, aspect)
    return hv.Overlay(layers).opts(
        xlim=(x0, x1), ylim=(y0, y1), responsive=True, aspect=(width + COLORBAR_WIDTH) / (FRAME_HEIGHT + TITLE_HEIGHT), xaxis=None, yaxis=None, toolbar=None,
        title=f"{store.period_obj.label(store.lang)} · {ind.label(store.lang)}", fontsize={"title": "12pt"})


FRAME_HEIGHT = 380  # px of the map itself at its natural size; its width follows the area's shape
COLORBAR_WIDTH, TITLE_HEIGHT = 110, 30  # px around it at that size


def _frame(x0: float, x1: float, y0: float, y1: float, aspect: float, lo: int = 400, hi: int = 760):
    """Ranges and frame width (at ``FRAME_HEIGHT``) that show ``x0..x1`` × ``y0..y1`` with a
    degree of latitude ``aspect`` times as long as one of longitude: a true-shaped map."""
    dx, dy = x1 - x0, y1 - y0
    width = FRAME_HEIGHT * dx / (dy * aspect)
    clamped = min(hi, max(lo, width))
    if clamped > width:  # too narrow: widen the longitude range
        grow = (dy * aspect * clamped / FRAME_HEIGHT - dx) / 2
        x0, x1 = x0 - grow, x1 + grow
    elif clamped < width:  # too wide: heighten the latitude range
        grow = (dx * FRAME_HEIGHT / (clamped * aspect) - dy) / 2
        y0, y1 = y0 - grow, y1 + grow
    return (x0, x1), (y0, y1), int(round(clamped))


def _to_bokeh(obj):
    """The HoloViews map as a Bokeh pane (:func:`views.bokeh_model`: a document of its own)."""
    from .views import bokeh_model

    return pn.pane.Bokeh(bokeh_model(obj))


def map_view(store: DataStore):
    """The ``core.village_map`` view: an indicator selector and the map.

    On a page being served it is drawn after the page has loaded, after the village table and
    the charts have been computed: it is slow to draw, in the browser too (0.2-0.3 s), and a
    click on the table or a new period must not wait for it."""
    from .views import error_card, filled_after_load, staged

    if not staged() or pn.state.loaded:
        return map_body(store)

    def failed(exc):  # as render_view would: an error card, never a broken page
        import logging

        logging.getLogger("shequ_sdk.ui").exception("view core.village_map failed")
        return error_card(store.pick("村庄地图", "Village map"), exc, store.lang)

    return filled_after_load(lambda: map_body(store), last=True, failed=failed)


def map_body(store: DataStore):
    """The selector, the map and the count of villages without a position."""
    from .charts import message

    keys = map_keys(store)
    if not keys:
        return message(store.t("no_data"))
    df = map_frame(store)
    placed = df.dropna(subset=["lon", "lat"])
    if df.empty:
        return message(store.t("no_villages"))
    if placed.empty:
        return message(store.pick("本地区的村/社区尚未登记地图位置", "No village of this area has a map position yet"))
    options = {store.indicator(k).label(store.lang): k for k in keys}
    select = pn.widgets.Select(label=store.pick("着色指标", "Colour by"), options=options, value=keys[0], width=220,
                               css_classes=["shequ-map-indicator"])

    def open_village(ref: str) -> None:
        store.choose(village=ref)

    # a true-shaped map is wider than a phone: it scrolls sideways in its own box, never the page
    holder = pn.Column(_to_bokeh(village_map(store, select.value, on_pick=open_village)), sizing_mode="stretch_width",
                       css_classes=["shequ-village-map"], styles={"overflow-x": "auto", "max-width": "100%"})

    def redraw(event):
        holder.objects = [_to_bokeh(village_map(store, event.new, on_pick=open_village))]

    select.param.watch(redraw, "value")

    parts = [pn.FlexBox(select, pn.pane.HTML(
        f'<span style="color:#666;font-size:12px">{html.escape(store.pick("点击村庄打开该村页面；灰色表示无数据", "Click a village to open its page; grey: no data"))}</span>',
        margin=(28, 10, 0, 10)), sizing_mode="stretch_width")]
    parts.append(holder)
    missing = len(df) - len(placed)
    if missing:
        parts.append(pn.pane.HTML(f'<div class="shequ-map-unplaced" style="color:#777;font-size:12px">'
                                  f'{html.escape(store.pick(f"另有 {missing} 个村/社区尚未登记位置，未在图上显示", f"{missing} more villages have no map position and are not shown"))}</div>'))
    return pn.Column(*parts, sizing_mode="stretch_width")
