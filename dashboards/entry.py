"""村务录入 / Village data entry.

Served at ``/entry`` by ``shequ serve --db demo.db``. On its own::

    SHEQU_DATABASE_URL=demo.db panel serve dashboards/entry.py

Link to a village and quarter: ``/entry?village=新尚村社区&quarter=2011Q1``.
"""

TITLE_ZH = "村务录入"
TITLE_EN = "Village data entry"
ORDER = 2


def create(sdk=None, **params):
    """A new data-entry app for one browser session: its forms and unsaved input are its own."""
    from shequ_sdk.ui import EntryApp

    return EntryApp(sdk=sdk, **params)


if __name__.startswith("bokeh"):  # `panel serve dashboards/entry.py`
    create().servable(title=TITLE_ZH)
