"""wecom import: runs, a cursor checkpoint per follower, the pairs the nightly run found

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08 10:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('wecom_import_run',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('kind', sa.Enum('import', 'reconcile', name='importkind', native_enum=False, length=16), nullable=False),
    sa.Column('status', sa.Enum('running', 'stopped', 'failed', 'done', name='importstatus', native_enum=False,
                                length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('followers_total', sa.Integer(), nullable=False),
    sa.Column('followers_done', sa.Integer(), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.Column('rows_read', sa.Integer(), nullable=False),
    sa.Column('customers_added', sa.Integer(), nullable=False),
    sa.Column('customers_updated', sa.Integer(), nullable=False),
    sa.Column('follows_ended', sa.Integer(), nullable=False),
    sa.Column('owners_changed', sa.Integer(), nullable=False),
    sa.Column('groups', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wecom_import_run')),
    )
    op.create_index(op.f('ix_wecom_import_run_status'), 'wecom_import_run', ['status'], unique=False)
    op.create_table('wecom_import_cursor',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('run_id', BIG_ID, nullable=False),
    sa.Column('userid', sa.String(length=64), nullable=False),
    sa.Column('cursor', sa.String(length=255), nullable=False),
    sa.Column('done', sa.Boolean(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('unlicensed', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['wecom_import_run.id'], name=op.f('fk_wecom_import_cursor_run_id_wecom_import_run'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wecom_import_cursor')),
    sa.UniqueConstraint('run_id', 'userid', name=op.f('uq_wecom_import_cursor_run_id_userid')),
    )
    op.create_index(op.f('ix_wecom_import_cursor_run_id'), 'wecom_import_cursor', ['run_id'], unique=False)
    op.create_table('wecom_import_seen',
    sa.Column('run_id', BIG_ID, nullable=False),
    sa.Column('userid', sa.String(length=64), nullable=False),
    sa.Column('external_userid', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['wecom_import_run.id'], name=op.f('fk_wecom_import_seen_run_id_wecom_import_run'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', 'userid', 'external_userid', name=op.f('pk_wecom_import_seen')),
    )


def downgrade() -> None:
    op.drop_table('wecom_import_seen')
    op.drop_index(op.f('ix_wecom_import_cursor_run_id'), table_name='wecom_import_cursor')
    op.drop_table('wecom_import_cursor')
    op.drop_index(op.f('ix_wecom_import_run_status'), table_name='wecom_import_run')
    op.drop_table('wecom_import_run')
