"""Derived data of the diary, defined once: what 今日待办 and 统计报表 read instead of every diary row.

Each station derives it from its own diary (it is never in a bundle, never synced: a station that
receives rows derives from them as it does from its own). Migration 0015 creates and fills it from here.

Per-row facts (one row per live base row, keyed by its id, so refreshing a row is "delete its fact,
insert it anew" and a fact always knows what the row counted for before):

- ``derived_entry_fact``: a live diary entry's village, day and 方式.
- ``derived_demand_fact``: a live demand of a live entry: its village, the entry's day, status, category,
  点评 and due date (``''`` for none: key columns of a WITHOUT ROWID table cannot be NULL).

Per-day counts, kept from the facts by triggers on the fact tables (so any refresh keeps them):

- ``derived_entry_day``: entries per (day, village, 方式) — the 走访记录 of any period is a sum of days.
- ``derived_demand_day``: demands per (day, village, status, category, 点评, due date of an open one).

Per household (refreshed as a whole from the household's participations):

- ``derived_household_visit``: each live household's last 入户走访 day (NULL: never visited) and ``since``,
  the day its visit rhythm counts from (the last visit, else the day the household was entered) —
  the visit reminders read it instead of every participant (app/diary/visits.py).
- ``derived_household_met``: (period, village, household) for each year ``2026``, quarter ``2026-Q1`` and
  month ``2026-03`` in which a live entry of that village met the household: 走访到的户 of a calendar
  period is a count of one index range (reports.py).

Triggers on the base tables (``derived_*``) refresh what a changed row touches, so every write path —
forms, amendments, deletions, household merges and moves, sync conflicts, rows from bundles — keeps it.
The bulk writers (the bundle importer, the demo) set those triggers aside with :func:`triggers_set_aside`
and refresh the rows they wrote in a few set-based statements (:func:`refresh_written`).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator

from sqlalchemy import Connection, column, table

from db import vocab
from db.bulk import triggers_dropped

HOME_VISIT = vocab.HOME_VISIT
CLOSED = vocab.CLOSED

TABLES = [
    """CREATE TABLE derived_entry_fact (
        entry_id VARCHAR(36) PRIMARY KEY, village_code VARCHAR(12) NOT NULL, day DATE NOT NULL,
        kind VARCHAR(20) NOT NULL) WITHOUT ROWID""",
    """CREATE TABLE derived_entry_day (
        day DATE NOT NULL, village_code VARCHAR(12) NOT NULL, kind VARCHAR(20) NOT NULL, n INTEGER NOT NULL,
        PRIMARY KEY (day, village_code, kind)) WITHOUT ROWID""",
    """CREATE TABLE derived_demand_fact (
        demand_id VARCHAR(36) PRIMARY KEY, village_code VARCHAR(12) NOT NULL, day DATE NOT NULL,
        status VARCHAR(10) NOT NULL, category VARCHAR(30) NOT NULL, verdict VARCHAR(10) NOT NULL,
        due_on VARCHAR(10) NOT NULL) WITHOUT ROWID""",
    """CREATE TABLE derived_demand_day (
        day DATE NOT NULL, village_code VARCHAR(12) NOT NULL, status VARCHAR(10) NOT NULL,
        category VARCHAR(30) NOT NULL, verdict VARCHAR(10) NOT NULL, due_on VARCHAR(10) NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (day, village_code, status, category, verdict, due_on)) WITHOUT ROWID""",
    """CREATE TABLE derived_household_visit (
        household_id VARCHAR(36) PRIMARY KEY, village_code VARCHAR(12) NOT NULL, last_visit DATE,
        since DATE NOT NULL) WITHOUT ROWID""",
    """CREATE TABLE derived_household_met (
        period VARCHAR(7) NOT NULL, village_code VARCHAR(12) NOT NULL, household_id VARCHAR(36) NOT NULL,
        PRIMARY KEY (period, village_code, household_id)) WITHOUT ROWID""",
    "CREATE INDEX ix_derived_household_met_household ON derived_household_met (household_id)",
]

# The per-day counts as SQL expressions, for the queries that read them (统计报表, 民情台账's count).
ENTRY_DAY = table("derived_entry_day", column("day"), column("village_code"), column("kind"), column("n"))
DEMAND_DAY = table(
    "derived_demand_day",
    column("day"),
    column("village_code"),
    column("status"),
    column("category"),
    column("verdict"),
    column("due_on"),
    column("n"),
)

# The per-day counts follow the facts (never set aside: a bulk refresh goes through them too).
COUNT_TRIGGERS = [
    """CREATE TRIGGER count_entry_fact_ai AFTER INSERT ON derived_entry_fact BEGIN
        INSERT INTO derived_entry_day (day, village_code, kind, n) VALUES (new.day, new.village_code, new.kind, 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
    END""",
    """CREATE TRIGGER count_entry_fact_ad AFTER DELETE ON derived_entry_fact BEGIN
        UPDATE derived_entry_day SET n = n - 1
         WHERE day = old.day AND village_code = old.village_code AND kind = old.kind;
    END""",
    """CREATE TRIGGER count_demand_fact_ai AFTER INSERT ON derived_demand_fact BEGIN
        INSERT INTO derived_demand_day (day, village_code, status, category, verdict, due_on, n)
        VALUES (new.day, new.village_code, new.status, new.category, new.verdict, new.due_on, 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
    END""",
    """CREATE TRIGGER count_demand_fact_ad AFTER DELETE ON derived_demand_fact BEGIN
        UPDATE derived_demand_day SET n = n - 1
         WHERE day = old.day AND village_code = old.village_code AND status = old.status
           AND category = old.category AND verdict = old.verdict AND due_on = old.due_on;
    END""",
]


def refresh_entries(where_id: str) -> str:
    """SQL: the facts of the entries whose id satisfies ``<id> {where_id}``, anew."""
    return f"""
    DELETE FROM derived_entry_fact WHERE entry_id {where_id};
    INSERT INTO derived_entry_fact (entry_id, village_code, day, kind)
      SELECT e.id, e.village_code, date(e.occurred_at), e.kind FROM diary_entry e
       WHERE e.deleted_at IS NULL AND e.id {where_id};
    """


def refresh_demands(where_id: str) -> str:
    """SQL: the facts of the demands whose id satisfies ``<id> {where_id}``, anew (after their entries')."""
    return f"""
    DELETE FROM derived_demand_fact WHERE demand_id {where_id};
    INSERT INTO derived_demand_fact (demand_id, village_code, day, status, category, verdict, due_on)
      SELECT d.id, d.village_code, f.day, d.status, d.category, coalesce(d.feedback_verdict, ''),
             CASE WHEN d.status = '{CLOSED}' THEN '' ELSE coalesce(d.due_on, '') END
        FROM demand d JOIN derived_entry_fact f ON f.entry_id = d.entry_id
       WHERE d.deleted_at IS NULL AND d.id {where_id};
    """


PERIODS = (
    "substr(f.day, 1, 4)",
    "substr(f.day, 1, 4) || '-Q' || ((CAST(substr(f.day, 6, 2) AS INTEGER) + 2) / 3)",
    "substr(f.day, 1, 7)",
)
# The months met once (one pass over the participants), then each month's year, quarter and itself.
_MET = f"""INSERT OR IGNORE INTO derived_household_met (period, village_code, household_id)
      SELECT CASE n.n WHEN 1 THEN {PERIODS[0].replace("f.day", "m.day")}
                      WHEN 2 THEN {PERIODS[1].replace("f.day", "m.day")}
                      ELSE {PERIODS[2].replace("f.day", "m.day")} END, m.village_code, m.household_id
        FROM (SELECT DISTINCT substr(f.day, 1, 7) AS day, f.village_code AS village_code,
                     dp.household_id AS household_id
                FROM diary_participant dp JOIN derived_entry_fact f ON f.entry_id = dp.entry_id
               WHERE dp.deleted_at IS NULL AND dp.household_id {{where_id}}) m
        CROSS JOIN (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3) n;"""


def refresh_households(where_id: str) -> str:
    """SQL: the visit state and the periods met of the households whose id satisfies ``<id> {where_id}``,
    anew (after the facts of their entries)."""
    met = _MET.format(where_id=where_id)
    return f"""
    DELETE FROM derived_household_visit WHERE household_id {where_id};
    INSERT INTO derived_household_visit (household_id, village_code, last_visit, since)
      SELECT h.id, h.village_code, v.last_visit, coalesce(v.last_visit, date(h.created_at))
        FROM household h LEFT JOIN (
             SELECT dp.household_id AS household_id, max(f.day) AS last_visit
               FROM diary_participant dp JOIN derived_entry_fact f ON f.entry_id = dp.entry_id
              WHERE dp.deleted_at IS NULL AND f.kind = '{HOME_VISIT}' AND dp.household_id {where_id}
              GROUP BY dp.household_id) v ON v.household_id = h.id
       WHERE h.deleted_at IS NULL AND h.id {where_id};
    DELETE FROM derived_household_met WHERE household_id {where_id};
    {met}
    """


def _of_entry(entry: str) -> str:
    return (
        f"{refresh_entries(f'= {entry}')}"
        f"{refresh_demands(f'IN (SELECT id FROM demand WHERE entry_id = {entry})')}"
        f"{refresh_households(f'IN (SELECT household_id FROM diary_participant WHERE entry_id = {entry})')}"
    )


TRIGGERS = [
    f"CREATE TRIGGER derived_entry_ai AFTER INSERT ON diary_entry BEGIN {_of_entry('new.id')} END",
    "CREATE TRIGGER derived_entry_au AFTER UPDATE OF occurred_at, kind, village_code, deleted_at "
    f"ON diary_entry BEGIN {_of_entry('new.id')} END",
    f"CREATE TRIGGER derived_entry_ad AFTER DELETE ON diary_entry BEGIN {_of_entry('old.id')} END",
    f"CREATE TRIGGER derived_demand_ai AFTER INSERT ON demand BEGIN {refresh_demands('= new.id')} END",
    "CREATE TRIGGER derived_demand_au AFTER UPDATE OF entry_id, village_code, status, category, "
    f"feedback_verdict, due_on, deleted_at ON demand BEGIN {refresh_demands('IN (old.id, new.id)')} END",
    f"CREATE TRIGGER derived_demand_ad AFTER DELETE ON demand BEGIN {refresh_demands('= old.id')} END",
    "CREATE TRIGGER derived_participant_ai AFTER INSERT ON diary_participant BEGIN "
    f"{refresh_households('= new.household_id')} END",
    "CREATE TRIGGER derived_participant_au AFTER UPDATE OF entry_id, household_id, deleted_at "
    "ON diary_participant BEGIN "
    f"{refresh_households('IN (old.household_id, new.household_id)')} END",
    "CREATE TRIGGER derived_participant_ad AFTER DELETE ON diary_participant BEGIN "
    f"{refresh_households('= old.household_id')} END",
    f"CREATE TRIGGER derived_household_ai AFTER INSERT ON household BEGIN {refresh_households('= new.id')} END",
    "CREATE TRIGGER derived_household_au AFTER UPDATE OF village_code, created_at, deleted_at ON household "
    f"BEGIN {refresh_households('IN (old.id, new.id)')} END",
    f"CREATE TRIGGER derived_household_ad AFTER DELETE ON household BEGIN {refresh_households('= old.id')} END",
]

DROPS = [
    *[f"DROP TRIGGER IF EXISTS {sql.split()[2]}" for sql in TRIGGERS + COUNT_TRIGGERS],
    "DROP TABLE IF EXISTS derived_household_met",
    "DROP TABLE IF EXISTS derived_household_visit",
    "DROP TABLE IF EXISTS derived_demand_day",
    "DROP TABLE IF EXISTS derived_demand_fact",
    "DROP TABLE IF EXISTS derived_entry_day",
    "DROP TABLE IF EXISTS derived_entry_fact",
]

# Filling a database that has a diary already (the migration): facts in one pass over the entries,
# the counts grouped from them, then the households from the narrow facts (never the wide entry rows).
FILL = [
    refresh_entries("IN (SELECT id FROM diary_entry)"),
    "INSERT INTO derived_entry_day (day, village_code, kind, n) "
    "SELECT day, village_code, kind, count(*) FROM derived_entry_fact GROUP BY 1, 2, 3",
    refresh_demands("IN (SELECT id FROM demand)"),
    "INSERT INTO derived_demand_day (day, village_code, status, category, verdict, due_on, n) "
    "SELECT day, village_code, status, category, verdict, due_on, count(*) FROM derived_demand_fact "
    "GROUP BY 1, 2, 3, 4, 5, 6",
    refresh_households("IN (SELECT id FROM household)"),
]


def statements(script: str) -> list[str]:
    """The statements of one of the SQL scripts above (none of them holds a ``;`` inside a string)."""
    return [s.strip() for s in script.split(";") if s.strip()]


def create(conn: Connection) -> None:
    """Tables, filled from what the database holds, then the triggers that keep them (migration 0015)."""
    for sql in TABLES:
        conn.exec_driver_sql(sql)
    for script in FILL:
        for sql in statements(script):
            conn.exec_driver_sql(sql)
    for sql in COUNT_TRIGGERS + TRIGGERS:
        conn.exec_driver_sql(sql)


@contextlib.contextmanager
def triggers_set_aside(conn: Connection) -> Iterator[None]:
    """Inside the caller's transaction: the ``derived_*`` triggers on the diary and household tables are
    dropped, and re-created from their stored SQL on leaving (SQLite DDL is transactional). The caller
    refreshes what it wrote (:func:`refresh_written`) before leaving."""
    with triggers_dropped(conn, "derived_"):
        yield


def refresh_written(
    conn: Connection,
    *,
    entries: Iterable[str] = (),
    demands: Iterable[str] = (),
    participants: Iterable[str] = (),
    households: Iterable[str] = (),
) -> None:
    """With the triggers set aside: refresh the derived rows of the rows just written, set-based (the ids
    go through temporary tables, never row by row through Python). Entries first, then their demands and
    the households they met; a participant refreshes its household (as it is now: a participant moved to
    another household by a merge leaves the old household, which the merge wrote, to be refreshed too)."""
    conn.exec_driver_sql(
        "CREATE TEMP TABLE IF NOT EXISTS derived_ids (kind TEXT, id TEXT, PRIMARY KEY (kind, id))"
    )
    conn.exec_driver_sql("DELETE FROM temp.derived_ids")
    for kind, ids in (("e", entries), ("d", demands), ("p", participants), ("h", households)):
        listed_ids = sorted(ids)
        if listed_ids:  # one statement and one parameter (a JSON array), not a row of Python per id
            conn.exec_driver_sql(
                "INSERT OR IGNORE INTO temp.derived_ids (kind, id) SELECT ?, value FROM json_each(?)",
                (kind, json.dumps(listed_ids)),
            )
    listed = "(SELECT id FROM temp.derived_ids WHERE kind = '{}')"
    conn.exec_driver_sql(
        "INSERT OR IGNORE INTO temp.derived_ids (kind, id) "
        f"SELECT 'd', id FROM demand WHERE entry_id IN {listed.format('e')}"
    )
    conn.exec_driver_sql(
        "INSERT OR IGNORE INTO temp.derived_ids (kind, id) "
        f"SELECT 'h', household_id FROM diary_participant WHERE entry_id IN {listed.format('e')} "
        f"UNION SELECT 'h', household_id FROM diary_participant WHERE id IN {listed.format('p')}"
    )
    for script in (
        refresh_entries(f"IN {listed.format('e')}"),
        refresh_demands(f"IN {listed.format('d')}"),
        refresh_households(f"IN {listed.format('h')}"),
    ):
        for sql in statements(script):
            conn.exec_driver_sql(sql)
    conn.exec_driver_sql("DELETE FROM temp.derived_ids")


@contextlib.contextmanager
def bulk_import_refresh(conn: Connection) -> Iterator[None]:
    """For :func:`db.bulk.bulk_writes` (the bundle importer): the ``derived_*`` triggers would refresh a
    household at each of its participant rows; here they stand aside for the caller's transaction and
    the rows it wrote are refreshed once, set-based, before it commits (a village-year: a few thousand
    households, well under a second)."""
    from db.bulk import written

    # A participant row moved to another household (a merge or a correction at the village) leaves its
    # old household with one visit fewer, and the bundle need not carry that household: a temporary
    # trigger (this connection only, on updates only: inserts keep no statement journal for it) lists it.
    conn.exec_driver_sql("CREATE TEMP TABLE IF NOT EXISTS derived_left (household_id TEXT PRIMARY KEY)")
    conn.exec_driver_sql("DELETE FROM temp.derived_left")
    conn.exec_driver_sql(
        "CREATE TEMP TRIGGER IF NOT EXISTS derived_participant_left AFTER UPDATE OF household_id "
        "ON main.diary_participant WHEN old.household_id IS NOT new.household_id BEGIN "
        "INSERT OR IGNORE INTO derived_left (household_id) VALUES (old.household_id); END"
    )
    try:
        with triggers_set_aside(conn):
            yield
            left = [h for (h,) in conn.exec_driver_sql("SELECT household_id FROM temp.derived_left")]
            refresh_written(
                conn,
                entries=written(conn, "diary_entry"),
                demands=written(conn, "demand"),
                participants=written(conn, "diary_participant"),
                households=written(conn, "household") | set(left),
            )
    finally:
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS temp.derived_participant_left")
        conn.exec_driver_sql("DELETE FROM temp.derived_left")
