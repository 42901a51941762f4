"""今日待办: what needs doing today, gathered from every feature. Reminders, never scores.

Each feature adds a provider ``"module:function"`` to :data:`TODO_PROVIDERS`; a provider is
``fn(work, today) -> list[TodoItem]`` (``work`` the unit of work, :class:`app.work.Work`: its session and
the user it gathers for).
"""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass

from app.work import Work

TODO_PROVIDERS: tuple[str, ...] = (
    "app.diary.todo:todo_items",
    "app.mediation.deadlines:todo_items",
    "app.sync.overdue:todo_items",
    "app.keycases.todo:todo_items",
    "app.reviews.todo:todo_items",
)


@dataclass(frozen=True)
class TodoItem:
    kind: str  # e.g. "must_visit", "overdue_visit", "demand_due", "judicial_confirmation"
    title: str  # Chinese, one line
    detail: str = ""
    due: dt.date | None = None
    severity: str = "normal"  # "normal" | "warning" | "overdue"
    page: str = ""  # PageSpec key to open
    record_id: str | None = None
    group: str = ""  # a heading the item is listed under (at a town: the office a demand was referred to)
    # a line that stands for several (另有 N 条…): how many, and how many of them are overdue
    count: int = 1
    overdue_count: int = 0


def collect(work: Work, today: dt.date | None = None) -> list[TodoItem]:
    today = today or dt.date.today()
    items: list[TodoItem] = []
    for spec in TODO_PROVIDERS:
        module_name, fn_name = spec.split(":")
        items.extend(getattr(importlib.import_module(module_name), fn_name)(work, today))
    order = {"overdue": 0, "warning": 1, "normal": 2}
    return sorted(items, key=lambda i: (order.get(i.severity, 3), i.due or dt.date.max, i.title))
