"""Panel dashboards of shequ-sdk: DataStore, Views and Apps (Panel's DataStore / View / App structure).

The same objects render in ``shequ serve`` (served pages) and inline in a Jupyter notebook::

    import shequ_sdk
    from shequ_sdk.ui import DataStore, KpiCards, TownshipDashboard, EntryApp

    sdk = shequ_sdk.open("demo.db")
    TownshipDashboard(sdk=sdk, region="茅草街镇", period="2010")      # the whole dashboard
    KpiCards(data_store=DataStore(sdk=sdk, region="南洲村"))          # one view

Importing this package loads Panel; the ``shequ`` command imports it only for ``shequ serve``.
"""

from .app import App, load_extensions
from .charts import bar_chart, html_table, status_heatmap, table_pane, trend_chart, village_bars
from .entry import EntryApp, ImportPanel, RecordsPanel
from .forms import BatchForm, FieldInput, RecordForm, TableEntry, field_label, yuan_to_fen
from .grid import GridEntry
from .i18n import STRINGS, t
from .store import DataStore, data_years, default_period, region_refs
from .township import TownshipDashboard
from .views import KpiCards, PluginView, PluginViews, View, VillagePage, VillageTable, error_card, render_view, views_for

__all__ = [
    "App", "TownshipDashboard", "EntryApp", "DataStore", "View", "KpiCards", "VillageTable", "VillagePage", "PluginView",
    "PluginViews", "RecordsPanel", "ImportPanel", "RecordForm", "BatchForm", "TableEntry", "GridEntry", "FieldInput", "error_card", "render_view",
    "views_for", "status_heatmap", "trend_chart", "village_bars", "bar_chart", "html_table", "table_pane", "field_label",
    "yuan_to_fen", "t", "STRINGS", "data_years", "default_period", "region_refs", "load_extensions",
]
