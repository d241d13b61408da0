"""Printable disclosure boards (公开栏): one region's postings for one board and period, as a
poster in Chinese (A3 by default), in HTML or PDF (WeasyPrint, Noto CJK fonts).

The postings come from the finance plugin's record tables, read through the registry
(``finance_posting`` and ``finance_posting_item``) and its public ``deadlines`` module; without
that plugin there is nothing to print. Each posting on the board becomes one section: title,
region and period, the items (for finance: income and expenditure in 元 with totals), the
reviewer's and approver's names with signature lines, the posting date and the last display
day. Long boards flow onto further pages; the table header repeats on each page (``thead``)
and the totals come once, after the last item. The HTML references no remote resource.

Only published postings are printed (a draft, or a version superseded by a correction, is not
what hangs on the board). Each shows its version, who reviewed (审核), approved (审批) and
published (公开) it and when, and its content fingerprint (``3f2a-9c1b-77e0``) with a QR code
(inline SVG, made by segno). When the county has set ``public.base_url`` the QR code and the
printed text are the address of the posting's public verification page
(``<base_url>/public/v/<fingerprint>``, :mod:`shequ_sdk.public`), which any phone opens; otherwise
they encode ``shequ:finance_posting:<id>:v<version>:<fingerprint>``, checked with
``shequ finance verify-copy --fingerprint …``. Every posting also carries the audit log's head
when the board was printed (seq and short hash): the paper anchors the chain outside the
database (``shequ verify --head-file``).

Other plugins add boards of their own through the ``register_boards`` hook (a
:class:`~shequ_sdk.registry.BoardType` whose ``load`` builds a :class:`Board`): ``--board`` is
matched against their key, label and aliases first. Their postings fill the generic parts of
the same template — ``columns`` and ``rows`` for the table, ``signers``, ``steps``, ``notice``
and ``verify_hint`` — and get the same fingerprint line, QR code and audit-log head.
"""

from __future__ import annotations

import datetime as dt
import importlib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Optional

from sqlalchemy import select
from sqlmodel import Session

from .errors import InputError, NotFoundError
from .period import KIND_LABELS, Period
from .plugins import registry
from .regions import find_region

POSTING_TABLE = "finance_posting"
ITEM_TABLE = "finance_posting_item"
PAGE_SIZES = ("A1", "A2", "A3", "A4", "A5", "B3", "B4", "B5")
BASE_FONT_PT = {"A1": 20, "A2": 16, "A3": 13, "A4": 10.5, "A5": 9, "B3": 14, "B4": 12, "B5": 10}
CENT = Decimal("0.01")


@dataclass
class BoardItem:
    line_no: int
    title: str
    content: Optional[str]
    account: Optional[str]
    income: Optional[str]
    expense: Optional[str]
    amount: Optional[str]


@dataclass
class BoardPosting:
    title: str
    kind_label: Optional[str]
    period_label: str
    posted_on: Optional[dt.date]
    display_until: Optional[dt.date]
    reviewer_name: Optional[str]
    review_date: Optional[dt.date]
    approver_name: Optional[str]
    approval_date: Optional[dt.date]
    status_label: str
    legal_basis: Optional[str]
    posting_id: int = 0
    version: int = 1
    reviewed_by: Optional[str] = None
    reviewed_at: Optional[str] = None
    approved_at: Optional[str] = None
    published_by: Optional[str] = None
    published_at: Optional[str] = None
    correction_reason: Optional[str] = None
    fingerprint: Optional[str] = None  # short form, as printed
    verification: Optional[str] = None  # what the QR code encodes
    qr_svg: str = ""
    items: list[BoardItem] = field(default_factory=list)
    has_amounts: bool = False  # income and expenditure columns
    single_amount: bool = False  # one 金额 column: amounts without a direction
    has_accounts: bool = False
    amount_total: str = "0.00"
    income_total: str = "0.00"
    expense_total: str = "0.00"
    balance: str = "0.00"
    # a plugin board's own parts (``register_boards``); left empty, the finance layout is used
    columns: list[str] = field(default_factory=list)  # table header: with ``rows``, replaces the finance items
    rows: list[list[str]] = field(default_factory=list)
    signers: Optional[list[tuple[str, str, str, Optional[dt.date]]]] = None  # (role, role's note, name, date) lines
    steps: Optional[list[str]] = None  # the record lines above the fingerprint (finance: version, review, approval)
    notice: Optional[str] = None  # the footnote (finance: where to ask about the board)
    verify_hint: Optional[str] = None  # how to check a paper copy (finance: ``shequ finance verify-copy``)
    questions: list = field(default_factory=list)  # residents' questions with published replies (public pages)


@dataclass
class Board:
    region_name: str
    board_code: str
    board_label: str
    period: Period
    postings: list[BoardPosting]
    printed_on: dt.date
    audit_head_seq: int = 0  # the audit log's head when printed: the paper copy anchors it
    audit_head_hash: str = ""
    proof: bool = False  # a draft proof (草稿样张): the postings not yet published, watermarked 草稿

    @property
    def audit_head_short(self) -> str:
        """``3a61-7f5a-7bbe``: the head hash's first 12 hex digits, as ``shequ verify --head-file`` accepts them."""
        from .audit import short_hash

        return short_hash(self.audit_head_hash)

    @property
    def period_label(self) -> str:
        return self.period.label("zh")


def yuan(fen: Optional[int]) -> Optional[str]:
    """``123450`` fen → ``"1,234.50"``."""
    if fen is None:
        return None
    return f"{(Decimal(int(fen)) / 100).quantize(CENT):,}"


def _tables():
    reg = registry()
    missing = [k for k in (POSTING_TABLE, ITEM_TABLE) if k not in reg.tables]
    if missing:
        raise InputError("打印公开栏需要财务插件（shequ-plugin-finance，民主管理监督理财协会），当前未安装或加载失败",
                         "printing a disclosure board needs the finance plugin (shequ-plugin-finance), which is not installed or failed to load")
    return reg.tables[POSTING_TABLE], reg.tables[ITEM_TABLE]


def board_code(posting_rt, board: str) -> str:
    """A board given as 党务 / 村务 / 居务 / 财务 (or its code) → the stored code."""
    choices = posting_rt.field("board").choices or {}
    text = board.strip()
    for code, (zh, en) in choices.items():
        if text in (code, zh, en, f"{zh}公开", f"{zh}公开栏"):
            return code
    extra = list(registry().boards.values())
    allowed = "、".join([zh for zh, _ in choices.values()] + [b.label_zh for b in extra])
    raise InputError(f"未知的公开栏 {board!r}（可选：{allowed}）", f"unknown board {board!r} (one of {', '.join([*choices, *(b.key for b in extra)])})")


def qr_svg(text: str) -> str:
    """An inline ``<svg>`` QR code of ``text`` (segno; no image file, no remote request)."""
    import segno

    return segno.make(text, error="m").svg_inline(scale=3, border=2, dark="#111", light="#fff")


def plugin_board(board: str):
    """The :class:`~shequ_sdk.registry.BoardType` a plugin registered under ``board`` (its key,
    Chinese or English label, ``<label>公开栏`` or an alias), else ``None``."""
    text = (board or "").strip()
    for spec in registry().boards.values():
        if text in (spec.key, spec.label_zh, spec.label_en, f"{spec.label_zh}公开栏", *spec.aliases):
            return spec
    return None


# the postings a draft proof shows: written, not yet put up
PROOF_STATUSES = ("draft", "reviewed", "approved")


def load_board(session: Session, region, period, board: str, *, today: Optional[dt.date] = None, proof: bool = False) -> Board:
    """The published postings of ``board`` for ``region`` and ``period``, ready to render
    (a plugin's board is built by its ``load``). With ``proof``, the postings not yet
    published instead, for a draft proof (草稿样张) to check before publishing."""
    spec = plugin_board(board)
    if spec is not None and proof:
        raise InputError(f"{spec.label_zh}公开栏没有草稿样张：只有党务、村务、居务、财务公开栏经审核后公开",
                         f"the {spec.label_en} board has no draft proof: only the party, village, residents and finance boards are published after review")
    if spec is not None:
        r = find_region(session, region)
        p = Period.parse(period)
        if p.kind not in spec.period_kinds:
            kinds = "、".join(KIND_LABELS[k][0] for k in spec.period_kinds)
            raise InputError(f"{spec.label_zh}公开栏按{kinds}打印，不能按 {p.label('zh')} 打印",
                             f"the {spec.label_en} board is printed per {', '.join(spec.period_kinds)}, not for {p}")
        board = spec.load(session, r, p, today or dt.date.today())
        from .audit import head

        board.audit_head_seq, board.audit_head_hash = head(session)  # the paper anchors the chain, as the finance boards do
        return board
    posting_rt, _ = _tables()
    r = find_region(session, region)
    p = Period.parse(period)
    code = board_code(posting_rt, board)
    Posting = posting_rt.model
    wanted = PROOF_STATUSES if proof else ("published",)
    candidates = session.execute(select(Posting).where(Posting.region_id == r.id, Posting.board == code,
                                                       Posting.status.in_(wanted))).scalars().all()
    chosen = []
    for post in candidates:
        try:
            pp = Period.parse(post.period)
        except InputError:
            continue
        if pp == p or (pp.kind != p.kind and p.contains(pp)):  # 2010Q4 also shows the monthly 2010-10…12 postings
            chosen.append((pp, post))
    choices = posting_rt.field("board").choices or {}
    label = choices.get(code, (code, code))[0]
    if not chosen and proof:
        raise NotFoundError(f"{r.name} {p.label('zh')} 没有尚未公开的{label}记录，无草稿样张可打印",
                            f"{r.name} has no unpublished {choices.get(code, (code, code))[1]} posting for {p}; no draft proof to print")
    if not chosen:
        others = [str(x) for x in sorted({Period.parse(post.period) for post in candidates if _parses(post.period)})]
        hint_zh = f"（该公开栏已公开的期间：{'、'.join(others[-8:])}）" if others else "（该公开栏还没有已公开的记录）"
        hint_en = f" (periods with published postings: {', '.join(others[-8:])})" if others else " (this board has no published postings at all)"
        raise NotFoundError(f"{r.name} {p.label('zh')} 没有{label}公开记录可以打印（只打印已公开的记录，草稿须先审核、审批、公开）{hint_zh}",
                            f"{r.name} has no published {choices.get(code, (code, code))[1]} posting for {p}; nothing to print "
                            f"(a draft is reviewed, approved and published first){hint_en}")
    chosen.sort(key=lambda t: (t[0], t[1].kind != "regular", t[1].posted_on or dt.date.max, t[1].id))
    cache: dict = {}
    postings = [board_posting(session, post, pp.label("zh"), cache=cache) for pp, post in chosen]
    from .audit import head

    seq, digest = head(session)
    return Board(region_name=r.name, board_code=code, board_label=label, period=p, postings=postings, printed_on=today or dt.date.today(),
                 audit_head_seq=seq, audit_head_hash=digest, proof=proof)


def verification_text(session: Session, post) -> Optional[str]:
    """What a posting's QR code encodes: ``<public.base_url>/public/v/<fingerprint>`` when the
    county has set its public address (:mod:`shequ_sdk.public`), else
    ``shequ:finance_posting:<id>:v<version>:<fingerprint>``."""
    if not post.fingerprint:
        return None
    workflow = importlib.import_module("shequ_plugin_finance.workflow")
    from .public import verification_url

    return verification_url(session, post.region_id, post.fingerprint) or workflow.verification_string(post.id, post.version, post.fingerprint)


def _labels(cache: dict) -> tuple[dict, dict, dict]:
    """The status, kind and account labels (read from the table descriptions once per ``cache``)."""
    if "labels" not in cache:
        posting_rt, item_rt = _tables()
        cache["labels"] = (posting_rt.field("status").choices or {}, posting_rt.field("kind").choices or {},
                           item_rt.field("account_code").choices or {})
    return cache["labels"]


def _display_until_cached(session: Session, post, cache: dict) -> Optional[dt.date]:
    """The posting's last display day, as the finance plugin computes it (own date, else posted +
    ``finance.display_days``), with the configured days looked up once per region."""
    try:
        deadlines = importlib.import_module("shequ_plugin_finance.deadlines")
    except ImportError:
        return post.display_until
    if post.posted_on is None:
        return post.display_until
    key = ("display_days", post.region_id)
    if key not in cache:
        from . import config
        from .models import Region

        cache[key] = config.get(session, "finance.display_days", session.get(Region, post.region_id))
    return deadlines.display_until(post.posted_on, cache[key], post.display_until)


def board_posting(session: Session, post, period_label: str, *, qr: bool = True, cache: Optional[dict] = None) -> BoardPosting:
    """One stored posting as it is printed: items in 元, totals, who and when, fingerprint, QR code
    (shared by the paper board and the public pages of :mod:`shequ_sdk.public`, which need no QR
    code: ``qr=False``). ``cache``: one dict for all the postings of a page (labels, settings)."""
    cache = {} if cache is None else cache
    _, item_rt = _tables()
    workflow = importlib.import_module("shequ_plugin_finance.workflow")
    Item = item_rt.model
    status_choices, kind_choices, account_choices = _labels(cache)
    items = session.execute(select(Item).where(Item.posting_id == post.id).order_by(Item.line_no, Item.id)).scalars().all()
    income = sum(it.amount_fen or 0 for it in items if it.direction == "income")
    expense = sum(it.amount_fen or 0 for it in items if it.direction == "expense")

    def person(username):  # a user by display name, the local single user as 本机用户 (never "local")
        key = ("person", username)
        if key not in cache:
            cache[key] = workflow.person_label(session, username) if username else username
        return cache[key]

    bp = BoardPosting(
        title=post.title, kind_label=kind_choices.get(post.kind, (None,))[0] if post.kind != "regular" else None,
        period_label=period_label, posted_on=post.posted_on, display_until=_display_until_cached(session, post, cache),
        reviewer_name=post.reviewer_name, review_date=post.review_date,
        approver_name=person(post.approved_by), approval_date=workflow.local_date(post.approved_at),
        status_label=status_choices.get(post.status, (post.status,))[0],
        legal_basis=post.legal_basis, posting_id=post.id, version=post.version,
        reviewed_by=person(post.reviewed_by), reviewed_at=workflow.local_time(post.reviewed_at),
        approved_at=workflow.local_time(post.approved_at),
        published_by=person(post.published_by), published_at=workflow.local_time(post.published_at),
        correction_reason=post.correction_reason, fingerprint=workflow.short_fingerprint(post.fingerprint),
        has_accounts=any(it.account_code for it in items),
        income_total=yuan(income), expense_total=yuan(expense), balance=yuan(income - expense),
        amount_total=yuan(sum(it.amount_fen or 0 for it in items)),
    )
    if post.fingerprint and qr:
        bp.verification = verification_text(session, post)
        bp.qr_svg = qr_svg(bp.verification)
    with_amount = [it for it in items if it.amount_fen is not None]
    bp.single_amount = bool(with_amount) and any(it.direction not in ("income", "expense") for it in with_amount)
    bp.has_amounts = bool(with_amount) and not bp.single_amount
    for it in items:
        amount = yuan(it.amount_fen)
        bp.items.append(BoardItem(
            line_no=it.line_no, title=it.title, content=it.content,
            account=f"{it.account_code} {account_choices[it.account_code][0]}" if it.account_code in account_choices else it.account_code,
            income=amount if it.direction == "income" else None,
            expense=amount if it.direction == "expense" else None,
            amount=amount,
        ))
    return bp


def _parses(text: str) -> bool:
    try:
        Period.parse(text)
        return True
    except InputError:
        return False


def page_size(size: str) -> tuple[str, str]:
    """``A3``, ``a4``, ``A3 landscape`` / ``A3-landscape`` → (CSS ``@page`` size, paper name)."""
    m = re.fullmatch(r"\s*([A-Za-z]\d)\s*(?:[-_ ]?(landscape|portrait|横向|纵向))?\s*", size or "")
    if not m or m.group(1).upper() not in PAGE_SIZES:
        raise InputError(f"不支持的纸张 {size!r}（可选：{', '.join(PAGE_SIZES)}，可加 landscape）",
                         f"unsupported paper size {size!r} (one of {', '.join(PAGE_SIZES)}, optionally landscape)")
    paper = m.group(1).upper()
    orientation = "landscape" if (m.group(2) or "").lower() in ("landscape", "横向") else "portrait"
    return f"{paper} {orientation}", paper


def render_html(board: Board, size: str = "A3") -> str:
    """The board as a self-contained HTML page (inline CSS, no remote resources)."""
    import jinja2

    css_size, paper = page_size(size)
    source = resources.files("shequ_sdk").joinpath("templates/board.html").read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    from markupsafe import Markup

    # the QR code is our own SVG (segno), not user text: mark it safe so autoescape keeps it markup
    for post in board.postings:
        post.qr_svg = Markup(post.qr_svg)
    return env.from_string(source).render(board=board, page_size=css_size, base_pt=BASE_FONT_PT[paper])


def render_pdf(html: str) -> bytes:
    """PDF bytes of a printable HTML page — a board, the printed dashboard (WeasyPrint; fonts from the system, Noto CJK embedded)."""
    import logging

    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # font-subsetting chatter is not the user's business
    return HTML(string=html, base_url=None).write_pdf()


def write_board(sdk, *, region, period, board: str, out, size: str = "A3", today: Optional[dt.date] = None,
                proof: bool = False) -> Path:
    """Render a board to ``out``: ``.pdf`` or ``.html`` by its suffix. With ``proof``, the draft
    proof (草稿样张) of the postings not yet published, watermarked 草稿 on every page."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".pdf", ".html", ".htm"):
        raise InputError(f"公开栏只能输出为 .pdf 或 .html：{out.name}", f"a board is written as .pdf or .html: {out.name}")
    page_size(size)
    sdk.readable_region(region)  # the user's scope applies to what a board shows
    with Session(sdk.engine) as s:
        data = load_board(s, region, period, board, today=today, proof=proof)
    html = render_html(data, size)
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".pdf":
        out.write_bytes(render_pdf(html))
    else:
        out.write_text(html, encoding="utf-8")
    return out

