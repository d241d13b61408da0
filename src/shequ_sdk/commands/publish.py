"""``shequ publish``: the public portal (村务公开) as a static site — put it on any web host or a USB stick."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .. import cli as climod
from ..cli import DbOption, app


@app.command("publish")
def publish_cmd(
    out: Path = typer.Option(..., "--out", help="输出目录 / output directory"),
    db: Optional[str] = DbOption,
    region: Optional[str] = typer.Option(None, "--region", help="只发布这个县（市、区）/ only this county"),
    quiet: bool = typer.Option(False, "--quiet", help="不显示进度条 / no progress bar"),
):
    """发布村务公开静态网站 / Write the public disclosure pages as a static site (incremental, with manifest.json)."""
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from sqlmodel import Session

    from ..public import publish_site

    s = climod._open(db)
    try:
        with Session(s.engine) as session:
            if quiet:
                report = publish_site(session, out, county=region)
            else:
                columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
                with Progress(*columns, console=climod.err.rich, transient=False) as progress:
                    task = progress.add_task("生成页面 / pages", total=None)
                    report = publish_site(session, out, county=region,
                                          progress=lambda done, total: progress.update(task, completed=done, total=total))
    finally:
        s.close()
    climod.out.print(escape(f"已发布 / published: {report.out}：共 {report.pages} 页，改写 {report.written}，未变 {report.unchanged}，"
                            f"删除 {report.removed}；指纹 {report.fingerprints} 个（manifest.json）/ {report.pages} pages, "
                            f"{report.written} written, {report.unchanged} unchanged, {report.removed} removed"), highlight=False)
