"""A PostgreSQL outage on the web side (issue 12, faults): with the server stopped, the login page
and a sign-in say in Chinese that the database server is unreachable (no 500, no traceback), an
open page shows a banner, and the banner goes when the server is back.

Runs its own throwaway PostgreSQL (as ``.ci/pg-start`` does, on another port) and stops it in a
``finally``; the shared test server is never touched.
"""

from __future__ import annotations

import glob
import http.client
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
from contextlib import contextmanager

import pytest
from playwright.sync_api import expect

from shequ_sdk.testing import need

PASSWORD = "春耕秋收2010"


def _free_port(start: int = 54400) -> int:
    for port in range(start, start + 200):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port from 54400")


class Throwaway:
    """A PostgreSQL cluster of our own: ``start()``, ``stop()``."""

    def __init__(self):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        need(bool(bins) and shutil.which("runuser") is not None, "PostgreSQL server binaries (apt-get install postgresql) and runuser are needed")
        need(os.geteuid() == 0, "starting a throwaway PostgreSQL needs root (runuser -u postgres)")
        self.bin = bins[-1]
        self.dir = tempfile.mkdtemp(prefix="shequ-pg-outage.")
        self.port = _free_port()
        os.makedirs(f"{self.dir}/data")
        os.makedirs(f"{self.dir}/sock")
        subprocess.run(["chown", "-R", "postgres:", self.dir], check=True)
        self._pg("initdb", "-D", f"{self.dir}/data", "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _pg(self, tool: str, *args: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", f"{self.bin}/{tool}", *args], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        self._pg("pg_ctl", "-D", f"{self.dir}/data", "-l", f"{self.dir}/server.log", "-w", "-t", "60",
                 "-o", f"-p {self.port} -k {self.dir}/sock -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self) -> None:
        self._pg("pg_ctl", "-D", f"{self.dir}/data", "-m", "fast", "-w", "-t", "60", "stop")

    def remove(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def throwaway_pg():
    pg = Throwaway()
    try:
        pg.start()
        yield pg
    finally:
        pg.remove()


def _page_factory():
    """A small page over the database: the number of regions, read again on ``refresh()``."""
    import panel as pn
    from sqlalchemy import func, select
    from sqlmodel import Session

    from shequ_sdk.models import Region

    class Store:
        def __init__(self, sdk):
            self.sdk = sdk
            self.pane = pn.pane.HTML("")
            self.refresh()

        def refresh(self):
            with Session(self.sdk.engine) as s:
                n = s.execute(select(func.count()).select_from(Region)).scalar_one()
            self.pane.object = f'<span class="probe-count">{n}</span>'

    class Page(pn.viewable.Viewer):
        def __init__(self, sdk=None, **params):
            super().__init__()
            self.data_store = Store(sdk)

        def __panel__(self):
            return pn.Column(self.data_store.pane)

    return Page


def _post_login(port: int) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("POST", "/login", body=urllib.parse.urlencode({"username": "root", "password": PASSWORD}),
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        r = conn.getresponse()
        return r.status, r.read().decode("utf-8")
    finally:
        conn.close()


def test_a_postgresql_outage_is_named_and_the_page_recovers(browser):

    import shequ_sdk
    from shequ_sdk.auth import add_user
    from shequ_sdk.ui.serving import Dashboard, serve

    with throwaway_pg() as pg:
        sdk = shequ_sdk.open(pg.url, create=True)
        with sdk.transaction() as s:
            from shequ_sdk.models import Region

            s.add(Region(name="南县", kind="county", code="430921"))
            add_user(s, "root", role="admin", password=PASSWORD)
        port = _free_port(54600)
        server = serve(sdk, port=port, threaded=True, announce=lambda _t: None,
                       dashboards=[Dashboard("probe", "探针", "Probe", _page_factory())])
        base = f"http://127.0.0.1:{port}"
        context = browser.new_context(locale="zh-CN")
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                    conn.request("GET", "/liveness")
                    if conn.getresponse().status == 200:
                        break
                except OSError:
                    assert time.monotonic() < deadline
                    time.sleep(0.2)
            page = context.new_page()
            page.set_default_timeout(45_000)
            page.goto(f"{base}/probe")
            page.fill("#username", "root")
            page.fill("#password", PASSWORD)
            page.click(".shequ-login-submit")
            expect(page.locator(".probe-count")).to_have_text("1")
            expect(page.locator(".shequ-db-down")).to_be_hidden()

            pg.stop()
            # the open page says so
            expect(page.locator(".shequ-db-down")).to_be_visible(timeout=20_000)
            expect(page.locator(".shequ-db-down")).to_contain_text("数据库服务器暂时无法连接")
            # a sign-in is answered with that message, not a 500 with a traceback
            status, body = _post_login(port)
            assert status == 503 and "数据库服务器暂时无法连接" in body and "Traceback" not in body
            # a new page (the login page it is sent to) says so too
            other = context.new_page()
            other.goto(f"{base}/probe")
            expect(other.locator(".shequ-login-error")).to_contain_text("数据库服务器暂时无法连接")
            assert "Traceback" not in other.content()
            other.close()

            pg.start()
            with sdk.transaction() as s:
                s.add(Region(name="北县", kind="county", code="430922"))
            # the banner goes and the page reads the data again
            expect(page.locator(".shequ-db-down")).to_be_hidden(timeout=30_000)
            expect(page.locator(".probe-count")).to_have_text("2", timeout=15_000)
        finally:
            context.close()
            server.stop()
            server.join(10)
            # no pn.state.reset(): it would stop every server, the session-wide one too
            sdk.close()
