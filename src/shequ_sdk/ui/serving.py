"""``shequ serve``: every dashboard in ``dashboards/`` on one Panel server, with an index page.

A dashboard is a Python file that defines ``create(sdk=None, **params)`` returning a Panel
object (an :class:`~shequ_sdk.ui.app.App`), and ``TITLE_ZH`` / ``TITLE_EN``. Its file name is
its address: ``dashboards/township.py`` is served at ``/township``. Each browser session calls
``create`` afresh, so sessions share nothing but the database.

Everything the pages load comes from this server (Panel's and Bokeh's bundled files); the
index page is a local template without web fonts.

Login: when the database has users (``shequ user add``), every page requires signing in on
``/login`` (a local page in Chinese and English). A sign-in starts a stored session
(:func:`shequ_sdk.auth.start_session`); the browser holds its token in a signed cookie
(``HttpOnly``, ``SameSite=Lax``, ``Secure`` over HTTPS). Every request, websocket and page
checks that session in the database, and each open page re-checks it every few seconds and on
the user's actions, so a sign-out, password change, disabling or role change sends every open
tab of that user back to ``/login``. Each page works through the database scoped to that
session (``Shequ.session``): the SDK checks it again before each read and write.

Passwords are checked off the event loop (a small thread pool) after a per-address limit
(:class:`AddressLimiter`, HTTP 429), and then by :func:`shequ_sdk.auth.authenticate` with the
per-account-and-address lock. Panel's unsigned ``is_guest`` cookie is ignored; ``next`` accepts
only local paths (:func:`safe_next`). No traceback reaches a browser: errors show a Chinese
page or card, details go to the server log.

The public portal (``/public``…, :mod:`shequ_sdk.ui.public_web`) is served by plain Tornado
handlers beside the dashboards and never asks for a login: it shows only published postings.

Without users the server runs single-user, and only on 127.0.0.1: any other address is refused
until a user exists.
"""

from __future__ import annotations

import html
import importlib.util
import logging
import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

INDEX_TEMPLATE = Path(__file__).with_name("templates") / "index.html"
LOGIN_TEMPLATE = Path(__file__).with_name("templates") / "login.html"
LOGOUT_TEMPLATE = Path(__file__).with_name("templates") / "logout.html"
ERROR_TEMPLATE = Path(__file__).with_name("templates") / "error.html"
REPO_DASHBOARDS = Path(__file__).resolve().parents[3] / "dashboards"
SESSION_COOKIE = "shequ_session"  # the signed cookie holding the session token
CHECK_SECONDS = 5.0  # how often an open page re-checks its session and the database
ADDRESS_ATTEMPTS = 10  # login attempts per address …
ADDRESS_WINDOW = 60.0  # … per this many seconds, then HTTP 429
LOCATION_SAFE = "/?=&%:#+,;@!$'()*~-._"  # what stays as is when a local path is percent-encoded for a redirect
log = logging.getLogger("shequ_sdk.serve")


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
    (with ``login``, the database scoped to the signed-in user's session)."""
    return {d.name: _session(d, sdk, params, login) for d in dashboards}


def session_token(cookies: dict, secret: Optional[str] = None) -> Optional[str]:
    """The session token of a request's signed cookie (``None`` if absent or not signed by us)."""
    from tornado.web import decode_signed_value

    from panel.config import config

    raw = cookies.get(SESSION_COOKIE)
    raw = getattr(raw, "value", raw)
    secret = secret or config.cookie_secret
    if not raw or not secret:
        return None
    value = decode_signed_value(secret, SESSION_COOKIE, raw, max_age_days=1)
    return value.decode("utf-8") if value else None


def session_sdk(sdk, token: Optional[str]):
    """The database as the user of the live session ``token`` sees it; ``None`` if the session
    ended or its user is disabled."""
    from ..errors import SessionEnded

    if not token:
        return None
    try:
        return sdk.session(token)
    except SessionEnded:
        return None


def message_card(zh: str, en: str = "", *, kind: str = "error", css_class: str = "shequ-error", home: bool = False):
    """A Chinese-first message instead of a page (never a traceback or a server path)."""
    import panel as pn

    colour = {"error": ("#c62828", "#fdecea"), "warning": ("#8a6d00", "#fff8e1")}[kind]
    return pn.pane.HTML(f'<div class="{css_class}" role="alert" style="border-left:4px solid {colour[0]};background:{colour[1]};'
                        f'padding:12px 16px">{html.escape(zh)}' + (f'<br><span style="color:#616161">{html.escape(en)}</span>' if en else "")
                        + ('<br><a href="/" style="color:#0d47a1">返回首页 · Home</a>' if home else "")
                        + '</div>', sizing_mode="stretch_width")


UNREACHABLE = ("数据库服务器暂时无法连接，请稍后刷新页面；如果持续出现，请联系管理员。",
               "The database server cannot be reached; refresh the page later, or ask the administrator if it persists.")
FAILED = ("页面出错，请刷新重试；如果持续出现，请联系管理员（详情已记录在服务器日志中）。",
          "The page failed; refresh to try again, or ask the administrator (details are in the server log).")


def error_card(exc: BaseException):
    """The card for an error while building a page: its own message for ours, a fixed one else."""
    from .. import db as dbmod
    from ..errors import ShequError

    if dbmod.is_unreachable(exc):
        log.warning("database unreachable while building a page: %s", exc)
        return message_card(*UNREACHABLE, css_class="shequ-error shequ-db-down", home=True)
    if isinstance(exc, ShequError):
        return message_card(exc.zh, exc.en if exc.en != exc.zh else "", home=True)
    log.error("a page failed to build", exc_info=exc)
    return message_card(*FAILED, home=True)


def _refused_page():
    return message_card("此账户不存在或已停用，请重新登录。", "This account does not exist or is disabled; please sign in again.",
                        css_class="shequ-permission")


def _session(dashboard: Dashboard, sdk, params: dict, login: bool = False) -> Callable[[], Any]:
    # a plain function: Panel serves functions (not functools.partial objects) as per-session apps
    def app():
        import panel as pn

        token = None
        try:
            if login:
                token = session_token(pn.state.cookies)
                scoped = session_sdk(sdk, token)
                if scoped is None:
                    return _refused_page()
            else:
                scoped = sdk
            obj = dashboard.create(sdk=scoped, **params)
            view = obj.__panel__() if hasattr(obj, "__panel__") else obj
        except Exception as exc:  # a page that cannot be built says so, in Chinese; details go to the log
            return error_card(exc)
        return PageGuard(sdk, token if login else None, obj, view).page

    app.__name__ = dashboard.name
    return app


class PageGuard:
    """Watches one open page: every ``CHECK_SECONDS`` and on the user's actions it checks that
    the session is still live (else the tab reloads, which lands on ``/login``) and that the
    database answers (else a banner says the server is unreachable; when it answers again the
    banner goes and the page's data are read anew)."""

    def __init__(self, sdk, token: Optional[str], obj, view):
        import panel as pn
        from panel.template.base import BaseTemplate

        self.sdk, self.token, self.obj = sdk, token, obj
        self.banner = message_card(*UNREACHABLE, kind="warning", css_class="shequ-db-down")
        self.banner.visible = False
        self.down = False
        self._last = 0.0
        from .app import ShellPage

        if isinstance(view, BaseTemplate):
            view.main.insert(0, self.banner)
            self.page = view
        elif isinstance(view, ShellPage):
            view.insert(0, self.banner)
            self.page = view
        else:
            self.page = pn.Column(self.banner, view, sizing_mode="stretch_width")
        doc = pn.state.curdoc
        if doc is None:
            return
        self.location = pn.state.location
        self.callback = pn.state.add_periodic_callback(self.check, period=int(CHECK_SECONDS * 1000))
        if token is not None:
            doc.on_change(self._on_change)

    def _on_change(self, event) -> None:
        # a change sent by the browser (the user acted): check now, at most every half second
        if getattr(event, "setter", None) is not None and time.monotonic() - self._last > 0.5:
            self.check()

    def check(self) -> None:
        from sqlalchemy import text
        from sqlmodel import Session

        from .. import db as dbmod
        from ..auth import session_actor

        self._last = time.monotonic()
        try:
            with Session(self.sdk.engine) as s:
                if self.token is not None:
                    live = session_actor(s, self.token) is not None
                else:  # single-user mode: only whether the database answers
                    s.execute(text("SELECT 1"))
                    live = True
        except Exception as exc:
            if not dbmod.is_unreachable(exc):
                log.error("checking an open page's session failed", exc_info=exc)
                return
            if not self.down:
                log.warning("database unreachable: %s", exc)
            self.down = True
            self.banner.visible = True
            return
        if self.down:  # the server is back: drop the banner and read the data again
            self.down = False
            self.banner.visible = False
            store = getattr(self.obj, "data_store", None)
            if store is not None and hasattr(store, "refresh"):
                store.refresh()
        if not live:
            self.end()

    def end(self) -> None:
        """The session ended: stop watching and reload the tab (the server then sends it to /login)."""
        try:
            self.callback.stop()
        except Exception:  # already stopped
            pass
        if self.location is not None:
            self.location.reload = True


def session_defaults(sdk) -> dict[str, Any]:
    """Defaults worked out once per server (one scan of every table), not once per page view."""
    from .store import data_years, default_period

    span = data_years(sdk)
    return {"first_year": span[0], "period": default_period(sdk, span)}


def allowed_origins(address: str, port: int, extra: Optional[list[str]] = None) -> list[str]:
    """The browser origins (``host:port``) whose websockets are accepted: the served address, and
    for every interface (``0.0.0.0``) this machine's names and addresses — never ``*`` — plus
    ``extra`` (``--allow-origin``, e.g. the public name of an HTTPS proxy)."""
    import socket

    hosts: list[str] = []
    if address in ("0.0.0.0", "::", ""):
        hosts += ["localhost", "127.0.0.1"]
        try:
            name = socket.gethostname()
            hosts += [name, socket.getfqdn()]
            hosts += socket.gethostbyname_ex(name)[2]
        except OSError:
            pass
    else:
        hosts.append(address)
        if address == "127.0.0.1":
            hosts.append("localhost")
    out = [f"{h}:{port}" for h in hosts if h]
    out += [o for o in (extra or []) if o]
    return list(dict.fromkeys(out))


def settle_heap() -> int:
    """Move what the server holds after its start (modules, classes, the warm-up's caches: some
    380,000 objects) out of the garbage collector's way (``gc.freeze``); returns how many.

    A full collection then looks at the sessions' objects only: about 30 ms instead of 180 ms on
    the demo, during which the server answers no page of any user (one such pause in three page
    loads of the entry app). Run once, when serving starts.
    """
    import gc

    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def serve(sdk, *, port: int = 5006, address: str = "127.0.0.1", directory=None, show: bool = False, threaded: bool = False,
          allow_origin: Optional[list[str]] = None, dashboards: Optional[list[Dashboard]] = None, announce: Callable[[str], None] = print,
          warm: bool = True, behind_proxy: bool = False, ssl_certfile: Optional[str] = None, ssl_keyfile: Optional[str] = None,
          num_procs: int = 1, refresh_every: float = 5.0):
    """Serve the dashboards of ``directory`` on ``address:port``; blocks unless ``threaded``.

    ``warm`` builds each page once before serving, so the first visitor does not wait for
    imports and first queries. ``behind_proxy``: trust ``X-Forwarded-For``/``-Proto`` from a
    reverse proxy (the only way in), so login limits count the visitor's address and cookies
    are ``Secure`` over HTTPS. ``ssl_certfile``/``ssl_keyfile`` serve HTTPS directly. Returns
    the server (a thread when ``threaded``; call ``.stop()`` then ``.join()``).

    ``num_procs`` > 1 forks that many worker processes sharing the port (Bokeh's ``num_procs``;
    POSIX only, not with ``threaded``): see :func:`_prepare_workers`.

    ``refresh_every``: seconds between background refreshes of the stored indicator cells that
    writes made stale (:class:`shequ_sdk.analytics.Refresher`, in this process only; 0: none).
    """
    from ..errors import InputError

    if not isinstance(num_procs, int) or num_procs < 1:
        raise InputError(f"进程数应为正整数，收到 {num_procs!r}", f"the number of processes must be a positive integer, got {num_procs!r}")
    if num_procs > 1 and (threaded or os.name != "posix"):
        raise InputError("多进程服务只能在前台、类 Unix 系统上运行", "several processes are served only in the foreground, on a POSIX system")
    login = login_required(sdk, address)  # before importing Panel: a refused address fails at once
    import panel as pn

    dashboards = dashboards if dashboards is not None else load_dashboards(directory)
    defaults = session_defaults(sdk)
    apps = build_apps(sdk, dashboards, login=login, **defaults)
    pn.config.index_titles = {d.slug: f"{d.title_zh} · {d.title_en}" for d in dashboards}
    origins = allowed_origins(address, port, allow_origin)
    scheme = "https" if ssl_certfile else "http"
    url = f"{scheme}://{address}:{port}/"
    announce(f"看板地址 / dashboards: {url}  （" + "，".join(f"{d.title_zh} {url}{d.name}" for d in dashboards) + "）"
             + ("；需要登录 / login required" if login else "") + (f"；{num_procs} 个进程 / {num_procs} processes" if num_procs > 1 else ""))
    sys.stdout.flush()
    extra: dict[str, Any] = {}
    if login:
        secret = cookie_secret()
        pn.config.cookie_secret = secret  # session_token() reads it in every page
        extra.update(auth_provider=login_provider(sdk, secret), cookie_secret=secret)
    if behind_proxy:
        extra["use_xheaders"] = True
    if ssl_certfile:
        extra.update(ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile)
    install_error_pages()
    skip_mathjax()
    from .public_web import public_patterns

    from .sync_web import sync_patterns

    extra["extra_patterns"] = public_patterns(sdk) + sync_patterns(sdk)  # the public portal, and village pushes (signed, no login)
    if num_procs > 1:
        if warm and not login:
            prewarm(sdk, dashboards, defaults)
        warm = False  # Panel's warm-up runs the apps inside Bokeh, and Bokeh refuses to fork after that
        extra["num_procs"] = num_procs
        _prepare_workers(sdk)
    if num_procs == 1 and not threaded:
        from tornado.ioloop import IOLoop

        IOLoop.current().add_callback(settle_heap)  # once serving starts, after the warm-up
    refresher = None
    if refresh_every > 0:
        from ..analytics import Refresher

        refresher = Refresher(sdk.engine, every=refresh_every)  # in this process only: forked workers do not inherit threads
        refresher.start()
    try:
        server = pn.serve(apps, port=port, address=address, websocket_origin=origins, show=show, threaded=threaded, start=True,
                          title={d.name: d.title_zh for d in dashboards}, index=str(INDEX_TEMPLATE), liveness=True, verbose=False,
                          warm=warm and not login, **extra)
    except BaseException:
        if refresher is not None:
            refresher.stop()
        raise
    if refresher is not None:
        if not threaded:
            refresher.stop()  # the server has ended
        else:
            stop = server.stop

            def stop_both(*args, **kwargs):
                refresher.stop()
                return stop(*args, **kwargs)

            server.stop = stop_both
            server.refresher = refresher
    return server


def prewarm(sdk, dashboards: list[Dashboard], params: dict) -> None:
    """Build each page once outside any Bokeh session (imports, first queries), before the
    workers are forked: they start with it all loaded. A page that fails is logged, not fatal."""
    for d in dashboards:
        try:
            obj = d.create(sdk=sdk, **params)
            if hasattr(obj, "__panel__"):
                obj.__panel__()
        except Exception as exc:  # noqa: BLE001  (the page shows its own error card when visited)
            log.warning("warming %s failed: %s", d.slug, exc)


_WORKERS: dict[str, Any] = {}


def _prepare_workers(sdk) -> None:
    """Before Bokeh forks the workers: no database connection may be shared across the fork.

    The parent's pooled connections are closed now, and each worker drops whatever pool it
    inherited (``engine.dispose(close=False)``, as SQLAlchemy advises after ``fork``), so every
    worker opens its own connections (SQLite in WAL mode takes several processes). A worker also
    ends itself once the parent is gone: Tornado's parent only waits for its workers, and a
    ``kill`` of it alone would otherwise leave them serving."""
    _WORKERS["engine"] = sdk.engine
    _WORKERS["parent"] = os.getpid()
    if not _WORKERS.get("hooked"):
        os.register_at_fork(after_in_child=_after_fork_in_worker)
        _WORKERS["hooked"] = True
    sdk.engine.dispose()


def _after_fork_in_worker() -> None:
    engine, parent = _WORKERS.get("engine"), _WORKERS.get("parent")
    if engine is None or os.getppid() != parent:
        return  # a fork of something else (not of the serving process's workers)
    engine.dispose(close=False)

    def watch() -> None:
        import signal

        while os.getppid() == parent:
            time.sleep(1.0)
        log.warning("the serving process %s is gone: this worker stops", parent)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="shequ-parent-watch", daemon=True).start()


def login_required(sdk, address: str) -> bool:
    """Whether the served apps require login (:func:`shequ_sdk.auth.login_required`)."""
    from ..auth import login_required as decide

    return decide(sdk.engine, address)


def cookie_secret() -> str:
    """The key that signs login cookies: ``$SHEQU_COOKIE_SECRET``, else new for each server start
    (signing in again after a restart)."""
    import secrets

    return os.environ.get("SHEQU_COOKIE_SECRET") or secrets.token_urlsafe(32)


def safe_next(value: Optional[str]) -> str:
    """``value`` if it is a path on this server (``/township?x=1``), else ``/``: anything with a
    scheme or host, ``//…``, ``/\\…``, control characters — also once percent-decoded (up to
    three times) — goes to the index page."""
    from urllib.parse import unquote, urlsplit

    if not value or not isinstance(value, str) or len(value) > 2000:
        return "/"
    form = value
    for _ in range(4):
        if not form.startswith("/") or form.startswith("//") or "\\" in form or any(ord(c) < 32 or ord(c) == 127 for c in form):
            return "/"
        parts = urlsplit(form)
        if parts.scheme or parts.netloc:
            return "/"
        decoded = unquote(form)
        if decoded == form:
            break
        form = decoded
    else:
        return "/"
    return value


class AddressLimiter:
    """At most ``attempts`` login attempts per address within ``window`` seconds (in memory, per
    server). Checked before any password is hashed, so a flood costs no argon2 time."""

    def __init__(self, attempts: int = ADDRESS_ATTEMPTS, window: float = ADDRESS_WINDOW, limit: int = 50_000):
        from collections import deque

        self.attempts, self.window, self.limit = attempts, window, limit
        self._seen: dict[str, Any] = {}
        self._deque = deque
        self._lock = threading.Lock()

    def allow(self, address: str, now: Optional[float] = None) -> tuple[bool, int]:
        """``(allowed, seconds to wait)``; an allowed attempt is counted."""
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._seen.pop(address, None) or self._deque()
            while times and now - times[0] >= self.window:
                times.popleft()
            self._seen[address] = times  # most recently used last
            if len(times) >= self.attempts:
                return False, max(1, int(self.window - (now - times[0])) + 1)
            times.append(now)
            while len(self._seen) > self.limit:
                self._seen.pop(next(iter(self._seen)))
            return True, 0

    def refund(self, address: str) -> None:
        """Uncount the latest attempt of ``address``: a successful sign-in (many people may share
        one address, a village office behind one router), so only failures use up the limit."""
        with self._lock:
            times = self._seen.get(address)
            if times:
                times.pop()

    def reset(self) -> None:
        with self._lock:
            self._seen.clear()


LOGIN_LIMITER = AddressLimiter()  # the served apps' limiter (one server per process)


_ERROR_PAGE: list = []


def error_page(status: int) -> str:
    """The server's own error page: Chinese first, no details (they go to the log)."""
    import jinja2

    if not _ERROR_PAGE:
        _ERROR_PAGE.append(jinja2.Environment(autoescape=True).from_string(ERROR_TEMPLATE.read_text(encoding="utf-8")))
    messages = {
        404: ("找不到这个页面", "Page not found"),
        403: ("无权访问这个页面", "Access denied"),
        429: ("登录尝试过于频繁，请稍后再试", "Too many sign-in attempts; try again later"),
        503: UNREACHABLE,
    }
    zh, en = messages.get(status, FAILED if status >= 500 else ("请求无效", "Bad request"))
    return _ERROR_PAGE[0].render(status=status, zh=zh, en=en)


def skip_mathjax() -> None:
    """Served pages load no MathJax. Panel adds its 1.7 MB script to any page one of whose roots
    is an HTML pane, in case the pane holds TeX — which is every template page, whose loading
    indicator is such a pane. No page of ours writes TeX; a page that does (a Bokeh ``Div`` or
    axis label with ``$$…$$``) still gets it, from Bokeh's own check of the text."""
    from panel.io import resources

    resources._panel_use_mathjax = lambda roots: False


def install_error_pages() -> None:
    """Replace Tornado's error page (which shows a traceback under ``serve_traceback``, and English
    only otherwise) with :func:`error_page` in this process: a served page's handlers are
    Bokeh's and Panel's, so the one place all of them share is Tornado's ``write_error``."""
    import tornado.web

    if getattr(tornado.web.RequestHandler.write_error, "_shequ", False):
        return

    def write_error(self, status_code, **kwargs):
        if "exc_info" in kwargs and status_code >= 500:
            log.error("%s %s failed", self.request.method, self.request.path, exc_info=kwargs["exc_info"])
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.finish(error_page(status_code))

    write_error._shequ = True
    tornado.web.RequestHandler.write_error = write_error


_LOGIN_POOL: list = []


def login_pool():
    """The threads that hash login passwords (argon2): two, so a flood of logins queues there
    instead of stalling the event loop or every core."""
    from concurrent.futures import ThreadPoolExecutor

    if not _LOGIN_POOL:
        _LOGIN_POOL.append(ThreadPoolExecutor(max_workers=2, thread_name_prefix="shequ-login"))
    return _LOGIN_POOL[0]


def login_provider(sdk, secret: Optional[str] = None, limiter: Optional[AddressLimiter] = None):
    """Panel's basic auth provider with our login page, stored sessions, the per-address limit
    and our password check (argon2id off the event loop: :func:`shequ_sdk.auth.authenticate`)."""
    import jinja2
    import tornado.escape
    from panel.auth import BasicAuthProvider, BasicLoginHandler, LogoutHandler
    from panel.config import config
    from sqlmodel import Session
    from tornado.ioloop import IOLoop
    from tornado.websocket import WebSocketHandler

    from urllib.parse import quote, unquote

    from .. import db as dbmod
    from ..auth import SESSION_SECONDS, authenticate, revoke_user_sessions, session_actor, start_session
    from ..errors import ShequError

    env = jinja2.Environment(autoescape=True)
    login_page = env.from_string(LOGIN_TEMPLATE.read_text(encoding="utf-8"))
    logout_page = env.from_string(LOGOUT_TEMPLATE.read_text(encoding="utf-8"))
    limiter = limiter or LOGIN_LIMITER

    def https(handler) -> bool:
        # with behind_proxy, Tornado takes the protocol from X-Forwarded-Proto
        return handler.request.protocol == "https"

    def cookie_args(handler) -> dict:
        return {"httponly": True, "samesite": "Lax", "secure": https(handler), "path": config.cookie_path or "/"}

    def current_user(handler) -> Optional[str]:
        # Panel's unsigned is_guest cookie is never trusted: drop it before Panel reads it
        cookies = handler.request.cookies
        if "is_guest" in cookies:
            del cookies["is_guest"]
        token = session_token(cookies, secret)
        if token is None:
            return None
        try:
            with Session(sdk.engine) as s:
                actor = session_actor(s, token)
        except Exception as exc:  # the database: the login page says what is wrong
            log.warning("checking a session failed: %s", exc)
            return None
        return actor.username if actor is not None else None

    class LoginHandler(BasicLoginHandler):
        _login_endpoint = "/login"

        def _page(self, error: str = "", status: int = 200):
            self.set_status(status)
            self.set_header("Cache-Control", "no-store")
            self.write(login_page.render(login_endpoint=self._login_endpoint, errormessage=error))

        def get(self):
            next_url = self.get_argument("next", None)
            if next_url:  # kept across a failed attempt (the redirect back here has no ?next=)
                self.set_cookie("next_url", quote(safe_next(next_url), safe=""), **cookie_args(self))
            error = self.get_argument("error", "")
            if not error:
                try:
                    with Session(sdk.engine) as s:
                        from sqlalchemy import text

                        s.execute(text("SELECT 1"))
                except Exception as exc:
                    error = UNREACHABLE[0] if dbmod.is_unreachable(exc) else FAILED[0]
                    log.warning("the login page could not reach the database: %s", exc)
            self._page(error[:300])

        async def post(self):
            address = self.request.remote_ip or "?"
            allowed, wait = limiter.allow(address)
            if not allowed:
                self.set_header("Retry-After", str(wait))
                self._page(f"登录尝试过于频繁，请 {wait} 秒后再试。Too many sign-in attempts; try again in {wait} s.", status=429)
                return
            username = self.get_argument("username", "").strip()
            password = self.get_argument("password", "")
            agent = self.request.headers.get("User-Agent", "")

            def check() -> str:
                with Session(sdk.engine) as s:
                    actor = authenticate(s, username, password, address=address)
                    token = start_session(s, actor.username, kind="web", address=address, user_agent=agent)
                    s.commit()
                    return token

            try:
                token = await IOLoop.current().run_in_executor(login_pool(), check)
            except ShequError as exc:
                self.redirect(f"{self._login_endpoint}?error={tornado.escape.url_escape(exc.zh)}")
                return
            except Exception as exc:
                message = UNREACHABLE[0] if dbmod.is_unreachable(exc) else FAILED[0]
                log.error("login failed", exc_info=exc)
                self._page(message, status=503 if dbmod.is_unreachable(exc) else 500)
                return
            limiter.refund(address)
            self.clear_cookie("is_guest", path=config.cookie_path or "/")
            self.set_secure_cookie(SESSION_COOKIE, token, expires_days=SESSION_SECONDS / 86400, **cookie_args(self))
            target = safe_next(unquote(self.get_cookie("next_url", "") or "/"))
            self.clear_cookie("next_url", path=config.cookie_path or "/")
            self.redirect(quote(target, safe=LOCATION_SAFE))

    class Logout(LogoutHandler):

        def get(self):
            token = session_token(self.request.cookies, secret)
            if token:
                try:
                    with dbmod.transaction(sdk.engine) as s:
                        revoke_user_sessions(s, token)  # signing out ends every session of the user
                except Exception as exc:  # the cookie goes anyway; the session expires on its own
                    log.warning("could not end a session at sign-out: %s", exc)
            for name in (SESSION_COOKIE, "user", "id_token", "access_token", "refresh_token", "oauth_expiry", "is_guest", "next_url"):
                self.clear_cookie(name, path=config.cookie_path or "/")
            self.set_header("Cache-Control", "no-store")
            self.write(logout_page.render(login_endpoint="/login"))

    class Provider(BasicAuthProvider):
        @property
        def get_user(self):
            def get_user(handler):
                user = current_user(handler)
                if user is None and not isinstance(handler, WebSocketHandler) and "is_guest" in (handler.request.headers.get("Cookie") or ""):
                    handler.clear_cookie("is_guest", path=config.cookie_path or "/")
                return user
            return get_user

        @property
        def login_handler(self):
            return LoginHandler

        @property
        def logout_handler(self):
            return Logout

    return Provider(login_endpoint="/login", logout_endpoint="/logout")
