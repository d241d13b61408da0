"""Dashboard view of the stability plugin: how the period's mediation cases ended.

Counts of the cases registered in the period by their status (受理, 调解中, 调解成功, 调解不成,
不予受理); the title gives the accepted cases as ``stability.mediation_cases`` counts them. Only the status column is read: the parties and the mediator never reach a
township view (the store drops every sensitive column of this sensitive table anyway).
"""

from __future__ import annotations

from shequ_sdk import View, hookimpl


def mediation_outcomes(store):
    """Bars: cases registered in the period, by status."""
    import pandas as pd

    from shequ_sdk.ui.charts import bar_chart, message

    lang = store.lang
    cases = store.frame("stability_mediation_case", columns=["status"])
    if cases.empty:
        return message(store.t("no_data"))
    counts = cases["status"].value_counts(sort=False)
    counts = counts[counts > 0]
    data = pd.DataFrame({"status": [str(s) for s in counts.index], "cases": counts.values})
    # the accepted total is the plugin's indicator, so the title and the KPI card agree
    accepted = store.format("stability.mediation_cases", store.indicator_values(["stability.mediation_cases"])["stability.mediation_cases"])
    title = (f"{store.region} {store.period_obj.label('zh')}调解案件办理状态（受理 {accepted}）" if lang == "zh"
             else f"Mediation cases by status, {store.region} {store.period_obj.label('en')} ({accepted} accepted)")
    return bar_chart(data, "status", "cases", x_label="办理状态" if lang == "zh" else "Status",
                     y_label="案件数" if lang == "zh" else "Cases", title=title, color="#6a1b9a")


@hookimpl
def register_views(register):
    register(View(key="stability.mediation_outcomes", label_zh="人民调解结果", label_en="Mediation outcomes",
                  render=mediation_outcomes, placement="chart", order=90))
