"""diary: derived data for 今日待办 and 统计报表 (last home visit per household, per-day counts)

Revision ID: 0017_diary_derived
Revises: 0016_search_text_surname_full_id
Create Date: 2026-12-04 23:50:00

- ``derived_*`` tables, filled from the diary already held, and the triggers that keep them: defined
  once in db/diary_derived.py (local to the station, never in a bundle). With 500 000 entries the fill
  reads the diary once (about a minute).
- ``ix_cadre_assignment_current_contact``: the households' current contact cadres from the index alone
  (the visit reminders of 100 000 households).
- ``ix_household_live_village_card``: 联系卡已送达 per village (统计报表) from the index alone.
- ``ix_demand_closed_without_feedback``: 今日待办's closed demands awaiting the resident's 点评.
- ``ix_person_live_status_village``, ``ix_household_tag_live_village``, ``ix_cadre_assignment_contact_village``:
  在册人口, 标签 and 有联系干部的户 per village from the indexes alone; ``ix_household_deleted``: the few
  deleted households, whose rows those counts leave out.
"""

import sqlalchemy as sa
from alembic import op

from db import diary_derived

revision = '0017_diary_derived'
down_revision = '0016_search_text_surname_full_id'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cadre_assignment', schema=None) as batch_op:
        batch_op.create_index(
            'ix_cadre_assignment_current_contact',
            ['household_id', 'cadre_id'],
            unique=False,
            sqlite_where=sa.text("role = '联系干部' AND end_on IS NULL AND deleted_at IS NULL"),
        )
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.create_index(
            'ix_household_live_village_card',
            ['village_code', 'card_delivered_on'],
            unique=False,
            sqlite_where=sa.text('deleted_at IS NULL'),
        )
    with op.batch_alter_table('demand', schema=None) as batch_op:
        batch_op.create_index(
            'ix_demand_closed_without_feedback',
            ['closed_on'],
            unique=False,
            sqlite_where=sa.text("status = '已办结' AND feedback_verdict IS NULL AND deleted_at IS NULL"),
        )
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index('ix_person_live_status_village', ['status', 'village_code'], unique=False, sqlite_where=sa.text("deleted_at IS NULL"))
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.create_index('ix_household_deleted', ['village_code'], unique=False, sqlite_where=sa.text("deleted_at IS NOT NULL"))
    with op.batch_alter_table('household_tag', schema=None) as batch_op:
        batch_op.create_index('ix_household_tag_live_village', ['village_code', 'tag', 'household_id'], unique=False, sqlite_where=sa.text("deleted_at IS NULL"))
    with op.batch_alter_table('cadre_assignment', schema=None) as batch_op:
        batch_op.create_index('ix_cadre_assignment_contact_village', ['village_code', 'household_id'], unique=False, sqlite_where=sa.text("role = '联系干部' AND end_on IS NULL AND deleted_at IS NULL"))
    diary_derived.create(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index('ix_person_live_status_village', sqlite_where=sa.text("deleted_at IS NULL"))
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.drop_index('ix_household_deleted', sqlite_where=sa.text("deleted_at IS NOT NULL"))
    with op.batch_alter_table('household_tag', schema=None) as batch_op:
        batch_op.drop_index('ix_household_tag_live_village', sqlite_where=sa.text("deleted_at IS NULL"))
    with op.batch_alter_table('cadre_assignment', schema=None) as batch_op:
        batch_op.drop_index('ix_cadre_assignment_contact_village', sqlite_where=sa.text("role = '联系干部' AND end_on IS NULL AND deleted_at IS NULL"))
    for sql in diary_derived.DROPS:
        op.execute(sql)
    with op.batch_alter_table('demand', schema=None) as batch_op:
        batch_op.drop_index(
            'ix_demand_closed_without_feedback',
            sqlite_where=sa.text("status = '已办结' AND feedback_verdict IS NULL AND deleted_at IS NULL"),
        )
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.drop_index('ix_household_live_village_card', sqlite_where=sa.text('deleted_at IS NULL'))
    with op.batch_alter_table('cadre_assignment', schema=None) as batch_op:
        batch_op.drop_index(
            'ix_cadre_assignment_current_contact',
            sqlite_where=sa.text("role = '联系干部' AND end_on IS NULL AND deleted_at IS NULL"),
        )
