"""为民实事: the village's and the town's projects of the year, their milestones and the demands they answer

Revision ID: 0023_projects
Revises: 0022_reviews
Create Date: 2026-12-05 02:30:00

- ``project``: title, scope (村 / 镇), year, plan, budget and funding source (分), responsible person,
  where to give opinions, state 计划 → 实施中 → 已完成 → 已验收 with its dates, what was done and the
  money spent, and the residents' 点评 at acceptance (counts per verdict, how collected, their words).
- ``project_milestone``: the steps with their planned dates and the day each was done.
- ``project_demand``: the demands of the 民情台账 a project answers.

All three are synced records (docs/projects.md, docs/bundle-format.md). New tables only: the downgrade
drops them.
"""

import sqlalchemy as sa
from alembic import op


revision = '0023_projects'
down_revision = '0022_reviews'
branch_labels = None
depends_on = None


def _synced() -> list[sa.Column]:
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
    op.create_table(
        'project',
        sa.Column('scope', sa.String(length=2), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=100), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('budget_fen', sa.Integer(), nullable=False),
        sa.Column('funding_source', sa.String(length=100), nullable=False),
        sa.Column('responsible', sa.String(length=50), nullable=False),
        sa.Column('contact', sa.String(length=100), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('started_on', sa.Date(), nullable=True),
        sa.Column('completed_on', sa.Date(), nullable=True),
        sa.Column('done_summary', sa.Text(), nullable=False),
        sa.Column('spent_fen', sa.Integer(), nullable=True),
        sa.Column('accepted_on', sa.Date(), nullable=True),
        sa.Column('review_satisfied', sa.Integer(), nullable=False),
        sa.Column('review_basic', sa.Integer(), nullable=False),
        sa.Column('review_dissatisfied', sa.Integer(), nullable=False),
        sa.Column('review_method', sa.String(length=10), nullable=True),
        sa.Column('review_words', sa.Text(), nullable=False),
        sa.Column('review_on', sa.Date(), nullable=True),
        sa.Column('review_recorded_by', sa.String(length=50), nullable=True),
        *_synced(),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_project')),
    )
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_village_code'), ['village_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_year'), ['year'], unique=False)

    op.create_table(
        'project_milestone',
        sa.Column('project_id', sa.String(length=36), nullable=False),
        sa.Column('scope', sa.String(length=2), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=100), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('done_on', sa.Date(), nullable=True),
        sa.Column('note', sa.Text(), nullable=False),
        *_synced(),
        sa.ForeignKeyConstraint(
            ['project_id'], ['project.id'], name=op.f('fk_project_milestone_project_id_project')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_project_milestone')),
    )
    with op.batch_alter_table('project_milestone', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_milestone_done_on'), ['done_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_milestone_due_on'), ['due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_milestone_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_milestone_village_code'), ['village_code'], unique=False)

    op.create_table(
        'project_demand',
        sa.Column('project_id', sa.String(length=36), nullable=False),
        sa.Column('demand_id', sa.String(length=36), nullable=False),
        sa.Column('scope', sa.String(length=2), nullable=False),
        *_synced(),
        sa.ForeignKeyConstraint(['demand_id'], ['demand.id'], name=op.f('fk_project_demand_demand_id_demand')),
        sa.ForeignKeyConstraint(
            ['project_id'], ['project.id'], name=op.f('fk_project_demand_project_id_project')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_project_demand')),
    )
    with op.batch_alter_table('project_demand', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_demand_demand_id'), ['demand_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_demand_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_demand_village_code'), ['village_code'], unique=False)


def downgrade() -> None:
    op.drop_table('project_demand')
    op.drop_table('project_milestone')
    op.drop_table('project')
