"""Alembic environment: runs on a connection handed over by ``db.migrate`` (or a new one for dev CLI)."""

from alembic import context
from sqlalchemy import create_engine

import db.models  # noqa: F401  (registers every table)
from db.base import Base

config = context.config
target_metadata = Base.metadata


def include_object(obj, name, type_, reflected, compare_to):
    # FTS5 virtual tables and their shadow tables, and the diary's derived tables (db/diary_derived.py),
    # are created by hand in revisions.
    return not (type_ == "table" and name and (name.startswith(("fts_", "sqlite_", "derived_"))))


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        include_object=include_object,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    import os

    url = os.environ.get("MINQING_AUTOGEN_URL") or config.get_main_option("sqlalchemy.url")
    engine = create_engine(url)
    with engine.connect() as conn:
        _run(conn)
        conn.commit()
