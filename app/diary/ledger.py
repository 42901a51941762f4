"""民情台账: derived from the diary, never typed twice. Every demand with its household, date, content,
category, handling, reply, status and responsible person; the diary itself as a 台账 workbook.

Excel, one title row, a frozen header, 序号, dates as dates, and whether the resident acknowledged;
exported on the command line by ``python -m app diary export`` and ``python -m app ledger export``
(:mod:`app.diary.cli`).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Demand, DiaryEntry
from db.queries.diary import (
    DiaryFilter,
    LedgerFilter,
    LedgerRow,
    diary_entry_ids,
    diary_rows,
    ledger_count,
    ledger_stream,
)

from app.diary.acknowledgement import ACK_METHODS
from app.diary.demands import STATUSES
from app.diary.entries import KINDS
from app.errors import UserError
from app.work import Work

Progress = Callable[[int, int, str], None]


def _no_progress(done: int, total: int, text: str = "") -> None:
    return None


def ack_label(method: str | None) -> str:
    return ACK_METHODS.get(method, "未签字") if method else "未签字"


def ledger(work: Work, f: LedgerFilter | None = None) -> list[LedgerRow]:
    """The ledger's rows in order (newest demand first)."""
    return list(ledger_stream(work.session, f))


# -- workbooks ---------------------------------------------------------------------------------------
_TITLE_FONT = Font(name="宋体", size=14, bold=True)
_HEAD_FONT = Font(name="宋体", bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
_OVERDUE_FILL = PatternFill("solid", fgColor="FCE4D6")
_DATE_FORMAT = "yyyy-mm-dd"
_WRAP = Alignment(wrap_text=True, vertical="top")
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not allowed in XML (openpyxl refuses them too)
_ZIP_LEVEL = 6


class _Sheet:
    """A sheet with a merged title row, a frozen header row and typed cells, written fast.

    openpyxl (write-only) makes the workbook: title and header rows, column widths, frozen panes,
    merged title, auto filter, print titles and the cell styles. The data rows (hundreds of thousands
    of cells for a year's ledger) are written as sheet XML by :meth:`save` straight into the package,
    with the same cell types and styles openpyxl would give them (numbers, dates as date-formatted
    serials, inline strings, long text wrapped), about ten times faster than a cell object per value.
    """

    def __init__(self, title: str, heading: str, columns: list[tuple[str, int]]) -> None:
        self.wb = Workbook(write_only=True)
        self.ws = self.wb.create_sheet(title)
        for i, (_name, width) in enumerate(columns, start=1):
            self.ws.column_dimensions[get_column_letter(i)].width = width
        self.ws.freeze_panes = "A3"
        last = get_column_letter(len(columns))
        self.ws.merged_cells.add(f"A1:{last}1")
        self.ws.print_title_rows = "1:2"
        title_cell = WriteOnlyCell(self.ws, heading)
        title_cell.font = _TITLE_FONT
        title_cell.alignment = Alignment(horizontal="center")
        self.ws.append([title_cell])
        head = []
        for name, _w in columns:
            c = WriteOnlyCell(self.ws, name)
            c.font, c.fill = _HEAD_FONT, _HEAD_FILL
            head.append(c)
        self.ws.append(head)
        self.ws.auto_filter.ref = f"A2:{last}2"
        self.letters = [get_column_letter(i) for i in range(1, len(columns) + 1)]
        # every style a data cell can have, registered now: the styles part is written before the rows
        self._style_ids: dict[tuple[str, int], str] = {}
        for kind in ("plain", "date", "datetime", "wrap"):
            for fill in (None, _OVERDUE_FILL):
                self._add_style(kind, fill)

    def _style(self, kind: str, fill: PatternFill | None) -> str:
        """The ` s="n"` attribute of a cell of ``kind`` (plain, date, datetime, wrap) with ``fill``."""
        return self._style_ids[(kind, id(fill))]

    def _add_style(self, kind: str, fill: PatternFill | None) -> None:
        key = (kind, id(fill))
        if key not in self._style_ids:
            c = WriteOnlyCell(self.ws, None)
            if kind == "datetime":
                c.number_format = "yyyy-mm-dd hh:mm"
            elif kind == "date":
                c.number_format = _DATE_FORMAT
            elif kind == "wrap":
                c.alignment = _WRAP
            if fill is not None:
                c.fill = fill
            self._style_ids[key] = f' s="{c.style_id}"' if c.has_style else ""
        return self._style_ids[key]

    def row_xml(self, number: int, values: list, fill: PatternFill | None = None) -> str:
        """One ``<row>`` of the sheet (``number`` counts from 1, the title row)."""
        out = [f'<row r="{number}">']
        for letter, v in zip(self.letters, values, strict=False):
            ref = f"{letter}{number}"
            if v is None or v == "":
                if fill is not None:
                    out.append(f'<c r="{ref}"{self._style("plain", fill)}/>')
            elif isinstance(v, str):
                text = _ILLEGAL.sub("", v).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                space = ' xml:space="preserve"' if v != v.strip() else ""
                style = self._style("wrap" if len(v) > 20 else "plain", fill)
                out.append(f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>')
            elif isinstance(v, dt.datetime):
                serial = (v - _EXCEL_EPOCH).total_seconds() / 86400
                out.append(f'<c r="{ref}"{self._style("datetime", fill)} t="n"><v>{serial!r}</v></c>')
            elif isinstance(v, dt.date):
                serial = (v - _EXCEL_EPOCH.date()).days
                out.append(f'<c r="{ref}"{self._style("date", fill)} t="n"><v>{serial}</v></c>')
            elif isinstance(v, int | float) and not isinstance(v, bool):
                out.append(f'<c r="{ref}"{self._style("plain", fill)} t="n"><v>{v!r}</v></c>')
            else:
                raise TypeError(f"cannot write {type(v).__name__} to the workbook")
        out.append("</row>")
        return "".join(out)

    def save(self, target: Path, rows: Iterable[tuple[list, PatternFill | None]]) -> int:
        """Write the workbook to ``target`` with the data ``rows`` (values, fill) under the header.

        Written next to the target and renamed, so a failed or cancelled export (an exception from
        ``rows``) never leaves half a file behind. Returns the number of data rows.
        """
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
                    if not info.filename.startswith("xl/worksheets/sheet"):
                        out.writestr(info, data)
                        continue
                    head, tail = data.decode("utf-8").split("</sheetData>", 1)
                    with out.open(info.filename, "w") as sheet:
                        sheet.write(head.encode("utf-8"))
                        chunk = []
                        for values, fill in rows:
                            n += 1
                            chunk.append(self.row_xml(n + 2, values, fill))
                            if len(chunk) >= 1000:
                                sheet.write("".join(chunk).encode("utf-8"))
                                chunk = []
                        sheet.write(("".join(chunk) + "</sheetData>" + tail).encode("utf-8"))
            os.replace(tmp, target)
        except PermissionError:
            tmp.unlink(missing_ok=True)
            raise UserError(f"无法写入 {target}：文件可能正在 Excel 中打开，请关闭后重试") from None
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        finally:
            skeleton.unlink(missing_ok=True)
        return n


def _check_target(target: Path) -> Path:
    target = Path(target)
    if target.suffix.lower() != ".xlsx":
        raise UserError(f"导出文件名要以 .xlsx 结尾：{target.name}", field="file")
    if not target.parent.exists():
        raise UserError(f"文件夹 {target.parent} 不存在，请先建立或换一个位置", field="file")
    return target


def _period(date_from: dt.date | None, date_to: dt.date | None) -> str:
    if date_from and date_to:
        return f"{date_from:%Y年%m月%d日}至{date_to:%Y年%m月%d日}"
    if date_from:
        return f"{date_from:%Y年%m月%d日}以来"
    if date_to:
        return f"截至{date_to:%Y年%m月%d日}"
    return "全部"


LEDGER_COLUMNS = [
    ("序号", 6),
    ("日期", 11),
    ("户主", 9),
    ("村民小组", 9),
    ("诉求类别", 10),
    ("诉求内容", 36),
    ("责任人", 9),
    ("办理期限", 11),
    ("办理情况", 30),
    ("答复内容", 30),
    ("答复日期", 11),
    ("答复人", 9),
    ("办理状态", 9),
    ("办结日期", 11),
    ("是否逾期", 9),
    ("群众签字认可", 12),
    ("转为调解案件", 12),
]


def export_ledger(
    work: Work,
    target: Path,
    *,
    village_name: str,
    f: LedgerFilter | None = None,
    today: dt.date | None = None,
    progress: Progress = _no_progress,
) -> int:
    """民情台账 workbook; returns the number of demands written. Overdue demands are shaded."""
    session = work.session
    target = _check_target(target)
    today = today or dt.date.today()
    f = f or LedgerFilter()
    total = ledger_count(session, f)
    status = f"（{STATUSES[f.status]}）" if f.status else ""
    sheet = _Sheet(
        "民情台账",
        f"{village_name}民情台账{status}  {_period(f.date_from, f.date_to)}  导出日期 {today:%Y-%m-%d}",
        LEDGER_COLUMNS,
    )
    return sheet.save(target, _ledger_rows(session, f, total, today, progress))


def _ledger_rows(
    session: Session, f: LedgerFilter, total: int, today: dt.date, progress: Progress
) -> Iterator[tuple[list, PatternFill | None]]:
    n = 0
    for r in ledger_stream(session, f, descending=False):
        n += 1
        overdue = r.overdue(today)
        yield (
            [
                n,
                r.heard_at.date(),
                r.household,
                r.group_name,
                r.category,
                r.content,
                r.responsible,
                r.due_on,
                r.handling,
                r.reply,
                r.replied_on,
                r.replied_by or "",
                STATUSES[r.status],
                r.closed_on,
                "逾期" if overdue else "",
                ack_label(r.acknowledged),
                "是" if r.mediation_case_id else "",
            ],
            _OVERDUE_FILL if overdue else None,
        )
        if n % 500 == 0:
            progress(n, max(total, n), f"已写入 {n} 条诉求")
    progress(n, max(total, n), f"已写入 {n} 条诉求")


DIARY_COLUMNS = [
    ("序号", 6),
    ("日期", 11),
    ("时间", 7),
    ("方式", 9),
    ("走访干部", 9),
    ("走访对象（户主）", 14),
    ("见到的群众", 14),
    ("地点", 16),
    ("陪同干部", 10),
    ("家庭情况", 30),
    ("困难问题", 26),
    ("群众诉求", 30),
    ("办理情况", 26),
    ("后续计划", 20),
    ("计划日期", 11),
    ("群众签字认可", 12),
    ("签字后补记", 10),
]


def export_diary(
    work: Work,
    target: Path,
    *,
    village_name: str,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    f: DiaryFilter | None = None,
    today: dt.date | None = None,
    progress: Progress = _no_progress,
) -> int:
    """民情日记台账 workbook, one row per entry, oldest first; returns the number of entries written."""
    session = work.session
    target = _check_target(target)
    today = today or dt.date.today()
    f = f or DiaryFilter()
    f.date_from, f.date_to = date_from or f.date_from, date_to or f.date_to
    if f.date_from and f.date_to and f.date_from > f.date_to:
        raise UserError("开始日期晚于结束日期，请对调后重试", field="date_from")
    ids = diary_entry_ids(session, f, descending=False)
    sheet = _Sheet(
        "民情日记",
        f"{village_name}民情日记台账  {_period(f.date_from, f.date_to)}  导出日期 {today:%Y-%m-%d}",
        DIARY_COLUMNS,
    )
    return sheet.save(target, _diary_rows(session, ids, progress))


def _diary_rows(session: Session, ids: list[str], progress: Progress) -> Iterator[tuple[list, None]]:
    n = 0
    for i in range(0, len(ids), 500):
        part = ids[i : i + 500]
        rows = diary_rows(session, part)
        entries = {e.id: e for e in session.scalars(select(DiaryEntry).where(DiaryEntry.id.in_(part)))}
        demands: dict[str, list[str]] = {}
        for d in session.scalars(
            select(Demand)
            .where(Demand.entry_id.in_(part), Demand.deleted_at.is_(None))
            .order_by(Demand.position, Demand.created_at)
        ):
            demands.setdefault(d.entry_id, []).append(f"{d.category}：{d.content}（{STATUSES[d.status]}）")
        for entry_id in part:
            r, e = rows[entry_id], entries[entry_id]
            n += 1
            yield (
                [
                    n,
                    r.occurred_at.date(),
                    r.occurred_at.strftime("%H:%M"),
                    KINDS.get(r.kind, r.kind),
                    r.cadre_name,
                    r.households,
                    r.persons,
                    e.place,
                    e.companions,
                    e.situation,
                    e.difficulties,
                    "\n".join(demands.get(entry_id, [])),
                    e.actions,
                    e.follow_up,
                    e.follow_up_on,
                    ack_label(r.ack_method),
                    "有" if r.amended else "",
                ],
                None,
            )
        progress(min(i + 500, len(ids)), len(ids), f"已写入 {n} 篇日记")
