"""Period locking: a quarter closes to ordinary writes a configurable number of days after its
deadline; a township user reopens it for one village (or the whole township) with an exception.

- The deadline of a quarter is ``lock.deadline_days`` days after its last day (default 15: the
  15th of the next quarter's first month); the quarter locks ``lock.days_after_deadline`` days
  after the deadline (default 30). The lock date is the first locked day. Both settings follow
  the usual chain (village → township → county → default, :mod:`shequ_sdk.config`).
- A row's quarter comes from its table's ``period_field`` (a quarter label; a month label maps
  to its quarter; a year label locks with its fourth quarter) or ``date_field`` (the quarter of
  the date). Tables with neither, derived tables (the SDK computes their rows) and rows whose
  period or date is empty are never locked. An update is checked against the quarter of the
  stored record too (a correction cannot move a record out of a locked quarter); a row equal to
  its stored record changes nothing and passes (a re-imported sheet).
- Every role except ``admin`` is subject to locks. ``admin`` and the local single user
  (``actor=None``: the demo, the test suite, a notebook) write into locked periods — DHIS2's
  "edit expired periods" authority — because someone must be able to correct history without
  an exception.
- An exception (:class:`PeriodException`) names a village or a township (= all its villages),
  a quarter, a reason and the last day it is valid (``expires_on``), at most
  ``lock.exception_max_days`` days (default 90, per township or village) after the grant.
  Only township staff (for their own township and its villages), admins and the local user
  grant or revoke one; every grant and revocation goes to the audit log.
- Every refusal says which row and table, which quarter, locked since when, by which rule and
  settings, and who may grant an exception, with the command to do it.
- A village asks for an exception with a request (:class:`ExceptionRequest`, from the entry app
  or ``shequ lock request``): its reason, who asked and when. Township staff see the pending
  requests of their villages and grant one (through :func:`grant`, every rule above applies)
  or refuse it with a reason. One pending request per village and quarter; every request and
  decision goes to the audit log.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field as dc_field
from typing import Any, Iterable, Optional

from sqlalchemy import or_, select
from sqlmodel import Session, SQLModel

from .auth import Actor, actor_name
from .errors import InputError, NotFoundError, PermissionDenied
from .fields import field
from .models import LEVEL_OF_KIND, Region
from .period import Period
from .registry import RecordTable, Setting

DEADLINE_DAYS = "lock.deadline_days"
DAYS_AFTER_DEADLINE = "lock.days_after_deadline"
EXCEPTION_MAX_DAYS = "lock.exception_max_days"
EXCEPTION_MAX_DAYS_ZH = "例外最长有效天数"

SETTINGS = (
    Setting(key=DEADLINE_DAYS, default=15, label_zh="季度截止日（季度结束后第N天）",
            label_en="Quarter deadline: N days after the quarter ends",
            description_zh="默认15，即次季度首月15日，与财务插件 finance.quarterly_due_day 的默认值一致（DOMAIN.md §1.2）。"
                           "核心不读取插件的配置项：地方规定不同时，请同时修改这两项",
            description_en="Default 15, the 15th of the next quarter's first month, as the finance plugin's "
                           "finance.quarterly_due_day (DOMAIN.md §1.2). The core does not read a plugin's setting: "
                           "when a local rule differs, change both"),
    Setting(key=DAYS_AFTER_DEADLINE, default=30, label_zh="截止日后锁定天数",
            label_en="Days after the deadline until the quarter locks",
            description_zh="本软件的默认值（DOMAIN.md 未规定）。锁定后只有管理员或持有乡镇授予的例外才能修改该季度的记录",
            description_en="This software's default (DOMAIN.md gives none). Once locked, only an administrator or "
                           "holders of an exception granted by the township change the quarter's records"),
    Setting(key=EXCEPTION_MAX_DAYS, default=90, label_zh=EXCEPTION_MAX_DAYS_ZH,
            label_en="Longest validity of a period-lock exception (days)",
            description_zh="授予例外时，有效期最多为授予当天之后的这么多天（默认90天）；可按乡镇或村调整。"
                           "例外是为补录而临时开放，不应长期有效",
            description_en="When an exception is granted, it may be valid for at most this many days after the day of the grant "
                           "(default 90); overridable per township or village. An exception opens a quarter for a catch-up, "
                           "not for good"),
)


class PeriodException(SQLModel, table=True):
    """An exception to a period lock: ``region_id`` (a village, or a township for all its
    villages) may write ``period`` (a quarter label) through ``expires_on`` (inclusive)."""

    __tablename__ = "period_exception"
    id: Optional[int] = field(default=None, primary_key=True, label_zh="编号", label_en="ID")
    region_id: int = field(foreign_key="region.id", index=True, label_zh="地区", label_en="Region")
    period: str = field(index=True, label_zh="季度", label_en="Quarter")
    granted_by: str = field(label_zh="授予人", label_en="Granted by")
    granted_at: dt.datetime = field(label_zh="授予时间", label_en="Granted at")
    reason: str = field(label_zh="原因", label_en="Reason")
    expires_on: dt.date = field(label_zh="有效期至", label_en="Valid until")
    revoked_by: Optional[str] = field(default=None, label_zh="撤销人", label_en="Revoked by")
    revoked_at: Optional[dt.datetime] = field(default=None, label_zh="撤销时间", label_en="Revoked at")

    def active_on(self, day: dt.date) -> bool:
        return self.revoked_at is None and day <= self.expires_on

    def as_dict(self) -> dict:
        """JSON-ready values (the audit log stores them)."""
        return {
            "id": self.id, "region_id": self.region_id, "period": self.period, "granted_by": self.granted_by,
            "granted_at": self.granted_at.isoformat(timespec="seconds") if self.granted_at else None, "reason": self.reason,
            "expires_on": self.expires_on.isoformat(), "revoked_by": self.revoked_by,
            "revoked_at": self.revoked_at.isoformat(timespec="seconds") if self.revoked_at else None,
        }


REQUEST_STATUSES = {"pending": ("待审批", "pending"), "granted": ("已批准", "granted"), "refused": ("已驳回", "refused")}


class ExceptionRequest(SQLModel, table=True):
    """A village's request for an exception to a period lock (:func:`request_exception`),
    decided by township staff (:func:`grant_request`, :func:`refuse_request`)."""

    __tablename__ = "period_exception_request"
    id: Optional[int] = field(default=None, primary_key=True, label_zh="编号", label_en="ID")
    region_id: int = field(foreign_key="region.id", index=True, label_zh="村（社区）", label_en="Village")
    period: str = field(index=True, label_zh="季度", label_en="Quarter")
    reason: str = field(label_zh="申请原因", label_en="Reason")
    requested_by: str = field(label_zh="申请人", label_en="Requested by")
    requested_at: dt.datetime = field(label_zh="申请时间", label_en="Requested at")
    status: str = field(default="pending", label_zh="状态", label_en="Status", choices=REQUEST_STATUSES)
    decided_by: Optional[str] = field(default=None, label_zh="审批人", label_en="Decided by")
    decided_at: Optional[dt.datetime] = field(default=None, label_zh="审批时间", label_en="Decided at")
    decision_reason: Optional[str] = field(default=None, label_zh="审批意见", label_en="Decision reason")
    exception_id: Optional[int] = field(default=None, foreign_key="period_exception.id", label_zh="所授例外", label_en="Exception granted")

    def as_dict(self) -> dict:
        """JSON-ready values (the audit log stores them)."""
        def when(v):
            return v.isoformat(timespec="seconds") if v else None

        return {
            "id": self.id, "region_id": self.region_id, "period": self.period, "reason": self.reason,
            "requested_by": self.requested_by, "requested_at": when(self.requested_at), "status": self.status,
            "decided_by": self.decided_by, "decided_at": when(self.decided_at), "decision_reason": self.decision_reason,
            "exception_id": self.exception_id,
        }


# -- when a quarter locks -------------------------------------------------------------------

@dataclass(frozen=True)
class QuarterLock:
    """When ``quarter`` locks in one region, and the settings that say so."""

    quarter: Period
    deadline_days: int
    days_after_deadline: int

    @property
    def deadline(self) -> dt.date:
        return self.quarter.end + dt.timedelta(days=self.deadline_days)

    @property
    def lock_date(self) -> dt.date:
        """The first locked day."""
        return self.deadline + dt.timedelta(days=self.days_after_deadline)

    def locked(self, today: dt.date) -> bool:
        return today >= self.lock_date

    def rule(self, lang: str = "zh", settings: bool = True) -> str:
        """The rule in words; with ``settings`` (the command line) the settings that make it."""
        if lang == "zh":
            a, b = (f"，设置 {DAYS_AFTER_DEADLINE}", f"，设置 {DEADLINE_DAYS}") if settings else ("", "")
            return f"截止日 {self.deadline} 后 {self.days_after_deadline} 天锁定{a}；截止日为季度结束后 {self.deadline_days} 天{b}"
        a, b = (f", setting {DAYS_AFTER_DEADLINE}", f", setting {DEADLINE_DAYS}") if settings else ("", "")
        return (f"locked {self.days_after_deadline} days after the deadline {self.deadline}{a}; "
                f"the deadline is {self.deadline_days} days after the quarter ends{b}")

    def settings_rule(self, lang: str = "zh") -> str:
        """The rule without dates (the same for every quarter of a region)."""
        if lang == "zh":
            return (f"截止日 = 季度结束后 {self.deadline_days} 天（设置 {DEADLINE_DAYS}），"
                    f"锁定日 = 截止日后 {self.days_after_deadline} 天（设置 {DAYS_AFTER_DEADLINE}）")
        return (f"deadline = {self.deadline_days} days after the quarter ends (setting {DEADLINE_DAYS}), "
                f"lock date = {self.days_after_deadline} days after the deadline (setting {DAYS_AFTER_DEADLINE})")


def quarter_of(value: Any) -> Period:
    """The quarter a period label, ``Period`` or date falls in; a year gives its fourth quarter
    (a yearly row locks when the year's last quarter does)."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return Period.quarter_of(value)
    p = Period.parse(value)
    return p if p.kind == "quarter" else Period.quarter_of(p.end)


def row_quarter(rt: RecordTable, row: Any) -> Optional[Period]:
    """The quarter a row of ``rt`` belongs to, or ``None`` when the row is never locked."""
    if rt.derived:
        return None
    get = row.get if isinstance(row, dict) else (lambda name: getattr(row, name, None))
    if rt.period_field:
        value = get(rt.period_field)
    elif rt.date_field:
        value = get(rt.date_field)
    else:
        return None
    if value is None or value == "":
        return None
    return quarter_of(value)


def _region(session: Session, region) -> Region:
    from .regions import find_region

    if isinstance(region, int) and not isinstance(region, bool):
        found = session.get(Region, region)
        if found is None:
            raise NotFoundError(f"找不到地区 {region}", f"unknown region {region}")
        return found
    return find_region(session, region)


def quarter_lock(session: Session, region, quarter) -> QuarterLock:
    """When ``quarter`` locks for ``region`` (its own, township's or county's settings)."""
    from . import config

    r = _region(session, region)
    return QuarterLock(quarter_of(quarter), int(config.get(session, DEADLINE_DAYS, r)), int(config.get(session, DAYS_AFTER_DEADLINE, r)))


def _covering_regions(region: Region) -> set[int]:
    """Regions whose exception covers a row of ``region``: itself and its township."""
    return {rid for rid in (region.id, region.township_id) if rid is not None}


def _active(session: Session, region_ids: Iterable[int], periods: Iterable[str], today: dt.date) -> list[PeriodException]:
    ids, labels = sorted(set(region_ids)), sorted(set(periods))
    if not ids or not labels:
        return []
    return list(session.execute(
        select(PeriodException).where(PeriodException.region_id.in_(ids), PeriodException.period.in_(labels),
                                      PeriodException.revoked_at.is_(None), PeriodException.expires_on >= today)
        .order_by(PeriodException.id)
    ).scalars())


def is_subject(actor: Optional[Actor]) -> bool:
    """Whether locks apply to ``actor``: every role but ``admin``; the local user (``None``) is exempt."""
    return actor is not None and actor.role != "admin"


# -- refusing writes ---------------------------------------------------------------------------

def _refusal(session: Session, region: Region, lock: QuarterLock, where: Optional[tuple[str, str]] = None,
             more: int = 0) -> PermissionDenied:
    """The one message for a write into a locked quarter (the write path and the entry app)."""
    township = session.get(Region, region.township_id) if region.township_id else None
    tname = township.name if township is not None else ""
    q = lock.quarter
    command = f"shequ lock grant --region {region.name} --period {q} --reason … --until …"
    zh_where, en_where = where or ("", "")
    more_zh = f"（另有 {more} 行也在已锁定的季度）" if more else ""
    more_en = f" ({more} more rows are in locked quarters)" if more else ""
    zh = (f"{zh_where}{q.label('zh')}已于 {lock.lock_date} 锁定（规则：{lock.rule('zh', settings=False)}）{more_zh}；"
          f"需由{tname}的乡镇工作人员或管理员授予例外后才能保存，请与他们联系")
    en = (f"{en_where}{q.label('en')} has been locked since {lock.lock_date} (rule: {lock.rule('en', settings=False)}){more_en}; "
          f"an exception must be granted by {tname} township staff or an administrator before saving: please contact them")
    ask = f"shequ lock request --village {region.name} --quarter {q} --reason …"
    hint = (f"（锁定规则的设置：{DAYS_AFTER_DEADLINE}、{DEADLINE_DAYS}；村里申请例外：{ask}；乡镇授予例外：{command}）",
            f" (settings of the rule: {DAYS_AFTER_DEADLINE}, {DEADLINE_DAYS}; a village asks for an exception: {ask}; "
            f"the township grants one: {command})")
    return PermissionDenied(zh, en, hint=hint)


def check_write(session: Session, actor: Optional[Actor], rt: RecordTable, rows: list, today: Optional[dt.date] = None) -> None:
    """Refuse the batch when a row falls in a quarter that is locked on ``today`` for its region
    and no active exception covers it — the row's own quarter, and that of the stored record it
    would update. A row equal to its stored record changes nothing and passes (a re-import).
    Called by ``records.write`` after the access check."""
    if not is_subject(actor) or rt.derived or not (rt.period_field or rt.date_field):
        return
    today = today or dt.date.today()
    column = rt.period_field or rt.date_field
    locks: dict[tuple[int, Period], QuarterLock] = {}
    regions: dict[int, Region] = {}
    answers: dict[tuple[int, Any], Optional[Period]] = {}  # per region and distinct date or label: a batch repeats them

    def locked(rid: int, value: Any) -> Optional[Period]:
        """The locked quarter ``value`` falls in for region ``rid``, or ``None`` when it is open."""
        if (rid, value) in answers:
            return answers[(rid, value)]
        q = None if value is None or value == "" else quarter_of(value)
        if q is not None and (rid, q) not in locks:
            if rid not in regions:
                regions[rid] = _region(session, rid)
            locks[(rid, q)] = quarter_lock(session, regions[rid], q)
        answers[(rid, value)] = q if q is not None and locks[(rid, q)].locked(today) else None
        return answers[(rid, value)]

    hits = [(i + 1, row["region_id"], q) for i, row in enumerate(rows) if (q := locked(row["region_id"], row.get(column))) is not None]
    # the stored records: for rows in locked quarters (unchanged ones pass), for rows with an id,
    # and for all rows when the natural key lacks the period, so an update could move a record
    stored = _stored(session, rt, rows, by_key=bool(hits) or column not in rt.natural_key)
    locked_rows: list[tuple[int, int, Period]] = hits
    if stored:
        locked_rows = []
        for i, row in enumerate(rows):
            old = stored.get(i)
            if old is not None and all(old.get(c) == v for c, v in row.items() if c != "id"):
                continue
            for rid, value in ((row["region_id"], row.get(column)),) + (((old["region_id"], old.get(column)),) if old is not None else ()):
                q = locked(rid, value)
                if q is not None:
                    locked_rows.append((i + 1, rid, q))
    if not locked_rows:
        return
    cover = {rid: _covering_regions(regions[rid]) for rid in {rid for _, rid, _ in locked_rows}}
    granted = {(e.region_id, e.period) for e in _active(session, set().union(*cover.values()), {str(q) for _, _, q in locked_rows}, today)}
    refused = [(n, rid, q) for n, rid, q in locked_rows if not any((c, str(q)) in granted for c in cover[rid])]
    if refused:
        n, rid, q = refused[0]
        raise _refusal(session, regions[rid], locks[(rid, q)],
                       (f"{rt.label_zh}第 {n} 行：", f"{rt.label_en} row {n}: "), more=len({r[0] for r in refused}) - 1)


def _stored(session: Session, rt: RecordTable, rows: list, by_key: bool) -> dict[int, dict]:
    """The stored records the rows would update, by row index, matched as ``records.write``
    matches them: by the ``id`` a row carries, else (``by_key``) by its natural key."""
    from .records import _stored_by_id, find_existing, natural_key_of

    ids = [r["id"] for r in rows if r.get("id") is not None]
    by_id = _stored_by_id(session, rt, ids) if ids else {}
    by_key = by_key and bool(rt.natural_key)
    existing = find_existing(session, rt, [r for r in rows if r.get("id") not in by_id]) if by_key else {}
    out = {}
    for i, r in enumerate(rows):
        old = by_id.get(r.get("id")) if r.get("id") is not None else None
        if old is None and by_key:
            old = existing.get(natural_key_of(rt, r))
        if old is not None:
            out[i] = old
    return out


def refusal_for(session: Session, actor: Optional[Actor], region, quarter, today: Optional[dt.date] = None) -> Optional[PermissionDenied]:
    """Why ``actor`` cannot write ``region``'s records of ``quarter`` on ``today`` (``None``: they can).
    The entry app shows it above the forms."""
    if not is_subject(actor):
        return None
    today = today or dt.date.today()
    r = _region(session, region)
    lock = quarter_lock(session, r, quarter)
    if not lock.locked(today) or _active(session, _covering_regions(r), [str(lock.quarter)], today):
        return None
    return _refusal(session, r, lock)


# -- exceptions ---------------------------------------------------------------------------------

def _may_grant(session: Session, actor: Optional[Actor], region: Region, verb: tuple[str, str]) -> None:
    if actor is None or actor.role == "admin":
        return
    rule_zh, rule_en = "规则：期间锁定例外只能由本乡镇工作人员或管理员授予或撤销", "rule: only the township's staff or an administrator grant or revoke period-lock exceptions"
    who_zh, who_en = f"用户 {actor.username}（{actor.role_label('zh')}）", f"user {actor.username} ({actor.role_label('en')})"
    if actor.role != "township":
        raise PermissionDenied(f"{who_zh}不能{verb[0]}期间锁定例外（{rule_zh}）", f"{who_en} may not {verb[1]} period-lock exceptions ({rule_en})")
    if actor.region_id not in _covering_regions(region):
        raise PermissionDenied(f"{who_zh}不能{verb[0]} {region.name} 的期间锁定例外：该地区不在本人所属乡镇（区域 {actor.region_id}）内（{rule_zh}）",
                               f"{who_en} may not {verb[1]} period-lock exceptions for {region.name}: it is outside their township "
                               f"(region {actor.region_id}) ({rule_en})")


def _parse_until(until) -> dt.date:
    if isinstance(until, dt.datetime):
        return until.date()
    if isinstance(until, dt.date):
        return until
    try:
        return dt.date.fromisoformat(str(until).strip())
    except ValueError:
        raise InputError(f"有效期 {until!r} 不是日期（应为 2011-04-30 这样的格式）", f"valid-until {until!r} is not a date (expected e.g. 2011-04-30)") from None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)  # the columns store aware UTC times


def _audit(session: Session, actor: Optional[Actor], exc: PeriodException, old: Optional[dict], new: Optional[dict], reason: Optional[str]) -> None:
    from . import audit

    audit.append(session, actor, "lock.exception", "period_exception", exc.id, exc.region_id, old, new, reason)


def grant(session: Session, actor: Optional[Actor], region, period, reason: str, until, today: Optional[dt.date] = None) -> PeriodException:
    """Let ``region`` (a village, or a township for all its villages) write the quarter
    ``period`` through ``until``; ``reason`` is required. Township staff of that township,
    admins and the local user may grant. Recorded in the audit log."""
    today = today or dt.date.today()
    r = _region(session, region)
    if LEVEL_OF_KIND[r.kind] not in ("village", "township"):
        raise InputError(f"例外只能授予村/社区或乡镇，{r.name} 是县级地区", f"an exception is granted to a village or a township; {r.name} is a county")
    p = Period.parse(period)
    if p.kind != "quarter":
        q = quarter_of(p)
        raise InputError(f"例外按季度授予，{p.label('zh')} 不是季度（该期间的记录随 {q} 锁定，可授予 {q}）",
                         f"exceptions are granted per quarter; {p.label('en')} is not a quarter (its records lock with {q}; grant {q})")
    reason = (reason or "").strip()
    if not reason:
        raise InputError("必须写明授予例外的原因（规则：例外须有原因，记入审计日志）",
                         "an exception needs a reason (rule: every exception states why; it goes to the audit log)")
    expires = _parse_until(until)
    if expires <= today:
        raise InputError(f"有效期 {expires} 必须晚于今天（{today}）", f"valid-until {expires} must be after today ({today})")
    _may_grant(session, actor, r, ("授予", "grant"))
    from . import config

    longest = int(config.get(session, EXCEPTION_MAX_DAYS, r))
    latest = today + dt.timedelta(days=longest)
    if expires > latest:
        raise InputError(f"有效期 {expires} 太长：例外最长有效 {longest} 天，即最晚到 {latest}"
                         f"（设置「{EXCEPTION_MAX_DAYS_ZH}」{EXCEPTION_MAX_DAYS}，可按乡镇或村调整）",
                         f"valid-until {expires} is too far: an exception is valid for at most {longest} days, until {latest} "
                         f"at the latest (setting {EXCEPTION_MAX_DAYS}, {EXCEPTION_MAX_DAYS_ZH}, overridable per township or village)")
    exc = PeriodException(region_id=r.id, period=str(p), granted_by=actor_name(actor), granted_at=_now(),
                          reason=reason, expires_on=expires)
    session.add(exc)
    session.flush()
    _audit(session, actor, exc, None, exc.as_dict(), reason)
    return exc


def revoke(session: Session, actor: Optional[Actor], exception_id: int, reason: Optional[str] = None) -> PeriodException:
    """Withdraw an exception before it expires (same permission as granting); audit-logged."""
    exc = session.get(PeriodException, int(exception_id))
    if exc is None:
        raise NotFoundError(f"找不到期间锁定例外 #{exception_id}", f"no period-lock exception #{exception_id}")
    _may_grant(session, actor, _region(session, exc.region_id), ("撤销", "revoke"))
    if exc.revoked_at is not None:
        raise InputError(f"例外 #{exc.id} 已于 {exc.revoked_at:%Y-%m-%d} 由 {exc.revoked_by} 撤销", f"exception #{exc.id} was already revoked on {exc.revoked_at:%Y-%m-%d} by {exc.revoked_by}")
    old = exc.as_dict()
    exc.revoked_by, exc.revoked_at = actor_name(actor), _now()
    session.add(exc)
    session.flush()
    _audit(session, actor, exc, old, exc.as_dict(), (reason or "").strip() or None)
    return exc


# -- status -----------------------------------------------------------------------------------

@dataclass
class QuarterStatus:
    """One quarter for one region on ``today``: its dates, whether it is locked, and the active
    exceptions that concern the region (its own, its township's, or — for a township — its villages')."""

    region: Region
    lock: QuarterLock
    today: dt.date
    exceptions: list[PeriodException] = dc_field(default_factory=list)

    @property
    def quarter(self) -> Period:
        return self.lock.quarter

    @property
    def locked(self) -> bool:
        return self.lock.locked(self.today)

    @property
    def open(self) -> bool:
        """Writable by the region's own users: not locked, or an exception covers the region."""
        cover = _covering_regions(self.region)
        return not self.locked or any(e.region_id in cover for e in self.exceptions)

    def state(self, lang: str = "zh") -> str:
        if not self.locked:
            return "开放" if lang == "zh" else "open"
        if self.open:
            return "已锁定（有例外）" if lang == "zh" else "locked (exception)"
        return "已锁定" if lang == "zh" else "locked"


def status(session: Session, region, period, today: Optional[dt.date] = None) -> list[QuarterStatus]:
    """The quarters of ``period`` (a year: its four; a month: its quarter) for ``region``."""
    today = today or dt.date.today()
    r = _region(session, region)
    p = Period.parse(period)
    quarters = p.subperiods("quarter") if p.kind == "year" else [quarter_of(p)]
    region_ids = _covering_regions(r)
    if LEVEL_OF_KIND[r.kind] == "township":
        region_ids |= set(session.execute(select(Region.id).where(Region.township_id == r.id)).scalars())
    elif LEVEL_OF_KIND[r.kind] == "county":
        region_ids |= set(session.execute(select(Region.id).where(or_(Region.county_id == r.id, Region.id == r.id))).scalars())
    active = _active(session, region_ids, [str(q) for q in quarters], today)
    return [QuarterStatus(region=r, lock=quarter_lock(session, r, q), today=today, exceptions=[e for e in active if e.period == str(q)])
            for q in quarters]


# -- requests ---------------------------------------------------------------------------------

def _audit_request(session: Session, actor: Optional[Actor], action: str, req: ExceptionRequest, old: Optional[dict],
                   reason: Optional[str]) -> None:
    from . import audit

    audit.append(session, actor, action, ExceptionRequest.__tablename__, req.id, req.region_id, old, req.as_dict(), reason)


def request_refusal(session: Session, actor: Optional[Actor], village) -> Optional[PermissionDenied]:
    """Why ``actor`` may not ask for an exception for ``village`` (pages show it instead of the
    form), or ``None`` when they may."""
    try:
        _may_request(session, actor, _region(session, village))
    except PermissionDenied as exc:
        return exc
    return None


def _may_request(session: Session, actor: Optional[Actor], village: Region) -> None:
    """Whoever may write ``village``'s records may ask for an exception for it."""
    from .auth import scope_ids

    if actor is None or actor.role == "admin":
        return
    who_zh, who_en = f"用户 {actor.username}（{actor.role_label('zh')}）", f"user {actor.username} ({actor.role_label('en')})"
    if actor.role not in ("village", "township"):
        raise PermissionDenied(f"{who_zh}不能为 {village.name} 申请期间锁定例外（规则：只有能填报该村数据的村委或乡镇工作人员可以申请）",
                               f"{who_en} may not request a period-lock exception for {village.name} "
                               f"(rule: only those who enter the village's records may request one)")
    allowed = scope_ids(session, actor)
    if allowed is not None and village.id not in allowed:
        scope = session.get(Region, actor.region_id)
        scope_name = scope.name if scope is not None else str(actor.region_id)
        raise PermissionDenied(f"{who_zh}不能为 {village.name} 申请期间锁定例外：该村不在本人范围（{scope_name}）内"
                               "（规则：只能为本人负责填报的村或社区申请）",
                               f"{who_en} may not request a period-lock exception for {village.name}: it is outside their scope "
                               f"({scope_name}) (rule: only for villages whose records one enters)")


def _quarter(period) -> Period:
    p = Period.parse(period)
    if p.kind != "quarter":
        q = quarter_of(p)
        raise InputError(f"例外按季度申请，{p.label('zh')} 不是季度（该期间的记录随 {q} 锁定，请申请 {q}）",
                         f"exceptions are requested per quarter; {p.label('en')} is not a quarter (its records lock with {q}; request {q})")
    return p


def request_exception(session: Session, actor: Optional[Actor], region, period, reason: str,
                      today: Optional[dt.date] = None) -> ExceptionRequest:
    """Ask the township for an exception: ``region`` (a village) wants to write the locked
    quarter ``period``; ``reason`` is required. Only for a quarter locked for that village with
    no active exception, one pending request per village and quarter, by someone who may write
    the village's records. Recorded in the audit log."""
    today = today or dt.date.today()
    r = _region(session, region)
    if LEVEL_OF_KIND[r.kind] != "village":
        raise InputError(f"例外申请由村/社区提出，{r.name} 不是村或社区", f"an exception is requested for a village or community; {r.name} is not one")
    q = _quarter(period)
    reason = (reason or "").strip()
    if not reason:
        raise InputError(f"申请 {r.name} {q.label('zh')}的例外必须写明原因（记入审计日志，供乡镇审批）",
                         f"a request for an exception for {r.name}, {q.label('en')} needs a reason (it goes to the audit log and the township)")
    _may_request(session, actor, r)
    lock = quarter_lock(session, r, q)
    if not lock.locked(today):
        raise InputError(f"{r.name} 的{q.label('zh')}尚未锁定（{lock.lock_date} 起锁定），可直接填报，无需申请例外",
                         f"{q.label('en')} is not locked for {r.name} (it locks on {lock.lock_date}): enter the records, no exception is needed")
    active = _active(session, _covering_regions(r), [str(q)], today)
    if active:
        raise InputError(f"{r.name} 的{q.label('zh')}已有有效例外（至 {active[0].expires_on}），可直接填报",
                         f"{r.name} already holds an exception for {q.label('en')} (until {active[0].expires_on}): enter the records")
    pending = session.execute(select(ExceptionRequest).where(
        ExceptionRequest.region_id == r.id, ExceptionRequest.period == str(q), ExceptionRequest.status == "pending")).scalars().first()
    if pending is not None:
        raise InputError(f"{r.name} 的{q.label('zh')}已有待审批的例外申请（{pending.requested_at:%Y-%m-%d}，{pending.requested_by}），请等待乡镇审批",
                         f"{r.name} already has a pending exception request for {q.label('en')} "
                         f"({pending.requested_at:%Y-%m-%d}, {pending.requested_by}): wait for the township's decision")
    req = ExceptionRequest(region_id=r.id, period=str(q), reason=reason, requested_by=actor_name(actor), requested_at=_now())
    session.add(req)
    session.flush()
    _audit_request(session, actor, "lock.request", req, None, reason)
    return req


def _pending_request(session: Session, request_id) -> ExceptionRequest:
    req = session.get(ExceptionRequest, int(request_id))
    if req is None:
        raise NotFoundError(f"找不到例外申请 {request_id}", f"no exception request {request_id}")
    if req.status != "pending":
        r = _region(session, req.region_id)
        word_zh, word_en = REQUEST_STATUSES[req.status]
        raise InputError(f"{r.name} {req.period} 的例外申请已{word_zh.removeprefix('已')}（{req.decided_by}，{req.decided_at:%Y-%m-%d}），不能再审批",
                         f"the exception request of {r.name} for {req.period} was already {word_en} "
                         f"({req.decided_by}, {req.decided_at:%Y-%m-%d})")
    return req


def grant_request(session: Session, actor: Optional[Actor], request_id, until, reason: Optional[str] = None,
                  today: Optional[dt.date] = None) -> ExceptionRequest:
    """Grant a pending request: :func:`grant` an exception to its village and quarter through
    ``until`` (every rule of :func:`grant` applies; its reason is ``reason`` or the request's),
    and mark the request granted with that exception. Audit-logged."""
    req = _pending_request(session, request_id)
    exc = grant(session, actor, req.region_id, req.period, (reason or "").strip() or req.reason, until, today=today)
    old = req.as_dict()
    req.status, req.decided_by, req.decided_at = "granted", actor_name(actor), _now()
    req.decision_reason, req.exception_id = (reason or "").strip() or None, exc.id
    session.add(req)
    session.flush()
    _audit_request(session, actor, "lock.request_granted", req, old, req.decision_reason)
    return req


def refuse_request(session: Session, actor: Optional[Actor], request_id, reason: str) -> ExceptionRequest:
    """Refuse a pending request; ``reason`` is required (the village reads it). Same permission
    as granting. Audit-logged."""
    req = _pending_request(session, request_id)
    r = _region(session, req.region_id)
    _may_grant(session, actor, r, ("驳回", "refuse"))
    reason = (reason or "").strip()
    if not reason:
        raise InputError(f"驳回 {r.name} {req.period} 的例外申请必须写明原因（村里会看到）",
                         f"refusing the exception request of {r.name} for {req.period} needs a reason (the village reads it)")
    old = req.as_dict()
    req.status, req.decided_by, req.decided_at, req.decision_reason = "refused", actor_name(actor), _now(), reason
    session.add(req)
    session.flush()
    _audit_request(session, actor, "lock.request_refused", req, old, reason)
    return req


def pending_requests(session: Session, actor: Optional[Actor], area=None) -> list[ExceptionRequest]:
    """The pending requests of the villages in ``area`` (default: the actor's scope, or all)
    that ``actor`` may read, oldest first: what township staff decide on."""
    from .auth import check_read, scope_ids

    stmt = select(ExceptionRequest).where(ExceptionRequest.status == "pending")
    if area is not None:
        a = _region(session, area)
        check_read(session, actor, [a])
        stmt = stmt.where(ExceptionRequest.region_id.in_(
            select(Region.id).where(or_(Region.id == a.id, Region.township_id == a.id, Region.county_id == a.id))))
    allowed = scope_ids(session, actor)
    if allowed is not None:
        stmt = stmt.where(ExceptionRequest.region_id.in_(sorted(allowed)))
    return list(session.execute(stmt.order_by(ExceptionRequest.requested_at, ExceptionRequest.id)).scalars())


def latest_request(session: Session, region, period) -> Optional[ExceptionRequest]:
    """The newest request of ``region`` (a village) for the quarter ``period``, whatever its status."""
    r = _region(session, region)
    return session.execute(select(ExceptionRequest).where(ExceptionRequest.region_id == r.id, ExceptionRequest.period == str(quarter_of(period)))
                           .order_by(ExceptionRequest.requested_at.desc(), ExceptionRequest.id.desc())).scalars().first()
