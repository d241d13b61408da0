"""Registration metadata and the write path of the family planning tables, on both backends."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from shequ_sdk import BatchError
from shequ_sdk.fields import describe_model
from shequ_sdk.plugins import registry

TODAY = dt.date(2011, 3, 31)

TABLES = ("family_planning_special_family", "family_planning_contact", "family_planning_service")


def test_registered_contributions():
    reg = registry()
    assert reg.association_types["family_planning"].name_zh == "计划生育协会"
    mine = reg.by_plugin("family_planning")
    assert sorted(mine["tables"]) == sorted(TABLES)
    for key in ("family_planning.special_families", "family_planning.visits_on_schedule_rate", "family_planning.services"):
        assert key in mine["indicators"]
    assert reg.indicators["family_planning.visits_on_schedule_rate"].value_type == "ratio"
    assert reg.indicators["family_planning.visits_on_schedule_rate"].denominator is not None
    defaults = {k: reg.settings[k].default for k in mine["settings"]}
    assert defaults["family_planning.contacts_per_week"] == 1
    assert defaults["family_planning.face_to_face_per_month"] == 1
    assert defaults["family_planning.home_visits_per_year"] == 4


def test_every_column_has_both_labels_and_sensitive_data_is_marked():
    reg = registry()
    for key in TABLES:
        rt = reg.tables[key]
        assert rt.label_zh and rt.label_en and rt.association_type == "family_planning"
        for f in describe_model(rt.model):
            assert f.label_zh and f.label_en and f.label_zh != f.name, (key, f.name)
    assert reg.tables["family_planning_special_family"].sensitive and reg.tables["family_planning_contact"].sensitive
    fields = {f.name: f for f in describe_model(reg.tables["family_planning_special_family"].model)}
    for name in ("head_name", "township_contact_name", "village_contact_name"):
        assert fields[name].sensitive == "name"
    assert fields["head_id_number"].id_number and fields["head_id_number"].sensitive == "id"
    for name in ("head_phone", "township_contact_phone", "village_contact_phone"):
        assert fields[name].phone and fields[name].sensitive == "phone"
    contact = {f.name: f for f in describe_model(reg.tables["family_planning_contact"].model)}
    assert contact["contact_by_name"].sensitive == "name"


def test_no_birth_policing_after_2021():
    # the 2021 policy change: nothing may model 违规生育 / 政策外生育 any more
    reg = registry()
    text = []
    for key in TABLES:
        for f in describe_model(reg.tables[key].model):
            text += [f.name, f.label_zh, f.label_en, *[zh for zh, _ in (f.choices or {}).values()]]
    text += [i.label_zh + i.description_zh for k, i in reg.indicators.items() if k.startswith("family_planning.")]
    joined = " ".join(text)
    for word in ("违规生育", "政策外", "超生", "社会抚养费"):
        assert word not in joined


def test_write_family_contacts_and_services(world, family_row):
    sdk = world["sdk"]
    # Chinese choice labels are accepted where codes are stored
    sdk.write("family_planning_special_family", [
        family_row("一村", 0, family_type="独生子女伤残", disability_grade=2, family_doctor_signed=True,
                   family_doctor_signed_on=dt.date(2010, 5, 1), assistance_status="享受特别扶助"),
        family_row("一村", 1),
    ])
    from shequ_plugin_family_planning import FamilyContact, SpecialFamily

    with sdk.transaction() as s:
        fams = s.execute(select(SpecialFamily).order_by(SpecialFamily.id)).scalars().all()
        assert [f.family_type for f in fams] == ["child_disabled", "child_died"]
        assert fams[0].assistance_status == "receiving"
        fid = fams[0].id
    sdk.write("family_planning_contact", [
        {"region_id": world["regions"]["一村"], "family_id": fid, "contact_date": dt.date(2010, 2, 3), "kind": "入户",
         "contact_by_role": "乡镇联系人", "contact_by_name": "乡干部甲"},
        {"region_id": world["regions"]["一村"], "family_id": fid, "contact_date": dt.date(2010, 2, 10), "kind": "phone"},
        {"region_id": world["regions"]["一村"], "family_id": fid, "contact_date": dt.date(2010, 3, 1), "kind": "面访",
         "event": "重病", "reported_on": dt.date(2010, 3, 1)},
    ], today=TODAY)
    sdk.write("family_planning_service", [
        {"region_id": world["regions"]["二村"], "service_date": dt.date(2010, 5, 4), "service_type": "青春健康教育", "attendees": 40},
        {"region_id": world["regions"]["二村"], "service_date": dt.date(2010, 6, 1), "service_type": "infant_care", "attendees": 12},
    ], today=TODAY)
    with sdk.transaction() as s:
        kinds = s.execute(select(FamilyContact.kind).order_by(FamilyContact.contact_date)).scalars().all()
        assert kinds == ["home_visit", "phone", "meeting"]
    v = sdk.indicator_values("测试县", "2010", keys=["family_planning"], as_of=TODAY)
    assert v["family_planning.special_families"] == 2
    assert v["family_planning.home_visits"] == 1
    assert v["family_planning.services"] == 2
    assert v["family_planning.service_attendees"] == 52
    assert v["family_planning.family_doctor_rate"] == pytest.approx(0.5)


def test_upsert_by_household_updates_the_register(world, family_row):
    sdk = world["sdk"]
    sdk.write("family_planning_special_family", [family_row("二村", 2)])
    result = sdk.write("family_planning_special_family", [family_row("二村", 2, green_channel=True, insured=True)], mode="upsert")
    assert (result.inserted, result.updated) == (0, 1)
    from shequ_plugin_family_planning import SpecialFamily

    with sdk.transaction() as s:
        assert s.execute(select(func.count()).select_from(SpecialFamily)).scalar_one() == 1
        assert s.execute(select(SpecialFamily.green_channel)).scalar_one() is True


def test_bad_id_number_and_phone_are_refused(world, family_row):
    sdk = world["sdk"]
    with pytest.raises(BatchError) as exc:
        sdk.write("family_planning_special_family", [family_row("一村", 0, head_id_number="430999195003101234", village_contact_phone="12345")])
    fields = {p.field: p.value for p in exc.value.problems}
    assert fields["head_id_number"] == "430999195003101234"
    assert fields["village_contact_phone"] == "12345"
