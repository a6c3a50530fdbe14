"""pipeline: stages as data, entry requirements, time in stage, SLA escalations

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-15 09:00:00
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
STAGE = sa.Enum('lead', 'contacted', 'appointment', 'signed', 'processing', 'disbursed', 'settled', 'lost',
                name='stage', native_enum=False, length=20)
OWNER_KIND = sa.Enum('salesperson', 'role', 'employee', name='ownerkind', native_enum=False, length=20)

# the standard eight steps: key, name, lifecycle stage, owner kind, owner role, SLA hours, entry requirements
STAGES = [
    ('lead_entry', '线索录入', 'lead', 'salesperson', None, 24, []),
    ('assignment', '客户分配', 'lead', 'role', 'supervisor', 24, []),
    ('qualification', '资质初审', 'contacted', 'salesperson', None, 48, [{'kind': 'product_chosen'}]),
    ('plan_matching', '方案匹配', 'appointment', 'salesperson', None, 72, [{'kind': 'product_chosen'}]),
    ('risk_review', '风控复审', 'appointment', 'role', 'supervisor', 48,
     [{'kind': 'product_chosen'}, {'kind': 'materials_complete'}, {'kind': 'min_score', 'value': 60}]),
    ('contract', '合同签署', 'signed', 'salesperson', None, 72, [{'kind': 'materials_complete'}]),
    ('disbursement', '放款', 'disbursed', 'role', 'processor', 168, []),
    ('post_loan', '贷后跟踪', 'disbursed', 'salesperson', None, None, []),
]


def upgrade() -> None:
    stage = op.create_table('pipeline_stage',
    sa.Column('id', ID, nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('lifecycle_stage', STAGE, nullable=False),
    sa.Column('owner_kind', OWNER_KIND, nullable=False),
    sa.Column('owner_role', sa.String(length=20), nullable=True),
    sa.Column('owner_employee_id', ID, nullable=True),
    sa.Column('sla_hours', sa.Integer(), nullable=True),
    sa.Column('requirements', JSON, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_employee_id'], ['employee.id'],
                            name=op.f('fk_pipeline_stage_owner_employee_id_employee')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pipeline_stage')),
    sa.UniqueConstraint('key', name=op.f('uq_pipeline_stage_key')),
    sa.UniqueConstraint('name', name=op.f('uq_pipeline_stage_name'))
    )
    op.create_table('customer_pipeline',
    sa.Column('customer_id', ID, nullable=False),
    sa.Column('stage_id', ID, nullable=False),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('moved_by_id', ID, nullable=True),
    sa.Column('escalated', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_customer_pipeline_customer_id_customer'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['moved_by_id'], ['employee.id'], name=op.f('fk_customer_pipeline_moved_by_id_employee')),
    sa.ForeignKeyConstraint(['stage_id'], ['pipeline_stage.id'],
                            name=op.f('fk_customer_pipeline_stage_id_pipeline_stage')),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_customer_pipeline'))
    )
    op.create_index('ix_customer_pipeline_stage_id_entered_at', 'customer_pipeline', ['stage_id', 'entered_at'],
                    unique=False)
    op.create_table('pipeline_stay',
    sa.Column('id', ID, nullable=False),
    sa.Column('customer_id', ID, nullable=False),
    sa.Column('stage_id', ID, nullable=True),
    sa.Column('stage_name', sa.String(length=32), nullable=False),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('left_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('moved_by_id', ID, nullable=True),
    sa.Column('source', sa.String(length=30), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_pipeline_stay_customer_id_customer'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['moved_by_id'], ['employee.id'], name=op.f('fk_pipeline_stay_moved_by_id_employee')),
    sa.ForeignKeyConstraint(['stage_id'], ['pipeline_stage.id'], name=op.f('fk_pipeline_stay_stage_id_pipeline_stage'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pipeline_stay'))
    )
    op.create_index(op.f('ix_pipeline_stay_customer_id'), 'pipeline_stay', ['customer_id'], unique=False)
    now = datetime.now(timezone.utc)
    op.bulk_insert(stage, [{'key': k, 'name': n, 'position': p, 'lifecycle_stage': life, 'owner_kind': kind,
                            'owner_role': role, 'owner_employee_id': None, 'sla_hours': sla, 'requirements': reqs,
                            'created_at': now, 'updated_at': now}
                           for p, (k, n, life, kind, role, sla, reqs) in enumerate(STAGES, start=1)])


def downgrade() -> None:
    op.drop_index(op.f('ix_pipeline_stay_customer_id'), table_name='pipeline_stay')
    op.drop_table('pipeline_stay')
    op.drop_index('ix_customer_pipeline_stage_id_entered_at', table_name='customer_pipeline')
    op.drop_table('customer_pipeline')
    op.drop_table('pipeline_stage')
