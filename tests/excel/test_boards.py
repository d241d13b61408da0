"""Printable disclosure boards: the PDF's own text holds the items, totals, names and dates; long
boards flow onto more pages with the header repeated and the totals once at the end; the HTML
references nothing remote; a region and period without a posting is a clear error."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from shequ_sdk import registry
from shequ_sdk.boards import load_board, page_size, render_html, write_board, yuan


@pytest.fixture
def finance(demo):
    from shequ_sdk.testing import need

    need("finance_posting" in registry().tables, "the finance plugin (shequ-plugin-finance) is not installed")
    return demo


def posting_and_items(sdk, region: str, board: str, period: str):
    reg = registry()
    Posting, Item = reg.tables["finance_posting"].model, reg.tables["finance_posting_item"].model
    with sdk.transaction() as s:
        rid = sdk.region(region).id
        post = s.execute(select(Posting).where(Posting.region_id == rid, Posting.board == board, Posting.period == period,
                                               Posting.kind == "regular")).scalar_one()
        items = s.execute(select(Item).where(Item.posting_id == post.id).order_by(Item.line_no)).scalars().all()
        return post, items


def pdf_pages(path) -> list[str]:
    return [re.sub(r"\s+", "", page.extract_text()) for page in PdfReader(str(path)).pages]


def test_finance_board_pdf_holds_items_totals_names_and_dates(finance, tmp_path):
    out = write_board(finance, region="新尚村社区", period="2010Q4", board="财务", out=tmp_path / "board.pdf")
    post, items = posting_and_items(finance, "新尚村社区", "finance", "2010Q4")
    assert len(items) >= 3
    pages = pdf_pages(out)
    text = "".join(pages)
    assert "新尚村社区财务公开栏" in text and "2010年第4季度" in text and post.title in text
    for it in items:
        assert it.title in text and yuan(it.amount_fen) in text
    income = sum(it.amount_fen for it in items if it.direction == "income")
    expense = sum(it.amount_fen for it in items if it.direction == "expense")
    assert f"合计{yuan(income)}{yuan(expense)}" in text
    assert f"收支相抵：{yuan(income - expense)}元" in text
    assert f"审核人" in text and post.reviewer_name in text and "审批人" in text and "签字" in text
    assert f"公开日期：{post.posted_on}" in text and f"公开至：{post.display_until}" in text
    assert "第1页/共1页" in pages[-1]
    width, height = (float(x) for x in PdfReader(str(out)).pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (842, 1191)  # A3 portrait by default


def test_other_boards_and_sizes(finance, tmp_path):
    out = write_board(finance, region="新尚村社区", period="2010Q4", board="居务", out=tmp_path / "r.pdf", size="A4 landscape")
    _, items = posting_and_items(finance, "新尚村社区", "residents", "2010Q4")
    text = "".join(pdf_pages(out))
    assert "新尚村社区居务公开栏" in text and all(it.title in text for it in items)
    assert "合计" not in text  # no amounts, no totals
    width, height = (float(x) for x in PdfReader(str(out)).pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (842, 595)
    with pytest.raises(Exception, match="不支持的纸张"):
        page_size("Letter")


def test_long_board_flows_onto_more_pages(finance, tmp_path):
    reg = registry()
    Item = reg.tables["finance_posting_item"].model
    post, items = posting_and_items(finance, "新尚村社区", "finance", "2010Q4")
    start = max(it.line_no for it in items) + 1
    # rendering only: the rows go in directly, the finance plugin's business rules are not under test here
    extra = [Item(region_id=post.region_id, posting_id=post.id, line_no=start + i, title=f"长清单事项{start + i:03d}",
                  content="测试分页", amount_fen=10_000 + i, direction="expense", account_code="541", synthetic=True) for i in range(120)]
    with finance.transaction() as s:
        s.add_all(extra)
    out = write_board(finance, region="新尚村社区", period="2010Q4", board="财务", out=tmp_path / "long.pdf", size="A4")
    pages = pdf_pages(out)
    assert len(pages) >= 3, len(pages)
    for n, page in enumerate(pages, start=1):
        assert "序号事项会计科目收入（元）支出（元）" in page, f"the table header is missing on page {n}"
        assert f"第{n}页/共{len(pages)}页" in page
    assert all("合计" not in page for page in pages[:-1]) and "合计" in pages[-1]
    assert f"长清单事项{start + 119:03d}" in pages[-1] and f"长清单事项{start:03d}" in "".join(pages[:2])
    income = sum(it.amount_fen for it in items if it.direction == "income")
    expense = sum(it.amount_fen for it in items if it.direction == "expense") + sum(e.amount_fen for e in extra)
    assert f"合计{yuan(income)}{yuan(expense)}" in pages[-1]


def test_html_is_self_contained(finance, tmp_path):
    out = write_board(finance, region="新尚村社区", period="2010Q4", board="党务", out=tmp_path / "b.html")
    html = out.read_text(encoding="utf-8")
    assert "新尚村社区党务公开栏" in html and "Noto Sans CJK SC" in html
    assert "@page" in html and re.search(r"@page\s*{[^}]*font-family", html)
    for remote in ("http://", "https://", "url(", "<link", "<script", "<img", "@import", 'src="//'):
        assert remote not in html, remote


def test_escaping_of_stored_text(finance):
    with finance.transaction() as s:
        board = load_board(s, "新尚村社区", "2010Q4", "财务")
    board.postings[0].title = "<script>alert(1)</script>"
    board.postings[0].items[0].content = '"><img src=x>'
    html = render_html(board)
    assert "<script>" not in html and "&lt;script&gt;" in html and "<img" not in html


def test_monthly_postings_appear_on_their_quarter(finance, tmp_path):
    """A special posting for 2010-06 is part of the 2010Q2 finance board."""
    with finance.transaction() as s:
        board = load_board(s, "新尚村社区", "2010Q2", "finance")
    titles = [p.title for p in board.postings]
    assert titles[0] == "2010年第2季度财务公开" and any("专项公开" in t for t in titles[1:])
    assert board.postings[1].kind_label == "专项公开"


def test_no_posting_is_a_clear_error(finance, cli, tmp_path):
    code, out, err = cli("board", "--db", finance.url, "--region", "新尚村社区", "--period", "2008Q4", "--board", "财务",
                         "--out", str(tmp_path / "x.pdf"))
    assert code == 2 and "没有财务公开记录" in err and "2010Q4" in err and "Traceback" not in err
    assert not (tmp_path / "x.pdf").exists()
    code, out, err = cli("board", "--db", finance.url, "--region", "新尚村社区", "--period", "2010Q4", "--board", "政务",
                         "--out", str(tmp_path / "x.pdf"))
    assert code == 2 and "未知的公开栏" in err and "财务" in err
    code, out, err = cli("board", "--db", finance.url, "--region", "新尚村社区", "--period", "2010Q4", "--board", "财务",
                         "--out", str(tmp_path / "x.docx"))
    assert code == 2 and ".pdf" in err
    code, out, err = cli("board", "--db", finance.url, "--region", "新尚村社区", "--period", "2010Q4", "--board", "财务",
                         "--out", str(tmp_path / "ok.pdf"))
    assert code == 0 and (tmp_path / "ok.pdf").read_bytes().startswith(b"%PDF")


def test_yuan_formatting():
    assert yuan(123450) == "1,234.50" and yuan(5) == "0.05" and yuan(0) == "0.00" and yuan(None) is None
    assert Decimal(yuan(2_147_483_647).replace(",", "")) == Decimal("21474836.47")
