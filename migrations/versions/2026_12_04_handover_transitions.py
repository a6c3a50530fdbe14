"""handover case and item history

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 16:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'handover_transition',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('entity', sa.String(length=20), nullable=False),
        sa.Column('entity_id', sa.BigInteger(), nullable=False),
        sa.Column('action', sa.String(length=20), nullable=False),
        sa.Column('from_status', sa.String(length=20), nullable=True),
        sa.Column('to_status', sa.String(length=20), nullable=False),
        sa.Column('actor_employee_id', sa.BigInteger(), nullable=True),
        sa.Column('note', sa.String(length=200), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_handover_transition')),
    )
    op.create_index('ix_handover_transition_entity', 'handover_transition', ['entity', 'entity_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_handover_transition_entity', table_name='handover_transition')
    op.drop_table('handover_transition')
