"""diary: a demand referred to the town (交办) and its reply; the resident's 点评 of a closed demand

Revision ID: 0013_demand_referral
Revises: 0012_mediation_capacity_recusal
Create Date: 2026-12-12 10:00:00

- ``demand.referred_office``, ``referral_note``, ``referred_on``, ``referred_by``: the village refers a
  demand to one of the town's offices (``db.vocab.TOWN_OFFICES``); status 已上报乡镇.
- ``demand.town_reply_kind``, ``town_reply``, ``town_forwarded_to``, ``town_replied_on``,
  ``town_replied_by``: the town's answer or its forwarding to a county department; status 乡镇已答复.
  Only the town fills these (app/ownership.py).
- ``demand.feedback_*``: the resident's verdict (满意 / 基本满意 / 不满意) of a closed demand, in words,
  and how it was given (当面 / 电话 / 签字), with its date and the cadre who wrote it down.

Existing rows keep their values; the new columns are empty (text columns ``''``). The downgrade drops
the columns; a demand then still at 已上报乡镇 or 乡镇已答复 goes back to 待办 (the older program knows
no other open state).
"""

import sqlalchemy as sa
from alembic import op


revision = '0013_demand_referral'
down_revision = '0012_mediation_capacity_recusal'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('demand', schema=None) as batch_op:
        batch_op.add_column(sa.Column('referred_office', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('referral_note', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('referred_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('referred_by', sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column('town_reply_kind', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('town_reply', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(
            sa.Column('town_forwarded_to', sa.String(length=50), nullable=False, server_default='')
        )
        batch_op.add_column(sa.Column('town_replied_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('town_replied_by', sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column('feedback_verdict', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('feedback_words', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('feedback_method', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('feedback_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('feedback_recorded_by', sa.String(length=50), nullable=True))
    op.create_index('ix_demand_referred_office', 'demand', ['referred_office'], unique=False)


def downgrade() -> None:
    op.execute("UPDATE demand SET status = '待办' WHERE status IN ('已上报乡镇', '乡镇已答复')")
    # ALTER TABLE … DROP COLUMN, not a batch copy: the diary's full-text triggers name this table
    op.drop_index('ix_demand_referred_office', table_name='demand')
    for column in (
        'feedback_recorded_by',
        'feedback_on',
        'feedback_method',
        'feedback_words',
        'feedback_verdict',
        'town_replied_by',
        'town_replied_on',
        'town_forwarded_to',
        'town_reply',
        'town_reply_kind',
        'referred_by',
        'referred_on',
        'referral_note',
        'referred_office',
    ):
        op.execute(f'ALTER TABLE demand DROP COLUMN "{column}"')
