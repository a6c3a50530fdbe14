"""Orders for the 财务业绩 tests: each driven along the flow by its own salesperson, with the sign-up time and
disbursement date set, and the figures a person would count from that list by hand."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

from backoffice.orders import service as order_service
from backoffice.orders.models import FollowUpKind, FunderType, Order
from backoffice.settlements import service as settlement_service
from backoffice.settlements.models import DiscountKind, PaymentMethod
from scrm.org.models import Employee
from tests.factories.backoffice import World, terms

BEIJING = timezone(timedelta(hours=8))


@dataclass
class Case:
    """One order as the test describes it; ``fee_fen`` is 3% of the disbursed amount, at least 1,000.00 (the
    seeded 信用贷 and 车抵贷: settle only those)."""

    salesperson: Employee
    product: str
    funder: FunderType
    applied_fen: int
    signed_at: datetime
    disbursed_fen: int | None = None
    disbursed_on: date | None = None
    settle: bool = False
    discount_per_loan_fen: int = 0
    loans: int = 1
    rebate_fen: int = 0
    order: Order | None = field(default=None, repr=False)

    @property
    def fee_fen(self) -> int:
        return max(int((Decimal(self.disbursed_fen or 0) * Decimal("0.03")).quantize(Decimal(1), ROUND_HALF_UP)),
                   100_000)

    @property
    def revenue_fen(self) -> int:
        return self.fee_fen - self.discount_per_loan_fen * self.loans - self.rebate_fen if self.settle else 0


def drive(db, w: World, case: Case) -> Case:
    sales = case.salesperson
    customer = w.customer(db, owner=sales)
    order = order_service.sign_order(db, sales, customer.id, terms(product_code=case.product, funder_type=case.funder,
                                                                   amount_applied_fen=case.applied_fen,
                                                                   deposit_fen=100_000))
    order.signed_at = case.signed_at
    if case.disbursed_fen is not None:
        order_service.confirm_contract(db, w.finance, order)
        order_service.review(db, w.admin, order)
        order_service.confirm_deposit(db, w.finance, order, processor_id=w.processor.id)
        order_service.add_follow_up(db, w.processor, order, FollowUpKind.disbursed_pending, "已放款")
        s = settlement_service.disburse(db, w.processor, order, amount_fen=case.disbursed_fen,
                                        disbursed_on=case.disbursed_on, funder_name="某资方")
        if case.settle:
            settlement_service.set_charges(db, w.finance, s, payment_method=PaymentMethod.cash,
                                           discount_kind=DiscountKind.per_count if case.discount_per_loan_fen
                                           else DiscountKind.none, discount_value=case.discount_per_loan_fen,
                                           loan_count=case.loans)
            if case.rebate_fen:
                e = settlement_service.add_expense(db, w.finance, s, "rebate", "渠道", case.rebate_fen)
                settlement_service.confirm_expense(db, w.finance, s, e.id)
            settlement_service.close(db, w.finance, s)
    db.flush()
    case.order = order
    return case


def beijing_today() -> date:
    """Today's date in Beijing: the last day a period ending today covers (财务业绩 counts Beijing days)."""
    return datetime.now(BEIJING).date()


def beijing(y: int, m: int, d: int, hour: int = 10) -> datetime:
    """A moment given in Beijing time, as UTC."""
    return datetime(y, m, d, hour, tzinfo=BEIJING).astimezone(timezone.utc)


def expected(cases: list[Case], key) -> dict:
    """The figures per group counted from the cases themselves: sign-ups, amounts, disbursements, revenue,
    success rate and average days, as the API answers them (yuan as text)."""
    out: dict = {}
    for c in cases:
        g = out.setdefault(key(c), {"signups": 0, "signed": 0, "reached": 0, "n_paid": 0, "paid": 0, "revenue": 0,
                                    "days": 0})
        g["signups"] += 1
        g["signed"] += c.applied_fen
        if c.disbursed_fen is not None:
            g["reached"] += 1
            g["n_paid"] += 1
            g["paid"] += c.disbursed_fen
            g["days"] += (c.disbursed_on - c.signed_at.astimezone(BEIJING).date()).days
        g["revenue"] += c.revenue_fen
    return {k: {"signups": g["signups"], "signed_amount": _yuan(g["signed"]), "disbursed_count": g["n_paid"],
                "disbursed_amount": _yuan(g["paid"]), "revenue": _yuan(g["revenue"]),
                "success_rate": round(g["reached"] / g["signups"], 4),
                "average_days": str((Decimal(g["days"]) / g["n_paid"]).quantize(Decimal("0.1"), ROUND_HALF_UP))
                if g["n_paid"] else None}
            for k, g in out.items()}


def _yuan(fen: int) -> str:
    return f"{Decimal(fen) / 100:.2f}"

