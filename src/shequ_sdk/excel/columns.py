"""The spreadsheet columns of a record table, derived from its field metadata alone.

Every registered table gets the same treatment, with no per-plugin code:

- ``region_id`` becomes a 村/社区 (or 乡镇 / 县 / 地区) column holding a name, a path or a code;
- a foreign key to a registered table whose natural key is ``(region_id, X)`` shows ``X``
  (a household's 户号, an association's 名称) and is resolved within the row's region; a
  foreign key to ``region.id`` shows a region name; any other foreign key shows the raw id;
- money fields show 元 with two decimals (stored as fen); choice fields show Chinese labels;
- ``id`` and ``synthetic`` are never shown.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Optional

from ..fields import FieldInfo
from ..registry import RecordTable
from .cells import header_key

HIDDEN_FIELDS = ("id", "synthetic")
REGION_HEADERS = {
    "village": "村/社区",
    "township": "乡镇",
    "county": "县（市、区）",
    "any": "地区",
}
REGION_ALIASES = ("村/社区", "村(社区)", "村社区", "村", "社区", "村名", "社区名称", "村委会", "居委会", "地区", "地区名称", "单位",
                  "乡镇", "乡镇名称", "县", "region", "village", "region_id", "地区代码", "区划代码", "代码", "regioncode", "code")
# columns people add to their own sheets that carry no data for us
IGNORED_HEADERS = ("序号", "编号", "行号", "no", "no.", "#", "id", "模拟数据", "synthetic")
YUAN = "元"
WAN_YUAN = "万元"


@dataclass
class Column:
    """One spreadsheet column of a table."""

    name: str  # field name (``region_id`` for the region column)
    header: str  # the Chinese header a template writes
    info: Optional[FieldInfo]  # None for nothing but the region column's synthetic FieldInfo
    kind: str  # text, int, float, money, date, datetime, bool, choice, period, region, region_ref, fk, id_number
    required: bool = False
    aliases: tuple[str, ...] = ()
    fk_table: Optional[str] = None  # registered table key the foreign key points at
    fk_display: Optional[str] = None  # column of that table shown instead of the id
    # ``[(table, column), …]``: follow the display column through further foreign keys, e.g.
    # a special family → its household_id → the household's 户号
    fk_chain: list = field(default_factory=list)
    fk_display_label: str = ""
    period_kind: Optional[str] = None  # for the table's period column
    scale: int = 1  # 10000 when the header says 万元

    @property
    def label(self) -> str:
        return self.header

    def keys(self) -> set[str]:
        return {header_key(a) for a in (self.header, *self.aliases) if a}

    def note(self) -> str:
        """The hint in the template's notes row: 【必填·类型·提示】."""
        need = "必填" if self.required else "选填"
        info = self.info
        if self.kind == "region":
            hint = "填名称或区划代码，留空则用上方填写的地区"
        elif self.kind == "money":
            hint = "金额(元)，最多两位小数"
        elif self.kind == "date":
            hint = "日期，如 2010-12-31"
        elif self.kind == "datetime":
            hint = "日期时间，如 2010-12-31 08:30"
        elif self.kind == "bool":
            hint = "下拉选择：是/否"
        elif self.kind == "choice":
            labels = "/".join(zh for zh, _ in (info.choices or {}).values())
            hint = f"下拉选择：{labels}" if len(labels) <= 60 else "下拉选择"
        elif self.kind == "period":
            example = {"year": "2010", "quarter": "2010Q4", "month": "2010-12"}.get(self.period_kind or "", "2010Q4")
            hint = f"期间，如 {example}，留空则用上方填写的期间"
        elif self.kind == "region_ref":
            hint = "填地区名称或区划代码"
        elif self.kind == "fk":
            hint = f"填{self.fk_display_label}" if self.fk_display else "填编号"
        elif self.kind == "id_number":
            hint = "18位身份证号（文本）"
        elif self.kind == "int":
            hint = "整数"
        elif self.kind == "float":
            hint = "数字"
        else:
            hint = "文字"
        bounds = []
        if info is not None and self.kind in ("int", "float", "money"):
            factor = 100 if self.kind == "money" else 1
            if info.ge is not None:
                bounds.append(f"≥{_num(info.ge / factor)}")
            if info.le is not None:
                bounds.append(f"≤{_num(info.le / factor)}")
        parts = [need, hint, *bounds]
        if info is not None and info.note_zh:
            parts.append(info.note_zh)
        return "【" + "·".join(parts) + "】"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


@dataclass
class TableColumns:
    """The columns of one table, in template order, and a header lookup."""

    table: RecordTable
    columns: list[Column]
    by_key: dict[str, Column] = field(default_factory=dict)

    def __post_init__(self):
        for col in self.columns:
            for k in col.keys():
                self.by_key.setdefault(k, col)

    def match(self, header) -> tuple[Optional[Column], int]:
        """The column a header names, and the scale its unit implies (``金额(万元)`` → 10000, ``金额(分)`` → 0.01)."""
        key = header_key(header)
        if not key:
            return None, 1
        col = self.by_key.get(key)
        if col is not None:
            if col.kind == "money" and key == header_key(col.name) and col.name.endswith("_fen"):
                return col, Decimal("0.01")  # the raw column name: the values are fen
            return col, col.scale
        for suffix, scale in ((f"({WAN_YUAN})", 10000), (WAN_YUAN, 10000), (f"({YUAN})", 1), (YUAN, 1), ("(yuan)", 1),
                              ("(分)", Decimal("0.01")), ("(fen)", Decimal("0.01"))):
            if key.endswith(suffix):
                col = self.by_key.get(key[: -len(suffix)])
                if col is not None and col.kind == "money":
                    return col, scale
        return None, 1

    def get(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _kind(info: FieldInfo) -> str:
    if info.choices:
        return "choice"
    if info.money:
        return "money"
    if info.id_number:
        return "id_number"
    tp = info.python_type
    if tp is bool:
        return "bool"
    if tp is int:
        return "int"
    if tp is float:
        return "float"
    if tp is dt.datetime:
        return "datetime"
    if tp is dt.date:
        return "date"
    return "text"


def table_columns(rt: RecordTable) -> TableColumns:
    """Columns for ``rt`` in field declaration order, the region column first."""
    from ..plugins import registry

    reg = registry()
    cols: list[Column] = []
    for info in rt.fields:
        if info.name in HIDDEN_FIELDS:
            continue
        if info.name == "region_id":
            header = REGION_HEADERS.get(rt.level, "地区")
            cols.insert(0, Column(name="region_id", header=header, info=info, kind="region", required=True,
                                  aliases=REGION_ALIASES + (info.label_zh, info.label_en)))
            continue
        aliases: tuple[str, ...] = (info.label_en, info.name)
        kind = _kind(info)
        header = info.label_zh
        if kind == "money":
            unit = r"\s*[(（]\s*(分|元|fen|yuan)\s*[)）]\s*$"
            base = re.sub(unit, "", header, flags=re.I)  # 金额(分) is shown, and read, in 元
            header = f"{base}（{YUAN}）"
            aliases = (re.sub(unit, "", info.label_en, flags=re.I), info.name, base)
        col = Column(name=info.name, header=header, info=info, kind=kind, required=info.required, aliases=aliases)
        if info.name == rt.period_field:
            col.kind = "period"
            col.period_kind = rt.period_kind
            col.required = False  # the template's period fills it in
        if info.foreign_key:
            target_table, _, target_col = info.foreign_key.partition(".")
            if target_table == "region":
                col.kind = "region_ref"
            else:
                col.kind = "fk"
                col.fk_table = target_table
                col.fk_chain = _display_chain(reg, target_table, target_col)
                if col.fk_chain:
                    last_table, last_col = col.fk_chain[-1]
                    col.fk_display = col.fk_chain[0][1]
                    col.fk_display_label = reg.tables[last_table].field(last_col).label_zh
        cols.append(col)
    return TableColumns(table=rt, columns=cols)


def _display_chain(reg, table: str, column: str, depth: int = 3) -> list[tuple[str, str]]:
    """How a foreign key is shown: the target's natural key without region_id, when that is
    one column, followed through further foreign keys (at most ``depth`` tables)."""
    chain: list[tuple[str, str]] = []
    while depth > 0 and column == "id":
        target = reg.tables.get(table)
        nk = target.natural_key if target is not None else ()
        if not (len(nk) == 2 and nk[0] == "region_id"):
            break
        chain.append((table, nk[1]))
        fk = target.field(nk[1]).foreign_key
        if not fk or fk.startswith("region."):
            return chain
        table, _, column = fk.partition(".")
        depth -= 1
    # the chain must end on a plain column, or the sheet would show another table's raw id
    if not chain or reg.tables[chain[-1][0]].field(chain[-1][1]).foreign_key:
        return []
    return chain


def region_header(rt: RecordTable) -> str:
    return REGION_HEADERS.get(rt.level, "地区")
