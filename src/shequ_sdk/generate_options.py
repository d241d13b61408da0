"""The size of a synthetic county and the progress stages of ``shequ generate``: plain data the
command line reads before it imports the generator (``shequ --help`` stays fast)."""

from __future__ import annotations

from dataclasses import dataclass

# Stages the SDK itself reports through ``ctx.progress`` around each plugin's ``populate``, so a
# progress display sees every plugin start and end even if the plugin never reports progress.
PLUGIN_START = "start"
PLUGIN_END = "end"


@dataclass
class GenerateOptions:
    """Size of a synthetic county (``shequ generate``)."""

    townships: int = 15
    villages_per_township: int = 20
    households_per_village: int = 500
    years: int = 10
    seed: int = 42
    last_year: int = 2020
    county: str = "模拟县"  # the county's name: another county added to the same database needs its own
    county_code: str = "439901"  # its 6-digit region code; townships and villages extend it to 12 digits
