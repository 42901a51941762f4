"""The index (changed_station, version) on every synced table

Revision ID: 0024_sync_changes_index
Revises: 0023_projects
Create Date: 2026-12-05 10:00:00

A station's changes above a counter are what an export sends and what 上报与同步 counts as not yet
acknowledged (``app/sync/status.unacknowledged_counts``, ``app/sync/records.select_changes``). Without
an index each of them read every row of every synced table: 2.2 s for the screen at 100 000
households. The index makes them a range of it (``db/base.index_changes``). Indexes only: the
downgrade drops them.
"""

from alembic import op


revision = '0024_sync_changes_index'
down_revision = '0023_projects'
branch_labels = None
depends_on = None

# Every synced table at this revision (db.base.synced_models()).
TABLES = (
    'attachment', 'household', 'mediation_case', 'mediation_report', 'project', 'review_meeting',
    'screening', 'tag_definition', 'user', 'aid_pair', 'cadre_assignment', 'cadre_review',
    'diary_entry', 'household_tag', 'mediation_agreement', 'mediation_file_item', 'mediation_follow_up',
    'mediation_mediator', 'mediation_party', 'mediation_recusal', 'mediation_session',
    'mediation_signature', 'mediation_transition', 'person', 'project_milestone', 'review_decision',
    'screening_item', 'acknowledgement', 'aid_record', 'demand', 'diary_amendment',
    'diary_participant', 'informant', 'keycase', 'must_visit_event', 'keycase_link', 'keycase_member',
    'keycase_plan', 'keycase_transition', 'project_demand',
)


def upgrade() -> None:
    for table in TABLES:
        op.create_index(f'ix_{table}_changes', table, ['changed_station', 'version'])


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f'ix_{table}_changes', table_name=table)
