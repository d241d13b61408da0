"""Period-lock exception requests on the web: the village asks under the locked quarter's
notice in the entry app (:class:`ExceptionRequestBox`), township staff grant or refuse on their
dashboard (:class:`ExceptionRequestsPanel`). Both act through :mod:`shequ_sdk.locks` with the
store's user, in one transaction each; the SDK checks scope and rules."""

from __future__ import annotations

import datetime as dt
import html
from typing import Optional

import panel as pn
import param

from .forms import BUTTON_CSS, TOUCH_CSS
from .i18n import t
from .store import DataStore

BOX_STYLE = {"background": "#fffaf3", "border": "1px solid #ffe0b2", "border-radius": "4px", "padding": "4px 8px"}


def _error_text(exc: Exception, lang: str) -> str:
    return getattr(exc, "zh" if lang == "zh" else "en", None) or str(exc)


def _day(value) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


def person(session, username: str, lang: str) -> str:
    """A user's display name (their login name when they have none), never an id."""
    from sqlalchemy import select

    from ..auth import LOCAL_NAME
    from ..models import User

    if username == LOCAL_NAME:
        return t("lockreq.local", lang)
    name = session.execute(select(User.display_name).where(User.username == username)).scalar_one_or_none()
    return name or username


def _state(kind: str, text: str) -> str:
    colour = {"pending": "#0d47a1", "refused": "#b00020", "ok": "#1b5e20", "error": "#b00020", "info": "#455a64"}[kind]
    return (f'<div class="shequ-exception-state shequ-exception-{kind}" role="status" data-state="{kind}" '
            f'style="color:{colour};font-weight:600">{html.escape(text)}</div>')


class ExceptionRequestBox(pn.viewable.Viewer):
    """申请例外, under the read-only notice of a locked quarter: a required reason and 提交申请;
    once asked, 已申请，等待乡镇审批 with the date instead of the form; after a refusal, the
    township's reason above the form."""

    store = param.ClassSelector(class_=DataStore)

    def __init__(self, **params):
        super().__init__(**params)
        lang = self.store.lang
        self.state = pn.pane.HTML("", sizing_mode="stretch_width")
        self.reason = pn.widgets.TextAreaInput(label=t("lockreq.reason", lang), placeholder=t("lockreq.placeholder", lang), rows=2,
                                               sizing_mode="stretch_width", max_width=520, css_classes=["shequ-exception-reason"],
                                               stylesheets=[TOUCH_CSS])
        self.submit = pn.widgets.Button(label=t("lockreq.submit", lang), color="primary", css_classes=["shequ-exception-submit"],
                                        stylesheets=[BUTTON_CSS])
        self.message = pn.pane.HTML("", sizing_mode="stretch_width")
        self.form = pn.Column(self.reason, self.submit, self.message, sizing_mode="stretch_width")
        self.submit.on_click(lambda _e: self.send())
        self.show()

    def _today(self) -> dt.date:
        return self.store.as_of or dt.date.today()

    def show(self) -> None:
        """The state of the newest request of this village and quarter, and the form when one may be made."""
        from .. import locks

        s = self.store
        with s.sdk.reading() as session:
            latest = locks.latest_request(session, s.region_obj.id, s.period)
            refusal = locks.request_refusal(session, getattr(s.sdk, "user", None), s.region_obj.id)
        if refusal is not None and (latest is None or latest.status != "pending"):  # e.g. a reviewer: the rule, not a form the SDK refuses
            self.state.object = _state("info", t("lockreq.not_yours", s.lang))
            self.form.visible = False
            return
        if latest is not None and latest.status == "pending":
            self.state.object = _state("pending", t("lockreq.pending", s.lang, when=_day(latest.requested_at)))
            self.form.visible = False
            return
        refused = latest is not None and latest.status == "refused"
        self.state.object = (_state("refused", t("lockreq.refused", s.lang, when=_day(latest.decided_at), reason=latest.decision_reason or ""))
                             if refused else "")
        self.form.visible = True

    def send(self) -> bool:
        """提交申请: the request through the SDK; ``False`` (with the reason shown) when refused."""
        from .. import locks

        s = self.store
        reason = (self.reason.value_input or self.reason.value or "").strip()
        if not reason:
            self.message.object = _state("error", t("lockreq.need_reason", s.lang))
            return False
        try:
            with s.sdk.transaction() as session:
                locks.request_exception(session, getattr(s.sdk, "user", None), s.region_obj.id, s.period, reason, today=self._today())
        except Exception as exc:  # InputError / PermissionDenied: nothing was written
            self.message.object = _state("error", t("lockreq.failed", s.lang, error=_error_text(exc, s.lang)))
            return False
        self.message.object = ""
        self.reason.value = ""
        self.show()
        return True

    def __panel__(self):
        return pn.Column(pn.pane.HTML(f'<h3 style="font-size:16px;margin:4px 0">{html.escape(t("lockreq.title", self.store.lang))}</h3>'),
                         self.state, self.form, sizing_mode="stretch_width", css_classes=["shequ-exception-request"], styles=BOX_STYLE)


class ExceptionRequestsPanel(pn.viewable.Viewer):
    """例外申请 on the township dashboard: the pending requests of the villages in the user's
    scope and the area shown — village, quarter, reason, who asked and when — each with 批准
    (valid until, by default the longest the settings allow) and 驳回 (reason required).
    Hidden for users who may not decide and when nothing is pending."""

    data_store = param.ClassSelector(class_=DataStore)

    def __init__(self, **params):
        super().__init__(**params)
        self.title = pn.pane.HTML("", sizing_mode="stretch_width")
        self.message = pn.pane.HTML("", sizing_mode="stretch_width", css_classes=["shequ-exception-message"])
        self.items = pn.Column(sizing_mode="stretch_width")
        self.rows: list[dict] = []  # one per request shown: its id and widgets (a test clicks them)
        self.box = pn.Column(self.title, self.message, self.items, sizing_mode="stretch_width", css_classes=["shequ-exception-requests"],
                             visible=False)
        self.show()

    def may_decide(self) -> bool:
        user = self.data_store.user
        return user is None or user.role in ("admin", "township")

    def _today(self) -> dt.date:
        return self.data_store.as_of or dt.date.today()

    def show(self) -> None:
        from .. import config, locks

        s = self.data_store
        self.rows = []
        if not self.may_decide():
            self.items.objects = []
            self.box.visible = False
            return
        lang = s.lang
        self.title.object = f'<h2 style="font-size:18px;margin:8px 0 4px 0">{html.escape(t("lockreq.panel", lang))}</h2>'
        with s.sdk.reading() as session:
            try:
                requests = locks.pending_requests(session, s.user, s.reach(s.region))
            except Exception:  # an area outside the scope: the page says so elsewhere
                requests = []
            cards = []
            for req in requests:
                village = locks._region(session, req.region_id)
                longest = int(config.get(session, locks.EXCEPTION_MAX_DAYS, village))
                quarter = locks.quarter_of(req.period)
                cards.append(self._card(req.id, village.name, quarter.label(lang), req.reason, person(session, req.requested_by, lang),
                                        _day(req.requested_at), self._today() + dt.timedelta(days=longest)))
        # nothing pending: hidden, unless a decision was just made here (its message, and that none is left)
        self.box.visible = bool(cards) or bool(self.message.object)
        if not cards:
            self.items.objects = [pn.pane.HTML(f'<div class="shequ-exception-none" style="color:#555">{html.escape(t("lockreq.none", lang))}</div>')]
            return
        self.items.objects = cards

    def _card(self, request_id: int, village: str, quarter: str, reason: str, who: str, when: str, until: dt.date):
        lang = self.data_store.lang
        head = pn.pane.HTML(f'<div class="shequ-exception-what"><b>{html.escape(village)}</b> · {html.escape(quarter)}</div>'
                            f'<div class="shequ-exception-why">{html.escape(reason)}</div>'
                            f'<div class="shequ-exception-who" style="color:#555;font-size:13px">{html.escape(t("lockreq.asked", lang, who=who, when=when))}</div>',
                            sizing_mode="stretch_width")
        date = pn.widgets.DatePicker(label=t("lockreq.until", lang), value=until, css_classes=["shequ-exception-until"], width=160,
                                     stylesheets=[TOUCH_CSS])
        grant = pn.widgets.Button(label=t("lockreq.grant", lang), color="success", css_classes=["shequ-exception-grant"], stylesheets=[BUTTON_CSS])
        why = pn.widgets.TextInput(label=t("lockreq.refuse_reason", lang), css_classes=["shequ-exception-refuse-reason"], min_width=200,
                                   stylesheets=[TOUCH_CSS])
        refuse = pn.widgets.Button(label=t("lockreq.refuse", lang), color="danger", css_classes=["shequ-exception-refuse"], stylesheets=[BUTTON_CSS])
        row = {"id": request_id, "village": village, "quarter": quarter, "until": date, "grant": grant, "reason": why, "refuse": refuse}
        grant.on_click(lambda _e: self.grant(row))
        refuse.on_click(lambda _e: self.refuse(row))
        self.rows.append(row)
        return pn.Column(head, pn.FlexBox(date, grant, why, refuse, flex_wrap="wrap", align_items="flex-end"), sizing_mode="stretch_width",
                         css_classes=["shequ-exception-item"], styles={"border-top": "1px solid #eee", "padding": "4px 0"})

    def _decide(self, act, done: str) -> bool:
        s = self.data_store
        try:
            with s.sdk.transaction() as session:
                act(session)
        except Exception as exc:  # InputError / PermissionDenied: nothing was changed
            self.message.object = _state("error", t("lockreq.decide_failed", s.lang, error=_error_text(exc, s.lang)))
            return False
        self.message.object = _state("ok", done)
        self.show()
        return True

    def grant(self, row: dict) -> bool:
        """批准: an exception through :func:`shequ_sdk.locks.grant_request`, valid through the date chosen."""
        from .. import locks

        until = row["until"].value
        done = t("lockreq.granted", self.data_store.lang, village=row["village"], quarter=row["quarter"], until=_day(until))
        return self._decide(lambda session: locks.grant_request(session, self.data_store.user, row["id"], until, today=self._today()), done)

    def refuse(self, row: dict) -> bool:
        """驳回 with the reason typed (required: the SDK says so when it is empty)."""
        from .. import locks

        reason = row["reason"].value_input or row["reason"].value or ""
        done = t("lockreq.refused_done", self.data_store.lang, village=row["village"], quarter=row["quarter"])
        return self._decide(lambda session: locks.refuse_request(session, self.data_store.user, row["id"], reason), done)

    def __panel__(self):
        return self.box
