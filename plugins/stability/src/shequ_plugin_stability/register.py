"""The mediation case register (人民调解登记台账): the plugin's output path for case files.

Mediation files are personal information: every value of a field marked sensitive (party
names, ID numbers, phones, addresses, the mediator, the summary) goes through
``shequ_sdk.ids.mask`` according to the field's metadata before it leaves this module.
"""

from __future__ import annotations

import json
from typing import Optional

from sqlalchemy import select
from sqlmodel import Session

from shequ_sdk import Period
from shequ_sdk.fields import describe_model
from shequ_sdk.ids import mask
from shequ_sdk.models import Region
from shequ_sdk.regions import find_region, scope_condition

from .models import MediationCase, MediationParty

CASE_FIELDS = ("case_no", "registered_on", "source", "dispute_type", "mediator", "status", "agreement_form", "amount_fen",
               "closed_on", "judicial_confirmation")
PARTY_FIELDS = ("role", "name", "gender", "id_number", "phone", "address")


def masked(model, values: dict) -> dict:
    """``values`` with every sensitive field of ``model`` masked by its kind (name, id, phone, text)."""
    kinds = {f.name: f.sensitive for f in describe_model(model)}
    return {k: (mask(v, kinds[k]) if kinds.get(k) and v is not None else v) for k, v in values.items()}


def _labelled(model, row: dict, lang: str) -> dict:
    infos = {f.name: f for f in describe_model(model)}
    return {k: (infos[k].choice_label(v, lang) if k in infos and infos[k].choices and v is not None else v) for k, v in row.items()}


def case_register(session: Session, region, period, lang: str = "zh") -> list[dict]:
    """Cases registered in ``period`` in ``region``'s area, each with its parties, all masked.
    Amounts are in yuan as strings with two decimals (stored as fen)."""
    region = find_region(session, region)
    p = Period.parse(period)
    M, P = MediationCase, MediationParty
    stmt = (
        select(M, Region.name).join(Region, Region.id == M.region_id)
        .where(scope_condition(region), M.registered_on >= p.start, M.registered_on <= p.end)
        .order_by(Region.id, M.registered_on, M.id)
    )
    cases = session.execute(stmt).all()
    parties: dict[int, list[dict]] = {}
    ids = [c.id for c, _ in cases]
    for i in range(0, len(ids), 500):
        for party in session.execute(select(P).where(P.case_id.in_(ids[i : i + 500])).order_by(P.id)).scalars():
            row = masked(P, {f: getattr(party, f) for f in PARTY_FIELDS})
            parties.setdefault(party.case_id, []).append(_labelled(P, row, lang))
    out = []
    for case, village in cases:
        row = masked(M, {f: getattr(case, f) for f in CASE_FIELDS})
        row = _labelled(M, row, lang)
        row["amount_yuan"] = f"{row.pop('amount_fen') / 100:.2f}"
        out.append({"village": village, **row, "parties": parties.get(case.id, [])})
    return out


def register_case_command(cli) -> None:
    import typer

    sub = typer.Typer(help="综合治理维护稳定协会 / Stability association", no_args_is_help=True)

    @sub.command("cases")
    def cases_cmd(
        region: str = typer.Option(..., "--region", help="地区 / region"),
        period: str = typer.Option(..., "--period", help="期间 / period: 2010, 2010Q4, 2010-12"),
        db: Optional[str] = typer.Option(None, "--db", help="数据库 / database"),
        as_json: bool = typer.Option(False, "--json", help="输出 JSON / print JSON"),
        lang: str = typer.Option("zh", "--lang", help="zh 或 en"),
    ):
        """人民调解登记台账（当事人信息已脱敏）/ Mediation case register, personal data masked."""
        import shequ_sdk
        from rich.table import Table
        from shequ_sdk import cli as climod

        s = shequ_sdk.open(db)
        try:
            with Session(s.engine) as session:
                rows = case_register(session, region, period, lang)
        finally:
            s.close()
        if as_json:
            print(json.dumps(rows, ensure_ascii=False, default=str, indent=2))
            return
        infos = {f.name: f for f in describe_model(MediationCase)}
        cols = ["village", "case_no", "registered_on", "dispute_type", "mediator", "status", "amount_yuan", "parties"]
        heads = {"village": ("村/社区", "Village"), "amount_yuan": ("协议涉及金额(元)", "Amount (yuan)"), "parties": ("当事人", "Parties")}
        t = Table(title="人民调解登记台账 / Mediation cases")
        for c in cols:
            zh, en = heads.get(c) or (infos[c].label_zh, infos[c].label_en)
            t.add_column(zh if lang == "zh" else en)
        for r in rows:
            people = "，".join(f"{p['role']} {p['name']}" for p in r["parties"])
            t.add_row(*("" if r[c] is None else str(r[c]) for c in cols[:-1]), people)
        climod.out.print(t)

    cli.add_typer(sub, name="stability")
