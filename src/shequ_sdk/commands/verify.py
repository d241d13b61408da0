"""``shequ verify``: prove the stored data was not changed behind the SDK's back.

Recomputes the audit log's hash chain (:func:`shequ_sdk.audit.verify_chain`) and names the
first broken link, then runs every registered verifier (the ``register_verifiers`` hook: a
plugin recomputes the fingerprints of what it published). Exit 0 when everything is valid,
1 with a one-line summary and the details when not, 2 for bad input.
"""

from __future__ import annotations

import json
from typing import Optional

import typer
from rich.markup import escape

from .. import cli as climod
from ..cli import DbOption, app
from ..errors import Problem

CHAIN_KEY = "core.audit_chain"


def run_verifiers(sdk) -> tuple[object, list[tuple[object, list[Problem]]]]:
    """``(chain report, [(verifier, problems), …])`` for an open :class:`~shequ_sdk.api.Shequ`.

    The chain is recomputed once: the core verifier ``core.audit_chain`` reports its problems.
    A verifier that raises is reported as a problem of its own (a broken check is not a pass).
    """
    from sqlmodel import Session

    from ..audit import verify_chain
    from ..plugins import registry

    results = []
    with Session(sdk.engine) as session:
        chain = verify_chain(session)
        for key, verifier in registry().verifiers.items():
            if key == CHAIN_KEY:
                problems = chain.problems
            else:
                try:
                    problems = list(verifier.check(session) or [])
                except Exception as exc:  # a plugin bug must not read as "valid"
                    problems = [Problem(f"校验 {key} 运行出错：{exc}", f"verifier {key} failed: {type(exc).__name__}: {exc}", rule=key)]
                for p in problems:
                    p.rule = p.rule or key
            results.append((verifier, problems))
    return chain, results


@app.command("verify")
def verify_cmd(db: Optional[str] = DbOption, as_json: bool = typer.Option(False, "--json", help="输出 JSON / print JSON")):
    """校验审计日志哈希链和已公开数据的指纹 / Verify the audit chain and published fingerprints; exit 1 if anything was altered."""
    sdk = climod._open(db)
    try:
        chain, results = run_verifiers(sdk)
    finally:
        sdk.close()
    failed = [(v, ps) for v, ps in results if ps]
    total = sum(len(ps) for _, ps in failed)
    if as_json:
        print(json.dumps({
            "valid": not failed,
            "audit_chain": {"entries": chain.entries, "head_seq": chain.head_seq, "head_hash": chain.head_hash, "valid": chain.valid},
            "verifiers": [{"key": v.key, "label_zh": v.label_zh, "label_en": v.label_en, "valid": not ps,
                           "problems": [p.as_dict() | {"extra": p.extra} for p in ps]} for v, ps in results],
        }, ensure_ascii=False, indent=2, default=str))
    elif not failed:
        climod.out.print(f"校验通过：审计日志 {chain.entries} 条，哈希链完整；{len(results)} 项校验全部通过 / "
                         f"verified: {chain.entries} audit entries, chain intact; all {len(results)} checks passed", highlight=False, soft_wrap=True)
        climod.out.print(f"链尾 head: seq {chain.head_seq} {chain.head_hash}", highlight=False, soft_wrap=True)
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
            if len(ps) > 50:
                climod.out.print(f"    … 另有 {len(ps) - 50} 个 / {len(ps) - 50} more", highlight=False, soft_wrap=True)
        climod.out.print(f"链尾 head: seq {chain.head_seq} {chain.head_hash}", highlight=False, soft_wrap=True)
    if failed:
        raise typer.Exit(1)
