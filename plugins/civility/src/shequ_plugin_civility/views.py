"""Dashboard view of the civility plugin: how many households hold each number of stars.

Reads the star ratings of the area for the selected year (a quarter or month shows its year)
through the dashboard's store, which masks and scopes them; revoked ratings are left out, as
in the plugin's indicators. Panel and HoloViews load inside the function only.
"""

from __future__ import annotations

from shequ_sdk import View, hookimpl


def star_distribution(store):
    """Bars: rated households by number of stars (十星级文明户 on the right)."""
    import pandas as pd

    from shequ_sdk.ui.charts import bar_chart, message

    lang = store.lang
    year = store.period_obj.year
    ratings = store.frame("civility_star_rating", period=str(year), columns=["star_count", "revoked_on"])
    ratings = ratings[ratings["revoked_on"].isna()]
    if ratings.empty:
        return message(store.t("no_data"))
    counts = ratings["star_count"].astype("int64").value_counts().sort_index()
    data = pd.DataFrame({"stars": [f"{n}星" if lang == "zh" else f"{n}★" for n in counts.index], "households": counts.values})
    title = f"{store.region} {year}年星级文明户评定（{int(counts.sum())} 户参评）" if lang == "zh" else \
        f"Star-rated households, {store.region} {year} ({int(counts.sum())} rated)"
    return bar_chart(data, "stars", "households", x_label="星数" if lang == "zh" else "Stars",
                     y_label="户数" if lang == "zh" else "Households", title=title, color="#c62828")


@hookimpl
def register_views(register):
    register(View(key="civility.star_distribution", label_zh="星级文明户分布", label_en="Star ratings",
                  render=star_distribution, placement="chart", order=70))
