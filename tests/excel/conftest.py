"""Fixtures for the spreadsheet tests: a small county, an in-test plugin table that carries every
kind of field metadata (money, choices, a long choice list, sensitive name / phone / ID number,
a date field and a quarter period field, a foreign key), and a dump of every table."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Optional

import pytest
from sqlalchemy import select

from shequ_sdk import Record, RecordTable, field, hookimpl

HERE = Path(__file__).resolve().parent
BROKEN = HERE / "broken"

CATEGORIES = {f"c{i:02d}": (name, f"category {i}") for i, name in enumerate(
    ("经营收入", "发包及上交收入", "投资收益", "补助收入", "其他收入", "经营支出", "管理费用", "公益支出", "其他支出", "干部报酬",
     "办公费", "水电费", "差旅费", "会议费", "报刊费", "招待费", "维修费", "五保供养", "优抚救济", "道路建设", "环境卫生",
     "文体活动", "计划生育", "治安巡逻", "党建经费"), start=1)}


class XlLedger(Record, table=True):
    """A test-only ledger table: one field of each kind the spreadsheet code must handle."""

    __tablename__ = "xltest_ledger"
    period: str = field(label_zh="期间", label_en="Period")
    item: str = field(label_zh="事项", label_en="Item")
    direction: str = field(label_zh="收支", label_en="Direction", choices={"income": ("收入", "income"), "expense": ("支出", "expense")})
    amount_fen: int = field(label_zh="金额", label_en="Amount", money=True, ge=0)
    entry_date: dt.date = field(label_zh="日期", label_en="Date")
    category: Optional[str] = field(default=None, label_zh="科目", label_en="Category", choices=CATEGORIES)
    handler_name: Optional[str] = field(default=None, label_zh="经手人", label_en="Handler", sensitive="name")
    handler_phone: Optional[str] = field(default=None, phone=True, label_zh="经手人电话", label_en="Handler's phone")
    handler_id_number: Optional[str] = field(default=None, id_number=True, label_zh="经手人身份证号", label_en="Handler's ID number")
    verified: bool = field(default=False, label_zh="已审核", label_en="Verified")
    household_id: Optional[int] = field(default=None, foreign_key="household.id", label_zh="相关户", label_en="Household")
    note: Optional[str] = field(default=None, label_zh="备注", label_en="Note")


LEDGER = RecordTable(model=XlLedger, label_zh="测试台账", label_en="Test ledger", date_field="entry_date", period_field="period",
                     period_kind="quarter", natural_key=("region_id", "period", "item"))


class XlPlugin:
    @hookimpl
    def register_tables(self, register):
        register(LEDGER)


@pytest.fixture
def xl_plugin(plugin_sandbox):
    """The test ledger table registered (and gone again after the test)."""
    plugin_sandbox.register_plugin(XlPlugin(), name="xltest")
    yield LEDGER


GOOD_ID = "34052419800101001X"
HOUSEHOLDS = [
    {"number": "0001", "head_name": "王大明", "head_id_number": GOOD_ID, "phone": "13812345678", "members": 4, "group_name": "第1村民小组"},
    {"number": "0002", "head_name": "李小红", "members": 2},
    {"number": "0003", "head_name": "张三丰", "members": 6, "address": "新尚路3号"},
]


def build_places(sdk) -> dict:
    """南县/茅草街镇/新尚村社区 and 南县/南洲镇/南洲村 (codes as in the demo), three households."""
    from shequ_sdk.regions import create_region

    with sdk.transaction() as s:
        county = create_region(session=s, name="南县", kind="county", code="430921", kind_label="县")
        t1 = create_region(session=s, name="茅草街镇", kind="township", parent=county, code="430921100000")
        t2 = create_region(session=s, name="南洲镇", kind="township", parent=county, code="430921101000")
        xs = create_region(session=s, name="新尚村社区", kind="community", parent=t1, code="430921100001")
        nz = create_region(session=s, name="南洲村", kind="village", parent=t2, code="430921101200")
        ids = {r.name: r.id for r in (county, t1, t2, xs, nz)}
    sdk.write("household", [dict(h, region_id=ids["新尚村社区"]) for h in HOUSEHOLDS])
    sdk.write("household", [{"region_id": ids["南洲村"], "number": "0001", "head_name": "赵六", "members": 3}])
    return ids


@pytest.fixture
def xdb(backend_url, xl_plugin):
    """An initialised database (both backends) with the test ledger, the places and three households."""
    import shequ_sdk

    s = shequ_sdk.open(backend_url, create=True)
    s.places = build_places(s)
    yield s
    s.close()


def dump(sdk) -> dict:
    """Every row of every table, for "nothing changed" assertions."""
    from shequ_sdk.db import all_tables

    out = {}
    with sdk.transaction() as s:
        for tbl in all_tables():
            rows = s.execute(select(tbl).order_by(*tbl.primary_key.columns)).all()
            out[tbl.name] = [tuple(r) for r in rows]
    return out


@pytest.fixture
def table_dump():
    return dump


def rows_of(sdk, table: str, **where) -> list[dict]:
    from shequ_sdk import registry

    tbl = registry().tables[table].model.__table__
    stmt = select(tbl).order_by(tbl.c.id)
    for k, v in where.items():
        stmt = stmt.where(tbl.c[k] == v)
    with sdk.transaction() as s:
        return [dict(r) for r in s.execute(stmt).mappings()]


@pytest.fixture
def db_rows():
    return rows_of


def soffice_convert(src: Path, outdir: Path, target: str = "xlsx", infilter: Optional[str] = None) -> Path:
    """Convert ``src`` with LibreOffice headless, a real third-party writer of .xlsx."""
    import subprocess

    outdir.mkdir(parents=True, exist_ok=True)
    profile = outdir / "lo-profile"
    cmd = ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", target, "--outdir", str(outdir)]
    if infilter:
        cmd.append(f"--infilter={infilter}")
    subprocess.run([*cmd, str(src)], check=True, capture_output=True, timeout=180)
    out = outdir / f"{src.stem}.{target.split(':')[0]}"
    assert out.exists(), f"LibreOffice did not write {out}"
    return out


@pytest.fixture
def soffice():
    """``soffice(src, outdir, target="xlsx")``: LibreOffice conversion (Debian libreoffice-calc-nogui)."""
    import shutil

    from shequ_sdk.testing import need

    need(shutil.which("soffice") is not None, "LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui")
    return soffice_convert
