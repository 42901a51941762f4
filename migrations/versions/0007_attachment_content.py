"""attachment content: small attachments (signatures) kept in the database

Revision ID: 0007_attachment_content
Revises: 0006_index_catch_up
Create Date: 2026-11-22 05:20:00

A village-year carries thousands of signature pictures of a few kilobytes. As one file each, a town
importing thirty villages created 180 000 files (each a directory entry, an inode and a sync), the
slowest part of the import. Attachments of up to 64 KB now live in ``attachment_content``, written in
the same transaction as the records that own them (a crash keeps both or neither); larger ones
(photos, scans) stay files under ``attachments/``. Files written before this revision stay where they
are and are read from there.
"""

from alembic import op
import sqlalchemy as sa


revision = '0007_attachment_content'
down_revision = '0006_index_catch_up'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('attachment_content',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_attachment_content'))
    )


def downgrade() -> None:
    op.drop_table('attachment_content')
