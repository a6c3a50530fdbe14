"""finance performance: budgets per centre and month, expense types, reimbursement payee, discount per count

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-18 09:00:00
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('bo_expense_budget',
    sa.Column('id', ID, nullable=False),
    sa.Column('center_id', ID, nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('set_by_id', ID, nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['center_id'], ['center.id'], name=op.f('fk_bo_expense_budget_center_id_center')),
    sa.ForeignKeyConstraint(['set_by_id'], ['employee.id'], name=op.f('fk_bo_expense_budget_set_by_id_employee')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bo_expense_budget')),
    sa.UniqueConstraint('center_id', 'month', name=op.f('uq_bo_expense_budget_center_id_month'))
    )
    with op.batch_alter_table('bo_expense_budget', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bo_expense_budget_center_id'), ['center_id'], unique=False)

    expense_type = op.create_table('bo_expense_type',
    sa.Column('id', ID, nullable=False),
    sa.Column('code', sa.String(length=24), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('account', sa.String(length=32), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bo_expense_type')),
    sa.UniqueConstraint('code', name=op.f('uq_bo_expense_type_code')),
    sa.UniqueConstraint('name', name=op.f('uq_bo_expense_type_name'))
    )
    now = datetime.now(timezone.utc)
    op.bulk_insert(expense_type, [
        {'code': 'appraisal', 'name': '评估费', 'account': 'appraisal_expense', 'active': True, 'created_at': now},
        {'code': 'rebate', 'name': '返点', 'account': 'rebate_expense', 'active': True, 'created_at': now},
    ])

    with op.batch_alter_table('bo_settlement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('loan_count', sa.Integer(), server_default='1', nullable=False))

    with op.batch_alter_table('bo_reimbursement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payee_name', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('payee_account', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('payee_bank', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('bo_reimbursement', schema=None) as batch_op:
        batch_op.drop_column('payee_bank')
        batch_op.drop_column('payee_account')
        batch_op.drop_column('payee_name')

    with op.batch_alter_table('bo_settlement', schema=None) as batch_op:
        batch_op.drop_column('loan_count')

    op.drop_table('bo_expense_type')
    with op.batch_alter_table('bo_expense_budget', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bo_expense_budget_center_id'))

    op.drop_table('bo_expense_budget')
