"""``POST /sync/push`` on ``shequ serve``: an offline village pushes its change package and gets
the acknowledgement back (``shequ sync push``, docs/sync.md).

The request is authenticated by the village installation's key, not by a login: the headers carry
a timestamp and an Ed25519 signature over it and the body's sha256, checked against the key the
township registered for the village the package names (:func:`shequ_sdk.sync.receive_push`).
Answers: 200 with the acknowledgement package; 403 (key, signature, village); 409 (conflicts:
nothing applied, the report in the body — the township resolves with ``shequ sync import
--resolve``); 400 (any other refusal). Error bodies are plain UTF-8 text, Chinese / English.
"""

from __future__ import annotations


def sync_patterns(sdk) -> list:
    """Tornado routes for ``pn.serve(extra_patterns=…)``."""
    import tornado.web
    from tornado.ioloop import IOLoop

    from .. import db as dbmod
    from .. import sync
    from ..errors import PermissionDenied, ShequError

    class PushHandler(tornado.web.RequestHandler):
        def check_xsrf_cookie(self):  # authenticated by the village key, not by a cookie
            return None

        def _text(self, status: int, text: str) -> None:
            self.set_status(status)
            self.set_header("Content-Type", "text/plain; charset=UTF-8")
            self.finish(text)

        async def post(self):
            body = self.request.body or b""
            if len(body) > sync.PUSH_MAX_BYTES:
                self._text(413, "同步包过大 / the package is too large")
                return
            headers = dict(self.request.headers)

            def run():
                with dbmod.transaction(sdk.engine) as session:
                    return sync.receive_push(session, body, headers).ack

            try:
                ack = await IOLoop.current().run_in_executor(None, run)
            except sync.SyncConflict as exc:
                self._text(409, "\n".join([str(exc), *exc.lines()]))
                return
            except PermissionDenied as exc:
                self._text(403, str(exc))
                return
            except ShequError as exc:
                self._text(400, str(exc))
                return
            self.set_header("Content-Type", "application/octet-stream")
            self.finish(ack)

    return [(sync.PUSH_PATH, PushHandler)]
