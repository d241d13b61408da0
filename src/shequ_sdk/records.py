"""The validated write path: every batch is checked whole, then written in one transaction.

``write(session=…, table=…, rows=[…])`` validates every row — types, required fields, choices,
ID-number checksums, phone numbers, bounds, the row's region and level, and every registered
row rule — and raises :class:`~shequ_sdk.errors.BatchError` listing every problem (row, field,
value, reason in Chinese and English) before anything is written. Callers own the transaction
(see ``db.transaction``), so a failure anywhere rolls the whole batch back.

Every entry point (API, spreadsheets, forms, plugins) goes through here, so it inherits the
guarantees: the actor's scope is checked on the new rows and, for updates, on the stored records
they change (:func:`shequ_sdk.auth.check_stored`); references stay inside the row's village
(:mod:`shequ_sdk.references`); and an upsert never replaces a stored value with that value's mask
(:func:`keep_masked`: kept as stored, counted in ``WriteResult.masked``).
"""

from __future__ import annotations

import copy
import datetime as dt
import gc
import sqlite3
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from typing import Any, Iterable, Optional

import pydantic
from pydantic_core import SchemaValidator, core_schema
from sqlalchemy import func, insert, select, tuple_, update
from sqlmodel import Session, SQLModel

from . import analytics, audit, locks, references
from .auth import check_stored, check_write
from .errors import BatchError, InputError, Problem
from .fields import FieldInfo, describe_model
from .ids import id_number_problem, is_mask_of, looks_masked, normalise_id_number, phone_problem
from .models import LEVEL_OF_KIND, Region
from .plugins import registry
from .registry import RecordTable, Rule

MAX_PROBLEMS = 500


def _integrity_errors() -> tuple[type[BaseException], ...]:
    from sqlalchemy.exc import IntegrityError

    errors: list[type[BaseException]] = [IntegrityError, sqlite3.IntegrityError]
    try:
        import psycopg

        errors.append(psycopg.errors.IntegrityError)
    except ImportError:  # psycopg is optional when only SQLite is used
        pass
    return tuple(errors)


_INTEGRITY_ERRORS = _integrity_errors()

# Rows go to the SQLite driver directly (see _insert_many); store dates and times exactly as
# SQLAlchemy's SQLite types do, so reads through SQLAlchemy parse them back.
sqlite3.register_adapter(dt.date, dt.date.isoformat)  # a C method: no Python frame per value
sqlite3.register_adapter(dt.datetime, lambda v: v.strftime("%Y-%m-%d %H:%M:%S.%f"))


@dataclass
class RowContext:
    """What a row rule may consult: the session, the table, today, and a per-batch cache."""

    session: Session
    table: RecordTable
    today: dt.date
    row_number: int = 0
    cache: dict = field(default_factory=dict)
    batch: list = field(default_factory=list)
    mode: str = "insert"  # "upsert": rows matching a stored natural key update it, so are not duplicates;
    # "sync": rows applied from a signed sync package (see ``sync``)
    sync: Any = None  # a :class:`shequ_sdk.sync.SyncContext` when mode is "sync": origin, and records as before the package


    def region(self, region_id: int) -> Optional[Region]:
        regions = self.cache.setdefault("__regions__", {})
        if region_id not in regions:
            regions[region_id] = self.session.get(Region, region_id)
        return regions[region_id]

    def memo(self, key, compute):
        """Cache ``compute()`` under ``key`` for the rest of the batch (lookups rules repeat)."""
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]

    def setting(self, key: str, region_id: Optional[int]):
        """A setting's value for a row's region, as :func:`shequ_sdk.config.get` resolves it
        (region → township → county → database-wide → default), with the overrides read once per
        batch and each region resolved once."""
        from . import config

        settings = self.cache.setdefault("__settings__", {})
        if (key, region_id) in settings:
            return settings[(key, region_id)]
        if key not in settings:
            settings[key] = config.overrides(self.session, key)
        found = settings[key]
        value = found.get(None, registry().settings[key].default)
        region = self.region(region_id) if region_id is not None else None
        if region is not None:
            for rid in (region.id, region.township_id, region.county_id):
                if rid is not None and rid in found:
                    value = found[rid]
                    break
        settings[(key, region_id)] = value
        return value


@dataclass
class WriteResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    ids: list[int] = field(default_factory=list)
    # masked values kept as stored (a re-imported export): {field: [row index in the batch, …]}
    masked: dict[str, list[int]] = field(default_factory=dict)

    @property
    def masked_count(self) -> int:
        return sum(len(v) for v in self.masked.values())


def resolve_table(table) -> RecordTable:
    reg = registry()
    if isinstance(table, RecordTable):
        return table
    if isinstance(table, str):
        return reg.table(table)
    if isinstance(table, type) and issubclass(table, SQLModel):
        try:
            return reg.table_for_model(table)
        except KeyError:
            raise InputError(f"数据表 {table.__name__} 未注册", f"table {table.__name__} is not registered") from None
    raise InputError(f"无法识别的数据表 {table!r}", f"not a table: {table!r}")


class RowView(dict):
    """A validated row: a dict whose values can also be read as attributes (``row.run_date``)."""

    __slots__ = ()

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass
class _Plan:
    """Everything about a table that validation needs, computed once per model."""

    adapter: pydantic.TypeAdapter
    one: pydantic.TypeAdapter
    defaults: dict
    infos: list
    by_name: dict
    normalise: list  # FieldInfos whose raw values may need mapping (choice labels, ID numbers)
    checks: list  # FieldInfos with choice / ID / phone checks
    columns: list
    model: Optional[type] = None
    field_adapters: dict = field(default_factory=dict)  # one field's validator, for the rules on a partly refused row
    fast: Optional[SchemaValidator] = None  # the whole batch in one call when every row is valid (see _fast_validator)


@lru_cache(maxsize=None)
def _plan(model: type[SQLModel]) -> _Plan:
    """Validation plan: a TypedDict of the table's fields validated a whole list at a time
    by pydantic-core, which is an order of magnitude faster than a model per row."""
    from typing import Annotated

    from typing_extensions import NotRequired, TypedDict

    annotations = {}
    for name, finfo in model.model_fields.items():
        ann = finfo.annotation
        annotations[name] = Annotated[(ann, *finfo.metadata)] if finfo.metadata else ann
    if "id" in annotations:
        annotations["id"] = NotRequired[annotations["id"]]
    td = TypedDict(f"{model.__name__}Row", annotations)  # type: ignore[misc]
    td.__pydantic_config__ = pydantic.ConfigDict(extra="forbid", str_strip_whitespace=True)  # type: ignore[attr-defined]
    defaults = {n: f.get_default(call_default_factory=True) for n, f in model.model_fields.items() if not f.is_required()}
    defaults.pop("id", None)
    infos = describe_model(model)
    columns = [c.name for c in model.__table__.columns]
    one = pydantic.TypeAdapter(td)
    plan = _Plan(
        adapter=pydantic.TypeAdapter(list[td]),
        one=one,
        defaults=defaults,
        infos=infos,
        by_name={i.name: i for i in infos},
        normalise=[i for i in infos if i.choices or i.id_number],
        checks=[i for i in infos if i.choices or i.id_number or i.phone or i.sensitive or (i.required and i.python_type is str)],
        columns=columns,
        model=model,
    )
    plan.fast = _fast_validator(one.core_schema, plan)
    return plan


# -- the fast path ------------------------------------------------------------------------------
#
# A batch is validated first by one pydantic-core validator that does in Rust what the careful
# path below does in Python row by row: fill defaults, map choice labels to codes and refuse other
# values, refuse blank required text, normalise and check ID numbers and phones, and build the
# RowViews. It accepts exactly the rows the careful path accepts, with the same values; when it
# refuses anything, the careful path runs instead and names every problem (row, field, value).

class _Refused(ValueError):
    """Raised inside the fast validator: the careful path will describe the problem."""


def _fast_id_number(value):
    if type(value) is str:
        normal = normalise_id_number(value)
        if id_number_problem(normal) is None:
            return normal
    raise _Refused("id number")


def _fast_phone(value):
    if value and phone_problem(value):
        raise _Refused("phone")
    return value


def _fast_not_masked_text(value):
    if looks_masked(value, "text"):
        raise _Refused("masked")
    return value


def _innermost(schema: dict) -> tuple[dict, Optional[dict]]:
    """The value schema under a ``nullable`` wrapper, and the wrapper (or None)."""
    if schema.get("type") == "nullable":
        return schema["schema"], schema
    return schema, None


def _fast_validator(td_schema: dict, plan: _Plan) -> Optional[SchemaValidator]:
    if td_schema.get("type") != "typed-dict":
        return None  # an unusual model (definitions, references): the careful path handles it
    schema = copy.deepcopy(td_schema)
    for name, fld in schema["fields"].items():
        info = plan.by_name.get(name)
        inner, wrapper = _innermost(fld["schema"])
        if info is not None:
            if info.choices:
                lookup: dict = {}
                for code, labels in info.choices.items():
                    lookup.setdefault(code, code)
                for code, labels in info.choices.items():
                    for label in labels:
                        lookup.setdefault(label, code)
                if inner.get("type") == "str":
                    # a code or a label (exact) maps to the code; anything else is refused here
                    inner = core_schema.no_info_before_validator_function(lookup.get, core_schema.literal_schema(list(info.choices)))
                else:
                    codes = frozenset(info.choices)
                    inner = core_schema.no_info_after_validator_function(_member_of(codes), inner)
            elif info.id_number:
                if inner.get("type") != "str":
                    return None
                inner = core_schema.no_info_before_validator_function(_fast_id_number, core_schema.str_schema())
            if info.phone:
                inner = core_schema.no_info_after_validator_function(_fast_phone, inner)
            elif info.sensitive == "name" and inner.get("type") == "str":
                inner = {**inner, "pattern": r"^[^*＊]*$"}  # a masked name (汪**): the careful path explains
            elif info.sensitive == "text":
                inner = core_schema.no_info_after_validator_function(_fast_not_masked_text, inner)
            if info.required and info.python_type is str and not info.choices and inner.get("type") == "str":
                inner = {**inner, "strip_whitespace": True, "min_length": max(1, inner.get("min_length") or 0)}
        if wrapper is not None:
            wrapper["schema"] = inner
        else:
            fld["schema"] = inner
        if name in plan.defaults:
            fld["schema"] = core_schema.with_default_schema(fld["schema"], default=plan.defaults[name])
            fld["required"] = False
    schema.pop("ref", None)
    item = core_schema.no_info_after_validator_function(RowView, schema)
    try:
        return SchemaValidator(core_schema.list_schema(item))
    except Exception:  # pragma: no cover - a schema pydantic-core cannot rebuild: stay on the careful path
        return None


def _member_of(codes: frozenset):
    def check(value):
        if value not in codes:
            raise _Refused("choice")
        return value

    return check


_PYDANTIC_ZH = {
    "missing": "必填字段不能为空",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "decimal_parsing": "应为数字",
    "bool_parsing": "应为 是/否",
    "date_parsing": "应为日期（如 2010-12-31）",
    "date_from_datetime_parsing": "应为日期（如 2010-12-31）",
    "date_from_datetime_inexact": "应为日期（不含时间）",
    "datetime_parsing": "应为日期时间",
    "datetime_from_date_parsing": "应为日期时间",
    "string_type": "应为文字",
    "string_too_long": "文字过长",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "greater_than": "数值过小",
    "less_than": "数值过大",
    "extra_forbidden": "不是该表的字段",
    "int_type": "应为整数",
    "date_type": "应为日期",
    "bool_type": "应为 是/否",
}


def _pydantic_problems(exc: pydantic.ValidationError, raw: dict, infos: dict[str, FieldInfo]) -> list[Problem]:
    out = []
    for err in exc.errors():
        name = str(err["loc"][0]) if err["loc"] else None
        zh = _PYDANTIC_ZH.get(err["type"], "值无效")
        ctx = err.get("ctx") or {}
        if "ge" in ctx:
            zh = f"不能小于 {ctx['ge']}"
        elif "le" in ctx:
            zh = f"不能大于 {ctx['le']}"
        elif "gt" in ctx:
            zh = f"必须大于 {ctx['gt']}"
        info = infos.get(name)
        label = f"{info.label_zh}（{name}）" if info else name
        out.append(Problem(f"{label}{zh}" if info else zh, err["msg"], field=name, value=raw.get(name) if name else None))
    return out


def field_problems(row: Any, infos: list[FieldInfo]) -> list[Problem]:
    """Checks that follow from field metadata: choices, ID numbers and phone numbers."""
    out = []
    get = row.get if isinstance(row, dict) else (lambda name: getattr(row, name, None))
    for info in infos:
        value = get(info.name)
        if value is None or value == "":
            if info.required and value == "":
                out.append(Problem(f"{info.label_zh}不能为空", f"{info.label_en} must not be blank", field=info.name, value=value))
            continue
        if info.sensitive and looks_masked(value, info.sensitive):
            out.append(Problem(f"{info.label_zh}「{value}」是打码后的显示值，不是真实的{info.label_zh}：不能作为新值保存"
                               f"（打码值只有与该记录已登记的值一致时才视为不变）",
                               f"{info.label_en} {value!r} is a masked display value, not a real {info.label_en}: it cannot be stored "
                               f"as a new value (a masked value counts as unchanged only when it masks the record's stored value)",
                               field=info.name, value=value))
            continue
        if info.choices and value not in info.choices:
            allowed = "、".join(zh for zh, _ in info.choices.values())
            out.append(Problem(f"{info.label_zh}的值不在可选范围内（可选：{allowed}）", f"{info.label_en} must be one of {', '.join(info.choices)}",
                               field=info.name, value=value))
        if info.id_number:
            problem = id_number_problem(value)
            if problem:
                out.append(Problem(problem[0], problem[1], field=info.name, value=value))
        if info.phone:
            problem = phone_problem(value)
            if problem:
                out.append(Problem(problem[0], problem[1], field=info.name, value=value))
    return out


def _normalise(raw: dict, infos: list[FieldInfo]) -> dict:
    """Accept Chinese choice labels and full-width ID characters where codes are stored."""
    for info in infos:
        value = raw.get(info.name)
        if value is None:
            continue
        if info.choices and isinstance(value, str) and value not in info.choices:
            for code, (zh, en) in info.choices.items():
                if value.strip() in (zh, en):
                    raw[info.name] = code
                    break
        if info.id_number and isinstance(value, str):
            raw[info.name] = normalise_id_number(value)
    return raw


def validate_rows(session: Session, table, rows: Iterable[Any], *, today: Optional[dt.date] = None, start_row: int = 1,
                  mode: str = "insert", sync: Any = None) -> tuple[list[RowView], list[Problem]]:
    """Validate rows (dicts or model instances) for ``table``; return ``(validated, problems)``.

    Valid rows come back as :class:`RowView` dicts with defaults filled in and values coerced.
    """
    rt = resolve_table(table)
    reg = registry()
    plan = _plan(rt.model)
    rules = [r for r in reg.rules.values() if r.table == rt.key and r.check_row is not None and r.severity == "error"]
    ctx = RowContext(session=session, table=rt, today=today or dt.date.today(), mode="sync" if sync is not None else mode, sync=sync)
    raw = rows if isinstance(rows, list) else list(rows)
    validated: Optional[list] = None
    if plan.fast is not None:
        try:
            validated = plan.fast.validate_python(raw)
        except Exception:  # a refused value, or a validator's TypeError on odd input: the careful path explains
            validated = None
    partial: dict[int, RowView] = {}
    if validated is not None:
        checked: list[Optional[RowView]] = validated
        row_problems: dict[int, list[Problem]] = {}
    else:
        checked, row_problems = _careful(plan, raw, partial)
    if "region_id" in plan.by_name:
        bad = {}
        for rid in {row["region_id"] for row in checked if row is not None}:
            p = _region_problem(ctx, rt, rid)
            if p is not None:
                bad[rid] = p
        if bad:
            for i, row in enumerate(checked):
                if row is not None and row["region_id"] in bad:
                    p = bad[row["region_id"]]
                    row_problems.setdefault(i, []).append(Problem(p.message_zh, p.message_en, field=p.field, value=p.value))
    if rules:
        _run_rules(rules, checked, row_problems, ctx, start_row, partial)
    problems: list[Problem] = []
    for i in sorted(row_problems):
        for p in row_problems[i]:
            p.row = start_row + i if p.row is None else p.row
            p.table = p.table or rt.key
            problems.append(p)
    if validated is None:
        validated = [row for row in checked if row is not None]
    return validated, problems[:MAX_PROBLEMS]


def _careful(plan: _Plan, raw: list, partial: Optional[dict[int, RowView]] = None) -> tuple[list[Optional[RowView]], dict[int, list[Problem]]]:
    """Row-by-row validation that names every problem: the path for a batch the fast validator refused.

    A row with a bad field gets, in ``partial``, the fields that did validate (the bad ones
    ``None``), so the rules can still check it: one round names every problem."""
    defaults = plan.defaults
    merged = [{**defaults, **(r.model_dump() if isinstance(r, SQLModel) else r)} for r in raw]
    if plan.normalise:
        for m in merged:
            _normalise(m, plan.normalise)
    row_problems: dict[int, list[Problem]] = {}
    try:
        values: list[Optional[dict]] = plan.adapter.validate_python(merged)
    except pydantic.ValidationError:
        values = []
        for i, m in enumerate(merged):
            try:
                values.append(plan.one.validate_python(m))
            except pydantic.ValidationError as exc:
                values.append(None)
                row_problems[i] = _pydantic_problems(exc, merged[i], plan.by_name)
                if partial is not None:
                    partial[i] = _partial_row(plan, merged[i], {p.field for p in row_problems[i]})
    checked: list[Optional[RowView]] = [RowView(v) if v is not None else None for v in values]
    if plan.checks:
        for i, row in enumerate(checked):
            if row is not None:
                found = field_problems(row, plan.checks)
                if found:
                    row_problems.setdefault(i, []).extend(found)
    return checked, row_problems


def _partial_row(plan: _Plan, merged: dict, bad: set) -> RowView:
    """The fields of a refused row that validate on their own; the others ``None``."""
    out = RowView()
    for name, value in merged.items():
        if name in bad or name not in plan.by_name:
            out[name] = None if name in plan.by_name else value
            continue
        try:
            out[name] = _field_adapter(plan, name).validate_python(value)
        except (pydantic.ValidationError, TypeError, ValueError):
            out[name] = None
    for name in plan.by_name:
        out.setdefault(name, None)
    return out


def _field_adapter(plan: _Plan, name: str) -> pydantic.TypeAdapter:
    adapter = plan.field_adapters.get(name)
    if adapter is None:
        from typing import Annotated

        finfo = plan.model.model_fields[name]
        ann = Annotated[(finfo.annotation, *finfo.metadata)] if finfo.metadata else finfo.annotation
        adapter = plan.field_adapters[name] = pydantic.TypeAdapter(ann, config=pydantic.ConfigDict(str_strip_whitespace=True))
    return adapter


def _checked_partially(rules: list, row: RowView, bad: set, ctx: RowContext) -> list[Problem]:
    """The rules on a row some of whose fields were refused: a rule that needs a refused field
    cannot judge (its error is not the user's), and what it says about a refused field is said already."""
    out = []
    for rule in rules:
        try:
            hits = rule.check_row(row, ctx)
            hits = list(hits) if hits else []
        except Exception:
            continue
        for p in hits:
            if p.field in bad:
                continue
            p.rule = p.rule or rule.key
            out.append(p)
    return out


def _run_rules(rules: list[Rule], rows: list, row_problems: dict[int, list[Problem]], ctx: RowContext, start_row: int,
               partial: Optional[dict[int, RowView]] = None) -> None:
    """Plugin rules, in order, each seeing earlier valid rows in ``ctx.batch``. A row refused by a
    field check is checked too (on its fields that did validate, ``partial``), so one round
    names all its problems. A rule's empty answer costs no list: this loop runs once per row and rule."""
    checks = [(rule, rule.check_row) for rule in rules]
    append = ctx.batch.append
    skip = row_problems.__contains__ if row_problems else None
    for i, row in enumerate(rows):
        if row is None or (skip is not None and skip(i)):
            whole = row if row is not None else (partial or {}).get(i)
            if whole is not None and len(row_problems) < MAX_PROBLEMS:
                ctx.row_number = start_row + i
                bad = {p.field for p in row_problems.get(i, ()) if p.field}
                found = _checked_partially(rules, whole, bad, ctx)
                if found:
                    row_problems.setdefault(i, []).extend(found)
            continue
        ctx.row_number = start_row + i
        for rule, check in checks:
            try:
                hits = check(row, ctx)
                if not hits:
                    continue
                hits = list(hits)  # a generator runs here, inside the try
            except Exception as exc:  # a broken rule is a plugin bug: say which
                hits = [Problem(f"规则 {rule.key} 出错：{exc}", f"rule {rule.key} failed: {exc}")]
            if hits:
                for p in hits:
                    p.rule = p.rule or rule.key
                row_problems.setdefault(i, []).extend(hits)
                skip = row_problems.__contains__
        append(row)
        if len(row_problems) >= MAX_PROBLEMS:
            break


def _region_problem(ctx: RowContext, rt: RecordTable, region_id: int) -> Optional[Problem]:
    region = ctx.region(region_id)
    if region is None:
        return Problem("地区不存在", "no such region", field="region_id", value=region_id)
    if rt.level != "any" and LEVEL_OF_KIND[region.kind] != rt.level:
        return Problem(
            f"{rt.label_zh}只能登记在{_LEVEL_ZH[rt.level]}，{region.name} 是{_LEVEL_ZH[LEVEL_OF_KIND[region.kind]]}",
            f"{rt.label_en} rows belong to a {rt.level}; {region.name} is a {LEVEL_OF_KIND[region.kind]}",
            field="region_id", value=region.name,
        )
    return None


_LEVEL_ZH = {"village": "村/社区", "township": "乡镇", "county": "县级", "any": "任意地区"}


def write(
    *,
    session: Session,
    table,
    rows: Iterable[Any],
    mode: str = "insert",
    today: Optional[dt.date] = None,
    return_ids: bool = False,
    start_row: int = 1,
    actor=None,
    sync=None,
) -> WriteResult:
    """Validate ``rows`` whole, then insert (or upsert by natural key) them in ``session``.

    Nothing is written when any row has a problem: a ``BatchError`` lists them all. The
    caller's transaction makes the write atomic with whatever else it does. ``actor``
    (:class:`shequ_sdk.auth.Actor`, ``None`` for the local single user) must be allowed to
    write every row (:func:`shequ_sdk.auth.check_write`), and its quarter must not be locked
    for them (:func:`shequ_sdk.locks.check_write`).

    ``sync`` (a :class:`shequ_sdk.sync.SyncContext`) marks rows applied from a signed sync
    package: row rules see ``ctx.mode == "sync"`` and ``ctx.sync`` (see docs/plugins.md).
    """
    rt = resolve_table(table)
    gc_was_enabled = gc.isenabled()
    gc.disable()  # a bulk batch allocates millions of small objects: collections only slow it down
    try:
        with analytics.precise(session, rt.model.__table__.name):  # the batch reports its regions itself (_changed)
            return _write(session, rt, rows, mode, today, return_ids, start_row, actor, sync)
    except _INTEGRITY_ERRORS as exc:
        # a unique or foreign-key constraint the checks above cannot see (a stored duplicate)
        detail = str(getattr(exc, "orig", exc)).splitlines()[0]
        raise InputError(f"{rt.label_zh}：数据与已有记录冲突（重复或违反约束），未写入任何数据：{detail}",
                         f"{rt.label_en}: the batch conflicts with stored rows (duplicate or constraint); nothing was written: {detail}") from None
    finally:
        if gc_was_enabled:
            gc.enable()


def _write(session, rt, rows, mode, today, return_ids, start_row, actor, sync=None) -> WriteResult:
    rows, versions = _take_versions(rows, rt, start_row)
    masked: dict[str, list[int]] = {}
    found = _Found()
    if mode == "upsert":
        rows, masked = keep_masked(session, rt, rows, found)
    validated, problems = validate_rows(session, rt, rows, today=today, start_row=start_row, mode=mode, sync=sync)
    if problems:
        raise BatchError(problems)
    check_write(session, actor, rt, validated)
    if mode != "upsert":  # an upsert checks its references after the stored rows' scope (_upsert)
        _check_references(session, rt, validated, start_row)
    locks.check_write(session, actor, rt, validated, today)
    result = WriteResult(masked=masked)
    if not validated:
        return result
    audit.lock(session)  # held to commit: the version checks and the audit chain see every committed write
    tbl = rt.model.__table__
    dicts = validated
    if mode == "upsert":
        if not rt.natural_key and all(d.get("id") is None for d in dicts):
            raise InputError(f"{rt.label_zh} 没有自然键，不能按键更新", f"{rt.label_en} has no natural key to upsert by")
        dup = _duplicates(dicts, rt.natural_key) if rt.natural_key else []
        if dup:
            raise BatchError([Problem("文件内自然键重复", "duplicate natural key inside the batch", row=n + start_row, field=",".join(rt.natural_key), value=k, table=rt.key) for n, k in dup])
        done = _upsert(session, rt, dicts, actor, versions, start_row, found)
        done.masked = masked
        return done
    if versions:
        _check_versions(session, rt, {dicts[i]["id"]: v for i, v in versions.items() if dicts[i].get("id") is not None})
    ids = _insert_audited(session, rt, dicts, actor, return_ids)
    if return_ids:
        result.ids = ids
    result.inserted = len(dicts)
    session.flush()
    _changed(session, rt, [d.get("region_id") for d in dicts])
    return result


def _changed(session: Session, rt: RecordTable, region_ids: list) -> None:
    """Tell the plugins which regions' rows of ``rt`` this batch changed (``records_changed``)."""
    from .plugins import notify_changed

    ids = region_ids if "region_id" in rt.model.__table__.c else None
    analytics.touched(session, rt.model.__table__.name, ids)  # stored indicator cells of these regions are stale
    notify_changed(session, rt.key, ids)


def _check_references(session: Session, rt: RecordTable, rows: list, start_row: int) -> None:
    """Refuse rows whose references (households, residents, associations…) belong to another village."""
    problems = references.check_rows(session, rt, rows, start_row)
    if problems:
        raise BatchError(problems[:MAX_PROBLEMS])


def _take_versions(rows: Iterable[Any], rt: RecordTable, start_row: int) -> tuple[list, dict[int, int]]:
    """Split the optional ``"_version"`` (the version the caller loaded, see
    :func:`shequ_sdk.audit.version`) off the rows: ``(rows, {row index: version})``. The
    caller's dicts are not changed."""
    raw = rows if isinstance(rows, list) else list(rows)
    if not any("_version" in r for r in raw if isinstance(r, dict)):
        return raw, {}
    out, versions, problems = [], {}, []
    for i, r in enumerate(raw):
        if isinstance(r, dict) and "_version" in r:
            r = dict(r)
            v = r.pop("_version")
            if v is not None:
                if type(v) is not int or v < 0:
                    problems.append(Problem("版本号应为非负整数", "_version must be a non-negative integer", row=start_row + i, field="_version",
                                            value=v, table=rt.key))
                versions[i] = v
        out.append(r)
    if problems:
        raise BatchError(problems)
    return out, versions


def _check_versions(session: Session, rt: RecordTable, expected: dict[int, int]) -> None:
    audit.check_versions(session, rt.key, (rt.label_zh, rt.label_en), expected)


def _insert_audited(session: Session, rt: RecordTable, dicts: list, actor, return_ids: bool) -> list[int]:
    """Insert rows and log them: one ``insert`` entry per row (with its id and values), or for a
    batch larger than ``audit.BULK_THRESHOLD`` one ``bulk_insert`` entry (row count, id range,
    digest of the rows), so generated counties and large imports stay fast. Returns the ids
    when they are known (always for a per-row batch; for a bulk batch when ``return_ids``)."""
    n = len(dicts)
    if n <= audit.BULK_THRESHOLD:
        ids = _insert_returning_ids(session, rt, dicts)
        audit.append_many(session, actor, [audit.Change("insert", rt.key, i, d.get("region_id"), None, {**d, "id": i})
                                           for i, d in zip(ids, dicts)])
        return ids
    tbl = rt.model.__table__
    conn = session.connection()
    before = conn.execute(select(func.coalesce(func.max(tbl.c.id), 0))).scalar_one()
    ids: list[int] = []
    if return_ids:
        ids = _insert_returning_ids(session, rt, dicts)
        first, last = min(ids), max(ids)
    else:
        _insert_many(session, rt, dicts)
        given = [d["id"] for d in dicts if d.get("id") is not None]
        # the audit lock serialises audited writers, so the new rows are the ids above ``before``
        first = min(given + ([before + 1] if len(given) < n else []))
        last = conn.execute(select(func.max(tbl.c.id))).scalar_one()
    regions = {d["region_id"] for d in dicts}
    columns = _plan(rt.model).columns
    # the columns digested are named, so `shequ verify` recomputes the same digest after a migration adds one
    summary = {"rows": n, "first_id": first, "last_id": last, "columns": sorted(columns), "sha256": audit.rows_digest(columns, dicts)}
    audit.append_many(session, actor, [audit.Change("bulk_insert", rt.key, None, regions.pop() if len(regions) == 1 else None, None, summary)])
    return ids


def _insert_returning_ids(session: Session, rt: RecordTable, dicts: list[dict]) -> list[int]:
    """Insert rows and return their ids in order.

    SQLite holds the write lock for the whole transaction and gives an ``INTEGER PRIMARY KEY``
    row ``max(id) + 1``, so a batch without explicit ids gets consecutive ids: one
    ``executemany`` and a check of the new maximum replace a round trip per row. PostgreSQL
    uses ``INSERT … RETURNING`` in batches.
    """
    given = [d for d in dicts if d.get("id") is not None]
    if given:
        # explicit ids are known already: insert those as they are, number the rest
        _insert_many(session, rt, given)
        auto = iter(_insert_returning_ids(session, rt, [d for d in dicts if d.get("id") is None]) if len(given) < len(dicts) else ())
        return [d["id"] if d.get("id") is not None else next(auto) for d in dicts]
    if not dicts:
        return []
    tbl = rt.model.__table__
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        before = conn.execute(select(func.coalesce(func.max(tbl.c.id), 0))).scalar_one()
        _insert_many(session, rt, dicts)
        after = conn.execute(select(func.max(tbl.c.id))).scalar_one()
        if after - before == len(dicts):
            return list(range(before + 1, after + 1))
        raise RuntimeError(f"{tbl.name}: ids not consecutive after a bulk insert ({before}→{after} for {len(dicts)} rows)")
    # the driver's own executemany with RETURNING (psycopg pipelines it), like _insert_many: the
    # values are already validated, and SQLAlchemy's type processing would refuse what the
    # bulk path stores (naive timestamps)
    plan = _plan(rt.model)
    cols = [c for c in plan.columns if c != "id"]
    prep = conn.dialect.identifier_preparer
    sql = (f"INSERT INTO {prep.quote(tbl.name)} ({', '.join(prep.quote(c) for c in cols)}) "
           f"VALUES ({', '.join('%s' for _ in cols)}) RETURNING id")
    cur = conn.connection.driver_connection.cursor()
    try:
        cur.executemany(sql, [tuple(d[c] for c in cols) for d in dicts], returning=True)
        ids = []
        while True:
            ids.append(cur.fetchone()[0])
            if not cur.nextset():
                break
        return ids
    finally:
        cur.close()


def _insert_many(session: Session, rt: RecordTable, dicts: list[dict]) -> None:
    """Insert validated rows with the driver's own ``executemany``, inside the session's
    transaction: SQLAlchemy's per-row parameter processing costs more than the insert."""
    plan = _plan(rt.model)
    tbl = rt.model.__table__
    conn = session.connection()
    dbapi = conn.connection.driver_connection
    sqlite = conn.dialect.name == "sqlite"
    # rows with an explicit id and rows without go in separate statements (one pass finds them)
    given = [d for d in dicts if d.get("id") is not None]
    if not given:
        parts = ((False, dicts),)
    elif len(given) == len(dicts):
        parts = ((True, dicts),)
    else:
        parts = ((False, [d for d in dicts if d.get("id") is None]), (True, given))
    for with_id, chunk in parts:
        cols = [c for c in plan.columns if with_id or c != "id"]
        quoted = ", ".join(conn.dialect.identifier_preparer.quote(c) for c in cols)
        marks = ", ".join("?" if sqlite else "%s" for _ in cols)
        sql = f"INSERT INTO {conn.dialect.identifier_preparer.quote(tbl.name)} ({quoted}) VALUES ({marks})"
        params = map(itemgetter(*cols), chunk) if len(cols) > 1 else [(d[cols[0]],) for d in chunk]
        cur = dbapi.cursor()
        try:
            cur.executemany(sql, params)
        finally:
            cur.close()
        if with_id and not sqlite:
            # keep the sequence ahead of explicitly given ids
            seq = f"pg_get_serial_sequence('{tbl.name}', 'id')"
            cur = dbapi.cursor()
            try:
                cur.execute(f"SELECT setval({seq}, (SELECT COALESCE(MAX(id), 1) FROM {conn.dialect.identifier_preparer.quote(tbl.name)}))")
            finally:
                cur.close()


def _duplicates(dicts: list[dict], key: tuple[str, ...]) -> list[tuple[int, tuple]]:
    seen, dup = {}, []
    for n, d in enumerate(dicts):
        k = tuple(d.get(c) for c in key)
        if k in seen:
            dup.append((n, k))
        seen[k] = n
    return dup


def natural_key_of(rt: RecordTable, d: dict) -> tuple:
    return tuple(d.get(c) for c in rt.natural_key)


@dataclass
class _Found:
    """Stored records already looked up for this batch (by :func:`keep_masked`), so that
    :func:`_upsert` does not query them twice: ids and natural keys asked for, and what was found."""

    ids: set = field(default_factory=set)
    by_id: dict = field(default_factory=dict)
    keys: set = field(default_factory=set)
    by_key: dict = field(default_factory=dict)

    def stored_by_id(self, session: Session, rt: RecordTable, ids: list) -> dict:
        out = {i: self.by_id[i] for i in ids if i in self.by_id}
        out.update(_stored_by_id(session, rt, [i for i in ids if i not in self.ids]))
        return out

    def existing(self, session: Session, rt: RecordTable, dicts: list[dict]) -> dict:
        if not self.keys:
            return find_existing(session, rt, dicts)
        out = dict(self.by_key)
        out.update(find_existing(session, rt, [d for d in dicts if natural_key_of(rt, d) not in self.keys]))
        return out


def _upsert(session: Session, rt: RecordTable, dicts: list[dict], actor=None, versions: Optional[dict[int, int]] = None,
            start_row: int = 1, found: Optional[_Found] = None) -> WriteResult:
    """A row carrying the ``id`` of a stored record updates it; otherwise a row matching a stored
    natural key updates that record; the rest are inserted. Each update is logged with the old
    and new values of the changed columns; ``versions`` (row index → loaded version) are checked
    against the records matched, before anything is written."""
    tbl = rt.model.__table__
    found = found or _Found()
    by_id = found.stored_by_id(session, rt, [d["id"] for d in dicts if d.get("id") is not None])
    existing = found.existing(session, rt, [d for d in dicts if d.get("id") not in by_id]) if rt.natural_key else {}
    matched = []
    for d in dicts:
        rid = d.get("id")
        matched.append(by_id[rid] if rid is not None and rid in by_id else existing.get(natural_key_of(rt, d)))
    # the stored record must be the actor's to change, as the new row must (auth.check_write)
    check_stored(session, actor, rt, [(i, d, old) for i, (d, old) in enumerate(zip(dicts, matched)) if old is not None])
    _check_references(session, rt, dicts, start_row)
    moved = {old["id"]: d["region_id"] for d, old in zip(dicts, matched)
             if old is not None and "region_id" in d and d["region_id"] != old.get("region_id")}
    if moved:  # records still referring to a moved record from its old village would cross villages
        problems = references.check_moves(session, rt, moved)
        if problems:
            raise BatchError(problems)
    if versions:
        _check_versions(session, rt, {matched[i]["id"]: v for i, v in versions.items() if matched[i] is not None})
    result = WriteResult()
    to_insert, changes_log = [], []
    for d, old in zip(dicts, matched):
        if old is None:
            to_insert.append(d)
            continue
        changes = {c: v for c, v in d.items() if c not in ("id",) and old.get(c) != v}
        if changes:
            session.execute(update(tbl).where(tbl.c.id == old["id"]).values(**changes))
            changes_log.append(audit.Change("update", rt.key, old["id"], changes.get("region_id", old.get("region_id")),
                                            {c: old.get(c) for c in changes}, changes))
            result.updated += 1
        else:
            result.unchanged += 1
    audit.append_many(session, actor, changes_log)
    if to_insert:
        _insert_audited(session, rt, to_insert, actor, False)
    result.inserted = len(to_insert)
    session.flush()
    if result.inserted or result.updated:
        # an update counts for its region after the change and, when it moved, before it
        touched = [c.region_id for c in changes_log] + [old.get("region_id") for old in matched if old is not None and old["id"] in moved]
        _changed(session, rt, touched + [d.get("region_id") for d in to_insert])
    return result


def keep_masked(session: Session, rt: RecordTable, rows: list, found: Optional[_Found] = None) -> tuple[list, dict[str, list[int]]]:
    """Rows whose sensitive values are masks of the stored record's values (``汪**`` for 汪小东, an
    exported ``430921********1234``) get the stored values back: a masked export or template
    imported again never overwrites what it masked. Returns ``(rows, {field: [row index, …]})``;
    the caller's dicts are not changed. Records are matched as :func:`_upsert` matches them (by
    ``id``, else by natural key), with one query per chunk of the rows that hold a mask; a mask
    that matches no stored value stays, and validation refuses it as a masked value."""
    infos = [i for i in _plan(rt.model).infos if i.sensitive]
    if not infos or not rows:
        return rows, {}
    hits: dict[int, list] = {}
    for info in infos:
        name, kind = info.name, info.sensitive
        for i, r in enumerate(rows):
            if not isinstance(r, dict):
                continue  # a model instance: compared as given
            v = r.get(name)
            if type(v) is str and looks_masked(v, kind):
                hits.setdefault(i, []).append(info)
    if not hits:
        return rows, {}
    one, many = _key_adapter(rt.model, rt.natural_key)
    names = ("id", *rt.natural_key)
    positions = list(hits)
    raw = [{k: rows[i][k] for k in names if k in rows[i]} for i in positions]
    coerced: dict[int, dict] = {}
    try:
        coerced = dict(zip(positions, many.validate_python(raw)))  # the whole batch in one call
    except pydantic.ValidationError:
        for i, r in zip(positions, raw):
            try:
                coerced[i] = one.validate_python(r)
            except pydantic.ValidationError:
                continue  # a bad key value: validation reports it
    ids = [c["id"] for c in coerced.values() if c.get("id") is not None]
    by_id = _stored_by_id(session, rt, ids)
    keyed = [c for c in coerced.values() if c.get("id") not in by_id and all(c.get(k) is not None for k in rt.natural_key)]
    by_key = find_existing(session, rt, keyed) if rt.natural_key else {}
    if found is not None:  # _upsert reuses these lookups
        found.ids, found.by_id = set(ids), by_id
        found.keys, found.by_key = {natural_key_of(rt, c) for c in keyed}, by_key
    out = list(rows)
    kept: dict[str, list[int]] = {}
    for i, c in coerced.items():
        old = by_id.get(c["id"]) if c.get("id") is not None else None
        if old is None and rt.natural_key:
            old = by_key.get(natural_key_of(rt, c))
        if old is None:
            continue
        row = None
        for info in hits[i]:
            if is_mask_of(rows[i][info.name], old.get(info.name), info.sensitive):
                row = row if row is not None else dict(rows[i])
                row[info.name] = old[info.name]
                kept.setdefault(info.name, []).append(i)
        if row is not None:
            out[i] = row
    return out, kept


@lru_cache(maxsize=None)
def _key_adapter(model: type[SQLModel], natural_key: tuple[str, ...]) -> tuple[pydantic.TypeAdapter, pydantic.TypeAdapter]:
    """Validators of just the ``id`` and natural-key values (to match rows before full validation):
    one row, and a list of rows."""
    from typing import Annotated

    from typing_extensions import TypedDict

    annotations = {}
    for name in ("id", *natural_key):
        finfo = model.model_fields[name]
        ann = finfo.annotation
        annotations[name] = Annotated[(ann, *finfo.metadata)] if finfo.metadata else ann
    td = TypedDict(f"{model.__name__}Key", annotations, total=False)  # type: ignore[misc]
    td.__pydantic_config__ = pydantic.ConfigDict(extra="ignore", str_strip_whitespace=True)  # type: ignore[attr-defined]
    return pydantic.TypeAdapter(td), pydantic.TypeAdapter(list[td])


def _stored_by_id(session: Session, rt: RecordTable, ids: list[int]) -> dict[int, dict]:
    tbl = rt.model.__table__
    out: dict[int, dict] = {}
    for i in range(0, len(ids), 500):
        for r in session.execute(select(tbl).where(tbl.c.id.in_(ids[i:i + 500]))).mappings():
            out[r["id"]] = dict(r)
    return out


def find_existing(session: Session, rt: RecordTable, dicts: list[dict]) -> dict[tuple, dict]:
    """Stored rows whose natural key matches one of ``dicts``: ``{key: row-as-dict}``."""
    tbl = rt.model.__table__
    key_cols = [tbl.c[c] for c in rt.natural_key]
    keys = list({natural_key_of(rt, d) for d in dicts})
    out: dict[tuple, dict] = {}
    for i in range(0, len(keys), 500):
        chunk = keys[i : i + 500]
        cond = tuple_(*key_cols).in_(chunk) if len(key_cols) > 1 else key_cols[0].in_([k[0] for k in chunk])
        for r in session.execute(select(tbl).where(cond)).mappings():
            out[tuple(r[c] for c in rt.natural_key)] = dict(r)
    return out
