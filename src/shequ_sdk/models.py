"""Core tables: regions, households, residents, associations, members, honours and settings.

Plugin record tables subclass :class:`Record`, which gives them ``id``, ``region_id`` and
``synthetic``; the SDK relies on those three columns for scoping, roll-up and provenance.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import SQLModel

from .fields import field

REGION_KINDS = {
    "county": ("县级", "county"),
    "township": ("乡镇级", "township"),
    "village": ("村", "village"),
    "community": ("社区", "community"),
}
LEVEL_OF_KIND = {"county": "county", "township": "township", "village": "village", "community": "village"}


class Record(SQLModel):
    """Base of every record table: a primary key, the region the row belongs to, and a
    ``synthetic`` flag for generated rows."""

    id: Optional[int] = field(default=None, primary_key=True, label_zh="编号", label_en="ID")
    region_id: int = field(foreign_key="region.id", index=True, label_zh="地区", label_en="Region")
    synthetic: bool = field(default=False, label_zh="模拟数据", label_en="Synthetic")


class Region(SQLModel, table=True):
    """A county (县/县级市/区), township (乡/镇/街道), village (村) or community (社区)."""

    __tablename__ = "region"
    __table_args__ = (
        UniqueConstraint("parent_id", "name", "valid_from", name="uq_region_sibling_name"),
        Index("ix_region_township", "township_id"),
        Index("ix_region_county", "county_id"),
    )
    id: Optional[int] = field(default=None, primary_key=True, label_zh="编号", label_en="ID")
    name: str = field(label_zh="名称", label_en="Name", index=True)
    kind: str = field(label_zh="层级", label_en="Kind", choices=REGION_KINDS)
    kind_label: Optional[str] = field(default=None, label_zh="类别", label_en="Type", note_zh="如 县级市、镇、街道")
    parent_id: Optional[int] = field(default=None, foreign_key="region.id", index=True, label_zh="上级", label_en="Parent")
    township_id: Optional[int] = field(default=None, label_zh="所属乡镇", label_en="Township")
    county_id: Optional[int] = field(default=None, label_zh="所属县", label_en="County")
    code: Optional[str] = field(default=None, index=True, label_zh="区划代码", label_en="Region code")
    valid_from: Optional[date] = field(default=None, label_zh="生效日期", label_en="Valid from")
    valid_to: Optional[date] = field(default=None, label_zh="撤销日期", label_en="Valid to")
    synthetic: bool = field(default=False, label_zh="模拟数据", label_en="Synthetic")
    # the map (``shequ regions import-geo``): WGS 84 degrees, and an optional GeoJSON geometry
    lon: Optional[float] = field(default=None, ge=-180, le=180, label_zh="经度", label_en="Longitude",
                                 note_zh="WGS 84 十进制度，如 112.40", note_en="WGS 84 decimal degrees, e.g. 112.40")
    lat: Optional[float] = field(default=None, ge=-90, le=90, label_zh="纬度", label_en="Latitude",
                                 note_zh="WGS 84 十进制度，如 29.37", note_en="WGS 84 decimal degrees, e.g. 29.37")
    boundary: Optional[str] = field(default=None, sa_type=Text, label_zh="边界(GeoJSON)", label_en="Boundary (GeoJSON)",
                                    note_zh="GeoJSON 面（Polygon/MultiPolygon）", note_en="a GeoJSON Polygon or MultiPolygon geometry")

    @property
    def level(self) -> str:
        return LEVEL_OF_KIND[self.kind]


class Household(Record, table=True):
    """A household (户) in a village or community."""

    __tablename__ = "household"
    __table_args__ = (UniqueConstraint("region_id", "number", name="uq_household_number"),)
    number: str = field(label_zh="户号", label_en="Household no.")
    head_name: str = field(label_zh="户主姓名", label_en="Head of household", sensitive="name")
    head_id_number: Optional[str] = field(default=None, id_number=True, label_zh="户主身份证号", label_en="Head's ID number")
    phone: Optional[str] = field(default=None, phone=True, label_zh="联系电话", label_en="Phone")
    address: Optional[str] = field(default=None, label_zh="住址", label_en="Address")
    group_name: Optional[str] = field(default=None, label_zh="村民小组", label_en="Villager group")
    members: int = field(default=1, ge=1, le=50, label_zh="人口数", label_en="Members")


class Resident(Record, table=True):
    """A person in a household."""

    __tablename__ = "resident"
    household_id: int = field(foreign_key="household.id", index=True, label_zh="户", label_en="Household")
    name: str = field(label_zh="姓名", label_en="Name", sensitive="name")
    id_number: Optional[str] = field(default=None, id_number=True, label_zh="身份证号", label_en="ID number")
    gender: Optional[str] = field(default=None, label_zh="性别", label_en="Gender", choices={"male": ("男", "male"), "female": ("女", "female")})
    birth_date: Optional[date] = field(default=None, label_zh="出生日期", label_en="Birth date")
    relation: Optional[str] = field(default=None, label_zh="与户主关系", label_en="Relation to head")
    phone: Optional[str] = field(default=None, phone=True, label_zh="联系电话", label_en="Phone")


class Association(Record, table=True):
    """An association (协会) or social organisation (社会组织) in a region."""

    __tablename__ = "association"
    __table_args__ = (UniqueConstraint("region_id", "name", name="uq_association_name"),)
    type_key: str = field(label_zh="协会类型", label_en="Association type", index=True)
    name: str = field(label_zh="名称", label_en="Name")
    founded: Optional[date] = field(default=None, label_zh="成立日期", label_en="Founded")
    dissolved: Optional[date] = field(default=None, label_zh="撤销日期", label_en="Dissolved")
    leader_name: Optional[str] = field(default=None, label_zh="负责人", label_en="Leader")
    leader_phone: Optional[str] = field(default=None, phone=True, label_zh="负责人电话", label_en="Leader's phone")
    credit_code: Optional[str] = field(default=None, label_zh="统一社会信用代码", label_en="Credit code")
    filing_no: Optional[str] = field(default=None, label_zh="备案编号", label_en="Filing no.")


class AssociationMember(Record, table=True):
    """A member of an association."""

    __tablename__ = "association_member"
    association_id: int = field(foreign_key="association.id", index=True, label_zh="协会", label_en="Association")
    name: str = field(label_zh="姓名", label_en="Name", sensitive="name")
    role: str = field(default="member", label_zh="职务", label_en="Role", choices={
        "chair": ("会长", "chair"), "vice_chair": ("副会长", "vice chair"), "secretary": ("秘书长", "secretary"),
        "member": ("会员", "member"),
    })
    joined: Optional[date] = field(default=None, label_zh="入会日期", label_en="Joined")
    left: Optional[date] = field(default=None, label_zh="退会日期", label_en="Left")
    is_party_member: bool = field(default=False, label_zh="党员", label_en="Party member")
    phone: Optional[str] = field(default=None, phone=True, label_zh="联系电话", label_en="Phone")


HONOUR_RECIPIENTS = {"region": ("村/社区", "region"), "association": ("协会", "association"), "household": ("户", "household")}


class Honour(Record, table=True):
    """An honour (荣誉) awarded to a region, an association or a household."""

    __tablename__ = "honour"
    recipient_kind: str = field(default="region", label_zh="获得者类型", label_en="Recipient", choices=HONOUR_RECIPIENTS)
    association_id: Optional[int] = field(default=None, foreign_key="association.id", label_zh="协会", label_en="Association")
    household_id: Optional[int] = field(default=None, foreign_key="household.id", label_zh="户", label_en="Household")
    title: str = field(label_zh="荣誉称号", label_en="Title")
    awarded_by: Optional[str] = field(default=None, label_zh="授予单位", label_en="Awarding body")
    year: int = field(ge=1949, le=2100, label_zh="年度", label_en="Year", index=True)
    level: Optional[str] = field(default=None, label_zh="级别", label_en="Level", choices={
        "village": ("村级", "village"), "township": ("乡镇级", "township"), "county": ("县级", "county"),
        "city": ("市级", "city"), "province": ("省级", "province"), "national": ("国家级", "national"),
    })


class Setting(SQLModel, table=True):
    """A configuration value for a region (usually a township) overriding a registered default."""

    __tablename__ = "setting"
    __table_args__ = (UniqueConstraint("key", "region_id", name="uq_setting_key_region"),)
    id: Optional[int] = field(default=None, primary_key=True, label_zh="编号", label_en="ID")
    key: str = field(label_zh="配置项", label_en="Key")
    region_id: Optional[int] = field(default=None, foreign_key="region.id", label_zh="地区", label_en="Region")
    value_json: str = field(label_zh="值(JSON)", label_en="Value (JSON)")


class User(SQLModel, table=True):
    """A person who signs in (``shequ user add``): role, scope region and an argon2id password hash.

    Managed by :mod:`shequ_sdk.auth`; the password itself is never stored.
    """

    __tablename__ = "shequ_user"
    id: Optional[int] = field(default=None, primary_key=True, label_zh="编号", label_en="ID")
    username: str = field(unique=True, index=True, label_zh="用户名", label_en="Username")
    display_name: str = field(default="", label_zh="姓名", label_en="Display name")
    role: str = field(label_zh="角色", label_en="Role")
    region_id: Optional[int] = field(default=None, foreign_key="region.id", label_zh="范围", label_en="Scope region")
    password_hash: str = field(label_zh="密码哈希", label_en="Password hash")
    disabled: bool = field(default=False, label_zh="已停用", label_en="Disabled")
    failed_count: int = field(default=0, label_zh="连续失败次数", label_en="Failed attempts")
    last_failed_at: Optional[datetime] = field(default=None, label_zh="最近失败时间", label_en="Last failure")
    locked_until: Optional[datetime] = field(default=None, label_zh="锁定至", label_en="Locked until")
    created_at: Optional[datetime] = field(default=None, label_zh="创建时间", label_en="Created")


class AuthSession(SQLModel, table=True):
    """A signed-in session (a browser's login or an API ``login``), revocable at once.

    Only a sha256 digest of the session token is stored; the token itself lives in the
    browser's signed cookie or in the :class:`~shequ_sdk.api.Shequ` object. Managed by
    :mod:`shequ_sdk.auth` (``start_session``, ``session_actor``, ``revoke_sessions``).
    """

    __tablename__ = "shequ_session"
    id: Optional[int] = field(default=None, primary_key=True, label_zh="编号", label_en="ID")
    token_hash: str = field(unique=True, index=True, label_zh="令牌摘要", label_en="Token digest")
    user_id: int = field(foreign_key="shequ_user.id", index=True, label_zh="用户", label_en="User")
    kind: str = field(default="web", label_zh="类型", label_en="Kind", choices={"web": ("网页", "web"), "api": ("接口", "API")})
    created_at: datetime = field(label_zh="登录时间", label_en="Created")
    last_seen_at: datetime = field(label_zh="最近使用", label_en="Last seen")
    expires_at: datetime = field(label_zh="过期时间", label_en="Expires")
    revoked_at: Optional[datetime] = field(default=None, label_zh="结束时间", label_en="Revoked")
    revoked_reason: Optional[str] = field(default=None, label_zh="结束原因", label_en="Revocation reason")
    address: Optional[str] = field(default=None, label_zh="来源地址", label_en="Address")
    user_agent: Optional[str] = field(default=None, label_zh="浏览器", label_en="User agent")


class FormDraft(SQLModel, table=True):
    """What a user typed in an entry form and has not saved yet, kept on the server so a reload,
    a closed tab or a flat phone battery loses nothing (:mod:`shequ_sdk.drafts`).

    One per user and form; deleted when the form is saved or the draft discarded. Not a record:
    not audit-logged, never exported or synced. Sensitive fields (ID and phone numbers) are
    never kept in a draft.
    """

    __tablename__ = "shequ_form_draft"
    __table_args__ = (UniqueConstraint("user_key", "form_key", name="uq_form_draft"),)
    id: Optional[int] = field(default=None, primary_key=True, label_zh="编号", label_en="ID")
    user_key: str = field(label_zh="用户", label_en="User", note_zh="登录名；单机模式为空", note_en="login name; empty on a single-user installation")
    form_key: str = field(label_zh="表单", label_en="Form")
    region_id: int = field(foreign_key="region.id", index=True, label_zh="村（社区）", label_en="Village")
    values_json: str = field(label_zh="填写内容", label_en="Values typed")
    saved_at: datetime = field(label_zh="保存时间", label_en="Saved at")


CORE_TABLES = (Region, Household, Resident, Association, AssociationMember, Honour, Setting, User, AuthSession, FormDraft)
