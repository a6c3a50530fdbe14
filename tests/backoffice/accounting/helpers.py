"""Journal entries made through the back-office services, the mapping a finance user keeps, and the vouchers of
an exported file read back with openpyxl."""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import select

from backoffice.accounting import service as accounting
from backoffice.accounting.schemas import MappingIn
from backoffice.ledger.chart import CHART
from backoffice.ledger.models import JournalEntry
from backoffice.settlements import service as settlement_service
from backoffice.settlements.models import DiscountKind, PaymentMethod
from tests.factories.backoffice import disbursed

BEIJING = timezone(timedelta(hours=8))
# a small-business chart (小企业会计准则) as the broker keeps it in 金蝶 or 用友
CODES = {"cash": "1001", "bank": "1002", "customer_receivable": "1122", "loan_receivable": "1221.01",
         "deposits_held": "2203", "commissions_payable": "2241.01", "fee_revenue": "5001.01",
         "fee_discounts": "5001.02", "other_fee_revenue": "5051", "interest_income": "5111",
         "rebate_expense": "5601.01", "appraisal_expense": "5601.02", "reimbursement_expense": "5602.01",
         "commission_expense": "5601.03"}


def map_accounts(db, finance, *, skip: tuple[str, ...] = ()) -> None:
    for account, code in CODES.items():
        if account in skip:
            continue
        aux = {"aux_customer": account in ("deposits_held", "customer_receivable"),
               "aux_department": account == "fee_revenue", "aux_employee": account == "fee_revenue"}
        accounting.set_mapping(db, finance, account, MappingIn(code=code, name=CHART[account].name, **aux))


def settled_order(db, world):
    """A sign-up, its deposit, disbursement and settlement: each money movement one journal entry."""
    order, settlement = disbursed(db, world)
    settlement_service.set_charges(db, world.finance, settlement, discount_kind=DiscountKind.percent,
                                   discount_value=100, payment_method=PaymentMethod.online_bank)
    settlement_service.add_fee(db, world.finance, settlement, "渠道管理费", 12_345)
    settlement_service.close(db, world.finance, settlement)
    return order


def entries_of(db, order_id: int) -> list[JournalEntry]:
    db.flush()
    return list(db.scalars(select(JournalEntry).where(JournalEntry.order_id == order_id).order_by(JournalEntry.id)))


def move_to(db, entries: list[JournalEntry], day: str) -> None:
    """Entries posted on another Beijing day (as if the money had moved then)."""
    at = datetime.fromisoformat(day).replace(hour=10, tzinfo=BEIJING)
    for i, entry in enumerate(entries):
        entry.posted_at = at + timedelta(minutes=i)
    db.flush()


def vouchers(content: bytes, number_column: str = "凭证号") -> dict[int, list[dict]]:
    """The file's rows grouped into vouchers by their number, each row a dict by column header."""
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    out: dict[int, list[dict]] = defaultdict(list)
    for row in rows[1:]:
        line = dict(zip(rows[0], row))
        out[line[number_column]].append(line)
    return dict(out)


def amount(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))
