"""shequ-sdk plugin: the sanitation association (环卫协会) and rural household waste.

Contributes the ``sanitation`` association type; record tables for bins issued to households
and for collection runs; indicators for bin coverage, the collection rate, runs and tonnage;
rules that keep bins and runs consistent; the configurable number of collection days due per
week; and demo and synthetic data (see ``data.py``).
"""

from __future__ import annotations

from shequ_sdk import AssociationType, RecordTable, hookimpl

from . import data
from .indicators import INDICATORS
from .models import BinIssue, CollectionRun
from .rules import RULES, SETTINGS

ASSOCIATION = AssociationType(
    key="sanitation", name_zh="环卫协会", name_en="Sanitation association",
    description_zh="负责村（社区）生活垃圾的收集和清运：发放垃圾桶、组织保洁、按时清运（户分类、村收集、镇转运、县处理）",
    description_en="Collects the village's household waste: hands out bins, organises cleaners and runs the collection "
                   "(households sort, the village collects, the township transfers, the county treats)",
    duties_zh=("向住户发放分类垃圾桶", "按时收集清运生活垃圾", "记录清运台账"),
    duties_en=("hand out waste bins to households", "collect household waste on schedule", "keep the collection log"),
)


@hookimpl
def register_association_types(register):
    register(ASSOCIATION)


@hookimpl
def register_tables(register):
    register(RecordTable(model=BinIssue, label_zh="垃圾桶发放", label_en="Bins issued", association_type="sanitation",
                         date_field="issued", natural_key=("household_id", "category", "issued"),
                         indexes=(("household_id",), ("region_id", "issued")),
                         description_zh="发放到户的垃圾桶：类别、颜色（GB/T 19095-2019）、数量、发放日期、摆放方式",
                         description_en="Bins issued to households: waste class, colour (GB/T 19095-2019), count, date, placement"))
    register(RecordTable(model=CollectionRun, label_zh="清运记录", label_en="Collection runs", association_type="sanitation",
                         date_field="run_date", natural_key=("region_id", "run_date", "vehicle", "trip"),
                         indexes=(("region_id", "run_date"),),
                         description_zh="每车每趟的清运台账：日期、车辆、收运户数、清运量、是否分类",
                         description_en="One row per vehicle trip: date, vehicle, households served, amount, sorted or not"))


@hookimpl
def register_indicators(register):
    for indicator in INDICATORS:
        register(indicator)


@hookimpl
def register_rules(register):
    for rule in RULES:
        register(rule)


@hookimpl
def register_settings(register):
    for setting in SETTINGS:
        register(setting)


@hookimpl
def populate(ctx):
    data.populate(ctx)


from .views import register_views  # noqa: E402,F401  dashboard views
from .migrations import register_migrations  # noqa: E402,F401  schema migrations (shequ migrate)
