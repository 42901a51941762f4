"""diary: a bigram index beside the trigram one, so two-character words and names are looked up

Revision ID: 0019_diary_name_tokens
Revises: 0018_keycases
Create Date: 2026-12-05 03:00:00

A two-character word (低保) or given name (丁东) makes no trigram: ``fts_diary`` could not look it up,
and a search for a rare one read every entry's text (about half a second at 500 000 entries).
``fts_diary_gram`` holds each entry's pairs of neighbouring Chinese characters or ASCII letters/digits
as tokens, under the entry's key (db/diary_fulltext.py). It is filled from the texts ``fts_diary``
already holds, in key order, in one statement (triggers set aside meanwhile), and the ``fts_diary_*``
triggers are made again from db/diary_fulltext.py so every write keeps both tables. A new database
gets the table from 0004 already (it runs db/diary_fulltext.py's objects); it is filled here alike.
"""

from alembic import op

from db import diary_fulltext
from db.bulk import BULK_HASH_SIZE, FTS5_HASH_SIZE

revision = '0019_diary_name_tokens'
down_revision = '0018_keycases'
branch_labels = None
depends_on = None


def _triggers(grams: bool) -> None:
    conn = op.get_bind()
    names = conn.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND substr(name, 1, 10) = 'fts_diary_'"
    ).scalars().all()
    for name in names:
        op.execute(f'DROP TRIGGER "{name}"')
    for sql in diary_fulltext.triggers(grams=grams):
        op.execute(sql)


def upgrade() -> None:
    conn = op.get_bind()
    _triggers(False)  # nothing writes the index while it is filled
    op.execute("DROP TABLE IF EXISTS fts_diary_gram")
    op.execute(diary_fulltext.GRAM_TABLE)
    op.execute("INSERT INTO fts_diary_gram(fts_diary_gram, rank) VALUES ('automerge', 8)")
    op.execute(f"INSERT INTO fts_diary_gram(fts_diary_gram, rank) VALUES ('hashsize', {BULK_HASH_SIZE})")
    conn.exec_driver_sql(diary_fulltext.grams_of_index_rows("IS NOT NULL"))
    op.execute(f"INSERT INTO fts_diary_gram(fts_diary_gram, rank) VALUES ('hashsize', {FTS5_HASH_SIZE})")
    _triggers(True)


def downgrade() -> None:
    _triggers(False)
    op.execute("DROP TABLE IF EXISTS fts_diary_gram")
