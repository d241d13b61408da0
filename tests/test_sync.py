"""Offline villages: the township (both backends) and a village installation (SQLite) exchange
signed packages (shequ_sdk.sync, docs/sync.md)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

import shequ_sdk
from shequ_sdk import sync
from shequ_sdk.audit import AuditEntry, verify_chain
from shequ_sdk.replay import replay

VILLAGE = "新尚村社区"
OTHER = "北庄村"


def this_quarter() -> tuple[dt.date, str]:
    """The first day and label of the current quarter: always open (locks apply to the import)."""
    today = dt.date.today()
    q = (today.month - 1) // 3
    return dt.date(today.year, 3 * q + 1, 1), f"{today.year}Q{q + 1}"


@dataclass
class Pair:
    township: object
    village: object
    path: Path

    def export(self, **kw) -> bytes:
        with self.village.transaction() as s:
            return sync.export_changes(s, **kw)

    def up(self, data: bytes, **kw):
        """Import a village package at the township."""
        with self.township.transaction() as s:
            return sync.import_package(s, data, **kw)

    def down(self, data: bytes, **kw):
        """Import an acknowledgement at the village."""
        with self.village.transaction() as s:
            return sync.import_package(s, data, **kw)

    def round(self, **kw):
        result = self.up(self.export(), **kw)
        self.down(result.ack)
        return result


def _install(township, path: Path, village: str = VILLAGE):
    with township.transaction() as s:
        data = sync.export_for_village(s, village)
    v = shequ_sdk.open(str(path), create=True)
    with v.transaction() as s:
        ident = sync.init_village(s, data)
    with township.transaction() as s:
        sync.register_key(s, village, ident.public_key)
    return v, data


@pytest.fixture
def pair(demo, tmp_path):
    village, _ = _install(demo, tmp_path / "village.db")
    yield Pair(demo, village, tmp_path)
    village.close()


def _records(sdk, region_name: str) -> dict:
    """Every synced record of a village, by table, with references replaced by natural content
    (ids differ between the databases): ``{table: sorted list of row tuples}``."""
    out = {}
    with sdk.transaction() as s:
        rid = sdk_region(s, region_name)
        for rt in sync.record_tables():
            t = rt.model.__table__
            refs = sync._ref_columns(rt)
            cols = [c.name for c in t.columns if c.name not in ("id",) and c.name not in refs]
            rows = s.execute(select(*[t.c[c] for c in cols]).where(t.c.region_id == rid)).all()
            out[rt.key] = sorted((tuple(str(v) for v in r) for r in rows))
    return out


def sdk_region(session, name):
    from shequ_sdk.regions import find_region

    return find_region(session, name).id


def _chain_ok(sdk):
    with sdk.transaction() as s:
        chain = verify_chain(s)
        rep = replay(s)
    assert chain.valid, chain.problems[:3]
    assert not rep.problems, [str(p) for p in rep.problems[:3]]


def _audit_count(sdk) -> int:
    with sdk.transaction() as s:
        return s.execute(select(func.count()).select_from(AuditEntry)).scalar_one()


def _enter_quarter(village) -> dict:
    """A quarter entered offline: three boards (drafts, reviewed), ledger rows, a month of collection runs."""
    from shequ_plugin_finance import workflow

    start, label = this_quarter()
    today = dt.date.today()
    with village.transaction() as s:
        rid = sdk_region(s, VILLAGE)
    ids = {}
    ledger = [{"region_id": rid, "entry_date": start + dt.timedelta(days=i % max(1, (today - start).days + 1)), "voucher_no": f"S{label}-{i:03d}",
               "direction": "expense" if i % 2 else "income", "account_code": "541" if i % 2 else "501", "amount_fen": 12_345 * (i + 1),
               "summary": f"离线录入 {i}"} for i in range(6)]
    village.write("finance_ledger_entry", ledger)
    for board in ("party", "residents", "finance"):
        with village.transaction() as s:
            from shequ_sdk.records import write

            done = write(session=s, table="finance_posting", return_ids=True, rows=[{
                "region_id": rid, "board": board, "period": label, "title": f"{label} {board} 公开", "posted_on": today}])
            pid = done.ids[0]
            write(session=s, table="finance_posting_item", rows=[
                {"region_id": rid, "posting_id": pid, "line_no": n, "title": f"事项 {n}", "amount_fen": 1000 * n if board == "finance" else None,
                 "direction": "expense" if board == "finance" else None} for n in (1, 2)])
            workflow.review(s, pid, None, reviewer_name="汪小东", review_date=today)
            ids[board] = pid
    days = [start + dt.timedelta(days=d) for d in range(min(30, (today - start).days + 1))]
    village.write("sanitation_collection_run", [{"region_id": rid, "run_date": d, "vehicle": "湘F·X1234", "trip": 1,
                                                 "households_served": 300, "amount_kg": 900 + d.day} for d in days])
    return ids


def _indicators(sdk, period: str) -> dict:
    return sdk.indicator_values(VILLAGE, period)


# -- the round trip --------------------------------------------------------------------------------

def test_round_trip_a_quarter_entered_offline(pair, cli):
    from shequ_plugin_finance import workflow

    _, label = this_quarter()
    posted = _enter_quarter(pair.village)
    before = _audit_count(pair.township)
    result = pair.up(pair.export())
    assert result.inserted["finance_posting"] == 3 and result.inserted["finance_ledger_entry"] == 6
    assert result.inserted["sanitation_collection_run"] >= 1 and result.ack is not None
    assert _records(pair.township, VILLAGE) == _records(pair.village, VILLAGE)
    assert _indicators(pair.township, label) == _indicators(pair.village, label)
    assert _indicators(pair.township, "2010") == _indicators(pair.village, "2010")
    # the township's entries name the package
    with pair.township.transaction() as s:
        reasons = {r for (r,) in s.execute(select(AuditEntry.reason).where(AuditEntry.seq > before))}
    assert len(reasons) == 1 and next(iter(reasons)).startswith(f"同步包 / sync package {VILLAGE} #")
    pair.down(result.ack)

    # the township approves and publishes; the acknowledgement brings it back
    with pair.township.transaction() as s:
        tid = _township_id(s, pair, "finance_posting", posted["finance"])
        workflow.approve(s, tid, None)
        workflow.publish(s, tid, None)
    # … and gives the village a user and a lock exception, which travel back too
    from shequ_sdk import auth, locks

    with pair.township.transaction() as s:
        auth.add_user(s, "xinshang_clerk", role="village", password="a-long-password-1", region=VILLAGE)
        locks.grant(s, None, VILLAGE, "2010Q4", "补录 / catch-up", dt.date.today() + dt.timedelta(days=10))
        locks.grant(s, None, OTHER, "2010Q3", "另一个村 / another village", dt.date.today() + dt.timedelta(days=10))
        from shequ_sdk import config

        config.set_value(s, "finance.display_days", 20, sync._region(s, VILLAGE))
        config.set_value(s, "finance.display_days", 25, sync._region(s, OTHER))
    result = pair.round()
    with pair.village.transaction() as s:
        from shequ_plugin_finance.models import Posting

        p = s.get(Posting, posted["finance"])
        assert p.status == "published" and p.approved_by == "local" and p.fingerprint
        assert auth.get_user(s, "xinshang_clerk").role == "village"
        assert [e.period for e in s.execute(select(locks.PeriodException)).scalars()] == ["2010Q4"]  # not the other village's
        from shequ_sdk import config

        assert config.get(s, "finance.display_days", sync._region(s, VILLAGE)) == 20
    assert _records(pair.township, VILLAGE) == _records(pair.village, VILLAGE)
    assert _indicators(pair.township, label) == _indicators(pair.village, label)
    _chain_ok(pair.township)
    _chain_ok(pair.village)

    # publication rules apply to a package: what is published at the township cannot be changed by one
    with pair.village.transaction() as s:
        data = sync.export_changes(s)  # nothing pending: an empty package moves the sequence on
        manifest, payload, _ = _unzip(data)
        row = sync._jsonable(sync._rows(s, Posting.__table__, [posted["finance"]])[posted["finance"]])
    own = {k: v for k, v in manifest.items() if k not in ("format", "payload_sha256", "payload_bytes")}
    with pair.township.transaction() as s:
        base = sync._versions(s, "finance_posting", [tid])[tid]
    payload["records"] = [{"table": "finance_posting", "id": posted["finance"], "row": {**row, "title": "改过的标题"}, "seq": own["to_seq"],
                           "actor": "local", "at": None, "base": base}]
    before = _audit_count(pair.township)
    with pytest.raises(shequ_sdk.BatchError, match="已公开"):
        pair.up(sync.write_package(own, payload, _village_key(pair)))
    assert _audit_count(pair.township) == before


def _township_id(session, pair, table_key: str, village_id: int) -> int:
    """The township's id of a record the village created (from the township's map)."""
    with pair.village.transaction() as vs:
        vr = sdk_region(vs, VILLAGE)
    m = sync._map(session, vr, table_key)
    return m[village_id].local_id


# -- conflicts -----------------------------------------------------------------------------------------

def _household(sdk):
    with sdk.transaction() as s:
        from shequ_sdk.models import Household

        rid = sdk_region(s, VILLAGE)
        return s.execute(select(Household).where(Household.region_id == rid).order_by(Household.id)).scalars().first()


def _set_phone(sdk, hid: int, phone: str):
    with sdk.transaction() as s:
        from shequ_sdk.records import write

        write(session=s, table="household", rows=[{**_row(s, hid), "phone": phone}], mode="upsert")


def _row(session, hid):
    from shequ_sdk.models import Household

    t = Household.__table__
    return dict(session.execute(select(t).where(t.c.id == hid)).mappings().one())


@pytest.mark.parametrize("how", ["refuse", "theirs", "ours", "record"])
def test_a_record_changed_on_both_sides_is_a_conflict(pair, how):
    h = _household(pair.village)
    _set_phone(pair.village, h.id, "13900000001")
    _set_phone(pair.township, h.id, "13900000002")  # the init package keeps the township's ids
    data = pair.export()
    audit_before = _audit_count(pair.township)
    if how == "refuse":
        with pytest.raises(sync.SyncConflict) as info:
            pair.up(data)
        lines = info.value.lines()
        assert f"household:{h.id}" in lines[0] and "local" in lines[0]
        assert any("13900000001" in line and "13900000002" in line for line in lines)
        assert "冲突" in str(info.value) and "conflict" in str(info.value)
        assert _audit_count(pair.township) == audit_before
        assert _household(pair.township).phone == "13900000002"
        return
    resolve = {"theirs": {"*": "theirs"}, "ours": {"*": "ours"}, "record": {f"household:{h.id}": "theirs"}}[how]
    result = pair.up(data, resolve=resolve)
    want = "13900000002" if how == "ours" else "13900000001"
    assert _household(pair.township).phone == want
    pair.down(result.ack)
    assert _household(pair.village).phone == want
    assert _records(pair.township, VILLAGE) == _records(pair.village, VILLAGE)
    _chain_ok(pair.township)
    _chain_ok(pair.village)


def test_a_conflict_on_the_village_side_when_the_ack_arrives(pair):
    h = _household(pair.village)
    first = pair.up(pair.export())
    _set_phone(pair.township, h.id, "13900000003")
    _set_phone(pair.village, h.id, "13900000004")
    ack = pair.up(pair.export(), resolve={"*": "ours"}).ack  # the township keeps its value
    pair.down(first.ack)
    # the village changed the record after the package the township saw: the ack's value conflicts
    _set_phone(pair.village, h.id, "13900000005")
    audit_before = _audit_count(pair.village)
    with pytest.raises(sync.SyncConflict):
        pair.down(ack)
    assert _audit_count(pair.village) == audit_before
    pair.down(ack, resolve={"*": "ours"})
    assert _household(pair.village).phone == "13900000005"
    pair.round()
    assert _household(pair.township).phone == "13900000005"
    assert _records(pair.township, VILLAGE) == _records(pair.village, VILLAGE)


# -- tampering -----------------------------------------------------------------------------------------

def _unzip(data: bytes) -> tuple[dict, dict, str]:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return json.loads(z.read("manifest.json")), json.loads(z.read("payload.json")), z.read("signature").decode()


def _rezip(manifest: dict, payload_bytes: bytes, signature: str) -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False))
        z.writestr("payload.json", payload_bytes)
        z.writestr("signature", signature)
    return buf.getvalue()


def _village_key(pair) -> str:
    with pair.village.transaction() as s:
        return sync.identity(s).private_key


def test_tampered_foreign_and_unregistered_packages_are_refused(pair, tmp_path, demo):
    h = _household(pair.village)
    _set_phone(pair.village, h.id, "13900000009")
    data = pair.export()
    manifest, payload, signature = _unzip(data)
    before = _audit_count(pair.township)

    # edited after signing: the payload no longer matches, or the manifest no longer matches its signature
    payload["records"][0]["row"]["phone"] = "13999999999"
    edited = _rezip(manifest, sync._canonical(payload), signature)
    with pytest.raises(sync.SyncRefused, match="签名后被改动"):
        pair.up(edited)
    m2 = {**manifest, "to_seq": manifest["to_seq"] + 5}
    with pytest.raises(sync.SyncRefused, match="签名无效"):
        pair.up(_rezip(m2, sync._canonical(_unzip(data)[1]), signature))

    assert _audit_count(pair.township) == before

    # a package for another village, signed with this village's key: not that village's key
    with demo.transaction() as s:
        other = sync._region(s, OTHER)
        sync.export_for_village(s, OTHER)
        sync.register_key(s, OTHER, sync.new_key_pair()[1])
    before = _audit_count(pair.township)  # the registration is audited
    forged_manifest = {k: v for k, v in manifest.items() if k not in ("format", "payload_sha256", "payload_bytes")}
    forged_manifest["village"] = {"id": other.id, "name": other.name, "code": other.code}
    with pytest.raises(sync.SyncRefused, match="未登记的密钥"):
        pair.up(sync.write_package(forged_manifest, _unzip(data)[1], _village_key(pair)))

    # this village's key, but a row of another village inside: refused by the scope check
    own = {k: v for k, v in manifest.items() if k not in ("format", "payload_sha256", "payload_bytes")}
    bad = _unzip(data)[1]
    bad["records"][0]["row"]["region_id"] = other.id
    with pytest.raises(shequ_sdk.PermissionDenied):
        pair.up(sync.write_package(own, bad, _village_key(pair)))

    # signed with a key nobody registered
    stranger, stranger_public = sync.new_key_pair()
    with pytest.raises(sync.SyncRefused, match="未登记的密钥"):
        pair.up(sync.write_package({**own, "public_key": stranger_public}, _unzip(data)[1], stranger))
    assert _audit_count(pair.township) == before
    assert _household(pair.township).phone != "13900000009"
    pair.up(data)  # the genuine package still applies
    assert _household(pair.township).phone == "13900000009"


# -- idempotence and order --------------------------------------------------------------------------------

def test_the_same_package_twice_changes_nothing_and_order_is_enforced(pair):
    h = _household(pair.village)
    _set_phone(pair.village, h.id, "13900000011")
    first = pair.export()
    _set_phone(pair.village, h.id, "13900000012")
    second = pair.export()
    f, s2 = sync.read_package(first).manifest, sync.read_package(second).manifest
    before = _audit_count(pair.township)
    with pytest.raises(sync.SyncRefused) as info:
        pair.up(second)
    assert f"{f['from_seq']}–{s2['from_seq'] - 1}" in str(info.value) and "out of order" in str(info.value)
    assert _audit_count(pair.township) == before
    pair.up(first)
    after_first = _audit_count(pair.township)
    again = pair.up(first)
    assert again.already_applied and _audit_count(pair.township) == after_first
    pair.up(second)
    assert _household(pair.township).phone == "13900000012"
    # a lost package is re-exported since the last acknowledgement and still applies cleanly
    _set_phone(pair.village, h.id, "13900000013")
    pair.export()  # lost
    result = pair.up(pair.export(since_ack=True))
    assert _household(pair.township).phone == "13900000013"
    pair.down(result.ack)
    _chain_ok(pair.township)
    _chain_ok(pair.village)


# -- the CLI ------------------------------------------------------------------------------------------

def test_cli_round_trip_and_one_line_errors(demo, cli, tmp_path):
    if not demo.url.startswith("sqlite"):
        pytest.skip("the CLI flow is the same on both backends; run once on SQLite")
    town = demo.url
    init = tmp_path / "init.shequ"
    code, out, err = cli("sync", "export", "--db", town, "--for", VILLAGE, "--out", str(init))
    assert code == 0, err
    vdb = tmp_path / "v.db"
    township_key = out.replace("\n", "").split("township key: ", 1)[1][:64]
    code, out, err = cli("village", "init", "--db", str(vdb), "--from", str(init))
    assert code == 0, err
    assert township_key in out.replace("\n", "")
    key = Path(str(vdb) + ".pub")
    assert key.read_text().strip() in out.replace("\n", "")
    v = shequ_sdk.open(str(vdb))
    h = _household(v)
    _set_phone(v, h.id, "13900000041")
    v.close()
    pkg = tmp_path / "p.shequ"
    code, out, err = cli("sync", "export", "--db", str(vdb), "--out", str(pkg))
    assert code == 0, err
    # not registered yet: one line, both languages, non-zero
    code, out, err = cli("sync", "import", "--db", town, str(pkg))
    assert code == 2 and "未登记公钥" in err and "no registered key" in err and len(err.strip().splitlines()) == 1
    code, out, err = cli("sync", "register-key", "--db", town, "--village", VILLAGE, str(key))
    assert code == 0, err
    before = _audit_count(demo)
    code, out, err = cli("sync", "import", "--db", town, str(pkg), "--dry-run")
    assert code == 0 and "dry run" in out and "household 1" in out, err
    assert _audit_count(demo) == before and _household(demo).phone != "13900000041"
    ack = tmp_path / "p-ack.shequ"
    code, out, err = cli("sync", "import", "--db", town, str(pkg), "--ack-out", str(ack))
    assert code == 0 and ack.exists(), err
    assert _household(demo).phone == "13900000041"
    code, out, err = cli("sync", "import", "--db", str(vdb), str(ack))
    assert code == 0, err
    code, out, err = cli("sync", "status", "--db", str(vdb))
    assert code == 0 and "茅草街镇" in out
    code, out, err = cli("sync", "import", "--db", town, str(tmp_path / "missing.shequ"))
    assert code == 2 and "不存在" in err and "not found" in err and len(err.strip().splitlines()) == 1
    code, out, err = cli("verify", "--db", str(vdb))
    assert code == 0, out + err


# -- random interleavings ------------------------------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

OPS = st.lists(st.one_of(
    st.tuples(st.sampled_from(["v", "t"]), st.integers(0, 3), st.integers(0, 99)),  # edit household k on one side
    st.tuples(st.sampled_from(["vn", "tn"]), st.just(0), st.integers(1, 99)),  # a new ledger row on one side
    st.tuples(st.sampled_from(["up", "down"]), st.sampled_from([0, 1]), st.integers(0, 1)),  # a sync step, resolving ours/theirs
), min_size=1, max_size=12)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=OPS)
def test_random_interleavings_of_edits_and_syncs_end_equal(demo, tmp_path_factory, ops):
    path = tmp_path_factory.mktemp("village") / "village.db"
    village, _ = _install(demo, path)  # a fresh installation of the same village per example
    pair = Pair(demo, village, path.parent)
    try:
        start, _ = this_quarter()
        with village.transaction() as s:
            rid = sdk_region(s, VILLAGE)
            from shequ_sdk.models import Household

            hids = list(s.execute(select(Household.id).where(Household.region_id == rid).order_by(Household.id).limit(4)).scalars())
        acks, n = [], 0
        for op, k, value in ops:
            n += 1
            if op in ("v", "t"):
                _set_phone(pair.village if op == "v" else pair.township, hids[k], f"139{n:04d}{value:04d}")
            elif op in ("vn", "tn"):
                (pair.village if op == "vn" else pair.township).write("finance_ledger_entry", [{
                    "region_id": rid, "entry_date": start, "voucher_no": f"H{op}{path.parent.name}-{n}", "direction": "income",
                    "account_code": "501", "amount_fen": value * 100}])
            elif op == "up":
                acks.append(pair.up(pair.export(), resolve={"*": ("ours", "theirs")[k]}).ack)
            elif acks:  # the newest or the oldest pending acknowledgement: a stale one changes nothing
                pair.down(acks.pop(-1 if value % 2 else 0), resolve={"*": ("ours", "theirs")[k]})
        pair.down(pair.up(pair.export(), resolve={"*": "ours"}).ack, resolve={"*": "theirs"})
        assert _records(pair.township, VILLAGE) == _records(pair.village, VILLAGE)
        _chain_ok(pair.township)
        _chain_ok(pair.village)
    finally:
        village.close()


# -- push over HTTP -------------------------------------------------------------------------------------

def test_push_to_shequ_serve_with_a_wrong_and_a_right_key(tmp_path_factory, cli):
    """``shequ sync push`` to a ``shequ serve`` on 127.0.0.1: refused when the request is not
    signed with the registered key, applied (and the acknowledgement imported) when it is."""
    import socket
    import time
    import urllib.request


    from shequ_sdk.testing import sqlite_demo_copy
    from shequ_sdk.ui import serving

    tmp = tmp_path_factory.mktemp("push")
    sqlite_demo_copy(tmp_path_factory, tmp / "town.db")
    town = shequ_sdk.open(str(tmp / "town.db"))
    village, _ = _install(town, tmp / "village.db")
    pair = Pair(town, village, tmp)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = serving.serve(town, port=port, threaded=True, announce=lambda _t: None, warm=False, dashboards=[])
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/liveness", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline
            time.sleep(0.2)
        h = _household(village)
        _set_phone(village, h.id, "13900000077")
        # a wrong key: the village's installation is re-keyed behind the township's back
        with village.transaction() as s:
            ident = sync.identity(s)
            real = (ident.private_key, ident.public_key)
            ident.private_key, ident.public_key = sync.new_key_pair()
            s.add(ident)
        before = _audit_count(town)
        code, out, err = cli("sync", "push", "--db", village.url, "--to", f"http://127.0.0.1:{port}/")
        assert code == 2 and "HTTP 403" in err and "密钥验证" in err and len(err.strip().splitlines()) == 1, err
        assert _audit_count(town) == before and _household(town).phone != "13900000077"
        with village.transaction() as s:
            ident = sync.identity(s)
            ident.private_key, ident.public_key = real
            s.add(ident)
        code, out, err = cli("sync", "push", "--db", village.url, "--to", f"http://127.0.0.1:{port}")
        assert code == 0 and "回执已导入" in out, err
        assert _household(town).phone == "13900000077"
        with village.transaction() as s:
            township = s.execute(select(sync.SyncPeer)).scalars().first()
            assert township.in_seq > 0 and township.peer_has >= sync.read_package(pair.export()).manifest["from_seq"] - 1
        _chain_ok(town)
        _chain_ok(village)
    finally:
        server.stop()
        server.join(10)
        village.close()
        town.close()


def test_shequ_verify_ties_imported_entries_to_their_packages(pair, cli):
    h = _household(pair.village)
    _set_phone(pair.village, h.id, "13900000021")
    pair.round()
    with pair.township.transaction() as s:
        assert sync.package_verifier(s) == []
    if pair.township.url.startswith("sqlite"):
        code, out, err = cli("verify", "--db", pair.township.url)
        assert code == 0 and "5 项校验全部通过" in out, out + err
    # an entry that claims a package this database never imported is named
    from shequ_sdk import audit

    with pair.township.transaction() as s:
        audit.append(s, None, "note", None, None, None, None, {"x": 1}, reason=f"{sync.REASON_PREFIX}伪造 #1–2 sha256 0123456789abcdef")
        problems = sync.package_verifier(s)
    assert len(problems) == 1 and "0123456789abcdef" in problems[0].message_zh and "no record of importing" in problems[0].message_en


def test_changes_apply_as_the_village_user_and_period_locks_apply(demo, tmp_path):
    from shequ_sdk import auth
    from shequ_sdk.auth import Actor

    with demo.transaction() as s:
        auth.add_user(s, "xs_clerk", role="village", region=VILLAGE, password="a-long-password-2")
    village, _ = _install(demo, tmp_path / "village.db")
    pair = Pair(demo, village, tmp_path)
    try:
        clerk = village.as_user(Actor("xs_clerk", "village", sdk_region_id(village, VILLAGE)))
        start, _ = this_quarter()
        rid = sdk_region_id(village, VILLAGE)
        clerk.write("finance_ledger_entry", [{"region_id": rid, "entry_date": start, "voucher_no": "XS-1", "direction": "income",
                                              "account_code": "501", "amount_fen": 1200}])
        before = _audit_count(demo)
        pair.up(pair.export())
        with demo.transaction() as s:
            actors = {a for (a,) in s.execute(select(AuditEntry.actor).where(AuditEntry.seq > before))}
        assert actors == {"xs_clerk"}
        # the village's local user is exempt from locks on the laptop; the township applies them on import
        village.write("finance_ledger_entry", [{"region_id": rid, "entry_date": dt.date(2010, 5, 4), "voucher_no": "XS-OLD", "direction": "income",
                                                "account_code": "501", "amount_fen": 1200}])
        before = _audit_count(demo)
        with pytest.raises(shequ_sdk.PermissionDenied, match="锁定"):
            pair.up(pair.export())
        assert _audit_count(demo) == before
    finally:
        village.close()


def sdk_region_id(sdk, name: str) -> int:
    with sdk.transaction() as s:
        return sdk_region(s, name)


def test_cli_conflict_report_and_resolve(pair, cli):
    if not pair.township.url.startswith("sqlite"):
        pytest.skip("the CLI flow is the same on both backends; run once on SQLite")
    h = _household(pair.village)
    _set_phone(pair.village, h.id, "13900000031")
    _set_phone(pair.township, h.id, "13900000032")
    pkg = pair.path / "c.shequ"
    pkg.write_bytes(pair.export())
    code, out, err = cli("sync", "import", "--db", pair.township.url, str(pkg))
    lines = err.strip().splitlines()
    assert code == 2 and lines[-1].startswith("错误 / error:") and "1 conflict(s)" in lines[-1] and "1 处冲突" in lines[-1]
    assert any("13900000031" in line and "13900000032" in line for line in lines[:-1])
    code, out, err = cli("sync", "import", "--db", pair.township.url, str(pkg), "--resolve", "sideways")
    assert code == 2 and "--resolve" in err and len(err.strip().splitlines()) == 1
    code, out, err = cli("sync", "import", "--db", pair.township.url, str(pkg), "--resolve", f"household:{h.id}=theirs")
    assert code == 0 and f"household:{h.id}" in out, err
    assert _household(pair.township).phone == "13900000031"


# -- the entry app's 同步 view ---------------------------------------------------------------------

def _html(view) -> str:
    return "".join(str(getattr(o, "object", "")) for o in view.objects if hasattr(o, "object"))


def test_the_entry_apps_sync_view_saves_the_package_and_imports_the_ack_with_a_choice_per_conflict(pair, render_view):
    on_township = render_view("core.sync", pair.township, region=VILLAGE, period="2010Q4")
    assert "乡镇服务器" in str(on_township.object)  # nothing to sync on the township's server
    h = _household(pair.village)
    _set_phone(pair.village, h.id, "13900000001")
    view = render_view("core.sync", pair.village, region=VILLAGE, period="2010Q4")
    assert "待发送的修改 <b>1</b> 条" in _html(view) and "上次" in _html(view)
    data = view.package().getvalue()  # what 生成修改包 downloads
    assert "请把文件交给乡镇" in _html(view) and "待发送的修改 <b>0</b> 条" in _html(view)
    first = pair.up(data)
    assert _household(pair.township).phone == "13900000001"
    assert view.import_bytes(first.ack) is True and "已导入乡镇回执" in _html(view)
    # the same record changed on both sides: the ack conflicts, nothing is imported, each choice is offered
    pair.down(pair.up(pair.export()).ack)
    _set_phone(pair.township, h.id, "13900000003")
    _set_phone(pair.village, h.id, "13900000004")
    ack = pair.up(pair.export(), resolve={"*": "ours"}).ack
    _set_phone(pair.village, h.id, "13900000005")
    view = render_view("core.sync", pair.village, region=VILLAGE, period="2010Q4")
    assert view.import_bytes(ack) is False
    assert "1 处冲突" in _html(view)
    card = str(view.objects[-1].objects[0].objects[0].object)
    assert "户" in card and "联系电话" in card and "139****0005" in card and "139****0003" in card
    assert "household:" not in card and f"#{h.id}" not in card  # no internal ids on the page
    choices = view.resolve()
    assert list(choices.values())[0].value == "theirs"
    list(choices.values())[0].value = "ours"
    view.objects[-1].objects[-1].clicks += 1  # 按所选导入
    assert _household(pair.village).phone == "13900000005"
    assert "已导入乡镇回执" in _html(view)
    assert view.import_bytes(b"not a package") is False and "shequ" not in _html(view).split("role=\"status\"")[1]
