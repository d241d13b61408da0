"""``Shequ.generate`` and ``shequ generate``: the same seed gives the same database (on
either backend), progress reports every plugin's start and end, a failure leaves nothing
behind, and the command refuses to overwrite data."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import Session

import shequ_sdk
from shequ_sdk import hookimpl
from shequ_sdk.demo import PLUGIN_END, PLUGIN_START, GenerateOptions
from shequ_sdk.models import Region
from shequ_sdk.plugins import registry

TINY = GenerateOptions(townships=1, villages_per_township=3, households_per_village=20, years=2)
SIZE = ("--townships", "1", "--villages-per-township", "3", "--households-per-village", "20", "--years", "2")
TINY_ARGS = (*SIZE, "--no-cells")  # the stored indicator cells are built (and timed) by one test below


def dump(sdk) -> dict[str, list[tuple]]:
    """Every row of the region table and of every registered table, in id order."""
    out = {}
    tables = [Region.__table__] + [t.model.__table__ for t in registry().tables.values()]
    with Session(sdk.engine) as s:
        for tbl in tables:
            out[tbl.name] = [tuple(r) for r in s.execute(select(tbl).order_by(tbl.c.id))]
    return out


def generated(url, options=TINY, progress=None):
    sdk = shequ_sdk.open(url, create=True)
    report = sdk.generate(options, progress=progress)
    return sdk, report


def test_same_seed_same_database_other_seed_other_database(tmp_path):
    a, _ = generated(tmp_path / "a.db")
    b, _ = generated(tmp_path / "b.db")
    c, _ = generated(tmp_path / "c.db", GenerateOptions(**{**TINY.__dict__, "seed": 7}))
    try:
        da, db_, dc = dump(a), dump(b), dump(c)
        assert da["household"] and len(da["region"]) == 1 + 1 + 3
        for table in da:
            assert da[table] == db_[table], f"table {table} differs between two runs with the same seed"
        assert da["household"] != dc["household"]
    finally:
        for s in (a, b, c):
            s.close()


def test_both_backends_generate_the_same_county(backend_url, tmp_path):
    ref, _ = generated(tmp_path / "reference.db")
    other, report = generated(backend_url)
    try:
        expected, got = dump(ref), dump(other)
        for table in expected:
            assert got[table] == expected[table], f"table {table} differs from the SQLite reference"
        assert "core" in report.plugins and report.seconds > 0
    finally:
        ref.close()
        other.close()


def test_progress_reports_each_plugin_start_and_end(tmp_path):
    events = []
    sdk, report = generated(tmp_path / "p.db", progress=lambda plugin, stage, done, total: events.append((plugin, stage, done, total)))
    sdk.close()
    for plugin in report.plugins:
        starts = [i for i, e in enumerate(events) if e[:2] == (plugin, PLUGIN_START)]
        ends = [i for i, e in enumerate(events) if e[:2] == (plugin, PLUGIN_END)]
        assert len(starts) == len(ends) == 1 and starts[0] < ends[0], plugin
    core = [e for e in events if e[0] == "core" and e[1] not in (PLUGIN_START, PLUGIN_END)]
    assert core and core[-1][2] == core[-1][3] == 3  # the core reports its villages


class Exploding:
    """A plugin whose populate fails after the core has written regions and households."""

    @hookimpl(trylast=True)
    def populate(self, ctx):
        if ctx.mode == "synthetic":
            raise RuntimeError("simulated crash half-way through generation")


@pytest.fixture
def exploding():
    from shequ_sdk.plugins import register_plugin, unregister_plugin

    register_plugin(Exploding(), name="analytics_exploding")
    yield
    unregister_plugin("analytics_exploding")


def test_a_failed_generation_writes_nothing(backend_url, exploding):
    sdk = shequ_sdk.open(backend_url, create=True)
    try:
        with pytest.raises(RuntimeError):
            sdk.generate(TINY)
        assert sdk.row_counts()["household"] == 0 and sdk.row_counts()["region"] == 0
    finally:
        sdk.close()


def test_options_are_checked(tmp_path):
    sdk = shequ_sdk.open(tmp_path / "o.db", create=True)
    try:
        with pytest.raises(shequ_sdk.InputError) as exc:
            sdk.generate(GenerateOptions(townships=0))
        assert "townships" in exc.value.zh and "townships" in exc.value.en
    finally:
        sdk.close()


# -- the command ------------------------------------------------------------------------------

def test_cli_generates_and_summarises(cli, tmp_path):
    path = tmp_path / "county.db"
    code, out, err = cli("generate", "--db", str(path), *SIZE)
    assert code == 0, err
    assert "household" in out and "合计 total" in out and "core" in out
    assert "core" in err and "完成 done" in err  # the progress display, on stderr
    assert "指标汇总" in err  # the stored indicator cells, built by default with their own progress bar
    sdk = shequ_sdk.open(path)
    try:
        counts = sdk.row_counts()
        from shequ_sdk import analytics

        with sdk.reading() as s:
            assert analytics.status(s)["cells"] > 0 and analytics.status(s)["dirty"] == 0
    finally:
        sdk.close()
    assert f"{counts['household']:,}" in out


def test_cli_json_summary_matches_the_database(cli, backend_url):
    code, out, err = cli("generate", "--db", backend_url, *TINY_ARGS, "--seed", "3", "--json")
    assert code == 0, err
    summary = json.loads(out)
    sdk = shequ_sdk.open(backend_url)
    try:
        assert summary["rows"] == sdk.row_counts()
    finally:
        sdk.close()
    assert summary["options"]["seed"] == 3 and summary["total_rows"] == sum(summary["rows"].values())
    assert list(summary["plugins"])[0] == "core"


def test_cli_refuses_to_overwrite_unless_forced(cli, backend_url):
    assert cli("generate", "--db", backend_url, *TINY_ARGS, "--quiet")[0] == 0
    code, out, err = cli("generate", "--db", backend_url, *TINY_ARGS, "--quiet")
    assert code == 2
    assert "--force" in err and ("已存在" in err or "已有数据" in err)
    code, out, err = cli("generate", "--db", backend_url, *TINY_ARGS, "--quiet", "--seed", "9", "--force")
    assert code == 0, err
    sdk = shequ_sdk.open(backend_url)
    try:
        assert sdk.row_counts()["region"] == 5  # replaced, not appended to
    finally:
        sdk.close()


def test_cli_bad_option_is_one_line(cli, tmp_path):
    code, out, err = cli("generate", "--db", str(tmp_path / "x.db"), "--townships", "0")
    assert code == 2 and "参数有误" in err and "Traceback" not in err
    assert not (tmp_path / "x.db").exists()


def test_cli_failure_leaves_no_file(cli, tmp_path, exploding):
    path = tmp_path / "crash.db"
    code, out, err = cli("generate", "--db", str(path), *TINY_ARGS, "--quiet")
    assert code == 3 and "simulated crash" in err
    assert not path.exists() and not Path(str(path) + "-wal").exists()


# -- a second county beside the first ----------------------------------------------------------

def test_a_county_added_beside_another_leaves_the_first_as_it_was(backend_url, tmp_path):
    """``add=True``: the plugins populate only the new county's regions, so the first county's
    rows (and so its figures) are exactly those of a database holding it alone."""
    alone, _ = generated(tmp_path / "alone.db")
    both, _ = generated(backend_url)
    try:
        second = GenerateOptions(**{**TINY.__dict__, "seed": 8, "county": "模拟二县", "county_code": "439902"})
        both.generate(second, add=True)
        first_rows, all_rows = dump(alone), dump(both)
        for table, rows in first_rows.items():
            assert all_rows[table][:len(rows)] == rows, f"{table}: the first county's rows changed"
        assert len(all_rows["region"]) == 2 * len(first_rows["region"])
        with Session(both.engine) as s:
            added = s.execute(select(Region).where(Region.name == "模拟二县")).scalar_one()
            villages = s.execute(select(Region.id).where(Region.county_id == added.id, Region.kind.in_(("village", "community")))).scalars().all()
        assert len(villages) == 3
        # the plugins wrote rows for the new county's villages
        tables = {rt.model.__table__.name: rt.model.__table__ for rt in registry().tables.values()}
        with Session(both.engine) as s:
            for table in ("household", "finance_posting", "sanitation_collection_run"):
                tbl = tables[table]
                assert s.execute(select(tbl.c.id).where(tbl.c.region_id.in_(villages)).limit(1)).first() is not None, table
        as_of = dt.date(TINY.last_year + 1, 3, 31)
        year = str(TINY.last_year)
        assert alone.indicator_values("模拟县", year, as_of=as_of) == both.indicator_values("模拟县", year, as_of=as_of)
    finally:
        alone.close()
        both.close()


def test_an_added_county_needs_its_own_name_and_code(tmp_path):
    sdk, _ = generated(tmp_path / "a.db")
    try:
        with pytest.raises(shequ_sdk.InputError, match="--county"):
            sdk.generate(TINY, add=True)
        with pytest.raises(shequ_sdk.InputError, match="--county-code"):
            sdk.generate(GenerateOptions(**{**TINY.__dict__, "county": "模拟二县"}), add=True)
        with pytest.raises(shequ_sdk.InputError, match="6 digits"):
            sdk.generate(GenerateOptions(**{**TINY.__dict__, "county": "模拟二县", "county_code": "4399"}), add=True)
    finally:
        sdk.close()


def test_cli_adds_a_county(cli, tmp_path):
    path = tmp_path / "two.db"
    assert cli("generate", "--db", str(path), *TINY_ARGS, "--quiet")[0] == 0
    code, out, err = cli("generate", "--db", str(path), *TINY_ARGS, "--add", "--county", "模拟二县", "--county-code", "439902",
                         "--seed", "5", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["options"]["county"] == "模拟二县" and summary["options"]["add"] is True
    assert summary["rows"]["region"] == 10
    code, out, err = cli("generate", "--db", str(path), *TINY_ARGS, "--add", "--force")
    assert code == 2 and "--add" in err
