"""The roster as a lazy table model: keys sorted and filtered in SQL, rows fetched a page at a time.

A search shows its first screen at once (:func:`roster_window`): a common word (a surname, "138") loads
the first keys in order and more as the list is scrolled (Qt's ``canFetchMore``/``fetchMore``), so a
keystroke never waits for tens of thousands of matches to be listed and sorted."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

from db.queries.households import (
    DENSE,
    RosterFilter,
    RosterRow,
    effective_terms,
    roster_count,
    roster_rows,
    roster_window,
)

from ui.models.lazy import LazyIdModel

COLUMNS: tuple[tuple[str, str], ...] = (
    ("group_name", "组"),
    ("head_name", "户主"),
    ("household_no", "户编号"),
    ("address", "住址"),
    ("members", "在册人数"),
    ("phones", "电话"),
    ("contact_cadre", "联系干部"),
    ("area_cadre", "包片干部"),
    ("tags", "标签"),
    ("card_delivered_on", "联系卡送达"),
)


class RosterModel(LazyIdModel):
    """Read-only; ``session_factory()`` gives a session (a context manager) for each fetch. The list is
    of row keys (household rowids, see :func:`roster_keys`); ``household_id(row)`` gives a row's UUID."""

    COLUMNS = COLUMNS
    DEFAULT_SORT = "group_name"
    MISSING_TEXT = "（已删除）"
    TOOLTIPS = True  # an address or a list of phones cut short shows whole on hover

    def __init__(self, session_factory, parent=None) -> None:
        super().__init__(session_factory, parent)
        self.complete = True  # every key of the list is loaded
        self.total: int | None = None  # the list's length when known though not all loaded
        self.hits: int | None = None  # the search index's count of the words' matches (other filters aside)
        self.filter = RosterFilter()
        self.hidden_tags: frozenset[str] = frozenset()

    WINDOW = 30  # keys loaded at a time while the list is walked in order (a screenful and a half)

    def _query_ids(self, session) -> list[int]:
        window = roster_window(
            session, self.filter, sort=self.sort_key, descending=self.descending, limit=self.WINDOW
        )
        self.complete = window.complete
        f = self.filter
        alone = not (f.group_name or f.tag or f.contact_cadre_id or f.card_not_delivered or f.village_code)
        self.hits = window.hits if alone and not window.complete else None
        # without search words the count comes from an index at once; with them it would list every match
        self.total = (
            None
            if window.complete or effective_terms(self.filter.text)
            else roster_count(session, self.filter)
        )
        return window.keys

    def reload(self, filt=None) -> None:
        self.complete = True
        super().reload(filt)
        self._page_size = 1 << 62  # one page that grows as more keys are fetched

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:
        return not parent.isValid() and not self.complete

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> None:
        if parent.isValid() or self.complete:
            return
        with self._session_factory() as session:
            window = roster_window(
                session,
                self.filter,
                sort=self.sort_key,
                descending=self.descending,
                offset=self._count,
                limit=self.WINDOW,
            )
        self.complete = window.complete
        if not window.keys:
            return
        keys = self._pages.setdefault(0, [])
        self.beginInsertRows(QModelIndex(), self._count, self._count + len(window.keys) - 1)
        keys.extend(window.keys)
        self._count = len(keys)
        self.endInsertRows()

    def count_text(self) -> str:
        """What the page says of the list's length."""
        if self.complete:
            return f"共 {self._count} 户"
        if self.total is not None:
            return f"共 {self.total} 户"
        if self.hits is not None:
            many = f"{DENSE} 户以上" if self.hits >= DENSE else f"约 {self.hits} 户"
            return f"{many}，向下滚动看更多"
        return f"已列出 {self._count} 户，向下滚动看更多"

    def _fetch(self, session, ids: list[int]) -> dict[int, RosterRow]:
        return roster_rows(session, ids, hidden_tags=self.hidden_tags)

    def _display(self, r: RosterRow, column: int) -> object:
        key = COLUMNS[column][0]
        value = getattr(r, key)
        if key == "tags":
            return "、".join(value)
        if key == "card_delivered_on":
            return f"{value:%Y-%m-%d}" if value else "未送达"
        if key == "phones":
            return value.replace(",", "，")
        return "" if value is None else str(value) if not isinstance(value, str) else value

    def _alignment(self, column: int) -> int | None:
        return int(Qt.AlignmentFlag.AlignCenter) if COLUMNS[column][0] == "members" else None

    def household_id(self, row: int) -> str | None:
        r = self.row_data(row)
        return r.id if r else None

    def row_of_key(self, key: int) -> int:
        """Row of a row key (:meth:`id_at`) in the keys loaded, or -1."""
        return super().row_of(key)

    def row_of(self, household_id: str) -> int:
        """Row of an already loaded household (after an edit), or -1."""
        for key, r in self._cache.items():
            if r.id == household_id:
                return super().row_of(key)
        return -1
