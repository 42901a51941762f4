"""The roster's rows and its sort by 人数 look persons up by household (issue 17): SQLite must not read
them through ix_person_live_status_village (every registered person of the village) for the equality on
status. Plans depend on the schema, not the data, so a small workspace shows what 100 000 households do."""

from __future__ import annotations

import pytest

from db.queries.households import (
    INDEXED_SORTS,
    ROWID,
    RosterFilter,
    _ordered,
    bulk_search_index,
    rebuild_search_text,
    roster_ids,
    roster_rows,
)

from tests.query_plans import executed_plans
from tests.sync_support import add_household


def _plans(ws, run) -> list[tuple[str, list[str]]]:
    """(statement, its query plan) of every SELECT on persons that ``run(session)`` executes."""

    def in_a_session() -> None:
        with ws.session() as s:
            run(s)

    return executed_plans(ws, in_a_session, lambda statement: "FROM person" in statement)


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


@pytest.mark.parametrize("sort", sorted(INDEXED_SORTS))
@pytest.mark.parametrize("descending", [False, True])
def test_a_searchs_walk_of_the_roster_reads_its_sort_index_and_no_household_row(village_ws, sort, descending):
    """A common search walks the roster in its sorted order and asks the search index about each
    household's id (``_fts_walk``). The sort index carries the id and the ties' order (migration 0025), so
    the walk is in the index's order (no temporary sort) and never reads a household's row: in an
    encrypted workspace each row read is a page decrypted, 60–80 ms for a screenful at 100 000 households."""
    ids = [add_household(village_ws, f"王{n}", ("王小一",)) for n in range(3)]
    with village_ws.engine.begin() as conn, bulk_search_index(conn):
        rebuild_search_text(conn, ids)
    for dense in (False, True):
        statement = _ordered(
            [ROWID], RosterFilter(text="王小一"), sort, descending, walk=True, dense=dense
        ).limit(31)
        with village_ws.engine.connect() as conn:
            sql = str(statement.compile(conn, compile_kwargs={"literal_binds": True}))
            plan = " | ".join(r[3] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
            assert (
                f"SCAN household USING INDEX ix_household_live_{sort}" in plan and "TEMP B-TREE" not in plan
            ), plan
            root = conn.exec_driver_sql(
                "SELECT rootpage FROM sqlite_master WHERE name = 'household'"
            ).scalar_one()
            program = conn.exec_driver_sql("EXPLAIN " + sql).all()
            keys = [tuple(r) for r in conn.execute(statement)]
        table_cursors = {op[2] for op in program if op[1] == "OpenRead" and op[3] == root}
        reads = [op for op in program if op[2] in table_cursors and op[1] in ("Column", "Rowid", "SeekRowid")]
        assert not reads, ("the walk reads household rows", sort, reads)
        assert len(keys) == 3
