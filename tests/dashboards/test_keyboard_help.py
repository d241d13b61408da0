"""``shequ_sdk.ui.keyboard`` outside a browser: moving the focus needs a served page."""

from __future__ import annotations


def test_focus_outside_a_served_page_says_it_did_nothing():
    from shequ_sdk.ui import keyboard

    assert keyboard.focus("shequ-save") is False
    helper = keyboard.install()
    assert helper.target == ""  # nothing was asked of a helper no page is showing
