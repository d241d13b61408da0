"""shequ-sdk plugin: 综合治理维护稳定协会 (comprehensive governance and stability association),
DOMAIN.md §6.

The association runs the village's people's mediation (人民调解): case files with their parties
and follow-up visits, counted the way the 司法行政 statistics count them (受理数, 调解成功率,
协议涉及金额), with the deadlines of the 《人民调解法》 as Settings; and it organises security
patrols (治安巡逻).
"""

from shequ_sdk import AssociationType, RecordTable, hookimpl

from .indicators import INDICATORS
from .models import CASE_NO as CASE_NO_PATTERN
from .models import FollowUpVisit, MediationCase, MediationParty, Patrol
from .data import TYPE_KEY
from .data import populate as _populate
from .register import case_register, masked, register_case_command
from .rules import RULES
from .settings import SETTINGS

__all__ = [
    "register_association_types", "register_tables", "register_indicators", "register_rules", "register_settings",
    "populate", "register_commands", "MediationCase", "MediationParty", "FollowUpVisit", "Patrol", "case_register", "masked",
    "CASE_NO_PATTERN",
]


@hookimpl
def register_association_types(register):
    register(AssociationType(
        key=TYPE_KEY, name_zh="综合治理维护稳定协会", name_en="Comprehensive governance and stability association",
        description_zh="村（居）综治维稳：人民调解、矛盾纠纷排查、治安巡逻", description_en="Village governance and stability: people's mediation, dispute screening, security patrols",
        duties_zh=("人民调解", "矛盾纠纷排查化解", "调解协议回访", "治安巡逻"),
        duties_en=("People's mediation", "Screening and resolving disputes", "Follow-up of agreements", "Security patrols"),
    ))


@hookimpl
def register_tables(register):
    register(RecordTable(
        model=MediationCase, label_zh="人民调解案件", label_en="Mediation cases", association_type=TYPE_KEY,
        date_field="registered_on", natural_key=("region_id", "case_no"), sensitive=True,
        indexes=(("region_id", "registered_on"), ("region_id", "closed_on")),
        description_zh="受理登记、调解结果、调解协议与司法确认", description_en="Registration, outcome, agreement and judicial confirmation",
    ))
    register(RecordTable(
        model=MediationParty, label_zh="调解当事人", label_en="Mediation parties", association_type=TYPE_KEY,
        natural_key=("case_id", "role", "name"), sensitive=True, indexes=(("case_id",),),
        description_zh="申请人、被申请人、第三人", description_en="Applicants, respondents and third parties",
    ))
    register(RecordTable(
        model=FollowUpVisit, label_zh="调解回访", label_en="Follow-up visits", association_type=TYPE_KEY,
        date_field="visit_date", natural_key=("case_id", "visit_date"), sensitive=True,
        indexes=(("case_id", "visit_date"), ("region_id", "visit_date")),
        description_zh="调解协议履行情况、当事人满意度与激化风险", description_en="Performance of the agreement, satisfaction and risk of escalation",
    ))
    register(RecordTable(
        model=Patrol, label_zh="治安巡逻", label_en="Security patrols", association_type=TYPE_KEY,
        date_field="patrol_date", natural_key=("region_id", "patrol_date", "team"), indexes=(("region_id", "patrol_date"),),
        description_zh="巡逻队、人数、时长、区域与发现的问题", description_en="Team, participants, hours, area and issues found",
    ))


@hookimpl
def register_indicators(register):
    for indicator in INDICATORS:
        register(indicator)


@hookimpl
def register_rules(register):
    for rule in RULES:
        register(rule)


@hookimpl
def register_settings(register):
    for setting in SETTINGS:
        register(setting)


@hookimpl
def populate(ctx):
    _populate(ctx)


@hookimpl
def register_commands(cli):
    register_case_command(cli)


from .views import register_views  # noqa: E402,F401  dashboard views
from .migrations import register_migrations  # noqa: E402,F401  schema migrations (shequ migrate)
