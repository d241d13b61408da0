"""Benchmark ``shequ generate``: the default-size synthetic county into a temporary SQLite file.

Runs the command in a child process and measures its wall time and peak resident memory
(``getrusage(RUSAGE_CHILDREN)``, so the figure is the child's alone). Prints one JSON line,
then a table of rows per table. Targets: 60 s and 2 GB.

    uv run --no-sync python benchmarks/generate.py             # default county (15 × 20 × 500, 10 years)
    uv run --no-sync python benchmarks/generate.py --profile   # also a cProfile run: where the time goes
    uv run --no-sync python benchmarks/generate.py --check     # exit 1 when a target is missed

``--profile`` repeats the generation under cProfile (slower; its time is not the measurement)
and lists the functions with the most own time, plus the time of each plugin's ``populate`` and the share spent in the core write
path (``shequ_sdk.records.validate_rows`` / ``write``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 60.0
TARGET_RSS_MB = 2048.0

# The child runs the real CLI entry point; the profiled variant wraps it in cProfile.
CHILD = "import sys\nfrom shequ_sdk.cli import main\nmain(sys.argv[1:])\n"
PROFILED_CHILD = """
import cProfile, sys
from shequ_sdk.cli import main
out, args = sys.argv[1], sys.argv[2:]
profiler = cProfile.Profile()
code = 0
try:
    profiler.runcall(main, args)
except SystemExit as exc:
    code = exc.code or 0
finally:
    profiler.dump_stats(out)
sys.exit(code)
"""


def _size_args(ns) -> list[str]:
    return ["--townships", str(ns.townships), "--villages-per-township", str(ns.villages_per_township),
            "--households-per-village", str(ns.households_per_village), "--years", str(ns.years), "--seed", str(ns.seed)]


def run_generation(ns, workdir: Path) -> dict:
    db = workdir / "county.db"
    cmd = [sys.executable, "-c", CHILD, "generate", "--db", str(db), "--json", *_size_args(ns)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_kb = after.ru_maxrss  # Linux: kilobytes
    # CPU time tells a slow machine from a slow generator when other work shares the cores or disk
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise SystemExit(f"generation failed (exit {proc.returncode}):\n{proc.stderr.strip()}")
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    return {
        "wall_seconds": round(wall, 2),
        "generate_seconds": summary["seconds"],
        "cpu_seconds": round(cpu, 2),
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "peak_rss_note": None if before.ru_maxrss < peak_kb else "peak may belong to an earlier child of this process",
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "db_size_mb": round(sum(p.stat().st_size for p in workdir.glob("county.db*")) / 1e6, 1),
        "summary": summary,
    }


def run_profile(ns, workdir: Path, top: int) -> dict:
    db = workdir / "profiled.db"
    stats_file = workdir / "generate.prof"
    cmd = [sys.executable, "-c", PROFILED_CHILD, str(stats_file), "generate", "--db", str(db), "--quiet", *_size_args(ns)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"profiled generation failed (exit {proc.returncode}):\n{proc.stderr.strip()}")
    stats = pstats.Stats(str(stats_file))
    total = max(stats.total_tt, 1e-9)
    rows = []
    for (filename, line, name), (cc, nc, tt, ct, _callers) in stats.stats.items():
        rows.append({"function": f"{Path(filename).name}:{line}({name})", "file": filename, "calls": nc,
                     "own_s": round(tt, 3), "cumulative_s": round(ct, 3)})
    rows.sort(key=lambda r: r["own_s"], reverse=True)  # own time: cumulative is dominated by the CLI wrappers

    def cumulative(module_suffix: str, func: str) -> float:
        return max((r["cumulative_s"] for r in rows if r["file"].endswith(module_suffix) and r["function"].endswith(f"({func})")), default=0.0)

    write_path = {f: cumulative("shequ_sdk/records.py", f) for f in ("write", "validate_rows", "_insert_many")}
    populate_by_plugin: dict[str, float] = {}
    for r in rows:
        if not r["function"].endswith("(populate)"):
            continue
        if r["file"].endswith("default_plugins/core.py"):
            plugin = "core"
        elif "/plugins/" in r["file"]:
            plugin = r["file"].split("/plugins/", 1)[1].split("/", 1)[0]
        else:
            continue
        # a plugin's hook may delegate to a helper also called populate: keep the outermost
        populate_by_plugin[plugin] = max(populate_by_plugin.get(plugin, 0.0), r["cumulative_s"])
    return {
        "profiled_seconds": round(total, 2),
        "write_path_seconds": write_path,
        "write_path_share": round(write_path["write"] / total, 3),
        "populate_seconds": populate_by_plugin,
        "top": [{k: v for k, v in r.items() if k != "file"} for r in rows[:top]],
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--townships", type=int, default=15)
    parser.add_argument("--villages-per-township", type=int, default=20)
    parser.add_argument("--households-per-village", type=int, default=500)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--profile", action="store_true", help="also run under cProfile and show where the time goes")
    parser.add_argument("--top", type=int, default=25, help="functions to list with --profile (by own time)")
    parser.add_argument("--check", action="store_true", help="exit 1 when the time or memory target is missed")
    ns = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="shequ-bench-") as tmp:
        result = run_generation(ns, Path(tmp))
        profile = run_profile(ns, Path(tmp), ns.top) if ns.profile else None

    summary = result.pop("summary")
    record = {
        "benchmark": "shequ generate",
        "options": summary["options"],
        **result,
        "targets": {"seconds": TARGET_SECONDS, "peak_rss_mb": TARGET_RSS_MB},
        "within_targets": result["wall_seconds"] <= TARGET_SECONDS and result["peak_rss_mb"] <= TARGET_RSS_MB,
        "plugins": summary["plugins"],
        "failed_plugins": summary["failed_plugins"],
        "rows": summary["rows"],
        "total_rows": summary["total_rows"],
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    if profile:
        record["profile"] = {k: v for k, v in profile.items() if k != "top"}
    print(json.dumps(record, ensure_ascii=False))

    from rich.console import Console
    from rich.table import Table

    console = Console()
    t = Table(title="shequ generate — rows per table")
    t.add_column("table")
    t.add_column("rows", justify="right")
    for table, n in summary["rows"].items():
        t.add_row(table, f"{n:,}")
    t.add_row("[bold]total[/]", f"[bold]{summary['total_rows']:,}[/]")
    console.print(t)
    p = Table(title="seconds per plugin (inside the generation)")
    p.add_column("plugin")
    p.add_column("seconds", justify="right")
    for name, seconds in summary["plugins"].items():
        p.add_row(name, f"{seconds:.2f}")
    console.print(p)
    verdict = "[green]within targets[/]" if record["within_targets"] else "[red]misses a target[/]"
    console.print(f"wall {result['wall_seconds']} s (generation {result['generate_seconds']} s, CPU {result['cpu_seconds']} s; "
                  f"target {TARGET_SECONDS:.0f} s; load average {result['load_average'][0]}) · "
                  f"peak RSS {result['peak_rss_mb']} MB (target {TARGET_RSS_MB:.0f} MB) · {verdict}")
    if profile:
        top = Table(title=f"cProfile: top {ns.top} by own time (profiled run {profile['profiled_seconds']} s)")
        for col in ("function", "calls", "own s", "cumulative s"):
            top.add_column(col, justify="left" if col == "function" else "right")
        for r in profile["top"]:
            top.add_row(r["function"], f"{r['calls']:,}", f"{r['own_s']:.2f}", f"{r['cumulative_s']:.2f}")
        console.print(top)
        wp = profile["write_path_seconds"]
        console.print(f"core write path: write {wp['write']:.1f} s (validate_rows {wp['validate_rows']:.1f} s, insert {wp['_insert_many']:.1f} s) "
                      f"= {profile['write_path_share'] * 100:.0f}% of the profiled run")
        per_plugin = ", ".join(f"{k} {v:.1f} s" for k, v in sorted(profile["populate_seconds"].items(), key=lambda kv: -kv[1]))
        console.print(f"populate per plugin (profiled, cumulative): {per_plugin}")
    return 1 if ns.check and not record["within_targets"] else 0


if __name__ == "__main__":
    sys.exit(main())
