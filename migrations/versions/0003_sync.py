"""sync: peers, received bundles, conflicts

Revision ID: 0003_sync
Revises: 0001_foundation
Create Date: 2026-11-22 00:06:17.436213
"""

from alembic import op
import sqlalchemy as sa


revision = '0003_sync'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sync_conflict',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('table_name', sa.String(length=50), nullable=False),
    sa.Column('record_type', sa.String(length=50), nullable=False),
    sa.Column('record_id', sa.String(length=36), nullable=False),
    sa.Column('village_code', sa.String(length=12), nullable=False),
    sa.Column('local_row', sa.Text(), nullable=False),
    sa.Column('incoming_row', sa.Text(), nullable=False),
    sa.Column('incoming_station', sa.String(length=36), nullable=False),
    sa.Column('incoming_version', sa.Integer(), nullable=False),
    sa.Column('bundle_id', sa.String(length=36), nullable=False),
    sa.Column('detected_at', sa.DateTime(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('resolved_by', sa.String(length=36), nullable=True),
    sa.Column('resolution', sa.String(length=20), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_conflict'))
    )
    with op.batch_alter_table('sync_conflict', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_conflict_record_id'), ['record_id'], unique=False)

    op.create_table('sync_peer',
    sa.Column('station_id', sa.String(length=36), nullable=False),
    sa.Column('acked_through', sa.Integer(), nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.Column('last_export_at', sa.DateTime(), nullable=True),
    sa.Column('last_export_file', sa.Text(), nullable=True),
    sa.Column('last_receipt_at', sa.DateTime(), nullable=True),
    sa.Column('last_receipt', sa.Text(), nullable=True),
    sa.Column('last_receipt_export_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('station_id', name=op.f('pk_sync_peer'))
    )
    op.create_table('sync_received_bundle',
    sa.Column('bundle_id', sa.String(length=36), nullable=False),
    sa.Column('sender_station', sa.String(length=36), nullable=False),
    sa.Column('sender_code', sa.String(length=12), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('counter_from', sa.Integer(), nullable=False),
    sa.Column('counter_to', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.Column('counts', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('bundle_id', name=op.f('pk_sync_received_bundle'))
    )
    with op.batch_alter_table('sync_received_bundle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_received_bundle_sender_station'), ['sender_station'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('sync_received_bundle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_received_bundle_sender_station'))

    op.drop_table('sync_received_bundle')
    op.drop_table('sync_peer')
    with op.batch_alter_table('sync_conflict', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_conflict_record_id'))

    op.drop_table('sync_conflict')
