"""Keyboard use of the entry pages, where Bokeh and Panel leave gaps.

- A tab's title (``pn.Tabs``) takes the focus with Tab but only a click opens it: Enter or Space
  on a focused title now opens its tab, as on a button.
- A download button (``pn.widgets.FileDownload``: 打印公开栏, 草稿样张, 下载模板) listens for clicks on
  the link inside it, which Enter or Space on the focused button never reach: they now press it.
- A button that hides itself once pressed (复制上季度) drops the focus to the page's start. The
  server may name where the focus goes next: :func:`focus` with the CSS class of a widget (its
  input, select, textarea or button is focused, once drawn).

One :class:`KeyboardHelp` per page (:meth:`EntryApp.layout`); the listeners are installed once
per window.
"""

from __future__ import annotations

import weakref

import param
from panel.custom import JSComponent

_BY_DOC: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


class KeyboardHelp(JSComponent):
    """Enter/Space open a focused tab or press a download button; ``target`` (``<n>|<css class>``) moves the focus."""

    target = param.String(default="", doc="""``<n>|<css class>``: focus the widget of that class (n makes each request new).""")

    _esm = """
    function find(root, cls) {
      const hit = root.querySelector('.' + cls);
      if (hit) return hit;
      for (const n of root.querySelectorAll('*')) {
        if (n.shadowRoot) { const x = find(n.shadowRoot, cls); if (x) return x; }
      }
      return null;
    }
    function focusable(host) {
      return (host.shadowRoot || host).querySelector('input:not([disabled]),select:not([disabled]),textarea:not([disabled]),button:not([disabled])');
    }
    export function render({ model }) {
      if (!window.__shequKeys) {
        window.__shequKeys = true;
        document.addEventListener('keydown', (event) => {
          if (event.key !== 'Enter' && event.key !== ' ') return;
          const el = event.composedPath()[0];
          const link = el && el.tagName === 'BUTTON' && !el.disabled && el.querySelector(':scope > a');
          if (link) {  // a FileDownload: only a click on its inner link starts the download
            event.preventDefault();
            link.click();
            return;
          }
          if (el && el.classList && el.classList.contains('bk-tab') && !el.classList.contains('bk-disabled')) {
            event.preventDefault();
            const host = el.getRootNode().host;
            el.click();
            // the titles are drawn anew, once here and again when the server sends the tab's
            // content: the focus stays on the tab just opened (unless the user has moved on)
            let n = 0;
            const keep = () => {
              const now = host && host.shadowRoot && host.shadowRoot.querySelector('.bk-tab.bk-active');
              if (now && (document.activeElement === document.body || document.activeElement === null)) now.focus();
              if (++n < 30) setTimeout(keep, 100);
            };
            setTimeout(keep, 50);
          }
        }, true);
      }
      model.on('target', () => {
        const cls = model.target.split('|').slice(1).join('|');
        if (!cls) return;
        let tries = 0;
        const attempt = () => {  // the widget may be drawn (or enabled) after this message arrives
          const host = find(document, cls);
          const el = host && focusable(host);
          if (el && el.offsetParent !== null) { el.focus(); return; }
          if (++tries < 40) setTimeout(attempt, 50);
        };
        attempt();
      });
      const el = document.createElement('span');
      el.className = 'shequ-keyboard';
      el.style.display = 'none';
      return el;
    }
    """


def install(doc=None) -> KeyboardHelp:
    """The page's :class:`KeyboardHelp`, remembered for :func:`focus` (``doc``: the session's document)."""
    helper = KeyboardHelp(width=0, height=0, margin=0, css_classes=["shequ-keyboard-help"])
    if doc is not None:
        _BY_DOC[doc] = helper
    return helper


def focus(css_class: str) -> bool:
    """Move the browser's focus to the widget with ``css_class`` in this session's page (once it is
    drawn); ``False`` outside a served page (a notebook, a test without a browser)."""
    import panel as pn

    doc = pn.state.curdoc
    helper = _BY_DOC.get(doc) if doc is not None else None
    if helper is None:
        return False
    n = int(helper.target.partition("|")[0] or 0) + 1
    helper.target = f"{n}|{css_class}"
    return True
