"""customers and follows counted by month, kept by triggers, for the dashboards at a million customers

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-12 09:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

CONVERTED = "('signed', 'processing', 'disbursed', 'settled')"
ENDED = "('deleted_by_staff', 'deleted_by_customer')"
CUSTOMER_KEY = ('owner_id', 'stage', 'channel_id', 'status', 'created_at')
FOLLOW_KEY = ('employee_id', 'state', 'status', 'added_at')


def _tables() -> None:
    ident = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
    op.create_table('customer_stage_month',
    sa.Column('id', ident, nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('owner_id', sa.BigInteger(), nullable=True),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_stage_month'))
    )
    op.create_index(op.f('ix_customer_stage_month_month'), 'customer_stage_month', ['month'], unique=False)
    op.create_table('customer_channel_month',
    sa.Column('id', ident, nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('owner_id', sa.BigInteger(), nullable=True),
    sa.Column('channel_id', sa.BigInteger(), nullable=False),
    sa.Column('converted', sa.Boolean(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_channel_month'))
    )
    op.create_index(op.f('ix_customer_channel_month_month'), 'customer_channel_month', ['month'], unique=False)
    op.create_table('follow_month',
    sa.Column('id', ident, nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('employee_id', sa.BigInteger(), nullable=False),
    sa.Column('state', sa.String(length=64), nullable=False),
    sa.Column('ended', sa.Boolean(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_month'))
    )
    op.create_index(op.f('ix_follow_month_month'), 'follow_month', ['month'], unique=False)


def _customer_rows(row: str, sign: str, month: str) -> list[str]:
    """The two appends for one customer row (``NEW`` or ``OLD``)."""
    return [
        f"INSERT INTO customer_stage_month (month, owner_id, stage, n) "
        f"VALUES ({month}, {row}.owner_id, {row}.stage, {sign}1)",
        f"INSERT INTO customer_channel_month (month, owner_id, channel_id, converted, n) "
        f"SELECT {month}, {row}.owner_id, {row}.channel_id, {row}.stage IN {CONVERTED}, {sign}1 "
        f"WHERE {row}.channel_id IS NOT NULL",
    ]


def _follow_rows(row: str, sign: str, month: str) -> list[str]:
    return [
        f"INSERT INTO follow_month (month, employee_id, state, ended, n) "
        f"SELECT {month}, {row}.employee_id, {row}.state, {row}.status IN {ENDED}, {sign}1 "
        f"WHERE {row}.state IS NOT NULL",
    ]


# (table, trigger name, its appends, the columns a count depends on, the month's column, which rows count)
TRACKED = (('customer', 'customer_month_counts', _customer_rows, CUSTOMER_KEY, 'created_at', "{}.status <> 'merged'"),
           ('customer_follow', 'follow_month_counts', _follow_rows, FOLLOW_KEY, 'added_at', 'TRUE'))


def _changed(key: tuple[str, ...], distinct: str) -> str:
    return ' OR '.join(f'OLD.{c} {distinct} NEW.{c}' for c in key)


def _postgresql() -> None:
    def month(row: str, column: str) -> str:
        return f"(date_trunc('month', {row}.{column} AT TIME ZONE 'Asia/Shanghai'))::date"

    for table, name, rows, key, column, counted in TRACKED:
        old = ';\n    '.join(rows('OLD', '-', month('OLD', column)))
        new = ';\n    '.join(rows('NEW', '+', month('NEW', column)))
        op.execute(f"""
CREATE FUNCTION scrm_{name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' AND {counted.format('OLD')} THEN
    {old};
  END IF;
  IF TG_OP <> 'DELETE' AND {counted.format('NEW')} THEN
    {new};
  END IF;
  RETURN NULL;
END $$""")
        op.execute(f"CREATE TRIGGER {name} AFTER INSERT OR DELETE ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION scrm_{name}()")
        op.execute(f"CREATE TRIGGER {name}_update AFTER UPDATE OF {', '.join(key)} ON {table} FOR EACH ROW "
                   f"WHEN ({_changed(key, 'IS DISTINCT FROM')}) EXECUTE FUNCTION scrm_{name}()")


def _sqlite() -> None:
    def month(row: str, column: str) -> str:
        # the seconds' fraction cut off: SQLite rounds it to milliseconds, which would carry 23:59:59.9999 across
        return f"date(substr({row}.{column}, 1, 19), '+8 hours', 'start of month')"

    for table, name, rows, key, column, counted in TRACKED:
        old = ';\n  '.join(rows('OLD', '-', month('OLD', column)))
        new = ';\n  '.join(rows('NEW', '+', month('NEW', column)))
        changed = _changed(key, 'IS NOT')
        op.execute(f"CREATE TRIGGER {name}_insert AFTER INSERT ON {table} WHEN {counted.format('NEW')}\n"
                   f"BEGIN\n  {new};\nEND")
        op.execute(f"CREATE TRIGGER {name}_delete AFTER DELETE ON {table} WHEN {counted.format('OLD')}\n"
                   f"BEGIN\n  {old};\nEND")
        op.execute(f"CREATE TRIGGER {name}_update_new AFTER UPDATE OF {', '.join(key)} ON {table} "
                   f"WHEN {counted.format('NEW')} AND ({changed})\nBEGIN\n  {new};\nEND")
        op.execute(f"CREATE TRIGGER {name}_update_old AFTER UPDATE OF {', '.join(key)} ON {table} "
                   f"WHEN {counted.format('OLD')} AND ({changed})\nBEGIN\n  {old};\nEND")


def _backfill(month_created: str, month_added: str) -> None:
    op.execute(f"INSERT INTO customer_stage_month (month, owner_id, stage, n) "
               f"SELECT {month_created}, owner_id, stage, count(*) FROM customer WHERE status <> 'merged' "
               f"GROUP BY 1, 2, 3")
    op.execute(f"INSERT INTO customer_channel_month (month, owner_id, channel_id, converted, n) "
               f"SELECT {month_created}, owner_id, channel_id, stage IN {CONVERTED}, count(*) FROM customer "
               f"WHERE status <> 'merged' AND channel_id IS NOT NULL GROUP BY 1, 2, 3, 4")
    op.execute(f"INSERT INTO follow_month (month, employee_id, state, ended, n) "
               f"SELECT {month_added}, employee_id, state, status IN {ENDED}, count(*) FROM customer_follow "
               f"WHERE state IS NOT NULL GROUP BY 1, 2, 3, 4")


def upgrade() -> None:
    _tables()
    # the triggers first: on PostgreSQL creating them locks out writers until this transaction commits, so the
    # backfill below and the triggers see every row exactly once
    if op.get_bind().dialect.name == 'postgresql':
        _postgresql()
        _backfill("(date_trunc('month', created_at AT TIME ZONE 'Asia/Shanghai'))::date",
                  "(date_trunc('month', added_at AT TIME ZONE 'Asia/Shanghai'))::date")
    else:
        _sqlite()
        _backfill("date(substr(created_at, 1, 19), '+8 hours', 'start of month')",
                  "date(substr(added_at, 1, 19), '+8 hours', 'start of month')")
    _covering_indexes()


COVERING = (('ix_customer_created_at_counted', 'customer', ['created_at'], ['owner_id', 'stage', 'channel_id', 'status']),
            ('ix_customer_follow_added_at', 'customer_follow', ['added_at'], ['employee_id', 'state', 'status']))


def _covering_indexes() -> None:
    """The days outside whole months are counted from these indexes alone on PostgreSQL (SQLite has no INCLUDE)."""
    if op.get_bind().dialect.name == 'postgresql':
        # CONCURRENTLY, after the counts have committed: a live broker's customers keep taking writes meanwhile
        with op.get_context().autocommit_block():
            for name, table, columns, include in COVERING:
                op.create_index(name, table, columns, postgresql_include=include, postgresql_concurrently=True,
                                if_not_exists=True)
    else:
        for name, table, columns, _ in COVERING:
            op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _, _ in COVERING:
        op.drop_index(name, table_name=table)
    if op.get_bind().dialect.name == 'postgresql':
        for table, name in (('customer', 'customer_month_counts'), ('customer_follow', 'follow_month_counts')):
            op.execute(f"DROP TRIGGER {name} ON {table}")
            op.execute(f"DROP TRIGGER {name}_update ON {table}")
            op.execute(f"DROP FUNCTION scrm_{name}()")
    else:
        for name in ('customer_month_counts', 'follow_month_counts'):
            for event in ('insert', 'delete', 'update_new', 'update_old'):
                op.execute(f"DROP TRIGGER {name}_{event}")
    for table in ('follow_month', 'customer_channel_month', 'customer_stage_month'):
        op.drop_index(op.f(f'ix_{table}_month'), table_name=table)
        op.drop_table(table)
