"""The one 台账 writer: every ledger workbook the program exports looks and behaves the same.

A merged title row (宋体 14, bold, centred), a frozen header row (宋体 bold, shaded, with a filter, printed
on every page), 序号 counted by the writer in the first column, the given column widths, dates and times
as real dates, resident IDs, phone numbers and codes as text, and nothing a user typed ever a formula:
text goes into the sheet as inline strings, which a spreadsheet program never evaluates. Rows may be
highlighted (the diary ledger shades overdue demands).

openpyxl (write-only) makes the package: the title and header rows, widths, panes, merged title, filter,
print titles, the cell styles and any small extra sheet (:meth:`LedgerBook.add_sheet`, e.g. 统计). The data
rows of the first sheet — hundreds of thousands of cells for a town's year — are written as sheet XML
straight into the package by :meth:`LedgerBook.save`, with the cell types and styles openpyxl would give
them, about ten times faster than a cell object per value.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import select

from db.models import Station

from app.charts import MonthChart, add_to_workbook
from app.dates import cn_date
from app.errors import UserError, folder_gone
from app.excel import CELL_LIMIT, fit_cell_text, literal, storable, storable_text
from app.work import Work

TITLE_FONT = Font(name="宋体", size=14, bold=True)
HEAD_FONT = Font(name="宋体", bold=True)
HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
HIGHLIGHT_FILL = PatternFill("solid", fgColor="FCE4D6")
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
TEXT_FORMAT = "@"
NUMBER_COLUMN = ("序号", 6)
WRAP_OVER = 20  # text longer than this wraps in its cell
_WRAP = Alignment(wrap_text=True, vertical="top")
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_SURELY_FITS = CELL_LIMIT // 2  # characters that fit a cell whatever they are (app.excel.fit_cell_text)
_ZIP_LEVEL = 6
_FIRST_SHEET = "xl/worksheets/sheet1.xml"

Row = list[object] | tuple[Sequence[object], bool]  # the values, or (the values, highlighted)


def check_target(target: Path | str) -> Path:
    """The export's file name: an ``.xlsx`` in a folder that exists (else a Chinese refusal)."""
    target = Path(target)
    if target.suffix.lower() != ".xlsx":
        raise UserError(f"导出文件名要以 .xlsx 结尾：{target.name}", field="file")
    if not target.parent.exists():
        raise UserError(f"文件夹 {target.parent} 不存在，请先建立或换一个位置", field="file")
    return target


VILLAGE_COLUMN = ("村", 12)  # first in every export a town makes (its rows come from many villages)


def village_names(work: Work) -> dict[str, str] | None:
    """At a town, village code → name for the 村 column; None at a village (its exports need none)."""
    if not work.is_town:
        return None
    return {code: name for code, name in work.session.execute(select(Station.code, Station.name))}


def period_text(date_from: dt.date | None, date_to: dt.date | None) -> str:
    """The period a ledger covers, as its title says it: 2026年8月1日至2026年8月31日, …以来, 截至…, 全部."""
    day = cn_date
    if date_from and date_to:
        return f"{day(date_from)}至{day(date_to)}"
    if date_from:
        return f"{day(date_from)}以来"
    if date_to:
        return f"截至{day(date_to)}"
    return "全部"


class LedgerBook:
    """One ledger workbook. ``columns``: (header, width) of the data columns; the writer puts 序号 in
    front unless ``numbered`` is False (a sheet meant to be imported again). ``text_columns``: headers
    whose values are text even when they look like numbers (resident IDs, phones, codes).
    ``frozen_columns``: columns kept in view when scrolling right, after 序号."""

    def __init__(
        self,
        sheet_title: str,
        heading: str,
        columns: Sequence[tuple[str, int]],
        *,
        numbered: bool = True,
        text_columns: Iterable[str] = (),
        frozen_columns: int = 0,
    ) -> None:
        self.numbered = numbered
        self.columns = [NUMBER_COLUMN, *columns] if numbered else list(columns)
        text = set(text_columns)
        self._text = [name in text for name, _w in self.columns]
        self.wb = Workbook(write_only=True)
        self.ws = self.wb.create_sheet(sheet_title)
        for i, (_name, width) in enumerate(self.columns, start=1):
            self.ws.column_dimensions[get_column_letter(i)].width = width
        kept = frozen_columns + (1 if numbered and frozen_columns else 0)  # 序号 stays with them
        self.ws.freeze_panes = f"{get_column_letter(1 + kept)}3"
        last = get_column_letter(len(self.columns))
        self.ws.merged_cells.add(f"A1:{last}1")
        self.ws.print_title_rows = "1:2"
        title_cell = WriteOnlyCell(self.ws, storable_text(heading))
        title_cell.font = TITLE_FONT
        title_cell.alignment = Alignment(horizontal="center")
        self.ws.append([literal(title_cell)])
        head = []
        for name, _w in self.columns:
            c = WriteOnlyCell(self.ws, storable_text(name))
            c.font, c.fill = HEAD_FONT, HEAD_FILL
            c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            head.append(literal(c))
        self.ws.append(head)
        self.ws.auto_filter.ref = f"A2:{last}2"
        self.letters = [get_column_letter(i) for i in range(1, len(self.columns) + 1)]
        # every style a data cell can have, registered now: the styles part is written before the rows
        self._style_ids: dict[tuple[str, bool], str] = {}
        for kind in ("plain", "date", "datetime", "wrap", "text"):
            for highlight in (False, True):
                self._add_style(kind, highlight)

    def _add_style(self, kind: str, highlight: bool) -> None:
        c = WriteOnlyCell(self.ws, None)
        if kind == "datetime":
            c.number_format = DATETIME_FORMAT
        elif kind == "date":
            c.number_format = DATE_FORMAT
        elif kind == "wrap":
            c.alignment = _WRAP
        elif kind == "text":
            c.number_format = TEXT_FORMAT
        if highlight:
            c.fill = HIGHLIGHT_FILL
        self._style_ids[(kind, highlight)] = f' s="{c.style_id}"' if c.has_style else ""

    def add_sheet(self, title: str, rows: Iterable[Sequence[object]], widths: Sequence[int] = ()) -> None:
        """A small extra sheet after the ledger (e.g. 统计): plain rows, the first one bold, no formulas."""
        ws = self.wb.create_sheet(title)
        for i, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        for n, values in enumerate(rows):
            cells = []
            for v in values:
                c = WriteOnlyCell(ws, storable(v))  # type: ignore[arg-type]  # any value openpyxl stores (the stubs list fewer than Cell takes); it refuses the others
                if n == 0:
                    c.font = TITLE_FONT
                elif isinstance(v, dt.date):
                    c.number_format = DATE_FORMAT
                cells.append(literal(c))
            ws.append(cells)

    def add_chart_sheet(self, title: str, charts: Sequence[MonthChart]) -> None:
        """A sheet of month charts (:mod:`app.charts`): each chart's figures as a table, with a native bar
        chart per unit beside them."""
        ws = self.wb.create_sheet(title)
        ws.column_dimensions["A"].width = 16
        ws.column_dimensions["B"].width = 8
        for i in range(3, 16):
            ws.column_dimensions[get_column_letter(i)].width = 6
        rows = add_to_workbook(ws, charts)
        headings = {n for n, values in enumerate(rows) if len(values) == 1}
        for n, values in enumerate(rows):
            cells = []
            for v in values:
                c = WriteOnlyCell(ws, storable(v))  # type: ignore[arg-type]  # str or int only
                if n in headings:
                    c.font = HEAD_FONT
                elif n - 1 in headings:
                    c.font, c.fill = HEAD_FONT, HEAD_FILL
                cells.append(literal(c))
            ws.append(cells)

    def row_xml(self, number: int, values: Sequence[object], highlight: bool = False) -> str:
        """One ``<row>`` of the ledger sheet (``number`` counts from 1, the title row)."""
        out = [f'<row r="{number}">']
        fits = _SURELY_FITS
        for letter, as_text, v in zip(self.letters, self._text, values, strict=False):
            ref = f"{letter}{number}"
            if as_text and isinstance(v, int | float) and not isinstance(v, bool):
                v = str(v)
            if v is None or v == "":
                if highlight or as_text:
                    out.append(
                        f'<c r="{ref}"{self._style_ids[("text" if as_text else "plain", highlight)]}/>'
                    )
            elif isinstance(v, str):
                if len(v) > fits:  # (no call for the common cell: a year's ledger has millions)
                    v = fit_cell_text(v)
                text = storable_text(v).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                space = ' xml:space="preserve"' if v != v.strip() else ""
                kind = "text" if as_text else "wrap" if len(v) > WRAP_OVER else "plain"
                style = self._style_ids[(kind, highlight)]
                out.append(f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>')
            elif isinstance(v, dt.datetime):
                serial = (v - _EXCEL_EPOCH).total_seconds() / 86400
                out.append(
                    f'<c r="{ref}"{self._style_ids[("datetime", highlight)]} t="n"><v>{serial!r}</v></c>'
                )
            elif isinstance(v, dt.date):
                serial = (v - _EXCEL_EPOCH.date()).days
                out.append(f'<c r="{ref}"{self._style_ids[("date", highlight)]} t="n"><v>{serial}</v></c>')
            elif isinstance(v, int | float) and not isinstance(v, bool):
                out.append(f'<c r="{ref}"{self._style_ids[("plain", highlight)]} t="n"><v>{v!r}</v></c>')
            else:
                raise TypeError(f"cannot write {type(v).__name__} to the workbook")
        out.append("</row>")
        return "".join(out)

    def save(self, target: Path | str, rows: Iterable[Row]) -> int:
        """Write the workbook to ``target`` with the data ``rows`` under the header; returns their number.

        A row is a list of its values (without 序号: the writer counts), or ``(values, highlight)``. Written next
        to the target and renamed, so a failed or cancelled export (an exception from ``rows``) never
        leaves half a file behind.
        """
        target = Path(target)
        skeleton = target.with_name(f".{target.name}.head")
        tmp = target.with_name(f".{target.name}.tmp")
        n = 0
        try:
            self.wb.save(skeleton)
            with (
                zipfile.ZipFile(skeleton) as src,
                zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=_ZIP_LEVEL) as out,
            ):
                for info in src.infolist():
                    data = src.read(info.filename)
                    if info.filename != _FIRST_SHEET:
                        out.writestr(info, data)
                        continue
                    head, tail = data.decode("utf-8").split("</sheetData>", 1)
                    with out.open(info.filename, "w") as sheet:
                        sheet.write(head.encode("utf-8"))
                        chunk = []
                        for row in rows:
                            values, highlight = _split(row)
                            n += 1
                            if self.numbered:
                                values = [n, *values]
                            chunk.append(self.row_xml(n + 2, values, highlight))
                            if len(chunk) >= 1000:
                                sheet.write("".join(chunk).encode("utf-8"))
                                chunk = []
                        sheet.write(("".join(chunk) + "</sheetData>" + tail).encode("utf-8"))
            os.replace(tmp, target)
        except PermissionError:
            self._abandon()
            _remove_quietly(tmp)
            raise UserError(f"无法写入 {target}：文件可能正在 Excel 中打开，请关闭后重试") from None
        except (FileNotFoundError, NotADirectoryError):
            self._abandon()
            _remove_quietly(tmp)
            raise folder_gone(target) from None
        except BaseException:
            self._abandon()
            _remove_quietly(tmp)
            raise
        finally:
            _remove_quietly(skeleton)
        return n

    def _abandon(self) -> None:
        """After a failed save: end openpyxl's sheet writers, which a save that failed early left running
        (collected later, each printed an English "I/O operation on closed file" at the command's exit)."""
        for sheet in self.wb.worksheets:
            with contextlib.suppress(Exception):
                sheet.close()


def save_workbook(wb: Workbook, target: Path | str) -> Path:
    """Save an openpyxl workbook (one made whole in memory: the import's error rows) to ``target`` whole
    or not at all, as :meth:`LedgerBook.save` does: a file open in Excel or a folder gone is said in
    Chinese and leaves no part of a file behind."""
    target = Path(target)
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        wb.save(tmp)
        os.replace(tmp, target)
    except PermissionError:
        _remove_quietly(tmp)
        raise UserError(f"无法写入 {target}：文件可能正在 Excel 中打开，请关闭后重试") from None
    except (FileNotFoundError, NotADirectoryError):
        _remove_quietly(tmp)
        raise folder_gone(target) from None
    except BaseException:
        _remove_quietly(tmp)
        raise
    return target


def _remove_quietly(path: Path) -> None:
    """Remove a temporary file after a failure, never raising over the failure (a stick pulled out, a
    name too long to make: the file is not there to remove)."""
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


def _split(row: Row) -> tuple[Sequence[object], bool]:
    if isinstance(row, tuple):
        values, highlight = row
        return values, bool(highlight)
    return row, False
