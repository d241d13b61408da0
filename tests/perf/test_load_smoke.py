"""``benchmarks/load.py``'s report without a browser: the measures a load's tallies give have
the promised shape, errors count everything that did not succeed, and the percentiles are right.
(A run with browsers takes minutes on a busy machine: ``make bench-load`` runs it.)"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def load(load_bench):
    with load_bench("load") as module:
        yield module


def test_percentiles(load):
    values = [float(i) for i in range(1, 101)]
    assert load.percentile(values, 50) == pytest.approx(50.5)
    assert load.percentile(values, 95) == pytest.approx(95.05)
    assert load.percentile([0.7], 95) == 0.7


def test_measures_shape_and_error_count(load, bench_line):
    opts = load.LoadOptions(sessions=3, interactions=4, num_procs=2)
    tally = load.Tally(latencies=[0.4, 0.5, 0.6, 0.9, 1.0, 1.1, 3.0], first_views=[2.0, 2.5], planned=12, failed=1,
                       errors=["session 0 2009年: TimeoutError", "session 2 first view: TimeoutError"])
    assert tally.unfinished == 4 and tally.error_count == 6  # the failed session's four interactions never happened
    base = load.Tally(latencies=[0.3, 0.4], planned=2)
    out = load.measures(tally, base, rss_peak=900.0, processes=3, opts=opts, backend="sqlite", detail={"db": "x.db"})
    lines = {m.name: bench_line(m) for m in out}
    assert list(lines) == ["load_interaction_p50", "load_interaction_p95", "load_errors", "load_server_rss"]
    p95 = lines["load_interaction_p95"]
    assert p95["value"] == pytest.approx(load.percentile(tally.latencies, 95), abs=1e-3) and p95["met"] is False
    assert p95["baseline"] == pytest.approx(load.percentile(base.latencies, 95), abs=1e-3)
    assert lines["load_errors"]["value"] == 6 and lines["load_errors"]["met"] is False and lines["load_errors"]["unit"] == "count"
    assert lines["load_server_rss"]["met"] is True and lines["load_server_rss"]["detail"]["processes"] == 3
    clean = load.Tally(latencies=[0.2] * 12, first_views=[1.0] * 3, planned=12)
    out = load.measures(clean, None, rss_peak=500.0, processes=3, opts=opts, backend="postgresql", detail={})
    assert out[1].met is True and out[2].value == 0 and out[2].met is True and out[0].baseline is None
