"""tagging corrections from staff and versioned tagging models

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-10 10:00:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tagging_model',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('metrics', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('corrections_upto', sa.BigInteger(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tagging_model')),
    sa.UniqueConstraint('version', name=op.f('uq_tagging_model_version'))
    )
    op.create_table('tagging_correction',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('evidence_id', sa.BigInteger(), nullable=True),
    sa.Column('text', sa.String(length=2000), nullable=False),
    sa.Column('field', sa.String(length=16), nullable=False),
    sa.Column('tag', sa.String(length=30), nullable=True),
    sa.Column('value', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('previous', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('employee_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_tagging_correction_customer_id_customer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['employee_id'], ['employee.id'], name=op.f('fk_tagging_correction_employee_id_employee')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tagging_correction'))
    )
    with op.batch_alter_table('tagging_correction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tagging_correction_customer_id'), ['customer_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('tagging_correction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tagging_correction_customer_id'))

    op.drop_table('tagging_correction')
    op.drop_table('tagging_model')
