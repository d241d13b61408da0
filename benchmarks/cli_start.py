"""Benchmark how fast the ``shequ`` command line starts.

``shequ --help`` lists every command, plugin commands included, without loading the plugins
(their commands are remembered per installation, see ``shequ_sdk/cli_cache.py``). The baseline,
measured in the same run the same way, is the least any typer command line pays: a fresh
interpreter that imports typer. Each figure is the median of ``--runs`` fresh processes, after one
warm-up run (which writes the command cache, as a first ``shequ`` call on a machine does).
The command measured is the console script's own entry point (``shequ_sdk.launch:main``).
Prints one JSON line per measurement::

    {"name": "cli_help", "value": 480.0, "unit": "ms", "baseline": 100.0, "ratio": 4.8, ...}

    uv run --no-sync python benchmarks/cli_start.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

TARGET_RATIO = 1.5
SHEQU = [sys.executable, "-c", "import sys; from shequ_sdk.launch import main; main(sys.argv[1:])"]  # the console script


def _wall(argv: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - start) * 1000


def measure(name: str, args: list[str], runs: int, env: dict) -> dict:
    baseline_argv = [sys.executable, "-c", "import typer"]
    _wall(SHEQU + args, env)  # warm-up: the command cache is written, the file system cache is warm
    _wall(baseline_argv, env)
    values, bases = [], []
    for _ in range(runs):  # interleaved, so a burst of machine load hits both sides
        values.append(_wall(SHEQU + args, env))
        bases.append(_wall(baseline_argv, env))
    value, base = statistics.median(values), statistics.median(bases)
    ratio = value / base
    return {"name": name, "value": round(value, 1), "unit": "ms", "baseline": round(base, 1), "ratio": round(ratio, 2),
            "target": f"ratio <= {TARGET_RATIO}", "met": ratio <= TARGET_RATIO, "runs": runs, "backend": None,
            "detail": f"shequ {' '.join(args)} vs python -c 'import typer'"}


def run(runs: int = 5) -> list[dict]:
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "SHEQU_CACHE_DIR": cache}
        return [measure("cli_help", ["--help"], runs, env), measure("cli_command_help", ["lock", "--help"], runs, env)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    for line in run(ap.parse_args().runs):
        print(json.dumps(line, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
