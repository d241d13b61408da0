"""Offline villages: a village database that syncs with the township by signed change packages.

The model (docs/sync.md has the diagram):

- The township exports an *init package* for one village (:func:`export_for_village`): the
  village's region and its ancestors, the settings and lock exceptions that apply to it, the users
  of that village, and its records. ``shequ village init`` (:func:`init_village`) creates the
  village database from it, through the same audited paths as any write (so ``shequ verify``
  passes there), and generates the village installation's Ed25519 key. The township registers
  the public key (:func:`register_key`).
- The village works offline. ``shequ sync export`` (:func:`export_changes`) writes every record
  changed since the previous package — its current values, the village's audit entries for it,
  and the *base version* (the township's version of the record that the change was made on) —
  into one zip file signed with the village key, with a manifest (village, audit sequence range,
  counts per table, sha256 of the payload).
- ``shequ sync import`` (:func:`import_package`) at the township checks the signature against the
  registered key, the village, and the sequence (a gap is refused, naming the missing range; an
  applied package changes nothing), then applies every change through the validated write path
  (``records.write``) as the village's user, in one transaction. A record the township changed
  since the base version is a conflict: nothing is applied unless ``resolve`` decides.
- The import produces an *acknowledgement* (:func:`export_ack`): the township's current values of
  every record in the village's scope it changed since the village last heard from it (approvals,
  publications, corrections), the settings, lock exceptions and users of that scope, and the
  versions of the records just applied. The village imports it the same way (the township key
  came with the init package).

Ids: each database numbers its own rows. Both sides keep a map (table ``sync_map``: peer, table,
local id, the peer's id, and the peer's version of the record) and every package carries the
sender's ids with the pairs the sender knows, so references between records (``household_id``…)
are translated on arrival. Entries the import writes to the audit log carry the reason
``同步包 / sync package <village> #<from>–<to> sha256 <hash>`` so both chains tie back to the package.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from sqlalchemy import UniqueConstraint, func, insert, or_, select, update
from sqlmodel import Session, SQLModel

from .errors import InputError, NotFoundError, PermissionDenied, Problem
from .fields import field as sfield

FORMAT = 1
SUFFIX = ".shequ"
KINDS = ("init", "changes", "ack")
CORE_KEYS = ("region", "setting", "period_exception", "shequ_user")


# -- state tables --------------------------------------------------------------------------------

class SyncIdentity(SQLModel, table=True):
    """This installation's Ed25519 key pair (one row): the village's, or the township's."""

    __tablename__ = "sync_identity"
    id: Optional[int] = sfield(default=None, primary_key=True, label_zh="编号", label_en="ID")
    region_id: int = sfield(foreign_key="region.id", label_zh="地区", label_en="Region")
    private_key: str = sfield(label_zh="私钥", label_en="Private key")
    public_key: str = sfield(label_zh="公钥", label_en="Public key")
    created_at: dt.datetime = sfield(label_zh="创建时间", label_en="Created")


class SyncPeer(SQLModel, table=True):
    """The other side of a sync: at the township one row per village, at a village the township.

    ``in_seq``: the peer's highest audit seq applied here; ``out_seq``: the highest local seq sent
    to the peer in a package; ``peer_has``: the highest local seq the peer says it has applied."""

    __tablename__ = "sync_peer"
    id: Optional[int] = sfield(default=None, primary_key=True, label_zh="编号", label_en="ID")
    region_id: int = sfield(foreign_key="region.id", unique=True, label_zh="对方地区", label_en="Peer region")
    role: str = sfield(label_zh="对方角色", label_en="Peer role")  # "village" or "township"
    public_key: Optional[str] = sfield(default=None, label_zh="对方公钥", label_en="Peer public key")
    registered_at: Optional[dt.datetime] = sfield(default=None, label_zh="登记时间", label_en="Registered")
    in_seq: int = sfield(default=0, label_zh="已导入对方序号", label_en="Peer seq applied")
    out_seq: int = sfield(default=0, label_zh="已导出本地序号", label_en="Local seq exported")
    peer_has: int = sfield(default=0, label_zh="对方已确认序号", label_en="Local seq acknowledged")
    last_sync_at: Optional[dt.datetime] = sfield(default=None, label_zh="最近同步", label_en="Last sync")


class SyncPackage(SQLModel, table=True):
    """A package made or applied here: its peer, kind, the sender's seq range, sha256, and the
    local audit seq range its import wrote (those entries are the peer's, not to be sent back)."""

    __tablename__ = "sync_package"
    id: Optional[int] = sfield(default=None, primary_key=True, label_zh="编号", label_en="ID")
    peer_region_id: int = sfield(foreign_key="region.id", index=True, label_zh="对方地区", label_en="Peer region")
    direction: str = sfield(label_zh="方向", label_en="Direction")  # "in" or "out"
    kind: str = sfield(label_zh="类型", label_en="Kind")
    from_seq: int = sfield(label_zh="起始序号", label_en="From seq")
    to_seq: int = sfield(label_zh="截止序号", label_en="To seq")
    sha256: str = sfield(index=True, label_zh="摘要", label_en="sha256")
    at: dt.datetime = sfield(label_zh="时间", label_en="At")
    local_from: Optional[int] = sfield(default=None, label_zh="本地起始序号", label_en="Local from seq")
    local_to: Optional[int] = sfield(default=None, label_zh="本地截止序号", label_en="Local to seq")
    counts: str = sfield(default="{}", label_zh="各表条数", label_en="Counts")


class SyncMap(SQLModel, table=True):
    """A record known to both sides: its id here, its id at the peer, and the peer's version."""

    __tablename__ = "sync_map"
    __table_args__ = (UniqueConstraint("peer_region_id", "table_key", "local_id", name="uq_sync_map_local"),
                      UniqueConstraint("peer_region_id", "table_key", "remote_id", name="uq_sync_map_remote"))
    id: Optional[int] = sfield(default=None, primary_key=True, label_zh="编号", label_en="ID")
    peer_region_id: int = sfield(foreign_key="region.id", label_zh="对方地区", label_en="Peer region")
    table_key: str = sfield(label_zh="数据表", label_en="Table")
    local_id: int = sfield(label_zh="本地编号", label_en="Local id")
    remote_id: int = sfield(label_zh="对方编号", label_en="Peer id")
    remote_version: int = sfield(default=0, label_zh="对方版本", label_en="Peer version")


SYNC_TABLES = (SyncIdentity, SyncPeer, SyncPackage, SyncMap)


# -- errors --------------------------------------------------------------------------------------

class SyncRefused(InputError):
    """A package that is not applied: bad signature, unknown key, wrong village, a gap."""


@dataclass
class Conflict:
    """The same record changed on both sides since the last sync."""

    table_key: str
    label_zh: str
    label_en: str
    local_id: int
    ours: Optional[dict]
    theirs: dict
    ours_who: str
    ours_at: Any
    theirs_who: str
    theirs_at: Any

    @property
    def key(self) -> str:
        return f"{self.table_key}:{self.local_id}"

    def lines(self) -> list[str]:
        changed = sorted(c for c in self.theirs if c != "id" and (self.ours or {}).get(c) != self.theirs.get(c))
        out = [f"冲突 / conflict {self.key}（{self.label_zh} / {self.label_en} #{self.local_id}）："
               f"本库 / here: {self.ours_who} {self.ours_at}；同步包 / package: {self.theirs_who} {self.theirs_at}"]
        for c in changed:
            out.append(f"  {c}: 本库 / here = {_show((self.ours or {}).get(c))}；同步包 / package = {_show(self.theirs.get(c))}")
        return out


def _show(v) -> str:
    return "—" if v is None else str(v)


class SyncConflict(InputError):
    """Conflicts found: nothing was applied. ``conflicts`` lists them; ``lines()`` the report."""

    def __init__(self, conflicts: list[Conflict]):
        self.conflicts = conflicts
        keys = "、".join(c.key for c in conflicts[:10]) + ("…" if len(conflicts) > 10 else "")
        super().__init__(
            f"同步包与本库有 {len(conflicts)} 处冲突（同一记录两边都改过：{keys}），未写入任何数据；"
            f"用 --resolve theirs|ours|表:编号=theirs 决定",
            f"{len(conflicts)} conflict(s) with this database (the same record changed on both sides: {keys}); nothing was "
            f"written; decide with --resolve theirs|ours|TABLE:ID=theirs")

    def lines(self) -> list[str]:
        return [line for c in self.conflicts for line in c.lines()]


# -- keys and package files -----------------------------------------------------------------------

def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)  # the columns store aware UTC times


def new_key_pair() -> tuple[str, str]:
    """``(private hex, public hex)`` of a fresh Ed25519 key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    pub = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return raw.hex(), pub.hex()


def sign(private_hex: str, data: bytes) -> str:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(private_hex)).sign(data).hex()


def signature_valid(public_hex: str, data: bytes, signature_hex: str) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex)).verify(bytes.fromhex(signature_hex), data)
        return True
    except (InvalidSignature, ValueError):
        return False


def _canonical(value) -> bytes:
    from .audit import canonical

    return canonical(value).encode("utf-8")


def write_package(manifest: dict, payload: dict, private_hex: Optional[str]) -> bytes:
    """The package file: a zip of ``manifest.json``, ``payload.json`` and ``signature`` (Ed25519
    over the canonical manifest, which holds the payload's sha256)."""
    body = _canonical(payload)
    manifest = {**manifest, "format": FORMAT, "payload_sha256": hashlib.sha256(body).hexdigest(), "payload_bytes": len(body)}
    head = _canonical(manifest)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", head)
        z.writestr("payload.json", body)
        if private_hex:
            z.writestr("signature", sign(private_hex, head))
    return buf.getvalue()


@dataclass
class Package:
    manifest: dict
    payload: dict
    signature: Optional[str]
    head: bytes
    sha256: str  # of the whole file

    @property
    def kind(self) -> str:
        return self.manifest.get("kind", "")


def read_package(data: bytes) -> Package:
    """Open a package file and check that its payload is the one the manifest names (the
    signature is checked by the importer, which knows whose key it must be)."""
    sha = hashlib.sha256(data).hexdigest()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            head = z.read("manifest.json")
            body = z.read("payload.json")
            signature = z.read("signature").decode("ascii").strip() if "signature" in z.namelist() else None
        manifest = json.loads(head)
    except (zipfile.BadZipFile, KeyError, ValueError, UnicodeDecodeError) as exc:
        raise SyncRefused(f"不是有效的同步包文件：{exc}", f"not a valid sync package file: {exc}") from None
    if manifest.get("format") != FORMAT or manifest.get("kind") not in KINDS:
        raise SyncRefused("同步包格式或类型不受支持", f"unsupported package format or kind: {manifest.get('format')}/{manifest.get('kind')}")
    if hashlib.sha256(body).hexdigest() != manifest.get("payload_sha256"):
        raise SyncRefused("同步包内容与清单中的摘要不符（签名后被改动），未导入", "the package's payload does not match the sha256 in its "
                          "manifest (changed after signing); nothing was imported")
    return Package(manifest=manifest, payload=json.loads(body), signature=signature, head=head, sha256=sha)


def _check_signature(pkg: Package, public_hex: Optional[str], who_zh: str, who_en: str) -> None:
    if not public_hex:
        raise SyncRefused(f"{who_zh}尚未登记公钥（shequ sync register-key），不能导入其同步包",
                          f"{who_en} has no registered key (shequ sync register-key): its packages cannot be imported")
    if pkg.manifest.get("public_key") != public_hex:
        raise SyncRefused(f"同步包由未登记的密钥签名（不是{who_zh}登记的公钥），未导入",
                          f"the package is signed with a key that is not the one registered for {who_en}; nothing was imported")
    if not pkg.signature or not signature_valid(public_hex, pkg.head, pkg.signature):
        raise SyncRefused("同步包签名无效（签名后被改动或签名不符），未导入", "the package's signature is invalid (changed after signing); nothing was imported")


# -- tables ----------------------------------------------------------------------------------------

def record_tables() -> list:
    """Registered record tables that sync (not derived), parents before the tables referring to them."""
    from sqlalchemy.schema import sort_tables

    from .plugins import registry

    tables = {rt.model.__table__: rt for rt in registry().tables.values() if not rt.derived}
    return [tables[t] for t in sort_tables(list(tables)) if t in tables]


def _core_tables() -> dict:
    from .locks import PeriodException
    from .models import Region, Setting, User

    return {"region": Region.__table__, "setting": Setting.__table__, "period_exception": PeriodException.__table__,
            "shequ_user": User.__table__}


def _audited_view(key: str, row: dict) -> dict:
    from .auth import user_audit_values
    from .config import setting_audit_values
    from .regions import region_audit_values

    if key == "region":
        return _jsonable(region_audit_values(row))
    if key == "setting":
        return setting_audit_values(row)
    if key == "shequ_user":
        return _jsonable(user_audit_values(row))
    return _jsonable(dict(row))


def _jsonable(row: Optional[dict]) -> Optional[dict]:
    if row is None:
        return None
    return json.loads(_canonical(row))


def _ref_columns(rt) -> dict[str, str]:
    """``{column: target table key}`` of ``rt``'s references to record tables."""
    from .references import references_of

    return {ref.field.name: ref.target.key for ref in references_of(rt)}


# -- identity, peers, maps ---------------------------------------------------------------------------

def identity(session: Session) -> Optional[SyncIdentity]:
    return session.execute(select(SyncIdentity).order_by(SyncIdentity.id)).scalars().first()


def _ensure_identity(session: Session, region_id: int) -> SyncIdentity:
    ident = identity(session)
    if ident is None:
        private, public = new_key_pair()
        ident = SyncIdentity(region_id=region_id, private_key=private, public_key=public, created_at=_now())
        session.add(ident)
        session.flush()
    return ident


def _peer(session: Session, region_id: int) -> Optional[SyncPeer]:
    return session.execute(select(SyncPeer).where(SyncPeer.region_id == region_id)).scalars().first()


def _map(session: Session, peer_id: int, table_key: str) -> dict[int, SyncMap]:
    """``{remote id: map row}`` of one table for one peer."""
    rows = session.execute(select(SyncMap).where(SyncMap.peer_region_id == peer_id, SyncMap.table_key == table_key)).scalars()
    return {m.remote_id: m for m in rows}


def _local_map(session: Session, peer_id: int, table_key: str) -> dict[int, SyncMap]:
    rows = session.execute(select(SyncMap).where(SyncMap.peer_region_id == peer_id, SyncMap.table_key == table_key)).scalars()
    return {m.local_id: m for m in rows}


def _imported_ranges(session: Session, peer_id: int) -> list[tuple[int, int]]:
    """Local audit seq ranges written by imports of the peer's packages (the peer's own changes)."""
    rows = session.execute(select(SyncPackage.local_from, SyncPackage.local_to).where(
        SyncPackage.peer_region_id == peer_id, SyncPackage.direction == "in", SyncPackage.local_from.is_not(None)))
    return [(a, b) for a, b in rows if a is not None and b is not None and b >= a]


def _from_peer(seq: int, ranges: list[tuple[int, int]]) -> bool:
    return any(a <= seq <= b for a, b in ranges)


def _region(session: Session, name_or_id) -> Any:
    from .models import Region
    from .regions import find_region

    if isinstance(name_or_id, int):
        r = session.get(Region, name_or_id)
        if r is None:
            raise NotFoundError(f"没有编号为 {name_or_id} 的地区", f"no region with id {name_or_id}")
        return r
    return find_region(session, name_or_id)


def _village_and_ancestors(session: Session, village) -> list:
    from .models import Region

    out, r = [], village
    while r is not None:
        out.append(r)
        r = session.get(Region, r.parent_id) if r.parent_id else None
    return list(reversed(out))


# -- what changed ------------------------------------------------------------------------------------

def _touched(session: Session, after: int, upto: int, *, region_ids: Optional[set[int]], exclude: list[tuple[int, int]],
             keys: Iterable[str]) -> tuple[dict[tuple[str, int], list[dict]], list[dict]]:
    """Records changed by audit entries in ``(after, upto]`` (not from the peer's imports):
    ``({(table_key, id): [entries]}, all entries)``; a bulk insert counts for every row of its range."""
    from .audit import AuditEntry

    tbl = AuditEntry.__table__
    keys = list(keys)
    stmt = select(tbl).where(tbl.c.seq > after, tbl.c.seq <= upto, tbl.c.table_key.in_(keys)).order_by(tbl.c.seq)
    touched: dict[tuple[str, int], list[dict]] = {}
    entries = []
    for e in session.execute(stmt).mappings():
        if _from_peer(e["seq"], exclude):
            continue
        e = dict(e)
        if e["action"] == "bulk_insert":
            summary = json.loads(e["new"] or "{}")
            ids = _existing_ids(session, e["table_key"], summary.get("first_id"), summary.get("last_id"), region_ids)
            if ids:
                entries.append(e)
            for rid in ids:
                touched.setdefault((e["table_key"], rid), []).append(e)
            continue
        if e["record_id"] is None:
            continue
        if region_ids is not None and e["region_id"] not in region_ids:
            continue
        entries.append(e)
        touched.setdefault((e["table_key"], e["record_id"]), []).append(e)
    return touched, entries


def _existing_ids(session: Session, table_key: str, first, last, region_ids) -> list[int]:
    from .plugins import registry

    if first is None or last is None or table_key not in registry().tables:
        return []
    t = registry().tables[table_key].model.__table__
    stmt = select(t.c.id).where(t.c.id >= first, t.c.id <= last)
    if region_ids is not None:
        stmt = stmt.where(t.c.region_id.in_(region_ids))
    return list(session.execute(stmt).scalars())


def _rows(session: Session, table, ids: Iterable[int]) -> dict[int, dict]:
    ids = sorted(set(ids))
    out = {}
    for i in range(0, len(ids), 500):
        for r in session.execute(select(table).where(table.c.id.in_(ids[i:i + 500]))).mappings():
            out[r["id"]] = dict(r)
    return out


def _versions(session: Session, table_key: str, ids: Iterable[int]) -> dict[int, int]:
    from .audit import latest

    return {rid: v[0] for rid, v in latest(session, table_key, ids).items()}


def _entry_json(e: dict) -> dict:
    return _jsonable({k: e[k] for k in ("seq", "at", "actor", "action", "table_key", "record_id", "region_id", "old", "new", "reason",
                                        "prev_hash", "hash")})


def _record_items(session: Session, peer_id: int, touched: dict, *, with_base: bool) -> tuple[list[dict], dict]:
    """The package's records (current values in this database's ids) and the id pairs known for
    every id they mention: ``([{table, id, row, base, seq, actor, at}], {table: [[here, there], …]})``."""
    from .plugins import registry

    reg = registry()
    items, pairs = [], {}
    by_table: dict[str, list[int]] = {}
    for (key, rid) in touched:
        if key in reg.tables:
            by_table.setdefault(key, []).append(rid)
    order = [rt.key for rt in record_tables()]
    for key in order:
        ids = by_table.get(key)
        if not ids:
            continue
        rt = reg.tables[key]
        rows = _rows(session, rt.model.__table__, ids)
        known = _local_map(session, peer_id, key)
        mention: dict[str, set] = {key: set(rows)}
        for col, target in _ref_columns(rt).items():
            mention.setdefault(target, set()).update(r[col] for r in rows.values() if r.get(col) is not None)
        for t, ids_ in mention.items():
            m = known if t == key else _local_map(session, peer_id, t)
            pairs.setdefault(t, {}).update({i: m[i].remote_id for i in ids_ if i in m})
        for rid in sorted(rows):
            ents = touched[(key, rid)]
            last = ents[-1]
            m = known.get(rid)
            items.append({"table": key, "id": rid, "row": _jsonable(rows[rid]), "seq": last["seq"], "actor": last["actor"],
                          "at": _jsonable({"a": last["at"]})["a"], "base": (m.remote_version if m is not None else None) if with_base else None})
    return items, {t: sorted([a, b] for a, b in p.items()) for t, p in pairs.items() if p}


# -- the township: the init package and keys ----------------------------------------------------------

def export_for_village(session: Session, village, *, actor=None) -> bytes:
    """The init package for ``village``: its region and ancestors, the settings and lock
    exceptions that apply to it, its users, and its records (with the township's versions).
    Registers the village as a peer here (its key comes later, :func:`register_key`)."""
    from .audit import head
    from .auth import check_region_change
    from .models import Region

    village = _region(session, village)
    if village.kind not in ("village", "community"):
        raise InputError(f"{village.name} 不是村或社区，不能导出村级安装包", f"{village.name} is not a village or community")
    check_region_change(actor, village.name)  # only an administrator (or the local user) hands out an installation
    township = session.get(Region, village.township_id)
    ident = _ensure_identity(session, township.id)
    seq, _ = head(session)
    chain = _village_and_ancestors(session, village)
    scope = {r.id for r in chain}
    core = _core_tables()
    payload: dict[str, Any] = {"regions": [_jsonable(_row_of(session, core["region"], r.id)) for r in chain]}
    s = core["setting"]
    payload["settings"] = [_jsonable(dict(r)) for r in session.execute(
        select(s).where(or_(s.c.region_id.is_(None), s.c.region_id.in_(scope))).order_by(s.c.id)).mappings()]
    p = core["period_exception"]
    payload["locks"] = [_jsonable(dict(r)) for r in session.execute(select(p).where(p.c.region_id.in_(scope)).order_by(p.c.id)).mappings()]
    u = core["shequ_user"]
    payload["users"] = [_jsonable(dict(r)) for r in session.execute(select(u).where(u.c.region_id == village.id).order_by(u.c.id)).mappings()]
    records, versions = [], {}
    peer = _peer(session, village.id)
    if peer is None:
        peer = SyncPeer(region_id=village.id, role="village")
    else:  # a new installation replaces the old one: its key must be registered again, its ids start afresh
        session.execute(SyncMap.__table__.delete().where(SyncMap.__table__.c.peer_region_id == village.id))
        peer.public_key, peer.registered_at, peer.in_seq, peer.out_seq, peer.peer_has = None, None, 0, 0, 0
    session.add(peer)
    session.flush()
    tables = record_tables()
    chosen: dict[str, dict[int, dict]] = {}
    for rt in tables:
        t = rt.model.__table__
        chosen[rt.key] = {r["id"]: dict(r) for r in session.execute(select(t).where(t.c.region_id == village.id)).mappings()}
    # records of the township and county that village records may refer to (a township's home for the elderly…)
    targets = {target for rt in tables for target in _ref_columns(rt).values()}
    for rt in tables:
        if rt.key in targets:
            t = rt.model.__table__
            for r in session.execute(select(t).where(t.c.region_id.in_(scope - {village.id}))).mappings():
                chosen[rt.key][r["id"]] = dict(r)
    for rt in reversed(tables):
        for col, target in _ref_columns(rt).items():
            missing = {r[col] for r in chosen[rt.key].values() if r.get(col) is not None} - set(chosen[target])
            if missing:
                ttable = next(t for t in tables if t.key == target).model.__table__
                for rid, row in _rows(session, ttable, missing).items():
                    if row["region_id"] in scope:
                        chosen[target][rid] = row
    for rt in tables:
        rows = [chosen[rt.key][i] for i in sorted(chosen[rt.key])]
        if not rows:
            continue
        records.append({"table": rt.key, "rows": [_jsonable(r) for r in rows]})
        v = _versions(session, rt.key, [r["id"] for r in rows])
        versions[rt.key] = [[r["id"], v.get(r["id"], 0)] for r in rows]
        _remember(session, village.id, rt.key, [(r["id"], r["id"], 0) for r in rows])
    payload["records"] = records
    payload["versions"] = versions
    peer.out_seq = max(peer.out_seq, seq)
    peer.peer_has = max(peer.peer_has, seq)
    session.add(peer)
    counts = {"region": len(payload["regions"]), "setting": len(payload["settings"]), "period_exception": len(payload["locks"]),
              "shequ_user": len(payload["users"]), **{r["table"]: len(r["rows"]) for r in records}}
    manifest = {"kind": "init", "village": _who(village), "township": _who(township), "sender": "township",
                "public_key": ident.public_key, "from_seq": 0, "to_seq": seq, "peer_seq": 0, "counts": counts,
                "created_at": _now().isoformat()}
    data = write_package(manifest, payload, ident.private_key)
    _log_package(session, village.id, "out", "init", 0, seq, hashlib.sha256(data).hexdigest(), counts)
    return data


def _who(region) -> dict:
    return {"id": region.id, "name": region.name, "code": region.code}


def _row_of(session: Session, table, rid: int) -> dict:
    return dict(session.execute(select(table).where(table.c.id == rid)).mappings().one())


def _remember(session: Session, peer_id: int, table_key: str, triples: list[tuple[int, int, int]]) -> None:
    """Store ``(local id, remote id, remote version)`` in the map (updating known pairs)."""
    if not triples:
        return
    from sqlalchemy import bindparam

    known = _local_map(session, peer_id, table_key)
    new, changed = [], []
    for local, remote, version in triples:
        m = known.get(local)
        if m is None:
            new.append({"peer_region_id": peer_id, "table_key": table_key, "local_id": local, "remote_id": remote, "remote_version": version})
        elif m.remote_id != remote or m.remote_version != version:
            changed.append({"map_id": m.id, "remote": remote, "version": version})
    if changed:
        t = SyncMap.__table__
        session.execute(update(t).where(t.c.id == bindparam("map_id")).values(remote_id=bindparam("remote"), remote_version=bindparam("version")),
                        changed)
    if new:
        session.execute(insert(SyncMap.__table__), new)


def _log_package(session: Session, peer_id: int, direction: str, kind: str, a: int, b: int, sha: str, counts: dict,
                 local: Optional[tuple[int, int]] = None) -> None:
    session.add(SyncPackage(peer_region_id=peer_id, direction=direction, kind=kind, from_seq=a, to_seq=b, sha256=sha, at=_now(),
                            local_from=local[0] if local else None, local_to=local[1] if local else None,
                            counts=json.dumps(counts, ensure_ascii=False, sort_keys=True)))
    session.flush()


def register_key(session: Session, village, public_hex: str, *, actor=None) -> SyncPeer:
    """Register (or replace) a village installation's public key at the township."""
    from .auth import check_region_change

    village = _region(session, village)
    check_region_change(actor, village.name)
    text = (public_hex or "").strip().lower()
    try:
        if len(bytes.fromhex(text)) != 32:
            raise ValueError
    except ValueError:
        raise InputError(f"公钥无效（应为 64 位十六进制数，shequ village init 打印的那一行）：{public_hex!r}",
                         f"invalid public key (64 hex digits expected, as shequ village init prints it): {public_hex!r}") from None
    peer = _peer(session, village.id)
    if peer is None:
        raise NotFoundError(f"{village.name} 还没有导出过村级安装包（shequ sync export --for {village.name}）",
                            f"no installation package was exported for {village.name} (shequ sync export --for {village.name})")
    from . import audit

    old = peer.public_key
    peer.public_key, peer.registered_at = text, _now()
    session.add(peer)
    session.flush()
    audit.append(session, actor, "sync.register_key", SyncPeer.__tablename__, peer.id, village.id,
                 {"public_key": old} if old else None, {"public_key": text})
    return peer


# -- the village: init ----------------------------------------------------------------------------------

def init_village(session: Session, data: bytes) -> SyncIdentity:
    """Fill an empty database from an init package; return the new installation identity."""
    from .audit import attributed, head
    from .auth import LOCAL_NAME
    from .plugins import registry
    from .records import write

    pkg = read_package(data)
    if pkg.kind != "init":
        raise SyncRefused("这不是村级安装包（shequ sync export --for 村名 导出的文件）",
                          "not an installation package (the file shequ sync export --for VILLAGE writes)")
    if not pkg.signature or not signature_valid(pkg.manifest["public_key"], pkg.head, pkg.signature):
        raise SyncRefused("安装包签名无效（签名后被改动），未导入", "the installation package's signature is invalid; nothing was imported")
    if identity(session) is not None or session.execute(select(func.count()).select_from(_core_tables()["region"])).scalar_one():
        raise InputError("该数据库已有数据，村级安装只能建在新数据库上", "the database is not empty: a village installation starts from a new database")
    m = pkg.manifest
    township_id, village_id = m["township"]["id"], m["village"]["id"]
    reason = f"安装包 / installation package {m['village']['name']} sha256 {pkg.sha256[:16]}"
    core = _core_tables()
    with attributed(reason, f"{LOCAL_NAME}"):
        for key, rows in (("region", pkg.payload["regions"]), ("setting", pkg.payload["settings"]),
                          ("period_exception", pkg.payload["locks"]), ("shequ_user", pkg.payload["users"])):
            for row in rows:
                _apply_core(session, key, core[key], row, None)
        reg = registry()
        for part in pkg.payload["records"]:
            if part["table"] not in reg.tables:
                raise InputError(f"本机未安装数据表 {part['table']} 的插件", f"the plugin of table {part['table']} is not installed here")
        order = {rt.key: n for n, rt in enumerate(record_tables())}
        sctx = SyncContext(origin="township", package=pkg.sha256)
        for part in pkg.payload["records"]:
            sctx.created(part["table"]).update(r["id"] for r in part["rows"])
        for part in sorted(pkg.payload["records"], key=lambda p: order[p["table"]]):
            write(session=session, table=part["table"], rows=[dict(r) for r in part["rows"]], actor=None, sync=sctx)
    for key, pairs in pkg.payload["versions"].items():
        _remember(session, township_id, key, [(i, i, v) for i, v in pairs])
    seq, _ = head(session)
    ident = _ensure_identity(session, village_id)
    session.add(SyncPeer(region_id=township_id, role="township", public_key=m["public_key"], registered_at=_now(),
                         in_seq=m["to_seq"], out_seq=seq, peer_has=seq, last_sync_at=_now()))
    _log_package(session, township_id, "in", "init", 0, m["to_seq"], pkg.sha256, m["counts"], (1, seq))
    return ident


def _apply_core(session: Session, key: str, table, row: dict, actor) -> bool:
    """Insert or update a row of a core table (region, setting, lock exception, user) as the
    package has it, with the audit entry its own code path writes. Returns whether it changed."""
    from . import audit

    row = _coerce(table, row)
    stored = session.execute(select(table).where(table.c.id == row["id"])).mappings().first()
    region_id = row.get("region_id") if key != "region" else row["id"]
    action = "lock.exception" if key == "period_exception" else None
    if stored is None:
        session.execute(insert(table).values(**row))
        audit.append(session, actor, action or "insert", key, row["id"], region_id, None, _audited_view(key, row))
        return True
    stored = dict(stored)
    changes = {c: v for c, v in row.items() if c != "id" and stored.get(c) != v}
    if not changes:
        return False
    session.execute(update(table).where(table.c.id == row["id"]).values(**changes))
    before, after = _audited_view(key, stored), _audited_view(key, {**stored, **changes})
    keys = [k for k in after if before.get(k) != after.get(k)]
    if keys:
        audit.append(session, actor, action or "update", key, row["id"], region_id, {k: before[k] for k in keys}, {k: after[k] for k in keys})
    return True


def _coerce(table, row: dict) -> dict:
    """JSON values back to the column types (dates and times)."""
    from sqlalchemy import Date, DateTime

    out = {}
    for c in table.columns:
        if c.name not in row:
            continue
        v = row[c.name]
        impl = getattr(c.type, "impl", c.type)  # a TypeDecorator (aware UTC times) wraps a DateTime
        if isinstance(v, str) and isinstance(impl, DateTime):
            v = dt.datetime.fromisoformat(v)
            if v.tzinfo is None and (impl is not c.type or getattr(impl, "timezone", False)):
                v = v.replace(tzinfo=dt.timezone.utc)
        elif isinstance(v, str) and isinstance(impl, Date):
            v = dt.date.fromisoformat(v)
        out[c.name] = v
    return out


# -- changes out ------------------------------------------------------------------------------------------

def export_changes(session: Session, *, since_ack: bool = False) -> bytes:
    """The village's change package: every record changed since the previous package (or, with
    ``since_ack``, since the last one the township acknowledged), signed with the village key."""
    from .audit import head
    from .models import Region

    ident = identity(session)
    township = session.execute(select(SyncPeer).where(SyncPeer.role == "township")).scalars().first()
    if ident is None or township is None:
        raise InputError("这不是村级安装的数据库（先用 shequ village init 建立）",
                         "this database is not a village installation (create one with shequ village init)")
    village = session.get(Region, ident.region_id)
    seq, _ = head(session)
    after = township.peer_has if since_ack else township.out_seq
    exclude = _imported_ranges(session, township.region_id)
    touched, entries = _touched(session, after, seq, region_ids=None, exclude=exclude, keys=[rt.key for rt in record_tables()])
    items, pairs = _record_items(session, township.region_id, touched, with_base=True)
    counts: dict[str, int] = {}
    for it in items:
        counts[it["table"]] = counts.get(it["table"], 0) + 1
    payload = {"records": items, "ids": pairs, "audit": [_entry_json(e) for e in entries]}
    manifest = {"kind": "changes", "village": _who(village), "township": _who(session.get(Region, township.region_id)),
                "sender": "village", "public_key": ident.public_key, "from_seq": after + 1, "to_seq": seq,
                "peer_seq": township.in_seq, "init_seq": _init_seq(session, township.region_id), "counts": counts,
                "created_at": _now().isoformat()}
    data = write_package(manifest, payload, ident.private_key)
    township.out_seq = max(township.out_seq, seq)
    session.add(township)
    _log_package(session, township.region_id, "out", "changes", after + 1, seq, hashlib.sha256(data).hexdigest(), counts)
    return data


def _init_seq(session: Session, peer_id: int) -> int:
    """The last local audit seq the installation's init wrote (changes start after it)."""
    got = session.execute(select(SyncPackage.local_to).where(SyncPackage.peer_region_id == peer_id, SyncPackage.kind == "init",
                                                             SyncPackage.direction == "in")).scalars().first()
    return got or 0


def export_ack(session: Session, village, *, applied: Optional[list[dict]] = None, acknowledges: Optional[str] = None) -> bytes:
    """The township's package for ``village``: its current values of every record in the
    village's scope changed here since the village last applied a township package (not the
    village's own changes), the records of the package just applied (``applied``, so the village
    learns their ids and versions), and the settings, lock exceptions and users of its scope."""
    from .audit import head
    from .models import Region

    village = _region(session, village)
    peer = _peer(session, village.id)
    ident = identity(session)
    if peer is None or ident is None:
        raise NotFoundError(f"{village.name} 不是已登记的离线村", f"{village.name} is not a registered offline village")
    township = session.get(Region, village.township_id)
    seq, _ = head(session)
    after = peer.peer_has
    exclude = _imported_ranges(session, village.id)
    keys = [rt.key for rt in record_tables()]
    touched, entries = _touched(session, after, seq, region_ids={village.id}, exclude=exclude, keys=keys)
    changed = set(touched)
    for it in applied or []:
        touched.setdefault((it["table"], it["id"]), [{"seq": 0, "actor": "", "at": None}])
    items, pairs = _record_items(session, village.id, touched, with_base=False)
    for it in items:
        it["changed"] = (it["table"], it["id"]) in changed
    versions: dict[str, list] = {}
    by_table: dict[str, list[int]] = {}
    for it in items:
        by_table.setdefault(it["table"], []).append(it["id"])
    for key, ids in by_table.items():
        v = _versions(session, key, ids)
        versions[key] = [[i, v.get(i, 0)] for i in ids]
    scope = {r.id for r in _village_and_ancestors(session, village)}
    core_touched, core_entries = _touched(session, after, seq, region_ids=scope | {None}, exclude=exclude,
                                          keys=["setting", "period_exception", "shequ_user"])
    core = _core_tables()
    core_rows = []
    for (key, rid) in sorted(core_touched):
        row = session.execute(select(core[key]).where(core[key].c.id == rid)).mappings().first()
        if row is None:
            continue
        if key == "shequ_user" and row["region_id"] != village.id:
            continue
        core_rows.append({"table": key, "row": _jsonable(dict(row))})
    counts: dict[str, int] = {}
    for it in items:
        counts[it["table"]] = counts.get(it["table"], 0) + 1
    for it in core_rows:
        counts[it["table"]] = counts.get(it["table"], 0) + 1
    payload = {"records": items, "ids": pairs, "versions": versions, "core": core_rows,
               "audit": [_entry_json(e) for e in entries + core_entries]}
    manifest = {"kind": "ack", "village": _who(village), "township": _who(township), "sender": "township",
                "public_key": ident.public_key, "from_seq": after + 1, "to_seq": seq, "peer_seq": peer.in_seq,
                "acknowledges": acknowledges, "counts": counts, "created_at": _now().isoformat()}
    data = write_package(manifest, payload, ident.private_key)
    peer.out_seq = max(peer.out_seq, seq)
    session.add(peer)
    _log_package(session, village.id, "out", "ack", after + 1, seq, hashlib.sha256(data).hexdigest(), counts)
    return data


# -- import ----------------------------------------------------------------------------------------------

@dataclass
class SyncContext:
    """What row rules see as ``ctx.sync`` while a package is applied (``ctx.mode == "sync"``):
    who sent it (``origin``: ``"village"`` or ``"township"``) and :meth:`before`, a record as it
    was here before the package (``None`` for a record the package creates)."""

    origin: str
    package: str
    _before: dict = field(default_factory=dict)
    _created: dict = field(default_factory=dict)

    def before(self, table_key: str, record_id) -> Optional[dict]:
        """The record as it was here before the package, when the package changes it (``None``
        for records it creates, and for records it does not touch: read those as stored)."""
        return self._before.get((table_key, record_id))

    def created(self, table_key: str) -> set:
        """Ids of the records of ``table_key`` this package created here so far."""
        return self._created.setdefault(table_key, set())


@dataclass
class ImportResult:
    kind: str
    village: str
    from_seq: int
    to_seq: int
    sha256: str
    inserted: dict = field(default_factory=dict)
    updated: dict = field(default_factory=dict)
    unchanged: int = 0
    skipped: int = 0  # already applied, or kept by a resolution
    resolved: list = field(default_factory=list)  # (key, "theirs"|"ours")
    already_applied: bool = False
    dry_run: bool = False
    ack: Optional[bytes] = None

    @property
    def changed(self) -> int:
        return sum(self.inserted.values()) + sum(self.updated.values())


def parse_resolve(values: Iterable[str]) -> dict:
    """``["theirs"]`` / ``["ours"]`` / ``["finance_posting:12=theirs", …]`` → ``{"*": …, key: …}``."""
    out = {}
    for v in values or []:
        for part in str(v).split(","):
            part = part.strip()
            if not part:
                continue
            key, _, how = part.rpartition("=") if "=" in part else ("*", "", part)
            how = how.strip().lower()
            if how not in ("theirs", "ours"):
                raise InputError(f"--resolve 的取值无效：{part!r}（应为 theirs、ours 或 表:编号=theirs）",
                                 f"invalid --resolve value {part!r} (theirs, ours or TABLE:ID=theirs)")
            out[key.strip() or "*"] = how
    return out


def import_package(session: Session, data: bytes, *, resolve: Optional[dict] = None, dry_run: bool = False,
                   make_ack: bool = True) -> ImportResult:
    """Apply a village's change package (at the township) or an acknowledgement (at the village),
    all or nothing. Raises :class:`SyncRefused` or :class:`SyncConflict` with nothing written.
    ``dry_run`` checks everything and reports what would change, then writes nothing (the caller
    rolls back). At the township the result carries the acknowledgement (``make_ack``)."""
    from .audit import attributed, head

    pkg = read_package(data)
    m = pkg.manifest
    ident = identity(session)
    if ident is None:
        raise SyncRefused("本数据库没有同步身份（乡镇先用 shequ sync export --for 村名 导出安装包，村用 shequ village init 建立）",
                          "this database has no sync identity (the township exports with shequ sync export --for VILLAGE; "
                          "a village is created with shequ village init)")
    if pkg.kind == "changes":
        peer_region = m.get("village", {}).get("id")
        at_township = True
    elif pkg.kind == "ack":
        peer_region = m.get("township", {}).get("id")
        at_township = False
        if m.get("village", {}).get("id") != ident.region_id:
            raise SyncRefused(f"这是给 {m.get('village', {}).get('name')} 的回执，不是本村的，未导入",
                              f"this acknowledgement is for {m.get('village', {}).get('name')}, not this village; nothing was imported")
    else:
        raise SyncRefused("安装包只能用 shequ village init 导入", "an installation package is imported with shequ village init only")
    peer = _peer(session, peer_region) if isinstance(peer_region, int) else None
    name = (m.get("village") or {}).get("name", "?") if at_township else (m.get("township") or {}).get("name", "?")
    if peer is None or peer.role != ("village" if at_township else "township"):
        raise SyncRefused(f"{name} 不是本库登记的离线{'村' if at_township else '乡镇'}，未导入",
                          f"{name} is not a registered {'offline village' if at_township else 'township'} of this database; nothing was imported")
    _check_signature(pkg, peer.public_key, name, name)
    village_name = m["village"]["name"]
    result = ImportResult(kind=pkg.kind, village=village_name, from_seq=m["from_seq"], to_seq=m["to_seq"], sha256=pkg.sha256,
                          dry_run=dry_run)
    # the sequence: a gap is refused, a package already applied changes nothing
    expected = max(peer.in_seq, m.get("init_seq") or 0) + 1
    if m["from_seq"] > expected:
        raise SyncRefused(
            f"同步包顺序不对：{name} 的审计序号 {expected}–{m['from_seq'] - 1} 尚未导入（缺少更早的同步包），本包（{m['from_seq']}–{m['to_seq']}）未导入",
            f"out of order: {name}'s audit seq {expected}–{m['from_seq'] - 1} has not been imported (an earlier package is "
            f"missing); this package ({m['from_seq']}–{m['to_seq']}) was not imported")
    if m["to_seq"] <= peer.in_seq:  # applied already, or covered by a later package: applying it again would go back in time
        result.already_applied = True
        result.skipped = len(pkg.payload.get("records", []))
    reason = f"{REASON_PREFIX}{village_name} #{m['from_seq']}–{m['to_seq']} sha256 {pkg.sha256[:16]}"
    before_seq, _ = head(session)
    if not result.already_applied:
        with attributed(reason, None if at_township else f"{LOCAL_SYNC}:{name}"):
            _apply(session, pkg, peer, at_township, resolve or {}, result, reason)
    after_seq, _ = head(session)
    if not dry_run:
        peer.in_seq = max(peer.in_seq, m["to_seq"])
        peer.peer_has = max(peer.peer_has, m.get("peer_seq") or 0)
        peer.last_sync_at = _now()
        session.add(peer)
        if not result.already_applied:
            _log_package(session, peer.region_id, "in", pkg.kind, m["from_seq"], m["to_seq"], pkg.sha256, m.get("counts", {}),
                         (before_seq + 1, after_seq) if after_seq > before_seq else None)
        if at_township and make_ack:
            applied = []
            for key in {it["table"] for it in pkg.payload.get("records", [])}:
                known = _map(session, peer.region_id, key)
                applied += [{"table": key, "id": known[it["id"]].local_id} for it in pkg.payload["records"]
                            if it["table"] == key and it["id"] in known]
            result.ack = export_ack(session, peer.region_id, applied=applied, acknowledges=pkg.sha256)
    return result


LOCAL_SYNC = "sync"
REASON_PREFIX = "同步包 / sync package "


def package_verifier(session: Session) -> list[Problem]:
    """The core verifier ``core.sync_packages``: every audit entry that names a sync package lies
    in the range of entries the import of that package wrote (table ``sync_package``), and every
    entry in such a range names its package — so each imported change ties back to its package."""
    from .audit import AuditEntry

    tbl = AuditEntry.__table__
    packages = [(p.local_from, p.local_to, p.sha256, p.kind) for p in session.execute(
        select(SyncPackage).where(SyncPackage.direction == "in", SyncPackage.local_from.is_not(None),
                                  SyncPackage.kind != "init")).scalars()]
    problems: list[Problem] = []

    def problem(seq, zh, en):
        problems.append(Problem(f"审计日志第 {seq} 条：{zh}", f"audit entry seq {seq}: {en}", table="audit_log", rule="core.sync_packages",
                                extra={"seq": seq}))

    for a, b, sha, _kind in packages:
        for seq, reason in session.execute(select(tbl.c.seq, tbl.c.reason).where(tbl.c.seq >= a, tbl.c.seq <= b)):
            if not (reason or "").startswith(REASON_PREFIX) or f"sha256 {sha[:16]}" not in reason:
                problem(seq, f"在同步包 {sha[:16]} 导入时写入的范围（{a}–{b}）内，却没有注明该同步包",
                        f"lies in the range sync package {sha[:16]} wrote ({a}–{b}) but does not name it")
    ranges = {sha[:16]: (a, b) for a, b, sha, _kind in packages}
    stmt = select(tbl.c.seq, tbl.c.reason).where(tbl.c.reason.like(REASON_PREFIX + "%"))
    for seq, reason in session.execute(stmt):
        sha16 = reason.rsplit("sha256 ", 1)[-1][:16]
        where = ranges.get(sha16)
        if where is None or not (where[0] <= seq <= where[1]):
            problem(seq, f"注明来自同步包 {sha16}，但本库没有导入该同步包的记录（或不在其写入范围内）",
                    f"names sync package {sha16}, which this database has no record of importing (or not in its range)")
        if len(problems) >= 100:
            break
    return problems


def _apply(session: Session, pkg: Package, peer: SyncPeer, at_township: bool, resolve: dict, result: ImportResult,
           reason: str) -> None:
    from .audit import attributed
    from .auth import Actor
    from .models import User
    from .plugins import registry

    reg = registry()
    m = pkg.manifest
    items = [it for it in pkg.payload.get("records", []) if it["seq"] > peer.in_seq or it["seq"] == 0 or not at_township]
    result.skipped += len(pkg.payload.get("records", [])) - len(items)
    village_id = m["village"]["id"]
    # the sender's id pairs: learn those this database does not know yet
    for key, pairs in (pkg.payload.get("ids") or {}).items():
        known = _map(session, peer.region_id, key)
        _remember(session, peer.region_id, key, [(there, here, known[here].remote_version if here in known else 0)
                                                 for here, there in pairs if here not in known])
    maps: dict[str, dict[int, SyncMap]] = {}

    def local_of(key: str, remote: int) -> Optional[int]:
        if key not in maps:
            maps[key] = _map(session, peer.region_id, key)
        hit = maps[key].get(remote)
        return hit.local_id if hit is not None else None

    for it in items:
        if it["table"] not in reg.tables:
            raise SyncRefused(f"本机未安装数据表 {it['table']} 的插件，未导入", f"the plugin of table {it['table']} is not installed here; nothing was imported")
    # conflicts: the record changed here since the version the change was made on
    exclude = _imported_ranges(session, peer.region_id)
    conflicts: list[Conflict] = []
    plan: list[tuple[dict, Optional[int]]] = []
    ack_versions = {key: dict((i, v) for i, v in pairs) for key, pairs in (pkg.payload.get("versions") or {}).items()}
    since = m.get("peer_seq") or 0  # at the village: our changes the township had not applied when it made this package
    locals_ = [local_of(it["table"], it["id"]) for it in items]
    after: dict[str, dict[int, int]] = {}
    for it, local in zip(items, locals_):
        if local is not None:
            after.setdefault(it["table"], {})[local] = (it.get("base") or 0) if at_township else since
    later = {key: _entries_after(session, key, ids, exclude) for key, ids in after.items()}
    for it, local in zip(items, locals_):
        rt = reg.tables[it["table"]]
        if local is None:
            plan.append((it, None))
            continue
        ents = later[it["table"]].get(local, [])
        if not at_township and ents and not it.get("changed", True):
            plan.append((it, -local))  # only the echo of our own change, changed again since: keep ours, learn the version
            continue
        if ents:
            key = f"{it['table']}:{local}"
            how = resolve.get(key) or resolve.get("*")
            if how == "ours":
                result.resolved.append((key, "ours"))
                plan.append((it, -local))
                continue
            if how != "theirs":
                ours = _rows(session, rt.model.__table__, [local]).get(local)
                conflicts.append(Conflict(it["table"], rt.label_zh, rt.label_en, local, _jsonable(ours), it["row"],
                                          ents[-1][1], _jsonable({"a": ents[-1][2]})["a"], it["actor"], it["at"]))
                continue
            result.resolved.append((key, "theirs"))
        plan.append((it, local))
    if conflicts:
        raise SyncConflict(conflicts)
    # records as they were before the package (rules consult them through ctx.sync.before)
    sctx = SyncContext(origin="village" if at_township else "township", package=pkg.sha256)
    by_table: dict[str, list[int]] = {}
    for it, local in plan:
        if local is not None and local > 0:
            by_table.setdefault(it["table"], []).append(local)
    for key, ids in by_table.items():
        for rid, row in _rows(session, reg.tables[key].model.__table__, ids).items():
            sctx._before[(key, rid)] = row
    # the village's users at the township (the change's author when it is one of them)
    users = {}
    if at_township:
        for u in session.execute(select(User).where(User.region_id == village_id)).scalars():
            if u.role == "village" and not u.disabled:
                users[u.username] = Actor(username=u.username, role=u.role, region_id=u.region_id, display_name=u.display_name or "")
    fallback = Actor(username=f"{LOCAL_SYNC}:{m['village']['name']}", role="village", region_id=village_id) if at_township else None
    order = {rt.key: n for n, rt in enumerate(record_tables())}
    plan.sort(key=lambda p: (order[p[0]["table"]], p[0]["seq"]))
    assigned: dict[str, list[tuple[int, int]]] = {}
    learned: dict[str, list[tuple[int, int, int]]] = {}
    i = 0
    while i < len(plan):
        key = plan[i][0]["table"]
        rt = reg.tables[key]
        refs = _ref_columns(rt)
        j = i
        while j < len(plan) and plan[j][0]["table"] == key:
            j += 1
        group = plan[i:j]
        i = j
        pending: list[tuple[dict, Optional[int], dict, Any]] = []
        for it, local in group:
            if local is not None and local < 0:
                result.skipped += 1
                _learn_version(learned, it, -local, ack_versions, at_township)
                continue
            row = dict(it["row"])
            row.pop("id", None)
            for col, target in refs.items():
                v = row.get(col)
                if v is None:
                    continue
                mapped = local_of(target, v)
                if mapped is None:
                    raise SyncRefused(f"同步包中 {key} #{it['id']} 的 {col}={v} 指向本库没有的记录，未导入",
                                      f"{key} #{it['id']}: {col}={v} refers to a record this database does not have; nothing was imported")
                row[col] = mapped
            # at the township: the village's user who made the change; at the village: the township user's name
            actor = users.get(it.get("actor"), fallback) if at_township else f"{it.get('actor') or LOCAL_SYNC}@{m['township']['name']}"
            pending.append((it, local, row, actor))
        # write in runs: new rows that refer to a new row of the same table wait for its id
        k = 0
        while k < len(pending):
            run = [pending[k]]
            k += 1
            while k < len(pending) and pending[k][3] == run[0][3] and (pending[k][1] is None) == (run[0][1] is None) and not _refers_new(
                    pending[k][2], refs, key, {p[0]["id"] for p in run if p[1] is None}, local_of):
                run.append(pending[k])
                k += 1
            actor = run[0][3]
            if isinstance(actor, str):  # applied as the local user, logged under the township user's name
                with attributed(reason, actor):
                    done = _write_run(session, key, run, None, sctx)
            else:
                done = _write_run(session, key, run, actor, sctx)
            if run[0][1] is None:
                result.inserted[key] = result.inserted.get(key, 0) + done.inserted
                triples = [(new, it["id"], _version_of(it, ack_versions, at_township)) for (it, _, _, _), new in zip(run, done.ids)]
                _remember(session, peer.region_id, key, triples)
                sctx.created(key).update(done.ids)
                maps.pop(key, None)
                assigned.setdefault(key, []).extend((it["id"], new) for (it, _, _, _), new in zip(run, done.ids))
            else:
                result.updated[key] = result.updated.get(key, 0) + done.updated
                result.unchanged += done.unchanged
                for it, local, _, _ in run:
                    _learn_version(learned, it, local, ack_versions, at_township)
    for key, triples in learned.items():
        _remember(session, peer.region_id, key, triples)
    # settings, lock exceptions, users (acknowledgements only)
    if not at_township:
        core = _core_tables()
        for c in pkg.payload.get("core", []):
            if c["table"] not in core:
                continue
            if c["table"] == "shequ_user" and c["row"].get("region_id") != village_id:
                continue
            if _apply_core(session, c["table"], core[c["table"]], c["row"], None):
                result.updated[c["table"]] = result.updated.get(c["table"], 0) + 1


def _entries_after(session: Session, table_key: str, after: dict[int, int], exclude: list[tuple[int, int]]) -> dict[int, list]:
    """``{record id: [(seq, actor, at), …]}``: each record's audit entries after its own threshold
    (``after``: record id → seq), not written by the peer's imports; one query per 500 records."""
    from .audit import AuditEntry

    tbl = AuditEntry.__table__
    ids = sorted(after)
    low = min(after.values()) if after else 0
    out: dict[int, list] = {}
    for i in range(0, len(ids), 500):
        stmt = (select(tbl.c.record_id, tbl.c.seq, tbl.c.actor, tbl.c.at)
                .where(tbl.c.table_key == table_key, tbl.c.record_id.in_(ids[i:i + 500]), tbl.c.seq > low).order_by(tbl.c.seq))
        for rid, seq, actor, at in session.execute(stmt):
            if seq > after[rid] and not _from_peer(seq, exclude):
                out.setdefault(rid, []).append((seq, actor, at))
    return out


def _write_run(session: Session, key: str, run: list, actor, sctx: SyncContext):
    from .records import write

    if run[0][1] is None:
        return write(session=session, table=key, rows=[r for _, _, r, _ in run], actor=actor, return_ids=True, sync=sctx)
    return write(session=session, table=key, rows=[{**r, "id": local} for _, local, r, _ in run], mode="upsert", actor=actor, sync=sctx)


def _refers_new(row: dict, refs: dict, key: str, new_ids: set, local_of) -> bool:
    """Whether ``row`` refers to a row of its own table that this run is about to create."""
    return any(target == key and row.get(col) is not None and row.get(col) in new_ids for col, target in refs.items())


def _version_of(it: dict, ack_versions: dict, at_township: bool) -> int:
    if at_township:
        return 0
    return ack_versions.get(it["table"], {}).get(it["id"], 0)


def _learn_version(learned: dict, it: dict, local: int, ack_versions: dict, at_township: bool) -> None:
    """Note the township's version of a record (at the village), stored once per table at the end."""
    if at_township:
        return
    v = ack_versions.get(it["table"], {}).get(it["id"])
    if v is not None:
        learned.setdefault(it["table"], []).append((local, it["id"], v))


# -- status ------------------------------------------------------------------------------------------------

@dataclass
class PeerStatus:
    region: str
    role: str
    key_registered: bool
    in_seq: int
    out_seq: int
    peer_has: int
    last_sync_at: Optional[dt.datetime]
    pending: int  # local changes not yet in a package (village) / not yet acknowledged


def status(session: Session) -> tuple[Optional[str], list[PeerStatus]]:
    """This installation's public key and one line per peer."""
    from .audit import head
    from .models import Region

    ident = identity(session)
    seq, _ = head(session)
    out = []
    for p in session.execute(select(SyncPeer).order_by(SyncPeer.id)).scalars():
        region = session.get(Region, p.region_id)
        pending = 0
        if p.role == "township":
            touched, _ = _touched(session, p.out_seq, seq, region_ids=None, exclude=_imported_ranges(session, p.region_id),
                                  keys=[rt.key for rt in record_tables()])
            pending = len(touched)
        out.append(PeerStatus(region.name if region else str(p.region_id), p.role, bool(p.public_key), p.in_seq, p.out_seq, p.peer_has,
                              p.last_sync_at, pending))
    return (ident.public_key if ident else None), out


# -- push over HTTP ------------------------------------------------------------------------------------

PUSH_PATH = "/sync/push"
PUSH_WINDOW = 300  # seconds a signed push request stays valid
PUSH_MAX_BYTES = 200 * 1024 * 1024


def _push_message(timestamp: int, body: bytes) -> bytes:
    return f"shequ-sync-push\n{timestamp}\n{hashlib.sha256(body).hexdigest()}".encode("ascii")


def push_headers(session: Session, body: bytes, now: Optional[float] = None) -> dict[str, str]:
    """Headers that authenticate a push with this installation's key: a timestamp, the public
    key, and an Ed25519 signature over both and the body's sha256."""
    import time

    ident = identity(session)
    if ident is None:
        raise InputError("这不是村级安装的数据库（先用 shequ village init 建立）",
                         "this database is not a village installation (create one with shequ village init)")
    ts = int(now if now is not None else time.time())
    return {"X-Shequ-Timestamp": str(ts), "X-Shequ-Key": ident.public_key,
            "X-Shequ-Signature": sign(ident.private_key, _push_message(ts, body)), "Content-Type": "application/octet-stream"}


def receive_push(session: Session, body: bytes, headers, now: Optional[float] = None) -> ImportResult:
    """The township's side of ``shequ sync push``: check that the request is signed by the key
    registered for the village the package names (and recent), then import the package as
    :func:`import_package` does, with its acknowledgement in the result."""
    import time

    now = now if now is not None else time.time()
    try:
        ts = int(headers.get("X-Shequ-Timestamp", ""))
    except ValueError:
        ts = None
    signature = headers.get("X-Shequ-Signature") or ""
    if ts is None or abs(now - ts) > PUSH_WINDOW:
        raise PermissionDenied("推送请求缺少有效的时间戳或已过期（请核对两台电脑的时间）",
                               "the push request has no valid timestamp or is too old (check both computers' clocks)")
    pkg = read_package(body)
    village = (pkg.manifest.get("village") or {})
    peer = _peer(session, village.get("id")) if isinstance(village.get("id"), int) and pkg.kind == "changes" else None
    if peer is None or peer.role != "village" or not peer.public_key:
        raise PermissionDenied(f"{village.get('name', '?')} 不是本库已登记公钥的离线村，推送被拒绝",
                               f"{village.get('name', '?')} is not an offline village with a registered key here; the push is refused")
    if not signature_valid(peer.public_key, _push_message(ts, body), signature):
        raise PermissionDenied(f"推送请求未通过 {village.get('name')} 的密钥验证（签名不符），未导入",
                               f"the push request is not signed with {village.get('name')}'s registered key; nothing was imported")
    return import_package(session, body, make_ack=True)
