"""Optimistic concurrency on both backends: two sessions saving the same record at once lose no
update (the second is refused with who changed it and when), a burst of eight writers keeps
every accepted write and a valid audit chain, and the correction form sends its version."""

from __future__ import annotations

import json
import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

import shequ_sdk
from shequ_sdk import ConflictError, Household, audit
from shequ_sdk.audit import AuditEntry
from shequ_sdk.auth import Actor
from shequ_sdk.records import write


@pytest.fixture
def record(sdk, places):
    """A household in 东村 and its id."""
    with sdk.transaction() as s:
        village = places(s)["东村"]
    sdk.write(Household, [{"region_id": village.id, "number": "0001", "head_name": "户主1", "members": 3}])
    with sdk.transaction() as s:
        return village, s.execute(select(Household.id)).scalar_one()


def loaded(user, rid: int) -> dict:
    row = user.record(Household, rid)
    row["head_name"] = "户主1"  # comes masked; a correction sends the real value
    return row


def test_two_sessions_save_the_same_record_at_once(sdk, record):
    village, rid = record
    other = shequ_sdk.open(sdk.url)  # a second engine and pool, as a second server process would have
    try:
        zhang, li = Actor("zhang", "admin"), Actor("li", "admin")
        mine, theirs = loaded(sdk.as_user(zhang), rid), loaded(other.as_user(li), rid)
        with sdk.transaction() as s:  # a record's version is the sequence number of its latest audit entry
            created = s.execute(select(AuditEntry.seq).where(AuditEntry.table_key == "household")).scalar_one()
        assert mine["_version"] == theirs["_version"] == created
        mine["members"], theirs["members"] = 6, 2
        outcome: dict = {}

        def second_save():
            try:
                outcome["result"] = other.as_user(li).write(Household, [theirs], mode="upsert")
            except Exception as exc:  # the assertion below says which
                outcome["error"] = exc

        with sdk.transaction() as s:
            write(session=s, table=Household, rows=[mine], mode="upsert", actor=zhang)
            second = threading.Thread(target=second_save)
            second.start()
            second.join(0.5)
            # zhang's transaction holds the audit lock until it commits: li's save waits for it
            # instead of checking a version that is about to change
            assert second.is_alive() and not outcome
        second.join(30)
        assert not second.is_alive()
        error = outcome.get("error")
        assert isinstance(error, ConflictError), outcome
        assert error.actor == "zhang" and error.record_id == rid and "该记录已被 zhang 于" in error.zh
        assert sdk.record(Household, rid)["members"] == 6
        with sdk.transaction() as s:
            assert audit.version(s, "household", rid) == created + 1 and audit.verify_chain(s).valid
    finally:
        other.close()


def test_a_burst_of_eight_writers_keeps_every_accepted_write(sdk, record):
    village, rid = record
    writers, rounds = 8, 4
    barrier = threading.Barrier(writers)
    lock = threading.Lock()
    accepted, refused, errors = [], [], []

    def work(n: int) -> None:
        me = sdk.as_user(Actor(f"user{n}", "admin"))
        try:
            barrier.wait(30)
            for i in range(rounds):
                me.write(Household, [{"region_id": village.id, "number": f"{n}-{i}", "head_name": f"写入者{n}", "members": 1}])
                row = loaded(me, rid)
                row["members"] = 1 + n * rounds + i  # distinct per write, so each accepted one is an update
                try:
                    me.write(Household, [row], mode="upsert")
                    with lock:
                        accepted.append((f"user{n}", row["members"], row["_version"]))
                except ConflictError as exc:
                    with lock:
                        refused.append((f"user{n}", exc.actor))
        except Exception as exc:  # anything but a refusal fails the test
            with lock:
                errors.append(repr(exc))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert len(accepted) + len(refused) == writers * rounds and accepted
    with sdk.transaction() as s:
        numbers = set(s.execute(select(Household.number).where(Household.id != rid)).scalars())
        assert numbers == {f"{n}-{i}" for n in range(writers) for i in range(rounds)}
        log = [dict(r) for r in s.execute(select(AuditEntry.__table__).order_by(AuditEntry.seq)).mappings()]
        chain = audit.verify_chain(s)
        final = s.execute(select(Household.members).where(Household.id == rid)).scalar_one()
        total = s.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
    assert chain.valid and [e["seq"] for e in log] == list(range(1, total + 1))
    regions = sum(e["table_key"] == "region" for e in log)  # the fixture's regions are logged too
    assert total == regions + 1 + writers * rounds + len(accepted)
    history = [e for e in log if e["table_key"] == "household" and e["record_id"] == rid]
    updates = history[1:]
    assert Counter((e["actor"], json.loads(e["new"])["members"]) for e in updates) == Counter((a, m) for a, m, _ in accepted)
    # no lost update: each accepted save was based on the version just before it
    assert sorted(v for _, _, v in accepted) == [e["seq"] for e in history[:-1]]
    assert final == json.loads(updates[-1]["new"])["members"]


def test_the_correction_form_keeps_its_version_and_shows_the_conflict(demo):
    from shequ_sdk.ui import BatchForm, DataStore, RecordForm

    rid = int(demo.frame("household", region="新尚村社区")["id"].iloc[0])
    sessions = []
    for name in ("zhang", "li"):
        store = DataStore(sdk=demo.as_user(Actor(name, "admin")), region="新尚村社区", period="2010Q4")
        form = RecordForm(store=store, table="household")
        form.load(rid)
        sessions.append((form, BatchForm(store=store, forms=[form])))
    (first, save_first), (second, save_second) = sessions
    assert first.version == second.version == demo.record("household", rid)["_version"]

    first.inputs["address"].widget.value = "新尚路 1 号"
    assert save_first.save() == 1
    second.inputs["address"].widget.value = "新尚路 2 号"
    assert save_second.save() == 0
    assert "该记录已被 zhang 于" in save_second.message.object and "请重新加载后再保存" in second.general.object
    assert demo.record("household", rid)["address"] == "新尚路 1 号"

    second.reload()  # 重新加载: the stored values and their version
    assert second.version == first.version > 0 and second.inputs["address"].widget.value == "新尚路 1 号"
    second.inputs["address"].widget.value = "新尚路 2 号"
    assert save_second.save() == 1
    assert demo.record("household", rid)["address"] == "新尚路 2 号"
