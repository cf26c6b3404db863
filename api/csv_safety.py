"""CSV cells that spreadsheets will not run as formulas (CSV/formula injection).

Excel, LibreOffice and Google Sheets treat a cell starting with `=`, `+`, `-`, `@`, a
tab or a carriage return as a formula, so a category named `=HYPERLINK(...)` would run
when a planner opens an export. Text cells starting with one of those get a leading
single quote, which spreadsheets show as text. Apply it to text columns only: numbers
such as -0.5 are written as numbers and must stay as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
UTF8_BOM = b"\xef\xbb\xbf"
# Columns of vocast's exports that hold text from users (series keys, names).
TEXT_COLUMNS = frozenset({"category", "channel", "freq", "model", "run_id", "name"})


def safe_cell(value: Any) -> Any:
    """`value` with a leading quote when it is text a spreadsheet would evaluate."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def safe_text_column(values: Sequence[Any]) -> list[Any]:
    """`safe_cell` over a text column, checking each distinct value once."""
    if not any(safe_cell(value) is not value for value in set(values)):
        return list(values)
    return [safe_cell(value) for value in values]


def safe_columns(columns: dict[str, list[Any]],
                 text_columns: Iterable[str] = TEXT_COLUMNS) -> dict[str, list[Any]]:
    """`columns` with `safe_text_column` applied to the text ones present."""
    text = set(text_columns)
    return {name: safe_text_column(values) if name in text else values
            for name, values in columns.items()}
