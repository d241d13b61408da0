"""The posting workflow: draft → reviewed → approved → published, corrections, history, fingerprints.

DOMAIN.md §1.2: a posting is drafted by the village committee, reviewed by the supervision
association (审核), approved by the township (审批), then put up on the board (公开). Each step
records who (``*_by``) and when (``*_at``) and appends to the audit log. Rules of who may do what
(``None`` is the local single user, who may do everything; ``admin`` likewise):

- review: a ``reviewer`` of the posting's village;
- approve: ``township`` staff of the posting's township;
- publish: the ``village`` committee of the posting's village, or ``township`` staff of its township,
  once approved.

A published posting and its items are immutable (rule ``finance.posting_workflow``). A correction
(:func:`correct`) copies the published version into a new draft (version + 1, ``supersedes_id``,
a required reason) that walks the same steps; publishing it marks the old one ``superseded``.
Timeliness counts the first publication of a board (``posted_on`` of the earliest published or
superseded version), so a later correction never makes a board late.

The fingerprint is the SHA-256 of a canonical JSON serialisation of the content (region, board,
period, kind, title and every item's line, title, content, amount in fen, direction and account),
stored at publication; its short form ``3f2a-9c1b-77e0`` (first 12 hex digits) is printed on the
board with a QR code, so an inspector can check a paper copy (:func:`find_by_fingerprint`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from typing import Any, Iterable, Optional

from sqlalchemy import select, update
from sqlmodel import Session

from shequ_sdk import InputError, Period, Setting, config
from shequ_sdk.auth import LOCAL_NAME, Actor, actor_name
from shequ_sdk.errors import BatchError, NotFoundError, PermissionDenied
from shequ_sdk.models import Region
from shequ_sdk.records import validate_rows, write

from .models import BOARDS, BOARDS_FOR_KIND, POSTING_STATUSES, PUBLISHED_STATUSES, Posting, PostingItem

PUBLISH_REQUIRES_ITEMS = "finance.publish_requires_items"
SETTINGS = (
    Setting(key=PUBLISH_REQUIRES_ITEMS, default=True, label_zh="公开栏须有公开事项才能公开",
            label_en="A board is published only with at least one item",
            description_zh="为真时，没有任何公开事项的公开记录不能公开（防止张贴空白的公开栏）",
            description_en="When true, a posting without items cannot be published (no empty board goes up)"),
)
# how the local single user (no sign-in) is named on a page or a board, never by the audit log's name
LOCAL_PERSON = ("本机用户", "this computer's user")

STEPS = {
    "review": ("审核", "review"),
    "approve": ("审批", "approval"),
    "publish": ("公开", "publication"),
    "return": ("退回草稿", "return to draft"),
    "correct": ("更正", "correction"),
}
# the status a step starts from, and the status it leaves
ORDER = {"review": ("draft", "reviewed"), "approve": ("reviewed", "approved"), "publish": ("approved", "published")}
WHO = {
    "review": ("本村（社区）的民主理财审核员（reviewer）", "a reviewer of the posting's village"),
    "approve": ("所属乡镇的工作人员（township）", "township staff of the posting's township"),
    "publish": ("本村（社区）村(居)委会（village）或所属乡镇工作人员（township）",
                "the posting's village committee (village) or township staff (township)"),
    "return": ("本村（社区）审核员、村(居)委会或所属乡镇工作人员", "the village's reviewer or committee, or township staff"),
    "correct": ("本村（社区）村(居)委会（village）或所属乡镇工作人员（township）",
                "the posting's village committee (village) or township staff (township)"),
}
# columns of a posting that are its content: what a correction copies and the history compares
CONTENT_COLUMNS = ("board", "period", "kind", "title", "posted_on", "display_until", "reviewer_name", "review_date", "legal_basis")
ITEM_COLUMNS = ("title", "content", "amount_fen", "direction", "account_code", "ledger_entry_id")
FINGERPRINT_ITEM_COLUMNS = ("line_no", "title", "content", "amount_fen", "direction", "account_code")
SHORT_HEX = 12
# times are stored in UTC and shown in Beijing time
BEIJING = dt.timezone(dt.timedelta(hours=8), "UTC+8")


def local_date(value: Optional[dt.datetime]) -> Optional[dt.date]:
    """The Beijing day of a stored (UTC) time."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(BEIJING).date()


def local_time(value: Optional[dt.datetime]) -> Optional[str]:
    """A stored (UTC) time as Beijing time text: ``2011-04-08 09:30``."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


# -- fingerprints --------------------------------------------------------------------------------

def canonical(posting: dict, items: Iterable[dict]) -> bytes:
    """The bytes a fingerprint is computed over: sorted-key JSON, UTF-8, items by line number."""
    lines = sorted(([it[c] for c in FINGERPRINT_ITEM_COLUMNS] for it in items), key=lambda v: v[0])
    doc = {"region_id": posting["region_id"], "board": posting["board"], "period": posting["period"], "kind": posting["kind"],
           "title": posting["title"], "items": lines}
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def fingerprint_of(posting: dict, items: Iterable[dict]) -> str:
    """The full SHA-256 (64 hex digits) of a posting's content."""
    return hashlib.sha256(canonical(posting, items)).hexdigest()


def short_fingerprint(full: Optional[str]) -> Optional[str]:
    """``3f2a9c1b77e0…`` → ``3f2a-9c1b-77e0``: what the printed board shows."""
    if not full:
        return None
    head = full[:SHORT_HEX]
    return "-".join(head[i:i + 4] for i in range(0, len(head), 4))


def verification_string(posting_id: int, version: int, full: str) -> str:
    """What the QR code on a printed board encodes."""
    return f"shequ:finance_posting:{posting_id}:v{version}:{short_fingerprint(full)}"


def _items_of(session: Session, posting_ids: list[int]) -> dict[int, list[dict]]:
    I = PostingItem.__table__
    out: dict[int, list[dict]] = {pid: [] for pid in posting_ids}
    for i in range(0, len(posting_ids), 500):
        chunk = posting_ids[i:i + 500]
        for r in session.execute(select(I).where(I.c.posting_id.in_(chunk))).mappings():
            out[r["posting_id"]].append(dict(r))
    return out


def compute_fingerprints(session: Session, posting_ids: list[int]) -> dict[int, str]:
    """Recompute the fingerprint of each posting in ``posting_ids`` from the stored rows."""
    P = Posting.__table__
    items = _items_of(session, posting_ids)
    out = {}
    for i in range(0, len(posting_ids), 500):
        for r in session.execute(select(P).where(P.c.id.in_(posting_ids[i:i + 500]))).mappings():
            out[r["id"]] = fingerprint_of(r, items[r["id"]])
    return out


def fingerprint_mismatches(session: Session) -> list[dict[str, Any]]:
    """Every published (or superseded) posting whose stored fingerprint is not its content's.

    Rows: ``id, region_id, board, period, title, version, stored, recomputed`` (short forms).
    A published posting without a fingerprint is a mismatch too (``stored`` is None).
    """
    P = Posting.__table__
    stored = {r.id: r for r in session.execute(
        select(P.c.id, P.c.region_id, P.c.board, P.c.period, P.c.title, P.c.version, P.c.fingerprint)
        .where(P.c.status.in_(PUBLISHED_STATUSES)).order_by(P.c.id))}
    fresh = compute_fingerprints(session, list(stored))
    out = []
    for pid, r in stored.items():
        if r.fingerprint != fresh[pid]:
            out.append({"id": pid, "region_id": r.region_id, "board": r.board, "period": r.period, "title": r.title,
                        "version": r.version, "stored": short_fingerprint(r.fingerprint), "recomputed": short_fingerprint(fresh[pid])})
    return out


def fingerprint_problems(session: Session) -> list:
    """The verifier ``finance.posting_fingerprints``: one problem per published posting whose
    content no longer hashes to the fingerprint stored (and printed) at publication."""
    from shequ_sdk import Problem

    out = []
    for m in fingerprint_mismatches(session):
        board = board_label(m["board"])
        out.append(Problem(
            f"公开记录 #{m['id']}（{board}公开栏 {m['period']}「{m['title']}」第 {m['version']} 版）的内容与公开时的指纹不符："
            f"登记 {m['stored'] or '无'}，重新计算 {m['recomputed']}",
            f"posting #{m['id']} ({board_label(m['board'], 'en')} board {m['period']}, {m['title']}, version {m['version']}) no longer "
            f"matches the fingerprint it was published with: stored {m['stored'] or 'none'}, recomputed {m['recomputed']}",
            table=Posting.__tablename__, row=m["id"], field="fingerprint", value=m["stored"],
            extra={"board": m["board"], "period": m["period"], "stored": m["stored"], "recomputed": m["recomputed"]}))
    return out


def find_by_fingerprint(session: Session, text: str) -> list[dict[str, Any]]:
    """Postings whose fingerprint starts with ``text`` (the short form on a paper copy, dashes optional).

    Each row says whether that version is current (``published``) or was corrected since
    (``superseded``, with the id and version of the newest version), and whether its content still
    matches the stored fingerprint (``intact``).
    """
    digits = re.sub(r"[\s\-－—:：]", "", text or "").lower()
    if not re.fullmatch(r"[0-9a-f]{%d,64}" % SHORT_HEX, digits):
        raise InputError(f"指纹应为至少 {SHORT_HEX} 位十六进制数字（如 3f2a-9c1b-77e0），收到 {text!r}",
                         f"a fingerprint is at least {SHORT_HEX} hex digits (such as 3f2a-9c1b-77e0), got {text!r}")
    P = Posting.__table__
    rows = [dict(r) for r in session.execute(
        select(P, Region.name.label("region_name")).join(Region, Region.id == P.c.region_id)
        .where(P.c.fingerprint.like(digits + "%"), P.c.status.in_(PUBLISHED_STATUSES)).order_by(P.c.id)).mappings()]
    fresh = compute_fingerprints(session, [r["id"] for r in rows])
    for r in rows:
        r["intact"] = fresh[r["id"]] == r["fingerprint"]
        r["current"] = r["status"] == "published"
        latest = versions(session, r["id"])[-1]
        r["latest_id"], r["latest_version"], r["latest_status"] = latest["id"], latest["version"], latest["status"]
    return rows


# -- permissions ---------------------------------------------------------------------------------

def _township_of(session: Session, region_id: int) -> Optional[int]:
    region = session.get(Region, region_id)
    return region.township_id if region is not None else None


def may(session: Session, actor: Optional[Actor], step: str, posting) -> bool:
    """Whether ``actor`` may take ``step`` on ``posting`` (status aside)."""
    if actor is None or actor.role == "admin":
        return True
    rid = posting.region_id
    own_village = actor.region_id == rid
    own_township = actor.role == "township" and actor.region_id is not None and actor.region_id == _township_of(session, rid)
    if step == "review":
        return actor.role == "reviewer" and own_village
    if step == "approve":
        return own_township
    if step in ("publish", "correct"):
        return (actor.role == "village" and own_village) or own_township
    if step == "return":
        return (actor.role in ("reviewer", "village") and own_village) or own_township
    raise ValueError(step)


def _check(session: Session, actor: Optional[Actor], step: str, posting) -> None:
    if may(session, actor, step, posting):
        return
    zh, en = STEPS[step]
    who_zh, who_en = WHO[step]
    raise PermissionDenied(
        f"用户 {actor.username}（{actor.role_label('zh')}）不能{zh}公开记录 #{posting.id}（规则：{zh}须由{who_zh}进行）",
        f"user {actor.username} ({actor.role_label('en')}) may not do the {en} of posting #{posting.id} "
        f"(rule: the {en} is done by {who_en})")


def _status_label(status: str, lang: str = "zh") -> str:
    return POSTING_STATUSES.get(status, (status, status))[0 if lang == "zh" else 1]


def _order(posting, step: str) -> None:
    want, _ = ORDER[step]
    if posting.status == want:
        return
    zh, en = STEPS[step]
    raise InputError(
        f"公开记录 #{posting.id} 当前为「{_status_label(posting.status)}」，只有「{_status_label(want)}」的记录才能{zh}"
        f"（规则：草拟 → 审核 → 审批 → 公开，依次进行）",
        f"posting #{posting.id} is {_status_label(posting.status, 'en')}; only a posting that is {_status_label(want, 'en')} can go to "
        f"{en} (rule: draft → review → approval → publication, in that order)")


# -- transitions ---------------------------------------------------------------------------------

def get_posting(session: Session, posting_id: int) -> Posting:
    posting = session.get(Posting, int(posting_id))
    if posting is None:
        raise NotFoundError(f"没有编号为 {posting_id} 的公开记录", f"no posting with id {posting_id}")
    return posting


def _now() -> dt.datetime:
    """Now, as stored: naive UTC to the second."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


def _utc(value: dt.datetime) -> dt.datetime:
    """An aware time as stored (naive UTC)."""
    return value.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _beijing_today() -> dt.date:
    return dt.datetime.now(BEIJING).date()


def _snapshot(posting) -> dict[str, Any]:
    return {c.name: getattr(posting, c.name) for c in Posting.__table__.columns}


def _apply(session: Session, posting, changes: dict, today: dt.date) -> dict:
    """Check the posting as it would be after ``changes`` with every row rule, then store it."""
    old = _snapshot(posting)
    row = {k: v for k, v in {**old, **changes}.items() if k != "id"}
    _, problems = validate_rows(session, Posting, [row], today=today or _beijing_today(), mode="workflow")
    if problems:
        for p in problems:
            p.row, p.table = None, f"{Posting.__tablename__} #{posting.id}"
        raise BatchError(problems)
    session.execute(update(Posting.__table__).where(Posting.__table__.c.id == posting.id).values(**changes))
    session.expire(posting)
    return old


def _audit(session: Session, actor: Optional[Actor], action: str, posting_id: int, region_id: int, old, new,
           reason: Optional[str] = None) -> None:
    from shequ_sdk import audit

    audit.append(session, actor, action, Posting.__tablename__, posting_id, region_id, _jsonable(old), _jsonable(new), reason)


def _jsonable(row: Optional[dict]) -> Optional[dict]:
    if row is None:
        return None
    return {k: (v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v) for k, v in row.items()}


def _changed(old: dict, new: dict) -> tuple[dict, dict]:
    keys = [k for k in new if old.get(k) != new[k]]
    return {k: old.get(k) for k in keys}, {k: new[k] for k in keys}


def review(session: Session, posting_id: int, actor: Optional[Actor] = None, *, reviewer_name: Optional[str] = None,
           review_date: Optional[dt.date] = None, today: Optional[dt.date] = None, now: Optional[dt.datetime] = None) -> Posting:
    """The supervision association's review (审核) of a draft.

    ``reviewer_name``/``review_date`` are the signature on the paper board; they default to what
    the draft already carries, then to the acting user's name and today.
    """
    posting = get_posting(session, posting_id)
    _check(session, actor, "review", posting)
    _order(posting, "review")
    now = now or _now()
    today = today or now.date()
    name = reviewer_name or posting.reviewer_name or (actor.name if actor is not None else None)
    if not name:
        raise InputError("请填写审核人（在公开栏上签字的理财协会成员）", "give the reviewer (the association member who signs the board)")
    changes = {"status": "reviewed", "reviewed_by": actor_name(actor), "reviewed_at": now, "reviewer_name": name,
               "review_date": review_date or posting.review_date or today}
    old = _apply(session, posting, changes, today)
    _audit(session, actor, "posting.review", posting.id, posting.region_id, *_changed(old, changes))
    return posting


def approve(session: Session, posting_id: int, actor: Optional[Actor] = None, *, today: Optional[dt.date] = None,
            now: Optional[dt.datetime] = None) -> Posting:
    """The township's approval (审批) of a reviewed posting."""
    posting = get_posting(session, posting_id)
    _check(session, actor, "approve", posting)
    _order(posting, "approve")
    now = now or _now()
    changes = {"status": "approved", "approved_by": actor_name(actor), "approved_at": now}
    old = _apply(session, posting, changes, today or now.date())
    _audit(session, actor, "posting.approve", posting.id, posting.region_id, *_changed(old, changes))
    return posting


def publish(session: Session, posting_id: int, actor: Optional[Actor] = None, *, posted_on: Optional[dt.date] = None,
            today: Optional[dt.date] = None, now: Optional[dt.datetime] = None) -> Posting:
    """Put an approved posting up (公开): its posted date (default: the draft's, else today), the
    fingerprint of its content, and — for a correction — the old version marked superseded."""
    posting = get_posting(session, posting_id)
    _check(session, actor, "publish", posting)
    _order(posting, "publish")
    now = now or _now()
    today = today or now.date()
    day = posted_on or posting.posted_on or today
    items = _items_of(session, [posting.id])[posting.id]
    if not items:
        _refuse_empty(session, posting)
    changes = {"status": "published", "published_by": actor_name(actor), "published_at": now, "posted_on": day,
               "fingerprint": fingerprint_of(_snapshot(posting), items)}
    old = _apply(session, posting, changes, today)
    _audit(session, actor, "posting.publish", posting.id, posting.region_id, *_changed(old, changes))
    if posting.supersedes_id is not None:
        previous = get_posting(session, posting.supersedes_id)
        if previous.status == "published":
            session.execute(update(Posting.__table__).where(Posting.__table__.c.id == previous.id).values(status="superseded"))
            session.expire(previous)
            _audit(session, actor, "posting.supersede", previous.id, previous.region_id, {"status": "published"},
                   {"status": "superseded", "superseded_by": posting.id}, posting.correction_reason)
    session.flush()
    return posting


def posting_label(posting, lang: str = "zh") -> str:
    """``居务公开栏 · 2011年第1季度``: a posting's board and period as a person says them."""
    try:
        period = Period.parse(posting.period).label(lang)
    except Exception:
        period = str(posting.period)
    if lang == "zh":
        return f"{board_label(posting.board)}公开栏 · {period}"
    return f"{board_label(posting.board, 'en')} board · {period}"


def _refuse_empty(session: Session, posting) -> None:
    """Refuse to publish a posting without items, unless the village's setting allows it."""
    if not config.get(session, PUBLISH_REQUIRES_ITEMS, session.get(Region, posting.region_id)):
        return
    raise InputError(
        f"{posting_label(posting)}「{posting.title}」没有任何公开事项，不能公开；请先填写公开事项"
        f"（规则：公开栏须有公开事项才能公开）",
        f"the {posting_label(posting, 'en')} ({posting.title}) has no items and cannot be published; add its items first "
        f"(rule: a board is published only with at least one item)")


def person_label(session: Optional[Session], username: Optional[str], lang: str = "zh") -> str:
    """The name a page shows for ``username`` (a ``*_by`` column): the user's display name, the
    user name when it has none, and 本机用户 for the local single user — never ``local``."""
    if not username:
        return ""
    if username == LOCAL_NAME:
        return LOCAL_PERSON[0 if lang == "zh" else 1]
    if session is not None:
        from shequ_sdk.models import User

        user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is not None and user.display_name:
            return user.display_name
    return username


def actor_label(actor: Optional[Actor], lang: str = "zh") -> str:
    """The name a page shows for the acting user (本机用户 for the local single user)."""
    if actor is None:
        return LOCAL_PERSON[0 if lang == "zh" else 1]
    return actor.name


def return_to_draft(session: Session, posting_id: int, reason: str, actor: Optional[Actor] = None,
                    *, now: Optional[dt.datetime] = None) -> Posting:
    """Send a reviewed or approved posting back to draft (its content needs changing): the
    review and approval are cleared, and must be given again."""
    posting = get_posting(session, posting_id)
    _check(session, actor, "return", posting)
    if posting.status not in ("reviewed", "approved"):
        published = posting.status in PUBLISHED_STATUSES
        raise InputError(f"公开记录「{posting.title}」当前为「{_status_label(posting.status)}」，只有已审核或已审批的记录可以退回草稿"
                         + ("；已公开的记录须发起更正（写明原因）" if published else ""),
                         f"posting {posting.title} is {_status_label(posting.status, 'en')}; only a reviewed or approved posting goes back to draft"
                         + ("; a published one is corrected instead (with a reason)" if published else ""),
                         hint=(f"（公开记录 #{posting.id}" + (f"；命令行：shequ finance correct --id {posting.id} --reason …）" if published else "）"),
                               f" (posting #{posting.id}" + (f"; command line: shequ finance correct --id {posting.id} --reason …)" if published else ")")))
    reason = _reason(reason)
    now = now or _now()
    changes = {"status": "draft", "reviewed_by": None, "reviewed_at": None, "approved_by": None, "approved_at": None}
    old = _apply(session, posting, changes, now.date())
    _audit(session, actor, "posting.return", posting.id, posting.region_id, *_changed(old, changes), reason)
    return posting


def _reason(reason: Optional[str]) -> str:
    text = (reason or "").strip()
    if not text:
        raise InputError("请填写原因（不能为空）", "a reason is required (it must not be blank)")
    return text


def correct(session: Session, posting_id: int, reason: str, actor: Optional[Actor] = None) -> Posting:
    """Start a correction of a published posting: a new draft version with the same content and
    items, ``supersedes_id`` pointing at the published one and the (required) reason. Edit the draft,
    then review, approve and publish it like any other."""
    posting = get_posting(session, posting_id)
    _check(session, actor, "correct", posting)
    if posting.status != "published":
        hint = {"superseded": ("它已被更正过，请更正最新版本", "it was corrected already: correct the latest version")}.get(
            posting.status, ("尚未公开的记录可直接修改", "a posting not yet published is edited directly"))
        raise InputError(f"只能更正已公开的当前版本；公开记录 #{posting.id} 为「{_status_label(posting.status)}」（{hint[0]}）",
                         f"only the current published version can be corrected; posting #{posting.id} is "
                         f"{_status_label(posting.status, 'en')} ({hint[1]})")
    reason = _reason(reason)
    P = Posting.__table__
    pending = session.execute(select(P.c.id, P.c.version).where(P.c.supersedes_id == posting.id)).first()
    if pending is not None:
        raise InputError(f"公开记录 #{posting.id} 已有更正中的新版本 #{pending.id}（第 {pending.version} 版），请编辑该版本",
                         f"posting #{posting.id} already has a correction in progress: #{pending.id} (version {pending.version})")
    # the posted date, its display period and the review signature belong to the new publication
    row = {c: getattr(posting, c) for c in ("region_id", "board", "period", "kind", "title", "legal_basis", "synthetic")}
    row.update(status="draft", version=posting.version + 1, supersedes_id=posting.id, correction_reason=reason)
    new_id = write(session=session, table=Posting, rows=[row], return_ids=True, actor=actor).ids[0]
    items = sorted(_items_of(session, [posting.id])[posting.id], key=lambda it: it["line_no"])
    if items:
        copies = [{**{c: it[c] for c in ("region_id", "line_no", *ITEM_COLUMNS, "synthetic")}, "posting_id": new_id} for it in items]
        write(session=session, table=PostingItem, rows=copies, actor=actor)
    _audit(session, actor, "posting.correct", new_id, posting.region_id, None,
           {"version": row["version"], "supersedes_id": posting.id, "items": len(items)}, reason)
    session.flush()
    return get_posting(session, new_id)


# -- history -------------------------------------------------------------------------------------

def versions(session: Session, posting_id: int) -> list[dict[str, Any]]:
    """Every version of the posting ``posting_id`` belongs to, oldest first (as dicts)."""
    P = Posting.__table__
    row = session.execute(select(P).where(P.c.id == int(posting_id))).mappings().first()
    if row is None:
        raise NotFoundError(f"没有编号为 {posting_id} 的公开记录", f"no posting with id {posting_id}")
    chain = [dict(row)]
    while chain[0]["supersedes_id"] is not None:
        prev = session.execute(select(P).where(P.c.id == chain[0]["supersedes_id"])).mappings().first()
        if prev is None:
            break
        chain.insert(0, dict(prev))
    while True:
        nxt = session.execute(select(P).where(P.c.supersedes_id == chain[-1]["id"]).order_by(P.c.id)).mappings().first()
        if nxt is None:
            break
        chain.append(dict(nxt))
    return chain


def diff(old: dict, new: dict, old_items: list[dict], new_items: list[dict]) -> list[dict[str, Any]]:
    """Field-by-field differences between two versions: ``{"line": None or line_no, "field", "old", "new"}``.

    Posting fields first (content columns), then items matched by line number: a line only in
    one version shows every field against None.
    """
    out = [{"line": None, "field": c, "old": old.get(c), "new": new.get(c)} for c in CONTENT_COLUMNS if old.get(c) != new.get(c)]
    a = {it["line_no"]: it for it in old_items}
    b = {it["line_no"]: it for it in new_items}
    for line in sorted(set(a) | set(b)):
        x, y = a.get(line, {}), b.get(line, {})
        for c in ITEM_COLUMNS:
            if x.get(c) != y.get(c):
                out.append({"line": line, "field": c, "old": x.get(c), "new": y.get(c)})
    return out


def history(session: Session, posting_id: int) -> list[dict[str, Any]]:
    """Every version with who/when of each step, its items, and the diff from the version before."""
    chain = versions(session, posting_id)
    items = _items_of(session, [v["id"] for v in chain])
    out = []
    for n, v in enumerate(chain):
        mine = sorted(items[v["id"]], key=lambda it: it["line_no"])
        entry = {**v, "items": mine, "short_fingerprint": short_fingerprint(v["fingerprint"]), "changes": None}
        if n:
            prev = chain[n - 1]
            entry["changes"] = diff(prev, v, sorted(items[prev["id"]], key=lambda it: it["line_no"]), mine)
        out.append(entry)
    return out


# -- historical data -----------------------------------------------------------------------------

def seal_historical(session: Session, posting_ids: list[int], approvers: dict[int, str], publishers: dict[int, str]) -> int:
    """Mark historical postings (already put up on paper, written as drafts with their items) as
    published: reviewed by their ``reviewer_name`` on ``review_date``, approved by ``approvers[region_id]``
    the same day, published by ``publishers[region_id]`` on ``posted_on``, fingerprint computed.

    For demo data and the import of records kept on paper. Each posting gets one
    ``posting.seal`` audit entry with the values set (so ``shequ verify`` can replay them) and
    the reason that the steps happened on paper. Returns the number of postings sealed.
    """
    from shequ_sdk import audit

    P = Posting.__table__
    fps = compute_fingerprints(session, posting_ids)
    rows = []
    for i in range(0, len(posting_ids), 500):
        for r in session.execute(select(P).where(P.c.id.in_(posting_ids[i:i + 500]))):
            if r.posted_on is None or r.review_date is None or not r.reviewer_name:
                raise InputError(f"历史公开记录 #{r.id} 缺少审核人、审核日期或公开日期，不能标记为已公开",
                                 f"historical posting #{r.id} lacks its reviewer, review date or posted date; it cannot be sealed")
            reviewed = _utc(dt.datetime.combine(r.review_date, dt.time(9, 30, tzinfo=BEIJING)))
            rows.append({"_id": r.id, "_region": r.region_id, "_old": r._mapping, "status": "published", "reviewed_by": r.reviewer_name, "reviewed_at": reviewed,
                         "approved_by": approvers[r.region_id], "approved_at": reviewed + dt.timedelta(hours=2),
                         "published_by": publishers[r.region_id],
                         "published_at": _utc(dt.datetime.combine(max(r.posted_on, r.review_date), dt.time(15, 0, tzinfo=BEIJING))),
                         "fingerprint": fps[r.id]})
    if rows:
        from sqlalchemy import bindparam

        cols = [c for c in rows[0] if not c.startswith("_")]
        session.execute(update(P).where(P.c.id == bindparam("_id")).values({c: bindparam(c + "_v") for c in cols}),
                        [{"_id": r["_id"], **{c + "_v": r[c] for c in cols}} for r in rows])
        audit.append_many(session, None, [audit.Change(
            "posting.seal", Posting.__tablename__, r["_id"], r["_region"], _jsonable({c: r["_old"][c] for c in cols}),
            _jsonable({c: r[c] for c in cols}), "历史公开记录：审核、审批和公开在纸面上完成 / historical posting: reviewed, approved and put up on paper")
            for r in rows])
        session.flush()
    return len(rows)


# -- copying last quarter ------------------------------------------------------------------------

COPIED_POSTING_COLUMNS = ("board", "kind", "legal_basis")
COPIED_ITEM_COLUMNS = ("line_no", "title", "content", "amount_fen", "direction", "account_code")


def _quarter_periods(quarter: Period) -> list[str]:
    """The period labels a quarter's boards are written under: the quarter and its months."""
    return [str(quarter)] + [str(m) for m in quarter.subperiods("month")]


def _village(session: Session, region) -> Region:
    from shequ_sdk.regions import find_region

    if isinstance(region, Region):
        found = region
    elif isinstance(region, int):
        found = session.get(Region, region)
        if found is None:
            raise NotFoundError(f"没有编号为 {region} 的地区", f"no region with id {region}")
    else:
        found = find_region(session, region)
    if found.kind not in BOARDS_FOR_KIND:
        raise InputError(f"{found.name} 不是村或社区，没有公开栏", f"{found.name} is not a village or community: it keeps no boards")
    return found


def _relabel(title: str, source: Period, target: Period) -> str:
    """A copied title names the new period: 2010年第4季度党务公开 → 2011年第1季度党务公开."""
    for old, new in ((source.label("zh"), target.label("zh")), (source.label("en"), target.label("en")), (str(source), str(target))):
        if old in title:
            return title.replace(old, new)
    return title


def copy_last_quarter(session: Session, region, quarter, actor: Optional[Actor] = None, *,
                      today: Optional[dt.date] = None) -> list[dict[str, Any]]:
    """Copy the previous quarter's boards (its regular postings, three boards, and their items)
    into ``quarter`` as new drafts, for the committee to edit, review and publish.

    Each board's current content is copied (the published version; a board never published: its
    newest version); the posting's title names the new quarter, its review signature, posted date
    and display period are left to fill in, and items keep their lines, text, amounts (fen),
    direction and account (not the ledger entry, which belongs to last quarter). A monthly finance
    board's months map onto the new quarter's months.

    Refused (nothing written) when ``quarter`` already has any posting of the village — nothing is
    ever overwritten — when it is locked for ``actor``, or when last quarter has nothing to copy.
    Written through the validated, audit-logged write path in the caller's transaction (all or
    nothing). Returns ``[{id, board, period, title, items}]`` of the new drafts.
    """
    from shequ_sdk import locks

    village = _village(session, region)
    target = Period.parse(quarter)
    if target.kind != "quarter":
        raise InputError(f"请选择一个季度（如 2011Q1），收到 {quarter}", f"choose a quarter (such as 2011Q1), got {quarter}")
    source = target.previous()
    denied = locks.refusal_for(session, actor, village, target, today)
    if denied is not None:
        raise denied
    P = Posting.__table__
    existing = session.execute(select(P.c.board).where(P.c.region_id == village.id, P.c.period.in_(_quarter_periods(target)),
                                                       P.c.status != "superseded")).scalars().all()  # old versions not counted
    if existing:
        boards = "、".join(sorted({board_label(b) for b in existing}))
        boards_en = ", ".join(sorted({board_label(b, "en") for b in existing}))
        raise InputError(
            f"{village.name} {target.label('zh')}已有 {len(existing)} 条公开记录（{boards}），不能复制上季度：复制只用于还没有公开记录的季度，"
            f"已有的记录请直接修改",
            f"{village.name} already has {len(existing)} posting(s) for {target.label('en')} ({boards_en}); last quarter is copied only "
            f"into a quarter without postings: edit the existing ones instead")
    rows = session.execute(select(P).where(P.c.region_id == village.id, P.c.period.in_(_quarter_periods(source)),
                                           P.c.kind == "regular", P.c.status != "superseded")
                           .order_by(P.c.id)).mappings().all()
    chosen: dict[tuple, dict] = {}
    for r in rows:
        key = (r["board"], r["period"], r["title"])
        best = chosen.get(key)
        rank = (r["status"] == "published", r["version"])
        if best is None or rank > (best["status"] == "published", best["version"]):
            chosen[key] = dict(r)
    if not chosen:
        raise InputError(f"{village.name} {source.label('zh')}没有可复制的公开记录", f"{village.name} has no postings in {source.label('en')} to copy")
    order = {b: n for n, b in enumerate(BOARDS_FOR_KIND[village.kind])}
    picked = sorted(chosen.values(), key=lambda r: (order.get(r["board"], 99), r["period"], r["title"]))
    months = dict(zip((str(m) for m in source.subperiods("month")), (str(m) for m in target.subperiods("month"))))
    new_rows = []
    for r in picked:
        period = months.get(r["period"], str(target))
        new_rows.append({"region_id": village.id, "period": period, **{c: r[c] for c in COPIED_POSTING_COLUMNS},
                         "title": _relabel(r["title"], Period.parse(r["period"]), Period.parse(period))})
    ids = write(session=session, table=Posting, rows=new_rows, return_ids=True, actor=actor, today=today).ids
    items = _items_of(session, [r["id"] for r in picked])
    copies, out = [], []
    for r, new_id, row in zip(picked, ids, new_rows):
        mine = sorted(items[r["id"]], key=lambda it: it["line_no"])
        copies += [{**{c: it[c] for c in COPIED_ITEM_COLUMNS}, "region_id": village.id, "posting_id": new_id} for it in mine]
        out.append({"id": new_id, "board": row["board"], "period": row["period"], "title": row["title"], "items": len(mine)})
    if copies:
        write(session=session, table=PostingItem, rows=copies, actor=actor, today=today)
    session.flush()
    return out


def board_label(code: str, lang: str = "zh") -> str:
    return BOARDS.get(code, (code, code))[0 if lang == "zh" else 1]
