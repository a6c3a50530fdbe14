"""indexes for a million customers: trigram name search, tags, owner with id

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 09:00:00
"""
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
        # CONCURRENTLY: a live company's customer table keeps taking writes while the indexes build
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        with op.get_context().autocommit_block():
            op.create_index('ix_customer_name_trgm', 'customer', ['name'], postgresql_using='gin',
                            postgresql_ops={'name': 'gin_trgm_ops'}, postgresql_concurrently=True, if_not_exists=True)
            op.create_index('ix_customer_owner_id_id', 'customer', ['owner_id', 'id'], postgresql_concurrently=True,
                            if_not_exists=True)
            op.create_index('ix_customer_profile_tags', 'customer_profile', ['tags'], postgresql_using='gin',
                            postgresql_ops={'tags': 'jsonb_path_ops'}, postgresql_concurrently=True, if_not_exists=True)
            op.drop_index('ix_customer_owner_id', table_name='customer', postgresql_concurrently=True)
    else:
        op.create_index('ix_customer_name_trgm', 'customer', ['name'])
        op.create_index('ix_customer_owner_id_id', 'customer', ['owner_id', 'id'])
        op.create_index('ix_customer_profile_tags', 'customer_profile', ['tags'])
        op.drop_index('ix_customer_owner_id', table_name='customer')


def downgrade() -> None:
    op.create_index('ix_customer_owner_id', 'customer', ['owner_id'])
    op.drop_index('ix_customer_profile_tags', table_name='customer_profile')
    op.drop_index('ix_customer_owner_id_id', table_name='customer')
    op.drop_index('ix_customer_name_trgm', table_name='customer')
