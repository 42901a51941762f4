"""informants: 群众工作信息员 and the diary's 信息员报告

Revision ID: 0020_informants
Revises: 0019_diary_name_tokens
Create Date: 2026-12-05 02:30:00

- ``informant``: a resident of the roster (``person_id``) appointed for a 组 (``group_name``) from
  ``start_on`` until ``end_on`` (empty: serving); a synced village record (docs/informants.md).
- ``diary_entry.informant_id``: the informant whose report an entry of kind 信息员报告 is (a reference
  without a foreign key: ``ALTER TABLE … ADD COLUMN``, never a batch copy of the diary, whose full-text
  and derived-data triggers name the table).

The downgrade drops both; an entry of kind 信息员报告 becomes 其他 (the older program knows no such kind).
"""

import sqlalchemy as sa
from alembic import op


revision = '0020_informants'
down_revision = '0019_diary_name_tokens'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('informant',
    sa.Column('person_id', sa.String(length=36), nullable=False),
    sa.Column('group_name', sa.String(length=30), nullable=False),
    sa.Column('start_on', sa.Date(), nullable=False),
    sa.Column('end_on', sa.Date(), nullable=True),
    sa.Column('end_reason', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
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
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_informant_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_informant'))
    )
    op.create_index(op.f('ix_informant_person_id'), 'informant', ['person_id'], unique=False)
    op.create_index(op.f('ix_informant_group_name'), 'informant', ['group_name'], unique=False)
    op.create_index(op.f('ix_informant_village_code'), 'informant', ['village_code'], unique=False)
    op.execute('ALTER TABLE diary_entry ADD COLUMN informant_id VARCHAR(36)')
    op.create_index(op.f('ix_diary_entry_informant_id'), 'diary_entry', ['informant_id'], unique=False)


def downgrade() -> None:
    op.execute("UPDATE diary_entry SET kind = '其他' WHERE kind = '信息员报告'")
    op.drop_index(op.f('ix_diary_entry_informant_id'), table_name='diary_entry')
    op.execute('ALTER TABLE diary_entry DROP COLUMN "informant_id"')
    op.drop_index(op.f('ix_informant_village_code'), table_name='informant')
    op.drop_index(op.f('ix_informant_group_name'), table_name='informant')
    op.drop_index(op.f('ix_informant_person_id'), table_name='informant')
    op.drop_table('informant')
