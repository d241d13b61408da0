"""The county benchmark on a tiny county, so it cannot rot: every measure function runs, its
output has the promised shape, and the SDK's figures equal the hand-written SQL's. Nothing here
asserts anything about time."""

from __future__ import annotations

import datetime as dt

import pytest

OPTIONS = dict(townships=2, villages_per_township=3, households_per_village=30, years=2, last_year=2020)
AS_OF = dt.date(2021, 3, 31)


@pytest.fixture(scope="module")
def bench(county_bench):
    return county_bench


@pytest.fixture
def county(generated_county):
    return generated_county



def test_indicators_measure_agrees_with_hand_sql(bench_line, bench, county):
    """Measure 1 (and 5 on PostgreSQL): every indicator, a quarter and a year, SDK = hand SQL."""
    backend = county.engine.dialect.name
    measures = bench.bench_indicators(county, "模拟县", ["2020Q4", "2020"], AS_OF, runs=1, backend=backend)
    assert [m.name for m in measures] == ["indicators_county_quarter", "indicators_county_year"]
    for m in measures:
        line = bench_line(m)
        assert line["detail"]["figures_equal"] is True and line["backend"] == backend
    # the comparison has teeth: every registered indicator is in the year's figures
    from shequ_sdk.plugins import registry

    assert measures[1].detail["indicators"] == len(registry().indicators)
    sdk_values = bench.sdk_indicators(county, "模拟县", "2020", AS_OF)
    region = county.region("模拟县")
    hand = bench.hand_indicators(county, region.id, region.kind, "2020", AS_OF)
    assert not bench.compare(sdk_values, hand, "2020")
    assert any(v not in (0, None) for v in hand.values())  # a county with data, not all zeros


def test_a_wrong_hand_figure_is_caught(bench, county):
    region = county.region("模拟县")
    hand = bench.hand_indicators(county, region.id, region.kind, "2020", AS_OF)
    wrong = dict(hand, **{"core.households": hand["core.households"] + 1})
    assert bench.compare(bench.sdk_indicators(county, "模拟县", "2020", AS_OF), wrong, "2020")


def test_dashboard_data_measure_agrees_with_hand_sql(bench_line, bench, county):
    """Measure 2: KPI values, the village table of headline indicators and the heatmap statuses."""
    m = bench.bench_dashboard_data(county, "模拟县", "2020", AS_OF, first_year=2019, runs=1, backend=county.engine.dialect.name)
    line = bench_line(m)
    assert line["detail"]["villages"] == 6 and line["detail"]["kpis"] > 5 and line["detail"]["heatmap_rows"] > 0


def test_insert_measure_runs_on_a_small_county(bench_line, bench, tmp_path):
    """Measure 3: the validated write path and the executemany baseline insert the same rows."""
    import shequ_sdk
    from shequ_sdk.demo import GenerateOptions

    db = tmp_path / "county.db"
    s = shequ_sdk.open(str(db), create=True)
    s.generate(GenerateOptions(**OPTIONS))
    s.close()
    m = bench.bench_insert(db, tmp_path / "work", n=2_000, runs=1, today=AS_OF)
    line = bench_line(m)
    assert line["name"] == "insert_collection_runs" and line["detail"]["rows"] == 2_000


def test_county_is_reused_when_unchanged(bench, tmp_path, monkeypatch):
    import shequ_sdk

    calls = []

    def stub_generate(url, options):  # an initialised, empty database at the current schema; the stamp says the rest
        calls.append(url)
        shequ_sdk.open(url, create=True).close()
        return {"seconds": 1.0, "total_rows": 10}

    monkeypatch.setattr(bench, "_generate", stub_generate)
    opts = bench.CountyOptions(townships=1, villages_per_township=1, households_per_village=1, years=1)
    path = tmp_path / "c.db"
    bench.ensure_county(path, opts, log=lambda _m: None)
    bench.ensure_county(path, opts, log=lambda _m: None)
    assert len(calls) == 1
    bench.ensure_county(path, bench.CountyOptions(townships=2, villages_per_township=1, households_per_village=1, years=1), log=lambda _m: None)
    assert len(calls) == 2  # other options: generated again
