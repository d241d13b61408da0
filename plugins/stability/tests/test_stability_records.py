"""Registration metadata and the write path of the stability tables, on both backends."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from shequ_sdk.fields import describe_model
from shequ_sdk.plugins import registry

TODAY = dt.date(2011, 3, 31)
TABLES = ("stability_mediation_case", "stability_mediation_party", "stability_follow_up", "stability_patrol")


def test_registered_contributions():
    reg = registry()
    assert reg.association_types["stability"].name_zh == "综合治理维护稳定协会"
    mine = reg.by_plugin("stability")
    assert sorted(mine["tables"]) == sorted(TABLES)
    for key in ("stability.mediation_cases", "stability.mediation_success_rate", "stability.patrols"):
        assert key in mine["indicators"]
    rate = reg.indicators["stability.mediation_success_rate"]
    assert rate.value_type == "ratio" and rate.denominator is not None
    assert reg.indicators["stability.agreement_amount"].value_type == "money"
    assert {k: reg.settings[k].default for k in mine["settings"]} == {
        "stability.mediation_days": 30, "stability.extension_days": 30, "stability.judicial_confirmation_days": 30}


def test_labels_choices_and_sensitivity():
    reg = registry()
    for key in TABLES:
        rt = reg.tables[key]
        assert rt.label_zh and rt.label_en and rt.association_type == "stability"
        for f in describe_model(rt.model):
            assert f.label_zh and f.label_en and f.label_zh != f.name, (key, f.name)
    assert reg.tables["stability_mediation_party"].sensitive and reg.tables["stability_mediation_case"].sensitive
    party = {f.name: f for f in describe_model(reg.tables["stability_mediation_party"].model)}
    assert party["name"].sensitive == "name" and party["id_number"].id_number and party["phone"].phone
    assert {zh for zh, _ in party["role"].choices.values()} == {"申请人", "被申请人", "第三人"}
    case = {f.name: f for f in describe_model(reg.tables["stability_mediation_case"].model)}
    assert case["amount_fen"].money
    assert {zh for zh, _ in case["source"].choices.values()} == {"当事人申请", "主动调解", "公安机关移交", "审判机关委托", "政府部门指定"}
    types = {zh for zh, _ in case["dispute_type"].choices.values()}
    assert {"婚姻家庭", "邻里", "房屋宅基地", "合同", "生产经营", "损害赔偿", "山林土地", "征地拆迁", "环境污染", "劳动争议", "消费", "医疗",
            "道路交通事故", "物业", "其他"} <= types
    assert {zh for zh, _ in case["status"].choices.values()} == {"受理", "调解中", "调解成功", "调解不成", "不予受理"}
    assert {zh for zh, _ in case["judicial_confirmation"].choices.values()} == {"无", "申请中", "确认有效", "确认无效"}


def test_write_a_whole_case_file(world, case_row):
    from shequ_plugin_stability import FollowUpVisit, MediationCase, MediationParty, Patrol

    sdk, r = world["sdk"], world["regions"]
    sdk.write("stability_mediation_case", [
        case_row("一村", 1, source="公安机关移交", dispute_type="房屋宅基地", status="调解成功", agreement_form="书面",
                 judicial_confirmation="确认有效", judicial_applied_on=dt.date(2010, 3, 20)),
        case_row("一村", 2, case_no="（2010）一人调字第2号", status="调解中", agreement_form=None, agreement_on=None, closed_on=None, amount_fen=0),
    ], today=TODAY)
    with sdk.transaction() as s:
        cases = s.execute(select(MediationCase).order_by(MediationCase.id)).scalars().all()
        assert [(c.source, c.dispute_type, c.status) for c in cases] == [("police", "housing_land", "success"), ("applied", "neighbour", "in_progress")]
        cid = cases[0].id
    sdk.write("stability_mediation_party", [
        {"region_id": r["一村"], "case_id": cid, "role": "申请人", "name": "张三", "gender": "男", "id_number": "430999198001010014", "phone": "13900001111"},
        {"region_id": r["一村"], "case_id": cid, "role": "被申请人", "name": "李四", "gender": "female", "address": "一村第3组"},
    ], today=TODAY)
    sdk.write("stability_follow_up", [
        {"region_id": r["一村"], "case_id": cid, "visit_date": dt.date(2010, 4, 1), "visitor": "王调解", "performance": "已履行",
         "satisfaction": "满意", "escalation_risk": "无"},
    ], today=TODAY)
    sdk.write("stability_patrol", [
        {"region_id": r["三社区"], "patrol_date": dt.date(2010, 5, 1), "team": "三社区治安巡逻队", "participants": 6, "hours": 2.5, "night": True},
    ], today=TODAY)
    with sdk.transaction() as s:
        assert s.execute(select(MediationParty.role).order_by(MediationParty.id)).scalars().all() == ["applicant", "respondent"]
        assert s.execute(select(FollowUpVisit.performance)).scalar_one() == "performed"
        assert s.execute(select(Patrol.hours)).scalar_one() == pytest.approx(2.5)


def test_upsert_by_case_number(world, case_row):
    sdk = world["sdk"]
    sdk.write("stability_mediation_case", [case_row("二村", 5)], today=TODAY)
    result = sdk.write("stability_mediation_case", [case_row("二村", 5, amount_fen=250000)], mode="upsert", today=TODAY)
    assert (result.inserted, result.updated) == (0, 1)
    v = sdk.indicator_values("二村", "2010", keys=["stability.agreement_amount"], as_of=TODAY)
    assert str(v["stability.agreement_amount"]) == "2500.00"
