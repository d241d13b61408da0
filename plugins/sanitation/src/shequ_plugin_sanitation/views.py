"""Dashboard view of the sanitation plugin: the collection rate, month by month.

The twelve months up to the end of the selected period, for the whole area, computed by the
plugin's own indicator ``sanitation.collection_rate`` (so the line and the KPI card agree).
"""

from __future__ import annotations

from shequ_sdk import View, hookimpl


def collection_trend(store):
    """Line: 清运率 for each of the last twelve months."""
    title = f"{store.region} · 清运率（按月）" if store.lang == "zh" else f"{store.region} · collection rate by month"
    return store.indicator_trend("sanitation.collection_rate", periods=store.months_to_date(12), title=title)


@hookimpl
def register_views(register):
    register(View(key="sanitation.collection_trend", label_zh="垃圾清运率走势", label_en="Collection rate over time",
                  render=collection_trend, placement="chart", order=60))
