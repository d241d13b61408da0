"""Spreadsheets for village committees: fill-in templates, tolerant imports, safe exports.

Every registered record table works the same way, driven by its ``RecordTable`` and field
metadata (labels, choices, required, money, sensitive, natural key, date or period field).
The public names are re-exported by :mod:`shequ_sdk.spreadsheets`.
"""

from .cells import neutralise, unneutralise
from .columns import table_columns
from .display import resolve_table_name, select_rows
from .export import export_frame, safe_frame, to_csv_bytes, to_xlsx_bytes
from .importer import ImportResult, RowPlan, import_file, problem_line
from .reading import DEFAULT_MAX_BYTES, FileRefused, detect_encoding, read_book
from .template import write_template

__all__ = [
    "neutralise", "unneutralise", "table_columns", "resolve_table_name", "select_rows", "export_frame", "safe_frame",
    "to_csv_bytes", "to_xlsx_bytes", "ImportResult", "RowPlan", "import_file", "problem_line", "DEFAULT_MAX_BYTES",
    "FileRefused", "detect_encoding", "read_book", "write_template",
]
