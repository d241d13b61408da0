"""The entry app's three boards on both backends: saved as drafts, moved along by the 审核 / 审批 /
公开 buttons the session's user may press, and shown read-only once past draft."""

from __future__ import annotations

import datetime as dt

import pytest

from shequ_sdk.auth import Actor

D = dt.date
VILLAGE = "测试县/甲镇/一村"


def entry(sdk, quarter="2010Q4"):
    pytest.importorskip("panel")
    from shequ_plugin_finance.views import boards_entry
    from shequ_sdk.ui import DataStore

    return boards_entry(DataStore(sdk=sdk, region=VILLAGE, period=quarter))


def buttons(batch) -> list[str]:
    return [b.css_classes[-1] for b in batch.workflow.objects if "shequ-step" in (b.css_classes or [])]


def test_boards_are_saved_as_drafts_then_reviewed_approved_and_published(world):
    batch = entry(world.sdk)
    assert [f.fixed["board"] for f in batch.forms] == ["party", "village", "finance"]
    assert buttons(batch) == ["shequ-step-review", "shequ-step-approve", "shequ-step-publish"]  # local mode: every step
    assert not {"status", "reviewed_by", "published_at", "fingerprint", "version"} & set(batch.forms[0].inputs)
    for form in batch.forms:
        form.inputs["posted_on"].widget.value = D(2011, 1, 10)
        form.inputs["review_date"].widget.value = D(2011, 1, 9)
        form.inputs["reviewer_name"].widget.value = "审核人"
    assert batch.save() == 3
    rows = world.sdk.frame("finance_posting", region=VILLAGE, period="2010Q4", codes=True)
    assert set(rows["status"]) == {"draft"} and set(rows["version"]) == {1}
    with world.sdk.transaction() as s:
        from shequ_plugin_finance.deadlines import board_status
        from shequ_sdk import Region

        def statuses():
            return {r["board"]: r["status"] for r in board_status(s, s.get(Region, world.ids["一村"]), ["2010Q4"], D(2011, 3, 31))}

        assert set(statuses().values()) == {"missing"}  # drafts do not count

    bar = batch.workflow
    assert bar.run("approve", "审批", "Approve") == 0
    assert "没有「已审核」的记录可以审批" in bar.objects[-1].object
    assert bar.run("review", "审核", "Review") == 3
    assert all('data-status="reviewed"' in f.status.object for f in batch.forms)
    assert all(f.frozen and f.inputs["legal_basis"].disabled and not f.touched() for f in batch.forms)
    assert bar.run("approve", "审批", "Approve") == 3
    assert bar.run("publish", "公开", "Publish") == 3
    assert "已公开 3 条记录" in bar.objects[-1].object
    assert all("指纹" in f.status.object for f in batch.forms)
    rows = world.sdk.frame("finance_posting", region=VILLAGE, period="2010Q4", codes=True)
    assert set(rows["status"]) == {"published"} and rows["fingerprint"].notna().all()
    with world.sdk.transaction() as s:
        assert set(statuses().values()) == {"on_time"}
    assert batch.save() == 0  # nothing to save: published boards are read-only


def test_buttons_follow_the_sessions_user_and_refusals_change_nothing(world):
    batch = entry(world.sdk)
    for form in batch.forms[:1]:
        form.inputs["posted_on"].widget.value = D(2011, 1, 10)
        form.inputs["reviewer_name"].widget.value = "审核人"
        form.inputs["review_date"].widget.value = D(2011, 1, 9)
    assert batch.save() == 1
    reviewer = world.sdk.as_user(Actor("shen", "reviewer", world.ids["一村"]))
    township = world.sdk.as_user(Actor("zhou", "township", world.ids["甲镇"]))
    committee = world.sdk.as_user(Actor("cun", "village", world.ids["一村"]))
    elsewhere = world.sdk.as_user(Actor("wu", "township", world.ids["乙镇"]))
    assert buttons(entry(reviewer)) == ["shequ-step-review"]
    assert buttons(entry(township)) == ["shequ-step-approve", "shequ-step-publish"]
    assert buttons(entry(committee)) == ["shequ-step-publish"]
    assert buttons(entry(elsewhere)) == []
    as_committee = entry(committee)
    assert as_committee.workflow.run("publish", "公开", "Publish") == 0  # a draft cannot be published
    as_reviewer = entry(reviewer)
    assert as_reviewer.workflow.run("review", "审核", "Review") == 1, as_reviewer.workflow.objects[-1].object
    assert as_committee.workflow.run("publish", "公开", "Publish") == 0
    assert "没有「已审批」的记录可以公开" in as_committee.workflow.objects[-1].object
    rows = world.sdk.frame("finance_posting", region=VILLAGE, period="2010Q4", codes=True)
    assert list(rows["status"]) == ["reviewed"] and list(rows["reviewed_by"]) == ["shen"]
