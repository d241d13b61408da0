"""三必谈 talks (party_talk): the rule refuses bad batches whole, the indicators roll up as Σ of the
raw table, a township user never sees the names in clear, and the demo has talks in its branches."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from shequ_sdk import BatchError
from shequ_sdk.auth import add_user
from shequ_sdk.errors import PermissionDenied
from shequ_sdk.regions import create_region
from shequ_plugin_party import PartyOrganisation, PartyTalk

TODAY = dt.date(2011, 3, 31)
PASSWORD = "correct horse battery"


@pytest.fixture
def area(sdk):
    """A county with a branch of its own, a township with a joint branch and an attached group,
    and a village with a standalone branch dissolved in the autumn of 2010."""
    with sdk.transaction() as s:
        county = create_region(session=s, name="测试县", kind="county", code="439901")
        town = create_region(session=s, name="一镇", kind="township", parent=county)
        village = create_region(session=s, name="一村", kind="village", parent=town)
        ids = {"county": county.id, "town": town.id, "village": village.id}
    start = dt.date(2009, 6, 1)
    sdk.write(PartyOrganisation, [
        {"region_id": ids["county"], "name": "县作协党支部", "kind": "standalone", "party_members": 5, "founded": start},
        {"region_id": ids["town"], "name": "一镇联合党支部", "kind": "joint", "basis": "area", "party_members": 6, "founded": start},
        {"region_id": ids["town"], "name": "一镇老年协会党小组", "kind": "attached", "party_members": 2, "host_unit": "一镇党委", "founded": start},
        {"region_id": ids["village"], "name": "一村腰鼓队党支部", "kind": "standalone", "party_members": 3, "founded": start,
         "dissolved": dt.date(2010, 10, 1)},
        {"region_id": ids["village"], "name": "一村读书会党支部", "kind": "standalone", "party_members": 3, "founded": dt.date(2010, 3, 1)},
    ], today=TODAY)
    with sdk.transaction() as s:
        ids |= dict(s.execute(select(PartyOrganisation.name, PartyOrganisation.id)).all())
    return ids


def _talk(area, body, day, member="李秀英", trigger="mood", **extra):
    region = {"县作协党支部": "county", "一镇联合党支部": "town", "一镇老年协会党小组": "town"}.get(body, "village")
    return {"region_id": area[region], "party_org_id": area[body], "talk_date": day, "trigger": trigger, "member_name": member,
            "held_by": "王书记", "outcome": "思想疙瘩已解开", **extra}


def _count(sdk):
    with sdk.transaction() as s:
        return s.execute(select(func.count()).select_from(PartyTalk)).scalar_one()


def _refused(sdk, rows, field, value):
    with pytest.raises(BatchError) as exc:
        sdk.write(PartyTalk, rows, today=TODAY)
    hits = [p for p in exc.value.problems if p.field == field and p.value == value]
    assert hits, [str(p) for p in exc.value.problems]
    assert all(p.message_zh and p.message_en for p in exc.value.problems)
    return hits[0]


def test_talk_rule(sdk, area):
    good = _talk(area, "一镇联合党支部", dt.date(2010, 5, 4), trigger="political_event")
    # before the branch was founded: the good row of the batch is not written either
    p = _refused(sdk, [good, _talk(area, "一村读书会党支部", dt.date(2010, 2, 1))], "talk_date", dt.date(2010, 2, 1))
    assert "成立日期" in p.message_zh and "2010-03-01" in p.message_zh
    # on or after the branch was dissolved
    p = _refused(sdk, [_talk(area, "一村腰鼓队党支部", dt.date(2010, 10, 1))], "talk_date", dt.date(2010, 10, 1))
    assert "撤销日期" in p.message_zh
    _refused(sdk, [_talk(area, "县作协党支部", dt.date(2011, 4, 1))], "talk_date", dt.date(2011, 4, 1))  # after today
    # the trigger must be one of the three occasions of 三必谈
    _refused(sdk, [_talk(area, "县作协党支部", dt.date(2010, 5, 4), trigger="birthday")], "trigger", "birthday")
    # a talk with oneself; follow-up without an outcome; a body of another region
    _refused(sdk, [_talk(area, "县作协党支部", dt.date(2010, 5, 4), member="王书记")], "held_by", "王书记")
    _refused(sdk, [_talk(area, "县作协党支部", dt.date(2010, 5, 4), follow_up=True, outcome=None)], "outcome", None)
    _refused(sdk, [dict(_talk(area, "县作协党支部", dt.date(2010, 5, 4)), region_id=area["village"])], "region_id", area["village"])
    assert _count(sdk) == 0

    sdk.write(PartyTalk, [good, _talk(area, "一村腰鼓队党支部", dt.date(2010, 9, 30), trigger="dispute", follow_up=True)], today=TODAY)
    assert _count(sdk) == 2
    assert not [p for p in sdk.check() if p.rule == "party.talk_consistent"]


def test_talk_indicators_roll_up(sdk, area):
    talks = [
        _talk(area, "县作协党支部", dt.date(2010, 3, 1)),
        _talk(area, "县作协党支部", dt.date(2010, 7, 1), member="张伟", trigger="dispute"),
        _talk(area, "一镇联合党支部", dt.date(2010, 12, 31), trigger="political_event"),
        _talk(area, "一镇联合党支部", dt.date(2011, 1, 5)),  # next year
        _talk(area, "一镇老年协会党小组", dt.date(2010, 6, 1)),  # a talk, but a group is not a branch
        _talk(area, "一村腰鼓队党支部", dt.date(2010, 4, 1)),  # held, but the branch was dissolved by the year's end
    ]
    sdk.write(PartyTalk, talks, today=TODAY)
    v = {name: sdk.indicator_values(name, "2010", keys=["party"]) for name in ("测试县", "一镇", "一村")}

    # talks: the raw rows dated in 2010, per area
    with sdk.transaction() as s:
        def raw(*regions):
            ids = [area[r] for r in regions]
            return s.execute(select(func.count()).select_from(PartyTalk).where(
                PartyTalk.region_id.in_(ids), PartyTalk.talk_date.between(dt.date(2010, 1, 1), dt.date(2010, 12, 31)))).scalar_one()
        assert v["一村"]["party.talks"] == raw("village") == 1
        assert v["一镇"]["party.talks"] == raw("town", "village") == 3
        assert v["测试县"]["party.talks"] == raw("county", "town", "village") == 5

    # share of branches (standalone and joint, existing at the year's end) with a talk in the year:
    # 一村 0 of 1 (读书会; 腰鼓队 was dissolved), 一镇 1 of 2, the county 2 of 3 — Σ over Σ, not a mean of shares
    assert v["一村"]["party.talk_branch_share"] == 0.0
    assert v["一镇"]["party.talk_branch_share"] == pytest.approx(1 / 2)
    assert v["测试县"]["party.talk_branch_share"] == pytest.approx(2 / 3)
    assert v["测试县"]["party.talk_branch_share"] != pytest.approx((1 + 1 / 2) / 2)
    q1 = sdk.indicator_values("测试县", "2011Q1", keys=["party"], as_of=TODAY)
    assert q1["party.talks"] == 1 and q1["party.talk_branch_share"] == pytest.approx(1 / 3)


def test_township_user_sees_no_names(sdk, area):
    sdk.write(PartyTalk, [_talk(area, "一镇联合党支部", dt.date(2010, 5, 4), member="欧阳秀英"),
                          _talk(area, "一村读书会党支部", dt.date(2010, 6, 4), member="司马光明")], today=TODAY)
    with sdk.transaction() as s:
        add_user(s, "zhen", role="township", region="一镇", password=PASSWORD)
        add_user(s, "root", role="admin", password=PASSWORD)
    town = sdk.login("zhen", PASSWORD)
    df = town.frame("party_talk", region="一镇")
    assert len(df) == 2
    cells = " ".join(str(x) for x in df.astype(str).to_numpy().ravel())
    for name in ("欧阳秀英", "司马光明", "王书记"):
        assert name not in cells
    assert set(df["trigger"].astype(str)) <= {"思想情绪", "重大政治事件", "矛盾纠纷"}
    with pytest.raises(PermissionDenied):
        town.frame("party_talk", region="一镇", unmasked=True)
    # an administrator may read them in clear
    admin = sdk.login("root", PASSWORD)
    assert set(admin.frame("party_talk", region="一镇", unmasked=True)["member_name"]) == {"欧阳秀英", "司马光明"}


def test_demo_talks(demo):
    values = demo.indicator_values("宜城市", "2010", keys=["party"])
    with demo.transaction() as s:
        n = s.execute(select(func.count()).select_from(PartyTalk).where(PartyTalk.talk_date.between(dt.date(2010, 1, 1), dt.date(2010, 12, 31)))).scalar_one()
        triggers = set(s.execute(select(PartyTalk.trigger).distinct()).scalars())
        kinds = set(s.execute(select(PartyOrganisation.kind).join(PartyTalk, PartyTalk.party_org_id == PartyOrganisation.id).distinct()).scalars())
    assert n > 0 and values["party.talks"] == n
    assert triggers == {"mood", "political_event", "dispute"}
    assert kinds <= {"standalone", "joint"}  # 28 + 19 branches; attached groups talk with their host unit
    assert 0.5 < values["party.talk_branch_share"] <= 1
    assert not [p for p in demo.check() if p.rule == "party.talk_consistent"]
