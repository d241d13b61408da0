"""Synthetic generation fills every village of a tiny county with matters, registers, contracts and
a 村规民约; the rows pass the plugin's rules (the write path refuses anything else), the seed
decides the rows, and the finance cross-check finds what the generator left undecided."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

import shequ_sdk
from shequ_sdk import Region
from shequ_sdk.demo import GenerateOptions
from shequ_plugin_decisions import Asset, Contract, ContractPayment, Matter, MatterStep, VillageRule
from shequ_plugin_decisions.rules import undecided_major_items

TINY = GenerateOptions(townships=1, villages_per_township=3, households_per_village=20, years=2)


def _rows(sdk, model):
    with Session(sdk.engine) as s:
        return [tuple(r) for r in s.execute(select(*model.__table__.columns).order_by(model.id))]


def test_tiny_synthetic_county(sdk, tmp_path):
    sdk.generate(TINY)
    with Session(sdk.engine) as s:
        villages = set(s.execute(select(Region.id).where(Region.kind.in_(("village", "community")))).scalars())
        for model in (Matter, MatterStep, Asset, Contract, ContractPayment, VillageRule):
            assert set(s.execute(select(model.region_id).distinct()).scalars()) == villages, model.__tablename__
        county = s.execute(select(Region.name).where(Region.kind == "county")).scalar_one()
        undecided = undecided_major_items(s)
    values = sdk.indicator_values(county, str(TINY.last_year), keys=["decisions"])
    assert values["decisions.major_matters"] > 0 and 0 < values["decisions.contract_collection_rate"] <= 1
    assert values["decisions.villages_with_rules"] <= 3 and values["decisions.assets"] >= 9
    problems = sdk.check()
    assert [p for p in problems if (p.rule or "").startswith("decisions.") and p.extra.get("severity") == "error"] == []
    assert len([p for p in problems if p.rule == "decisions.major_item_decided"]) == len(undecided)
    if sdk.url.startswith("sqlite"):  # the same seed gives the same rows
        again = shequ_sdk.open(str(tmp_path / "again.db"), create=True)
        try:
            again.generate(TINY)
            assert _rows(again, MatterStep) == _rows(sdk, MatterStep) and _rows(again, ContractPayment) == _rows(sdk, ContractPayment)
        finally:
            again.close()
