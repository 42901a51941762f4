"""Drafts (草稿) of the diary's entry form: a half-typed entry survives closing the window or a crash.
One file per user and entry (``diary-….json``), kept as every draft is (:mod:`app.drafts`: atomic,
sealed with the workspace key, a damaged file skipped, never deleted)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from pathlib import Path
from typing import Any

from db import cipher, vocab
from db.files import replace_atomically

from app.diary.entries import HOME_VISIT, DemandInput, EntryInput, ParticipantInput
from app.drafts import Draft, draft_path, of_key, read_drafts, user_id, write_draft
from app.work import Work


def _draft_path(drafts_dir: Path, user: str, key: str) -> Path:
    return draft_path(drafts_dir, "diary", user, key)


def save_draft(work: Work, key: str, data: dict[str, Any], *, now: dt.datetime | None = None) -> Path:
    """Write the form's state atomically (temp file, fsync, rename). ``key`` is "new" or the entry id."""
    target = _draft_path(Path(work.paths.drafts), user_id(work), key)
    payload = {
        "key": key,
        "user_id": user_id(work),
        "saved_at": (now or dt.datetime.now()).isoformat(timespec="microseconds"),
        "data": data,
    }
    return write_draft(work, target, payload)


def list_drafts(work: Work) -> list[Draft]:
    """The user's unsaved drafts, newest first. A damaged file is skipped, never deleted."""
    out = []
    for path, payload in read_drafts(work, "diary-*.json"):
        if not isinstance(payload.get("data"), dict):  # not an entry form's state
            continue
        try:
            out.append(
                Draft(payload["key"], path, dt.datetime.fromisoformat(payload["saved_at"]), payload["data"])
            )
        except (ValueError, KeyError, TypeError):
            continue
    return sorted(out, key=lambda d: (d.saved_at, d.key), reverse=True)  # (a side key sorts after its own)


def load_draft(work: Work, key: str) -> Draft | None:
    """The newest draft of the form ``key`` is for ("new" or an entry's id): its own, or one kept beside it
    while an earlier one was on offer (:func:`app.drafts.side_key`)."""
    return next((d for d in list_drafts(work) if of_key(d.key, key)), None)


def discard_draft(work: Work, key: str) -> None:
    _draft_path(Path(work.paths.drafts), user_id(work), key).unlink(missing_ok=True)


def entry_to_draft(data: EntryInput) -> dict[str, Any]:
    """An :class:`EntryInput` as JSON-able data (dates as ISO text)."""
    out = asdict(data)
    out["occurred_at"] = data.occurred_at.isoformat() if data.occurred_at else None
    out["follow_up_on"] = data.follow_up_on.isoformat() if data.follow_up_on else None
    for d in out["demands"]:
        d["due_on"] = d["due_on"].isoformat() if d["due_on"] else None
    return out


def draft_to_entry(data: dict[str, Any]) -> EntryInput:
    def date(v: str | None) -> dt.date | None:
        return dt.date.fromisoformat(v) if v else None

    # a draft saved by a version that kept English codes (home_visit …) comes back with the value
    kind = [data.get("kind") or HOME_VISIT]
    vocab.translate_rows("diary_entry", ["kind"], [kind])
    return EntryInput(
        occurred_at=dt.datetime.fromisoformat(data["occurred_at"]) if data.get("occurred_at") else None,
        kind=kind[0],
        place=data.get("place", ""),
        participants=[
            ParticipantInput(p["household_id"], p.get("person_id")) for p in data.get("participants", [])
        ],
        companions=data.get("companions", ""),
        situation=data.get("situation", ""),
        difficulties=data.get("difficulties", ""),
        actions=data.get("actions", ""),
        follow_up=data.get("follow_up", ""),
        follow_up_on=date(data.get("follow_up_on")),
        demands=[
            DemandInput(
                d.get("category", ""),
                d.get("content", ""),
                d.get("responsible_id"),
                date(d.get("due_on")),
                d.get("household_id"),
                d.get("id"),
            )
            for d in data.get("demands", [])
        ],
        cadre_id=data.get("cadre_id"),
        informant_id=data.get("informant_id"),
    )


def seal_plain_drafts(drafts_dir: Path, key: bytes) -> int:
    """Seal the plain drafts a version before encryption left (returns how many)."""
    done = 0
    for path in Path(drafts_dir).glob("diary-*.json") if Path(drafts_dir).exists() else []:
        raw = path.read_bytes()
        if cipher.is_sealed(raw):
            continue
        replace_atomically(path, cipher.seal(key, "draft", raw, path.name))
        done += 1
    return done
