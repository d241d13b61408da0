"""Who is acting, and what they may do: roles and their scope.

Every read and write of the SDK takes an *actor* (``Actor`` or ``None``). ``None`` is the local
single-user mode (the demo, a notebook on one's own database, ``shequ serve`` on 127.0.0.1
without users): it may do everything, and the audit log records it as ``local``.

Roles (``ROLES``):

- ``admin``: everything;
- ``township``: reads everything in their township (``region_id`` is the township), approves
  postings, grants period-lock exceptions, writes their township's villages;
- ``village``: the village committee; writes and reads their own village (``region_id``);
- ``reviewer``: the supervision association's reviewer; reads and reviews their own village, and
  writes nothing else (reviews go through the finance posting workflow, not the write path);
- ``analyst``: reads everything, writes nothing, sensitive fields always masked.

The checks here are the one place that decides; they raise :class:`PermissionDenied` with a
message that names the rule. Writes are checked on the new row (:func:`check_write`) and, for an
update, on the stored record it changes (:func:`check_stored`).

Reads (:func:`check_read`, used by every read of :class:`~shequ_sdk.api.Shequ`): a scoped role
(township, village, reviewer) may read its region and everything below it; a read without a
region is limited to that scope. Admin and analyst read everything.

Sensitive fields in clear (:meth:`Actor.may_unmask`, consulted by ``frames.may_unmask``):

- ``admin``: every field;
- ``village``: every sensitive field of tables not registered ``sensitive=True`` (the committee
  keeps its own register; its reads never leave its village);
- ``township`` and ``reviewer``: names only, in tables not registered sensitive; ID and phone
  numbers stay masked;
- ``analyst``: nothing, ever.

Users (table ``shequ_user``, :class:`~shequ_sdk.models.User`) sign in with a password kept as an
argon2id hash. After ``MAX_FAILURES`` failed attempts in a row an account is refused for
``LOCK_SECONDS``, doubled with each further failure (:func:`authenticate`); the message says
until when.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterable, Optional

from sqlalchemy import inspect, select
from sqlmodel import Session

from .errors import InputError, NotFoundError, PermissionDenied
from .models import REGION_KINDS, AuthSession, Region, User

ROLES: dict[str, tuple[str, str]] = {
    "admin": ("管理员", "administrator"),
    "township": ("乡镇工作人员", "township staff"),
    "village": ("村(居)委会", "village committee"),
    "reviewer": ("民主理财审核员", "supervision reviewer"),
    "analyst": ("分析员", "analyst"),
}
# roles whose scope is one region: the village (village, reviewer) or the township (township)
SCOPED_ROLES = {"township": "township", "village": "village", "reviewer": "village"}
LOCAL_NAME = "local"


@dataclass(frozen=True)
class Actor:
    """A signed-in user as the SDK sees it."""

    username: str
    role: str
    region_id: Optional[int] = None
    display_name: str = ""

    @property
    def name(self) -> str:
        return self.display_name or self.username

    def role_label(self, lang: str = "zh") -> str:
        zh, en = ROLES.get(self.role, (self.role, self.role))
        return zh if lang == "zh" else en

    def __str__(self) -> str:  # how frames' unmasking errors name the role
        return f"{self.username}（{self.role_label('zh')} / {self.role_label('en')}）"

    def may_unmask(self, table: Any, field: Any) -> bool:
        """May this user read ``table.field`` in clear? (see the module doc; ``frames.may_unmask`` asks)"""
        if self.role == "admin":
            return True
        if self.role == "analyst" or getattr(table, "sensitive", False):
            return False
        if self.role == "village":
            return True
        if self.role in ("township", "reviewer"):
            return getattr(field, "sensitive", None) == "name"
        return False


def actor_name(actor: Optional[Actor]) -> str:
    """The name the audit log and error messages give ``actor``."""
    return actor.username if actor is not None else LOCAL_NAME


def _who(actor: Actor) -> tuple[str, str]:
    return (f"用户 {actor.username}（{actor.role_label('zh')}）", f"user {actor.username} ({actor.role_label('en')})")


def scope_ids(session: Session, actor: Optional[Actor]) -> Optional[set[int]]:
    """Region ids ``actor`` may touch: ``None`` for no limit, else the scope region and below."""
    if actor is None or actor.role not in SCOPED_ROLES or actor.region_id is None:
        return None
    rid = actor.region_id
    rows = session.execute(
        select(Region.id).where((Region.id == rid) | (Region.township_id == rid) | (Region.county_id == rid) | (Region.parent_id == rid))
    ).scalars()
    return set(rows) | {rid}


def check_write(session: Session, actor: Optional[Actor], table: Any, rows: Iterable[dict]) -> None:
    """Refuse a batch ``actor`` may not write: a read-only role, or a row outside their scope."""
    if actor is None or actor.role == "admin":
        return
    who_zh, who_en = _who(actor)
    label_zh, label_en = getattr(table, "label_zh", str(table)), getattr(table, "label_en", str(table))
    if actor.role == "analyst":
        raise PermissionDenied(f"{who_zh}只能查询，不能写入{label_zh}（规则：分析员只读）",
                               f"{who_en} may only read, not write {label_en} (rule: analysts are read-only)")
    if actor.role == "reviewer":
        raise PermissionDenied(f"{who_zh}只能审核公开记录，不能写入{label_zh}（规则：民主理财审核员只做审核，审核通过财务公开流程进行）",
                               f"{who_en} may only review postings, not write {label_en} "
                               f"(rule: supervision reviewers write reviews only, through the finance posting workflow)")
    writers = getattr(table, "writers", ())
    if writers and actor.role not in writers:
        roles_zh = "、".join(ROLES.get(r, (r, r))[0] for r in writers)
        roles_en = ", ".join(ROLES.get(r, (r, r))[1] for r in writers)
        raise PermissionDenied(f"{who_zh}不能写入{label_zh}（规则：只有{roles_zh}可以写入）",
                               f"{who_en} may not write {label_en} (rule: only {roles_en} may)")
    allowed = scope_ids(session, actor)
    if allowed is None:
        return
    for n, row in enumerate(rows, 1):
        rid = row.get("region_id")
        if rid not in allowed:
            where, scope = _region_name(session, rid), _region_name(session, actor.region_id)
            exc = PermissionDenied(
                f"{who_zh}不能写入第 {n} 行：记录属于 {where}，不在本人范围（{scope}）内（规则：只能写本人所属{_scope_word(actor, 'zh')}的记录）",
                f"{who_en} may not write row {n}: the record belongs to {where}, outside their scope ({scope}) "
                f"(rule: only records of one's own {_scope_word(actor, 'en')})")
            exc.row_index = n - 1  # position in the batch: the spreadsheet import names its own row
            raise exc


def check_stored(session: Session, actor: Optional[Actor], table: Any, pairs: Iterable[tuple[int, dict, dict]]) -> None:
    """Refuse a batch that would change a stored record outside ``actor``'s scope.

    ``pairs`` are ``(row index in the batch, new row, stored row)`` for the rows that update a stored record
    (matched by id or natural key). The stored record's region must be in scope as well as the new
    row's (:func:`check_write`), so a record moves between two regions only when the scope covers
    both. One set lookup per batch: the scope is computed once."""
    if actor is None or actor.role == "admin":
        return
    allowed = scope_ids(session, actor)
    if allowed is None:
        return
    for i, new, old in pairs:
        rid = old.get("region_id")
        if rid in allowed:
            continue
        n = i + 1
        who_zh, who_en = _who(actor)
        label_zh, label_en = getattr(table, "label_zh", str(table)), getattr(table, "label_en", str(table))
        where, scope = _region_name(session, rid), _region_name(session, actor.region_id)
        target = _region_name(session, new.get("region_id"))
        exc = PermissionDenied(
            f"{who_zh}不能写入第 {n} 行：它会修改已登记的{label_zh}记录 #{old.get('id')}，该记录属于 {where}，不在本人范围（{scope}）内"
            f"（新值的地区为 {target}）（规则：修改记录时，已登记记录的地区和新值的地区都必须在本人所属{_scope_word(actor, 'zh')}内）",
            f"{who_en} may not write row {n}: it would change the stored {label_en} record #{old.get('id')}, which belongs to {where}, "
            f"outside their scope ({scope}) (the new row says {target}) (rule: an update needs both the stored record's region and "
            f"the new one inside one's own {_scope_word(actor, 'en')})")
        exc.row_index = i
        raise exc


def _region_name(session: Session, region_id: Optional[int]) -> str:
    region = session.get(Region, region_id) if region_id is not None else None
    return region.name if region is not None else f"#{region_id}"


def _scope_word(actor: Actor, lang: str) -> str:
    level = SCOPED_ROLES.get(actor.role, "village")
    return {"township": ("乡镇", "township"), "village": ("村/社区", "village")}[level][0 if lang == "zh" else 1]


# -- settings and regions ---------------------------------------------------------------------------

def check_setting_change(session: Session, actor: Optional[Actor], key: str, region: Optional[Region]) -> None:
    """Who may change a setting: an administrator anywhere; township staff for their township or a
    village in it (settings are configured per township); nobody else."""
    if actor is None or actor.role == "admin":
        return
    who_zh, who_en = _who(actor)
    if actor.role == "township" and region is not None:
        allowed = scope_ids(session, actor) or set()
        if region.id in allowed:
            return
    where_zh = region.name if region is not None else "全部地区"
    where_en = region.name if region is not None else "every region"
    raise PermissionDenied(
        f"{who_zh}不能修改配置项 {key}（{where_zh}）（规则：管理员可修改任何配置，乡镇工作人员只能修改本乡镇及其村的配置）",
        f"{who_en} may not change setting {key} for {where_en} "
        f"(rule: an administrator changes any setting; township staff only their own township's and its villages')")


def check_region_change(actor: Optional[Actor], name: str) -> None:
    """Only an administrator (or the local user) creates or changes regions."""
    if actor is None or actor.role == "admin":
        return
    who_zh, who_en = _who(actor)
    raise PermissionDenied(f"{who_zh}不能新建或修改地区 {name}（规则：只有管理员可以维护区划）",
                           f"{who_en} may not create or change region {name} (rule: only an administrator maintains regions)")


# -- reads ----------------------------------------------------------------------------------------

def scope_region(session: Session, actor: Optional[Actor]) -> Optional[Region]:
    """The one region a scoped actor is limited to (``None``: no limit)."""
    if actor is None or actor.role not in SCOPED_ROLES or actor.region_id is None:
        return None
    return session.get(Region, actor.region_id)


def check_read(session: Session, actor: Optional[Actor], regions: Iterable[Region]) -> None:
    """Refuse a read of any region outside ``actor``'s scope, naming the rule."""
    allowed = scope_ids(session, actor)
    if allowed is None:
        return
    for region in regions:
        if region.id not in allowed:
            raise read_denied(session, actor, region)


def read_denied(session: Session, actor: Actor, region: Region) -> PermissionDenied:
    """The error for ``actor`` reading ``region`` outside their scope (also shown by the dashboards)."""
    who_zh, who_en = _who(actor)
    scope = _region_name(session, actor.region_id)
    word_zh, word_en = _scope_word(actor, "zh"), _scope_word(actor, "en")
    return PermissionDenied(
        f"{who_zh}只能查看本{word_zh}（{scope}）的数据，不能查看 {region.name}（规则：{actor.role_label('zh')}只能查看本人所属{word_zh}及其下级的数据）",
        f"{who_en} may only read their own {word_en} ({scope}), not {region.name} "
        f"(rule: the role {actor.role_label('en')} reads only its own {word_en} and what lies below it)")


def readable_region_ids(session: Session, actor: Optional[Actor]) -> Optional[set[int]]:
    """Regions whose *names* ``actor`` may list: the scope, below it, and its ancestors (``None``: all)."""
    allowed = scope_ids(session, actor)
    if allowed is None:
        return None
    region = session.get(Region, actor.region_id)
    if region is not None:
        allowed |= {i for i in (region.parent_id, region.township_id, region.county_id) if i is not None}
    return allowed


# -- users and passwords ----------------------------------------------------------------------------

MAX_FAILURES = 5  # failed attempts in a row before an account is refused for a while
LOCK_SECONDS = 60  # the first refusal; doubled with each further failure
MIN_PASSWORD = 8
REGION_KINDS_FOR = {"township": ("township",), "village": ("village", "community"), "reviewer": ("village", "community")}


def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()  # argon2id with the library's current recommended parameters


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (``$argon2id$…``); the password itself is never stored."""
    if len(password or "") < MIN_PASSWORD:
        raise InputError(f"密码至少需要 {MIN_PASSWORD} 个字符", f"a password needs at least {MIN_PASSWORD} characters")
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    try:
        return _hasher().verify(password_hash, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def utcnow() -> dt.datetime:
    """Now in UTC (timezone-aware: SQLModel stores timestamps as UTC instants on both backends)."""
    return dt.datetime.now(dt.timezone.utc)


def users_table_exists(engine) -> bool:
    return inspect(engine).has_table(User.__tablename__)


def has_users(engine) -> bool:
    """Whether the database has any enabled user (then the served apps require login)."""
    if not users_table_exists(engine):
        return False
    with Session(engine) as s:
        return s.execute(select(User.id).where(User.disabled == False).limit(1)).first() is not None  # noqa: E712


SINGLE_USER_ADDRESS = "127.0.0.1"  # the only address served without login (the demo's mode)


def login_required(engine, address: str) -> bool:
    """Whether ``shequ serve`` on ``address`` requires login: when the database has users.
    Without users only 127.0.0.1 is served (single-user); any other address is refused."""
    if has_users(engine):
        return True
    if address != SINGLE_USER_ADDRESS:
        raise InputError(f"监听 {address or '所有地址'} 需要登录，但数据库中还没有用户：先运行 shequ user add 用户名 --role admin --db …（或只监听 127.0.0.1）",
                         f"serving on {address or 'every address'} requires login, but the database has no users: "
                         "add one with shequ user add NAME --role admin --db … (or serve on 127.0.0.1 only)")
    return False


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InputError(f"未知角色 {role!r}（可用：{'、'.join(ROLES)}）", f"unknown role {role!r} (one of: {', '.join(ROLES)})")
    return role


def scope_for(session: Session, role: str, region) -> Optional[int]:
    """The region id a user of ``role`` is bound to, checked to fit the role."""
    from .regions import find_region

    kinds = REGION_KINDS_FOR.get(role)
    if kinds is None:
        if region not in (None, ""):
            raise InputError(f"角色 {ROLES[role][0]} 不限地区，不能指定 --region", f"the role {role} has no region; drop --region")
        return None
    if region in (None, ""):
        raise InputError(f"角色 {ROLES[role][0]} 需要指定所属地区（--region）", f"the role {role} needs a region (--region)")
    r = find_region(session, region)
    if r.kind not in kinds:
        want_zh = "乡镇" if role == "township" else "村或社区"
        want_en = "a township" if role == "township" else "a village or community"
        raise InputError(f"角色 {ROLES[role][0]} 的地区必须是{want_zh}，{r.name} 是{REGION_KINDS[r.kind][0]}",
                         f"the role {role} needs {want_en}; {r.name} is a {r.kind}")
    return r.id


def get_user(session: Session, username: str) -> User:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFoundError(f"没有用户 {username!r}", f"no user {username!r}")
    return user


RESERVED_NAMES = ("guest", LOCAL_NAME)  # Panel's name for an unsigned visitor; the audit log's name for local mode


def add_user(session: Session, username: str, *, role: str, password: str, region=None, display_name: str = "", actor=None) -> User:
    """Create a user; ``region`` must fit ``role`` (a township for township staff, a village for
    village committees and reviewers, none for admin and analyst). Audited (``insert``)."""
    username = (username or "").strip()
    if not username or any(c.isspace() or not c.isprintable() for c in username) or len(username) > 64:
        raise InputError("用户名不能为空、不能含空格或控制字符，最长 64 个字符", "a username is 1–64 printable characters without spaces")
    if username.casefold() in RESERVED_NAMES:
        raise InputError(f"用户名 {username} 是保留名称（{'、'.join(RESERVED_NAMES)} 不能用作用户名），请换一个",
                         f"the username {username} is reserved ({', '.join(RESERVED_NAMES)} cannot be used); choose another")
    check_role(role)
    region_id = scope_for(session, role, region)
    if session.execute(select(User.id).where(User.username == username)).first() is not None:
        raise InputError(f"用户 {username} 已存在", f"user {username} already exists")
    user = User(username=username, display_name=display_name or "", role=role, region_id=region_id,
                password_hash=hash_password(password), created_at=utcnow())
    session.add(user)
    session.flush()
    _audit_user(session, actor, user, None)
    return user


def _audit_user(session: Session, actor, user: User, before: Optional[dict]) -> None:
    """Append the audit entry of a change to ``user``: ``insert`` with the audited view, or
    ``update`` with the keys of that view that changed (nothing when none did)."""
    from . import audit

    after = user_audit_values(user)
    if before is None:
        audit.append(session, actor, "insert", USER_TABLE_KEY, user.id, user.region_id, None, after)
        return
    changed = [k for k in USER_AUDITED if before[k] != after[k]]
    if changed:
        audit.append(session, actor, "update", USER_TABLE_KEY, user.id, user.region_id,
                     {k: before[k] for k in changed}, {k: after[k] for k in changed})


def set_password(session: Session, username: str, password: str, *, actor=None) -> None:
    """Replace a user's password, lift any lock from failed attempts and end every session of
    the user (browser tabs and API sessions). Audited."""
    user = get_user(session, username)
    before = user_audit_values(user)
    user.password_hash = hash_password(password)
    user.failed_count, user.locked_until = 0, None
    session.add(user)
    session.flush()
    _audit_user(session, actor, user, before)
    revoke_sessions(session, user.id, "password")


def set_disabled(session: Session, username: str, disabled: bool, *, actor=None) -> None:
    """Disable (ending every session of the user at once) or enable a user. Audited."""
    user = get_user(session, username)
    before = user_audit_values(user)
    user.disabled = disabled
    if not disabled:
        user.failed_count, user.locked_until = 0, None
    session.add(user)
    session.flush()
    _audit_user(session, actor, user, before)
    if disabled:
        revoke_sessions(session, user.id, "disabled")


def set_role(session: Session, username: str, *, role: Optional[str] = None, region=None, display_name: Optional[str] = None,
             actor=None) -> User:
    """Change a user's role, scope region or display name; a role or scope change ends every
    session of the user. ``region`` ``None`` keeps the region when the role keeps needing one;
    ``""`` clears it. Audited."""
    user = get_user(session, username)
    before = user_audit_values(user)
    new_role = check_role(role) if role is not None else user.role
    if region is None:  # keep the current region; scope_for checks that it fits the (new) role
        current = session.get(Region, user.region_id) if user.region_id is not None else None
        region = current if new_role in REGION_KINDS_FOR else None
    region_id = scope_for(session, new_role, region)
    user.role, user.region_id = new_role, region_id
    if display_name is not None:
        user.display_name = display_name
    session.add(user)
    session.flush()
    _audit_user(session, actor, user, before)
    if (before["role"], before["region_id"]) != (user.role, user.region_id):
        revoke_sessions(session, user.id, "role")
    return user


def list_users(session: Session) -> list[dict]:
    """Every user with role and region name; never the hash."""
    rows = session.execute(select(User, Region.name).outerjoin(Region, Region.id == User.region_id).order_by(User.username)).all()
    return [{"username": u.username, "display_name": u.display_name, "role": u.role, "role_label": ROLES.get(u.role, (u.role,))[0],
             "region": name, "disabled": bool(u.disabled), "failed_count": u.failed_count,
             "locked_until": u.locked_until.isoformat(sep=" ", timespec="seconds") if u.locked_until else None,
             "created_at": u.created_at.isoformat(sep=" ", timespec="seconds") if u.created_at else None} for u, name in rows]


# what the audit log records of a user: the account's identity, role, scope and state, and the
# password only as a digest of its hash (never the hash itself; the failure counters are not
# audited). Changes to users are logged with these values (table key USER_TABLE_KEY), and
# ``shequ verify`` replays them against the table through the same function.
USER_TABLE_KEY = "shequ_user"
USER_AUDITED = ("username", "display_name", "role", "region_id", "disabled", "password_hash")


def user_audit_values(user: Any) -> dict:
    """The audited view of a user row (a ``User`` or a mapping): ``USER_AUDITED`` with the password
    hash replaced by its sha256 hex digest."""
    import hashlib

    get = user.get if isinstance(user, dict) else (lambda k: getattr(user, k))
    values = {k: get(k) for k in USER_AUDITED}
    values["disabled"] = bool(values["disabled"])
    values["password_hash"] = hashlib.sha256((values["password_hash"] or "").encode("utf-8")).hexdigest()
    return values


def actor_of(user: User) -> Actor:
    return Actor(username=user.username, role=user.role, region_id=user.region_id, display_name=user.display_name or "")


def load_actor(session: Session, username: str) -> Optional[Actor]:
    """The Actor of an enabled user (a signed-in browser session), ``None`` if unknown or disabled."""
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or user.disabled:
        return None
    return actor_of(user)


_DUMMY_HASH: list[str] = []


def _login_failed() -> PermissionDenied:
    return PermissionDenied("用户名或密码错误", "wrong username or password")


def _locked(username: str, locked_until: dt.datetime) -> PermissionDenied:
    until = locked_until.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    return PermissionDenied(f"登录失败次数过多，账户 {username} 暂停登录至 {until}（UTC），请稍后再试",
                            f"too many failed logins: account {username} is refused until {until} UTC; try again later")


def lock_seconds(failed_count: int) -> int:
    """How long an account is refused after ``failed_count`` failures in a row (0: not refused)."""
    if failed_count < MAX_FAILURES:
        return 0
    return LOCK_SECONDS * 2 ** min(failed_count - MAX_FAILURES, 16)


class FailureMemory:
    """Failed attempts kept in memory, keyed ``(user name, address)``: the lock of web logins
    (per account *and* address, so one address cannot keep an account locked for everyone) and
    of names that are no user (so their lock-out looks exactly like an account's). Bounded: the
    oldest keys are forgotten first."""

    def __init__(self, limit: int = 10_000):
        import threading

        self._limit = limit
        self._entries: dict[tuple, tuple[int, Optional[dt.datetime]]] = {}
        self._lock = threading.Lock()

    def locked_until(self, key: tuple, now: dt.datetime) -> Optional[dt.datetime]:
        with self._lock:
            count, until = self._entries.get(key, (0, None))
        return until if until is not None and now < until else None

    def fail(self, key: tuple, now: dt.datetime) -> Optional[dt.datetime]:
        """Count a failure; the time the key is refused until (``None``: not yet refused)."""
        with self._lock:
            count, _ = self._entries.pop(key, (0, None))
            count += 1
            wait = lock_seconds(count)
            until = now + dt.timedelta(seconds=wait) if wait else None
            self._entries[key] = (count, until)
            while len(self._entries) > self._limit:
                self._entries.pop(next(iter(self._entries)))
        return until

    def clear(self, key: tuple) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def forget_user(self, username: str) -> None:
        """Lift every in-memory lock of ``username`` (a password reset by an administrator)."""
        with self._lock:
            for key in [k for k in self._entries if k[0] == username]:
                del self._entries[key]


FAILURES = FailureMemory()


def authenticate(session: Session, username: str, password: str, *, now: Optional[dt.datetime] = None,
                 address: Optional[str] = None) -> Actor:
    """Check a password and return the user's :class:`Actor`; commits the failure count.

    A wrong password counts a failure; from the ``MAX_FAILURES``-th on the account is refused
    (even with the right password) for ``lock_seconds``. Without ``address`` (the command line,
    ``Shequ.login``) the count is the account's, stored in the database; with an ``address`` (a
    web login) it is kept per account *and* address in memory (:data:`FAILURES`), so an attacker
    locks out only their own address (the server limits each address's attempts before this:
    ``ui/serving.py``). Unknown users and wrong passwords get the same messages — the lock-out
    too, counted in memory — and cost the same argon2 verification.
    """
    now = now or utcnow()
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.timezone.utc)
    username = (username or "").strip()
    key = (username, address)
    user = None
    if users_table_exists(session.get_bind()):  # a database made before users existed has none
        user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    in_memory = user is None or address is not None
    if in_memory:
        until = FAILURES.locked_until(key, now)
        if until is not None:
            raise _locked(username, until)
    elif user.locked_until is not None and now < user.locked_until:
        raise _locked(user.username, user.locked_until)
    if user is None:
        if not _DUMMY_HASH:
            _DUMMY_HASH.append(_hasher().hash("not a password of anyone"))
        verify_password(_DUMMY_HASH[0], password)
        until = FAILURES.fail(key, now)
        raise _locked(username, until) if until else _login_failed()
    if not verify_password(user.password_hash, password):
        if in_memory:
            until = FAILURES.fail(key, now)
            raise _locked(user.username, until) if until else _login_failed()
        user.failed_count = (user.failed_count or 0) + 1
        user.last_failed_at = now
        wait = lock_seconds(user.failed_count)
        user.locked_until = now + dt.timedelta(seconds=wait) if wait else None
        session.add(user)
        session.commit()  # the failure counts even though the caller's work stops here
        raise _locked(user.username, user.locked_until) if wait else _login_failed()
    if user.disabled:
        raise PermissionDenied(f"用户 {user.username} 已停用", f"user {user.username} is disabled")
    if in_memory:
        FAILURES.clear(key)
    elif user.failed_count or user.locked_until:
        user.failed_count, user.locked_until = 0, None
        session.add(user)
        session.commit()
    return actor_of(user)


# -- sessions -------------------------------------------------------------------------------------
# A login starts a session (table shequ_session): a random token handed to the browser (in a
# signed cookie) or kept by the Shequ object, of which only a sha256 digest is stored. Every
# request, page and SDK read or write checks the session again (check_live: one indexed query),
# so ending it — sign-out, password change, disabling, a role or scope change, `shequ user
# logout` — takes effect at the next action, with no cache in between.

SESSION_SECONDS = 12 * 3600  # a session ends this long after login at the latest
TOUCH_SECONDS = 60  # last_seen_at is written at most this often per session
REVOKE_REASONS = {
    "logout": ("已退出登录", "signed out"),
    "password": ("密码已修改", "the password was changed"),
    "disabled": ("账户已停用", "the account was disabled"),
    "role": ("角色或范围已变更", "the role or scope was changed"),
    "admin": ("管理员已结束该用户的登录", "an administrator ended the user's sessions"),
}


def token_digest(token: str) -> str:
    import hashlib

    return hashlib.sha256((token or "").encode("utf-8")).hexdigest()


def sessions_table_exists(engine) -> bool:
    return inspect(engine).has_table(AuthSession.__tablename__)


def start_session(session: Session, username: str, *, kind: str = "web", address: Optional[str] = None,
                  user_agent: Optional[str] = None, now: Optional[dt.datetime] = None) -> str:
    """Record a new session of ``username`` and return its token (only its digest is stored);
    the caller commits."""
    import secrets

    now = now or utcnow()
    user = get_user(session, username)
    token = secrets.token_urlsafe(32)
    session.add(AuthSession(token_hash=token_digest(token), user_id=user.id, kind=kind, created_at=now, last_seen_at=now,
                            expires_at=now + dt.timedelta(seconds=SESSION_SECONDS), address=(address or None),
                            user_agent=(user_agent or "")[:300] or None))
    session.flush()
    return token


def _aware(value: Optional[dt.datetime]) -> Optional[dt.datetime]:
    return value.replace(tzinfo=dt.timezone.utc) if value is not None and value.tzinfo is None else value


def session_actor(session: Session, token: Optional[str], *, now: Optional[dt.datetime] = None, touch: bool = True) -> Optional[Actor]:
    """The :class:`Actor` of a live session: ``None`` if the token is unknown, the session ended
    or expired, or its user is disabled. Writes ``last_seen_at`` at most every ``TOUCH_SECONDS``
    (and commits it) when ``touch``."""
    if not token:
        return None
    now = now or utcnow()
    row = session.execute(select(AuthSession, User).join(User, User.id == AuthSession.user_id)
                          .where(AuthSession.token_hash == token_digest(token))).first()
    if row is None:
        return None
    record, user = row
    if record.revoked_at is not None or user.disabled or now >= _aware(record.expires_at):
        return None
    if touch and now - _aware(record.last_seen_at) >= dt.timedelta(seconds=TOUCH_SECONDS):
        _touch(session.get_bind(), record.id, now)
    return actor_of(user)


def _touch(engine, session_id: int, now: dt.datetime) -> None:
    """Note a session's use in a transaction of its own (never the caller's); a database that
    cannot be written (read-only media) only loses the note."""
    import logging

    from sqlalchemy import update
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with Session(engine) as t:
            t.execute(update(AuthSession).where(AuthSession.id == session_id).values(last_seen_at=now))
            t.commit()
    except SQLAlchemyError as exc:
        logging.getLogger(__name__).warning("could not note the use of session %s: %s", session_id, exc)


def session_ended() -> "SessionEnded":
    from .errors import SessionEnded

    return SessionEnded("登录已失效（已退出、密码或权限已变更、账户已停用或已过期），请重新登录",
                        "the session has ended (signed out, password or permissions changed, account disabled or expired); sign in again")


def check_live(session: Session, actor: Optional[Actor], token: Optional[str] = None) -> None:
    """Refuse an SDK read or write whose user can no longer act (:class:`SessionEnded`).

    With a session ``token`` (``Shequ.login``, a browser session): the session must be live
    (:func:`session_actor`) and still the same user, role and scope. Without one (an ``Actor``
    given in code, ``Shequ(db, user=…)`` or ``as_user``): a stored user of that name must be
    enabled with that role and scope; a name that is no stored user is a programmatic actor
    (code that opens the database file could change it anyway) and passes.
    """
    if actor is None:
        return
    if token is not None:
        live = session_actor(session, token)
        if live is None or (live.username, live.role, live.region_id) != (actor.username, actor.role, actor.region_id):
            raise session_ended()
        return
    if not users_table_exists(session.get_bind()):
        return
    row = session.execute(select(User.disabled, User.role, User.region_id).where(User.username == actor.username)).first()
    if row is not None and (row.disabled or (row.role, row.region_id) != (actor.role, actor.region_id)):
        raise session_ended()


def revoke_sessions(session: Session, user_id: int, reason: str, *, now: Optional[dt.datetime] = None) -> int:
    """End every live session of a user (in the caller's transaction); returns how many."""
    from sqlalchemy import update

    if not sessions_table_exists(session.get_bind()):
        return 0
    result = session.execute(update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
                             .values(revoked_at=now or utcnow(), revoked_reason=reason))
    return result.rowcount or 0


def revoke_session(session: Session, token: Optional[str], reason: str = "logout") -> None:
    """End one session (sign-out)."""
    from sqlalchemy import update

    if token:
        session.execute(update(AuthSession).where(AuthSession.token_hash == token_digest(token), AuthSession.revoked_at.is_(None))
                        .values(revoked_at=utcnow(), revoked_reason=reason))


def revoke_user_sessions(session: Session, token: Optional[str], reason: str = "logout") -> int:
    """Sign-out in a browser: end every session of the user whose session ``token`` is (all of
    their tabs and devices); returns how many."""
    if not token:
        return 0
    user_id = session.execute(select(AuthSession.user_id).where(AuthSession.token_hash == token_digest(token))).scalar_one_or_none()
    return 0 if user_id is None else revoke_sessions(session, user_id, reason)


def logout_user(session: Session, username: str) -> int:
    """End every session of ``username`` (``shequ user logout``); returns how many."""
    return revoke_sessions(session, get_user(session, username).id, "admin")


def list_sessions(session: Session, username: Optional[str] = None, *, live_only: bool = True,
                  now: Optional[dt.datetime] = None) -> list[dict]:
    """Sessions (newest first) with user, kind, times, address and browser; never the token."""
    now = now or utcnow()
    stmt = select(AuthSession, User.username).join(User, User.id == AuthSession.user_id).order_by(AuthSession.id.desc())
    if username is not None:
        stmt = stmt.where(User.id == get_user(session, username).id)
    out = []
    for record, name in session.execute(stmt):
        live = record.revoked_at is None and now < _aware(record.expires_at)
        if live_only and not live:
            continue
        stamp = lambda v: _aware(v).isoformat(sep=" ", timespec="seconds") if v else None  # noqa: E731
        out.append({"id": record.id, "username": name, "kind": record.kind, "created_at": stamp(record.created_at),
                    "last_seen_at": stamp(record.last_seen_at), "expires_at": stamp(record.expires_at), "live": live,
                    "revoked_at": stamp(record.revoked_at), "revoked_reason": record.revoked_reason,
                    "address": record.address, "user_agent": record.user_agent})
    return out
