"""``shequ template`` / ``import`` / ``export`` / ``tables``: spreadsheets in and out (and ``export
--format parquet``: every table as partitioned Parquet, see shequ_sdk.parquet).

Every registered record table works through the same commands; see docs/spreadsheets.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from .. import cli as climod
from ..cli import DbOption, Table, UserOption, app

_SHOW_DEFAULT = 200


@app.command("template")
def template_cmd(
    table: str = typer.Option(..., "--table", help="数据表（键或中文名，见 shequ tables）/ table key or Chinese label"),
    region: str = typer.Option(..., "--region", help="村/社区（名称、代码或路径）/ region name, code or path"),
    period: str = typer.Option(..., "--period", help="期间 / period: 2010, 2010Q4, 2010-12"),
    out_path: Path = typer.Option(..., "--out", help="输出的 .xlsx 文件 / output .xlsx file"),
    db: Optional[str] = DbOption,
    user: Optional[str] = UserOption,
    blank_rows: int = typer.Option(200, "--blank-rows", help="预留的空行数（带下拉框）/ empty rows with dropdowns"),
):
    """生成填报模板 / Write a fill-in template (.xlsx) with the region's existing rows."""
    from ..spreadsheets import write_template_for

    if out_path.suffix.lower() != ".xlsx":
        climod.fail(f"模板只能保存为 .xlsx：{out_path} / a template is an .xlsx file: {out_path}")
    s = climod.cli_sdk(db, user)
    try:
        path = write_template_for(s, table, region=region, period=period, out=out_path, blank_rows=blank_rows)
    finally:
        s.close()
    climod.out.print(f"已生成模板 / template written: {path}", highlight=False)


@app.command("import")
def import_cmd(
    file: Path = typer.Argument(..., help=".xlsx、.xls、.ods 或 CSV 文件 / an .xlsx, .xls, .ods or CSV file"),
    db: Optional[str] = DbOption,
    user: Optional[str] = UserOption,
    dry_run: bool = typer.Option(False, "--dry-run", help="只检查并列出将新增/修改/不变的行，不写入 / check and list, write nothing"),
    table: Optional[str] = typer.Option(None, "--table", help="数据表（默认按模板或表头识别）/ table (default: from the template or headers)"),
    region: Optional[str] = typer.Option(None, "--region", help="文件未写地区时使用的地区 / region for rows without one"),
    period: Optional[str] = typer.Option(None, "--period", help="文件未写期间时使用的期间 / period for rows without one"),
    report_xlsx: Optional[Path] = typer.Option(None, "--report-xlsx", help="写出标注问题的副本 / write an annotated copy"),
    max_bytes: Optional[int] = typer.Option(None, "--max-bytes", help="文件大小上限（字节）/ size limit in bytes"),
    append: bool = typer.Option(False, "--append", help="允许导入没有自然键的数据表（只追加）/ allow tables without a natural key"),
    show: int = typer.Option(_SHOW_DEFAULT, "--show", help="试运行时每类最多列出的行数 / rows listed per kind in a dry run"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON / print JSON"),
    hidden_rows: str = typer.Option("refuse", "--hidden-rows", help="隐藏的行：refuse 拒绝（默认）、skip 跳过、include 照常导入 / hidden rows: refuse, skip or include"),
    hidden_columns: str = typer.Option("refuse", "--hidden-columns", help="隐藏的列：refuse 拒绝（默认）、skip 跳过、include 照常导入 / hidden columns: refuse, skip or include"),
):
    """导入 .xlsx / .xls / .ods / CSV：整份文件校验通过才写入 / Import a spreadsheet; nothing is written unless all of it is valid."""
    from ..spreadsheets import import_file

    s = climod.cli_sdk(db, user)
    try:
        result = import_file(s, file, table=table, region=region, period=period, dry_run=dry_run, max_bytes=max_bytes,
                             append=append, report_xlsx=report_xlsx, hidden_rows=hidden_rows, hidden_columns=hidden_columns)
    finally:
        s.close()
    if as_json:
        print(json.dumps({
            "ok": result.ok, "dry_run": result.dry_run, "written": result.written, "summary": result.summary(),
            "new": result.new, "changed": result.changed, "unchanged": result.unchanged,
            "sheets": [vars(x) for x in result.sheets], "skipped_sheets": result.skipped_sheets, "totals": result.totals,
            "hidden": result.hidden, "problems": [p.as_dict() | {"column": p.extra.get("column")} for p in result.problems],
            "plan": [{"sheet": r.sheet, "row": r.row, "table": r.table, "action": r.action, "key": r.key,
                      "changes": [[c, str(o), str(n)] for c, o, n in r.changes]} for r in result.plan] if dry_run else [],
        }, ensure_ascii=False, indent=2, default=str))
        if not result.ok:
            raise typer.Exit(2)
        return
    if not result.ok:
        climod.err.print(f"[bold red]错误 / error:[/] {result.summary()}", highlight=False, soft_wrap=True)
        for line in result.report_lines():
            climod.err.print(f"  {line}", highlight=False, soft_wrap=True, markup=False)
        if report_xlsx is not None:
            climod.err.print(f"已写出标注问题的副本 / annotated copy: {report_xlsx}", highlight=False)
        raise typer.Exit(2)
    if dry_run:
        for action, title in (("new", "新增 / new"), ("changed", "修改 / changed"), ("unchanged", "不变 / unchanged")):
            rows = [r for r in result.plan if r.action == action]
            if not rows:
                continue
            climod.out.print(f"[bold]{title}：{len(rows)} 行[/]", highlight=False)
            for r in rows[:show]:
                climod.out.print(f"  {r.text()}", highlight=False, markup=False, soft_wrap=True)
            if len(rows) > show:
                climod.out.print(f"  … 另有 {len(rows) - show} 行 / {len(rows) - show} more (--show)", highlight=False)
    for line in result.notes():
        climod.out.print(line, highlight=False, soft_wrap=True, markup=False)
    climod.out.print(result.summary(), highlight=False, soft_wrap=True)
    if report_xlsx is not None:
        climod.out.print(f"检查报告 / report: {report_xlsx}", highlight=False)


@app.command("export")
def export_cmd(
    table: Optional[str] = typer.Option(None, "--table", help="数据表（键或中文名）/ table key or Chinese label"),
    db: Optional[str] = DbOption,
    user: Optional[str] = UserOption,
    region: Optional[str] = typer.Option(None, "--region", help="地区及其下级 / a region and everything below it"),
    period: Optional[str] = typer.Option(None, "--period", help="期间 / period"),
    fmt: str = typer.Option("xlsx", "--format", help="xlsx、csv 或 parquet / xlsx, csv or parquet"),
    out_path: Optional[Path] = typer.Option(None, "--out", help="输出文件（CSV 可省略，写到标准输出；parquet 为目录）/ output file (CSV: stdout if omitted; parquet: a directory)"),
    encoding: str = typer.Option("utf-8-sig", "--encoding", help="CSV 编码：utf-8-sig（默认）或 gb18030"),
    tables: Optional[str] = typer.Option(None, "--tables", help="parquet：逗号分隔的数据表（默认全部，含 region 与 indicator_values）/ parquet: comma-separated tables (default: all)"),
    years: Optional[str] = typer.Option(None, "--years", help="parquet：只导出这些年份（如 2020、2019-2020）/ parquet: only these years (e.g. 2020, 2019-2020)"),
    incremental: bool = typer.Option(False, "--incremental", help="parquet：只重写内容有变化的分区 / parquet: rewrite only partitions whose content changed"),
    unmasked: bool = typer.Option(False, "--unmasked", help="parquet：角色允许的敏感列导出明文 / parquet: sensitive columns the role may read, in clear"),
    lang: str = typer.Option("zh", "--lang", help="parquet：选项文字的语言 zh 或 en / parquet: language of choice labels"),
    quiet: bool = typer.Option(False, "--quiet", help="parquet：不显示进度 / parquet: no progress bar"),
):
    """导出数据表：中文表头、选项文字、金额（元）、敏感信息打码、防公式注入；或全部数据表导出为 Parquet（按县、年分区）/ Export a table, masked and formula-safe; or every table as partitioned Parquet."""
    fmt = fmt.lower()
    if fmt not in ("xlsx", "csv", "parquet"):
        climod.fail(f"不支持的格式 {fmt!r}（可用 xlsx、csv、parquet）/ unsupported format {fmt!r} (xlsx, csv or parquet)")
    if fmt == "parquet":
        _export_parquet(db, user, region, period, table, tables, years, out_path, incremental, unmasked, lang, quiet)
        return
    from ..spreadsheets import export_bytes

    if table is None:
        climod.fail("导出 xlsx/csv 需要 --table / --table is needed for xlsx and csv")
    for name, given in (("--tables", tables), ("--years", years), ("--incremental", incremental), ("--unmasked", unmasked)):
        if given:
            climod.fail(f"{name} 只用于 --format parquet / {name} only applies to --format parquet")
    if encoding.lower() not in ("utf-8-sig", "utf-8", "gb18030", "gbk"):
        climod.fail(f"不支持的编码 {encoding!r} / unsupported encoding {encoding!r}")
    if out_path is None and fmt == "xlsx":
        climod.fail("导出 xlsx 需要 --out / --out is needed for xlsx")
    s = climod.cli_sdk(db, user)
    try:
        data = export_bytes(s, table, region=region, period=period, fmt=fmt, encoding=encoding)
    finally:
        s.close()
    if out_path is None:
        raw = getattr(sys.stdout, "buffer", None)
        if raw is not None:  # the bytes as encoded, BOM included, so `> file.csv` opens in Excel
            sys.stdout.flush()
            raw.write(data)
            raw.flush()
        else:
            sys.stdout.write(data.decode(encoding))
        return
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_bytes(data)
    climod.out.print(f"已导出 / exported: {out_path}", highlight=False)


def _export_parquet(db, user, region, period, table, tables, years, out_path, incremental, unmasked, lang, quiet) -> None:
    """``shequ export --format parquet``: every table and the indicator values, partitioned by
    county and year, with a progress bar (see shequ_sdk.parquet)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    if out_path is None:
        climod.fail("导出 parquet 需要 --out 目录 / --out DIR is needed for parquet")
    if period is not None:
        climod.fail("parquet 导出按年分区，请用 --years 选年份，不用 --period / a parquet export is partitioned by year: choose years with --years, not --period")
    if table is not None and tables is not None:
        climod.fail("--table 与 --tables 只能给一个 / give --table or --tables, not both")
    s = climod.cli_sdk(db, user)
    try:
        # the bar starts with the first finished step, after the arguments were checked: a refused
        # export prints its one error line and nothing else
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        bar = Progress(*columns, console=climod.err.rich, transient=False)
        task = None

        def progress(done: int, total: int, what: str) -> None:
            nonlocal task
            if task is None:
                bar.start()
                task = bar.add_task("", total=total)
            bar.update(task, completed=done, total=total, description=f"导出 / exporting {what}")

        try:
            report = s.export_parquet(out_path, regions=region, tables=tables or table, years=years, incremental=incremental, lang=lang,
                                      unmasked=unmasked, progress=None if quiet else progress)
        finally:
            if task is not None:
                bar.stop()
    finally:
        s.close()
    rows = sum(report.rows.values())
    climod.out.print(
        f"已导出 / exported: {out_path} · {len(report.rows)} 张表 tables · {rows:,} 行 rows · "
        f"写入 written {len(report.written)} · 未变 unchanged {len(report.unchanged)} · 删除 removed {len(report.removed)} 个分区 partitions"
        f"（{report.seconds:.1f} s）", highlight=False, soft_wrap=True)


@app.command("tables")
def tables_cmd(
    as_json: bool = typer.Option(False, "--json", help="输出 JSON / print JSON"),
    markdown: bool = typer.Option(False, "--markdown", help="输出 Markdown 表格（用于文档）/ print a Markdown table"),
):
    """列出数据表及其自然键（导入时识别同一记录的列）/ List tables and their natural keys."""
    from ..spreadsheets import table_catalogue

    items = table_catalogue()
    if as_json:
        print(json.dumps(items, ensure_ascii=False, indent=2))
        return
    if markdown:
        print(catalogue_markdown(items))
        return
    t = Table(title="数据表 / Tables")
    for col in ("键 key", "名称 label", "插件 plugin", "层级 level", "自然键 natural key", "期间 time"):
        t.add_column(col)
    for it in items:
        t.add_row(it["key"], it["label_zh"], it["plugin"] or "", it["level"], "、".join(it["natural_key_zh"]) or "无（只能追加）",
                  it["date_field"] or (f"{it['period_field']} ({it['period_kind']})" if it["period_field"] else ""))
    climod.out.print(t)


def catalogue_markdown(items: list[dict]) -> str:
    lines = ["| 表 key | 名称 | 插件 | 层级 | 自然键（表头） | 自然键（字段） | 时间列 |", "|---|---|---|---|---|---|---|"]
    for it in items:
        time_col = it["date_field"] or (f"{it['period_field']}（{it['period_kind']}）" if it["period_field"] else "—")
        lines.append(f"| `{it['key']}` | {it['label_zh']} | {it['plugin'] or ''} | {it['level']} | "
                     f"{'、'.join(it['natural_key_zh']) or '无（只能 --append）'} | {', '.join(it['natural_key']) or '—'} | {time_col} |")
    return "\n".join(lines)
