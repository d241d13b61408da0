"""The ``shequ`` command line (typer + rich).

Every user error prints one line, ``错误: 中文 / English``, and exits 2 — never a traceback.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Optional

import typer

from .errors import BatchError, InputError, ShequError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="社区 SDK 命令行 / shequ-sdk command line")


class _Console:
    """A rich Console made on first use: importing rich costs a tenth of a second, which the help
    screen and commands that print nothing through it should not pay."""

    def __init__(self, **options):
        self._options = options
        self._console = None

    @property
    def rich(self):
        """The rich Console itself: what rich's Progress and Live take (they use it as a context
        manager, which a proxy's ``__getattr__`` cannot answer for)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name):
        return getattr(self.rich, name)


out = _Console()
err = _Console(stderr=True)


def escape(text: str) -> str:
    """rich's markup escape, imported when a message is printed."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def Table(*args, **kwargs):  # noqa: N802  rich's Table, imported when a table is printed
    from rich.table import Table as RichTable

    return RichTable(*args, **kwargs)

DbOption = typer.Option(None, "--db", help="数据库文件或 URL / database file or URL (default: $SHEQU_DATABASE_URL or shequ.db)")


def fail(message: str, code: int = 2) -> None:
    # messages quote user input and plugin data: escape them, or "[x]" is taken for markup
    err.print(f"[bold red]错误 / error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


_last_url: Optional[str] = None  # the database a command opened: named when its server stops answering
_warned = False


def warn_failed_plugins() -> None:
    """Print one warning line naming the plugins that failed to load, once per process: a data
    command run without them would otherwise silently miss their tables and indicators."""
    global _warned
    from .plugins import failed_plugins_warning

    line = failed_plugins_warning()
    if line and not _warned:
        _warned = True
        err.print(f"[yellow]警告 / warning:[/] {escape(line)}", highlight=False, soft_wrap=True)


def _open(db, create: bool = False):
    from .api import Shequ
    from .db import resolve_url

    global _last_url
    _last_url = resolve_url(db)
    warn_failed_plugins()
    return Shequ(db, create=create)


UserOption = typer.Option(None, "--user", envvar="SHEQU_USER",
                          help="以该用户身份操作（密码取自 $SHEQU_PASSWORD 或提示输入）/ act as this user (password from $SHEQU_PASSWORD or a prompt)")


def cli_sdk(db, user: Optional[str] = None):
    """The SDK a data command works through: scoped to ``user`` (``--user`` / $SHEQU_USER) once
    the password (``$SHEQU_PASSWORD`` or a hidden prompt) is checked, else the local single user."""
    s = _open(db)
    if not user:
        return s
    password = os.environ.get("SHEQU_PASSWORD")
    try:
        if password is None:
            password = typer.prompt(f"用户 {user} 的密码 / password", hide_input=True, err=True)
        scoped = s.login(user, password)
    except BaseException:
        s.close()
        raise
    scoped._owns_engine = True  # the unscoped object is dropped: closing the scoped one frees the engine
    return scoped


plugins_app = typer.Typer(invoke_without_command=True,
                          help="列出插件；plugins check NAME 按契约检查一个插件 / list plugins; `plugins check NAME` checks one against the contract")
app.add_typer(plugins_app, name="plugins")


@plugins_app.callback()
def plugins_cmd(ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="输出 JSON / print JSON")):
    """列出插件 / List plugins with their contributions and any failures."""
    if ctx.invoked_subcommand is not None:
        return
    from .plugins import registry, state

    reg = registry()
    st = state()
    items = []
    for name, info in st.plugins.items():
        mine = reg.by_plugin(name)
        items.append({
            "name": name, "distribution": info.distribution, "version": info.version, "builtin": info.builtin,
            "association_types": sorted(mine.get("association_types", [])), "tables": sorted(mine.get("tables", [])),
            "indicators": sorted(mine.get("indicators", [])), "rules": sorted(mine.get("rules", [])),
            "settings": sorted(mine.get("settings", [])), "views": sorted(mine.get("views", [])),
            "boards": sorted(mine.get("boards", [])), "status": "failed" if name in st.failures else "ok", "error": st.failures.get(name),
        })
    for name, error in st.failures.items():
        if name not in st.plugins:
            items.append({"name": name, "distribution": None, "version": None, "builtin": False, "association_types": [], "tables": [],
                          "indicators": [], "rules": [], "settings": [], "views": [], "boards": [], "status": "failed", "error": error})
    if as_json:
        print(json.dumps({"plugins": items}, ensure_ascii=False, indent=2))
        return
    t = Table(title="插件 / Plugins")
    for col in ("插件 plugin", "版本 version", "协会类型 types", "数据表 tables", "指标 indicators", "状态 status"):
        t.add_column(col, overflow="fold")  # wrap, never cut: the failure reason is read in logs and pipes too
    for it in items:
        t.add_row(escape(it["name"]), it["version"] or "", "\n".join(it["association_types"]), "\n".join(it["tables"]),
                  "\n".join(it["indicators"]), f"[red]失败 failed: {escape(it['error'])}[/]" if it["error"] else "[green]正常 ok[/]")
    out.print(t)


@plugins_app.command("check")
def plugins_check_cmd(name: str = typer.Argument(..., help="插件名称 / plugin name (as `shequ plugins` lists it)"),
                      db: Optional[str] = typer.Option(None, "--db", help="在此演示数据库上检查（默认临时生成）/ check on this demo database (default: build one)"),
                      as_json: bool = typer.Option(False, "--json", help="输出 JSON / print JSON")):
    """按插件契约检查一个插件 / Check a plugin against the plugin contract; exit 1 on a problem."""
    from .plugin_check import check_plugin

    findings = check_plugin(name, db=db)
    problems = [f for f in findings if not f.ok]
    if as_json:
        print(json.dumps({"plugin": name, "ok": not problems, "findings": [f.__dict__ for f in findings]}, ensure_ascii=False, indent=2))
    else:
        for f in findings:
            mark = "[green]✓ 通过 ok[/]" if f.ok else "[red]✗ 问题 problem[/]"
            out.print(f"{mark} {f.check}: {escape(f.zh)} / {escape(f.en)}", highlight=False, soft_wrap=True)
        if problems:
            out.print(f"插件 {escape(name)} 有 {len(problems)} 个问题 / plugin {escape(name)} has {len(problems)} problem(s)", highlight=False, soft_wrap=True)
        else:
            out.print(f"插件 {escape(name)} 通过契约检查 / plugin {escape(name)} passes the contract check", highlight=False, soft_wrap=True)
    if problems:
        raise typer.Exit(1)


@app.command("init")
def init_cmd(db: Optional[str] = DbOption):
    """创建数据库结构 / Create the database schema (existing tables are kept)."""
    s = _open(db, create=True)
    out.print(f"已初始化 / initialised: {s.url}")
    s.close()


@app.command("demo")
def demo_cmd(db: Optional[str] = typer.Option("demo.db", "--db", help="演示数据库 / demo database"),
             force: bool = typer.Option(False, "--force", help="覆盖已有文件 / replace an existing file")):
    """生成演示数据库（再现原文数字）/ Build the demo database from every plugin's demo data."""
    from .db import is_sqlite, resolve_url

    url = resolve_url(db)
    if is_sqlite(url):
        path = Path(url.split("sqlite:///", 1)[1])
        if path.exists():
            if not force:
                fail(f"{path} 已存在（加 --force 覆盖）/ {path} exists (use --force to replace it)")
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
    s = _open(db, create=True)
    with out.status("正在生成演示数据 / building the demo…"):
        s.build_demo()
    out.print(f"演示数据库已生成 / demo database built: {s.url}")
    s.close()


@app.command("indicators")
def indicators_cmd(
    region: str = typer.Option(..., "--region", help="地区名称、代码或路径 / region name, code or path"),
    period: str = typer.Option(..., "--period", help="期间 / period: 2010, 2010Q4, 2010-12"),
    db: Optional[str] = DbOption,
    as_json: bool = typer.Option(False, "--json", help="输出 JSON / print JSON"),
    lang: str = typer.Option("zh", "--lang", help="zh 或 en"),
    user: Optional[str] = UserOption,
):
    """打印某地区某期间的全部指标 / Print every indicator for a region and period."""
    from .indicators import format_value, json_value
    from .period import Period

    p = Period.parse(period)
    s = cli_sdk(db, user)
    r = s.region(region)
    values = s.indicator_values(r, p)
    s.close()
    if as_json:
        print(json.dumps({k: json_value(v) for k, v in values.items()}, ensure_ascii=False, indent=2))
        return
    reg = s.registry
    t = Table(title=escape(f"{r.name} · {p.label(lang)}"))
    t.add_column("指标 key")
    t.add_column("名称 label")
    t.add_column("值 value", justify="right")
    for key, value in values.items():
        ind = reg.indicators[key]
        t.add_row(key, escape(ind.label(lang)), escape(format_value(ind, value, lang)))
    out.print(t)


@app.command("check")
def check_cmd(db: Optional[str] = DbOption, as_json: bool = typer.Option(False, "--json"), user: Optional[str] = UserOption):
    """运行全部校验规则 / Run every validation rule; exit 1 if any error is found (a user sees their scope only)."""
    s = cli_sdk(db, user)
    try:
        problems = s.check()
    finally:
        s.close()
    errors = [p for p in problems if p.extra.get("severity", "error") == "error"]
    if as_json:
        print(json.dumps([p.as_dict() | {"severity": p.extra.get("severity", "error")} for p in problems], ensure_ascii=False, indent=2))
    else:
        for p in problems:
            tag = "[red]错误 error[/]" if p.extra.get("severity", "error") == "error" else "[yellow]提示 warning[/]"
            out.print(f"{tag} {escape(f'[{p.rule}]')} {escape(str(p))}", highlight=False)
        out.print(f"共 {len(errors)} 个错误、{len(problems) - len(errors)} 个提示 / {len(errors)} errors, {len(problems) - len(errors)} warnings")
    if errors:
        raise typer.Exit(1)


_commands_loaded = False


def _command_names() -> list[str]:
    """The names of the commands and command groups registered on ``app`` so far, in order."""
    names = [info.name or info.callback.__name__.lower().replace("_", "-") for info in app.registered_commands if info.callback]
    return names + [info.name for info in app.registered_groups if info.name]


def load_plugin_commands() -> None:
    """Let plugins add sub-commands (the ``register_commands`` hook), once, and remember their
    names and help for ``shequ --help`` (:mod:`shequ_sdk.cli_cache`)."""
    global _commands_loaded
    if _commands_loaded:
        return
    _commands_loaded = True
    from .plugins import call_each

    before = set(_command_names())
    call_each("register_commands", cli=app)
    added = [name for name in _command_names() if name not in before]
    if getattr(sys, "_shequ_no_entry_points", False):
        return  # a test's own plugin set: not what is installed
    import typer.main

    from . import cli_cache

    group = typer.main.get_command(app)
    cli_cache.save([{"name": name, "help": group.commands[name].get_short_help_str(limit=120)}
                    for name in added if name in group.commands])


def _help_with_remembered_commands(args: list[str]) -> Optional[int]:
    """``shequ`` / ``shequ --help`` without loading the plugins, when their commands are
    remembered for this installation; None when they are not (the caller loads the plugins)."""
    from . import cli_cache

    remembered = cli_cache.load()
    if remembered is None:
        return None
    import typer.main
    from typer.core import TyperCommand

    group = typer.main.get_command(app)
    for item in remembered:
        if item["name"] not in group.commands:
            # listed only: running it goes through main(), which loads the plugins first. Typer's
            # own command class: importing click as well would cost a tenth of a second
            group.add_command(TyperCommand(item["name"], help=item["help"], short_help=item["help"]))
    return group.main(args=args, prog_name="shequ", standalone_mode=False)


def main(argv: Optional[list[str]] = None) -> None:
    """Entry point: run the app, turning every ShequError into one line and exit code 2."""
    args = list(sys.argv[1:] if argv is None else argv) or ["--help"]
    try:
        # only a plugin's command needs the plugins: core commands and the help screen start at once
        name = next((a for a in args if not a.startswith("-")), None)
        code = None
        # `shequ plugins` reports every hook's failure, the command hook's included
        if _commands_loaded or name is not None and (name not in _command_names() or name == "plugins"):
            load_plugin_commands()
        elif name is None and (code := _help_with_remembered_commands(args)) is None:
            load_plugin_commands()
        if name is not None or code is None:
            # without standalone mode click returns a command's typer.Exit code instead of raising it
            code = app(args=args, prog_name="shequ", standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except BatchError as exc:
        err.print(f"[bold red]错误 / error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        for p in exc.problems[1:20]:
            err.print(f"  {escape(str(p))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except ShequError as exc:
        err.print(f"[bold red]错误 / error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("已中断 / interrupted")
        sys.exit(130)
    except Exception as exc:  # click usage errors and the unexpected: still one line
        kind = type(exc).__name__
        if hasattr(exc, "format_message") and kind.endswith(("UsageError", "BadParameter", "NoSuchOption", "MissingParameter", "BadOptionUsage", "BadArgumentUsage")):
            err.print(f"[bold red]错误 / error:[/] 参数有误 / bad arguments: {escape(exc.format_message())}", highlight=False, soft_wrap=True)
            sys.exit(2)
        if kind == "Abort":
            sys.exit(1)
        from sqlalchemy.exc import OperationalError, ProgrammingError

        from .db import is_read_only_error, is_unreachable, read_only_error, unreachable

        if not os.environ.get("SHEQU_DEBUG") and (is_unreachable(exc) or is_read_only_error(exc)):
            if is_read_only_error(exc):
                message = str(read_only_error(_last_url)) if _last_url else "数据库为只读，不能写入 / the database is read-only: writes are refused"
            else:
                message = str(unreachable(_last_url)) if _last_url and "://" in _last_url else "无法连接数据库服务器 / the database server is unreachable"
            err.print(f"[bold red]错误 / error:[/] {escape(message)}", highlight=False, soft_wrap=True)
            sys.exit(2)
        if isinstance(exc, (OperationalError, ProgrammingError)) and not os.environ.get("SHEQU_DEBUG"):
            first = str(exc.orig).splitlines()[0] if getattr(exc, "orig", None) else str(exc).splitlines()[0]
            err.print(f"[bold red]错误 / error:[/] 数据库操作失败（数据库结构可能过旧，可运行 shequ migrate）/ database error (the schema may be out of date; try shequ migrate): {escape(first)}",
                      highlight=False, soft_wrap=True)
            sys.exit(2)
        if os.environ.get("SHEQU_DEBUG"):
            raise
        err.print(f"[bold red]内部错误 / internal error:[/] {type(exc).__name__}: {escape(str(exc))}（设置 SHEQU_DEBUG=1 查看详情 / set SHEQU_DEBUG=1 for details）",
                  highlight=False, soft_wrap=True)
        sys.exit(3)


if __name__ == "__main__":
    main()

from .commands import generate as _generate_command  # noqa: E402,F401  registers `shequ generate`
from .commands import excel as _excel_commands  # noqa: E402,F401  registers `shequ template/import/export/tables`
from .commands import serve as _serve_command  # noqa: E402,F401  registers `shequ serve`
from .commands import board as _board_command  # noqa: E402,F401  registers `shequ board`
from .commands import report as _report_command  # noqa: E402,F401  registers `shequ report`
from .commands import user as _user_commands  # noqa: E402,F401  registers `shequ user add|passwd|list|disable|enable`
from .commands import lock as _lock_commands  # noqa: E402,F401  registers `shequ lock status/grant/revoke`
from .commands import verify as _verify_command  # noqa: E402,F401  registers `shequ verify`
from .commands import migrate as _migrate_commands  # noqa: E402,F401  registers `shequ migrate` and `shequ make-migration`
from .commands import scaffold as _scaffold_command  # noqa: E402,F401  registers `shequ new-plugin`
from .commands import publish as _publish_command  # noqa: E402,F401  registers `shequ publish`
from .commands import config_cmd as _config_commands  # noqa: E402,F401  registers `shequ config set|show`
from .commands import sync as _sync_commands  # noqa: E402,F401  registers `shequ sync export|import|register-key|status` and `shequ village init`
from .commands import regions as _regions_commands  # noqa: E402,F401  registers `shequ regions import-geo`
from .commands import analytics_cmd as _analytics_commands  # noqa: E402,F401  registers `shequ analytics rebuild|refresh|status`
