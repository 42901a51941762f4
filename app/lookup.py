"""Load a live record for a service, or refuse in Chinese: "找不到…" with the field it came from."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.orm import Session

from db.live import live

from app.errors import UserError

T = TypeVar("T")


def require_live(
    session: Session, model: type[T], record_id: Any, message: str, *, field: str | None = None
) -> T:
    """The live record, or :class:`UserError` with ``message`` (say what is missing and what to do)."""
    row = live(session, model, record_id)
    if row is None:
        raise UserError(message, field=field)
    return row
