"""乡镇看板 / Township dashboard.

Served at ``/township`` by ``shequ serve --db demo.db``. On its own::

    SHEQU_DATABASE_URL=demo.db panel serve dashboards/township.py

Link to an area and period: ``/township?region=茅草街镇&period=2010Q4`` (``&lang=en`` for English,
``&village=新尚村社区`` to open a village's page).
"""

TITLE_ZH = "乡镇看板"
TITLE_EN = "Township dashboard"
ORDER = 1


def create(sdk=None, **params):
    """A new dashboard for one browser session (``params``: region, period, lang, …)."""
    from shequ_sdk.ui import TownshipDashboard

    return TownshipDashboard(sdk=sdk, **params)


if __name__.startswith("bokeh"):  # `panel serve dashboards/township.py`
    create().servable(title=TITLE_ZH)
