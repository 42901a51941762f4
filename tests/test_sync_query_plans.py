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
