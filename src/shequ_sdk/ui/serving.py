"""``shequ serve``: every dashboard in ``dashboards/`` on one Panel server, with an index page.

A dashboard is a Python file that defines ``create(sdk=None, **params)`` returning a Panel
object (an :class:`~shequ_sdk.ui.app.App`), and ``TITLE_ZH`` / ``TITLE_EN``. Its file name is
its address: ``dashboards/township.py`` is served at ``/township``. Each browser session calls
``create`` afresh, so sessions share nothing but the database.

Everything the pages load comes from this server (Panel's and Bokeh's bundled files); the
index page is a local template without web fonts.

Login: when the database has users (``shequ user add``), every page requires signing in on
``/login`` (a local page in Chinese and English); passwords are checked by
:func:`shequ_sdk.auth.authenticate`, with its rate limit. Each session then works through the
database scoped to that user (``Shequ.as_user``), so the pages read and write only what the
user may. Without users the server runs single-user, and only on 127.0.0.1: any other address
is refused until a user exists.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

INDEX_TEMPLATE = Path(__file__).with_name("templates") / "index.html"
LOGIN_TEMPLATE = Path(__file__).with_name("templates") / "login.html"
LOGOUT_TEMPLATE = Path(__file__).with_name("templates") / "logout.html"
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


def build_apps(sdk, dashboards: list[Dashboard], login: bool = False, **params) -> dict[str, Callable[[], Any]]:
    """``{address: factory}`` for ``pn.serve``: each session gets new objects over the one database
    (with ``login``, the database scoped to the signed-in user)."""
    return {d.name: _session(d, sdk, params, login) for d in dashboards}


def session_sdk(sdk, username: Optional[str]):
    """The database as the signed-in ``username`` sees it; ``None`` if that user is unknown or disabled."""
    from sqlmodel import Session

    from ..auth import load_actor

    if not username:
        return None
    with Session(sdk.engine) as s:
        actor = load_actor(s, username)
    return None if actor is None else sdk.as_user(actor)


def _refused_page():
    import panel as pn

    return pn.pane.HTML('<div class="shequ-permission" role="alert" style="padding:16px">此账户不存在或已停用，请<a href="/logout">重新登录</a>。'
                        '<br>This account does not exist or is disabled; please <a href="/logout">sign in again</a>.</div>')


def _session(dashboard: Dashboard, sdk, params: dict, login: bool = False) -> Callable[[], Any]:
    # a plain function: Panel serves functions (not functools.partial objects) as per-session apps
    def app():
        if login:
            import panel as pn

            scoped = session_sdk(sdk, pn.state.user)
            if scoped is None:
                return _refused_page()
            return dashboard.create(sdk=scoped, **params)
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
    login = login_required(sdk, address)  # before importing Panel: a refused address fails at once
    import panel as pn

    dashboards = dashboards if dashboards is not None else load_dashboards(directory)
    apps = build_apps(sdk, dashboards, login=login, **session_defaults(sdk))
    pn.config.index_titles = {d.slug: f"{d.title_zh} · {d.title_en}" for d in dashboards}
    origins = list(allow_origin or [])
    if address in ("0.0.0.0", "::", ""):
        origins = origins or ["*"]
    else:
        origins += [f"{address}:{port}"] + ([f"localhost:{port}"] if address == "127.0.0.1" else [])
    url = f"http://{address}:{port}/"
    announce(f"看板地址 / dashboards: {url}  （" + "，".join(f"{d.title_zh} {url}{d.name}" for d in dashboards) + "）"
             + ("；需要登录 / login required" if login else ""))
    sys.stdout.flush()
    auth = {"auth_provider": login_provider(sdk), "cookie_secret": cookie_secret()} if login else {}
    return pn.serve(apps, port=port, address=address, websocket_origin=origins, show=show, threaded=threaded, start=True,
                    title={d.name: d.title_zh for d in dashboards}, index=str(INDEX_TEMPLATE), liveness=True, verbose=False,
                    warm=warm and not login, **auth)


def login_required(sdk, address: str) -> bool:
    """Whether the served apps require login (:func:`shequ_sdk.auth.login_required`)."""
    from ..auth import login_required as decide

    return decide(sdk.engine, address)


def cookie_secret() -> str:
    """The key that signs login cookies: ``$SHEQU_COOKIE_SECRET``, else new for each server start
    (signing in again after a restart)."""
    import secrets

    return os.environ.get("SHEQU_COOKIE_SECRET") or secrets.token_urlsafe(32)


def login_provider(sdk):
    """Panel's basic auth provider with our login page and our password check (argon2id,
    rate-limited: :func:`shequ_sdk.auth.authenticate`)."""
    import jinja2
    import tornado.escape
    from panel.auth import BasicAuthProvider, BasicLoginHandler, LogoutHandler, _validate_next_url
    from panel.io.state import state
    from sqlmodel import Session

    from ..auth import authenticate
    from ..errors import ShequError

    env = jinja2.Environment(autoescape=True)
    login_page = env.from_string(LOGIN_TEMPLATE.read_text(encoding="utf-8"))
    logout_page = env.from_string(LOGOUT_TEMPLATE.read_text(encoding="utf-8"))

    class LoginHandler(BasicLoginHandler):
        _login_endpoint = "/login"

        def get(self):
            next_url = _validate_next_url(self.get_argument("next", None))
            if next_url:  # kept across a failed attempt (the redirect back here has no ?next=)
                self.set_cookie("next_url", next_url)
            self.write(login_page.render(login_endpoint=self._login_endpoint, errormessage=self.get_argument("error", "")))

        def post(self):
            username = self.get_argument("username", "").strip()
            password = self.get_argument("password", "")
            try:
                with Session(sdk.engine) as s:
                    authenticate(s, username, password)
            except ShequError as exc:
                self.redirect(f"{self._login_endpoint}?error={tornado.escape.url_escape(str(exc))}")
                return
            self.set_current_user(username)
            self.redirect(_validate_next_url(self.get_cookie("next_url", state.base_url)) or "/")

    class Logout(LogoutHandler):
        def get(self):
            for name in ("user", "id_token", "access_token", "refresh_token", "oauth_expiry"):
                self.clear_cookie(name)
            self.write(logout_page.render(login_endpoint="/login"))

    class Provider(BasicAuthProvider):
        @property
        def login_handler(self):
            return LoginHandler

        @property
        def logout_handler(self):
            return Logout

    return Provider(login_endpoint="/login", logout_endpoint="/logout")
