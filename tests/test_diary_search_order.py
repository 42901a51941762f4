"""Full-text search in date order: the index key follows the visit's time, so the newest matches come first."""

import datetime as dt

import pytest

from db.queries.diary import DiaryFilter, diary_entry_count, diary_entry_ids, diary_query

from app.diary import entries

from tests.diary_helpers import NOW, add_cadre, add_household, entry_input


@pytest.fixture
def visits(village_ws):
    """60 visits about 危房改造 on distinct days and times, and 5 about something else."""
    cadre = add_cadre(village_ws)
    hid, pid, _ = add_household(village_ws, "张三丰")
    start = dt.datetime(2023, 6, 1, 9)
    ids = {}
    with village_ws.work(cadre) as w:
        for i in range(60):
            when = start + dt.timedelta(days=(i * 37) % 60, hours=i % 5)  # written out of date order
            e = entries.save_entry(
                w, entry_input(hid, pid, when=when, situation=f"房屋漏雨，申请危房改造第{i}次"), now=NOW
            )
            ids[e.id] = when
        for i in range(5):
            entries.save_entry(
                w,
                entry_input(hid, pid, when=start + dt.timedelta(days=70 + i), situation="孩子上学路远"),
                now=NOW,
            )
    return village_ws, cadre, hid, pid, ids


def _newest_first(ids, n=None):
    return sorted(ids, key=lambda i: ids[i], reverse=True)[:n]


def test_search_returns_the_newest_fifty_in_date_order(visits):
    ws, *_, ids = visits
    with ws.session() as s:
        assert diary_entry_ids(s, DiaryFilter(text="危房改造"), limit=50) == _newest_first(ids, 50)
        assert (
            diary_entry_ids(s, DiaryFilter(text="危房改造"), descending=False, limit=3)
            == _newest_first(ids)[::-1][:3]
        )
        # a two-character word (scanned, not looked up) comes in the same order
        assert diary_entry_ids(s, DiaryFilter(text="漏雨"), limit=50) == _newest_first(ids, 50)
        assert diary_entry_count(s, DiaryFilter(text="漏雨")) == 60
        assert diary_entry_count(s, DiaryFilter(text="上学路远")) == 5


def test_search_within_dates_keeps_the_range_and_the_order(visits):
    ws, *_, ids = visits
    f = DiaryFilter(text="危房改造", date_from=dt.date(2023, 6, 10), date_to=dt.date(2023, 6, 20))
    inside = {i: w for i, w in ids.items() if dt.date(2023, 6, 10) <= w.date() <= dt.date(2023, 6, 20)}
    with ws.session() as s:
        assert diary_entry_ids(s, f) == _newest_first(inside)
        assert diary_entry_count(s, f) == len(inside) == 11
        f.text = "漏雨"
        assert diary_entry_ids(s, f, limit=4) == _newest_first(inside, 4)


@pytest.mark.parametrize("sort", ["village", "kind", "place", "cadre"])
@pytest.mark.parametrize("descending", [True, False])
def test_a_search_within_dates_in_another_order_holds_the_same_entries(visits, sort, descending):
    """Sorted by another column (a town's 村), a search reads only the index's range of the dates (its
    rowids follow the visits' times) and lists the same entries as the sort in time order; the days at
    the range's two ends are in it."""
    ws, *_, ids = visits
    for text in ("危房改造", "漏雨"):
        f = DiaryFilter(text=text, date_from=dt.date(2023, 6, 10), date_to=dt.date(2023, 6, 20))
        inside = {i for i, w in ids.items() if dt.date(2023, 6, 10) <= w.date() <= dt.date(2023, 6, 20)}
        with ws.session() as s:
            listed = diary_entry_ids(s, f, sort=sort, descending=descending)
            assert sorted(listed) == sorted(inside) and len(listed) == 11
            edges = {w.date() for i, w in ids.items() if i in listed}
            assert {dt.date(2023, 6, 10), dt.date(2023, 6, 20)} <= edges
            assert sorted(diary_entry_ids(s, DiaryFilter(text=text), sort=sort)) == sorted(ids)
        sql = str(diary_query(f, sort=sort).compile(ws.engine, compile_kwargs={"literal_binds": True}))
        index = "fts_diary_gram" if len(text) == 2 else "fts_diary"
        assert f"{index}.rowid >= " in sql and f"{index}.rowid < " in sql, (
            sql
        )  # the dates' range of the index


def test_moving_a_visit_to_another_day_moves_it_in_the_search(visits):
    ws, cadre, hid, pid, ids = visits
    oldest = _newest_first(ids)[-1]
    later = dt.datetime(2023, 9, 1, 10)
    with ws.work(cadre) as w:
        entries.save_entry(
            w,
            entry_input(hid, pid, when=later, situation="房屋漏雨，申请危房改造（改期）"),
            entry_id=oldest,
            now=NOW,
        )
    with ws.session() as s:
        assert diary_entry_ids(s, DiaryFilter(text="危房改造"), limit=2)[0] == oldest
        assert diary_entry_ids(s, DiaryFilter(text="改期")) == [oldest]
        assert diary_entry_count(s, DiaryFilter(text="危房改造")) == 60
