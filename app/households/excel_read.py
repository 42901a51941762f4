"""户籍台账 Excel, reading: open a workbook (.xlsx/.xls) and read one sheet, or a CSV file (a roster
another system exported: :func:`read_csv`), find the header row under any titles, map columns to fields
by their Chinese headers, and parse cells.

Damage is detected, never repaired: an ID that Excel stored as a number has lost digits and is
refused; full-width characters, a lowercase x, spaces, Excel date serials and phones stored as
floats are only normalised.
"""

from __future__ import annotations

import codecs
import concurrent.futures
import csv
import datetime as dt
import io
import logging
import math
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from app.codes import to_halfwidth
from app.errors import UserError
from app.excel import (
    MAX_BOOK_FILE,
    MAX_COLUMNS,
    MAX_ROWS,
    check_well_formed,
    check_workbook,
    error_cells,
    holds_values,
    sheet_parts,
)
from app.households.checks import clean_text

log = logging.getLogger("minqing.excel")

if TYPE_CHECKING:
    from python_calamine import CalamineWorkbook

# field → (label used in messages and on export, header aliases in Chinese rosters)
FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "household_key": ("户系统编号（请勿修改）", ("户系统编号",)),
    "person_key": ("人员系统编号（请勿修改）", ("人员系统编号",)),
    "household_no": ("户编号", ("户编号", "户号", "户籍编号", "家庭编号", "户序号")),
    "group_name": ("组", ("组", "组别", "村民小组", "所在组", "小组", "组名", "所属小组", "村组")),
    "head_name": ("户主姓名", ("户主姓名", "户主")),
    "name": ("姓名", ("姓名", "成员姓名", "家庭成员姓名", "人员姓名", "名字")),
    "relation": ("与户主关系", ("与户主关系", "与户主的关系", "关系", "家庭关系")),
    "sex": ("性别", ("性别",)),
    "ethnicity": ("民族", ("民族",)),
    "birth_date": ("出生日期", ("出生日期", "出生年月", "出生年月日", "生日")),
    "id_number": (
        "身份证号",
        ("身份证号", "身份证号码", "公民身份号码", "身份证", "证件号码", "居民身份证号码"),
    ),
    "phone": ("联系电话", ("联系电话", "手机号码", "手机号", "电话", "手机", "联系方式", "电话号码")),
    "address": ("住址", ("住址", "家庭住址", "地址", "现住址", "居住地址", "户籍地址")),
    "occupation": ("职业", ("职业", "工作")),
    "household_phones": ("家庭电话", ("家庭电话", "固定电话", "座机")),
    "tags": ("标签", ("标签", "户类别", "人员类别")),
    "card_delivered_on": ("联系卡送达日期", ("联系卡送达日期", "联系卡送达", "送卡日期")),
    "notes": ("备注", ("备注", "说明")),
}
HEADER_SCAN_ROWS = 20
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_SCIENTIFIC = re.compile(r"\d(\.\d+)?[eE]\+?\d+")


def _norm_header(value: object) -> str:
    text = to_halfwidth(str(value or ""))
    text = re.sub(r"[\s*＊:：]", "", text)
    return re.sub(r"\(.*?\)|（.*?）", "", text)


_ALIASES = {_norm_header(a): f for f, (_, aliases) in FIELDS.items() for a in aliases}


def field_for_header(value: object) -> str | None:
    return _ALIASES.get(_norm_header(value))


def label(field_name: str) -> str:
    return FIELDS[field_name][0] if field_name in FIELDS else field_name


# -- reading ------------------------------------------------------------------------------------
@dataclass
class SheetData:
    path: Path
    sheet: str
    sheet_names: list[str]
    rows: list[list[object]]
    # cells holding an Excel error (#N/A …), which ``rows`` has as empty: (row, column, error), from 1
    errors: list[tuple[int, int, str]] = field(default_factory=list)
    # the workbook's other sheets that hold anything (a village keeps a sheet per 组): not read
    others: list[str] = field(default_factory=list)


def sheet_names(path: Path | str) -> list[str]:
    path = Path(path)
    if is_csv(path):
        return [path.stem]
    _checked(path)
    return _in_order(_open_book(path))


def _in_order(book: CalamineWorkbook) -> list[str]:
    """The sheets, those shown in Excel first: a hidden first sheet (an old roster kept out of sight) is
    not the one read unless it is chosen."""
    meta = book.sheets_metadata
    shown = [m.name for m in meta if str(m.visible).endswith("Visible")]
    return shown + [m.name for m in meta if m.name not in shown]


def _checked(path: Path) -> list[tuple[str, bytes]]:
    if not path.exists():
        raise UserError(f"找不到文件 {path}")
    if not path.is_file():
        raise UserError(f"{path} 是文件夹，不是 Excel 文件；请选择户籍花名册文件（.xlsx 或 .xls）")
    return check_workbook(path)


def _open_book(path: Path) -> CalamineWorkbook:
    """The workbook, opened by calamine (only after :func:`app.excel.check_workbook`)."""
    from python_calamine import CalamineWorkbook

    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # the reader's own words are English: they go to the log
        log.warning("workbook %s unreadable by its name's kind: %r", path.name, exc)
    try:  # an .xls saved under .xlsx (or the other way): read by what the file holds, not its name
        with path.open("rb") as f:
            return CalamineWorkbook.from_filelike(f)
    except Exception as exc:
        log.warning("workbook %s unreadable: %r", path.name, exc)
        raise UserError(
            f"无法读取 {path.name}：它不是有效的 Excel 文件（.xlsx/.xls）或 CSV 文件，或已损坏、被加密。"
            "请用 Excel 或 WPS 打开后另存为 .xlsx 再导入"
        ) from None


def _read_values(path: Path, sheet: str | None) -> SheetData:
    book = _open_book(path)
    names = _in_order(book)
    if not names:
        raise UserError(f"{path.name} 里没有工作表")
    name = sheet or names[0]
    if name not in names:
        raise UserError(f"{path.name} 里没有名为“{name}”的工作表；有：{'、'.join(names)}")
    try:
        sheet_data = book.get_sheet_by_name(name)
        rows: list[list[object]] = [list(r) for r in sheet_data.to_python(skip_empty_area=False)]
        merged = sheet_data.merged_cell_ranges or []
    except Exception as exc:  # the reader's own words are English: they go to the log
        log.warning("sheet %r of %s unreadable: %r", name, path.name, exc)
        raise UserError(
            f"无法读取工作表“{name}”：文件可能已损坏。请用 Excel 或 WPS 打开后另存为 .xlsx 再导入"
        ) from None
    fill_merged_down(rows, merged)
    return SheetData(path, name, names, rows)


def fill_merged_down(
    rows: list[list[object]], merged: Sequence[tuple[tuple[int, int], tuple[int, int]]]
) -> None:
    """A cell merged over several rows (户号, 组, 户主 or 住址 once for a whole household, as many village
    rosters have them) is what Excel shows on each of those rows: its value is copied down into the
    empty cells under it. Across columns nothing is copied: a title over the table, or a note spread over
    two columns, belongs to its first column. The ranges come from the file: each is cut to the rows and
    columns read, and no more cells are filled than the sheet has."""
    budget = sum(map(len, rows))
    for (top, left), (bottom, _right) in merged:
        if not 0 <= top < len(rows) or left < 0 or left >= len(rows[top]):
            continue
        value = rows[top][left]
        if value in ("", None):
            continue
        for r in range(top + 1, min(bottom, len(rows) - 1) + 1):
            budget -= 1
            if budget < 0:
                return
            row = rows[r]
            if left < len(row) and row[left] in ("", None):
                row[left] = value


def read_sheet(path: Path | str, sheet: str | None = None) -> SheetData:
    """All cell values of one sheet (the first if ``sheet`` is None), as Python values.

    The bounds are checked first (:func:`app.excel.check_workbook`). Then calamine reads the sheet in a
    second thread (it lets go of the GIL) while this one checks that every XML part is whole
    (:func:`app.excel.check_well_formed`): the check costs no time on two cores. A damaged part
    refuses the workbook whatever calamine made of it."""
    path = Path(path)
    if is_csv(path):
        return read_csv(path, sheet)
    parts = _checked(path)
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="calamine") as pool:
        reading = pool.submit(_read_values, path, sheet)
        check_well_formed(path, parts)  # (on a refusal the pool still waits for the reading to end)
        data = reading.result()
    data.errors = error_cells(parts, data.sheet)
    data.others = [n for n, xml in sheet_parts(parts).items() if n != data.sheet and holds_values(xml)]
    return data


# -- CSV -------------------------------------------------------------------------------------------------
CSV_SUFFIXES = (".csv", ".txt")
_DELIMITERS = (",", "\t", ";")
_KEPT_AS_TEXT = re.compile(r'="(.*)"', re.DOTALL)  # ="370681…": how exports keep a number as text
# Fields kept of a CSV, empty ones at a line's end not counted: about what a workbook's inflated limit
# (app.excel.MAX_BOOK_INFLATED) lets through; a village roster has a few hundred thousand.
MAX_CSV_CELLS = 8_000_000


def is_csv(path: Path) -> bool:
    """A roster as text (.csv, or .txt as Excel saves "Unicode 文本"), not a workbook renamed."""
    return path.suffix.lower() in CSV_SUFFIXES and path.is_file() and not zipfile.is_zipfile(path)


def _decoded(path: Path, raw: bytes) -> str:
    """The text of a CSV file: UTF-8 (with or without the BOM Excel writes), UTF-16 with its BOM (Excel's
    "Unicode 文本"), else GB18030 (GBK: Excel's CSV on a Chinese Windows, and WPS's)."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ["utf-16"]
    elif raw.startswith(codecs.BOM_UTF8):
        encodings = ["utf-8-sig"]
    else:
        encodings = ["utf-8", "gb18030"]
    for encoding in encodings:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UserError(
        f"无法读取 {path.name}：认不出它的文字编码（不是 UTF-8，也不是 GBK）。"
        "请用 Excel 或 WPS 打开后另存为 .xlsx 再导入"
    )


def _delimiter(lines: Sequence[str]) -> str:
    """The separator of the first lines: the candidate found on most of them (a comma when none is)."""
    counts = {d: sum(1 for line in lines if d in line) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv(path: Path, sheet: str | None = None) -> SheetData:
    """A roster saved as CSV (or tab-separated text), bounded as a workbook is (:mod:`app.excel`): its
    size, rows and columns are checked as it is read, and a field longer than a cell can be is refused
    naming its line. Every value is text, as typed: an ID keeps all 18 digits (unless the program that
    wrote the file had already rounded it, which the ID check says); ``="…"`` is unwrapped."""
    size = path.stat().st_size
    if size > MAX_BOOK_FILE:
        raise UserError(
            f"{path.name} 有 {size // 1048576} MB，超过 {MAX_BOOK_FILE // 1048576} MB 的上限；"
            "请只保留名册，另存后再导入"
        )
    if sheet is not None and sheet != path.stem:
        raise UserError(f"{path.name} 是 CSV 文件，只有一张表，没有名为“{sheet}”的工作表")
    text = _decoded(path, path.read_bytes())
    if "\x00" in text:
        raise UserError(f"{path.name} 里有空字符，不像文本文件；请用 Excel 或 WPS 打开后另存为 .xlsx 再导入")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text[:65536].splitlines()[:20]))
    rows: list[list[object]] = []
    cells = 0
    try:
        for row in reader:
            if len(rows) >= MAX_ROWS:
                raise UserError(
                    f"{path.name} 太长（超过 {MAX_ROWS} 行）；请删去名册下面多余的行，另存后再导入"
                )
            if len(row) > MAX_COLUMNS:
                raise UserError(
                    f"{path.name} 第 {reader.line_num} 行太宽（{len(row)} 列，上限 {MAX_COLUMNS} 列）；"
                    "请检查分隔符，或删去多余的列后再导入"
                )
            while row and not row[-1]:  # the empty fields a spreadsheet writes to its widest column
                row.pop()
            cells += len(row)
            if cells > MAX_CSV_CELLS:
                raise UserError(
                    f"{path.name} 太大（到第 {reader.line_num} 行已超过 {MAX_CSV_CELLS // 10000} 万格）；"
                    "请只保留名册需要的行和列，另存后再导入"
                )
            rows.append([_csv_value(v) for v in row])
    except csv.Error as exc:
        log.warning("CSV %s unreadable near line %s: %r", path.name, reader.line_num, exc)
        raise UserError(
            f"{path.name} 第 {reader.line_num} 行读不出（引号不成对，或一格长得超出上限）；"
            "请用 Excel 或 WPS 打开后另存为 .xlsx 再导入"
        ) from None
    return SheetData(path, path.stem, [path.stem], rows)


def _csv_value(value: str) -> str:
    kept = _KEPT_AS_TEXT.fullmatch(value)
    return kept.group(1) if kept else value


def detect_header(rows: Sequence[Sequence[object]]) -> int:
    """Index of the header row: the row among the first 20 with most known headers (a name column)."""
    best, best_score = None, 0
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        fields = {field_for_header(v) for v in row if v not in (None, "")} - {None}
        if not ({"name", "head_name"} & fields):
            continue
        if len(fields) > best_score:
            best, best_score = i, len(fields)
    if best is None or best_score < 2:
        raise UserError(
            "没有找到表头行：前 20 行里没有同时含“姓名”和其他常见列名（如 与户主关系、身份证号、组）"
            "的一行。请检查工作表，或手动指定表头所在行。"
        )
    return best


def auto_mapping(header: Sequence[object]) -> dict[int, str]:
    """Column index → field, by Chinese header; the first column of each field wins."""
    mapping: dict[int, str] = {}
    taken: set[str] = set()
    for i, value in enumerate(header):
        f = field_for_header(value)
        if f and f not in taken:
            mapping[i] = f
            taken.add(f)
    return mapping


# -- parsing cells ------------------------------------------------------------------------------
class CellError(ValueError):
    pass


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_date(value: object) -> dt.date | None:
    """A date cell, a date typed as text, or an Excel serial number (days since 1899-12-30)."""
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        whole = isinstance(value, int) or (math.isfinite(value) and value.is_integer())
        if whole and 10_000_000 <= value <= 99_991_231:
            value = str(int(value))  # 19800501 typed into a number cell: Excel keeps the number
        elif whole and 1 <= value <= 80000:
            return _EXCEL_EPOCH + dt.timedelta(days=int(value))
        else:
            raise CellError(f"“{int(value) if whole else value}”不是日期，请写成 1980-05-01 这样的格式")
    text = to_halfwidth(str(value)).strip()
    m = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?", text) or re.fullmatch(
        r"(\d{4})(\d{2})(\d{2})", text
    )
    if m:
        try:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            raise CellError(f"日期“{text}”不存在") from None
    if re.fullmatch(r"\d+(\.0)?", text) and 1 <= float(text) <= 80000:
        return _EXCEL_EPOCH + dt.timedelta(days=int(float(text)))
    raise CellError(f"“{text}”不是日期，请写成 1980-05-01 这样的格式")


@dataclass(frozen=True)
class YearMonth:
    """A birth written as a year and a month only (1965.03, 1965年3月, 1965-3, a 出生年月 date cell).

    ``months`` has two entries for a number such as 1965.1, which Excel stores for both 1965.1 and
    1965.10 (the trailing 0 is lost): January or October, told apart only by a resident ID."""

    year: int
    months: tuple[int, ...]
    text: str  # as read, for messages

    @property
    def ambiguous(self) -> bool:
        return len(self.months) > 1

    def __str__(self) -> str:
        return f"{self.year}年{'或'.join(str(m) for m in self.months)}月"

    def matches(self, day: dt.date) -> bool:
        return day.year == self.year and day.month in self.months


_YEAR_MONTH = re.compile(r"(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*月?|(\d{2}))")


def is_year_month_header(value: object) -> bool:
    """出生年月 (not 出生年月日): a column whose dates are a year and a month."""
    text = _norm_header(value)
    return "年月" in text and "日" not in text


def parse_birth(value: object, *, year_month_column: bool = False) -> dt.date | YearMonth | None:
    """A birth cell: a full date as :func:`parse_date` reads it, or a year and month only.

    In a 出生年月 column a date cell on the 1st is a month (Excel turns a typed 1965-3 into
    1965-03-01). A number 1965.03 is March; 1965.1 is January or October (see :class:`YearMonth`).
    A bare year is refused: it says too little to check against anything."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        if year_month_column and value.day == 1:
            return YearMonth(value.year, (value.month,), f"{value:%Y-%m}")
        return value
    if isinstance(value, float | int) and not isinstance(value, bool) and 190_001 <= value <= 210_012:
        if float(value).is_integer():  # 196503 typed into a number cell
            value = str(int(value))
    if isinstance(value, float | int) and not isinstance(value, bool) and 1900 <= value < 2100:
        if float(value).is_integer():
            raise CellError(f"“{int(value)}”只有年份；请写成 {int(value)}.03 这样的年月，或完整的出生日期")
        text = repr(float(value))  # the shortest form: 1965.03, 1965.1, 1965.12
        year, _, fraction = text.partition(".")
        month = int(fraction) if len(fraction) <= 2 else 0
        if not 1 <= month <= 12:
            raise CellError(f"“{text}”不是年月（月份应为 1–12），请写成 1965.03 这样的格式")
        months = (1, 10) if fraction == "1" else (month,)
        return YearMonth(int(year), months, text)
    if isinstance(value, str):
        text = to_halfwidth(value).strip()
        m = _YEAR_MONTH.fullmatch(text)
        if m:
            month = int(m.group(2) or m.group(3))
            if not 1 <= month <= 12:
                raise CellError(f"“{text}”不是年月（月份应为 1–12），请写成 1965.03 这样的格式")
            return YearMonth(int(m.group(1)), (month,), text)
        if re.fullmatch(r"(19|20)\d\d", text):
            raise CellError(f"“{text}”只有年份；请写成 {text}.03 这样的年月，或完整的出生日期")
    return parse_date(value)


def parse_id_cell(value: object) -> str:
    """The ID as text. A number means Excel has already rounded it: refuse (detect, never repair)."""
    if isinstance(value, bool):
        raise CellError("不是身份证号")
    if isinstance(value, float | int):
        number = int(value) if float(value).is_integer() else None
        if number is not None and len(str(number)) == 15 and abs(value) < 2**53:
            return str(number)  # a 15-digit legacy ID survives as a number exactly
        shown = f"{value:.11E}" if isinstance(value, float) else str(value)
        raise CellError(
            f"身份证号被 Excel 存成了数字（{shown}），只保留了 15 位有效数字，后几位已丢失"
            "（常见为末尾变成 000）；请把该列设为“文本”格式后重新录入完整号码"
        )
    # the quote some systems put before a number to keep it text, and × typed for X with a Chinese IME
    text = clean_text(value).replace(" ", "").lstrip("'`‘’").replace("×", "X")
    if _SCIENTIFIC.fullmatch(text):
        raise CellError(
            "身份证号被 Excel 存成了数字（科学计数法），后几位已丢失；请把该列设为“文本”后重新录入"
        )
    return text.upper()


def cell_text(value: object) -> str:
    if type(value) is str:  # most cells
        return clean_text(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date()
    return clean_text(value)
