"""``shequ report``: the township dashboard of an area and period as an A4 PDF."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .. import cli as climod
from ..cli import DbOption, UserOption, app


@app.command("report")
def report_cmd(
    area: str = typer.Option(..., "--area", help="县或乡镇（名称、代码或路径）/ county or township"),
    period: str = typer.Option(..., "--period", help="期间 / period: 2010, 2010Q4, 2010-12"),
    out_path: Path = typer.Option(..., "--out", help="输出文件 .pdf / output .pdf"),
    lang: str = typer.Option("zh", "--lang", help="zh（默认）或 en / zh (default) or en"),
    db: Optional[str] = DbOption,
    user: Optional[str] = UserOption,
):
    """乡镇看板导出为 A4 PDF / The township dashboard of an area and period as an A4 PDF."""
    from ..report import write_report

    s = climod.cli_sdk(db, user)
    try:
        climod.err.print(f"正在生成 {climod.escape(area)} {climod.escape(period)} 的看板 PDF… / building the dashboard PDF…", highlight=False)
        path = write_report(s, region=area, period=period, out=out_path, lang=lang)
    finally:
        s.close()
    climod.out.print(f"已生成看板 PDF / dashboard written: {path}", highlight=False)
