"""accounting export: the account mapping to 金蝶/用友, voucher-number counters, exports and their vouchers

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-14 09:00:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('acct_mapping',
    sa.Column('account', sa.String(length=32), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('aux_customer', sa.Boolean(), nullable=False),
    sa.Column('aux_department', sa.Boolean(), nullable=False),
    sa.Column('aux_employee', sa.Boolean(), nullable=False),
    sa.Column('updated_by_id', sa.BigInteger(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('account', name=op.f('pk_acct_mapping'))
    )
    op.create_table('acct_voucher_counter',
    sa.Column('target', sa.String(length=24), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('target', 'month', name=op.f('pk_acct_voucher_counter'))
    )
    op.create_table('acct_export',
    sa.Column('id', ID, nullable=False),
    sa.Column('target', sa.String(length=24), nullable=False),
    sa.Column('date_from', sa.Date(), nullable=False),
    sa.Column('date_to', sa.Date(), nullable=False),
    sa.Column('voucher_count', sa.Integer(), nullable=False),
    sa.Column('numbers', JSON, nullable=False),
    sa.Column('reexport', sa.Boolean(), nullable=False),
    sa.Column('reexport_of', JSON, nullable=False),
    sa.Column('created_by_id', ID, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('filename', sa.String(length=120), nullable=False),
    sa.Column('storage_key', sa.String(length=255), nullable=False),
    sa.Column('key_id', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['employee.id'], name=op.f('fk_acct_export_created_by_id_employee')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_acct_export'))
    )
    op.create_index('ix_acct_export_target_period', 'acct_export', ['target', 'date_from', 'date_to'], unique=False)
    op.create_table('acct_exported_voucher',
    sa.Column('id', ID, nullable=False),
    sa.Column('export_id', ID, nullable=False),
    sa.Column('target', sa.String(length=24), nullable=False),
    sa.Column('entry_id', ID, nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('voucher_no', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['journal_entry.id'],
                            name=op.f('fk_acct_exported_voucher_entry_id_journal_entry')),
    sa.ForeignKeyConstraint(['export_id'], ['acct_export.id'],
                            name=op.f('fk_acct_exported_voucher_export_id_acct_export'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_acct_exported_voucher'))
    )
    op.create_index(op.f('ix_acct_exported_voucher_export_id'), 'acct_exported_voucher', ['export_id'], unique=False)
    op.create_index('ix_acct_exported_voucher_target_entry', 'acct_exported_voucher', ['target', 'entry_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_acct_exported_voucher_target_entry', table_name='acct_exported_voucher')
    op.drop_index(op.f('ix_acct_exported_voucher_export_id'), table_name='acct_exported_voucher')
    op.drop_table('acct_exported_voucher')
    op.drop_index('ix_acct_export_target_period', table_name='acct_export')
    op.drop_table('acct_export')
    op.drop_table('acct_voucher_counter')
    op.drop_table('acct_mapping')
