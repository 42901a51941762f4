"""mediation: 法定代理人 of a party, 回避 requests, 履行地点; a refusal before mediation is 不予受理

Revision ID: 0012_mediation_capacity_recusal
Revises: 0011_diary_vocab
Create Date: 2026-12-10 10:00:00

- ``mediation_party.guardian_*``: the 法定代理人 of a party without full capacity (民法典 Art. 20–23).
- ``mediation_mediator.person_id``: the mediator as a resident of the roster (to refuse a mediator who
  is a party or lives in a party's household).
- ``mediation_recusal``: a party's request for another mediator, the decision and the replacement.
- ``mediation_agreement.performance_place``: 履行地点.
- A case that went from 受理 straight to 终止 never had a mediation: the party refused before it began,
  which is 人民调解法 Art. 17 (不得调解), recorded as 不予受理. Such cases are rewritten in place, without
  new versions (every station rewrites its copy of a row the same way): the case's ``outcome`` (and its
  ``state`` while it is still 终止) and the history row's ``to_state``. A case that was mediated and then
  ended stays 终止 (Art. 23(二) / Art. 26). The downgrade leaves them as 不予受理.
"""

import sqlalchemy as sa
from alembic import op


revision = '0012_mediation_capacity_recusal'
down_revision = '0011_diary_vocab'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('mediation_party', schema=None) as batch_op:
        batch_op.add_column(sa.Column('guardian_person_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('guardian_name', sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column('guardian_relation', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('guardian_id_number', sa.String(length=18), nullable=True))
        batch_op.add_column(sa.Column('guardian_phone', sa.String(length=40), nullable=True))
    with op.batch_alter_table('mediation_mediator', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_id', sa.String(length=36), nullable=True))
    with op.batch_alter_table('mediation_agreement', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('performance_place', sa.String(length=200), nullable=False, server_default='')
        )
    op.create_table('mediation_recusal',
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('party_id', sa.String(length=36), nullable=False),
    sa.Column('mediator_id', sa.String(length=36), nullable=False),
    sa.Column('mediator_name', sa.String(length=50), nullable=False),
    sa.Column('requested_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('decision', sa.String(length=10), nullable=True),
    sa.Column('decided_on', sa.Date(), nullable=True),
    sa.Column('decided_by', sa.String(length=50), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.Column('replacement_id', sa.String(length=36), nullable=True),
    sa.Column('replacement_name', sa.String(length=50), nullable=True),
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
    sa.ForeignKeyConstraint(['case_id'], ['mediation_case.id'], name=op.f('fk_mediation_recusal_case_id_mediation_case')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mediation_recusal'))
    )
    with op.batch_alter_table('mediation_recusal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mediation_recusal_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mediation_recusal_village_code'), ['village_code'], unique=False)

    # 受理 → 终止 without a mediation: a refusal before mediation (Art. 17), i.e. 不予受理.
    never_mediated = (
        "outcome = '终止' AND NOT EXISTS (SELECT 1 FROM mediation_transition t "
        "WHERE t.case_id = mediation_case.id AND t.to_state = '调解中')"
    )
    op.execute(
        "UPDATE mediation_transition SET to_state = '不予受理' WHERE to_state = '终止' AND from_state = '受理' "
        "AND case_id IN (SELECT id FROM mediation_case WHERE " + never_mediated + ")"
    )
    op.execute(
        "UPDATE mediation_transition SET from_state = '不予受理' WHERE from_state = '终止' "
        "AND case_id IN (SELECT id FROM mediation_case WHERE " + never_mediated + ")"
    )
    op.execute(
        "UPDATE mediation_case SET state = CASE WHEN state = '终止' THEN '不予受理' ELSE state END, "
        "outcome = '不予受理' WHERE " + never_mediated
    )


def downgrade() -> None:
    with op.batch_alter_table('mediation_recusal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mediation_recusal_village_code'))
        batch_op.drop_index(batch_op.f('ix_mediation_recusal_case_id'))
    op.drop_table('mediation_recusal')
    with op.batch_alter_table('mediation_agreement', schema=None) as batch_op:
        batch_op.drop_column('performance_place')
    with op.batch_alter_table('mediation_mediator', schema=None) as batch_op:
        batch_op.drop_column('person_id')
    with op.batch_alter_table('mediation_party', schema=None) as batch_op:
        batch_op.drop_column('guardian_phone')
        batch_op.drop_column('guardian_id_number')
        batch_op.drop_column('guardian_relation')
        batch_op.drop_column('guardian_name')
        batch_op.drop_column('guardian_person_id')
