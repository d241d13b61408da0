"""The analysts' benchmark (benchmarks/analyst_bench.py) on a tiny county, so it cannot rot:
every measure function runs, its output has the promised shape, and the SDK's results equal
the baselines' (frames, row counts, DuckDB figures). Nothing here asserts anything about time
or memory sizes."""

from __future__ import annotations

import datetime as dt

import pytest

OPTIONS = dict(townships=2, villages_per_township=2, households_per_village=20, years=2, last_year=2020)
AS_OF = dt.date(2021, 3, 31)


@pytest.fixture(scope="module")
def bench(load_bench):
    with load_bench("analyst_bench") as module:
        yield module


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    import shequ_sdk
    from shequ_sdk.demo import GenerateOptions

    db = tmp_path_factory.mktemp("analyst_bench") / "county.db"
    s = shequ_sdk.open(str(db), create=True)
    s.generate(GenerateOptions(**OPTIONS))
    yield s, db
    s.close()


@pytest.fixture
def check(bench_line):
    """A measure's line, checked, with a positive value and baseline."""
    def run(m, name: str, unit: str) -> dict:
        line = bench_line(m, name, unit)
        assert line["value"] > 0 and line["baseline"] > 0
        return line
    return run


def test_frame_measure_compares_equal_frames(check, bench, county):
    sdk, _ = county
    line = check(bench.bench_frame(sdk, "2020", runs=1), "frame_year_of_runs", "s")
    assert line["detail"]["frames_equal"] is True and line["detail"]["rows"] > 100


def test_the_baseline_frame_is_a_real_comparison(bench, county):
    sdk, _ = county
    df = bench.sdk_frame(sdk, "2020")
    base = bench.baseline_frame(sdk, "2020")
    assert bench.frames_equal(df, base)
    assert not bench.frames_equal(df, base.iloc[:-1])  # one row short is caught


def test_memory_and_rss_measures_run_in_children(check, bench, county):
    _, db = county
    line = check(bench.bench_frame_memory(db, "2020", runs=1), "frame_peak_memory", "MB")
    assert line["detail"]["rows"] > 100
    line = check(bench.bench_iter_rss(db, runs=1, chunksize=500), "iter_frames_all_runs_peak_rss", "MB")
    assert line["detail"]["chunks"] > 1 and line["detail"]["rows"] > 500


def test_export_and_duckdb_measures_agree_with_their_baselines(check, bench, county, tmp_path):
    sdk, _ = county
    line = check(bench.bench_export(sdk, tmp_path, runs=1, as_of=AS_OF), "parquet_export_all_tables", "s")
    assert line["detail"]["rows_equal"] is True and line["detail"]["partitions"] > 10
    line = check(bench.bench_duckdb(sdk, tmp_path / "export_sdk", runs=1, as_of=AS_OF), "duckdb_on_time_rate_county_year", "s")
    assert line["detail"]["figures_equal"] is True and line["detail"]["county_years"] >= 2
