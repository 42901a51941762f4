"""Drafts (草稿): what a person has typed and not yet saved survives closing the window, a crash or a
power cut. One file per user, form and record in the workspace's drafts folder (``work.paths.drafts``),
written atomically (temp file, fsync, rename) and sealed with the workspace key (:mod:`db.cipher`), as
attachments are: drafts hold residents' and parties' words. A file that does not open (damaged, another
key) is skipped, never deleted.

The diary's entry form keeps its drafts through :mod:`app.diary.drafts` (its own fields); the dialogs of
the other features keep theirs as a list of the values of their fields (:func:`save_form_draft`)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from db import cipher
from db.files import private_dir, replace_atomically

from app.work import Work

FORM_PREFIX = "form"
MAX_DRAFT_BYTES = 4 << 20  # a draft larger than this is not one this program wrote: not read


@dataclass(frozen=True)
class Draft:
    key: str
    path: Path
    saved_at: dt.datetime
    data: Any


def user_id(work: Work) -> str:
    """Whose drafts: the acting user's (one with nobody signed in keeps them as "anonymous")."""
    return work.actor.id if work.actor is not None else "anonymous"


def draft_path(drafts_dir: Path, prefix: str, user: str, key: str) -> Path:
    safe = "".join(c for c in f"{user}-{key}" if c.isalnum() or c in "-_")
    return Path(drafts_dir) / f"{prefix}-{safe}.json"


def write_draft(work: Work, target: Path, payload: dict[str, Any]) -> Path:
    """``payload`` as JSON into ``target``: sealed with the workspace key, atomically."""
    drafts_dir = target.parent
    if not drafts_dir.is_dir():
        private_dir(drafts_dir)  # 0700 whatever the umask: it holds what residents said
    content = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")
    if work.key is not None:
        content = cipher.seal(work.key, "draft", content, target.name)
    return replace_atomically(target, content)


def read_drafts(work: Work, pattern: str) -> Iterator[tuple[Path, dict[str, Any]]]:
    """The payloads of the current user's drafts whose file name matches ``pattern``; files that do not
    open or are not a draft of this user are skipped."""
    drafts_dir, user = Path(work.paths.drafts), user_id(work)
    if not drafts_dir.exists():
        return
    for path in drafts_dir.glob(pattern):
        try:
            if path.stat().st_size > MAX_DRAFT_BYTES:
                continue
            raw = path.read_bytes()
            if cipher.is_sealed(raw):
                if work.key is None:
                    continue
                raw = cipher.unseal(work.key, "draft", raw, path.name)
            payload = json.loads(raw.decode("utf-8"))
            if not isinstance(payload, dict) or payload.get("user_id") != user:
                continue
            yield path, payload
        except (ValueError, OSError, cipher.SealBroken):
            continue


def _form_key(form: str, key: str) -> str:
    return f"{form}-{key}"


def save_form_draft(
    work: Work, form: str, key: str, values: list[Any], *, now: dt.datetime | None = None
) -> Path:
    """Keep the values of a dialog's fields (``form``: which dialog, ``key``: which record it is for)."""
    target = draft_path(Path(work.paths.drafts), FORM_PREFIX, user_id(work), _form_key(form, key))
    payload = {
        "form": form,
        "key": key,
        "user_id": user_id(work),
        "saved_at": (now or dt.datetime.now()).isoformat(timespec="microseconds"),
        "data": values,
    }
    return write_draft(work, target, payload)


def side_key(key: str) -> str:
    """A key of its own for what is typed into the form of ``key`` while an earlier draft of it is on offer
    and neither restored nor discarded, so that neither replaces the other (:func:`of_key`)."""
    return f"{key}_{dt.datetime.now():%Y%m%d%H%M%S%f}"


def of_key(found: str, key: str) -> bool:
    """Whether a draft kept under ``found`` is one of the form of ``key``: its own or one beside it."""
    return found == key or (found.startswith(key + "_") and found[len(key) + 1 :].isdigit())


def load_form_draft(work: Work, form: str, key: str) -> Draft | None:
    """The user's newest draft of ``form`` for ``key`` (its own, or one kept beside it), if one opens."""
    target = draft_path(Path(work.paths.drafts), FORM_PREFIX, user_id(work), _form_key(form, key))
    found = []
    for path, payload in read_drafts(work, target.stem + "*.json"):
        try:
            if payload["form"] != form or not of_key(payload["key"], key):
                continue
            if not isinstance(payload["data"], list):
                continue
            found.append(
                Draft(payload["key"], path, dt.datetime.fromisoformat(payload["saved_at"]), payload["data"])
            )
        except (KeyError, TypeError, ValueError):
            continue
    return max(found, key=lambda d: (d.saved_at, d.key), default=None)  # (a side key sorts after its own)


def discard_form_draft(work: Work, form: str, key: str) -> None:
    draft_path(Path(work.paths.drafts), FORM_PREFIX, user_id(work), _form_key(form, key)).unlink(
        missing_ok=True
    )
