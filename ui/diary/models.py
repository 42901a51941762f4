"""Lazy table models for the diary list and the ledger: id lists sorted/filtered in SQL, rows on demand
(paged id lists: a village's diary runs to hundreds of thousands of entries; see ui/models/lazy.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtGui import QBrush, QColor

from db.queries.diary import (
    DiaryFilter,
    LedgerFilter,
    demand_ids,
    demand_ids_counted,
    demand_position,
    diary_entry_count,
    diary_entry_ids,
    diary_entry_position,
    diary_rows,
    ledger_count,
    ledger_rows,
)

from app.diary.demands import CLOSED, OPEN, REPLIED

from ui.models.lazy import LazyIdModel

_OVERDUE = QBrush(QColor("#fde2d4"))


def _ack_text(method: str | None) -> str:
    return method or "未签"


class DiaryListModel(LazyIdModel):
    COLUMNS = (
        ("occurred_at", "日期时间"),
        ("kind", "方式"),
        (None, "走访对象"),
        ("place", "地点"),
        (None, "诉求"),
        (None, "群众签字"),
        ("cadre", "记录干部"),
        (None, "摘要"),
    )
    VILLAGE_COLUMN = ("village", "村")
    DEFAULT_SORT, DEFAULT_DESCENDING = "occurred_at", True
    PAGED_IDS, CACHE_LIMIT, TOOLTIPS = True, 3000, True

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
            return r.kind
        if column == 2:
            return r.persons or r.households
        if column == 3:
            return r.place
        if column == 4:
            parts = [
                f"{s}{n}"
                for s, n in (
                    (OPEN, r.demands_open),
                    ("交办", r.demands_at_town),
                    (REPLIED, r.demands_replied),
                    (CLOSED, r.demands_closed),
                )
                if n
            ]
            return " ".join(parts)
        if column == 5:
            return _ack_text(r.ack_method) + ("（签字后补记）" if r.amended else "")
        if column == 6:
            return r.cadre_name
        return r.summary


class LedgerModel(LazyIdModel):
    COLUMNS = (
        ("date", "日期"),
        ("household", "户主"),
        ("category", "类别"),
        (None, "诉求内容"),
        (None, "责任人"),
        ("due_on", "期限"),
        ("status", "状态"),
        (None, "办理情况"),
        (None, "答复"),
        (None, "乡镇"),
        (None, "群众点评"),
        (None, "逾期"),
        (None, "群众签字"),
        (None, "为民实事"),
    )
    VILLAGE_COLUMN = ("village", "村")
    DEFAULT_SORT, DEFAULT_DESCENDING = "date", True
    PAGED_IDS, CACHE_LIMIT, TOOLTIPS = True, 3000, True

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

    def _query_first_page(self, session, size: int) -> tuple[list, int]:
        if not self.filter.text.strip():  # (the count from the per-day counts, then the page)
            return super()._query_first_page(session, size)
        return demand_ids_counted(
            session, self.filter, sort=self.sort_key, descending=self.descending, limit=size
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
            r.status,
            r.handling,
            (f"{r.reply}（{r.replied_by} {r.replied_on:%m-%d}）" if r.replied_on else r.reply),
            r.town_text,
            r.feedback_text,
            "逾期" if r.overdue(self.today) else "",
            _ack_text(r.acknowledged),
            r.project,
        ]
        return values[column]
