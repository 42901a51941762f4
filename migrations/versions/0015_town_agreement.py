"""mediation: the agreement's form and amount of an escalated case the town concluded with 调解成功

Revision ID: 0015_town_agreement
Revises: 0014_mediation_monthly_report
Create Date: 2026-12-14 10:00:00

- ``mediation_case.town_agreement_kind`` (书面 / 口头) and ``town_amount_fen`` (分): filled by the town
  when it records 调解成功 on a case a village escalated to it, so the town committee's row of the
  monthly report has its 书面协议 / 口头协议 and 涉及金额 (docs/mediation-statistics.md). Only the town
  fills them (app/ownership.py). Existing rows: empty kind, amount 0.
"""

import sqlalchemy as sa
from alembic import op


revision = '0015_town_agreement'
down_revision = '0014_mediation_monthly_report'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('mediation_case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('town_agreement_kind', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('town_amount_fen', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('mediation_case', schema=None) as batch_op:
        batch_op.drop_column('town_amount_fen')
        batch_op.drop_column('town_agreement_kind')
