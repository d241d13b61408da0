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
        with s.transaction() as session:  # commits the refreshed deadline schedule
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

    cli.add_typer(app, name="finance")


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
