"""tiers as a list a manager edits; the risk counts customers state in their chats

The tier columns (customer_tier.tier, tier_rule.tier, tier_group.tier, tier_change.*) were strings already, so they
keep their values; the ``tier`` table they name is filled with the tiers that existed (A, B, C and the reserved
blocked pool). ``customer_profile.counts`` and ``risk_fact.text_facts`` hold the counts read from the chats.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-17 09:00:00
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


TIERS = [("A", "A 类", 10, "#d93025"), ("B", "B 类", 20, "#f29900"), ("C", "C 类", 30, "#1a73e8"),
         ("blocked", "拦截池", 1000, "#5f6368")]


def upgrade() -> None:
    tier = op.create_table('tier',
    sa.Column('key', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=20), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('colour', sa.String(length=7), nullable=False),
    sa.Column('reserved', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_tier'))
    )
    op.bulk_insert(tier, [{'key': k, 'name': n, 'position': p, 'colour': c, 'reserved': k == 'blocked',
                           'updated_at': datetime.now(timezone.utc)} for k, n, p, c in TIERS])
    # a tier some rule or customer already names, beyond the four (none is expected), is kept as a tier
    op.execute("INSERT INTO tier (key, name, position, colour, reserved, updated_at) "
               "SELECT DISTINCT t, t, 500, '#888888', false, CURRENT_TIMESTAMP FROM ("
               "SELECT tier AS t FROM customer_tier UNION SELECT tier FROM tier_rule UNION SELECT tier FROM tier_group"
               ") AS used WHERE t NOT IN (SELECT key FROM tier)")
    with op.batch_alter_table('customer_profile') as batch:
        batch.add_column(sa.Column('counts', JSON, server_default='{}', nullable=False))
    with op.batch_alter_table('risk_fact') as batch:
        batch.add_column(sa.Column('text_facts', JSON, server_default='{}', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('risk_fact') as batch:
        batch.drop_column('text_facts')
    with op.batch_alter_table('customer_profile') as batch:
        batch.drop_column('counts')
    op.drop_table('tier')
