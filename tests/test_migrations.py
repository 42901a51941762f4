"""Migrations: empty → head, no drift between models and revisions, older databases upgrade."""

import datetime as dt
import sqlite3

import pytest
from alembic import command
from alembic.util.exc import CommandError
from sqlalchemy import inspect

from db import migrate
from db.engine import make_engine

from app.errors import UserError
from app.workspace import Workspace


def test_upgrade_from_empty_to_head(tmp_path):
    engine = make_engine(tmp_path / "x.db")
    migrate.upgrade(engine, tmp_path / "x.db", tmp_path / "backups")
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert {"household", "person", "user", "station"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_models_and_migrations_have_no_drift(tmp_path):
    engine = make_engine(tmp_path / "x.db")
    migrate.upgrade(engine, tmp_path / "x.db", tmp_path / "backups")
    cfg = migrate.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        try:
            command.check(cfg)
        except CommandError as exc:  # pragma: no cover - the failure message is the point
            pytest.fail(f"models differ from migrations: {exc}")
    engine.dispose()


def _revisions():
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def test_older_database_is_backed_up_and_upgraded(tmp_path):
    """A database stamped at the first revision (as an older program left it) opens and keeps data."""
    db_path = tmp_path / "ws" / "minqing.db"
    db_path.parent.mkdir()
    engine = make_engine(db_path)
    first = _revisions()[0]
    migrate.upgrade(engine, db_path, tmp_path / "ws" / "backups", target=first)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO setting(key, value) VALUES ('marker', '\"kept\"')")
    engine.dispose()
    ws = Workspace.open(db_path.parent, create=False)
    try:
        assert migrate.current_revision(ws.engine) == migrate.head_revision()
        with ws.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT value FROM setting WHERE key='marker'").scalar() == '"kept"'
    finally:
        ws.close()
    if first != migrate.head_revision():
        assert list((db_path.parent / "backups").glob("*.db"))


def test_database_newer_than_program_is_refused_and_left_alone(tmp_path):
    ws = Workspace.open(tmp_path / "ws")
    ws.close()
    db_path = tmp_path / "ws" / "minqing.db"
    con = sqlite3.connect(db_path)
    con.execute("UPDATE alembic_version SET version_num='9999_from_the_future'")
    con.commit()
    con.close()
    before = db_path.read_bytes()
    with pytest.raises(UserError, match="更新版本"):
        Workspace.open(tmp_path / "ws", create=False)
    assert db_path.read_bytes() == before


def test_the_diary_index_is_rebuilt_without_positions_and_keeps_every_row(village_ws):
    """0008 rebuilds fts_diary (detail=none) and back: the same rows under the same keys, the
    triggers still on, the searches finding the same entries."""
    from db.queries.diary import DiaryFilter, diary_entry_ids

    from app.diary import entries

    from tests.diary_helpers import NOW, add_cadre, add_household, entry_input

    def index(ws):
        with ws.engine.connect() as c:
            return (
                c.exec_driver_sql(
                    "SELECT rowid, body, people, demands FROM fts_diary ORDER BY rowid"
                ).fetchall(),
                c.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'fts_diary'").scalar(),
            )

    def search(ws, text):
        with ws.session() as s:
            return diary_entry_ids(s, DiaryFilter(text=text))

    ws = village_ws
    cadre = add_cadre(ws)
    hid, pid, _ = add_household(ws, "欧阳修远")
    with ws.work(cadre) as w:
        for n, situation in enumerate(("屋顶漏雨需要修缮", "院墙倒塌", "申请低保户补助")):
            entries.save_entry(
                w, entry_input(hid, pid, situation=situation, when=NOW - dt.timedelta(days=n)), now=NOW
            )
    rows, sql = index(ws)
    assert len(rows) == 3 and "detail=none" in sql
    found = search(ws, "低保户补助")
    assert len(found) == 1
    cfg = migrate.alembic_config()
    with ws.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0007_attachment_content")
    old_rows, old_sql = index(ws)
    assert old_rows == rows and "detail" not in old_sql
    ws.close()
    ws = Workspace.open(village_ws.root, create=False)  # upgrades again
    try:
        assert index(ws) == (rows, sql)
        assert search(ws, "低保户补助") == found and len(search(ws, "欧阳修远")) == 3
        with ws.work(cadre) as w:  # the triggers are back
            entries.save_entry(
                w, entry_input(hid, pid, situation="自来水管冻裂", when=NOW - dt.timedelta(days=5)), now=NOW
            )
        assert len(search(ws, "自来水管冻裂")) == 1
    finally:
        ws.close()


def test_a_new_database_gets_16k_pages_and_an_older_one_keeps_its_own(tmp_path):
    from db.engine import PAGE_SIZE

    ws = Workspace.open(tmp_path / "new")
    with ws.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA page_size").scalar() == PAGE_SIZE == 16384
    ws.close()
    (tmp_path / "old").mkdir()
    con = sqlite3.connect(tmp_path / "old" / "minqing.db")  # as an older program made it
    con.execute("PRAGMA page_size=4096")
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE marker (x)")
    con.close()
    ws = Workspace.open(tmp_path / "old", create=False)
    try:
        with ws.engine.connect() as c:
            assert c.exec_driver_sql("PRAGMA page_size").scalar() == 4096
            assert migrate.current_revision(ws.engine) == migrate.head_revision()
    finally:
        ws.close()


def test_the_households_plain_name_and_group_indexes_are_gone_and_their_queries_use_the_live_ones(village_ws):
    """0009 drops ix_household_head_name and ix_household_group_name (and puts them back going down):
    the queries of those columns all ask for live households and are answered by the partial indexes."""
    from sqlalchemy import select

    from db.models import Household
    from db.queries.households import RosterFilter, _ordered

    def indexes(ws) -> set[str]:
        with ws.engine.connect() as c:
            return {
                r[0]
                for r in c.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'household'"
                )
            }

    def plan(ws, stmt) -> str:
        with ws.engine.connect() as c:
            compiled = stmt.compile(c, compile_kwargs={"literal_binds": True})
            return " | ".join(r[-1] for r in c.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))

    ws = village_ws
    assert not {"ix_household_head_name", "ix_household_group_name"} & indexes(ws)
    groups = (
        select(Household.group_name)
        .where(Household.deleted_at.is_(None), Household.group_name != "")
        .distinct()
    )
    assert "ix_household_live_group_name" in plan(ws, groups)
    for sort in ("head_name", "group_name"):
        roster = _ordered([Household.id], RosterFilter(), sort, False)
        assert f"ix_household_live_{sort}" in plan(ws, roster) and "TEMP B-TREE" not in plan(ws, roster)
    cfg = migrate.alembic_config()
    with ws.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0008_diary_index_detail")
    assert {"ix_household_head_name", "ix_household_group_name"} <= indexes(ws)
    ws.close()
    ws = Workspace.open(village_ws.root, create=False)  # upgrades again
    try:
        assert not {"ix_household_head_name", "ix_household_group_name"} & indexes(ws)
    finally:
        ws.close()
