"""``shequ lock``: period locks — when each quarter locks, and the exceptions that reopen one."""

from __future__ import annotations

import datetime as dt
from typing import Optional

import typer

from .. import cli as climod
from ..cli import DbOption, Table, UserOption, app, escape

lock_app = typer.Typer(no_args_is_help=True, help="期间锁定与例外 / Period locks and exceptions")
app.add_typer(lock_app, name="lock")

TodayOption = typer.Option(None, "--today", help="按哪一天判断，默认今天（如 2011-03-31）/ the day to judge on (default: today)")


def _day(text: Optional[str]) -> dt.date:
    from ..errors import InputError

    if not text:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"日期 {text!r} 无效（应为 2011-03-31 这样的格式）", f"invalid date {text!r} (expected e.g. 2011-03-31)") from None


def _act(db: Optional[str], user: Optional[str], act, describe, done: str) -> None:
    """One lock action as ``--user`` (password checked; else the local user) in one transaction:
    ``act(session, user)`` does it, ``describe(session, result)`` names what it did for ``done``."""
    s = climod.cli_sdk(db, user)
    try:
        with s.transaction() as session:
            text = describe(session, act(session, s.user))
    finally:
        s.close()
    climod.out.print(escape(f"{done}: {text}"), highlight=False, soft_wrap=True)


def _exception_text(session, e) -> str:
    from ..models import Region

    region = session.get(Region, e.region_id)
    return f"#{e.id} {region.name if region else e.region_id} 至/until {e.expires_on}（{e.granted_by}：{e.reason}）"


@lock_app.command("status")
def status_cmd(
    region: str = typer.Option(..., "--region", help="村/社区或乡镇（名称、代码或路径）/ village, community or township"),
    period: str = typer.Option(..., "--period", help="期间 / period: 2010（四个季度 / its four quarters）, 2010Q4, 2010-12"),
    today: Optional[str] = TodayOption,
    db: Optional[str] = DbOption,
):
    """各季度的截止日、锁定日、是否锁定及有效例外 / Each quarter's deadline, lock date, state and active exceptions."""
    from .. import locks

    day = _day(today)
    s = climod._open(db)
    try:
        with s.transaction() as session:
            rows = locks.status(session, region, period, day)
            name = rows[0].region.name if rows else region
            t = Table(title=escape(f"{name} · 期间锁定 / period locks · {day}"))
            for col in ("季度 quarter", "截止日 deadline", "锁定日 lock date", "状态 state", "有效例外 active exceptions"):
                t.add_column(col)
            for q in rows:
                t.add_row(str(q.quarter), str(q.lock.deadline), str(q.lock.lock_date), f"{q.state('zh')} {q.state('en')}",
                          escape("\n".join(_exception_text(session, e) for e in q.exceptions)) or "—")
            rule_zh, rule_en = (rows[0].lock.settings_rule("zh"), rows[0].lock.settings_rule("en")) if rows else ("", "")
    finally:
        s.close()
    climod.out.print(t)
    climod.out.print(escape(f"规则 / rule: {rule_zh} / {rule_en}"), highlight=False, soft_wrap=True)


@lock_app.command("grant")
def grant_cmd(
    region: Optional[str] = typer.Option(None, "--region", help="村/社区，或乡镇（= 其全部村/社区）/ a village, or a township (= all its villages)"),
    period: Optional[str] = typer.Option(None, "--period", help="季度 / quarter: 2010Q4"),
    reason: Optional[str] = typer.Option(None, "--reason", help="原因（必填，记入审计日志；批准申请时默认为申请原因）/ why (required; "
                                                              "goes to the audit log; for a request: the request's reason by default)"),
    until: str = typer.Option(..., "--until", help="有效期至（含当天，须晚于今天）/ valid through this day (after today)"),
    request: Optional[int] = typer.Option(None, "--request", help="批准这项例外申请（见 shequ lock requests），代替 --region/--period "
                                                                "/ grant this exception request (see shequ lock requests) instead of --region/--period"),
    user: Optional[str] = UserOption,
    today: Optional[str] = TodayOption,
    db: Optional[str] = DbOption,
):
    """授予期间锁定例外，或批准一项例外申请（乡镇工作人员或管理员）/ Grant a period-lock exception, or a request for one (township staff or admin)."""
    from .. import locks
    from ..errors import InputError

    if request is None and not (region and period):
        raise InputError("请给出 --region 和 --period，或用 --request 批准一项例外申请",
                         "give --region and --period, or --request to grant an exception request")
    if request is not None and (region or period):
        raise InputError("--request 不能与 --region/--period 同时使用（地区和季度来自申请）",
                         "--request goes without --region/--period (the request names the village and quarter)")

    def act(session, who):
        if request is not None:
            req = locks.grant_request(session, who, request, until, reason, today=_day(today))
            return session.get(locks.PeriodException, req.exception_id)
        return locks.grant(session, who, region, period, reason or "", until, today=_day(today))

    _act(db, user, act, _exception_text, "已授予例外 / exception granted")


@lock_app.command("revoke")
def revoke_cmd(
    exception_id: int = typer.Option(..., "--id", help="例外编号（见 shequ lock status）/ exception id (see shequ lock status)"),
    reason: Optional[str] = typer.Option(None, "--reason", help="撤销原因（记入审计日志）/ why (goes to the audit log)"),
    user: Optional[str] = UserOption,
    db: Optional[str] = DbOption,
):
    """撤销期间锁定例外 / Revoke a period-lock exception."""
    from .. import locks

    _act(db, user, lambda session, who: locks.revoke(session, who, exception_id, reason), _exception_text,
         "已撤销例外 / exception revoked")


def _request_text(session, r) -> str:
    from ..models import Region

    region = session.get(Region, r.region_id)
    return f"#{r.id} {region.name if region else r.region_id} {r.period}（{r.requested_by}，{r.requested_at:%Y-%m-%d}：{r.reason}）"


@lock_app.command("request")
def request_cmd(
    village: str = typer.Option(..., "--village", help="村/社区（名称、代码或路径）/ village or community"),
    quarter: str = typer.Option(..., "--quarter", help="已锁定的季度 / the locked quarter: 2010Q4"),
    reason: str = typer.Option(..., "--reason", help="原因（必填，乡镇审批时看到）/ why (required; the township reads it)"),
    user: Optional[str] = UserOption,
    today: Optional[str] = TodayOption,
    db: Optional[str] = DbOption,
):
    """申请期间锁定例外，由乡镇审批 / Ask the township for a period-lock exception."""
    from .. import locks

    _act(db, user, lambda session, who: locks.request_exception(session, who, village, quarter, reason, today=_day(today)),
         _request_text, "已提交例外申请，等待乡镇审批 / exception requested, awaiting the township")


@lock_app.command("requests")
def requests_cmd(
    area: Optional[str] = typer.Option(None, "--area", help="乡镇或县（默认：本人范围内全部）/ township or county (default: all in one's scope)"),
    user: Optional[str] = UserOption,
    db: Optional[str] = DbOption,
):
    """待审批的例外申请 / Pending period-lock exception requests."""
    from .. import locks
    from ..models import Region

    s = climod.cli_sdk(db, user)
    try:
        with s.transaction() as session:
            rows = locks.pending_requests(session, s.user, area)
            t = Table(title="待审批的例外申请 / pending exception requests")
            for col in ("编号 id", "村/社区 village", "季度 quarter", "原因 reason", "申请人 requested by", "申请时间 requested at"):
                t.add_column(col)
            for r in rows:
                region = session.get(Region, r.region_id)
                t.add_row(str(r.id), escape(region.name if region else str(r.region_id)), r.period, escape(r.reason),
                          escape(r.requested_by), f"{r.requested_at:%Y-%m-%d %H:%M}")
    finally:
        s.close()
    if rows:
        climod.out.print(t)
    else:
        climod.out.print("没有待审批的例外申请 / no pending exception requests", highlight=False)


@lock_app.command("refuse")
def refuse_cmd(
    request: int = typer.Option(..., "--request", help="例外申请编号（见 shequ lock requests）/ request id (see shequ lock requests)"),
    reason: str = typer.Option(..., "--reason", help="驳回原因（必填，申请的村会看到）/ why (required; the village reads it)"),
    user: Optional[str] = UserOption,
    db: Optional[str] = DbOption,
):
    """驳回例外申请（乡镇工作人员或管理员）/ Refuse an exception request (township staff or admin)."""
    from .. import locks

    _act(db, user, lambda session, who: locks.refuse_request(session, who, request, reason), _request_text,
         "已驳回例外申请 / exception request refused")
