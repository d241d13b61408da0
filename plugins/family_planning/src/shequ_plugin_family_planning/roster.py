"""The special-family roster (特殊家庭花名册): the plugin's one output path for personal data.

Every value of a field marked sensitive (names, ID numbers, phones, notes) goes through
``shequ_sdk.ids.mask`` according to the field's metadata before it leaves this module.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Optional

from sqlalchemy import func, or_, select
from sqlmodel import Session

from shequ_sdk import Household, InputError
from shequ_sdk.fields import describe_model
from shequ_sdk.ids import mask
from shequ_sdk.regions import find_region, scope_condition
from shequ_sdk.models import Region

from .models import HOME_VISIT_KINDS, FamilyContact, SpecialFamily

ROSTER_FIELDS = (
    "family_type", "head_name", "head_id_number", "head_phone", "registered_on", "township_contact_name",
    "township_contact_phone", "village_contact_name", "village_contact_phone", "family_doctor_signed", "assistance_status",
)


def masked(model, values: dict) -> dict:
    """``values`` with every sensitive field of ``model`` masked by its kind (name, id, phone, text)."""
    kinds = {f.name: f.sensitive for f in describe_model(model)}
    return {k: (mask(v, kinds[k]) if kinds.get(k) and v is not None else v) for k, v in values.items()}


def special_family_roster(session: Session, region, as_of: Optional[dt.date] = None, lang: str = "zh") -> list[dict]:
    """Families on the register on ``as_of`` in ``region``'s area, masked, with their home
    visits so far in ``as_of``'s year. Choice codes are shown as labels in ``lang``."""
    as_of = as_of or dt.date.today()
    region = find_region(session, region)
    F, C = SpecialFamily, FamilyContact
    infos = {f.name: f for f in describe_model(F)}
    visits = (
        select(C.family_id, func.count().label("n"))
        .where(C.kind.in_(HOME_VISIT_KINDS), C.contact_date >= dt.date(as_of.year, 1, 1), C.contact_date <= as_of)
        .group_by(C.family_id).subquery()
    )
    stmt = (
        select(F, Region.name, Household.number, func.coalesce(visits.c.n, 0))
        .join(Region, Region.id == F.region_id)
        .join(Household, Household.id == F.household_id)
        .outerjoin(visits, visits.c.family_id == F.id)
        .where(scope_condition(region), F.registered_on <= as_of, or_(F.left_on.is_(None), F.left_on > as_of))
        .order_by(Region.id, Household.number)
    )
    out = []
    for family, village, number, n in session.execute(stmt):
        values = {name: getattr(family, name) for name in ROSTER_FIELDS}
        row = masked(F, values)
        for name in ("family_type", "assistance_status"):
            row[name] = infos[name].choice_label(row[name], lang) if row[name] else None
        out.append({"village": village, "household": number, **row, "home_visits_this_year": int(n)})
    return out


def register_roster_command(cli) -> None:
    import typer

    sub = typer.Typer(help="计划生育协会 / Family planning association", no_args_is_help=True)

    @sub.command("roster")
    def roster_cmd(
        region: str = typer.Option(..., "--region", help="地区 / region"),
        db: Optional[str] = typer.Option(None, "--db", help="数据库 / database"),
        as_of: Optional[str] = typer.Option(None, "--as-of", help="日期 / date, e.g. 2010-12-31"),
        as_json: bool = typer.Option(False, "--json", help="输出 JSON / print JSON"),
        lang: str = typer.Option("zh", "--lang", help="zh 或 en"),
    ):
        """特殊家庭花名册（姓名、身份证号、电话已脱敏）/ Special-family roster, personal data masked."""
        import shequ_sdk
        from rich.table import Table
        from shequ_sdk import cli as climod

        try:
            day = dt.date.fromisoformat(as_of) if as_of else None
        except ValueError:
            raise InputError(f"日期格式应为 YYYY-MM-DD：{as_of!r}", f"a date looks like YYYY-MM-DD: {as_of!r}") from None
        s = shequ_sdk.open(db)
        try:
            with Session(s.engine) as session:
                rows = special_family_roster(session, region, day, lang)
        finally:
            s.close()
        if as_json:
            print(json.dumps(rows, ensure_ascii=False, default=str, indent=2))
            return
        infos = {f.name: f for f in describe_model(SpecialFamily)}
        t = Table(title="计生特殊家庭花名册 / Special families")
        cols = ["village", "household", "family_type", "head_name", "head_id_number", "township_contact_name", "village_contact_name",
                "family_doctor_signed", "home_visits_this_year"]
        heads = {"village": ("村/社区", "Village"), "household": ("户号", "Household"), "home_visits_this_year": ("本年入户", "Home visits")}
        for c in cols:
            zh, en = heads.get(c) or (infos[c].label_zh, infos[c].label_en)
            t.add_column(zh if lang == "zh" else en)
        yes_no = ("是", "否") if lang == "zh" else ("yes", "no")
        for r in rows:
            t.add_row(*("" if r[c] is None else yes_no[0 if r[c] else 1] if isinstance(r[c], bool) else str(r[c]) for c in cols))
        climod.out.print(t)

    cli.add_typer(sub, name="family-planning")
