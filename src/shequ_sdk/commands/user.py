"""``shequ user add|passwd|list|disable|enable|role|sessions|logout``: the people who sign in to
the served apps and act with ``--user`` on data commands. Passwords are kept as argon2id hashes
only. Every change to a user is audited; a password, role or scope change, disabling and
``logout`` end every session of the user at once (open browser tabs and API sessions)."""

from __future__ import annotations

import json
import sys
from typing import Optional

import typer

from .. import cli as climod
from ..cli import DbOption, Table, app, escape

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
    """修改密码（解除失败锁定，并结束该用户的所有登录）/ Set a user's password (lifts a lock from failed logins, ends all their sessions)."""
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
    """停用用户（不能再登录，已打开的页面立即失效）/ Disable a user: no more logins, open sessions end at once."""
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


@user_app.command("role")
def role_cmd(
    name: str = typer.Argument(..., help="用户名 / username"),
    role: Optional[str] = typer.Option(None, "--role", help="新角色 / new role: admin, township, village, reviewer, analyst"),
    region: Optional[str] = typer.Option(None, "--region", help="新的所属地区 / new scope region"),
    display_name: Optional[str] = typer.Option(None, "--display-name", help="姓名 / display name"),
    db: Optional[str] = DbOption,
):
    """修改角色、范围或姓名（角色或范围变更会结束该用户的所有登录）/ Change a user's role, scope or name (a role or scope change ends all their sessions)."""
    from ..auth import ROLES, set_role

    if role is None and region is None and display_name is None:
        climod.fail("请至少给出 --role、--region 或 --display-name 之一 / give --role, --region or --display-name")
    s = _users_db(db)
    try:
        with s.transaction() as session:
            user = set_role(session, name, role=role, region=region, display_name=display_name)
            where = f"，范围 {_region_label(session, user.region_id)}" if user.region_id is not None else ""
            zh, en = ROLES[user.role]
    finally:
        s.close()
    climod.out.print(f"已修改 / changed: {escape(name)}（{zh} / {en}{escape(where)}）", highlight=False)


def _region_label(session, region_id) -> str:
    from ..models import Region

    region = session.get(Region, region_id)
    return region.name if region is not None else str(region_id)


@user_app.command("sessions")
def sessions_cmd(
    name: Optional[str] = typer.Argument(None, help="用户名（省略则列出所有用户）/ username (all users if omitted)"),
    show_all: bool = typer.Option(False, "--all", help="包括已结束的登录 / include ended sessions"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON / print JSON"),
    db: Optional[str] = DbOption,
):
    """列出登录会话（网页与接口）/ List sign-in sessions (browser and API)."""
    from ..auth import REVOKE_REASONS, list_sessions

    s = _users_db(db)
    try:
        with s.transaction() as session:
            rows = list_sessions(session, name, live_only=not show_all)
    finally:
        s.close()
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    t = Table(title="登录会话 / Sessions")
    for col in ("用户名 username", "类型 kind", "登录 created (UTC)", "最近 last seen", "过期 expires", "地址 address", "状态 status"):
        t.add_column(col)
    for r in rows:
        reason = REVOKE_REASONS.get(r["revoked_reason"] or "", (r["revoked_reason"] or "", r["revoked_reason"] or ""))
        status = "[green]有效 live[/]" if r["live"] else (f"[red]已结束 ended: {reason[0]} / {reason[1]}[/]" if r["revoked_at"] else "[yellow]已过期 expired[/]")
        t.add_row(escape(r["username"]), r["kind"], r["created_at"] or "", r["last_seen_at"] or "", r["expires_at"] or "",
                  escape(r["address"] or "—"), status)
    climod.out.print(t)


@user_app.command("logout")
def logout_cmd(name: str = typer.Argument(..., help="用户名 / username"), db: Optional[str] = DbOption):
    """结束该用户的所有登录（打开的网页与接口会话）/ End every session of a user (open pages and API sessions)."""
    from ..auth import logout_user

    s = _users_db(db)
    try:
        with s.transaction() as session:
            n = logout_user(session, name)
    finally:
        s.close()
    climod.out.print(f"已结束 {n} 个登录 / ended {n} session(s): {escape(name)}", highlight=False)
