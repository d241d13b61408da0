"""``shequ finance …`` commands (added through the ``register_commands`` hook)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Optional

import typer

from shequ_sdk import InputError, Period

from .deadlines import STATUSES, board_status, status_grid
from .models import BOARDS

LINE_LABELS = {**BOARDS, "major": ("重大事项", "Major items")}
COLOURS = {"on_time": "green", "late": "yellow", "missing": "bold red", "not_yet_due": "dim"}


def _as_of(text: Optional[str]) -> dt.date:
    if not text:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"日期无法识别 {text!r}（应为 2011-03-31）", f"malformed date {text!r} (expected 2011-03-31)") from None


def _columns(period: Period) -> list[Period]:
    """A year is shown quarter by quarter; a quarter or month as itself."""
    return period.subperiods("quarter") if period.kind == "year" else [period]


def summary(rows: list[dict]) -> dict:
    counts = {s: sum(r["status"] == s for r in rows) for s in STATUSES}
    decided = counts["on_time"] + counts["late"] + counts["missing"]
    return {**counts, "on_time_rate": counts["on_time"] / decided if decided else None}


def status_report(db, region: str, period: str, as_of: Optional[str]) -> dict:
    """What ``shequ finance status`` prints, as data."""
    from shequ_sdk.api import Shequ

    p = Period.parse(period)
    day = _as_of(as_of)
    columns = _columns(p)
    s = Shequ(db)
    try:
        with s.reading() as session:  # the deadline schedule is prepared for this read and rolled back
            from shequ_sdk.regions import find_region

            r = find_region(session, region)
            rows = board_status(session, r, columns, day)
            name, kind = r.name, r.kind
    finally:
        s.close()
    return {"region": name, "region_kind": kind, "period": str(p), "as_of": day, "columns": [str(c) for c in columns],
            "rows": rows, "summary": summary(rows)}


def _jsonable(value):
    return value.isoformat() if isinstance(value, dt.date) else value


def add_commands(cli: typer.Typer) -> None:
    app = typer.Typer(no_args_is_help=True, help="民主管理监督理财协会：公开栏与期限 / Finance association: disclosure boards and deadlines")

    @app.command("status")
    def status_cmd(
        region: str = typer.Option(..., "--region", help="地区名称、代码或路径 / region name, code or path"),
        period: str = typer.Option(..., "--period", help="期间 / period: 2010, 2010Q4, 2010-12"),
        db: Optional[str] = typer.Option(None, "--db", help="数据库文件或 URL / database file or URL"),
        as_of: Optional[str] = typer.Option(None, "--as-of", help="按哪一天判断（默认今天）/ judge as of this day (default today)"),
        as_json: bool = typer.Option(False, "--json", help="输出 JSON / print JSON"),
        lang: str = typer.Option("zh", "--lang", help="zh 或 en"),
    ):
        """公开栏按期公开情况（公开栏 × 期间）/ Board-by-period disclosure status: on time, late, missing, not yet due."""
        if lang not in ("zh", "en"):
            raise InputError(f"语言应为 zh 或 en，收到 {lang!r}", f"--lang must be zh or en, got {lang!r}")
        report = status_report(db, region, period, as_of)
        if as_json:
            out = {k: _jsonable(v) for k, v in report.items() if k != "rows"}
            out["rows"] = [{k: _jsonable(v) for k, v in r.items()} for r in report["rows"]]
            print(json.dumps(out, ensure_ascii=False, indent=2))
            return
        _print_grid(report, lang)

    add_workflow_commands(app)
    add_question_commands(app)
    add_reminder_commands(app)
    cli.add_typer(app, name="finance")


# -- the posting workflow ------------------------------------------------------------------------

def _date(text: Optional[str]) -> Optional[dt.date]:
    return _as_of(text) if text else None


def run_step(db, user: Optional[str], step, **kwargs) -> dict:
    """Run one workflow function in a transaction as ``user`` (``--user``; none: the local user);
    return the posting afterwards as a dict."""
    from shequ_sdk import cli as climod

    s = climod.cli_sdk(db, user)
    try:
        with s.transaction() as session:
            posting = step(session, actor=s.user, **kwargs)
            return {c.name: getattr(posting, c.name) for c in posting.__table__.columns}
    finally:
        s.close()


def _say_step(zh: str, en: str, row: dict) -> None:
    from rich.markup import escape

    from shequ_sdk import cli as climod

    from .workflow import local_time, short_fingerprint

    who = {"reviewed": ("reviewed_by", "reviewed_at"), "approved": ("approved_by", "approved_at"),
           "published": ("published_by", "published_at")}.get(row["status"])
    extra = ""
    if who:
        extra = f"，{row[who[0]]} · {local_time(row[who[1]])}"
    if row["status"] == "published":
        extra += f"，公开日期 {row['posted_on']}，指纹 / fingerprint {short_fingerprint(row['fingerprint'])}"
    climod.out.print(escape(f"已{zh} / {en}: #{row['id']}「{row['title']}」第 {row['version']} 版{extra}"), highlight=False)


IdOption = typer.Option(..., "--id", help="公开记录编号 / posting id")


def add_workflow_commands(app: typer.Typer) -> None:
    from shequ_sdk.cli import DbOption, UserOption

    from . import workflow

    @app.command("review")
    def review_cmd(posting_id: int = IdOption, db: Optional[str] = DbOption, user: Optional[str] = UserOption,
                   reviewer: Optional[str] = typer.Option(None, "--reviewer", help="公开栏上签字的审核人（默认草稿所填或操作用户）/ reviewer who signs the board"),
                   on: Optional[str] = typer.Option(None, "--date", help="审核日期（默认草稿所填或今天）/ review date")):
        """审核草稿（民主理财审核员）/ Review a draft (the village's supervision reviewer)."""
        row = run_step(db, user, workflow.review, posting_id=posting_id, reviewer_name=reviewer, review_date=_date(on))
        _say_step("审核", "reviewed", row)

    @app.command("approve")
    def approve_cmd(posting_id: int = IdOption, db: Optional[str] = DbOption, user: Optional[str] = UserOption):
        """审批已审核的记录（乡镇）/ Approve a reviewed posting (township staff)."""
        _say_step("审批", "approved", run_step(db, user, workflow.approve, posting_id=posting_id))

    @app.command("publish")
    def publish_cmd(posting_id: int = IdOption, db: Optional[str] = DbOption, user: Optional[str] = UserOption,
                    posted_on: Optional[str] = typer.Option(None, "--posted-on", help="张贴日期（默认草稿所填或今天）/ day it went up")):
        """公开已审批的记录：计算内容指纹 / Publish an approved posting (village committee or township); computes its fingerprint."""
        _say_step("公开", "published", run_step(db, user, workflow.publish, posting_id=posting_id, posted_on=_date(posted_on)))

    @app.command("return")
    def return_cmd(posting_id: int = IdOption, reason: str = typer.Option(..., "--reason", help="退回原因 / reason"),
                   db: Optional[str] = DbOption, user: Optional[str] = UserOption):
        """把已审核或已审批的记录退回草稿 / Send a reviewed or approved posting back to draft."""
        _say_step("退回草稿", "returned to draft", run_step(db, user, workflow.return_to_draft, posting_id=posting_id, reason=reason))

    @app.command("correct")
    def correct_cmd(posting_id: int = IdOption, reason: str = typer.Option(..., "--reason", help="更正原因（必填）/ reason (required)"),
                    db: Optional[str] = DbOption, user: Optional[str] = UserOption):
        """更正已公开的记录：建立新版本草稿（复制事项），编辑后再审核、审批、公开 / Start a correction: a new draft version."""
        from rich.markup import escape

        from shequ_sdk import cli as climod

        row = run_step(db, user, workflow.correct, posting_id=posting_id, reason=reason)
        climod.out.print(escape(f"已建立更正草稿 / correction drafted: #{row['id']}「{row['title']}」第 {row['version']} 版（更正 #{posting_id}）；"
                                f"请编辑后依次审核、审批、公开 / edit it, then review, approve and publish it"), highlight=False)

    @app.command("copy-last-quarter")
    def copy_last_quarter_cmd(village: str = typer.Option(..., "--village", help="村（社区）名称、代码或路径 / village or community"),
                              quarter: str = typer.Option(..., "--quarter", help="复制到哪个季度，如 2011Q1 / the quarter to fill, e.g. 2011Q1"),
                              db: Optional[str] = DbOption, user: Optional[str] = UserOption):
        """把上季度的三栏公开记录及其事项复制为本季度的草稿（本季度须还没有公开记录）/ Copy last quarter's boards and items as drafts."""
        from rich.markup import escape

        from shequ_sdk import cli as climod

        s = climod.cli_sdk(db, user)
        try:
            s.readable_region(village)
            with s.transaction() as session:
                copied = workflow.copy_last_quarter(session, village, quarter, s.user)
        finally:
            s.close()
        for c in copied:
            climod.out.print(escape(f"#{c['id']} {workflow.board_label(c['board'])}公开栏 {c['period']}「{c['title']}」：{c['items']} 项 / items"),
                             highlight=False)
        climod.out.print(escape(f"已复制上季度 {len(copied)} 条公开记录为草稿，请修改后依次审核、审批、公开 / copied {len(copied)} posting(s) "
                                f"from last quarter as drafts: edit them, then review, approve and publish them"), highlight=False)

    @app.command("history")
    def history_cmd(posting_id: int = IdOption, db: Optional[str] = DbOption, user: Optional[str] = UserOption,
                    as_json: bool = typer.Option(False, "--json", help="输出 JSON / print JSON")):
        """公开记录的各版本、各步骤操作人和时间，以及相邻版本的逐项差异 / Every version, who/when per step, and the diffs."""
        from shequ_sdk import cli as climod

        s = climod.cli_sdk(db, user)
        try:
            with s.transaction() as session:
                posting = workflow.get_posting(session, posting_id)
                _may_read(session, s.user, posting)
                versions = workflow.history(session, posting_id)
        finally:
            s.close()
        if as_json:
            print(json.dumps(versions, ensure_ascii=False, indent=2, default=_jsonable_any))
            return
        _print_history(versions)

    @app.command("verify-copy")
    def verify_copy_cmd(fingerprint: str = typer.Option(..., "--fingerprint", help="纸质公开栏上的指纹，如 3f2a-9c1b-77e0 / the fingerprint on the paper"),
                        db: Optional[str] = DbOption, user: Optional[str] = UserOption,
                        as_json: bool = typer.Option(False, "--json", help="输出 JSON / print JSON")):
        """核对纸质公开栏：指纹属于哪条公开记录，是否为当前版本 / Which posting a paper fingerprint belongs to, and whether it is current."""
        from rich.markup import escape

        from shequ_sdk import cli as climod

        s = climod.cli_sdk(db, user)
        try:
            with s.transaction() as session:
                rows = workflow.find_by_fingerprint(session, fingerprint)
        finally:
            s.close()
        if as_json:
            print(json.dumps(rows, ensure_ascii=False, indent=2, default=_jsonable_any))
        if not rows:
            climod.fail(f"没有公开记录的指纹是 {fingerprint}：这份纸质公开栏与记录不符 / no published posting has the fingerprint {fingerprint}: "
                        f"this paper copy does not match the records", code=1)
        if as_json:
            return
        for r in rows:
            head = (f"#{r['id']} {r['region_name']} {workflow.board_label(r['board'])}公开栏 {r['period']}「{r['title']}」第 {r['version']} 版，"
                    f"公开于 {r['posted_on']}")
            if r["current"]:
                state = "是当前版本 / this is the current version"
            else:
                state = (f"已被更正，当前为 #{r['latest_id']} 第 {r['latest_version']} 版 / superseded: the current version is "
                         f"#{r['latest_id']} (version {r['latest_version']})")
            intact = "" if r["intact"] else "；警告：记录内容已与指纹不符（shequ verify）/ warning: the stored content no longer matches"
            climod.out.print(escape(f"{head}；{state}{intact}"), highlight=False)
        if any(not r["intact"] for r in rows):
            raise typer.Exit(1)


def _may_read(session, actor, posting) -> None:
    from shequ_sdk import auth

    if actor is None:
        return
    from shequ_sdk.models import Region

    auth.check_read(session, actor, [session.get(Region, posting.region_id)])


def _jsonable_any(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(type(value).__name__)


STEP_LINES = (("草拟", "draft", None, None), ("审核", "reviewed", "reviewed_by", "reviewed_at"),
              ("审批", "approved", "approved_by", "approved_at"), ("公开", "published", "published_by", "published_at"))


def _print_history(versions: list[dict]) -> None:
    from rich.markup import escape

    from shequ_sdk import cli as climod

    from .models import POSTING_STATUSES
    from .workflow import local_time

    out = climod.out
    for v in versions:
        status = POSTING_STATUSES.get(v["status"], (v["status"],))[0]
        out.print(escape(f"第 {v['version']} 版 #{v['id']}「{v['title']}」{v['period']} · {status}"), style="bold", highlight=False)
        if v["correction_reason"]:
            out.print(escape(f"  更正原因 / reason: {v['correction_reason']}"), highlight=False)
        for zh, _, who, when in STEP_LINES[1:]:
            if v[who]:
                out.print(escape(f"  {zh}：{v[who]} · {local_time(v[when])}"), highlight=False)
        if v["reviewer_name"]:
            out.print(escape(f"  审核签字 / signed by: {v['reviewer_name']}（{v['review_date']}）"), highlight=False)
        if v["posted_on"]:
            out.print(escape(f"  公开日期 / posted on: {v['posted_on']}"), highlight=False)
        if v["short_fingerprint"]:
            out.print(escape(f"  指纹 / fingerprint: {v['short_fingerprint']}"), highlight=False)
        out.print(escape(f"  事项 / items: {len(v['items'])}"), highlight=False)
        if v["changes"] is not None:
            if not v["changes"]:
                out.print("  与上一版相同 / same as the previous version", highlight=False)
            for c in v["changes"]:
                where = f"第 {c['line']} 项 " if c["line"] is not None else ""
                out.print(escape(f"  变更 / changed: {where}{c['field']}: {_show(c['old'])} → {_show(c['new'])}"), highlight=False)


def _show(value) -> str:
    return "（空）" if value is None else str(value)


def _print_grid(report: dict, lang: str) -> None:
    from rich.table import Table

    from shequ_sdk import cli as climod

    i = 0 if lang == "zh" else 1
    rows, columns = report["rows"], report["columns"]
    cells = status_grid(rows)
    villages: dict[int, str] = {}
    lines: dict[int, list[str]] = {}
    for r in rows:
        villages.setdefault(r["region_id"], r["region_name"])
        line = "major" if r["kind"] == "major" else r["board"]
        if line not in lines.setdefault(r["region_id"], []):
            lines[r["region_id"]].append(line)
    as_of = report["as_of"].isoformat()
    title = f"{report['region']} · {report['period']} · 截至 {as_of}" if lang == "zh" else f"{report['region']} · {report['period']} · as of {as_of}"
    table = Table(title=title)
    several = len(villages) > 1
    if several:
        table.add_column("村/社区" if lang == "zh" else "Village")
    table.add_column("公开栏" if lang == "zh" else "Board")
    for c in columns:
        table.add_column(Period.parse(c).label(lang), justify="center")
    order = list(LINE_LABELS)
    for rid, name in villages.items():
        for line in sorted(lines[rid], key=order.index):
            row = [name] if several else []
            row.append(LINE_LABELS[line][i])
            for c in columns:
                cell = cells.get((rid, line, c))
                if cell is None:
                    row.append("")
                    continue
                text = STATUSES[cell["status"]][i]
                if cell["total"] > 1:
                    text += f" {cell['on_time']}/{cell['total']}"
                row.append(f"[{COLOURS[cell['status']]}]{text}[/]")
            table.add_row(*row)
    climod.out.print(table)
    s = report["summary"]
    rate = "—" if s["on_time_rate"] is None else f"{s['on_time_rate'] * 100:.1f}%"
    if lang == "zh":
        climod.out.print(f"按时 {s['on_time']}，逾期公开 {s['late']}，未公开 {s['missing']}，未到期 {s['not_yet_due']}；按时公开率 {rate}")
    else:
        climod.out.print(f"on time {s['on_time']}, late {s['late']}, missing {s['missing']}, not yet due {s['not_yet_due']}; on-time rate {rate}")


def add_question_commands(app: typer.Typer) -> None:
    """``shequ finance questions | answer | hide-question``: the residents' questions asked on the public portal."""
    from shequ_sdk.cli import DbOption, UserOption

    from . import questions

    @app.command("questions")
    def questions_cmd(region: str = typer.Option(..., "--region", help="村（社区）/ village"), db: Optional[str] = DbOption,
                      user: Optional[str] = UserOption):
        """待答复的网上质询（电话已遮蔽）/ Online questions waiting for a reply (phones masked)."""
        from rich.markup import escape

        from shequ_sdk import cli as climod
        from shequ_sdk.ids import mask
        from shequ_sdk.regions import find_region

        s = climod.cli_sdk(db, user)
        try:
            s.readable_region(region)
            with s.transaction() as session:
                village = find_region(session, region)
                rows = questions.open_questions(session, village.id)
                due = {r.id: questions.reply_due_of(session, r) for r in rows}
        finally:
            s.close()
        if not rows:
            climod.out.print(escape(f"{region} 没有待答复的网上质询 / no open online questions"), highlight=False)
            return
        for r in rows:
            who = " ".join(x for x in (mask(r.asker_name, "name") if r.asker_name else "匿名", mask(r.asker_phone, "phone")) if x)
            climod.out.print(escape(f"#{r.id} {r.number} {r.received_on}（答复期限 {due[r.id]}）{who}：{r.subject}"), highlight=False)

    @app.command("answer")
    def answer_cmd(query_id: int = typer.Option(..., "--id", help="查询编号 / query id"),
                   reply: str = typer.Option(..., "--reply", help="答复内容 / the reply"),
                   private: bool = typer.Option(False, "--private", help="不在公开网页显示 / do not show it on the public page"),
                   db: Optional[str] = DbOption, user: Optional[str] = UserOption):
        """答复村民质询（默认在公开网页显示）/ Answer a resident's question (shown on the public page unless --private)."""
        from rich.markup import escape

        from shequ_sdk import cli as climod

        s = climod.cli_sdk(db, user)
        try:
            with s.transaction() as session:
                q = questions.answer(session, query_id, reply, s.user, public=not private)
                number, public = q.number, q.reply_public
        finally:
            s.close()
        climod.out.print(escape(f"已答复 / answered: {number}" + ("，已在公开栏网页显示 / shown on the public page" if public else "")), highlight=False)

    @app.command("hide-question")
    def hide_cmd(query_id: int = typer.Option(..., "--id", help="查询编号 / query id"),
                 reason: str = typer.Option(..., "--reason", help="隐藏原因（记入审计日志）/ reason (audit-logged)"),
                 db: Optional[str] = DbOption, user: Optional[str] = UserOption):
        """乡镇审核：在公开网页隐藏一条质询 / Township moderation: hide a question from the public pages."""
        from rich.markup import escape

        from shequ_sdk import cli as climod

        s = climod.cli_sdk(db, user)
        try:
            with s.transaction() as session:
                q = questions.hide(session, query_id, reason, s.user)
                number = q.number
        finally:
            s.close()
        climod.out.print(escape(f"已隐藏 / hidden: {number}"), highlight=False)


def add_reminder_commands(app: typer.Typer) -> None:
    """``shequ finance behind | remind``: villages behind with their boards, and the township's reminders (催办)."""
    from shequ_sdk.cli import DbOption, UserOption

    @app.command("behind")
    def behind_cmd(region: str = typer.Option(..., "--region", help="乡镇或县 / township or county"),
                   period: str = typer.Option(..., "--period", help="季度 / quarter, e.g. 2010Q4"),
                   as_of: Optional[str] = typer.Option(None, "--as-of", help="按哪一天判断（默认今天）/ judge as of this day (default today)"),
                   db: Optional[str] = DbOption, user: Optional[str] = UserOption):
        """未按时公开的村（社区）及即将到期的公开栏 / Villages behind with their boards, and boards due soon."""
        from rich.markup import escape

        from shequ_sdk import cli as climod

        from . import reminders

        s = climod.cli_sdk(db, user)
        try:
            s.readable_region(region)
            with s.reading() as session:
                found = reminders.behind(session, region, period, _as_of(as_of))
        finally:
            s.close()
        if not found["behind"]:
            climod.out.print(escape(f"{region} {period}：各村（社区）均已按时公开 / every village posted on time"), highlight=False)
        for r in found["behind"]:
            state = "未公开 missing" if r["status"] == "missing" else "迟公开 late"
            sent = f"，已催办 {r['reminders']} 次 / reminded {r['reminders']}×" if r["reminders"] else ""
            climod.out.print(escape(f"{r['village']}：{r['boards']} {state}，截止 due {r['due_date']}，逾期 {r['days_overdue']} 天 days"
                                    f"，负责人 responsible {r['responsible'] or '—'}{sent}"), highlight=False)
        for u in found["upcoming"]:
            climod.out.print(escape(f"即将到期 due soon：{u['village']} {u['board']} {u['due_date']}（{u['days_left']} 天后 days）"), highlight=False)

    @app.command("remind")
    def remind_cmd(region: str = typer.Option(..., "--region", help="乡镇 / township whose villages are reminded"),
                   period: str = typer.Option(..., "--period", help="季度 / quarter, e.g. 2010Q4"),
                   village: Optional[list[str]] = typer.Option(None, "--village", help="只催办这些村（可多次）/ only these villages (repeatable)"),
                   note: Optional[str] = typer.Option(None, "--note", help="催办意见 / note"),
                   as_of: Optional[str] = typer.Option(None, "--as-of", help="按哪一天判断并记为催办日期（默认今天）/ the day (default today)"),
                   db: Optional[str] = DbOption, user: Optional[str] = UserOption):
        """催办未按时公开的村（社区），记入审计日志 / Remind the villages behind (audit-logged)."""
        from rich.markup import escape

        from shequ_sdk import cli as climod

        from . import reminders

        day = _as_of(as_of)
        s = climod.cli_sdk(db, user)
        try:
            s.readable_region(region)
            with s.transaction() as session:
                targets = list(village) if village else [r["region_id"] for r in reminders.behind(session, region, period, day)["behind"]]
                if not targets:
                    raise InputError(f"{region} {period} 没有需要催办的村（社区）", f"no village of {region} is behind in {period}")
                ids = reminders.remind(session, s.user, targets, period, note=note, today=day, as_of=day)
        finally:
            s.close()
        climod.out.print(escape(f"已催办 {len(ids)} 个村（社区）/ reminded {len(ids)} villages"), highlight=False)
