"""The 决议公开 and 实施结果公开 notices, printable through ``shequ board``.

One notice (a posting) per matter: the 决议公开 notice lists the matters whose resolution passed
in the period, with each of the four deliberations (date, attendance, votes, result); the
实施结果公开 notice lists the matters completed in the period, with the resolution, the amount
and the ledger vouchers. Each notice carries a content fingerprint and a QR code, as the finance
boards do: ``shequ:decisions:<board>:<matter id>:<fingerprint>``; ``shequ decisions verify-copy``
recomputes it from the records. Nothing personal is printed: no contract parties, no names.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Optional

import typer
from sqlalchemy import select
from sqlmodel import Session

from shequ_sdk import BoardType, InputError, Period, hookimpl
from shequ_sdk.boards import Board, BoardPosting, qr_svg

from .models import BODIES, CATEGORIES, DELIBERATIONS, RESULTS, STEPS, Matter, MatterStep
from .rules import decided_on, stored_steps

RESOLUTION = "decisions.resolution"
RESULTS_BOARD = "decisions.results"
LABELS = {RESOLUTION: ("决议公开", "Resolution notice"), RESULTS_BOARD: ("实施结果公开", "Implementation results notice")}
SHORT_HEX = 12


def _yuan(fen: Optional[int]) -> str:
    return "" if fen is None else f"{fen / 100:,.2f}"


def notice_rows(session: Session, region_id: int, period: Period, board: str) -> list[dict]:
    """The matters a notice covers, each with the step lines it prints, in a stable order."""
    steps_of = stored_steps(session)
    detail = {}
    ms = session.execute(select(Matter).where(Matter.region_id == region_id).order_by(Matter.proposed_on, Matter.id)).scalars().all()
    ids = [m.id for m in ms]
    if ids:
        for st in session.execute(select(MatterStep).where(MatterStep.matter_id.in_(ids))).scalars():
            detail.setdefault(st.matter_id, {})[st.step] = st
    out = []
    for m in ms:
        day = decided_on(steps_of.get(m.id, {}))
        if day is None:
            continue
        if board == RESOLUTION and not (period.start <= day <= period.end):
            continue
        if board == RESULTS_BOARD and not (m.completed_on and period.start <= m.completed_on <= period.end):
            continue
        lines = []
        for code in DELIBERATIONS:
            st = detail.get(m.id, {}).get(code)
            if st is None:
                continue
            lines.append({"step": code, "date": st.held_on.isoformat(), "body": BODIES[st.body][0] if st.body else "",
                          "expected": st.expected, "present": st.present, "votes_for": st.votes_for, "votes_against": st.votes_against,
                          "result": RESULTS[st.result][0] if st.result else "", "content": st.content or ""})
        disclosed = detail.get(m.id, {}).get("resolution_disclosure")
        results = detail.get(m.id, {}).get("result_disclosure")
        out.append({"id": m.id, "title": m.title, "category": CATEGORIES[m.category][0], "amount": _yuan(m.amount_fen),
                    "proposer": m.proposer, "decided_on": day.isoformat(), "completed_on": m.completed_on.isoformat() if m.completed_on else "",
                    "vouchers": m.vouchers or "", "law": m.law_version, "lines": lines,
                    "disclosed_on": disclosed.held_on.isoformat() if disclosed else "",
                    "results_on": results.held_on.isoformat() if results else ""})
    return out


def fingerprint(board: str, row: dict) -> str:
    """SHA-256 of one notice's content: what it says, not when it was printed."""
    text = json.dumps({"board": board, "row": row}, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def short(full: str) -> str:
    head = full[:SHORT_HEX]
    return "-".join(head[i:i + 4] for i in range(0, len(head), 4))


def verification(board: str, matter_id: int, full: str) -> str:
    return f"shequ:decisions:{board.split('.')[1]}:{matter_id}:{short(full)}"


def _n(v) -> str:
    return "" if v is None else str(v)


def _posting(board: str, r: dict, period: Period, region_name: str) -> BoardPosting:
    full = fingerprint(board, r)
    if board == RESOLUTION:
        title = f"关于“{r['title']}”的决议公开"
        columns = ["步骤", "日期", "会议", "应到", "实到", "赞成", "反对", "结果"]
        cells = [[STEPS[x["step"]][0], x["date"], x["body"], _n(x["expected"]), _n(x["present"]), _n(x["votes_for"]),
                  _n(x["votes_against"]), x["result"]] for x in r["lines"]]
        steps = [f"事项类别：{r['category']}；涉及金额：{r['amount'] or '—'} 元；提议：{r['proposer']}",
                 f"{r['decided_on']} 经村民（代表）会议决议通过，依据《{r['law']}》公开，接受村民监督"]
        notice = "对本决议有异议的，可在公开之日起向村务监督委员会或乡镇人民政府反映。"
    else:
        title = f"关于“{r['title']}”的实施结果公开"
        columns = ["项目", "内容"]
        cells = [["事项类别", r["category"]], ["决议通过日期", r["decided_on"]], ["决议公开日期", r["disclosed_on"] or "—"],
                 ["实施完成日期", r["completed_on"]], ["涉及金额（元）", r["amount"] or "—"], ["对应账目凭证", r["vouchers"] or "—"]]
        steps = [f"本事项经四议两公开程序决策，{r['completed_on']} 实施完成，现将实施结果公开"]
        notice = "对实施结果有疑问的，可向村务监督委员会查询，或向乡镇人民政府反映。"
    posted = r["disclosed_on"] if board == RESOLUTION else r["results_on"]
    post = BoardPosting(
        title=title, kind_label=None, period_label=period.label("zh"), posted_on=dt.date.fromisoformat(posted) if posted else None, display_until=None, reviewer_name=None,
        review_date=None, approver_name=None, approval_date=None, status_label="", legal_basis=None, posting_id=r["id"],
        columns=columns, rows=cells, signers=[("村民委员会", "公开", None, None), ("村务监督委员会", "监督", None, None)], steps=steps,
        notice=notice, fingerprint=short(full), verification=verification(board, r["id"], full),
        verify_hint=f"扫码或运行 shequ decisions verify-copy --region {region_name} --period {period} --board {LABELS[board][0]} "
                    f"--fingerprint {short(full)}，可核对本公告与登记记录是否一致",
    )
    post.qr_svg = qr_svg(post.verification)
    return post


def _loader(board: str):
    def load(session: Session, region, period: Period, today: dt.date) -> Board:
        if region.kind not in ("village", "community"):
            raise InputError(f"{LABELS[board][0]}按村（社区）打印，{region.name} 不是村或社区",
                             f"the {LABELS[board][1].lower()} is printed per village or community; {region.name} is neither")
        rows = notice_rows(session, region.id, period, board)
        postings = [_posting(board, r, period, region.name) for r in rows]
        if not postings:
            what = "通过的决议" if board == RESOLUTION else "实施完成的事项"
            postings = [BoardPosting(title=f"{period.label('zh')}没有{what}", kind_label=None, period_label=period.label("zh"), posted_on=None,
                                     display_until=None, reviewer_name=None, review_date=None, approver_name=None, approval_date=None,
                                     status_label="", legal_basis=None, columns=["事项"], rows=[], steps=[], notice=None)]
        # the template prints 「<village><label>公开栏」: 决议公开栏, 实施结果公开栏
        label = LABELS[board][0].removesuffix("公开")
        return Board(region_name=region.name, board_code=board, board_label=label, period=period, postings=postings, printed_on=today)
    return load


def verify_copy(session: Session, region_id: int, period: Period, board: str, printed: str) -> tuple[bool, list[str]]:
    """Does a printed fingerprint match one of the notices of the village, period and board today?"""
    current = [short(fingerprint(board, r)) for r in notice_rows(session, region_id, period, board)]
    return printed.strip().lower() in current, current


@hookimpl
def register_boards(register):
    register(BoardType(key=RESOLUTION, label_zh="决议公开", label_en="Resolution notices", load=_loader(RESOLUTION),
                       aliases=("决议", "resolution"), period_kinds=("year", "quarter", "month")))
    register(BoardType(key=RESULTS_BOARD, label_zh="实施结果公开", label_en="Implementation results notices", load=_loader(RESULTS_BOARD),
                       aliases=("实施结果", "results"), period_kinds=("year", "quarter", "month")))


@hookimpl
def register_commands(cli):
    group = typer.Typer(no_args_is_help=True, help="四议两公开与三资 / village decisions and collective assets")

    @group.command("verify-copy")
    def verify_copy_cmd(
        region: str = typer.Option(..., "--region", help="村/社区 / village or community"),
        period: str = typer.Option(..., "--period", help="期间，如 2010 或 2010Q1 / period"),
        board: str = typer.Option(..., "--board", help="决议公开 或 实施结果公开 / resolution or results"),
        printed: str = typer.Option(..., "--fingerprint", help="公告上印的内容指纹 / the fingerprint printed on the notice"),
        db: Optional[str] = typer.Option(None, "--db", help="数据库文件或 URL / database file or URL"),
    ):
        """核对纸质决议公开、实施结果公开公告 / Check a printed notice against the records."""
        from shequ_sdk import cli as climod

        keys = {"决议公开": RESOLUTION, "决议": RESOLUTION, "resolution": RESOLUTION,
                "实施结果公开": RESULTS_BOARD, "实施结果": RESULTS_BOARD, "results": RESULTS_BOARD}
        if board not in keys:
            raise InputError(f"公告类别 {board!r} 无效：应为 决议公开 或 实施结果公开", f"board {board!r} is not resolution or results")
        p = Period.parse(period)
        s = climod.cli_sdk(db)
        try:
            r = s.readable_region(region)
            with Session(s.engine) as session:
                ok, current = verify_copy(session, r.id, p, keys[board], printed)
        finally:
            s.close()
        label = LABELS[keys[board]][0]
        if ok:
            climod.out.print(f"一致 / matches: {r.name} {p} {label} {printed.strip()}", highlight=False)
            return
        climod.err.print(f"不一致 / does not match: 印制的 {printed} 与 {r.name} {p} 的{label}记录不符（印制后记录有变更）"
                         f" / printed {printed} matches none of the notices now ({', '.join(current) or 'none'})", highlight=False)
        raise typer.Exit(1)

    cli.add_typer(group, name="decisions")
