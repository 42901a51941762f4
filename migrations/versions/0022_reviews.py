"""reviews: 两评 — the town's 驻村工作点评会 (minutes, decisions sent down) and the 群众评议 tallies

Revision ID: 0022_reviews
Revises: 0021_aid
Create Date: 2026-12-05 02:30:00

- ``review_meeting``: the town's meeting for one month (date, place, attendees, minutes); town-owned.
- ``review_decision``: a decision of a meeting addressed to one village (one row per village for a
  decision to all), with the village's completion note (``done_*``); travels down in the 下发包.
- ``cadre_review``: one 驻村干部's tally for one half-year, counted from the paper ballots (village-owned).
See docs/reviews.md and the authority rules in docs/bundle-format.md.
"""

import sqlalchemy as sa
from alembic import op


revision = '0022_reviews'
down_revision = '0021_aid'
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
    op.create_table('review_meeting',
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('place', sa.String(length=100), nullable=False),
    sa.Column('attendees', sa.Text(), nullable=False),
    sa.Column('minutes', sa.Text(), nullable=False),
    *_synced_columns(),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_meeting'))
    )
    with op.batch_alter_table('review_meeting', schema=None) as batch_op:
        batch_op.create_index('ix_review_meeting_month', ['village_code', 'month'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_meeting_village_code'), ['village_code'], unique=False)

    op.create_table('review_decision',
    sa.Column('meeting_id', sa.String(length=36), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('to_all', sa.Boolean(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.Column('done_note', sa.Text(), nullable=False),
    sa.Column('done_by', sa.String(length=36), nullable=True),
    *_synced_columns(),
    sa.ForeignKeyConstraint(['done_by'], ['user.id'], name=op.f('fk_review_decision_done_by_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_decision'))
    )
    with op.batch_alter_table('review_decision', schema=None) as batch_op:
        batch_op.create_index('ix_review_decision_meeting', ['meeting_id', 'seq'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_decision_village_code'), ['village_code'], unique=False)

    op.create_table('cadre_review',
    sa.Column('cadre_id', sa.String(length=36), nullable=False),
    sa.Column('period', sa.String(length=6), nullable=False),
    sa.Column('ballots_issued', sa.Integer(), nullable=False),
    sa.Column('ballots_returned', sa.Integer(), nullable=False),
    sa.Column('satisfied', sa.Integer(), nullable=False),
    sa.Column('basically_satisfied', sa.Integer(), nullable=False),
    sa.Column('dissatisfied', sa.Integer(), nullable=False),
    sa.Column('invalid', sa.Integer(), nullable=False),
    sa.Column('counted_on', sa.Date(), nullable=False),
    sa.Column('counted_by', sa.String(length=100), nullable=False),
    sa.Column('comments', sa.Text(), nullable=False),
    *_synced_columns(),
    sa.ForeignKeyConstraint(['cadre_id'], ['user.id'], name=op.f('fk_cadre_review_cadre_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cadre_review'))
    )
    with op.batch_alter_table('cadre_review', schema=None) as batch_op:
        batch_op.create_index('ix_cadre_review_cadre_period', ['cadre_id', 'period'], unique=False)
        batch_op.create_index(batch_op.f('ix_cadre_review_village_code'), ['village_code'], unique=False)


def downgrade() -> None:
    op.drop_table('cadre_review')
    op.drop_table('review_decision')
    op.drop_table('review_meeting')
