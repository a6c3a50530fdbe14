"""employee sessions can be ended

Revision ID: 0009
Revises: 0003
Create Date: 2026-11-30 19:58:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('employee') as batch_op:
        batch_op.add_column(sa.Column('sessions_valid_after', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('employee') as batch_op:
        batch_op.drop_column('sessions_valid_after')
