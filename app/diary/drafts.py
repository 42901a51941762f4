"""Drafts (草稿): a half-typed entry survives closing the window or a crash. One JSON file per user
and entry in the workspace's drafts folder (``work.paths.drafts``), written atomically; a damaged file
is skipped, never deleted. Drafts hold residents' words, so they are sealed with the workspace key
(:mod:`db.cipher`) as attachments are."""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from db import cipher, vocab

from app.diary.entries import HOME_VISIT, DemandInput, EntryInput, ParticipantInput
from app.work import Work


@dataclass(frozen=True)
class Draft:
    key: str
    path: Path
    saved_at: dt.datetime
    data: dict[str, Any]


def _user_id(work: Work) -> str:
    """Whose drafts: the acting user's (one with nobody signed in keeps them as "anonymous")."""
    return work.actor.id if work.actor is not None else "anonymous"


def _draft_path(drafts_dir: Path, user_id: str, key: str) -> Path:
    safe = "".join(c for c in f"{user_id}-{key}" if c.isalnum() or c in "-_")
    return Path(drafts_dir) / f"diary-{safe}.json"


def save_draft(work: Work, key: str, data: dict[str, Any], *, now: dt.datetime | None = None) -> Path:
    """Write the form's state atomically (temp file, fsync, rename). ``key`` is "new" or the entry id."""
    drafts_dir, user_id = Path(work.paths.drafts), _user_id(work)
    drafts_dir.mkdir(parents=True, exist_ok=True)
    target = _draft_path(drafts_dir, user_id, key)
    payload = {
        "key": key,
        "user_id": user_id,
        "saved_at": (now or dt.datetime.now()).isoformat(timespec="seconds"),
        "data": data,
    }
    content = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")
    if work.key is not None:
        content = cipher.seal(work.key, "draft", content, target.name)
    fd, tmp = tempfile.mkstemp(dir=drafts_dir, prefix=".tmp-draft-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def list_drafts(work: Work) -> list[Draft]:
    """The user's unsaved drafts, newest first. A damaged file is skipped, never deleted. Drafts hold residents' words, so they are sealed with the workspace key
    (:mod:`db.cipher`) as attachments are."""
    drafts_dir, user_id = Path(work.paths.drafts), _user_id(work)
    out = []
    for path in Path(drafts_dir).glob("diary-*.json") if Path(drafts_dir).exists() else []:
        try:
            raw = path.read_bytes()
            if cipher.is_sealed(raw):
                if work.key is None:
                    continue
                raw = cipher.unseal(work.key, "draft", raw, path.name)
            payload = json.loads(raw.decode("utf-8"))
            if payload.get("user_id") != user_id:
                continue
            out.append(
                Draft(payload["key"], path, dt.datetime.fromisoformat(payload["saved_at"]), payload["data"])
            )
        except (ValueError, KeyError, OSError, AttributeError, cipher.SealBroken):
            continue
    return sorted(out, key=lambda d: d.saved_at, reverse=True)


def load_draft(work: Work, key: str) -> Draft | None:
    return next((d for d in list_drafts(work) if d.key == key), None)


def discard_draft(work: Work, key: str) -> None:
    _draft_path(Path(work.paths.drafts), _user_id(work), key).unlink(missing_ok=True)


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
        tmp = path.with_name(".tmp-seal-" + path.name)
        tmp.write_bytes(cipher.seal(key, "draft", raw, path.name))
        os.replace(tmp, path)
        done += 1
    return done
