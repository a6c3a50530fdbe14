"""report builder: saved reports on a manager's dashboard

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-19 09:00:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table('saved_report',
    sa.Column('id', ID, nullable=False),
    sa.Column('owner_id', ID, nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('definition', JSON, nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['employee.id'], name=op.f('fk_saved_report_owner_id_employee')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_report'))
    )
    with op.batch_alter_table('saved_report', schema=None) as batch_op:
        batch_op.create_index('ix_saved_report_owner_id_position', ['owner_id', 'position'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('saved_report', schema=None) as batch_op:
        batch_op.drop_index('ix_saved_report_owner_id_position')
    op.drop_table('saved_report')
