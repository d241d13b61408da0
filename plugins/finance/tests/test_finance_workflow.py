"""The posting workflow on both backends: draft → reviewed → approved → published with who and
when, refused steps naming the rule, immutability, corrections and their history, timeliness by
first publication, fingerprints (``shequ verify``, ``verify-copy``) and the printed board."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import select, text

from shequ_plugin_finance import workflow
from shequ_plugin_finance.models import Posting, PostingItem
from shequ_sdk import BatchError, InputError, PermissionDenied
from shequ_sdk.auth import Actor

D = dt.date
TODAY = D(2011, 3, 31)  # the world fixture's today (conftest.TODAY)
VILLAGE = "测试县/甲镇/一村"
ITEMS = [{"title": "村务监督工作", "content": "季度例会 3 次"}, {"title": "低保评议", "content": "新增 2 户"}]


def draft(world, village="一村", board="party", period="2010Q4", posted_on=D(2011, 1, 10), items=ITEMS) -> int:
    return world.post(village, board, period, posted_on, status="draft", items=items)


def row(world, pid: int) -> dict:
    with world.sdk.transaction() as s:
        return dict(s.execute(select(Posting.__table__).where(Posting.__table__.c.id == pid)).mappings().one())


def step(world, name: str, pid: int, actor=None, **kw):
    with world.sdk.transaction() as s:
        return getattr(workflow, name)(s, pid, actor, today=TODAY, **kw) if name != "correct" else workflow.correct(s, pid, kw["reason"], actor)


def actors(world) -> dict[str, Actor]:
    return {"reviewer": Actor("shen", "reviewer", world.ids["一村"], "沈审核"), "township": Actor("zhou", "township", world.ids["甲镇"]),
            "village": Actor("cun", "village", world.ids["一村"]), "other_reviewer": Actor("li", "reviewer", world.ids["三村"]),
            "other_township": Actor("wu", "township", world.ids["乙镇"])}


def audit_actions(world, pid: int) -> list[tuple[str, str]]:
    with world.sdk.transaction() as s:
        return [tuple(r) for r in s.execute(text("SELECT action, actor FROM audit_log WHERE table_key = 'finance_posting' "
                                                 "AND record_id = :id AND action LIKE 'posting.%' ORDER BY seq"), {"id": pid})]


def test_each_step_records_who_and_when_and_is_audited(world):
    a = actors(world)
    pid = draft(world)
    assert row(world, pid)["status"] == "draft"
    step(world, "review", pid, a["reviewer"])
    step(world, "approve", pid, a["township"])
    step(world, "publish", pid, a["village"])
    r = row(world, pid)
    assert r["status"] == "published" and r["version"] == 1
    assert (r["reviewed_by"], r["approved_by"], r["published_by"]) == ("shen", "zhou", "cun")
    assert r["reviewed_at"] <= r["approved_at"] <= r["published_at"]
    assert abs(r["published_at"] - dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)) < dt.timedelta(minutes=5)  # naive UTC
    assert r["reviewer_name"] == "审核人" and r["posted_on"] == D(2011, 1, 10)  # the paper signature and date are kept
    assert re.fullmatch(r"[0-9a-f]{64}", r["fingerprint"])
    assert audit_actions(world, pid) == [("posting.review", "shen"), ("posting.approve", "zhou"), ("posting.publish", "cun")]


def test_wrong_order_and_wrong_role_are_refused_naming_the_rule(world):
    a = actors(world)
    pid = draft(world)
    with pytest.raises(InputError, match="草拟 → 审核 → 审批 → 公开") as exc:
        step(world, "approve", pid, a["township"])
    assert "draft" in exc.value.en
    with pytest.raises(InputError, match="只有「已审批」的记录才能公开"):
        step(world, "publish", pid)
    with pytest.raises(PermissionDenied, match=r"规则：审核须由本村（社区）的民主理财审核员") as exc:
        step(world, "review", pid, a["village"])
    assert "rule: the review is done by a reviewer of the posting's village" in exc.value.en
    with pytest.raises(PermissionDenied, match="不能审核公开记录"):
        step(world, "review", pid, a["other_reviewer"])
    step(world, "review", pid, a["reviewer"])
    with pytest.raises(PermissionDenied, match="审批须由所属乡镇的工作人员"):
        step(world, "approve", pid, a["other_township"])
    with pytest.raises(PermissionDenied, match="审批须由"):
        step(world, "approve", pid, a["reviewer"])
    step(world, "approve", pid, a["township"])
    with pytest.raises(PermissionDenied, match="公开须由本村（社区）村\\(居\\)委会"):
        step(world, "publish", pid, a["reviewer"])
    step(world, "publish", pid, a["township"])  # township staff may publish too
    assert row(world, pid)["status"] == "published"
    assert [x for x, _ in audit_actions(world, pid)] == ["posting.review", "posting.approve", "posting.publish"]  # refusals leave no trace


def test_status_and_steps_cannot_be_written_directly(world):
    base = {"region_id": world.ids["一村"], "board": "party", "period": "2010Q4", "title": "直接写入", "posted_on": D(2011, 1, 10),
            "reviewer_name": "审核人", "review_date": D(2011, 1, 9)}
    with pytest.raises(BatchError) as exc:
        world.write(Posting, [{**base, "status": "published"}])
    assert exc.value.problems[0].rule == "finance.posting_workflow" and "shequ finance review" in str(exc.value)
    with pytest.raises(BatchError, match="approved_by"):
        world.write(Posting, [{**base, "approved_by": "自己"}])
    pid = draft(world)
    stored = {k: v for k, v in row(world, pid).items() if k != "id"}
    with pytest.raises(BatchError, match="由审核、审批、公开、更正操作设定"):
        world.sdk.write(Posting, [{**stored, "status": "reviewed", "reviewed_by": "x", "reviewed_at": dt.datetime(2011, 1, 9, 8)}],
                        mode="upsert", today=TODAY)


def test_a_published_posting_and_its_items_are_immutable(world):
    pid = world.post("一村", "party", "2010Q4", D(2011, 1, 10), items=ITEMS)
    stored = {k: v for k, v in row(world, pid).items() if k != "id"}
    with pytest.raises(BatchError) as exc:
        world.sdk.write(Posting, [{**stored, "legal_basis": "改过"}], mode="upsert", today=TODAY)
    p = exc.value.problems[0]
    assert p.rule == "finance.posting_workflow" and f"#{pid}" in p.message_zh and "发起更正" in p.message_zh
    assert "shequ" not in p.message_zh + p.message_en and f"shequ finance correct --id {pid}" in str(p)  # the command: command line only
    with world.sdk.transaction() as s:
        items = [dict(r) for r in s.execute(select(PostingItem.__table__).where(PostingItem.__table__.c.posting_id == pid)).mappings()]
    changed = {k: v for k, v in items[0].items() if k != "id"} | {"content": "改过"}
    with pytest.raises(BatchError) as exc:
        world.sdk.write(PostingItem, [changed], mode="upsert", today=TODAY)
    assert exc.value.problems[0].rule == "finance.item_workflow" and "已公开" in exc.value.problems[0].message_zh
    with pytest.raises(BatchError, match="finance correct"):
        world.write(PostingItem, [{"region_id": world.ids["一村"], "posting_id": pid, "line_no": 9, "title": "追加"}])
    # the same rows again (a re-import of what is stored) change nothing and pass
    assert world.sdk.write(Posting, [stored], mode="upsert", today=TODAY).unchanged == 1
    assert world.sdk.write(PostingItem, [{k: v for k, v in items[0].items() if k != "id"}], mode="upsert", today=TODAY).unchanged == 1
    assert row(world, pid)["legal_basis"] is None


def test_reviewed_posting_goes_back_to_draft_before_it_changes(world):
    pid = world.post("一村", "party", "2010Q4", D(2011, 1, 10), status="reviewed", items=ITEMS)
    stored = {k: v for k, v in row(world, pid).items() if k != "id"}
    with pytest.raises(BatchError, match="shequ finance return"):
        world.sdk.write(Posting, [{**stored, "legal_basis": "改过"}], mode="upsert", today=TODAY)
    with pytest.raises(InputError, match="原因"):
        with world.sdk.transaction() as s:
            workflow.return_to_draft(s, pid, "  ")
    with world.sdk.transaction() as s:
        workflow.return_to_draft(s, pid, "事项不全")
    back = row(world, pid)
    assert back["status"] == "draft" and back["reviewed_by"] is None and back["reviewed_at"] is None
    world.sdk.write(Posting, [{**{k: v for k, v in back.items() if k != "id"}, "legal_basis": "改过"}], mode="upsert", today=TODAY)
    assert row(world, pid)["legal_basis"] == "改过"


def test_a_correction_is_a_new_version_with_a_reason_and_a_history(world):
    pid = world.post("一村", "finance", "2010Q4", D(2011, 1, 10), items=[
        {"title": "补助收入", "amount_fen": 80_000, "direction": "income", "account_code": "522"},
        {"title": "管理费用", "amount_fen": 50_050, "direction": "expense", "account_code": "541"}])
    old_fp = row(world, pid)["fingerprint"]
    for blank in ("", "   "):
        with pytest.raises(InputError, match="请填写原因"):
            step(world, "correct", pid, reason=blank)
    with pytest.raises(PermissionDenied, match="更正须由"):
        step(world, "correct", pid, actors(world)["reviewer"], reason="笔误")
    new = step(world, "correct", pid, reason="管理费用金额笔误").id
    v2 = row(world, new)
    assert (v2["status"], v2["version"], v2["supersedes_id"], v2["correction_reason"]) == ("draft", 2, pid, "管理费用金额笔误")
    with pytest.raises(InputError, match="已有更正中的新版本"):
        step(world, "correct", pid, reason="再改")
    # the draft version is edited like any draft: its item (copied) takes the right amount
    with world.sdk.transaction() as s:
        item = dict(s.execute(select(PostingItem.__table__).where(PostingItem.__table__.c.posting_id == new,
                                                                  PostingItem.__table__.c.line_no == 2)).mappings().one())
    world.sdk.write(PostingItem, [{**{k: v for k, v in item.items() if k != "id"}, "amount_fen": 50_500}], mode="upsert", today=TODAY)
    world.sdk.write(Posting, [{**{k: v for k, v in v2.items() if k != "id"}, "posted_on": D(2011, 3, 1), "reviewer_name": "审核人",
                               "review_date": D(2011, 2, 28)}], mode="upsert", today=TODAY)
    assert row(world, pid)["status"] == "published"  # still the board's version until the correction is published
    world.advance(new, "published")
    assert row(world, pid)["status"] == "superseded" and row(world, pid)["fingerprint"] == old_fp
    assert row(world, new)["status"] == "published" and row(world, new)["fingerprint"] != old_fp
    with pytest.raises(InputError, match="它已被更正过"):
        step(world, "correct", pid, reason="再改")
    with world.sdk.transaction() as s:
        versions = workflow.history(s, pid)
    assert [v["version"] for v in versions] == [1, 2] and versions[0]["changes"] is None
    changes = {(c["line"], c["field"]): (c["old"], c["new"]) for c in versions[1]["changes"]}
    assert changes[(2, "amount_fen")] == (50_050, 50_500)
    assert changes[(None, "posted_on")] == (D(2011, 1, 10), D(2011, 3, 1))
    assert (1, "amount_fen") not in changes
    assert all(v["reviewed_by"] and v["approved_by"] and v["published_by"] for v in versions)
    with world.sdk.transaction() as s:
        assert [v["id"] for v in workflow.history(s, new)] == [pid, new]  # from either end


def test_timeliness_counts_published_postings_dated_by_first_publication(world):
    as_of = D(2011, 3, 31)
    key = ("board", "party", "2010Q4")

    def status():
        return {(r["kind"], r["board"], r["period"]): r for r in world.status("一村", ["2010Q4"], as_of)}[key]

    pid = draft(world)  # due 2011-01-15, dated 2011-01-10: a draft does not count
    assert status()["status"] == "missing"
    world.advance(pid, "approved")
    assert status()["status"] == "missing"
    world.advance(pid, "published")
    assert (status()["status"], status()["posted_on"]) == ("on_time", D(2011, 1, 10))
    new = step(world, "correct", pid, reason="补充说明").id
    v2 = row(world, new)
    world.sdk.write(Posting, [{**{k: v for k, v in v2.items() if k != "id"}, "posted_on": D(2011, 3, 20), "reviewer_name": "审核人",
                               "review_date": D(2011, 3, 19)}], mode="upsert", today=TODAY)
    world.advance(new, "published")
    assert row(world, pid)["status"] == "superseded"
    assert (status()["status"], status()["posted_on"]) == ("on_time", D(2011, 1, 10))  # the correction does not make it late
    # the indicator reads the same SQL: party on time, the village and finance boards missing
    rate = world.values("一村", "2010Q4", as_of, keys=("finance.disclosure_on_time_rate",))["finance.disclosure_on_time_rate"]
    assert rate == pytest.approx(1 / 3)


def test_fingerprints_are_verified_and_a_paper_copy_is_identified(world, cli):
    pid = world.post("一村", "finance", "2010Q4", D(2011, 1, 10), items=[
        {"title": "补助收入", "amount_fen": 80_000, "direction": "income", "account_code": "522"}])
    fp = row(world, pid)["fingerprint"]
    short = workflow.short_fingerprint(fp)
    assert re.fullmatch(r"[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}", short) and fp.startswith(short.replace("-", ""))
    db = world.sdk.url
    code, out, err = cli("verify", "--db", db)
    assert code == 0, out + err
    code, out, _ = cli("finance", "verify-copy", "--db", db, "--fingerprint", short.upper())
    assert code == 0 and f"#{pid}" in out and "是当前版本" in out
    code, _, err = cli("finance", "verify-copy", "--db", db, "--fingerprint", "0000-0000-0000")
    assert code == 1 and "与记录不符" in err
    code, _, err = cli("finance", "verify-copy", "--db", db, "--fingerprint", "3f2a")
    assert code == 2 and "至少 12 位" in err
    # an amount changed behind the SDK's back (straight SQL) no longer matches what was printed
    with world.sdk.transaction() as s:
        s.execute(text("UPDATE finance_posting_item SET amount_fen = 8000 WHERE posting_id = :id"), {"id": pid})
    code, out, err = cli("verify", "--db", db)
    assert code == 1, out + err
    assert f"#{pid}" in out + err and short in out + err and "2010Q4" in out + err
    code, out, _ = cli("verify", "--db", db, "--json")
    report = json.loads(out)
    mine = next(v for v in report["verifiers"] if v["key"] == "finance.posting_fingerprints")
    assert not mine["valid"]
    code, out, _ = cli("finance", "verify-copy", "--db", db, "--fingerprint", short)
    assert code == 1 and "与指纹不符" in out


def test_cli_walks_the_workflow_and_prints_the_history(world, cli):
    pid = draft(world)
    db = world.sdk.url
    code, _, err = cli("finance", "publish", "--db", db, "--id", str(pid))
    assert code == 2 and "只有「已审批」的记录才能公开" in err and "\n" not in err.strip()
    for name in ("review", "approve", "publish"):
        code, out, err = cli("finance", name, "--db", db, "--id", str(pid))
        assert code == 0, err
    assert "指纹" in out and workflow.short_fingerprint(row(world, pid)["fingerprint"]) in out
    code, _, err = cli("finance", "correct", "--db", db, "--id", str(pid), "--reason", " ")
    assert code == 2 and "原因" in err
    code, out, err = cli("finance", "correct", "--db", db, "--id", str(pid), "--reason", "标题有误")
    assert code == 0 and "第 2 版" in out
    code, out, _ = cli("finance", "history", "--db", db, "--id", str(pid))
    assert code == 0 and "第 1 版" in out and "第 2 版" in out and "更正原因 / reason: 标题有误" in out and "审核：local" in out
    code, out, _ = cli("finance", "history", "--db", db, "--id", str(pid), "--json")
    versions = json.loads(out)
    assert [v["status"] for v in versions] == ["published", "draft"] and versions[1]["changes"] is not None
    code, _, err = cli("finance", "review", "--db", db, "--id", "999999")
    assert code == 2 and "999999" in err


def test_printed_board_shows_the_workflow_the_fingerprint_and_a_qr_code(world, tmp_path):
    from pypdf import PdfReader

    from shequ_sdk.boards import write_board

    draft(world, board="party", period="2010Q3", posted_on=D(2010, 10, 10))  # a draft is never printed
    with pytest.raises(InputError, match="只打印已公开的记录"):
        write_board(world.sdk, region=VILLAGE, period="2010Q3", board="党务", out=tmp_path / "none.html")
    pid = world.post("一村", "party", "2010Q4", D(2011, 1, 10), items=ITEMS)
    short = workflow.short_fingerprint(row(world, pid)["fingerprint"])
    html = write_board(world.sdk, region=VILLAGE, period="2010Q4", board="党务", out=tmp_path / "b.html").read_text(encoding="utf-8")
    assert short in html and f"shequ:finance_posting:{pid}:v1:{short}" in html
    assert re.search(r"<svg[^>]*>.*<path", html, re.S) and "http" not in html
    # the local single user is printed as 本机用户, never as the audit log's "local"
    assert "审核：本机用户" in html and "审批：本机用户" in html and "公开：本机用户" in html and "第 1 版" in html
    assert "local" not in html
    pdf = write_board(world.sdk, region=VILLAGE, period="2010Q4", board="党务", out=tmp_path / "b.pdf")
    text_ = "".join(p.extract_text() for p in PdfReader(str(pdf)).pages).replace(" ", "")
    assert short in text_ and f"shequ:finance_posting:{pid}:v1:" in text_ and "审核：本机用户" in text_


def test_check_reports_a_published_posting_without_its_steps(world):
    pid = world.post("一村", "party", "2010Q4", D(2011, 1, 10), items=ITEMS)
    assert [p for p in world.sdk.check(today=TODAY) if p.rule == "finance.posting_steps_recorded"] == []
    with world.sdk.transaction() as s:  # behind the SDK's back
        s.execute(text("UPDATE finance_posting SET approved_by = NULL WHERE id = :id"), {"id": pid})
    problems = [p for p in world.sdk.check(today=TODAY) if p.rule == "finance.posting_steps_recorded"]
    assert [(p.row, p.field) for p in problems] == [(pid, "approved_by")] and "审批" in problems[0].message_zh


def test_cli_acts_as_the_signed_in_user(world, cli, monkeypatch):
    from shequ_sdk.auth import add_user

    with world.sdk.transaction() as s:
        add_user(s, "cun1", role="village", password="cun-pass-123", region=VILLAGE)
        add_user(s, "shen1", role="reviewer", password="shen-pass-123", region=VILLAGE, display_name="沈审核")
    pid = draft(world)
    db = world.sdk.url
    monkeypatch.setenv("SHEQU_PASSWORD", "cun-pass-123")
    code, _, err = cli("finance", "review", "--db", db, "--id", str(pid), "--user", "cun1")
    assert code == 2 and "规则：审核须由本村（社区）的民主理财审核员" in err
    monkeypatch.setenv("SHEQU_PASSWORD", "shen-pass-123")
    code, out, err = cli("finance", "review", "--db", db, "--id", str(pid), "--user", "shen1")
    assert code == 0, err
    r = row(world, pid)
    assert (r["status"], r["reviewed_by"], r["reviewer_name"]) == ("reviewed", "shen1", "审核人")
    assert audit_actions(world, pid) == [("posting.review", "shen1")]
