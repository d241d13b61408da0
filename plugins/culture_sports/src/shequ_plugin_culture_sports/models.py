"""Record tables of the culture and sports association (文体协会): libraries (农家书屋 / 图书室),
their yearly stocktakes, the loan register and cultural and sports activities (DOMAIN.md §8)."""

from __future__ import annotations

from datetime import date
from typing import Optional

from sqlalchemy import Index

from shequ_sdk import Record, field

LIBRARY_KINDS = {
    "farmhouse": ("农家书屋", "farmhouse library"),
    "reading_room": ("图书室", "library room"),
    "branch": ("县图书馆分馆", "county library branch"),
}

# Typical village and community activities (DOMAIN.md §8.2); "other" keeps the list open.
ACTIVITY_KINDS = {
    "village_gala": ("村晚", "village gala"),
    "yangge": ("秧歌", "yangge dance"),
    "dragon_dance": ("舞龙", "dragon dance"),
    "gongs_drums": ("锣鼓", "gongs and drums"),
    "basketball": ("篮球赛", "basketball match"),
    "tug_of_war": ("拔河", "tug of war"),
    "chess": ("象棋", "Chinese chess"),
    "square_dance": ("广场舞", "square dance"),
    "reading": ("读书会", "reading club"),
    "couplets": ("送春联", "spring couplets"),
    "lantern": ("元宵灯会", "lantern festival"),
    "opera": ("戏曲", "local opera"),
    "calligraphy": ("书画", "calligraphy and painting"),
    "taichi": ("太极拳", "tai chi"),
    "film": ("电影放映", "film screening"),
    "fitness": ("健身", "fitness"),
    "other": ("其他", "other"),
}


class Library(Record, table=True):
    """A farmhouse library (农家书屋) or library room (图书室) run in a village or community."""

    __tablename__ = "culture_sports_library"
    __table_args__ = (Index("ix_culture_sports_library_region_dates", "region_id", "established", "closed"),)
    association_id: Optional[int] = field(default=None, foreign_key="association.id", label_zh="所属文体协会", label_en="Association")
    name: str = field(label_zh="名称", label_en="Name")
    kind: str = field(default="farmhouse", label_zh="类别", label_en="Kind", choices=LIBRARY_KINDS)
    books: int = field(ge=0, label_zh="藏书(册)", label_en="Books (volumes)",
                       note_zh="现有藏书册数；按年盘点见「藏书盘点」", note_en="Current holdings; yearly counts are in the stocktakes")
    titles: Optional[int] = field(default=None, ge=0, label_zh="图书品种(种)", label_en="Titles")
    periodicals: Optional[int] = field(default=None, ge=0, label_zh="报刊(种)", label_en="Periodicals")
    av_items: Optional[int] = field(default=None, ge=0, label_zh="音像制品(种)", label_en="Audio-visual items")
    hours_per_week: Optional[float] = field(default=None, ge=0, le=168, label_zh="每周开放时长(小时)", label_en="Opening hours per week")
    area_m2: Optional[float] = field(default=None, ge=0, label_zh="面积(平方米)", label_en="Area (m²)")
    established: Optional[date] = field(default=None, label_zh="建成日期", label_en="Established")
    closed: Optional[date] = field(default=None, label_zh="停办日期", label_en="Closed")
    manager_name: Optional[str] = field(default=None, sensitive="name", label_zh="书屋管理员", label_en="Librarian")


class LibraryStock(Record, table=True):
    """A stocktake (藏书盘点) of one library: holdings on a date, usually the year end."""

    __tablename__ = "culture_sports_library_stock"
    __table_args__ = (Index("ix_culture_sports_library_stock_library_date", "library_id", "stock_date"),)
    library_id: int = field(foreign_key="culture_sports_library.id", label_zh="书屋", label_en="Library")
    stock_date: date = field(label_zh="盘点日期", label_en="Stocktake date")
    books: int = field(ge=0, label_zh="藏书(册)", label_en="Books (volumes)")
    titles: Optional[int] = field(default=None, ge=0, label_zh="图书品种(种)", label_en="Titles")
    periodicals: Optional[int] = field(default=None, ge=0, label_zh="报刊(种)", label_en="Periodicals")
    av_items: Optional[int] = field(default=None, ge=0, label_zh="音像制品(种)", label_en="Audio-visual items")
    new_titles: Optional[int] = field(default=None, ge=0, label_zh="本年新增品种(种)", label_en="New titles this year")


class Loan(Record, table=True):
    """One line of the loan register (图书借阅登记簿)."""

    __tablename__ = "culture_sports_loan"
    __table_args__ = (Index("ix_culture_sports_loan_region_lent", "region_id", "lent_on"),)
    library_id: int = field(foreign_key="culture_sports_library.id", index=True, label_zh="书屋", label_en="Library")
    borrower_name: str = field(sensitive="name", label_zh="借阅人", label_en="Borrower")
    household_id: Optional[int] = field(default=None, foreign_key="household.id", label_zh="借阅人所在户", label_en="Borrower's household")
    title: str = field(label_zh="书名", label_en="Title")
    call_no: Optional[str] = field(default=None, label_zh="图书编号", label_en="Call no.", note_zh="类别名称+序号", note_en="category + serial")
    lent_on: date = field(label_zh="借出日期", label_en="Lent on")
    due_on: Optional[date] = field(default=None, label_zh="应还日期", label_en="Due on")
    returned_on: Optional[date] = field(default=None, label_zh="归还日期", label_en="Returned on")


class Activity(Record, table=True):
    """A cultural or sports activity (文体活动) held in a village or community."""

    __tablename__ = "culture_sports_activity"
    __table_args__ = (Index("ix_culture_sports_activity_region_date", "region_id", "activity_date"),)
    association_id: Optional[int] = field(default=None, foreign_key="association.id", label_zh="主办协会", label_en="Association")
    activity_date: date = field(label_zh="活动日期", label_en="Date")
    kind: str = field(label_zh="活动类型", label_en="Type", choices=ACTIVITY_KINDS)
    title: Optional[str] = field(default=None, label_zh="活动名称", label_en="Title")
    participants: int = field(ge=0, label_zh="参与人次", label_en="Participants")
    place: str = field(label_zh="地点", label_en="Place")
    funding_fen: Optional[int] = field(default=None, ge=0, money=True, label_zh="活动经费", label_en="Funding")
