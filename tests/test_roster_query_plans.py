"""The roster's rows and its sort by 人数 look persons up by household (issue 17): SQLite must not read
them through ix_person_live_status_village (every registered person of the village) for the equality on
status. Plans depend on the schema, not the data, so a small workspace shows what 100 000 households do."""

from __future__ import annotations

from sqlalchemy import event

from db.queries.households import RosterFilter, roster_ids, roster_rows

from tests.sync_support import add_household


def _plans(ws, run) -> list[tuple[str, list[str]]]:
    """(statement, its query plan) of every SELECT on persons that ``run(session)`` executes."""
    seen: list[tuple[str, tuple]] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if "FROM person" in statement and statement.lstrip().startswith("SELECT"):
            seen.append((statement, tuple(parameters)))

    event.listen(ws.engine, "before_cursor_execute", note)
    try:
        with ws.session() as s:
            run(s)
            return [
                (st, [r[3] for r in s.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + st, p)])
                for st, p in seen
            ]
    finally:
        event.remove(ws.engine, "before_cursor_execute", note)


def test_the_rows_of_a_roster_page_count_members_by_household(village_ws):
    for n in range(3):
        add_household(village_ws, f"王{n}", ("王小一",))
    plans = _plans(village_ws, lambda s: roster_rows(s, roster_ids(s, RosterFilter())))
    assert plans, "the rows count the members of their households"
    for statement, plan in plans:
        text = " ".join(plan)
        assert "ix_person_household_id" in text and "ix_person_live_status_village" not in text, (
            statement,
            plan,
        )


def test_the_sort_by_members_counts_by_household(village_ws):
    add_household(village_ws, "李四")
    plans = _plans(village_ws, lambda s: roster_ids(s, RosterFilter(), sort="members"))
    assert plans
    for statement, plan in plans:
        assert "ix_person_live_status_village" not in " ".join(plan), (statement, plan)
