"""keycases: 干部联户包案 (docs/keycases.md)

Revision ID: 0018_keycases
Revises: 0017_diary_derived
Create Date: 2026-12-20 10:00:00

- ``keycase``: the 包案 of one household (and person), opened by the village or its town
  (``owner_unit``, the only unit that may change it: app/ownership.py), with its 责任部门, 稳控措施, the
  steps of the 四到位 that apply, its state 在办 → 申请销号 → 已销号 and the 销号's reason, approver and
  the resident's view.
- ``keycase_member``: 包案领导 and 工作班子 as dated rows (an account here, or a name and unit).
- ``keycase_plan``: every revision of the 化解方案, with who and when.
- ``keycase_link``: the diary entries, demands and mediation cases it points to.
- ``keycase_transition``: its state history.
New tables only; nothing existing changes.
"""

import sqlalchemy as sa
from alembic import op


revision = '0018_keycases'
down_revision = '0017_diary_derived'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('keycase',
    sa.Column('owner_unit', sa.String(length=12), nullable=False),
    sa.Column('household_id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.String(length=36), nullable=True),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('department', sa.String(length=100), nullable=False),
    sa.Column('stabilization', sa.Text(), nullable=False),
    sa.Column('steps_solve', sa.Text(), nullable=False),
    sa.Column('steps_educate', sa.Text(), nullable=False),
    sa.Column('steps_aid', sa.Text(), nullable=False),
    sa.Column('steps_law', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('close_reason', sa.Text(), nullable=False),
    sa.Column('close_approver', sa.String(length=100), nullable=False),
    sa.Column('resident_view', sa.Text(), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=True),
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
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_keycase_household_id_household')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_keycase_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_keycase'))
    )
    with op.batch_alter_table('keycase', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_keycase_closed_on'), ['closed_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_keycase_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_keycase_opened_on'), ['opened_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_keycase_owner_unit'), ['owner_unit'], unique=False)
        batch_op.create_index(batch_op.f('ix_keycase_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_keycase_village_code'), ['village_code'], unique=False)

    op.create_table('keycase_link',
    sa.Column('owner_unit', sa.String(length=12), nullable=False),
    sa.Column('keycase_id', sa.String(length=36), nullable=False),
    sa.Column('target_table', sa.String(length=30), nullable=False),
    sa.Column('target_id', sa.String(length=36), nullable=False),
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
    sa.ForeignKeyConstraint(['keycase_id'], ['keycase.id'], name=op.f('fk_keycase_link_keycase_id_keycase')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_keycase_link'))
    )
    with op.batch_alter_table('keycase_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_keycase_link_keycase_id'), ['keycase_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_keycase_link_target_id'), ['target_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_keycase_link_village_code'), ['village_code'], unique=False)

    op.create_table('keycase_member',
    sa.Column('owner_unit', sa.String(length=12), nullable=False),
    sa.Column('keycase_id', sa.String(length=36), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=True),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('unit', sa.String(length=100), nullable=False),
    sa.Column('from_on', sa.Date(), nullable=False),
    sa.Column('until_on', sa.Date(), nullable=True),
    sa.Column('end_note', sa.Text(), nullable=False),
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
    sa.ForeignKeyConstraint(['keycase_id'], ['keycase.id'], name=op.f('fk_keycase_member_keycase_id_keycase')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_keycase_member'))
    )
    with op.batch_alter_table('keycase_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_keycase_member_keycase_id'), ['keycase_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_keycase_member_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_keycase_member_village_code'), ['village_code'], unique=False)

    op.create_table('keycase_plan',
    sa.Column('owner_unit', sa.String(length=12), nullable=False),
    sa.Column('keycase_id', sa.String(length=36), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('written_at', sa.DateTime(), nullable=False),
    sa.Column('author_name', sa.String(length=50), nullable=False),
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
    sa.ForeignKeyConstraint(['keycase_id'], ['keycase.id'], name=op.f('fk_keycase_plan_keycase_id_keycase')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_keycase_plan'))
    )
    with op.batch_alter_table('keycase_plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_keycase_plan_keycase_id'), ['keycase_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_keycase_plan_village_code'), ['village_code'], unique=False)

    op.create_table('keycase_transition',
    sa.Column('owner_unit', sa.String(length=12), nullable=False),
    sa.Column('keycase_id', sa.String(length=36), nullable=False),
    sa.Column('from_state', sa.String(length=10), nullable=False),
    sa.Column('to_state', sa.String(length=10), nullable=False),
    sa.Column('on_date', sa.Date(), nullable=False),
    sa.Column('by_name', sa.String(length=50), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
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
    sa.ForeignKeyConstraint(['keycase_id'], ['keycase.id'], name=op.f('fk_keycase_transition_keycase_id_keycase')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_keycase_transition'))
    )
    with op.batch_alter_table('keycase_transition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_keycase_transition_keycase_id'), ['keycase_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_keycase_transition_village_code'), ['village_code'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('keycase_transition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_keycase_transition_village_code'))
        batch_op.drop_index(batch_op.f('ix_keycase_transition_keycase_id'))

    op.drop_table('keycase_transition')
    with op.batch_alter_table('keycase_plan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_keycase_plan_village_code'))
        batch_op.drop_index(batch_op.f('ix_keycase_plan_keycase_id'))

    op.drop_table('keycase_plan')
    with op.batch_alter_table('keycase_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_keycase_member_village_code'))
        batch_op.drop_index(batch_op.f('ix_keycase_member_user_id'))
        batch_op.drop_index(batch_op.f('ix_keycase_member_keycase_id'))

    op.drop_table('keycase_member')
    with op.batch_alter_table('keycase_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_keycase_link_village_code'))
        batch_op.drop_index(batch_op.f('ix_keycase_link_target_id'))
        batch_op.drop_index(batch_op.f('ix_keycase_link_keycase_id'))

    op.drop_table('keycase_link')
    with op.batch_alter_table('keycase', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_keycase_village_code'))
        batch_op.drop_index(batch_op.f('ix_keycase_state'))
        batch_op.drop_index(batch_op.f('ix_keycase_owner_unit'))
        batch_op.drop_index(batch_op.f('ix_keycase_opened_on'))
        batch_op.drop_index(batch_op.f('ix_keycase_household_id'))
        batch_op.drop_index(batch_op.f('ix_keycase_closed_on'))

    op.drop_table('keycase')
