"""A distributed engine reads the Parquet export: ``dask.dataframe`` on a two-worker
``distributed.LocalCluster`` bound to 127.0.0.1 computes the disclosure on-time rate per county
and year from the exported indicator values and gets the SDK's figures; and the record tables'
row counts per partition agree with the database."""

from __future__ import annotations

import pytest

from shequ_sdk.testing import need

KEY = "finance.disclosure_on_time_rate"
OPTIONS = dict(townships=2, villages_per_township=3, households_per_village=20, years=2, last_year=2020)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    import shequ_sdk
    from shequ_sdk.demo import GenerateOptions

    base = tmp_path_factory.mktemp("dask")
    sdk = shequ_sdk.open(base / "county.db", create=True)
    sdk.generate(GenerateOptions(**OPTIONS))
    out = base / "parquet"
    sdk.export_parquet(out, tables=["indicator_values", "sanitation_collection_run"])
    yield sdk, out
    sdk.close()


@pytest.fixture(scope="module")
def client():
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - dask is a test dependency
        need(False, "dask[distributed] is not installed")
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None)
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.mark.slow
def test_dask_on_a_local_cluster_gets_the_sdk_rates(exported, client):
    import dask.dataframe as dd

    sdk, out = exported
    assert len(client.scheduler_info()["workers"]) == 2
    assert all(addr.startswith("tcp://127.0.0.1:") for addr in client.scheduler_info()["workers"])
    values = dd.read_parquet(str(out / "indicator_values"), columns=["indicator", "numerator", "denominator", "county", "year"])
    rate = values[values["indicator"] == KEY]
    sums = rate.groupby(["county", "year"], observed=True)[["numerator", "denominator"]].sum().compute()
    sums = sums[sums["denominator"] > 0]
    dask_rates = {(str(c), int(y)): row.numerator / row.denominator for (c, y), row in sums.iterrows()}
    assert {y for _, y in dask_rates} >= {2019, 2020}

    county = sdk.region("模拟县")
    expected = sdk.indicators(KEY, regions="模拟县", periods=[str(y) for _, y in sorted(dask_rates)], level="county")
    sdk_rates = {(county.code, int(p)): v for p, v in zip(expected["period"], expected["value"]) if v == v}
    assert dask_rates.keys() == sdk_rates.keys()
    for key, value in sdk_rates.items():
        assert dask_rates[key] == pytest.approx(value, rel=1e-12, abs=1e-12)
    assert any(0 < v < 1 for v in sdk_rates.values())  # a rate with both on-time and late disclosures


@pytest.mark.slow
def test_dask_row_counts_per_partition_equal_the_database(exported, client):
    import dask.dataframe as dd

    sdk, out = exported
    runs = dd.read_parquet(str(out / "sanitation_collection_run"), columns=["amount_kg", "county", "year"])
    counts = runs.groupby(["county", "year"], observed=True)["amount_kg"].agg(["count", "sum"]).compute()
    assert {2019, 2020} <= {int(y) for _, y in counts.index}  # (and the first quarter of 2021, the generator's "now")
    for (_county, year), row in counts.iterrows():
        frame = sdk.frame("sanitation_collection_run", period=str(year), columns=["amount_kg"])
        assert row["count"] == len(frame) > 0 and row["sum"] == frame["amount_kg"].sum()
