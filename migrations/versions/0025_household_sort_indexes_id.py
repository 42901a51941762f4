"""The roster's sort indexes end with the household's id

Revision ID: 0025_household_sort_indexes_id
Revises: 0024_sync_changes_index
Create Date: 2026-12-05 10:10:00

A search that matches many households walks the roster in its sorted order through the partial index
of the sort column and asks the search index about each household's id (``db/queries/households.py``,
``_fts_walk``). Without the id in the index each household looked at was a read of its row: on the
encrypted 100 000-household village a page decrypted per household, 60–80 ms for a screenful of a
two-letter search. With it the walk reads only the index (``ix_household_live_*``). Indexes only: the
downgrade puts the old ones back.
"""

import sqlalchemy as sa
from alembic import op


revision = '0025_household_sort_indexes_id'
down_revision = '0024_sync_changes_index'
branch_labels = None
depends_on = None

SORTS = (
    ('group_name', 'head_name'),
    ('head_name',),
    ('address', 'head_name'),
    ('household_no', 'head_name'),
    ('phones', 'head_name'),
    ('card_delivered_on', 'head_name'),
)
LIVE = sa.text('deleted_at IS NULL')


def _recreate(with_id: bool) -> None:
    for cols in SORTS:
        name = f'ix_household_live_{cols[0]}'
        op.drop_index(name, table_name='household', sqlite_where=LIVE)
        op.create_index(name, 'household', [*cols, 'id'] if with_id else list(cols), sqlite_where=LIVE)


def upgrade() -> None:
    _recreate(True)


def downgrade() -> None:
    _recreate(False)
