"""The diary demo step: a realistic history whose full-text index is what the triggers would write."""

import datetime as dt

from sqlalchemy import func, select, text

from db.models import Demand, DiaryEntry
from db.queries.diary import DiaryFilter, diary_entry_ids

import app.demo as demo_module
from app import demo


def _index(conn):
    rows = conn.execute(
        text(
            "SELECT m.entry_id, m.k, f.body, f.people, f.demands FROM fts_diary f "
            "JOIN fts_diary_map m ON m.k = f.rowid"
        )
    ).all()
    # group_concat has no fixed order: compare the people's and the demands' words as sorted lists
    return {r[0]: (r[1], r[2], sorted(r[3].split()), sorted(r[4].split())) for r in rows}


def test_demo_diary_index_matches_what_the_triggers_write(tmp_path, monkeypatch):
    monkeypatch.setattr(demo_module, "DEMO_STEPS", ("app.diary.demo:generate",))
    ws = demo.ensure_demo_station(tmp_path / "demo")
    try:
        made = demo.run(ws, households=40, seed=3, today=dt.date(2024, 6, 30))
        assert made["diary_entries"] > 100 and made["demands"] > 10
        with ws.engine.begin() as conn:
            entries = conn.scalar(select(func.count()).select_from(DiaryEntry))
            written = _index(conn)
            assert len(written) == entries
            # let the triggers rebuild every row (an UPDATE OF a text column refreshes the entry's row)
            conn.execute(text("UPDATE diary_entry SET place = place"))
            assert _index(conn) == written
            # the keys follow the visit times
            times = list(
                conn.scalars(
                    text(
                        "SELECT e.occurred_at FROM fts_diary_map m JOIN diary_entry e "
                        "ON e.id = m.entry_id ORDER BY m.k DESC"
                    )
                )
            )
            assert len(times) == entries and times == sorted(times, reverse=True)
        with ws.session() as s:
            content = s.scalar(select(Demand.content).limit(1))
            hits = diary_entry_ids(s, DiaryFilter(text=content))
            assert hits and set(hits) >= set(
                s.scalars(select(Demand.entry_id).where(Demand.content == content))
            )
    finally:
        ws.close()


def _gram_docs(conn):
    """Each bigram token of ``fts_diary_gram`` with the index keys that hold it."""
    conn.exec_driver_sql(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.gram_docs USING fts5vocab(main, fts_diary_gram, 'instance')"
    )
    held = sorted(conn.exec_driver_sql("SELECT term, doc FROM temp.gram_docs").fetchall())
    conn.exec_driver_sql("DROP TABLE temp.gram_docs")
    return held


def test_the_demo_s_one_index_pass_and_bulk_batches_equal_a_rebuild(tmp_path, monkeypatch):
    """The diary step writes its batches with the index triggers set aside and indexes every entry in one
    ordered pass after the last (issue 17: a 100 000-household demo). Both full-text tables, their keys
    and the derived data then equal what the triggers and a from-scratch fill make of the same rows; no
    entry is left on the list of entries to index."""
    from db import diary_derived

    from app.diary import demo as diary_demo

    from tests.test_diary_bigram_search import index_agrees_with_text
    from tests.test_diary_derived import assert_derived_matches, stored

    monkeypatch.setattr(diary_demo, "BATCH_HOUSEHOLDS", 7)  # several batches, each its own transaction
    ws = demo.ensure_demo_station(tmp_path / "demo")
    try:
        made = demo.run(ws, households=30, seed=4, today=dt.date(2024, 6, 30), steps=["diary"])
        assert made["diary_entries"] > 100
        assert index_agrees_with_text(ws) > 100
        assert_derived_matches(ws)
        with ws.engine.begin() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM fts_diary_pending").scalar_one() == 0
            index, grams, derived = _index(conn), _gram_docs(conn), stored(conn)
            assert len(index) == made["diary_entries"]
            # the triggers write every entry's rows anew (same keys: the visit times did not change)
            conn.execute(text("UPDATE diary_entry SET place = place"))
            assert _index(conn) == index
            assert _gram_docs(conn) == grams
            # the derived tables dropped and filled from the diary as the migration does
            for sql in diary_derived.DROPS:
                conn.exec_driver_sql(sql)
            diary_derived.create(conn)
            assert stored(conn) == derived
    finally:
        ws.close()
