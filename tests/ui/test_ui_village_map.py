"""The village map on the township dashboard in Chromium, at a laptop's 1366×768: drawn offline
(no tiles: the page fixture fails on any request leaving 127.0.0.1), villages named in Chinese,
and a click on a village opens its page."""

from __future__ import annotations

import re

from playwright.sync_api import expect

# the screen position of a village's point, from the map's own Bokeh view (the map is a canvas)
POINT_OF = """([name]) => {
  const view = [...Bokeh.index.query(v => (v.model.tags || []).includes('shequ-village-map'))][0];
  if (!view) return null;
  const r = view.model.renderers.find(r => r.data_source && r.data_source.data.name && r.data_source.data.lon
                                           && r.glyph.type === 'Scatter');
  const data = r.data_source.data;
  const i = Array.from(data.name).indexOf(name);
  if (i < 0) return null;
  const box = view.el.getBoundingClientRect();
  return {x: box.left + view.frame.x_scale.compute(data.lon[i]), y: box.top + view.frame.y_scale.compute(data.lat[i])};
}"""


def test_a_click_on_a_village_on_the_map_opens_its_page(app_page, served, ui):
    page = app_page
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(served.url("township"))
    view = page.locator(".shequ-view-core-village_map")
    expect(view.locator(".shequ-view-title")).to_have_text("村庄地图")
    expect(view.locator(".shequ-map-indicator select")).to_have_value("按时公开率")  # the label: no indicator key on the page
    view.scroll_into_view_if_needed()
    page.wait_for_function("() => window.Bokeh && [...Bokeh.index.query(v => (v.model.tags || []).includes('shequ-village-map'))].length > 0")
    page.wait_for_timeout(500)  # the canvas finishes drawing
    shot = ui.save_screenshot(page, "township-map-page.png")
    view.screenshot(path=str(shot.with_name("township-map.png")))
    ui.copy_to_docs(shot.with_name("township-map.png"), "township-map.png")
    point = page.evaluate(POINT_OF, ["新尚村社区"])
    assert point is not None
    page.mouse.click(point["x"], point["y"])
    expect(page.locator(".shequ-village-name")).to_have_text("新尚村社区")
    expect(page).to_have_url(re.compile(r"[?&]village=%E6%96%B0%E5%B0%9A%E6%9D%91%E7%A4%BE%E5%8C%BA(&|$)"))
