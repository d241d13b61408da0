"""A small county for the finance tests, on both backends (through the SDK's ``sdk`` fixture).

测试县
├── 甲镇 (defaults: quarterly boards due on the 15th)
│   ├── 一村 (village)
│   └── 二社区 (community)
└── 乙镇 (quarterly due day overridden to the 20th)
    ├── 三村 (village)
    └── 四村 (village that posts finance monthly)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from shequ_sdk import Region, config
from shequ_sdk.regions import create_region

TODAY = dt.date(2011, 3, 31)


@dataclass
class World:
    sdk: object
    ids: dict[str, int]

    def write(self, table, rows, today: dt.date = TODAY):
        return self.sdk.write(table, rows, today=today)

    def post(self, village: str, board: str, period: str, posted_on: dt.date, *, kind: str = "regular", title: str | None = None,
             status: str = "published", items=()) -> int:
        """Write one posting as a draft (and its items), then walk it to ``status`` through the
        workflow (review, approve, publish as the local user); return its id."""
        from shequ_plugin_finance.models import Posting, PostingItem

        title = title or f"{period} {board}"
        self.write(Posting, [{"region_id": self.ids[village], "board": board, "period": period, "kind": kind, "title": title,
                              "posted_on": posted_on, "reviewer_name": "审核人", "review_date": posted_on}])
        with self.sdk.transaction() as s:
            pid = s.execute(select(Posting.id).where(Posting.region_id == self.ids[village], Posting.board == board,
                                                     Posting.period == period, Posting.title == title)).scalar_one()
        if items:
            self.write(PostingItem, [{"region_id": self.ids[village], "posting_id": pid, "line_no": n, **item}
                                     for n, item in enumerate(items, 1)])
        self.advance(pid, status)
        return pid

    def advance(self, pid: int, status: str, actor=None) -> None:
        """Take the workflow's steps from the posting's status up to ``status`` (a draft stays one)."""
        from shequ_plugin_finance import workflow

        steps = {"draft": [], "reviewed": ["review"], "approved": ["review", "approve"], "published": ["review", "approve", "publish"]}
        with self.sdk.transaction() as s:
            for step in steps[status]:
                if workflow.get_posting(s, pid).status == workflow.ORDER[step][0]:
                    getattr(workflow, step)(s, pid, actor, today=TODAY)

    def entry(self, village: str, day: dt.date, amount_fen: int, *, account: str = "522", direction: str = "income",
              voucher: str | None = None) -> int:
        from shequ_plugin_finance.models import LedgerEntry

        voucher = voucher or f"记-{day:%m%d}-{amount_fen}"
        self.write(LedgerEntry, [{"region_id": self.ids[village], "entry_date": day, "voucher_no": voucher, "direction": direction,
                                  "account_code": account, "amount_fen": amount_fen}])
        with self.sdk.transaction() as s:
            return s.execute(select(LedgerEntry.id).where(LedgerEntry.region_id == self.ids[village],
                                                          LedgerEntry.voucher_no == voucher)).scalar_one()

    def setting(self, key: str, value, region: str) -> None:
        with self.sdk.transaction() as s:
            config.set_value(s, key, value, s.get(Region, self.ids[region]))

    def status(self, region: str, periods, as_of: dt.date) -> list[dict]:
        from shequ_plugin_finance.deadlines import board_status

        with self.sdk.transaction() as s:
            return board_status(s, s.get(Region, self.ids[region]), periods, as_of)

    def values(self, region: str, period: str, as_of: dt.date, keys=("finance",)) -> dict:
        return self.sdk.indicator_values(self.sdk.region(PATHS[region]), period, keys=list(keys), as_of=as_of)

    def count(self, model) -> int:
        with self.sdk.transaction() as s:
            return s.execute(select(func.count()).select_from(model)).scalar_one()


PATHS = {
    "测试县": "测试县", "甲镇": "测试县/甲镇", "乙镇": "测试县/乙镇",
    "一村": "测试县/甲镇/一村", "二社区": "测试县/甲镇/二社区", "三村": "测试县/乙镇/三村", "四村": "测试县/乙镇/四村",
}


@pytest.fixture
def world(sdk):
    with sdk.transaction() as s:
        county = create_region(session=s, name="测试县", kind="county")
        a = create_region(session=s, name="甲镇", kind="township", parent=county)
        b = create_region(session=s, name="乙镇", kind="township", parent=county)
        regions = {"测试县": county, "甲镇": a, "乙镇": b,
                   "一村": create_region(session=s, name="一村", kind="village", parent=a),
                   "二社区": create_region(session=s, name="二社区", kind="community", parent=a),
                   "三村": create_region(session=s, name="三村", kind="village", parent=b),
                   "四村": create_region(session=s, name="四村", kind="village", parent=b)}
        config.set_value(s, "finance.quarterly_due_day", 20, b)
        config.set_value(s, "finance.monthly_finance", True, regions["四村"])
        # most tests walk boards without items through the workflow; the refusal of an empty
        # board is tested with the setting turned back on for a village
        config.set_value(s, "finance.publish_requires_items", False, county)
        ids = {name: r.id for name, r in regions.items()}
    return World(sdk=sdk, ids=ids)
