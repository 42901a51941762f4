"""The lazily loaded table model over a list of ids that the long lists share (the diary and the ledger,
the roster, the mediation cases): ids sorted and filtered in SQL, the rows' contents fetched a window at
a time as they scroll into view. A subclass names its columns and loads its ids and rows; this module
holds the id list, the page cache and the Qt plumbing (row and column counts, headers, data, sorting,
the 村 column of a town station)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush

Index = QModelIndex | QPersistentModelIndex
Column = tuple[str | None, str]  # (sort key, None when the column does not sort; header)

PAGE_SIZE = 1000  # ids loaded at a time by a paged model


class LazyIdModel(QAbstractTableModel):
    """Rows by position over an id list sorted and filtered in SQL; row contents fetched in windows.

    A paged model (``PAGED_IDS``) never holds the whole id list (a village's diary runs to hundreds of
    thousands of entries): it counts the matches (``_query_count``), then loads the ids a page at a time
    (``_query_page``: LIMIT/OFFSET in the same SQL order) as rows are shown. Any other model takes the
    whole list at once (``_query_ids``). Either way the rows' contents come ``ROW_WINDOW`` at a time
    around the row asked for (``_fetch``). ``session_factory()`` gives a session (a context manager) for
    each query; the model is read-only.
    """

    COLUMNS: tuple[Column, ...] = ()
    VILLAGE_COLUMN: Column = ("village_code", "村")  # first, at a town station
    DEFAULT_SORT = ""
    DEFAULT_DESCENDING = False
    PAGED_IDS = False
    # rows fetched around the one asked for: the first screenful of a list (about 30 lines at 1080 pixels)
    # comes in one fetch; 100 took 15–20 ms for a search's scattered rows at 100 000 households (issue 17)
    ROW_WINDOW = 40
    CACHE_LIMIT: int | None = None  # rows held at most (beyond it the cache starts again)
    TOOLTIPS = False  # a cell's text is its tooltip too
    MISSING_TEXT: str | None = None  # shown for a row gone since the list was made

    def __init__(self, session_factory: Callable, parent=None) -> None:
        super().__init__(parent)
        self._session_factory = session_factory
        self._pages: dict[int, list] = {}  # page number → ids
        self._page_size = PAGE_SIZE
        self._count = 0
        self._cache: dict = {}  # id → row
        self.fetches = 0
        self.sort_key = self.DEFAULT_SORT
        self.descending = self.DEFAULT_DESCENDING
        self.columns: tuple[Column, ...] = tuple(self.COLUMNS)
        self._village_name: Callable[[str], str] | None = None
        self.filter = None  # the subclass's filter (DiaryFilter, RosterFilter …), used by its queries
        # Listed once (reload): a view set up with its sort indicator asks for a sort before its page
        # lists anything; the order is kept for that first listing instead of listing it twice before
        # (at a town of 30 villages the roster's 90 000 ids took 80 ms a listing: 3 at every opening).
        self.listed = False

    def show_village_column(self, name_of: Callable[[str], str]) -> None:
        """A town station: a 村 column first, showing ``name_of(row.village_code)``."""
        self.beginResetModel()
        self.columns = (self.VILLAGE_COLUMN, *self.COLUMNS)
        self._village_name = name_of
        self.endResetModel()

    # -- a subclass's part ---------------------------------------------------------------------------
    def _query_ids(self, session) -> list:
        """The whole id list, in order (a model that does not page its ids)."""
        raise NotImplementedError

    def _query_count(self, session) -> int:
        """How many ids the list has (a paged model)."""
        raise NotImplementedError

    def _query_page(self, session, offset: int, limit: int) -> list:
        """Ids ``offset`` to ``offset + limit`` of the list (a paged model)."""
        raise NotImplementedError

    def _query_position(self, session, record_id) -> int:
        """The row of an id not among the pages in hand (a paged model)."""
        raise NotImplementedError

    def _fetch(self, session, ids: list) -> dict:
        """The rows of ``ids``, by id (an id gone since the list was made is left out)."""
        raise NotImplementedError

    def _display(self, row, column: int) -> object:
        """A cell's text; ``column`` counts in ``COLUMNS`` (the 村 column is the model's own)."""
        raise NotImplementedError

    def _background(self, row) -> QBrush | None:
        return None

    def _alignment(self, column: int) -> int | None:
        return None

    def _sort_key(self, column: int) -> str | None:
        """The sort key of a column (None: clicking it keeps the current order)."""
        return self.columns[column][0] if 0 <= column < len(self.columns) else None

    # -- loading -------------------------------------------------------------------------------------
    def reload(self, filt=None) -> None:
        """List the ids again (under ``filt`` when given, else the model's ``filter``) and forget the
        rows loaded."""
        if filt is not None:
            self.filter = filt
        self.listed = True
        with self._session_factory() as session:
            if self.PAGED_IDS:
                size = PAGE_SIZE
                first, count = self._query_first_page(session, size)
                pages = {0: first} if count else {}
            else:
                ids = self._query_ids(session)
                size, count, pages = max(len(ids), 1), len(ids), {0: ids}
        self.beginResetModel()
        self._page_size, self._count, self._pages = size, count, pages
        self._cache = {}
        self.endResetModel()

    def set_filter(self, filt) -> None:
        self.reload(filt)

    def _query_first_page(self, session, size: int) -> tuple[list, int]:
        """A paged model's first page of ids and how many it lists (its count, then the page)."""
        count = self._query_count(session)
        return (self._query_page(session, 0, size) if count else []), count

    def clear(self) -> None:
        """No rows, nothing held of the previous list."""
        self.beginResetModel()
        self._pages, self._count, self._cache = {}, 0, {}
        self.endResetModel()

    def loaded_id_count(self) -> int:
        """How many ids the model holds now."""
        return sum(len(p) for p in self._pages.values())

    @property
    def loaded_rows(self) -> int:
        """How many rows' contents the model holds now."""
        return len(self._cache)

    def _ids_between(self, lo: int, hi: int) -> list:
        """Ids of rows lo..hi-1 (fewer if the list shrank since it was counted)."""
        size = self._page_size
        out: list = []
        for page in range(lo // size, (max(hi, lo + 1) - 1) // size + 1):
            if page not in self._pages:
                with self._session_factory() as session:
                    self._pages[page] = self._query_page(session, page * size, size)
            start = page * size
            out += self._pages[page][max(lo - start, 0) : max(hi - start, 0)]
        return out

    def row_data(self, row: int):
        """The contents of a row (fetched with the rows around it), None if it is gone."""
        key = self.id_at(row)
        if key is None:
            return None
        if key not in self._cache:
            if self.CACHE_LIMIT is not None and len(self._cache) > self.CACHE_LIMIT:
                self._cache.clear()
            lo = max(0, row - self.ROW_WINDOW // 4)
            window = [
                i
                for i in self._ids_between(lo, min(lo + self.ROW_WINDOW, self._count))
                if i not in self._cache
            ]
            with self._session_factory() as session:
                self._cache.update(self._fetch(session, window))
            self.fetches += 1
        return self._cache.get(key)

    def id_at(self, row: int):
        if not 0 <= row < self._count:
            return None
        ids = self._ids_between(row, row + 1)
        return ids[0] if ids else None

    def row_of(self, record_id) -> int:
        """The row of an id: from the pages in hand, else asked of SQL (-1: not in the list)."""
        for page, ids in self._pages.items():
            if record_id in ids:
                return page * self._page_size + ids.index(record_id)
        if not self.PAGED_IDS:
            return -1
        with self._session_factory() as session:
            row = self._query_position(session, record_id)
        return row if row < self._count else -1

    # -- Qt ------------------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            return self.columns[section][1]
        if orientation == Qt.Orientation.Vertical:
            return str(section + 1)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if (
            not index.isValid()
            or not 0 <= index.row() < self._count
            or not 0 <= index.column() < len(self.columns)
        ):
            return None
        if role == Qt.ItemDataRole.UserRole:
            return self.id_at(index.row())
        column = index.column() - (1 if self._village_name is not None else 0)  # -1: the 村 column
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self._alignment(column) if column >= 0 else None
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.BackgroundRole) and not (
            role == Qt.ItemDataRole.ToolTipRole and self.TOOLTIPS
        ):
            return None
        row = self.row_data(index.row())
        if row is None:
            return self.MISSING_TEXT if role == Qt.ItemDataRole.DisplayRole else None
        if role == Qt.ItemDataRole.BackgroundRole:
            return self._background(row)
        if column < 0:
            return self._village_name(row.village_code)
        return self._display(row, column)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = self._sort_key(column)
        if key is None:
            return
        descending = order == Qt.SortOrder.DescendingOrder
        if (key, descending) == (self.sort_key, self.descending) and self.listed:
            return  # (Qt's sortByColumn asks twice)
        self.sort_key, self.descending = key, descending
        if self.listed:
            self.reload()
