"""The served apps' edges over HTTP (issue 12, findings 5–8, 10 and 11): stored sessions and
sign-out, cookie flags, the ``next`` redirect, Panel's ``is_guest`` cookie, the per-address
login limit off the event loop, and error pages without tracebacks.

One server per module (SQLite demo copy with users, login required) on 127.0.0.1; requests are
made with ``http.client`` so redirects and headers are seen as a browser would get them.
"""

from __future__ import annotations

import http.client
import re
import socket
import threading
import time
import urllib.parse
from http.cookies import SimpleCookie

import pytest

from shequ_sdk.auth import add_user, set_password
from shequ_sdk.testing import sqlite_demo_copy

PASSWORD = "春耕秋收2010"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    """The demo with users ``xs`` (village) and ``mc`` (township), served with login."""
    import panel as pn

    import shequ_sdk
    from shequ_sdk.ui import serving

    path = tmp_path_factory.mktemp("web") / "demo.db"
    sqlite_demo_copy(tmp_path_factory, path)
    sdk = shequ_sdk.open(str(path))
    with sdk.transaction() as s:
        add_user(s, "xs", role="village", region="新尚村社区", password=PASSWORD)
        add_user(s, "mc", role="township", region="茅草街镇", password=PASSWORD)
        add_user(s, "flood", role="analyst", password=PASSWORD)
    port = _free_port()
    server = serving.serve(sdk, port=port, threaded=True, announce=lambda _t: None, warm=False)
    client = Client(port)
    deadline = time.monotonic() + 120
    while True:
        try:
            if client.get("/liveness").status == 200:
                break
        except OSError:
            pass
        assert time.monotonic() < deadline
        time.sleep(0.2)
    client.sdk = sdk
    yield client
    server.stop()
    server.join(10)
    pn.state.reset()
    sdk.close()


class Response:
    def __init__(self, r: http.client.HTTPResponse):
        self.status, self.headers, self.body = r.status, r.getheaders(), r.read().decode("utf-8", "replace")
        self.location = r.getheader("Location")
        self.cookies = [v for k, v in self.headers if k.lower() == "set-cookie"]

    def cookie(self, name: str):
        for raw in self.cookies:
            c = SimpleCookie()
            c.load(raw)
            if name in c:
                return c[name], raw
        return None, None


class Client:
    def __init__(self, port: int):
        self.port = port

    def request(self, method: str, path: str, *, cookies: dict | None = None, body: dict | None = None,
                headers: dict | None = None, timeout: float = 60) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        h = dict(headers or {})
        if cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body)
            h["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=data, headers=h)
            return Response(conn.getresponse())
        finally:
            conn.close()

    def get(self, path: str, **kw) -> Response:
        return self.request("GET", path, **kw)

    def login(self, username: str, password: str, *, next_url: str | None = None, address: str | None = None) -> Response:
        cookies = {}
        if next_url is not None:
            first = self.get("/login?next=" + urllib.parse.quote(next_url, safe=""))
            morsel, _ = first.cookie("next_url")
            if morsel is not None:
                cookies["next_url"] = morsel.value
        headers = {"X-Forwarded-For": address} if address else None
        return self.request("POST", "/login", body={"username": username, "password": password}, cookies=cookies, headers=headers)

    def session(self, username: str = "xs", password: str = PASSWORD) -> str:
        r = self.login(username, password)
        assert r.status == 302, r.body
        morsel, _ = r.cookie("shequ_session")
        return morsel.value


def test_a_login_sets_a_stored_session_cookie_with_safe_flags(web):
    r = web.login("xs", PASSWORD)
    assert r.status == 302 and r.location == "/"
    morsel, raw = r.cookie("shequ_session")
    assert morsel is not None
    flags = raw.lower()
    assert "httponly" in flags and "samesite=lax" in flags and "secure" not in flags.replace("samesite", "")  # plain HTTP here
    assert r.cookie("user")[0] is None  # no stateless user cookie any more
    page = web.get("/township", cookies={"shequ_session": morsel.value})
    assert page.status == 200 and "Bokeh" in page.body


def test_sign_out_and_a_password_change_end_the_cookie(web):
    token = web.session()
    assert web.get("/township", cookies={"shequ_session": token}).status == 200
    other = web.session()  # the same user elsewhere
    web.get("/logout", cookies={"shequ_session": token})
    for cookie in (token, other):  # the captured cookie is dead, and signing out ended the user's other session too
        r = web.get("/township", cookies={"shequ_session": cookie})
        assert r.status == 302 and "login" in r.location.split("?")[0]

    token = web.session()
    with web.sdk.transaction() as s:
        set_password(s, "xs", PASSWORD)  # any password change ends every session
    r = web.get("/township", cookies={"shequ_session": token})
    assert r.status == 302 and "login" in r.location.split("?")[0]
    # the websocket is refused too
    ws = web.get("/township/ws", cookies={"shequ_session": token},
                 headers={"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
                          "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Origin": f"http://127.0.0.1:{web.port}"})
    assert ws.status in (302, 403)


def test_the_unsigned_is_guest_cookie_is_ignored(web):
    token = web.session("mc")
    # a signed-in session stays that user: the page is built for mc, not for "guest"
    r = web.get("/township", cookies={"shequ_session": token, "is_guest": "1"})
    assert r.status == 200
    _, raw = r.cookie("is_guest")
    assert raw is None or "expires" in raw.lower()  # never set; at most cleared
    # a guest never becomes a user
    r = web.get("/township", cookies={"is_guest": "1"})
    assert r.status == 302 and "login" in r.location.split("?")[0]


@pytest.mark.parametrize("target, expected", [
    ("/township?region=南洲镇", "/township?region=南洲镇"),
    ("//evil.example", "/"), ("///evil.example", "/"), ("/%2F%2Fevil.example", "/"), ("/%252F%252Fevil.example", "/"),
    ("/\\evil.example", "/"), ("http://evil.example/", "/"), ("https:evil.example", "/"), ("javascript:alert(1)", "/"),
    ("/%5Cevil.example", "/"), ("/\t/evil.example", "/"),
])
def test_next_accepts_only_local_paths(web, target, expected):
    r = web.login("mc", PASSWORD, next_url=target)
    assert r.status == 302
    assert urllib.parse.unquote(r.location) == expected


def test_a_login_flood_from_one_address_is_limited_and_stalls_nothing(web):
    """40 POSTs at once: argon2 runs off the event loop, the address is limited (429, Chinese)."""
    from shequ_sdk.ui.serving import ADDRESS_ATTEMPTS, LOGIN_LIMITER

    token = web.session("mc")
    statuses: list[int] = []
    bodies: list[str] = []

    def attack():
        r = web.login("flood", "wrong password")
        statuses.append(r.status)
        bodies.append(r.body)

    threads = [threading.Thread(target=attack) for _ in range(40)]
    for t in threads:
        t.start()
    started = time.monotonic()
    page = web.get("/liveness", timeout=30)
    index_time = time.monotonic() - started
    other = web.get("/township", cookies={"shequ_session": token})
    for t in threads:
        t.join(120)
    assert page.status == 200 and other.status == 200
    assert index_time < 2.0, index_time  # the event loop answered while the flood ran
    assert statuses.count(429) == 40 - ADDRESS_ATTEMPTS  # only failures count; the others were limited
    limited = bodies[statuses.index(429)]
    assert "登录尝试过于频繁" in limited and "Traceback" not in limited
    r = web.get("/login")
    assert r.status == 200
    LOGIN_LIMITER.reset()  # the other tests sign in from 127.0.0.1 too


def _no_traceback(body: str) -> None:
    assert "Traceback" not in body and "File \"" not in body and "site-packages" not in body and "/work/" not in body


def test_error_pages_are_chinese_without_details(web):
    r = web.get("/no-such-page")
    assert r.status == 404 and "找不到这个页面" in r.body
    _no_traceback(r.body)
    r = web.request("POST", "/login", body={"username": "x" * 10})  # no password field: Tornado's 400
    assert r.status in (302, 400)
    _no_traceback(r.body)


def test_behind_a_proxy_cookies_are_secure_and_limits_count_the_visitor(tmp_path, tmp_path_factory):
    """``--behind-proxy``: X-Forwarded-Proto https makes the cookie Secure; X-Forwarded-For is
    the address the login limit counts, so one visitor's flood does not lock out another."""
    import panel as pn

    import shequ_sdk
    from shequ_sdk.ui import serving

    path = tmp_path / "proxy.db"
    sqlite_demo_copy(tmp_path_factory, path)
    sdk = shequ_sdk.open(str(path))
    with sdk.transaction() as s:
        add_user(s, "mc", role="township", region="茅草街镇", password=PASSWORD)
    port = _free_port()
    server = serving.serve(sdk, port=port, threaded=True, announce=lambda _t: None, warm=False, behind_proxy=True)
    client = Client(port)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if client.get("/liveness").status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline
            time.sleep(0.2)
        https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.20"}
        r = client.request("POST", "/login", body={"username": "mc", "password": PASSWORD}, headers=https)
        assert r.status == 302
        _, raw = r.cookie("shequ_session")
        assert "secure" in raw.lower().replace("samesite", "") and "httponly" in raw.lower()
        for _ in range(serving.ADDRESS_ATTEMPTS):
            r = client.request("POST", "/login", body={"username": "mc", "password": "wrong"}, headers={"X-Forwarded-For": "203.0.113.66"})
            assert r.status == 302
        r = client.request("POST", "/login", body={"username": "mc", "password": "wrong"}, headers={"X-Forwarded-For": "203.0.113.66"})
        assert r.status == 429 and "登录尝试过于频繁" in r.body
        # another visitor signs in to the same account meanwhile: not limited, not locked
        r = client.request("POST", "/login", body={"username": "mc", "password": PASSWORD}, headers={"X-Forwarded-For": "198.51.100.21"})
        assert r.status == 302 and r.cookie("shequ_session")[0] is not None
    finally:
        serving.LOGIN_LIMITER.reset()
        server.stop()
        server.join(10)
        pn.state.reset()
        sdk.close()


def test_websocket_origins_are_never_everyone():
    from shequ_sdk.ui.serving import allowed_origins

    everywhere = allowed_origins("0.0.0.0", 5006, ["shequ.example.cn"])
    assert "*" not in everywhere and "localhost:5006" in everywhere and "shequ.example.cn" in everywhere
    assert all(o.endswith(":5006") for o in everywhere if o != "shequ.example.cn")
    assert allowed_origins("127.0.0.1", 5006) == ["127.0.0.1:5006", "localhost:5006"]


def test_serve_ssl_options_are_checked(cli, tmp_path):
    import shequ_sdk

    db = tmp_path / "x.db"
    shequ_sdk.open(str(db), create=True).close()
    code, _, err = cli("serve", "--db", str(db), "--ssl-certfile", str(tmp_path / "c.pem"))
    assert code == 2 and "--ssl-keyfile" in err and len(err.strip().splitlines()) == 1
    code, _, err = cli("serve", "--db", str(db), "--ssl-certfile", str(tmp_path / "c.pem"), "--ssl-keyfile", str(tmp_path / "k.pem"))
    assert code == 2 and "文件不存在" in err
