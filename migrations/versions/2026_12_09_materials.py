"""scripts and materials for the chat sidebar, and their sends

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-09 10:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('material',
    sa.Column('id', ID, nullable=False),
    sa.Column('kind', sa.Enum('text', 'image', 'file', 'link', 'miniprogram', name='materialkind', native_enum=False, length=20), nullable=False),
    sa.Column('group_name', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=64), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('url', sa.String(length=512), nullable=True),
    sa.Column('cover_url', sa.String(length=512), nullable=True),
    sa.Column('mp_appid', sa.String(length=32), nullable=True),
    sa.Column('mp_page', sa.String(length=256), nullable=True),
    sa.Column('filename', sa.String(length=128), nullable=True),
    sa.Column('content_type', sa.String(length=100), nullable=True),
    sa.Column('size_bytes', sa.BigInteger(), nullable=True),
    sa.Column('storage_key', sa.String(length=255), nullable=True),
    sa.Column('media_id', sa.String(length=128), nullable=True),
    sa.Column('media_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by', ID, nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['employee.id'], name=op.f('fk_material_created_by_employee')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_material'))
    )
    op.create_index(op.f('ix_material_active'), 'material', ['active'], unique=False)
    op.create_index(op.f('ix_material_group_name'), 'material', ['group_name'], unique=False)
    op.create_index(op.f('ix_material_kind'), 'material', ['kind'], unique=False)
    op.create_table('material_send',
    sa.Column('id', ID, nullable=False),
    sa.Column('material_id', ID, nullable=False),
    sa.Column('employee_id', ID, nullable=False),
    sa.Column('customer_id', ID, nullable=True),
    sa.Column('chat_id', sa.String(length=64), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_material_send_customer_id_customer'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['employee_id'], ['employee.id'], name=op.f('fk_material_send_employee_id_employee')),
    sa.ForeignKeyConstraint(['material_id'], ['material.id'], name=op.f('fk_material_send_material_id_material'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_material_send'))
    )
    op.create_index(op.f('ix_material_send_customer_id'), 'material_send', ['customer_id'], unique=False)
    op.create_index(op.f('ix_material_send_employee_id'), 'material_send', ['employee_id'], unique=False)
    op.create_index(op.f('ix_material_send_material_id'), 'material_send', ['material_id'], unique=False)
    op.create_index(op.f('ix_material_send_sent_at'), 'material_send', ['sent_at'], unique=False)


def downgrade() -> None:
    op.drop_table('material_send')
    op.drop_table('material')
