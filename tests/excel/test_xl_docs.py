"""docs/spreadsheets.md lists every installed table's natural key exactly as ``shequ tables --markdown`` prints it."""

from __future__ import annotations

from pathlib import Path

from shequ_sdk import registry
from shequ_sdk.commands.excel import catalogue_markdown
from shequ_sdk.spreadsheets import table_catalogue

DOC = Path(__file__).resolve().parents[2] / "docs" / "spreadsheets.md"


def test_natural_key_table_in_the_docs_is_current():
    text = DOC.read_text(encoding="utf-8")
    generated = catalogue_markdown(table_catalogue())
    assert generated in text, "docs/spreadsheets.md is out of date: paste the output of `shequ tables --markdown`"


def test_core_natural_keys_in_the_docs():
    text = DOC.read_text(encoding="utf-8")
    reg = registry()
    for key in ("household", "resident", "association", "association_member", "honour"):
        fields = ", ".join(reg.tables[key].natural_key)
        assert f"| `{key}` | {reg.tables[key].label_zh} |" in text and fields in text, key
