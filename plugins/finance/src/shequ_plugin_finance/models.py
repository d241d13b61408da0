"""Record tables of the finance plugin: disclosure postings (公开栏) and their items, the
collective ledger (账目), resident queries (村民查询) and the derived deadline schedule.

Money is integer fen (分) in ``*_fen`` columns. Periods are stored as canonical labels
(``2010Q4`` for a quarter, ``2010-12`` for a month) so that SQL can match postings to the
deadline schedule without date arithmetic.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import DateTime, Index, UniqueConstraint

from shequ_sdk import Record, field

ASSOCIATION_TYPE = "finance"

BOARDS = {
    "party": ("党务", "Party affairs"),
    "village": ("村务", "Village affairs"),
    "residents": ("居务", "Residents' affairs"),
    "finance": ("财务", "Finance"),
}
# Which boards a region of each kind must keep (the 村务 board becomes 居务 in a 社区).
BOARDS_FOR_KIND = {
    "village": ("party", "village", "finance"),
    "community": ("party", "residents", "finance"),
}

POSTING_STATUSES = {
    "draft": ("草拟", "draft"),
    "reviewed": ("已审核", "reviewed"),
    "approved": ("已审批", "approved"),
    "published": ("已公开", "published"),
    "superseded": ("已更正（旧版本）", "superseded by a correction"),
}
# Statuses at which the supervision association has already signed the content off.
REVIEWED_STATUSES = ("reviewed", "approved", "published", "superseded")
# Statuses of a posting that was put up on the board: they count for timeliness and are immutable.
PUBLISHED_STATUSES = ("published", "superseded")
# Columns only the workflow (shequ_plugin_finance.workflow) sets; records.write may not change them.
WORKFLOW_COLUMNS = ("status", "reviewed_by", "reviewed_at", "approved_by", "approved_at", "published_by", "published_at",
                    "version", "supersedes_id", "correction_reason", "fingerprint")

POSTING_KINDS = {
    "regular": ("定期公开", "regular (scheduled)"),
    "special": ("专项公开", "special (one item)"),
}

DIRECTIONS = {"income": ("收入", "income"), "expense": ("支出", "expense")}

# Profit-and-loss (损益类) accounts, by chart version: code -> (中文, English, direction).
# 2004: 《村集体经济组织会计制度》(财会〔2004〕12号), in force 2005-01-01 to 2023-12-31.
# All nine P&L accounts are kept: 521 (agricultural-tax surcharge refunds) is obsolete after the
# tax was abolished in 2006 but still in the chart, and 561 investment income is a real income line.
# The 2023 chart (财会〔2023〕14号) is not listed yet: its account codes are unverified (DOMAIN.md §2.3).
CHARTS = {
    "2004": {
        "501": ("经营收入", "Operating income", "income"),
        "511": ("发包及上交收入", "Contracting and remitted income", "income"),
        "521": ("农业税附加返还收入", "Agricultural tax surcharge refunds", "income"),
        "522": ("补助收入", "Grant income", "income"),
        "531": ("其他收入", "Other income", "income"),
        "561": ("投资收益", "Investment income", "income"),
        "502": ("经营支出", "Operating expenditure", "expense"),
        "541": ("管理费用", "Management expenses", "expense"),
        "551": ("其他支出", "Other expenditure", "expense"),
    },
}
CHART_VERSIONS = {"2004": ("村集体经济组织会计制度(财会〔2004〕12号)", "Village collective accounting rules (2004)")}
CHART_VALIDITY = {"2004": (date(2005, 1, 1), date(2023, 12, 31))}
ACCOUNTS = {code: (zh, en) for chart in CHARTS.values() for code, (zh, en, _) in chart.items()}

QUERY_CHANNELS = {
    "oral": ("口头", "oral"),
    "written": ("书面", "written"),
    "box": ("意见箱", "suggestion box"),
    "online": ("线上", "online"),
}
QUERY_HANDLERS = {
    "committee": ("村(居)民委员会", "village/residents' committee"),
    "supervision": ("村(居)务监督委员会", "affairs supervision committee"),
    "finance_group": ("民主理财小组", "democratic finance group"),
}
ESCALATIONS = {"township": ("乡镇人民政府", "township government"), "county": ("县级人民政府", "county government")}

OBLIGATION_KINDS = {
    "board": ("定期公开", "scheduled board"),
    "major": ("重大事项公开", "major item"),
    "query": ("查询答复", "query reply"),
}


class Posting(Record, table=True):
    """One version of a posting on a disclosure board (公开栏) for one period.

    A posting goes draft → reviewed → approved → published (:mod:`shequ_plugin_finance.workflow`),
    each step recording who and when. A published version is immutable; a correction is a new
    version (``version`` + 1, ``supersedes_id``, ``correction_reason``) that walks the same steps,
    and when it is published the old one becomes ``superseded``.
    """

    __tablename__ = "finance_posting"
    __table_args__ = (
        UniqueConstraint("region_id", "board", "period", "title", "version", name="uq_finance_posting"),
        Index("ix_finance_posting_board_period", "region_id", "board", "period"),
        Index("ix_finance_posting_fingerprint", "fingerprint"),
    )
    board: str = field(label_zh="公开栏", label_en="Board", choices=BOARDS)
    period: str = field(label_zh="公开期间", label_en="Period", max_length=20,
                        note_zh="季度写作 2010Q4，按月公开财务写作 2010-12", note_en="2010Q4 for a quarter, 2010-12 for a monthly finance posting")
    kind: str = field(default="regular", label_zh="公开类型", label_en="Kind", choices=POSTING_KINDS)
    title: str = field(label_zh="标题", label_en="Title", max_length=200)
    posted_on: Optional[date] = field(default=None, label_zh="公开日期", label_en="Posted on")
    display_until: Optional[date] = field(default=None, label_zh="公开截止日期", label_en="Display until",
                                          note_zh="空白表示按配置的天数", note_en="blank: posted date + the configured days")
    reviewer_name: Optional[str] = field(default=None, label_zh="审核人", label_en="Reviewer",
                                         note_zh="民主管理监督理财协会成员", note_en="member of the supervision association")
    review_date: Optional[date] = field(default=None, label_zh="审核日期", label_en="Review date")
    status: str = field(default="draft", label_zh="状态", label_en="Status", choices=POSTING_STATUSES,
                        note_zh="由审核、审批、公开操作设定", note_en="set by the review, approve and publish steps")
    legal_basis: Optional[str] = field(default=None, label_zh="公开依据", label_en="Legal basis",
                                       note_zh="法规名称及版本，如 村民委员会组织法(2018修正)", note_en="rule name and version, not an article number")
    reviewed_by: Optional[str] = field(default=None, label_zh="审核操作人", label_en="Reviewed by (user)")
    reviewed_at: Optional[datetime] = field(default=None, label_zh="审核时间", label_en="Reviewed at")
    approved_by: Optional[str] = field(default=None, label_zh="审批操作人", label_en="Approved by (user)")
    approved_at: Optional[datetime] = field(default=None, label_zh="审批时间", label_en="Approved at")
    published_by: Optional[str] = field(default=None, label_zh="公开操作人", label_en="Published by (user)")
    published_at: Optional[datetime] = field(default=None, label_zh="公开时间", label_en="Published at")
    version: int = field(default=1, ge=1, label_zh="版本", label_en="Version")
    supersedes_id: Optional[int] = field(default=None, foreign_key="finance_posting.id", label_zh="更正的原版本",
                                         label_en="Corrects version")
    correction_reason: Optional[str] = field(default=None, label_zh="更正原因", label_en="Reason for the correction")
    fingerprint: Optional[str] = field(default=None, max_length=64, label_zh="内容指纹", label_en="Fingerprint",
                                       note_zh="公开时按内容计算的 SHA-256", note_en="SHA-256 of the content, computed at publication")


# The steps' times are naive UTC (like the audit log): spreadsheets and the write path carry naive
# datetimes, so an exported posting re-imports unchanged. Shown in Beijing time (workflow.local_time).
for _column in ("reviewed_at", "approved_at", "published_at"):
    Posting.__table__.c[_column].type = DateTime(timezone=False)


class PostingItem(Record, table=True):
    """One line of a posting; ``region_id`` repeats the posting's region so scoping works."""

    __tablename__ = "finance_posting_item"
    __table_args__ = (UniqueConstraint("posting_id", "line_no", name="uq_finance_posting_item"),)
    posting_id: int = field(foreign_key="finance_posting.id", index=True, label_zh="公开记录", label_en="Posting")
    line_no: int = field(ge=1, label_zh="序号", label_en="Line")
    title: str = field(label_zh="事项", label_en="Item", max_length=200)
    content: Optional[str] = field(default=None, label_zh="内容", label_en="Content")
    amount_fen: Optional[int] = field(default=None, ge=0, money=True, label_zh="金额(分)", label_en="Amount (fen)")
    direction: Optional[str] = field(default=None, label_zh="收支方向", label_en="Direction", choices=DIRECTIONS)
    account_code: Optional[str] = field(default=None, label_zh="会计科目", label_en="Account", choices=ACCOUNTS)
    ledger_entry_id: Optional[int] = field(default=None, foreign_key="finance_ledger_entry.id", index=True,
                                           label_zh="对应账目", label_en="Ledger entry",
                                           note_zh="专项公开的重大事项所对应的账目", note_en="the ledger entry a major-item line discloses")


class LedgerEntry(Record, table=True):
    """An income or expenditure entry of the village collective (村级财务收支)."""

    __tablename__ = "finance_ledger_entry"
    __table_args__ = (
        UniqueConstraint("region_id", "entry_date", "voucher_no", name="uq_finance_ledger_voucher"),
        Index("ix_finance_ledger_region_date", "region_id", "entry_date"),
    )
    entry_date: date = field(label_zh="记账日期", label_en="Date")
    voucher_no: str = field(label_zh="凭证号", label_en="Voucher no.", max_length=40)
    direction: str = field(label_zh="收支方向", label_en="Direction", choices=DIRECTIONS)
    account_code: str = field(label_zh="会计科目", label_en="Account", choices=ACCOUNTS)
    chart_version: str = field(default="2004", label_zh="会计制度版本", label_en="Chart of accounts", choices=CHART_VERSIONS)
    amount_fen: int = field(ge=0, money=True, label_zh="金额(分)", label_en="Amount (fen)")
    summary: Optional[str] = field(default=None, label_zh="摘要", label_en="Summary", max_length=200)
    reviewer_name: Optional[str] = field(default=None, label_zh="民主理财审核人", label_en="Reviewed by")
    review_date: Optional[date] = field(default=None, label_zh="审核日期", label_en="Review date")


class Query(Record, table=True):
    """A resident's query about what was (or was not) disclosed (村民查询/质询)."""

    __tablename__ = "finance_query"
    __table_args__ = (
        UniqueConstraint("region_id", "number", name="uq_finance_query_number"),
        Index("ix_finance_query_region_received", "region_id", "received_on"),
    )
    number: str = field(label_zh="登记号", label_en="Register no.", max_length=40)
    asker_name: Optional[str] = field(default=None, sensitive="name", label_zh="查询人", label_en="Asked by",
                                      note_zh="意见箱可匿名", note_en="may be blank for the suggestion box")
    channel: str = field(label_zh="渠道", label_en="Channel", choices=QUERY_CHANNELS)
    subject: str = field(label_zh="查询事项", label_en="Subject", max_length=500)
    board: Optional[str] = field(default=None, label_zh="涉及公开栏", label_en="Board", choices=BOARDS)
    handler: str = field(default="supervision", label_zh="答复单位", label_en="Handled by", choices=QUERY_HANDLERS)
    received_on: date = field(label_zh="受理日期", label_en="Received on")
    reply_due: Optional[date] = field(default=None, label_zh="答复期限", label_en="Reply due",
                                      note_zh="空白表示受理日期 + 配置的天数（默认10日）", note_en="blank: received + the configured days (10 by default)")
    replied_on: Optional[date] = field(default=None, label_zh="答复日期", label_en="Replied on")
    reply_text: Optional[str] = field(default=None, label_zh="答复内容", label_en="Reply")
    escalated_to: Optional[str] = field(default=None, label_zh="反映至", label_en="Escalated to", choices=ESCALATIONS)
    # a plain integer (no foreign key): checked by shequ_plugin_finance.questions when asked
    posting_id: Optional[int] = field(default=None, index=True, label_zh="所问公开记录",
                                      label_en="Posting asked about", note_zh="公开栏网页上提出的质询", note_en="asked on the public page")
    asker_phone: Optional[str] = field(default=None, sensitive="phone", label_zh="联系电话", label_en="Phone")
    reply_public: bool = field(default=False, label_zh="答复已公开", label_en="Reply published",
                               note_zh="公开后答复显示在公开栏网页该记录下", note_en="shown under the posting on the public page")
    hidden_reason: Optional[str] = field(default=None, label_zh="隐藏原因", label_en="Hidden because",
                                         note_zh="乡镇审核后不在公开网页显示", note_en="hidden from the public pages by the township")
    hidden_by: Optional[str] = field(default=None, label_zh="隐藏操作人", label_en="Hidden by (user)")
    hidden_at: Optional[datetime] = field(default=None, label_zh="隐藏时间", label_en="Hidden at")


Query.__table__.c["hidden_at"].type = DateTime(timezone=False)


class Obligation(Record, table=True):
    """Derived: every disclosure or reply the rules expect, with its due date.

    Rebuilt from settings, regions, ledger entries and queries by
    :func:`shequ_plugin_finance.deadlines.refresh` (each finance indicator's ``prepare`` calls it),
    so township overrides take effect on the next computation. Do not edit by hand.
    ``period_start``/``period_end`` bound what is disclosed (a quarter or month; for a major item
    or a query, its own date), which is how indicators place an obligation in a period.
    """

    __tablename__ = "finance_obligation"
    __table_args__ = (
        UniqueConstraint("region_id", "obligation_key", name="uq_finance_obligation"),
        Index("ix_finance_obligation_span", "region_id", "period_start", "period_end"),
        # refresh() finds the obligations of moved ledger entries and queries by their source
        Index("ix_finance_obligation_ledger_entry", "ledger_entry_id"),
        Index("ix_finance_obligation_query", "query_id"),
    )
    obligation_key: str = field(label_zh="事项键", label_en="Key", max_length=80)
    kind: str = field(label_zh="类别", label_en="Kind", choices=OBLIGATION_KINDS)
    board: Optional[str] = field(default=None, label_zh="公开栏", label_en="Board", choices=BOARDS)
    period: str = field(label_zh="期间", label_en="Period", max_length=8)
    period_start: date = field(label_zh="期间开始", label_en="Period start")
    period_end: date = field(label_zh="期间结束", label_en="Period end")
    due_date: date = field(label_zh="截止日期", label_en="Due date")
    # plain integers, not foreign keys: a derived row must never block deleting its source
    ledger_entry_id: Optional[int] = field(default=None, label_zh="账目", label_en="Ledger entry")
    query_id: Optional[int] = field(default=None, label_zh="查询", label_en="Query")


class Reminder(Record, table=True):
    """A township's reminder (催办) to a village whose quarterly boards are missing or late.

    Written by township staff (``RecordTable.writers``), audit-logged like every record; the
    village sees it in the entry app's 催办与待办 view until the boards are posted."""

    __tablename__ = "finance_reminder"
    __table_args__ = (UniqueConstraint("region_id", "period", "reminded_on", name="uq_finance_reminder"),)
    period: str = field(label_zh="公开期间", label_en="Period", max_length=10, note_zh="季度，如 2010Q4", note_en="a quarter, e.g. 2010Q4")
    boards: str = field(label_zh="未按时公开的公开栏", label_en="Boards behind", max_length=60,
                        note_zh="逗号分隔：党务、村务、居务、财务", note_en="comma-separated board names")
    reminded_on: date = field(label_zh="催办日期", label_en="Reminded on")
    reminded_by: str = field(label_zh="催办人", label_en="Reminded by", max_length=60)
    respond_by: Optional[date] = field(default=None, label_zh="要求完成日期", label_en="Post by")
    note: Optional[str] = field(default=None, label_zh="催办意见", label_en="Note", max_length=500)
