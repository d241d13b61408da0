"""shequ-sdk plugin: 计划生育协会 (family planning association), DOMAIN.md §7.

After the 2021 policy change the village association's work is care for 计生特殊家庭
(families whose only child died or is disabled) and services such as 优生优育, 青春健康 and
婴幼儿照护. This plugin keeps the special-family register with its 双岗联系人, the contact
log measured against the contact schedule (Settings, per township), and the services log.
"""

from shequ_sdk import AssociationType, RecordTable, hookimpl

from .indicators import INDICATORS
from .models import FamilyContact, FamilyService, SpecialFamily
from .data import TYPE_KEY
from .data import populate as _populate
from .roster import masked, register_roster_command, special_family_roster
from .rules import RULES, SETTINGS

__all__ = [
    "register_association_types", "register_tables", "register_indicators", "register_rules", "register_settings",
    "populate", "register_commands", "SpecialFamily", "FamilyContact", "FamilyService", "special_family_roster", "masked",
]


@hookimpl
def register_association_types(register):
    register(AssociationType(
        key=TYPE_KEY, name_zh="计划生育协会", name_en="Family planning association",
        description_zh="村（居）计生协：计生特殊家庭帮扶、优生优育、青春健康、婴幼儿照护、生殖健康咨询",
        description_en="Village family planning association: support for special families, healthy births, adolescent health, infant care, reproductive health",
        duties_zh=("计生特殊家庭双岗联系", "定期走访慰问", "优生优育指导", "青春健康教育", "婴幼儿照护服务", "计生家庭保险"),
        duties_en=("Two contact persons per special family", "Regular visits", "Healthy-birth guidance", "Adolescent health education",
                   "Infant and toddler care", "Family planning insurance"),
    ))


@hookimpl
def register_tables(register):
    register(RecordTable(
        model=SpecialFamily, label_zh="计生特殊家庭", label_en="Special families", association_type=TYPE_KEY,
        date_field="registered_on", natural_key=("region_id", "household_id"), sensitive=True,
        indexes=(("region_id", "registered_on"),),
        description_zh="独生子女死亡、伤残家庭登记册及双岗联系人", description_en="Register of families whose only child died or is disabled, with their two contact persons",
    ))
    register(RecordTable(
        model=FamilyContact, label_zh="特殊家庭联系记录", label_en="Special-family contacts", association_type=TYPE_KEY,
        date_field="contact_date", natural_key=("family_id", "contact_date", "kind"), sensitive=True,
        indexes=(("family_id", "kind", "contact_date"), ("region_id", "contact_date")),
        description_zh="电话、面访、入户、节日慰问记录", description_en="Phone calls, meetings, home visits and festival visits",
    ))
    register(RecordTable(
        model=FamilyService, label_zh="计生协服务活动", label_en="Association services", association_type=TYPE_KEY,
        date_field="service_date", natural_key=("region_id", "service_date", "service_type"),
        indexes=(("region_id", "service_date"),),
        description_zh="优生优育、青春健康、婴幼儿照护、生殖健康咨询、计生保险等活动", description_en="Healthy births, adolescent health, infant care, reproductive health, insurance and other services",
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
    register_roster_command(cli)


from .migrations import register_migrations  # noqa: E402,F401  schema migrations (shequ migrate)
