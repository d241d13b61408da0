"""``shequ analytics``: the stored indicator cells (:mod:`shequ_sdk.analytics`) — build them all
again, bring the stale ones up to date, or see how many there are."""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Optional

import typer

from .. import cli as climod
from ..cli import DbOption, app

analytics_app = typer.Typer(no_args_is_help=True, help="指标汇总表 / Stored indicator cells")
app.add_typer(analytics_app, name="analytics")


@contextmanager
def _bar(label: str, quiet: bool):
    """``progress(done, total)`` drawn as a bar on stderr (nothing when quiet or not a terminal)."""
    if quiet or not climod.err.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=climod.err.rich, transient=True) as bar:
        task = bar.add_task(label, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _run(db: Optional[str], work, quiet: bool, label: str) -> dict:
    s = climod.cli_sdk(db)
    try:
        with _bar(label, quiet) as progress:
            return work(s, progress)
    finally:
        s.close()


@analytics_app.command("rebuild")
def rebuild_cmd(db: Optional[str] = DbOption, quiet: bool = typer.Option(False, "--quiet", help="不显示进度 / no progress display")):
    """从原始数据重算全部指标汇总 / Recompute every stored indicator cell from the raw tables."""
    start = time.perf_counter()
    done = _run(db, lambda sdk, progress: sdk.rebuild_analytics(progress), quiet, "重算 / rebuilding")
    climod.out.print(f"已重算 {done['periods']} 个期间、{done['parts']} 组指标部分，共 {done['cells']} 个汇总值，用时 {time.perf_counter() - start:.1f} 秒 / "
                     f"rebuilt {done['parts']} part-periods over {done['periods']} periods: {done['cells']} cells in {time.perf_counter() - start:.1f} s",
                     highlight=False, soft_wrap=True)


@analytics_app.command("refresh")
def refresh_cmd(db: Optional[str] = DbOption, quiet: bool = typer.Option(False, "--quiet", help="不显示进度 / no progress display")):
    """更新过期的指标汇总（写入后的，及尚未按今日存储的）/ Recompute the stored cells that writes made stale, and store those not yet stored for today."""
    start = time.perf_counter()
    done = _run(db, lambda sdk, progress: sdk.refresh_analytics(progress), quiet, "更新 / refreshing")
    if not done["marks"] and not done["outdated"]:
        climod.out.print("指标汇总已是最新 / the stored cells are up to date", highlight=False)
        return
    climod.out.print(f"已更新 {done['parts']} 个指标部分，写入 {done['cells']} 个汇总值，用时 {time.perf_counter() - start:.1f} 秒 / "
                     f"refreshed {done['parts']} parts: {done['cells']} cells in {time.perf_counter() - start:.1f} s", highlight=False, soft_wrap=True)


@analytics_app.command("status")
def status_cmd(db: Optional[str] = DbOption):
    """指标汇总的数量与过期情况 / How many cells are stored, and how many parts are stale."""
    from .. import analytics
    from ..db import reading

    s = climod.cli_sdk(db)
    try:
        with reading(s.engine) as session:
            st = analytics.status(session)
    finally:
        s.close()
    if not st["parts"]:
        climod.out.print("尚未建立指标汇总，指标从原始数据现算 / no stored cells yet: every indicator is computed from the raw tables "
                         "(shequ analytics rebuild)", highlight=False, soft_wrap=True)
        return
    climod.out.print(f"{st['periods']} 个期间 · {st['parts']} 个指标部分 · {st['cells']} 个汇总值 · {st['dirty']} 个部分待更新 · "
                     f"{st['outdated']} 个部分待按今日重算 / "
                     f"{st['periods']} periods · {st['parts']} parts · {st['cells']} cells · {st['dirty']} parts stale · "
                     f"{st['outdated']} parts built for an earlier day", highlight=False)
