"""``shequ generate``: a synthetic county through every installed plugin's ``populate`` hook.

Shows a progress bar per plugin and stage (the SDK reports each plugin's start and end; a
plugin may report its own stages through ``ctx.progress``), then the rows written per table.
The whole county is written in one transaction: an interrupted or failed run leaves nothing
behind (a SQLite file it created is removed again).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Optional

import typer

from .. import cli as climod
from ..cli import app
from ..generate_options import PLUGIN_END, PLUGIN_START, GenerateOptions

_DEFAULTS = GenerateOptions()


class ProgressDisplay:
    """Turns ``progress(plugin, stage, done, total)`` calls into rich progress bars."""

    def __init__(self, progress):  # a rich.progress.Progress
        self.progress = progress
        self.plugin_tasks: dict[str, int] = {}
        self.stage_tasks: dict[tuple[str, str], int] = {}
        self.started: dict[str, float] = {}

    def __call__(self, plugin: str, stage: str, done: int, total: int) -> None:
        p = self.progress
        if stage == PLUGIN_START:
            self.started[plugin] = time.perf_counter()
            self.plugin_tasks[plugin] = p.add_task(f"[bold]{plugin}[/]", total=None)
            return
        if stage == PLUGIN_END:
            task = self.plugin_tasks.get(plugin)
            seconds = time.perf_counter() - self.started.get(plugin, time.perf_counter())
            if task is not None:
                p.update(task, description=f"[bold green]{plugin}[/] 完成 done ({seconds:.1f} s)", total=1, completed=1)
            tasks = {t.id: t for t in p.tasks}
            for (owner, _stage), stage_task in self.stage_tasks.items():
                t = tasks.get(stage_task)
                if owner == plugin and t is not None and t.total is not None:
                    p.update(stage_task, completed=t.total)
            return
        key = (plugin, stage)
        if key not in self.stage_tasks:
            self.stage_tasks[key] = p.add_task(f"  {plugin} · {stage}", total=total or None)
        p.update(self.stage_tasks[key], completed=done, total=total or None)


def _prepare_target(url: str, force: bool) -> Optional[Path]:
    """Refuse to overwrite data unless ``force``; return the SQLite file this run creates."""
    from ..db import all_tables, has_schema, is_sqlite, make_engine

    if is_sqlite(url):
        path = Path(url.split("sqlite:///", 1)[1])
        if path.exists():
            if not force:
                climod.fail(f"{path} 已存在，不会覆盖（加 --force 替换）/ {path} exists and will not be overwritten (use --force to replace it)")
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
        return path
    from sqlalchemy import select
    from sqlmodel import Session, SQLModel

    from ..models import Region

    engine = make_engine(url)
    try:
        if has_schema(engine):
            with Session(engine) as s:
                holds_data = s.execute(select(Region.id).limit(1)).first() is not None
            if holds_data and not force:
                climod.fail(f"数据库 {url} 已有数据，不会覆盖（加 --force 删除 shequ 数据表后重建）/ "
                            f"{url} already holds data and will not be overwritten (use --force to drop the shequ tables and rebuild)")
            if holds_data:
                SQLModel.metadata.drop_all(engine, tables=all_tables())
    finally:
        engine.dispose()
    return None


def _remove(path: Optional[Path]) -> None:
    if path is None:
        return
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)


@app.command("generate")
def generate_cmd(
    db: str = typer.Option(..., "--db", help="目标数据库文件或 URL / target database file or URL"),
    townships: int = typer.Option(_DEFAULTS.townships, "--townships", min=1, max=499, help="乡镇数 / townships"),
    villages_per_township: int = typer.Option(_DEFAULTS.villages_per_township, "--villages-per-township", min=1, max=799,
                                              help="每个乡镇的村/社区数 / villages per township"),
    households_per_village: int = typer.Option(_DEFAULTS.households_per_village, "--households-per-village", min=1, max=10_000,
                                               help="每村平均户数 / households per village (mean)"),
    years: int = typer.Option(_DEFAULTS.years, "--years", min=1, max=50, help="年数 / years of records"),
    last_year: int = typer.Option(_DEFAULTS.last_year, "--last-year", min=1950, max=2100, help="最后一年 / last year of records"),
    seed: int = typer.Option(_DEFAULTS.seed, "--seed", help="随机种子：同一种子生成同一数据库 / seed: the same seed gives the same database"),
    county: str = typer.Option(_DEFAULTS.county, "--county", help="县名称 / the county's name"),
    county_code: str = typer.Option(_DEFAULTS.county_code, "--county-code", help="县的 6 位区划代码 / the county's 6-digit region code"),
    add: bool = typer.Option(False, "--add", help="在已有数据旁再加一个县（另起 --county、--county-code，最好另选 --seed）/ "
                                                  "add the county beside those already in the database (own --county, --county-code; usually another --seed)"),
    force: bool = typer.Option(False, "--force", help="替换已有数据库 / replace an existing database"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON 摘要 / print a JSON summary"),
    quiet: bool = typer.Option(False, "--quiet", help="不显示进度 / no progress display"),
    cells: bool = typer.Option(True, "--cells/--no-cells", help="同时建立指标汇总（默认）/ build the stored indicator cells too (default)"),
):
    """生成模拟县数据库（全部插件）/ Generate a synthetic county with every installed plugin."""
    from ..api import Shequ
    from ..db import resolve_url
    from ..plugins import registry, state

    url = resolve_url(db)
    if add and force:
        climod.fail("--add 与 --force 不能同时使用 / --add and --force exclude each other")
    created = None if add else _prepare_target(url, force)
    options = GenerateOptions(townships=townships, villages_per_township=villages_per_township,
                              households_per_village=households_per_village, years=years, seed=seed, last_year=last_year,
                              county=county, county_code=county_code)
    sdk = None
    try:
        climod.warn_failed_plugins()
        sdk = Shequ(url, create=not add)
        if quiet or as_json:
            report = sdk.generate(options, add=add, cells=cells)
        else:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
            with Progress(*columns, console=climod.err.rich, transient=False) as progress:
                report = sdk.generate(options, progress=ProgressDisplay(progress), add=add, cells=cells)
        counts = sdk.row_counts()
    except BaseException:
        if sdk is not None:
            sdk.close()
        _remove(created)  # nothing was committed; leave no half-made file behind
        raise
    sdk.close()

    reg = registry()
    plugins = [name for name in report.plugins]
    if as_json:
        print(json.dumps({
            "db": url, "seconds": round(report.seconds, 3), "plugins": {k: round(v, 3) for k, v in report.plugins.items()},
            "failed_plugins": dict(state().failures), "rows": counts, "total_rows": sum(counts.values()),
            "options": {"townships": townships, "villages_per_township": villages_per_township,
                        "households_per_village": households_per_village, "years": years, "last_year": last_year, "seed": seed,
                        "county": county, "county_code": county_code, "add": add},
        }, ensure_ascii=False))
        return
    from rich.table import Table

    t = Table(title=f"{county} / synthetic county · {url}")
    t.add_column("数据表 table")
    t.add_column("名称 label")
    t.add_column("插件 plugin")
    t.add_column("行数 rows", justify="right")
    t.add_row("region", "地区 / Regions", "core", f"{counts.get('region', 0):,}")
    for key, rt in reg.tables.items():
        t.add_row(key, f"{rt.label_zh} / {rt.label_en}", reg.owner.get(("tables", key), ""), f"{counts.get(key, 0):,}")
    t.add_row("[bold]合计 total[/]", "", "", f"[bold]{sum(counts.values()):,}[/]")
    climod.out.print(t)
    timing = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in report.plugins.items())
    climod.out.print(f"用时 / took {report.seconds:.1f} s（{timing}）；插件 / plugins: {', '.join(plugins)}", highlight=False, soft_wrap=True)
    failures = state().failures
    if failures:
        climod.out.print(f"[yellow]未加载的插件 / plugins not loaded: {', '.join(f'{k} ({v})' for k, v in failures.items())}[/]",
                         highlight=False, soft_wrap=True)
