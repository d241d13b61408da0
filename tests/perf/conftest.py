"""Shared by the benchmarks' smoke tests: loading a script of ``benchmarks/`` as a module, and
the shape every benchmark's JSON line has."""

from __future__ import annotations

import importlib.util
import json
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
FIELDS = {"name", "value", "unit", "baseline", "ratio", "target", "met", "runs", "backend", "detail"}


@contextmanager
def bench_module(name: str):
    """``benchmarks/<name>.py`` imported as module ``name`` (with ``benchmarks/`` on the path for
    its own imports, such as ``hand_sql``), removed from the path afterwards."""
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(BENCH))


@pytest.fixture(scope="session")
def load_bench():
    """The :func:`bench_module` context manager, for the smoke tests' module-scoped fixtures."""
    return bench_module


def _half_last_digit(x: float) -> float:
    """Half a unit of the last printed decimal of ``x`` (2.1 → 0.05, 3 → 0.5)."""
    text = repr(float(x))
    if "e" in text:
        return abs(x) * 1e-9
    decimals = len(text.split(".", 1)[1].rstrip("0"))
    return 0.5 * 10 ** -decimals


def check_line(m, name: str | None = None, unit: str | None = None) -> dict:
    """``m.line()`` parsed, after checking it has every key, a number, a known unit, the ratio of
    value to baseline (when there is a baseline) and a boolean ``met``."""
    line = json.loads(m.line())
    assert set(line) == FIELDS
    assert isinstance(line["value"], (int, float)) and line["unit"] in ("ms", "s", "MB", "KB", "B", "count")
    if name is not None:
        assert line["name"] == name
    if unit is not None:
        assert line["unit"] == unit
    if line["baseline"] is not None:
        # value and baseline are printed rounded while the ratio comes from the unrounded figures:
        # the ratio must lie within what the printed figures allow, give or take half their last digit
        v, b = line["value"], line["baseline"]
        hv, hb = _half_last_digit(v), _half_last_digit(b)
        low, high = (v - hv) / (b + hb), (v + hv) / max(b - hb, 1e-12)
        assert low * 0.98 - 0.005 <= line["ratio"] <= high * 1.02 + 0.005, (line["ratio"], low, high)
    assert isinstance(line["met"], bool)
    return line


@pytest.fixture(scope="session")
def bench_line():
    """:func:`check_line`, for the smoke tests."""
    return check_line


@pytest.fixture(scope="module")
def county_bench(load_bench):
    """``benchmarks/county_bench.py`` (with ``hand_sql``) as a module."""
    with load_bench("county_bench") as module:
        yield module


@pytest.fixture
def generated_county(sdk, request):
    """``sdk`` with a generated county: the test module's ``OPTIONS`` (``GenerateOptions`` fields);
    with its stored indicator cells when the module sets ``CELLS = True``."""
    from shequ_sdk.demo import GenerateOptions

    sdk.generate(GenerateOptions(**request.module.OPTIONS), cells=getattr(request.module, "CELLS", False))
    return sdk
