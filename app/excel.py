"""Excel in and out: nothing a user typed is ever a formula; nothing read is trusted for its size.

openpyxl stores a string that starts with ``=`` as a formula; a name, address or case title typed as
``=HYPERLINK(…)`` or a DDE payload (``=cmd|' /C calc'!A0``) would then run when a town clerk opens
the workbook. Every workbook the program writes passes its cells through :func:`literal`, which keeps
such a value a text cell: the clerk sees exactly what was typed and nothing is evaluated. (Values
starting with ``+ - @``, a tab or a CR are text cells already: openpyxl never makes them formulas.)
The 台账 writer (:mod:`app.ledger_book`) writes its rows as inline strings, which are never formulas either.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from pyexpat import ExpatError, ParserCreate
from typing import Protocol, TypeVar

from app.errors import UserError

# What spreadsheet programs may take for the start of a formula when a cell is edited or a CSV is read.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Cell(Protocol):
    """What :func:`literal` reads and sets of an openpyxl cell (a sheet's or a write-only one)."""

    data_type: str

    @property
    def value(self) -> object: ...


_CellT = TypeVar("_CellT", bound=_Cell)

# What one cell of Excel holds: 32 767 characters, counted in UTF-16 (a character beyond the basic plane,
# a rare name character of CJK Extension B, counts two). A longer text makes Excel say the file is damaged
# and offer to repair it, which cuts the text anyway: a 民情日记 pasted from a long document, a case's
# facts. It is cut here, saying so in the cell.
CELL_LIMIT = 32_767
CUT_NOTE = "……（以下超出 Excel 单元格 32767 字的上限，没有写入；全文请在民情簿里查看）"
_CUT_AT = CELL_LIMIT - len(CUT_NOTE.encode("utf-16-le")) // 2


def fit_cell_text(text: str) -> str:
    """``text`` as a cell of Excel holds it: whole when it fits, else its start and :data:`CUT_NOTE`."""
    if len(text) <= CELL_LIMIT // 2:  # (fits whatever its characters: the common case, no encoding)
        return text
    units = text.encode("utf-16-le")
    if len(units) <= CELL_LIMIT * 2:
        return text
    # a character cut in two (the first half of a surrogate pair) is dropped by the decoding
    return units[: _CUT_AT * 2].decode("utf-16-le", errors="ignore") + CUT_NOTE


# Characters XML 1.0 does not allow (the control characters but tab, LF and CR): openpyxl refuses a cell
# holding one (IllegalCharacterError), and a sheet written with one is a file Excel calls damaged. Text
# pasted from a word processor (a vertical tab for a manual line break) or read from a CSV holds them.
ILLEGAL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def storable_text(text: str) -> str:
    """``text`` without the characters XML does not allow (they show as nothing anyway)."""
    return ILLEGAL_CHARACTERS.sub("", text) if ILLEGAL_CHARACTERS.search(text) else text


def storable(value: object) -> object:
    """``value`` as a cell can hold it: a text through :func:`storable_text`, anything else as it is."""
    return storable_text(value) if isinstance(value, str) else value


def literal(cell: _CellT) -> _CellT:
    """The cell, with a text value that openpyxl took for a formula made a plain text cell again. (An
    openpyxl cell cuts its own text at 32 767 characters; the 台账 writer's rows, written as XML, go
    through :func:`fit_cell_text`.)"""
    if cell.data_type == "f" and isinstance(cell.value, str):
        cell.data_type = "s"
    return cell


def literal_rows(rows: Iterable[Iterable[_Cell]]) -> None:
    """Every cell of ``rows`` through :func:`literal` (for a sheet filled with ``append``)."""
    for row in rows:
        for cell in row:
            literal(cell)


# -- Excel in: bounded ------------------------------------------------------------------------------
MAX_BOOK_FILE = 50 * 1024 * 1024  # a village roster is a few MB
MAX_BOOK_INFLATED = 256 * 1024 * 1024  # every part of the package together, uncompressed
MAX_PART_RATIO = 100  # uncompressed / compressed of one part (sheets of text: 5–20)
MAX_PARTS = 10_000
MAX_ROWS = 200_000
MAX_COLUMNS = 200
_DIMENSION = re.compile(rb'<dimension\s+ref="([A-Z]{1,3})?(\d+)?(?::([A-Z]{1,3})(\d+))?"')
# A reference beyond the limits, in a cell's (or a row's) r attribute: more than MAX_COLUMNS (GR = 200)
# columns is three letters, or two from GS on; rows from 100 000 on have six or seven digits.
# (The patterns start with the literal r=" so that the regex engine skips ahead to it; whether it is
# an attribute of its own, after white space, is checked of the few that match.)
_WIDE_REF = re.compile(rb'r="([A-Z]{3}|[H-Z][A-Z]|G[S-Z])\d{1,7}"')
_LONG_REF = re.compile(rb'r="[A-Z]{0,3}(\d{6,7})"')


def column_number(letters: bytes | str) -> int:
    """``A`` → 1, ``XFD`` → 16384."""
    n = 0
    for ch in letters if isinstance(letters, str) else letters.decode("ascii"):
        n = n * 26 + ord(ch) - 64
    return n


def check_workbook(path: Path) -> list[tuple[str, bytes]]:
    """Refuse, in Chinese and before any reader allocates for it, a workbook too large, too wide or too
    long, or whose parts inflate far beyond their stored size (a zip bomb). The declared dimension of
    each sheet and the cells it actually names are both checked: a 5 KB file with one cell at
    XFD1048576 would make a reader allocate hundreds of gigabytes for the empty ones.

    Returns the package's XML parts under ``xl/`` (name, bytes), read once here, for
    :func:`check_well_formed` and :func:`error_cells`; none for an ``.xls``."""
    size = path.stat().st_size
    if size > MAX_BOOK_FILE:
        raise UserError(
            f"{path.name} 有 {size // 1048576} MB，超过 {MAX_BOOK_FILE // 1048576} MB 的上限；"
            "请只保留名册那一张工作表，另存后再导入"
        )
    if not zipfile.is_zipfile(path):
        return []  # .xls (a compound file): bounded by its size; the reader checks the rest
    parts = []
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            if len(infos) > MAX_PARTS:
                raise UserError(f"{path.name} 的结构异常（{len(infos)} 个部件），不像正常的 Excel 文件")
            total = 0
            for info in infos:
                total += info.file_size
                if info.file_size > max(info.compress_size, 1) * MAX_PART_RATIO + 65536:
                    raise UserError(
                        f"{path.name} 解压后异常地大（{info.filename}），可能已损坏或被做了手脚，不能导入"
                    )
            if total > MAX_BOOK_INFLATED:
                raise UserError(
                    f"{path.name} 解压后有 {total // 1048576} MB，超过 {MAX_BOOK_INFLATED // 1048576} MB"
                    " 的上限；请只保留名册那一张工作表，另存后再导入"
                )
            for info in infos:
                if info.filename.startswith("xl/") and info.filename.endswith((".xml", ".rels")):
                    xml = z.read(info)
                    if info.filename.startswith("xl/worksheets/"):
                        _check_sheet_extent(path, xml)
                    parts.append((info.filename, xml))
    except zipfile.BadZipFile:
        raise UserError(f"{path.name} 已损坏（不是完整的 Excel 文件），请重新保存后再导入") from None
    return parts


_PARSE_SLICE = 1 << 20


def _no_doctype(*_args: object) -> None:
    raise ValueError("DOCTYPE")  # an Excel part never declares one (nor entities to expand)


def check_well_formed(path: Path, parts: Sequence[tuple[str, bytes]]) -> None:
    """Refuse a workbook with a damaged XML part (a cut or altered sheet, shared strings or styles), as
    Excel would ask to repair it. The fast reader reads on past the damage: a sheet with one broken cell
    would be imported with that cell's value missing, and no word said (docs/security.md)."""
    for name, xml in parts:
        parser = ParserCreate()
        parser.StartDoctypeDeclHandler = _no_doctype
        try:
            # in slices: a reader in another thread gets the GIL between them (a parse holds it throughout)
            for start in range(0, len(xml), _PARSE_SLICE):
                parser.Parse(xml[start : start + _PARSE_SLICE], False)
            parser.Parse(b"", True)
        except (ExpatError, ValueError):
            raise UserError(
                f"{path.name} 已损坏：其中的 {name} 不完整或被改动过，照样读会缺少内容，所以没有导入。"
                "请用 Excel 打开它（Excel 会提示修复），修复后另存为 .xlsx 再导入"
            ) from None


def _check_sheet_extent(path: Path, xml: bytes) -> None:
    rows = cols = 0
    head = _DIMENSION.search(xml, 0, 4096)
    if head is not None:
        letters, row = head.group(3) or head.group(1), head.group(4) or head.group(2)
        cols, rows = column_number(letters) if letters else 0, int(row) if row else 0
    if rows <= MAX_ROWS and cols <= MAX_COLUMNS:
        # The cells named: only a reference beyond a limit matters, so the scan looks for those alone
        # (one pass of the regex engine over the sheet, no Python per cell: a roster of 10 000 rows
        # has 200 000 cells).
        for m in _WIDE_REF.finditer(xml):
            if xml[m.start() - 1 : m.start()].isspace():
                cols = column_number(m.group(1))
                break
        for m in _LONG_REF.finditer(xml):
            if xml[m.start() - 1 : m.start()].isspace():
                rows = max(rows, int(m.group(1)))
                if rows > MAX_ROWS:
                    break
    if cols > MAX_COLUMNS:
        raise UserError(
            f"{path.name} 的工作表太宽（用到第 {cols} 列，上限 {MAX_COLUMNS} 列）；"
            "请删去名册右边多余的列（或把内容复制到新的工作表），另存后再导入"
        )
    if rows > MAX_ROWS:
        raise UserError(
            f"{path.name} 的工作表太长（用到第 {rows} 行，上限 {MAX_ROWS} 行）；"
            "请删去名册下面多余的行，另存后再导入"
        )


_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL_REF = re.compile(rb'\sr="([A-Z]{1,3})(\d{1,7})"')
MAX_ERROR_CELLS = 10_000  # more, and the workbook is refused whole: fix the formulas first
NO_VALUE = "无计算结果"  # error_cells' code for a formula whose result the file does not hold
_ERROR_VALUE = re.compile(rb"<v>([^<]{1,20})</v>")


def sheet_parts(parts: Sequence[tuple[str, bytes]]) -> dict[str, bytes]:
    """Each sheet's XML by the sheet's name, in the workbook's order (after :func:`check_well_formed`:
    the parts are whole, without a DOCTYPE); none for an ``.xls``."""
    from xml.etree import ElementTree

    found = dict(parts)
    book, rels = found.get("xl/workbook.xml"), found.get("xl/_rels/workbook.xml.rels")
    if book is None or rels is None:
        return {}
    targets = {
        r.get("Id"): r.get("Target", "") for r in ElementTree.fromstring(rels).iter(f"{_REL_NS}Relationship")
    }
    out: dict[str, bytes] = {}
    for s in ElementTree.fromstring(book).iter(f"{_SHEET_NS}sheet"):
        target = targets.get(s.get(_REL_ID), "")
        xml = found.get(target.lstrip("/") if target.startswith("/") else "xl/" + target)
        name = s.get("name")
        if xml is not None and name is not None and name not in out:
            out[name] = xml
    return out


def holds_values(sheet_xml: bytes) -> bool:
    """Does a sheet hold any value (a number, a text, a formula's result), not just formatting?"""
    return any(tag in sheet_xml for tag in (b"<v>", b"<is>", b"<t>", b"<t ", b":v>", b":is>"))


def error_cells(parts: Sequence[tuple[str, bytes]], sheet: str) -> list[tuple[int, int, str]]:
    """The cells of ``sheet`` that hold an Excel error (#N/A, #DIV/0!, #REF! …): (row, column, the
    error), row and column counted from 1. The reader gives such a cell as empty: an ID looked up with
    VLOOKUP that found nothing would be imported as no ID at all. Call after :func:`check_well_formed`
    (the parts are whole, without a DOCTYPE); none for an ``.xls``."""
    xml = sheet_parts(parts).get(sheet)
    out: list[tuple[int, int, str]] = []
    if xml is None:
        return out
    at = xml.find(b't="e"')  # (a roster has none: one look)
    while at >= 0:
        _not_too_many(len(out), sheet)
        start, end = xml.rfind(b"<c", 0, at), xml.find(b">", at)
        ref = _CELL_REF.search(xml, start, end)
        in_cell_tag = (
            (  # the attribute of a cell's own tag, not one ending in t (format="e") or elsewhere
                start >= 0 and xml[start + 2 : start + 3].isspace() and xml[at - 1 : at].isspace()
            )
            and xml.find(b">", start, at) < 0
        )
        if in_cell_tag and ref is not None:
            value = _ERROR_VALUE.match(xml, end + 1) or _ERROR_VALUE.search(xml, end + 1, end + 200)
            code = value.group(1).decode("utf-8", "replace") if value else "#错误"
            out.append((int(ref.group(2)), column_number(ref.group(1)), code))
        at = xml.find(b't="e"', at + 1)
    out.extend(_formulas_without_values(xml, sheet, out))
    return sorted(out)


def _not_too_many(found: int, sheet: str) -> None:
    """Refuse the sheet when ``found`` of its cells already hold an error or a formula without a result."""
    if found >= MAX_ERROR_CELLS:
        raise UserError(
            f"“{sheet}”里有 {MAX_ERROR_CELLS} 个以上的单元格是 Excel 的错误值（#N/A、#DIV/0! 等，多是公式"
            "出了错）或没有计算结果的公式；请先改正这些公式，或复制后“选择性粘贴 → 数值”，再导入"
        )


# A formula cell's cached value: <v>…</v>, or none (<v/>, <v></v>, no <v> at all)
_CACHED_VALUE = re.compile(rb"<v>([^<]+)</v>")
_CELL_TYPE = re.compile(rb'\st="([a-zA-Z]+)"')


def _formulas_without_values(
    xml: bytes, sheet: str, found: list[tuple[int, int, str]]
) -> list[tuple[int, int, str]]:
    """Formula cells the file holds no result of (:data:`NO_VALUE`): a workbook written by a program that
    does not calculate (a report tool, a script) keeps the formula alone, and the reader gives the cell
    as empty, as it does an error value. Excel, WPS and LibreOffice always keep the result; a formula whose
    result is empty text says so (``t="str"``) and is not one of these."""
    out: list[tuple[int, int, str]] = []
    at = xml.find(b"<f")  # (a roster has no formula: one look)
    while at >= 0:
        start, end = xml.rfind(b"<c", 0, at), xml.find(b"</c>", at)
        tag_end = xml.find(b">", start) if start >= 0 else -1
        in_cell = (
            start >= 0
            and end >= 0
            and xml[start + 2 : start + 3].isspace()
            and xml[at + 2 : at + 3] in (b">", b" ", b"/", b"\t", b"\n", b"\r")
            and xml.find(b"</c>", start, at) < 0
        )
        if in_cell and _CACHED_VALUE.search(xml, at, end) is None:
            kind = _CELL_TYPE.search(xml, start, tag_end)
            ref = _CELL_REF.search(xml, start, tag_end + 1)
            if ref is not None and (kind is None or kind.group(1) not in (b"str", b"inlineStr")):
                _not_too_many(len(found) + len(out), sheet)
                out.append((int(ref.group(2)), column_number(ref.group(1)), NO_VALUE))
        at = xml.find(b"<f", (end if in_cell else at) + 1)
    return out
