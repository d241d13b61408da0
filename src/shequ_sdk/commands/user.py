"""``shequ user add|passwd|list|disable|enable``: the people who sign in to the served apps and
act with ``--user`` on data commands. Passwords are kept as argon2id hashes only."""

from __future__ import annotations

import json
import sys
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

from .. import cli as climod
from ..cli import DbOption, app

user_app = typer.Typer(no_args_is_help=True, help="用户管理 / Manage users (roles, scope, passwords)")
app.add_typer(user_app, name="user")

PasswordStdin = typer.Option(False, "--password-stdin", help="从标准输入读取密码（一行，供脚本使用）/ read the password from stdin (one line, for scripts)")


def _password(name: str, from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            climod.fail("标准输入中没有密码 / no password on stdin")
        return line.rstrip("\r\n")
    return typer.prompt(f"用户 {name} 的新密码 / new password", hide_input=True, confirmation_prompt=True, err=True)


def _users_db(db):
    # the shequ_user table comes with the schema (migration shequ_core_0002 for older databases)
    return climod._open(db)


@user_app.command("add")
def add_cmd(
    name: str = typer.Argument(..., help="用户名 / username"),
    role: str = typer.Option(..., "--role", help="角色 / role: admin, township, village, reviewer, analyst"),
    region: Optional[str] = typer.Option(None, "--region", help="所属乡镇（township）或村/社区（village、reviewer）/ scope region"),
    display_name: str = typer.Option("", "--display-name", help="姓名 / display name"),
    password_stdin: bool = PasswordStdin,
    db: Optional[str] = DbOption,
):
    """添加用户 / Add a user (password from a hidden prompt, or --password-stdin)."""
    from ..auth import ROLES, add_user, check_role, scope_for

    s = _users_db(db)
    try:
        with s.transaction() as session:  # region and role are checked before the password is asked
            check_role(role)
            scope_for(session, role, region)
        password = _password(name, password_stdin)
        with s.transaction() as session:
            add_user(session, name, role=role, password=password, region=region, display_name=display_name)
    finally:
        s.close()
    zh, en = ROLES[role]
    where = f"，范围 {region}" if region else ""
    climod.out.print(f"已添加用户 / user added: {escape(name)}（{zh} / {en}{escape(where)}）", highlight=False)


@user_app.command("passwd")
def passwd_cmd(name: str = typer.Argument(..., help="用户名 / username"), password_stdin: bool = PasswordStdin, db: Optional[str] = DbOption):
    """修改密码（并解除失败锁定）/ Set a user's password (and lift a lock from failed logins)."""
    from ..auth import get_user, set_password

    s = _users_db(db)
    try:
        with s.transaction() as session:
            get_user(session, name)  # an unknown user is reported before the prompt
        password = _password(name, password_stdin)
        with s.transaction() as session:
            set_password(session, name, password)
    finally:
        s.close()
    climod.out.print(f"已修改密码 / password changed: {escape(name)}", highlight=False)


def _set_disabled(name: str, db, disabled: bool) -> None:
    from ..auth import set_disabled

    s = _users_db(db)
    try:
        with s.transaction() as session:
            set_disabled(session, name, disabled)
    finally:
        s.close()


@user_app.command("disable")
def disable_cmd(name: str = typer.Argument(..., help="用户名 / username"), db: Optional[str] = DbOption):
    """停用用户（不能再登录）/ Disable a user: no more logins."""
    _set_disabled(name, db, True)
    climod.out.print(f"已停用 / disabled: {escape(name)}", highlight=False)


@user_app.command("enable")
def enable_cmd(name: str = typer.Argument(..., help="用户名 / username"), db: Optional[str] = DbOption):
    """重新启用用户 / Enable a disabled user again."""
    _set_disabled(name, db, False)
    climod.out.print(f"已启用 / enabled: {escape(name)}", highlight=False)


@user_app.command("list")
def list_cmd(db: Optional[str] = DbOption, as_json: bool = typer.Option(False, "--json", help="输出 JSON / print JSON")):
    """列出用户（不含密码）/ List users (never their passwords)."""
    from ..auth import list_users

    s = _users_db(db)
    try:
        with s.transaction() as session:
            users = list_users(session)
    finally:
        s.close()
    if as_json:
        print(json.dumps(users, ensure_ascii=False, indent=2))
        return
    t = Table(title="用户 / Users")
    for col in ("用户名 username", "姓名 name", "角色 role", "范围 region", "状态 status"):
        t.add_column(col)
    for u in users:
        status = "[red]已停用 disabled[/]" if u["disabled"] else (f"[yellow]锁定至 locked until {u['locked_until']}[/]" if u["locked_until"] else "[green]正常 active[/]")
        t.add_row(escape(u["username"]), escape(u["display_name"] or ""), f"{u['role_label']} {u['role']}", escape(u["region"] or "—"), status)
    climod.out.print(t)
