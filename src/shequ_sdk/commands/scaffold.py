"""``shequ new-plugin NAME``: a complete plugin distribution from the copier template shipped in
the SDK (``shequ_sdk/scaffold``): a table, two indicators (one a rate with a denominator), a
rule, a setting, demo data, a view, a migration baseline and tests that pass on creation."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

import typer

from .. import cli as climod
from ..cli import app
from ..errors import InputError

TEMPLATE = Path(__file__).resolve().parents[1] / "scaffold"
NAME = re.compile(r"^[a-z][a-z0-9_]{0,23}$")
CJK = re.compile(r"[\u3400-\u9fff]")


def render(name: str, title_zh: str, title_en: str, directory: Path, sdk_requirement: Optional[str] = None) -> Path:
    """Render the template into ``directory / shequ-plugin-NAME`` and return that folder."""
    import copier

    from ..plugins import state

    if not NAME.match(name) or name.endswith("_") or "__" in name:
        raise InputError(f"插件名称 {name!r} 无效：应为小写字母开头、只含小写字母数字和下划线、不超过 24 个字符",
                         f"invalid plugin name {name!r}: a lower-case letter, then lower-case letters, digits or _, at most 24 characters")
    if name in ("core", "shequ_core", "lock") or name in state().plugins or name in state().failures:
        raise InputError(f"插件名称 {name!r} 已被占用", f"the plugin name {name!r} is taken")
    if not CJK.search(title_zh or ""):
        raise InputError(f"--title-zh 应为中文名称，收到 {title_zh!r}", f"--title-zh must be a Chinese name, got {title_zh!r}")
    if not (title_en or "").strip() or CJK.search(title_en):
        raise InputError(f"--title-en 应为英文名称，收到 {title_en!r}", f"--title-en must be an English name, got {title_en!r}")
    for text, option in ((title_zh, "--title-zh"), (title_en, "--title-en")):
        if any(c in text for c in "\"\\{}\n"):
            raise InputError(f"{option} 不能含引号、反斜杠、花括号或换行：{text!r}", f"{option} may not hold quotes, backslashes, braces or line breaks: {text!r}")
    if sdk_requirement is None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            sdk_requirement = f"shequ-sdk>={version('shequ-sdk')}"
        except PackageNotFoundError:
            sdk_requirement = "shequ-sdk"
    target = directory / f"shequ-plugin-{name.replace('_', '-')}"
    if target.exists() and any(target.iterdir()):
        raise InputError(f"{target} 已存在且不为空", f"{target} exists and is not empty")
    copier.run_copy(str(TEMPLATE), str(target), data={"name": name, "title_zh": title_zh, "title_en": title_en,
                                                      "sdk_requirement": sdk_requirement},
                    defaults=True, unsafe=False, quiet=True, vcs_ref=None)
    return target


@app.command("new-plugin")
def new_plugin_cmd(
    name: str = typer.Argument(..., help="插件名称，如 hongbai / plugin name, e.g. hongbai"),
    title_zh: str = typer.Option(..., "--title-zh", help="协会中文名称 / the association's Chinese name"),
    title_en: str = typer.Option(..., "--title-en", help="协会英文名称 / the association's English name"),
    directory: Path = typer.Option(Path("."), "--dir", help="在此目录下创建 / create it in this folder"),
    sdk: Optional[str] = typer.Option(None, "--sdk", help="依赖的 SDK，如 'shequ-sdk @ file:///…/shequ_sdk-0.1.0-py3-none-any.whl' / the SDK requirement"),
):
    """新建插件（表、指标、规则、设置、演示数据、视图、迁移和测试）/ Create a new plugin distribution."""
    target = render(name, title_zh, title_en, directory.resolve(), sdk)
    climod.out.print(f"已创建插件 / plugin created: {target}", highlight=False, soft_wrap=True)
    climod.out.print("下一步 / next:", highlight=False)
    for line in (f"cd {target}", "uv venv && uv pip install -e . pytest   # 加 SDK 的 wheel 文件路径可离线安装 / add the SDK's wheel path to install it from a file",
                 ".venv/bin/pytest", f".venv/bin/shequ plugins check {name}"):
        climod.out.print(f"  {line}", highlight=False, soft_wrap=True)
