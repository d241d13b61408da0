"""The plugin contract checker behind ``shequ plugins check NAME``.

It runs one loaded plugin's contributions against what the guide (docs/plugins.md) promises
and returns :class:`Finding` objects, each in Chinese and English:

- ``load``: the plugin imported and registered without an error;
- ``keys``: every key is namespaced (``plugin.name``; tables ``plugin_…``; the migration branch
  is the plugin's name);
- ``labels``: every association type, table, column, indicator, rule, setting, view and
  verifier has a Chinese label (with Chinese characters) and an English one (without);
- ``migrations``: the plugin registers a migration branch, and its revisions, applied to a
  scratch database, build every table it registers exactly as the models declare;
- ``indicators``: every indicator evaluates on the demo database for each village, township
  and county; a rate (an indicator with a denominator) rolled up to a township or the county
  equals Σ numerators ÷ Σ denominators of its villages, each evaluated on its own, and its
  numerator and denominator are sums (no ``AVG``, no per-village rate over a denominator of 1);
- ``views``: every view renders for a village user, a township user and an administrator
  (and in English) without an error card;
- ``rules``: every row rule names a registered table.

The same rendering code serves the ``render_view`` pytest fixture (:func:`render_for`).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from .errors import NotFoundError, ShequError

CJK = re.compile(r"[\u3400-\u9fff]")
CHECK_PERIOD_YEAR = 2010
ROLES = ("village", "township", "admin")
ROLE_LABELS = {"village": ("村(居)委会用户", "village user"), "township": ("乡镇用户", "township user"),
               "admin": ("管理员", "administrator")}


@dataclass
class Finding:
    """One result of the checker: ``ok`` or a problem, said in both languages."""

    check: str
    ok: bool
    zh: str
    en: str

    def __str__(self) -> str:
        return f"{'通过' if self.ok else '问题'} {self.check}: {self.zh} / {self.en}"


def _bad(check: str, zh: str, en: str) -> Finding:
    return Finding(check, False, zh, en)


# -- plotting and rendering (shared with the render_view fixture) --------------------------------

def load_plotting() -> None:
    """Load HoloViews' Bokeh plotting extension (and Panel's), as the dashboard does, so a view
    may call ``.opts(...)`` outside ``shequ serve`` too."""
    from .ui.app import load_extensions

    load_extensions()


def actor_for(sdk, role: str, region: Optional[str]):
    """An :class:`~shequ_sdk.auth.Actor` of ``role`` scoped to ``region`` (village or township
    users) — no user row is written; ``admin`` has no region."""
    from .auth import Actor

    if role == "admin":
        return Actor(username="check-admin", role="admin")
    r = sdk.region(region)
    return Actor(username=f"check-{role}", role=role, region_id=r.id)


def store_for(sdk, *, region: str, period: str, role: Optional[str] = None, scope: Optional[str] = None,
              lang: str = "zh", as_of: Optional[dt.date] = None):
    """A dashboard :class:`~shequ_sdk.ui.DataStore` for ``region`` and ``period`` as ``role`` sees
    it (scoped to ``scope``, default ``region``); ``role=None``: the local, unscoped user."""
    from .ui.store import DataStore

    seen = sdk if role is None else sdk.as_user(actor_for(sdk, role, scope or region))
    return DataStore(sdk=seen, region=region, period=period, lang=lang, as_of=as_of)


def render_for(view, store):
    """``(panel object, None)``, or ``(error card, exception)`` when the view raised."""
    from .ui.views import render_view_checked

    return render_view_checked(view, store)


# -- the checks ----------------------------------------------------------------------------------

def _labels(kind: str, key: str, zh: str, en: str) -> list[Finding]:
    out = []
    if not (zh or "").strip() or not CJK.search(zh):
        out.append(_bad("labels", f"{kind} {key} 缺少中文名称（现为 {zh!r}）", f"{kind} {key} has no Chinese label (it is {zh!r})"))
    if not (en or "").strip() or CJK.search(en):
        out.append(_bad("labels", f"{kind} {key} 缺少英文名称（现为 {en!r}）", f"{kind} {key} has no English label (it is {en!r})"))
    return out


def check_keys(name: str, reg) -> list[Finding]:
    out = []
    mine = reg.by_plugin(name)
    for kind in ("indicators", "rules", "settings", "views", "verifiers", "boards"):
        for key in mine.get(kind, []):
            # the prefix is the plugin's name or its first word (culture. for culture_sports)
            if name != "core" and key.split(".")[0] not in (name, name.split("_")[0]):
                out.append(_bad("keys", f"{key} 应以 {name}. 开头", f"{key} must start with {name}."))
    if name == "core":  # the SDK's own keys (core.*, lock.*, unprefixed tables) predate the convention
        return out
    for key in mine.get("tables", []):
        if not key.startswith(f"{name}_"):
            out.append(_bad("keys", f"数据表 {key} 应以 {name}_ 开头", f"table {key} must start with {name}_"))
    for key in mine.get("migrations", []):
        if key != name and not (name == "core" and key == "shequ_core"):
            out.append(_bad("keys", f"迁移分支 {key} 应命名为 {name}", f"migration branch {key} must be named {name}"))
    return out


def check_labels(name: str, reg) -> list[Finding]:
    out = []
    mine = reg.by_plugin(name)
    for key in mine.get("association_types", []):
        a = reg.association_types[key]
        out += _labels("协会类型/association type", key, a.name_zh, a.name_en)
    for key in mine.get("tables", []):
        rt = reg.tables[key]
        out += _labels("数据表/table", key, rt.label_zh, rt.label_en)
        for f in rt.fields:
            if f.name in ("id", "region_id", "synthetic"):
                continue
            out += _labels("字段/column", f"{key}.{f.name}", f.label_zh, f.label_en)
            for code, labels in (f.choices or {}).items():
                zh, en = (tuple(labels) + ("", ""))[:2]
                if not zh or not en:
                    out.append(_bad("labels", f"字段 {key}.{f.name} 的选项 {code!r} 缺少中文或英文名称",
                                    f"column {key}.{f.name}: choice {code!r} lacks a Chinese or English label"))
    for kind, what in (("indicators", "指标/indicator"), ("rules", "规则/rule"), ("settings", "设置/setting"),
                       ("views", "视图/view"), ("verifiers", "校验/verifier"), ("boards", "公开栏/board")):
        for key in mine.get(kind, []):
            item = getattr(reg, kind)[key]
            out += _labels(what, key, item.label_zh, item.label_en)
    return out


def check_rules(name: str, reg) -> list[Finding]:
    out = []
    for key in reg.by_plugin(name).get("rules", []):
        rule = reg.rules[key]
        if rule.check_row is not None and rule.table not in reg.tables:
            out.append(_bad("rules", f"规则 {key} 检查的数据表 {rule.table!r} 未注册", f"rule {key} checks table {rule.table!r}, which nobody registered"))
    return out


def check_migrations(name: str, reg) -> list[Finding]:
    from . import migrations

    mine = reg.by_plugin(name)
    tables = set(mine.get("tables", []))
    if not tables:
        return []
    if not mine.get("migrations"):
        return [_bad("migrations", f"数据表 {t} 没有迁移（插件未注册 register_migrations）",
                     f"table {t} has no migration (the plugin registers no register_migrations)") for t in sorted(tables)]
    out = []
    engine = migrations.migration_engine("sqlite://")
    try:
        from sqlalchemy import inspect

        with engine.begin() as conn:
            try:
                migrations._upgrade_all(conn)
            except Exception as exc:
                return [_bad("migrations", f"迁移无法应用到空数据库：{type(exc).__name__}: {exc}",
                             f"the migrations do not apply to an empty database: {type(exc).__name__}: {exc}")]
            built = set(inspect(conn).get_table_names())
            for t in sorted(tables - built):
                out.append(_bad("migrations", f"数据表 {t} 没有迁移：迁移文件不创建它", f"table {t} has no migration: no revision creates it"))
            diffs = migrations.differences(conn, tables & built)
            for d in diffs[:10]:
                out.append(_bad("migrations", f"迁移与模型不一致：{d}（运行 shequ make-migration --branch {name}）",
                                f"the migrations differ from the models: {d} (run shequ make-migration --branch {name})"))
    finally:
        engine.dispose()
    return out


def _period_for(ind) -> str:
    for kind, label in (("year", str(CHECK_PERIOD_YEAR)), ("quarter", f"{CHECK_PERIOD_YEAR}Q4"), ("month", f"{CHECK_PERIOD_YEAR}-12")):
        if kind in ind.period_kinds:
            return label
    return str(CHECK_PERIOD_YEAR)


def _part_sql(stmt) -> str:
    from sqlalchemy.dialects import sqlite

    try:
        return str(stmt.compile(dialect=sqlite.dialect()))
    except Exception:  # a part that does not compile is reported when it runs
        return ""


def _close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def check_indicators(name: str, reg, sdk, as_of: dt.date) -> list[Finding]:
    """Evaluate each of the plugin's indicators on ``sdk`` (the demo) at every level, and check
    each rate's roll-up against its villages' own numerators and denominators."""
    from sqlalchemy import select
    from sqlmodel import Session

    from .indicators import compute
    from .models import Region
    from .period import Period

    keys = reg.by_plugin(name).get("indicators", [])
    if not keys:
        return []
    out = []
    with Session(sdk.engine) as s:
        regions = list(s.execute(select(Region).where(Region.valid_to.is_(None)).order_by(Region.id)).scalars())
        counties = [r for r in regions if r.kind == "county"]
        by_parent: dict[Optional[int], list[Any]] = {}
        for r in regions:
            by_parent.setdefault(r.parent_id, []).append(r)
        for key in keys:
            ind = reg.indicators[key]
            period = Period.parse(_period_for(ind))
            try:
                for county in counties:
                    for level in ("village", "township", "county"):
                        compute(s, region=county, period=period, keys=[key], level=level, as_of=as_of)
            except Exception as exc:
                out.append(_bad("indicators", f"指标 {key} 在演示数据上无法计算（{period}）：{type(exc).__name__}: {exc}",
                                f"indicator {key} does not evaluate on the demo ({period}): {type(exc).__name__}: {exc}"))
                s.rollback()
                continue
            if ind.denominator is None:
                continue
            try:
                out += _check_rollup(s, ind, period, regions, by_parent, as_of)
            except Exception as exc:
                s.rollback()
                out.append(_bad("indicators", f"比率 {key} 无法按地区逐一计算（{period}）：{type(exc).__name__}: {exc}",
                                f"rate {key} does not evaluate region by region ({period}): {type(exc).__name__}: {exc}"))
    return out


def _check_rollup(s, ind, period, regions, by_parent, as_of) -> list[Finding]:
    """Each region on its own, then Σ numerators ÷ Σ denominators for every township and county."""
    from .indicators import IndicatorQuery, _finish, compute, part_rows

    key = ind.key
    out: list[Finding] = []
    parts: dict[int, tuple[Any, Any]] = {}
    averaged = []
    for v in regions:  # each region's own rows: villages', and a township's or county's own (a township home)
        q = IndicatorQuery(period=period, scope_region=v, as_of=as_of, session=s)
        if ind.prepare is not None:
            ind.prepare(s, q)
        sums = []
        for part in (ind.numerator, ind.denominator):
            stmt = part(q)
            if re.search(r"\bavg\s*\(", _part_sql(stmt), re.IGNORECASE):
                averaged.append(v.name)
            total = None
            for rid, value in part_rows(s, stmt):
                if rid == v.id and value is not None:
                    total = value if total is None else total + value
            sums.append(total)
        parts[v.id] = (sums[0], sums[1])
    if averaged:
        out.append(_bad("indicators", f"比率 {key} 的分子或分母用了 AVG：汇总到乡镇时会变成平均数，应返回可相加的计数或合计",
                        f"rate {key} uses AVG in its numerator or denominator: rolled up it averages; return sums or counts that add up"))
        return out
    village_ids = {r.id for r in regions if r.kind in ("village", "community")}
    dens = [d for rid, (_, d) in parts.items() if d and rid in village_ids]
    nums = [n for rid, (n, d) in parts.items() if d and rid in village_ids]
    if len(dens) > 1 and all(d == 1 for d in dens) and any(not float(n).is_integer() for n in nums if n is not None):
        out.append(_bad("indicators", f"比率 {key} 的分子是各村的比率、分母为每村 1：乡镇的值是各村比率的平均数，应为 Σ分子 ÷ Σ分母",
                        f"rate {key} has a per-village rate as numerator over a denominator of 1 per village: a township "
                        f"gets the average of its villages' rates instead of Σ numerators ÷ Σ denominators"))
        return out
    for area in [r for r in regions if r.kind in ("township", "county")]:
        villages = [area, *_below(area, by_parent)]
        if len(villages) == 1:
            continue
        num = _sum(parts[v.id][0] for v in villages if v.id in parts)
        den = _sum(parts[v.id][1] for v in villages if v.id in parts)
        expected = _finish(ind, num, den)
        actual = compute(s, region=area, period=period, keys=[key], as_of=as_of)[area.id].get(key)
        if not _close(actual, expected):
            out.append(_bad("indicators", f"比率 {key} 在 {area.name}（{period}）为 {actual}，而各村 Σ分子 ÷ Σ分母 = {expected}",
                            f"rate {key} at {area.name} ({period}) is {actual}, but its villages' Σ numerators ÷ Σ denominators is {expected}"))
            break
    return out


def _sum(values):
    total = None
    for v in values:
        if v is not None:
            total = v if total is None else total + v
    return total


def _below(area, by_parent) -> list:
    """Every region in force below ``area``."""
    out, todo = [], [area]
    while todo:
        r = todo.pop()
        for child in by_parent.get(r.id, []):
            out.append(child)
            todo.append(child)
    return out


def _sample_village(name: str, reg, sdk) -> str:
    """A demo village holding rows of the plugin's tables (its views show data), else the first village."""
    from sqlalchemy import func, select
    from sqlmodel import Session

    from .models import Region

    with Session(sdk.engine) as s:
        villages = list(s.execute(select(Region).where(Region.kind.in_(("village", "community")), Region.valid_to.is_(None))
                                  .order_by(Region.id)).scalars())
        if not villages:
            raise NotFoundError("演示数据库中没有村或社区", "the demo database holds no village or community")
        for key in reg.by_plugin(name).get("tables", []):
            tbl = reg.tables[key].model.__table__
            row = s.execute(select(tbl.c.region_id, func.count()).where(tbl.c.region_id.in_([v.id for v in villages]))
                            .group_by(tbl.c.region_id).order_by(func.count().desc()).limit(1)).first()
            if row is not None:
                return next(v.name for v in villages if v.id == row[0])
        return villages[0].name


def check_views(name: str, reg, sdk, as_of: dt.date) -> list[Finding]:
    from .models import Region

    keys = reg.by_plugin(name).get("views", [])
    if not keys:
        return []
    load_plotting()
    village = _sample_village(name, reg, sdk)
    v = sdk.region(village)
    with sdk.transaction() as s:
        town = s.get(Region, v.parent_id)
        county = s.get(Region, town.parent_id) if town is not None and town.parent_id is not None else town
        town_name, county_name = (town.name if town else village), (county.name if county else village)
    period = str(CHECK_PERIOD_YEAR)
    quiet = logging.getLogger("shequ_sdk.ui")  # the findings carry the errors: no tracebacks on stderr
    was, quiet.disabled = quiet.disabled, True
    try:
        out = _render_each(keys, reg, sdk, as_of, village, town_name, county_name, period)
    finally:
        quiet.disabled = was
    return out


def _render_each(keys, reg, sdk, as_of, village, town_name, county_name, period) -> list[Finding]:
    out = []
    for key in keys:
        view = reg.views[key]
        for role, lang in (("village", "zh"), ("township", "zh"), ("admin", "zh"), ("admin", "en")):
            if view.placement in ("village", "entry"):
                region = village
            else:
                region = {"village": village, "township": town_name, "admin": county_name}[role]
            scope = {"village": village, "township": town_name, "admin": None}[role]
            try:
                store = store_for(sdk, region=region, period=period, role=role, scope=scope, lang=lang, as_of=as_of)
                _, exc = render_for(view, store)
            except Exception as raised:  # the store itself could not be made for that user
                exc = raised
            if exc is not None:
                zh_role, en_role = ROLE_LABELS[role]
                out.append(_bad("views", f"视图 {key} 以{zh_role}身份（{region}，{period}，{lang}）显示为错误卡片：{type(exc).__name__}: {exc}",
                                f"view {key} shows an error card for a {en_role} ({region}, {period}, {lang}): {type(exc).__name__}: {exc}"))
    return out


def demo_database(directory: Path) -> str:
    """Build the demo (every loaded plugin's ``populate``) into ``directory`` and return its URL."""
    import shequ_sdk

    path = directory / "check-demo.db"
    sdk = shequ_sdk.open(str(path), create=True)
    try:
        sdk.build_demo()
    finally:
        sdk.close()
    return f"sqlite:///{path}"


def check_plugin(name: str, db: Optional[str] = None) -> list[Finding]:
    """Every check on the loaded plugin ``name``; ``db``: a demo database to evaluate on (default:
    the demo, built into a temporary directory). Returns the problems and one ``ok`` per check passed."""
    import shequ_sdk

    from .demo import DEMO_TODAY
    from .plugins import registry, state

    reg = registry()
    st = state()
    if name not in st.plugins and name not in st.failures:
        known = ", ".join(sorted(st.plugins))
        raise NotFoundError(f"未加载名为 {name!r} 的插件（已加载：{known}）", f"no plugin {name!r} is loaded (loaded: {known})")
    if name in st.failures:
        return [_bad("load", f"插件 {name} 加载失败：{st.failures[name]}", f"plugin {name} failed to load: {st.failures[name]}")]
    findings: list[Finding] = [Finding("load", True, "插件已加载", "the plugin loaded")]
    for check, fn in (("keys", check_keys), ("labels", check_labels), ("rules", check_rules), ("migrations", check_migrations)):
        findings += fn(name, reg) or [Finding(check, True, _OK[check][0], _OK[check][1])]
    with tempfile.TemporaryDirectory(prefix="shequ-check-") as tmp:
        try:
            url = db or demo_database(Path(tmp))
        except Exception as exc:  # a populate that raises: the demo-based checks cannot run
            zh, en = (exc.zh, exc.en) if isinstance(exc, ShequError) else (f"{type(exc).__name__}: {exc}",) * 2
            return findings + [_bad("demo", f"无法生成演示数据库：{zh}", f"the demo database cannot be built: {en}")]
        sdk = shequ_sdk.open(url)
        try:
            for check, fn in (("indicators", check_indicators), ("views", check_views)):
                findings += fn(name, reg, sdk, DEMO_TODAY) or [Finding(check, True, _OK[check][0], _OK[check][1])]
        finally:
            sdk.close()
    return findings


_OK = {
    "keys": ("键名都带插件前缀", "every key is namespaced"),
    "labels": ("名称都有中文和英文", "every label is in Chinese and English"),
    "rules": ("规则都有名称并指向已注册的数据表", "every rule is labelled and checks a registered table"),
    "migrations": ("每个数据表都有迁移，且与模型一致", "every table has a migration that matches its model"),
    "indicators": ("指标在村、乡镇、县三级都能计算，比率按 Σ分子 ÷ Σ分母 汇总", "every indicator evaluates for villages, townships and counties; rates roll up as Σ numerators ÷ Σ denominators"),
    "views": ("视图对村、乡镇用户和管理员都能显示", "every view renders for a village user, a township user and an administrator"),
}
