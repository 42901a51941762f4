"""household: drop the plain head_name and group_name indexes

Revision ID: 0009_household_duplicate_indexes
Revises: 0008_diary_index_detail
Create Date: 2026-12-02 14:30:00

Every query of a household's head name or group asks for live households (``deleted_at IS NULL``),
which the partial indexes of migration 0002 (``ix_household_live_head_name``,
``ix_household_live_group_name``) answer. The plain indexes on the same columns were only written:
each household a village-year brings to a town went into both, at a place given by the name, so every
bundle rewrote them whole.
"""

from alembic import op


revision = '0009_household_duplicate_indexes'
down_revision = '0008_diary_index_detail'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_household_head_name', table_name='household')
    op.drop_index('ix_household_group_name', table_name='household')


def downgrade() -> None:
    op.create_index('ix_household_group_name', 'household', ['group_name'], unique=False)
    op.create_index('ix_household_head_name', 'household', ['head_name'], unique=False)
