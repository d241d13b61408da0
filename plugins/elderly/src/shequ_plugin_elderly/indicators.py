"""Indicators of the elderly association, computed in SQL per region and summed over an area.

- Homes and their capacity count where the home stands (a township 敬老院 counts for the township,
  not for the villages its residents come from); occupancy therefore divides people living in the
  area's homes by the beds of the area's homes, at every level.
- Residents count where they are registered (their village or community).
- Funds are cumulative: everything received for the area's homes up to the end of the period.
  A home is built once and paid for over years, so "how much has been raised" is the figure a
  board shows; the seed's 24.8万 for 新尚村社区 (as of 2010) is that figure.
"""

from __future__ import annotations

from sqlalchemy import func, select

from shequ_sdk import Indicator

from .models import ElderlyActivity, FiveGuaranteeHome, HomeFund, SupportedResident

Home, Fund, Resident = FiveGuaranteeHome, HomeFund, SupportedResident


def _day(q):
    """The day "at the end of the period" means: the period's last day, or ``as_of`` if earlier."""
    return min(q.end, q.as_of)


def homes(q):
    return q.count(Home, q.active_on(Home.built, Home.closed))


def residents(q):
    return q.count(Resident, q.active_on(Resident.admitted, Resident.discharged))


def funds(q):
    return q.sum(Fund, Fund.amount_fen, Fund.received <= _day(q))


def residents_in_homes(q):
    """Centralised residents per region of the home they live in."""
    return (
        select(Home.region_id.label("region_id"), func.count(Resident.id).label("value"))
        .select_from(Resident)
        .join(Home, Home.id == Resident.home_id)
        .where(
            q.in_scope(Home.region_id),
            Resident.support_form == "concentrated",
            q.active_on(Resident.admitted, Resident.discharged),
            q.active_on(Home.built, Home.closed),
        )
        .group_by(Home.region_id)
    )


def capacity(q):
    return q.sum(Home, Home.capacity, q.active_on(Home.built, Home.closed))


def activities(q):
    return q.count(ElderlyActivity, date=ElderlyActivity.held_on)


INDICATORS = (
    Indicator(key="elderly.five_guarantee_homes", label_zh="五保之家/敬老院", label_en="Five-guarantee homes",
              unit_zh="所", unit_en="homes", numerator=homes, headline=True,
              description_zh="期末在用的五保之家和敬老院（按所在地统计）",
              description_en="Five-guarantee homes and nursing homes in use at the end of the period, counted where they stand"),
    Indicator(key="elderly.five_guarantee_residents", label_zh="五保供养对象", label_en="Five-guarantee residents",
              unit_zh="人", unit_en="people", numerator=residents, headline=True,
              description_zh="期末在册的五保（特困）供养对象，含集中和分散供养，按户籍所在村/社区统计",
              description_en="Five-guarantee (destitute) people in care at the end of the period, centralised and at home, "
                             "counted in their village of registration"),
    Indicator(key="elderly.five_guarantee_funds_yuan", label_zh="五保之家筹集资金", label_en="Funds raised for homes",
              unit_zh="元", unit_en="yuan", numerator=funds, value_type="money",
              description_zh="截至期末为本地五保之家/敬老院累计筹集的资金（各来源合计）",
              description_en="Money raised for the area's homes, cumulative up to the end of the period (all sources)"),
    Indicator(key="elderly.occupancy_rate", label_zh="床位使用率", label_en="Bed occupancy",
              unit_zh="%", unit_en="%", numerator=residents_in_homes, denominator=capacity, value_type="ratio",
              description_zh="期末集中供养人数 ÷ 在用五保之家/敬老院床位数（按机构所在地汇总后相除）",
              description_en="Residents in centralised care ÷ beds of the homes in use, both summed over the area then divided"),
    Indicator(key="elderly.activities", label_zh="老年协会活动", label_en="Association activities",
              unit_zh="次", unit_en="activities", numerator=activities,
              description_zh="期内举办的活动次数", description_en="Activities held in the period"),
)
