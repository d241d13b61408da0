"""The command-line start benchmark (benchmarks/cli_start.py) with one run, so it cannot rot:
every measure runs and prints the promised JSON shape. Nothing here asserts anything about time."""

from __future__ import annotations

import json


def test_cli_start_bench_prints_its_measures(load_bench, bench_line, tmp_path, tmp_path_factory):
    from shequ_sdk.testing import sqlite_demo_copy

    db = tmp_path / "demo.db"
    sqlite_demo_copy(tmp_path_factory, db)
    with load_bench("cli_start") as bench:
        lines = bench.run(runs=1, db=str(db))

    class Printed:  # check_line reads a benchmark's printed line
        def __init__(self, line):
            self.text = json.dumps(line, ensure_ascii=False)

        def line(self):
            return self.text

    names = [bench_line(Printed(line), unit="ms")["name"] for line in lines]
    assert names == ["cli_help", "cli_command_help", "cli_indicators_demo"]
    assert lines[2]["baseline"] > 0 and lines[2]["backend"] == "sqlite"
