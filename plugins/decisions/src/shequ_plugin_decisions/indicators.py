"""Indicators of the decisions plugin.

Each returns one row per village (``region_id``, ``value``); the SDK sums numerators and
denominators over the area and divides, so a township's collection rate is Σ received ÷ Σ due
over the raw payment rows of its villages, never an average of village rates. The on-time
disclosure rate depends on the township's deadline setting: its per-village counts are worked
out once per computation in Python (``q.memo``) and handed to SQL as a CASE over region ids.
"""

from __future__ import annotations

from sqlalchemy import and_, case, func, literal, or_, select

from shequ_sdk import Indicator, Region, config

from . import settings as S
from .models import DELIBERATIONS, Asset, ContractPayment, Matter, MatterStep, VillageRule

M, T, P = Matter, MatterStep, ContractPayment


def _day(q):
    return min(q.end, q.as_of)


def major_matters(q):
    return q.count(M, M.proposed_on <= q.last_day, date=M.proposed_on)


def four_done(q):
    """Matters raised in the period whose four deliberations are recorded by the as-of day: the
    proposal, and the consultation, review and resolution each passed."""
    done = (select(T.matter_id).where(T.step.in_(DELIBERATIONS), or_(T.step == "proposal", T.result == "passed"), T.held_on <= q.as_of)
            .group_by(T.matter_id).having(func.count() == len(DELIBERATIONS)))
    return q.count(M, M.proposed_on <= q.as_of, M.id.in_(done), date=M.proposed_on)


def _disclosures(q) -> tuple[dict[int, int], dict[int, int]]:
    """``({village: disclosed on time}, {village: disclosures due})`` for the resolutions passed in
    the period: one counts once it was disclosed or its deadline passed (by the as-of day)."""
    def compute():
        resolutions = q.session.execute(
            select(T.region_id, T.matter_id, T.held_on).where(q.in_scope(T.region_id), q.in_period(T.held_on), T.held_on <= q.as_of,
                                                              T.step == "resolution", T.result == "passed")).all()
        if not resolutions:
            return {}, {}
        disclosed = dict(q.session.execute(select(T.matter_id, T.held_on).where(
            T.step == "resolution_disclosure", T.matter_id.in_([r.matter_id for r in resolutions]))).all())
        regions = list(q.session.execute(select(Region).where(Region.id.in_({r.region_id for r in resolutions}))).scalars())
        days = config.resolve_for(q.session, S.DISCLOSURE_DAYS, regions)
        on_time: dict[int, int] = {}
        counted: dict[int, int] = {}
        for rid, mid, held in resolutions:
            due = S.disclosure_due(held, days[rid])
            done = disclosed.get(mid)
            done = done if done is not None and done <= q.as_of else None
            if done is None and due >= q.as_of:
                continue  # still within its deadline
            counted[rid] = counted.get(rid, 0) + 1
            if done is not None and done <= due:
                on_time[rid] = on_time.get(rid, 0) + 1
        return on_time, counted
    return q.memo("decisions.disclosures", compute)


def disclosed_on_time(q):
    return q.per_region(_disclosures(q)[0])


def disclosures_due(q):
    return q.per_region(_disclosures(q)[1])


def _payments_due(q):
    return (P.due_on <= q.last_day,)


def income_due(q):
    return q.sum(P, P.due_fen, *_payments_due(q), date=P.due_on)


def income_received(q):
    received = case((and_(P.received_on.is_not(None), P.received_on <= q.as_of), P.received_fen), else_=literal(0))
    return q.sum(P, received, *_payments_due(q), date=P.due_on)


def overdue_payments(q):
    short = or_(P.received_on.is_(None), P.received_on > q.as_of, P.received_fen < P.due_fen)
    return q.count(P, P.due_on < q.as_of, short, date=P.due_on)


def _assets_held(q):
    day = _day(q)
    return (Asset.acquired_on <= day, or_(Asset.disposed_on.is_(None), Asset.disposed_on > day))


def assets(q):
    return q.count(Asset, *_assets_held(q))


def assets_value(q):
    return q.sum(Asset, Asset.value_fen, *_assets_held(q))


def villages_with_rules(q):
    day = _day(q)
    return q.count_distinct(VillageRule, VillageRule.region_id, VillageRule.current.is_(True), VillageRule.filed_on.is_not(None),
                            VillageRule.filed_on <= day, VillageRule.adopted_on <= day)


def all_indicators() -> list[Indicator]:
    return [
        Indicator(key="decisions.major_matters", label_zh="重大事项", label_en="Major matters", unit_zh="件", unit_en="",
                  numerator=major_matters, headline=True,
                  description_zh="本期动议、按四议两公开决策的村级重大事项", description_en="Major matters raised in the period"),
        Indicator(key="decisions.four_deliberations_share", label_zh="完成四议比例", label_en="Matters through all four deliberations",
                  unit_zh="%", unit_en="%", numerator=four_done, denominator=major_matters, value_type="ratio", headline=True,
                  description_zh="本期动议的事项中，提议、商议、审议、决议四个步骤均已登记且通过的比例",
                  description_en="Of the matters raised in the period, the share with the proposal and a passed consultation, review and resolution"),
        Indicator(key="decisions.disclosed_on_time_rate", label_zh="决议按期公开率", label_en="Resolutions disclosed on time",
                  unit_zh="%", unit_en="%", numerator=disclosed_on_time, denominator=disclosures_due, value_type="ratio",
                  reads=(T, Region, "setting"),
                  description_zh="本期通过的决议中在公开时限（乡镇设置，默认 7 天）内公开的比例；未到期未公开的不计",
                  description_en="Of the resolutions passed in the period, the share disclosed within the township's deadline (7 days by "
                                 "default); those still within it are not counted"),
        Indicator(key="decisions.contract_income_due", label_zh="合同应收金额", label_en="Contract income due", unit_zh="元", unit_en="yuan",
                  numerator=income_due, value_type="money", description_zh="应收日期在本期且已到期的合同款",
                  description_en="Contract instalments due in the period, up to the as-of day"),
        Indicator(key="decisions.contract_income_received", label_zh="合同实收金额", label_en="Contract income received", unit_zh="元",
                  unit_en="yuan", numerator=income_received, value_type="money",
                  description_zh="上述应收款中已实收的金额", description_en="What was received of those instalments"),
        Indicator(key="decisions.contract_collection_rate", label_zh="合同收入收缴率", label_en="Contract income collection rate",
                  unit_zh="%", unit_en="%", numerator=income_received, denominator=income_due, value_type="ratio", headline=True,
                  description_zh="Σ实收 ÷ Σ应收（应收日期在本期且已到期的合同款，按原始收款记录合计）",
                  description_en="Σ received ÷ Σ due over the raw instalment rows due in the period"),
        Indicator(key="decisions.overdue_payments", label_zh="逾期未收合同款", label_en="Overdue contract payments", unit_zh="笔", unit_en="",
                  numerator=overdue_payments, description_zh="应收日期在本期、已过期仍未收足的合同款笔数",
                  description_en="Instalments due in the period, past due and not received in full"),
        Indicator(key="decisions.assets", label_zh="登记资产", label_en="Assets registered", unit_zh="项", unit_en="",
                  numerator=assets, description_zh="期末在册（未处置）的集体资产", description_en="Collective assets on the register at the period's end"),
        Indicator(key="decisions.assets_value", label_zh="登记资产原值", label_en="Value of registered assets", unit_zh="元", unit_en="yuan",
                  numerator=assets_value, value_type="money", headline=True,
                  description_zh="期末在册集体资产的原值合计", description_en="Σ value of the assets on the register at the period's end"),
        Indicator(key="decisions.villages_with_rules", label_zh="有备案现行村规民约的村", label_en="Villages with filed current village rules",
                  unit_zh="个", unit_en="", numerator=villages_with_rules,
                  description_zh="期末有经乡镇备案的现行村规民约（居民公约）的村（社区）",
                  description_en="Villages with current village rules filed with the township by the period's end"),
    ]
