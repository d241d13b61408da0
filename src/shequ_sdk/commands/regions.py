"""``shequ regions``: the regions' map data — ``import-geo`` sets positions and boundaries from GeoJSON."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .. import cli as climod
from ..cli import DbOption, UserOption, app, escape

regions_app = typer.Typer(no_args_is_help=True, help="地区（区划）的地图数据 / Regions' map data")
app.add_typer(regions_app, name="regions")


@regions_app.command("import-geo")
def import_geo_cmd(
    file: Path = typer.Argument(..., help="GeoJSON 文件（FeatureCollection）/ a GeoJSON FeatureCollection file"),
    db: Optional[str] = DbOption,
    user: Optional[str] = UserOption,
):
    """从 GeoJSON 导入地区位置与边界（按 code 或 name + township 对应；有一个要素对不上则整个文件不导入）/
    Import region positions and boundaries from GeoJSON (matched by code, or by name + township; one unmatched feature refuses the whole file)."""
    from ..geo import load_geojson

    doc = load_geojson(file)  # a missing or malformed file is refused before the database is opened
    s = climod.cli_sdk(db, user)
    try:
        result = s.import_geo(doc)
    finally:
        s.close()
    climod.out.print(
        escape(f"已导入 {result.features} 个要素（点 {result.points} 个，边界 {result.boundaries} 个），{result.changed} 个地区有变化"
               f" / imported {result.features} features ({result.points} points, {result.boundaries} boundaries); {result.changed} regions changed"),
        highlight=False, soft_wrap=True)
