"""Dashboard view of the elderly plugin: beds and residents of each five-guarantee home.

For every home in the area that is open on the period's last day (or today, if earlier): its
beds, and the centralised (集中供养) residents living there that day — the two quantities
whose ratio is ``elderly.occupancy_rate``. Residents come without any personal column: the
store drops them for a sensitive table.
"""

from __future__ import annotations

import datetime as dt

from shequ_sdk import View, hookimpl


def _active(frame, start: str, end: str, day):
    day = dt.datetime.combine(day, dt.time())
    return frame[(frame[start].isna() | (frame[start] <= day)) & (frame[end].isna() | (frame[end] > day))]


def occupancy(store):
    """Grouped bars per home: 床位 and 在住人数, with ``elderly.occupancy_rate`` in the title."""
    import pandas as pd

    from shequ_sdk.ui.charts import bar_chart, message

    lang = store.lang
    day = min(store.period_obj.end, store.as_of or dt.date.today())
    homes = _active(store.frame("elderly_home", period=None, columns=["id", "name", "capacity", "built", "closed"]), "built", "closed", day)
    if homes.empty:
        return message(store.t("no_data"))
    # a home takes residents from the whole county: read them there (the store keeps a township
    # or village user's read within their scope), keep those of these homes
    area = store.region_obj
    county = store.ref(area.county_id) if area.county_id else store.region
    residents = store.frame("elderly_resident", region=county, period=None, columns=["home_id", "support_form", "admitted", "discharged"],
                            where={"home_id": [int(i) for i in homes["id"]]}, codes=True)
    residents = _active(residents[residents["support_form"] == "concentrated"], "admitted", "discharged", day)
    living = residents.dropna(subset=["home_id"]).groupby(residents["home_id"].astype("int64")).size()
    beds_label, people_label = ("床位", "在住") if lang == "zh" else ("Beds", "Residents")
    rows = []
    for home in homes.itertuples():
        rows.append({"home": home.name, "measure": beds_label, "n": int(home.capacity)})
        rows.append({"home": home.name, "measure": people_label, "n": int(living.get(int(home.id), 0))})
    data = pd.DataFrame(rows)
    # the occupancy in the title is the plugin's indicator, as every other view shows it
    rate = store.format("elderly.occupancy_rate", store.indicator_values(["elderly.occupancy_rate"])["elderly.occupancy_rate"])
    title = (f"五保之家/敬老院床位使用（{day}，使用率 {rate}）" if lang == "zh" else f"Five-guarantee homes on {day}: occupancy {rate}")
    return bar_chart(data, "home", "n", x_label="机构" if lang == "zh" else "Home", y_label="人数/床位" if lang == "zh" else "Number",
                     title=title, stack="measure", stack_label="类别" if lang == "zh" else "Measure").opts(stacked=False, multi_level=True)


@hookimpl
def register_views(register):
    register(View(key="elderly.occupancy", label_zh="五保供养床位使用", label_en="Five-guarantee home occupancy",
                  render=occupancy, placement="chart", order=80))
