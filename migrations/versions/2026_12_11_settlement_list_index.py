"""index for the settlement list filtered by state and funder type at a million orders

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-11 09:00:00
"""
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        # CONCURRENTLY: a live broker's orders keep taking writes while it builds
        with op.get_context().autocommit_block():
            op.create_index('ix_bo_order_status_funder_disbursed_on', 'bo_order',
                            ['status', 'funder_type', 'disbursed_on'], postgresql_concurrently=True,
                            if_not_exists=True)
    else:
        op.create_index('ix_bo_order_status_funder_disbursed_on', 'bo_order', ['status', 'funder_type', 'disbursed_on'])


def downgrade() -> None:
    op.drop_index('ix_bo_order_status_funder_disbursed_on', table_name='bo_order')
