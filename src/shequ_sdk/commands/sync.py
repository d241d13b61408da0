"""``shequ sync export|import|register-key|status`` and ``shequ village init``: offline villages
that sync with the township by signed change packages (see docs/sync.md and ``shequ_sdk.sync``)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .. import cli as climod
from ..cli import DbOption, app, escape

sync_app = typer.Typer(no_args_is_help=True, help="离线村与乡镇同步 / Sync offline villages with the township")
app.add_typer(sync_app, name="sync")
village_app = typer.Typer(no_args_is_help=True, help="村级离线安装 / Offline village installation")
app.add_typer(village_app, name="village")


def _read(path: str) -> bytes:
    from ..errors import NotFoundError

    p = Path(path)
    if not p.is_file():
        raise NotFoundError(f"同步包文件不存在：{path}", f"package file not found: {path}")
    return p.read_bytes()


def _write(path: str, data: bytes) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(data)


@sync_app.command("export")
def export_cmd(
    out: str = typer.Option(..., "--out", help="写入的同步包文件 / package file to write (.shequ)"),
    for_village: Optional[str] = typer.Option(None, "--for", help="乡镇：为该村/社区导出安装包 / township: the installation package for this village"),
    since_ack: bool = typer.Option(False, "--since-ack", help="村：重新导出上次回执之后的全部变更（丢失的包）/ village: everything since the last acknowledgement (a lost package)"),
    db: Optional[str] = DbOption,
):
    """导出同步包 / Export a package: with --for at the township, a village's installation package; at a village, its changes."""
    from .. import sync

    s = climod._open(db)
    try:
        with s.transaction() as session:
            if for_village:
                data = sync.export_for_village(session, for_village)
            else:
                data = sync.export_changes(session, since_ack=since_ack)
            _write(out, data)
        pkg = sync.read_package(data)
        m = pkg.manifest
        counts = "，".join(f"{k} {v}" for k, v in sorted(m["counts"].items())) or "无变更 / no changes"
        climod.out.print(escape(f"已导出 / exported {out}：{m['village']['name']} {m['kind']} 审计序号 / audit seq {m['from_seq']}–{m['to_seq']}，"
                                f"{counts}，{len(data):,} 字节 / bytes，sha256 {pkg.sha256}"), highlight=False)
        if m["kind"] == "init":
            climod.out.print(escape(f"乡镇公钥 / township key: {m['public_key']}（村里 init 时会显示，可电话核对 / shown by village init: compare it by phone）"),
                             highlight=False)
    finally:
        s.close()


@sync_app.command("import")
def import_cmd(
    package: str = typer.Argument(..., help="同步包文件 / package file"),
    dry_run: bool = typer.Option(False, "--dry-run", help="只检查并报告，不写入 / check and report, write nothing"),
    resolve: Optional[list[str]] = typer.Option(None, "--resolve", help="冲突处理 / conflicts: theirs | ours | TABLE:ID=theirs|ours（可重复 / repeatable）"),
    ack_out: Optional[str] = typer.Option(None, "--ack-out", help="乡镇：回执写入此文件 / township: write the acknowledgement here"),
    db: Optional[str] = DbOption,
):
    """导入同步包（全部或全不）/ Import a package, all or nothing: a village's changes at the township, an acknowledgement at the village."""
    from sqlmodel import Session

    from .. import sync

    data = _read(package)
    how = sync.parse_resolve(resolve or [])
    s = climod._open(db)
    try:
        with Session(s.engine, expire_on_commit=False) as session:
            try:
                result = sync.import_package(session, data, resolve=how, dry_run=dry_run, make_ack=bool(ack_out) and not dry_run)
            except sync.SyncConflict as exc:
                session.rollback()
                for line in exc.lines():
                    climod.err.print(escape(line), highlight=False, soft_wrap=True)
                raise
            except BaseException:
                session.rollback()
                raise
            if dry_run:
                session.rollback()
            else:
                if result.ack is not None:
                    _write(ack_out, result.ack)
                session.commit()
        if result.already_applied:
            climod.out.print(escape(f"该同步包已导入过，未作任何改动 / already imported: nothing changed（{result.village} #{result.from_seq}–{result.to_seq}）"),
                             highlight=False)
        else:
            ins = "，".join(f"{k} {v}" for k, v in sorted(result.inserted.items()) if v) or "0"
            upd = "，".join(f"{k} {v}" for k, v in sorted(result.updated.items()) if v) or "0"
            word = "将" if dry_run else "已"
            climod.out.print(escape(f"{'试运行 / dry run：' if dry_run else ''}{result.village} #{result.from_seq}–{result.to_seq}："
                                    f"{word}新增 / inserted {ins}；{word}修改 / updated {upd}；未变 / unchanged {result.unchanged}；"
                                    f"跳过 / skipped {result.skipped}"), highlight=False)
        for key, side in result.resolved:
            climod.out.print(escape(f"冲突 {key} 按 {side} 处理 / conflict {key} resolved: {side}"), highlight=False)
        if result.ack is not None:
            climod.out.print(escape(f"回执 / acknowledgement: {ack_out}"), highlight=False)
    finally:
        s.close()


@sync_app.command("register-key")
def register_key_cmd(
    keyfile: str = typer.Argument(..., help="村安装打印或写出的公钥文件 / the public key file the village installation wrote"),
    village: str = typer.Option(..., "--village", help="村/社区 / village"),
    db: Optional[str] = DbOption,
):
    """登记村安装的公钥 / Register a village installation's public key at the township."""
    from .. import sync

    p = Path(keyfile)
    text = p.read_text(encoding="utf-8").strip() if p.is_file() else keyfile
    s = climod._open(db)
    try:
        with s.transaction() as session:
            peer = sync.register_key(session, village, text)
            climod.out.print(escape(f"已登记 / registered: {village} 公钥 / key {peer.public_key}"), highlight=False)
    finally:
        s.close()


@sync_app.command("status")
def status_cmd(db: Optional[str] = DbOption):
    """同步状态 / Sync state: this installation's key, each peer's sequence numbers and pending changes."""
    from .. import sync

    s = climod._open(db)
    try:
        with s.transaction() as session:
            key, peers = sync.status(session)
        climod.out.print(escape(f"本机公钥 / this installation's key: {key or '—'}"), highlight=False)
        for p in peers:
            role = "乡镇 / township" if p.role == "township" else "村 / village"
            line = (f"{p.region}（{role}）：已导入对方至 / applied up to {p.in_seq}；已导出至 / exported up to {p.out_seq}；"
                    f"对方已确认 / acknowledged {p.peer_has}；最近同步 / last sync {p.last_sync_at or '—'}")
            if p.role == "township":
                line += f"；待导出记录 / pending records {p.pending}"
            else:
                line += f"；公钥 / key {'已登记 / registered' if p.key_registered else '未登记 / not registered'}"
            climod.out.print(escape(line), highlight=False)
    finally:
        s.close()


@village_app.command("init")
def village_init_cmd(
    source: str = typer.Option(..., "--from", help="乡镇导出的安装包 / the installation package the township exported"),
    key_out: Optional[str] = typer.Option(None, "--key-out", help="公钥写入此文件（默认：数据库旁的 .pub）/ write the public key here (default: next to the database, .pub)"),
    db: Optional[str] = DbOption,
):
    """从安装包建立村级离线数据库 / Create a village database from the township's installation package."""
    from .. import sync
    from ..db import resolve_url

    data = _read(source)
    s = climod._open(db, create=True)
    try:
        with s.transaction() as session:
            ident = sync.init_village(session, data)
            public = ident.public_key
        url = resolve_url(db)
        default = (url.split("sqlite:///", 1)[1] + ".pub") if url.startswith("sqlite:///") else "village-key.pub"
        path = key_out or default
        Path(path).write_text(public + "\n", encoding="utf-8")
        township_key = sync.read_package(data).manifest["public_key"]
        climod.out.print(escape(f"已建立村级数据库 / village database created。公钥 / public key: {public}"), highlight=False)
        climod.out.print(escape(f"乡镇公钥 / township key: {township_key}（请与乡镇导出时显示的核对 / compare with what the township's export printed）"),
                         highlight=False)
        climod.out.print(escape(f"公钥已写入 / key written to {path}：请交乡镇登记 / have the township register it "
                                f"(shequ sync register-key --village … {Path(path).name})"), highlight=False)
    finally:
        s.close()


@sync_app.command("push")
def push_cmd(
    to: str = typer.Option(..., "--to", help="乡镇服务器地址 / the township's shequ serve address, e.g. https://township.example/"),
    timeout: float = typer.Option(300, "--timeout", help="超时秒数 / seconds to wait"),
    db: Optional[str] = DbOption,
):
    """联网时推送变更并取回回执 / Push the changes since the last acknowledgement over HTTP and import the acknowledgement."""
    import urllib.error
    import urllib.request

    from .. import sync
    from ..errors import InputError, PermissionDenied

    url = to if to.rstrip("/").endswith(sync.PUSH_PATH) else to.rstrip("/") + sync.PUSH_PATH
    s = climod._open(db)
    try:
        with s.transaction() as session:
            # everything since the last acknowledgement: a push that never arrives loses nothing
            data = sync.export_changes(session, since_ack=True)
            headers = sync.push_headers(session, data)
        request = urllib.request.Request(url, data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                ack = response.read()
        except urllib.error.HTTPError as exc:
            text = exc.read().decode("utf-8", "replace").strip()
            lines = text.splitlines() or [f"HTTP {exc.code}"]
            for line in lines[1:]:
                climod.err.print(escape(line), highlight=False, soft_wrap=True)
            kind = PermissionDenied if exc.code == 403 else InputError
            raise kind(f"乡镇服务器拒绝了推送（HTTP {exc.code}）：{lines[0]}", f"the township's server refused the push (HTTP {exc.code})") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise InputError(f"无法连接乡镇服务器 {url}：{reason}（可改用 shequ sync export 导出文件）",
                             f"cannot reach the township's server {url}: {reason} (shequ sync export writes a file instead)") from None
        with s.transaction() as session:
            result = sync.import_package(session, ack)
        pkg = sync.read_package(data)
        climod.out.print(escape(f"已推送 / pushed {len(data):,} 字节 / bytes（审计序号 / audit seq {pkg.manifest['from_seq']}–{pkg.manifest['to_seq']}）；"
                                f"回执已导入 / acknowledgement imported：新增 / inserted {sum(result.inserted.values())}，修改 / updated {sum(result.updated.values())}"),
                         highlight=False)
    finally:
        s.close()
