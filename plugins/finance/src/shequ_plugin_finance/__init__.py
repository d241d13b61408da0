"""shequ-sdk plugin: 民主管理监督理财协会 (democratic management, supervision and finance association).

What it adds:

- the association type ``finance``;
- disclosure postings (公开栏: 党务, 村务/居务, 财务) and their items, the collective ledger
  (账目), resident queries (村民查询), and a derived deadline schedule;
- a deadline engine (:mod:`shequ_plugin_finance.deadlines`) whose every default is a setting a
  township can override; :func:`~shequ_plugin_finance.deadlines.board_status` feeds the
  township heatmap and the timeliness notebook;
- indicators (on-time disclosure rate, overdue boards, boards posted, queries answered late,
  income and expenditure), validation rules, demo and synthetic data, and ``shequ finance status``;
- the posting workflow (:mod:`shequ_plugin_finance.workflow`: review, approval, publication,
  corrections as new versions, history, content fingerprints checked by ``shequ verify``) and
  ``shequ finance review|approve|publish|return|correct|history|verify-copy``.
"""

from __future__ import annotations

from shequ_sdk import AssociationType, RecordTable, Verifier, hookimpl

from . import deadlines, reminders, workflow
from .deadlines import board_status, status_grid
from .indicators import INDICATORS
from .models import ASSOCIATION_TYPE, LedgerEntry, Obligation, Posting, PostingItem, Query, Reminder
from .rules import RULES

__all__ = ["board_status", "status_grid", "Posting", "PostingItem", "LedgerEntry", "Query", "Obligation"]

FINANCE_ASSOCIATION = AssociationType(
    key=ASSOCIATION_TYPE,
    name_zh="民主管理监督理财协会",
    name_en="Democratic management, supervision and finance association",
    description_zh="由村(居)民会议或代表会议推选、负责民主理财和监督村(居)务公开的村(居)务监督组织；"
                   "村(居)委会成员及其近亲属、财会人员不得担任。",
    description_en="The village (or community) affairs supervision body elected by the villagers' assembly: it runs democratic "
                   "financial review and supervises disclosure. Committee members, their close relatives and bookkeepers may not serve.",
    duties_zh=("民主理财：集体审核财务收支凭证并签章", "审核党务、村务(居务)、财务公开内容", "监督村(居)务按时、如实公开",
               "接受村(居)民查询并督促答复", "主持对村(居)委会成员的民主评议"),
    duties_en=("Democratic financial review: examine and sign the vouchers together", "Review what goes on the Party, village "
               "(residents') and finance boards", "Supervise timely and truthful disclosure", "Receive residents' queries and see "
               "that they are answered", "Preside over the annual review of committee members"),
)


@hookimpl
def register_association_types(register):
    register(FINANCE_ASSOCIATION)


@hookimpl
def register_tables(register):
    register(RecordTable(
        model=Posting, label_zh="公开栏公开记录", label_en="Disclosure postings", association_type=ASSOCIATION_TYPE,
        period_field="period", period_kind="quarter", natural_key=("region_id", "board", "period", "title", "version"),
        indexes=(("region_id", "board", "period"),),
        description_zh="党务、村务(居务)、财务公开栏的每次公开；季度写作 2010Q4，按月公开的财务写作 2010-12",
        description_en="Each posting on the Party, village (residents') and finance boards; 2010Q4 for a quarter, 2010-12 for monthly finance"))
    register(RecordTable(
        model=PostingItem, label_zh="公开事项", label_en="Posting items", association_type=ASSOCIATION_TYPE,
        natural_key=("posting_id", "line_no"), indexes=(("posting_id",), ("ledger_entry_id",)),
        description_zh="公开记录的逐项内容；金额以分计，收支方向分列", description_en="Lines of a posting; amounts in fen with their direction"))
    register(RecordTable(
        model=LedgerEntry, label_zh="村级财务收支账目", label_en="Ledger entries", association_type=ASSOCIATION_TYPE,
        date_field="entry_date", natural_key=("region_id", "entry_date", "voucher_no"), indexes=(("region_id", "entry_date"),),
        description_zh="集体收入和支出，按会计制度损益类科目登记，并记录民主理财审核",
        description_en="Collective income and expenditure by profit-and-loss account, with the democratic review sign-off"))
    register(RecordTable(
        model=Query, label_zh="村(居)民查询", label_en="Resident queries", association_type=ASSOCIATION_TYPE,
        date_field="received_on", natural_key=("region_id", "number"), indexes=(("region_id", "received_on"),),
        description_zh="村(居)民对公开内容的查询、质询及答复", description_en="Residents' queries about disclosures, and the replies"))
    register(RecordTable(
        model=Obligation, label_zh="公开与答复期限（派生）", label_en="Disclosure and reply deadlines (derived)",
        association_type=ASSOCIATION_TYPE, date_field="period_start", natural_key=("region_id", "obligation_key"),
        indexes=(("region_id", "period_start", "period_end"),), derived=True,
        description_zh="由配置和账目、查询计算出的应公开事项及截止日期，账目、查询或配置变更时自动更新，请勿手工修改",
        description_en="Derived from settings, ledger and queries; kept current when they change. Do not edit"))
    register(RecordTable(
        model=Reminder, label_zh="催办记录", label_en="Reminders", association_type=ASSOCIATION_TYPE,
        date_field="reminded_on", natural_key=("region_id", "period", "reminded_on"), indexes=(("region_id", "period"),),
        writers=("township",),
        description_zh="乡镇对未按时公开的村（社区）的催办；由乡镇工作人员在看板上发出",
        description_en="A township's reminder to a village whose boards are missing or late; sent from the township dashboard"))


@hookimpl
def register_settings(register):
    for setting in deadlines.SETTINGS + reminders.SETTINGS + workflow.SETTINGS:
        register(setting)


@hookimpl
def register_indicators(register):
    for indicator in INDICATORS:
        register(indicator)


@hookimpl
def register_rules(register):
    for rule in RULES:
        register(rule)


@hookimpl
def populate(ctx):
    from .demo import populate as _populate

    _populate(ctx)


@hookimpl
def register_verifiers(register):
    from .workflow import fingerprint_problems

    register(Verifier(key="finance.posting_fingerprints", label_zh="公开栏内容指纹", label_en="Disclosure posting fingerprints",
                      check=fingerprint_problems))


@hookimpl
def records_changed(session, table, region_ids):
    """Keep the disclosure schedule current at write time: reads never write."""
    from .deadlines import SOURCE_TABLES, keep_current

    if table in SOURCE_TABLES:
        keep_current(session, table, region_ids)


@hookimpl
def register_commands(cli):
    from .commands import add_commands

    add_commands(cli)


from .views import register_views  # noqa: E402,F401  dashboard views (heatmap, board entry)
from .migrations import register_migrations  # noqa: E402,F401  schema migrations (shequ migrate)
