"""Settings of the decisions plugin and the arithmetic they drive (quorums, majorities, deadlines).

Every legal default is a setting a township (or county, or one village) may override with
``shequ_sdk.config.set_value``; the README names each default's source.

A quorum or majority setting is ``{"share": "1/2", "inclusive": false, "base": "present"}``:

- ``share`` — a fraction as text (``"1/2"``, ``"2/3"``), compared exactly (``fractions.Fraction``);
- ``inclusive`` — whether reaching the share exactly is enough. The law's wording decides it:
  民法典 第一千二百五十九条 says 「以上」 includes the number itself and 「超过」 excludes it, and
  「过半数」 means more than half. So 「三分之二以上的户的代表」 is met by exactly two-thirds
  (``inclusive: true``) and 「过半数」 is not met by exactly half (``inclusive: false``);
- ``base`` (majorities only) — ``"present"`` (到会人员) or ``"expected"`` (应到会人员).
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Mapping, Optional

from shequ_sdk import InputError, Setting

ASSEMBLY_QUORUM_ADULTS = "decisions.assembly_quorum_adults"
ASSEMBLY_QUORUM_HOUSEHOLDS = "decisions.assembly_quorum_households"
ASSEMBLY_MAJORITY = "decisions.assembly_majority"
REPRESENTATIVES_QUORUM = "decisions.representatives_quorum"
REPRESENTATIVES_MAJORITY = "decisions.representatives_majority"
PARTY_QUORUM = "decisions.party_quorum"
PARTY_MAJORITY = "decisions.party_majority"
COMMITTEE_QUORUM = "decisions.committee_quorum"
COMMITTEE_MAJORITY = "decisions.committee_majority"
DISCLOSURE_DAYS = "decisions.disclosure_days"
CONTRACT_MAX_YEARS = "decisions.contract_max_years"
CONTRACT_MAX_ANNUAL_FEN = "decisions.contract_max_annual_fen"
LOCAL_CATEGORIES = "decisions.local_categories"
FINANCE_MAJOR_THRESHOLD = "finance.major_item_threshold_fen"  # the finance plugin's setting, read through the settings API

MORE_THAN_HALF = {"share": "1/2", "inclusive": False, "base": "present"}
TWO_THIRDS_OR_MORE = {"share": "2/3", "inclusive": True}

SETTINGS = (
    Setting(key=ASSEMBLY_QUORUM_ADULTS, default={"share": "1/2", "inclusive": False}, label_zh="村民会议法定人数（十八周岁以上村民）",
            label_en="Villagers' assembly quorum (adult villagers)",
            description_zh="《村民委员会组织法》第二十二条：应当有本村十八周岁以上村民的过半数参加（过半数：不含半数）",
            description_en="Village Committees Organic Law art. 22: more than half of the adult villagers (exactly half is not enough)"),
    Setting(key=ASSEMBLY_QUORUM_HOUSEHOLDS, default=TWO_THIRDS_OR_MORE, label_zh="村民会议法定人数（户代表）",
            label_en="Villagers' assembly quorum (households)",
            description_zh="《村民委员会组织法》第二十二条：或者本村三分之二以上的户的代表参加（以上：含本数，民法典第一千二百五十九条）",
            description_en="Art. 22: or representatives of two-thirds or more of the households ('or more' includes the number: Civil Code art. 1259)"),
    Setting(key=ASSEMBLY_MAJORITY, default=MORE_THAN_HALF, label_zh="村民会议表决通过比例", label_en="Villagers' assembly majority",
            description_zh="《村民委员会组织法》第二十二条：所作决定应当经到会人员的过半数通过",
            description_en="Art. 22: a decision passes by more than half of those present"),
    Setting(key=REPRESENTATIVES_QUORUM, default=TWO_THIRDS_OR_MORE, label_zh="村民代表会议法定人数",
            label_en="Representatives' assembly quorum",
            description_zh="《村民委员会组织法》第二十六条：村民代表会议有三分之二以上的组成人员参加方可召开（含三分之二）",
            description_en="Art. 26: two-thirds or more of the representatives present (exactly two-thirds is enough)"),
    Setting(key=REPRESENTATIVES_MAJORITY, default=MORE_THAN_HALF, label_zh="村民代表会议表决通过比例",
            label_en="Representatives' assembly majority",
            description_zh="《村民委员会组织法》第二十六条：所作决定应当经到会人员的过半数同意",
            description_en="Art. 26: a decision passes by more than half of those present"),
    Setting(key=PARTY_QUORUM, default=TWO_THIRDS_OR_MORE, label_zh="党员大会审议到会比例", label_en="Party members' meeting quorum",
            description_zh="地方四议两公开登记表的常见做法：应到党员三分之二以上到会（地方规定，可按本地调整）",
            description_en="Common local practice in the decision registers: two-thirds or more of the members present (a local rule)"),
    Setting(key=PARTY_MAJORITY, default={"share": "1/2", "inclusive": False, "base": "expected"}, label_zh="党员大会审议通过比例",
            label_en="Party members' meeting majority",
            description_zh="地方做法：超过应到会党员的半数同意（地方规定，可按本地调整）",
            description_en="Local practice: more than half of the members entitled to attend agree (a local rule)"),
    Setting(key=COMMITTEE_QUORUM, default={"share": "1/2", "inclusive": False}, label_zh="两委会议到会比例",
            label_en="Joint committee meeting quorum", description_zh="两委成员过半数到会（常见做法）",
            description_en="More than half of the two committees' members present (common practice)"),
    Setting(key=COMMITTEE_MAJORITY, default=MORE_THAN_HALF, label_zh="两委会议商议通过比例", label_en="Joint committee majority",
            description_zh="到会成员过半数同意（常见做法）", description_en="More than half of those present agree (common practice)"),
    Setting(key=LOCAL_CATEGORIES, default=[], label_zh="本地增设的事项类别", label_en="Local matter categories",
            description_zh="乡镇增设的重大事项类别（如 宅基地使用方案、征地补偿费分配）；设置后，类别为“其他”的事项须在类别说明中填写其中之一",
            description_en="Categories a township adds (e.g. homestead plans, land compensation); when set, a matter of category "
                           "other names one of them in its detail"),
    Setting(key=DISCLOSURE_DAYS, default=7, label_zh="决议和实施结果公开时限（天）", label_en="Days to disclose a resolution or results",
            description_zh="决议作出（或实施完成）后多少天内公开；组织法要求“及时公布”、重大事项“随时公布”，天数由乡镇规定，默认 7 天",
            description_en="Days after the resolution (or completion) within which it is disclosed; the law says promptly, the township sets the days"),
    Setting(key=CONTRACT_MAX_YEARS, default=5, label_zh="不经决议的合同最长期限（年）", label_en="Longest contract term without a decision (years)",
            description_zh="乡镇规定：期限超过此年数的发包、租赁合同须经村民（代表）会议决议（地方规定）",
            description_en="Township rule: contracts longer than this need a villagers' (representatives') assembly decision (local)"),
    Setting(key=CONTRACT_MAX_ANNUAL_FEN, default=5_000_000, label_zh="不经决议的合同年金额上限（分）",
            label_en="Largest yearly contract amount without a decision (fen)",
            description_zh="乡镇规定：年承包（租赁）金超过此金额（默认5万元）的合同须经决议（地方规定）",
            description_en="Township rule: contracts above this yearly amount (¥50,000 by default) need a decision (local)"),
)


def bad_setting(key: str, value, zh: str, en: str) -> InputError:
    return InputError(f"配置项 {key} 的值 {value!r} 无效：{zh}", f"setting {key} = {value!r} is invalid: {en}")


def threshold(key: str, value) -> tuple[Fraction, bool, str]:
    """A quorum or majority setting checked: ``(share, inclusive, base)``."""
    if not isinstance(value, Mapping) or "share" not in value:
        raise bad_setting(key, value, '应为 {"share": "1/2", "inclusive": false}', 'needs {"share": "1/2", "inclusive": false}')
    try:
        share = Fraction(str(value["share"]))
    except (ValueError, ZeroDivisionError):
        raise bad_setting(key, value, "share 须为分数，如 1/2、2/3", "share must be a fraction such as 1/2 or 2/3") from None
    base = value.get("base", "present")
    if not 0 < share <= 1 or base not in ("present", "expected") or not isinstance(value.get("inclusive", False), bool):
        raise bad_setting(key, value, "share 须在 0 到 1 之间，base 为 present 或 expected，inclusive 为 true 或 false",
                          "share must lie in (0, 1], base be present or expected, inclusive be true or false")
    return share, bool(value.get("inclusive", False)), base


def meets(count: Optional[int], total: Optional[int], share: Fraction, inclusive: bool) -> bool:
    """Whether ``count`` of ``total`` reaches ``share``: ``count / total ≥ share`` when the law says
    以上 (``inclusive``), ``>`` when it says 过半数 or 超过. Exact: 4 of 6 is two-thirds."""
    if count is None or not total:
        return False
    ratio = Fraction(count, total)
    return ratio >= share if inclusive else ratio > share


def describe(share: Fraction, inclusive: bool) -> tuple[str, str]:
    """``("三分之二以上", "two-thirds or more")`` for messages."""
    zh_names = {Fraction(1, 2): "半数", Fraction(2, 3): "三分之二", Fraction(3, 4): "四分之三", Fraction(4, 5): "五分之四"}
    en_names = {Fraction(1, 2): "half", Fraction(2, 3): "two-thirds", Fraction(3, 4): "three-quarters", Fraction(4, 5): "four-fifths"}
    zh = zh_names.get(share, f"{share.numerator}/{share.denominator}")
    en = en_names.get(share, f"{share.numerator}/{share.denominator}")
    if share == Fraction(1, 2):
        return ("半数以上", "half or more") if inclusive else ("过半数", "more than half")
    return (f"{zh}以上", f"{en} or more") if inclusive else (f"超过{zh}", f"more than {en}")


def disclosure_due(day: dt.date, days) -> dt.date:
    """The last day a resolution decided on ``day`` (or results completed on ``day``) may be disclosed."""
    return day + dt.timedelta(days=int(days))


def longest_end(start: dt.date, years) -> dt.date:
    """The last day of a term of ``years`` whole years from ``start`` (2010-03-01, 5 → 2015-02-28)."""
    years = int(years)
    try:
        anniversary = start.replace(year=start.year + years)
    except ValueError:  # 29 February
        anniversary = dt.date(start.year + years, 3, 1)
    return anniversary - dt.timedelta(days=1)
