"""Reminders (催办), on both backends: which villages are behind with a quarter's boards, a
township user's reminder to the chosen ones (scope-checked, refused to a village account,
audit-logged), whether the village then posted in time, and both views: the township's
催办 panel and the village's 催办与待办 in the entry app."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from shequ_sdk import InputError, PermissionDenied, Region
from shequ_sdk.audit import AuditEntry
from shequ_sdk.auth import Actor

from shequ_plugin_finance import reminders
from shequ_plugin_finance.models import Reminder

D = dt.date
AS_OF = D(2011, 1, 25)  # 甲镇's 2010Q4 boards were due on 15 January; 乙镇's on the 20th


def behind(world, area="甲镇", as_of=AS_OF):
    with world.sdk.reading() as s:
        return reminders.behind(s, s.get(Region, world.ids[area]), "2010Q4", as_of)


def test_behind_lists_missing_and_late_villages_with_days_overdue_and_boards_due_soon(world):
    for board in ("party", "village"):
        world.post("一村", board, "2010Q4", D(2011, 1, 10))  # on time
    world.post("一村", "finance", "2010Q4", D(2011, 1, 19))  # four days late
    world.post("二社区", "party", "2010Q4", D(2011, 1, 12))
    found = behind(world)["behind"]
    assert [(r["village"], r["status"], r["boards"], r["days_overdue"]) for r in found] == [
        ("二社区", "missing", "居务、财务", 10),  # missing first, to today
        ("一村", "late", "财务", 4),  # late: to the posting day
    ]
    soon = behind(world, "乙镇", D(2011, 1, 14))["upcoming"]  # 乙镇's boards fall due on the 20th: within 7 days
    assert {(u["village"], u["days_left"]) for u in soon} == {("三村", 6), ("四村", 6)}  # 四村 posts finance monthly
    with pytest.raises(InputError):
        with world.sdk.reading() as s:
            reminders.behind(s, world.ids["甲镇"], "2010", AS_OF)  # per quarter only


def test_a_township_user_reminds_and_a_village_account_may_not(world):
    township = Actor("zhen", "township", region_id=world.ids["甲镇"])
    with world.sdk.transaction() as s:
        ids = reminders.remind(s, township, [world.ids["一村"], world.ids["二社区"]], "2010Q4", note="请尽快公开", today=AS_OF)
    assert len(ids) == 2
    with world.sdk.reading() as s:
        rows = s.execute(select(Reminder).order_by(Reminder.id)).scalars().all()
        logged = s.execute(select(AuditEntry.actor, AuditEntry.action).where(AuditEntry.table_key == "finance_reminder")).all()
    assert [(r.boards, r.reminded_by, r.respond_by) for r in rows] == [("party,village,finance", "zhen", D(2011, 2, 1)),
                                                                        ("party,residents,finance", "zhen", D(2011, 2, 1))]
    assert logged == [("zhen", "insert"), ("zhen", "insert")]
    assert [r["reminders"] for r in behind(world)["behind"]] == [1, 1]

    village = Actor("yicun", "village", region_id=world.ids["一村"])
    with pytest.raises(PermissionDenied) as refused:
        with world.sdk.transaction() as s:
            reminders.remind(s, village, [world.ids["一村"]], "2010Q4", today=D(2011, 1, 26))
    assert "只有乡镇工作人员可以写入" in refused.value.zh and "only township staff may" in refused.value.en
    other = Actor("yizhen", "township", region_id=world.ids["乙镇"])
    with pytest.raises(PermissionDenied):  # 甲镇's villages are outside 乙镇's scope
        with world.sdk.transaction() as s:
            reminders.remind(s, other, [world.ids["一村"]], "2010Q4", today=D(2011, 1, 26))
    with world.sdk.reading() as s:
        assert len(s.execute(select(Reminder)).all()) == 2  # nothing of a refused reminder was written


def test_a_village_not_behind_is_not_reminded_and_posting_in_time_counts_as_effect(world):
    for board in ("party", "village", "finance"):
        world.post("一村", board, "2010Q4", D(2011, 1, 10))
    with pytest.raises(InputError) as nothing:
        with world.sdk.transaction() as s:
            reminders.remind(s, None, [world.ids["一村"]], "2010Q4", today=AS_OF)
    assert "无需催办" in nothing.value.zh
    with world.sdk.transaction() as s:
        reminders.remind(s, None, [world.ids["二社区"]], "2010Q4", today=AS_OF)
    for board in ("party", "residents", "finance"):
        world.post("二社区", board, "2010Q4", D(2011, 1, 28))  # within the 7 days asked
    with world.sdk.reading() as s:
        done = reminders.effect(s, world.ids["甲镇"], "2010Q4")
        seen = reminders.received(s, world.ids["二社区"])
    assert (done["sent"], done["effective"]) == (1, 1) and done["rows"][0]["posted_on"] == D(2011, 1, 28)
    assert seen[0]["posted_on"] == D(2011, 1, 28) and seen[0]["boards"] == "党务、居务、财务"


def test_the_township_panel_reminds_and_the_village_sees_it_in_the_entry_app(world, render_view):
    panel = render_view("finance.behind", world.sdk, region="测试县/甲镇", period="2010Q4", role="township", as_of=AS_OF)
    text = str(panel.objects[1].objects[0].object)
    assert "2 个村（社区）未按时公开" in text
    assert panel.send([]) is False  # nothing ticked: a message, nothing written
    assert panel.send([0]) is True  # the first row: 一村 and 二社区 are both missing, 二社区 sorts first by name
    assert "已催办 1 次" in str(panel.objects[1].objects[0].object)
    village = render_view("finance.behind", world.sdk, region="测试县/甲镇/一村", period="2010Q4", role="village", as_of=AS_OF)
    assert "乡镇工作人员" in str(village.object)  # a village account cannot send reminders
    with world.sdk.reading() as s:
        reminded = s.execute(select(Region.name).join(Reminder, Reminder.region_id == Region.id)).scalar_one()
    entry = render_view("finance.reminders_entry", world.sdk, region=f"测试县/甲镇/{reminded}", period="2010Q4", role="village",
                        as_of=AS_OF)
    html = "".join(str(p.object) for p in entry.objects)
    assert "乡镇催办" in html and "2011-01-25" in html and "请于 2011-02-01 前公开" in html and "已逾期 2011-01-15" in html
