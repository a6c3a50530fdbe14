"""risk control: facts per customer, the scorecard, rules, their matches and firings, and the decisions in force

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-13 09:00:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('risk_rule',
    sa.Column('id', ID, nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('condition', JSON, nullable=False),
    sa.Column('actions', JSON, nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by', ID, nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['employee.id'], name=op.f('fk_risk_rule_created_by_employee')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_rule')),
    sa.UniqueConstraint('name', name=op.f('uq_risk_rule_name'))
    )
    with op.batch_alter_table('risk_rule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_rule_active'), ['active'], unique=False)

    op.create_table('risk_scorecard',
    sa.Column('id', ID, nullable=False),
    sa.Column('base', sa.Integer(), nullable=False),
    sa.Column('bands', JSON, nullable=False),
    sa.Column('created_by', ID, nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['employee.id'], name=op.f('fk_risk_scorecard_created_by_employee')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_scorecard'))
    )
    op.create_table('risk_decision',
    sa.Column('customer_id', ID, nullable=False),
    sa.Column('reject_pool', sa.Boolean(), nullable=False),
    sa.Column('reject_pool_firing_id', sa.BigInteger(), nullable=True),
    sa.Column('reject_pool_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('awaiting_approval_role', sa.String(length=20), nullable=True),
    sa.Column('awaiting_approval_employee_id', ID, nullable=True),
    sa.Column('awaiting_approval_title', sa.String(length=32), nullable=True),
    sa.Column('approval_firing_id', sa.BigInteger(), nullable=True),
    sa.Column('approval_routed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('returned_missing', JSON, nullable=True),
    sa.Column('returned_firing_id', sa.BigInteger(), nullable=True),
    sa.Column('returned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['awaiting_approval_employee_id'], ['employee.id'], name=op.f('fk_risk_decision_awaiting_approval_employee_id_employee')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_risk_decision_customer_id_customer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_risk_decision'))
    )
    with op.batch_alter_table('risk_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_decision_reject_pool'), ['reject_pool'], unique=False)

    op.create_table('risk_fact',
    sa.Column('customer_id', ID, nullable=False),
    sa.Column('inquiries_1m', sa.Integer(), nullable=True),
    sa.Column('inquiries_3m', sa.Integer(), nullable=True),
    sa.Column('inquiries_6m', sa.Integer(), nullable=True),
    sa.Column('overdue_count', sa.Integer(), nullable=True),
    sa.Column('worst_overdue', sa.String(length=10), nullable=True),
    sa.Column('total_debt_fen', sa.BigInteger(), nullable=True),
    sa.Column('monthly_income_fen', sa.BigInteger(), nullable=True),
    sa.Column('debt_ratio_bp', sa.Integer(), nullable=True),
    sa.Column('online_loans', sa.Integer(), nullable=True),
    sa.Column('materials_mask', sa.Integer(), nullable=False),
    sa.Column('materials_count', sa.Integer(), nullable=False),
    sa.Column('social_security_months', sa.Integer(), nullable=True),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_by', ID, nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_risk_fact_customer_id_customer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by'], ['employee.id'], name=op.f('fk_risk_fact_updated_by_employee')),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_risk_fact'))
    )
    with op.batch_alter_table('risk_fact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_fact_score'), ['score'], unique=False)

    op.create_table('risk_firing',
    sa.Column('id', ID, nullable=False),
    sa.Column('rule_id', ID, nullable=False),
    sa.Column('rule_version', sa.Integer(), nullable=False),
    sa.Column('rule_name', sa.String(length=64), nullable=False),
    sa.Column('customer_id', ID, nullable=False),
    sa.Column('facts_version', sa.Integer(), nullable=False),
    sa.Column('evidence', JSON, nullable=False),
    sa.Column('done', JSON, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_risk_firing_customer_id_customer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rule_id'], ['risk_rule.id'], name=op.f('fk_risk_firing_rule_id_risk_rule'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_firing'))
    )
    with op.batch_alter_table('risk_firing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_firing_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_firing_rule_id'), ['rule_id'], unique=False)

    op.create_table('risk_match',
    sa.Column('rule_id', ID, nullable=False),
    sa.Column('customer_id', ID, nullable=False),
    sa.Column('firing_id', sa.BigInteger(), nullable=True),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_risk_match_customer_id_customer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rule_id'], ['risk_rule.id'], name=op.f('fk_risk_match_rule_id_risk_rule'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('rule_id', 'customer_id', name=op.f('pk_risk_match'))
    )
    with op.batch_alter_table('risk_match', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_match_customer_id'), ['customer_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('risk_match', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_match_customer_id'))

    op.drop_table('risk_match')
    with op.batch_alter_table('risk_firing', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_firing_rule_id'))
        batch_op.drop_index(batch_op.f('ix_risk_firing_customer_id'))

    op.drop_table('risk_firing')
    with op.batch_alter_table('risk_fact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_fact_score'))

    op.drop_table('risk_fact')
    with op.batch_alter_table('risk_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_decision_reject_pool'))

    op.drop_table('risk_decision')
    op.drop_table('risk_scorecard')
    with op.batch_alter_table('risk_rule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_rule_active'))

    op.drop_table('risk_rule')
