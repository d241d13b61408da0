"""The audit log on both backends: what the write path records, the hash chain, and
``shequ verify`` finding an entry edited or deleted behind the SDK's back."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from shequ_sdk import BatchError, ConflictError, Household, audit
from shequ_sdk.audit import AuditEntry
from shequ_sdk.auth import Actor


def raw_execute(url: str, sql: str, params: tuple = ()) -> None:
    """Run ``sql`` on a connection of the database driver itself, bypassing the SDK."""
    if url.startswith("sqlite"):
        import sqlite3

        con = sqlite3.connect(url.split("sqlite:///", 1)[1])
        try:
            con.execute(sql, params)
            con.commit()
        finally:
            con.close()
    else:
        import psycopg

        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as con:
            con.execute(sql.replace("?", "%s"), params)


def entries(sdk, everything: bool = False, **where) -> list[dict]:
    """The log's entries in order; without ``everything``, those of the test's own writes (the
    fixture's regions are logged first, as every region created is)."""
    tbl = AuditEntry.__table__
    with sdk.transaction() as s:
        stmt = select(tbl).order_by(tbl.c.seq)
        if not everything:
            stmt = stmt.where(tbl.c.table_key.is_distinct_from("region"))
        for k, v in where.items():
            stmt = stmt.where(tbl.c[k] == v)
        return [dict(r) for r in s.execute(stmt).mappings()]


def homes(region_id, n, start=1, **extra):
    return [{"region_id": region_id, "number": f"{i:04d}", "head_name": f"户主{i}", "members": 3, **extra} for i in range(start, start + n)]


@pytest.fixture
def village(sdk, places):
    with sdk.transaction() as s:
        return places(s)["东村"]


def test_inserts_and_updates_are_logged_row_by_row_with_the_changed_columns(sdk, village):
    zhang = Actor("zhang", "admin")
    regions = entries(sdk, everything=True)
    assert [e["table_key"] for e in regions] == ["region"] * len(regions) and regions[0]["prev_hash"] == audit.GENESIS
    base = len(regions)
    result = sdk.as_user(zhang).write(Household, homes(village.id, 3))
    assert result.inserted == 3
    logged = entries(sdk)
    assert [(e["seq"], e["action"], e["actor"], e["table_key"], e["region_id"], e["old"]) for e in logged] == [
        (base + 1, "insert", "zhang", "household", village.id, None), (base + 2, "insert", "zhang", "household", village.id, None),
        (base + 3, "insert", "zhang", "household", village.id, None)]
    first = json.loads(logged[0]["new"])
    assert first["number"] == "0001" and first["head_name"] == "户主1" and first["id"] == logged[0]["record_id"]
    assert logged[0]["prev_hash"] == regions[-1]["hash"] and logged[1]["prev_hash"] == logged[0]["hash"]

    # an upsert logs only the rows that changed, and only their changed columns (old and new)
    rows = homes(village.id, 3)
    rows[1]["members"] = 5
    rows[1]["address"] = "东村 2 号"
    result = sdk.write(Household, rows, mode="upsert")
    assert (result.updated, result.unchanged) == (1, 2)
    (update,) = entries(sdk, action="update")
    assert update["actor"] == "local" and update["record_id"] == logged[1]["record_id"]
    assert json.loads(update["old"]) == {"members": 3, "address": None}
    assert json.loads(update["new"]) == {"members": 5, "address": "东村 2 号"}
    with sdk.transaction() as s:
        assert audit.version(s, "household", update["record_id"]) == update["seq"] == base + 4
        assert audit.version(s, "household", logged[0]["record_id"]) == base + 1
        assert audit.verify_chain(s).valid


def test_a_large_batch_is_one_bulk_entry_with_count_id_range_and_digest(sdk, village, monkeypatch):
    monkeypatch.setattr(audit, "BULK_THRESHOLD", 5)
    sdk.write(Household, homes(village.id, 2))
    rows = homes(village.id, 8, start=3)
    sdk.write(Household, rows)
    logged = entries(sdk)
    assert [e["action"] for e in logged] == ["insert", "insert", "bulk_insert"]
    bulk = json.loads(logged[2]["new"])
    with sdk.transaction() as s:
        stored = [dict(r) for r in s.execute(select(Household.__table__).where(Household.number >= "0003").order_by(Household.id)).mappings()]
    assert (bulk["rows"], bulk["first_id"], bulk["last_id"]) == (8, stored[0]["id"], stored[-1]["id"])
    assert logged[2]["record_id"] is None and logged[2]["region_id"] == village.id
    # the digest is reproducible from the stored rows (ids aside, which the batch did not carry)
    cols = [c.name for c in Household.__table__.columns]
    assert bulk["sha256"] == audit.rows_digest(cols, [{**r, "id": None} for r in stored])


def test_other_modules_append_their_own_actions(sdk, village):
    sdk.write(Household, homes(village.id, 1))
    ids = [e["record_id"] for e in entries(sdk)]
    with sdk.transaction() as s:
        seq = audit.append(s, Actor("wang", "township"), "posting.publish", "household", ids[0], village.id,
                           {"status": "approved"}, {"status": "published"}, reason="公开")
    last = entries(sdk)[-1]
    assert (last["seq"], last["action"], last["actor"], last["reason"]) == (seq, "posting.publish", "wang", "公开")
    with sdk.transaction() as s:
        assert audit.version(s, "household", ids[0]) == seq and audit.verify_chain(s).valid
    with pytest.raises(RuntimeError):  # a rolled-back transaction takes its entries with it
        with sdk.transaction() as s:
            audit.append(s, None, "note", None, None, None, None, {"x": 1})
            raise RuntimeError("abort")
    assert len(entries(sdk)) == 2


def test_record_gives_values_and_version_and_a_stale_save_is_refused(sdk, village):
    zhang, li = sdk.as_user(Actor("zhang", "admin")), sdk.as_user(Actor("li", "admin"))
    zhang.write(Household, homes(village.id, 1, phone="13812345678"))
    first = entries(sdk)[0]
    rid = first["record_id"]
    a, b = zhang.record("household", rid), li.record(Household, rid)
    # a record's version is the sequence number of its latest audit entry
    assert a["_version"] == b["_version"] == first["seq"] and a["number"] == "0001"
    assert a["phone"] != "13812345678" and "*" in a["phone"]  # sensitive values come masked, as in frames
    a.update(members=6, phone="13812345678")
    assert zhang.write(Household, [a], mode="upsert").updated == 1
    b.update(members=2, phone="13812345678")
    with pytest.raises(ConflictError) as exc:
        li.write(Household, [b], mode="upsert")
    assert exc.value.actor == "zhang" and exc.value.record_id == rid and exc.value.table == "household"
    assert f"记录 #{rid}：该记录已被 zhang 于" in exc.value.zh and exc.value.zh.endswith("修改，请重新加载后再保存")
    assert "changed by zhang at" in exc.value.en and exc.value.en.endswith("reload before saving")
    assert sdk.record("household", rid)["members"] == 6  # nothing of the refused batch was written
    fresh = li.record("household", rid)
    assert fresh["_version"] == entries(sdk)[-1]["seq"] > first["seq"]
    fresh.update(members=2, phone="13812345678")
    assert li.write(Household, [fresh], mode="upsert").updated == 1
    assert sdk.record("household", rid)["members"] == 2
    with pytest.raises(BatchError) as bad:
        li.write(Household, [{**fresh, "_version": "x"}], mode="upsert")
    assert bad.value.problems[0].field == "_version"


def test_verify_on_the_demo_is_valid(demo, cli):
    code, out, err = cli("verify", "--db", demo.url)
    assert code == 0, out + err
    assert "校验通过" in out and "哈希链完整" in out and "chain intact" in out
    code, out, _ = cli("verify", "--db", demo.url, "--json")
    report = json.loads(out)
    assert code == 0 and report["valid"] and report["audit_chain"]["entries"] > 1000
    assert "core.audit_chain" in [v["key"] for v in report["verifiers"]]


def test_verify_names_an_entry_edited_behind_the_sdk(demo, cli):
    with demo.transaction() as s:
        seq, head_seq = s.execute(select(AuditEntry.seq).where(AuditEntry.action == "insert").order_by(AuditEntry.seq).offset(100).limit(1)).scalar_one(), audit.head(s)[0]
        table_key, record_id = s.execute(select(AuditEntry.table_key, AuditEntry.record_id).where(AuditEntry.seq == seq)).one()
    raw_execute(demo.url, "UPDATE audit_log SET new = ? WHERE seq = ?", ('{"forged":true}', seq))
    code, out, _ = cli("verify", "--db", demo.url)
    assert code == 1
    first = out.splitlines()[0]
    assert first.startswith("校验未通过") and f"审计日志第 {seq} 条" in first and f"audit entry seq {seq}" in first
    assert f"表 {table_key}，记录 #{record_id}" in first and "哈希不符" in first and "hash mismatch" in first
    code, out, _ = cli("verify", "--db", demo.url, "--json")
    report = json.loads(out)
    (chain,) = [v for v in report["verifiers"] if v["key"] == "core.audit_chain"]
    assert code == 1 and not report["valid"] and not report["audit_chain"]["valid"]
    assert [(p["extra"]["seq"], p["extra"]["kind"]) for p in chain["problems"]] == [(seq, "hash")]
    assert report["audit_chain"]["head_seq"] == head_seq


def test_verify_finds_a_deleted_entry(demo, cli):
    raw_execute(demo.url, "DELETE FROM audit_log WHERE seq = ?", (57,))
    code, out, _ = cli("verify", "--db", demo.url, "--json")
    (chain,) = [v for v in json.loads(out)["verifiers"] if v["key"] == "core.audit_chain"]
    assert code == 1 and [(p["extra"]["seq"], p["extra"]["kind"]) for p in chain["problems"]] == [(58, "missing")]
    assert "第 57 条不存在" in chain["problems"][0]["message_zh"] and "seq 57 not found" in chain["problems"][0]["message_en"]


def test_verify_finds_a_replaced_link(sdk, village, cli):
    sdk.write(Household, homes(village.id, 3))
    seq = entries(sdk)[1]["seq"]
    raw_execute(sdk.url, "UPDATE audit_log SET prev_hash = ? WHERE seq = ?", ("f" * 64, seq))
    code, out, _ = cli("verify", "--db", sdk.url, "--json")
    (chain,) = [v for v in json.loads(out)["verifiers"] if v["key"] == "core.audit_chain"]
    # prev_hash is part of the hashed content, so the entry's own hash no longer matches either
    assert code == 1 and [(p["extra"]["seq"], p["extra"]["kind"]) for p in chain["problems"]] == [(seq, "prev_hash"), (seq, "hash")]


def test_verify_refuses_a_missing_database(cli, tmp_path):
    code, _, err = cli("verify", "--db", str(tmp_path / "none.db"))
    assert code == 2 and "错误 / error" in err
