"""``shequ config``: show and set the registered settings (per county, township or village)."""

from __future__ import annotations

import json
from typing import Optional

import typer

from .. import cli as climod
from ..cli import DbOption, UserOption, app

config_app = typer.Typer(no_args_is_help=True, help="配置项：查看与设置（可按县、乡镇、村覆盖）/ settings: show and set (per county, township or village)")
app.add_typer(config_app, name="config")


def _value(text: str, default):
    """The command line's text as the setting's type (its default's)."""
    from ..errors import InputError

    if isinstance(default, bool):
        if text.lower() in ("true", "1", "是", "yes"):
            return True
        if text.lower() in ("false", "0", "否", "no"):
            return False
        raise InputError(f"应为 true 或 false，收到 {text!r}", f"expected true or false, got {text!r}")
    if isinstance(default, (int, float)):
        try:
            return type(default)(text)
        except ValueError:
            raise InputError(f"应为数字，收到 {text!r}", f"expected a number, got {text!r}") from None
    return text


@config_app.command("set")
def set_cmd(key: str = typer.Argument(..., help="配置项，如 public.base_url / setting key"),
            value: str = typer.Argument(..., help="值（空字符串表示清除）/ value"),
            region: Optional[str] = typer.Option(None, "--region", help="只对这个县、乡镇或村生效 / for this region only"),
            db: Optional[str] = DbOption, user: Optional[str] = UserOption):
    """设置配置项 / Set a setting (for the whole database, or one region with --region)."""
    from rich.markup import escape

    from .. import config
    from ..public import check_setting
    from ..regions import find_region

    s = climod.cli_sdk(db, user)
    try:
        with s.transaction() as session:
            setting = config._setting(key)
            typed = check_setting(key, _value(value, setting.default))
            target = find_region(session, region) if region else None
            config.set_value(session, key, typed, target, actor=s.user)
    finally:
        s.close()
    where = region or "全部 / everywhere"
    climod.out.print(escape(f"已设置 / set: {key} = {json.dumps(typed, ensure_ascii=False)}（{where}）"), highlight=False)


@config_app.command("show")
def show_cmd(key: str = typer.Argument(..., help="配置项 / setting key"),
             region: Optional[str] = typer.Option(None, "--region", help="该地区生效的值 / the value in effect for this region"),
             db: Optional[str] = DbOption, user: Optional[str] = UserOption):
    """查看配置项的值 / Show a setting's value (in effect for --region)."""
    from rich.markup import escape
    from sqlmodel import Session

    from .. import config
    from ..regions import find_region

    s = climod.cli_sdk(db, user)
    try:
        with Session(s.engine) as session:
            setting = config._setting(key)
            target = find_region(session, region) if region else None
            value = config.get(session, key, target)
    finally:
        s.close()
    climod.out.print(escape(f"{setting.label_zh} / {setting.label_en} ({key}) = {json.dumps(value, ensure_ascii=False)}"), highlight=False)
