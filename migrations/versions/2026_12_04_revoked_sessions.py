"""signed-out staff sessions

Revision ID: 0010
Revises: 0005
Create Date: 2026-12-04 15:30:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'revoked_session',
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('employee_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['employee_id'], ['employee.id'], name=op.f('fk_revoked_session_employee_id_employee')),
        sa.PrimaryKeyConstraint('digest', name=op.f('pk_revoked_session')),
    )
    op.create_index(op.f('ix_revoked_session_employee_id'), 'revoked_session', ['employee_id'], unique=False)
    op.create_index(op.f('ix_revoked_session_expires_at'), 'revoked_session', ['expires_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_revoked_session_expires_at'), table_name='revoked_session')
    op.drop_index(op.f('ix_revoked_session_employee_id'), table_name='revoked_session')
    op.drop_table('revoked_session')
