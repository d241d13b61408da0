"""The 党员承诺公开栏: one village's commitments for one year, printable through ``shequ board``.

Party members' names are printed in full: the board is the public posting of 「亮身份、守承诺」,
hung in the village. (Who may print it is the SDK's scope check: ``write_board`` asks for the
region as the user's own.) Complaints and residents' ratings are never on it.

The board carries a content fingerprint and a QR code, as the finance boards do:
``shequ:commitments:<village id>:<year>:<fingerprint>``. ``shequ commitments verify-copy``
recomputes it from the records, so an inspector can tell whether a paper copy still matches.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Optional

import typer
from sqlalchemy import func, select
from sqlmodel import Session

from shequ_sdk import BoardType, InputError, Period, hookimpl
from shequ_sdk.boards import Board, BoardPosting, qr_svg
from shequ_sdk.regions import find_region

from .models import STATUS, Commitment, CommitmentFeedback, CommitmentMember

KEY = "commitments.pledges"
SHORT_HEX = 12


def _number(x: Optional[float]) -> str:
    return "" if x is None else f"{x:g}"


def board_rows(session: Session, region_id: int, year: int) -> list[dict]:
    """The commitments of a village and year as the board prints them, in a stable order."""
    C, M, F = Commitment, CommitmentMember, CommitmentFeedback
    feedback = (select(F.commitment_id, func.count().label("n"), func.max(F.feedback_date).label("last"))
                .group_by(F.commitment_id).subquery())
    stmt = (select(C, M.name, M.post, feedback.c.n, feedback.c.last)
            .join(M, M.id == C.member_id).outerjoin(feedback, feedback.c.commitment_id == C.id)
            .where(C.region_id == region_id, C.year == year).order_by(M.id, C.due_date, C.id))
    out = []
    for c, name, post, n, last in session.execute(stmt):
        if c.target_kind == "quantity":
            target = f"{_number(c.target_number)} {c.target_unit or ''}".strip()
            achieved = f"{_number(c.achieved_number)} {c.target_unit or ''}".strip() if c.achieved_number is not None else ""
        else:
            target, achieved = "完成", ""
        out.append({"id": c.id, "member": name, "post": post or "", "content": c.content, "concern": c.concern, "target": target,
                    "achieved": achieved, "due": c.due_date.isoformat(), "status": c.status,
                    "reason": c.withdrawal_reason or "", "feedback": int(n or 0), "last_feedback": last.isoformat() if last else ""})
    return out


def fingerprint(region_id: int, year: int, rows: list[dict]) -> str:
    """SHA-256 of the board's content: what the rows say, not when it was printed."""
    text = json.dumps({"region_id": region_id, "year": year, "rows": rows}, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def short(full: str) -> str:
    head = full[:SHORT_HEX]
    return "-".join(head[i:i + 4] for i in range(0, len(head), 4))


def verification(region_id: int, year: int, full: str) -> str:
    return f"shequ:commitments:{region_id}:{year}:{short(full)}"


def load(session: Session, region, period: Period, today: dt.date) -> Board:
    if region.kind not in ("village", "community"):
        raise InputError(f"党员承诺公开栏按村（社区）打印，{region.name} 不是村或社区",
                         f"the commitments board is printed per village or community; {region.name} is neither")
    year = period.year
    rows = board_rows(session, region.id, year)
    full = fingerprint(region.id, year, rows)
    counts = {code: sum(1 for r in rows if r["status"] == code) for code in STATUS}
    cells = []
    for i, r in enumerate(rows, start=1):
        status = STATUS[r["status"]][0]
        if r["status"] == "withdrawn":
            status += f"（{r['reason']}）"
        elif r["achieved"]:
            status += f"（完成 {r['achieved']}）"
        progress = f"{r['feedback']} 次，最近 {r['last_feedback']}" if r["feedback"] else "—"
        cells.append([str(i), f"{r['member']}（{r['post']}）" if r["post"] else r["member"], r["content"], r["concern"], r["target"],
                      r["due"], status, progress])
    posted = session.execute(select(func.max(Commitment.posted_on)).where(Commitment.region_id == region.id,
                                                                         Commitment.year == year)).scalar_one()
    summary = "，".join(f"{STATUS[c][0]} {n} 项" for c, n in counts.items() if n)
    post = BoardPosting(
        title=f"{year} 年度党员承诺事项（共 {len(rows)} 项{'：' + summary if summary else ''}）", kind_label=None,
        period_label=period.label("zh"), posted_on=posted, display_until=None, reviewer_name=None, review_date=None,
        approver_name=None, approval_date=None, status_label="", legal_basis=None,
        columns=["序号", "承诺人", "承诺内容", "回应群众关切", "承诺目标", "兑现期限", "兑现情况", "跟踪反馈"], rows=cells,
        signers=[("党支部书记", "审核", None, None), ("乡镇（街道）党委", "监督", None, None)],
        steps=[f"承诺事项 {len(rows)} 项，按承诺人、兑现期限排列", "领导点评、党员互评、群众评议相结合，评议结果作为评先表彰和干部考核的依据"],
        notice="对党员承诺事项有意见的，可投入公开栏旁的投诉箱、写在意见栏，或向村党支部、乡镇纪委反映，收到后按期答复。",
        fingerprint=short(full), verification=verification(region.id, year, full),
        verify_hint=f"扫码或运行 shequ commitments verify-copy --region {region.name} --year {year} --fingerprint {short(full)}，"
                    "可核对本公开栏与登记记录是否一致",
    )
    post.qr_svg = qr_svg(post.verification)
    return Board(region_name=region.name, board_code=KEY, board_label="党员承诺", period=period, postings=[post], printed_on=today)


def verify_copy(session: Session, region, year: int, printed: str) -> tuple[bool, str]:
    """Does a printed fingerprint (``3f2a-9c1b-77e0``) match the village's commitments today?"""
    r = find_region(session, region)
    current = short(fingerprint(r.id, year, board_rows(session, r.id, year)))
    return printed.strip().lower() == current, current


@hookimpl
def register_boards(register):
    register(BoardType(key=KEY, label_zh="党员承诺", label_en="Party members' commitments", load=load,
                       aliases=("承诺", "commitments", "党员承诺事项"), period_kinds=("year",)))


@hookimpl
def register_commands(cli):
    group = typer.Typer(no_args_is_help=True, help="党员承诺 / Party members' commitments")

    @group.command("verify-copy")
    def verify_copy_cmd(
        region: str = typer.Option(..., "--region", help="村/社区 / village or community"),
        year: int = typer.Option(..., "--year", help="年度 / year"),
        printed: str = typer.Option(..., "--fingerprint", help="公开栏上印的内容指纹 / the fingerprint printed on the board"),
        db: Optional[str] = typer.Option(None, "--db", help="数据库文件或 URL / database file or URL"),
    ):
        """核对纸质党员承诺公开栏 / Check a printed commitments board against the records."""
        from shequ_sdk import cli as climod

        s = climod.cli_sdk(db)
        try:
            name = s.readable_region(region)
            name = getattr(name, "name", region)
            with Session(s.engine) as session:
                ok, current = verify_copy(session, region, year, printed)
        finally:
            s.close()
        if ok:
            climod.out.print(f"一致 / matches: {name} {year} 党员承诺公开栏 {current}", highlight=False)
            return
        climod.err.print(f"不一致 / does not match: 印制的 {printed}，登记记录现为 {current}（印制后承诺记录有变更）"
                         f" / printed {printed}, records now {current}", highlight=False)
        raise typer.Exit(1)

    cli.add_typer(group, name="commitments")
