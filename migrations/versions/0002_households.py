"""households: roster search (FTS5 trigram over Household.search_text) and partial roster indexes

Revision ID: 0002_households
Revises: 0004_diary
Create Date: 2026-11-22 00:05:20.690605

``fts_household`` indexes ``household.search_text`` with the trigram tokenizer (Chinese without a
segmenter). Its rowids are kept in ``fts_household_key`` (household id → rowid) rather than taken from
the household table's implicit rowid, which VACUUM may renumber. Triggers keep both in step with every
write, ORM or Core, including the sync importer's.
"""

from alembic import op
import sqlalchemy as sa


revision = '0002_households'
down_revision = '0004_diary'
branch_labels = None
depends_on = None


FTS_SQL = [
    # bulk = 1 inside one bulk transaction (demo data, roster import): the triggers stand aside and the
    # writer indexes the new rows in one statement (FTS5 flushes per statement when fed row by row).
    "CREATE TABLE fts_household_control (bulk INTEGER NOT NULL)",
    "INSERT INTO fts_household_control (bulk) VALUES (0)",
    "CREATE TABLE fts_household_key (rowid INTEGER PRIMARY KEY, household_id VARCHAR(36) NOT NULL UNIQUE)",
    "CREATE VIRTUAL TABLE fts_household USING fts5(text, tokenize='trigram')",
    """CREATE TRIGGER fts_household_ai AFTER INSERT ON household
       WHEN (SELECT bulk FROM fts_household_control) = 0 BEGIN
         INSERT INTO fts_household_key(household_id) VALUES (new.id);
         INSERT INTO fts_household(rowid, text) VALUES (last_insert_rowid(), new.search_text);
       END""",
    """CREATE TRIGGER fts_household_au AFTER UPDATE OF search_text ON household
       WHEN new.search_text IS NOT old.search_text AND (SELECT bulk FROM fts_household_control) = 0 BEGIN
         UPDATE fts_household SET text = new.search_text
          WHERE rowid = (SELECT rowid FROM fts_household_key WHERE household_id = new.id);
       END""",
    # Households are soft-deleted; a hard delete only happens in an audited privacy purge.
    """CREATE TRIGGER fts_household_ad AFTER DELETE ON household BEGIN
         DELETE FROM fts_household WHERE rowid = (SELECT rowid FROM fts_household_key WHERE household_id = old.id);
         DELETE FROM fts_household_key WHERE household_id = old.id;
       END""",
    """INSERT INTO fts_household_key(household_id) SELECT id FROM household""",
    """INSERT INTO fts_household(rowid, text)
       SELECT k.rowid, h.search_text FROM fts_household_key k JOIN household h ON h.id = k.household_id""",
]


def upgrade() -> None:
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.create_index('ix_household_live_address', ['address', 'head_name'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_household_live_card_delivered_on', ['card_delivered_on', 'head_name'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_household_live_group_name', ['group_name', 'head_name'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_household_live_head_name', ['head_name'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_household_live_household_no', ['household_no', 'head_name'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_household_live_phones', ['phones', 'head_name'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))

    for sql in FTS_SQL:
        op.execute(sql)


def downgrade() -> None:
    for name in ("fts_household_ai", "fts_household_au", "fts_household_ad"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS fts_household")
    op.execute("DROP TABLE IF EXISTS fts_household_key")
    op.execute("DROP TABLE IF EXISTS fts_household_control")
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.drop_index('ix_household_live_phones', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_household_live_household_no', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_household_live_head_name', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_household_live_group_name', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_household_live_card_delivered_on', sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_household_live_address', sqlite_where=sa.text('deleted_at IS NULL'))

