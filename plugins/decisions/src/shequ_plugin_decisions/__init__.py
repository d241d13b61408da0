"""shequ-sdk plugin: decisions — 四议两公开, 村规民约 and the 三资 registers.

Villages decide major matters by the 四议两公开 procedure (村党组织提议、村“两委”会议商议、
党员大会审议、村民代表会议或村民会议决议；决议公开、实施结果公开), keep their 村规民约 filed
with the township, and register the collective's assets, resources and the contracts that let
them out (三资: funds are the finance plugin's ledger). The 三资 registers live here, not in the
finance plugin, because what the law and the townships check about them is a decision: a
disposal needs a passed resolution, a long or large contract needs one, a major expenditure
needs one. One distribution holds the decisions and what they govern; finance stays the books.

Not an association: the village committee and the Party branch keep these records, so the
tables have no association type.
"""

from __future__ import annotations

from shequ_sdk import RecordTable, hookimpl

from .indicators import all_indicators
from .models import Asset, Contract, ContractPayment, Matter, MatterStep, Resource, VillageRule
from .rules import all_rules
from .settings import SETTINGS

__all__ = [
    "register_tables", "register_indicators", "register_rules", "register_settings", "register_views", "register_boards",
    "register_migrations", "register_commands", "populate",
    "Matter", "MatterStep", "VillageRule", "Asset", "Resource", "Contract", "ContractPayment",
]


@hookimpl
def register_tables(register):
    register(RecordTable(model=Matter, label_zh="村级重大事项", label_en="Major matters", date_field="proposed_on",
                         natural_key=("region_id", "title", "proposed_on"),
                         description_zh="按“四议两公开”程序决策的村级重大事项：类别、金额、提议人和对应账目凭证",
                         description_en="Major village matters decided by the four-deliberations-two-disclosures procedure"))
    register(RecordTable(model=MatterStep, label_zh="四议两公开步骤", label_en="Decision steps", date_field="held_on",
                         natural_key=("matter_id", "step"),
                         description_zh="提议、商议、审议、决议四次会议（应到、实到、表决、结果）和决议公开、实施结果公开，按顺序登记",
                         description_en="The four meetings (attendance, votes, result) and the two disclosures, entered in order"))
    register(RecordTable(model=VillageRule, label_zh="村规民约", label_en="Village rules", date_field="adopted_on",
                         natural_key=("region_id", "version"),
                         description_zh="村规民约（居民公约）各版本：通过会议、表决、乡镇备案和条文；每村一个现行版本",
                         description_en="Versions of the village rules: adoption meeting, vote, township filing and text; one current per village"))
    register(RecordTable(model=Asset, label_zh="集体资产", label_en="Collective assets", date_field="acquired_on",
                         natural_key=("region_id", "name", "acquired_on"),
                         description_zh="房屋建筑物、机器设备、公益和水利设施等集体资产；处置须经决议",
                         description_en="Buildings, equipment and facilities of the collective; a disposal needs a decision"))
    register(RecordTable(model=Resource, label_zh="集体资源", label_en="Collective resources",
                         natural_key=("region_id", "name"),
                         description_zh="集体所有的耕地、林地、山岭荒地、水面、滩涂等资源及面积",
                         description_en="Collectively owned land, forest, hills, water and tidal flats, with their area"))
    register(RecordTable(model=Contract, label_zh="发包租赁合同", label_en="Contracts", date_field="start_on",
                         natural_key=("region_id", "number"),
                         description_zh="集体资源、资产的发包和租赁合同；承包方姓名、电话按个人信息保护打码",
                         description_en="Contracts letting out collective resources and assets; the counterparty is personal data, masked"))
    register(RecordTable(model=ContractPayment, label_zh="合同收款", label_en="Contract payments", date_field="due_on",
                         natural_key=("contract_id", "due_on"),
                         description_zh="合同每期应收和实收金额", description_en="Each instalment due on a contract and what was received"))


@hookimpl
def register_indicators(register):
    for indicator in all_indicators():
        register(indicator)


@hookimpl
def register_rules(register):
    for rule in all_rules():
        register(rule)


@hookimpl
def register_settings(register):
    for s in SETTINGS:
        register(s)


@hookimpl(trylast=True)
def populate(ctx):
    """Runs after the other plugins' (``trylast``): it reads the finance ledger they wrote."""
    from .data import populate_demo, populate_synthetic

    if ctx.mode == "demo":
        populate_demo(ctx)
    else:
        populate_synthetic(ctx)


from .views import register_views  # noqa: E402,F401  dashboard views
from .board import register_boards, register_commands  # noqa: E402,F401  决议公开 and 实施结果公开 notices
from .migrations import register_migrations  # noqa: E402,F401  schema migrations (shequ migrate)
