"""Issue #13 on both backends: a board without items is not published (``finance.publish_requires_items``),
and last quarter's three boards and their items are copied as drafts into an empty quarter
(``workflow.copy_last_quarter``, ``shequ finance copy-last-quarter``) — never over existing boards,
never into a locked quarter, through the audited write path."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from shequ_plugin_finance import workflow
from shequ_plugin_finance.models import Posting, PostingItem
from shequ_sdk import InputError, PermissionDenied
from shequ_sdk.auth import Actor

D = dt.date
TODAY = D(2011, 3, 31)
PARTY_ITEMS = [{"title": "村务监督工作", "content": "季度例会 3 次"}, {"title": "低保评议", "content": "新增 2 户"}]
FINANCE_ITEMS = [{"title": "上级补助", "amount_fen": 1_234_567, "direction": "income", "account_code": "522"},
                 {"title": "办公用品", "amount_fen": 12_345, "direction": "expense", "account_code": "541"}]


def status_of(world, pid: int) -> str:
    with world.sdk.transaction() as s:
        return s.execute(select(Posting.status).where(Posting.id == pid)).scalar_one()


def postings(world, village: str, periods) -> list[dict]:
    P = Posting.__table__
    with world.sdk.transaction() as s:
        return [dict(r) for r in s.execute(select(P).where(P.c.region_id == world.ids[village], P.c.period.in_(list(periods)))
                                           .order_by(P.c.id)).mappings()]


def items_of(world, pid: int) -> list[tuple]:
    with world.sdk.transaction() as s:
        return [tuple(r) for r in s.execute(select(PostingItem.line_no, PostingItem.title, PostingItem.content, PostingItem.amount_fen,
                                                   PostingItem.direction, PostingItem.account_code, PostingItem.ledger_entry_id)
                                            .where(PostingItem.posting_id == pid).order_by(PostingItem.line_no))]


# -- publishing an empty board --------------------------------------------------------------------

def test_a_board_without_items_is_not_published_when_the_setting_is_on(world, cli):
    world.setting("finance.publish_requires_items", True, "二社区")  # the fixture turns it off for the county
    pid = world.post("二社区", "residents", "2010Q4", D(2011, 1, 10), status="approved")
    with pytest.raises(InputError) as exc:
        with world.sdk.transaction() as s:
            workflow.publish(s, pid, None, today=TODAY)
    assert "居务公开栏 · 2010年第4季度" in exc.value.zh and "没有任何公开事项，不能公开" in exc.value.zh
    assert "Residents' affairs board" in exc.value.en and "has no items" in exc.value.en
    assert f"#{pid}" not in exc.value.zh  # a page shows this message: no internal id
    assert status_of(world, pid) == "approved"
    # the command line inherits it: one line in Chinese and English, non-zero, no traceback
    code, _, err = cli("finance", "publish", "--db", world.sdk.url, "--id", str(pid))
    assert code == 2 and "没有任何公开事项" in err and "has no items" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    # with items it is published; a village where the setting is off may publish an empty board
    with world.sdk.transaction() as s:
        workflow.return_to_draft(s, pid, "补充公开事项", None)
    world.write(PostingItem, [{"region_id": world.ids["二社区"], "posting_id": pid, "line_no": 1, "title": "居民议事会", "content": "2 次"}])
    world.advance(pid, "published")
    assert status_of(world, pid) == "published"
    other = world.post("一村", "village", "2010Q4", D(2011, 1, 10))
    assert status_of(world, other) == "published"


def test_the_setting_is_on_by_default_and_labelled(world):
    from shequ_sdk import config
    from shequ_sdk.plugins import registry

    setting = registry().settings["finance.publish_requires_items"]
    assert setting.default is True and setting.label_zh and setting.label_en
    with world.sdk.transaction() as s:
        assert config.get(s, "finance.publish_requires_items") is True


def test_people_are_named_on_a_page_never_as_local(world):
    from shequ_sdk.auth import add_user

    with world.sdk.transaction() as s:
        add_user(s, "shen2", role="reviewer", password="shen-pass-123", region="测试县/甲镇/一村", display_name="沈审核")
        assert workflow.person_label(s, "local") == "本机用户"
        assert workflow.person_label(s, "shen2") == "沈审核"
        assert workflow.person_label(s, "nobody") == "nobody"
    assert workflow.actor_label(None) == "本机用户" and workflow.actor_label(Actor("z", "township", None, "周镇")) == "周镇"


# -- copying last quarter ------------------------------------------------------------------------

def seed_2010q4(world) -> dict[str, int]:
    """一村's 2010Q4: three published boards with items; the party board has a correction in progress."""
    ids = {"party": world.post("一村", "party", "2010Q4", D(2011, 1, 10), title="2010年第4季度党务公开", items=PARTY_ITEMS),
           "village": world.post("一村", "village", "2010Q4", D(2011, 1, 10), title="2010年第4季度村务公开", items=PARTY_ITEMS[:1]),
           "finance": world.post("一村", "finance", "2010Q4", D(2011, 1, 10), title="2010年第4季度财务公开", items=FINANCE_ITEMS)}
    world.post("一村", "party", "2010Q4", D(2011, 1, 12), kind="special", title="专项：村道硬化", items=PARTY_ITEMS[:1])  # not copied
    with world.sdk.transaction() as s:
        draft = workflow.correct(s, ids["party"], "补充一项", None)
        s.execute(text("UPDATE finance_posting_item SET title = '改动中' WHERE posting_id = :id AND line_no = 1"), {"id": draft.id})
    return ids


def test_copy_last_quarter_copies_the_three_boards_and_their_items_as_drafts(world):
    source = seed_2010q4(world)
    with world.sdk.transaction() as s:
        before = s.execute(text("SELECT count(*) FROM audit_log")).scalar_one()
        copied = workflow.copy_last_quarter(s, "测试县/甲镇/一村", "2011Q1", None, today=TODAY)
    assert [(c["board"], c["period"], c["title"], c["items"]) for c in copied] == [
        ("party", "2011Q1", "2011年第1季度党务公开", 2), ("village", "2011Q1", "2011年第1季度村务公开", 1),
        ("finance", "2011Q1", "2011年第1季度财务公开", 2)]
    rows = {r["board"]: r for r in postings(world, "一村", ["2011Q1"])}
    assert set(rows) == {"party", "village", "finance"}
    for board, r in rows.items():
        assert (r["status"], r["version"], r["supersedes_id"], r["kind"]) == ("draft", 1, None, "regular")
        assert r["posted_on"] is None and r["reviewer_name"] is None and r["fingerprint"] is None and r["published_by"] is None
        # the published content, not the correction being edited; the ledger link stays with last quarter
        assert [i[:6] for i in items_of(world, r["id"])] == [i[:6] for i in items_of(world, source[board])]
        assert all(i[6] is None for i in items_of(world, r["id"]))
    assert [i[3] for i in items_of(world, rows["finance"]["id"])] == [1_234_567, 12_345]  # fen, exactly
    # through the write path: one audited insert per posting and item (not absolute sequence numbers)
    with world.sdk.transaction() as s:
        logged = s.execute(text("SELECT action, table_key, record_id FROM audit_log ORDER BY seq")).all()[before:]
    assert {(a, t) for a, t, _ in logged} == {("insert", "finance_posting"), ("insert", "finance_posting_item")}
    assert {rid for _, t, rid in logged if t == "finance_posting"} == {r["id"] for r in rows.values()}
    assert sum(t == "finance_posting_item" for _, t, _ in logged) == 5
    # the copies walk the workflow like any draft
    with world.sdk.transaction() as s:
        workflow.review(s, rows["finance"]["id"], None, reviewer_name="审核人", today=TODAY)
        workflow.approve(s, rows["finance"]["id"], None, today=TODAY)
    assert status_of(world, rows["finance"]["id"]) == "approved"


def test_copy_last_quarter_never_overwrites_and_refuses_an_empty_source_or_a_locked_quarter(world, cli):
    seed_2010q4(world)
    world.post("一村", "party", "2011Q1", D(2011, 3, 30), status="draft", title="已有的党务公开")
    count = world.count(Posting)
    with pytest.raises(InputError) as exc:
        with world.sdk.transaction() as s:
            workflow.copy_last_quarter(s, "测试县/甲镇/一村", "2011Q1", None, today=TODAY)
    assert "2011年第1季度已有 1 条公开记录（党务）" in exc.value.zh and "already has 1 posting" in exc.value.en
    assert world.count(Posting) == count
    with pytest.raises(InputError, match="2010年第3季度没有可复制的公开记录"):
        with world.sdk.transaction() as s:
            workflow.copy_last_quarter(s, "测试县/乙镇/三村", "2010Q4", None, today=TODAY)
    with pytest.raises(InputError, match="请选择一个季度"):
        with world.sdk.transaction() as s:
            workflow.copy_last_quarter(s, "测试县/甲镇/一村", "2011", None, today=TODAY)
    # 2011Q2 is locked for the village committee by 2012; the local user is exempt from locks
    committee = Actor("cun", "village", world.ids["一村"])
    world.post("一村", "party", "2011Q1", D(2011, 3, 30), items=PARTY_ITEMS, title="2011年第1季度党务公开")
    with pytest.raises(PermissionDenied, match="已于 .* 锁定"):
        with world.sdk.transaction() as s:
            workflow.copy_last_quarter(s, "测试县/甲镇/一村", "2011Q2", committee, today=D(2012, 1, 1))
    assert world.count(Posting) == count + 1
    # the command line: a success names what was copied; a refusal is one line, non-zero, no traceback
    db = world.sdk.url
    code, out, err = cli("finance", "copy-last-quarter", "--db", db, "--village", "测试县/甲镇/一村", "--quarter", "2011Q2")
    assert code == 0, err
    assert "已复制上季度 2 条公开记录为草稿" in out and "2011年第2季度党务公开" in out
    code, out, err = cli("finance", "copy-last-quarter", "--db", db, "--village", "测试县/甲镇/一村", "--quarter", "2011Q2")
    assert code == 2 and "已有 2 条公开记录" in err and "already has 2 posting" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    code, _, err = cli("finance", "copy-last-quarter", "--db", db, "--village", "测试县/甲镇", "--quarter", "2011Q2")
    assert code == 2 and "不是村或社区" in err


def test_a_monthly_finance_village_gets_its_months_copied_onto_the_new_quarters(world):
    for month, day in (("2010-10", D(2010, 11, 10)), ("2010-11", D(2010, 12, 10)), ("2010-12", D(2011, 1, 10))):
        world.post("四村", "finance", month, day, title=f"{month} 财务公开", items=FINANCE_ITEMS[:1])
    with world.sdk.transaction() as s:
        copied = workflow.copy_last_quarter(s, "测试县/乙镇/四村", "2011Q1", None, today=TODAY)
    assert [(c["period"], c["title"]) for c in copied] == [("2011-01", "2011-01 财务公开"), ("2011-02", "2011-02 财务公开"),
                                                         ("2011-03", "2011-03 财务公开")]
