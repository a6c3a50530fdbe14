"""attachment files: content digest, encryption key id, customer uploads

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 10:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('attachment') as batch:
        batch.add_column(sa.Column('sha256', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('key_id', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('by_customer', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('attachment') as batch:
        batch.drop_column('by_customer')
        batch.drop_column('key_id')
        batch.drop_column('sha256')
