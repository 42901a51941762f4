"""diary: entries, demands, acknowledgements, must-visit events, full-text index

Revision ID: 0004_diary
Revises: 0005_mediation
Create Date: 2026-11-22 00:06:08.205967
"""

from alembic import op
import sqlalchemy as sa


revision = '0004_diary'
down_revision = '0005_mediation'
branch_labels = None
depends_on = None


# -- full-text index (FTS5, trigram: Chinese needs no word segmenter) --------------------------------
# fts_diary_map gives every entry a stable integer key k (the entry's own rowid may change on VACUUM);
# fts_diary holds one row per live entry (rowid = k): its texts, the names of the people met, its demands.
# k orders by the visit's time: k = unix seconds of occurred_at * 1 000 000 + a counter within that second,
# so "newest matches first" is FTS5's own rowid order and a date range is a rowid range: a search for the
# top 50 reads 50 matches, never all of them (db/queries/diary.py). A changed occurred_at gives a new k.
# Triggers keep it in step with entries, demands, participants, amendments and renamed persons, so
# entries written by any path (forms, bulk demo inserts, bundles from other stations) are searchable.

KEY_SLOT = 1_000_000  # keys per second of occurred_at


def _new_key(when: str) -> str:
    """SQL for a free key in the second of ``when`` (a diary_entry.occurred_at value)."""
    base = f"(CAST(strftime('%s', {when}) AS INTEGER) * {KEY_SLOT})"
    return (f"coalesce((SELECT max(k) + 1 FROM fts_diary_map WHERE k >= {base} AND k < {base} + {KEY_SLOT}),"
            f" {base})")


def _refresh(where_entry: str) -> str:
    """SQL that rebuilds the index rows of the entries whose id satisfies ``<id> {where_entry}``."""
    return f"""
    DELETE FROM fts_diary WHERE rowid IN (SELECT m.k FROM fts_diary_map m WHERE m.entry_id {where_entry});
    INSERT INTO fts_diary(rowid, body, people, demands)
    SELECT m.k,
      e.place || ' ' || e.companions || ' ' || e.situation || ' ' || e.difficulties || ' ' || e.actions
        || ' ' || e.follow_up
        || coalesce(' ' || (SELECT group_concat(a.text, ' ') FROM diary_amendment a
                             WHERE a.entry_id = e.id AND a.deleted_at IS NULL), ''),
      coalesce((SELECT group_concat(coalesce(p.name || ' ', '') || h.head_name, ' ')
                  FROM diary_participant dp JOIN household h ON h.id = dp.household_id
                  LEFT JOIN person p ON p.id = dp.person_id
                 WHERE dp.entry_id = e.id AND dp.deleted_at IS NULL), ''),
      coalesce((SELECT group_concat(d.content || ' ' || d.handling || ' ' || d.reply, ' ')
                  FROM demand d WHERE d.entry_id = e.id AND d.deleted_at IS NULL), '')
    FROM diary_entry e JOIN fts_diary_map m ON m.entry_id = e.id
    WHERE e.deleted_at IS NULL AND e.id {where_entry};
    """


ENTRY_TEXT_COLUMNS = "place, companions, situation, difficulties, actions, follow_up, deleted_at"

FTS_OBJECTS = [
    "CREATE TABLE fts_diary_map (k INTEGER PRIMARY KEY, entry_id VARCHAR(36) NOT NULL UNIQUE)",
    "CREATE VIRTUAL TABLE fts_diary USING fts5(body, people, demands, tokenize='trigram')",
    f"""CREATE TRIGGER fts_diary_entry_ai AFTER INSERT ON diary_entry BEGIN
        INSERT OR IGNORE INTO fts_diary_map(k, entry_id) VALUES ({_new_key("new.occurred_at")}, new.id);
        {_refresh("= new.id")}
    END""",
    f"""CREATE TRIGGER fts_diary_entry_au AFTER UPDATE OF {ENTRY_TEXT_COLUMNS} ON diary_entry BEGIN
        {_refresh("= new.id")}
    END""",
    f"""CREATE TRIGGER fts_diary_entry_rekey AFTER UPDATE OF occurred_at ON diary_entry
        WHEN new.occurred_at IS NOT old.occurred_at BEGIN
        DELETE FROM fts_diary WHERE rowid = (SELECT k FROM fts_diary_map WHERE entry_id = old.id);
        DELETE FROM fts_diary_map WHERE entry_id = old.id;
        INSERT INTO fts_diary_map(k, entry_id) VALUES ({_new_key("new.occurred_at")}, new.id);
        {_refresh("= new.id")}
    END""",
    """CREATE TRIGGER fts_diary_entry_ad AFTER DELETE ON diary_entry BEGIN
        DELETE FROM fts_diary WHERE rowid = (SELECT k FROM fts_diary_map WHERE entry_id = old.id);
        DELETE FROM fts_diary_map WHERE entry_id = old.id;
    END""",
]
for table, columns in (("demand", "content, handling, reply, deleted_at"),
                       ("diary_participant", "person_id, household_id, deleted_at"),
                       ("diary_amendment", "text, deleted_at")):
    FTS_OBJECTS += [
        f"CREATE TRIGGER fts_diary_{table}_ai AFTER INSERT ON {table} BEGIN {_refresh('= new.entry_id')} END",
        f"CREATE TRIGGER fts_diary_{table}_au AFTER UPDATE OF {columns} ON {table} BEGIN {_refresh('= new.entry_id')} END",
        f"CREATE TRIGGER fts_diary_{table}_ad AFTER DELETE ON {table} BEGIN {_refresh('= old.entry_id')} END",
    ]
FTS_OBJECTS += [
    f"""CREATE TRIGGER fts_diary_person_au AFTER UPDATE OF name ON person BEGIN
        {_refresh("IN (SELECT dp.entry_id FROM diary_participant dp WHERE dp.person_id = new.id)")}
    END""",
    f"""CREATE TRIGGER fts_diary_household_au AFTER UPDATE OF head_name ON household BEGIN
        {_refresh("IN (SELECT dp.entry_id FROM diary_participant dp WHERE dp.household_id = new.id)")}
    END""",
]
FTS_DROPS = [
    "DROP TRIGGER IF EXISTS fts_diary_household_au",
    "DROP TRIGGER IF EXISTS fts_diary_person_au",
    "DROP TRIGGER IF EXISTS fts_diary_entry_rekey",
    *[f"DROP TRIGGER IF EXISTS fts_diary_{t}_{w}" for t in ("demand", "diary_participant", "diary_amendment", "entry")
      for w in ("ai", "au", "ad")],
    "DROP TABLE IF EXISTS fts_diary",
    "DROP TABLE IF EXISTS fts_diary_map",
]


def upgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table('diary_entry',
    sa.Column('cadre_id', sa.String(length=36), nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('companions', sa.String(length=200), nullable=False),
    sa.Column('situation', sa.Text(), nullable=False),
    sa.Column('difficulties', sa.Text(), nullable=False),
    sa.Column('actions', sa.Text(), nullable=False),
    sa.Column('follow_up', sa.Text(), nullable=False),
    sa.Column('follow_up_on', sa.Date(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('village_code', sa.String(length=12), nullable=False),
    sa.Column('origin_station', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('changed_station', sa.String(length=36), nullable=False),
    sa.Column('base_station', sa.String(length=36), nullable=True),
    sa.Column('base_version', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('updated_by', sa.String(length=36), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['cadre_id'], ['user.id'], name=op.f('fk_diary_entry_cadre_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_diary_entry'))
    )
    with op.batch_alter_table('diary_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_diary_entry_cadre_id'), ['cadre_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_diary_entry_kind'), ['kind'], unique=False)
        batch_op.create_index('ix_diary_entry_live_occurred_at', ['occurred_at', 'id'], unique=False,
                              sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index(batch_op.f('ix_diary_entry_village_code'), ['village_code'], unique=False)

    op.create_table('acknowledgement',
    sa.Column('entry_id', sa.String(length=36), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('signer_name', sa.String(length=50), nullable=False),
    sa.Column('signer_relation', sa.String(length=20), nullable=False),
    sa.Column('signed_at', sa.DateTime(), nullable=False),
    sa.Column('attachment_id', sa.String(length=36), nullable=True),
    sa.Column('refusal_reason', sa.Text(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('village_code', sa.String(length=12), nullable=False),
    sa.Column('origin_station', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('changed_station', sa.String(length=36), nullable=False),
    sa.Column('base_station', sa.String(length=36), nullable=True),
    sa.Column('base_version', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('updated_by', sa.String(length=36), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['attachment_id'], ['attachment.id'], name=op.f('fk_acknowledgement_attachment_id_attachment')),
    sa.ForeignKeyConstraint(['entry_id'], ['diary_entry.id'], name=op.f('fk_acknowledgement_entry_id_diary_entry')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_acknowledgement'))
    )
    with op.batch_alter_table('acknowledgement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acknowledgement_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_acknowledgement_village_code'), ['village_code'], unique=False)

    op.create_table('demand',
    sa.Column('entry_id', sa.String(length=36), nullable=False),
    sa.Column('household_id', sa.String(length=36), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=30), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('responsible_id', sa.String(length=36), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('handling', sa.Text(), nullable=False),
    sa.Column('reply', sa.Text(), nullable=False),
    sa.Column('replied_on', sa.Date(), nullable=True),
    sa.Column('replied_by', sa.String(length=50), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('mediation_case_id', sa.String(length=36), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('village_code', sa.String(length=12), nullable=False),
    sa.Column('origin_station', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('changed_station', sa.String(length=36), nullable=False),
    sa.Column('base_station', sa.String(length=36), nullable=True),
    sa.Column('base_version', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('updated_by', sa.String(length=36), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['entry_id'], ['diary_entry.id'], name=op.f('fk_demand_entry_id_diary_entry')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_demand_household_id_household')),
    sa.ForeignKeyConstraint(['responsible_id'], ['user.id'], name=op.f('fk_demand_responsible_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_demand'))
    )
    with op.batch_alter_table('demand', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_demand_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_demand_due_on'), ['due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_demand_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_demand_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_demand_mediation_case_id'), ['mediation_case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_demand_responsible_id'), ['responsible_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_demand_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_demand_village_code'), ['village_code'], unique=False)

    op.create_table('diary_amendment',
    sa.Column('entry_id', sa.String(length=36), nullable=False),
    sa.Column('field', sa.String(length=30), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('amended_at', sa.DateTime(), nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('village_code', sa.String(length=12), nullable=False),
    sa.Column('origin_station', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('changed_station', sa.String(length=36), nullable=False),
    sa.Column('base_station', sa.String(length=36), nullable=True),
    sa.Column('base_version', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('updated_by', sa.String(length=36), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['entry_id'], ['diary_entry.id'], name=op.f('fk_diary_amendment_entry_id_diary_entry')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_diary_amendment'))
    )
    with op.batch_alter_table('diary_amendment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_diary_amendment_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_diary_amendment_village_code'), ['village_code'], unique=False)

    op.create_table('diary_participant',
    sa.Column('entry_id', sa.String(length=36), nullable=False),
    sa.Column('household_id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.String(length=36), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('village_code', sa.String(length=12), nullable=False),
    sa.Column('origin_station', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('changed_station', sa.String(length=36), nullable=False),
    sa.Column('base_station', sa.String(length=36), nullable=True),
    sa.Column('base_version', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('updated_by', sa.String(length=36), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['entry_id'], ['diary_entry.id'], name=op.f('fk_diary_participant_entry_id_diary_entry')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_diary_participant_household_id_household')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_diary_participant_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_diary_participant'))
    )
    with op.batch_alter_table('diary_participant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_diary_participant_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_diary_participant_household_id'), ['household_id'], unique=False)
        batch_op.create_index('ix_diary_participant_live_household_entry', ['household_id', 'entry_id'], unique=False,
                              sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index(batch_op.f('ix_diary_participant_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_diary_participant_village_code'), ['village_code'], unique=False)

    op.create_table('must_visit_event',
    sa.Column('household_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('cadre_id', sa.String(length=36), nullable=True),
    sa.Column('closed_by_entry_id', sa.String(length=36), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('village_code', sa.String(length=12), nullable=False),
    sa.Column('origin_station', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('changed_station', sa.String(length=36), nullable=False),
    sa.Column('base_station', sa.String(length=36), nullable=True),
    sa.Column('base_version', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('updated_by', sa.String(length=36), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['cadre_id'], ['user.id'], name=op.f('fk_must_visit_event_cadre_id_user')),
    sa.ForeignKeyConstraint(['closed_by_entry_id'], ['diary_entry.id'], name=op.f('fk_must_visit_event_closed_by_entry_id_diary_entry')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_must_visit_event_household_id_household')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_must_visit_event'))
    )
    with op.batch_alter_table('must_visit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_must_visit_event_cadre_id'), ['cadre_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_must_visit_event_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_must_visit_event_occurred_on'), ['occurred_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_must_visit_event_village_code'), ['village_code'], unique=False)

    for sql in FTS_OBJECTS:
        op.execute(sql)
    # ### end Alembic commands ###


def downgrade() -> None:
    for sql in FTS_DROPS:
        op.execute(sql)
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('must_visit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_must_visit_event_village_code'))
        batch_op.drop_index(batch_op.f('ix_must_visit_event_occurred_on'))
        batch_op.drop_index(batch_op.f('ix_must_visit_event_household_id'))
        batch_op.drop_index(batch_op.f('ix_must_visit_event_cadre_id'))

    op.drop_table('must_visit_event')
    with op.batch_alter_table('diary_participant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_diary_participant_village_code'))
        batch_op.drop_index(batch_op.f('ix_diary_participant_person_id'))
        batch_op.drop_index('ix_diary_participant_live_household_entry')
        batch_op.drop_index(batch_op.f('ix_diary_participant_household_id'))
        batch_op.drop_index(batch_op.f('ix_diary_participant_entry_id'))

    op.drop_table('diary_participant')
    with op.batch_alter_table('diary_amendment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_diary_amendment_village_code'))
        batch_op.drop_index(batch_op.f('ix_diary_amendment_entry_id'))

    op.drop_table('diary_amendment')
    with op.batch_alter_table('demand', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_demand_village_code'))
        batch_op.drop_index(batch_op.f('ix_demand_status'))
        batch_op.drop_index(batch_op.f('ix_demand_responsible_id'))
        batch_op.drop_index(batch_op.f('ix_demand_mediation_case_id'))
        batch_op.drop_index(batch_op.f('ix_demand_household_id'))
        batch_op.drop_index(batch_op.f('ix_demand_entry_id'))
        batch_op.drop_index(batch_op.f('ix_demand_due_on'))
        batch_op.drop_index(batch_op.f('ix_demand_category'))

    op.drop_table('demand')
    with op.batch_alter_table('acknowledgement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_acknowledgement_village_code'))
        batch_op.drop_index(batch_op.f('ix_acknowledgement_entry_id'))

    op.drop_table('acknowledgement')
    with op.batch_alter_table('diary_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_diary_entry_village_code'))
        batch_op.drop_index('ix_diary_entry_live_occurred_at')
        batch_op.drop_index(batch_op.f('ix_diary_entry_kind'))
        batch_op.drop_index(batch_op.f('ix_diary_entry_cadre_id'))

    op.drop_table('diary_entry')
    # ### end Alembic commands ###
