"""Live (not deleted) synced records per village and record type, for ``stats`` and the town board."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.base import SyncedRecord, synced_models
from db.models import User


def live_counts(session: Session) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    models = [m for m in synced_models() if issubclass(m, SyncedRecord)]  # all of them: typed as such
    for model in models:
        rows = session.execute(
            select(model.village_code, func.count())
            .where(model.deleted_at.is_(None))
            .group_by(model.village_code)
        )
        for village_code, n in rows:
            counts.setdefault(village_code, {})[model.__record_type__] = n
    for per_village in counts.values():
        for model in models:
            per_village.setdefault(model.__record_type__, 0)
    return dict(sorted(counts.items()))


# Record types only some roles may see (even as a count): record type → the permission (app/accounts.py).
RESTRICTED_RECORD_TYPES: dict[str, str] = {
    "keycases": "see_sensitive_tags",  # 联户包案 (docs/keycases.md) and its parts
    "keycase_members": "see_sensitive_tags",
    "keycase_plans": "see_sensitive_tags",
    "keycase_links": "see_sensitive_tags",
    "keycase_transitions": "see_sensitive_tags",
}


def visible_counts(counts: dict[str, dict[str, int]], actor: User | None) -> dict[str, dict[str, int]]:
    """``counts`` without the record types ``actor`` may not see (:data:`RESTRICTED_RECORD_TYPES`)."""
    from app.accounts import can

    hidden = {t for t, perm in RESTRICTED_RECORD_TYPES.items() if not can(actor, perm)}
    if not hidden:
        return counts
    return {v: {t: n for t, n in per.items() if t not in hidden} for v, per in counts.items()}


def unit_names(session: Session) -> dict[str, str]:
    """Village (and town) code → name, from the stations this workspace knows (its own and enrolled)."""
    from db.models import Station

    return {code: name for code, name in session.execute(select(Station.code, Station.name)) if name}
