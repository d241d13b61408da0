"""Reminders (催办): which villages are behind with their quarterly boards, and the township's
reminders to them.

:func:`behind` lists, for an area and a quarter, every village whose boards are missing or were
posted late (days overdue, the boards, the finance association's chair as the person
responsible, and the reminders already sent), and the boards falling due within the next days
(``finance.upcoming_days``). :func:`remind` records a reminder for each chosen village through
the validated write path, as the township user: scope-checked, audit-logged, and refused to a
village account (``RecordTable.writers``). :func:`effect` counts how many reminded villages
posted within ``finance.reminder_days`` of the reminder. The village sees its reminders in the
entry app's 催办与待办 view.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable, Optional

from sqlalchemy import select
from sqlmodel import Session

from shequ_sdk import Association, AssociationMember, Period, Region, Setting
from shequ_sdk import config
from shequ_sdk.ids import mask
from shequ_sdk.records import write
from shequ_sdk.regions import find_region, scope_condition

from .deadlines import obligation_status
from .models import ASSOCIATION_TYPE, BOARDS, Posting, PUBLISHED_STATUSES, Reminder

SETTINGS = (
    Setting(key="finance.reminder_days", default=7, label_zh="催办后完成公开的期限(日)",
            label_en="Days a reminded village has to post",
            description_zh="催办时写入要求完成日期；在此期限内公开的计为催办见效",
            description_en="Sets the reminder's post-by date; posting within it counts as an effective reminder"),
    Setting(key="finance.upcoming_days", default=7, label_zh="即将到期提醒天数", label_en="Days ahead for deadlines coming up",
            description_zh="截止日期在今后N日内、尚未公开的公开栏列为即将到期",
            description_en="Boards due within the next N days and not yet posted are listed as coming up"),
)
BEHIND = ("missing", "late")


def _quarter(period) -> Period:
    p = period if isinstance(period, Period) else Period.parse(str(period))
    if p.kind != "quarter":
        from shequ_sdk import InputError

        raise InputError(f"催办按季度进行，请选择季度（如 2010Q4），收到 {p}", f"reminders are per quarter (e.g. 2010Q4); got {p}")
    return p


def _region(session: Session, area) -> Region:
    """A region given as a row, an id, or a name, code or path."""
    if isinstance(area, Region):
        return area
    if isinstance(area, int):
        found = session.get(Region, area)
        if found is None:
            from shequ_sdk import NotFoundError

            raise NotFoundError(f"找不到地区 #{area}", f"unknown region #{area}")
        return found
    return find_region(session, area)


def _chairs(session: Session, village_ids: Iterable[int]) -> dict[int, str]:
    """The finance association's chair of each village, masked: the person responsible."""
    ids = list(village_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(Association.region_id, AssociationMember.name)
        .join(AssociationMember, AssociationMember.association_id == Association.id)
        .where(Association.region_id.in_(ids), Association.type_key == ASSOCIATION_TYPE, AssociationMember.role == "chair",
               AssociationMember.left.is_(None))
        .order_by(AssociationMember.id))
    out: dict[int, str] = {}
    for rid, name in rows:
        out.setdefault(rid, mask(name, "name"))
    return out


def behind(session: Session, area, period, as_of: Optional[dt.date] = None, lang: str = "zh") -> dict[str, list[dict[str, Any]]]:
    """``{"behind": [...], "upcoming": [...]}`` for the villages of ``area`` in quarter ``period``.

    ``behind`` rows (one per village, worst first): ``region_id, village, boards`` (names in
    ``lang``), ``board_keys``, ``status`` (``missing`` or ``late``), ``due_date``,
    ``days_overdue`` (to ``as_of`` for a missing board, to the posting for a late one),
    ``responsible``, ``reminders`` (how many sent) and ``last_reminded``. ``upcoming`` rows: the
    boards not yet posted whose due date falls within ``finance.upcoming_days`` of ``as_of``.
    """
    region = _region(session, area)
    quarter = _quarter(period)
    as_of = as_of or dt.date.today()
    rows = [r for r in obligation_status(session, region, [quarter], as_of, ("board",)) if r["period"] == str(quarter)]
    sent: dict[int, list[dt.date]] = {}
    for rid, day in session.execute(select(Reminder.region_id, Reminder.reminded_on)
                                    .where(Reminder.region_id.in_(select(Region.id).where(scope_condition(region))),
                                           Reminder.period == str(quarter)).order_by(Reminder.reminded_on)):
        sent.setdefault(rid, []).append(day)
    by_village: dict[int, dict[str, Any]] = {}
    upcoming = []
    name_of = (lambda b: BOARDS[b][0]) if lang == "zh" else (lambda b: BOARDS[b][1])
    for r in rows:
        if r["status"] in BEHIND:
            end = r["done_on"] or as_of
            v = by_village.setdefault(r["region_id"], {
                "region_id": r["region_id"], "village": r["region_name"], "board_keys": [], "status": "late",
                "due_date": r["due_date"], "days_overdue": 0})
            v["board_keys"].append(r["board"])
            if r["status"] == "missing":
                v["status"] = "missing"
            v["days_overdue"] = max(v["days_overdue"], (end - r["due_date"]).days)
        elif r["status"] == "not_yet_due":
            days = (config.get(session, "finance.upcoming_days", session.get(Region, r["region_id"])))
            if (r["due_date"] - as_of).days <= days:
                upcoming.append({"region_id": r["region_id"], "village": r["region_name"], "board": name_of(r["board"]),
                                 "due_date": r["due_date"], "days_left": (r["due_date"] - as_of).days})
    chairs = _chairs(session, by_village)
    out = []
    for v in by_village.values():
        days = sent.get(v["region_id"], [])
        v.update(boards="、".join(name_of(b) for b in v["board_keys"]) if lang == "zh" else ", ".join(name_of(b) for b in v["board_keys"]),
                 responsible=chairs.get(v["region_id"], ""), reminders=len(days), last_reminded=days[-1] if days else None)
        out.append(v)
    out.sort(key=lambda v: (v["status"] != "missing", -v["days_overdue"], v["village"]))
    upcoming.sort(key=lambda u: (u["due_date"], u["village"]))
    return {"behind": out, "upcoming": upcoming}


def remind(session: Session, actor, villages: Iterable, period, *, note: Optional[str] = None, today: Optional[dt.date] = None,
           as_of: Optional[dt.date] = None) -> list[int]:
    """Record a reminder to each of ``villages`` (regions, ids or names) for quarter ``period``:
    the boards it is behind with, the day, who reminded, and the post-by date
    (``finance.reminder_days`` later). One batch through the validated write path as ``actor``:
    all or nothing, scope-checked, audit-logged. A village that is not behind is refused."""
    from shequ_sdk import InputError

    quarter = _quarter(period)
    today = today or dt.date.today()
    targets = [_region(session, v) for v in villages]
    if not targets:
        raise InputError("请至少选择一个村（社区）", "choose at least one village")
    late = {}
    for v in targets:
        found = {r["region_id"]: r for r in behind(session, v, quarter, as_of or today)["behind"]}
        if v.id not in found:
            raise InputError(f"{v.name} {quarter} 的公开栏均已按时公开或尚未到期，无需催办",
                             f"{v.name} is not behind with its {quarter} boards: nothing to remind")
        late[v.id] = found[v.id]
    who = getattr(actor, "username", None) or "本机用户"
    rows = []
    for v in targets:
        days = config.get(session, "finance.reminder_days", v)
        rows.append({"region_id": v.id, "period": str(quarter), "boards": ",".join(late[v.id]["board_keys"]), "reminded_on": today,
                     "reminded_by": who, "respond_by": today + dt.timedelta(days=days), "note": note or None})
    return write(session=session, table=Reminder, rows=rows, mode="insert", today=today, actor=actor, return_ids=True).ids


def first_posted(session: Session, region_id: int, quarter: str, boards: Iterable[str]) -> Optional[dt.date]:
    """The day the last of ``boards`` was first published for ``quarter`` (None: one is still missing)."""
    days = []
    for board in boards:
        day = session.execute(select(Posting.posted_on).where(Posting.region_id == region_id, Posting.period == quarter,
                                                              Posting.board == board, Posting.status.in_(PUBLISHED_STATUSES),
                                                              Posting.posted_on.is_not(None))
                              .order_by(Posting.posted_on).limit(1)).scalar()
        if day is None:
            return None
        days.append(day)
    return max(days) if days else None


def effect(session: Session, area, period, lang: str = "zh") -> dict[str, Any]:
    """The reminders of ``area`` for quarter ``period`` and what came of them: ``sent``,
    ``effective`` (posted by the post-by date), ``rows`` (village, day, boards, post-by date,
    posted on, effective)."""
    region = _region(session, area)
    quarter = _quarter(period)
    rows = []
    for rem, name in session.execute(select(Reminder, Region.name).join(Region, Region.id == Reminder.region_id)
                                     .where(Reminder.region_id.in_(select(Region.id).where(scope_condition(region))),
                                            Reminder.period == str(quarter)).order_by(Reminder.reminded_on.desc(), Region.name)):
        keys = [b for b in rem.boards.split(",") if b]
        posted = first_posted(session, rem.region_id, str(quarter), keys)
        rows.append({"village": name, "reminded_on": rem.reminded_on, "reminded_by": rem.reminded_by,
                     "boards": ("、" if lang == "zh" else ", ").join(BOARDS[b][0 if lang == "zh" else 1] for b in keys if b in BOARDS),
                     "respond_by": rem.respond_by, "posted_on": posted, "note": rem.note or "",
                     "effective": posted is not None and rem.respond_by is not None and posted <= rem.respond_by})
    return {"sent": len(rows), "effective": sum(r["effective"] for r in rows), "rows": rows}


def received(session: Session, village, lang: str = "zh") -> list[dict[str, Any]]:
    """A village's reminders, newest first, each with whether its boards are now posted."""
    region = _region(session, village)
    out = []
    for rem in session.execute(select(Reminder).where(Reminder.region_id == region.id)
                               .order_by(Reminder.reminded_on.desc(), Reminder.id.desc())).scalars():
        keys = [b for b in rem.boards.split(",") if b]
        out.append({"period": rem.period, "reminded_on": rem.reminded_on, "reminded_by": rem.reminded_by,
                    "boards": ("、" if lang == "zh" else ", ").join(BOARDS[b][0 if lang == "zh" else 1] for b in keys if b in BOARDS),
                    "respond_by": rem.respond_by, "note": rem.note or "",
                    "posted_on": first_posted(session, region.id, rem.period, keys)})
    return out
