"""The public portal's SDK side (shequ_sdk.public): the static site of ``shequ publish``, QR codes
carrying the verification URL, and residents' questions (ask → answer → public; moderation)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urljoin

import pytest
from sqlmodel import Session

import shequ_sdk
from shequ_sdk import config, public
from shequ_sdk.regions import find_region
from shequ_sdk.testing import need, portal_cases, sqlite_demo_copy

BASE = "https://gongkai.nanxian.example"


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    path = tmp_path_factory.mktemp("portal") / "demo.db"
    sqlite_demo_copy(tmp_path_factory, path)
    sdk = shequ_sdk.open(str(path))
    cases = portal_cases(sdk)
    yield sdk, cases, str(path)
    sdk.close()


def _links(html: str) -> list[str]:
    return [h for h in re.findall(r'href="([^"]+)"', html) if not h.startswith("data:")]  # the empty icon


def test_publish_writes_a_static_site_whose_links_resolve_and_only_changed_pages_are_rewritten(portal, cli, tmp_path):
    sdk, cases, db = portal
    site = tmp_path / "site"
    code, first, err = cli("publish", "--db", db, "--out", str(site))
    assert code == 0, err
    pages = sorted(site.rglob("*.html"))
    manifest = json.loads((site / "manifest.json").read_text(encoding="utf-8"))
    assert len(pages) == len(manifest["pages"]) > 200
    assert f"共 {len(pages)} 页，改写 {len(pages)}，未变 0" in first
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert cases["draft_title"] not in html
        for href in _links(html):
            assert not href.startswith(("/", "http")), (page, href)
            target = (page.parent / unquote(href.split("#")[0])).resolve()
            assert target.is_file() and site.resolve() in target.parents, (page, href)
    assert manifest["fingerprints"][cases["old"]]["state"] == "superseded"
    assert manifest["fingerprints"][cases["new"]]["state"] == "current"
    old_page = (site / "v" / cases["old"] / "index.html").read_text(encoding="utf-8")
    assert f"已被第 2 版更正（2026-11-22，原因：{cases['reason']}）" in old_page
    assert f'href="../../v/{cases["new"]}/index.html"' in old_page

    # one more published posting (a correction of another village's posting) → only its pages change
    before = {p: p.stat().st_mtime_ns for p in pages}
    more = portal_cases(sdk, village="南洲村")
    code, second, err = cli("publish", "--db", db, "--out", str(site), "--quiet")
    assert code == 0, err
    after = json.loads((site / "manifest.json").read_text(encoding="utf-8"))["pages"]
    changed = {name for name, digest in after.items() if manifest["pages"].get(name) != digest}
    # the index page changes only for the audit chain's head it shows (a correction keeps the count of postings)
    assert changed == {"index.html", "南洲村/index.html", f"v/{more['old']}/index.html", f"v/{more['new']}/index.html"}
    assert f"改写 {len(changed)}，未变 {len(after) - len(changed)}" in second
    rewritten = {str(p.relative_to(site)) for p in pages if p.stat().st_mtime_ns != before[p]}
    assert rewritten <= changed


def test_the_published_site_anchors_the_audit_chain_head(portal, cli, tmp_path):
    from shequ_sdk.audit import head, short_hash

    sdk, _cases, db = portal
    site = tmp_path / "site"
    assert cli("publish", "--db", db, "--out", str(site), "--quiet")[0] == 0
    with Session(sdk.engine) as s:
        seq, digest = head(s)
    manifest = json.loads((site / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["audit_head"] == {"seq": seq, "hash": digest}
    assert f"审计日志链尾：第 {seq} 条 · {short_hash(digest)}" in (site / "index.html").read_text(encoding="utf-8")
    # the site's manifest is a head file for shequ verify: it matches now …
    code, out, err = cli("verify", "--db", db, "--head-file", str(site / "manifest.json"))
    assert code == 0, out + err
    # … and names a head that is no longer in the log
    manifest["audit_head"]["hash"] = "0" * 64
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(manifest), encoding="utf-8")
    code, out, err = cli("verify", "--db", db, "--head-file", str(forged))
    assert code == 1 and str(seq) in out + err


def test_publish_refuses_bad_input_in_one_line(portal, cli, tmp_path):
    _, _, db = portal
    code, _, err = cli("publish", "--db", db, "--out", str(tmp_path / "s"), "--region", "南洲镇", "--quiet")
    assert code != 0 and len(err.strip().splitlines()) == 1
    assert "--region 应为县" in err and "takes a county" in err and "Traceback" not in err
    (tmp_path / "file").write_text("x")
    code, _, err = cli("publish", "--db", db, "--out", str(tmp_path / "file"), "--quiet")
    assert code != 0 and "不是目录" in err and "not a directory" in err


def _decode_qr_codes(pdf: bytes, tmp_path: Path) -> list[str]:
    import zxingcpp
    from PIL import Image

    need(shutil.which("pdftoppm") is not None, "pdftoppm (poppler-utils) is not installed")
    (tmp_path / "board.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "200", "-png", str(tmp_path / "board.pdf"), str(tmp_path / "page")], check=True)
    texts = []
    for png in sorted(tmp_path.glob("page*.png")):
        texts += [r.text for r in zxingcpp.read_barcodes(Image.open(png)) if r.format == zxingcpp.BarcodeFormat.QRCode]
    return texts


def test_every_printed_qr_code_opens_its_verification_page(portal, cli, tmp_path):
    from shequ_sdk import boards

    sdk, cases, db = portal
    with Session(sdk.engine) as s:
        without = boards.load_board(s, cases["village"], "2010Q4", "财务")
    assert all(p.verification.startswith("shequ:finance_posting:") for p in without.postings)
    assert "shequ finance verify-copy" in boards.render_html(without)

    code, _, err = cli("config", "set", "public.base_url", "ftp://x", "--region", "南县", "--db", db)
    assert code != 0 and "公开栏网址应为" in err
    code, out, err = cli("config", "set", "public.base_url", BASE + "/", "--region", "南县", "--db", db)
    assert code == 0, err
    with Session(sdk.engine) as s:
        board = boards.load_board(s, cases["village"], "2010Q4", "财务")
        html = boards.render_html(board)
        assert "用手机扫描二维码" in html and "verify-copy" not in html
        expected = sorted(f"{BASE}/public/v/{p.fingerprint}" for p in board.postings)
        decoded = sorted(_decode_qr_codes(boards.render_pdf(html), tmp_path))
        assert decoded == expected and len(decoded) >= 1
        for url in decoded:
            assert url in html  # the printed text says the same address
            status, page = public.render_page(s, url.removeprefix(BASE + "/public/").split("/"), public.Links())
            assert status == 200 and "现行有效" in page and url.rsplit("/", 1)[1] in page
    with sdk.transaction() as s:
        config.set_value(s, public.BASE_URL, "", find_region(s, "南县"))


def test_a_question_is_answered_publicly_and_township_moderation_hides_it(portal):
    from sqlalchemy import select

    from shequ_plugin_finance import questions
    from shequ_sdk.audit import AuditEntry
    from shequ_sdk.errors import InputError

    sdk, cases, _ = portal
    with sdk.transaction() as s:
        with pytest.raises(InputError, match="最多 500 字"):
            questions.ask(s, cases["new"], "问" * 501)
        with pytest.raises(Exception, match="现行公开记录"):
            questions.ask(s, cases["old"], "旧版本的问题")  # a superseded version takes no questions
        q = questions.ask(s, cases["new"], "<script>alert(1)</script>修路款为何增加？", name="张三丰", phone="13812345678")
        qid, due = q.id, questions.reply_due_of(s, q)
        assert (due - q.received_on).days == 10
        assert [r.id for r in questions.open_questions(s, q.region_id)] == [qid]
    links = public.Links()
    with Session(sdk.engine) as s:
        _, page = public.render_page(s, [cases["village"]], links)
        assert "修路款为何增加" not in page  # not answered yet
    with sdk.transaction() as s:
        questions.answer(s, qid, "增加的 1.00 元为运费，已更正公开。")
    with Session(sdk.engine) as s:
        _, page = public.render_page(s, [cases["village"]], links)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;修路款为何增加？" in page and "<script>alert" not in page
    assert "张**" in page and "张三丰" not in page and "13812345678" not in page and "138****5678" not in page
    assert "增加的 1.00 元为运费" in page
    with sdk.transaction() as s:
        questions.hide(s, qid, "含有与公开内容无关的个人信息")
    with Session(sdk.engine) as s:
        _, page = public.render_page(s, [cases["village"]], links)
        assert "修路款为何增加" not in page
        entry = s.execute(select(AuditEntry).where(AuditEntry.action == "query.hide")).scalars().one()
        assert entry.reason == "含有与公开内容无关的个人信息" and entry.record_id == qid


def test_the_village_answers_in_the_entry_app(portal, render_view):
    from shequ_plugin_finance import questions

    sdk, cases, _ = portal
    with sdk.transaction() as s:
        qid = questions.ask(s, cases["new"], "第3项管理费用包括哪些？", phone="13700001111").id
    view = render_view("finance.questions_entry", sdk, region=cases["village"], period="2026Q4", role="village")
    text = "".join(str(getattr(o, "object", "")) for o in view.select(lambda o: hasattr(o, "object")))
    assert "第3项管理费用包括哪些？" in text and "137****1111" in text and "13700001111" not in text and "答复期限" in text
    assert view.answer(qid, "包括办公用品和水电费。", True)
    with Session(sdk.engine) as s:
        _, page = public.render_page(s, [cases["village"]], public.Links())
    assert "第3项管理费用包括哪些？" in page and "包括办公用品和水电费。" in page
