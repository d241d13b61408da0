"""Field metadata: Chinese and English labels, choices, sensitivity and money, stored as data.

Use :func:`field` instead of ``sqlmodel.Field`` in record tables. The metadata lands in the
column's ``info`` dict, where forms, frames, Excel templates and exports read it::

    class CollectionRun(Record, table=True):
        vehicle: str = field(label_zh="车辆", label_en="Vehicle")
        amount_kg: int = field(label_zh="清运量(公斤)", label_en="Amount (kg)", ge=0)
        sorted_: bool = field(label_zh="是否分类", label_en="Sorted", default=False)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger
from sqlmodel import Field

SENSITIVE_KINDS = ("id", "phone", "name", "text")


def field(
    default: Any = ...,
    *,
    label_zh: str,
    label_en: str,
    choices: dict[str, tuple[str, str]] | None = None,
    sensitive: str | None = None,
    money: bool = False,
    id_number: bool = False,
    phone: bool = False,
    note_zh: str | None = None,
    note_en: str | None = None,
    foreign_key: str | None = None,
    primary_key: bool = False,
    index: bool = False,
    unique: bool = False,
    nullable: bool | None = None,
    ge: float | None = None,
    le: float | None = None,
    max_length: int | None = None,
    default_factory=None,
    sa_type: Any = None,
) -> Any:
    """A SQLModel ``Field`` that carries shequ metadata.

    - ``choices``: ``{code: (中文, English)}``; the stored value is the code.
    - ``sensitive``: ``"id"``, ``"phone"``, ``"name"`` or ``"text"``; the value is masked on every
      path out of the SDK unless the caller's role may see it.
    - ``money``: an integer amount in fen (分), stored as a 64-bit integer; shown as yuan
      with two decimals.
    - ``id_number``: validated with the GB 11643 checksum (implies ``sensitive="id"``).
    - ``phone``: validated as a Chinese phone number (implies ``sensitive="phone"``).
    - ``sa_type``: the SQLAlchemy column type, when the default for the Python type will not do
      (e.g. ``Text`` for long text).
    """
    if id_number:
        sensitive = sensitive or "id"
    if phone:
        sensitive = sensitive or "phone"
    if sensitive is not None and sensitive not in SENSITIVE_KINDS:
        raise ValueError(f"sensitive must be one of {SENSITIVE_KINDS}")
    info = {
        "label_zh": label_zh,
        "label_en": label_en,
        "choices": dict(choices) if choices else None,
        "sensitive": sensitive,
        "money": money,
        "id_number": id_number,
        "phone": phone,
        "note_zh": note_zh,
        "note_en": note_en,
    }
    kwargs: dict[str, Any] = {"sa_column_kwargs": {"info": info}}
    if money:
        # fen in 64 bits: a 32-bit integer on PostgreSQL would stop at 21,474,836.47 yuan
        kwargs["sa_type"] = BigInteger
    elif sa_type is not None:
        kwargs["sa_type"] = sa_type
    if default_factory is not None:
        kwargs["default_factory"] = default_factory
    else:
        kwargs["default"] = default
    for name, value in (("foreign_key", foreign_key), ("ge", ge), ("le", le), ("max_length", max_length), ("nullable", nullable)):
        if value is not None:
            kwargs[name] = value
    if primary_key:
        kwargs["primary_key"] = True
    if index:
        kwargs["index"] = True
    if unique:
        kwargs["unique"] = True
    return Field(**kwargs)


@dataclass(frozen=True)
class FieldInfo:
    """What the SDK knows about one column of a registered table."""

    name: str
    label_zh: str
    label_en: str
    python_type: type
    required: bool
    choices: dict[str, tuple[str, str]] | None = None
    sensitive: str | None = None
    money: bool = False
    id_number: bool = False
    phone: bool = False
    note_zh: str | None = None
    note_en: str | None = None
    foreign_key: str | None = None
    ge: float | None = None
    le: float | None = None

    def label(self, lang: str = "zh") -> str:
        return self.label_zh if lang == "zh" else self.label_en

    def choice_label(self, code, lang: str = "zh"):
        if not self.choices or code not in self.choices:
            return code
        return self.choices[code][0 if lang == "zh" else 1]


def describe_model(model) -> list[FieldInfo]:
    """FieldInfo for every column of a SQLModel table class, in declaration order."""
    import datetime as _dt
    import typing

    out = []
    hints = typing.get_type_hints(model)
    for name, finfo in model.model_fields.items():
        col = model.__table__.c.get(name)
        if col is None:
            continue
        info = col.info or {}
        tp = hints.get(name, str)
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        base = args[0] if args else tp
        if base not in (int, float, str, bool, _dt.date, _dt.datetime):
            base = str
        ge = le = None
        for m in finfo.metadata:
            ge = getattr(m, "ge", ge)
            le = getattr(m, "le", le)
        fk = next(iter(col.foreign_keys)).target_fullname if col.foreign_keys else None
        out.append(
            FieldInfo(
                name=name,
                label_zh=info.get("label_zh", name),
                label_en=info.get("label_en", name),
                python_type=base,
                required=finfo.is_required() and not col.primary_key,
                choices=info.get("choices"),
                sensitive=info.get("sensitive"),
                money=bool(info.get("money")),
                id_number=bool(info.get("id_number")),
                phone=bool(info.get("phone")),
                note_zh=info.get("note_zh"),
                note_en=info.get("note_en"),
                foreign_key=fk,
                ge=ge,
                le=le,
            )
        )
    return out
