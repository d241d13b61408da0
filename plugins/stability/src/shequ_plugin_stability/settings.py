"""Configurable deadlines (DOMAIN.md §6: "mediation closed in 30 days", 司法确认 within 30 days)."""

from __future__ import annotations

from datetime import date, timedelta

import shequ_sdk
from shequ_sdk import Setting, config

MEDIATION_DAYS = "stability.mediation_days"
EXTENSION_DAYS = "stability.extension_days"
JUDICIAL_DAYS = "stability.judicial_confirmation_days"

SETTINGS = (
    Setting(key=MEDIATION_DAYS, default=30, label_zh="调解期限（天）", label_en="Days to close a mediation",
            description_zh="人民调解一般在受理后一个月内调结（《人民调解工作若干规定》；各地规定 30 日）",
            description_en="A mediation is normally closed within a month of registration (30 days in local rules)"),
    Setting(key=EXTENSION_DAYS, default=30, label_zh="经双方同意可延长（天）", label_en="Extension with both parties' consent (days)",
            description_zh="地方规定：经双方当事人同意可延长一个月", description_en="Local rule: one more month if both parties agree"),
    Setting(key=JUDICIAL_DAYS, default=30, label_zh="申请司法确认期限（天）", label_en="Days to apply for judicial confirmation",
            description_zh="《人民调解法》：调解协议生效之日起 30 日内共同向人民法院申请司法确认",
            description_en="People's Mediation Law: both parties apply to the court within 30 days of the agreement taking effect"),
)


def setting_for(ctx, key: str, region_id: int):
    """A Setting's value for a village inside a row rule: the overrides are read once per batch
    and resolved region → township → county → default in Python, once per village."""
    return ctx.setting(key, region_id)


def due_date(registered_on: date, mediation_days: int, extension_days: int = 0) -> date:
    return registered_on + timedelta(days=mediation_days + extension_days)
