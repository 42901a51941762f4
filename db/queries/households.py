"""户籍名册: the roster as id lists sorted and filtered in SQL, pages of rows fetched on demand.

One search box (any member's name, pinyin initials or full pinyin with every reading, the last
digits of a resident ID, any phone, address, 户编号) runs on the FTS5 trigram table
``fts_household`` (created in migration 0002), which indexes ``Household.search_text``.

``search_text`` is written by :func:`household_search_text` in a fixed form, so that queries shorter
than a trigram still hit the index:

- ``^张三丰 ^三丰 ^zhangsanfeng ^zsf`` — a ``^`` marks the start of a name, a given name, a pinyin key,
  the 组 or the address, so "zs" becomes the three-character phrase ``^zs`` (prefix match on any
  reading) and two typed characters ("张三", "三组") still use the index.
- ``^张^`` — the first character of a name between two marks: one typed character (a surname) is the
  three-character phrase ``^张^``.
- ``#370681196503041234!`` — a resident ID, ``!`` marks its end: any three or more of its digits are a
  phrase of the index, and "2X" or "34" typed alone mean its end (``2X!``).
- ``~13800001234`` — a phone's digits.

So every typed word is one phrase of the trigram index (two characters not digits, such as "3组", are
the start of a name, 组 or address), and the words of a search are one ``MATCH``.
How the roster shows the first screen of a common word at once is :func:`roster_window`.

The batched look-ups of the Excel roster import (which of a sheet's households and people exist
already) are at the end.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    column,
    exists,
    func,
    literal_column,
    select,
    table,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select
from sqlalchemy.sql.selectable import ScalarSelect

from db import vocab
from db.bulk import large_fts_hash
from db.models import CadreAssignment, Household, HouseholdTag, Person, User
from db.queries.words import search_words

ID_TAIL = 8  # an ID was indexed by its last 8 characters before migration 0016


# -- the search text ---------------------------------------------------------------------------
@dataclass(frozen=True)
class MemberKeys:
    name: str
    name_pinyin: str = ""
    name_initials: str = ""
    id_number: str | None = None
    phone: str | None = None


_NOT_DIGIT = re.compile(r"\D")
_PHONE_AS_WRITTEN = re.compile(r"\+?\(?\d+(?:[-()]+\d+)+")  # 0535-6611858, (0535)6611858, 138-0000-1234


def _digits(phone: str) -> str:
    if phone and phone.isascii() and phone.isdigit():  # a mobile number as stored: nothing to take out
        return phone
    return _NOT_DIGIT.sub("", phone or "")


def household_search_text(
    *, household_no: str | None, group_name: str, address: str, phones: str, members: Iterable[MemberKeys]
) -> str:
    """The text the roster search indexes for one household (see the module docstring)."""
    parts: list[str] = []
    add = parts.append
    for m in members:
        name = m.name
        if name:
            add("^" + name)
            add(f"^{name[0]}^")  # one typed character: the surname
            if len(name) >= 3:
                add("^" + name[1:])  # the given name, so two typed characters of it hit the index
        if m.name_pinyin:
            parts += ["^" + key for key in m.name_pinyin.split()]
        if m.name_initials:
            parts += ["^" + key for key in m.name_initials.split()]
        if m.id_number:
            add(f"#{m.id_number.upper()}!")
        if m.phone:
            add("~" + _digits(m.phone))
    for phone in (phones or "").split(","):
        if phone.strip():
            add("~" + _digits(phone))
    for extra in (household_no, group_name, address):
        if extra:
            add("^" + extra)
    return " ".join(dict.fromkeys(parts))  # first of each, in order


@contextlib.contextmanager
def bulk_search_index(conn: Connection) -> Iterator[None]:
    """Inside one transaction: insert or update many households, then index them in one go.

    The per-row triggers of ``fts_household`` stand aside (FTS5 flushes at every statement when it
    is fed row by row, which makes 100 000 inserts take minutes); on leaving, new households are
    added to the index and changed ones re-indexed. Other connections never see the flag: it is
    set and cleared in the caller's transaction.

    The insert and update triggers are also dropped for the transaction and re-created from their
    stored SQL on leaving (SQLite DDL is transactional: a rollback brings them back too). A statement
    on a table with a trigger keeps a statement journal (every page it changes is copied first, in
    case it must be undone): with the household's indexes that doubled the cost of each row written,
    although the flag made the trigger itself do nothing.
    """
    conn.exec_driver_sql("UPDATE fts_household_control SET bulk = 1")
    triggers = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN ('fts_household_ai', 'fts_household_au')"
    ).fetchall()
    for name, _sql in triggers:
        conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
    top = int(conn.exec_driver_sql("SELECT coalesce(max(rowid), 0) FROM fts_household_key").scalar_one())
    changed: set[str] = set()
    conn.info["fts_changed"] = changed
    try:
        yield
        written = conn.info.get("fts_written")
        if written is None:  # any household may be new: look at them all
            conn.exec_driver_sql(
                "INSERT INTO fts_household_key(household_id) SELECT h.id FROM household h "
                "WHERE NOT EXISTS (SELECT 1 FROM fts_household_key k WHERE k.household_id = h.id)"
            )
        elif written:  # only the ones written (a town of 100 000 households takes a village's 3 000)
            conn.exec_driver_sql(
                "INSERT OR IGNORE INTO fts_household_key(household_id) SELECT h.id FROM household h "
                "WHERE h.id = ?",
                [(i,) for i in sorted(written)],
            )
        with large_fts_hash(conn, "fts_household"):  # a village-year: 0.18 s -> 0.13 s at a 30-village town
            conn.exec_driver_sql(
                "INSERT INTO fts_household(rowid, text) SELECT k.rowid, h.search_text FROM fts_household_key k "
                "JOIN household h ON h.id = k.household_id WHERE k.rowid > ? ORDER BY k.rowid",
                (top,),
            )
            ids = list(changed)
            for start in range(0, len(ids), 500):
                part = ids[start : start + 500]
                marks = ",".join("?" * len(part))
                conn.exec_driver_sql(
                    f"UPDATE fts_household SET text = (SELECT h.search_text FROM fts_household_key k JOIN household h "
                    f"ON h.id = k.household_id WHERE k.rowid = fts_household.rowid) WHERE rowid IN "
                    f"(SELECT rowid FROM fts_household_key WHERE household_id IN ({marks}) AND rowid <= {int(top)})",
                    tuple(part),
                )
    finally:
        conn.info.pop("fts_changed", None)
        conn.info.pop("fts_written", None)
        for _name, sql in triggers:
            conn.exec_driver_sql(sql)
        conn.exec_driver_sql("UPDATE fts_household_control SET bulk = 0")


@contextlib.contextmanager
def bulk_import_index(conn: Connection) -> Iterator[None]:
    """For :func:`db.bulk.bulk_writes`: the households written in bulk are indexed on leaving. Rows made
    by another version of the program (a village not yet updated) carry the search text in that
    version's form (before migration 0016: the ID's last 8 characters, no surname mark): the text of
    their households is built anew here, as this program builds it."""
    from db.bulk import rows_of_other_program, written

    with bulk_search_index(conn):
        yield
        ids = written(conn, "household")
        note_only_these_written(conn, ids)
        if rows_of_other_program(conn):
            people = written(conn, "person")
            rebuild_search_text(conn, ids | _households_of(conn, people))
        # The new ones are added to the index with their text; of the rows written, only those that
        # were there before have an index row to rewrite (noting the new ones too cost a village-year
        # imported into a town of thirty about a second of lookups that found nothing).
        note_search_text_changed(conn, written(conn, "household", updated_only=True))


def _households_of(conn: Connection, person_ids: set[str]) -> set[str]:
    out: set[str] = set()
    ids = sorted(person_ids)
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        out.update(
            h
            for (h,) in conn.exec_driver_sql(
                f"SELECT household_id FROM person WHERE id IN ({','.join('?' * len(part))})", tuple(part)
            )
        )
    return out


def rebuild_search_text(conn: Connection, household_ids: Iterable[str]) -> int:
    """Inside :func:`bulk_search_index`: the search text of these households built anew from the stored
    household and its live members (their stored pinyin keys), written where it differs and noted for
    the index. Returns how many changed."""
    ids = sorted(set(household_ids))
    changed: list[tuple[str, str]] = []
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        marks = ",".join("?" * len(part))
        members: dict[str, list[MemberKeys]] = {}
        for hid, name, full, initials, number, phone in conn.exec_driver_sql(
            "SELECT household_id, name, name_pinyin, name_initials, id_number, phone FROM person "
            f"WHERE household_id IN ({marks}) AND deleted_at IS NULL ORDER BY rowid",
            tuple(part),
        ):
            members.setdefault(hid, []).append(MemberKeys(name, full, initials, number, phone))
        for hid, no, group, address, phones, old in conn.exec_driver_sql(
            "SELECT id, household_no, group_name, address, phones, search_text FROM household "
            f"WHERE id IN ({marks})",
            tuple(part),
        ):
            text = household_search_text(
                household_no=no,
                group_name=group or "",
                address=address or "",
                phones=phones or "",
                members=members.get(hid, []),
            )
            if text != old:
                changed.append((text, hid))
    if changed:
        conn.exec_driver_sql("UPDATE household SET search_text = ? WHERE id = ?", changed)
        note_search_text_changed(conn, [hid for _text, hid in changed])
    return len(changed)


def note_only_these_written(conn: Connection, household_ids: Iterable[str]) -> None:
    """Inside :func:`bulk_search_index`: no household but these was written, so only they can be new
    (the index does not look at the whole roster)."""
    conn.info["fts_written"] = set(household_ids)


def note_search_text_changed(conn: Connection, household_ids: Iterable[str]) -> None:
    """Inside :func:`bulk_search_index`: these existing households' search text was rewritten."""
    conn.info["fts_changed"].update(household_ids)


# -- query terms --------------------------------------------------------------------------------
def _fts_phrase(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


_fts_table = table("fts_household", column("rowid"), column("fts_household"))
_fts_key = table("fts_household_key", column("rowid"), column("household_id"))


def _fts_hits(match: str) -> Select[Any]:
    return select(_fts_table.c.rowid).where(_fts_table.c.fts_household.op("MATCH")(match))


def _fts(match: str) -> ColumnElement[bool]:
    """Households whose search text matches: the hits are listed first (a few, or all to be sorted)."""
    return Household.id.in_(select(_fts_key.c.household_id).where(_fts_key.c.rowid.in_(_fts_hits(match))))


def _fts_walk(match: str, *, dense: bool = False) -> ColumnElement[bool]:
    """The same test, asked of each household as the roster is walked in its sorted order.

    The hits' keys (integers) are listed once and each household's key looked up in them; for a
    ``dense`` search (tens of thousands of matches, where listing them all costs more than the walk) the
    index is asked about each household's key instead, and the walk stops within a few hundred."""
    key = select(_fts_key.c.rowid).where(_fts_key.c.household_id == Household.id)
    if dense:
        return key.where(
            _fts_key.c.rowid.in_(
                select(_fts_table.c.rowid).where(
                    _fts_table.c.rowid == _fts_key.c.rowid, _fts_table.c.fts_household.op("MATCH")(match)
                )
            )
        ).exists()
    return key.scalar_subquery().in_(_fts_hits(match))


def effective_terms(text: str) -> tuple[str, ...]:
    """The words of a search that filter anything; the roster re-queries only when these change."""
    words = [unicodedata.normalize("NFKC", w).strip() for w in search_words(text)]
    return tuple(w.lower() for w in words if w and not (len(w) == 1 and w.isascii()))


def term_phrase(term: str) -> str | None:
    """The phrase of the search index one typed word looks for (see the module docstring), or None for a
    word that filters nothing (one letter or digit, one character that is not Chinese)."""
    term = unicodedata.normalize("NFKC", term).strip()
    if not term or (len(term) == 1 and term.isascii()):
        return None  # one letter or digit selects half the village: wait for the next keystroke
    if len(term) == 1:
        return "^" + term + "^" if _is_cjk(term) else None  # one character: a surname
    if _PHONE_AS_WRITTEN.fullmatch(term) and len(_digits(term)) >= 7:  # (3-2-101 is an address)
        term = _digits(term)  # 0535-6611858 as the 电话 column shows it: the index holds its digits
    if re.fullmatch(r"\d+[xX]?", term):
        term = term.upper()
        if term.endswith("X") or len(term) == 2:
            return term + "!"  # the end of a resident ID
        return term  # any digits of an ID, a phone, a 户编号 or an address
    if term.isascii() and term.isalpha():
        return "^" + term.lower()  # the start of a pinyin reading
    if len(term) == 2:
        return "^" + term  # the start of a name, a given name, a 组, an address or a 户编号
    return term


def term_condition(term: str) -> ColumnElement[bool] | None:
    """The condition one typed word puts on a household (words are ANDed)."""
    phrase = term_phrase(term)
    return None if phrase is None else _fts(_fts_phrase(phrase))


def _search_match(text: str) -> str | None:
    """The typed words as one ``MATCH`` of the search index (None: no word filters anything)."""
    phrases = [_fts_phrase(p) for w in search_words(text) if (p := term_phrase(w)) is not None]
    return " AND ".join(dict.fromkeys(phrases)) or None


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\U00020000" <= ch <= "\U0003134f"


# -- the roster ---------------------------------------------------------------------------------
NO_CONTACT_CADRE = "__none__"


@dataclass
class RosterFilter:
    """What the roster shows. ``contact_cadre_id`` may be :data:`NO_CONTACT_CADRE`."""

    text: str = ""
    group_name: str | None = None
    tag: str | None = None
    contact_cadre_id: str | None = None
    card_not_delivered: bool = False
    village_code: str | None = None
    hidden_tags: frozenset[str] = frozenset()  # sensitive tags the viewer may not filter by


def _current_cadre(role: str) -> ScalarSelect[str]:
    return (
        select(User.display_name)
        .select_from(CadreAssignment)
        .join(User, User.id == CadreAssignment.cadre_id)
        .where(
            CadreAssignment.household_id == Household.id,
            CadreAssignment.role == role,
            CadreAssignment.end_on.is_(None),
            CadreAssignment.deleted_at.is_(None),
        )
        .order_by(CadreAssignment.start_on.desc())
        .limit(1)
        .scalar_subquery()
    )


def _registered() -> ColumnElement[bool]:
    """在册, said so that SQLite looks persons up by household (ix_person_household_id: a handful of rows
    each) and never through ix_person_live_status_village, which it would otherwise prefer for the
    equality on status and which holds every registered person of the village (issue 17: 30 rows of the
    roster took 250 ms on 100 000 households, one scan of 339 518 persons). ``status || ''`` is the
    same value, but no index can serve it."""
    return Person.status.concat("") == "在册"


def _member_count() -> ScalarSelect[int]:
    return (
        select(func.count())
        .select_from(Person)
        .where(Person.household_id == Household.id, Person.deleted_at.is_(None), _registered())
        .scalar_subquery()
    )


SORT_KEYS: dict[str, Callable[[], Any]] = {
    "household_no": lambda: Household.household_no,
    "head_name": lambda: Household.head_name,
    "group_name": lambda: Household.group_name,
    "address": lambda: Household.address,
    "members": _member_count,
    "phones": lambda: Household.phones,
    "contact_cadre": lambda: _current_cadre(vocab.CONTACT_CADRE),
    "area_cadre": lambda: _current_cadre(vocab.AREA_CADRE),
    "tags": lambda: (
        select(func.min(HouseholdTag.tag))
        .where(HouseholdTag.household_id == Household.id, HouseholdTag.deleted_at.is_(None))
        .scalar_subquery()
    ),
    "card_delivered_on": lambda: Household.card_delivered_on,
    "village_code": lambda: Household.village_code,
}


def roster_conditions(
    filt: RosterFilter, *, walk: bool = False, dense: bool = False
) -> list[ColumnElement[bool]]:
    """The conditions of ``filt``; ``walk``: the search words asked of each household in turn (for a
    query that walks the roster in its sorted order and stops after a screenful; ``dense``: see
    :func:`_fts_walk`)."""
    conds: list[ColumnElement[bool]] = [Household.deleted_at.is_(None)]
    if filt.village_code:
        conds.append(Household.village_code == filt.village_code)
    match = _search_match(filt.text)
    if match is not None:
        conds.append(_fts_walk(match, dense=dense) if walk else _fts(match))
    if filt.group_name:
        conds.append(Household.group_name == filt.group_name)
    if filt.tag and filt.tag not in filt.hidden_tags:
        conds.append(
            Household.id.in_(
                select(HouseholdTag.household_id).where(
                    HouseholdTag.tag == filt.tag, HouseholdTag.deleted_at.is_(None)
                )
            )
        )
    if filt.contact_cadre_id:
        open_contact = select(CadreAssignment.household_id).where(
            CadreAssignment.role == vocab.CONTACT_CADRE,
            CadreAssignment.end_on.is_(None),
            CadreAssignment.deleted_at.is_(None),
        )
        if filt.contact_cadre_id == NO_CONTACT_CADRE:  # (a cadre whose account was stopped contacts nobody)
            serving = open_contact.join(User, User.id == CadreAssignment.cadre_id).where(
                User.active.is_(True)
            )
            conds.append(Household.id.not_in(serving))
        else:
            conds.append(
                Household.id.in_(open_contact.where(CadreAssignment.cadre_id == filt.contact_cadre_id))
            )
    if filt.card_not_delivered:
        conds.append(Household.card_delivered_on.is_(None))
    return conds


ROWID: ColumnElement[int] = literal_column("household.rowid")


def _order(sort: str, descending: bool) -> list[Any]:
    key = SORT_KEYS[sort]()
    order = [key.desc() if descending else key.asc()]
    if sort != "head_name":
        order.append(Household.head_name.desc() if descending else Household.head_name.asc())
    # ties (same column, same head) as entered: an id sorts by its station, then by time (db/base.new_id);
    # the sort indexes end with it, so the whole order comes from them (migration 0025)
    order.append(Household.id.desc() if descending else Household.id.asc())
    order.append(ROWID.desc() if descending else ROWID.asc())
    return order


def _ordered(
    columns: Sequence[Any],
    filt: RosterFilter | None,
    sort: str,
    descending: bool,
    *,
    walk: bool = False,
    dense: bool = False,
) -> Select[Any]:
    conds = roster_conditions(filt or RosterFilter(), walk=walk, dense=dense)
    return select(*columns).where(and_(*conds)).order_by(*_order(sort, descending))


def roster_keys(
    session: Session, filt: RosterFilter | None = None, *, sort: str = "group_name", descending: bool = False
) -> list[int]:
    """Row keys (household rowids) of the households ``filt`` selects, sorted in SQL.

    Keys, not UUIDs, for the lazy table model: with the partial indexes of the household table the
    whole list comes from an index. A key is good for the life of the list (VACUUM may renumber rowids);
    use :func:`roster_rows` to get each row's UUID.
    """
    return list(session.execute(_ordered([ROWID], filt, sort, descending)).scalars())


def roster_ids(
    session: Session, filt: RosterFilter | None = None, *, sort: str = "group_name", descending: bool = False
) -> list[str]:
    """UUIDs of the households ``filt`` selects, sorted in SQL (ties by head name)."""
    return list(session.execute(_ordered([Household.id], filt, sort, descending)).scalars())


def roster_count(session: Session, filt: RosterFilter | None = None) -> int:
    """How many households ``filt`` selects."""
    conds = roster_conditions(filt or RosterFilter())
    return int(session.execute(select(func.count()).select_from(Household).where(and_(*conds))).scalar_one())


# Sort keys the partial indexes of the household table answer in order (a walk stops after a screenful).
INDEXED_SORTS = frozenset(
    {"group_name", "head_name", "address", "household_no", "phones", "card_delivered_on", "village_code"}
)
# Listing n matches and sorting them costs about n look-ups (the search index's key, the household by id,
# its row: in an encrypted workspace a page decrypted for each one not in the cache); walking the roster in
# order until a window of w matches is found costs about w × N / n households looked at, each an entry of
# the sort index and a probe of the search index's small key index. Since the sort indexes carry the id
# (migration 0025) a household looked at reads no row and costs about a hundredth of a look-up: measured on
# the encrypted 100 000-household demo with bench_households' word list, the slowest keystroke was 35 ms
# with the crossing at 100–250 matches against 60–85 ms at 1 732 (WALK_COST 1.0, before the ids). A search
# lists and sorts below the crossing point (173 matches at 100 000 households), and walks above it.
WALK_COST = 0.01
DENSE = 20_000  # from this many matches the walk asks the index about each household (see _fts_walk)


@dataclass(frozen=True)
class RosterWindow:
    """Keys ``offset`` onward of the sorted list; ``complete``: no more follow them. ``hits``: what the
    search index counted for the typed words, up to :data:`DENSE` (None: no word filters anything)."""

    keys: list[int]
    complete: bool
    hits: int | None = None


def search_hits(session: Session, text: str, cap: int = DENSE) -> int | None:
    """How many households the search index finds for the typed words, counted up to ``cap`` (the index
    alone: deleted households and the other filters are not looked at); None when no word filters
    anything. Counting stops at the cap: a common phrase of many trigrams costs ~30 ms to count whole."""
    match = _search_match(text)
    if match is None:
        return None
    hits = _fts_hits(match).limit(cap).subquery()
    return int(session.execute(select(func.count()).select_from(hits)).scalar_one())


def few_hits(session: Session, limit: int) -> int:
    """Below this many matches a search lists and sorts them all; above it walks the roster (see
    :data:`WALK_COST`). N is the index's highest key: every household there is or was."""
    total = session.execute(select(func.max(_fts_key.c.rowid))).scalar_one() or 0
    return max(int((WALK_COST * limit * total) ** 0.5), limit)


def roster_window(
    session: Session,
    filt: RosterFilter | None = None,
    *,
    sort: str = "group_name",
    descending: bool = False,
    offset: int = 0,
    limit: int = 30,
    few: int | None = None,
) -> RosterWindow:
    """The first screen of the roster at once, whatever was typed; the rest when asked for.

    A search that the index says matches few households (fewer than ``few``, by default
    :func:`few_hits`) lists them all and sorts them: the whole list, ``complete``. A common one (a
    surname, "138") walks the roster in its sorted order through the partial index and stops after
    ``limit`` keys: a screenful costs what a screenful needs, not what 48 000 matches would. A sort by
    a computed column (members, cadres, tags) has no index to walk and lists everything.
    """
    filt = filt or RosterFilter()
    hits = search_hits(session, filt.text)
    if hits is not None and few is None:
        few = few_hits(session, limit)
    if sort not in INDEXED_SORTS or (hits is not None and few is not None and hits < few):
        keys = roster_keys(session, filt, sort=sort, descending=descending)
        return RosterWindow(keys[offset:], True, hits)
    dense = hits is not None and hits >= DENSE
    query = _ordered([ROWID], filt, sort, descending, walk=True, dense=dense).offset(offset).limit(limit + 1)
    keys = list(session.execute(query).scalars())
    return RosterWindow(keys[:limit], len(keys) <= limit, hits)


@dataclass(frozen=True)
class RosterRow:
    key: int
    id: str
    household_no: str | None
    head_name: str
    group_name: str
    address: str
    members: int
    phones: str
    contact_cadre: str
    area_cadre: str
    tags: tuple[str, ...]
    card_delivered_on: dt.date | None
    village_code: str = ""


def roster_rows(
    session: Session, keys: Sequence[int], *, hidden_tags: Iterable[str] = ()
) -> dict[int, RosterRow]:
    """The rows for a page of keys (the lazy table model asks for ROW_WINDOW, 40, at a time)."""
    if not keys:
        return {}
    hidden = set(hidden_tags)
    base = session.execute(
        select(
            ROWID,
            Household.id,
            Household.household_no,
            Household.head_name,
            Household.group_name,
            Household.address,
            Household.phones,
            Household.card_delivered_on,
            Household.village_code,
        ).where(ROWID.in_(list(keys)))
    ).all()
    ids = [r.id for r in base]
    counts = dict(
        session.execute(
            select(Person.household_id, func.count())
            .where(Person.household_id.in_(ids), Person.deleted_at.is_(None), _registered())
            .group_by(Person.household_id)
        ).all()
    )
    tags: dict[str, list[str]] = {}
    for hid, tag in session.execute(
        select(HouseholdTag.household_id, HouseholdTag.tag)
        .where(HouseholdTag.household_id.in_(ids), HouseholdTag.deleted_at.is_(None))
        .order_by(HouseholdTag.tag)
    ):
        if tag not in hidden:
            tags.setdefault(hid, []).append(tag)
    cadres: dict[tuple[str, str], str] = {}
    for hid, role, name in session.execute(
        select(CadreAssignment.household_id, CadreAssignment.role, User.display_name)
        .join(User, User.id == CadreAssignment.cadre_id)
        .where(
            CadreAssignment.household_id.in_(ids),
            CadreAssignment.end_on.is_(None),
            CadreAssignment.deleted_at.is_(None),
        )
        .order_by(CadreAssignment.start_on)
    ):
        cadres[(hid, role)] = name
    return {
        r[0]: RosterRow(
            r[0],
            r.id,
            r.household_no,
            r.head_name,
            r.group_name,
            r.address,
            counts.get(r.id, 0),
            r.phones,
            cadres.get((r.id, vocab.CONTACT_CADRE), ""),
            cadres.get((r.id, vocab.AREA_CADRE), ""),
            tuple(tags.get(r.id, ())),
            r.card_delivered_on,
            r.village_code,
        )
        for r in base
    }


def group_names(session: Session, village_code: str | None = None) -> list[str]:
    q = select(Household.group_name).where(Household.deleted_at.is_(None), Household.group_name != "")
    if village_code:
        q = q.where(Household.village_code == village_code)
    return sorted(session.scalars(q.distinct()), key=group_sort_key)


_NUMERALS = {c: i for i, c in enumerate("零一二三四五六七八九")}


def group_sort_key(name: str) -> tuple[int, str]:
    """一组, 二组 … 十二组 and 1组, 2组 … in their natural order."""
    m = re.match(r"第?([零一二三四五六七八九十]+|\d+)", name or "")
    if not m:
        return (10**6, name)
    token = m.group(1)
    if token.isdigit():
        return (int(token), name)
    if token.startswith("十"):
        token = "一" + token
    value = 0
    if "十" in token:
        tens, _, ones = token.partition("十")
        value = _NUMERALS.get(tens, 1) * 10 + (_NUMERALS.get(ones, 0) if ones else 0)
    else:
        value = _NUMERALS.get(token, 0)
    return (value, name)


def cadres_in_use(session: Session, village_code: str | None = None) -> list[tuple[str, str]]:
    """(user id, display name) of everyone who is anyone's current contact cadre (of one village's
    households: a town's roster with a village chosen).

    Of every household (a village station's roster): asked of each account (a few dozen), each answered
    by its first current assignment in the index by cadre — a join walked every household's assignment
    (100 000 at 100 000 households, 0.15 s each time the roster opened). Of one village at a town: that
    village's assignments, from the index by village (a few thousand of the town's)."""
    current = [
        CadreAssignment.role == vocab.CONTACT_CADRE,
        CadreAssignment.end_on.is_(None),
        CadreAssignment.deleted_at.is_(None),
    ]
    if village_code:
        q = (
            select(User.id, User.display_name)
            .join(CadreAssignment, CadreAssignment.cadre_id == User.id)
            .where(*current, CadreAssignment.village_code == village_code)
            .distinct()
        )
    else:
        q = select(User.id, User.display_name).where(
            exists().where(CadreAssignment.cadre_id == User.id, *current)
        )
    return [(r[0], r[1]) for r in session.execute(q.order_by(User.display_name))]


# -- what an imported roster already is -----------------------------------------------------------
# The Excel import looks up the households and people of a whole sheet in a few queries, each taking
# its values as one JSON array (json_each): no statement with thousands of parameters to build.
def _listed(values: Iterable[str]) -> Select[Any]:
    """The values as a subquery, for ``column.in_(...)``."""
    return select(func.json_each(json.dumps(list(values))).table_valued("value").c.value)


def roster_is_empty(session: Session) -> bool:
    """No household and no person here at all, deleted ones and other villages' included (a first
    roster import: nothing it could match)."""
    return all(session.scalar(select(model.id).limit(1)) is None for model in (Household, Person))


def households_by_id(session: Session, ids: Sequence[str]) -> dict[str, Household]:
    """The households with these ids, deleted ones and other villages' included."""
    if not ids:
        return {}
    return {h.id: h for h in session.scalars(select(Household).where(Household.id.in_(_listed(ids))))}


def live_households_by_no(
    session: Session, village_code: str | None, household_nos: Sequence[str]
) -> list[Household]:
    """The village's live households whose 户编号 is one of ``household_nos`` (a number may be on several)."""
    return _live_households_where(session, village_code, Household.household_no, household_nos)


def live_households_by_head_name(
    session: Session, village_code: str | None, head_names: Sequence[str]
) -> list[Household]:
    """The village's live households whose head is named one of ``head_names``."""
    return _live_households_where(session, village_code, Household.head_name, head_names)


def _live_households_where(
    session: Session, village_code: str | None, column: Any, values: Sequence[str]
) -> list[Household]:
    if not values:
        return []
    return list(
        session.scalars(
            select(Household).where(
                column.in_(_listed(values)),
                Household.deleted_at.is_(None),
                Household.village_code == village_code,
            )
        )
    )


def existing_person_ids(session: Session, ids: Sequence[str]) -> set[str]:
    """Which of these person ids exist here (deleted ones too)."""
    if not ids:
        return set()
    return set(session.scalars(select(Person.id).where(Person.id.in_(_listed(ids)))))


def live_persons_by_id_number(session: Session, numbers: Sequence[str]) -> dict[str, Person]:
    """The live person registered with each of these resident IDs."""
    owners: dict[str, Person] = {}
    if not numbers:
        return owners
    for p in session.scalars(
        select(Person).where(Person.id_number.in_(_listed(numbers)), Person.deleted_at.is_(None))
    ):
        if p.id_number is not None:
            owners[p.id_number] = p
    return owners


def live_members(session: Session, household_ids: Sequence[str]) -> dict[str, list[Person]]:
    """The live members (any status) of each of these households."""
    members: dict[str, list[Person]] = {}
    if not household_ids:
        return members
    for p in session.scalars(
        select(Person).where(Person.household_id.in_(_listed(household_ids)), Person.deleted_at.is_(None))
    ):
        members.setdefault(p.household_id, []).append(p)
    return members


def live_tags(session: Session, household_ids: Sequence[str]) -> dict[str, set[str]]:
    """The tags each of these households has now."""
    tags: dict[str, set[str]] = {}
    if not household_ids:
        return tags
    for hid, tag in session.execute(
        select(HouseholdTag.household_id, HouseholdTag.tag).where(
            HouseholdTag.household_id.in_(_listed(household_ids)), HouseholdTag.deleted_at.is_(None)
        )
    ):
        tags.setdefault(hid, set()).add(tag)
    return tags
