"""sync_rejection: records a peer refused by the authority rules

Revision ID: 0010_sync_rejection
Revises: 0009_household_duplicate_indexes
Create Date: 2026-12-04 16:30:00

At the town, the rows of a village's bundle that broke an authority rule (another village's record,
a forged changed station, a reference into another village …), so its receipt can name them and the
village keeps them unacknowledged; at the village, the list of the town's last receipt.
"""

import sqlalchemy as sa
from alembic import op


revision = '0010_sync_rejection'
down_revision = '0009_household_duplicate_indexes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'sync_rejection',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('station_id', sa.String(length=36), nullable=False),
        sa.Column('table_name', sa.String(length=50), nullable=False),
        sa.Column('record_type', sa.String(length=50), nullable=False),
        sa.Column('record_id', sa.String(length=36), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('bundle_id', sa.String(length=36), nullable=True),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('detected_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_rejection')),
        sa.UniqueConstraint('station_id', 'table_name', 'record_id', name='uq_sync_rejection_station_id'),
    )


def downgrade() -> None:
    op.drop_table('sync_rejection')
