"""Small helpers the diary modules share: the entry's text fields, text cleaning, the writer's
permission check, user names by id and loading a live entry."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import DiaryEntry, User

from app import accounts
from app.lookup import require_live

ENTRY_FIELDS = ("place", "companions", "situation", "difficulties", "actions", "follow_up")


def clean(text: str | None, limit: int | None = None) -> str:
    text = (text or "").strip()
    return text[:limit] if limit else text


def require_writer(actor: User | None) -> None:
    accounts.require(actor, "write_diary")


def live_entry(session: Session, entry_id: str) -> DiaryEntry:
    return require_live(session, DiaryEntry, entry_id, "找不到这篇民情日记（可能已被删除）")


def user_names(session: Session, ids: Iterable[str | None]) -> dict[str, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())
