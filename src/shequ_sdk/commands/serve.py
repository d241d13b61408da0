"""``shequ serve``: the dashboards (乡镇看板, 村务录入, …) of ``dashboards/`` on a local web server."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from .. import cli as climod
from ..cli import DbOption, app


@app.command("serve")
def serve_cmd(
    db: Optional[str] = DbOption,
    port: int = typer.Option(5006, "--port", min=1, max=65535, help="端口 / port"),
    address: str = typer.Option("127.0.0.1", "--address", help="监听地址（0.0.0.0 供局域网访问）/ address to listen on"),
    dashboards: Optional[Path] = typer.Option(None, "--dashboards", help="看板目录（默认 ./dashboards）/ dashboards directory"),
    allow_origin: Optional[List[str]] = typer.Option(None, "--allow-origin", help="允许的浏览器来源 host:port（可重复）/ allowed origin"),
    show: bool = typer.Option(False, "--show", help="启动后打开浏览器 / open a browser"),
    behind_proxy: bool = typer.Option(False, "--behind-proxy", help="在 HTTPS 反向代理之后：信任其 X-Forwarded-For/-Proto（代理须是唯一入口）/ behind an HTTPS reverse proxy: trust its X-Forwarded-For/-Proto (it must be the only way in)"),
    ssl_certfile: Optional[Path] = typer.Option(None, "--ssl-certfile", help="直接提供 HTTPS：证书文件 / serve HTTPS: certificate file"),
    ssl_keyfile: Optional[Path] = typer.Option(None, "--ssl-keyfile", help="直接提供 HTTPS：私钥文件 / serve HTTPS: private key file"),
    num_procs: int = typer.Option(1, "--num-procs", min=1, max=64,
                                  help="工作进程数（共用一个端口；仅类 Unix 系统）/ worker processes sharing the port (POSIX only)"),
    refresh_every: float = typer.Option(5.0, "--refresh-every", min=0,
                                        help="每隔几秒在后台更新写入后过期的指标汇总（0 不更新）/ seconds between background refreshes of stale indicator cells (0: never)"),
):
    """启动看板服务 / Serve every dashboard in dashboards/ (township dashboard, data entry…)."""
    from ..auth import login_required

    s = climod._open(db)
    try:
        login_required(s.engine, address)  # a refused address fails before Panel is imported
        from ..ui.serving import serve

        if (ssl_certfile is None) != (ssl_keyfile is None):
            climod.fail("--ssl-certfile 与 --ssl-keyfile 需要同时给出 / give both --ssl-certfile and --ssl-keyfile")
        for f in (ssl_certfile, ssl_keyfile):
            if f is not None and not f.is_file():
                climod.fail(f"文件不存在：{f} / no such file: {f}")
        serve(s, port=port, address=address, directory=dashboards, show=show, allow_origin=allow_origin, behind_proxy=behind_proxy,
              ssl_certfile=str(ssl_certfile) if ssl_certfile else None, ssl_keyfile=str(ssl_keyfile) if ssl_keyfile else None,
              num_procs=num_procs, refresh_every=refresh_every, announce=lambda text: climod.out.print(text, highlight=False, soft_wrap=True))
    finally:
        s.close()
