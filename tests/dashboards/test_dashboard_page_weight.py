"""What a page sends the browser to draw: no part built for nothing (inputs a form leaves to
others, message lines before a message, hidden bars, a closed tab's form), no copy of
Bootstrap's stylesheet inside every component and no MathJax (docs/performance.md, the entry
app's figures)."""

from __future__ import annotations

import panel as pn
from bokeh.core.templates import MACROS
from bokeh.document import Document
from panel.io.resources import BASE_TEMPLATE

from shequ_sdk.ui import DataStore, EntryApp, RecordForm
from shequ_sdk.ui.entry import RecordsPanel
from shequ_sdk.ui.forms import when_visible
from shequ_sdk.ui.serving import PageGuard, session_defaults, skip_mathjax

BOOTSTRAP_CSS = "bootstrap5/css/bootstrap.min.css"


def served_entry_doc(sdk) -> Document:
    """The entry page as ``shequ serve`` builds it (template and page guard), in a Bokeh document."""
    app = EntryApp(sdk, **session_defaults(sdk))
    app.data_store.apply({"region": "新尚村社区", "period": "2010Q4"}, [])
    doc = Document()
    PageGuard(sdk, None, app, app.template()).page.server_doc(doc)
    return doc


def models(doc: Document) -> set:
    out = set()
    for root in doc.roots:
        out |= root.references()
    return out


def test_components_carry_bootstrap_styles_but_not_its_whole_stylesheet(demo_sdk):
    urls = [str(getattr(s, "url", s)) for m in models(served_entry_doc(demo_sdk)) for s in (getattr(m, "stylesheets", None) or [])]
    assert not [u for u in urls if u.endswith(BOOTSTRAP_CSS)]  # the page loads it once, not every component
    assert any(u.endswith("theme/bootstrap.css") for u in urls)  # Panel's Bootstrap look of the widgets stays


def test_a_served_page_loads_no_mathjax(demo_sdk):
    from bokeh.resources import Resources

    from panel.io.resources import bundle_resources

    doc = served_entry_doc(demo_sdk)
    skip_mathjax()
    files = [str(f) for f in bundle_resources(doc.roots, Resources(mode="server")).js_files]
    assert any("bokeh" in f for f in files) and not [f for f in files if "mathjax" in f]


def test_a_form_builds_no_input_for_what_it_omits_and_no_message_line_before_a_message(demo_sdk):
    store = DataStore(sdk=demo_sdk, region="新尚村社区", period="2011Q1")
    form = RecordForm(store=store, table="finance_posting", fixed={"board": "party", "period": "2011Q1", "kind": "regular"},
                      omit=["status", "reviewed_by", "fingerprint"])
    assert not {"status", "reviewed_by", "fingerprint"} & set(form.inputs) and "title" in form.inputs
    field = form.inputs["review_date"]
    grid = form.__panel__().objects[-2]  # head, status, draft bar, grid, errors
    assert field.panel is field.widget and field.widget in grid.objects  # no box, no empty message pane

    field.show("「三月」无法识别")
    assert field.panel is not field.widget and field.panel in grid.objects and field.widget not in grid.objects
    assert field.panel.objects == [field.widget, field.error] and "三月" in field.error.object
    assert "flex" in field.panel.styles and "flex" not in field.widget.styles  # the box takes the field's share of the row
    field.show(None)
    assert field.error.object == ""


def test_a_hidden_part_is_not_in_the_page_until_shown():
    bar = pn.Row(pn.pane.HTML("草稿已恢复"), visible=False)
    holder = when_visible(bar)
    assert holder.objects == []
    bar.visible = True
    assert holder.objects == [bar]
    bar.visible = False
    assert holder.objects == []
    assert when_visible(pn.pane.HTML("shown")).objects  # visible from the start: held from the start


def test_the_records_tab_builds_its_form_when_first_asked(demo_sdk):
    panel = RecordsPanel(store=DataStore(sdk=demo_sdk, region="新尚村社区", period="2010Q4"))
    assert panel._entry is None and panel.holder.objects == []  # nothing built with the page
    entry = panel.entry
    assert entry is not None and entry.table == panel.table and len(panel.holder.objects) == 1
    assert panel.entry is entry  # built once
    other = next(v for v in panel.choice.options.values() if v != panel.table)
    panel.choice.value = other
    assert panel.entry.table == other


def test_a_closed_tab_is_built_when_first_opened(demo_sdk):
    """Only the open tab of the entry page is built with it: another tab is an empty box until
    the user opens it, then it is built into that box before the tab is drawn."""
    from shequ_sdk.ui.entry import ImportPanel, LazyTabs

    app = EntryApp(demo_sdk, **session_defaults(demo_sdk))
    app.data_store.apply({"region": "新尚村社区", "period": "2010Q4"}, [])
    tabs = app.tabs()
    assert isinstance(tabs, LazyTabs) and tabs.active == 0 and "shequ-view-finance-boards_entry" in tabs.objects[0].css_classes
    assert all(isinstance(o, pn.Column) and o.objects == [] for o in tabs.objects[1:])
    assert app._records_panel is None and app._import_panel is None
    last = len(tabs.objects) - 1  # 表格导入
    tabs.active = last
    assert isinstance(app.import_panel, ImportPanel) and app.import_panel.report in tabs.objects[last].objects[0].objects
    tabs.active = last - 1  # 录入记录: the panel a notebook or a test reaches is the one shown
    assert app.records_panel.choice in tabs.objects[last - 1].objects[0].objects and len(tabs.unbuilt) == len(tabs.objects) - 3
    shown = tabs.objects[last].objects[0]
    tabs.active = 0
    tabs.active = last
    assert tabs.objects[last].objects == [shown]  # built once


def test_the_entry_page_is_served_in_the_light_shell(demo_sdk):
    """No template framework around the entry app's page: the shell's header bar with the title
    (which the language switch retitles), the banner for an unreachable database first."""
    from shequ_sdk.ui.app import ShellPage, shell_template

    app = EntryApp(demo_sdk, **session_defaults(demo_sdk))
    guard = PageGuard(demo_sdk, None, app, app.template())
    assert isinstance(guard.page, ShellPage) and guard.page.objects[0] is guard.banner  # shown when the database is unreachable
    assert "shequ-app" in guard.page.objects[1].css_classes  # then the app
    doc = Document()
    guard.page.server_doc(doc)
    assert doc.template is shell_template() and doc.template_variables["shell_title"] == "村务录入"
    html = shell_template().render(base=BASE_TEMPLATE, macros=MACROS, docs=[], title="村务录入", dist_url="static/extensions/panel/",
                                   plot_script="", **doc.template_variables)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert '<header id="header"><div class="app-header"><a class="title" href="">&nbsp;村务录入</a>' in html
    assert 'href="static/extensions/panel/bundled/bootstrap5/css/bootstrap.min.css"' in html and "bootstrap.bundle" not in html


def test_a_batch_of_forms_sends_its_first_form_with_the_page_and_the_rest_once_it_is_drawn(demo_sdk, monkeypatch):
    """On a served page a BatchForm's first form comes with the page; the others, the save button
    and the footer (the finance boards' workflow buttons) follow once the browser has drawn it.
    In a notebook all are there at once."""
    from shequ_sdk.ui import views as viewsmod
    from shequ_sdk.ui.views import views_for

    store = DataStore(sdk=demo_sdk, region="新尚村社区", period="2011Q1")
    spec = next(v for v in views_for("entry") if v.key == "finance.boards_entry")
    at_once = spec.render(store).__panel__()
    whole = at_once.objects[-1].objects[0]  # not served: filled at once
    assert len(at_once.objects) == 4 and len(whole.objects) == 5  # heading, problems, 1st form, rest | 2nd, 3rd, save, workflow, extras

    drawn = []
    monkeypatch.setattr(viewsmod, "after_load", lambda callback, **_: drawn.append(callback))
    batch = spec.render(store)
    page = batch.__panel__()
    box = page.objects[-1]
    def form_ids(parts):
        return [c.split("shequ-form-")[1] for p in parts for c in p.css_classes if c.startswith("shequ-form-")]

    assert form_ids(page.objects) == [batch.forms[0].form_id] and box.objects == [] and len(drawn) == 1
    drawn.pop()()
    rest = box.objects[0].objects
    assert form_ids(rest) == [f.form_id for f in batch.forms[1:]] and batch.workflow in rest and batch.workflow.extras in rest
    assert any(batch.button in getattr(p, "objects", []) for p in rest)  # the save button
