"""Views come from plugins through the contract: a plugin registered at run time shows up
without editing dashboards/, and a view that raises becomes an error card while the rest
of the page renders. Sensitive tables never reach a township view by name."""

from __future__ import annotations

import pandas as pd
import panel as pn
import pytest
from bokeh.document import Document

from shequ_sdk import View, hookimpl
from shequ_sdk import plugins
from shequ_sdk.ui import DataStore, PluginView, TownshipDashboard, VillagePage, VillageTable, render_view, views_for


class NewcomerPlugin:
    """A plugin installed after the dashboards were written: one good view, one broken."""

    @hookimpl
    def register_views(self, register):
        register(View(key="newcomer.households", label_zh="新插件：户数", label_en="Newcomer: households", order=55,
                      render=lambda store: pn.pane.HTML(f'<p class="newcomer">{store.format("core.households", store.indicator_values(["core.households"])["core.households"])}</p>')))
        register(View(key="newcomer.broken", label_zh="新插件：坏视图", label_en="Newcomer: broken view", order=56,
                      render=lambda store: 1 / 0))
        register(View(key="newcomer.bad_plot", label_zh="新插件：坏图", label_en="Newcomer: bad plot", order=57,
                      render=lambda store: __import__("holoviews").Curve(pd.DataFrame({"x": [1]}), "x", "no_such_column")))


@pytest.fixture
def newcomer():
    plugins.register_plugin(NewcomerPlugin(), name="newcomer")
    try:
        yield
    finally:
        plugins.unregister_plugin("newcomer")


def page_html(obj) -> str:
    """Everything a browser would receive for the page: its Bokeh document, as JSON text."""
    import json

    doc = Document()
    model = pn.panel(obj).get_root(doc)
    doc.add_root(model)
    return json.dumps(doc.to_json(), ensure_ascii=False, default=str)


def test_a_newly_installed_plugins_view_appears_and_a_broken_one_is_an_error_card(demo_sdk, newcomer):
    keys = [v.key for v in views_for("chart")]
    assert keys[0] == "finance.disclosure_heatmap"  # order 10: above the village table
    assert {"newcomer.households", "newcomer.broken", "newcomer.bad_plot"} <= set(keys)
    store = DataStore(sdk=demo_sdk, region="茅草街镇", period="2010")
    spec = {v.key: v for v in views_for("chart")}
    good = render_view(spec["newcomer.households"], store)
    assert "1,653 户" in good.object
    broken = render_view(spec["newcomer.broken"], store)
    assert "视图「新插件：坏视图」无法显示" in broken.object and "ZeroDivisionError" in broken.object
    assert "其余部分不受影响" in broken.object
    plot = render_view(spec["newcomer.bad_plot"], store)  # fails while plotting: caught too
    assert "shequ-view-error" in plot.object

    html = page_html(TownshipDashboard(sdk=demo_sdk, region="茅草街镇", period="2010", defer=False))
    assert "新插件：户数" in html and "1,653 户" in html
    assert "视图「新插件：坏视图」无法显示" in html
    assert "村务公开及时情况" in html and "shequ-heatmap" in html  # the rest of the page is there
    assert "各村（社区）核心指标" in html


def test_views_follow_the_language(demo_sdk):
    store = DataStore(sdk=demo_sdk, region="茅草街镇", period="2010", lang="en")
    heat = render_view(views_for("chart")[0], store)
    assert "on time" in heat.object and "Disclosure boards by quarter, 2010" in heat.object


def test_every_installed_plugin_view_renders_without_error(demo_sdk):
    for area in ("茅草街镇", "宜城市", "新尚村社区"):
        store = DataStore(sdk=demo_sdk, region=area, period="2010")
        for spec in views_for("chart"):
            rendered = render_view(spec, store)
            assert "shequ-view-error" not in str(getattr(rendered, "object", "")), (area, spec.key, rendered.object)
    charts = {v.key for v in views_for("chart")}
    assert {"finance.disclosure_heatmap", "civility.star_distribution", "sanitation.collection_trend", "elderly.occupancy",
            "stability.mediation_outcomes", "party.coverage_by_mode"} <= charts


def _sensitive_people(sdk) -> set[str]:
    """Every name, ID and phone number a sensitive table holds (read unmasked, straight from
    SQL) — less the names that are public elsewhere (an association's reviewer who happens to
    share a name with a library borrower is shown as a reviewer, rightly)."""
    from sqlalchemy import select
    from sqlmodel import Session

    reg = sdk.registry
    secret, public = set(), set()
    with Session(sdk.engine) as s:
        for rt in reg.tables.values():
            tbl = rt.model.__table__
            for f in rt.fields:
                if f.python_type is not str:
                    continue
                values = {v for v in s.execute(select(tbl.c[f.name]).distinct()).scalars() if v and len(str(v)) >= 2}
                if rt.sensitive and f.sensitive in ("name", "id", "phone"):
                    secret |= values
                elif not f.sensitive:
                    public |= values
    return secret - public


def test_township_and_village_pages_never_show_sensitive_people(demo_sdk):
    people = _sensitive_people(demo_sdk)
    assert len(people) > 20  # mediation parties, family-planning families, five-guarantee residents…
    store = DataStore(sdk=demo_sdk, region="茅草街镇", period="2010")
    page = page_html(TownshipDashboard(data_store=store, defer=False))
    store.village = "新尚村社区"
    village = page_html(VillagePage(data_store=store))
    assert "新尚村社区" in village and "计生特殊家庭" in village  # the sensitive table is there, as a count
    for text in (page, village):
        # a whole cell or value, not a substring (江梅 the borrower is not 江梅梅 the reviewer)
        leaked = sorted(p for p in people if f"&gt;{p}&lt;" in text or f">{p}<" in text or f'"{p}"' in text)
        assert not leaked, leaked[:10]


def test_store_frames_drop_sensitive_columns_of_sensitive_tables(demo_sdk):
    store = DataStore(sdk=demo_sdk, region="茅草街镇", period="2010")
    parties = store.frame("stability_mediation_party", period=None)
    assert {"name", "id_number", "phone", "address"}.isdisjoint(parties.columns) and "role" in parties.columns
    households = store.frame("household", period=None)
    assert households["phone"].dropna().str.contains(r"\*").all()  # not a sensitive table: masked, not dropped


def test_a_card_says_updating_while_it_waits_for_its_redraw(demo_sdk, monkeypatch):
    """On a served page a change reaches the KPI cards first; each plugin view and the village
    table then say 更新中… (a text patch, the chart under it untouched) until their own tick
    redraws them, and never after."""
    from shequ_sdk.ui import views as viewsmod

    ticks = []
    monkeypatch.setattr(viewsmod, "staged", lambda: True)
    monkeypatch.setattr(viewsmod, "later", lambda callback, **_: ticks.append(callback))
    store = DataStore(sdk=demo_sdk, region="茅草街镇", period="2010")
    chart = PluginView(data_store=store, spec=views_for("chart")[0])
    table = VillageTable(data_store=store)
    page_html(pn.Column(chart, table))
    cards = (chart._updating, table._updating)
    assert not any(c.shown for c in cards) and not ticks
    before = chart._body.objects[0].object
    store.period = "2009"
    assert all(c.shown and "更新中" in c.pane.object for c in cards) and len(ticks) == 2
    assert chart._body.objects[0].object == before  # nothing redrawn yet
    while ticks:
        ticks.pop(0)()
    assert not any(c.shown for c in cards)
    assert chart._body.objects[0].object != before and "2009" in chart._body.objects[0].object
    store.lang = "en"
    assert all("Updating" in c.pane.object for c in cards)



def test_a_view_taken_off_the_page_stops_following_the_store(demo_sdk, monkeypatch):
    """A view no longer on the page (the entry app builds new forms for another quarter, a
    village page was left) draws nothing at its waiting turn and stops watching the store: no
    forms nobody sees are drawn at every later change."""
    from shequ_sdk.ui import views as viewsmod

    ticks = []
    monkeypatch.setattr(viewsmod, "staged", lambda: True)
    monkeypatch.setattr(viewsmod, "later", lambda callback, **_: ticks.append(callback))
    store = DataStore(sdk=demo_sdk, region="茅草街镇", period="2010")
    chart = PluginView(data_store=store, spec=views_for("chart")[0])
    page = pn.Column(chart)
    root = page.get_root(Document())
    before = chart._body.objects[0].object
    assert chart._body._models
    page._cleanup(root)  # the page's layout replaced
    assert not chart._body._models
    store.period = "2009"
    assert len(ticks) == 1
    ticks.pop()()
    assert chart._body.objects[0].object == before  # not drawn
    store.period = "2008"
    assert ticks == []  # no longer watching

def test_a_chart_of_another_period_is_drawn_into_the_same_figure(demo_sdk):
    """A chart's new period is copied into the figure the browser already has (its data, axis
    and title), so the browser redraws one chart instead of building a new one and laying out
    the page again; the result is what a new drawing of that period shows."""
    from bokeh.models import ColumnDataSource, FactorRange

    from shequ_sdk.plugins import registry
    from shequ_sdk.ui.views import update_in_place

    spec = registry().views["sanitation.collection_trend"]
    shown = render_view(spec, DataStore(sdk=demo_sdk, region="茅草街镇", period="2010"))
    figure = shown.object
    fresh = render_view(spec, DataStore(sdk=demo_sdk, region="茅草街镇", period="2009"))

    def drawn(model):
        sources = sorted((m for m in model.references() if isinstance(m, ColumnDataSource)), key=lambda m: sorted(m.data))
        factors = [list(m.factors) for m in model.references() if isinstance(m, FactorRange)]
        return [{k: list(v) for k, v in s.data.items()} for s in sources], factors

    assert drawn(figure) != drawn(fresh.object)
    expected = drawn(fresh.object)
    assert update_in_place(shown, fresh)
    assert shown.object is figure and drawn(figure) == expected
    assert any(f and f[0].startswith("2009") for f in expected[1])


def test_a_chart_is_replaced_when_the_new_one_differs_in_shape_or_answers_clicks(demo_sdk):
    from bokeh.events import Tap
    from bokeh.plotting import figure

    from shequ_sdk.ui.views import model_changes, update_in_place

    def bars(n, clickable=False):
        f = figure(x_range=[str(i) for i in range(n)], height=200)
        f.vbar(x=[str(i) for i in range(n)], top=list(range(n)), width=0.8)
        if clickable:
            f.on_event(Tap, lambda e: None)
        return f

    assert model_changes(bars(3), bars(4)) is not None  # more bars: new data, same models
    line = figure(height=200)
    line.line([1, 2], [3, 4])
    assert model_changes(bars(3), line) is None  # a line instead of bars
    assert model_changes(bars(3), bars(3, clickable=True)) is None
    assert not update_in_place(pn.pane.Bokeh(bars(3)), pn.pane.HTML("<p>本期间没有数据</p>"))


def test_a_pane_changed_after_the_first_drawing_keeps_its_stylesheets():
    """Panel asks the page's design for a component's stylesheets again when the component
    changes; they must be those it was drawn with, or the browser restyles the page for each
    changed pane (0.15–0.4 s each: a period change took 2 s)."""
    from shequ_sdk.ui.app import LightBootstrap

    design = LightBootstrap()
    for pane in (pn.pane.HTML("a"), pn.Column(), pn.widgets.Select(options=["a"])):
        drawn, _ = LightBootstrap._get_modifiers(pane, design.theme, isolated=False)  # the template's first drawing
        changed, _ = design.params(pane)  # Panel, on a change of the component
        assert [str(getattr(s, "url", s)) for s in changed["stylesheets"]] == [str(s) for s in drawn["stylesheets"]]
        assert not [s for s in drawn["stylesheets"] if str(s).endswith(("theme/default.css", "bootstrap_default.css"))]


def test_waiting_parts_run_first_in_turn_or_last_as_asked():
    """A served page's waiting parts: a click's answer (first) goes ahead of what waits, in turn
    behind other answers; the village map (last) stays behind every part queued after it; the
    part being run is never pushed back."""
    from collections import deque

    from shequ_sdk.ui.views import queue_callback

    queue: deque = deque()
    for name, rank in (("table", -1), ("map", 1), ("start", 0), ("chart 1", 0), ("village page", -1), ("chart 2", 0)):
        queue_callback(queue, name, rank)
    assert [name for name, _ in queue] == ["table", "village page", "start", "chart 1", "chart 2", "map"]
    queue_callback(queue, "heading", -1, running=True)  # "table" is being run: it stays first
    assert [name for name, _ in queue][:4] == ["table", "village page", "heading", "start"]
    queue_callback(deque(), "x", 1, running=True)  # an empty queue takes anything


def test_a_closed_page_drops_its_waiting_parts():
    """A page whose browser went away (its last connection closed after it loaded) draws no more:
    its waiting parts would only hold up the server's other pages. A page still being built
    (no connection yet) keeps them."""
    from types import SimpleNamespace

    from shequ_sdk.ui.views import _closed

    class Doc:  # weakly referenced by Panel's state, like a Bokeh document
        def __init__(self, connections):
            self.session_context = SimpleNamespace(_session=SimpleNamespace(connection_count=connections))

    gone, open_, building = Doc(0), Doc(1), Doc(0)
    pn.state._loaded[gone] = pn.state._loaded[open_] = True
    try:
        assert _closed(gone) and not _closed(open_) and not _closed(building)
        ended = Doc(1)
        ended.session_context = None
        assert _closed(ended)
    finally:
        for d in (gone, open_):
            pn.state._loaded.pop(d, None)


def test_a_page_just_written_lets_its_files_go_first():
    """A page being built or just written (its browser not connected yet) is fetching its
    scripts and styles: its first waiting part waits for them (``later``); a connected or loaded
    page's parts do not."""
    from types import SimpleNamespace

    from shequ_sdk.ui.views import _fetching

    class Doc:
        def __init__(self, session):
            self.session_context = SimpleNamespace(_session=session)

    building, written, connected, loaded = (Doc(None), Doc(SimpleNamespace(connection_count=0)),
                                            Doc(SimpleNamespace(connection_count=1)), Doc(SimpleNamespace(connection_count=0)))
    pn.state._loaded[loaded] = True  # loaded, and its tab closed since: not fetching
    try:
        assert _fetching(building) and _fetching(written)
        assert not _fetching(connected) and not _fetching(loaded)
    finally:
        pn.state._loaded.pop(loaded, None)



def test_parts_below_the_first_screen_wait_for_the_user_to_pause():
    """After a choice (an area, a period, a village), its own answer (a part queued first) is
    drawn at once; the parts in turn or last wait until the user has paused USER_PAUSE_MS, and
    a run scheduled for them is dropped when a first part comes in meanwhile."""
    from types import SimpleNamespace

    from panel.io.state import set_curdoc

    from shequ_sdk.ui import views

    class Doc:  # a loaded page with its browser connected
        def __init__(self):
            self.session_context = SimpleNamespace(_session=SimpleNamespace(connection_count=1))
            self.scheduled: list = []  # (ms or None for the next tick, callback)

        def add_next_tick_callback(self, cb):
            self.scheduled.append((None, cb))

        def add_timeout_callback(self, cb, ms):
            self.scheduled.append((ms, cb))

        def on_change(self, *_):
            pass

        def remove_on_change(self, *_):
            pass

    doc, ran = Doc(), []
    pn.state._loaded[doc] = True
    try:
        with set_curdoc(doc):
            views.acted()  # the user just chose a period
            views.later(lambda: ran.append("chart"))
            assert doc.scheduled[-1][0] is None
            doc.scheduled.pop()[1]()  # the chart is held: rescheduled for when the user pauses
            held_ms, held = doc.scheduled.pop()
            assert ran == [] and 0 < held_ms <= views.USER_PAUSE_MS + 1
            views.later(lambda: ran.append("table"), first=True)  # the answer to the next choice
            first = doc.scheduled.pop()
            held()  # the run scheduled for the chart is dropped
            assert ran == [] and doc.scheduled == []
            first[1]()
            assert ran == ["table"]
            doc.scheduled.pop()[1]()  # the chart: still held
            assert ran == ["table"] and doc.scheduled[-1][0] > 0
            views._ACTED[doc] -= views.USER_PAUSE_MS / 1000  # the user paused
            doc.scheduled.pop()[1]()
            assert ran == ["table", "chart"]
    finally:
        pn.state._loaded.pop(doc, None)
