"""Residents' questions asked on the public portal (村民质询), their replies and moderation.

A question asked on a village's public page (:mod:`shequ_sdk.public`) is stored as a resident
query (:class:`~shequ_plugin_finance.models.Query`, channel ``online``) about the posting whose
fingerprint the form carries, so it gets the query's reply deadline (``finance.query_reply_days``,
10 days by default) and appears in the village's obligations like any other query.

- :func:`ask`: anyone (no account); the text is 1–500 characters, the name and phone optional
  (the phone is checked, stored, and shown masked to staff, never on a public page).
- :func:`answer`: the village committee (``village``) of the posting's village, or township staff
  of its township; ``public=True`` shows the reply under the posting on the public page.
- :func:`hide`: township staff of the village's township hide a question from the public pages
  with a reason (audit-logged); :func:`unhide` shows it again.
"""

from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import func, select, update
from sqlmodel import Session

from shequ_sdk import InputError
from shequ_sdk.auth import Actor, actor_name
from shequ_sdk.errors import NotFoundError, PermissionDenied
from shequ_sdk.ids import phone_problem
from shequ_sdk.models import Region
from shequ_sdk.records import write

from .models import Posting, Query
from .workflow import BEIJING, find_by_fingerprint

MAX_CHARS = 500
MAX_NAME = 20
CHANNEL = "online"


def _today() -> dt.date:
    return dt.datetime.now(BEIJING).date()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def ask(session: Session, fingerprint: str, text: str, *, name: Optional[str] = None, phone: Optional[str] = None,
        region_id: Optional[int] = None, today: Optional[dt.date] = None) -> Query:
    """Store a resident's question about the current posting with ``fingerprint`` (of the village
    ``region_id``, when given: the page it was asked on)."""
    text = (text or "").strip()
    if not text:
        raise InputError("请填写要询问的内容", "the question is empty")
    if len(text) > MAX_CHARS:
        raise InputError(f"问题最多 {MAX_CHARS} 字，现为 {len(text)} 字", f"a question has at most {MAX_CHARS} characters, got {len(text)}")
    name = (name or "").strip() or None
    if name is not None and len(name) > MAX_NAME:
        raise InputError(f"姓名最多 {MAX_NAME} 字", f"a name has at most {MAX_NAME} characters")
    phone = (phone or "").strip() or None
    if phone is not None and phone_problem(phone):
        zh, en = phone_problem(phone)
        raise InputError(f"联系电话：{zh}", f"phone: {en}")
    rows = [r for r in find_by_fingerprint(session, fingerprint) if r["current"] and region_id in (None, r["region_id"])]
    if not rows:
        raise NotFoundError("没有找到这条现行公开记录，无法提问", f"no current posting has the fingerprint {fingerprint}")
    posting = rows[0]
    today = today or _today()
    prefix = f"网{today:%Y%m%d}-"
    taken = session.execute(select(func.count()).select_from(Query).where(Query.region_id == posting["region_id"],
                                                                         Query.number.like(prefix + "%"))).scalar()
    row = {"region_id": posting["region_id"], "number": f"{prefix}{taken + 1:03d}", "asker_name": name, "asker_phone": phone,
           "channel": CHANNEL, "subject": text, "board": posting["board"], "handler": "committee", "received_on": today,
           "posting_id": posting["id"], "reply_public": False}
    # no account asks: written as the system (the audit entry shows the online channel and number)
    new_id = write(session=session, table=Query, rows=[row], return_ids=True, today=today).ids[0]
    return session.get(Query, new_id)


def _query(session: Session, query_id: int) -> Query:
    q = session.get(Query, int(query_id))
    if q is None:
        raise NotFoundError(f"没有编号为 {query_id} 的村民查询", f"no resident query with id {query_id}")
    return q


def _township(session: Session, region_id: int) -> Optional[int]:
    region = session.get(Region, region_id)
    return region.township_id if region is not None else None


def _may(session: Session, actor: Optional[Actor], q: Query, step: str) -> None:
    if actor is None or actor.role == "admin":
        return
    own_township = actor.role == "township" and actor.region_id is not None and actor.region_id == _township(session, q.region_id)
    if step == "answer" and ((actor.role == "village" and actor.region_id == q.region_id) or own_township):
        return
    if step == "hide" and own_township:
        return
    who = {"answer": ("本村（社区）村(居)委会或所属乡镇工作人员", "the village committee or township staff"),
           "hide": ("所属乡镇工作人员", "township staff of the village's township")}[step]
    verb = {"answer": ("答复", "answer"), "hide": ("隐藏", "hide")}[step]
    raise PermissionDenied(f"用户 {actor.username}（{actor.role_label('zh')}）不能{verb[0]}村民查询 #{q.id}（须由{who[0]}进行）",
                           f"user {actor.username} ({actor.role_label('en')}) may not {verb[1]} query #{q.id} (only {who[1]})")


def _audit(session: Session, actor, action: str, q: Query, old: dict, new: dict, reason: Optional[str] = None) -> None:
    from shequ_sdk import audit

    def plain(d):
        return {k: (v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v) for k, v in d.items()}

    audit.append(session, actor, action, Query.__tablename__, q.id, q.region_id, plain(old), plain(new), reason)


def _set(session: Session, q: Query, changes: dict) -> dict:
    old = {k: getattr(q, k) for k in changes}
    session.execute(update(Query.__table__).where(Query.__table__.c.id == q.id).values(**changes))
    session.expire(q)
    return old


def answer(session: Session, query_id: int, reply: str, actor: Optional[Actor] = None, *, public: bool = True,
           today: Optional[dt.date] = None) -> Query:
    """The village's reply to a query; ``public``: shown under the posting on the public page."""
    q = _query(session, query_id)
    _may(session, actor, q, "answer")
    reply = (reply or "").strip()
    if not reply:
        raise InputError("答复内容不能为空", "the reply must not be blank")
    if len(reply) > 2000:
        raise InputError("答复最多 2000 字", "a reply has at most 2000 characters")
    changes = {"reply_text": reply, "replied_on": today or _today(), "reply_public": bool(public)}
    old = _set(session, q, changes)
    _audit(session, actor, "query.answer", q, old, changes)
    session.flush()
    return q


def hide(session: Session, query_id: int, reason: str, actor: Optional[Actor] = None) -> Query:
    """Township moderation: hide a question (and its reply) from the public pages."""
    q = _query(session, query_id)
    _may(session, actor, q, "hide")
    reason = (reason or "").strip()
    if not reason:
        raise InputError("请填写隐藏原因", "a reason is required")
    changes = {"hidden_reason": reason, "hidden_by": actor_name(actor), "hidden_at": _now()}
    old = _set(session, q, changes)
    _audit(session, actor, "query.hide", q, old, changes, reason)
    session.flush()
    return q


def unhide(session: Session, query_id: int, actor: Optional[Actor] = None, *, reason: str = "") -> Query:
    q = _query(session, query_id)
    _may(session, actor, q, "hide")
    changes = {"hidden_reason": None, "hidden_by": None, "hidden_at": None}
    old = _set(session, q, changes)
    _audit(session, actor, "query.unhide", q, old, changes, reason or None)
    session.flush()
    return q


def public_questions(session: Session, posting_ids: list[int]) -> dict[int, list]:
    """``{posting id: [query rows]}`` of the questions shown publicly: replied, reply published,
    not hidden; oldest first."""
    out: dict[int, list] = {}
    if not posting_ids:
        return out
    Q = Query.__table__
    for i in range(0, len(posting_ids), 500):
        rows = session.execute(select(Q).where(Q.c.posting_id.in_(posting_ids[i:i + 500]), Q.c.reply_public.is_(True),
                                               Q.c.hidden_reason.is_(None), Q.c.replied_on.is_not(None))
                               .order_by(Q.c.received_on, Q.c.id)).all()
        for r in rows:
            out.setdefault(r.posting_id, []).append(r)
    return out


def open_questions(session: Session, region_id: int) -> list:
    """The online questions of a village still waiting for a reply (the village's 待办), oldest first."""
    Q = Query.__table__
    return session.execute(select(Q).where(Q.c.region_id == region_id, Q.c.channel == CHANNEL, Q.c.replied_on.is_(None))
                           .order_by(Q.c.received_on, Q.c.id)).all()


def posting_of(session: Session, q) -> Optional[Posting]:
    return session.get(Posting, q.posting_id) if q.posting_id else None


def reply_due_of(session: Session, q) -> dt.date:
    """A query's reply deadline (its own date, else received + ``finance.query_reply_days``)."""
    from .deadlines import effective_reply_due

    return effective_reply_due(session, q)
