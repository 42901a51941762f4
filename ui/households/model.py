"""The roster as a lazy table model: keys sorted and filtered in SQL, rows fetched a page at a time."""

from __future__ import annotations

from PySide6.QtCore import Qt

from db.queries.households import RosterFilter, RosterRow, roster_keys, roster_rows

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

    def __init__(self, session_factory, parent=None) -> None:
        super().__init__(session_factory, parent)
        self.filter = RosterFilter()
        self.hidden_tags: frozenset[str] = frozenset()

    def _query_ids(self, session) -> list[int]:
        return roster_keys(session, self.filter, sort=self.sort_key, descending=self.descending)

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

    def row_of(self, household_id: str) -> int:
        """Row of an already loaded household (after an edit), or -1."""
        for key, r in self._cache.items():
            if r.id == household_id:
                return super().row_of(key)
        return -1
