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
