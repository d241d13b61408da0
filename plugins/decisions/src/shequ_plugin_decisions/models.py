"""Record tables of the decisions plugin: 四议两公开, 村规民约 and the 三资 registers.

Everything is kept per village or community (``region_id``):

- ``Matter`` (事项): a major matter decided by the 四议两公开 procedure — title, category,
  amount, who proposed it, and the ledger vouchers it pays (the finance plugin's 凭证号).
- ``MatterStep`` (步骤): one step of a matter, in order: 村党组织提议 → 村"两委"会议商议 →
  党员大会审议 → 村民代表会议或村民会议决议 → 决议公开 → 实施结果公开. The four deliberations
  are meeting records (date, attendance, votes, result); the two disclosures have a date and,
  where it exists, the finance posting that carried them.
- ``VillageRule`` (村规民约): one version of the village's rules with its adoption meeting,
  vote, the township's filing (备案) date and the text; one version per village is current.
- ``Asset`` (资产), ``Resource`` (资源), ``Contract`` (合同) and ``ContractPayment`` (合同收款):
  the 三资 registers besides the funds, which are the finance plugin's ledger.
"""

from __future__ import annotations

from datetime import date
from typing import Optional

from sqlalchemy import Index

from shequ_sdk import Record, field

CATEGORIES = {
    "collective_economy": ("集体经济项目", "collective economic project"),
    "land": ("土地承包与流转", "land contracting and transfer"),
    "public_welfare": ("公益事业建设", "public welfare construction"),
    "asset_disposal": ("集体资产处置", "disposal of collective assets"),
    "budget": ("财务预决算", "budget and final accounts"),
    "other": ("其他", "other"),
}
SOURCES = {
    "masses": ("党员群众建议", "suggested by Party members or villagers"),
    "cadres": ("村干部提议", "proposed by village cadres"),
    "higher": ("上级安排", "assigned by the township or county"),
}
# the six steps of 四议两公开, in the order they must happen
STEPS = {
    "proposal": ("村党组织提议", "Party branch proposal"),
    "consultation": ("村“两委”会议商议", "joint committee consultation"),
    "party_review": ("党员大会审议", "Party members' meeting review"),
    "resolution": ("村民代表会议或村民会议决议", "villagers' (representatives') assembly resolution"),
    "resolution_disclosure": ("决议公开", "resolution disclosed"),
    "result_disclosure": ("实施结果公开", "implementation results disclosed"),
}
STEP_ORDER = tuple(STEPS)
DELIBERATIONS = STEP_ORDER[:4]  # 四议: meeting records
DISCLOSURES = STEP_ORDER[4:]  # 两公开
VOTED = ("consultation", "party_review", "resolution")  # steps that end with a result
BODIES = {
    "assembly": ("村民会议", "villagers' assembly"),
    "representatives": ("村民代表会议", "villagers' representatives' assembly"),
}
RESULTS = {"passed": ("通过", "passed"), "rejected": ("未通过", "rejected")}
ASSET_KINDS = {
    "building": ("房屋建筑物", "buildings"),
    "equipment": ("机器设备", "machinery and equipment"),
    "facility": ("公益和水利设施", "public and water facilities"),
    "vehicle": ("运输工具", "vehicles"),
    "other": ("其他资产", "other assets"),
}
ASSET_STATUS = {
    "in_use": ("在用", "in use"),
    "idle": ("闲置", "idle"),
    "leased": ("出租发包", "leased out"),
    "disposed": ("已处置", "disposed of"),
}
RESOURCE_KINDS = {
    "cropland": ("耕地", "cropland"),
    "forest": ("林地", "forest"),
    "hill": ("山岭荒地", "hills and wasteland"),
    "grassland": ("草地", "grassland"),
    "water": ("水面鱼塘", "ponds and water surface"),
    "beach": ("滩涂", "tidal flats"),
    "construction": ("集体建设用地", "collective construction land"),
}


class Matter(Record, table=True):
    """A major village matter decided through 四议两公开 (村级重大事项)."""

    __tablename__ = "decisions_matter"
    __table_args__ = (Index("ix_decisions_matter_region_proposed", "region_id", "proposed_on"),)
    title: str = field(label_zh="事项名称", label_en="Matter", max_length=200)
    category: str = field(label_zh="事项类别", label_en="Category", choices=CATEGORIES)
    category_detail: Optional[str] = field(default=None, label_zh="类别说明", label_en="Category detail",
                                           note_zh="类别为“其他”时填写，如 宅基地使用方案", note_en="for \"other\": what kind of matter")
    amount_fen: Optional[int] = field(default=None, ge=0, money=True, label_zh="涉及金额", label_en="Amount")
    source: str = field(default="cadres", label_zh="动议事由", label_en="Raised by", choices=SOURCES)
    proposer: str = field(label_zh="提议人（单位）", label_en="Proposer", note_zh="如 村党支部", note_en="e.g. the village Party branch")
    proposed_on: date = field(label_zh="动议日期", label_en="Raised on")
    completed_on: Optional[date] = field(default=None, label_zh="实施完成日期", label_en="Completed on",
                                         note_zh="实施结果须在此后按期公开", note_en="the results are disclosed within the deadline after it")
    vouchers: Optional[str] = field(default=None, label_zh="对应账目凭证号", label_en="Ledger vouchers",
                                    note_zh="本事项的收支凭证号，多个用逗号分隔", note_en="voucher numbers of the matter's ledger entries, comma-separated")
    law_version: str = field(default="村民委员会组织法(2018修正)", label_zh="依据法规版本", label_en="Law version")


class MatterStep(Record, table=True):
    """One step of a matter: a meeting record (四议) or a disclosure (两公开)."""

    __tablename__ = "decisions_step"
    __table_args__ = (Index("ix_decisions_step_matter", "matter_id", "step"),
                      Index("ix_decisions_step_region_date", "region_id", "held_on"))
    matter_id: int = field(foreign_key="decisions_matter.id", label_zh="事项", label_en="Matter")
    step: str = field(label_zh="步骤", label_en="Step", choices=STEPS)
    held_on: date = field(label_zh="日期", label_en="Date", note_zh="会议日期或公开日期", note_en="meeting or disclosure date")
    body: Optional[str] = field(default=None, label_zh="决议会议", label_en="Deciding body", choices=BODIES,
                                note_zh="决议步骤填写：村民会议或村民代表会议", note_en="for the resolution step")
    expected: Optional[int] = field(default=None, ge=0, label_zh="应到人数", label_en="Entitled to attend",
                                    note_zh="村民会议填本村十八周岁以上村民人数", note_en="for a villagers' assembly: adult villagers")
    present: Optional[int] = field(default=None, ge=0, label_zh="实到人数", label_en="Present")
    households_total: Optional[int] = field(default=None, ge=0, label_zh="本村户数", label_en="Households",
                                            note_zh="村民会议按户代表参加时填写", note_en="when a villagers' assembly meets by household representatives")
    households_present: Optional[int] = field(default=None, ge=0, label_zh="到会户代表数", label_en="Households represented")
    votes_for: Optional[int] = field(default=None, ge=0, label_zh="赞成票", label_en="Votes for")
    votes_against: Optional[int] = field(default=None, ge=0, label_zh="反对票", label_en="Votes against")
    result: Optional[str] = field(default=None, label_zh="结果", label_en="Result", choices=RESULTS)
    content: Optional[str] = field(default=None, label_zh="内容摘要", label_en="Summary")
    channel: Optional[str] = field(default=None, label_zh="公开形式", label_en="Disclosed through",
                                   note_zh="如 村务公开栏、广播、明白纸", note_en="e.g. the village board, loudspeaker, leaflet")
    posting_id: Optional[int] = field(default=None, ge=1, label_zh="财务公开记录编号", label_en="Finance posting no.",
                                      note_zh="公开栏公开记录的编号（有则填）", note_en="the disclosure posting that carried it, if any")


class VillageRule(Record, table=True):
    """One version of a village's 村规民约 (or a community's 居民公约)."""

    __tablename__ = "decisions_village_rule"
    __table_args__ = (Index("ix_decisions_village_rule_region", "region_id", "adopted_on"),)
    version: str = field(label_zh="版本", label_en="Version", note_zh="如 2010年修订", note_en="e.g. 2010 revision", max_length=60)
    title: str = field(label_zh="名称", label_en="Title")
    adopted_on: date = field(label_zh="通过日期", label_en="Adopted on")
    body: str = field(default="assembly", label_zh="通过会议", label_en="Adopted by", choices=BODIES)
    expected: int = field(ge=1, label_zh="应到人数", label_en="Entitled to attend")
    present: int = field(ge=0, label_zh="实到人数", label_en="Present")
    households_total: Optional[int] = field(default=None, ge=0, label_zh="本村户数", label_en="Households")
    households_present: Optional[int] = field(default=None, ge=0, label_zh="到会户代表数", label_en="Households represented")
    votes_for: int = field(ge=0, label_zh="赞成票", label_en="Votes for")
    filed_on: Optional[date] = field(default=None, label_zh="乡镇备案日期", label_en="Filed with the township on")
    filed_with: Optional[str] = field(default=None, label_zh="备案机关", label_en="Filed with")
    current: bool = field(default=True, label_zh="现行版本", label_en="Current version")
    rule_text: str = field(label_zh="条文", label_en="Text")


class Asset(Record, table=True):
    """A collective asset (资产): a building, equipment, a facility."""

    __tablename__ = "decisions_asset"
    __table_args__ = (Index("ix_decisions_asset_region_acquired", "region_id", "acquired_on"),)
    name: str = field(label_zh="资产名称", label_en="Asset")
    kind: str = field(label_zh="资产类别", label_en="Kind", choices=ASSET_KINDS)
    acquired_on: date = field(label_zh="购建日期", label_en="Acquired on")
    value_fen: int = field(ge=0, money=True, label_zh="原值", label_en="Value")
    location: Optional[str] = field(default=None, label_zh="坐落位置", label_en="Location")
    status: str = field(default="in_use", label_zh="状态", label_en="Status", choices=ASSET_STATUS)
    disposed_on: Optional[date] = field(default=None, label_zh="处置日期", label_en="Disposed on")
    disposal: Optional[str] = field(default=None, label_zh="处置方式", label_en="Disposal", note_zh="如 拍卖、报废、转让",
                                    note_en="e.g. auction, scrapping, transfer")
    disposal_matter_id: Optional[int] = field(default=None, foreign_key="decisions_matter.id", label_zh="处置决议事项",
                                              label_en="Disposal decided by", note_zh="处置须经四议两公开决议",
                                              note_en="a disposal needs a passed decision")


class Resource(Record, table=True):
    """A collectively owned resource (资源): land, forest, hills, water."""

    __tablename__ = "decisions_resource"
    name: str = field(label_zh="资源名称", label_en="Resource")
    kind: str = field(label_zh="资源类别", label_en="Kind", choices=RESOURCE_KINDS)
    area_mu: float = field(ge=0, label_zh="面积（亩）", label_en="Area (mu)")
    location: Optional[str] = field(default=None, label_zh="坐落位置", label_en="Location")
    registered_on: Optional[date] = field(default=None, label_zh="登记日期", label_en="Registered on")


class Contract(Record, table=True):
    """A contract letting out a resource or asset (发包、租赁合同) and what it brings in."""

    __tablename__ = "decisions_contract"
    __table_args__ = (Index("ix_decisions_contract_region_start", "region_id", "start_on"),)
    number: str = field(label_zh="合同编号", label_en="Contract no.", max_length=60)
    party_name: str = field(sensitive="name", label_zh="承包（承租）方", label_en="Counterparty")
    party_phone: Optional[str] = field(default=None, phone=True, label_zh="承包方电话", label_en="Counterparty phone")
    subject: str = field(label_zh="合同标的", label_en="Object", note_zh="如 集体鱼塘承包", note_en="what is let out")
    resource_id: Optional[int] = field(default=None, foreign_key="decisions_resource.id", label_zh="涉及资源", label_en="Resource")
    asset_id: Optional[int] = field(default=None, foreign_key="decisions_asset.id", label_zh="涉及资产", label_en="Asset")
    signed_on: Optional[date] = field(default=None, label_zh="签订日期", label_en="Signed on")
    start_on: date = field(label_zh="起始日期", label_en="From")
    end_on: date = field(label_zh="终止日期", label_en="Until")
    annual_fen: int = field(ge=0, money=True, label_zh="年承包（租赁）金", label_en="Yearly amount")
    matter_id: Optional[int] = field(default=None, foreign_key="decisions_matter.id", label_zh="决议事项", label_en="Decided by",
                                     note_zh="超过乡镇规定期限或金额的合同须经四议两公开决议",
                                     note_en="needed when the term or amount exceeds the township's limits")


class ContractPayment(Record, table=True):
    """An instalment a contract owes (应收) and what was received (实收)."""

    __tablename__ = "decisions_contract_payment"
    __table_args__ = (Index("ix_decisions_payment_contract", "contract_id"),
                      Index("ix_decisions_payment_region_due", "region_id", "due_on"))
    contract_id: int = field(foreign_key="decisions_contract.id", label_zh="合同", label_en="Contract")
    due_on: date = field(label_zh="应收日期", label_en="Due on")
    due_fen: int = field(ge=0, money=True, label_zh="应收金额", label_en="Amount due")
    received_on: Optional[date] = field(default=None, label_zh="实收日期", label_en="Received on")
    received_fen: int = field(default=0, ge=0, money=True, label_zh="实收金额", label_en="Amount received")
    voucher_no: Optional[str] = field(default=None, label_zh="收款凭证号", label_en="Voucher no.", max_length=40)
