"""Dashboard view of the Party-building plugin: social organisations by coverage mode.

On the period's last day (or today, if earlier): the organisations each of the four modes
(单独建, 联合建, 挂靠建, 委派指导员) covers, from the coverage records, and those no mode covers,
from the plugin's indicator ``party.uncovered_organisations`` — the parts of ``party.coverage_rate``.
"""

from __future__ import annotations

import datetime as dt

from shequ_sdk import View, hookimpl

from .models import MODES


def coverage_by_mode(store):
    """Bars: organisations per coverage mode, plus the uncovered ones."""
    import pandas as pd

    from shequ_sdk.ui.charts import bar_chart, message

    lang = store.lang
    day = dt.datetime.combine(min(store.period_obj.end, store.as_of or dt.date.today()), dt.time())
    cover = store.frame("party_coverage", period=None, columns=["association_id", "mode", "start_date", "end_date"], codes=True)
    cover = cover[(cover["start_date"].isna() | (cover["start_date"] <= day)) & (cover["end_date"].isna() | (cover["end_date"] > day))]
    uncovered = store.indicator_values(["party.uncovered_organisations"]).get("party.uncovered_organisations") or 0
    if cover.empty and not uncovered:
        return message(store.t("no_data"))
    rows = [{"mode": zh if lang == "zh" else en, "n": int(cover.loc[cover["mode"] == code, "association_id"].nunique())}
            for code, (zh, en) in MODES.items()]
    rows.append({"mode": "未覆盖" if lang == "zh" else "Not covered", "n": int(uncovered)})
    total = sum(r["n"] for r in rows)
    title = (f"{store.region} 社会组织党组织覆盖方式（{day.date()}，共 {total} 家）" if lang == "zh"
             else f"Party coverage of social organisations, {store.region} on {day.date()} ({total})")
    return bar_chart(pd.DataFrame(rows), "mode", "n", x_label="覆盖方式" if lang == "zh" else "Mode",
                     y_label="组织数" if lang == "zh" else "Organisations", title=title, color="#b71c1c")


@hookimpl
def register_views(register):
    register(View(key="party.coverage_by_mode", label_zh="党建覆盖方式", label_en="Party coverage by mode",
                  render=coverage_by_mode, placement="chart", order=100))
