"""Settlement totals, borrowing repaid at settlement, direct-debit payments and the amount due."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from backoffice.direct_debit.events import DebitSucceeded
from backoffice.ledger import service as ledger
from backoffice.orders import service as order_service
from backoffice.orders.models import BorrowingStatus
from backoffice.settlements import service as settlement_service
from backoffice.settlements.models import DiscountKind, ExpenseKind, PaymentMethod
from scrm.core.errors import Forbidden, InvalidTransition, ValidationFailed
from tests.factories.backoffice import disbursed


def test_direct_debit_settlement_with_borrowing_fixed_discount_and_payments(db, world):
    w = world
    order, s = disbursed(db, w, amount_fen=10_000_000, service_fee_rate_bp=None, service_fee_fen=400_000)
    order_service.lend(db, w.finance, order, principal_fen=1_000_000, lent_on=date(2026, 11, 1),
                       annual_rate_bp=1825, cost_fen=5_000)
    with pytest.raises(Forbidden):
        settlement_service.set_charges(db, w.processor, s, discount_kind=DiscountKind.fixed, discount_value=1)
    with pytest.raises(ValidationFailed) as exc:
        settlement_service.set_charges(db, w.finance, s, discount_kind=DiscountKind.fixed, discount_value=400_001)
    assert exc.value.field == "discount_value"
    settlement_service.set_charges(db, w.finance, s, discount_kind=DiscountKind.fixed, discount_value=50_000,
                                   installment_fee_fen=20_000, payment_method=PaymentMethod.direct_debit)
    settlement_service.add_fee(db, w.finance, s, "渠道管理费", 30_000)
    settlement_service.add_expense(db, w.finance, s, ExpenseKind.appraisal, "评估公司", 15_000)
    settlement_service.confirm_expense(db, w.finance, s, settlement_service.expenses_of(db, s.id)[0].id)
    # 10000 × 18.25% × 10 days / 365 = 50.00
    t = settlement_service.totals(db, s, on=date(2026, 11, 11))
    assert (t.borrowing_principal_fen, t.borrowing_interest_fen, t.borrowing_cost_fen) == (1_000_000, 5_000, 5_000)
    assert t.total_charges_fen == 400_000 - 50_000 + 20_000 + 30_000 + 1_010_000 == 1_410_000
    assert t.deposit_applied_fen == 500_000 and t.amount_due_fen == 910_000
    settlement_service.close(db, w.finance, s, on=date(2026, 11, 11))
    assert order_service.borrowings_of(db, order.id)[0].status == BorrowingStatus.repaid
    assert settlement_service.amount_due_fen(db, s.id) == 910_000
    with pytest.raises(InvalidTransition):
        settlement_service.add_fee(db, w.finance, s, "下户费", 1)

    succeeded = DebitSucceeded(debit_id=41, due_key=f"settlement:{s.id}", customer_id=order.customer_id,
                               amount_fen=910_000, provider="wechat_papay",
                               succeeded_at=datetime(2026, 11, 12, 2, tzinfo=timezone.utc))
    settlement_service.on_debit_succeeded(db, succeeded)
    settlement_service.on_debit_succeeded(db, succeeded)  # delivered twice
    settlement_service.on_debit_succeeded(db, succeeded.model_copy(update={"due_key": "withdrawal:3", "debit_id": 42}))
    assert settlement_service.amount_due_fen(db, s.id) == 0
    b = ledger.balances(db, order_id=order.id)
    assert b["customer_receivable"] == 0 and b["loan_receivable"] == 0 and b["interest_income"] == 10_000
    assert b["bank"] == -1_000_000 + 910_000 - 15_000 and b["fee_discounts"] == 50_000
    assert ledger.unbalanced_entries(db) == []


def test_percent_discount_rounds_once_and_void_releases_borrowing(db, world):
    w = world
    order, s = disbursed(db, w, amount_fen=3_333_333, service_fee_rate_bp=333)  # fee 1110.00 (1109.999889)
    assert s.service_fee_fen == 111_000
    settlement_service.set_charges(db, w.finance, s, discount_kind=DiscountKind.percent, discount_value=3333,
                                   payment_method=PaymentMethod.cash)
    assert settlement_service.totals(db, s).discount_fen == 36_996  # 1110 × 33.33% = 369.963 → 369.96
    settlement_service.set_charges(db, w.finance, s, service_fee_fen=100_000)
    with pytest.raises(ValidationFailed, match="定金"):  # 5000 deposit against 666.70 of charges
        settlement_service.close(db, w.finance, s)
    with pytest.raises(InvalidTransition):
        settlement_service.void(db, w.finance, s, "还没结单")
    settlement_service.set_charges(db, w.finance, s, service_fee_fen=800_000)
    b = order_service.lend(db, w.finance, order, principal_fen=100_000, lent_on=date(2026, 11, 1), annual_rate_bp=0)
    settlement_service.close(db, w.finance, s, on=date(2026, 11, 5))
    assert b.status == BorrowingStatus.repaid
    settlement_service.void(db, w.finance, s, "折扣录错")
    with pytest.raises(InvalidTransition):
        settlement_service.void(db, w.finance, s, "再作废")
    assert b.status == BorrowingStatus.lent and s.status.value == "voided"
    fresh = settlement_service.current_settlement(db, order.id)
    assert fresh.id != s.id and settlement_service.totals(db, fresh).borrowing_principal_fen == 100_000
    assert set(ledger.balances(db, order_id=order.id).items()) >= {("fee_revenue", 0), ("deposits_held", 500_000)}
