"""``shequ board``: print a disclosure board (公开栏) as a PDF or HTML poster."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .. import cli as climod
from ..cli import DbOption, UserOption, app


@app.command("board")
def board_cmd(
    region: str = typer.Option(..., "--region", help="村/社区（名称、代码或路径）/ village or community"),
    period: str = typer.Option(..., "--period", help="期间 / period: 2010Q4, 2010-12, 2010"),
    board: str = typer.Option(..., "--board", help="党务、村务、居务、财务，或插件的公开栏（如 党员承诺）/ party, village, residents, finance or a plugin's board"),
    out_path: Path = typer.Option(..., "--out", help="输出文件 .pdf 或 .html / output .pdf or .html"),
    size: str = typer.Option("A3", "--size", help="纸张：A3（默认）、A4、A2…，可加 landscape / paper size"),
    proof: bool = typer.Option(False, "--proof", help="草稿样张：尚未公开的记录，每页印「草稿」/ draft proof of the postings not yet published, watermarked"),
    db: Optional[str] = DbOption,
    user: Optional[str] = UserOption,
):
    """打印公开栏（海报，默认 A3）/ Print a disclosure board as a poster (A3 by default)."""
    from ..boards import write_board

    s = climod.cli_sdk(db, user)
    try:
        path = write_board(s, region=region, period=period, board=board, out=out_path, size=size, proof=proof)
    finally:
        s.close()
    if proof:
        climod.out.print(f"已生成草稿样张 / draft proof written: {path}", highlight=False)
    else:
        climod.out.print(f"已生成公开栏 / board written: {path}", highlight=False)
