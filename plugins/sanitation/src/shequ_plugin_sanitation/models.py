"""Record tables of the sanitation association (环卫协会): bins issued to households and
collection runs (清运记录).

Waste classes and bin colours follow GB/T 19095-2019 《生活垃圾分类标志》 (DOMAIN.md §5.1).
A collection run carries one class when waste is sorted — sorted waste is transported
separately, never mixed (GB/T 51435-2021 §5.1.4) — or mixed waste when it is not.
"""

from __future__ import annotations

from datetime import date
from typing import Optional

from sqlalchemy import Index

from shequ_sdk import Record, field

WASTE_CLASSES = {
    "recyclable": ("可回收物", "recyclable"),
    "hazardous": ("有害垃圾", "hazardous"),
    "kitchen": ("厨余垃圾", "kitchen (food) waste"),
    "other": ("其他垃圾", "other (residual) waste"),
}
RUN_CATEGORIES = {"mixed": ("混合垃圾", "mixed (unsorted)"), **WASTE_CLASSES}

COLOURS = {
    "blue": ("蓝色", "blue"),
    "red": ("红色", "red"),
    "green": ("绿色", "green"),
    "grey": ("灰色", "grey"),
    "black": ("黑色", "black"),
}
# GB/T 19095-2019: the colour of each class's bin (其他垃圾 is grey, sometimes black)
CLASS_COLOURS = {"recyclable": ("blue",), "hazardous": ("red",), "kitchen": ("green",), "other": ("grey", "black")}

PLACEMENTS = {
    "central": ("集中摆放", "placed centrally"),
    "doorstep": ("门前摆放", "at the doorstep"),
}


class BinIssue(Record, table=True):
    """Bins issued to a household: class, colour, how many, when, and where they stand."""

    __tablename__ = "sanitation_bin"
    __table_args__ = (
        # covering: "households with a bin on day d" (bin coverage) reads the index alone
        Index("ix_sanitation_bin_household", "household_id", "issued", "withdrawn"),
        Index("ix_sanitation_bin_region_issued", "region_id", "issued"),
    )
    household_id: int = field(foreign_key="household.id", label_zh="户", label_en="Household")
    category: str = field(label_zh="垃圾类别", label_en="Waste class", choices=WASTE_CLASSES)
    colour: str = field(label_zh="桶身颜色", label_en="Colour", choices=COLOURS, note_zh="按 GB/T 19095-2019", note_en="per GB/T 19095-2019")
    count: int = field(default=1, label_zh="数量", label_en="Count", ge=1, le=20)
    issued: date = field(label_zh="发放日期", label_en="Issued")
    withdrawn: Optional[date] = field(default=None, label_zh="收回/报废日期", label_en="Withdrawn")
    placement: str = field(default="doorstep", label_zh="摆放方式", label_en="Placement", choices=PLACEMENTS)


class CollectionRun(Record, table=True):
    """One collection trip of one vehicle on one day in a village."""

    __tablename__ = "sanitation_collection_run"
    # covering: counts, tonnage and the sorted share of a period read the index alone
    __table_args__ = (Index("ix_sanitation_run_region_date", "region_id", "run_date", "sorted", "amount_kg"),)
    run_date: date = field(label_zh="清运日期", label_en="Date")
    vehicle: str = field(label_zh="车辆", label_en="Vehicle", note_zh="车牌号或车辆编号", note_en="plate or fleet number")
    trip: int = field(default=1, label_zh="车次", label_en="Trip", ge=1, le=20)
    households_served: int = field(label_zh="收运户数", label_en="Households served", ge=0)
    amount_kg: int = field(label_zh="清运量(公斤)", label_en="Amount (kg)", ge=0)
    sorted: bool = field(default=False, label_zh="分类清运", label_en="Sorted")
    waste_category: str = field(default="mixed", label_zh="垃圾类别", label_en="Waste class", choices=RUN_CATEGORIES)
    receipt_no: Optional[str] = field(default=None, label_zh="转运站接收单号", label_en="Transfer receipt no.")
