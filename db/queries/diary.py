"""Diary and ledger lists: id lists filtered and sorted in SQL, rows fetched on demand, full-text search.

Full-text search runs on ``fts_diary`` (FTS5 trigram, kept in step by triggers) and ``fts_diary_gram``
(its bigrams, migration 0018). Their rowid is the key ``fts_diary_map.k``, which orders by the entry's
time (see db/diary_fulltext.py), so a search in date order walks an index newest first and stops at the
limit; a date filter narrows it to a rowid range.

- A search with a two-character piece of Chinese characters or ASCII letters/digits (低保, 丁东) walks
  the bigram index: the entries holding all of its two-character pieces and the pairs of its longer
  pieces. A two-character piece is one token there, so the index alone answers it exactly; a longer
  piece is then checked whole with ``instr`` on the indexed text.
- Otherwise the trigram index (``detail=none``, migration 0008: which entries hold each trigram, not
  where) narrows the walk by the trigrams of pieces of three characters or more, which are then checked
  whole with ``instr``.
- Pieces the indexes cannot look up (one character, or two with a punctuation mark) are only checked
  with ``instr``, after the other pieces narrowed the candidates.
"""

from __future__ import annotations

import calendar
import concurrent.futures
import contextlib
import datetime as dt
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    column,
    exists,
    func,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select
from sqlalchemy.sql.expression import Exists
from sqlalchemy.sql.selectable import NamedFromClause

from db import diary_derived
from db.bulk import large_fts_hash
from db.diary_fulltext import (
    GRAM_SOURCE,
    KEY_SLOT,
    bigrams,
    entry_texts,
    gram_pieces,
    is_gram,
    triggers_set_aside,
)
from db.models import (
    Acknowledgement,
    Demand,
    DiaryAmendment,
    DiaryEntry,
    DiaryParticipant,
    Household,
    Person,
    Station,
    User,
)
from db.queries.people import PersonHit, hit_query, hits
from db.queries.projects import project_text_column
from db.queries.words import escape_like, search_words
from db.vocab import CLOSED, OPEN, REFERRED, REPLIED, SIGNED_METHODS, TOWN_REPLIED

R = TypeVar("R")

fts_diary = table("fts_diary", column("rowid"), column("body"), column("people"), column("demands"))
fts_diary_map = table("fts_diary_map", column("k"), column("entry_id"))
fts_diary_gram = table("fts_diary_gram", column("rowid"))


# -- bulk writes (the bundle importer): triggers stand aside, the touched entries are indexed once ----------
# The text the triggers index for one entry (db.diary_fulltext), for the entries listed in
# temp.bulk_diary_entries: (key, body, people, demands), in id order (a village's rows are neighbours,
# so the look-ups of people and demands read each page once).
_INDEX_TEXTS = f"""
    {entry_texts("IN (SELECT id FROM temp.bulk_diary_entries)")}
    ORDER BY e.id
"""


@contextlib.contextmanager
def bulk_import_index(conn: Connection) -> Iterator[None]:
    """For :func:`db.bulk.bulk_writes`. The ``fts_diary_*`` triggers rebuild an entry's index row at every
    participant, demand or amendment row (FTS5 then flushes per statement: minutes for a village-year).
    Here they are dropped for the caller's transaction and re-created from their stored SQL before it
    commits (SQLite DDL is transactional: a rollback brings them back too). On leaving, the entries
    the written rows belong to are listed in ``fts_diary_pending``; :func:`index_pending` indexes them
    after the import, all bundles in one ordered pass (see :data:`db.bulk.DEFERRED`)."""
    from db.bulk import written

    with triggers_set_aside(conn):
        yield
        conn.exec_driver_sql("CREATE TEMP TABLE IF NOT EXISTS bulk_written_ids (id TEXT PRIMARY KEY)")

        def list_entries(ids: set[str], entries_of_listed: str) -> None:
            """List in fts_diary_pending the entries ``entries_of_listed`` selects for the ids (in SQL:
            a village-year's half a million ids never pass through Python rows)."""
            if not ids:
                return
            conn.exec_driver_sql("DELETE FROM temp.bulk_written_ids")
            # one statement and one parameter, a JSON array (2.5× as fast as a row of Python per id)
            conn.exec_driver_sql(
                "INSERT OR IGNORE INTO temp.bulk_written_ids (id) SELECT value FROM json_each(?)",
                (json.dumps(sorted(ids)),),
            )
            conn.exec_driver_sql(f"INSERT OR IGNORE INTO fts_diary_pending (entry_id) {entries_of_listed}")

        listed = "(SELECT id FROM temp.bulk_written_ids)"
        list_entries(written(conn, "diary_entry"), f"SELECT id FROM diary_entry WHERE id IN {listed}")
        for table in ("demand", "diary_participant", "diary_amendment"):
            list_entries(written(conn, table), f"SELECT entry_id FROM {table} WHERE id IN {listed}")
        # a renamed person or household changes the people text of entries that met them (new ones
        # can only be met by entries of the same import, which are listed already)
        for table, column in (("person", "person_id"), ("household", "household_id")):
            list_entries(
                written(conn, table, updated_only=True),
                f"SELECT entry_id FROM diary_participant WHERE {column} IN {listed}",
            )
        conn.exec_driver_sql("DELETE FROM temp.bulk_written_ids")


def list_pending(conn: Connection, entry_ids: Sequence[str]) -> None:
    """Inside the caller's transaction, with the ``fts_diary_*`` triggers set aside: list entries just
    written for :func:`index_pending` (a writer of many entries in several transactions, the demo, then
    indexes them in one ordered pass with :func:`db.bulk.catch_up`, as the importer does)."""
    conn.exec_driver_sql(
        "INSERT OR IGNORE INTO fts_diary_pending (entry_id) VALUES (?)", [(i,) for i in entry_ids]
    )


def pending_index(conn: Connection) -> int:
    """Entries written by a bulk import whose full-text row is not built yet."""
    return int(conn.exec_driver_sql("SELECT count(*) FROM fts_diary_pending").scalar_one())


def index_pending(conn: Connection, limit: int) -> int:
    """Inside the caller's transaction: index up to ``limit`` pending entries, the first ones by id;
    returns how many were taken off the list. Each entry gets its index row anew, under a key that
    follows its (possibly changed) visit time, as the triggers of migration 0004 would give it.

    By id, not by visit time: a station's ids sort by the station, then by time (db/base.py), so a step
    takes one village's entries after another's, and the participants, demands, households and persons
    its texts are read from are neighbours too (their ids follow their entry's, or they were written
    with it). A step of a pass by visit time read a third of every village's rows at a town of thirty:
    every page of those tables, once per step, and first a walk of the visit-time index over every
    live entry. Within a step the keys still go in ascending order (see :func:`_write_index_rows`)."""
    conn.exec_driver_sql("CREATE TEMP TABLE IF NOT EXISTS bulk_diary_entries (id TEXT PRIMARY KEY)")
    conn.exec_driver_sql("DELETE FROM temp.bulk_diary_entries")
    # (an entry deleted since it was listed is taken too: its old index rows go)
    conn.exec_driver_sql(
        "INSERT INTO temp.bulk_diary_entries (id) SELECT entry_id FROM fts_diary_pending ORDER BY entry_id LIMIT ?",
        (limit,),
    )
    taken = conn.exec_driver_sql("SELECT count(*) FROM temp.bulk_diary_entries").scalar_one()
    if not taken:
        return 0
    for index in ("fts_diary", "fts_diary_gram"):
        conn.exec_driver_sql(
            f"DELETE FROM {index} WHERE rowid IN (SELECT m.k FROM fts_diary_map m "
            "WHERE m.entry_id IN (SELECT id FROM temp.bulk_diary_entries))"
        )
    conn.exec_driver_sql(
        "DELETE FROM fts_diary_map WHERE entry_id IN (SELECT id FROM temp.bulk_diary_entries)"
    )
    live = conn.exec_driver_sql(
        "SELECT e.id, CAST(strftime('%s', e.occurred_at) AS INTEGER) * ? FROM diary_entry e "
        "WHERE e.deleted_at IS NULL AND e.id IN (SELECT id FROM temp.bulk_diary_entries) "
        "ORDER BY e.occurred_at, e.id",
        (KEY_SLOT,),
    ).fetchall()
    if live:
        # keys as the triggers give them: the first free one in the visit's second, one statement an
        # entry so that entries of the same second get distinct keys
        conn.exec_driver_sql(
            "INSERT INTO fts_diary_map(k, entry_id) VALUES "
            "(coalesce((SELECT max(k) + 1 FROM fts_diary_map WHERE k >= ?1 AND k < ?1 + ?2), ?1), ?3)",
            [(base, KEY_SLOT, entry_id) for entry_id, base in live],
        )
        _write_index_rows(conn)
    conn.exec_driver_sql(
        "DELETE FROM fts_diary_pending WHERE entry_id IN (SELECT id FROM temp.bulk_diary_entries)"
    )
    conn.exec_driver_sql("DELETE FROM temp.bulk_diary_entries")
    return int(taken)


# Index rows written per statement by _write_index_rows: their texts and bigrams are held in Python
# meanwhile (≈20 MB for 20 000 entries).
INDEX_ROWS_AT_ONCE = 20_000


def _write_index_rows(conn: Connection) -> None:
    """The index rows of the entries in ``temp.bulk_diary_entries`` (their keys already in the map).

    Their texts are gathered in id order (neighbours in the indexes they are read from) into a temp
    table keyed by k, and written in key order: FTS5 then appends to its pending terms instead of
    flushing them. The two indexes are written side by side on the two cores: while SQLite writes a
    slice of texts into the trigram index (one statement, in C, without the GIL), this thread makes
    their bigrams in Python (:func:`db.diary_fulltext.bigrams` of ``GRAM_SOURCE``, as the triggers'
    SQL function makes them); then the bigram rows go in."""
    conn.exec_driver_sql(
        "CREATE TEMP TABLE IF NOT EXISTS bulk_diary_texts (k INTEGER PRIMARY KEY, body, people, demands)"
    )
    conn.exec_driver_sql("DELETE FROM temp.bulk_diary_texts")
    conn.exec_driver_sql(f"INSERT INTO temp.bulk_diary_texts {_INDEX_TEXTS}")
    with (
        concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="fts-trigram") as pool,
        large_fts_hash(conn, "fts_diary"),
        large_fts_hash(conn, "fts_diary_gram"),
    ):
        after = None
        while True:
            texts = conn.exec_driver_sql(
                f"SELECT k, {GRAM_SOURCE} FROM temp.bulk_diary_texts "
                "WHERE ?1 IS NULL OR k > ?1 ORDER BY k LIMIT ?2",  # (a visit before 1970 has a key below 0)
                (after, INDEX_ROWS_AT_ONCE),
            ).fetchall()
            if not texts:
                break
            last = texts[-1][0]
            # the connection is the other thread's until its statement is done: nothing here touches it
            trigrams = pool.submit(
                conn.exec_driver_sql,
                "INSERT INTO fts_diary(rowid, body, people, demands) SELECT * FROM temp.bulk_diary_texts "
                "WHERE (?1 IS NULL OR k > ?1) AND k <= ?2 ORDER BY k",
                (after, last),
            )
            try:
                grams = [(k, bigrams(text)) for k, text in texts]
            finally:
                trigrams.result()
            del texts
            conn.exec_driver_sql("INSERT INTO fts_diary_gram(rowid, grams) VALUES (?, ?)", grams)
            after = last
    conn.exec_driver_sql("DELETE FROM temp.bulk_diary_texts")


def search_terms(text: str) -> list[str]:
    return search_words(text)


def fts_key(when: dt.datetime) -> int:
    """The first index key of ``when``'s second; keys of later visits are larger."""
    return calendar.timegm(when.timetuple()) * KEY_SLOT


def _trigrams(piece: str) -> list[str]:
    """Enough of a piece's trigrams to narrow the search: every third one, and the last."""
    starts = list(range(0, len(piece) - 2, 3))
    if starts[-1] != len(piece) - 3:
        starts.append(len(piece) - 3)
    return [piece[i : i + 3] for i in starts]


def _contains(piece: str, *, fold: bool) -> ColumnElement[bool]:
    """Some indexed column holds the piece (column by column: a piece has no space, so it cannot run
    across two of them); ``fold``: ignoring ASCII case, as the trigram index does."""
    columns = (fts_diary.c.body, fts_diary.c.people, fts_diary.c.demands)
    if fold:
        return or_(*[func.instr(func.lower(c), func.lower(piece)) > 0 for c in columns])
    return or_(*[func.instr(c, piece) > 0 for c in columns])


@dataclass(frozen=True)
class _Search:
    """How a text search runs: the index it walks (``fts_diary`` or ``fts_diary_gram``), the
    conditions on it, and whether they read the indexed text (``fts_diary``'s columns)."""

    index: Any
    conditions: list[ColumnElement[bool]]
    reads_text: bool


def _match(index_name: str, tokens: list[str]) -> ColumnElement[bool]:
    query = " AND ".join('"' + t.replace('"', '""') + '"' for t in dict.fromkeys(tokens))
    return literal_column(index_name).op("MATCH")(query)


def _search(text: str) -> _Search:
    terms = search_terms(text)
    grams = [t for t in terms if is_gram(t)]
    long_terms = [t for t in terms if len(t) >= 3]
    checked = [t for t in terms if len(t) < 3 and not is_gram(t)]
    out: list[ColumnElement[bool]] = []
    if grams:
        # The bigram index answers a two-character piece exactly (one token), and narrows a longer
        # one to the entries holding all its pairs; the longer one is then checked whole.
        out.append(_match("fts_diary_gram", grams + [g for t in long_terms for g in gram_pieces(t)]))
        index: Any = fts_diary_gram
    else:
        index = fts_diary
        if long_terms:
            # The trigram index (detail=none, migration 0008) knows which entries hold each trigram,
            # not where: it narrows to entries holding the pieces' trigrams, then each is checked whole.
            out.append(_match("fts_diary", [g for t in long_terms for g in _trigrams(t)]))
    if long_terms:
        out.append(and_(*[_contains(t, fold=True) for t in long_terms]))
    if checked:
        out.append(and_(*[_contains(t, fold=False) for t in checked]))
    return _Search(index, out, bool(long_terms or checked))


def _search_from(search: _Search, *, keys: bool = True) -> Select[Any]:
    """SELECT of the matching entry ids (``keys``: False, the index rowids only) from the search's
    index, joined to the indexed text when a condition reads it; no order."""
    q = select(fts_diary_map.c.entry_id if keys else search.index.c.rowid).select_from(search.index)
    if keys:
        q = q.join(fts_diary_map, fts_diary_map.c.k == search.index.c.rowid)
    if search.reads_text and search.index is not fts_diary:
        q = q.join(fts_diary, fts_diary.c.rowid == search.index.c.rowid)
    return q.where(*search.conditions)


def fts_entry_ids(text: str) -> Select[Any]:
    """A SELECT of entry ids whose indexed text contains every whitespace-separated piece of ``text``."""
    return _search_from(_search(text))


@dataclass
class DiaryFilter:
    cadre_id: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None  # inclusive
    household_id: str | None = None
    kind: str | None = None
    demand_status: str | None = None  # entries with at least one demand in this status
    acknowledged: bool | None = None  # True: signed (on screen or paper); False: not signed
    text: str = ""
    village_code: str | None = None  # a town station: one village's entries
    informant_id: str | None = None  # the reports of one 信息员 (docs/informants.md)


DIARY_SORTS = {
    "occurred_at": DiaryEntry.occurred_at,
    "kind": DiaryEntry.kind,
    "place": DiaryEntry.place,
    "cadre": User.display_name,
    "village": DiaryEntry.village_code,
}


def _signed(entry_id_col: Any) -> Exists:
    return exists().where(
        Acknowledgement.entry_id == entry_id_col,
        Acknowledgement.deleted_at.is_(None),
        Acknowledgement.method.in_(SIGNED_METHODS),
    )


def _filtered(q: Select[Any], f: DiaryFilter, *, by_village: bool = False) -> Select[Any]:
    """``q`` (over diary_entry) narrowed by everything in ``f`` except the text. ``by_village``: the
    entries of every village in village order (a town's list sorted by 村), read from the village
    index: its first column is given a range and the dates are tested in the index, not searched by."""
    q = q.where(DiaryEntry.deleted_at.is_(None))
    if f.village_code:
        q = q.where(DiaryEntry.village_code == f.village_code)
    elif by_village:
        q = q.where(DiaryEntry.village_code >= "")
    if f.cadre_id:
        q = q.where(DiaryEntry.cadre_id == f.cadre_id)
    # (a function of the column is no search key: SQLite then takes the village index over the time one)
    occurred = func.coalesce(DiaryEntry.occurred_at, None) if by_village else DiaryEntry.occurred_at
    if f.date_from:
        q = q.where(occurred >= dt.datetime.combine(f.date_from, dt.time()))
    if f.date_to:
        q = q.where(occurred < dt.datetime.combine(f.date_to + dt.timedelta(days=1), dt.time()))
    if f.kind:
        q = q.where(DiaryEntry.kind == f.kind)
    if f.informant_id:
        q = q.where(DiaryEntry.informant_id == f.informant_id)
    if f.household_id:
        q = q.where(
            exists().where(
                DiaryParticipant.entry_id == DiaryEntry.id,
                DiaryParticipant.household_id == f.household_id,
                DiaryParticipant.deleted_at.is_(None),
            )
        )
    if f.demand_status:
        q = q.where(
            exists().where(
                Demand.entry_id == DiaryEntry.id,
                Demand.status == f.demand_status,
                Demand.deleted_at.is_(None),
            )
        )
    if f.acknowledged is True:
        q = q.where(_signed(DiaryEntry.id))
    elif f.acknowledged is False:
        q = q.where(~_signed(DiaryEntry.id))
    return q


def _search_in_time_order(
    f: DiaryFilter, descending: bool, *, keys: bool = True
) -> tuple[Select[Any], list[Any]]:
    """Entry ids matching ``f`` (with text) in time order, driven by the index's rowid order.

    SQLite walks the search's index by rowid (newest first when descending), looks each match up in the
    map (and the entry, when a filter needs it) and stops when a LIMIT is reached; a date filter becomes
    a rowid range. The indexes hold live entries only, so a plain search needs no look at the entries.
    ``keys`` False: the index rowids instead of the entry ids (to count; no look-up in the map).
    """
    rest = DiaryFilter(
        cadre_id=f.cadre_id,
        household_id=f.household_id,
        kind=f.kind,
        demand_status=f.demand_status,
        acknowledged=f.acknowledged,
        village_code=f.village_code,
        informant_id=f.informant_id,
    )
    search = _search(f.text)
    keys = keys or rest != DiaryFilter()
    q = _search_from(search, keys=keys)
    rowid = search.index.c.rowid
    if f.date_from:
        q = q.where(rowid >= fts_key(dt.datetime.combine(f.date_from, dt.time())))
    if f.date_to:
        q = q.where(rowid < fts_key(dt.datetime.combine(f.date_to + dt.timedelta(days=1), dt.time())))
    if rest != DiaryFilter():
        q = _filtered(q.join(DiaryEntry, DiaryEntry.id == fts_diary_map.c.entry_id), rest)
    return q, [rowid.desc() if descending else rowid.asc()]


def diary_query(
    f: DiaryFilter | None = None, *, sort: str = "occurred_at", descending: bool = True
) -> Select[Any]:
    """The SELECT of the ids of the entries matching ``f``, in list order (page it with limit/offset).

    Entries at the same time come in id order following the direction (the live-entry index's order);
    a text search orders them by index key instead (the order they were written in).
    """
    q, order = _diary_select(f, sort, descending)
    return q.order_by(*order)


def _diary_select(f: DiaryFilter | None, sort: str, descending: bool) -> tuple[Select[Any], list[Any]]:
    """(the SELECT of matching entry ids, unordered; its ORDER BY terms)."""
    f = f or DiaryFilter()
    if search_terms(f.text) and sort == "occurred_at":
        return _search_in_time_order(f, descending)
    q = select(DiaryEntry.id)
    if sort == "cadre":
        q = q.join(User, User.id == DiaryEntry.cadre_id)
    # sorted by 村 at a town: ascending, SQLite sorts only each village's entries as it reaches them
    # (30 villages, 151 000 entries: the first screen 2.8 s -> 3 ms); descending, none at all
    by_village = sort == "village" and not f.village_code
    q = _filtered(q, f, by_village=by_village)
    if search_terms(f.text):
        # the matches within the dates only: the index's rowids follow the visits' times, so its walk
        # reads that range (a town sorted by 村, 3 months of a common word: 16 898 matches -> 4 384)
        dates = DiaryFilter(text=f.text, date_from=f.date_from, date_to=f.date_to)
        matches = _search_in_time_order(dates, True)[0]
        # Sorted by 村, the village index is walked in its order and each entry asked whether it is in
        # the matches (a set made once): the id is no search key there, or SQLite looks every match up
        # and sorts them all (a common word at 30 villages: 130-300 ms; walked: 8-140, a rare one 15)
        q = q.where((func.coalesce(DiaryEntry.id, None) if by_village else DiaryEntry.id).in_(matches))
    key = DIARY_SORTS.get(sort, DiaryEntry.occurred_at)
    if key is DiaryEntry.occurred_at:
        order = [key.desc(), DiaryEntry.id.desc()] if descending else [key.asc(), DiaryEntry.id.asc()]
    else:
        order = [key.desc() if descending else key.asc(), DiaryEntry.occurred_at.desc(), DiaryEntry.id.desc()]
    return q, order


def _position(session: Session, q: Select[Any], order: list[Any], record_id: str) -> int:
    """Row (from 0) of ``record_id`` among the ids of ``q`` in ``order``, or -1 when it is not there."""
    sub = q.add_columns(func.row_number().over(order_by=order).label("rn")).subquery()
    rn = session.scalar(select(sub.c.rn).where(list(sub.c)[0] == record_id))
    return -1 if rn is None else rn - 1


def diary_entry_position(
    session: Session,
    f: DiaryFilter | None,
    entry_id: str,
    *,
    sort: str = "occurred_at",
    descending: bool = True,
) -> int:
    """Where an entry is in the list of ``f`` (its row), or -1: one pass in SQL, no id list."""
    q, order = _diary_select(f, sort, descending)
    return _position(session, q, order, entry_id)


def diary_entry_ids(
    session: Session,
    f: DiaryFilter | None = None,
    *,
    sort: str = "occurred_at",
    descending: bool = True,
    limit: int | None = None,
    offset: int = 0,
) -> list[str]:
    q = diary_query(f, sort=sort, descending=descending)
    if limit:
        q = q.limit(limit)
    if offset:
        q = q.offset(offset)
    return list(session.scalars(q))


def _per_day_total(
    counts: Any, date_from: dt.date | None, date_to: dt.date | None, **equal: str | None
) -> Select[Any]:
    """SELECT the sum of ``n`` of the per-day counts ``counts`` (db/diary_derived.py) whose day is within
    the dates and whose columns named in ``equal`` hold the values given (None or empty: any)."""
    q = select(func.coalesce(func.sum(counts.c.n), 0)).where(
        *[counts.c[name] == value for name, value in equal.items() if value]
    )
    if date_from:
        q = q.where(counts.c.day >= date_from.isoformat())
    if date_to:
        q = q.where(counts.c.day <= date_to.isoformat())
    return q


def diary_entry_count(session: Session, f: DiaryFilter | None = None) -> int:
    """How many entries match ``f`` (the list's row count, without loading their ids). Filters on village,
    方式 and dates only (the list as it opens: no filter at all) are answered from the per-day counts of
    live entries (db/diary_derived.py), a few thousand rows instead of every entry (0.12 s at 100 000
    households, each time the list opened)."""
    f = f or DiaryFilter()
    if search_terms(f.text):
        inner = _search_in_time_order(f, True, keys=False)[0]
    elif replace(f, village_code=None, kind=None, date_from=None, date_to=None, text="") == DiaryFilter():
        q = _per_day_total(
            diary_derived.ENTRY_DAY, f.date_from, f.date_to, village_code=f.village_code, kind=f.kind
        )
        return int(session.scalar(q) or 0)
    else:
        inner = _filtered(select(DiaryEntry.id), f)
    return session.scalar(select(func.count()).select_from(inner.subquery())) or 0


@dataclass(frozen=True)
class DiaryRow:
    id: str
    occurred_at: dt.datetime
    kind: str
    place: str
    cadre_id: str
    cadre_name: str
    households: str  # head names, 、-separated
    persons: str
    summary: str
    demands_open: int
    demands_replied: int
    demands_closed: int
    ack_method: str | None  # 当场签字 | 纸质签字 | 拒签 | None (db.vocab.ACK_METHODS)
    amended: bool  # changed after signing (has amendments)
    village_code: str = ""
    demands_at_town: int = 0  # 已上报乡镇 or 乡镇已答复 (交办)


def diary_rows(session: Session, ids: list[str]) -> dict[str, DiaryRow]:
    """Rows for the given ids (any order), for a lazy table model: a few queries per batch."""
    if not ids:
        return {}
    base = {}
    for e, cadre_name in session.execute(
        select(DiaryEntry, User.display_name)
        .join(User, User.id == DiaryEntry.cadre_id, isouter=True)
        .where(DiaryEntry.id.in_(ids))
    ):
        base[e.id] = (e, cadre_name or "")
    heads: dict[str, list[str]] = {}
    persons: dict[str, list[str]] = {}
    for entry_id, head, name in session.execute(
        select(DiaryParticipant.entry_id, Household.head_name, Person.name)
        .join(Household, Household.id == DiaryParticipant.household_id)
        .join(Person, Person.id == DiaryParticipant.person_id, isouter=True)
        .where(DiaryParticipant.entry_id.in_(ids), DiaryParticipant.deleted_at.is_(None))
        .order_by(DiaryParticipant.entry_id, Household.head_name)
    ):
        if head not in heads.setdefault(entry_id, []):
            heads[entry_id].append(head)
        if name and name not in persons.setdefault(entry_id, []):
            persons[entry_id].append(name)
    counts: dict[str, dict[str, int]] = {}
    for entry_id, status, n in session.execute(
        select(Demand.entry_id, Demand.status, func.count())
        .where(Demand.entry_id.in_(ids), Demand.deleted_at.is_(None))
        .group_by(Demand.entry_id, Demand.status)
    ):
        counts.setdefault(entry_id, {})[status] = n
    acks = dict(
        session.execute(
            select(Acknowledgement.entry_id, Acknowledgement.method).where(
                Acknowledgement.entry_id.in_(ids), Acknowledgement.deleted_at.is_(None)
            )
        ).all()
    )
    amended = set(
        session.scalars(
            select(DiaryAmendment.entry_id).where(
                DiaryAmendment.entry_id.in_(ids), DiaryAmendment.deleted_at.is_(None)
            )
        )
    )
    out = {}
    for entry_id, (e, cadre_name) in base.items():
        c = counts.get(entry_id, {})
        summary = next((t for t in (e.situation, e.difficulties, e.actions) if t), "")
        out[entry_id] = DiaryRow(
            e.id,
            e.occurred_at,
            e.kind,
            e.place,
            e.cadre_id,
            cadre_name,
            "、".join(heads.get(entry_id, [])),
            "、".join(persons.get(entry_id, [])),
            summary.replace("\n", " ")[:60],
            c.get(OPEN, 0),
            c.get(REPLIED, 0),
            c.get(CLOSED, 0),
            acks.get(entry_id),
            entry_id in amended,
            e.village_code,
            c.get(REFERRED, 0) + c.get(TOWN_REPLIED, 0),
        )
    return out


# -- the ledger (民情台账): one row per demand ---------------------------------------------------------
@dataclass
class LedgerFilter:
    status: str | None = None
    category: str | None = None
    responsible_id: str | None = None
    household_id: str | None = None
    date_from: dt.date | None = None  # date the demand was heard (the entry's date)
    date_to: dt.date | None = None
    overdue_on: dt.date | None = None  # only demands not closed whose due date is before this day
    text: str = ""
    village_code: str | None = None  # a town station: one village's demands


LEDGER_SORTS = {
    "date": DiaryEntry.occurred_at,
    "status": Demand.status,
    "category": Demand.category,
    "due_on": Demand.due_on,
    "household": Household.head_name,
    "village": Demand.village_code,
}


# A search of the ledger by words within dates whose entries are at least this share of the diary's (of
# its village's, one village chosen) reads every demand and keeps those of the dates, rather than walk
# the entries of the dates and look up their demands. Measured (the slowest of six words, the count
# and first page): 100 000 households, the last 30 days (8.5 % of the entries) 357-414 ms walking,
# 492-530 reading all; 92 days (25 %) 1.07-1.13 s walking, 0.49 s reading all; a year (all of them)
# 4.1-4.2 s walking, 0.50-0.51 s reading all. A town of 30 villages: 30 days 14-17 ms walking, 150 ms
# reading all; 92 days 74-98 ms against 146-153; a year 300 ms against 146-165. (Walking costs 2-8 µs
# an entry, as the demands of the dates lie together or not; reading all, 3 µs a demand.)
SEARCH_ALL_DEMANDS_SHARE = 0.15


def _walks_dates(session: Session, f: LedgerFilter) -> bool:
    """For a ledger search by words within dates: walk the entries of the dates (else read every demand
    and keep those of the dates), by the share of the entries the dates hold (the per-day counts)."""
    if not (search_terms(f.text) and (f.date_from or f.date_to)):
        return True
    days = diary_derived.ENTRY_DAY
    within = session.scalar(_per_day_total(days, f.date_from, f.date_to, village_code=f.village_code)) or 0
    everything = session.scalar(_per_day_total(days, None, None, village_code=f.village_code)) or 0
    return within < SEARCH_ALL_DEMANDS_SHARE * everything


def _demand_select(
    columns: list[Any],
    f: LedgerFilter | None,
    sort: str,
    descending: bool,
    *,
    household_joined: bool = False,
    walk_dates: bool = True,
) -> tuple[Select[Any], list[Any]]:
    """(the SELECT of ``columns`` of the demands matching ``f``, unordered; its ORDER BY terms).
    ``walk_dates`` False (:func:`_walks_dates`): the dates are not looked up in the entries' time index
    (``coalesce`` hides the column from the planner), so SQLite reads the demands and checks them."""
    f = f or LedgerFilter()
    entry_id: Any = DiaryEntry.id
    if sort == "date" and replace(f, village_code=None) == LedgerFilter():
        # The whole ledger by date (the screen as it opens): walk the entries in date order
        # (ix_diary_entry_live_occurred_at) and take each one's demands, so the first page costs what a
        # page costs. Left to itself SQLite scans every demand and sorts them all (183 ms plain and
        # about 0.7 s encrypted for the 172 852 demands of the 100 000-household demo, 5 ms this way):
        # ``id || ''`` keeps it from looking entries up by id, the other order.
        entry_id = DiaryEntry.id.concat("")
    q = (
        select(*columns)
        .select_from(Demand)
        .join(DiaryEntry, entry_id == Demand.entry_id)
        .where(Demand.deleted_at.is_(None), DiaryEntry.deleted_at.is_(None))
    )
    if sort == "household" and not household_joined:
        q = q.join(Household, Household.id == Demand.household_id, isouter=True)
    # sorted by 村 at a town (the ledger as it opens there): read in village order from
    # ix_demand_village_code, given a range, SQLite sorts only each village's demands as it reaches them
    # (30 villages, 171 000 demands: the first screen 230 ms -> 10 ms). A date range still takes the
    # time index (about 100 ms for three months, at any page): walking the villages instead made a first
    # screen of 2 ms but a page beyond the range's demands 240 ms.
    by_village = sort == "village" and not f.village_code
    if f.village_code:
        q = q.where(Demand.village_code == f.village_code)
    elif by_village:
        q = q.where(Demand.village_code >= "")
    if f.status:
        q = q.where(Demand.status == f.status)
    if f.category:
        q = q.where(Demand.category == f.category)
    if f.responsible_id:
        q = q.where(Demand.responsible_id == f.responsible_id)
    if f.household_id:
        q = q.where(Demand.household_id == f.household_id)
    heard: Any = DiaryEntry.occurred_at if walk_dates else func.coalesce(DiaryEntry.occurred_at, None)
    if f.date_from:
        q = q.where(heard >= dt.datetime.combine(f.date_from, dt.time()))
    if f.date_to:
        q = q.where(heard < dt.datetime.combine(f.date_to + dt.timedelta(days=1), dt.time()))
    if f.overdue_on:
        q = q.where(Demand.status != CLOSED, Demand.due_on < f.overdue_on)
    for term in search_terms(f.text):
        # a % or _ typed is looked for as itself, not as LIKE's wildcard
        like = f"%{escape_like(term)}%"
        q = q.where(
            or_(
                *[
                    column.like(like, escape="\\")
                    for column in (
                        Demand.content,
                        Demand.reply,
                        Demand.handling,
                        Demand.referral_note,
                        Demand.town_reply,
                    )
                ]
            )
        )
    key = LEDGER_SORTS.get(sort, DiaryEntry.occurred_at)
    return q, [key.desc() if descending else key.asc(), DiaryEntry.occurred_at.desc(), Demand.id]


def demand_ids(
    session: Session,
    f: LedgerFilter | None = None,
    *,
    sort: str = "date",
    descending: bool = True,
    limit: int | None = None,
    offset: int = 0,
) -> list[str]:
    q, order = _demand_select(
        [Demand.id], f, sort, descending, walk_dates=_walks_dates(session, f or LedgerFilter())
    )
    q = q.order_by(*order)
    if limit:
        q = q.limit(limit)
    if offset:
        q = q.offset(offset)
    return list(session.scalars(q))


def demand_ids_counted(
    session: Session, f: LedgerFilter, *, sort: str = "date", descending: bool = True, limit: int
) -> tuple[list[str], int]:
    """The first ``limit`` ids of the ledger of ``f`` and how many it lists (:func:`ledger_count`), in
    one statement: a search by words reads every demand it may list, and did it twice, once to count
    and once for the first page (0.7-1.0 s at 100 000 households, twice that within three months)."""
    q, order = _demand_select(
        [Demand.id, func.count().over()], f, sort, descending, walk_dates=_walks_dates(session, f)
    )
    rows = session.execute(q.order_by(*order).limit(limit)).all()
    return [r[0] for r in rows], (int(rows[0][1]) if rows else 0)


def demand_position(
    session: Session, f: LedgerFilter | None, demand_id: str, *, sort: str = "date", descending: bool = True
) -> int:
    """Where a demand is in the ledger of ``f`` (its row), or -1."""
    q, order = _demand_select(
        [Demand.id], f, sort, descending, walk_dates=_walks_dates(session, f or LedgerFilter())
    )
    return _position(session, q, order, demand_id)


@dataclass(frozen=True)
class LedgerRow:
    id: str
    entry_id: str
    heard_at: dt.datetime
    household_id: str | None
    household: str  # head name
    group_name: str
    category: str
    content: str
    handling: str
    reply: str
    replied_on: dt.date | None
    replied_by: str | None
    closed_on: dt.date | None
    status: str
    responsible: str
    due_on: dt.date | None
    acknowledged: str | None  # ack method of the entry
    mediation_case_id: str | None
    village_code: str = ""
    referred_office: str | None = None  # 上报乡镇: the office
    town_reply_kind: str | None = None
    town_reply: str = ""
    town_forwarded_to: str = ""
    feedback_verdict: str | None = None  # 群众点评
    feedback_words: str = ""
    feedback_method: str | None = None
    project: str = ""  # 为民实事: 《title》（state） of the project that answers it (docs/projects.md)

    @property
    def town_text(self) -> str:
        """上报乡镇 and the town's reply, one line (empty for a demand the village handled alone)."""
        if not self.referred_office:
            return ""
        if not self.town_reply_kind:
            return f"已上报{self.referred_office}，待乡镇答复"
        what = (
            f"{self.referred_office}转报{self.town_forwarded_to}"
            if self.town_forwarded_to
            else f"{self.referred_office}答复"
        )
        return f"{what}：{self.town_reply}"

    @property
    def feedback_text(self) -> str:
        if not self.feedback_verdict:
            return ""
        words = f"：{self.feedback_words}" if self.feedback_words else ""
        return f"{self.feedback_verdict}（{self.feedback_method}）{words}"

    def overdue(self, today: dt.date) -> bool:
        return self.status != CLOSED and self.due_on is not None and self.due_on < today


def _ledger_columns() -> tuple[list[Any], NamedFromClause]:
    responsible = User.__table__.alias("responsible")
    ack_method = (
        select(Acknowledgement.method)
        .where(Acknowledgement.entry_id == Demand.entry_id, Acknowledgement.deleted_at.is_(None))
        .limit(1)
        .scalar_subquery()
    )
    columns = [
        Demand.id,
        Demand.entry_id,
        DiaryEntry.occurred_at,
        Demand.household_id,
        Household.head_name,
        Household.group_name,
        Demand.category,
        Demand.content,
        Demand.handling,
        Demand.reply,
        Demand.replied_on,
        Demand.replied_by,
        Demand.closed_on,
        Demand.status,
        responsible.c.display_name,
        Demand.due_on,
        ack_method,
        Demand.mediation_case_id,
        Demand.village_code,
        Demand.referred_office,
        Demand.town_reply_kind,
        Demand.town_reply,
        Demand.town_forwarded_to,
        Demand.feedback_verdict,
        Demand.feedback_words,
        Demand.feedback_method,
        project_text_column(),
    ]
    return columns, responsible


def _ledger_row(r: Any) -> LedgerRow:
    (
        did,
        entry_id,
        heard_at,
        household_id,
        head,
        group,
        category,
        content,
        handling,
        reply,
        replied_on,
        replied_by,
        closed_on,
        status,
        resp,
        due_on,
        ack,
        case_id,
        village_code,
        office,
        town_kind,
        town_reply,
        forwarded_to,
        verdict,
        words,
        method,
        project,
    ) = r
    return LedgerRow(
        did,
        entry_id,
        heard_at,
        household_id,
        head or "",
        group or "",
        category,
        content,
        handling,
        reply,
        replied_on,
        replied_by,
        closed_on,
        status,
        resp or "",
        due_on,
        ack,
        case_id,
        village_code,
        office,
        town_kind,
        town_reply or "",
        forwarded_to or "",
        verdict,
        words or "",
        method,
        project or "",
    )


def ledger_rows(session: Session, ids: list[str]) -> dict[str, LedgerRow]:
    if not ids:
        return {}
    columns, responsible = _ledger_columns()
    q = (
        select(*columns)
        .join(DiaryEntry, DiaryEntry.id == Demand.entry_id)
        .join(Household, Household.id == Demand.household_id, isouter=True)
        .join(responsible, responsible.c.id == Demand.responsible_id, isouter=True)
        .where(Demand.id.in_(ids))
    )
    return {r[0]: _ledger_row(r) for r in session.execute(q)}


_demand_day = diary_derived.DEMAND_DAY


def ledger_count(session: Session, f: LedgerFilter | None = None) -> int:
    """How many demands the ledger of ``f`` lists. Filters on village, status, category, the date heard
    and overdue are answered from the per-day counts (db/diary_derived.py: live demands of live entries,
    by day heard, status, category and the due date of an open one), at most a few thousand rows instead
    of every demand (0.44 s plain, 0.75 s encrypted on the 100 000-household demo)."""
    f = f or LedgerFilter()
    if f.text.strip() or f.responsible_id or f.household_id:
        inner = _demand_select([Demand.id], f, "date", True, walk_dates=_walks_dates(session, f))[0]
        return session.scalar(select(func.count()).select_from(inner.subquery())) or 0
    d = _demand_day
    q = _per_day_total(
        d, f.date_from, f.date_to, village_code=f.village_code, status=f.status, category=f.category
    )
    if f.overdue_on:  # an open one's due date is kept ('' for none); a closed one's is ''
        q = q.where(d.c.status != CLOSED, d.c.due_on != "", d.c.due_on < f.overdue_on.isoformat())
    return int(session.scalar(q) or 0)


def ledger_stream(
    session: Session,
    f: LedgerFilter | None = None,
    *,
    sort: str = "date",
    descending: bool = True,
    batch: int = 2000,
) -> Iterator[LedgerRow]:
    """The ledger's rows in list order, read in one pass (for exports of a whole year)."""
    columns, responsible = _ledger_columns()
    q, order = _demand_select(
        columns,
        f,
        sort,
        descending,
        household_joined=True,
        walk_dates=_walks_dates(session, f or LedgerFilter()),
    )
    q = (
        q.join(Household, Household.id == Demand.household_id, isouter=True)
        .join(responsible, responsible.c.id == Demand.responsible_id, isouter=True)
        .order_by(*order)
    )
    for r in session.execute(q.execution_options(yield_per=batch)):
        yield _ledger_row(r)


def all_rows_in_order(
    fetch: Callable[[Session, list[str]], dict[str, R]], session: Session, ids: list[str], chunk: int = 500
) -> list[R]:
    """Fetch rows for ``ids`` in chunks (SQLite has a bound-parameter limit), keeping the order."""
    out: list[R] = []
    for i in range(0, len(ids), chunk):
        part = ids[i : i + chunk]
        rows = fetch(session, part)
        out.extend(rows[x] for x in part if x in rows)
    return out


# -- 交办: what the villages referred to the town -----------------------------------------------------
@dataclass(frozen=True)
class ReferralRow:
    id: str
    village_code: str
    village_name: str
    office: str
    note: str
    referred_on: dt.date | None
    referred_by: str
    household: str  # head name
    category: str
    content: str
    heard_at: dt.datetime
    status: str
    town_reply_kind: str | None
    town_reply: str
    town_forwarded_to: str
    town_replied_on: dt.date | None
    town_replied_by: str


_UNSET: Any = object()


def referral_rows(
    session: Session,
    *,
    statuses: Sequence[str],
    office: str | None = None,
    village_code: str | None = None,
    ids: Sequence[str] | None = None,
    referred_on: dt.date | None = _UNSET,
) -> list[ReferralRow]:
    """Live demands in ``statuses`` that name an office (referred to the town), with their village's
    name (the enrolled station's) and household head: oldest referral first, then village code, then
    the visit that heard them. ``ids`` and ``referred_on`` (None: none given) narrow it (see
    :func:`oldest_referrals`)."""
    q = (
        select(
            Demand.id,
            Demand.village_code,
            Station.name,
            Demand.referred_office,
            Demand.referral_note,
            Demand.referred_on,
            Demand.referred_by,
            Household.head_name,
            Demand.category,
            Demand.content,
            DiaryEntry.occurred_at,
            Demand.status,
            Demand.town_reply_kind,
            Demand.town_reply,
            Demand.town_forwarded_to,
            Demand.town_replied_on,
            Demand.town_replied_by,
        )
        .join(DiaryEntry, DiaryEntry.id == Demand.entry_id)
        .join(Household, Household.id == Demand.household_id, isouter=True)
        .join(Station, Station.code == Demand.village_code, isouter=True)
        .where(
            Demand.deleted_at.is_(None),
            Demand.status.in_(list(statuses)),
            Demand.referred_office.is_not(None),
        )
        .order_by(Demand.referred_on, Demand.village_code, DiaryEntry.occurred_at, Demand.id)
    )
    if office is not None:
        q = q.where(Demand.referred_office == office)
    if village_code is not None:
        q = q.where(Demand.village_code == village_code)
    if ids is not None:
        q = q.where(Demand.id.in_(list(ids)))
    if referred_on is not _UNSET:
        q = q.where(
            Demand.referred_on.is_(None) if referred_on is None else Demand.referred_on == referred_on
        )
    out: dict[str, ReferralRow] = {}
    for r in session.execute(q):
        if r[0] in out:  # a village code held by more than one station row (a revoked and a new one)
            continue
        out[r[0]] = ReferralRow(
            r[0],
            r[1],
            r[2] or r[1],
            r[3] or "",
            r[4] or "",
            r[5],
            r[6] or "",
            r[7] or "",
            r[8],
            r[9],
            r[10],
            r[11],
            r[12],
            r[13] or "",
            r[14] or "",
            r[15],
            r[16] or "",
        )
    return list(out.values())


def oldest_referrals(
    session: Session, *, status: str, per_office: int
) -> tuple[dict[str, list[ReferralRow]], dict[str, int]]:
    """The first ``per_office`` rows of each office in :func:`referral_rows`'s order, and how many each
    office has, for the demands in ``status``: counted and ordered by day and village from
    ``ix_demand_referred_live`` alone (migration 0029), so that only the rows returned are read (a town
    of 30 villages waits on thousands). An office's rows of the same day and village as its last one
    shown are ordered by their visit in SQL and taken as many as are still wanted."""
    heads: dict[str, list[tuple[tuple[bool, dt.date, str], str]]] = {}
    for office, day, village, demand_id in session.execute(
        select(Demand.referred_office, Demand.referred_on, Demand.village_code, Demand.id).where(
            Demand.deleted_at.is_(None), Demand.status == status, Demand.referred_office.is_not(None)
        )
    ):
        # SQLite's ascending order: a missing day first
        heads.setdefault(str(office), []).append(((day is not None, day or dt.date.min, village), demand_id))
    counts = {office: len(rows) for office, rows in heads.items()}
    before: list[str] = []  # rows shown that come before their office's last day and village shown
    ties: dict[str, tuple[dt.date | None, str, int]] = {}
    for office, rows in heads.items():
        rows.sort(key=lambda row: row[0])
        if len(rows) <= per_office:
            before.extend(demand_id for _key, demand_id in rows)
            continue
        last = rows[per_office - 1][0]
        earlier = [demand_id for key, demand_id in rows if key < last]
        before.extend(earlier)
        ties[office] = (last[1] if last[0] else None, last[2], per_office - len(earlier))
    out: dict[str, list[ReferralRow]] = {}
    for chunk in range(0, len(before), 500):  # (a few hundred bound parameters at most)
        for r in referral_rows(session, statuses=[status], ids=before[chunk : chunk + 500]):
            out.setdefault(r.office, []).append(r)
    for shown in out.values():  # referral_rows's order, across the chunks
        shown.sort(
            key=lambda r: (
                r.referred_on is not None,
                r.referred_on or dt.date.min,
                r.village_code,
                r.heard_at,
                r.id,
            )
        )
    for office, (day, village, wanted) in ties.items():
        # (no LIMIT in SQL: a village code held by two station rows lists a demand twice before it is
        # taken once; such a group is one village's referrals of one day to one office)
        tied = referral_rows(session, statuses=[status], office=office, village_code=village, referred_on=day)
        out.setdefault(office, []).extend(tied[:wanted])
    return out, counts


__all__ = [
    "DiaryFilter",
    "DiaryRow",
    "LedgerFilter",
    "LedgerRow",
    "ReferralRow",
    "all_rows_in_order",
    "demand_ids",
    "demand_ids_counted",
    "demand_position",
    "diary_entry_count",
    "diary_entry_ids",
    "diary_entry_position",
    "diary_query",
    "diary_rows",
    "fts_entry_ids",
    "fts_key",
    "ledger_count",
    "ledger_rows",
    "ledger_stream",
    "oldest_referrals",
    "referral_rows",
]


def person_hits(session: Session, person_ids: list[str]) -> list[PersonHit]:
    """PersonHit rows for known person ids (to put a draft's or an entry's people back in a picker)."""
    if not person_ids:
        return []
    found = hits(session, hit_query().where(Person.id.in_(person_ids)))
    by_id = {h.id: h for h in found}
    return [by_id[i] for i in person_ids if i in by_id]
