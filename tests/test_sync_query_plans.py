"""A station's changes above a counter are a range of ``ix_<table>_changes`` (migration
0024_sync_changes_index), not a scan of every synced table: what an export sends and what 上报与同步
counts as not yet acknowledged (issue 17: the screen took 2.2 s at 100 000 households). Plans depend on
the schema, not the data, so a small workspace shows what 100 000 households do."""

from __future__ import annotations

import re

from db.base import CHANGES_INDEX, synced_models

from app.sync import status
from app.sync.common import local_station

from tests.query_plans import executed_plans
from tests.sync_support import add_demand, add_household, enroll_village, export_one


def _plans(ws, run) -> dict[str, list[str]]:
    """Table → query plan of every statement ``run()`` makes that selects on ``changed_station``."""
    return {
        re.search(r'FROM "?(\w+)"?', statement).group(1): plan
        for statement, plan in executed_plans(ws, run, lambda statement: "changed_station = ?" in statement)
    }


def _assert_ranges(plans: dict[str, list[str]]) -> None:
    tables = {cls.__table__.name for cls in synced_models()}
    assert set(plans) == tables, "every synced table is asked"
    for table, plan in plans.items():
        text = " ".join(plan)
        assert f"{CHANGES_INDEX % table} (changed_station=? AND version>?)" in text, (table, plan)
        assert not re.search(rf"\bSCAN {table}\b", text), (table, plan)
        assert "version<" not in text, ("the refused rows are looked up by id", table, plan)


def test_the_unacknowledged_counts_of_sync_status_are_ranges_of_the_changes_index(village_ws):
    add_demand(village_ws, add_household(village_ws, "王大", ("王小一",)))
    me = local_station(village_ws).id
    counts: dict[str, int] = {}
    plans = _plans(village_ws, lambda: counts.update(status.unacknowledged_counts(village_ws, me, 0)))
    _assert_ranges(plans)
    assert counts["households"] == 1 and counts["persons"] == 2 and counts["demands"] == 1


def test_an_export_selects_its_changes_through_the_changes_index(village_ws, town_ws, tmp_path):
    enroll_village(village_ws, town_ws, tmp_path)
    add_household(village_ws, "李四", ("李小二",))
    stick = tmp_path / "stick"
    stick.mkdir()
    plans = _plans(village_ws, lambda: export_one(village_ws, stick))
    _assert_ranges(plans)
    assert list(stick.iterdir()), "the bundle was written"


def test_the_rows_already_here_are_found_whatever_the_ranges_of_their_ids(tmp_path):
    """An import looks its rows up sorted, a chunk at a time, and skips a chunk whose id range holds
    nothing here: an id between two of ours is new, ours are found in any order and in any chunk, and
    ids that are not all text are looked up one by one (SQLite compares 5 and '10' with a text column as
    text, not in the order Python sorts the numbers)."""
    from sqlalchemy import create_engine

    from app.sync import records

    engine = create_engine(f"sqlite:///{tmp_path / 'plain.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE t (id TEXT PRIMARY KEY, village_code, changed_station, version, base_station, "
            "base_version)"
        )
        ours = [f"a{n:04d}" for n in range(0, 3000, 3)] + ["7"]
        conn.exec_driver_sql("INSERT INTO t VALUES (?, 'v', 's', 1, NULL, NULL)", [(i,) for i in ours])
        new = [f"a{n:04d}" for n in range(1, 3000, 3)]  # each between two of ours
        assert records._local_versions(conn, "t", new) == {}
        asked = list(reversed(new + ours[::7] + ["b0000"]))  # several chunks, not in order
        assert set(records._local_versions(conn, "t", asked)) == set(ours[::7])
        assert set(records._local_versions(conn, "t", [5, 7, 10])) == {"7"}
        found = records._local_versions(conn, "t", [5, "a0003"])
        assert found == {"a0003": ("v", "s", 1, None, None)}
