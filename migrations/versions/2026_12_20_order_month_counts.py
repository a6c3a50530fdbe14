"""orders, disbursements and revenue summed by Beijing month, kept by triggers, for 财务业绩 and the report builder
at a million orders

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-20 09:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

DIMS = ('center_id', 'department_id', 'salesperson_id', 'product_code', 'funder_type')
MEASURES = ('signed_n', 'signed_fen', 'reached_n', 'decided_n', 'disbursed_n', 'disbursed_fen', 'disbursed_days',
            'revenue_fen')
# what a change to an order can move: its dimensions and what each side of it counts
ORDER_KEY = DIMS + ('status', 'signed_at', 'amount_applied_fen', 'disbursed_on', 'disbursed_amount_fen')
REVENUE_ACCOUNTS = "('fee_revenue', 'other_fee_revenue', 'interest_income', 'fee_discounts', 'rebate_expense')"
DISBURSED = "('disbursed', 'settled')"
DECIDED = "('disbursed', 'settled', 'refunded')"


def _table() -> None:
    ident = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
    op.create_table('order_month',
    sa.Column('id', ident, nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('center_id', sa.BigInteger(), nullable=True),
    sa.Column('department_id', sa.BigInteger(), nullable=True),
    sa.Column('salesperson_id', sa.BigInteger(), nullable=True),
    sa.Column('product_code', sa.String(length=32), nullable=True),
    sa.Column('funder_type', sa.String(length=24), nullable=True),
    *[sa.Column(m, sa.BigInteger(), nullable=False, server_default='0') for m in MEASURES],
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_month'))
    )
    op.create_index(op.f('ix_order_month_month'), 'order_month', ['month'], unique=False)


class Dialect:
    def __init__(self, name: str) -> None:
        self.pg = name == 'postgresql'

    def month(self, column: str) -> str:
        if self.pg:
            return f"(date_trunc('month', {column} AT TIME ZONE 'Asia/Shanghai'))::date"
        # the seconds' fraction cut off: SQLite rounds it to milliseconds, which would carry 23:59:59.9999 across
        return f"date(substr({column}, 1, 19), '+8 hours', 'start of month')"

    def date_month(self, column: str) -> str:
        return f"(date_trunc('month', {column}))::date" if self.pg else f"date({column}, 'start of month')"

    def days(self, signed_at: str, disbursed_on: str) -> str:
        """Whole days from the Beijing date of signing to the disbursement date."""
        if self.pg:
            return f"({disbursed_on} - ({signed_at} AT TIME ZONE 'Asia/Shanghai')::date)"
        return (f"CAST(julianday({disbursed_on}) - julianday(date(substr({signed_at}, 1, 19), '+8 hours')) "
                f"AS INTEGER)")


def _flag(condition: str) -> str:
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


def _order_rows(d: Dialect, row: str, sign: str) -> list[str]:
    """The appends for one order row (``NEW`` or ``OLD``): its sign-up side in the month it was signed, its
    disbursement side in the month it was disbursed."""
    dims = ', '.join(f'{row}.{c}' for c in DIMS)
    columns = f"month, {', '.join(DIMS)}"
    return [
        f"INSERT INTO order_month ({columns}, signed_n, signed_fen, reached_n, decided_n) "
        f"SELECT {d.month(f'{row}.signed_at')}, {dims}, {sign}1, {sign}{row}.amount_applied_fen, "
        f"{sign}{_flag(f'{row}.status IN {DISBURSED}')}, {sign}{_flag(f'{row}.status IN {DECIDED}')} "
        f"WHERE {row}.status <> 'voided'",
        f"INSERT INTO order_month ({columns}, disbursed_n, disbursed_fen, disbursed_days) "
        f"SELECT {d.date_month(f'{row}.disbursed_on')}, {dims}, {sign}1, "
        f"{sign}COALESCE({row}.disbursed_amount_fen, 0), {sign}{d.days(f'{row}.signed_at', f'{row}.disbursed_on')} "
        f"WHERE {row}.status IN {DISBURSED} AND {row}.disbursed_on IS NOT NULL",
    ]


def _revenue_moved(d: Dialect, row: str, sign: str) -> str:
    """The order's revenue (journal lines on the revenue accounts) under the row's dimensions: moved with the
    order when they change."""
    dims = ', '.join(f'{row}.{c}' for c in DIMS)
    return (f"INSERT INTO order_month (month, {', '.join(DIMS)}, revenue_fen) "
            f"SELECT {d.month('e.posted_at')}, {dims}, {sign}sum(l.credit_fen - l.debit_fen) "
            f"FROM journal_entry e JOIN journal_line l ON l.entry_id = e.id "
            f"WHERE e.order_id = {row}.id AND l.account IN {REVENUE_ACCOUNTS} GROUP BY 1")


def _line_rows(d: Dialect, row: str, sign: str) -> str:
    """One journal line on a revenue account, under its order's dimensions, in the month it was posted. A line
    whose entry is already gone (deleted with it) is not found: the ledger reverses entries, never deletes them."""
    return (f"INSERT INTO order_month (month, {', '.join(DIMS)}, revenue_fen) "
            f"SELECT {d.month('e.posted_at')}, {', '.join(f'o.{c}' for c in DIMS)}, "
            f"{sign}({row}.credit_fen - {row}.debit_fen) "
            f"FROM journal_entry e JOIN bo_order o ON o.id = e.order_id "
            f"WHERE e.id = {row}.entry_id AND {row}.account IN {REVENUE_ACCOUNTS}")


def _changed(key: tuple[str, ...], distinct: str) -> str:
    return ' OR '.join(f'OLD.{c} {distinct} NEW.{c}' for c in key)


def _postgresql() -> None:
    d = Dialect('postgresql')
    dims_changed = _changed(DIMS, 'IS DISTINCT FROM')
    old = ';\n    '.join(_order_rows(d, 'OLD', '-'))
    new = ';\n    '.join(_order_rows(d, 'NEW', '+'))
    op.execute(f"""
CREATE FUNCTION scrm_order_month_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    {old};
  END IF;
  IF TG_OP <> 'DELETE' THEN
    {new};
  END IF;
  IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND ({dims_changed})) THEN
    {_revenue_moved(d, 'OLD', '-')};
  END IF;
  IF TG_OP = 'UPDATE' AND ({dims_changed}) THEN
    {_revenue_moved(d, 'NEW', '+')};
  END IF;
  RETURN NULL;
END $$""")
    op.execute("CREATE TRIGGER order_month_counts AFTER INSERT OR DELETE ON bo_order "
               "FOR EACH ROW EXECUTE FUNCTION scrm_order_month_counts()")
    op.execute(f"CREATE TRIGGER order_month_counts_update AFTER UPDATE OF {', '.join(ORDER_KEY)} ON bo_order "
               f"FOR EACH ROW WHEN ({_changed(ORDER_KEY, 'IS DISTINCT FROM')}) "
               f"EXECUTE FUNCTION scrm_order_month_counts()")
    op.execute(f"""
CREATE FUNCTION scrm_revenue_month_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    {_line_rows(d, 'NEW', '+')};
  ELSE
    {_line_rows(d, 'OLD', '-')};
  END IF;
  RETURN NULL;
END $$""")
    op.execute("CREATE TRIGGER revenue_month_counts AFTER INSERT OR DELETE ON journal_line "
               "FOR EACH ROW EXECUTE FUNCTION scrm_revenue_month_counts()")


def _sqlite() -> None:
    d = Dialect('sqlite')
    changed = _changed(ORDER_KEY, 'IS NOT')
    dims_changed = _changed(DIMS, 'IS NOT')
    old = ';\n  '.join(_order_rows(d, 'OLD', '-'))
    new = ';\n  '.join(_order_rows(d, 'NEW', '+'))
    op.execute(f"CREATE TRIGGER order_month_counts_insert AFTER INSERT ON bo_order\nBEGIN\n  {new};\nEND")
    op.execute(f"CREATE TRIGGER order_month_counts_delete AFTER DELETE ON bo_order\n"
               f"BEGIN\n  {old};\n  {_revenue_moved(d, 'OLD', '-')};\nEND")
    op.execute(f"CREATE TRIGGER order_month_counts_update AFTER UPDATE OF {', '.join(ORDER_KEY)} ON bo_order "
               f"WHEN {changed}\nBEGIN\n  {old};\n  {new};\nEND")
    op.execute(f"CREATE TRIGGER order_month_revenue_moved AFTER UPDATE OF {', '.join(DIMS)} ON bo_order "
               f"WHEN {dims_changed}\nBEGIN\n  {_revenue_moved(d, 'OLD', '-')};\n  {_revenue_moved(d, 'NEW', '+')};"
               f"\nEND")
    op.execute(f"CREATE TRIGGER revenue_month_counts_insert AFTER INSERT ON journal_line\n"
               f"BEGIN\n  {_line_rows(d, 'NEW', '+')};\nEND")
    op.execute(f"CREATE TRIGGER revenue_month_counts_delete AFTER DELETE ON journal_line\n"
               f"BEGIN\n  {_line_rows(d, 'OLD', '-')};\nEND")


def _backfill(d: Dialect) -> None:
    columns = f"month, {', '.join(DIMS)}"
    dims = ', '.join(DIMS)
    op.execute(f"INSERT INTO order_month ({columns}, signed_n, signed_fen, reached_n, decided_n) "
               f"SELECT {d.month('signed_at')}, {dims}, count(*), sum(amount_applied_fen), "
               f"sum({_flag(f'status IN {DISBURSED}')}), sum({_flag(f'status IN {DECIDED}')}) "
               f"FROM bo_order WHERE status <> 'voided' GROUP BY 1, 2, 3, 4, 5, 6")
    op.execute(f"INSERT INTO order_month ({columns}, disbursed_n, disbursed_fen, disbursed_days) "
               f"SELECT {d.date_month('disbursed_on')}, {dims}, count(*), sum(COALESCE(disbursed_amount_fen, 0)), "
               f"sum({d.days('signed_at', 'disbursed_on')}) "
               f"FROM bo_order WHERE status IN {DISBURSED} AND disbursed_on IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6")
    op.execute(f"INSERT INTO order_month ({columns}, revenue_fen) "
               f"SELECT {d.month('e.posted_at')}, {', '.join(f'o.{c}' for c in DIMS)}, "
               f"sum(l.credit_fen - l.debit_fen) "
               f"FROM journal_entry e JOIN journal_line l ON l.entry_id = e.id JOIN bo_order o ON o.id = e.order_id "
               f"WHERE l.account IN {REVENUE_ACCOUNTS} GROUP BY 1, 2, 3, 4, 5, 6")


def upgrade() -> None:
    _table()
    # the triggers first: on PostgreSQL creating them locks out writers until this transaction commits, so the
    # backfill below and the triggers see every row exactly once
    name = op.get_bind().dialect.name
    if name == 'postgresql':
        _postgresql()
    else:
        _sqlite()
    _backfill(Dialect(name))


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER order_month_counts ON bo_order")
        op.execute("DROP TRIGGER order_month_counts_update ON bo_order")
        op.execute("DROP TRIGGER revenue_month_counts ON journal_line")
        op.execute("DROP FUNCTION scrm_order_month_counts()")
        op.execute("DROP FUNCTION scrm_revenue_month_counts()")
    else:
        for name in ('order_month_counts_insert', 'order_month_counts_delete', 'order_month_counts_update',
                     'order_month_revenue_moved', 'revenue_month_counts_insert', 'revenue_month_counts_delete'):
            op.execute(f"DROP TRIGGER {name}")
    op.drop_index(op.f('ix_order_month_month'), table_name='order_month')
    op.drop_table('order_month')
