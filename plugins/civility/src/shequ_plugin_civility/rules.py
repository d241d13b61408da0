"""Validation rules and settings of the civility plugin."""

from __future__ import annotations

from operator import itemgetter

from sqlalchemy import select

from shequ_sdk import Household, InputError, Problem, Region, Rule, Setting, config
from shequ_sdk.plugins import registry

from .models import AWARDS, PERSON_AWARDS, TIERS, HouseholdAward, StarRating
from .stars import SCHEMES, Resolver, parse_stars

SETTINGS = [
    Setting(key="civility.star_scheme", default="liulin", label_zh="星目方案", label_en="Star scheme",
            description_zh="选用的星目：" + "、".join(f"{s.key}（{s.name_zh}）" for s in SCHEMES.values()) + "；同级设了自定星目时以自定为准",
            description_en="The built-in star list a township uses: " + ", ".join(SCHEMES) + "; a township's own list at the same level wins"),
    Setting(key="civility.star_list", default=list(SCHEMES["liulin"].stars), label_zh="星目", label_en="Star list",
            description_zh="本乡镇评定的星名列表（默认：湖北竹山柳林乡十星）",
            description_en="The stars a township rates (default: the ten stars of Liulin township, Zhushan, Hubei)"),
    # 贵州修文 2023: 5–7 stars bronze, 8–9 silver, 10+ gold
    Setting(key="civility.tiers", default={"bronze": 5, "silver": 8, "gold": 10}, label_zh="星级档次起点", label_en="Tier thresholds",
            description_zh="铜/银/金星级文明户所需的最少星数", description_en="Fewest stars for the bronze, silver and gold tiers"),
    Setting(key="civility.revocation_ban_years", default=2, label_zh="撤销后不得参评年数", label_en="Years barred after revocation",
            description_zh="星级被撤销的户在此后若干年内不得再参评", description_en="Years a household whose stars were revoked may not be rated again"),
]


def setting_for(ctx, key: str, region_id: int):
    """A setting's value for a region, reading its overrides once per batch."""
    return ctx.setting(key, region_id)


def _getter(*names):
    """Read several columns at once: validated rows are dicts, ``shequ check`` passes ORM rows."""
    get = itemgetter(*names)

    def read(row):
        return get(row) if isinstance(row, dict) else tuple(getattr(row, n) for n in names)

    return read


_HOUSEHOLD_OF = _getter("household_id", "region_id")


def _stars_of(ctx, region_id: int):
    """The star list of the row's village, or an InputError when the setting is malformed."""
    resolver = ctx.memo(("civility.resolver",), lambda: Resolver(ctx.session))
    try:
        return resolver(ctx.region(region_id))
    except InputError as exc:
        return exc


def _bad_setting(exc: InputError, value) -> Problem:
    return Problem(f"本乡镇的星目设置无效：{exc.zh}", f"the township's star-list setting is invalid: {exc.en}", field="stars", value=value)


def _per_region(ctx, name: str, region_id: int, load):
    """A per-batch cache of one lookup per village (rules run on every row of large batches)."""
    table = ctx.cache.get(name)
    if table is None:
        table = ctx.cache[name] = {}
    found = table.get(region_id)
    if found is None:
        found = table[region_id] = load(ctx, region_id)
    return found


_HOUSEHOLD = Household.__table__.c
_BULK_AFTER = 16  # villages looked up one by one before a batch loads every household at once


def _load_households(ctx, region_id: int) -> set[int]:
    misses = ctx.cache["civility.household_misses"] = ctx.cache.get("civility.household_misses", 0) + 1
    if misses == _BULK_AFTER:  # a large batch (an import, the generator): one query for all villages
        table = ctx.cache["civility.households"]
        for hid, rid in ctx.session.execute(select(_HOUSEHOLD.id, _HOUSEHOLD.region_id)).all():
            table.setdefault(rid, set()).add(hid)
        return table.setdefault(region_id, set())
    return set(ctx.session.execute(select(_HOUSEHOLD.id).where(_HOUSEHOLD.region_id == region_id)).scalars())


def _households(ctx, region_id: int) -> set[int]:
    return _per_region(ctx, "civility.households", region_id, _load_households)


def _village(ctx, region_id: int) -> str:
    region = ctx.region(region_id)
    return region.name if region is not None else str(region_id)


def _household_problems(row, ctx, what) -> list[Problem]:
    """The household must live in the row's village; ``what(row)`` names the record (only on failure)."""
    household_id, region_id = _HOUSEHOLD_OF(row)
    if household_id in _households(ctx, region_id):
        return []
    what_zh, what_en = what(row)
    other = ctx.session.get(Household, row.household_id)
    if other is None:
        return [Problem(f"{what_zh}所指的户不存在", f"{what_en}: no such household", field="household_id", value=row.household_id)]
    return [Problem(f"{what_zh}：户 {other.number} 属于{_village(ctx, other.region_id)}，不是{_village(ctx, row.region_id)}的住户",
                    f"{what_en}: household {other.number} belongs to {_village(ctx, other.region_id)}, not {_village(ctx, row.region_id)}",
                    field="household_id", value=row.household_id)]


# -- star ratings ---------------------------------------------------------------------------
#
# These rules run on every rating of large imports and of the generator, so each reads the
# columns it needs in one step and caches per batch what repeats: a village's star list, a star string's verdict, a date pattern.

def _cache(ctx, name: str, factory=dict):
    found = ctx.cache.get(name)
    if found is None:
        found = ctx.cache[name] = factory()
    return found


_STARS = _getter("region_id", "stars", "star_count")


def _verdict(ctx, region_id, stars, count):
    """What is wrong with a rating's stars: ``(list, off-list names, repeated names, too many,
    mismatched count)``, or the InputError of a malformed setting."""
    found = _per_region(ctx, "civility.lists", region_id, _stars_of)
    if isinstance(found, InputError):
        return found
    cache = _cache(ctx, "civility.verdicts")
    key = (found.stars, stars, count)
    verdict = cache.get(key)
    if verdict is None:
        names = parse_stars(stars)
        unique = tuple(dict.fromkeys(names))
        allowed = set(found.stars)
        off = tuple(n for n in unique if n not in allowed)
        repeated = tuple((n, names.count(n)) for n in unique if names.count(n) > 1) if len(unique) != len(names) else ()
        mismatch = len(names) if names and len(names) != count else None
        verdict = cache[key] = (found, off, repeated, count > len(found.stars), mismatch)
    return verdict


def stars_valid(row, ctx):
    """The stars named are on the township's list, none twice; no more stars than the list has
    (no eleventh star on a ten-star list) and ``star_count`` matches the stars named."""
    region_id, stars, count = _STARS(row)
    verdict = _verdict(ctx, region_id, stars, count)
    if isinstance(verdict, InputError):
        return [_bad_setting(verdict, stars or count)]
    found, off, repeated, too_many, mismatch = verdict
    if not (off or repeated or too_many or mismatch is not None):
        return ()
    out = [Problem(f"「{name}」不在本乡镇的星目中（{found.source_zh}：{'、'.join(found.stars)}）",
                   f"{name!r} is not on the township's star list ({found.source_en}: {', '.join(found.stars)})",
                   field="stars", value=name) for name in off]
    out += [Problem(f"「{name}」重复评了 {n} 次", f"{name!r} is awarded {n} times", field="stars", value=name) for name, n in repeated]
    if too_many:
        out.append(Problem(f"星数 {count} 超过本乡镇星目的 {len(found.stars)} 颗星（{found.source_zh}）",
                           f"{count} stars, but the township's list has only {len(found.stars)} ({found.source_en})",
                           field="star_count", value=count))
    if mismatch is not None:
        out.append(Problem(f"星数 {count} 与所列星项数 {mismatch} 不符", f"star_count is {count} but {mismatch} stars are listed",
                           field="star_count", value=count))
    return out


_TIER = _getter("region_id", "star_count", "tier")


def _tier_floors(ctx, region_id: int):
    return sorted(((least, code) for code, least in setting_for(ctx, "civility.tiers", region_id).items()), reverse=True)


def tier_matches(row, ctx):
    region_id, count, tier = _TIER(row)
    if tier is None:
        return ()
    expected = next((code for least, code in _per_region(ctx, "civility.tier_floors", region_id, _tier_floors) if count >= least), None)
    if expected == tier:
        return ()
    want_zh = TIERS[expected][0] if expected in TIERS else "无档次"
    return [Problem(f"{count} 颗星应为{want_zh}，不是{TIERS.get(tier, (tier,))[0]}",
                    f"{count} stars make the tier {expected or 'none'}, not {tier}", field="tier", value=tier)]


_RATED = _getter("household_id", "year", "region_id")


def one_rating_per_year(row, ctx):
    """A household is rated once a year: not twice in a batch, and (when inserting) not again."""
    household_id, year, region_id = _RATED(row)
    key = (household_id, year)
    seen = _cache(ctx, "civility.rated")
    if key in seen:
        return [Problem(f"户 {household_id} 在 {year} 年度已于本批第 {seen[key]} 行评定过",
                        f"household {household_id} is already rated for {year} in row {seen[key]} of this batch",
                        field="household_id", value=household_id)]
    seen[key] = ctx.row_number
    stored = _per_region(ctx, "civility.stored", region_id, _stored_ratings).get(key)
    if not stored or getattr(ctx, "mode", "insert") == "upsert":
        return ()
    others = [i for i in stored if i != getattr(row, "id", None)]
    if not others:
        return ()
    return [Problem(f"户 {household_id} 在 {year} 年度已有评定（记录 {others[0]}），一年只评一次",
                    f"household {household_id} already has a {year} rating (record {others[0]}); a household is rated once a year",
                    field="year", value=year)]


def _stored_ratings(ctx, region_id: int) -> dict[tuple[int, int], list[int]]:
    out: dict[tuple[int, int], list[int]] = {}
    c = StarRating.__table__.c
    q = select(c.household_id, c.year, c.id).where(c.region_id == region_id)
    for hid, year, rid in ctx.session.execute(q):
        out.setdefault((hid, year), []).append(rid)
    return out


def _what(row) -> tuple[str, str]:
    return f"{row.year} 年度星级评定", f"{row.year} star rating"


def rating_household(row, ctx):
    return _household_problems(row, ctx, _what)


_DATES = (("rated_on", "评定日期", "rating date"), ("notice_from", "公示开始", "notice start"), ("notice_to", "公示结束", "notice end"),
          ("plaque_on", "挂牌日期", "plaque date"), ("revoked_on", "撤销日期", "revocation date"))
_DATE_VALUES = _getter("year", "rated_on", "notice_from", "notice_to", "plaque_on", "revoked_on", "revoke_reason")


def rating_dates(row, ctx):
    key = _DATE_VALUES(row)
    # a village rates its households on one day with one notice: remember the patterns that passed
    passed = _cache(ctx, "civility.dates_ok", set)
    if key in passed:
        return ()
    year, rated_on, notice_from, notice_to, plaque_on, revoked_on, reason = key
    today = ctx.today
    out = []
    if year > today.year:
        out.append(Problem(f"评定年度 {year} 晚于今年", f"rating year {year} is in the future", field="year", value=year))
    for (name, label_zh, label_en), value in zip(_DATES, key[1:6]):
        if value is None:
            continue
        if value > today:
            out.append(Problem(f"{label_zh}晚于今天", f"the {label_en} is in the future", field=name, value=value))
        if value.year < year:
            out.append(Problem(f"{label_zh}早于评定年度 {year}", f"the {label_en} falls before the rating year {year}", field=name, value=value))
    if notice_from and notice_to and notice_to < notice_from:
        out.append(Problem("公示结束日期早于开始日期", "the public notice ends before it starts", field="notice_to", value=notice_to))
    if rated_on and notice_from and notice_from < rated_on:
        out.append(Problem("先评定后公示：公示开始早于评定日期", "the public notice starts before the rating", field="notice_from", value=notice_from))
    if plaque_on and notice_to and plaque_on < notice_to:
        out.append(Problem("公示结束后才能挂牌", "the plaque is hung before the public notice ends", field="plaque_on", value=plaque_on))
    if revoked_on and not (reason or "").strip():
        out.append(Problem("撤销星级须注明原因", "a revocation needs a reason", field="revoke_reason", value=reason))
    if reason and revoked_on is None:
        out.append(Problem("填写了撤销原因但没有撤销日期", "a revocation reason without a revocation date", field="revoked_on", value=None))
    if not out:
        passed.add(key)
    return out


def rerated_after_revocation(session):
    """Warning: a household rated again within the barred years after its stars were revoked."""
    revoked = session.execute(
        select(StarRating.household_id, StarRating.region_id, StarRating.revoked_on).where(StarRating.revoked_on.is_not(None))
    ).all()
    if not revoked:
        return
    regions = {r.id: r for r in session.execute(select(Region).where(Region.id.in_({r.region_id for r in revoked}))).scalars()}
    bans = config.resolve_for(session, "civility.revocation_ban_years", list(regions.values()))
    households = {r.household_id for r in revoked}
    later = {}
    for hid, year, rid in session.execute(select(StarRating.household_id, StarRating.year, StarRating.id).where(StarRating.household_id.in_(households))):
        later.setdefault(hid, []).append((year, rid))
    for hid, region_id, revoked_on in revoked:
        ban = bans.get(region_id, 2)
        for year, rid in sorted(later.get(hid, ())):
            if revoked_on.year < year <= revoked_on.year + ban:
                yield Problem(f"户 {hid} 的星级于 {revoked_on} 被撤销，{ban} 年内不得再参评，却在 {year} 年度评定",
                              f"household {hid} had its stars revoked on {revoked_on} and may not be rated for {ban} years, but is rated for {year}",
                              table="civility_star_rating", row=rid, field="year", value=year)


# -- household awards -------------------------------------------------------------------------

def award_household(row, ctx):
    return _household_problems(row, ctx, lambda r: (f"{r.year} 年度{AWARDS[r.award][0]}", f"{r.year} {AWARDS[r.award][1]} award"))


def award_dates(row, ctx):
    zh, en = AWARDS[row.award]
    if row.year > ctx.today.year:
        yield Problem(f"{zh}的评选年度 {row.year} 晚于今年", f"the {en} award year {row.year} is in the future", field="year", value=row.year)
    if row.notice_from and row.notice_to and row.notice_to < row.notice_from:
        yield Problem("公示结束日期早于开始日期", "the public notice ends before it starts", field="notice_to", value=row.notice_to)
    for name in ("notice_from", "notice_to"):
        value = getattr(row, name)
        if value is not None and value > ctx.today:
            yield Problem("公示日期晚于今天", "the public notice is dated in the future", field=name, value=value)


def award_once(row, ctx):
    """The same person gets the same award once a year (a family award: once per household)."""
    person = row.person_name if row.award in PERSON_AWARDS else ""
    key = (row.household_id, row.award, row.year, person)
    seen = ctx.memo(("civility.awarded",), dict)
    if key in seen:
        yield Problem(f"{row.person_name} 的 {row.year} 年度{AWARDS[row.award][0]}与本批第 {seen[key]} 行重复",
                      f"{row.year} {AWARDS[row.award][1]} for this recipient repeats row {seen[key]} of this batch",
                      field="award", value=row.award)
        return
    seen[key] = ctx.row_number
    stored = _per_region(ctx, "civility.stored_awards", row.region_id, _stored_awards)
    for rid, name in stored.get(key, ()):
        # an upsert updates the row with its natural key; anything else is a second award
        if rid == getattr(row, "id", None) or (getattr(ctx, "mode", "insert") == "upsert" and name == row.person_name):
            continue
        yield Problem(f"{name} 已获 {row.year} 年度{AWARDS[row.award][0]}（记录 {rid}）",
                      f"this {'recipient' if person else 'household'} already holds the {row.year} {AWARDS[row.award][1]} award (record {rid})",
                      field="award", value=row.award)
        return


def _stored_awards(ctx, region_id: int) -> dict[tuple, list[tuple[int, str]]]:
    out: dict[tuple, list[tuple[int, str]]] = {}
    c = HouseholdAward.__table__.c
    q = select(c.household_id, c.award, c.year, c.person_name, c.id)
    for hid, award, year, person, rid in ctx.session.execute(q.where(c.region_id == region_id)):
        out.setdefault((hid, award, year, person if award in PERSON_AWARDS else ""), []).append((rid, person))
    return out


RULES = [
    Rule(key="civility.stars_valid", label_zh="星项在本乡镇星目中、不重复、不超过星目星数",
         label_en="Stars are on the township's list, not repeated, and no more than the list holds",
         table="civility_star_rating", check_row=stars_valid),
    Rule(key="civility.tier_matches", label_zh="星级档次与星数相符", label_en="Tier matches the star count",
         table="civility_star_rating", check_row=tier_matches),
    Rule(key="civility.one_rating_per_year", label_zh="每户每年只评一次", label_en="One rating per household and year",
         table="civility_star_rating", check_row=one_rating_per_year),
    Rule(key="civility.rating_household", label_zh="参评户属于本村", label_en="Rated household belongs to the village",
         table="civility_star_rating", check_row=rating_household),
    Rule(key="civility.rating_dates", label_zh="评定、公示、挂牌日期合理", label_en="Rating, notice and plaque dates are consistent",
         table="civility_star_rating", check_row=rating_dates),
    Rule(key="civility.rerated_after_revocation", label_zh="撤销后限期内不再参评", label_en="No rating within the years barred after revocation",
         table="civility_star_rating", check_db=rerated_after_revocation, severity="warning"),
    Rule(key="civility.award_household", label_zh="获奖户属于本村", label_en="Awarded household belongs to the village",
         table="civility_household_award", check_row=award_household),
    Rule(key="civility.award_dates", label_zh="评选年度与公示日期合理", label_en="Award year and notice dates are consistent",
         table="civility_household_award", check_row=award_dates),
    Rule(key="civility.award_once", label_zh="同一奖项每年只评一次", label_en="An award once a year per recipient",
         table="civility_household_award", check_row=award_once),
]
