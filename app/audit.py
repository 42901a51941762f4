"""审计日志: who did what. Field names only; values of sensitive fields never enter the log."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from db.models import AuditLog, User

if TYPE_CHECKING:
    from app.work import Work


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


def exported(work: Work, what: str, target: Path | str, count: int) -> int:
    """A file of residents' data written (a 台账, the roster, contact cards): who, what, how many, and the
    file's name, for the log an administrator reads after a laptop or a stick is lost. Returns ``count``."""
    record(work.session, work.actor, "export", detail=f"{what}：{count} 条，{Path(target).name}")
    return count
