"""Record tables of the star-rated civilised household scheme (十星级文明户) and the household
awards run with the women's federation (好媳妇 / 好婆婆 / 最美家庭 …), DOMAIN.md §4."""

from __future__ import annotations

from datetime import date
from typing import Optional

from sqlalchemy import Index, UniqueConstraint

from shequ_sdk import Record, field

TIERS = {
    "bronze": ("铜星级", "bronze"),
    "silver": ("银星级", "silver"),
    "gold": ("金星级", "gold"),
}

AWARDS = {
    "good_daughter_in_law": ("好媳妇", "good daughter-in-law"),
    "good_mother_in_law": ("好婆婆", "good mother-in-law"),
    "good_sister_in_law": ("好妯娌", "good sister-in-law"),
    "most_beautiful_family": ("最美家庭", "most beautiful family"),
    "five_good_family": ("五好家庭", "five-good family"),
    "civilised_family": ("文明家庭", "civilised family"),
}
PERSON_AWARDS = ("good_daughter_in_law", "good_mother_in_law", "good_sister_in_law")

AWARD_LEVELS = {
    "village": ("村级", "village"), "township": ("乡镇级", "township"), "county": ("县级", "county"),
    "city": ("市级", "city"), "province": ("省级", "province"), "national": ("国家级", "national"),
}


class StarRating(Record, table=True):
    """One household's rating for one year: the stars it earned on its township's star list."""

    __tablename__ = "civility_star_rating"
    __table_args__ = (
        UniqueConstraint("household_id", "year", name="uq_civility_star_rating_household_year"),
        Index("ix_civility_star_rating_region_year", "region_id", "year", "star_count"),
    )
    household_id: int = field(foreign_key="household.id", label_zh="户", label_en="Household")
    year: int = field(ge=1980, le=2100, label_zh="评定年度", label_en="Year")
    star_count: int = field(ge=0, le=30, label_zh="星数", label_en="Stars")
    stars: Optional[str] = field(default=None, label_zh="所得星项", label_en="Stars earned",
                                 note_zh="本乡镇星目中的星名，用顿号或逗号分隔，如 爱国星、法纪星",
                                 note_en="star names from the township's list, separated by 、 or commas")
    tier: Optional[str] = field(default=None, label_zh="星级档次", label_en="Tier", choices=TIERS)
    rated_on: Optional[date] = field(default=None, label_zh="评定日期", label_en="Rated on", note_zh="村两委考核日期", note_en="date of the committee's assessment")
    notice_from: Optional[date] = field(default=None, label_zh="公示开始", label_en="Public notice from")
    notice_to: Optional[date] = field(default=None, label_zh="公示结束", label_en="Public notice to")
    plaque_on: Optional[date] = field(default=None, label_zh="挂牌日期", label_en="Plaque hung on")
    revoked_on: Optional[date] = field(default=None, label_zh="撤销日期", label_en="Revoked on")
    revoke_reason: Optional[str] = field(default=None, label_zh="撤销原因", label_en="Reason for revocation")


class HouseholdAward(Record, table=True):
    """A household or family-member award: 好媳妇, 好婆婆, 好妯娌, 最美家庭, 五好家庭, 文明家庭."""

    __tablename__ = "civility_household_award"
    __table_args__ = (Index("ix_civility_household_award_region_year", "region_id", "year", "award"),)
    household_id: int = field(foreign_key="household.id", index=True, label_zh="户", label_en="Household")
    person_name: str = field(sensitive="name", label_zh="获奖人", label_en="Recipient",
                             note_zh="家庭类奖项填家庭代表", note_en="for family awards, the family's representative")
    award: str = field(label_zh="奖项", label_en="Award", choices=AWARDS)
    year: int = field(ge=1980, le=2100, label_zh="年度", label_en="Year")
    awarded_by: Optional[str] = field(default=None, label_zh="评选单位", label_en="Awarding body", note_zh="如 村妇联、镇妇联、县文明委")
    level: Optional[str] = field(default=None, label_zh="级别", label_en="Level", choices=AWARD_LEVELS)
    notice_from: Optional[date] = field(default=None, label_zh="公示开始", label_en="Public notice from")
    notice_to: Optional[date] = field(default=None, label_zh="公示结束", label_en="Public notice to")
