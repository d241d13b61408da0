"""The township dashboard as a web user sees it, without a browser: no developer notes or
commands, every view within the signed-in user's scope, downloads with exact numbers, English
labels, and a village page of names (not ids) and yuan (not fen)."""

from __future__ import annotations

import json

import panel as pn
from bokeh.document import Document

from shequ_sdk.ui import STRINGS, DataStore, TownshipDashboard


def page_text(obj) -> str:
    """Everything a browser would receive for ``obj``: its Bokeh document, as JSON text."""
    doc = Document()
    doc.add_root(pn.panel(obj).get_root(doc))
    return json.dumps(doc.to_json(), ensure_ascii=False, default=str)


def test_no_label_tells_a_web_user_to_run_a_command():
    for key, pair in STRINGS.items():
        for text in pair:
            assert "shequ " not in text and "命令" not in text, (key, text)


def test_the_township_page_has_no_developer_note(demo_sdk):
    text = page_text(TownshipDashboard(sdk=demo_sdk, region="茅草街镇", period="2010", defer=False))
    assert "核心指标" in text
    assert "shequ indicators" not in text and "命令" not in text
