"""The diary's full-text index, defined once: its tables, the text it holds for an entry and the
triggers that keep it in step. Migration 0004 creates it from here; the bulk writers (the bundle
importer in :mod:`db.queries.diary`, the demo) set the triggers aside with :func:`triggers_set_aside`
and index from the same text (:func:`entry_texts`, :func:`index_new_entries`).

FTS5, trigram: Chinese needs no word segmenter. fts_diary_map gives every entry a stable integer key k
(the entry's own rowid may change on VACUUM); fts_diary holds one row per live entry (rowid = k): its
texts, the names of the people met, its demands. k orders by the visit's time: k = unix seconds of
occurred_at * 1 000 000 + a counter within that second, so "newest matches first" is FTS5's own rowid
order and a date range is a rowid range: a search for the top 50 reads 50 matches, never all of them
(db/queries/diary.py). A changed occurred_at gives a new k. Triggers keep it in step with entries,
demands, participants, amendments and renamed persons, so entries written by any path (forms, bulk
demo inserts, bundles from other stations) are searchable.

Two-character words (most Chinese words and given names: 低保, 丁东) make no trigram, so FTS5 alone
cannot look them up. ``fts_diary_gram`` (migration 0018) holds, under the same key, every pair of
neighbouring characters of the entry's indexed text that are both Chinese characters or ASCII letters or
digits (:func:`bigrams`), one token each (unicode61, no positions, no text kept): a two-character word of
such characters is then one token lookup, exact, newest first. Its text is made from the index row itself
(:func:`grams_of_index_rows`), by the SQL function ``minqing_bigrams`` that :func:`register_functions`
gives every connection (db.cipher.prepare), so the triggers and the bulk writers fill both tables
alike.

Migration 0004 runs what is written here: a change to the text or the triggers changes what a new
database gets, and needs a new migration that brings existing databases to the same (0018 did so for
``fts_diary_gram``).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the connections' SQL functions load with the sign-in box, before SQLAlchemy
    from sqlalchemy import Connection

KEY_SLOT = 1_000_000  # keys per second of occurred_at

GRAM_FUNCTION = "minqing_bigrams"
# Runs of characters the bigram index holds pairs of: Chinese characters (the CJK blocks) and ASCII
# letters and digits, each of which unicode61 keeps whole in a token (folding only ASCII case).
GRAM_CHARS = "0-9A-Za-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_GRAM_PAIR = re.compile(f"[{GRAM_CHARS}]{{2}}")
# every such pair: those at even offsets within their run (a plain scan), and those at odd offsets
# (a pair that follows a character of its run); two passes of the regex engine in C, no group captured
_GRAM_PAIRS_ODD = re.compile(f"(?<=[{GRAM_CHARS}])[{GRAM_CHARS}]{{2}}")


def bigrams(text: str | None) -> str:
    """The tokens of ``text`` in the bigram index: each pair of neighbouring characters that are both
    in :data:`GRAM_CHARS`, space-separated. The triggers and the bulk writers call it for every indexed
    row (about a fifth of a bundle import's full-text pass). The index keeps no positions
    (``detail=none``), so neither the order of the tokens nor a token given twice changes what it holds:
    they are left as the two scans give them."""
    if not text:
        return ""
    return " ".join(_GRAM_PAIR.findall(text) + _GRAM_PAIRS_ODD.findall(text))


def is_gram(piece: str) -> bool:
    """Is ``piece`` one token of the bigram index (two characters of :data:`GRAM_CHARS`)?"""
    return _GRAM_PAIR.fullmatch(piece) is not None


def gram_pieces(piece: str) -> list[str]:
    """The bigram tokens every text holding ``piece`` holds (its pairs of :data:`GRAM_CHARS`)."""
    return [piece[i : i + 2] for i in range(len(piece) - 1) if is_gram(piece[i : i + 2])]


def register_functions(dbapi_connection: Any) -> None:
    """The SQL functions the full-text triggers call, on a new DBAPI connection."""
    dbapi_connection.create_function(GRAM_FUNCTION, 1, bigrams, deterministic=True)


# The text of an index row (fts_diary's columns) that its bigrams are made from.
GRAM_SOURCE = "body || ' ' || people || ' ' || demands"


def grams_of_index_rows(where_key: str) -> str:
    """SQL writing the bigram rows of the index rows whose key satisfies ``rowid {where_key}``, from
    the text those rows hold (so both tables say the same), in key order."""
    return (
        "INSERT INTO fts_diary_gram(rowid, grams) "
        f"SELECT rowid, {GRAM_FUNCTION}({GRAM_SOURCE}) FROM fts_diary "
        f"WHERE rowid {where_key} ORDER BY rowid"
    )


def new_key(when: str) -> str:
    """SQL for a free key in the second of ``when`` (a diary_entry.occurred_at value)."""
    base = f"(CAST(strftime('%s', {when}) AS INTEGER) * {KEY_SLOT})"
    return (
        f"coalesce((SELECT max(k) + 1 FROM fts_diary_map WHERE k >= {base} AND k < {base} + {KEY_SLOT}),"
        f" {base})"
    )


def entry_texts(where_entry: str) -> str:
    """SQL selecting (key, body, people, demands), the index row, of the live entries whose id satisfies
    ``<id> {where_entry}``: the one definition of what the index holds for an entry."""
    return f"""SELECT m.k,
      e.place || ' ' || e.companions || ' ' || e.situation || ' ' || e.difficulties || ' ' || e.actions
        || ' ' || e.follow_up
        || coalesce(' ' || (SELECT group_concat(a.text, ' ') FROM diary_amendment a
                             WHERE a.entry_id = e.id AND a.deleted_at IS NULL), ''),
      coalesce((SELECT group_concat(coalesce(p.name || ' ', '') || h.head_name, ' ')
                  FROM diary_participant dp JOIN household h ON h.id = dp.household_id
                  LEFT JOIN person p ON p.id = dp.person_id
                 WHERE dp.entry_id = e.id AND dp.deleted_at IS NULL), ''),
      coalesce((SELECT group_concat(d.content || ' ' || d.handling || ' ' || d.reply, ' ')
                  FROM demand d WHERE d.entry_id = e.id AND d.deleted_at IS NULL), '')
    FROM diary_entry e JOIN fts_diary_map m ON m.entry_id = e.id
    WHERE e.deleted_at IS NULL AND e.id {where_entry}"""


def refresh(where_entry: str, *, grams: bool = True) -> str:
    """SQL that rebuilds the index rows of the entries whose id satisfies ``<id> {where_entry}``
    (``grams``: their bigram rows too; False: the triggers as they were before migration 0018)."""
    keys = f"IN (SELECT m.k FROM fts_diary_map m WHERE m.entry_id {where_entry})"
    gram_sql = f"DELETE FROM fts_diary_gram WHERE rowid {keys};" if grams else ""
    gram_fill = f"{grams_of_index_rows(keys)};" if grams else ""
    return f"""
    DELETE FROM fts_diary WHERE rowid {keys};{gram_sql}
    INSERT INTO fts_diary(rowid, body, people, demands)
    {entry_texts(where_entry)};{gram_fill}
    """


ENTRY_TEXT_COLUMNS = "place, companions, situation, difficulties, actions, follow_up, deleted_at"

GRAM_TABLE = (
    "CREATE VIRTUAL TABLE fts_diary_gram USING fts5(grams, tokenize='unicode61 remove_diacritics 0', "
    "content='', contentless_delete=1, detail=none)"
)


def triggers(*, grams: bool = True) -> list[str]:
    """The CREATE TRIGGER statements that keep the index in step (``grams``: the bigram table too)."""

    def fresh(where_entry: str) -> str:
        return refresh(where_entry, grams=grams)

    def forget(old_id: str) -> str:
        key = f"(SELECT k FROM fts_diary_map WHERE entry_id = {old_id})"
        gram_sql = f"DELETE FROM fts_diary_gram WHERE rowid = {key};" if grams else ""
        return f"""DELETE FROM fts_diary WHERE rowid = {key};{gram_sql}
        DELETE FROM fts_diary_map WHERE entry_id = {old_id};"""

    out = [
        f"""CREATE TRIGGER fts_diary_entry_ai AFTER INSERT ON diary_entry BEGIN
        INSERT OR IGNORE INTO fts_diary_map(k, entry_id) VALUES ({new_key("new.occurred_at")}, new.id);
        {fresh("= new.id")}
    END""",
        f"""CREATE TRIGGER fts_diary_entry_au AFTER UPDATE OF {ENTRY_TEXT_COLUMNS} ON diary_entry BEGIN
        {fresh("= new.id")}
    END""",
        f"""CREATE TRIGGER fts_diary_entry_rekey AFTER UPDATE OF occurred_at ON diary_entry
        WHEN new.occurred_at IS NOT old.occurred_at BEGIN
        {forget("old.id")}
        INSERT INTO fts_diary_map(k, entry_id) VALUES ({new_key("new.occurred_at")}, new.id);
        {fresh("= new.id")}
    END""",
        f"""CREATE TRIGGER fts_diary_entry_ad AFTER DELETE ON diary_entry BEGIN
        {forget("old.id")}
    END""",
    ]
    for table, columns in (
        ("demand", "content, handling, reply, deleted_at"),
        ("diary_participant", "person_id, household_id, deleted_at"),
        ("diary_amendment", "text, deleted_at"),
    ):
        out += [
            f"CREATE TRIGGER fts_diary_{table}_ai AFTER INSERT ON {table} BEGIN {fresh('= new.entry_id')} END",
            f"CREATE TRIGGER fts_diary_{table}_au AFTER UPDATE OF {columns} ON {table} BEGIN {fresh('= new.entry_id')} END",
            f"CREATE TRIGGER fts_diary_{table}_ad AFTER DELETE ON {table} BEGIN {fresh('= old.entry_id')} END",
        ]
    out += [
        f"""CREATE TRIGGER fts_diary_person_au AFTER UPDATE OF name ON person BEGIN
        {fresh("IN (SELECT dp.entry_id FROM diary_participant dp WHERE dp.person_id = new.id)")}
    END""",
        f"""CREATE TRIGGER fts_diary_household_au AFTER UPDATE OF head_name ON household BEGIN
        {fresh("IN (SELECT dp.entry_id FROM diary_participant dp WHERE dp.household_id = new.id)")}
    END""",
    ]
    return out


OBJECTS = [
    "CREATE TABLE fts_diary_map (k INTEGER PRIMARY KEY, entry_id VARCHAR(36) NOT NULL UNIQUE)",
    "CREATE VIRTUAL TABLE fts_diary USING fts5(body, people, demands, tokenize='trigram')",
    GRAM_TABLE,
    *triggers(),
]
DROPS = [
    "DROP TRIGGER IF EXISTS fts_diary_household_au",
    "DROP TRIGGER IF EXISTS fts_diary_person_au",
    "DROP TRIGGER IF EXISTS fts_diary_entry_rekey",
    *[
        f"DROP TRIGGER IF EXISTS fts_diary_{t}_{w}"
        for t in ("demand", "diary_participant", "diary_amendment", "entry")
        for w in ("ai", "au", "ad")
    ],
    "DROP TABLE IF EXISTS fts_diary_gram",
    "DROP TABLE IF EXISTS fts_diary",
    "DROP TABLE IF EXISTS fts_diary_map",
]


@contextlib.contextmanager
def triggers_set_aside(conn: Connection) -> Iterator[None]:
    """Inside the caller's transaction: the ``fts_diary_*`` triggers are dropped, and re-created from
    their stored SQL on leaving (SQLite DDL is transactional: a rollback brings them back too)."""
    from db.bulk import triggers_dropped

    with triggers_dropped(conn, "fts_diary_"):
        yield


def index_new_entries(conn: Connection, entry_ids: Sequence[str]) -> None:
    """With the triggers set aside: the index rows of entries just written (not indexed yet), in the
    order given, under the keys and with the texts the triggers would give them."""
    if not entry_ids:
        return
    conn.exec_driver_sql(
        f"INSERT INTO fts_diary_map(k, entry_id) SELECT {new_key('e.occurred_at')}, e.id FROM diary_entry e "
        "WHERE e.id = ?",
        [(i,) for i in entry_ids],
    )
    conn.exec_driver_sql("CREATE TEMP TABLE IF NOT EXISTS new_diary_entries (id TEXT PRIMARY KEY)")
    conn.exec_driver_sql(
        "INSERT OR IGNORE INTO temp.new_diary_entries (id) VALUES (?)", [(i,) for i in entry_ids]
    )
    conn.exec_driver_sql(
        "INSERT INTO fts_diary(rowid, body, people, demands) "
        f"{entry_texts('IN (SELECT id FROM temp.new_diary_entries)')} ORDER BY 1"
    )
    conn.exec_driver_sql(
        grams_of_index_rows(
            "IN (SELECT m.k FROM fts_diary_map m WHERE m.entry_id IN (SELECT id FROM temp.new_diary_entries))"
        )
    )
    conn.exec_driver_sql("DELETE FROM temp.new_diary_entries")
