"""Names, ID numbers and phones of special families never leave the plugin unmasked: the
roster (function and ``shequ family-planning roster``) masks them with ``shequ_sdk.ids.mask``."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlmodel import Session

from shequ_sdk.ids import mask

TODAY = dt.date(2011, 3, 31)


@pytest.fixture
def register(world, family_row):
    sdk = world["sdk"]
    rows = [family_row("一村", 0, head_phone="13912345678", township_contact_name="欧阳春梅", township_contact_phone="13711112222",
                       village_contact_name="李建国", village_contact_phone="13833334444"),
            family_row("三社区", 1, family_type="child_disabled", disability_grade=3)]
    sdk.write("family_planning_special_family", rows, today=TODAY)
    return rows


def test_roster_masks_every_sensitive_field(world, register):
    from shequ_plugin_family_planning import special_family_roster

    with Session(world["sdk"].engine) as s:
        roster = special_family_roster(s, "测试县", TODAY)
    assert [r["village"] for r in roster] == ["一村", "三社区"]
    first, raw = roster[0], register[0]
    assert first["head_name"] == mask(raw["head_name"], "name") != raw["head_name"]
    assert first["head_id_number"] == mask(raw["head_id_number"], "id") != raw["head_id_number"]
    assert first["head_phone"] == "139****5678"
    assert first["township_contact_name"] == "欧***"
    assert first["township_contact_phone"] == mask("13711112222", "phone")
    assert first["village_contact_name"] == "李**"
    assert first["village_contact_phone"] == "138****4444"
    assert first["family_type"] == "独生子女死亡" and roster[1]["family_type"] == "独生子女伤残"
    text = json.dumps(roster, ensure_ascii=False, default=str)
    for row in register:
        for name in ("head_name", "head_id_number", "head_phone", "township_contact_name", "village_contact_name", "village_contact_phone"):
            assert row[name] not in text


def test_roster_command_prints_masked_json(world, register, cli):
    sdk = world["sdk"]
    code, out, err = cli("family-planning", "roster", "--db", sdk.url, "--region", "甲镇", "--as-of", "2010-12-31", "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert len(rows) == 1 and rows[0]["village"] == "一村"
    raw = register[0]
    assert rows[0]["head_id_number"] == mask(raw["head_id_number"], "id")
    for name in ("head_name", "head_id_number", "head_phone", "township_contact_name", "village_contact_phone"):
        assert raw[name] not in out
    code, out, err = cli("family-planning", "roster", "--db", sdk.url, "--region", "测试县", "--as-of", "2010-12-31", "--lang", "en")
    assert code == 0, err
    assert "Only child died" in out or "only child died" in out
    assert raw["head_name"] not in out and raw["head_id_number"] not in out
    code, out, err = cli("family-planning", "roster", "--db", sdk.url, "--region", "测试县", "--as-of", "2010/12/31")
    assert code == 2 and "YYYY-MM-DD" in err


def test_frames_mask_the_register_too(world, register):
    pytest.importorskip("shequ_sdk.frames")
    df = world["sdk"].frame("family_planning_special_family")
    raw = register[0]
    assert df.loc[0, "head_name"] == mask(raw["head_name"], "name")
    assert df.loc[0, "head_id_number"] == mask(raw["head_id_number"], "id")
    assert df.loc[0, "village_contact_phone"] == mask(raw["village_contact_phone"], "phone")
