"""乡镇看板 — the township dashboard.

Selectors for the area (a county or a township) and the period (year, quarter or month);
headline indicator cards; the plugins' views (the disclosure heatmap first, then charts); the
village table with downloads; and each village's page (drill-down) on a click::

    import shequ_sdk
    from shequ_sdk.ui import TownshipDashboard

    TownshipDashboard(sdk=shequ_sdk.open("demo.db"), region="茅草街镇", period="2010")   # a notebook cell
"""

from __future__ import annotations

import html

import panel as pn
import param

from ..errors import ShequError
from .app import App, in_server
from .i18n import t
from .lock_requests import ExceptionRequestsPanel
from .views import KpiCards, PluginViews, VillagePage, VillageTable

# Plugin views with an order below this come above the village table (the disclosure heatmap).
TABLE_ORDER = 50


class TownshipDashboard(App):
    """The township dashboard (乡镇看板); Chinese by default, English on the switch."""

    title_key = "township.title"

    defer = param.Boolean(default=None, allow_None=True, doc="""
        Render plugin views and the village table after the page has loaded, so the indicator
        cards appear first. None: when served.""")

    def url_params(self) -> dict[str, str]:
        return {"region": "region", "period": "period", "lang": "lang", "village": "village"}

    def heading_text(self, lang: str) -> str:
        s = self.data_store
        try:
            label = s.period_obj.label(lang)
        except ShequError:
            label = s.period
        return f"{t(self.title_key, lang)} · {s.region} · {label}"

    # -- controls ----------------------------------------------------------------------------
    def controls(self) -> list:
        s = self.data_store
        areas = {label: ref for _, ref, _, label in s.areas()}
        if s.region and s.region not in areas.values():
            areas[s.region] = s.region  # a village or a path given in the URL
        area = pn.widgets.Select(label=s.t("area"), options=areas, value=s.region, css_classes=["shequ-area"], width=200)
        area.param.watch(lambda e: s.choose(region=e.new), "value")
        kinds = pn.widgets.RadioButtonGroup(options={t(f"kind.{k}", s.lang): k for k in ("year", "quarter", "month")},
                                            value=s.period_kind, color="light", css_classes=["shequ-period-kind"], margin=(5, 10))
        period = pn.widgets.Select(label=s.t("period"), options=s.period_options(), value=s.period, css_classes=["shequ-period"], width=160)
        refresh = pn.widgets.Button(label=s.t("refresh"), color="light", css_classes=["shequ-refresh"], margin=(5, 10))
        refresh.on_click(lambda _e: s.refresh())
        export = self.export_pdf()

        updating = []  # non-empty while the selectors are being set from the store

        def on_kind(event):
            if not updating and event.new != s.period_kind:
                s.choose(period=s.convert_period(event.new))

        def on_period_widget(event):
            if not updating and event.new and event.new != s.period:
                s.choose(period=event.new)

        def sync_selectors(*_):
            # new options first, then the value: replacing the options alone would select the
            # first option and send it back to the store
            updating.append(True)
            try:
                kinds.options = {t(f"kind.{k}", s.lang): k for k in ("year", "quarter", "month")}
                kinds.value = s.period_kind
                period.param.update(options=s.period_options(), value=s.period)
            finally:
                updating.pop()

        def on_lang(_event):
            area.label, period.label, refresh.label, export.label = s.t("area"), s.t("period"), s.t("refresh"), s.t("export_pdf")
            sync_selectors()

        kinds.param.watch(on_kind, "value")
        period.param.watch(on_period_widget, "value")
        s.param.watch(sync_selectors, "period")
        s.param.watch(lambda e: setattr(area, "value", e.new), "region")
        s.param.watch(on_lang, "lang")
        return [area, kinds, period, refresh, export]

    def export_pdf(self):
        """导出 PDF: the dashboard of the area and period shown, printed on A4
        (:func:`shequ_sdk.report.store_pdf`), named ``乡镇看板-茅草街镇-2010.pdf``."""
        import io

        from ..report import pdf_filename, store_pdf

        s = self.data_store
        button = pn.widgets.FileDownload(callback=lambda: io.BytesIO(store_pdf(s)), filename=pdf_filename(s), label=s.t("export_pdf"),
                                         color="light", css_classes=["shequ-export-pdf"], margin=(5, 10))

        def rename(*_):
            try:
                button.filename = pdf_filename(s)
            except ShequError:  # an area or period being changed: the next change names it
                pass

        s.param.watch(rename, ["region", "period", "lang"])
        return button

    # -- breadcrumbs ---------------------------------------------------------------------------
    def crumbs(self) -> list[tuple[str, dict | None]]:
        """``(name, what a click sets or None)`` from the county down to the area shown (县 ›
        乡镇 › 村); the last is where the page is; an area outside the user's scope is not a link."""
        s = self.data_store
        area = s.region_obj
        chain = [i for i in (area.county_id, area.township_id) if i and i != area.id] + [area.id]
        if s.village:
            chain.append(s.sdk.region(s.village).id)
        names = s._regions_by_id()["name"]
        out = []
        for n, rid in enumerate(chain):
            last = n == len(chain) - 1
            link = None if last or not s.in_scope(rid) else {"region": s.ref(rid), "village": ""}
            out.append((str(names.get(rid, s.ref(rid))), link))
        return out

    def breadcrumbs(self):
        s = self.data_store

        def build(**_):
            parts = []
            for n, (name, link) in enumerate(self.crumbs()):
                if n:
                    parts.append(pn.pane.HTML('<span aria-hidden="true" style="color:#90a4ae">›</span>', margin=(6, 0)))
                if link is None:
                    parts.append(pn.pane.HTML(f'<span class="shequ-crumb-here" aria-current="page">{html.escape(name)}</span>', margin=(6, 4)))
                else:
                    button = pn.widgets.Button(label=name, color="light", css_classes=["shequ-crumb"], margin=(0, 0),
                                               stylesheets=[":host .bk-btn{color:#0d47a1;text-decoration:underline;background:none;border:none}"])
                    button.on_click(lambda _e, link=link: s.choose(**link))
                    parts.append(button)
            return pn.Row(*parts, css_classes=["shequ-breadcrumbs"], styles={"flex-wrap": "wrap", "align-items": "center"})

        return pn.panel(pn.bind(build, region=s.param.region, village=s.param.village), sizing_mode="stretch_width")

    # -- content -----------------------------------------------------------------------------
    def main(self) -> list:
        s = self.data_store
        defer = in_server() if self.defer is None else self.defer
        kpi_title = pn.pane.HTML(pn.bind(lambda lang: f'<h2 style="font-size:18px;margin:8px 0 4px 0">{html.escape(t("kpis", lang))}</h2>', s.param.lang))
        # the views above the table (the disclosure heatmap) come with the first page, like the cards
        top_views = PluginViews(data_store=s, placement="chart", max_order=TABLE_ORDER, defer=False, first=True)
        table_title = pn.pane.HTML(pn.bind(lambda lang: f'<h2 style="font-size:18px;margin:12px 0 4px 0">{html.escape(t("village_table", lang))}</h2>',
                                           s.param.lang))
        table = VillageTable(data_store=s, defer=defer)
        charts_title = pn.pane.HTML(pn.bind(lambda lang: f'<h2 style="font-size:18px;margin:12px 0 4px 0">{html.escape(t("charts", lang))}</h2>',
                                            s.param.lang))
        charts = PluginViews(data_store=s, placement="chart", min_order=TABLE_ORDER, defer=defer)
        # pending requests of villages for period-lock exceptions: township staff decide here
        self.requests_panel = ExceptionRequestsPanel(data_store=s)
        s.param.watch(lambda _e: self.requests_panel.show(), ["region", "version", "lang"])
        body = pn.Column(self.requests_panel, kpi_title, KpiCards(data_store=s), top_views, table_title, table, charts_title, charts,
                         sizing_mode="stretch_width", css_classes=["shequ-township"], visible=not s.village)
        page = VillagePage(data_store=s)
        s.param.watch(lambda e: setattr(body, "visible", not e.new), "village")
        return [self.breadcrumbs(), body, page]
