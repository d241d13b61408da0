"""The entry app's three boards on both backends: saved as drafts, moved along by the 审核 / 审批 /
公开 buttons the session's user may press, and shown read-only once past draft."""

from __future__ import annotations

import datetime as dt

import pytest

from shequ_sdk.auth import Actor

D = dt.date
VILLAGE = "测试县/甲镇/一村"


def entry(sdk, quarter="2010Q4"):
    pytest.importorskip("panel")
    from shequ_plugin_finance.views import boards_entry
    from shequ_sdk.ui import DataStore

    return boards_entry(DataStore(sdk=sdk, region=VILLAGE, period=quarter))


def buttons(batch) -> list[str]:
    return [b.css_classes[-1] for b in batch.workflow.objects if "shequ-step" in (b.css_classes or [])]


def test_boards_are_saved_as_drafts_then_reviewed_approved_and_published(world):
    batch = entry(world.sdk)
    assert [f.fixed["board"] for f in batch.forms] == ["party", "village", "finance"]
    assert buttons(batch) == ["shequ-step-review", "shequ-step-approve", "shequ-step-publish"]  # local mode: every step
    assert not {"status", "reviewed_by", "published_at", "fingerprint", "version"} & set(batch.forms[0].inputs)
    for form in batch.forms:
        form.inputs["posted_on"].widget.value = D(2011, 1, 10)
        form.inputs["review_date"].widget.value = D(2011, 1, 9)
        form.inputs["reviewer_name"].widget.value = "审核人"
    assert batch.save() == 3
    rows = world.sdk.frame("finance_posting", region=VILLAGE, period="2010Q4", codes=True)
    assert set(rows["status"]) == {"draft"} and set(rows["version"]) == {1}
    with world.sdk.transaction() as s:
        from shequ_plugin_finance.deadlines import board_status
        from shequ_sdk import Region

        def statuses():
            return {r["board"]: r["status"] for r in board_status(s, s.get(Region, world.ids["一村"]), ["2010Q4"], D(2011, 3, 31))}

        assert set(statuses().values()) == {"missing"}  # drafts do not count

    bar = batch.workflow
    assert bar.run("approve", "审批", "Approve") == 0
    assert "没有「已审核」的记录可以审批" in bar.objects[-1].object
    assert bar.run("review", "审核", "Review") == 3
    assert all('data-status="reviewed"' in f.status.object for f in batch.forms)
    assert all(f.frozen and f.inputs["legal_basis"].disabled and not f.touched() for f in batch.forms)
    assert bar.run("approve", "审批", "Approve") == 3
    assert bar.run("publish", "公开", "Publish") == 3
    assert "已公开 3 条记录" in bar.objects[-1].object
    assert all("指纹" in f.status.object for f in batch.forms)
    rows = world.sdk.frame("finance_posting", region=VILLAGE, period="2010Q4", codes=True)
    assert set(rows["status"]) == {"published"} and rows["fingerprint"].notna().all()
    with world.sdk.transaction() as s:
        assert set(statuses().values()) == {"on_time"}
    assert batch.save() == 0  # nothing to save: published boards are read-only


def test_buttons_follow_the_sessions_user_and_refusals_change_nothing(world):
    batch = entry(world.sdk)
    for form in batch.forms[:1]:
        form.inputs["posted_on"].widget.value = D(2011, 1, 10)
        form.inputs["reviewer_name"].widget.value = "审核人"
        form.inputs["review_date"].widget.value = D(2011, 1, 9)
    assert batch.save() == 1
    reviewer = world.sdk.as_user(Actor("shen", "reviewer", world.ids["一村"]))
    township = world.sdk.as_user(Actor("zhou", "township", world.ids["甲镇"]))
    committee = world.sdk.as_user(Actor("cun", "village", world.ids["一村"]))
    elsewhere = world.sdk.as_user(Actor("wu", "township", world.ids["乙镇"]))
    assert buttons(entry(reviewer)) == ["shequ-step-review"]
    assert buttons(entry(township)) == ["shequ-step-approve", "shequ-step-publish"]
    assert buttons(entry(committee)) == ["shequ-step-publish"]
    assert buttons(entry(elsewhere)) == []
    as_committee = entry(committee)
    assert as_committee.workflow.run("publish", "公开", "Publish") == 0  # a draft cannot be published
    as_reviewer = entry(reviewer)
    assert as_reviewer.workflow.run("review", "审核", "Review") == 1, as_reviewer.workflow.objects[-1].object
    assert as_committee.workflow.run("publish", "公开", "Publish") == 0
    assert "没有「已审批」的记录可以公开" in as_committee.workflow.objects[-1].object
    rows = world.sdk.frame("finance_posting", region=VILLAGE, period="2010Q4", codes=True)
    assert list(rows["status"]) == ["reviewed"] and list(rows["reviewed_by"]) == ["shen"]


def _save_three(world, quarter="2010Q4", items=("party", "village")):
    """The three boards of 一村 saved as drafts from the entry view; items written for ``items``."""
    from sqlalchemy import select

    from shequ_plugin_finance.models import Posting, PostingItem

    batch = entry(world.sdk, quarter)
    for form in batch.forms:
        form.inputs["posted_on"].widget.value = D(2011, 1, 10)
        form.inputs["review_date"].widget.value = D(2011, 1, 9)
        form.inputs["reviewer_name"].widget.value = "审核人"
    assert batch.save() == 3
    with world.sdk.transaction() as s:
        ids = dict(s.execute(select(Posting.board, Posting.id).where(Posting.region_id == world.ids["一村"], Posting.period == quarter)).all())
    rows = [{"region_id": world.ids["一村"], "posting_id": ids[b], "line_no": n, "title": f"事项 {n}", "content": "内容"}
            for b in items for n in (1, 2)]
    if rows:
        world.write(PostingItem, rows)
    for form in batch.forms:
        form.reload()
    return batch, ids


def test_publish_asks_for_confirmation_naming_boards_items_and_people(world):
    world.setting("finance.publish_requires_items", True, "一村")
    batch, ids = _save_three(world)
    bar = batch.workflow
    assert bar.run("review", "审核", "Review") == 3
    # an empty board is refused before any confirmation, naming the board and the quarter
    assert bar.ask_publish() == [] and not bar.confirm_box.visible
    said = bar.objects[-1].object
    assert "财务公开栏 · 2010年第4季度" in said and "没有任何公开事项" in said and "#" not in said.split(">", 1)[1]
    world.setting("finance.publish_requires_items", False, "一村")

    # reviewed boards: the local user approves and publishes them with one confirmation
    shown = bar.ask_publish()
    assert bar.confirm_box.visible and [b["items"] for b in shown] == [2, 2, 0]
    text = bar.confirm_box.objects[0].object
    for expected in ("将公开以下 3 个公开栏", "党务公开栏 · 2010年第4季度", "村务公开栏 · 2010年第4季度", "2 项公开事项", "0 项公开事项",
                     "审批人 本机用户（本次审批）", "公开人 本机用户", "公开日期 2011-01-10", "公开后不能撤销"):
        assert expected in text, expected
    import re

    visible = re.sub(r"<[^>]+>", "", text)
    assert "local" not in visible and "_fen" not in visible and "#" not in visible and "编号" not in visible
    bar.cancel_publish()
    assert not bar.confirm_box.visible and "已取消" in bar.objects[-1].object
    assert bar.confirm_publish() == 0  # nothing pending after 取消
    rows = world.sdk.frame("finance_posting", region=VILLAGE, period="2010Q4", codes=True)
    assert set(rows["status"]) == {"reviewed"}

    bar.ask_publish()
    assert bar.confirm_publish() == 3
    assert "已公开 3 条记录" in bar.objects[-1].object and not bar.confirm_box.visible
    rows = world.sdk.frame("finance_posting", region=VILLAGE, period="2010Q4", codes=True)
    assert set(rows["status"]) == {"published"} and rows["fingerprint"].notna().all()
    assert all("审批 本机用户" in f.status.object and "local" not in f.status.object for f in batch.forms)
    assert bar.ask_publish() == []  # nothing left to publish


def test_a_signed_in_publisher_is_named_by_display_name(world):
    batch, _ = _save_three(world, items=("party", "village", "finance"))
    batch.workflow.run("review", "审核", "Review")
    township = world.sdk.as_user(Actor("zhou", "township", world.ids["甲镇"], "周镇长"))
    as_township = entry(township)
    shown = as_township.workflow.ask_publish()
    assert [b["approver"] for b in shown] == ["周镇长"] * 3
    assert "公开人 周镇长" in as_township.workflow.confirm_box.objects[0].object
    committee = world.sdk.as_user(Actor("cun", "village", world.ids["一村"], "村委会"))
    assert entry(committee).workflow.ask_publish() == []  # the committee publishes approved boards only


def test_published_boards_print_through_write_board_and_last_quarter_is_copied(world):
    from pypdf import PdfReader

    batch, _ = _save_three(world, items=("party", "village", "finance"))
    bar = batch.workflow
    assert bar.prints.objects == [] and not bar.copy_button.visible  # nothing published; the quarter has boards
    bar.run("review", "审核", "Review")
    bar.ask_publish()
    assert bar.confirm_publish() == 3
    labels = [b.label for b in bar.prints.objects]
    assert labels == ["打印党务公开栏", "打印村务公开栏", "打印财务公开栏"]
    assert bar.prints.objects[0].filename == "一村_2010Q4_党务公开栏.pdf"
    pdf = bar.board_pdf("party", "2010Q4").getvalue()
    assert pdf.startswith(b"%PDF")
    import io

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).replace(" ", "")
    assert "2010年第4季度" in text and "事项1" in text

    # the next quarter is empty: 复制上季度 fills it with drafts of the three boards and their items
    nxt = entry(world.sdk, "2011Q1").workflow
    assert nxt.copy_button.visible and nxt.copy_button.name == "复制上季度"
    assert nxt.copy_last_quarter() == 3
    assert "已复制上季度 3 条公开记录（6 项公开事项）为草稿" in nxt.objects[-1].object and not nxt.copy_button.visible
    rows = world.sdk.frame("finance_posting", region=VILLAGE, period="2011Q1", codes=True)
    assert sorted(rows["board"]) == ["finance", "party", "village"] and set(rows["status"]) == {"draft"}
    assert nxt.copy_last_quarter() == 0 and "已有 3 条公开记录" in nxt.objects[-1].object


def test_the_confirmation_offers_a_draft_proof_of_each_board_watermarked(world, cli, tmp_path):
    """草稿样张: before 确认公开, each board about to go up can be printed as it will look, with
    草稿 on every page; the same proof as ``shequ board --proof``; none once published."""
    import io

    from pypdf import PdfReader

    world.setting("finance.publish_requires_items", False, "一村")
    batch, _ = _save_three(world)
    bar = batch.workflow
    bar.run("review", "审核", "Review")
    bar.ask_publish()
    labels = [b.label for b in bar.proofs.objects]
    assert labels == ["查看党务公开栏草稿样张", "查看村务公开栏草稿样张", "查看财务公开栏草稿样张"]
    assert bar.proofs.objects[0].filename.endswith("2010Q4_党务公开栏_草稿样张.pdf")
    pdf = bar.proofs.objects[0].callback().getvalue()
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert pdf.startswith(b"%PDF") and "草稿" in text and "草稿样张（未公开）" in text and "事项 1" in text and "党务公开栏" in text

    code, out, err = cli("board", "--db", world.sdk.url, "--region", VILLAGE, "--period", "2010Q4", "--board", "村务",
                         "--out", str(tmp_path / "proof.pdf"), "--proof")
    assert code == 0 and "草稿样张" in out, err
    assert "草稿样张（未公开）" in "".join(p.extract_text() for p in PdfReader(tmp_path / "proof.pdf").pages)

    bar.confirm_publish()
    code, out, err = cli("board", "--db", world.sdk.url, "--region", VILLAGE, "--period", "2010Q4", "--board", "村务",
                         "--out", str(tmp_path / "late.pdf"), "--proof")
    assert code != 0 and "没有尚未公开的村务记录" in err and not (tmp_path / "late.pdf").exists()
    code, out, err = cli("board", "--db", world.sdk.url, "--region", VILLAGE, "--period", "2010Q4", "--board", "村务",
                         "--out", str(tmp_path / "board.pdf"))
    assert code == 0 and "草稿" not in "".join(p.extract_text() for p in PdfReader(tmp_path / "board.pdf").pages)


def test_a_published_board_is_corrected_from_the_entry_app_with_a_reason(world):
    from sqlalchemy import select

    from shequ_plugin_finance.models import Posting
    from shequ_sdk.audit import AuditEntry

    batch, ids = _save_three(world, items=("party", "village", "finance"))
    bar = batch.workflow
    assert bar.corrections.objects == []  # nothing published: nothing to correct
    bar.run("review", "审核", "Review")
    bar.ask_publish()
    assert bar.confirm_publish() == 3
    assert len(bar.corrections.objects) == 3  # 申请更正 under each published board
    assert not bar.correct("finance", "2010Q4", "  ")
    assert "未能申请更正，未做任何更改" in bar.objects[-1].object and "请填写原因" in bar.objects[-1].object
    assert bar.correct("finance", "2010Q4", "第3项金额有误")
    assert "已发起财务公开栏的更正（第 2 版草稿）" in bar.objects[-1].object
    finance = next(f for f in batch.forms if f.fixed["board"] == "finance")
    assert finance.stored["status"] == "draft" and finance.stored["version"] == 2 and not finance.frozen  # the new draft, editable
    assert len(bar.corrections.objects) == 2
    assert not bar.correct("finance", "2010Q4", "再来一次")  # the finance board is being corrected: no published version shown
    with world.sdk.transaction() as s:
        new = s.execute(select(Posting).where(Posting.supersedes_id == ids["finance"])).scalar_one()
        assert (new.status, new.correction_reason) == ("draft", "第3项金额有误")
        entry_ = s.execute(select(AuditEntry).where(AuditEntry.action == "posting.correct")).scalar_one()
        assert entry_.record_id == new.id and entry_.reason == "第3项金额有误"


def test_only_who_may_correct_sees_the_correction_box(world):
    batch, _ = _save_three(world, items=("party", "village", "finance"))
    batch.workflow.run("review", "审核", "Review")
    batch.workflow.ask_publish()
    assert batch.workflow.confirm_publish() == 3
    reviewer = Actor("shenhe", "reviewer", world.ids["一村"])
    assert entry(world.sdk.as_user(reviewer)).workflow.corrections.objects == []
    committee = Actor("cunwei", "village", world.ids["一村"])
    assert len(entry(world.sdk.as_user(committee)).workflow.corrections.objects) == 3
