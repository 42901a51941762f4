"""Excel written out: nothing a user typed is ever a formula.

openpyxl stores a string that starts with ``=`` as a formula; a name, address or case title typed as
``=HYPERLINK(…)`` or a DDE payload (``=cmd|' /C calc'!A0``) would then run when a town clerk opens
the workbook. Every workbook the program writes passes its cells through :func:`literal`, which keeps
such a value a text cell: the clerk sees exactly what was typed and nothing is evaluated. (Values
starting with ``+ - @``, a tab or a CR are text cells already: openpyxl never makes them formulas.)
The diary ledger writes its rows as inline strings, which are never formulas either.
"""

from __future__ import annotations

from collections.abc import Iterable

# What spreadsheet programs may take for the start of a formula when a cell is edited or a CSV is read.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def literal(cell):
    """The cell, with a text value that openpyxl took for a formula made a plain text cell again."""
    if cell.data_type == "f" and isinstance(cell.value, str):
        cell.data_type = "s"
    return cell


def literal_rows(rows: Iterable) -> None:
    """Every cell of ``rows`` through :func:`literal` (for a sheet filled with ``append``)."""
    for row in rows:
        for cell in row:
            literal(cell)
