"""民情台账's count and first page at scale (issue 17): the count comes from the per-day counts
(db/diary_derived.py) and must equal the count of the rows the list shows, whatever the filter; the whole
ledger by date walks the entries in date order instead of sorting every demand."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from sqlalchemy import event, func, select

from db.models import Demand
from db.queries.diary import LedgerFilter, _demand_select, demand_ids, demand_ids_counted, ledger_count

from app.diary import demands, entries

from tests.diary_helpers import NOW, add_cadre, add_household, entry_input


def _ledger(village_ws):
    cadre = add_cadre(village_ws)
    h1, p1, _ = add_household(village_ws, "张三丰", group="一组")
    h2, p2, _ = add_household(village_ws, "李秀英", group="三组")
    with village_ws.work(cadre) as w:
        made = []
        for n, (hid, pid) in enumerate([(h1, p1), (h2, p2)] * 3):
            made.append(
                entries.save_entry(
                    w,
                    entry_input(
                        hid,
                        pid,
                        when=dt.datetime(2024, 1, 5, 9) + dt.timedelta(days=9 * n),
                        demands=[("医疗", f"申请医疗救助{n}"), ("住房", f"危房改造{n}")],
                    ),
                    now=NOW,
                )
            )
        demands.reply_demand(
            w,
            made[0].demands[0].id,
            reply="已报镇民政办",
            replied_on=dt.date(2024, 1, 15),
            replied_by="王建国",
            today=NOW.date(),
        )
        entries.delete_entry(w, made[5].id)  # a deleted entry's demands are in no list
    return cadre, made


def test_the_ledgers_count_is_the_number_of_rows_it_lists_for_every_filter(village_ws):
    cadre, made = _ledger(village_ws)
    filters = [
        LedgerFilter(),
        LedgerFilter(status="待办"),
        LedgerFilter(status="已答复"),
        LedgerFilter(category="住房"),
        LedgerFilter(date_from=dt.date(2024, 1, 20), date_to=dt.date(2024, 2, 1)),
        LedgerFilter(overdue_on=dt.date(2024, 1, 30)),
        LedgerFilter(village_code=village_ws.require_station().code, category="医疗"),
        LedgerFilter(text="危房"),
        LedgerFilter(household_id=made[0].participants[0].household_id),
    ]
    with village_ws.session() as s:
        for f in filters:
            listed = demand_ids(s, f)
            inner = _demand_select([Demand.id], f, "date", True)[0]
            assert (
                ledger_count(s, f)
                == len(listed)
                == s.scalar(select(func.count()).select_from(inner.subquery()))
            ), f
        assert ledger_count(s, LedgerFilter()) == 10  # 12 demands, 2 of them on the deleted entry


def test_a_search_of_the_ledger_is_counted_and_paged_in_one_statement(village_ws, qtbot):
    """A search by words reads every demand it may list: its count and first page come from one statement
    (``demand_ids_counted``), equal to the count and the page asked apart, for every sort, both ways; the
    ledger's model takes them so (one statement on the connection, not two)."""
    from ui.diary.models import LedgerModel

    cadre, made = _ledger(village_ws)
    with village_ws.session() as s:
        for text in ("危房", "医疗救助", "已报镇", "没有的字", "危房 1"):
            for sort in ("date", "status", "category", "due_on", "household", "village"):
                for descending in (True, False):
                    f = LedgerFilter(text=text, date_from=dt.date(2024, 1, 1) if sort == "status" else None)
                    for limit in (3, 100):
                        ids, count = demand_ids_counted(s, f, sort=sort, descending=descending, limit=limit)
                        assert count == ledger_count(s, f), (text, sort)
                        assert ids == demand_ids(s, f, sort=sort, descending=descending, limit=limit), (
                            text,
                            sort,
                        )
        assert (
            demand_ids_counted(s, LedgerFilter(text="危房"), limit=100)[1] == 5
        )  # (one on the deleted entry)
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    model = LedgerModel(village_ws.session)
    event.listen(village_ws.engine, "before_cursor_execute", seen)
    try:
        model.set_filter(LedgerFilter(text="危房"))
    finally:
        event.remove(village_ws.engine, "before_cursor_execute", seen)
    ledger_statements = [st for st in statements if "FROM demand" in st]
    assert len(ledger_statements) == 1 and model.rowCount() == 5, ledger_statements


def test_the_whole_ledger_by_date_walks_the_entries_in_date_order(village_ws):
    _ledger(village_ws)
    plans: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if "FROM demand" in statement and "LIMIT" in statement and not statement.startswith("EXPLAIN"):
            plans.extend(r[3] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))

    event.listen(village_ws.engine, "before_cursor_execute", note)
    try:
        with village_ws.session() as s:
            ids = demand_ids(s, LedgerFilter(), limit=1000)
    finally:
        event.remove(village_ws.engine, "before_cursor_execute", note)
    assert any("ix_diary_entry_live_occurred_at" in p for p in plans), plans
    assert not any(p == "USE TEMP B-TREE FOR ORDER BY" for p in plans), plans
    with village_ws.session() as s:  # the same list as the planner's own order gives (a filter that
        # keeps every row leaves the plan to SQLite)
        inner, order = _demand_select([Demand.id], LedgerFilter(date_from=dt.date(2000, 1, 1)), "date", True)
        assert ids == list(s.scalars(inner.order_by(*order)))


def test_a_search_within_dates_that_hold_much_of_the_diary_reads_every_demand(village_ws, monkeypatch):
    """A search by words within dates: by the share of the entries the dates hold (the per-day counts),
    the entries of the dates are walked in the time index, or every demand is read and those of the
    dates kept (a year at 100 000 households: 4.2 s walking, 0.5 s reading all). Either way the same
    rows, in the same order, and the same count."""
    from db.queries import diary as queries

    _ledger(village_ws)  # five live entries, 5 Jan .. 10 Feb 2024
    monkeypatch.setattr(queries, "SEARCH_ALL_DEMANDS_SHARE", 0.5)
    plans: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if "FROM demand" in statement and "LIMIT" in statement and not statement.startswith("EXPLAIN"):
            plans.append(
                " ".join(r[3] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
            )

    narrow = LedgerFilter(
        text="危房", date_from=dt.date(2024, 1, 1), date_to=dt.date(2024, 1, 10)
    )  # one of five
    wide = LedgerFilter(text="危房", date_from=dt.date(2024, 1, 1), date_to=dt.date(2024, 12, 31))
    event.listen(village_ws.engine, "before_cursor_execute", note)
    try:
        with village_ws.session() as s:
            assert demand_ids_counted(s, narrow, limit=100)[1] == 1
            assert demand_ids_counted(s, wide, limit=100)[1] == 5
    finally:
        event.remove(village_ws.engine, "before_cursor_execute", note)
    assert "ix_diary_entry_live_occurred_at" in plans[0], plans
    assert "ix_diary_entry_live_occurred_at" not in plans[1] and "SCAN demand" in plans[1], plans
    with village_ws.session() as s:
        for f in (
            narrow,
            wide,
            replace(wide, text="医疗救助 1"),
            replace(wide, date_to=None),
            replace(narrow, date_from=None),
        ):
            for sort in ("date", "status", "household", "village"):
                for descending in (True, False):
                    lists = []
                    for walk in (True, False):
                        q, order = _demand_select([Demand.id], f, sort, descending, walk_dates=walk)
                        lists.append(list(s.scalars(q.order_by(*order))))
                    assert lists[0] == lists[1], (f, sort)
                    assert demand_ids(s, f, sort=sort, descending=descending) == lists[0]
                    assert ledger_count(s, f) == len(lists[0])
