"""The page's address is its state, both ways.

Panel's ``pn.state.location.sync`` writes a changed parameter into the address, but the browser's
Back and Forward buttons (``popstate``) never reach the server: the address changes and the page
does not. :class:`UrlState` is a small browser component that does both:

- the server sets ``query`` (``?region=…&period=…``) whenever the page's state changes; the
  browser adds a history entry for it, unless the address already says so (a state restored
  from the address adds nothing, so Forward still works);
- on Back or Forward the browser sends the address's query as ``popped``; the app applies it,
  a name missing from the address taking its default (no ``village``: the township view).

A reload reads the address when the page is built (:meth:`App.template`).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode

import param
from panel.custom import JSComponent


def parse_query(search: str) -> dict[str, str]:
    """``?a=1&b=2`` → ``{"a": "1", "b": "2"}`` (the last of repeated names)."""
    return {k: v[-1] for k, v in parse_qs((search or "").lstrip("?"), keep_blank_values=True).items()}


def make_query(values: dict[str, str]) -> str:
    """``{"region": "茅草街镇", "village": ""}`` → ``?region=%E8…`` (empty values left out)."""
    kept = {k: v for k, v in values.items() if v not in (None, "")}
    return "?" + urlencode(kept) if kept else ""


class UrlState(JSComponent):
    """Keeps the address and the page in step (see the module docstring)."""

    query = param.String(default="", doc="""The address's query for the page's state, set by the server.""")

    popped = param.String(default="", doc="""``<n>|<query>`` sent by the browser after Back or Forward.""")

    _esm = """
    export function render({ model }) {
      const here = () => window.location.search;
      const url = (q) => window.location.pathname + q + window.location.hash;
      // the first address names what the page shows, without a new history entry
      if (model.query !== here()) window.history.replaceState(window.history.state, "", url(model.query));
      model.on("query", () => {
        if (model.query !== here()) window.history.pushState({}, "", url(model.query));
      });
      let n = 0;
      window.addEventListener("popstate", () => { n += 1; model.popped = `${n}|${here()}`; });
      const el = document.createElement("span");
      el.className = "shequ-url-state";
      el.style.display = "none";
      return el;
    }
    """
