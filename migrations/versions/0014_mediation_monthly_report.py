"""mediation: the frozen monthly report, screening rounds 定期/不定期 with their items, 械斗 and 司法确认

Revision ID: 0014_mediation_monthly_report
Revises: 0013_demand_referral
Create Date: 2026-12-04 21:30:00

- ``mediation_report``: 人民调解工作统计 of one committee for one month, frozen when generated (who, when,
  each figure as JSON); 重新生成 adds an edition, the old ones stay.
- ``screening.round_kind``: 定期 (the period's regular round) or 不定期 (a special round before a festival,
  after a flood); existing rounds are 定期.
- ``screening_item``: what a round found, one row per dispute, with what became of it (当场化解, 登记为案件
  with the case, 移交处理 with to whom, 预防). Existing rounds keep their count and text; they have no items.
- ``mediation_case.risk_fight`` / ``risk_fight_people``: 可能群体性械斗 (the fourth 防止 item).
- ``mediation_case.judicial_confirmed_on``: the day a court confirmed the agreement (司法确认).
- ``ix_mediation_transition_step``: the statistics count a period's steps (结案, 上报) by their day, from the
  index alone; ``ix_mediation_case_deleted``: the (few) deleted cases they leave out;
  ``ix_mediation_case_state_at`` / ``ix_mediation_case_changed``: 在调 at a period's end.
"""

import sqlalchemy as sa
from alembic import op


revision = '0014_mediation_monthly_report'
down_revision = '0013_demand_referral'
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
    with op.batch_alter_table('screening', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round_kind', sa.String(length=10), nullable=False, server_default='定期'))
    with op.batch_alter_table('mediation_case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('risk_fight', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('risk_fight_people', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('judicial_confirmed_on', sa.Date(), nullable=True))
        batch_op.create_index(
            'ix_mediation_case_deleted', ['id'], unique=False, sqlite_where=sa.text('deleted_at IS NOT NULL')
        )
        batch_op.create_index(
            'ix_mediation_case_state_at',
            ['state', 'state_on', 'accepted_on', 'village_code', 'escalated_to', 'town_handled_on', 'deleted_at'],
            unique=False,
        )
        batch_op.create_index(
            'ix_mediation_case_changed',
            ['state_on', 'accepted_on', 'village_code', 'deleted_at', 'id'],
            unique=False,
        )
    with op.batch_alter_table('mediation_transition', schema=None) as batch_op:
        batch_op.create_index(
            'ix_mediation_transition_step',
            ['to_state', 'on_date', 'village_code', 'case_id', 'deleted_at'],
            unique=False,
        )
    op.create_table('screening_item',
    sa.Column('screening_id', sa.String(length=36), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('disposition', sa.String(length=10), nullable=False),
    sa.Column('case_id', sa.String(length=36), nullable=True),
    sa.Column('referred_to', sa.String(length=100), nullable=False),
    *_synced_columns(),
    sa.ForeignKeyConstraint(['screening_id'], ['screening.id'], name=op.f('fk_screening_item_screening_id_screening')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_screening_item'))
    )
    with op.batch_alter_table('screening_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_screening_item_screening_id'), ['screening_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_screening_item_village_code'), ['village_code'], unique=False)
    op.create_table('mediation_report',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('edition', sa.Integer(), nullable=False),
    sa.Column('frozen_at', sa.DateTime(), nullable=False),
    sa.Column('frozen_by', sa.String(length=50), nullable=False),
    sa.Column('frozen_by_user_id', sa.String(length=36), nullable=True),
    sa.Column('figures', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    *_synced_columns(),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mediation_report'))
    )
    with op.batch_alter_table('mediation_report', schema=None) as batch_op:
        batch_op.create_index('ix_mediation_report_month', ['village_code', 'year', 'month'], unique=False)
        batch_op.create_index(batch_op.f('ix_mediation_report_village_code'), ['village_code'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('mediation_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mediation_report_village_code'))
        batch_op.drop_index('ix_mediation_report_month')
    op.drop_table('mediation_report')
    with op.batch_alter_table('screening_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_screening_item_village_code'))
        batch_op.drop_index(batch_op.f('ix_screening_item_screening_id'))
    op.drop_table('screening_item')
    with op.batch_alter_table('mediation_transition', schema=None) as batch_op:
        batch_op.drop_index('ix_mediation_transition_step')
    with op.batch_alter_table('mediation_case', schema=None) as batch_op:
        batch_op.drop_index('ix_mediation_case_changed')
        batch_op.drop_index('ix_mediation_case_state_at')
        batch_op.drop_index('ix_mediation_case_deleted')
        batch_op.drop_column('judicial_confirmed_on')
        batch_op.drop_column('risk_fight_people')
        batch_op.drop_column('risk_fight')
    with op.batch_alter_table('screening', schema=None) as batch_op:
        batch_op.drop_column('round_kind')
