"""``shequ serve``: every dashboard in ``dashboards/`` on one Panel server, with an index page.

A dashboard is a Python file that defines ``create(sdk=None, **params)`` returning a Panel
object (an :class:`~shequ_sdk.ui.app.App`), and ``TITLE_ZH`` / ``TITLE_EN``. Its file name is
its address: ``dashboards/township.py`` is served at ``/township``. Each browser session calls
``create`` afresh, so sessions share nothing but the database.

Everything the pages load comes from this server (Panel's and Bokeh's bundled files); the
index page is a local template without web fonts.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

INDEX_TEMPLATE = Path(__file__).with_name("templates") / "index.html"
REPO_DASHBOARDS = Path(__file__).resolve().parents[3] / "dashboards"


@dataclass
class Dashboard:
    """One servable dashboard: its address, titles and factory."""

    name: str
    title_zh: str
    title_en: str
    create: Callable[..., Any]
    order: int = 100
    path: Optional[Path] = None

    @property
    def slug(self) -> str:
        return f"/{self.name}"


def _builtin() -> list[Dashboard]:
    """The SDK's own pages, served when no ``dashboards/`` directory is found (an installed wheel)."""

    def township(sdk=None, **params):
        from .township import TownshipDashboard

        return TownshipDashboard(sdk=sdk, **params)

    def entry(sdk=None, **params):
        from .entry import EntryApp

        return EntryApp(sdk=sdk, **params)

    return [Dashboard("township", "乡镇看板", "Township dashboard", township, 1),
            Dashboard("entry", "村务录入", "Village data entry", entry, 2)]


def find_dashboards_dir(directory: Optional[os.PathLike | str] = None) -> Optional[Path]:
    """The dashboards directory: ``directory``, else ``$SHEQU_DASHBOARDS``, else ``./dashboards``,
    else the repository's ``dashboards/`` (a source checkout). ``None`` if none exists."""
    from ..errors import InputError

    if directory is not None:
        path = Path(directory)
        if not path.is_dir():
            raise InputError(f"看板目录不存在：{path}", f"no dashboards directory at {path}")
        return path
    for candidate in (os.environ.get("SHEQU_DASHBOARDS"), Path.cwd() / "dashboards", REPO_DASHBOARDS):
        if candidate and Path(candidate).is_dir() and any(Path(candidate).glob("*.py")):
            return Path(candidate)
    return None


def load_dashboards(directory: Optional[os.PathLike | str] = None) -> list[Dashboard]:
    """Every ``*.py`` in the dashboards directory that defines ``create`` (built-in pages if none)."""
    from ..errors import PluginError

    root = find_dashboards_dir(directory)
    if root is None:
        return _builtin()
    found = []
    for path in sorted(root.glob("*.py")):
        if path.name.startswith("_"):
            continue
        name = f"shequ_dashboard_{path.stem}"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            raise PluginError(f"看板 {path} 无法加载：{exc}", f"dashboard {path} failed to load: {exc}") from exc
        create = getattr(module, "create", None)
        if not callable(create):
            continue  # a helper module, not a page
        title_zh = getattr(module, "TITLE_ZH", path.stem)
        found.append(Dashboard(path.stem, title_zh, getattr(module, "TITLE_EN", title_zh), create, getattr(module, "ORDER", 100), path))
    return sorted(found, key=lambda d: (d.order, d.name)) or _builtin()


def build_apps(sdk, dashboards: list[Dashboard], **params) -> dict[str, Callable[[], Any]]:
    """``{address: factory}`` for ``pn.serve``: each session gets new objects over the one database."""
    return {d.name: _session(d, sdk, params) for d in dashboards}


def _session(dashboard: Dashboard, sdk, params: dict) -> Callable[[], Any]:
    # a plain function: Panel serves functions (not functools.partial objects) as per-session apps
    def app():
        return dashboard.create(sdk=sdk, **params)

    app.__name__ = dashboard.name
    return app


def session_defaults(sdk) -> dict[str, Any]:
    """Defaults worked out once per server (one scan of every table), not once per page view."""
    from .store import data_years, default_period

    span = data_years(sdk)
    return {"first_year": span[0], "period": default_period(sdk, span)}


def serve(sdk, *, port: int = 5006, address: str = "127.0.0.1", directory=None, show: bool = False, threaded: bool = False,
          allow_origin: Optional[list[str]] = None, dashboards: Optional[list[Dashboard]] = None, announce: Callable[[str], None] = print,
          warm: bool = True):
    """Serve the dashboards of ``directory`` on ``address:port``; blocks unless ``threaded``.

    ``warm`` builds each page once before serving, so the first visitor does not wait for
    imports and first queries. Returns the server (a thread when ``threaded``; call
    ``.stop()`` then ``.join()``).
    """
    import panel as pn

    dashboards = dashboards if dashboards is not None else load_dashboards(directory)
    apps = build_apps(sdk, dashboards, **session_defaults(sdk))
    pn.config.index_titles = {d.slug: f"{d.title_zh} · {d.title_en}" for d in dashboards}
    origins = list(allow_origin or [])
    if address in ("0.0.0.0", "::", ""):
        origins = origins or ["*"]
    else:
        origins += [f"{address}:{port}"] + ([f"localhost:{port}"] if address == "127.0.0.1" else [])
    url = f"http://{address}:{port}/"
    announce(f"看板地址 / dashboards: {url}  （" + "，".join(f"{d.title_zh} {url}{d.name}" for d in dashboards) + "）")
    sys.stdout.flush()
    return pn.serve(apps, port=port, address=address, websocket_origin=origins, show=show, threaded=threaded, start=True,
                    title={d.name: d.title_zh for d in dashboards}, index=str(INDEX_TEMPLATE), liveness=True, verbose=False,
                    warm=warm)
