"""Mediation files are personal data: the case register (function and ``shequ stability cases``)
masks parties' names, ID numbers, phones and addresses, and the mediator, with ``shequ_sdk.ids.mask``."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select
from sqlmodel import Session

from shequ_sdk.ids import mask

TODAY = dt.date(2011, 3, 31)
PARTIES = [
    {"role": "applicant", "name": "欧阳建华", "gender": "male", "id_number": "430999198001010014", "phone": "13912345678", "address": "一村第3组"},
    {"role": "respondent", "name": "李四", "gender": "female", "phone": "13788889999"},
]


@pytest.fixture
def case_file(world, case_row):
    from shequ_plugin_stability import MediationCase

    sdk = world["sdk"]
    sdk.write("stability_mediation_case", [case_row("一村", 1, mediator="张调解员", brief="因宅基地界址与邻居争执")], today=TODAY)
    with sdk.transaction() as s:
        cid = s.execute(select(MediationCase.id)).scalar_one()
    sdk.write("stability_mediation_party", [{"region_id": world["regions"]["一村"], "case_id": cid, **p} for p in PARTIES], today=TODAY)
    return cid


SECRETS = ("欧阳建华", "430999198001010014", "13912345678", "一村第3组", "李四", "13788889999", "张调解员")


def test_case_register_masks_parties(world, case_file):
    from shequ_plugin_stability import case_register

    with Session(world["sdk"].engine) as s:
        cases = case_register(s, "测试县", "2010")
    assert len(cases) == 1
    case = cases[0]
    assert case["case_no"] == "(2010)一人调字第1号" and case["status"] == "调解成功" and case["amount_yuan"] == "1200.00"
    assert case["mediator"] == mask("张调解员", "name") == "张***"
    first, second = case["parties"]
    assert first["name"] == "欧***" and first["role"] == "申请人"
    assert first["id_number"] == mask(PARTIES[0]["id_number"], "id") == "430999********0014"
    assert first["phone"] == "139****5678" and first["address"] == "***"
    assert second["name"] == "李*" and second["id_number"] is None
    text = json.dumps(cases, ensure_ascii=False, default=str)
    for secret in SECRETS:
        assert secret not in text


def test_cases_command_prints_masked_output(world, case_file, cli):
    url = world["sdk"].url
    code, out, err = cli("stability", "cases", "--db", url, "--region", "甲镇", "--period", "2010", "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert rows[0]["parties"][0]["id_number"] == mask(PARTIES[0]["id_number"], "id")
    code, table, err = cli("stability", "cases", "--db", url, "--region", "测试县", "--period", "2010Q1")
    assert code == 0, err
    assert "(2010)一人调字第1号" in table
    for secret in SECRETS:
        assert secret not in out and secret not in table
    code, out, err = cli("stability", "cases", "--db", url, "--region", "测试县", "--period", "2010Q5")
    assert code == 2 and "2010Q5" in err


def test_frames_mask_parties_too(world, case_file):
    pytest.importorskip("shequ_sdk.frames")
    df = world["sdk"].frame("stability_mediation_party")
    assert list(df["name"]) == ["欧***", "李*"]
    assert df.loc[0, "id_number"] == "430999********0014"
