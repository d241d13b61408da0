"""Star lists (星目) of the star-rated civilised household scheme.

There is no national standard (DOMAIN.md §4.1): each township (乡镇) picks its own ten stars.
Two settings decide a township's list:

- ``civility.star_scheme``: a built-in variant by key or Chinese name (``liulin`` / ``柳林乡``,
  ``weigang`` / ``魏岗镇``, ``core_values`` / ``核心价值观``, ``wenmingwei`` / ``市文明委``,
  ``new_five`` / ``新五星``);
- ``civility.star_list``: the township's own list of star names; its default is the 柳林乡 list.

The nearest level that sets either one wins (village, then township, then county, then the
whole database); when one level sets both, its own list wins. A rating's ``stars`` column holds
star names from that list, so a township's own list needs no codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Optional

from shequ_sdk import InputError, Region, config
from shequ_sdk.plugins import registry


@dataclass(frozen=True)
class StarScheme:
    key: str
    name_zh: str
    name_en: str
    stars: tuple[str, ...]
    source: str


SCHEMES = {
    s.key: s
    for s in (
        StarScheme("liulin", "柳林乡", "Liulin township (Zhushan, Hubei)",
                   ("爱国星", "法纪星", "资源星", "安全星", "和谐星", "致富星", "新风星", "诚信星", "奉献星", "卫生星"),
                   "http://wap.zhushan.cn/p/247429.html"),
        StarScheme("weigang", "魏岗镇", "Weigang town (Bozhou, Anhui): clean and civilised households",
                   ("五爱星", "致富星", "科教星", "法纪星", "人口星", "诚信星", "新风星", "公德星", "团结星", "生态星"),
                   "http://bz.wenming.cn/wmcz/201807/t20180711_5319282.html"),
        # The post-2016 re-badging names six values (DOMAIN.md §4.1, memory); the last four stars
        # complete the ten from the 市文明委 areas below.
        StarScheme("core_values", "核心价值观", "Core socialist values",
                   ("爱国守法星", "诚信友善星", "孝老爱亲星", "勤劳致富星", "文明新风星", "卫生环境星",
                    "重教尚文星", "热心公益星", "履行义务星", "思想进步星"),
                   "DOMAIN.md §4.1 [memory]"),
        StarScheme("wenmingwei", "市文明委", "A city civilisation committee's ten areas",
                   ("思想进步星", "道德高尚星", "重教尚文星", "勤劳致富星", "遵纪守法星", "履行义务星", "计划生育星", "移风易俗星",
                    "环境卫生星", "热心公益星"),
                   "https://www.51vvv.com/content/95895050.html"),
        StarScheme("new_five", "新五星", "New five-star civilised families",
                   ("勤劳节俭星", "孝敬和睦星", "诚信友善星", "洁美环保星", "书香文化星"),
                   "https://www.nnzhiyuan.cn/article/74847.html"),
    )
}
DEFAULT_SCHEME = "liulin"

STAR_EN = {
    "爱国星": "patriotism", "法纪星": "law and discipline", "资源星": "resources", "安全星": "safety", "和谐星": "harmony",
    "致富星": "prosperity", "新风星": "new customs", "诚信星": "integrity", "奉献星": "dedication", "卫生星": "hygiene",
    "五爱星": "five loves", "科教星": "science and education", "人口星": "population", "公德星": "public morals", "团结星": "unity",
    "生态星": "ecology", "爱国守法星": "patriotic and law-abiding", "诚信友善星": "honest and friendly", "孝老爱亲星": "filial and caring",
    "勤劳致富星": "hard work and prosperity", "文明新风星": "civilised customs", "卫生环境星": "clean surroundings",
    "重教尚文星": "education and culture", "热心公益星": "public welfare", "履行义务星": "civic duties", "思想进步星": "progressive thinking",
    "道德高尚星": "high morals", "遵纪守法星": "law-abiding", "计划生育星": "family planning", "移风易俗星": "reformed customs",
    "环境卫生星": "environmental hygiene", "勤劳节俭星": "hard work and thrift", "孝敬和睦星": "filial and harmonious",
    "洁美环保星": "clean and green", "书香文化星": "reading and culture",
}

_SEPARATORS = re.compile(r"[、,，;；\s]+")


def star_label(name: str, lang: str = "zh") -> str:
    return name if lang == "zh" else STAR_EN.get(name, name)


@lru_cache(maxsize=65536)
def parse_stars(text: Optional[str]) -> tuple[str, ...]:
    """The star names in a ``stars`` value, in order, repeats kept (rules report them)."""
    if not text:
        return ()
    return tuple(s for s in _SEPARATORS.split(str(text).strip()) if s)


def format_stars(names: Iterable[str]) -> str:
    return "、".join(names)


def scheme(name: str) -> StarScheme:
    """A built-in variant by key (``weigang``) or Chinese name (``魏岗镇``)."""
    text = str(name).strip()
    for s in SCHEMES.values():
        if text in (s.key, s.name_zh):
            return s
    known = "、".join(f"{s.key}（{s.name_zh}）" for s in SCHEMES.values())
    raise InputError(f"未知的星目方案 {text!r}（可选：{known}）", f"unknown star scheme {text!r} (known: {', '.join(SCHEMES)})")


def check_list(stars) -> tuple[str, ...]:
    """A township's own star list, checked: a non-empty list of distinct, non-empty names."""
    if isinstance(stars, str):
        stars = parse_stars(stars)
    if not isinstance(stars, (list, tuple)) or not stars:
        raise InputError("星目应为非空的星名列表", "a star list must be a non-empty list of star names")
    names = [str(s).strip() for s in stars]
    if any(not n or _SEPARATORS.search(n) for n in names):
        raise InputError(f"星名不能为空或含分隔符：{names}", f"star names cannot be empty or contain separators: {names}")
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise InputError(f"星目中有重复的星：{'、'.join(dup)}", f"the star list repeats {', '.join(dup)}")
    return tuple(names)


@dataclass(frozen=True)
class StarList:
    """A region's effective star list and where it came from (for messages)."""

    stars: tuple[str, ...]
    source_zh: str
    source_en: str


class Resolver:
    """Effective star lists, reading both settings' overrides once (rules keep one per batch)."""

    def __init__(self, session):
        self.session = session
        self.own = config.overrides(session, "civility.star_list")
        self.chosen = config.overrides(session, "civility.star_scheme")
        self._names: dict[int, str] = {}
        self._lists: dict[Optional[int], StarList] = {}

    def __call__(self, region: Optional[Region]) -> StarList:
        key = region.id if region is not None else None
        if key not in self._lists:
            self._lists[key] = self._resolve(region)
        return self._lists[key]

    def _resolve(self, region: Optional[Region]) -> StarList:
        chain = [] if region is None else [r for r in dict.fromkeys((region.id, region.township_id, region.county_id)) if r is not None]
        for rid in chain:
            if rid in self.own or rid in self.chosen:
                return self._pick(rid, self._name(rid))
        if None in self.own or None in self.chosen:
            return self._pick(None, ("全库", "the database"))
        default = registry().settings["civility.star_list"].default
        return StarList(tuple(default), "默认星目（柳林乡）", "the default (Liulin) list")

    def _name(self, rid: int) -> tuple[str, str]:
        if rid not in self._names:
            found = self.session.get(Region, rid)
            self._names[rid] = found.name if found is not None else str(rid)
        return self._names[rid], self._names[rid]

    def _pick(self, rid, where: tuple[str, str]) -> StarList:
        if rid in self.own:
            return StarList(check_list(self.own[rid]), f"{where[0]}自定星目", f"{where[1]}'s own star list")
        s = scheme(self.chosen[rid])
        return StarList(s.stars, f"{where[0]}选用的{s.name_zh}星目", f"the {s.key} list chosen by {where[1]}")


def resolve(session, regions: list[Region]) -> dict[int, StarList]:
    """``{region.id: StarList}`` for many regions with two queries."""
    resolver = Resolver(session)
    return {r.id: resolver(r) for r in regions}


def star_list(session, region: Optional[Region] = None) -> StarList:
    """The star list in force for ``region`` (a village, township or county; ``None``: the whole database)."""
    return Resolver(session)(region)
