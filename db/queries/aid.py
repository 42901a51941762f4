"""帮扶's reads, batched: the village view (households of a tag in the roster's order, each with its aid
over a period: how many times, how much money, which kinds), a household's aid and pairs, and the
month's facts for the town's 点评会.

The village view is three statements whatever the number of households: the households (the roster's
conditions and order), the aid grouped by household and kind, the open pairs with their cadres' names.
Nothing is scored or ranked: the rows keep the roster's order (docs/aid.md).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Connection, and_, func, select
from sqlalchemy.orm import Session

from db import vocab
from db.models import AidPair, AidRecord, DiaryEntry, DiaryParticipant, Household, HouseholdTag, User
from db.queries.households import ROWID, RosterFilter, roster_conditions

_V = TypeVar("_V")
NO_KINDS: Mapping[str, int] = MappingProxyType({})  # shared by the households without aid (read-only)


@dataclass(slots=True)
class VillageAidRow:
    """One household of the village view. (Slots and a shared empty ``kinds``: a view of thousands of
    households makes few objects, so the collector seldom pauses it.)"""

    household_id: str
    village_code: str
    group_name: str
    head_name: str
    responsible: str = ""  # the open pairs' 帮扶责任人, 、-separated
    count: int = 0
    amount_fen: int = 0
    kinds: Mapping[str, int] = field(default_factory=lambda: NO_KINDS)  # kind → times, AID_KINDS order
    last_given_on: dt.date | None = None

    @property
    def kinds_text(self) -> str:
        """物资 2、资金 1 (the kinds in their fixed order, never by size)."""
        return "、".join(f"{k} {n}" for k, n in self.kinds.items())


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """The view's rows are thousands of small acyclic objects: the cyclic collector would stop to rescan
    the whole heap for them (a full collection landed in one run of ten, at 3 000 households, adding up
    to 200 ms on a busy machine). Paused while they are made, as the bundle importer does."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def village_view(
    session: Session,
    *,
    village_code: str | None,
    tag: str | None,
    since: dt.date,
    until: dt.date,
    hidden_tags: frozenset[str] = frozenset(),
) -> list[VillageAidRow]:
    """The live households of ``village_code`` (every village when None: village by village, in code
    order) with ``tag`` (every household when None), in the roster's order (组, 户主, then as entered),
    each with its live aid given from ``since`` to ``until`` (both included).

    Core statements on the session's connection (no ORM rows: 3 000 households in a few tens of ms);
    the aid and the pairs are narrowed to the tag's households in SQL, or to the village when every
    household is shown (a deleted household's aid then finds no row and is left out)."""
    session.flush()  # (Core statements do not autoflush: the unit of work's own changes count too)
    with _gc_paused():
        return _village_rows(session.connection(), village_code, tag, since, until, hidden_tags)


def _village_rows(
    conn: Connection,
    village_code: str | None,
    tag: str | None,
    since: dt.date,
    until: dt.date,
    hidden_tags: frozenset[str],
) -> list[VillageAidRow]:
    filt = RosterFilter(village_code=village_code, tag=tag, hidden_tags=hidden_tags)
    rows: dict[str, VillageAidRow] = {}
    # Values that thousands of rows share (the village's code, its 组, the kinds, the days, the cadres'
    # names) are kept once: SQLite hands each row its own copy. At 100 000 households the 低保 view
    # (5 172 households) held 4.7 MB for as long as the screen showed it; 2.4 MB so.
    kept: dict[Any, Any] = {}

    def shared(value: _V) -> _V:
        return kept.setdefault(value, value)  # type: ignore[no-any-return]

    # Each statement's rows are read as SQLite steps to them, never gathered into a list first: the rows
    # of 5 000 households' aid by kind made 8 MB of short-lived objects at 100 000 households (issue 17's
    # peak memory, the 帮扶 screen's share of it)
    for hid, vc, group, head in conn.execute(
        select(Household.id, Household.village_code, Household.group_name, Household.head_name)
        .where(and_(*roster_conditions(filt)))
        .order_by(Household.village_code, Household.group_name, Household.head_name, Household.id, ROWID)
    ):
        rows[hid] = VillageAidRow(hid, shared(vc), shared(group), head)
    if not rows:
        return []
    aid_conds: list[ColumnElement[bool]] = [
        AidRecord.deleted_at.is_(None),
        AidRecord.given_on >= since,
        AidRecord.given_on <= until,
    ]
    pair_conds: list[ColumnElement[bool]] = [AidPair.end_on.is_(None), AidPair.deleted_at.is_(None)]
    if village_code is not None:
        aid_conds.append(AidRecord.village_code == village_code)
        pair_conds.append(AidPair.village_code == village_code)
    if tag is not None and tag not in hidden_tags:
        tagged = select(HouseholdTag.household_id).where(
            HouseholdTag.tag == tag, HouseholdTag.deleted_at.is_(None)
        )
        if village_code is not None:
            tagged = tagged.where(HouseholdTag.village_code == village_code)
        aid_conds.append(AidRecord.household_id.in_(tagged))
        pair_conds.append(AidPair.household_id.in_(tagged))
    kinds_of: dict[str, dict[str, int]] = {}
    for hid, kind, n, fen, last in conn.execute(
        select(
            AidRecord.household_id,
            AidRecord.kind,
            func.count(),
            func.coalesce(func.sum(AidRecord.amount_fen), 0),
            func.max(AidRecord.given_on),
        )
        .where(*aid_conds)
        .group_by(AidRecord.household_id, AidRecord.kind)
    ):
        row = rows.get(hid)
        if row is None:
            continue
        row.count += n
        row.amount_fen += int(fen or 0)
        kinds_of.setdefault(hid, {})[shared(kind)] = n
        if row.last_given_on is None or last > row.last_given_on:
            row.last_given_on = shared(last)
    order = {k: i for i, k in enumerate(vocab.AID_KINDS)}
    for hid, kinds in kinds_of.items():  # the kinds in their fixed order (an unknown one last)
        rows[hid].kinds = (
            kinds
            if len(kinds) == 1
            else dict(sorted(kinds.items(), key=lambda kv: order.get(kv[0], len(order))))
        )
    for hid, name in conn.execute(
        select(AidPair.household_id, User.display_name)
        .join(User, User.id == AidPair.cadre_id)
        .where(*pair_conds)
        .order_by(AidPair.start_on, AidPair.id)
    ):
        row = rows.get(hid)
        if row is not None:
            row.responsible = shared(f"{row.responsible}、{name}" if row.responsible else name)
    return list(rows.values())


def raw_village_aggregate(session: Session, village_code: str, since: dt.date, until: dt.date) -> int:
    """The bare SQL aggregate the village view's timing is compared with (bench yardstick): every live
    household of the village with its aid count and sum over the period, in one statement."""
    sql = (
        "SELECT h.id, count(a.id), coalesce(sum(a.amount_fen), 0) FROM household h "
        "LEFT JOIN aid_record a ON a.household_id = h.id AND a.deleted_at IS NULL "
        "AND a.given_on >= ? AND a.given_on <= ? "
        "WHERE h.village_code = ? AND h.deleted_at IS NULL GROUP BY h.id"
    )
    conn = session.connection()
    return len(conn.exec_driver_sql(sql, (since.isoformat(), until.isoformat(), village_code)).all())


# -- one household ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class EntryChoice:
    """A diary entry of the household, as the 帮扶 form offers it to link."""

    id: str
    occurred_at: dt.datetime
    kind: str
    cadre_name: str
    summary: str


def household_entries(session: Session, household_id: str, limit: int = 200) -> list[EntryChoice]:
    """The household's live diary entries (it was met in them), newest first."""
    rows = session.execute(
        select(
            DiaryEntry.id,
            DiaryEntry.occurred_at,
            DiaryEntry.kind,
            User.display_name,
            DiaryEntry.difficulties,
            DiaryEntry.actions,
            DiaryEntry.situation,
        )
        .join(DiaryParticipant, DiaryParticipant.entry_id == DiaryEntry.id)
        .outerjoin(User, User.id == DiaryEntry.cadre_id)
        .where(
            DiaryParticipant.household_id == household_id,
            DiaryParticipant.deleted_at.is_(None),
            DiaryEntry.deleted_at.is_(None),
        )
        .group_by(DiaryEntry.id)
        .order_by(DiaryEntry.occurred_at.desc())
        .limit(limit)
    ).all()
    return [
        EntryChoice(eid, at, kind, name or "", _summary(actions or difficulties or situation or ""))
        for eid, at, kind, name, difficulties, actions, situation in rows
    ]


def _summary(text: str, n: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def entry_met_household(session: Session, entry_id: str, household_id: str) -> bool:
    """Whether the live diary entry met the household (the only entries a 帮扶记录 may link)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(DiaryParticipant)
            .join(DiaryEntry, DiaryEntry.id == DiaryParticipant.entry_id)
            .where(
                DiaryParticipant.entry_id == entry_id,
                DiaryParticipant.household_id == household_id,
                DiaryParticipant.deleted_at.is_(None),
                DiaryEntry.deleted_at.is_(None),
            )
        )
        or 0
    ) > 0


def entry_labels(session: Session, entry_ids: Sequence[str]) -> dict[str, tuple[dt.datetime, str]]:
    """Entry id → (time, kind) of the given entries (live or not: a record keeps its link)."""
    out: dict[str, tuple[dt.datetime, str]] = {}
    ids = list(entry_ids)
    for start in range(0, len(ids), 500):
        for eid, at, kind in session.execute(
            select(DiaryEntry.id, DiaryEntry.occurred_at, DiaryEntry.kind).where(
                DiaryEntry.id.in_(ids[start : start + 500])
            )
        ):
            out[eid] = (at, kind)
    return out


# -- the month's facts --------------------------------------------------------------------------------
def month_counts(session: Session, village_code: str, first: dt.date, last: dt.date) -> dict[str, int]:
    """The village's 帮扶 in the month ``first`` … ``last``: records, households aided, money (分), pairs
    started and ended in the month, pairs open at its end."""
    records, households, fen = session.execute(
        select(
            func.count(),
            func.count(func.distinct(AidRecord.household_id)),
            func.coalesce(func.sum(AidRecord.amount_fen), 0),
        ).where(
            AidRecord.village_code == village_code,
            AidRecord.deleted_at.is_(None),
            AidRecord.given_on >= first,
            AidRecord.given_on <= last,
        )
    ).one()
    live_pair = [AidPair.village_code == village_code, AidPair.deleted_at.is_(None)]
    started = session.scalar(
        select(func.count()).where(*live_pair, AidPair.start_on >= first, AidPair.start_on <= last)
    )
    ended = session.scalar(
        select(func.count()).where(*live_pair, AidPair.end_on >= first, AidPair.end_on <= last)
    )
    open_at_end = session.scalar(
        select(func.count()).where(
            *live_pair, AidPair.start_on <= last, (AidPair.end_on.is_(None)) | (AidPair.end_on > last)
        )
    )
    return {
        "aid_records": int(records or 0),
        "aided_households": int(households or 0),
        "aid_amount_fen": int(fen or 0),
        "aid_pairs_started": int(started or 0),
        "aid_pairs_ended": int(ended or 0),
        "aid_pairs_open": int(open_at_end or 0),
    }
