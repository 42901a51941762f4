"""Screens that were slow at 100 000 households because SQLite took the wrong index (issue 17, worst
cases): a village's own code is on every row of a village station, yet without statistics SQLite takes
an equality on ``village_code`` for a narrow one. Each test reads the plan of what the screen runs; plans
depend on the schema, not the data, so a small workspace shows what 100 000 households do.

Measured on the 100 000-household demo (python -m app demo --households 100000): 为民实事's detail of a
project 216 ms → 3 ms (the screen opened in 0.85 s, now 0.07 s), the roster's list of contact cadres
150 ms → 0.1 ms, 统计报表's 办结 per month 260 ms → 46 ms."""

from __future__ import annotations

import datetime as dt

import pytest

from db.queries.households import cadres_in_use
from db.queries.projects import demand_picks

from app import reports
from app.workspace import Workspace

from tests.conftest import ADMIN
from tests.query_plans import executed_plans
from tests.sync_support import add_demand, add_household


def _plans_in_session(ws: Workspace, run, keep) -> list[tuple[str, list[str]]]:
    def in_a_session() -> None:
        with ws.session() as s:
            run(s)

    return executed_plans(ws, in_a_session, keep)


def test_a_projects_demands_are_found_by_their_ids_not_by_the_village(village_ws):
    """为民实事's detail lists the demands a project answers: a handful of ids of one village (with two,
    SQLite took them by id already; with six, as in the demo's projects, it walked the village)."""
    ids = [f"demand-{n}" for n in range(6)]
    plans = _plans_in_session(
        village_ws,
        lambda s: demand_picks(s, "370681101201", ids=ids, limit=len(ids)),
        lambda statement: "FROM demand" in statement,
    )
    assert plans
    for statement, plan in plans:
        text = " ".join(plan)
        assert "SEARCH demand USING INDEX sqlite_autoindex_demand_1 (id=?)" in text, (statement, plan)
        assert "ix_demand_village_code" not in text, (statement, plan)


def test_a_projects_demands_are_still_of_its_village_only(village_ws):
    """The village is still checked (as an expression): a demand of another village is not listed."""
    demand_id = add_demand(village_ws, add_household(village_ws, "王五"))
    with village_ws.session() as s:
        assert [p.id for p in demand_picks(s, "370681101201", ids=[demand_id], limit=1)] == [demand_id]
        assert demand_picks(s, "370681101202", ids=[demand_id], limit=1) == []


def test_the_contact_cadres_in_use_are_asked_of_each_account(village_ws):
    """The roster's 联系干部 filter at a village station (every household): each account answered by one
    look into the index by cadre, never a walk through every household's assignment."""
    plans = _plans_in_session(village_ws, lambda s: cadres_in_use(s), lambda st: "cadre_assignment" in st)
    assert plans
    for statement, plan in plans:
        text = " ".join(plan)
        assert "SCAN cadre_assignment" not in text, (statement, plan)
        assert "SEARCH cadre_assignment EXISTS USING INDEX ix_cadre_assignment_cadre_id" in text, plan


def test_the_contact_cadres_of_one_village_at_a_town_are_that_villages_assignments(town_ws):
    """At a town with a village chosen: that village's current assignments, found by village (a few
    thousand of the town's), not every account asked about every village."""
    plans = _plans_in_session(
        town_ws, lambda s: cadres_in_use(s, "370681101201"), lambda st: "cadre_assignment" in st
    )
    assert plans
    for statement, plan in plans:
        text = " ".join(plan)
        assert "SEARCH cadre_assignment USING" in text and "(village_code=?)" in text, (statement, plan)
        assert "SCAN cadre_assignment" not in text, (statement, plan)


def test_the_years_closed_demands_are_counted_from_one_index(village_ws, village_admin):
    """统计报表's 诉求听取与办结: the demands closed in each month, from a range of the index."""

    def charts() -> None:
        with village_ws.work(village_admin) as w:
            reports.year_charts(w, 2024)

    plans = executed_plans(village_ws, charts, lambda st: "closed_on" in st and "FROM demand" in st)
    assert plans
    for statement, plan in plans:
        assert (
            "SEARCH demand USING COVERING INDEX ix_demand_status_closed (status=? AND closed_on>? AND closed_on<?)"
            in plan
        ), (statement, plan)


@pytest.mark.parametrize("descending", [True, False])
@pytest.mark.parametrize("dates", [False, True])
@pytest.mark.parametrize("text", ["", "危房改造", "低保"])
def test_a_towns_diary_list_by_village_walks_the_village_index(village_ws, descending, dates, text):
    """At a town the diary list has a 村 column and opens sorted by it, descending (village, then newest
    first), over the last three months. Both directions, with and without dates, read
    ``ix_diary_entry_live_village`` in its order: descending nothing is sorted; ascending SQLite sorts
    only each village's entries, as it reaches them (``LAST 2 TERMS``), never all of them. Measured at a
    town of 30 villages (151 000 entries), the first screen: descending over three months 714 ms → 0.3 ms,
    ascending 2.9 s → 2.8 ms; without the village range and with the dates as search keys SQLite took
    the time index and sorted every entry. A search too: its matches (within the dates) are a set made
    once, which each entry of the walk is asked about; looked up one by one and sorted, a common word took
    130-300 ms at that town, walked 8-140 ms (a rare one 15)."""
    from db.queries.diary import DiaryFilter, diary_entry_ids

    f = DiaryFilter(date_from=dt.date(2024, 9, 5), date_to=dt.date(2024, 12, 4)) if dates else DiaryFilter()
    f.text = text
    plans = _plans_in_session(
        village_ws,
        lambda s: diary_entry_ids(s, f, sort="village", descending=descending, limit=50),
        lambda st: "FROM diary_entry" in st and "ORDER BY" in st,
    )
    assert plans
    for statement, plan in plans:
        text = " ".join(plan)
        assert "ix_diary_entry_live_village" in text, (statement, plan)
        if descending:
            assert "TEMP B-TREE" not in text, (statement, plan)
        else:
            assert "USE TEMP B-TREE FOR LAST 2 TERMS OF ORDER BY" in text, (statement, plan)


def test_a_towns_diary_list_by_village_is_in_village_then_time_order(two_villages):
    """The same list's rows, page by page in both directions and with dates, are the town's live entries
    in 村 order, newest first within each village (ties by id), as sorting them here gives."""
    from sqlalchemy import select

    from db.models import DiaryEntry
    from db.queries.diary import DiaryFilter, diary_entry_ids

    town = Workspace.open(two_villages["town"], create=False, credentials=ADMIN)
    try:
        with town.session() as s:
            rows = s.execute(
                select(DiaryEntry.id, DiaryEntry.village_code, DiaryEntry.occurred_at).where(
                    DiaryEntry.deleted_at.is_(None)
                )
            ).all()
            assert len({r.village_code for r in rows}) == 2 and len(rows) > 20
            days = sorted(r.occurred_at.date() for r in rows)
            middle = (days[len(days) // 4], days[3 * len(days) // 4])
            for f in (
                DiaryFilter(),
                DiaryFilter(date_from=middle[0], date_to=middle[1]),
                DiaryFilter(text="低保"),
                DiaryFilter(text="低保", date_from=middle[0], date_to=middle[1]),
            ):
                found = set(diary_entry_ids(s, f)) if f.text else None  # the search in time order
                chosen = [
                    r
                    for r in rows
                    if (f.date_from is None or f.date_from <= r.occurred_at.date() <= f.date_to)  # type: ignore[operator]
                    and (found is None or r.id in found)
                ]
                assert chosen or not f.text
                for descending in (True, False):
                    newest = sorted(chosen, key=lambda r: (r.occurred_at, r.id), reverse=True)
                    expected = [
                        r.id for r in sorted(newest, key=lambda r: r.village_code, reverse=descending)
                    ]
                    pages = [
                        diary_entry_ids(s, f, sort="village", descending=descending, limit=7, offset=n)
                        for n in range(0, len(expected), 7)
                    ]
                    assert [i for page in pages for i in page] == expected, (f, descending)
    finally:
        town.close()


@pytest.mark.parametrize("descending", [True, False])
def test_a_towns_ledger_by_village_walks_the_village_index(village_ws, descending):
    """At a town 民情台账 opens sorted by 村: its demands are read in village order from
    ``ix_demand_village_code`` and only each village's are sorted (``LAST 2 TERMS``), never all of them
    (30 villages, 171 000 demands: the first screen 230 ms → 10 ms)."""
    from db.queries.diary import demand_ids

    plans = _plans_in_session(
        village_ws,
        lambda s: demand_ids(s, sort="village", descending=descending, limit=50),
        lambda st: "FROM demand" in st and "ORDER BY" in st,
    )
    assert plans
    for statement, plan in plans:
        text = " ".join(plan)
        assert "ix_demand_village_code" in text, (statement, plan)
        assert "USE TEMP B-TREE FOR LAST 2 TERMS OF ORDER BY" in text, (statement, plan)


def test_a_towns_ledger_by_village_is_in_village_then_time_order(two_villages):
    """The ledger's demands by 村, page by page in both directions, are the town's live demands in
    village order, newest entry first within each (ties by the demand's id), as sorting them here gives."""
    from sqlalchemy import select

    from db.models import Demand, DiaryEntry
    from db.queries.diary import demand_ids

    town = Workspace.open(two_villages["town"], create=False, credentials=ADMIN)
    try:
        with town.session() as s:
            rows = s.execute(
                select(Demand.id, Demand.village_code, DiaryEntry.occurred_at)
                .join(DiaryEntry, DiaryEntry.id == Demand.entry_id)
                .where(Demand.deleted_at.is_(None), DiaryEntry.deleted_at.is_(None))
            ).all()
            assert len({r.village_code for r in rows}) == 2 and len(rows) > 10
            for descending in (True, False):
                by_time = sorted(sorted(rows, key=lambda r: r.id), key=lambda r: r.occurred_at, reverse=True)
                expected = [r.id for r in sorted(by_time, key=lambda r: r.village_code, reverse=descending)]
                pages = [
                    demand_ids(s, sort="village", descending=descending, limit=5, offset=n)
                    for n in range(0, len(expected), 5)
                ]
                assert [i for page in pages for i in page] == expected, descending
    finally:
        town.close()
