"""One live record (not deleted) by id: the single place that knows what "live" means."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")


def live(session: Session, model: type[T], record_id: Any) -> T | None:
    """The record, or None when there is none, it is deleted, or no id was given."""
    row = session.get(model, record_id) if record_id is not None else None
    if row is None or getattr(row, "deleted_at", None) is not None:
        return None
    return row
