"""Migrations: empty → head, no drift between models and revisions, older databases upgrade."""

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
