"""aid: 帮扶记录 and 帮扶对子 (docs/aid.md)

Revision ID: 0021_aid
Revises: 0020_informants
Create Date: 2026-12-05 02:30:00

Two new village records, synced like every other (app/ownership.py): ``aid_record`` (one act of aid to a
household: date, kind, amount or goods, policy, giver, the diary entry) and ``aid_pair`` (a household's
帮扶责任人 over time). Self-contained: two new tables and their indexes, nothing else touched.
"""

import sqlalchemy as sa
from alembic import op

revision = '0021_aid'
down_revision = '0020_informants'
branch_labels = None
depends_on = None


def _synced_columns() -> list[sa.Column]:
    return [
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
    ]


def upgrade() -> None:
    op.create_table('aid_record',
    sa.Column('household_id', sa.String(length=36), nullable=False),
    sa.Column('given_on', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=True),
    sa.Column('goods', sa.Text(), nullable=False),
    sa.Column('policy', sa.String(length=100), nullable=False),
    sa.Column('giver_user_id', sa.String(length=36), nullable=True),
    sa.Column('giver_unit', sa.String(length=100), nullable=False),
    sa.Column('entry_id', sa.String(length=36), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    *_synced_columns(),
    sa.ForeignKeyConstraint(['entry_id'], ['diary_entry.id'], name=op.f('fk_aid_record_entry_id_diary_entry')),
    sa.ForeignKeyConstraint(['giver_user_id'], ['user.id'], name=op.f('fk_aid_record_giver_user_id_user')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_aid_record_household_id_household')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aid_record'))
    )
    with op.batch_alter_table('aid_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aid_record_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_aid_record_giver_user_id'), ['giver_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_aid_record_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_aid_record_village_code'), ['village_code'], unique=False)
        batch_op.create_index('ix_aid_record_live_household', ['household_id', 'given_on'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.create_index('ix_aid_record_live_village_given', ['village_code', 'given_on', 'household_id'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'))
    op.create_table('aid_pair',
    sa.Column('household_id', sa.String(length=36), nullable=False),
    sa.Column('cadre_id', sa.String(length=36), nullable=False),
    sa.Column('start_on', sa.Date(), nullable=False),
    sa.Column('end_on', sa.Date(), nullable=True),
    sa.Column('end_reason', sa.String(length=100), nullable=False),
    *_synced_columns(),
    sa.ForeignKeyConstraint(['cadre_id'], ['user.id'], name=op.f('fk_aid_pair_cadre_id_user')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_aid_pair_household_id_household')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_aid_pair'))
    )
    with op.batch_alter_table('aid_pair', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aid_pair_cadre_id'), ['cadre_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_aid_pair_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_aid_pair_village_code'), ['village_code'], unique=False)
        batch_op.create_index('ix_aid_pair_open_household', ['household_id', 'cadre_id'], unique=False, sqlite_where=sa.text('end_on IS NULL AND deleted_at IS NULL'))


def downgrade() -> None:
    op.drop_table('aid_pair')
    op.drop_table('aid_record')
