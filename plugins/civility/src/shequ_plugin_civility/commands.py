"""``shequ civility …``: show the built-in star lists, and show or choose a township's list."""

from __future__ import annotations

import json
from typing import Optional

import typer
from sqlalchemy import delete, select

from shequ_sdk import InputError, config
from shequ_sdk.models import Setting as SettingRow
from shequ_sdk.regions import find_region, villages_in

from .models import StarRating
from .stars import SCHEMES, check_list, parse_stars, resolve, scheme, star_list

civility_app = typer.Typer(help="十星级文明户 / star-rated civilised households", no_args_is_help=True, add_completion=False)


@civility_app.command("schemes")
def schemes_cmd(as_json: bool = typer.Option(False, "--json", help="输出 JSON / print JSON")):
    """列出内置星目方案 / List the built-in star lists."""
    items = [{"key": s.key, "name_zh": s.name_zh, "name_en": s.name_en, "stars": list(s.stars), "source": s.source} for s in SCHEMES.values()]
    if as_json:
        print(json.dumps(items, ensure_ascii=False, indent=2))
        return
    for it in items:
        print(f"{it['key']:12} {it['name_zh']}（{len(it['stars'])} 星）：{'、'.join(it['stars'])}")


@civility_app.command("stars")
def stars_cmd(
    region: str = typer.Option(..., "--region", help="乡镇（或村、县）名称、代码或路径 / township, village or county"),
    use_scheme: Optional[str] = typer.Option(None, "--scheme", help="选用内置方案 / choose a built-in list, e.g. weigang or 魏岗镇"),
    own: Optional[str] = typer.Option(None, "--own", help="自定星目，顿号或逗号分隔 / the region's own list, separated by 、 or commas"),
    db: Optional[str] = typer.Option(None, "--db", help="数据库文件或 URL / database file or URL"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON / print JSON"),
):
    """查看或设置某乡镇的星目 / Show, or choose, the star list of a township (or village, or county)."""
    import shequ_sdk

    if use_scheme and own:
        raise InputError("--scheme 与 --own 只能选一个", "give --scheme or --own, not both")
    s = shequ_sdk.open(db)
    try:
        with s.transaction() as session:
            r = find_region(session, region)
            if use_scheme:
                chosen = scheme(use_scheme)
                # an own list at the same level would still win: choosing a scheme replaces it
                session.execute(delete(SettingRow).where(SettingRow.key == "civility.star_list", SettingRow.region_id == r.id))
                config.set_value(session, "civility.star_scheme", chosen.key, r)
            elif own:
                config.set_value(session, "civility.star_list", list(check_list(parse_stars(own))), r)
            found = star_list(session, r)
            misfits = _misfits(session, r) if (use_scheme or own) else None
    finally:
        s.close()
    if as_json:
        print(json.dumps({"region": r.name, "stars": list(found.stars), "source_zh": found.source_zh, "source_en": found.source_en,
                          "ratings_off_list": misfits}, ensure_ascii=False, indent=2))
        return
    print(f"{r.name}：{'、'.join(found.stars)}（{found.source_zh} / {found.source_en}）")
    if misfits:
        print(f"注意：已有 {misfits} 条评定记录不符合新星目（运行 shequ check 查看）/ {misfits} stored ratings do not fit the new list (see shequ check)")


def _misfits(session, region) -> int:
    """Stored ratings in the region that their village's (new) star list would refuse."""
    villages = villages_in(session, region)
    lists = {vid: (set(found.stars), len(found.stars)) for vid, found in resolve(session, villages).items()}
    bad = 0
    q = select(StarRating.region_id, StarRating.stars, StarRating.star_count).where(StarRating.region_id.in_(list(lists)))
    for rid, text, count in session.execute(q):
        allowed, size = lists[rid]
        if count > size or any(n not in allowed for n in parse_stars(text)):
            bad += 1
    return bad
