"""Exception requests through the dashboards' own objects, without a browser: a village user
asks under the notice of a locked quarter, township staff see the request by names on their
dashboard and grant it (the quarter's forms are then open) or refuse it with a reason (the
village reads it); a village user has no such panel."""

from __future__ import annotations

import datetime as dt

import panel as pn
import pytest

from shequ_sdk import locks
from shequ_sdk.ui import DataStore, EntryApp, TownshipDashboard
from shequ_sdk.ui.lock_requests import ExceptionRequestsPanel

from .test_dashboard_township import page_text

PASSWORD = "春耕秋收2010"


@pytest.fixture
def users(demo_sdk):
    """The demo database as 李会计 (xinshang, 新尚村社区) and 王镇长 (maocao, 茅草街镇) see it."""
    from shequ_sdk.auth import add_user

    with demo_sdk.transaction() as s:
        add_user(s, "maocao", role="township", region="茅草街镇", password=PASSWORD, display_name="王镇长")
        add_user(s, "xinshang", role="village", region="新尚村社区", password=PASSWORD, display_name="李会计")
    return demo_sdk.login("xinshang", PASSWORD), demo_sdk.login("maocao", PASSWORD)


def entry(village_sdk, quarter: str) -> tuple[EntryApp, object]:
    app = EntryApp(sdk=village_sdk, region="新尚村社区", period=quarter)
    return app, app.tabs()


def test_the_village_asks_and_the_township_grants_from_the_web(users):
    village, township = users
    app, page = entry(village, "2010Q4")
    box = app.request_box
    assert isinstance(page, pn.Column) and box is not None and box.form.visible
    assert "shequ-exception-request" in box.__panel__().css_classes
    assert not box.send()  # the reason is required
    assert "请写明申请原因" in box.message.object
    box.reason.value = "12月凭证漏录，需要补录"
    assert box.send()
    assert "已申请，等待乡镇审批" in box.state.object and dt.date.today().isoformat() in box.state.object and not box.form.visible
    assert "等待乡镇审批" in entry(village, "2010Q4")[0].request_box.state.object  # a reload shows the same

    text = page_text(TownshipDashboard(sdk=township, region="茅草街镇", period="2010", defer=False))
    assert "例外申请" in text and "shequ-exception-grant" in text and "12月凭证漏录，需要补录" in text and "李会计" in text and "新尚村社区" in text

    panel = ExceptionRequestsPanel(data_store=DataStore(sdk=township, region="茅草街镇", period="2010"))
    (row,) = panel.rows
    assert row["until"].value == dt.date.today() + dt.timedelta(days=90)  # the longest the settings allow
    row["grant"].clicks += 1
    assert "已批准新尚村社区2010年第4季度的例外" in panel.message.object
    assert panel.rows == [] and "无待审批的例外申请" in panel.items.objects[0].object and panel.box.visible
    assert not ExceptionRequestsPanel(data_store=DataStore(sdk=township, region="茅草街镇", period="2010")).box.visible  # none pending: hidden

    app, page = entry(village, "2010Q4")
    assert isinstance(page, pn.Tabs) and app.request_box is None and not app.data_store.readonly  # the forms save again
    with township.reading() as s:
        assert locks.latest_request(s, "新尚村社区", "2010Q4").status == "granted"


def test_the_township_refuses_with_a_reason_the_village_reads(users):
    village, township = users
    app, _ = entry(village, "2010Q3")
    app.request_box.reason.value = "漏报一笔收入"
    assert app.request_box.send()

    panel = ExceptionRequestsPanel(data_store=DataStore(sdk=township, region="茅草街镇", period="2010"))
    (row,) = panel.rows
    row["refuse"].clicks += 1  # no reason: refused, nothing changed
    assert "必须写明原因" in panel.message.object and len(panel.rows) == 1
    row["reason"].value = "该季度已审计结账"
    row["refuse"].clicks += 1
    assert "已驳回新尚村社区2010年第3季度的例外申请" in panel.message.object and panel.rows == []

    box = entry(village, "2010Q3")[0].request_box
    assert "乡镇已于" in box.state.object and "该季度已审计结账" in box.state.object and box.form.visible  # may ask again


def test_a_village_user_has_no_requests_panel_and_cannot_decide(users):
    village, _ = users
    panel = ExceptionRequestsPanel(data_store=DataStore(sdk=village, region="新尚村社区", period="2010"))
    assert not panel.may_decide() and not panel.__panel__().visible and panel.rows == []


def test_a_reviewer_reads_who_may_ask_instead_of_a_form_the_sdk_would_refuse(users, demo_sdk):
    from shequ_sdk.auth import add_user

    with demo_sdk.transaction() as s:
        add_user(s, "shenhe", role="reviewer", region="新尚村社区", password=PASSWORD, display_name="赵审核")
    reviewer = demo_sdk.login("shenhe", PASSWORD)
    with reviewer.transaction() as s:
        refusal = locks.request_refusal(s, reviewer.user, "新尚村社区")
    assert refusal is not None and "申请期间锁定例外" in refusal.zh
    box = entry(reviewer, "2010Q4")[0].request_box
    assert box is not None and not box.form.visible
    assert "填报人员或乡镇工作人员申请" in box.state.object
    village, _township = users
    assert entry(village, "2010Q4")[0].request_box.form.visible  # the village's own clerk still gets the form
    with village.transaction() as s:
        assert locks.request_refusal(s, village.user, "新尚村社区") is None
