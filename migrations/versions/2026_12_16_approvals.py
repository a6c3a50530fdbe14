"""approval flows: steps per product, applications waiting on approvers, decisions

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-16 09:00:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('approval_flow',
    sa.Column('id', ID, nullable=False),
    sa.Column('subject_kind', sa.String(length=20), nullable=False),
    sa.Column('product_code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('steps', JSON, nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_by', ID, nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['updated_by'], ['employee.id'], name=op.f('fk_approval_flow_updated_by_employee')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_flow')),
    sa.UniqueConstraint('subject_kind', 'product_code', name=op.f('uq_approval_flow_subject_kind_product_code'))
    )
    op.create_table('approval_instance',
    sa.Column('id', ID, nullable=False),
    sa.Column('flow_id', ID, nullable=False),
    sa.Column('flow_version', sa.Integer(), nullable=False),
    sa.Column('steps', JSON, nullable=False),
    sa.Column('subject_kind', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.BigInteger(), nullable=False),
    sa.Column('customer_id', ID, nullable=False),
    sa.Column('product_code', sa.String(length=32), nullable=True),
    sa.Column('amount_fen', sa.BigInteger(), nullable=True),
    sa.Column('applicant_id', ID, nullable=True),
    sa.Column('routed_employee_id', ID, nullable=True),
    sa.Column('routed_role', sa.String(length=20), nullable=True),
    sa.Column('routed_title', sa.String(length=32), nullable=True),
    sa.Column('routed_firing_id', sa.BigInteger(), nullable=True),
    sa.Column('routed_evidence', sa.String(length=300), nullable=True),
    sa.Column('status', sa.Enum('pending', 'approved', 'rejected', 'returned', 'cancelled', name='approvalstatus',
                                native_enum=False, length=20), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('current_step', sa.Integer(), nullable=False),
    sa.Column('waiting_kind', sa.String(length=20), nullable=True),
    sa.Column('waiting_role', sa.String(length=20), nullable=True),
    sa.Column('waiting_employee_id', ID, nullable=True),
    sa.Column('created_by', ID, nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['flow_id'], ['approval_flow.id'], name=op.f('fk_approval_instance_flow_id_approval_flow')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_approval_instance_customer_id_customer'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['applicant_id'], ['employee.id'], name=op.f('fk_approval_instance_applicant_id_employee')),
    sa.ForeignKeyConstraint(['routed_employee_id'], ['employee.id'],
                            name=op.f('fk_approval_instance_routed_employee_id_employee')),
    sa.ForeignKeyConstraint(['waiting_employee_id'], ['employee.id'],
                            name=op.f('fk_approval_instance_waiting_employee_id_employee')),
    sa.ForeignKeyConstraint(['created_by'], ['employee.id'], name=op.f('fk_approval_instance_created_by_employee')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_instance'))
    )
    with op.batch_alter_table('approval_instance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_approval_instance_subject_id'), ['subject_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_approval_instance_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_approval_instance_applicant_id'), ['applicant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_approval_instance_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_approval_instance_waiting_employee_id'), ['waiting_employee_id'],
                              unique=False)

    op.create_table('approval_decision',
    sa.Column('id', ID, nullable=False),
    sa.Column('instance_id', ID, nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('step', sa.Integer(), nullable=True),
    sa.Column('step_name', sa.String(length=20), nullable=True),
    sa.Column('actor_id', ID, nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('comment', sa.String(length=500), nullable=True),
    sa.Column('via', sa.String(length=20), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['approval_instance.id'],
                            name=op.f('fk_approval_decision_instance_id_approval_instance'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['actor_id'], ['employee.id'], name=op.f('fk_approval_decision_actor_id_employee')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_decision')),
    sa.UniqueConstraint('instance_id', 'round', 'step', name=op.f('uq_approval_decision_instance_id_round_step'))
    )
    with op.batch_alter_table('approval_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_approval_decision_instance_id'), ['instance_id'], unique=False)

    op.create_table('approval_card',
    sa.Column('id', ID, nullable=False),
    sa.Column('instance_id', ID, nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('employee_id', ID, nullable=False),
    sa.Column('userid', sa.String(length=64), nullable=False),
    sa.Column('task_id', sa.String(length=128), nullable=False),
    sa.Column('msgid', sa.String(length=64), nullable=True),
    sa.Column('response_code', sa.String(length=128), nullable=True),
    sa.Column('outcome', sa.String(length=40), nullable=True),
    sa.Column('error', sa.String(length=300), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('clicked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['approval_instance.id'],
                            name=op.f('fk_approval_card_instance_id_approval_instance'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['employee_id'], ['employee.id'], name=op.f('fk_approval_card_employee_id_employee')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_card')),
    sa.UniqueConstraint('instance_id', 'round', 'step', 'employee_id', name=op.f('uq_approval_card_instance_id_round_step_employee_id')),
    sa.UniqueConstraint('task_id', name=op.f('uq_approval_card_task_id'))
    )
    with op.batch_alter_table('approval_card', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_approval_card_instance_id'), ['instance_id'], unique=False)


def downgrade() -> None:
    for table in ('approval_card', 'approval_decision', 'approval_instance', 'approval_flow'):
        op.drop_table(table)
