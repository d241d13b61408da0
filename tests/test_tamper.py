"""The 14 direct database edits of issue 12, each made behind the SDK's back on the demo (both
backends) and each caught by ``shequ verify``: by the hash chain, by the replay of the log
against the tables, by the finance fingerprints, or — for a log cut short or rewritten whole —
by comparing with the head saved before (``--head-file``)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from shequ_sdk import audit
from shequ_sdk.audit import AuditEntry

from .test_audit import raw_execute


def raw_rows(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    if url.startswith("sqlite"):
        import sqlite3

        con = sqlite3.connect(url.split("sqlite:///", 1)[1])
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as con:
        return con.execute(sql.replace("?", "%s"), params).fetchall()


def raw_executemany(url: str, sql: str, params: list[tuple]) -> None:
    if url.startswith("sqlite"):
        import sqlite3

        con = sqlite3.connect(url.split("sqlite:///", 1)[1])
        try:
            con.executemany(sql, params)
            con.commit()
        finally:
            con.close()
        return
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as con:
        con.cursor().executemany(sql.replace("?", "%s"), params)


def raw_delete(url: str, table: str, rid: int) -> None:
    """Delete a row the way someone with the database file would: other rows pointing at it are
    left dangling (SQLite's own shell has foreign keys off; on PostgreSQL a superuser turns the
    constraint triggers off for the session)."""
    if url.startswith("sqlite"):
        raw_execute(url, f"DELETE FROM {table} WHERE id = ?", (rid,))
        return
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as con:
        con.execute("SET session_replication_role = replica")
        con.execute(f"DELETE FROM {table} WHERE id = %s", (rid,))


def verify(cli, url: str, *extra: str) -> tuple[int, dict, str]:
    code, out, err = cli("verify", "--db", url, "--json", *extra)
    assert err == "" or code != 2, err
    return code, json.loads(out), out


def problems(report: dict, key: str) -> list[dict]:
    (v,) = [v for v in report["verifiers"] if v["key"] == key]
    return v["problems"]


def kinds(report: dict, key: str) -> set[tuple]:
    return {(p["extra"].get("kind"), p["extra"].get("table_key"), p["extra"].get("record_id"), p["extra"].get("column"))
            for p in problems(report, key)}


def published_posting(url: str) -> int:
    return raw_rows(url, "SELECT min(id) FROM finance_posting WHERE status = 'published'")[0][0]


def published_item(url: str) -> tuple[int, int]:
    """``(posting id, item id)`` of a published posting's item that has an amount."""
    return raw_rows(url, "SELECT i.posting_id, min(i.id) FROM finance_posting_item i JOIN finance_posting p ON p.id = i.posting_id "
                         "WHERE p.status = 'published' AND i.amount_fen IS NOT NULL GROUP BY i.posting_id ORDER BY i.posting_id")[0]


# -- the edits: each returns what verify must report ------------------------------------------

def edit_status_set_back(demo):
    pid = published_posting(demo.url)
    raw_execute(demo.url, "UPDATE finance_posting SET status = 'draft' WHERE id = ?", (pid,))
    return "core.audit_replay", ("status", "finance_posting", pid, "status"), "status set back"


def edit_content_with_fingerprint_recomputed(demo):
    from shequ_plugin_finance import workflow

    pid, item = published_item(demo.url)
    raw_execute(demo.url, "UPDATE finance_posting_item SET amount_fen = amount_fen + 100000 WHERE id = ?", (item,))
    with demo.transaction() as s:
        fresh = workflow.compute_fingerprints(s, [pid])[pid]
    raw_execute(demo.url, "UPDATE finance_posting SET fingerprint = ? WHERE id = ?", (fresh, pid))
    return "core.audit_replay", ("fingerprint", "finance_posting", pid, "fingerprint"), "fingerprint recomputed"


def edit_household_deleted(demo):
    hid = raw_rows(demo.url, "SELECT max(id) FROM household")[0][0]
    raw_delete(demo.url, "household", hid)
    return "core.audit_replay", ("deleted", "household", hid, None), "no entry deleted it"


def edit_ledger_row_deleted(demo):
    lid = raw_rows(demo.url, "SELECT min(id) FROM finance_ledger_entry")[0][0]
    raw_delete(demo.url, "finance_ledger_entry", lid)
    return "core.audit_replay", ("deleted", "finance_ledger_entry", lid, None), "no entry deleted it"


def edit_id_number(demo):
    import datetime as dt

    from shequ_sdk import Resident
    from shequ_sdk.ids import make_id_number

    hid, region = raw_rows(demo.url, "SELECT id, region_id FROM household ORDER BY id LIMIT 1")[0]
    written = make_id_number("340524", dt.date(1980, 1, 1), 7)
    demo.write(Resident, [{"region_id": region, "household_id": hid, "name": "张三", "id_number": written}])
    rid = raw_rows(demo.url, "SELECT max(id) FROM resident")[0][0]
    raw_execute(demo.url, "UPDATE resident SET id_number = ? WHERE id = ?", (make_id_number("340524", dt.date(1980, 1, 1), 8), rid))
    return "core.audit_replay", ("edited", "resident", rid, "id_number"), "340524********"


def edit_lock_exception_inserted(demo):
    region = raw_rows(demo.url, "SELECT min(id) FROM region WHERE kind = 'village'")[0][0]
    raw_execute(demo.url, "INSERT INTO period_exception (region_id, period, granted_by, granted_at, reason, expires_on) "
                          "VALUES (?, '2010Q1', 'intruder', '2011-01-01 00:00:00', 'x', '2999-12-31')", (region,))
    eid = raw_rows(demo.url, "SELECT max(id) FROM period_exception")[0][0]
    return "core.audit_replay", ("inserted", "period_exception", eid, None), "no audit entry inserted it"


def edit_user_promoted(demo):
    from shequ_sdk import Region, auth

    with demo.transaction() as s:
        village = s.execute(select(Region).where(Region.kind == "village")).scalars().first()
        uid = auth.add_user(s, "wang", role="village", password="a long enough password 1", region=village).id
        assert audit.latest(s, auth.USER_TABLE_KEY, [uid])  # the insert is logged with auth.user_audit_values
    raw_execute(demo.url, "UPDATE shequ_user SET role = 'admin', region_id = NULL WHERE id = ?", (uid,))
    return "core.audit_replay", ("edited", "shequ_user", uid, "role"), "admin"


def edit_audit_entry(demo):
    raw_execute(demo.url, "UPDATE audit_log SET actor = 'someone-else' WHERE seq = 100")
    return "core.audit_chain", ("hash", None, None, None), "hash mismatch"


def edit_audit_entry_deleted(demo):
    raw_execute(demo.url, "DELETE FROM audit_log WHERE seq = 200")
    return "core.audit_chain", ("missing", None, None, None), "seq 200 not found"


def edit_prev_hash(demo):
    raw_execute(demo.url, "UPDATE audit_log SET prev_hash = ? WHERE seq = 300", ("f" * 64,))
    return "core.audit_chain", ("prev_hash", None, None, None), "prev_hash mismatch"


def edit_published_item_amount(demo):
    pid, item = published_item(demo.url)
    raw_execute(demo.url, "UPDATE finance_posting_item SET amount_fen = amount_fen + 1 WHERE id = ?", (item,))
    return "core.audit_replay", ("edited", "finance_posting_item", item, "amount_fen"), "edited outside the SDK"


EDITS = {f.__name__[5:]: f for f in (
    edit_status_set_back, edit_content_with_fingerprint_recomputed, edit_household_deleted, edit_ledger_row_deleted,
    edit_id_number, edit_lock_exception_inserted, edit_user_promoted, edit_audit_entry, edit_audit_entry_deleted,
    edit_prev_hash, edit_published_item_amount)}


def _chain_kinds(report):
    return {(p["extra"]["kind"], None, None, None) for p in problems(report, "core.audit_chain")}


@pytest.mark.parametrize("name", list(EDITS))
def test_a_direct_edit_is_named_by_verify(demo, cli, name):
    key, expected, text = EDITS[name](demo)
    code, report, out = verify(cli, demo.url)
    assert code == 1 and not report["valid"], out[:2000]
    found = _chain_kinds(report) if key == "core.audit_chain" else kinds(report, key)
    assert expected in found, (expected, found)
    messages = " ".join(p["message_en"] + p["message_zh"] for p in problems(report, key))
    assert text in messages
    if name == "content_with_fingerprint_recomputed":
        # the fingerprint recomputed hides the edit from the fingerprint check; the replay names both
        assert not problems(report, "finance.posting_fingerprints")
        item_edits = {k for k in kinds(report, key) if k[1] == "finance_posting_item" and k[3] == "amount_fen"}
        assert len(item_edits) == 1
    if name == "published_item_amount":
        assert problems(report, "finance.posting_fingerprints")
    if name == "id_number":
        assert "19800101" not in messages  # the ID number is masked in the report


def test_the_untouched_demo_verifies_clean(demo, cli):
    code, report, out = verify(cli, demo.url)
    assert code == 0 and report["valid"], out[:2000]
    assert report["replay"]["records"] > 20000 and report["replay"]["differences"] == 0
    code, text, _ = cli("verify", "--db", demo.url)
    assert code == 0 and "按日志重放核对" in text and "records replayed from the log match the tables" in text


def test_last_audit_rows_deleted_are_caught_with_the_saved_head(demo, cli, tmp_path):
    head = tmp_path / "head.json"
    code, out, _ = cli("verify", "--db", demo.url, "--save-head", str(head))
    assert code == 0 and "head saved to" in out
    saved = json.loads(head.read_text())
    # the last entries are workflow entries of postings: delete them and put the rows back as
    # they were before, so the tables agree with what is left of the log
    raw_execute(demo.url, "DELETE FROM audit_log WHERE seq > ?", (saved["seq"] - 3,))
    code, report, out = verify(cli, demo.url, "--head-file", str(head))
    assert code == 1
    (p,) = problems(report, "core.audit_head")
    assert p["extra"]["kind"] == "truncated" and f"saved head is seq {saved['seq']}" in p["message_en"]
    assert "已被删除" in p["message_zh"]


def test_a_rewritten_chain_is_caught_with_the_saved_head(demo, cli, tmp_path):
    head = tmp_path / "head.json"
    assert cli("verify", "--db", demo.url, "--save-head", str(head))[0] == 0
    # rename a household and forge its insert entry, then recompute every hash after it: the
    # chain is intact and the replay agrees — only the head saved elsewhere tells
    with demo.transaction() as s:
        hid = s.execute(select(AuditEntry.record_id).where(AuditEntry.table_key == "household", AuditEntry.action == "insert")
                        .order_by(AuditEntry.seq).limit(1)).scalar_one()
        rows = [dict(r) for r in s.execute(select(AuditEntry.__table__).order_by(AuditEntry.seq)).mappings()]
    prev = audit.GENESIS
    changed = []
    for r in rows:
        if r["table_key"] == "household" and r["record_id"] == hid and r["action"] == "insert":
            new = json.loads(r["new"])
            new["head_name"] = "伪造户主"
            r["new"] = audit.canonical(new)
        h = audit.entry_hash(prev, r["seq"], r["at"], r["actor"], r["action"], r["table_key"], r["record_id"], r["region_id"],
                             r["old"], r["new"], r["reason"])
        if h != r["hash"] or prev != r["prev_hash"]:
            changed.append((r["new"], prev, h, r["seq"]))
        prev = h
    raw_execute(demo.url, "UPDATE household SET head_name = ? WHERE id = ?", ("伪造户主", hid))
    raw_executemany(demo.url, "UPDATE audit_log SET new = ?, prev_hash = ?, hash = ? WHERE seq = ?", changed)
    code, report, out = verify(cli, demo.url)
    assert code == 0, out[:2000]  # without the saved head the forgery is consistent
    code, report, out = verify(cli, demo.url, "--head-file", str(head))
    assert code == 1 and report["audit_chain"]["valid"]
    (p,) = problems(report, "core.audit_head")
    assert p["extra"]["kind"] == "rewritten" and "the chain was rewritten" in p["message_en"]
    # a head typed from a printed board (seq and the 12-digit short hash with dashes) works too
    saved = json.loads(head.read_text())
    board = tmp_path / "board.txt"
    short = saved["hash"][:12]
    board.write_text(f"链尾 seq {saved['seq']} {short[:4]}-{short[4:8]}-{short[8:]}\n", encoding="utf-8")
    code, report, _ = verify(cli, demo.url, "--head-file", str(board))
    assert code == 1 and problems(report, "core.audit_head")[0]["extra"]["kind"] == "rewritten"


def test_a_bulk_batch_is_verified_by_its_digest(sdk, cli, places, monkeypatch):
    from shequ_sdk import Household

    monkeypatch.setattr(audit, "BULK_THRESHOLD", 5)
    with sdk.transaction() as s:
        village = places(s)["东村"]
    rows = [{"region_id": village.id, "number": f"{i:04d}", "head_name": f"户主{i}", "members": 3} for i in range(1, 13)]
    sdk.write(Household, rows)
    with sdk.transaction() as s:
        ids = list(s.execute(select(Household.id).order_by(Household.id)).scalars())
    # an update through the SDK after the batch is undone through its old values: still valid
    sdk.write(Household, [{**rows[3], "id": ids[3], "members": 5}], mode="upsert")
    code, report, out = verify(cli, sdk.url)
    assert code == 0 and report["replay"]["bulk_batches"] == 1, out
    # a row of the batch edited directly: the digest no longer matches
    raw_execute(sdk.url, "UPDATE household SET members = 9 WHERE id = ?", (ids[7],))
    code, report, out = verify(cli, sdk.url)
    assert code == 1
    (p,) = problems(report, "core.audit_replay")
    assert p["extra"]["kind"] == "batch" and p["extra"]["first_id"] == ids[0] and "no longer matches the digest" in p["message_en"]
    # put it back and delete one instead: the row count is named
    raw_execute(sdk.url, "UPDATE household SET members = 3 WHERE id = ?", (ids[7],))
    raw_delete(sdk.url, "household", ids[8])
    code, report, _ = verify(cli, sdk.url)
    (p,) = problems(report, "core.audit_replay")
    assert code == 1 and p["extra"]["found"] == 11 and "1 fewer" in p["message_en"]


def test_users_made_before_auditing_are_a_notice_not_a_failure(sdk, cli):
    from shequ_sdk import auth

    with sdk.transaction() as s:
        old = auth.add_user(s, "li", role="admin", password="a long enough password 1")
        s.flush()
        # a database from before user auditing: the row has no entry
        s.execute(AuditEntry.__table__.delete().where(AuditEntry.table_key == auth.USER_TABLE_KEY))
        old_id = old.id
    code, report, out = verify(cli, sdk.url)
    assert code == 0, out
    assert [(n["extra"]["kind"], n["extra"]["record_id"]) for n in report["replay"]["notices"]] == [("before_auditing", old_id)]
    code, text, _ = cli("verify", "--db", sdk.url)
    assert code == 0 and "created before auditing" in text
    # once users are audited, a user row no entry explains (and newer than the first audited one) fails
    with sdk.transaction() as s:
        auth.add_user(s, "zhao", role="admin", password="a long enough password 2")
    raw_execute(sdk.url, "INSERT INTO shequ_user (username, display_name, role, password_hash, disabled, failed_count) "
                         "VALUES ('intruder', '', 'admin', 'x', ?, 0)", (False,))
    code, report, _ = verify(cli, sdk.url)
    assert code == 1
    assert {(p["extra"]["kind"], p["extra"]["table_key"]) for p in problems(report, "core.audit_replay")} == {("inserted", "shequ_user")}
    assert [n["extra"]["record_id"] for n in report["replay"]["notices"]] == [old_id]


def test_a_printed_board_anchors_the_head(demo, cli, tmp_path):
    """The board (PDF and HTML) prints the head; the line typed from the paper is a head file."""
    from shequ_sdk import registry
    from shequ_sdk.boards import load_board, render_html, write_board
    from shequ_sdk.testing import need

    from .excel.test_boards import pdf_pages

    need("finance_posting" in registry().tables, "the finance plugin (shequ-plugin-finance) is not installed")
    with demo.transaction() as s:
        seq, digest = audit.head(s)
        board = load_board(s, "新尚村社区", "2010Q4", "财务")
    short = f"{digest[:4]}-{digest[4:8]}-{digest[8:12]}"
    assert (board.audit_head_seq, board.audit_head_short) == (seq, short)
    assert f"第 {seq} 条 · <b>{short}</b>" in render_html(board)
    out = write_board(demo, region="新尚村社区", period="2010Q4", board="财务", out=tmp_path / "board.pdf")
    text = "".join(pdf_pages(out))
    assert f"审计日志链尾（打印时）：第{seq}条·{short}" in text
    paper = tmp_path / "from-the-board.txt"
    paper.write_text(f"第 {seq} 条 · {short}\n", encoding="utf-8")
    code, out_text, _ = cli("verify", "--db", demo.url, "--head-file", str(paper))
    assert code == 0 and f"matches the saved head: seq {seq} {digest[:12]}" in out_text
    raw_execute(demo.url, "DELETE FROM audit_log WHERE seq = ?", (seq,))
    code, report, _ = verify(cli, demo.url, "--head-file", str(paper))
    assert code == 1 and problems(report, "core.audit_head")[0]["extra"]["kind"] == "truncated"


def test_lock_exceptions_granted_and_revoked_through_the_sdk_replay_clean(demo, cli):
    import datetime as dt

    from shequ_sdk import locks

    with demo.transaction() as s:
        exc = locks.grant(s, None, demo.region("南洲村"), "2010Q4", "补录凭证", dt.date.today() + dt.timedelta(days=30))
        eid = exc.id
    with demo.transaction() as s:
        locks.revoke(s, None, eid, "错授")
    code, report, out = verify(cli, demo.url)
    assert code == 0, out[:2000]
    # the revocation taken back directly: the exception is active again, and named
    raw_execute(demo.url, "UPDATE period_exception SET revoked_at = NULL, revoked_by = NULL WHERE id = ?", (eid,))
    code, report, _ = verify(cli, demo.url)
    assert code == 1
    assert {k for k in kinds(report, "core.audit_replay")} == {("edited", "period_exception", eid, "revoked_at"),
                                                               ("edited", "period_exception", eid, "revoked_by")}


def test_exception_requests_asked_and_decided_through_the_sdk_replay_clean_and_a_direct_edit_is_named(demo, cli):
    import datetime as dt

    from shequ_sdk import locks

    day = dt.date(2011, 6, 1)  # 2010Q4 is locked by then
    with demo.transaction() as s:
        granted = locks.request_exception(s, None, "南洲村", "2010Q4", "12月凭证漏录", today=day).id
        refused = locks.request_exception(s, None, "新尚村社区", "2010Q4", "补录", today=day).id
    with demo.transaction() as s:
        locks.grant_request(s, None, granted, day + dt.timedelta(days=30), today=day)
        locks.refuse_request(s, None, refused, "凭证已齐")
    code, report, out = verify(cli, demo.url)
    assert code == 0, out[:2000]
    # a refusal turned into a grant, and a reason rewritten, behind the log's back
    raw_execute(demo.url, "UPDATE period_exception_request SET status = 'granted' WHERE id = ?", (refused,))
    raw_execute(demo.url, "UPDATE period_exception_request SET reason = '另有原因' WHERE id = ?", (granted,))
    code, report, _ = verify(cli, demo.url)
    assert code == 1
    assert kinds(report, "core.audit_replay") == {("status", "period_exception_request", refused, "status"),
                                                   ("edited", "period_exception_request", granted, "reason")}


def test_users_changed_through_the_sdk_replay_clean(sdk, cli, places):
    """User changes log themselves (auth.user_audit_values); the replay follows them, password
    changes included (as a digest), and names a direct edit of any audited field."""
    from shequ_sdk import auth

    with sdk.transaction() as s:
        village = places(s)["东村"]
        auth.add_user(s, "chen", role="village", password="a long enough password 1", region=village)
    with sdk.transaction() as s:
        auth.set_password(s, "chen", "another long password 2")
        auth.set_role(s, "chen", role="reviewer", region=village)
        auth.set_disabled(s, "chen", True)
    code, report, out = verify(cli, sdk.url)
    assert code == 0 and not report["replay"]["notices"], out
    uid = raw_rows(sdk.url, "SELECT id FROM shequ_user WHERE username = 'chen'")[0][0]
    raw_execute(sdk.url, "UPDATE shequ_user SET disabled = ?, password_hash = 'x' WHERE id = ?", (False, uid))
    code, report, _ = verify(cli, sdk.url)
    assert code == 1 and kinds(report, "core.audit_replay") == {("edited", "shequ_user", uid, "disabled"),
                                                                ("edited", "shequ_user", uid, "password_hash")}
