"""``shequ verify``: prove the stored data was not changed behind the SDK's back.

Recomputes the audit log's hash chain (:func:`shequ_sdk.audit.verify_chain`), replays the log
against the tables (:func:`shequ_sdk.replay.replay`: every audited record's state rebuilt from
its entries must be what the table holds), compares the chain with a head saved outside the
database (``--head-file``), then runs every other registered verifier (the
``register_verifiers`` hook: a plugin recomputes the fingerprints of what it published). All of
it reads one snapshot of the database. Exit 0 when everything is valid, 1 with a one-line
summary and the details when not, 2 for bad input.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Optional

import typer

from .. import cli as climod
from ..cli import DbOption, app, escape
from ..errors import InputError, Problem

CHAIN_KEY = "core.audit_chain"
REPLAY_KEY = "core.audit_replay"
HEAD_KEY = "core.audit_head"


@dataclass
class HeadCheck:
    """The pseudo-verifier ``core.audit_head``: the chain against a head saved outside the database."""

    key: str = HEAD_KEY
    label_zh: str = "链尾锚定（与保存的链尾比对）"
    label_en: str = "Anchored chain head (compared with the saved head)"


@dataclass
class Verification:
    """What :func:`run_verifiers` found."""

    chain: object
    replay: object
    results: list = field(default_factory=list)  # [(verifier, problems)]

    @property
    def valid(self) -> bool:
        return not any(ps for _, ps in self.results)


# -- the saved head ------------------------------------------------------------------------------

# "seq 26456 5fc9f92197ef…" (as verify prints it) or "第 26456 条 · 5fc9-f921-97ef" (as a board prints it)
_HEAD_LINE = re.compile(r"(?:seq\s*[:=]?\s*|第\s*)(\d+)\s*(?:条)?[\s·:：,，]*([0-9a-fA-F]{12,64})")


def read_head(path) -> tuple[int, str]:
    """``(seq, hash)`` from a head file: what ``--save-head`` wrote (JSON), a published site's
    ``manifest.json`` (``shequ publish``), or a line such as
    ``seq 26456 5fc9f92197ef…`` (as ``shequ verify`` prints it) or ``第 26456 条 · 5fc9-f921-97ef``
    (as a printed board shows it): a hash of 12 or more hex digits, dashes allowed."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"无法读取链尾文件 {p}：{exc.strerror or exc}", f"cannot read the head file {p}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
        data = data.get("audit_head", data)  # a published site's manifest.json carries the head too
        seq, digest = int(data["seq"]), str(data["hash"]).lower()
        if re.fullmatch(r"[0-9a-f]{12,64}", digest) and seq >= 0:
            return seq, digest
    except (ValueError, KeyError, TypeError):
        pass
    m = _HEAD_LINE.search(re.sub(r"(?<=[0-9a-fA-F])[-－](?=[0-9a-fA-F])", "", text))
    if m is None:
        raise InputError(f"链尾文件 {p} 中没有链尾（应为 shequ verify --save-head 写出的文件，或形如「seq 26456 5fc9f92197ef」的一行）",
                         f"no chain head in {p} (expected a file written by shequ verify --save-head, or a line like 'seq 26456 5fc9f92197ef')")
    return int(m.group(1)), m.group(2).lower()


def write_head(path, seq: int, digest: str, url: str) -> None:
    from ..db import safe_url

    p = Path(path)
    data = {"seq": seq, "hash": digest, "saved_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "database": safe_url(url)}
    try:
        p.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"无法写入链尾文件 {p}：{exc.strerror or exc}", f"cannot write the head file {p}: {exc.strerror or exc}") from None


def head_problems(session, chain, saved: tuple[int, str]) -> list[Problem]:
    """The chain must still hold the saved head's entry with that hash: a log cut short after it
    (its last rows deleted) or rewritten (every hash recomputed) is named."""
    from sqlalchemy import select

    from ..audit import AuditEntry

    seq, digest = saved
    extra = {"saved_seq": seq, "saved_hash": digest, "head_seq": chain.head_seq, "head_hash": chain.head_hash}
    if seq == 0:
        return []
    if chain.head_seq < seq:
        return [Problem(f"审计日志只到第 {chain.head_seq} 条，而保存的链尾是第 {seq} 条：日志末尾的 {seq - chain.head_seq} 条或更多已被删除",
                        f"the audit log ends at seq {chain.head_seq} but the saved head is seq {seq}: its last "
                        f"{seq - chain.head_seq} or more entries were deleted", table="audit_log", rule=HEAD_KEY,
                        extra={"kind": "truncated", **extra})]
    stored = session.execute(select(AuditEntry.hash).where(AuditEntry.seq == seq)).scalar_one_or_none()
    if stored is None:
        return [Problem(f"审计日志中没有保存的链尾第 {seq} 条（已被删除）", f"the saved head's entry seq {seq} is not in the audit log (deleted)",
                        table="audit_log", rule=HEAD_KEY, extra={"kind": "missing", **extra})]
    if not stored.startswith(digest):
        return [Problem(f"审计日志第 {seq} 条的哈希 {stored[:12]} 与保存的链尾 {digest[:12]} 不符：哈希链已被改写",
                        f"entry seq {seq} has hash {stored[:12]}, the saved head says {digest[:12]}: the chain was rewritten",
                        table="audit_log", rule=HEAD_KEY, extra={"kind": "rewritten", **extra})]
    return []


# -- running ----------------------------------------------------------------------------------------

@contextmanager
def _snapshot(engine) -> Iterator:
    """A session that reads one consistent state of the database for the whole verification."""
    from sqlmodel import Session

    with Session(engine) as session:
        if engine.dialect.name == "postgresql":
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        elif engine.dialect.name == "sqlite":
            session.connection().connection.driver_connection.execute("BEGIN")  # a WAL read snapshot until rollback
        try:
            yield session
        finally:
            session.rollback()


def run_verifiers(sdk, progress: Optional[Callable[[int], None]] = None, saved_head: Optional[tuple[int, str]] = None,
                  on_total: Optional[Callable[[int], None]] = None, full: bool = False) -> Verification:
    """Run every verification on an open :class:`~shequ_sdk.api.Shequ`.

    The chain is recomputed once (the core verifier ``core.audit_chain`` reports its problems),
    the replay (``core.audit_replay``) once; ``saved_head`` adds ``core.audit_head``. A verifier
    that raises is reported as a problem of its own (a broken check is not a pass).
    ``on_total`` receives the number of entries and rows to read, ``progress`` each step.
    ``full``: verifiers that sample (the stored indicator cells) check everything.
    """
    from .. import replay as replaymod
    from ..audit import head, verify_chain
    from ..plugins import registry

    with _snapshot(sdk.engine) as session:
        session.info["shequ.verify_full"] = full
        if on_total is not None:
            on_total(head(session)[0] + replaymod.row_total(session))
        chain = verify_chain(session, progress=progress)
        replayed = replaymod.replay(session, progress=progress)
        found = Verification(chain=chain, replay=replayed)
        for key, verifier in registry().verifiers.items():
            if key == CHAIN_KEY:
                problems = chain.problems
            elif key == REPLAY_KEY:
                problems = replayed.problems
            else:
                try:
                    problems = list(verifier.check(session) or [])
                except Exception as exc:  # a plugin bug must not read as "valid"
                    problems = [Problem(f"校验 {key} 运行出错：{exc}", f"verifier {key} failed: {type(exc).__name__}: {exc}", rule=key)]
                for p in problems:
                    p.rule = p.rule or key
            found.results.append((verifier, problems))
            if key == REPLAY_KEY and saved_head is not None:
                found.results.append((HeadCheck(), head_problems(session, chain, saved_head)))
        if saved_head is not None and not any(v.key == HEAD_KEY for v, _ in found.results):
            found.results.append((HeadCheck(), head_problems(session, chain, saved_head)))
    return found


@contextmanager
def _progress_bar(enabled: bool):
    """A progress bar on stderr for long runs (nothing when stderr is not a terminal)."""
    if not enabled or not climod.err.is_terminal:
        yield None, None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("校验中 / verifying"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"), TimeRemainingColumn(),
                  console=climod.err.rich, transient=True) as bar:
        task = bar.add_task("verify", total=None)
        yield (lambda n: bar.update(task, total=n)), (lambda n: bar.advance(task, n))


def _problem_json(p: Problem) -> dict:
    return p.as_dict() | {"extra": p.extra}


@app.command("verify")
def verify_cmd(db: Optional[str] = DbOption, as_json: bool = typer.Option(False, "--json", help="输出 JSON / print JSON"),
               head_file: Optional[Path] = typer.Option(None, "--head-file", help="与此前保存的链尾比对 / compare with a saved head (file from --save-head, or 'seq N HASH')"),
               save_head: Optional[Path] = typer.Option(None, "--save-head", help="校验通过后把链尾写入此文件 / write the head to this file when everything passed"),
               full: bool = typer.Option(False, "--full", help="核对全部指标汇总，而非抽样 / recompute every stored indicator cell, not a sample")):
    """校验审计日志哈希链、按日志重放核对各表、已公开数据的指纹 / Verify the audit chain, replay it against the tables, check published fingerprints; exit 1 if anything was altered."""
    saved = read_head(head_file) if head_file is not None else None
    sdk = climod._open(db)
    try:
        with _progress_bar(not as_json) as (on_total, advance):
            found = run_verifiers(sdk, progress=advance, saved_head=saved, on_total=on_total, full=full)
    finally:
        sdk.close()
    chain, replayed, results = found.chain, found.replay, found.results
    failed = [(v, ps) for v, ps in results if ps]
    total = sum(len(ps) for _, ps in failed) + max(0, replayed.total - len(replayed.problems))
    saved_to = None
    if save_head is not None and not failed:
        write_head(save_head, chain.head_seq, chain.head_hash, sdk.url)
        saved_to = str(save_head)
    if as_json:
        print(json.dumps({
            "valid": not failed,
            "audit_chain": {"entries": chain.entries, "head_seq": chain.head_seq, "head_hash": chain.head_hash, "valid": chain.valid},
            "replay": {"tables": replayed.tables, "records": replayed.records, "bulk_batches": replayed.batches,
                       "differences": replayed.total, "valid": not replayed.total,
                       "notices": [_problem_json(p) for p in replayed.notices]},
            "head_file": None if saved is None else {"seq": saved[0], "hash": saved[1],
                                                     "valid": not [ps for v, ps in results if v.key == HEAD_KEY and ps]},
            "saved_head": saved_to,
            "verifiers": [{"key": v.key, "label_zh": v.label_zh, "label_en": v.label_en, "valid": not ps,
                           "problems": [_problem_json(p) for p in ps]} for v, ps in results],
        }, ensure_ascii=False, indent=2, default=str))
    elif not failed:
        climod.out.print(f"校验通过：审计日志 {chain.entries} 条，哈希链完整；按日志重放核对 {replayed.records} 条记录，与各表一致；"
                         f"{len(results)} 项校验全部通过 / verified: {chain.entries} audit entries, chain intact; {replayed.records} records "
                         f"replayed from the log match the tables; all {len(results)} checks passed", highlight=False, soft_wrap=True)
    else:
        first = failed[0][1][0]
        climod.out.print(escape(f"校验未通过：{len(failed)} 项校验发现 {total} 个问题，首个：{first.text('zh')} / "
                                f"verification failed: {total} problems in {len(failed)} checks; first: {first.text('en')}"),
                         highlight=False, soft_wrap=True)
        for v, ps in results:
            mark = "[red]✗[/]" if ps else "[green]✓[/]"
            climod.out.print(f"{mark} {escape(v.key)} {escape(v.label_zh)} / {escape(v.label_en)}", highlight=False, soft_wrap=True)
            for p in ps[:50]:
                climod.out.print(f"    {escape(str(p))}", highlight=False, soft_wrap=True)
            more = len(ps) - 50 + (replayed.total - len(replayed.problems) if v.key == REPLAY_KEY else 0)
            if more > 0:
                climod.out.print(f"    … 另有 {more} 个 / {more} more", highlight=False, soft_wrap=True)
    if not as_json:
        if replayed.notices:
            n = len(replayed.notices)
            climod.out.print(f"提示 / notice：{n} 条记录不在审计日志覆盖范围内（在开始记录审计之前创建），不算作问题 / "
                             f"{n} records are not covered by the log (created before auditing); not counted as problems", highlight=False, soft_wrap=True)
            for p in replayed.notices[:20]:
                climod.out.print(f"    {escape(p.text('zh'))} / {escape(p.text('en'))}", highlight=False, soft_wrap=True)
        climod.out.print(f"链尾 head: seq {chain.head_seq} {chain.head_hash}", highlight=False, soft_wrap=True)
        if saved is not None and not [ps for v, ps in results if v.key == HEAD_KEY and ps]:
            climod.out.print(f"与保存的链尾一致 / matches the saved head: seq {saved[0]} {saved[1][:12]}", highlight=False, soft_wrap=True)
        if saved_to:
            climod.out.print(f"链尾已保存到 / head saved to {escape(saved_to)}", highlight=False, soft_wrap=True)
        elif save_head is not None:
            climod.out.print("校验未通过，链尾未保存 / verification failed: the head was not saved", highlight=False, soft_wrap=True)
    if failed:
        raise typer.Exit(1)
