"""The public portal's web handlers (``/public``…): plain Tornado handlers rendering the Jinja2
pages of :mod:`shequ_sdk.public` — no Bokeh or Panel script, no login, read-only except the
residents' question form.

The form (POST to the village's page) carries Tornado's XSRF token (``_xsrf``, checked against
its cookie), a server-side arithmetic challenge (signed, single use, one hour), and is limited per
address (:data:`QUESTIONS_PER_MINUTE`, then HTTP 429). Every text is escaped by the templates.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import threading
import time
from typing import Optional
from urllib.parse import unquote

log = logging.getLogger("shequ_sdk.public")
QUESTIONS_PER_MINUTE = 5  # the 6th question from one address within a minute is refused
CHALLENGE_SECONDS = 3600
_SECRET = os.environ.get("SHEQU_COOKIE_SECRET") or secrets.token_urlsafe(32)


class Challenges:
    """Arithmetic challenges: ``(question text, signed token)``; a token answers once."""

    def __init__(self, secret: str = _SECRET):
        self.secret = secret
        self._used: dict[str, float] = {}
        self._lock = threading.Lock()

    def new(self) -> tuple[str, str]:
        from tornado.web import create_signed_value

        a, b = random.randint(2, 9), random.randint(2, 9)
        nonce = secrets.token_hex(8)
        token = create_signed_value(self.secret, "challenge", f"{a + b}:{nonce}:{int(time.time())}").decode()
        return f"{a} 加 {b} 等于几？", token

    def check(self, token: str, answer: str) -> bool:
        from tornado.web import decode_signed_value

        raw = decode_signed_value(self.secret, "challenge", token or "", max_age_days=1)
        if not raw:
            return False
        value, nonce, made = raw.decode().split(":")
        now = time.time()
        if now - int(made) > CHALLENGE_SECONDS or (answer or "").strip() != value:
            return False
        with self._lock:
            for k in [k for k, t in self._used.items() if now - t > CHALLENGE_SECONDS]:
                del self._used[k]
            if nonce in self._used:
                return False
            self._used[nonce] = now
        return True


def public_patterns(sdk, limiter=None, challenges: Optional[Challenges] = None) -> list:
    """Tornado routes of the portal for ``pn.serve(extra_patterns=…)``."""
    import tornado.web
    from sqlmodel import Session

    from .. import db as dbmod
    from .. import public
    from ..errors import ShequError
    from .serving import UNREACHABLE, AddressLimiter

    limiter = limiter or AddressLimiter(attempts=QUESTIONS_PER_MINUTE, window=60.0)
    challenges = challenges or Challenges()
    links = public.Links()

    class PublicPage(tornado.web.RequestHandler):
        def set_default_headers(self):
            self.set_header("Content-Type", "text/html; charset=UTF-8")
            self.set_header("X-Content-Type-Options", "nosniff")
            self.set_header("Referrer-Policy", "no-referrer")
            self.set_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
                                                       "img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")

        def _parts(self, rest: Optional[str]) -> list[str]:
            return [unquote(p) for p in (rest or "").strip("/").split("/") if p]

        def _form(self, parts: list[str], message: str = "", ok: bool = False) -> Optional[dict]:
            if len(parts) != 1:
                return None
            text, token = challenges.new()
            from .. import config

            with Session(sdk.engine) as s:
                village = public.find_village(s, parts[0])
                try:
                    days = config.get(s, "finance.query_reply_days", village)
                except ShequError:
                    days = 10
            from markupsafe import Markup

            # Tornado's own hidden input (its value is escaped by Tornado), kept as markup
            return {"xsrf": Markup(self.xsrf_form_html()), "challenge_text": text, "challenge_token": token, "message": message, "ok": ok,
                    "action": self.request.path, "reply_days": days}

        def _show(self, parts: list[str], message: str = "", ok: bool = False, status: Optional[int] = None) -> None:
            try:
                with Session(sdk.engine) as s:
                    code, page = public.render_page(s, parts, links, form=self._form(parts, message, ok))
            except Exception as exc:
                if dbmod.is_unreachable(exc):
                    log.warning("public page: database unreachable: %s", exc)
                    self.set_status(503)
                    self.finish(public.render("missing.html", links).replace("找不到这个页面", UNREACHABLE[0], 1))
                    return
                raise
            self.set_status(status or code)
            self.set_header("Cache-Control", "no-cache")
            self.set_header("Vary", "Accept-Encoding")
            body = page.encode("utf-8")
            if len(body) > 1024 and "gzip" in (self.request.headers.get("Accept-Encoding") or ""):
                import gzip

                body = gzip.compress(body, compresslevel=6, mtime=0)  # a weak connection gets a fifth of the bytes
                self.set_header("Content-Encoding", "gzip")
            self.finish(body)

        def get(self, rest: Optional[str] = None):
            self._show(self._parts(rest))

        def post(self, rest: Optional[str] = None):
            parts = self._parts(rest)
            if len(parts) != 1:
                raise tornado.web.HTTPError(405)
            self.check_xsrf_cookie()
            address = self.request.remote_ip or "?"
            allowed, wait = limiter.allow(address)
            if not allowed:
                self.set_header("Retry-After", str(wait))
                self._show(parts, f"提问过于频繁，请 {wait} 秒后再试。", status=429)
                return
            if not challenges.check(self.get_argument("challenge", ""), self.get_argument("answer", "")):
                self._show(parts, "验证题答案不对或已过期，请重新作答后提交。", status=400)
                return
            question = self.get_argument("question", "")
            try:
                import importlib

                questions = importlib.import_module("shequ_plugin_finance.questions")
                with dbmod.transaction(sdk.engine) as s:
                    village = public.find_village(s, parts[0])
                    if village is None:
                        raise tornado.web.HTTPError(404)
                    q = questions.ask(s, self.get_argument("fingerprint", ""), question, name=self.get_argument("name", ""),
                                      phone=self.get_argument("phone", ""), region_id=village.id)
                    number = q.number
            except ShequError as exc:
                self._show(parts, f"问题未能提交：{exc.zh}", status=400)
                return
            self._show(parts, f"问题已提交（登记号 {number}），村(居)委会将在规定期限内答复。", ok=True)

        def check_xsrf_cookie(self):
            try:
                super().check_xsrf_cookie()
            except tornado.web.HTTPError:
                raise tornado.web.HTTPError(403, "XSRF") from None

    return [(r"/public/?", PublicPage), (r"/public/(.+)", PublicPage)]
