"""The App base: a page with a header of controls and a main area, served in a template.

``App`` returns a ``BootstrapTemplate`` when served (``shequ serve``, ``panel serve``) and its
plain layout otherwise, so ``TownshipDashboard(sdk=…)`` shows inline in a notebook cell. The
template loads nothing from outside the server (no CDN, no web fonts): villages and
townships often work on closed networks.
"""

from __future__ import annotations

import html
from pathlib import Path

import panel as pn
import param
from panel.custom import JSComponent
from panel.theme import Bootstrap

from .i18n import LANGS, t
from .store import DataStore

# Printing the page itself (Ctrl+P): the header and the controls stay on screen only, and the
# template's fixed-height, inside-scrolling boxes let the content flow over as many pages as it
# takes (by default only the first screen would print). The PDF of the dashboard is the
# 导出 PDF button (:mod:`shequ_sdk.report`); this is for the browser's own print.
PRINT_CSS = """@media print {
  #header, #sidebar, .shequ-url, .pn-busy-container { display: none !important; }
  html, body, #container, #content, #main, .main, .container-fluid, .row, main {
    height: auto !important; min-height: 0 !important; max-height: none !important;
    overflow: visible !important; position: static !important; }
  body { background: #fff !important; }
}"""

# the same, inside a component's shadow root (Panel draws each component in its own)
HIDE_IN_PRINT = "@media print { :host { display: none !important; } }"
FLOW_IN_PRINT = "@media print { :host, :host > div, .bk-panel-models-layout-Column { height: auto !important; max-height: none !important; overflow: visible !important; } }"


class LightBootstrap(Bootstrap):
    """Bootstrap without a copy of Bootstrap's whole stylesheet (221 KB) inside each component.

    The page loads it once; Bootstrap's design gives every component of the page (a form has
    a hundred) its own copy too, which the browser applies to each one as it draws the page.
    Panel's Bootstrap styles for the widgets stay, and read Bootstrap's colours from the page."""

    @classmethod
    def _get_modifiers(cls, viewable, theme=None, isolated=True):
        # Never isolated: the page (its template) loads the theme's stylesheets once. Panel asks
        # for the isolated set when a component is updated (Design.params), which differs from
        # the set it was drawn with, so every update of a pane after the first drawing sent the
        # browser three stylesheets to add to that component; the browser restyled the page for
        # each (0.15–0.4 s a pane, 2 s for one period change of the township dashboard).
        modifiers, children = super()._get_modifiers(viewable, theme, isolated=False)
        if "stylesheets" in modifiers:
            whole = Bootstrap._resources["css"]["bootstrap"]
            modifiers["stylesheets"] = [s for s in modifiers["stylesheets"] if s != whole]
        return modifiers, children


def load_extensions() -> None:
    """Panel's Tabulator (per page: its script must be on the page before a table arrives) and
    HoloViews' Bokeh plotting (charts are rendered to Bokeh models on the server)."""
    import holoviews.plotting.bokeh  # noqa: F401  registers the Bokeh renderer used by hv.render

    pn.extension("tabulator")


def in_server() -> bool:
    """Whether the code runs for a browser session of a Panel server (``shequ serve``, ``panel
    serve``, ``pn.serve``) rather than in a notebook or a script."""
    doc = pn.state.curdoc
    return bool(pn.state.served or (doc is not None and doc.session_context is not None))


class PageTitle(JSComponent):
    """The template's header and the browser tab are drawn once, by the page: when ``title``
    changes (the language switch), the browser retitles both.

    A component of its own rather than a ``jscallback`` on the switch: a ``jscallback`` puts the
    switch in Panel's link registry, and Panel then walks every model of the page each time any
    part of it is replaced (``Link._process_callbacks``), a fifth of a second per part here."""

    title = param.String(default="", doc="""The page's title in the user's language.""")

    _esm = """
    export function render({ model }) {
      model.on("title", () => {
        const title = model.title;
        if (!title) return;
        document.title = title;
        const heads = document.querySelectorAll('#header .app-header a.title');
        if (heads.length) heads[heads.length - 1].textContent = '\\u00a0' + title;
      });
      const el = document.createElement("span");
      el.style.display = "none";
      return el;
    }
    """


SHELL_FILE = Path(__file__).with_name("templates") / "shell.html"
HEADER_BACKGROUND = "#0d47a1"
_SHELL: list = []  # the compiled shell.html, once per process


def shell_template():
    """``templates/shell.html`` compiled (it extends the bare page Panel passes it as ``base``)."""
    if not _SHELL:
        import jinja2

        _SHELL.append(jinja2.Environment(autoescape=True).from_string(SHELL_FILE.read_text(encoding="utf-8")))
    return _SHELL[0]


class ShellPage(pn.Column):
    """A served page in the light shell (``templates/shell.html``): a header bar with the title,
    then the page, drawn by Panel's bare page in the Bootstrap look of :class:`LightBootstrap`.

    A Panel template (``BootstrapTemplate``) draws its header, sidebar and modal as parts of their
    own and has the browser lay out its framework around them: on the entry app's page that was a
    sixth of the time from the address to the first field (docs/performance.md). The shell keeps
    the header, the title the language switch changes (:class:`PageTitle`) and the print rules."""

    title = param.String(default="", doc="""The header's title.""")

    _rename = {**pn.Column._rename, "title": None}  # the page's, not the layout model's

    def server_doc(self, doc=None, title=None, location=True):
        doc = super().server_doc(doc, title, location)
        doc.template = shell_template()
        doc.template_variables.update(shell_title=self.title, shell_header_background=HEADER_BACKGROUND)
        return doc


class App(pn.viewable.Viewer):
    """A dashboard page: title, language switch, the subclass's controls and main area."""

    title_key = "township.title"

    shell = False  # served in the light ShellPage rather than a BootstrapTemplate

    data_store = param.ClassSelector(class_=DataStore, doc="""The session's data: database, area, period, language.""")

    def __init__(self, sdk=None, **params):
        load_extensions()
        if "data_store" not in params:
            store_params = {k: params.pop(k) for k in list(params) if k in DataStore.param and k != "name"}
            params["data_store"] = DataStore(sdk=sdk, **store_params)
        super().__init__(**params)
        self._layout = None
        self._template = None
        self._link_problems: list = []  # (name, value, error) of the address's values that name nothing

    # -- parts a subclass provides ----------------------------------------------------------
    def controls(self) -> list:
        """Widgets in the header (after the language switch)."""
        return []

    def main(self) -> list:
        """The page's content."""
        return []

    def url_params(self) -> dict[str, str]:
        """Store parameters kept in the page URL (``?region=…&period=…``), so a page can be linked."""
        return {"lang": "lang"}

    # -- shared parts -------------------------------------------------------------------------
    def title(self) -> str:
        return t(self.title_key, self.data_store.lang)

    def language_switch(self):
        s = self.data_store
        switch = pn.widgets.RadioButtonGroup(options={v: k for k, v in LANGS.items()}, value=s.lang, color="light",
                                             css_classes=["shequ-lang"], margin=(5, 10))
        switch.param.watch(lambda e: s.choose(lang=e.new), "value")
        s.param.watch(lambda e: setattr(switch, "value", e.new), "lang")
        return switch

    def page_title(self) -> "PageTitle":
        """The served page's tab title and template header in the user's language (:class:`PageTitle`)."""
        s = self.data_store
        title = PageTitle(title=self.title(), width=0, height=0, margin=0, css_classes=["shequ-page-title"])
        s.param.watch(lambda _e: setattr(title, "title", self.title()), "lang")
        return title

    def heading_text(self, lang: str) -> str:
        """The page's heading (the subclass may add the area and period)."""
        return t(self.title_key, lang)

    def heading(self):
        s = self.data_store
        return pn.pane.HTML(pn.bind(lambda **_: f'<h1 class="shequ-title" style="margin:0;font-size:22px">{html.escape(self.heading_text(s.lang))}</h1>',
                                    lang=s.param.lang, region=s.param.region, period=s.param.period),
                            margin=(5, 10), sizing_mode="stretch_width")

    def toolbar(self):
        return pn.Row(self.language_switch(), *self.controls(), *self.user_badge(), sizing_mode="stretch_width", css_classes=["shequ-toolbar"],
                      styles={"flex-wrap": "wrap", "align-items": "end", "background": "#f5f7fa", "border-radius": "4px"},
                      stylesheets=[HIDE_IN_PRINT])

    def user_badge(self) -> list:
        """Who is signed in, with a link to sign out (nothing in single-user mode)."""
        user = self.data_store.user
        if user is None:
            return []
        text = f"{user.name} · {user.role_label('zh')} / {user.role_label('en')}"
        return [pn.pane.HTML(f'<span class="shequ-user" data-user="{html.escape(user.username)}">{html.escape(text)}</span> '
                             f'<a class="shequ-logout" href="/logout">退出 · Sign out</a>', margin=(5, 10))]

    def permission_card(self, exc):
        """What a page shows instead of data the user may not read."""
        return pn.pane.HTML(f'<div class="shequ-permission" role="alert" style="border-left:4px solid #c62828;background:#fdecea;padding:12px 16px">'
                            f'<b>无权查看 · Permission denied</b><br>{html.escape(exc.zh)}<br><span style="color:#616161">{html.escape(exc.en)}</span></div>',
                            sizing_mode="stretch_width")

    def layout(self):
        """The page without a template (notebooks)."""
        if self._layout is None:
            denied = self.data_store.denied()  # a link to an area outside the user's scope: the rule, not the data
            main = [self.permission_card(denied)] if denied is not None else self.main()
            self._layout = pn.Column(self.heading(), self.toolbar(), *main, sizing_mode="stretch_width", css_classes=["shequ-app"],
                                     stylesheets=[FLOW_IN_PRINT])
        return self._layout

    def url_state(self):
        """The component that keeps the address and the page in step (:mod:`.urlstate`): the
        store's ``url_params`` go into the address, and Back or Forward bring them back."""
        from .urlstate import UrlState, make_query, parse_query

        s, names = self.data_store, self.url_params()
        defaults = {p: s.param[p].default for p in names}

        def query() -> str:
            return make_query({q: getattr(s, p) for p, q in names.items()})

        state = UrlState(query=query(), width=0, height=0, margin=0, css_classes=["shequ-url"])
        s.param.watch(lambda *_: setattr(state, "query", query()), list(names))

        def restore(event):
            given = parse_query(event.new.partition("|")[2])
            # a name the address leaves out takes its default (no village: the township view);
            # an area or period it leaves out stays as it is
            wanted = {p: given.get(q, defaults[p]) for p, q in names.items() if q in given or p in ("village", "lang")}
            s.apply(wanted)

        state.param.watch(restore, "popped")
        return state

    def link_problem_cards(self) -> list:
        """One card per value of the page's address that names nothing (``?region=nosuch``): the
        page opens on its default instead, and says why, in Chinese first."""
        from ..errors import ShequError
        from .serving import message_card

        cards = []
        for name, value, exc in self._link_problems:
            shown = value.replace("\x00", "") or "（空）"
            if isinstance(exc, ShequError) and name in ("region", "village"):
                zh, en = f"{exc.zh}（来自链接）。", f"{exc.en} (from the link)."
            elif name in ("region", "village"):
                zh, en = f"链接中的地区「{shown}」无法识别。", f"The link's region {shown!r} cannot be read."
            else:
                zh, en = f"链接中的期间「{shown}」无法识别。", f"The link's period {shown!r} cannot be read."
            cards.append(message_card(zh + "已显示默认页面。", en + " Showing the default page instead.", kind="warning",
                                      css_class="shequ-error shequ-bad-link"))
        return cards

    def template(self):
        """The served page: a BootstrapTemplate (or the light :class:`ShellPage` when ``shell``),
        every file of it served by this server."""
        if self._template is None:
            if pn.state.location is not None and self.url_params():
                # before the page is built: a linked (or reloaded) page opens on what its address says
                from .urlstate import parse_query

                given = parse_query(pn.state.location.search)
                self.data_store.apply({p: given[q] for p, q in self.url_params().items() if q in given}, self._link_problems)
            # the address component first: its watcher then runs before the views redraw, so the
            # address changes as soon as the choice is made
            state = self.url_state() if self.url_params() else None
            parts = [*self.link_problem_cards(), self.layout(), *([state] if state is not None else []), self.page_title()]
            if self.shell:
                self._template = ShellPage(*parts, title=self.title(), design=LightBootstrap, sizing_mode="stretch_width")
            else:
                tpl = pn.template.BootstrapTemplate(title=self.title(), header_background=HEADER_BACKGROUND, design=LightBootstrap,
                                                    meta_viewport="width=device-width, initial-scale=1",  # phones: no 980 px desktop page
                                                    raw_css=[PRINT_CSS])
                for part in parts:
                    tpl.main.append(part)
                self._template = tpl
        return self._template

    def __panel__(self):
        return self.template() if in_server() else self.layout()
