"""``benchmarks/scale.py`` on a tiny size, 1 then 2 counties in one database: every measure has
the promised shape and the SDK's figures equal the hand-written SQL's. Nothing about time."""

from __future__ import annotations

import pytest

SIZE = dict(townships=2, villages_per_township=2, households_per_village=20, years=2)


@pytest.fixture(scope="module")
def scale(load_bench):
    with load_bench("scale") as module:
        yield module


def test_scale_steps_and_growth(scale, bench_line, backend_url):
    size = scale.CountyOptions(**SIZE)
    import shequ_sdk

    shequ_sdk.open(backend_url, create=True).close()
    emitted = []
    backend = "postgresql" if backend_url.startswith("postgresql") else "sqlite"
    out = scale.run(backend_url, [1, 2], size, runs=1, backend=backend, emit=emitted.append, log=lambda _m: None)
    assert [m.name for m in out] == ["indicators_county_quarter_1_counties", "dashboard_first_render_data_1_counties",
                                     "indicators_county_quarter_2_counties", "dashboard_first_render_data_2_counties",
                                     "indicators_county_quarter_growth", "dashboard_first_render_data_growth"]
    assert emitted == out
    for m in out:
        line = bench_line(m, unit="ms")
        assert line["backend"] == backend
        if not m.name.endswith("_growth"):
            assert line["detail"]["figures_equal"] is True and line["detail"]["county"] == "模拟县"
    growth = out[-2]
    assert growth.value == out[2].value and growth.baseline == out[0].value
    assert set(growth.detail["series_ms"]) == {1, 2}
    sdk = shequ_sdk.open(backend_url)
    try:
        counties = sdk.regions_frame(lang="zh")
        names = set(counties[counties["level"].astype(str) == "county"]["name"])
    finally:
        sdk.close()
    assert names == {"模拟县", "模拟县2"}
