"""A town's roster by village, walked from one index

Revision ID: 0030_household_village_sort_index
Revises: 0029_demand_referred_index
Create Date: 2026-12-06 18:10:00

At a town the roster's first column is 村 and the list opens sorted by it. That sort had no index to walk
(``db/queries/households.INDEXED_SORTS``): every keystroke of a common search listed all its matches and
sorted them, 100 ms for a surname and 150-170 ms for the digits every resident's ID starts with, at a
town of 30 villages (90 000 households). ``ix_household_live_village_code`` (village_code, head_name, id;
live households), like the other sort indexes (migration 0025), lets the search walk the roster in that
order and stop after a screenful. ``ix_household_village_code`` stays: lookups by village, the deleted
rows included, use it. Indexes only.
"""

import sqlalchemy as sa
from alembic import op

revision = '0030_household_village_sort_index'
down_revision = '0029_demand_referred_index'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        'ix_household_live_village_code',
        'household',
        ['village_code', 'head_name', 'id'],
        sqlite_where=sa.text('deleted_at IS NULL'),
    )


def downgrade() -> None:
    op.drop_index('ix_household_live_village_code', table_name='household')
