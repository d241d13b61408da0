"""shequ-sdk plugin: the elderly association (老龄人协会) and five-guarantee support (五保供养).

Contributes the ``elderly`` association type; record tables for five-guarantee homes
(五保之家 / 敬老院), the funds raised for them, the five-guarantee (特困) people in care and the
association's activities; indicators for homes, residents, funds and bed occupancy; the rules
that keep those records consistent; and demo and synthetic data (see ``data.py``).

Association members are core ``association_member`` rows of the ``elderly`` association.
"""

from __future__ import annotations

from shequ_sdk import AssociationType, RecordTable, hookimpl

from . import data
from .indicators import INDICATORS
from .models import ElderlyActivity, FiveGuaranteeHome, HomeFund, SupportedResident
from .rules import RULES, SETTINGS

ASSOCIATION = AssociationType(
    key="elderly", name_zh="老龄人协会", name_en="Elderly association",
    description_zh="组织老年人活动，筹资建设五保之家，协助村（居）委会做好五保（特困）供养",
    description_en="Organises older people's activities, raises funds for five-guarantee homes and helps the village "
                   "committee look after five-guarantee (destitute) people",
    duties_zh=("组织文体和敬老活动", "筹资建设、管理五保之家", "走访慰问五保和高龄老人"),
    duties_en=("organise recreation and respect-for-the-aged events", "raise funds for and run the five-guarantee home",
               "visit five-guarantee and very old people"),
)


@hookimpl
def register_association_types(register):
    register(ASSOCIATION)


@hookimpl
def register_tables(register):
    register(RecordTable(model=FiveGuaranteeHome, label_zh="五保之家/敬老院", label_en="Five-guarantee homes", level="any",
                         association_type="elderly", date_field="built", natural_key=("region_id", "name"),
                         indexes=(("region_id", "built"),),
                         description_zh="村级五保之家（登记在村/社区）和敬老院（可登记在乡镇）",
                         description_en="Village five-guarantee homes and nursing homes (which may belong to a township)"))
    register(RecordTable(model=HomeFund, label_zh="五保之家筹资", label_en="Funds raised for homes", level="any",
                         association_type="elderly", date_field="received", natural_key=("home_id", "received", "source", "amount_fen"),
                         indexes=(("region_id", "received"), ("home_id",)),
                         description_zh="每笔到账资金及其来源，登记在五保之家所在地区",
                         description_en="Each receipt and its source, in the home's region"))
    register(RecordTable(model=SupportedResident, label_zh="五保供养对象", label_en="Five-guarantee residents",
                         association_type="elderly", date_field="admitted", natural_key=("id_number", "admitted"), sensitive=True,
                         indexes=(("region_id", "admitted"), ("home_id", "admitted")),
                         description_zh="五保（特困）供养对象的每段供养（集中或分散），登记在户籍所在村/社区",
                         description_en="Each period of five-guarantee care (in a home or at home), in the village of registration"))
    register(RecordTable(model=ElderlyActivity, label_zh="老年协会活动", label_en="Elderly association activities",
                         association_type="elderly", date_field="held_on", natural_key=("region_id", "held_on", "title"),
                         indexes=(("region_id", "held_on"),)))


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
    data.populate(ctx)


from .views import register_views  # noqa: E402,F401  dashboard views
from .migrations import register_migrations  # noqa: E402,F401  schema migrations (shequ migrate)
