"""``shequ migrate``: upgrade a database's schema in place; ``shequ make-migration``: write a
plugin's next revision (see ``shequ_sdk.migrations``)."""

from __future__ import annotations

from typing import Optional

import typer

from .. import cli as climod
from ..cli import DbOption, app, escape


@app.command("migrate")
def migrate_cmd(
    db: Optional[str] = DbOption,
    dry_run: bool = typer.Option(False, "--dry-run", help="只列出将执行的迁移 / only list the revisions that would run"),
):
    """升级数据库结构（核心与各插件）/ Upgrade the database schema in place (core and every plugin)."""
    from ..migrations import upgrade

    climod.warn_failed_plugins()  # a plugin that failed to load has its branch left out
    result = upgrade(db, dry_run=dry_run)
    say = climod.out.print
    if result.stamped:
        done = ("将按初始版本登记 / would be stamped at the baseline" if dry_run else "已按初始版本登记 / stamped at the baseline")
        say(f"迁移功能之前的数据库，{done}: {', '.join(result.stamped)}", highlight=False, soft_wrap=True)
    if not result.applied:
        say("已是最新 / up to date", highlight=False)
        return
    if result.backup is not None:
        say(f"已备份 / backed up to: {result.backup}", highlight=False, soft_wrap=True)
    verb = "将执行 / would apply" if dry_run else "已执行 / applied"
    for a in result.applied:
        say(f"{verb}: {escape(a.revision)} ({escape(a.branch)}) {escape(a.doc)}", highlight=False, soft_wrap=True)
    if dry_run:
        say(f"共 {len(result.applied)} 个迁移未执行（--dry-run）/ {len(result.applied)} revisions pending (dry run)", highlight=False)
    else:
        say(f"完成，共 {len(result.applied)} 个迁移，用时 {result.seconds:.1f} 秒 / done: {len(result.applied)} revisions in {result.seconds:.1f} s",
            highlight=False)


@app.command("make-migration")
def make_migration_cmd(
    branch: str = typer.Option(..., "--branch", help="迁移分支：插件名或 shequ_core / branch: the plugin's name or shequ_core"),
    message: str = typer.Option(..., "-m", "--message", help="说明 / what the revision changes"),
):
    """按模型与现有迁移的差异生成下一个迁移文件（插件开发者用）/ Write a branch's next revision from its models (for plugin authors)."""
    from ..migrations import new_revision

    path = new_revision(branch, message)
    if path is None:
        climod.out.print(f"分支 {escape(branch)} 的模型与迁移一致，无需新迁移 / branch {escape(branch)} needs no new revision", highlight=False)
        return
    climod.out.print(f"已生成 / written: {path}（请检查后提交 / read it before committing）", highlight=False, soft_wrap=True)
