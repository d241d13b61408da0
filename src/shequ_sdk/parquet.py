"""Parquet export for engines past one database: DuckDB, Polars, Spark, Dask.

``shequ export --format parquet --out DIR`` (and :meth:`Shequ.export_parquet`) writes::

    DIR/_schema.json                      labels (zh/en), units, value types, masking, partitioning
    DIR/_manifest.json                    one SHA-256 per partition file (the incremental mode reads it)
    DIR/<table>/county=<code>/year=<YYYY>/part-0.parquet     tables placed in time (date or period field)
    DIR/<table>/county=<code>/part-0.parquet                 tables without a time field
    DIR/region/county=<code>/part-0.parquet                  the regions, for joins
    DIR/indicator_values/county=<code>/year=<YYYY>/part-0.parquet

Every partition is one :func:`shequ_sdk.frames.frame` call with the county's areas and the year
as its region and period filters, so rows are filtered in SQL, typed, and masked exactly as
frames are for the same user (sensitive columns masked; with ``unmasked=True`` those the
user's role may read are in clear). ``county`` is the county's region code (its name when it
has none); ``year`` is the year of the table's date field, or of its period label. Rows whose
time field is empty go to ``year=__HIVE_DEFAULT_PARTITION__`` (read as NULL by Hive-style
readers).

Indicator values are the engine's yearly values per village (``level="village"``), with the
numerator and denominator they are finished from (0 where no row counted; the denominator is
null for an indicator without one), so an engine can roll them up to any level as the SDK does
(Σ numerators ÷ Σ denominators, never an average of rates). Their years are every year in
which some timed table has rows in the county.

**Incremental mode.** A partition has *changed* when the SHA-256 of its rows as they would be
written (the Arrow IPC stream of the typed, masked rows in id order, under the table's fixed
schema) differs from the hash stored in ``_manifest.json`` by the previous export, or its file
is missing. Only changed partitions are rewritten; unchanged files are left untouched (same
bytes, same modification time); partitions of the selected tables and counties that no longer
have rows are deleted. The database is still read in full — detecting a change needs the
rows — but nothing unchanged is encoded or written. A change of the export's options
(language, user, ``unmasked``) makes every partition count as changed, and removes the earlier
export's partitions that this run does not rewrite (one directory never mixes two users' masks).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
from dataclasses import dataclass, field as dc_field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional

from sqlalchemy import func, select
from sqlmodel import Session

from .errors import InputError
from .fields import FieldInfo, describe_model
from .models import LEVEL_OF_KIND, Region

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from .api import Shequ
    from .registry import RecordTable

FORMAT = "shequ-parquet/1"
SCHEMA_FILE = "_schema.json"
MANIFEST_FILE = "_manifest.json"
PART = "part-0.parquet"
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
REGION_TABLE = "region"
INDICATOR_TABLE = "indicator_values"

# ``progress(done, total, what)`` after each table and county
Progress = Callable[[int, int, str], None]


@dataclass
class ExportReport:
    """What an export did: partition paths (relative to ``out``) written, left unchanged, removed."""

    out: Path
    written: list[str] = dc_field(default_factory=list)
    unchanged: list[str] = dc_field(default_factory=list)
    removed: list[str] = dc_field(default_factory=list)
    rows: dict[str, int] = dc_field(default_factory=dict)
    seconds: float = 0.0
    incremental: bool = False
    options_changed: bool = False


# -- types --------------------------------------------------------------------------------------

def _arrow_type(info: FieldInfo) -> "pa.DataType":
    import pyarrow as pa

    if info.choices or info.sensitive or info.python_type is str:
        return pa.string()
    if info.python_type is dt.date:
        return pa.date32()
    if info.python_type is dt.datetime:
        return pa.timestamp("us")  # naive UTC, as frames give it; microseconds: what Spark reads
    if info.python_type is bool:
        return pa.bool_()
    if info.python_type is int:
        return pa.int64()
    if info.python_type is float:
        return pa.float64()
    return pa.string()


def _value_type(info: FieldInfo) -> str:
    if info.money:
        return "money_fen"
    if info.choices:
        return "choice"
    return {dt.date: "date", dt.datetime: "timestamp_utc", bool: "boolean", int: "integer", float: "number"}.get(info.python_type, "text")


def table_schema(infos: list[FieldInfo]) -> "pa.Schema":
    import pyarrow as pa

    return pa.schema([pa.field(i.name, _arrow_type(i)) for i in infos])


def indicator_schema() -> "pa.Schema":
    import pyarrow as pa

    return pa.schema([
        ("region_id", pa.int64()), ("region_code", pa.string()), ("region_name", pa.string()), ("township_name", pa.string()),
        ("level", pa.string()), ("period", pa.string()), ("indicator", pa.string()), ("value", pa.float64()),
        ("numerator", pa.float64()), ("denominator", pa.float64()),
    ])


def region_schema() -> "pa.Schema":
    import pyarrow as pa

    return pa.schema([
        ("id", pa.int64()), ("name", pa.string()), ("kind", pa.string()), ("level", pa.string()), ("code", pa.string()),
        ("parent_id", pa.int64()), ("township_id", pa.int64()), ("township_name", pa.string()), ("county_id", pa.int64()),
        ("county_name", pa.string()), ("valid_from", pa.date32()), ("valid_to", pa.date32()),
    ])


def to_arrow(df: "pd.DataFrame", schema: "pa.Schema") -> "pa.Table":
    """A frame as an Arrow table of exactly ``schema`` (categoricals become their labels)."""
    import pyarrow as pa

    df = df[[f.name for f in schema]]
    table = pa.Table.from_pandas(df, preserve_index=False)
    return table.cast(schema).replace_schema_metadata(None).combine_chunks()


def content_hash(table: "pa.Table") -> str:
    """SHA-256 of a table's rows under its schema: the Arrow IPC stream of the data."""
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()


# -- what to export -------------------------------------------------------------------------------

def _selected_tables(registry, tables) -> list[str]:
    keys = list(registry.tables)
    every = [REGION_TABLE, *keys, INDICATOR_TABLE]
    if tables is None:
        return every
    items = [t.strip() for t in ([tables] if isinstance(tables, str) else list(tables)) for t in str(t).split(",") if t.strip()]
    if not items:
        raise InputError("--tables 不能为空", "--tables must name at least one table")
    out = []
    for item in items:
        if item in (REGION_TABLE, INDICATOR_TABLE):
            key = item
        else:
            from .records import resolve_table

            try:
                key = resolve_table(item).key
            except Exception:
                raise InputError(f"没有数据表 {item!r}（可用：{', '.join(every)}）", f"no table {item!r} (available: {', '.join(every)})") from None
        if key not in out:
            out.append(key)
    return out


def _county_of(session: Session, area: Region) -> Region:
    if LEVEL_OF_KIND[area.kind] == "county":
        return area
    county = session.get(Region, area.county_id) if area.county_id is not None else None
    if county is None:
        raise InputError(f"{area.name} 不属于任何县，无法按县分区", f"{area.name} belongs to no county; it cannot be partitioned by county")
    return county


def _groups(sdk: "Shequ", session: Session, regions) -> list[tuple[Region, list[Region]]]:
    """``[(county, [areas in it])]``: the export's areas (checked against the user's scope)."""
    areas = sdk._areas(session, regions)
    if areas is None:
        areas = list(session.execute(select(Region).where(Region.kind == "county").order_by(Region.id)).scalars())
    groups: dict[int, tuple[Region, list[Region]]] = {}
    for area in areas:
        county = _county_of(session, area)
        groups.setdefault(county.id, (county, []))[1].append(area)
    for county, members in groups.values():
        if any(m.id == county.id for m in members):
            members[:] = [county]
    return list(groups.values())


def county_partition(county: Region) -> str:
    value = county.code or county.name
    return "".join("_" if c in '/\\=:*?"<>|' else c for c in value)


def _years(session: Session, rt: "RecordTable", areas: list[Region]) -> tuple[list[int], bool]:
    """The years of ``rt``'s rows in ``areas`` (from min/max of its time field) and whether some
    rows have no time at all."""
    from .regions import scope_condition

    tbl = rt.model.__table__
    column = tbl.c[rt.date_field or rt.period_field]
    inside = tbl.c.region_id.in_(select(Region.id).where(_any([scope_condition(a) for a in areas])))
    lo, hi, empty = session.execute(
        select(func.min(column), func.max(column), func.count().filter(column.is_(None))).where(inside)).one()
    if lo is None:
        return [], bool(empty)
    first, last = int(str(lo)[:4]), int(str(hi)[:4])
    return list(range(first, last + 1)), bool(empty)


def _any(conds):
    from sqlalchemy import or_

    return conds[0] if len(conds) == 1 else or_(*conds)


# -- the export ---------------------------------------------------------------------------------------

class _Writer:
    """Writes partitions, skipping those whose content hash the previous manifest already has."""

    def __init__(self, out: Path, previous: dict, incremental: bool, report: ExportReport):
        self.out, self.previous, self.incremental, self.report = out, previous, incremental, report
        self.partitions: dict[str, dict] = {}

    def put(self, rel: str, table: "pa.Table") -> None:
        import pyarrow.parquet as pq

        if table.num_rows == 0:
            return
        digest = content_hash(table)
        self.partitions[rel] = {"sha256": digest, "rows": table.num_rows}
        path = self.out / rel
        if self.incremental and self.previous.get(rel, {}).get("sha256") == digest and path.exists():
            self.report.unchanged.append(rel)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        pq.write_table(table, tmp)
        os.replace(tmp, path)
        self.report.written.append(rel)


def export(sdk: "Shequ", out, *, regions=None, tables=None, years=None, incremental: bool = False, lang: str = "zh",
           unmasked: bool = False, indicators: bool = True, as_of: Optional[dt.date] = None,
           progress: Optional[Progress] = None) -> ExportReport:
    """Export the tables (default: the regions, every record table and the indicator values) of
    ``regions`` (default: the user's scope, or every county) to Parquet under ``out``.

    ``tables``: keys or labels (a list, or one comma-separated string), plus ``region`` and
    ``indicator_values``. ``years``: only these years' partitions (ints, ``"2019-2020"`` or
    ``"2019,2020"``; tables without a time field are exported whole); partitions of other years
    in ``out`` are left as they are. ``incremental``: rewrite only partitions whose content changed since
    the last export into ``out`` (see the module doc). ``unmasked``: sensitive columns the
    user's role may read in clear are exported in clear; every other one stays masked.
    """
    from . import frames
    from .frames import _check_lang, may_unmask
    from .plugins import registry

    started = time.perf_counter()
    lang = _check_lang(lang)
    reg = registry()  # as frames do: plugins registered after the database was opened count
    selected = _selected_tables(reg, tables)
    only_years = parse_years(years)
    if not indicators and INDICATOR_TABLE in selected and tables is None:
        selected.remove(INDICATOR_TABLE)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} 已存在且不是目录", f"{out} exists and is not a directory")
    manifest_path = out / MANIFEST_FILE
    previous: dict = {}
    if out.exists() and any(out.iterdir()):
        if not manifest_path.exists():
            raise InputError(f"{out} 不是空目录，也不是以前的 Parquet 导出（缺少 {MANIFEST_FILE}）；请换一个目录",
                             f"{out} is not empty and not a previous Parquet export (no {MANIFEST_FILE}); choose another directory")
        try:
            previous = json.loads(manifest_path.read_text(encoding="utf-8"))
        except ValueError:
            raise InputError(f"{manifest_path} 已损坏，无法增量导出；请换一个目录", f"{manifest_path} is damaged; export to another directory") from None
    user = getattr(sdk.user, "username", None)
    options = {"lang": lang, "user": user, "role": getattr(sdk.user, "role", None), "unmasked": bool(unmasked),
               "as_of": as_of.isoformat() if as_of else None}
    report = ExportReport(out=out, incremental=incremental)
    report.options_changed = bool(previous) and previous.get("options") != options
    old_parts: dict = previous.get("partitions", {}) if previous.get("format") == FORMAT else {}
    writer = _Writer(out, {} if report.options_changed else old_parts, incremental, report)

    schema_doc: dict[str, Any] = {"format": FORMAT, "lang": lang, "user": user, "unmasked": bool(unmasked),
                                  "exported_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "counties": {}, "tables": {}}
    with Session(sdk.engine) as s:
        groups = _groups(sdk, s, regions)  # unknown regions and scope refusals before anything is written
    out.mkdir(parents=True, exist_ok=True)
    for county, _areas in groups:
        schema_doc["counties"][county_partition(county)] = {"name": county.name, "code": county.code, "id": county.id}

    total = len(selected) * len(groups)
    done = 0
    touched: set[tuple[str, str]] = set()
    # indicator values first: computing them brings derived rows (deadline schedules such as
    # finance_obligation) up to date, so the tables are exported in the state the indicators saw
    order = ([INDICATOR_TABLE] if INDICATOR_TABLE in selected else []) + [t for t in selected if t != INDICATOR_TABLE]
    for key in order:
        for county, areas in groups:
            cpart = county_partition(county)
            touched.add((key, cpart))
            if key == REGION_TABLE:
                _export_regions(sdk, writer, county, areas, cpart, lang, report)
            elif key == INDICATOR_TABLE:
                wanted = _data_years(sdk, areas)
                _export_indicators(sdk, writer, county, areas, cpart, [y for y in wanted if only_years is None or y in only_years], as_of, report)
            else:
                rt = reg.tables[key]
                infos = describe_model(rt.model)
                clear = [i.name for i in infos if i.sensitive and unmasked and may_unmask(sdk.role, rt, i)]
                schema = table_schema(infos)
                args = dict(region=areas, lang=lang, unmasked=clear)
                timed = rt.date_field or rt.period_field
                with Session(sdk.engine) as s:
                    if not timed:
                        df = frames.frame(s, rt, role=sdk.role, **args)
                        writer.put(f"{key}/county={cpart}/{PART}", to_arrow(df, schema))
                        report.rows[key] = report.rows.get(key, 0) + len(df)
                    else:
                        found, has_null = _years(s, rt, areas)
                        for year in (y for y in found if only_years is None or y in only_years):
                            df = frames.frame(s, rt, period=str(year), role=sdk.role, **args)
                            writer.put(f"{key}/county={cpart}/year={year}/{PART}", to_arrow(df, schema))
                            report.rows[key] = report.rows.get(key, 0) + len(df)
                        if has_null and only_years is None:
                            df = frames.frame(s, rt, where={timed: None}, role=sdk.role, **args)
                            writer.put(f"{key}/county={cpart}/year={NULL_PARTITION}/{PART}", to_arrow(df, schema))
                            report.rows[key] = report.rows.get(key, 0) + len(df)
                schema_doc["tables"][key] = _table_doc(rt, infos, schema, clear)
            done += 1
            if progress is not None:
                progress(done, total, f"{key} · {county.name}")
        if key == REGION_TABLE:
            schema_doc["tables"][key] = _region_doc(lang)
        elif key == INDICATOR_TABLE:
            schema_doc["tables"][key] = _indicator_doc(reg)

    # partitions of the exported tables and counties that have no rows any more; after a change of
    # options (another user, language or masking) every earlier partition not rewritten goes, so
    # one directory never mixes two users' masking
    for rel in sorted(old_parts):
        parts = rel.split("/")
        county_dir = parts[1].split("=", 1)[1] if len(parts) > 2 else None
        stale = report.options_changed or ((parts[0], county_dir) in touched and _in_years(rel, only_years))
        if stale and rel not in writer.partitions:
            (out / rel).unlink(missing_ok=True)
            _prune(out, (out / rel).parent)
            report.removed.append(rel)
    # partitions of tables and counties this run did not touch stay as the previous export left them
    kept = {rel: v for rel, v in old_parts.items() if rel not in report.removed and rel not in writer.partitions}
    manifest = {"format": FORMAT, "options": options, "partitions": dict(sorted({**kept, **writer.partitions}.items()))}
    if not report.options_changed:
        before = _previous_schema(out)
        schema_doc["tables"] = {**{k: v for k, v in before.get("tables", {}).items() if k not in schema_doc["tables"]}, **schema_doc["tables"]}
        schema_doc["counties"] = {**before.get("counties", {}), **schema_doc["counties"]}
    _write_json(out / SCHEMA_FILE, schema_doc)
    _write_json(manifest_path, manifest)
    report.seconds = time.perf_counter() - started
    return report


def parse_years(years) -> Optional[set[int]]:
    """``None`` (every year), ints, or text such as ``"2019-2020"`` / ``"2018,2020"``."""
    if years is None:
        return None
    items = [years] if isinstance(years, (str, int)) else list(years)
    out: set[int] = set()
    for item in items:
        for part in str(item).split(","):
            part = part.strip()
            try:
                if "-" in part:
                    lo, hi = (int(x) for x in part.split("-", 1))
                    if hi < lo or hi - lo > 500:
                        raise ValueError
                    out.update(range(lo, hi + 1))
                elif part:
                    out.add(int(part))
            except ValueError:
                raise InputError(f"年份应写成 2020、2019-2020 或 2018,2020，收到 {item!r}",
                                 f"years are written 2020, 2019-2020 or 2018,2020; got {item!r}") from None
    if not out:
        raise InputError("年份不能为空", "years must name at least one year")
    return out


def _in_years(rel: str, only_years: Optional[set[int]]) -> bool:
    """Whether the partition ``rel`` lies in the exported years (timeless partitions always do)."""
    if only_years is None:
        return True
    year = next((p.split("=", 1)[1] for p in rel.split("/") if p.startswith("year=")), None)
    return year is None or (year.isdigit() and int(year) in only_years)


def _previous_schema(out: Path) -> dict:
    try:
        return json.loads((out / SCHEMA_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write_json(path: Path, doc: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def _prune(root: Path, directory: Path) -> None:
    while directory != root and directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()
        directory = directory.parent


def _table_doc(rt: "RecordTable", infos: list[FieldInfo], schema: "pa.Schema", clear: list[str]) -> dict:
    columns = {}
    for info, fld in zip(infos, schema):
        col = {"label_zh": info.label_zh, "label_en": info.label_en, "type": str(fld.type), "value_type": _value_type(info)}
        if info.money:
            col.update(unit_zh="分", unit_en="fen")
        if info.choices:
            col["choices"] = {code: {"zh": zh, "en": en} for code, (zh, en) in info.choices.items()}
        if info.sensitive:
            col["masked"] = info.name not in clear
        columns[info.name] = col
    return {"label_zh": rt.label_zh, "label_en": rt.label_en, "time_field": rt.date_field or rt.period_field,
            "partitioning": ["county", "year"] if (rt.date_field or rt.period_field) else ["county"], "columns": columns}


def _region_doc(lang: str) -> dict:
    infos = {i.name: i for i in describe_model(Region)}
    columns = {}
    for fld in region_schema():
        info = infos.get(fld.name)
        zh, en = (info.label_zh, info.label_en) if info else {"level": ("层级", "Level"), "township_name": ("乡镇", "Township"),
                                                               "county_name": ("县", "County")}[fld.name]
        columns[fld.name] = {"label_zh": zh, "label_en": en, "type": str(fld.type),
                             "value_type": _value_type(info) if info else "text"}
    return {"label_zh": "地区", "label_en": "Regions", "time_field": None, "partitioning": ["county"], "columns": columns}


def _indicator_doc(reg) -> dict:
    labels = {"region_id": ("地区编号", "Region ID"), "region_code": ("区划代码", "Region code"), "region_name": ("地区", "Region"),
              "township_name": ("乡镇", "Township"), "level": ("层级", "Level"), "period": ("期间", "Period"),
              "indicator": ("指标", "Indicator"), "value": ("值", "Value"),
              "numerator": ("分子（汇总前）", "Numerator (before the roll-up)"), "denominator": ("分母（汇总前）", "Denominator (before the roll-up)")}
    columns = {f.name: {"label_zh": labels[f.name][0], "label_en": labels[f.name][1], "type": str(f.type)} for f in indicator_schema()}
    catalog = {}
    for key, ind in reg.indicators.items():
        catalog[key] = {"label_zh": ind.label_zh, "label_en": ind.label_en, "unit_zh": ind.unit_zh, "unit_en": ind.unit_en,
                        "value_type": ind.value_type, "rate": ind.denominator is not None, "period_kinds": list(ind.period_kinds),
                        "numerator_unit": "fen" if ind.value_type == "money" else None}
    return {"label_zh": "指标值（按村、按年）", "label_en": "Indicator values (per village and year)", "time_field": "period",
            "partitioning": ["county", "year"], "columns": columns, "indicators": catalog,
            "roll_up": "value = sum(numerator) / sum(denominator) for rates (money rates: / 100 more, in yuan); "
                       "sum(numerator) otherwise (money: fen / 100 = yuan)"}


def _export_regions(sdk: "Shequ", writer: _Writer, county: Region, areas: list[Region], cpart: str, lang: str, report: ExportReport) -> None:
    import pandas as pd

    frames_ = [sdk.regions_frame(within=a, lang=lang) for a in areas]
    df = pd.concat(frames_, ignore_index=True).drop_duplicates("id") if len(frames_) > 1 else frames_[0]
    df = df.assign(level=df["level"].astype("str"), kind=df["kind"].astype("str"))
    writer.put(f"{REGION_TABLE}/county={cpart}/{PART}", to_arrow(df, region_schema()))
    report.rows[REGION_TABLE] = report.rows.get(REGION_TABLE, 0) + len(df)


def _data_years(sdk: "Shequ", areas: list[Region]) -> list[int]:
    """Every year in which some timed table has rows in ``areas``: the indicator values' years."""
    years: set[int] = set()
    with Session(sdk.engine) as s:
        from .plugins import registry

        for rt in registry().tables.values():
            if rt.date_field or rt.period_field:
                years.update(_years(s, rt, areas)[0])
    return sorted(years)


def _export_indicators(sdk: "Shequ", writer: _Writer, county: Region, areas: list[Region], cpart: str, years: list[int],
                       as_of, report: ExportReport) -> None:
    import pandas as pd

    from .indicators import _finish, compute
    from .period import Period

    from .plugins import registry

    reg = registry()
    township = {}
    with Session(sdk.engine) as s:
        for year in years:
            p = Period.parse(str(year))
            rows = []
            for area in areas:
                result = compute(s, region=area, period=p, keys=None, level="village", as_of=as_of, parts=True)
                for gid, values in result.items():
                    for key, (num, den) in values.items():
                        ind = reg.indicators[key]
                        value = _finish(ind, num, den)
                        # the engine's parts are SQL sums: NULL where no row counted, which it finishes as 0
                        rows.append((gid, str(p), key, None if value is None else float(value), float(num or 0),
                                     float(den or 0) if ind.denominator else None))
            ids = sorted({r[0] for r in rows} - set(township))
            for i in range(0, len(ids), 900):
                t = Region.__table__.alias("t")
                stmt = (select(Region.id, Region.code, Region.name, Region.kind, t.c.name)
                        .outerjoin(t, t.c.id == Region.township_id).where(Region.id.in_(ids[i:i + 900])))
                for rid, code, name, kind, tname in s.execute(stmt):
                    township[rid] = (code, name, LEVEL_OF_KIND[kind], tname)
            rows = [r for r in rows if township[r[0]][2] == "village"]
            order = {k: n for n, k in enumerate(reg.indicators)}
            rows.sort(key=lambda r: (r[0], order.get(r[2], len(order))))
            df = pd.DataFrame({
                "region_id": [r[0] for r in rows], "region_code": [township[r[0]][0] for r in rows],
                "region_name": [township[r[0]][1] for r in rows], "township_name": [township[r[0]][3] for r in rows],
                "level": ["village"] * len(rows), "period": [r[1] for r in rows], "indicator": [r[2] for r in rows],
                "value": pd.array([r[3] for r in rows], dtype="Float64"), "numerator": pd.array([r[4] for r in rows], dtype="Float64"),
                "denominator": pd.array([r[5] for r in rows], dtype="Float64"),
            })
            writer.put(f"{INDICATOR_TABLE}/county={cpart}/year={year}/{PART}", to_arrow(df, indicator_schema()))
            report.rows[INDICATOR_TABLE] = report.rows.get(INDICATOR_TABLE, 0) + len(df)


__all__ = ["export", "ExportReport", "content_hash", "to_arrow", "table_schema", "county_partition", "FORMAT"]
