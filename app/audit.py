"""审计日志: who did what. Field names only; values of sensitive fields never enter the log."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from db.models import AuditLog, User


def record(
    session: Session,
    user: User | None,
    action: str,
    *,
    table: str | None = None,
    record_id: str | None = None,
    fields: Iterable[str] = (),
    detail: str | None = None,
) -> None:
    session.add(
        AuditLog(
            user_id=user.id if user else None,
            username=user.username if user else None,
            action=action,
            table_name=table,
            record_id=record_id,
            fields=",".join(fields) or None,
            detail=detail,
        )
    )
