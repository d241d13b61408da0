"""The commitments plugin in Chromium: a village page shows one card per member (masked
names, commitments, 三评 grades), and the township page draws the plugin's charts."""

from __future__ import annotations

from playwright.sync_api import expect


def test_village_page_shows_the_members_commitment_cards(app_page, served, ui):
    page = app_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(served.url("township", region="南县", period="2010", village="南洲村"))
    expect(page.locator(".shequ-village-name")).to_have_text("南洲村")
    cards = page.locator(".shequ-member-card")
    members = served.sdk.frame("commitments_member", region="南洲村")  # masked, as the page shows them
    expect(cards).to_have_count(len(members))
    texts = cards.all_inner_texts()
    assert {t.split()[0] for t in texts} == set(members["name"]) and all("*" in t.split()[0] for t in texts)
    party = int(members["is_party_member"].sum())
    assert sum("三评 上半年" in t and "三评 下半年" in t for t in texts) == party  # every Party member, both halves of 2010
    assert any("未兑现" in t or "部分兑现" in t for t in texts) and not any("commitment" in t for t in texts)
    cards.first.scroll_into_view_if_needed()
    ui.save_screenshot(page, "commitments-village-390.png")
