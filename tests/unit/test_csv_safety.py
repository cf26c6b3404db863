"""Spreadsheet formula injection: text cells are neutralised, numbers never touched."""

from __future__ import annotations

import pytest

from api.csv_safety import safe_cell, safe_columns, safe_text_column


@pytest.mark.parametrize("text", ["=1+1", "+1", "-cmd", "@SUM(A1)", "\tx", "\rx",
                                  "=HYPERLINK(\"http://x\")"])
def test_formula_starts_get_a_quote(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["refund", "결제", "", " =x", "a=b", -0.5, -3, 0.0, None])
def test_other_cells_are_unchanged(value: object) -> None:
    assert safe_cell(value) is value


def test_columns_quote_only_text_columns() -> None:
    columns = {"category": ["refund", "=bad", "=bad"], "channel": ["", "-", "@x"],
               "yhat": [-1.5, 2.0, -0.25], "lo80": [-1.0, 0.0, 1.0]}
    safe = safe_columns(columns)
    assert safe["category"] == ["refund", "'=bad", "'=bad"]
    assert safe["channel"] == ["", "'-", "'@x"]
    assert safe["yhat"] is columns["yhat"] and safe["lo80"] is columns["lo80"]


def test_a_clean_column_is_returned_as_is() -> None:
    assert safe_text_column(["a", "b", "a"]) == ["a", "b", "a"]
    assert safe_text_column([]) == []
