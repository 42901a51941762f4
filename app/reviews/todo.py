"""今日待办 from 两评 (listed in :data:`app.todo.TODO_PROVIDERS`): at a village, each decision of the town's
点评会 addressed to it that has no completion note yet, until it is marked done. The town gets none (the
completion is the village's to write). Shown to the village's administrator and its 驻村干部."""

from __future__ import annotations

import datetime as dt

from app.accounts import can
from app.reviews import meetings
from app.reviews.common import RESIDENT_CADRE_WORD, key_label
from app.todo import TodoItem
from app.work import Work

WARN_DAYS = 5


def todo_items(work: Work, today: dt.date) -> list[TodoItem]:
    actor = work.actor
    if work.is_town or actor is None or not can(actor, "complete_decisions"):
        return []
    if "admin" not in actor.role_set and RESIDENT_CADRE_WORD not in (actor.title or ""):
        return []  # the village's administrator and its 驻村干部: the meeting's decisions concern them
    items = []
    for d in meetings.decisions(work, open_only=True):
        if d.due_on is None:
            severity = "normal"
        elif d.due_on < today:
            severity = "overdue"
        elif (d.due_on - today).days <= WARN_DAYS:
            severity = "warning"
        else:
            severity = "normal"
        text = d.text if len(d.text) <= 40 else d.text[:39] + "…"
        items.append(
            TodoItem(
                "review_decision",
                f"点评会决定：{text}",
                f"{key_label(d.month)}点评会第{d.seq}项，乡镇下发。落实后请在“两评”页填写落实情况。",
                d.due_on,
                severity,
                "reviews",
                d.id,
            )
        )
    return items
