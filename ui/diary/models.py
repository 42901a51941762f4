"""Lazy table models for the diary list and the ledger: id lists sorted/filtered in SQL, rows on demand."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from db.queries.diary import (
    DiaryFilter,
    LedgerFilter,
    demand_ids,
    demand_position,
    diary_entry_count,
    diary_entry_ids,
    diary_entry_position,
    diary_rows,
    ledger_count,
    ledger_rows,
)

from app.diary.acknowledgement import ACK_METHODS
from app.diary.demands import STATUSES
from app.diary.entries import KINDS

_WINDOW = 100  # rows fetched around the one asked for
PAGE_SIZE = 1000  # ids loaded at a time by a paged model
_CACHE_LIMIT = 3000
_OVERDUE = QBrush(QColor("#fde2d4"))


class _LazyIdModel(QAbstractTableModel):
    """Rows by position over an id list sorted and filtered in SQL; row contents fetched in windows.

    The model never holds the whole id list (a village's diary runs to hundreds of thousands of
    entries): it counts the matches, then loads the ids a page at a time (``_query_page``: LIMIT/OFFSET
    in the same SQL order) as rows are shown.
    """

    COLUMNS: list[tuple[str, str | None]] = []  # (header, sort key or None)

    def __init__(self, session_factory: Callable, parent=None) -> None:
        super().__init__(parent)
        self._session_factory = session_factory
        self._pages: dict[int, list[str]] = {}  # page number → ids
        self._count = 0
        self._cache: dict[str, object] = {}
        self.sort_key = self.default_sort
        self.descending = True
        self.columns: list[tuple[str, str | None]] = list(self.COLUMNS)
        self._village_name: Callable[[str], str] | None = None

    default_sort = ""

    def show_village_column(self, name_of: Callable[[str], str]) -> None:
        """A town station: a 村 column first, showing ``name_of(row.village_code)``."""
        self.beginResetModel()
        self.columns = [("村", "village"), *self.COLUMNS]
        self._village_name = name_of
        self.endResetModel()

    # subclasses
    def _query_count(self, session) -> int:
        raise NotImplementedError

    def _query_page(self, session, offset: int, limit: int) -> list[str]:
        raise NotImplementedError

    def _query_position(self, session, record_id: str) -> int:
        raise NotImplementedError

    def _fetch(self, session, ids: list[str]) -> dict:
        raise NotImplementedError

    def _display(self, row, column: int) -> object:
        raise NotImplementedError

    def _background(self, row) -> QBrush | None:
        return None

    def reload(self) -> None:
        self.beginResetModel()
        self._pages.clear()
        with self._session_factory() as session:
            self._count = self._query_count(session)
            if self._count:
                self._pages[0] = self._query_page(session, 0, PAGE_SIZE)
        self._cache.clear()
        self.endResetModel()

    def loaded_id_count(self) -> int:
        """How many ids the model holds now."""
        return sum(len(p) for p in self._pages.values())

    def _ids_between(self, lo: int, hi: int) -> list[str]:
        """Ids of rows lo..hi-1 (fewer if the list shrank since it was counted)."""
        out: list[str] = []
        for page in range(lo // PAGE_SIZE, (max(hi, lo + 1) - 1) // PAGE_SIZE + 1):
            if page not in self._pages:
                with self._session_factory() as session:
                    self._pages[page] = self._query_page(session, page * PAGE_SIZE, PAGE_SIZE)
            start = page * PAGE_SIZE
            out += self._pages[page][max(lo - start, 0) : max(hi - start, 0)]
        return out

    def row_data(self, row: int):
        key = self.id_at(row)
        if key is None:
            return None
        if key not in self._cache:
            if len(self._cache) > _CACHE_LIMIT:
                self._cache.clear()
            lo = max(0, row - _WINDOW // 4)
            window = [
                i for i in self._ids_between(lo, min(lo + _WINDOW, self._count)) if i not in self._cache
            ]
            with self._session_factory() as session:
                self._cache.update(self._fetch(session, window))
        return self._cache.get(key)

    def id_at(self, row: int) -> str | None:
        if not 0 <= row < self._count:
            return None
        ids = self._ids_between(row, row + 1)
        return ids[0] if ids else None

    def row_of(self, record_id: str) -> int:
        """The row of a record: from the pages in hand, else asked of SQL (-1: not in the list)."""
        for page, ids in self._pages.items():
            if record_id in ids:
                return page * PAGE_SIZE + ids.index(record_id)
        with self._session_factory() as session:
            row = self._query_position(session, record_id)
        return row if row < self._count else -1

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(self.columns)
        ):
            return self.columns[section][0]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if (
            not index.isValid()
            or not 0 <= index.row() < self._count
            or not 0 <= index.column() < len(self.columns)
        ):
            return None
        if role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
            Qt.ItemDataRole.BackgroundRole,
            Qt.ItemDataRole.UserRole,
        ):
            return None
        row = self.row_data(index.row())
        if row is None:
            return None
        if role == Qt.ItemDataRole.UserRole:
            return self.id_at(index.row())
        if role == Qt.ItemDataRole.BackgroundRole:
            return self._background(row)
        if self._village_name is not None:
            if index.column() == 0:
                return self._village_name(row.village_code)
            return self._display(row, index.column() - 1)
        return self._display(row, index.column())

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns) or self.columns[column][1] is None:
            return
        self.sort_key = self.columns[column][1]
        self.descending = order == Qt.SortOrder.DescendingOrder
        self.reload()


def _ack_text(method: str | None) -> str:
    return ACK_METHODS.get(method, "") if method else "未签"


class DiaryListModel(_LazyIdModel):
    COLUMNS = [
        ("日期时间", "occurred_at"),
        ("方式", "kind"),
        ("走访对象", None),
        ("地点", "place"),
        ("诉求", None),
        ("群众签字", None),
        ("记录干部", "cadre"),
        ("摘要", None),
    ]
    default_sort = "occurred_at"

    def __init__(self, session_factory: Callable, parent=None) -> None:
        super().__init__(session_factory, parent)
        self.filter = DiaryFilter()

    def _query_count(self, session) -> int:
        return diary_entry_count(session, self.filter)

    def _query_page(self, session, offset: int, limit: int) -> list[str]:
        return diary_entry_ids(
            session, self.filter, sort=self.sort_key, descending=self.descending, limit=limit, offset=offset
        )

    def _query_position(self, session, record_id: str) -> int:
        return diary_entry_position(
            session, self.filter, record_id, sort=self.sort_key, descending=self.descending
        )

    def _fetch(self, session, ids):
        return diary_rows(session, ids)

    def _display(self, r, column: int) -> object:
        if column == 0:
            return r.occurred_at.strftime("%Y-%m-%d %H:%M")
        if column == 1:
            return KINDS.get(r.kind, r.kind)
        if column == 2:
            return r.persons or r.households
        if column == 3:
            return r.place
        if column == 4:
            parts = [
                f"{STATUSES[s]}{n}"
                for s, n in (
                    ("open", r.demands_open),
                    ("replied", r.demands_replied),
                    ("closed", r.demands_closed),
                )
                if n
            ]
            return " ".join(parts)
        if column == 5:
            return _ack_text(r.ack_method) + ("（签字后补记）" if r.amended else "")
        if column == 6:
            return r.cadre_name
        return r.summary


class LedgerModel(_LazyIdModel):
    COLUMNS = [
        ("日期", "date"),
        ("户主", "household"),
        ("类别", "category"),
        ("诉求内容", None),
        ("责任人", None),
        ("期限", "due_on"),
        ("状态", "status"),
        ("办理情况", None),
        ("答复", None),
        ("逾期", None),
        ("群众签字", None),
    ]
    default_sort = "date"

    def __init__(self, session_factory: Callable, parent=None, today: dt.date | None = None) -> None:
        super().__init__(session_factory, parent)
        self.filter = LedgerFilter()
        self.today = today or dt.date.today()

    def _query_count(self, session) -> int:
        return ledger_count(session, self.filter)

    def _query_page(self, session, offset: int, limit: int) -> list[str]:
        return demand_ids(
            session, self.filter, sort=self.sort_key, descending=self.descending, limit=limit, offset=offset
        )

    def _query_position(self, session, record_id: str) -> int:
        return demand_position(
            session, self.filter, record_id, sort=self.sort_key, descending=self.descending
        )

    def _fetch(self, session, ids):
        return ledger_rows(session, ids)

    def _background(self, r) -> QBrush | None:
        return _OVERDUE if r.overdue(self.today) else None

    def _display(self, r, column: int) -> object:
        values = [
            r.heard_at.strftime("%Y-%m-%d"),
            r.household,
            r.category,
            r.content,
            r.responsible,
            r.due_on.isoformat() if r.due_on else "",
            STATUSES[r.status],
            r.handling,
            (f"{r.reply}（{r.replied_by} {r.replied_on:%m-%d}）" if r.replied_on else r.reply),
            "逾期" if r.overdue(self.today) else "",
            _ack_text(r.acknowledged),
        ]
        return values[column]
