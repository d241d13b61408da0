"""Settings of the commitments plugin and the arithmetic they drive (weights, grade bands, deadlines).

Every default is a setting a township (or county, or one village) may override with
``shequ_sdk.config.set_value``; where each default comes from is in the plugin's README.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Mapping

from shequ_sdk import InputError, Setting

REPLY_DAYS = "commitments.reply_days"
REVIEW_CYCLE = "commitments.review_cycle"
REVIEW_WEIGHTS = "commitments.review_weights"
REVIEW_BANDS = "commitments.review_bands"
CADRE_WEIGHTS = "commitments.cadre_weights"
CADRE_BANDS = "commitments.cadre_bands"
STUDY_MIN = "commitments.study_days_min"
STUDY_MAX = "commitments.study_days_max"

REVIEW_PARTS = ("leader", "peer", "residents")
REVIEW_COLUMNS = {"leader": "leader_score", "peer": "peer_score", "residents": "resident_score"}
CADRE_PARTS = ("de", "neng", "qin", "ji", "lian")
CYCLES = ("half_year", "year")

SETTINGS = (
    Setting(key=REPLY_DAYS, default=15, label_zh="投诉意见答复期限（天）", label_en="Reply deadline (days)",
            description_zh="收到投诉或意见之日起多少天内答复；乡镇自定，默认 15 天",
            description_en="Days from receipt within which a complaint or comment is answered; a township setting, 15 by default"),
    Setting(key=REVIEW_CYCLE, default="half_year", label_zh="三评周期", label_en="Review cycle",
            description_zh="half_year（每半年评议打分）或 year（每年一次）", description_en="half_year (every half year) or year"),
    Setting(key=REVIEW_WEIGHTS, default={"leader": 30, "peer": 30, "residents": 40}, label_zh="三评权重", label_en="Review weights",
            description_zh="领导点评、党员互评、群众评议的权重（百分比）", description_en="Weights of the leader's, peers' and residents' scores (per cent)"),
    Setting(key=REVIEW_BANDS, default={"excellent": 90, "qualified": 75, "basic": 60}, label_zh="三评等次分数线", label_en="Review grade bands",
            description_zh="综合得分不低于该分数评为优秀、合格、基本合格，低于基本合格线为不合格",
            description_en="Lowest overall score for 优秀, 合格 and 基本合格; below the last is 不合格"),
    Setting(key=CADRE_WEIGHTS, default={"de": 20, "neng": 20, "qin": 20, "ji": 20, "lian": 20}, label_zh="德能勤绩廉权重",
            label_en="Cadre assessment weights", description_zh="德、能、勤、绩、廉五项得分的权重（百分比）",
            description_en="Weights of the five dimension scores (per cent)"),
    Setting(key=CADRE_BANDS, default={"excellent": 90, "competent": 75, "basic": 60}, label_zh="干部考核等次分数线",
            label_en="Cadre grade bands", description_zh="综合得分不低于该分数评为优秀、称职、基本称职，低于基本称职线为不称职",
            description_en="Lowest overall score for 优秀, 称职 and 基本称职; below the last is 不称职"),
    Setting(key=STUDY_MIN, default=1, label_zh="每月学习日下限", label_en="Study days per month (minimum)",
            description_zh="党支部每月固定 1–2 天作为政治理论学习日：少于此数即为缺学", description_en="Fewer study days in a month is a missed month"),
    Setting(key=STUDY_MAX, default=2, label_zh="每月学习日上限", label_en="Study days per month (maximum)",
            description_zh="超过此数提示核对（是否重复登记）", description_en="More in a month is flagged for checking (double entry?)"),
)

TENTH = Decimal("0.1")


def bad_setting(key: str, value, zh: str, en: str) -> InputError:
    return InputError(f"配置项 {key} 的值 {value!r} 无效：{zh}", f"setting {key} = {value!r} is invalid: {en}")


def weights(key: str, value, parts: tuple[str, ...]) -> dict[str, Decimal]:
    """A weights setting checked: one non-negative number per part, not all zero."""
    if not isinstance(value, Mapping) or set(value) != set(parts):
        raise bad_setting(key, value, f"应为 {{{', '.join(parts)}}} 各一个权重", f"needs one weight for each of {', '.join(parts)}")
    try:
        out = {p: Decimal(str(value[p])) for p in parts}
    except Exception:
        raise bad_setting(key, value, "权重须为数字", "weights must be numbers") from None
    if any(w < 0 for w in out.values()) or not sum(out.values()):
        raise bad_setting(key, value, "权重不能为负，且不能全为 0", "weights must be non-negative and not all zero")
    return out


def bands(key: str, value, grades: tuple[str, ...]) -> list[tuple[str, Decimal]]:
    """A bands setting checked: the lowest score of each grade but the last, descending."""
    if not isinstance(value, Mapping) or set(value) != set(grades[:-1]):
        raise bad_setting(key, value, f"应给出 {'、'.join(grades[:-1])} 的分数线", f"needs the lowest score of {', '.join(grades[:-1])}")
    try:
        out = [(g, Decimal(str(value[g]))) for g in grades[:-1]]
    except Exception:
        raise bad_setting(key, value, "分数线须为数字", "bands must be numbers") from None
    if any(a[1] <= b[1] for a, b in zip(out, out[1:])) or not all(0 <= v <= 100 for _, v in out):
        raise bad_setting(key, value, "分数线须在 0–100 之间且逐级降低", "bands must lie within 0–100 and fall grade by grade")
    return out


def weighted(scores: Mapping[str, float], w: Mapping[str, Decimal]) -> Decimal:
    """Σ weight × score ÷ Σ weight, to one decimal (half up), in exact decimal arithmetic."""
    total = sum(w[p] * Decimal(str(scores[p])) for p in w)
    return (total / sum(w.values())).quantize(TENTH, rounding=ROUND_HALF_UP)


def grade_for(score: Decimal, b: list[tuple[str, Decimal]], last: str) -> str:
    for grade, lowest in b:
        if score >= lowest:
            return grade
    return last


def reply_due(received: dt.date, days) -> dt.date:
    return received + dt.timedelta(days=int(days))


def review_score(row_or_dict, w) -> Decimal:
    get = (lambda k: row_or_dict[k]) if isinstance(row_or_dict, Mapping) else (lambda k: getattr(row_or_dict, k))
    return weighted({p: get(REVIEW_COLUMNS[p]) for p in REVIEW_PARTS}, w)


def cadre_score(row_or_dict, w) -> Decimal:
    get = (lambda k: row_or_dict[k]) if isinstance(row_or_dict, Mapping) else (lambda k: getattr(row_or_dict, k))
    return weighted({p: get(p) for p in CADRE_PARTS}, w)
